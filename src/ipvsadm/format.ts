// ipvsadm 1.31 output formats, column for column: print_title(),
// print_service_entry(), print_largenum(), list_conn()/print_conn(),
// list_timeout() and the -S rule format, from ipvsadm.c. Fulcrum's fullnat
// method prints "FullNat" as DPVS's ipvsadm does, and "--fullnat" in rules.
// Pure functions: the stats/sessions come in as plain data.

import type { ForwardingMethod, Protocol, ServerConfig, ServiceConfig, TimeoutsConfig } from '../config/types';
import { parseIPv4 } from '../net/ipv4';
import { parseIPv6 } from '../net/ipv6';
import { familyOf } from '../net/family';
import type { IpvsConfig } from './apply';
import { effectivePoolName, findService } from './apply';
import type { ListFormat, ServiceRef } from './parse';
import { endpointKey, serviceKey } from '../config/keys';
import type { SyncDaemonView } from './client';

// ------------------------------------------------------------ printf helpers

const padR = (s: string, w: number): string => (s.length >= w ? s : s + ' '.repeat(w - s.length));
const padL = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);
const u = (n: number | bigint): string => BigInt(n).toString();

/** print_largenum(): 9 columns, scaled K/M/G/T unless --exact. */
export function largenum(n: number | bigint, exact: boolean): string {
  const i = BigInt(n);
  if (exact) {
    const s = i.toString();
    return padL(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 100000000n) return padL(i.toString(), 9);
  if (i < 1000000000n) return padL((i / 1000n).toString(), 8) + 'K';
  if (i < 100000000000n) return padL((i / 1000000n).toString(), 8) + 'M';
  if (i < 100000000000000n) return padL((i / 1000000000n).toString(), 8) + 'G';
  return padL((i / 1000000000000n).toString(), 8) + 'T';
}

// ------------------------------------------------------------ stats input

export interface Counters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}
export interface ServerCounters extends Counters {
  activeConns: number;
  inactConns: number;
  persistConns: number;
}
export interface StatsView {
  services: Map<string, { counters: Counters; servers: Map<string, ServerCounters> }>;
}

const ZERO: ServerCounters = {
  conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0, cps: 0, inPps: 0, outPps: 0,
  inBps: 0, outBps: 0, activeConns: 0, inactConns: 0, persistConns: 0,
};

const ALIASES: Record<keyof ServerCounters, string[]> = {
  conns: ['conns', 'connections'],
  inPkts: ['inPkts', 'inpkts', 'inPackets'],
  outPkts: ['outPkts', 'outpkts', 'outPackets'],
  inBytes: ['inBytes', 'inbytes'],
  outBytes: ['outBytes', 'outbytes'],
  cps: ['cps'],
  inPps: ['inPps', 'inpps'],
  outPps: ['outPps', 'outpps'],
  inBps: ['inBps', 'inbps'],
  outBps: ['outBps', 'outbps'],
  activeConns: ['activeConns', 'activeconns', 'active', 'activeConn'],
  inactConns: ['inactConns', 'inactconns', 'inactiveConns', 'inactive', 'inActConn'],
  persistConns: ['persistConns', 'persistconns', 'persistentConns'],
};

function counters(o: Record<string, unknown> | undefined): ServerCounters {
  const out: ServerCounters = { ...ZERO };
  if (!o) return out;
  const src = (typeof o.stats === 'object' && o.stats !== null ? { ...o, ...(o.stats as object) } : o) as Record<string, unknown>;
  for (const [k, names] of Object.entries(ALIASES) as [keyof ServerCounters, string[]][]) {
    for (const n of names) {
      const v = src[n];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
        out[k] = Math.floor(v);
        break;
      }
      if (typeof v === 'string' && /^\d+$/.test(v)) {
        out[k] = Number(v);
        break;
      }
    }
  }
  return out;
}

function entries(x: unknown): [string | undefined, Record<string, unknown>][] {
  if (Array.isArray(x)) return x.filter((e) => typeof e === 'object' && e !== null).map((e) => [undefined, e as Record<string, unknown>]);
  if (typeof x === 'object' && x !== null) {
    return Object.entries(x as Record<string, unknown>)
      .filter(([, v]) => typeof v === 'object' && v !== null)
      .map(([k, v]) => [k, v as Record<string, unknown>]);
  }
  return [];
}

