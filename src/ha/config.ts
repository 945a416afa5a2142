// What the config says about high availability, derived once for the twin
// setup, the plan, the semantic checks and the daemons. Pure.
//
// Floating addresses: the VIPs and LIPs that move between the directors of
// a VRRP pair. keepalived (on the kernel twins) adds them to the master's
// twin and takes them off the backup's; Fulcrum serves one only while it is
// there.
import type { FulcrumConfig } from '../config/types';
import { parseCidr, formatIPv4 } from '../net/ipv4';
import { familyOf } from '../net/family';

export interface FloatingAddress {
  /** Plain address, e.g. "198.18.0.100". */
  ip: string;
  role: 'vip' | 'lip';
  /** Port name and the twin keepalived puts it on. */
  port: string;
  twin: string | false;
}

/** The config's floating addresses (none unless ha.vrrp is set). */
export function floatingAddresses(cfg: FulcrumConfig): FloatingAddress[] {
  const roles = cfg.ha?.vrrp?.floating;
  if (!roles) return [];
  const out: FloatingAddress[] = [];
  for (const p of cfg.ports) {
    for (const a of p.addresses) {
      if (a.role === 'dip' || !roles.includes(a.role)) continue;
      const c = parseCidr(a.ip);
      if (c) out.push({ ip: formatIPv4(c.ip), role: a.role, port: p.name, twin: p.twin });
    }
  }
  return out;
}

/** Whether an address of the config floats (its twin must not get it from Fulcrum). */
export function isFloating(cfg: FulcrumConfig, role: string): boolean {
  const roles: readonly string[] | undefined = cfg.ha?.vrrp?.floating;
  return role !== 'dip' && !!roles && roles.includes(role);
}

/** Where a sync daemon's sockets live: the port's twin and its DIP. */
export interface SyncEndpoint {
  port: string;
  twin: string;
  ip: string;
}

/** The port (by port or twin name) a sync daemon's interface names; why not, as a sentence. */
export function syncEndpoint(cfg: FulcrumConfig, iface: string): SyncEndpoint | string {
  const p = cfg.ports.find((x) => x.name === iface || x.twin === iface);
  if (!p) return 'names no port and no port\'s twin';
  if (p.twin === false) return `port ${p.name} has no kernel twin, where the sync socket must live`;
  // The sync protocol (ip_vs_sync.c's) runs over IPv4 multicast or unicast.
  const dip = p.addresses.find((a) => a.role === 'dip' && familyOf(a.ip) === 4);
  const c = dip ? parseCidr(dip.ip) : null;
  if (!c) return `port ${p.name} has no IPv4 DIP to send sync messages from`;
  return { port: p.name, twin: p.twin, ip: formatIPv4(c.ip) };
}
