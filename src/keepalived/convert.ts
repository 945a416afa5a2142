// keepalived.conf (LVS part) -> Fulcrum services, health-check descriptions
// and warnings. keepalived's own defaults apply where the file is silent
// (check_data.c validate_check_config()): protocol UDP ("no protocol set -
// defaulting to UDP"), forwarding NAT, scheduler wlc, persistence_timeout
// without a value 360 s, delay_loop 60 s, connect_timeout 5 s, real-server
// port = virtual-server port where keepalived would reset it. Everything not
// converted is reported with its line; nothing is dropped silently.
//
// Checkers become each real server's `healthCheck` (TCP_CHECK -> tcp,
// HTTP_GET -> http, SSL_GET -> http with tls, MISC_CHECK -> misc,
// SMTP_CHECK -> smtp, UDP_CHECK -> udp, PING_CHECK -> ping, DNS_CHECK -> dns) with their
// timing resolved through keepalived's inheritance (checker, real_server,
// virtual_server, then keepalived's checker defaults); inhibit_on_failure,
// sorry_server, quorum/hysteresis/quorum_up/quorum_down and alpha become the
// matching service / check fields.

import type {
  ForwardingMethod, FulcrumConfig, HealthCheckConfig, PersistenceConfig, Protocol, QuorumConfig,
  SchedFlag, Scheduler, ServerConfig, ServiceConfig,
} from '../config/types';
import { DNS_QUERY_TYPES, SCHEDULERS } from '../config/schema';
import { formatIPv4, isContiguousMask, maskOf, parseIPv4 } from '../net/ipv4';
import { formatIPv6, parseIPv6 } from '../net/ipv6';
import { familyOf } from '../net/family';
import { parseKeepalived, type Statement } from './parse';
import { serviceKey } from '../config/keys';

export type Severity = 'warning' | 'note';

export interface ImportWarning {
  line: number;
  severity: Severity;
  message: string;
}

export type StatusCode = number | [number, number];

export interface CheckUrl {
  /** keepalived.conf line of the url block. */
  line?: number;
  path: string;
  /** Accepted HTTP status codes; [lo, hi] is a range. keepalived's default is 200-299. */
  statusCodes: StatusCode[];
  digest?: string;
  virtualhost?: string;
}

export type CheckType = 'tcp' | 'http' | 'https' | 'misc' | 'smtp' | 'udp' | 'ping' | 'dns';

export interface ConvertedCheck {
  /** Service id as the API spells it: "tcp:198.18.0.100:80". */
  service: string;
  /** "RIP:port" */
  server: string;
  type: CheckType;
  /** keepalived checker keyword (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK). */
  keepalived: string;
  line: number;
  /** Seconds between checks (checker, real_server or virtual_server delay_loop; default 60). */
  delayLoop: number;
  /** Seconds; null for MISC_CHECK. Default 5. */
  connectTimeout: number | null;
  /** Retries before a server is marked down; null = not set (checker default). */
  retry: number | null;
  /** Seconds between retries; null = not set (keepalived then uses delay_loop). */
  delayBeforeRetry: number | null;
  warmup: number | null;
  /** Real server weight is set to 0 on failure instead of removing it. */
  inhibitOnFailure: boolean;
  connectIp?: string;
  connectPort?: number;
  bindTo?: string;
  bindPort?: number;
  virtualhost?: string;
  urls?: CheckUrl[];
  misc?: { command: string; timeout: number | null; dynamic: boolean; user?: string };
  /** SMTP_CHECK helo_name. */
  helo?: string;
  udp?: { payload?: string; requireReply: boolean; reply?: string; minReplyLength?: number; maxReplyLength?: number };
  dns?: { type?: string; name?: string };
}

export interface ImportFragment {
  services: ServiceConfig[];
  lipPools?: Record<string, string[]>;
}

export interface ImportResult {
  config: ImportFragment;
  warnings: ImportWarning[];
}

const DEFAULT_DELAY_LOOP = 60; // KEEPALIVED_DEFAULT_DELAY
const DEFAULT_CONNECT_TIMEOUT = 5;
const DEFAULT_PERSISTENCE = 360; // IPVS_SVC_PERSISTENT_TIMEOUT

const IGNORED_TOP = new Set([
  'global_defs', 'vrrp_script', 'vrrp_instance', 'vrrp_sync_group', 'static_ipaddress',
  'static_routes', 'static_rules', 'linkbeat_interfaces', 'garp_group', 'track_file',
  'vrrp_track_file', 'track_process', 'bfd_instance', 'net_namespace', 'instance',
  'use_pid_dir', 'use_instance', 'track_bfd',
]);

/**
 * keepalived 2.x checker defaults where the file is silent: retry and
 * delay_before_retry (TCP_CHECK, SMTP_CHECK, UDP_CHECK, PING_CHECK 1 / 1 s,
 * HTTP_GET and SSL_GET 1 / 3 s, MISC_CHECK 0 / 0 s, DNS_CHECK 3 / 1 s).
 */
const CHECKER_DEFAULTS: Record<CheckType, { retry: number; delayBeforeRetry: number }> = {
  tcp: { retry: 1, delayBeforeRetry: 1 },
  http: { retry: 1, delayBeforeRetry: 3 },
  https: { retry: 1, delayBeforeRetry: 3 },
  misc: { retry: 0, delayBeforeRetry: 0 },
  smtp: { retry: 1, delayBeforeRetry: 1 },
  udp: { retry: 1, delayBeforeRetry: 1 },
  ping: { retry: 1, delayBeforeRetry: 1 },
  dns: { retry: 3, delayBeforeRetry: 1 },
};
const CHECKERS: Record<string, CheckType> = {
  TCP_CHECK: 'tcp', HTTP_GET: 'http', SSL_GET: 'https', MISC_CHECK: 'misc',
  SMTP_CHECK: 'smtp', UDP_CHECK: 'udp', PING_CHECK: 'ping', DNS_CHECK: 'dns',
};
const OTHER_CHECKERS = new Set(['FILE_CHECK', 'BFD_CHECK']);
/** keepalived's hex strings (UDP_CHECK payload / require_reply): pairs of hex digits, spaces allowed. */
const HEX = /^([0-9a-fA-F]{2}\s*)+$/;

const METHODS: Record<string, ForwardingMethod> = {
  NAT: 'nat', DR: 'dr', TUN: 'tun', FNAT: 'fullnat', FULLNAT: 'fullnat',
};

