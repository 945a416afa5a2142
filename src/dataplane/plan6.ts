// The IPv6 family's part of the published view (plan.ts has IPv4's): port
// addresses, their connected routes, then static routes and the default, in
// the order the dataplane installs them. Pure, like plan.ts.
import type { FulcrumConfig } from '../config/types';
import type { NativeAddr, NativeRoute } from '../native/addon';
import { familyOf } from '../net/family';
import { formatIPv6, networkOf6, parseCidr6, parseIPv6, prefixContains6 } from '../net/ipv6';

export function planAddrs6(cfg: FulcrumConfig): NativeAddr[] {
  const out: NativeAddr[] = [];
  cfg.ports.forEach((p, port) => {
    for (const a of p.addresses) {
      if (familyOf(a.ip) !== 6) continue;
      const c = parseCidr6(a.ip);
      if (!c) throw new Error(`bad address ${a.ip}`); // validated already
      out.push({ ip: formatIPv6(c.ip), prefix: c.len, role: a.role, port });
    }
  });
  return out;
}

/** One connected route per distinct (network, len, port); /128s have none. */
export function connectedRoutes6(cfg: FulcrumConfig): NativeRoute[] {
  const seen = new Set<string>();
  const out: NativeRoute[] = [];
  for (const a of planAddrs6(cfg)) {
    if (a.prefix >= 128) continue;
    const net = formatIPv6(networkOf6(parseIPv6(a.ip)!, a.prefix));
    const key = `${net}/${a.prefix}@${a.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ prefix: net, len: a.prefix, port: a.port, gateway: null });
  }
  return out;
}

/** Egress port for an IPv6 next hop: the named one, else the port whose connected prefix holds it. */
export function resolveNextHopPort6(cfg: FulcrumConfig, via: string, portName?: string): number {
  if (portName !== undefined) {
    const idx = cfg.ports.findIndex((p) => p.name === portName);
    if (idx < 0) throw new Error(`unknown port "${portName}"`);
    return idx;
  }
  const v = parseIPv6(via);
  if (v === null) throw new Error(`bad next hop ${via}`);
  let best: { port: number; len: number } | undefined;
  for (const r of connectedRoutes6(cfg)) {
    if (prefixContains6(parseIPv6(r.prefix)!, r.len, v) && (!best || r.len > best.len)) best = { port: r.port, len: r.len };
  }
  if (!best) throw new Error(`next hop ${via} is not on-link`);
  return best.port;
}

/** The config's IPv6 routes (next hop IPv6), their `to` as prefix/len. */
export function staticRoutes6(cfg: FulcrumConfig): Array<{ prefix: string; len: number; via: string; port?: string }> {
  return cfg.routes.filter((r) => familyOf(r.via) === 6).map((r) => {
    const c = r.to === 'default' ? { ip: new Uint8Array(16), len: 0 } : parseCidr6(r.to)!;
    return { prefix: formatIPv6(networkOf6(c.ip, c.len)), len: c.len, via: formatIPv6(parseIPv6(r.via)!), port: r.port };
  });
}

export function planRoutes6(cfg: FulcrumConfig): NativeRoute[] {
  const routes = staticRoutes6(cfg).map((r) => ({
    prefix: r.prefix, len: r.len, port: resolveNextHopPort6(cfg, r.via, r.port), gateway: r.via,
  }));
  // Defaults last, as plan.ts orders IPv4's.
  return [...connectedRoutes6(cfg), ...routes.filter((r) => r.len > 0), ...routes.filter((r) => r.len === 0)];
}
