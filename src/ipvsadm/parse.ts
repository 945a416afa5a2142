// ipvsadm 1.31 argument grammar (popt style), as ipvsadm.c parse_options()
// and process_options() implement it: the first option is the command, the
// rest are options checked against the commands_v_options table, with the
// same messages and exit statuses. Fulcrum additions follow DPVS's ipvsadm:
// --fullnat (forwarding method) and --add-laddr/--del-laddr/--get-laddr with
// -z/--laddr, mapped onto the service's LIP pool.
//
// Exit statuses as ipvsadm: fail() exits 2; tryhelp_exit(argv0, -1) and popt
// errors exit 255 (-1 & 0xff).

import type { ForwardingMethod, Protocol } from '../config/types';
import { spawnSync } from 'node:child_process';
import { parseIPv4 } from '../net/ipv4';
import { formatIPv6, parseIPv6 } from '../net/ipv6';
import { familyOf } from '../net/family';
import { IFNAME_PATTERN, PROXY_PROTOCOL_VERSIONS } from '../config/schema';

export const PROGRAM = 'fulcrumadm';

/** ipvsadm.c MAX_TIMEOUT (31 days). */
export const MAX_TIMEOUT = 86400 * 31;
/** libipvs.h IPVS_SVC_PERSISTENT_TIMEOUT (6*60): `-p` without a value. */
export const DEFAULT_PERSISTENT_TIMEOUT = 6 * 60;
export const DEF_SCHED = 'wlc';

export type Command =
  | 'add-service' | 'edit-service' | 'delete-service' | 'flush' | 'list'
  | 'add-server' | 'delete-server' | 'edit-server' | 'set' | 'start-daemon'
  | 'stop-daemon' | 'restore' | 'save' | 'zero'
  // Fulcrum (DPVS) additions
  | 'add-laddr' | 'del-laddr' | 'get-laddr'
  // not table commands: handled before the table check
  | 'help' | 'version';

export interface ServiceRef {
  protocol: Protocol;
  vip: string;
  port: number;
}

export interface ListFormat {
  numeric: boolean;
  connection: boolean;
  timeout: boolean;
  daemon: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  nosort: boolean;
  exact: boolean;
}

export interface ParsedCommand {
  cmd: Command;
  service?: ServiceRef;
  scheduler?: string;
  /** Set when -p was given (value or the 360 s default). */
  persistent?: number;
  netmask?: string;
  /** -M of an IPv6 service: a prefix length. */
  prefix6?: number;
  /** -b argument, split on commas, not yet checked against the scheduler. */
  schedFlags?: string[];
  server?: { address: string; port: number };
  /** --tun-type: only ipip, and only for a tunnelled server (-i). */
  tunType?: 'ipip';
  /** --proxy-protocol v1|v2 (DPVS's ipvsadm) and --toa: the client address for FULLNAT servers. */
  proxyProtocol?: 'v1' | 'v2';
  toa?: boolean;
  /** -j / --synproxy (DPVS's ipvsadm): answer SYNs with SYN cookies. */
  synProxy?: boolean;
  /** Forwarding method; ipvsadm defaults to DR (-g) when none is given. */
  method: ForwardingMethod;
  methodGiven: boolean;
  weight: number;
  weightGiven: boolean;
  uThreshold: number;
  lThreshold: number;
  thresholdsGiven: boolean;
  laddr?: string;
  timeouts?: { tcp: number; tcpFin: number; udp: number };
  /** --start-daemon / --stop-daemon and their options. */
  daemon?: DaemonArgs;
  format: ListFormat;
  /** Option names given, for callers that care (ipvsadm optnames). */
  options: Set<string>;
}