interface Inherited {
  /** HTTP checks' Host; keepalived takes the url's, the checker's, the real server's, then the virtual server's. */
  virtualhost?: string;
  alpha?: boolean;
  delayLoop?: number;
  connectTimeout?: number;
  retry?: number;
  delayBeforeRetry?: number;
  inhibit?: boolean;
  /** An SMTP_CHECK host{} block was converted. */
  smtpHost?: boolean;
}

class Ctx {
  readonly warnings: ImportWarning[] = [];
  warn(line: number, message: string): void {
    this.warnings.push({ line, severity: 'warning', message });
  }
  note(line: number, message: string): void {
    this.warnings.push({ line, severity: 'note', message });
  }
}

function num(ctx: Ctx, st: Statement, opts: { min?: number; max?: number; int?: boolean } = {}): number | undefined {
  const v = st.args[0];
  const ok = v !== undefined && (opts.int === false ? /^\d+(\.\d+)?$/.test(v) : /^\d+$/.test(v));
  const n = ok ? Number(v) : NaN;
  if (!ok || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    ctx.warn(st.line, `${st.keyword}: invalid value ${v === undefined ? '(missing)' : `"${v}"`} - ignored`);
    return undefined;
  }
  return n;
}

/** keepalived's <BOOL>: no value is true; yes/no, true/false, on/off, 1/0. */
function bool(ctx: Ctx, st: Statement): boolean | undefined {
  const v = st.args[0]?.toLowerCase();
  if (v === undefined || ['yes', 'true', 'on', '1'].includes(v)) return true;
  if (['no', 'false', 'off', '0'].includes(v)) return false;
  ctx.warn(st.line, `${st.keyword}: "${st.args[0]}" is not a boolean - ignored`);
  return undefined;
}

/**
 * A script keyword (notify_up/down, quorum_up/down): `<STRING>|<QUOTED-STRING>
 * [username [:][groupname]]`: the first word is the command; a user after it
 * is not converted (Fulcrum runs commands as its own user).
 */
function script(ctx: Ctx, st: Statement): string | undefined {
  if (st.args.length === 0) {
    ctx.warn(st.line, `${st.keyword} without a command - ignored`);
    return undefined;
  }
  if (st.args.length > 1) ctx.warn(st.line, `${st.keyword}: user "${st.args.slice(1).join(' ')}" not converted (the command runs as the daemon's user)`);
  return st.args[0];
}

/** Keywords keepalived knows that Fulcrum understands but does not convert, and why. */
const NOT_CONVERTED: Record<string, string> = {
  log_all_failures: 'Fulcrum logs every state change, not each failure',
  fwmark: 'probes are not marked',
  bind_if: 'Fulcrum binds probes to the on-link DIP',
  http_protocol: 'Fulcrum speaks HTTP/1.1 with "Connection: close"',
  fast_recovery: 'Fulcrum checks at the delay loop',
  enable_sni: 'Fulcrum sends the virtualhost as SNI',
  sni_name: 'Fulcrum sends the virtualhost as SNI',
  tls_compliant: 'Fulcrum closes TLS cleanly',
  regex: 'Fulcrum checks the status and the digest, not the body by pattern',
  regex_no_match: 'no regex',
  regex_options: 'no regex',
  regex_stack: 'no regex',
  regex_min_offset: 'no regex',
  regex_max_offset: 'no regex',
  snmp_name: 'Fulcrum has no SNMP agent; its metrics are Prometheus',
  smtp_alert: 'Fulcrum sends no mail; use notify commands',
  persistence_engine: 'Fulcrum has no persistence engines such as sip',
  ops: 'Fulcrum has no one-packet scheduling',
  'flag-3': 'no Fulcrum scheduler uses it',
  ha_suspend: 'a VIP is always configured on the director',
  omega: 'Fulcrum runs no command when a service is removed',
  ip_family: 'the family follows the addresses',
  sorry_server_inhibit: 'the sorry server is published alone at weight 1',
  establish_timeout: 'a DPVS keyword without a Fulcrum equivalent',
  lvs_tunnel_type: 'TUN is IPIP',
  lb_tunnel_type: 'TUN is IPIP',
};

/** `lvs_method TUN [type {ipip|gue port N|gre} [csum...]]`: Fulcrum's TUN is IPIP, so only "type ipip" carries over. */
function tunnelOptions(ctx: Ctx, st: Statement): void {
  const opts = st.args.slice(1);
  if (opts.length === 0 || (opts.length === 2 && opts[0] === 'type' && opts[1]!.toLowerCase() === 'ipip')) return;
  ctx.warn(st.line, `${st.keyword}: tunnel options "${opts.join(' ')}" not converted (Fulcrum tunnels are IPIP)`);
}

/** keepalived's warmup (a random delay before the first check): reported once, where it is written. */
function warmup(ctx: Ctx, st: Statement): void {
  if (num(ctx, st, { int: false }) !== undefined) ctx.warn(st.line, 'warmup not converted: Fulcrum checks at once');
}

function notConverted(ctx: Ctx, st: Statement, where: string): boolean {
  const why = NOT_CONVERTED[st.keyword];
  if (why === undefined) return false;
  ctx.warn(st.line, `${where}: "${st.keyword}" not converted (${why})`);
  return true;
}

function port(v: string | undefined): number | null {
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v)) return null;
  const n = Number(v);
  return n <= 65535 ? n : null;
}

/** An address of either family as the config writes it (IPv6 as inet_ntop prints it), or null. */
function hostAddr(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (parseIPv4(text) !== null) return text;
  const v6 = text.includes(':') ? parseIPv6(text) : null;
  return v6 ? formatIPv6(v6) : null;
}

/** "a.b.c.d-e" (last-octet range), "a.b.c.d" or an IPv6 address -> addresses. */
function expandRange(s: string): string[] | null {
  const m = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+)$/.exec(s);
  if (!m) {
    const a = hostAddr(s);
    return a === null ? null : [a];
  }
  const lo = Number(m[2]);
  const hi = Number(m[3]);
  if (parseIPv4(`${m[1]}${lo}`) === null || hi > 255 || hi < lo) return null;
  const out: string[] = [];
  for (let i = lo; i <= hi; i++) out.push(`${m[1]}${i}`);
  return out;
}