/**
 * Normalise GET /api/v1/stats. Accepted: `{services: [...]}` or a map keyed by
 * service id ("tcp:VIP:port"); a service has counters (conns, inPkts,
 * outPkts, inBytes, outBytes, cps, inPps, outPps, inBps, outBps) and
 * `servers` (array or map keyed by "RIP:port") with the same counters plus
 * activeConns, inactConns, persistConns. Anything absent counts as 0.
 */
export function normalizeStats(raw: unknown): StatsView {
  const view: StatsView = { services: new Map() };
  const root = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  for (const [key, s] of entries(root.services ?? {})) {
    const id = typeof s.id === 'string' ? s.id
      : typeof s.protocol === 'string' && typeof s.vip === 'string' && typeof s.port === 'number'
        ? serviceKey({ protocol: s.protocol.toLowerCase(), vip: s.vip, port: s.port })
        : key;
    if (!id) continue;
    const servers = new Map<string, ServerCounters>();
    for (const [rk, r] of entries(s.servers ?? s.dests ?? {})) {
      const rid = typeof r.id === 'string' ? r.id
        : typeof r.address === 'string' && typeof r.port === 'number' ? endpointKey({ address: r.address, port: r.port }) : rk;
      if (rid) servers.set(rid, counters(r));
    }
    view.services.set(id, { counters: counters(s), servers });
  }
  return view;
}

// ------------------------------------------------------------ names & sorting

const PROTO_NUM: Record<Protocol, number> = { tcp: 6, udp: 17 };

/** The address family as ipvsadm compares it: AF_INET 2, AF_INET6 10. */
const afOf = (addr: string): number => (familyOf(addr) === 6 ? 10 : 2);

/** An address as libipvs compares it: its 32-bit words in host order, one for IPv4, four for IPv6. */
function addrWords(addr: string): number[] {
  const v6 = familyOf(addr) === 6 ? parseIPv6(addr) : null;
  if (!v6) return [parseIPv4(addr) ?? 0];
  const dv = new DataView(v6.buffer, v6.byteOffset, 16);
  return [0, 4, 8, 12].map((o) => dv.getUint32(o));
}

/** Word by word, each difference in C's int arithmetic, the first that is not 0. */
function cmpAddrs(a: string, b: string): number {
  const x = addrWords(a), y = addrWords(b);
  let r = 0;
  for (let i = 0; r === 0 && i < x.length; i++) r = ((x[i] ?? 0) - (y[i] ?? 0)) | 0;
  return r;
}

/** ipvs_cmp_services(): address family, protocol, then address and port (int arithmetic as in C). */
export function cmpServices(a: ServiceConfig, b: ServiceConfig): number {
  let r = afOf(a.vip) - afOf(b.vip);
  if (r !== 0) return r;
  r = PROTO_NUM[a.protocol] - PROTO_NUM[b.protocol];
  if (r !== 0) return r;
  r = cmpAddrs(a.vip, b.vip);
  if (r !== 0) return r;
  return a.port - b.port;
}

/** ipvs_cmp_dests(): address then port. */
export function cmpDests(a: ServerConfig, b: ServerConfig): number {
  const r = cmpAddrs(a.address, b.address);
  return r !== 0 ? r : a.port - b.port;
}

/** Port -> service name (getservbyport), used when -n is not given. */
export type PortResolver = (port: number, proto: Protocol) => string | undefined;

/** addrport_to_anyname(): an IPv6 address in brackets. */
function addrport(addr: string, port: number, proto: Protocol, numeric: boolean, resolve?: PortResolver): string {
  const p = numeric ? undefined : resolve?.(port, proto);
  return familyOf(addr) === 6 ? `[${addr}]:${p ?? port}` : `${addr}:${p ?? port}`;
}

const FWD_NAME: Record<ForwardingMethod, string> = { nat: 'Masq', tun: 'Tunnel', dr: 'Route', fullnat: 'FullNat' };
const FWD_SWITCH: Record<ForwardingMethod, string> = { nat: '-m', tun: '-i', dr: '-g', fullnat: '--fullnat' };
const PROTO_NAME: Record<Protocol, string> = { tcp: 'TCP', udp: 'UDP' };
const PROTO_OPT: Record<Protocol, string> = { tcp: '-t', udp: '-u' };

// ------------------------------------------------------------ listing

export interface FormatOptions extends Partial<ListFormat> {
  /** Save (-S) format: FMT_RULE. */
  rule?: boolean;
  /** IPVS version in the header line. */
  version?: string;
  /** Connection table size in the header line. */
  size?: number;
  /** -L -t VIP:port: one service, no version header (list_service()). */
  service?: ServiceRef;
  resolvePort?: PortResolver;
}