export interface DaemonArgs {
  state: 'master' | 'backup';
  interface?: string;
  syncId?: number;
  maxLen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

export interface ParseError {
  error: true;
  /** Lines for stderr (without trailing newline). */
  message: string;
  exitCode: number;
}

export type ParseResult = ParsedCommand | ParseError;

export function isParseError(r: unknown): r is ParseError {
  return typeof r === 'object' && r !== null && (r as ParseError).error === true;
}

class Fail extends Error {
  constructor(readonly exitCode: number, msg: string) {
    super(msg);
  }
}
const fail = (code: number, msg: string): never => {
  throw new Fail(code, msg);
};
export const tryHelpLine = (prog = PROGRAM): string =>
  `Try \`${prog} -h' or '${prog} --help' for more information.`;

// ------------------------------------------------------------ option table

type ArgKind = 'none' | 'string' | 'optional';
interface OptDef {
  long: string;
  short?: string;
  arg: ArgKind;
  /** Identifies the option in the switch below. */
  tag: string;
}

const OPTS: OptDef[] = [
  { long: 'add-service', short: 'A', arg: 'none', tag: 'A' },
  { long: 'edit-service', short: 'E', arg: 'none', tag: 'E' },
  { long: 'delete-service', short: 'D', arg: 'none', tag: 'D' },
  { long: 'clear', short: 'C', arg: 'none', tag: 'C' },
  { long: 'list', short: 'L', arg: 'none', tag: 'L' },
  { long: 'list', short: 'l', arg: 'none', tag: 'L' },
  { long: 'zero', short: 'Z', arg: 'none', tag: 'Z' },
  { long: 'add-server', short: 'a', arg: 'none', tag: 'a' },
  { long: 'edit-server', short: 'e', arg: 'none', tag: 'e' },
  { long: 'delete-server', short: 'd', arg: 'none', tag: 'd' },
  { long: 'set', arg: 'none', tag: 'set' },
  { long: 'help', short: 'h', arg: 'none', tag: 'h' },
  { long: 'version', short: 'v', arg: 'none', tag: 'v' },
  { long: 'restore', short: 'R', arg: 'none', tag: 'R' },
  { long: 'save', short: 'S', arg: 'none', tag: 'S' },
  { long: 'start-daemon', arg: 'string', tag: 'start-daemon' },
  { long: 'stop-daemon', arg: 'string', tag: 'stop-daemon' },
  { long: 'tcp-service', short: 't', arg: 'string', tag: 't' },
  { long: 'udp-service', short: 'u', arg: 'string', tag: 'u' },
  { long: 'sctp-service', arg: 'string', tag: 'sctp' },
  { long: 'fwmark-service', short: 'f', arg: 'string', tag: 'f' },
  { long: 'scheduler', short: 's', arg: 'string', tag: 's' },
  { long: 'persistent', short: 'p', arg: 'optional', tag: 'p' },
  { long: 'netmask', short: 'M', arg: 'string', tag: 'M' },
  { long: 'real-server', short: 'r', arg: 'string', tag: 'r' },
  { long: 'masquerading', short: 'm', arg: 'none', tag: 'm' },
  { long: 'ipip', short: 'i', arg: 'none', tag: 'i' },
  { long: 'gatewaying', short: 'g', arg: 'none', tag: 'g' },
  { long: 'weight', short: 'w', arg: 'string', tag: 'w' },
  { long: 'u-threshold', short: 'x', arg: 'string', tag: 'x' },
  { long: 'l-threshold', short: 'y', arg: 'string', tag: 'y' },
  { long: 'numeric', short: 'n', arg: 'none', tag: 'n' },
  { long: 'connection', short: 'c', arg: 'none', tag: 'c' },
  { long: 'mcast-interface', arg: 'string', tag: 'mcast-interface' },
  { long: 'syncid', arg: 'string', tag: 'syncid' },
  { long: 'timeout', arg: 'none', tag: 'timeout' },
  { long: 'daemon', arg: 'none', tag: 'daemon' },
  { long: 'stats', arg: 'none', tag: 'stats' },
  { long: 'rate', arg: 'none', tag: 'rate' },
  { long: 'thresholds', arg: 'none', tag: 'thresholds' },
  { long: 'persistent-conn', arg: 'none', tag: 'persistent-conn' },
  { long: 'nosort', arg: 'none', tag: 'nosort' },
  { long: 'sort', arg: 'none', tag: 'sort' },
  { long: 'exact', short: 'X', arg: 'none', tag: 'X' },
  { long: 'ipv6', short: '6', arg: 'none', tag: '6' },
  { long: 'ops', short: 'o', arg: 'none', tag: 'o' },
  { long: 'pe', arg: 'string', tag: 'pe' },
  { long: 'sched-flags', short: 'b', arg: 'string', tag: 'b' },
  { long: 'mcast-group', arg: 'string', tag: 'mcast-group' },
  { long: 'mcast-port', arg: 'string', tag: 'mcast-port' },
  { long: 'mcast-ttl', arg: 'string', tag: 'mcast-ttl' },
  { long: 'sync-maxlen', arg: 'string', tag: 'sync-maxlen' },
  { long: 'tun-info', arg: 'none', tag: 'tun-info' },
  { long: 'tun-type', arg: 'string', tag: 'tun-type' },
  { long: 'tun-port', arg: 'string', tag: 'tun-port' },
  { long: 'tun-nocsum', arg: 'none', tag: 'tun-nocsum' },
  { long: 'tun-csum', arg: 'none', tag: 'tun-csum' },
  { long: 'tun-remcsum', arg: 'none', tag: 'tun-remcsum' },
  // Fulcrum / DPVS additions
  { long: 'fullnat', arg: 'none', tag: 'fullnat' },
  { long: 'add-laddr', short: 'P', arg: 'none', tag: 'add-laddr' },
  { long: 'del-laddr', short: 'Q', arg: 'none', tag: 'del-laddr' },
  { long: 'get-laddr', short: 'G', arg: 'none', tag: 'get-laddr' },
  { long: 'laddr', short: 'z', arg: 'string', tag: 'z' },
  { long: 'proxy-protocol', arg: 'string', tag: 'proxy-protocol' },
  { long: 'toa', arg: 'none', tag: 'toa' },
  { long: 'synproxy', short: 'j', arg: 'none', tag: 'synproxy' },
];
const BY_LONG = new Map(OPTS.map((o) => [o.long, o]));
const BY_SHORT = new Map(OPTS.filter((o) => o.short).map((o) => [o.short!, o]));

// ipvsadm.c optnames[] order, plus Fulcrum's (DPVS's) "laddr", "proxy-protocol", "toa" and "synproxy" last.
const OPTNAMES = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask',
  'real-server', 'forwarding-method', 'weight', 'u-threshold', 'l-threshold',
  'mcast-interface', 'timeout', 'daemon', 'stats', 'rate', 'thresholds',
  'persistent-conn', 'nosort', 'syncid', 'exact', 'ops', 'pe', 'sched-flags',
  'mcast-group', 'mcast-port', 'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type',
  'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum', 'laddr', 'proxy-protocol', 'toa', 'synproxy',
] as const;
type OptName = (typeof OPTNAMES)[number];