function parseStatusCodes(ctx: Ctx, st: Statement): StatusCode[] {
  const out: StatusCode[] = [];
  for (const a of st.args.flatMap((x) => x.split(','))) {
    if (a === '') continue;
    const r = /^(\d{3})-(\d{3})$/.exec(a);
    if (r) out.push([Number(r[1]), Number(r[2])]);
    else if (/^\d{3}$/.test(a)) out.push(Number(a));
    else ctx.warn(st.line, `status_code: invalid value "${a}" - ignored`);
  }
  return out;
}

interface PendingCheck extends Omit<ConvertedCheck, 'service' | 'server' | 'delayLoop' | 'connectTimeout' | 'retry' | 'delayBeforeRetry' | 'warmup' | 'inhibitOnFailure'> {
  own: Inherited;
}

function convertChecker(ctx: Ctx, st: Statement): PendingCheck {
  const type = CHECKERS[st.keyword]!;
  const pc: PendingCheck = { type, keepalived: st.keyword, line: st.line, own: {} };
  let miscPath: string | undefined;
  let miscTimeout: number | null = null;
  let miscDynamic = false;
  let user: string | undefined;
  for (const k of st.block ?? []) {
    switch (k.keyword) {
      case 'connect_timeout': pc.own.connectTimeout = num(ctx, k, { int: false }); break;
      case 'retry':
      case 'nb_get_retry': pc.own.retry = num(ctx, k); break;
      case 'delay_before_retry': pc.own.delayBeforeRetry = num(ctx, k, { int: false }); break;
      case 'delay_loop': pc.own.delayLoop = num(ctx, k, { int: false }); break;
      case 'warmup': warmup(ctx, k); break;
      case 'alpha': pc.own.alpha = bool(ctx, k); break;
      case 'connect_ip': {
        const a = hostAddr(k.args[0]);
        if (a === null) ctx.warn(k.line, `connect_ip: not an IPv4 or IPv6 address "${k.args[0] ?? ''}" - ignored`);
        else pc.connectIp = a;
        break;
      }
      case 'connect_port': {
        const p = port(k.args[0]);
        if (p === null || k.args[0] === undefined) ctx.warn(k.line, 'connect_port: invalid port - ignored');
        else pc.connectPort = p;
        break;
      }
      case 'bindto':
        if (parseIPv4(k.args[0] ?? '') === null) ctx.warn(k.line, `bindto: not an IPv4 address "${k.args[0] ?? ''}" - ignored`);
        else pc.bindTo = k.args[0]!;
        break;
      case 'bind_port': {
        const p = port(k.args[0]);
        if (p === null || k.args[0] === undefined) ctx.warn(k.line, 'bind_port: invalid port - ignored');
        else pc.bindPort = p;
        break;
      }
      case 'virtualhost':
        if (type === 'http' || type === 'https') pc.virtualhost = k.args[0];
        else ctx.warn(k.line, `virtualhost is not valid in ${st.keyword} - ignored`);
        break;
      case 'url': {
        if (type !== 'http' && type !== 'https') {
          ctx.warn(k.line, `url is not valid in ${st.keyword} - ignored`);
          break;
        }
        const url: CheckUrl = { line: k.line, path: '/', statusCodes: [] };
        let hasPath = false;
        for (const u of k.block ?? []) {
          if (u.keyword === 'path') {
            url.path = u.args[0] ?? '/';
            hasPath = true;
          } else if (u.keyword === 'digest') url.digest = u.args[0];
          else if (u.keyword === 'status_code') url.statusCodes.push(...parseStatusCodes(ctx, u));
          else if (u.keyword === 'virtualhost') url.virtualhost = u.args[0];
          else if (!notConverted(ctx, u, 'url')) ctx.warn(u.line, `url: unknown keyword "${u.keyword}" - not converted`);
        }
        if (!hasPath) ctx.warn(k.line, 'url without path - using "/"');
        if (url.statusCodes.length === 0) url.statusCodes = [[200, 299]]; // keepalived: any 2xx
        (pc.urls ??= []).push(url);
        break;
      }
      case 'misc_path':
        if (type !== 'misc') ctx.warn(k.line, `misc_path is not valid in ${st.keyword} - ignored`);
        else miscPath = k.args.join(' ');
        break;
      case 'misc_timeout':
        if (type !== 'misc') ctx.warn(k.line, `misc_timeout is not valid in ${st.keyword} - ignored`);
        else miscTimeout = num(ctx, k, { int: false }) ?? null;
        break;
      case 'misc_dynamic':
        miscDynamic = true;
        break;
      case 'user':
        user = k.args.join(' ');
        break;
      case 'helo_name':
        if (type !== 'smtp') ctx.warn(k.line, `helo_name is not valid in ${st.keyword} - ignored`);
        else if (!/^\S{1,255}$/.test(k.args[0] ?? '')) ctx.warn(k.line, `helo_name: invalid name "${k.args[0] ?? ''}" - ignored`);
        else pc.helo = k.args[0]!;
        break;
      case 'host':
        // SMTP_CHECK's deprecated host{} blocks: keepalived checks each in turn.
        if (type !== 'smtp') ctx.warn(k.line, `host is not valid in ${st.keyword} - ignored`);
        else if (pc.own.smtpHost) ctx.warn(k.line, 'SMTP_CHECK: Fulcrum checks one host - only the first host block is converted');
        else {
          pc.own.smtpHost = true;
          for (const h of k.block ?? []) {
            if (h.keyword === 'connect_ip' && hostAddr(h.args[0]) !== null) pc.connectIp = hostAddr(h.args[0])!;
            else if (h.keyword === 'connect_port' && port(h.args[0]) !== null && h.args[0] !== undefined) pc.connectPort = port(h.args[0])!;
            else ctx.warn(h.line, `SMTP_CHECK host: "${[h.keyword, ...h.args].join(' ')}" not converted`);
          }
        }
        break;
      case 'payload':
      case 'require_reply': {
        if (type !== 'udp') {
          ctx.warn(k.line, `${k.keyword} is not valid in ${st.keyword} - ignored`);
          break;
        }
        const hex = k.args.join(' ');
        pc.udp ??= { requireReply: false };
        if (k.keyword === 'require_reply') pc.udp.requireReply = true;
        if (hex === '' && k.keyword === 'require_reply') break;
        if (!HEX.test(hex)) ctx.warn(k.line, `${k.keyword}: "${hex}" is not a hex string - ignored`);
        else if (k.keyword === 'payload') pc.udp.payload = hex;
        else pc.udp.reply = hex;
        break;
      }
      case 'min_reply_length':
      case 'max_reply_length': {
        if (type !== 'udp') {
          ctx.warn(k.line, `${k.keyword} is not valid in ${st.keyword} - ignored`);
          break;
        }
        const n = num(ctx, k, { max: 65535 });
        pc.udp ??= { requireReply: false };
        if (n !== undefined) pc.udp[k.keyword === 'min_reply_length' ? 'minReplyLength' : 'maxReplyLength'] = n;
        break;
      }
      case 'type':
      case 'name':
        if (type !== 'dns') {
          ctx.warn(k.line, `${k.keyword} is not valid in ${st.keyword} - ignored`);
          break;
        }
        pc.dns ??= {};
        if (k.keyword === 'name') pc.dns.name = k.args[0] ?? '.';
        else if ((DNS_QUERY_TYPES as readonly string[]).includes((k.args[0] ?? '').toUpperCase())) pc.dns.type = (k.args[0] ?? '').toUpperCase();
        else ctx.warn(k.line, `type: unknown DNS query type "${k.args[0] ?? ''}" - defaulting to SOA, as keepalived does`);
        break;
      default:
        if (!notConverted(ctx, k, st.keyword)) ctx.warn(k.line, `${st.keyword}: unknown keyword "${k.keyword}" - not converted`);
    }
  }
  if (type === 'misc') {
    if (miscPath === undefined) ctx.warn(st.line, 'MISC_CHECK without misc_path');
    pc.misc = { command: miscPath ?? '', timeout: miscTimeout, dynamic: miscDynamic, ...(user ? { user } : {}) };
  } else if (type === 'http' || type === 'https') {
    if (!pc.urls?.length) ctx.warn(st.line, `${st.keyword} without url - keepalived would not check anything`);
  }
  return pc;
}

