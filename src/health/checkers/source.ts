// The source address of a probe: the DIP on-link for the target, so the
// probe leaves by the path forwarded traffic takes.
import os from 'node:os';
import type { FulcrumConfig } from '../../config/types';
import { parseCidr, parseIPv4, prefixContains } from '../../net/ipv4';

/** IPv4 addresses configured on this host's interfaces now. */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') out.add(a.address);
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
  const t = parseIPv4(target);
  if (t === null) return undefined;
  const cands: { ip: string; role: string }[] = [];
  for (const p of cfg.ports) {
    if (p.twin === false) continue;
    for (const a of p.addresses) {
      const c = parseCidr(a.ip);
      if (!c || c.len === 32 || c.len === 0 || a.role === 'vip') continue;
      if (prefixContains(c.ip, c.len, t)) cands.push({ ip: a.ip.split('/')[0]!, role: a.role });
    }
  }
  if (cands.length === 0) return undefined;
  cands.sort((a, b) => (a.role === 'dip' ? 0 : 1) - (b.role === 'dip' ? 0 : 1));
  const have = local();
  return cands.find((c) => have.has(c.ip))?.ip;
}