// commands_v_options from ipvsadm.c, one string per command, one char per
// option in OPTNAMES order ('+' compulsory, 'x' illegal, '1' exclusive,
// ' ' optional). The last four columns (laddr, proxy-protocol, toa, synproxy) are Fulcrum's (DPVS's).
const TABLE: Record<string, string> = {
  'add-service':    'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx   ',
  'edit-service':   'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx   ',
  'delete-service': 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'flush':          'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'list':           ' 11xxxxxxxxx11       xxxxxxx xxxxxxxxx',
  'add-server':     'xx+xxx+    xxxxxxxxxxxxxxxxxx     xxxx',
  'delete-server':  'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'edit-server':    'xx+xxx+    xxxxxxxxxxxxxxxxxx     xxxx',
  'set':            'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'start-daemon':   'xxxxxxxxxxx xxxxxxx xxxx    xxxxxxxxxx',
  'stop-daemon':    'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxxxx',
  'restore':        'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'save':           ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'zero':           'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'add-laddr':      'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx+xxx',
  'del-laddr':      'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx+xxx',
  'get-laddr':      ' x xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
};

function genericOptCheck(cmd: string, given: Set<OptName>): void {
  const row = TABLE[cmd]!;
  let last = -1;
  let count = 0;
  OPTNAMES.forEach((name, j) => {
    const k = row[j] ?? 'x';
    if (!given.has(name)) {
      if (k === '+') fail(2, `You need to supply the '${name}' option for the '${cmd}' command`);
    } else {
      if (k === 'x') fail(2, `Illegal '${name}' option with the '${cmd}' command`);
      if (k === '1') {
        count++;
        if (count === 1) {
          last = j;
          return;
        }
        fail(2, `The option '${name}' conflicts with the '${OPTNAMES[last]}' option in the '${cmd}' command`);
      }
    }
  });
}