interface PendingServer {
  address: string;
  port: number;
  line: number;
  weight: number;
  method?: ForwardingMethod;
  upperThreshold?: number;
  lowerThreshold?: number;
  own: Inherited;
  checks: PendingCheck[];
  notify?: { up?: string; down?: string };
}

function convertRealServer(ctx: Ctx, st: Statement): PendingServer | null {
  const addr = hostAddr(st.args[0]);
  if (addr === null) {
    ctx.warn(st.line, `real_server: "${st.args[0] ?? ''}" is not an IPv4 or IPv6 address - real server skipped`);
    return null;
  }
  const p = port(st.args[1]);
  if (p === null) {
    ctx.warn(st.line, `real_server: invalid port "${st.args[1]}" - real server skipped`);
    return null;
  }
  const rs: PendingServer = { address: addr, port: p, line: st.line, weight: 1, own: {}, checks: [] };
  for (const k of st.block ?? []) {
    if (CHECKERS[k.keyword]) {
      rs.checks.push(convertChecker(ctx, k));
      continue;
    }
    switch (k.keyword) {
      case 'weight': {
        const w = num(ctx, k);
        if (w !== undefined) {
          if (w > 65535) ctx.warn(k.line, `weight ${w} is above 65535 (IPVS limit) - using 65535`);
          rs.weight = Math.min(w, 65535);
        }
        break;
      }
      case 'inhibit_on_failure': rs.own.inhibit = bool(ctx, k); break;
      case 'alpha': rs.own.alpha = bool(ctx, k); break;
      case 'virtualhost': rs.own.virtualhost = k.args[0]; break;
      case 'uthreshold': rs.upperThreshold = num(ctx, k); break;
      case 'lthreshold': rs.lowerThreshold = num(ctx, k); break;
      case 'lb_kind':
      case 'lvs_method': {
        const m = METHODS[(k.args[0] ?? '').toUpperCase()];
        if (!m) ctx.warn(k.line, `${k.keyword}: unknown forwarding method "${k.args[0] ?? ''}" - ignored`);
        else rs.method = m;
        tunnelOptions(ctx, k);
        break;
      }
      case 'connect_timeout': rs.own.connectTimeout = num(ctx, k, { int: false }); break;
      case 'retry':
      case 'nb_get_retry': rs.own.retry = num(ctx, k); break;
      case 'delay_before_retry': rs.own.delayBeforeRetry = num(ctx, k, { int: false }); break;
      case 'delay_loop': rs.own.delayLoop = num(ctx, k, { int: false }); break;
      case 'warmup': warmup(ctx, k); break;
      case 'notify_up':
      case 'notify_down': {
        const cmd = script(ctx, k);
        if (cmd !== undefined) (rs.notify ??= {})[k.keyword === 'notify_up' ? 'up' : 'down'] = cmd;
        break;
      }
      default:
        if (OTHER_CHECKERS.has(k.keyword)) ctx.warn(k.line, `${k.keyword} is not supported by Fulcrum health checks - not converted`);
        else if (!notConverted(ctx, k, 'real_server')) ctx.warn(k.line, `real_server: unknown keyword "${k.keyword}" - not converted`);
    }
  }
  return rs;
}

interface Endpoint {
  vip: string;
  port: number;
}