export const IPVS_VERSION = '1.2.1';
export const IPVS_SIZE = 4096;

function printTitle(f: FormatOptions): string {
  const h = (a: string, b: string, c: string, d: string, e: string): string =>
    `${padR('Prot LocalAddress:Port', 33)} ${padL(a, 8)} ${padL(b, 8)} ${padL(c, 8)} ${padL(d, 8)} ${padL(e, 8)}\n  -> RemoteAddress:Port\n`;
  if (f.stats) return h('Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes');
  if (f.rate) return h('CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS');
  if (f.thresholds) {
    return `${padR('Prot LocalAddress:Port', 33)} ${padR('Uthreshold', 10)} ${padR('Lthreshold', 10)} ${padR('ActiveConn', 10)} ${padR('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  }
  if (f.persistentConn) {
    return `${padR('Prot LocalAddress:Port', 33)} ${padR('Weight', 9)} ${padR('PersistConn', 11)} ${padR('ActiveConn', 10)} ${padR('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  }
  if (!f.rule) {
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  }
  return '';
}

function serviceEntry(s: ServiceConfig, stats: StatsView, f: FormatOptions): string {
  const numeric = f.numeric ?? false;
  const exact = f.exact ?? false;
  const vname = addrport(s.vip, s.port, s.protocol, numeric, f.resolvePort);
  let svcName: string;
  if (f.rule) svcName = `${PROTO_OPT[s.protocol]} ${vname}`;
  else {
    // ipvsadm cuts an IPv4 service's name at 33 characters, never an IPv6 one's.
    svcName = `${padR(PROTO_NAME[s.protocol], 4)} ${vname}`;
    if (familyOf(s.vip) !== 6) svcName = svcName.slice(0, 33);
  }

  const st = stats.services.get(serviceKey(s));
  const sc = st?.counters ?? ZERO;
  const flags = s.schedFlags.join(',');
  let out = '';
  if (f.rule) {
    out += `-A ${svcName} -s ${s.scheduler}`;
    if (s.persistence) {
      out += ` -p ${s.persistence.timeout}`;
      if (s.persistence.netmask !== '255.255.255.255') out += ` -M ${s.persistence.netmask}`;
      if (familyOf(s.vip) === 6 && (s.persistence.ipv6PrefixLength ?? 128) !== 128) out += ` -M ${s.persistence.ipv6PrefixLength}`;
    }
    if (flags) out += ` -b ${flags}`;
    if (s.proxyProtocol) out += ` --proxy-protocol ${s.proxyProtocol}`;
    if (s.toa) out += ' --toa';
    if (s.synProxy) out += ' --synproxy';
  } else if (f.stats) {
    out += padR(svcName, 33) + [sc.conns, sc.inPkts, sc.outPkts, sc.inBytes, sc.outBytes].map((n) => largenum(n, exact)).join('');
  } else if (f.rate) {
    out += padR(svcName, 33) + [sc.cps, sc.inPps, sc.outPps, sc.inBps, sc.outBps].map((n) => largenum(n, exact)).join('');
  } else {
    out += `${svcName} ${s.scheduler}`;
    if (flags) out += ` (${flags})`;
    if (s.persistence) {
      out += ` persistent ${s.persistence.timeout}`;
      if (s.persistence.netmask !== '255.255.255.255') out += ` mask ${s.persistence.netmask}`;
      if (familyOf(s.vip) === 6 && (s.persistence.ipv6PrefixLength ?? 128) !== 128) out += ` mask ${s.persistence.ipv6PrefixLength}`;
    }
    // Fulcrum's own (ipvsadm has neither): after everything ipvsadm prints.
    if (s.proxyProtocol) out += ` proxy-protocol ${s.proxyProtocol}`;
    if (s.toa) out += ' toa';
    if (s.synProxy) out += ' synproxy';
  }
  out += '\n';

  const dests = f.nosort ? [...s.servers] : [...s.servers].sort(cmpDests);
  for (const e of dests) {
    let dname = addrport(e.address, e.port, s.protocol, numeric, f.resolvePort);
    if (!f.rule && familyOf(s.vip) !== 6) dname = dname.slice(0, 28);   // as the service name
    const c = st?.servers.get(endpointKey(e)) ?? ZERO;
    if (f.rule) {
      // ipvsadm 1.31 print_tunnel_rule(): a tunnelled server names its type.
      out += `-a ${svcName} -r ${dname} ${FWD_SWITCH[e.method]} -w ${e.weight}${e.method === 'tun' ? ' --tun-type ipip' : ''}\n`;
    } else if (f.stats) {
      out += `  -> ${padR(dname, 28)}` + [c.conns, c.inPkts, c.outPkts, c.inBytes, c.outBytes].map((n) => largenum(n, exact)).join('') + '\n';
    } else if (f.rate) {
      out += `  -> ${padR(dname, 28)} ${padL(u(c.cps), 8)} ${padL(u(c.inPps), 8)} ${padL(u(c.outPps), 8)}` +
        largenum(c.inBps, exact) + largenum(c.outBps, exact) + '\n';
    } else if (f.thresholds) {
      out += `  -> ${padR(dname, 28)} ${padR(u(e.upperThreshold ?? 0), 10)} ${padR(u(e.lowerThreshold ?? 0), 10)} ${padR(u(c.activeConns), 10)} ${padR(u(c.inactConns), 10)}\n`;
    } else if (f.persistentConn) {
      out += `  -> ${padR(dname, 28)} ${padR(u(e.weight), 9)} ${padR(u(c.persistConns), 11)} ${padR(u(c.activeConns), 10)} ${padR(u(c.inactConns), 10)}\n`;
    } else {
      out += `  -> ${padR(dname, 28)} ${padR(FWD_NAME[e.method], 7)} ${padR(String(e.weight), 6)} ${padR(u(c.activeConns), 10)} ${padR(u(c.inactConns), 10)}\n`;
    }
  }
  return out;
}

/**
 * `-L` / `-S` output for the config and stats. With `service`, the one
 * service (list_service()); throws if it does not exist (callers check first).
 */
export function formatList(config: IpvsConfig, stats: StatsView | unknown, opts: FormatOptions = {}): string {
  const view = stats instanceof Object && (stats as StatsView).services instanceof Map
    ? (stats as StatsView) : normalizeStats(stats);
  if (opts.service) {
    const s = findService(config, opts.service);
    if (!s) throw new Error('No such service');
    return printTitle(opts) + serviceEntry(s, view, opts);
  }
  let out = '';
  if (!opts.rule) out += `IP Virtual Server version ${opts.version ?? IPVS_VERSION} (size=${opts.size ?? IPVS_SIZE})\n`;
  out += printTitle(opts);
  const svcs = opts.nosort ? [...config.services] : [...config.services].sort(cmpServices);
  for (const s of svcs) out += serviceEntry(s, view, opts);
  return out;
}

/** `-S [-n]`: the rules that `-R` reads back. */
export function formatSave(config: IpvsConfig, numeric: boolean, resolvePort?: PortResolver): string {
  return formatList(config, undefined, { rule: true, numeric, resolvePort });
}

/** `-L --timeout` */
export function formatTimeout(t: TimeoutsConfig): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}

// ------------------------------------------------------------ connections

export interface SessionEntry {
  protocol: string;
  client: string;
  virtual: string;
  server: string;
  state: string;
  /** Seconds until expiry. */
  expires: number;
  peName?: string;
  peData?: string;
}

function endpoint(x: unknown, addrKey: string[], portKey: string[], o: Record<string, unknown>): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'object' && x !== null) {
    const e = x as Record<string, unknown>;
    const a = e.address ?? e.ip ?? e.addr;
    const p = e.port;
    if (typeof a === 'string' && typeof p === 'number') return endpointKey({ address: a, port: p });
  }
  const a = addrKey.map((k) => o[k]).find((v) => typeof v === 'string');
  const p = portKey.map((k) => o[k]).find((v) => typeof v === 'number');
  return typeof a === 'string' ? endpointKey({ address: a, port: typeof p === 'number' ? p : 0 }) : '0.0.0.0:0';
}

