// Pure translation of a validated config into what the addon takes. Routes are
// emitted explicitly (connected, then static, then default) so the dataplane
// never infers anything from addresses: what you see in --dry-run is what the
// workers get.
import type { FulcrumConfig } from '../config/types';
import type {
  NativeAddr, NativeDataplaneConf, NativeForwardingConf, NativeRoute,
} from '../native/addon';
import { newDataplaneIds, type DataplaneIds } from './ids';
import type { HostFacts } from './eal';
import { resolvePorts } from '../net/ports';
import { planServices } from './services';
import { familyOf, familyTable, IPV4, IPV6, type AddressFamily } from '../net/family';

/** Descriptor ring sizes: not in config yet; 1024 is the l3fwd default. */
export const RX_DESC = 1024;
export const TX_DESC = 1024;

export function portIndex(cfg: FulcrumConfig): Map<string, number> {
  return new Map(cfg.ports.map((p, i) => [p.name, i]));
}

export function planDataplane(cfg: FulcrumConfig, host?: Pick<HostFacts, 'channels'>): NativeDataplaneConf {
  const dp = cfg.dataplane;
  const resolved = resolvePorts(cfg, host?.channels);
  return {
    workers: [...dp.workers],
    ports: cfg.ports.map((p, i) => ({
      name: p.name,
      device: resolved[i]!.device,
      ...(resolved[i]!.fallback ? { fallback: resolved[i]!.fallback } : {}),
      twin: p.twin === false ? '' : p.twin,
      mtu: p.mtu,
    })),
    mbufsPerSocket: dp.mbufsPerSocket,
    rxDesc: RX_DESC,
    txDesc: TX_DESC,
    burst: dp.burst,
    txDrainUs: dp.txDrainUs,
    idleSleepUs: dp.idleSleepUs,
    rxInterrupts: dp.rxInterrupts,
    rewriteTimestamps: dp.rewriteTimestamps,
    neighTimeoutS: dp.neighbourTimeoutSec,
    sessionsPerWorker: dp.sessionsPerWorker,
    ipv6SessionsPerWorker: dp.ipv6SessionsPerWorker,
    persistTemplates: dp.persistTemplates,
    icmpErrorsPerSec: dp.icmpErrorsPerSec,
    icmpErrorsBurst: dp.icmpErrorsBurst,
  };
}

/** The port addresses of one family (default IPv4); `standby`: floating addresses the VRRP master elsewhere holds (src/ha/vrrp.ts). */
export function planAddrs(cfg: FulcrumConfig, standby: ReadonlySet<string> = new Set(), fam: AddressFamily<unknown> = IPV4): NativeAddr[] {
  const out: NativeAddr[] = [];
  cfg.ports.forEach((p, port) => {
    for (const a of p.addresses) {
      if (familyOf(a.ip) !== fam.id) continue;
      const c = fam.parseCidr(a.ip);
      if (!c) throw new Error(`bad address ${a.ip}`); // validated already
      const ip = fam.format(c.ip);
      out.push({ ip, prefix: c.len, role: a.role, port, ...(standby.has(ip) ? { standby: true } : {}) });
    }
  });
  return out;
}

/** One connected route per distinct (network, len, port); host routes (/32, /128) have none. */
export function connectedRoutes(cfg: FulcrumConfig, fam: AddressFamily<unknown> = IPV4): NativeRoute[] {
  const seen = new Set<string>();
  const out: NativeRoute[] = [];
  for (const a of planAddrs(cfg, new Set(), fam)) {
    if (a.prefix >= fam.bits) continue;
    const net = fam.format(fam.networkOf(fam.parse(a.ip)!, a.prefix));
    const key = `${net}/${a.prefix}@${a.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ prefix: net, len: a.prefix, port: a.port, gateway: null });
  }
  return out;
}

/** Egress port for a next hop (of its own family): the named one, else the port whose connected prefix holds it. */
export function resolveNextHopPort(cfg: FulcrumConfig, via: string, portName?: string): number {
  if (portName !== undefined) {
    const idx = portIndex(cfg).get(portName);
    if (idx === undefined) throw new Error(`unknown port "${portName}"`);
    return idx;
  }
  const fam = familyTable(familyOf(via));
  const v = fam.parse(via);
  if (v === null) throw new Error(`bad next hop ${via}`);
  // Longest prefix wins, as the dataplane's own lookup would.
  let best: { port: number; len: number } | undefined;
  for (const r of connectedRoutes(cfg, fam)) {
    if (fam.contains(fam.parse(r.prefix)!, r.len, v) && (!best || r.len > best.len)) {
      best = { port: r.port, len: r.len };
    }
  }
  if (!best) throw new Error(`next hop ${via} is not on-link`);
  return best.port;
}

/** The config's static routes of one family (a route's family is its next hop's), `to` as network/len. */
export function staticRoutes(cfg: FulcrumConfig, fam: AddressFamily<unknown>): Array<{ prefix: string; len: number; via: string; port?: string }> {
  const out = cfg.routes.filter((r) => familyOf(r.via) === fam.id).map((r) => {
    const c = r.to === 'default' ? { ip: fam.any, len: 0 } : fam.parseCidr(r.to)!;
    return { prefix: fam.format(fam.networkOf(c.ip, c.len)), len: c.len, via: fam.format(fam.parse(r.via)!), port: r.port };
  });
  // IPv4's default may also be the defaultGateway field.
  if (fam.id === 4 && cfg.defaultGateway) {
    out.push({ prefix: fam.format(fam.any), len: 0, via: cfg.defaultGateway.via, port: cfg.defaultGateway.port });
  }
  return out;
}

/** Connected routes, then static ones, then the default, as the dataplane installs them. */
export function planRoutes(cfg: FulcrumConfig, fam: AddressFamily<unknown> = IPV4): NativeRoute[] {
  const routes = staticRoutes(cfg, fam).map((r) => ({
    prefix: r.prefix, len: r.len, port: resolveNextHopPort(cfg, r.via, r.port), gateway: r.via,
  }));
  return [...connectedRoutes(cfg, fam), ...routes.filter((r) => r.len > 0), ...routes.filter((r) => r.len === 0)];
}

/** The whole RCU-published view: addresses, routes, services, timeouts. */
export function planForwarding(
  cfg: FulcrumConfig, ids: DataplaneIds = newDataplaneIds(), standby: ReadonlySet<string> = new Set(),
): NativeForwardingConf {
  return {
    addrs: planAddrs(cfg, standby),
    routes: planRoutes(cfg),
    addrs6: planAddrs(cfg, standby, IPV6),
    routes6: planRoutes(cfg, IPV6),
    services: planServices(cfg, ids),
    timeouts: { tcp: cfg.timeouts.tcp, tcpFin: cfg.timeouts.tcpFin, udp: cfg.timeouts.udp },
    sloppyTcp: cfg.sloppyTcp,
  };
}