// ------------------------------------------------------------ value parsers

/** string_to_number(): whole string decimal (strtol base 10) within [min, max], else -1. */
export function stringToNumber(s: string, min: number, max: number): number {
  if (!/^\s*[+-]?\d+$/.test(s)) return -1;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : -1;
}

/** A few /etc/services names so `-t VIP:http` works without the resolver. */
const SERVICE_PORTS: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, www: 80, pop3: 110,
  imap: 143, ldap: 389, https: 443, imaps: 993, pop3s: 995, mysql: 3306,
  postgresql: 5432, 'http-alt': 8080,
};

/** A host name to its IPv4 address, or null: ipvsadm's host_to_addr(). */
export type HostResolver = (host: string) => string | null;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;

/** gethostbyname() as ipvsadm calls it, through NSS (/etc/hosts, then DNS): getent ahostsv4. */
export const nssResolver: HostResolver = (host) => {
  const r = spawnSync('getent', ['ahostsv4', host], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return null;
  const addr = r.stdout.split(/\s+/)[0] ?? '';
  return parseIPv4(addr) === null ? null : addr;
};

/**
 * parse_service(): "addr[:port]" or "[IPv6]:port" (a bare IPv6 address has
 * no port). Returns null where ipvsadm's result lacks SERVICE_ADDR. A host
 * name is resolved to its IPv4 address, as ipvsadm's host_to_addr() does;
 * the address is what the config keeps (IPv6 as inet_ntop prints it).
 */
export function parseServiceAddr(buf: string, resolve: HostResolver = nssResolver): { addr: string; port?: number } | null {
  if (buf === '' || /^\d+$/.test(buf)) return null;
  let text = buf;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return null;
    portText = text.slice(close + 2);
    text = text.slice(1, close);
  }
  const v6 = parseIPv6(text);
  let host: string;
  if (v6) {
    host = formatIPv6(v6);
  } else {
    // As ipvsadm: the port is after the last colon of what is left.
    const colon = text.lastIndexOf(':');
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
    host = colon >= 0 ? text.slice(0, colon) : text;
    if (parseIPv4(host) === null) {
      const resolved = HOSTNAME.test(host) && !/^[\d.]+$/.test(host) ? resolve(host) : null;
      if (resolved === null) return null;
      host = resolved;
    }
  }
  if (portText === undefined) return { addr: host };
  const p = portText;
  let port = stringToNumber(p, 0, 65535);
  if (port === -1) port = SERVICE_PORTS[p] ?? -1;
  if (port === -1) return null;
  return { addr: host, port };
}

/** parse_netmask(): inet_aton() accepts a dotted quad. */
/** ipvsadm's parse_value for the daemon options: a number in [min, max], or `illegal <what> specified`. */
function daemonNumber(s: string | undefined, min: number, max: number, what: string): number {
  const n = stringToNumber(s ?? '', min, max);
  if (n === -1) fail(2, `illegal ${what} specified`);
  return n;
}

function parseNetmask(s: string): string | null {
  return parseIPv4(s) === null ? null : s;
}

function parseTimeout(s: string | undefined, min: number, max: number): number {
  if (s === undefined) return DEFAULT_PERSISTENT_TIMEOUT;
  const n = stringToNumber(s, min, max);
  if (n === -1) fail(2, `invalid timeout value \`${s}' specified`);
  return n;
}

const notSupported = (what: string): never => fail(2, `${what} is not supported by Fulcrum`);

// ------------------------------------------------------------ tokenizer (popt)

interface Tok {
  opt: OptDef;
  /** How the user spelled it, for popt error messages. */
  spelled: string;
  arg?: string;
}

class Popt {
  private i = 0;
  private cluster: { chars: string; pos: number; word: string } | null = null;
  readonly leftovers: string[] = [];
  private done = false;

  constructor(private readonly argv: string[]) {}

