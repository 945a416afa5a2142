// Config validation: schema first (shape, types, ranges, defaults), then the
// semantic checks a schema cannot express (clashes, reachability, LVS rules).
// Every problem is collected; the operator fixes a config in one pass, not one
// error per restart.
import Ajv, { type ErrorObject } from 'ajv';
import { CHECK_BLOCKS, checkBlockDefaults, configSchema, PATTERN_DESCRIPTIONS, SYNC_STATES } from './schema';
import type {
  ConfigError, ConfigResult, ForwardingMethod, FulcrumConfig, HealthCheckConfig, ServiceConfig,
} from './types';

import {
  formatIPv4, isContiguousMask, maskOf, networkOf, parseCidr, parseIPv4, prefixContains, prefixesOverlap,
} from '../net/ipv4';
import { pciAddress } from '../net/device';
import { resolvePorts } from '../net/ports';
import { TCP_EDIT_METHODS } from '../native/vocabulary';
import { endpointKey, serviceKey } from './keys';
import { floatingAddresses, syncEndpoint } from '../ha/config';
import { familyOf } from '../net/family';
import { checkIpv6Host, checkIpv6Services } from './validate6';

// ---------------------------------------------------------------- schema step

const ajv = new Ajv({
  allErrors: true,
  useDefaults: true,
  strict: true,
  allowUnionTypes: true, // twin: string|false, persistence: object|null
  verbose: true, // parentSchema lets us word range errors as "from 1 to 64"
});
const schemaValidate = ajv.compile(configSchema);

/** "/ports/0/addresses/1/ip" -> "ports[0].addresses[1].ip" */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function schemaError(e: ErrorObject): ConfigError | null {
  const base = pointerToPath(e.instancePath);
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const at = base === '' ? '(root)' : base;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((parent.properties as object | undefined) ?? {});
      const hint = allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
      return { path: join(base, key), message: `unknown key${hint}` };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { path: join(base, key), message: 'is required' };
    }
    case 'type': {
      const t = (e.params as { type: string | string[] }).type;
      const types = (Array.isArray(t) ? t : String(t).split(',')).join(' or ');
      return { path: at, message: `must be ${types}` };
    }
    case 'enum': {
      const vals = (e.params as { allowedValues: unknown[] }).allowedValues;
      return { path: at, message: `must be one of: ${vals.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    case 'pattern': {
      const p = (e.params as { pattern: string }).pattern;
      return { path: at, message: PATTERN_DESCRIPTIONS[p] ?? `must match ${p}` };
    }
    case 'minimum':
    case 'maximum': {
      if (typeof parent.minimum === 'number' && typeof parent.maximum === 'number') {
        // $comment carries the reason for a non-obvious bound.
        const why = typeof parent.$comment === 'string' ? ` (${parent.$comment})` : '';
        return { path: at, message: `must be from ${parent.minimum} to ${parent.maximum}${why}` };
      }
      return { path: at, message: e.message ?? 'out of range' };
    }
    case 'uniqueItems': {
      // ajv scans from the end: j is the later (duplicate) index, i the first.
      const { i, j } = e.params as { i: number; j: number };
      return { path: `${at}[${Math.max(i, j)}]`, message: `duplicates item ${Math.min(i, j)}` };
    }
    case 'not':
      // Only twin uses `not` (to reject `true`).
      return { path: at, message: 'must be an interface name or false' };
    case 'propertyNames':
      // The nested pattern error already carries the detail; skip the summary.
      return null;
    default:
      break;
  }
  // propertyNames sub-errors name the offending key, not the value.
  const propName = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (propName !== undefined) {
    return { path: join(base, propName), message: `invalid name: ${e.message ?? ''}`.trim() };
  }
  return { path: at, message: e.message ?? 'invalid' };
}

/** ajv errors -> ConfigErrors with readable paths; shared with the HTTP API. */
export function schemaErrors(errors: ErrorObject[]): ConfigError[] {
  const out: ConfigError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let ce: ConfigError | null;
    const propName = (e as ErrorObject & { propertyName?: string }).propertyName;
    if (propName !== undefined && e.keyword === 'pattern') {
      const p = (e.params as { pattern: string }).pattern;
      ce = { path: join(pointerToPath(e.instancePath), propName), message: `invalid name: ${PATTERN_DESCRIPTIONS[p] ?? e.message}` };
    } else {
      ce = schemaError(e);
    }
    if (!ce) continue;
    const k = `${ce.path}\0${ce.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(ce);
    }
  }
  return out;
}