/**
 * Normalise GET /api/v1/sessions: an array (or `{sessions: [...]}`) of
 * `{protocol, client, virtual, server, state, expires}` where an endpoint is
 * "a.b.c.d:port" or `{address, port}`; cip/cport, vip/vport, rip/rport
 * (or dip/dport) are accepted too.
 */
export function normalizeSessions(raw: unknown): SessionEntry[] {
  const list = Array.isArray(raw) ? raw
    : typeof raw === 'object' && raw !== null && Array.isArray((raw as { sessions?: unknown }).sessions)
      ? (raw as { sessions: unknown[] }).sessions : [];
  const out: SessionEntry[] = [];
  for (const it of list) {
    if (typeof it !== 'object' || it === null) continue;
    const o = it as Record<string, unknown>;
    out.push({
      protocol: String(o.protocol ?? 'tcp'),
      client: endpoint(o.client ?? o.source, ['cip', 'clientAddress'], ['cport', 'clientPort'], o),
      virtual: endpoint(o.virtual ?? o.vs, ['vip', 'virtualAddress'], ['vport', 'virtualPort'], o),
      server: endpoint(o.server ?? o.destination ?? o.dest, ['rip', 'dip', 'serverAddress'], ['rport', 'dport', 'serverPort'], o),
      state: String(o.state ?? 'NONE'),
      expires: typeof o.expires === 'number' ? Math.max(0, Math.floor(o.expires))
        : typeof o.expiresIn === 'number' ? Math.max(0, Math.floor(o.expiresIn)) : 0,
      peName: typeof o.peName === 'string' ? o.peName : undefined,
      peData: typeof o.peData === 'string' ? o.peData : undefined,
    });
  }
  return out;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `-L -c [-n]` (list_conn()/print_conn()). */
export function formatConnections(sessions: SessionEntry[], f: Partial<ListFormat> = {}): string {
  let out = 'IPVS connection entries\n';
  if (f.persistentConn) {
    out += `pro expire ${padR('state', 11)} ${padR('source', 18)} ${padR('virtual', 18)} ${padR('destination', 18)} ${padR('pe name', 16)} pe_data\n`;
  } else {
    out += `pro expire ${padR('state', 11)} ${padR('source', 18)} ${padR('virtual', 18)} destination\n`;
  }
  for (const s of sessions) {
    const expire = `${pad2(Math.floor(s.expires / 60))}:${pad2(s.expires % 60)}`;
    const proto = s.protocol.toUpperCase();
    const state = s.state.toUpperCase();
    if (f.persistentConn && s.peName !== undefined) {
      out += `${padR(proto, 3)} ${padR(expire, 6)} ${padR(state, 11)} ${padR(s.client, 18)} ${padR(s.virtual, 18)} ${padR(s.server, 16)} ${padR(s.peName, 18)} ${s.peData ?? ''}\n`;
    } else {
      out += `${padR(proto, 3)} ${padR(expire, 6)} ${padR(state, 11)} ${padR(s.client, 18)} ${padR(s.virtual, 18)} ${s.server}\n`;
    }
  }
  return out;
}

// ------------------------------------------------------------ LIPs (DPVS)

/**
 * `--get-laddr [-t VIP:port]`, in the layout of DPVS's ipvsadm
 * (VIP:VPORT TOTAL SNAT_IP CONFLICTS CONNS). Fulcrum has no per-LIP conflict
 * or connection counters in the config, so those columns print 0.
 */
export function formatLaddrs(config: IpvsConfig, service?: ServiceRef): string {
  let out = `${padR('VIP:VPORT', 20)} ${padR('TOTAL', 8)} ${padR('SNAT_IP', 20)} ${padR('CONFLICTS', 10)} ${padR('CONNS', 10)}\n`;
  const svcs = service ? [findService(config, service)!].filter(Boolean) : [...config.services].sort(cmpServices);
  for (const s of svcs) {
    const lips = config.lipPools?.[effectivePoolName(s)] ?? [];
    for (const lip of lips) {
      out += `${padR(addrport(s.vip, s.port, s.protocol, true), 20)} ${padR(String(lips.length), 8)} ${padR(lip, 20)} ${padR('0', 10)} ${padR('0', 10)}\n`;
    }
  }
  return out;
}

/** getservbyport() from /etc/services text. */
export function servicesResolver(etcServices: string): PortResolver {
  const map = new Map<string, string>();
  for (const line of etcServices.split('\n')) {
    const m = /^([A-Za-z0-9][\w.+-]*)\s+(\d+)\/(tcp|udp)\b/.exec(line);
    if (m && !map.has(`${m[2]}/${m[3]}`)) map.set(`${m[2]}/${m[3]}`, m[1]!);
  }
  return (port, proto) => map.get(`${port}/${proto}`);
}

/**
 * ipvsadm -L --daemon, as ipvsadm 1.31 prints what a 4.3+ kernel reports:
 * master first, then backup, each with its interface, sync id, maxlen,
 * group, port and TTL.
 */
export function formatDaemons(daemons: SyncDaemonView[]): string {
  const order = ['master', 'backup'];
  return [...daemons].sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state))
    .map((d) => `${d.state} sync daemon (mcast=${d.interface}, syncid=${d.syncId}, maxlen=${d.maxLen}, group=${d.group}, port=${d.port}, ttl=${d.ttl})\n`)
    .join('');
}