  /** Next option, null at the end; throws a popt-style error. */
  next(): Tok | null {
    if (this.cluster) {
      const c = this.cluster;
      const ch = c.chars[c.pos]!;
      c.pos++;
      const opt = BY_SHORT.get(ch);
      if (!opt) throw new PoptError(`-${ch}`, 'unknown option');
      const rest = c.chars.slice(c.pos);
      if (opt.arg === 'none') {
        if (c.pos >= c.chars.length) this.cluster = null;
        return { opt, spelled: `-${ch}` };
      }
      this.cluster = null;
      if (rest !== '') return { opt, spelled: `-${ch}`, arg: rest };
      return { opt, spelled: `-${ch}`, arg: this.takeArg(opt, `-${ch}`) };
    }
    while (this.i < this.argv.length) {
      const a = this.argv[this.i++]!;
      if (this.done || a === '-' || !a.startsWith('-')) {
        this.leftovers.push(a);
        continue;
      }
      if (a === '--') {
        this.done = true;
        continue;
      }
      if (a.startsWith('--')) {
        const eq = a.indexOf('=');
        const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
        const opt = BY_LONG.get(name);
        if (!opt) throw new PoptError(eq >= 0 ? a.slice(0, eq) : a, 'unknown option');
        if (opt.arg === 'none') {
          if (eq >= 0) throw new PoptError(a, 'option does not take an argument');
          return { opt, spelled: a };
        }
        if (eq >= 0) return { opt, spelled: a.slice(0, eq), arg: a.slice(eq + 1) };
        return { opt, spelled: a, arg: this.takeArg(opt, a) };
      }
      this.cluster = { chars: a.slice(1), pos: 0, word: a };
      return this.next();
    }
    return null;
  }

  private takeArg(opt: OptDef, spelled: string): string | undefined {
    const nxt = this.argv[this.i];
    if (opt.arg === 'optional') {
      // POPT_ARGFLAG_OPTIONAL: take the next word unless it looks like an option.
      if (nxt !== undefined && !nxt.startsWith('-')) {
        this.i++;
        return nxt;
      }
      return undefined;
    }
    if (nxt === undefined) throw new PoptError(spelled, 'missing argument');
    this.i++;
    return nxt;
  }
}

class PoptError extends Error {
  constructor(readonly bad: string, readonly why: string) {
    super(`${bad}: ${why}`);
  }
}

// ------------------------------------------------------------ the parser

const COMMAND_TAGS: Record<string, Command> = {
  A: 'add-service', E: 'edit-service', D: 'delete-service', a: 'add-server',
  e: 'edit-server', d: 'delete-server', C: 'flush', L: 'list', Z: 'zero',
  set: 'set', R: 'restore', S: 'save', 'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon', 'add-laddr': 'add-laddr', 'del-laddr': 'del-laddr',
  'get-laddr': 'get-laddr', h: 'help', v: 'version',
};

function emptyFormat(): ListFormat {
  return {
    numeric: false, connection: false, timeout: false, daemon: false, stats: false,
    rate: false, thresholds: false, persistentConn: false, nosort: false, exact: false,
  };
}

/**
 * Parse one ipvsadm command line (without the program name). A bare
 * `fulcrumadm` (no arguments) lists the table like `ipvsadm` does.
 */
export function parseIpvsadm(argv: string[], prog = PROGRAM, resolve: HostResolver = nssResolver): ParseResult {
  try {
    return parseInner(argv, prog, resolve);
  } catch (e) {
    if (e instanceof Fail) return { error: true, message: e.message, exitCode: e.exitCode };
    if (e instanceof PoptError) return { error: true, message: e.message, exitCode: 255 };
    throw e;
  }
}

