// The source address of a probe: the DIP on-link for the target (of its
// family), so the probe leaves by the path forwarded traffic takes.
import os from 'node:os';
import type { FulcrumConfig } from '../../config/types';
import { familyOf, familyTable } from '../../net/family';

/** Addresses of either family configured on this host's interfaces now (as inet_ntop prints them). */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address);
  }
  return out;
}

/**
 * The probe source for `target`: the DIP (else another non-VIP address) of
 * a port with a kernel twin whose prefix contains the target, when the
 * kernel has that address now. Undefined: let the kernel choose (off-link
 * targets, ports without twins, tests).
 */
export function probeSource(cfg: FulcrumConfig, target: string, local: () => Set<string> = localAddresses): string | undefined {
  const fam = familyTable(familyOf(target));
  const t = fam.parse(target);
  if (t === null) return undefined;
  const cands: { ip: string; role: string }[] = [];
  for (const p of cfg.ports) {
    if (p.twin === false) continue;
    for (const a of p.addresses) {
      const c = familyOf(a.ip) === fam.id ? fam.parseCidr(a.ip) : null;
      if (!c || c.len === fam.bits || c.len === 0 || a.role === 'vip') continue;
      if (fam.contains(c.ip, c.len, t)) cands.push({ ip: fam.format(c.ip), role: a.role });
    }
  }
  if (cands.length === 0) return undefined;
  cands.sort((a, b) => (a.role === 'dip' ? 0 : 1) - (b.role === 'dip' ? 0 : 1));
  const have = local();
  return cands.find((c) => have.has(c.ip))?.ip;
}