// ---------------------------------------------------------------- semantic step

/** The forwarding method of a service's sorry server: its own, else the first server's, else fullnat. */
export function sorryMethod(s: ServiceConfig): ForwardingMethod {
  return s.sorryServer?.method ?? s.servers[0]?.method ?? 'fullnat';
}

/** "200" -> [200, 200]; "200-299" -> [200, 299]; null when malformed. */
export function parseStatusRange(s: string): [number, number] | null {
  const m = /^(\d{3})(?:-(\d{3}))?$/.exec(s);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return [lo, hi];
}

function checkHealth(base: string, hc: HealthCheckConfig, err: (path: string, message: string) => void): void {
  for (const key of CHECK_BLOCKS) {
    if (hc.type !== key && hc[key] !== undefined) err(`${base}.${key}`, `only applies to type "${key}" (type is "${hc.type}")`);
  }
  if (hc.type === 'misc' && hc.misc === undefined) err(`${base}.misc`, 'is required for type "misc" (misc.command)');
  if (hc.type === 'misc' && (hc.connectIp !== undefined || hc.connectPort !== undefined)) {
    err(`${base}.${hc.connectIp !== undefined ? 'connectIp' : 'connectPort'}`, 'does not apply to type "misc" (the command decides what to check)');
  }
  if (hc.type === 'ping' && hc.connectPort !== undefined) err(`${base}.connectPort`, 'does not apply to type "ping" (ICMP has no ports)');
  if (hc.http) {
    [hc.http, ...(hc.http.extraUrls ?? [])].forEach((u, i) => {
      const at = i === 0 ? `${base}.http` : `${base}.http.extraUrls[${i - 1}]`;
      u.statusCodes.forEach((c, k) => {
        const r = parseStatusRange(c);
        if (r && r[0] > r[1]) err(`${at}.statusCodes[${k}]`, `range ${c} is empty: ${r[0]} > ${r[1]}`);
      });
    });
  }
  const u = hc.udp;
  if (u && u.minReplyLength > u.maxReplyLength) {
    err(`${base}.udp.minReplyLength`, `is above maxReplyLength (${u.minReplyLength} > ${u.maxReplyLength}): every answer would fail`);
  }
}

export interface ValidateOptions {
  /** CPUs this process may run on; enables the lcore-vs-CPU check. */
  cpus?: number;
  /**
   * A management API token comes from outside the config (FULCRUM_API_TOKEN),
   * so a non-loopback api.listen without api.token is acceptable.
   */
  apiTokenFromEnv?: boolean;
}

/** Whether the environment supplies the API token (FULCRUM_API_TOKEN, set and not empty). */
export function apiTokenInEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FULCRUM_API_TOKEN !== undefined && env.FULCRUM_API_TOKEN !== '';
}

interface AddrRef {
  ip: number;
  len: number;
  role: string;
  port: number;
  path: string;
}

const LOOPBACK = (ip: number): boolean => ip >>> 24 === 127;