/** Convert keepalived.conf text. `file` is only used in messages. */
export function convertKeepalived(text: string): ImportResult {
  const ctx = new Ctx();
  const parsed = parseKeepalived(text);
  for (const p of parsed.problems) ctx.warn(p.line, p.message);

  const groups = new Map<string, Endpoint[]>();
  const lipGroups = new Map<string, string[]>();
  const lipGroupLines = new Map<string, number>();
  const services: ServiceConfig[] = [];
  const seen = new Map<string, number>();

  // Pass 1: groups (keepalived resolves them after parsing the whole file).
  for (const st of parsed.statements) {
    if (st.keyword === 'virtual_server_group') {
      const name = st.args[0];
      if (!name) {
        ctx.warn(st.line, 'virtual_server_group without a name - skipped');
        continue;
      }
      const eps: Endpoint[] = [];
      for (const e of st.block ?? []) {
        if (e.keyword === 'fwmark') {
          ctx.warn(e.line, `virtual_server_group ${name}: fwmark entries are not supported by Fulcrum - not converted`);
          continue;
        }
        const addrs = expandRange(e.keyword);
        const p = port(e.args[0]);
        if (!addrs || p === null) {
          ctx.warn(e.line, `virtual_server_group ${name}: "${[e.keyword, ...e.args].join(' ')}" is not "IPv4[-range] port" or "IPv6 port" - not converted`);
          continue;
        }
        for (const a of addrs) eps.push({ vip: a, port: p });
      }
      if (groups.has(name)) ctx.warn(st.line, `virtual_server_group ${name} defined twice - the later one is used`);
      groups.set(name, eps);
    } else if (st.keyword === 'local_address_group') {
      // DPVS keepalived: FULLNAT local addresses -> a Fulcrum LIP pool.
      const name = st.args[0];
      if (!name || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/.test(name)) {
        ctx.warn(st.line, `local_address_group: invalid name "${name ?? ''}" - skipped`);
        continue;
      }
      const ips: string[] = [];
      for (const e of st.block ?? []) {
        const addrs = expandRange(e.keyword);
        if (!addrs) {
          ctx.warn(e.line, `local_address_group ${name}: "${e.keyword}" is not an IPv4 address or range, nor an IPv6 address - not converted`);
          continue;
        }
        if (e.args.length) ctx.warn(e.line, `local_address_group ${name}: interface "${e.args.join(' ')}" not converted (Fulcrum LIPs are port addresses)`);
        for (const a of addrs) if (!ips.includes(a)) ips.push(a);
      }
      lipGroups.set(name, ips);
      lipGroupLines.set(name, st.line);
    }
  }

  // Pass 2: everything else.
  for (const st of parsed.statements) {
    switch (st.keyword) {
      case 'virtual_server_group':
      case 'local_address_group':
        break;
      case 'SSL':
        ctx.warn(st.line, 'SSL (the client certificate of SSL_GET) not converted: Fulcrum\'s SSL_GET presents no certificate');
        break;
      case 'include':
        // fulcrum import-keepalived follows includes before this runs
        // (include.ts); one left here came as text, with no file to resolve it from.
        ctx.warn(st.line, `include ${st.args.join(' ')} is not supported - the included file was not read; import it separately`);
        break;
      case 'virtual_server':
        convertVirtualServer(ctx, st, groups, lipGroups, services, seen);
        break;
      default:
        if (IGNORED_TOP.has(st.keyword)) ctx.note(st.line, `${st.keyword} ignored (not part of the load-balancer config)`);
        else ctx.warn(st.line, `unknown top-level keyword "${st.keyword}" - not converted`);
    }
  }

  const used = new Set(services.map((s) => s.lipPool).filter((x): x is string => x !== undefined));
  const lipPools: Record<string, string[]> = {};
  for (const [n, ips] of lipGroups) {
    if (used.has(n)) lipPools[n] = ips;
    else ctx.note(lipGroupLines.get(n) ?? 0, `local_address_group ${n} is not used by any converted virtual_server - left out`);
  }
  const config: ImportFragment = { services };
  if (Object.keys(lipPools).length) config.lipPools = lipPools;
  ctx.warnings.sort((a, b) => a.line - b.line);
  return { config, warnings: ctx.warnings };
}