function parseInner(argv: string[], prog: string, resolve: HostResolver): ParsedCommand {
  const pc: ParsedCommand = {
    cmd: 'list', method: 'dr', methodGiven: false, weight: 1, weightGiven: false,
    uThreshold: 0, lThreshold: 0, thresholdsGiven: false, format: emptyFormat(),
    options: new Set(),
  };
  if (argv.length === 0) return pc;

  const given = new Set<OptName>();
  const setOption = (name: OptName): void => {
    if (given.has(name)) fail(2, `multiple '${name}' options specified`);
    given.add(name);
    pc.options.add(name);
  };
  const popt = new Popt(argv);
  // Daemon options outside --start-daemon/--stop-daemon are refused by the
  // option table; until then they collect here.
  const daemonArg = (): DaemonArgs => (pc.daemon ??= { state: 'master' });

  let first: Tok | null;
  try {
    first = popt.next();
  } catch (e) {
    if (e instanceof PoptError) fail(255, tryHelpLine(prog));
    throw e;
  }
  const cmd = first ? COMMAND_TAGS[first.opt.tag] : undefined;
  if (!first || !cmd) return fail(255, tryHelpLine(prog));
  pc.cmd = cmd;
  if (cmd === 'help' || cmd === 'version') return pc;
  if (cmd === 'start-daemon' || cmd === 'stop-daemon') {
    const state = first.arg;
    if (state !== 'master' && state !== 'backup') return fail(2, `illegal ${cmd} parameter specified`);
    pc.daemon = { state };
  }

  let schedFlagsArg: string | undefined;
  let svcProtocol: Protocol = 'tcp';
  for (let t = popt.next(); t !== null; t = popt.next()) {
    const arg = t.arg;
    switch (t.opt.tag) {
      case 't':
      case 'u': {
        setOption('service-address');
        svcProtocol = t.opt.tag === 't' ? 'tcp' : 'udp';
        const s = parseServiceAddr(arg!, resolve);
        if (!s) fail(2, 'illegal virtual server address[:port] specified');
        pc.service = { protocol: svcProtocol, vip: s!.addr, port: s!.port ?? 0 };
        break;
      }
      case 'sctp':
        notSupported('SCTP (--sctp-service)');
        break;
      case 'f':
        notSupported('fwmark-service (-f)');
        break;
      case 's':
        setOption('scheduler');
        pc.scheduler = arg!.slice(0, 15); // IP_VS_SCHEDNAME_MAXLEN - 1
        break;
      case 'p':
        setOption('persistent');
        pc.persistent = parseTimeout(arg, 1, MAX_TIMEOUT);
        break;
      case 'M': {
        setOption('netmask');
        if (pc.service && familyOf(pc.service.vip) === 6) {
          // ipvsadm 1.31: an IPv6 service's -M is a prefix length (atoi, 1..128).
          const n = Number.parseInt(arg!, 10);
          if (!(n >= 1 && n <= 128)) fail(2, 'illegal ipv6 netmask specified');
          pc.prefix6 = n;
          break;
        }
        const m = parseNetmask(arg!);
        if (m === null) fail(2, 'illegal virtual server persistent mask specified');
        pc.netmask = m!;
        break;
      }
      case 'r': {
        setOption('real-server');
        const s = parseServiceAddr(arg!, resolve);
        if (!s) fail(2, 'illegal real server address[:port] specified');
        // copy vport to dport if not specified (uses the service parsed so far)
        pc.server = { address: s!.addr, port: s!.port ?? pc.service?.port ?? 0 };
        break;
      }
      case 'i':
      case 'g':
      case 'm':
      case 'fullnat':
        setOption('forwarding-method');
        pc.methodGiven = true;
        pc.method = ({ i: 'tun', g: 'dr', m: 'nat', fullnat: 'fullnat' } as const)[t.opt.tag];
        break;
      case 'w':
        setOption('weight');
        pc.weightGiven = true;
        if ((pc.weight = stringToNumber(arg!, 0, 65535)) === -1) fail(2, 'illegal weight specified');
        break;
      case 'x':
        setOption('u-threshold');
        pc.thresholdsGiven = true;
        if ((pc.uThreshold = stringToNumber(arg!, 0, 2147483647)) === -1) fail(2, 'illegal u_threshold specified');
        break;
      case 'y':
        setOption('l-threshold');
        pc.thresholdsGiven = true;
        if ((pc.lThreshold = stringToNumber(arg!, 0, 2147483647)) === -1) fail(2, 'illegal l_threshold specified');
        break;
      case 'c':
        setOption('connection');
        pc.format.connection = true;
        break;
      case 'n':
        setOption('numeric');
        pc.format.numeric = true;
        break;
      case 'timeout':
        setOption('timeout');
        pc.format.timeout = true;
        break;
      case 'daemon':
        setOption('daemon');
        pc.format.daemon = true;
        break;
      case 'stats':
        setOption('stats');
        pc.format.stats = true;
        break;
      case 'rate':
        setOption('rate');
        pc.format.rate = true;
        break;
      case 'thresholds':
        setOption('thresholds');
        pc.format.thresholds = true;
        break;
      case 'persistent-conn':
        setOption('persistent-conn');
        pc.format.persistentConn = true;
        break;
      case 'nosort':
        setOption('nosort');
        pc.format.nosort = true;
        break;
      case 'sort':
        break; // no-op, as ipvsadm
      case 'X':
        setOption('exact');
        pc.format.exact = true;
        break;
      case 'b':
        setOption('sched-flags');
        schedFlagsArg = arg!;
        break;
      case 'z': {
        setOption('laddr');
        if (parseIPv4(arg!) === null) fail(2, 'illegal local address specified');
        pc.laddr = arg!;
        break;
      }
      case 'proxy-protocol':
        // DPVS's ipvsadm spells it so; Fulcrum takes the two versions.
        setOption('proxy-protocol');
        if (!(PROXY_PROTOCOL_VERSIONS as readonly string[]).includes(arg!)) {
          fail(2, `illegal proxy protocol version specified (${PROXY_PROTOCOL_VERSIONS.join(' or ')})`);
        }
        pc.proxyProtocol = arg as 'v1' | 'v2';
        break;
      case 'toa':
        setOption('toa');
        pc.toa = true;
        break;
      case 'synproxy':
        setOption('synproxy');
        pc.synProxy = true;
        break;
      case '6':
        notSupported('IPv6 fwmark services (-6)');
        break;
      case 'o':
        notSupported('one-packet scheduling (--ops)');
        break;
      case 'pe':
        notSupported('a persistence engine (--pe)');
        break;
      case 'mcast-interface':
        setOption('mcast-interface');
        if (!new RegExp(IFNAME_PATTERN).test(arg!)) fail(2, 'illegal mcast-interface specified');
        daemonArg().interface = arg!;
        break;
      case 'syncid':
        setOption('syncid');
        daemonArg().syncId = daemonNumber(arg, 0, 255, 'syncid');
        break;
      case 'mcast-group': {
        setOption('mcast-group');
        const g = parseIPv4(arg ?? '');
        if (g === null || (g >>> 28) !== 0xe) fail(2, 'invalid mcast-group specified');
        daemonArg().group = arg!;
        break;
      }
      case 'mcast-port':
        setOption('mcast-port');
        daemonArg().port = daemonNumber(arg, 1, 65535, 'mcast-port');
        break;
      case 'mcast-ttl':
        setOption('mcast-ttl');
        daemonArg().ttl = daemonNumber(arg, 1, 255, 'mcast-ttl');
        break;
      case 'sync-maxlen':
        setOption('sync-maxlen');
        daemonArg().maxLen = daemonNumber(arg, 1, 65535 - 20 - 8, 'sync-maxlen');
        break;
      case 'tun-type':
        // ipvsadm 1.31 (kernels 5.2+): ipip, gue, gre. Fulcrum's TUN is IPIP.
        setOption('tun-type');
        if (arg === 'gue' || arg === 'gre') {
          fail(2, `tunnel type ${arg} is not supported: Fulcrum tunnels to real servers in IPIP only (--tun-type ipip)`);
        }
        if (arg !== 'ipip') fail(2, 'illegal tunnel type specified');
        pc.tunType = 'ipip';
        break;
      case 'tun-info': case 'tun-port': case 'tun-nocsum':
      case 'tun-csum': case 'tun-remcsum':
        notSupported(`tunnel options (--${t.opt.long})`);
        break;
      default:
        // A second command: set_command()
        if (COMMAND_TAGS[t.opt.tag]) fail(2, 'multiple commands specified');
        fail(2, `invalid option \`${t.spelled}'`);
    }
  }

  if (pc.tunType && pc.method !== 'tun') fail(2, '--tun-type is only for a tunnelled real server (-i)');
  if (pc.cmd === 'start-daemon' && !pc.daemon?.interface) {
    fail(2, '--mcast-interface is required: the port (or its kernel twin) the sync daemon runs on');
  }
  const args = popt.leftovers;
  if (pc.cmd === 'set') {
    if (args.length < 3) fail(2, '--set option requires 3 timeout values');
    pc.timeouts = {
      tcp: parseTimeout(args[0], 0, MAX_TIMEOUT),
      tcpFin: parseTimeout(args[1], 0, MAX_TIMEOUT),
      udp: parseTimeout(args[2], 0, MAX_TIMEOUT),
    };
    args.splice(0, 3);
  }
  if (args.length > 0) fail(2, `unexpected argument ${args[0]}`);

  if (schedFlagsArg !== undefined) pc.schedFlags = parseSchedFlags(pc.scheduler, schedFlagsArg);

  genericOptCheck(pc.cmd, given);

  if (pc.cmd === 'add-service' || pc.cmd === 'edit-service') {
    if (pc.service!.port === 0 && pc.persistent === undefined) {
      fail(2, 'Zero port specified for non-persistent service');
    }
    if (pc.scheduler === undefined || pc.scheduler === '') pc.scheduler = DEF_SCHED;
  }
  if ((pc.cmd === 'add-server' || pc.cmd === 'edit-server') && pc.service && pc.server) {
    // DR and TUN cannot map ports: the destination port is the service port.
    if (pc.method === 'dr' || pc.method === 'tun') pc.server.port = pc.service.port;
  }
  if (pc.cmd === 'list' && pc.format.connection && pc.service) {
    // unreachable through the table ('1' exclusive), kept for clarity
  }
  if (pc.cmd === 'list') {
    const f = pc.format;
    if (((f.connection || f.timeout || f.daemon) && (f.stats || f.rate || f.thresholds)) ||
        ((f.timeout || f.daemon) && f.persistentConn)) {
      fail(2, 'options conflicts in the list command');
    }
  }
  return pc;
}