function semanticChecks(cfg: FulcrumConfig, opts: ValidateOptions): ConfigError[] {
  const errs: ConfigError[] = [];
  const err = (path: string, message: string): void => {
    errs.push({ path, message });
  };

  // --- dataplane / lcores
  const dp = cfg.dataplane;
  dp.workers.forEach((w, j) => {
    if (w === dp.mainLcore) {
      err(`dataplane.workers[${j}]`, `lcore ${w} is the main lcore (dataplane.mainLcore); workers must use other lcores`);
    }
  });
  if (opts.cpus !== undefined && dp.lcoreMap === undefined) {
    // Without lcoreMap we generate the mapping ourselves, one CPU per worker.
    // An lcore id at or above the CPU count would mean stacking lcores on
    // shared CPUs, which kills a poll-mode core's throughput: that must be an
    // explicit operator choice through lcoreMap (tests do exactly that).
    const n = opts.cpus;
    dp.workers.forEach((w, j) => {
      if (w >= n) {
        err(`dataplane.workers[${j}]`,
          `lcore ${w} is not below the ${n} available CPUs; to oversubscribe CPUs set dataplane.lcoreMap explicitly (e.g. "${dp.mainLcore}@(0-${Math.max(0, n - 1)}),${w}@${n > 1 ? 1 : 0}")`);
      }
    });
    if (dp.mainLcore >= n) {
      err('dataplane.mainLcore', `lcore ${dp.mainLcore} is not below the ${n} available CPUs; set dataplane.lcoreMap to use it`);
    }
  }

  // --- ports
  const byName = new Map<string, number>();
  const devKeys = new Map<string, number>();
  const ifaces = new Map<string, number>(); // kernel interfaces under af_packet/AF_XDP ports
  const resolved = resolvePorts(cfg);
  const twins = new Map<string, number>();
  cfg.ports.forEach((p, i) => {
    const prev = byName.get(p.name);
    if (prev !== undefined) err(`ports[${i}].name`, `duplicate port name "${p.name}" (also ports[${prev}])`);
    else byName.set(p.name, i);

    // DPDK identifies a vdev by its instance name (before the first comma) and
    // a NIC by its BDF, so those are what must be unique. "ring" ports are
    // created per port by the addon and may repeat.
    if (p.device !== 'ring') {
      const pci = pciAddress(p.device);
      const key = pci ?? p.device.split(',')[0]!;
      const d = devKeys.get(key);
      if (d !== undefined) err(`ports[${i}].device`, `device "${key}" is already used by ports[${d}]`);
      else devKeys.set(key, i);
      if (p.bind !== undefined && !pci) err(`ports[${i}].bind`, `only a PCI port is bound to a driver; "${p.device}" is not a PCI address`);
      const iface = resolved[i]!.iface;
      if (iface !== undefined && !/^[^\s/,:]{1,15}$/.test(iface)) {
        err(`ports[${i}].device`, `"${iface}" is not a kernel interface name (1 to 15 characters, no spaces, '/', ',' or ':')`);
      } else if (iface !== undefined) {
        const f = ifaces.get(iface);
        if (f !== undefined) err(`ports[${i}].device`, `interface "${iface}" is already used by ports[${f}]`);
        else ifaces.set(iface, i);
      }
    }
  });
  cfg.ports.forEach((p, i) => {
    if (p.twin === false) return;
    if (p.twin.length > 15) {
      err(`ports[${i}].twin`, `default twin name "${p.twin}" is longer than 15 characters; set twin explicitly`);
    }
    const t = twins.get(p.twin);
    if (t !== undefined) err(`ports[${i}].twin`, `duplicate twin name "${p.twin}" (also ports[${t}])`);
    else twins.set(p.twin, i);
    const f = ifaces.get(p.twin);
    if (f !== undefined) err(`ports[${i}].twin`, `twin "${p.twin}" is the af_packet interface of ports[${f}]`);
  });

  // --- addresses
  const addrs: AddrRef[] = [];
  const ipSeen = new Map<number, string>();
  cfg.ports.forEach((p, i) => {
    p.addresses.forEach((a, j) => {
      if (familyOf(a.ip) === 6) return; // validate6.ts
      const path = `ports[${i}].addresses[${j}].ip`;
      const c = parseCidr(a.ip);
      if (!c) {
        err(path, 'invalid IPv4 address/prefix');
        return;
      }
      if (c.len <= 30) {
        const net = networkOf(c.ip, c.len);
        const bcast = (net | ~maskOf(c.len)) >>> 0;
        if (c.ip === net) err(path, `${formatIPv4(c.ip)} is the network address of /${c.len}`);
        else if (c.ip === bcast) err(path, `${formatIPv4(c.ip)} is the broadcast address of /${c.len}`);
      }
      if (c.len === 0) err(path, 'prefix length 0 is not a connected network');
      const dup = ipSeen.get(c.ip);
      if (dup !== undefined) err(path, `${formatIPv4(c.ip)} is already configured at ${dup}`);
      else ipSeen.set(c.ip, path);
      addrs.push({ ip: c.ip, len: c.len, role: a.role, port: i, path });
    });
  });
  // Connected prefixes: the same network on two ports would make egress
  // ambiguous (the kernel would warn too). /32s carry no network.
  const connected = addrs.filter((a) => a.len < 32 && a.len > 0);
  for (let x = 0; x < connected.length; x++) {
    const reported = new Set<string>(); // one error per other network, not per address
    for (let y = 0; y < x; y++) {
      const a = connected[x]!;
      const b = connected[y]!;
      const bKey = `${networkOf(b.ip, b.len)}/${b.len}@${b.port}`;
      if (a.port !== b.port && prefixesOverlap(a, b) && !reported.has(bKey)) {
        reported.add(bKey);
        err(a.path, `${formatIPv4(networkOf(a.ip, a.len))}/${a.len} overlaps ${formatIPv4(networkOf(b.ip, b.len))}/${b.len} on port "${cfg.ports[b.port]!.name}" (${b.path})`);
      }
    }
  }
  const onLink = (ip: number, port?: number): AddrRef | undefined =>
    connected.find((a) => (port === undefined || a.port === port) && prefixContains(a.ip, a.len, ip));

  // --- routes and default gateway share the next-hop rules
  const checkNextHop = (base: string, via: string, portName?: string): void => {
    const v = parseIPv4(via);
    if (v === null) return; // schema already said so
    let portIdx: number | undefined;
    if (portName !== undefined) {
      portIdx = byName.get(portName);
      if (portIdx === undefined) {
        err(`${base}.port`, `unknown port "${portName}"`);
        return;
      }
    }
    if (ipSeen.has(v)) {
      err(`${base}.via`, `${via} is one of our own addresses`);
    } else if (!onLink(v, portIdx)) {
      err(`${base}.via`, portName === undefined
        ? `${via} is not on-link: no port address prefix contains it`
        : `${via} is not on-link of port "${portName}"`);
    }
  };
  const destSeen = new Map<string, string>();
  cfg.routes.forEach((r, i) => {
    if (familyOf(r.via) === 6 || (r.to !== 'default' && familyOf(r.to) === 6)) return; // validate6.ts
    const base = `routes[${i}]`;
    let key = '0.0.0.0/0';
    if (r.to !== 'default') {
      const c = parseCidr(r.to);
      if (!c) {
        err(`${base}.to`, 'invalid IPv4 prefix');
        return;
      }
      const net = networkOf(c.ip, c.len);
      if (net !== c.ip) err(`${base}.to`, `host bits set: did you mean ${formatIPv4(net)}/${c.len}?`);
      key = `${formatIPv4(net)}/${c.len}`;
    }
    const d = destSeen.get(key);
    if (d !== undefined) err(`${base}.to`, `duplicate route to ${key} (also ${d})`);
    else destSeen.set(key, base);
    checkNextHop(base, r.via, r.port);
  });
  checkIpv6Host(cfg, err, byName);
  checkIpv6Services(cfg, err);
  if (cfg.defaultGateway) {
    const d = destSeen.get('0.0.0.0/0');
    if (d !== undefined) err('defaultGateway', `a default route is already given at ${d}`);
    checkNextHop('defaultGateway', cfg.defaultGateway.via, cfg.defaultGateway.port);
  }

  // --- LIP pools
  const lipIps = new Set(addrs.filter((a) => a.role === 'lip').map((a) => a.ip));
  for (const [name, ips] of Object.entries(cfg.lipPools)) {
    ips.forEach((ip, k) => {
      const v = parseIPv4(ip);
      if (v !== null && !lipIps.has(v)) {
        err(`lipPools.${name}[${k}]`, `${ip} is not a port address with role "lip"`);
      }
    });
  }

  // --- services
  const vipIps = new Set(addrs.filter((a) => a.role === 'vip').map((a) => a.ip));
  const svcSeen = new Map<string, number>();
  cfg.services.forEach((s, i) => {
    const base = `services[${i}]`;
    const key = serviceKey(s);
    const prev = svcSeen.get(key);
    if (prev !== undefined) err(base, `duplicate service ${s.protocol} ${s.vip}:${s.port} (also services[${prev}])`);
    else svcSeen.set(key, i);

    const vip = parseIPv4(s.vip);
    if (vip !== null && !vipIps.has(vip)) err(`${base}.vip`, `${s.vip} is not a port address with role "vip"`);
    if (s.port === 0 && s.persistence === null) {
      err(`${base}.port`, 'port 0 (all ports) needs persistence, as in ipvsadm');
    }
    if (s.persistence) {
      const m = parseIPv4(s.persistence.netmask);
      if (m !== null && !isContiguousMask(m)) {
        err(`${base}.persistence.netmask`, `${s.persistence.netmask} is not a contiguous netmask`);
      }
    }
    s.schedFlags.forEach((f, k) => {
      const want = f.slice(0, 2); // "sh" or "mh"
      if (s.scheduler !== want) err(`${base}.schedFlags[${k}]`, `flag "${f}" only applies to scheduler "${want}"`);
    });
    if (s.lipPool !== undefined && !(s.lipPool in cfg.lipPools)) {
      err(`${base}.lipPool`, `unknown LIP pool "${s.lipPool}"`);
    } else if (s.servers.some((r) => r.method === 'fullnat') || (s.sorryServer && sorryMethod(s) === 'fullnat')) {
      // FULLNAT rewrites the source to a LIP; without one there is nothing to SNAT to.
      const poolName = s.lipPool ?? 'default';
      const pool = cfg.lipPools[poolName];
      if (pool === undefined) {
        err(`${base}.lipPool`, 'fullnat servers need a LIP pool: set lipPool or define lipPools.default');
      } else if (pool.length === 0) {
        err(`${base}.lipPool`, `fullnat servers need a LIP pool, and "${poolName}" is empty`);
      }
    }

    if (s.proxyProtocol !== undefined || s.toa || s.synProxy) {
      // The edits live in the director's copy of the TCP stream: only a
      // method that carries both directions and owns the server side can
      // make them, and a server of another method would get a stream its
      // config does not expect.
      const what = s.proxyProtocol !== undefined ? 'proxyProtocol' : s.toa ? 'toa' : 'synProxy';
      if (s.proxyProtocol !== undefined && s.toa) {
        err(`${base}.toa`, 'pass the client address one way: proxyProtocol or toa, not both');
      }
      if (s.protocol !== 'tcp') err(`${base}.${what}`, 'applies to TCP services only');
      const editing: readonly string[] = TCP_EDIT_METHODS;
      s.servers.forEach((r, k) => {
        if (!editing.includes(r.method)) {
          err(`${base}.servers[${k}].method`, `${what} needs ${editing.join(' or ')} servers: a ${r.method} server would get the client's stream unchanged`);
        }
      });
      if (s.sorryServer && !editing.includes(sorryMethod(s))) {
        err(`${base}.sorryServer.method`, `${what} needs ${editing.join(' or ')} servers, and the sorry server is ${sorryMethod(s)}`);
      }
    }

    const checkDest = (rb: string, address: string, port: number, method: string, what: string): void => {
      const rip = parseIPv4(address);
      if (rip !== null && ipSeen.has(rip)) err(`${rb}.address`, `${address} is one of our own addresses`);
      if (method === 'dr' || method === 'tun') {
        // LVS forwards DR/TUN packets unmodified at L4: the RS sees the VIP
        // port, so a different server port cannot be honoured.
        if (port !== s.port) {
          err(`${rb}.port`, `${method} cannot map ports: ${what} port must equal the service port ${s.port}`);
        }
      } else if (s.port === 0 && port !== 0) {
        err(`${rb}.port`, 'an all-ports service (port 0) cannot map to one server port; use 0');
      } else if (s.port !== 0 && port === 0) {
        err(`${rb}.port`, `${method} ${what} port must be from 1 to 65535`);
      }
      if (method === 'dr' && rip !== null && !onLink(rip)) {
        // DR only rewrites the MAC: the RS must share an L2 segment.
        err(`${rb}.address`, `dr ${what} ${address} is off-link: no port address prefix contains it`);
      }
    };
    const rsSeen = new Map<string, number>();
    s.servers.forEach((r, k) => {
      const rb = `${base}.servers[${k}]`;
      const rkey = endpointKey(r);
      const rp = rsSeen.get(rkey);
      if (rp !== undefined) err(rb, `duplicate server ${rkey} (also servers[${rp}])`);
      else rsSeen.set(rkey, k);
      checkDest(rb, r.address, r.port, r.method, 'server');
      if (r.upperThreshold !== undefined && r.lowerThreshold !== undefined &&
          r.upperThreshold > 0 && r.lowerThreshold > r.upperThreshold) {
        err(`${rb}.lowerThreshold`, 'must not exceed upperThreshold');
      }
      if (r.healthCheck) checkHealth(`${rb}.healthCheck`, r.healthCheck, err);
    });
    if (s.sorryServer) {
      const sb = `${base}.sorryServer`;
      const ss = s.sorryServer;
      const dup = rsSeen.get(endpointKey(ss));
      if (dup !== undefined) err(sb, `sorry server ${ss.address}:${ss.port} is also servers[${dup}]`);
      checkDest(sb, ss.address, ss.port, sorryMethod(s), 'sorry server');
    }
  });

  // --- API: anything beyond loopback needs a token (DESIGN.md), and TLS
  // so that the token does not travel in clear text (or an explicit insecure).
  const listen = parseIPv4(cfg.api.listen);
  if (listen !== null && !LOOPBACK(listen) && cfg.api.token === undefined && !opts.apiTokenFromEnv) {
    err('api.token', `is required when api.listen (${cfg.api.listen}) is not a loopback address`);
  }
  if (listen !== null && !LOOPBACK(listen) && !cfg.api.tls && !cfg.api.insecure) {
    err('api.tls', `is required when api.listen (${cfg.api.listen}) is not a loopback address: the token would travel in clear text (set api.insecure: true to accept that)`);
  }
  // --- high availability (src/ha)
  for (const state of SYNC_STATES) {
    const d = cfg.ha.sync[state];
    if (!d) continue;
    const ep = syncEndpoint(cfg, d.interface);
    if (typeof ep === 'string') err(`ha.sync.${state}.interface`, `${d.interface} ${ep}`);
    const port = cfg.ports.find((p) => p.name === d.interface || p.twin === d.interface);
    if (port && d.maxLen > port.mtu - 28) err(`ha.sync.${state}.maxLen`, `${d.maxLen} does not fit the MTU of port ${port.name} (${port.mtu} - 28 bytes of IP and UDP headers)`);
  }
  if (cfg.ha.sync.period && cfg.ha.sync.threshold >= cfg.ha.sync.period) {
    err('ha.sync.threshold', `must be below ha.sync.period (${cfg.ha.sync.period}), as IPVS's sync_threshold`);
  }
  for (const a of floatingAddresses(cfg)) {
    if (a.twin === false) err('ha.vrrp', `floating address ${a.ip} is on port ${a.port}, which has no kernel twin for keepalived to put it on`);
  }
  return errs;
}