function convertVirtualServer(
  ctx: Ctx,
  st: Statement,
  groups: Map<string, Endpoint[]>,
  lipGroups: Map<string, string[]>,
  services: ServiceConfig[],
  seen: Map<string, number>,
): void {
  // --- which endpoints
  let endpoints: Endpoint[];
  let label: string;
  if (st.args[0] === 'group') {
    const g = groups.get(st.args[1] ?? '');
    label = `group ${st.args[1] ?? ''}`;
    if (!g) {
      ctx.warn(st.line, `virtual_server group ${st.args[1] ?? ''}: no such virtual_server_group - not converted`);
      return;
    }
    endpoints = g;
  } else if (st.args[0] === 'fwmark') {
    ctx.warn(st.line, 'virtual_server fwmark: firewall-mark services are not supported by Fulcrum - not converted');
    return;
  } else {
    const vip = hostAddr(st.args[0]) ?? '';
    label = st.args.join(' ');
    if (vip === '') {
      ctx.warn(st.line, `virtual_server ${label}: "${st.args[0] ?? ''}" is not an IPv4 or IPv6 address - not converted`);
      return;
    }
    const p = port(st.args[1]);
    if (p === null) {
      ctx.warn(st.line, `virtual_server ${label}: invalid port - not converted`);
      return;
    }
    endpoints = [{ vip, port: p }];
  }

  // --- settings
  let protocol: Protocol | undefined;
  let scheduler: Scheduler | undefined;
  let method: ForwardingMethod | undefined;
  // DPVS's "lb_kind FNAT" adds TOA to every TCP connection; the import keeps that.
  let dpvsFnatLine: number | undefined;
  let synProxyLine: number | undefined;
  let persistTimeout: number | undefined;
  let granularity: string | undefined;
  let granularityLen: number | undefined;
  let lipPool: string | undefined;
  const schedFlags: SchedFlag[] = [];
  const vsOwn: Inherited = {};
  const servers: PendingServer[] = [];
  let sorry: { address: string; port: number; line: number } | undefined;
  let sorryMethod: ForwardingMethod | undefined;
  const quorum: Partial<QuorumConfig> = {};
  let quorumLine: number | undefined;
  let skip = false;

  for (const k of st.block ?? []) {
    switch (k.keyword) {
      case 'delay_loop': vsOwn.delayLoop = num(ctx, k, { int: false }); break;
      case 'virtualhost': vsOwn.virtualhost = k.args[0]; break;
      case 'connect_timeout': vsOwn.connectTimeout = num(ctx, k, { int: false }); break;
      case 'retry': vsOwn.retry = num(ctx, k); break;
      case 'delay_before_retry': vsOwn.delayBeforeRetry = num(ctx, k, { int: false }); break;
      case 'warmup': warmup(ctx, k); break;
      case 'inhibit_on_failure': vsOwn.inhibit = bool(ctx, k); break;
      case 'alpha': vsOwn.alpha = bool(ctx, k); break;
      case 'quorum': quorum.count = num(ctx, k, { min: 1 }); quorumLine ??= k.line; break;
      case 'hysteresis': quorum.hysteresis = num(ctx, k); quorumLine ??= k.line; break;
      case 'quorum_up': quorum.up = script(ctx, k); quorumLine ??= k.line; break;
      case 'quorum_down': quorum.down = script(ctx, k); quorumLine ??= k.line; break;
      case 'sorry_server_lvs_method': {
        const m = METHODS[(k.args[0] ?? '').toUpperCase()];
        if (!m) ctx.warn(k.line, `sorry_server_lvs_method: unknown forwarding method "${k.args[0] ?? ''}" - ignored`);
        else sorryMethod = m;
        break;
      }
      case 'lb_algo':
      case 'lvs_sched': {
        const s = (k.args[0] ?? '').toLowerCase();
        if ((SCHEDULERS as readonly string[]).includes(s)) scheduler = s as Scheduler;
        else ctx.warn(k.line, `${k.keyword}: scheduler "${k.args[0] ?? ''}" is not supported by Fulcrum - using wlc`);
        break;
      }
      case 'lb_kind':
      case 'lvs_method': {
        const m = METHODS[(k.args[0] ?? '').toUpperCase()];
        if (!m) ctx.warn(k.line, `${k.keyword}: unknown forwarding method "${k.args[0] ?? ''}" - ignored`);
        else method = m;
        dpvsFnatLine = (k.args[0] ?? '').toUpperCase() === 'FNAT' ? k.line : undefined;
        tunnelOptions(ctx, k);
        break;
      }
      case 'persistence_timeout':
        if (k.args.length === 0) persistTimeout = DEFAULT_PERSISTENCE;
        else {
          const t = num(ctx, k, { min: 0 });
          // keepalived: 0 is "not persistent", the same as leaving it out.
          if (t === 0) persistTimeout = undefined;
          else if (t !== undefined) {
            if (t > 2678400) ctx.warn(k.line, `persistence_timeout ${t} is above 31 days - using 2678400`);
            persistTimeout = Math.min(t, 2678400);
          }
        }
        break;
      case 'persistence_granularity': {
        const a = k.args[0] ?? '';
        const v = parseIPv4(a);
        // A dotted mask (IPv4), or a prefix length: an IPv6 service's granularity, or an IPv4 one's up to 32.
        if (v !== null && isContiguousMask(v)) granularity = a;
        else if (/^\d+$/.test(a) && Number(a) >= 1 && Number(a) <= 128) granularityLen = Number(a);
        else ctx.warn(k.line, `persistence_granularity: "${a}" is not a netmask or prefix length - ignored`);
        break;
      }
      case 'protocol': {
        const p = (k.args[0] ?? '').toUpperCase();
        if (p === 'TCP' || p === 'UDP') protocol = p.toLowerCase() as Protocol;
        else {
          ctx.warn(k.line, `protocol ${k.args[0] ?? ''} is not supported by Fulcrum (TCP and UDP only) - virtual_server not converted`);
          skip = true;
        }
        break;
      }
      case 'sorry_server': {
        const a = hostAddr(k.args[0]);
        const p = port(k.args[1]);
        if (a === null || p === null) ctx.warn(k.line, `sorry_server "${k.args.join(' ')}" is not "address port" - ignored`);
        else sorry = { address: a, port: p, line: k.line };
        break;
      }
      case 'real_server': {
        const rs = convertRealServer(ctx, k);
        if (rs) servers.push(rs);
        break;
      }
      case 'hashed':
        ctx.warn(k.line, 'hashed (IPVS "sh"/"mh" hashing flag for generic schedulers) not converted');
        break;
      case 'sh-port':
      case 'sh-fallback':
      case 'mh-port':
      case 'mh-fallback':
        schedFlags.push(k.keyword as SchedFlag);
        break;
      case 'flag-1':
      case 'flag-2':
        // flag-1/2 are sh/mh's fallback/port flags; resolved once lb_algo is known.
        schedFlags.push(k.keyword as SchedFlag);
        break;
      case 'syn_proxy':
        // DPVS: answer SYNs with cookies (a flag without a value).
        synProxyLine = k.line;
        break;
      case 'laddr_group_name':
        if (!lipGroups.has(k.args[0] ?? '')) ctx.warn(k.line, `laddr_group_name: no local_address_group "${k.args[0] ?? ''}" - ignored`);
        else lipPool = k.args[0];
        break;
      default:
        if (CHECKERS[k.keyword] || OTHER_CHECKERS.has(k.keyword)) {
          ctx.warn(k.line, `${k.keyword} directly in virtual_server is not valid (checkers belong in real_server) - not converted`);
        } else if (notConverted(ctx, k, 'virtual_server')) {
          // reported
        } else {
          ctx.warn(k.line, `virtual_server: unknown keyword "${k.keyword}" - not converted`);
        }
    }
  }
  if (skip) return;

  if (protocol === undefined) {
    ctx.warn(st.line, `virtual_server ${label}: no protocol set - defaulting to UDP (keepalived's default; add "protocol TCP" if that is what you meant)`);
    protocol = 'udp';
  }
  if (scheduler === undefined) scheduler = 'wlc';
  if (method === undefined && servers.some((r) => r.method === undefined)) {
    ctx.note(st.line, `virtual_server ${label}: no forwarding method set, setting default NAT (keepalived's default)`);
    method = 'nat';
  }

  // Scheduler flags: resolve flag-1/2, drop the ones for another scheduler.
  const flags: SchedFlag[] = [];
  for (const f of schedFlags) {
    let name = f as string;
    if (f === ('flag-1' as SchedFlag) || f === ('flag-2' as SchedFlag)) {
      if (scheduler !== 'sh' && scheduler !== 'mh') {
        ctx.warn(st.line, `virtual_server ${label}: ${f} only has a meaning for sh/mh in Fulcrum - not converted`);
        continue;
      }
      name = `${scheduler}-${f === ('flag-1' as SchedFlag) ? 'fallback' : 'port'}`;
    } else if (name.slice(0, 2) !== scheduler) {
      ctx.warn(st.line, `virtual_server ${label}: ${name} needs scheduler ${name.slice(0, 2)} - not converted`);
      continue;
    }
    if (!flags.includes(name as SchedFlag)) flags.push(name as SchedFlag);
  }

  if (servers.length === 0) {
    ctx.warn(st.line, `virtual_server ${label} has no real servers - ignored, as keepalived does`);
    return;
  }

  for (const ep of endpoints) {
    // The granularity in each family's terms: a netmask for IPv4, a prefix length for IPv6.
    const v6 = familyOf(ep.vip) === 6;
    let netmask = granularity ?? '255.255.255.255';
    let ipv6PrefixLength: number | undefined;
    if (v6) {
      if (granularity !== undefined) ctx.warn(st.line, `virtual_server ${label}: persistence_granularity ${granularity} is an IPv4 netmask - ignored for IPv6 ${ep.vip}`);
      netmask = '255.255.255.255';
      ipv6PrefixLength = granularityLen;
    } else if (granularityLen !== undefined) {
      if (granularityLen <= 32) netmask = formatIPv4(maskOf(granularityLen));
      else ctx.warn(st.line, `virtual_server ${label}: persistence_granularity ${granularityLen} is above 32 - ignored for IPv4 ${ep.vip}`);
    }
    let persistence: PersistenceConfig | null = persistTimeout !== undefined
      ? { timeout: persistTimeout, netmask, ...(ipv6PrefixLength ? { ipv6PrefixLength } : {}) } : null;
    if ((granularity !== undefined || granularityLen !== undefined) && persistTimeout === undefined) {
      ctx.warn(st.line, `virtual_server ${label}: persistence_granularity without persistence_timeout has no effect - ignored`);
    }
    if (ep.port === 0 && persistence === null) {
      ctx.warn(st.line, `virtual_server ${ep.vip}:0: zero port only valid for persistent services - setting persistence_timeout ${DEFAULT_PERSISTENCE}`);
      persistence = { timeout: DEFAULT_PERSISTENCE, netmask, ...(ipv6PrefixLength ? { ipv6PrefixLength } : {}) };
    }
    const id = serviceKey({ protocol, vip: ep.vip, port: ep.port });
    const prev = seen.get(id);
    if (prev !== undefined) {
      ctx.warn(st.line, `virtual_server ${protocol.toUpperCase()} ${ep.vip}:${ep.port} already defined at line ${prev} - not converted again`);
      continue;
    }
    seen.set(id, st.line);

    const out: ServerConfig[] = [];
    const inhibits: boolean[] = [];
    for (const rs of servers) {
      const m = rs.method ?? method!;
      let p = rs.port;
      if (p === 0) p = ep.port;
      if ((m === 'dr' || m === 'tun') && p !== ep.port) {
        ctx.warn(rs.line, `WARNING - virtual server ${ep.vip}:${ep.port} and real server ${rs.address}:${rs.port} ports don't match - resetting (${m.toUpperCase()} cannot map ports)`);
        p = ep.port;
      }
      if (out.some((o) => o.address === rs.address && o.port === p)) {
        ctx.warn(rs.line, `real_server ${rs.address}:${p} listed twice in virtual_server ${ep.vip}:${ep.port} - duplicate skipped`);
        continue;
      }
      const sc: ServerConfig = { address: rs.address, port: p, weight: rs.weight, method: m };
      if (rs.upperThreshold !== undefined) sc.upperThreshold = rs.upperThreshold;
      if (rs.lowerThreshold !== undefined) sc.lowerThreshold = rs.lowerThreshold;
      if (rs.notify) sc.notify = { ...rs.notify };
      out.push(sc);

      const [c, ...more] = rs.checks;
      for (const x of more) {
        if (ep === endpoints[0]) ctx.warn(x.line, `${x.keepalived}: Fulcrum runs one checker per real server - only the first (line ${c!.line}) is converted`);
      }
      if (c) {
        const hc = toHealthCheck(ctx, c, rs, vsOwn, ep === endpoints[0]);
        if (hc) sc.healthCheck = hc;
      }
      inhibits.push(Boolean(rs.own.inhibit ?? vsOwn.inhibit));
    }
    const svc: ServiceConfig = {
      protocol,
      vip: ep.vip,
      port: ep.port,
      scheduler,
      schedFlags: [...flags],
      persistence,
      expireNodestConn: false,
      servers: out,
      inhibitOnFailure: inhibits.some((x) => x),
    };
    if (inhibits.some((x) => x) && !inhibits.every((x) => x) && ep === endpoints[0]) {
      ctx.warn(st.line, `virtual_server ${label}: inhibit_on_failure is set for some real servers only - Fulcrum sets it per service, so it applies to all of them`);
    }
    if (lipPool !== undefined) svc.lipPool = lipPool;
    if (sorry) {
      let sp = sorry.port === 0 ? ep.port : sorry.port;
      const sm = sorryMethod ?? method ?? out[0]?.method;
      if ((sm === 'dr' || sm === 'tun') && sp !== ep.port) {
        ctx.warn(sorry.line, `sorry_server ${sorry.address}:${sorry.port}: ${sm.toUpperCase()} cannot map ports - using ${ep.port}`);
        sp = ep.port;
      }
      svc.sorryServer = { address: sorry.address, port: sp, weight: 1, ...(sm ? { method: sm } : {}) };
    }
    // Only where every destination is FULLNAT: TOA rides in the director's own copy of the stream.
    const allFullnat = out.length > 0 && out.every((r) => r.method === 'fullnat') &&
      (svc.sorryServer?.method ?? out[0]!.method) === 'fullnat';
    if (synProxyLine !== undefined) {
      if (protocol === 'tcp' && allFullnat) svc.synProxy = true;
      else if (ep === endpoints[0]) ctx.warn(synProxyLine, `virtual_server ${label}: syn_proxy needs a TCP service whose real and sorry servers are all FULLNAT - not converted`);
    }
    if (dpvsFnatLine !== undefined && protocol === 'tcp' && allFullnat) {
      if (v6) {
        ctx.warn(dpvsFnatLine, `virtual_server ${label}: lb_kind FNAT - DPVS adds TOA to every connection; IPv6 ${ep.vip} gets none (Fulcrum has no IPv6 TOA yet)`);
      } else {
        svc.toa = true;
        if (ep === endpoints[0]) ctx.note(dpvsFnatLine, `virtual_server ${label}: lb_kind FNAT - DPVS adds TOA (TCP option 254) to every connection, so toa is set`);
      }
    }
    if (quorumLine !== undefined) {
      const q: QuorumConfig = { count: quorum.count ?? 1, hysteresis: quorum.hysteresis ?? 0 };
      if (quorum.up) q.up = quorum.up;
      if (quorum.down) q.down = quorum.down;
      svc.quorum = q;
    }
    services.push(svc);
  }
  const fullnatNoPool = lipPool === undefined && (method === 'fullnat' || servers.some((r) => r.method === 'fullnat'));
  if (fullnatNoPool) ctx.note(st.line, `virtual_server ${label}: FULLNAT without laddr_group_name uses lipPools.default`);
}

