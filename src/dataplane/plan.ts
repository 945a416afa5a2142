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
import { formatIPv4, networkOf, parseCidr, parseIPv4, prefixContains } from '../net/ipv4';
import { familyOf } from '../net/family';
import { planAddrs6, planRoutes6 } from './plan6';

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
    persistTemplates: dp.persistTemplates,
    icmpErrorsPerSec: dp.icmpErrorsPerSec,
    icmpErrorsBurst: dp.icmpErrorsBurst,
  };
}

/** `standby`: floating addresses the VRRP master elsewhere holds (src/ha/vrrp.ts). */
export function planAddrs(cfg: FulcrumConfig, standby: ReadonlySet<string> = new Set()): NativeAddr[] {
  const out: NativeAddr[] = [];
  cfg.ports.forEach((p, port) => {
    for (const a of p.addresses) {
      if (familyOf(a.ip) !== 4) continue; // plan6.ts
      const c = parseCidr(a.ip);
      if (!c) throw new Error(`bad address ${a.ip}`); // validated already
      const ip = formatIPv4(c.ip);
      out.push({ ip, prefix: c.len, role: a.role, port, ...(standby.has(ip) ? { standby: true } : {}) });
    }
  });
  return out;
}

/** One connected route per distinct (network, len, port); /32s have none. */
export function connectedRoutes(cfg: FulcrumConfig): NativeRoute[] {
  const seen = new Set<string>();
  const out: NativeRoute[] = [];
  for (const a of planAddrs(cfg)) {
    if (a.prefix >= 32) continue;
    const net = formatIPv4(networkOf(parseIPv4(a.ip)!, a.prefix));
    const key = `${net}/${a.prefix}@${a.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ prefix: net, len: a.prefix, port: a.port, gateway: null });
  }
  return out;
}

/** Egress port for a next hop: the named one, else the port whose connected prefix holds it. */
export function resolveNextHopPort(cfg: FulcrumConfig, via: string, portName?: string): number {
  if (portName !== undefined) {
    const idx = portIndex(cfg).get(portName);
    if (idx === undefined) throw new Error(`unknown port "${portName}"`);
    return idx;
  }
  const v = parseIPv4(via);
  if (v === null) throw new Error(`bad next hop ${via}`);
  // Longest prefix wins, as the dataplane's own lookup would.
  let best: { port: number; len: number } | undefined;
  for (const r of connectedRoutes(cfg)) {
    if (prefixContains(parseIPv4(r.prefix)!, r.len, v) && (!best || r.len > best.len)) {
      best = { port: r.port, len: r.len };
    }
  }
  if (!best) throw new Error(`next hop ${via} is not on-link`);
  return best.port;
}

export function planRoutes(cfg: FulcrumConfig): NativeRoute[] {
  const out = connectedRoutes(cfg);
  const defaults: NativeRoute[] = [];
  for (const r of cfg.routes) {
    if (familyOf(r.via) !== 4) continue; // plan6.ts
    const port = resolveNextHopPort(cfg, r.via, r.port);
    if (r.to === 'default') {
      defaults.push({ prefix: '0.0.0.0', len: 0, port, gateway: r.via });
      continue;
    }
    const c = parseCidr(r.to)!;
    out.push({ prefix: formatIPv4(networkOf(c.ip, c.len)), len: c.len, port, gateway: r.via });
  }
  if (cfg.defaultGateway) {
    const g = cfg.defaultGateway;
    defaults.push({ prefix: '0.0.0.0', len: 0, port: resolveNextHopPort(cfg, g.via, g.port), gateway: g.via });
  }
  return [...out, ...defaults];
}

/** The whole RCU-published view: addresses, routes, services, timeouts. */
export function planForwarding(
  cfg: FulcrumConfig, ids: DataplaneIds = newDataplaneIds(), standby: ReadonlySet<string> = new Set(),
): NativeForwardingConf {
  return {
    addrs: planAddrs(cfg, standby),
    routes: planRoutes(cfg),
    addrs6: planAddrs6(cfg),
    routes6: planRoutes6(cfg),
    services: planServices(cfg, ids),
    timeouts: { tcp: cfg.timeouts.tcp, tcpFin: cfg.timeouts.tcpFin, udp: cfg.timeouts.udp },
    sloppyTcp: cfg.sloppyTcp,
  };
}