/**
 * parse_sched_flags(): ipvsadm names flag-1..3 generically and sh-/mh- flags
 * by scheduler. Fulcrum's config only models the sh/mh flags, so flag-N maps
 * to them for sh/mh (flag-1 = *-fallback, flag-2 = *-port) and is rejected
 * for other schedulers (where the kernel ignores them anyway).
 */
function parseSchedFlags(sched: string | undefined, arg: string): string[] {
  const s = sched && sched !== '' ? sched : DEF_SCHED;
  const out: string[] = [];
  const flags = arg.split(',').filter((f) => f !== '');
  if (flags.length === 0) fail(2, `invalid scheduler flag \`${arg}'`);
  for (const f of flags) {
    let name: string;
    if (f === 'flag-1' || f === 'flag-2') {
      if (s !== 'sh' && s !== 'mh') fail(2, `scheduler flag \`${f}' is not supported by Fulcrum for scheduler ${s}`);
      name = `${s}-${f === 'flag-1' ? 'fallback' : 'port'}`;
    } else if (f === 'flag-3') {
      return fail(2, `scheduler flag \`${f}' is not supported by Fulcrum`);
    } else if (f === 'sh-fallback' || f === 'sh-port' || f === 'mh-fallback' || f === 'mh-port') {
      if (s !== f.slice(0, 2)) fail(2, `incompatible scheduler flag \`${f}'`);
      name = f;
    } else {
      return fail(2, `invalid scheduler flag \`${f}'`);
    }
    if (!out.includes(name)) out.push(name);
  }
  // Print order is fixed (fallback before port), as print_sched_flags().
  return out.sort((a, b) => (a.endsWith('fallback') ? 0 : 1) - (b.endsWith('fallback') ? 0 : 1));
}

/**
 * Split one `-S` line into words, as config_stream.c does for -R: blanks
 * separate words, double quotes group, `#` starts a comment at a word start.
 */
export function splitRestoreLine(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === '"') quote = false;
      else cur += ch;
      continue;
    }
    if (ch === '"') {
      quote = true;
      inWord = true;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