/** One keepalived checker -> a Fulcrum healthCheck; `report` limits warnings to the first endpoint of a group. */
function toHealthCheck(ctx: Ctx, c: PendingCheck, rs: PendingServer, vsOwn: Inherited, report: boolean): HealthCheckConfig | null {
  const warn = (line: number, m: string): void => {
    if (report) ctx.warn(line, m);
  };
  const pick = <K extends keyof Inherited>(key: K): Inherited[K] => c.own[key] ?? rs.own[key] ?? vsOwn[key];
  const d = CHECKER_DEFAULTS[c.type];
  const hc: HealthCheckConfig = {
    type: c.type === 'https' ? 'http' : c.type,
    delayLoop: pick('delayLoop') ?? DEFAULT_DELAY_LOOP,
    connectTimeout: pick('connectTimeout') ?? DEFAULT_CONNECT_TIMEOUT,
    retry: pick('retry') ?? d.retry,
    delayBeforeRetry: pick('delayBeforeRetry') ?? d.delayBeforeRetry,
    rise: 1,
    fall: 1,
    alpha: pick('alpha') ?? false,
  };
  if (c.bindTo !== undefined || c.bindPort !== undefined) {
    warn(c.line, `${c.keepalived}: bindto/bind_port not converted (Fulcrum binds probes to the on-link DIP)`);
  }
  if (c.type === 'misc') {
    const m = c.misc!;
    if (!m.command) return null;
    hc.misc = { command: m.command, dynamic: m.dynamic, ...(m.timeout !== null ? { timeout: m.timeout } : {}) };
    if (m.user) warn(c.line, `MISC_CHECK: user "${m.user}" not converted (the command runs as the daemon's user)`);
    return hc;
  }
  if (c.connectIp !== undefined) hc.connectIp = c.connectIp;
  if (c.connectPort !== undefined) hc.connectPort = c.connectPort;
  if (c.type === 'http' || c.type === 'https') {
    const toUrl = (u: CheckUrl) => {
      const url: { path: string; statusCodes: string[]; digest?: string } = {
        path: u.path.replace(/\s/g, (ch) => encodeURIComponent(ch)),
        statusCodes: u.statusCodes.map((x) => (Array.isArray(x) ? `${x[0]}-${x[1]}` : String(x))),
      };
      if (u.digest !== undefined) {
        if (/^[0-9a-fA-F]{32}$/.test(u.digest)) url.digest = u.digest.toLowerCase();
        else warn(u.line ?? c.line, `${c.keepalived}: digest "${u.digest}" is not an md5 hex digest - not converted`);
      }
      return url;
    };
    const [u, ...more] = c.urls ?? [];
    const first = toUrl(u ?? { path: '/', statusCodes: [[200, 299]] });
    hc.http = { ...first, tls: c.type === 'https' };
    // keepalived checks every url; the rest follow the first.
    if (more.length) hc.http.extraUrls = more.map(toUrl);
    const inherited = c.virtualhost ?? rs.own.virtualhost ?? vsOwn.virtualhost;
    const hostOf = (x: CheckUrl | undefined): string | undefined => x?.virtualhost ?? inherited;
    const host = hostOf(u);
    if (more.some((x) => hostOf(x) !== host)) {
      warn(c.line, `${c.keepalived}: urls with different virtualhosts - Fulcrum sends one Host per check, the first url's`);
    }
    if (host !== undefined) hc.http.host = host;
  } else if (c.type === 'smtp') {
    hc.smtp = { helo: c.helo ?? 'smtpchecker.keepalived.org' };
  } else if (c.type === 'udp') {
    const u = c.udp ?? { requireReply: false };
    hc.udp = { requireReply: u.requireReply, minReplyLength: u.minReplyLength ?? 0, maxReplyLength: u.maxReplyLength ?? 255 };
    if (u.payload !== undefined) hc.udp.payload = u.payload;
    if (u.reply !== undefined) hc.udp.reply = u.reply;
  } else if (c.type === 'dns') {
    hc.dns = { type: (c.dns?.type ?? 'SOA') as NonNullable<HealthCheckConfig['dns']>['type'], name: c.dns?.name ?? '.' };
  } else if (c.type === 'ping' && c.connectPort !== undefined) {
    warn(c.line, 'PING_CHECK: connect_port has no meaning for ICMP - ignored');
    delete hc.connectPort;
  }
  return hc;
}