/**
 * Validate raw (parsed JSON/YAML) config. The input is not mutated; on
 * success `config` carries every default. Semantic checks run only once the
 * shape is right, since they would mostly repeat shape errors otherwise.
 */
export function validateConfig(raw: unknown, opts: ValidateOptions = {}): ConfigResult {
  const data: unknown = raw === undefined ? undefined : structuredClone(raw);
  if (!schemaValidate(data)) {
    return { ok: false, errors: schemaErrors(schemaValidate.errors ?? []) };
  }
  const cfg = data as FulcrumConfig;
  for (const p of cfg.ports) {
    // Not a static schema default: it depends on the port name.
    if (p.twin === undefined) p.twin = `fl-${p.name}`;
  }
  for (const s of cfg.services) {
    for (const r of s.servers) {
      // A check without its settings block ({"type": "http"}) gets the
      // block's schema defaults (http: GET / expecting any 2xx).
      const hc = r.healthCheck as Record<string, unknown> | undefined;
      const key = CHECK_BLOCKS.find((k) => k === hc?.type);
      if (hc && key && hc[key] === undefined) {
        const d = checkBlockDefaults(key);
        if (d) hc[key] = d;
      }
    }
  }
  const errors = semanticChecks(cfg, opts);
  return errors.length ? { ok: false, errors } : { ok: true, config: cfg };
}

/** "fulcrum: config: <path>: <reason>" lines, one per error. */
export function formatConfigErrors(errors: ConfigError[]): string[] {
  return errors.map((e) => `fulcrum: config: ${e.path || '(root)'}: ${e.message}`);
}