/**
 * Merge an import into a base config: imported services replace base
 * services with the same (protocol, VIP, port); imported LIP pools replace
 * base pools of the same name. A pool address that no port has yet (DPVS's
 * local_address_group) becomes a LIP on the port on-link for the real
 * servers of the services that use the pool, with that network's prefix
 * length. The result is raw config for validateConfig().
 */
export function mergeImport(base: object, frag: ImportFragment): Record<string, unknown> {
  const out = structuredClone(base) as Record<string, unknown> & Partial<Pick<FulcrumConfig, 'services' | 'lipPools'>>;
  const incoming = new Set(frag.services.map(serviceKey));
  out.services = [...(out.services ?? []).filter((s) => !incoming.has(serviceKey(s))), ...structuredClone(frag.services)];
  if (frag.lipPools) out.lipPools = { ...(out.lipPools ?? {}), ...structuredClone(frag.lipPools) };
  const ports = Array.isArray(out.ports) ? (out.ports as { addresses?: { ip?: unknown; role?: unknown }[] }[]) : [];
  const onPorts = new Set(ports.flatMap((p) => (p.addresses ?? []).map((a) => String(a.ip).split('/')[0])));
  for (const [pool, ips] of Object.entries(frag.lipPools ?? {})) {
    const servers = frag.services.filter((s) => s.lipPool === pool).flatMap((s) => s.servers.map((r) => parseIPv4(r.address)));
    for (const ip of ips) {
      if (onPorts.has(ip)) continue;
      const home = ports.flatMap((p) => (p.addresses ?? []).map((a) => ({ p, a }))).find(({ a }) => {
        const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(String(a.ip));
        if (!m || a.role === 'vip' || Number(m[2]) >= 32) return false;
        const net = parseIPv4(m[1]!)!;
        const mask = maskOf(Number(m[2]));
        return servers.some((r) => r !== null && ((r & mask) >>> 0) === ((net & mask) >>> 0));
      });
      if (!home) continue; // validation names the address that no port carries
      home.p.addresses!.push({ ip: `${ip}/${String(home.a.ip).split('/')[1]}`, role: 'lip' });
      onPorts.add(ip);
    }
  }
  return out;
}
