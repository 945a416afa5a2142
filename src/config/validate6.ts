// The semantic checks of the IPv6 family: port addresses, routes whose
// next hop is IPv6, LIP pools' IPv6 entries and IPv6 services. validate.ts
// runs the IPv4 family's and hands the IPv6 entries here (src/net/family.ts
// tells them apart), so the rules for each family sit in one place. What
// IPv6 services cannot do yet (methods other than those the dataplane has
// for IPv6, IPv4 servers behind an IPv6 VIP, persistence, TCP stream edits,
// floating addresses) is refused clearly.
import type { FulcrumConfig, ServiceConfig } from './types';
import { IPV6_METHODS } from '../native/vocabulary';
// validate.ts imports this module too: sorryMethod is only called once both have loaded.
import { sorryMethod } from './validate';
import { familyOf, ofFamily } from '../net/family';
import { isNat64, serverFamily } from './nat64';
import {
  formatIPv6, ipv6Equal, ipv6Key, ipv6Scope, networkOf6, parseCidr6, parseIPv6, prefixContains6, type IPv6,
} from '../net/ipv6';
import { isFloating } from '../ha/config';

type Report = (path: string, message: string) => void;

interface Addr6Ref {
  ip: IPv6;
  len: number;
  port: number;
  path: string;
}

const SCOPE_REASON: Record<string, string> = {
  unspecified: 'the unspecified address :: is no one\'s address',
  loopback: '::1 is the loopback address',
  multicast: 'a multicast address is a group, not a host',
  'link-local': 'link-local addresses (fe80::/10) are the kernel twin\'s own: give a global or unique-local address',
  'ipv4-mapped': 'an IPv4-mapped address stands for an IPv4 one: write it as a.b.c.d/len',
};

/** The checks of the config's IPv6 addresses and routes; `byName`: port index by name. */
export function checkIpv6Host(cfg: FulcrumConfig, err: Report, byName: ReadonlyMap<string, number>): void {
  const addrs: Addr6Ref[] = [];
  const seen = new Map<string, string>();
  cfg.ports.forEach((p, i) => {
    p.addresses.forEach((a, j) => {
      if (familyOf(a.ip) !== 6) return;
      const path = `ports[${i}].addresses[${j}].ip`;
      const c = parseCidr6(a.ip);
      if (!c) return err(path, 'invalid IPv6 address/prefix');
      const scope = ipv6Scope(c.ip);
      if (scope !== 'global') return err(path, SCOPE_REASON[scope]!);
      if (c.len === 0) err(path, 'prefix length 0 is not a connected network');
      // RFC 4291 2.6.1: the all-zero host part is the subnet-router anycast
      // address (/127 and /128 have no such address: RFC 6164).
      else if (c.len < 127 && ipv6Equal(networkOf6(c.ip, c.len), c.ip)) {
        err(path, `${formatIPv6(c.ip)} is the subnet-router anycast address of /${c.len}`);
      }
      if (a.role !== 'dip' && isFloating(cfg, a.role)) {
        err(path, 'floating IPv6 addresses are not supported yet: keepalived\'s vrrp_instance here moves IPv4 ones');
      }
      const key = ipv6Key(c.ip);
      const dup = seen.get(key);
      if (dup !== undefined) err(path, `${key} is already configured at ${dup}`);
      else seen.set(key, path);
      addrs.push({ ip: c.ip, len: c.len, port: i, path });
    });
  });

  // The same network on two ports would make egress ambiguous.
  const connected = addrs.filter((a) => a.len > 0 && a.len < 128);
  for (let x = 0; x < connected.length; x++) {
    for (let y = 0; y < x; y++) {
      const a = connected[x]!, b = connected[y]!;
      const len = Math.min(a.len, b.len);
      if (a.port !== b.port && prefixContains6(a.ip, len, b.ip)) {
        err(a.path, `${formatIPv6(networkOf6(a.ip, a.len))}/${a.len} overlaps ${formatIPv6(networkOf6(b.ip, b.len))}/${b.len} on port "${cfg.ports[b.port]!.name}" (${b.path})`);
        break;
      }
    }
  }

  const destSeen = new Map<string, string>();
  cfg.routes.forEach((r, i) => {
    const base = `routes[${i}]`;
    const viaFamily = familyOf(r.via);
    const toFamily = r.to === 'default' ? viaFamily : familyOf(r.to);
    if (viaFamily !== 6 && toFamily !== 6) return;
    if (viaFamily !== toFamily) {
      return err(`${base}.via`, `${r.via} is an IPv${viaFamily} next hop for an IPv${toFamily} destination`);
    }
    let key = '::/0';
    if (r.to !== 'default') {
      const c = parseCidr6(r.to);
      if (!c) return err(`${base}.to`, 'invalid IPv6 prefix');
      const net = networkOf6(c.ip, c.len);
      if (!ipv6Equal(net, c.ip)) err(`${base}.to`, `host bits set: did you mean ${formatIPv6(net)}/${c.len}?`);
      key = `${formatIPv6(net)}/${c.len}`;
    }
    const d = destSeen.get(key);
    if (d !== undefined) err(`${base}.to`, `duplicate route to ${key} (also ${d})`);
    else destSeen.set(key, base);
    checkNextHop6(base, r.via, r.port);
  });

  function checkNextHop6(base: string, via: string, portName?: string): void {
    const v = parseIPv6(via);
    if (!v) return err(`${base}.via`, 'invalid IPv6 address');
    let portIdx: number | undefined;
    if (portName !== undefined) {
      portIdx = byName.get(portName);
      if (portIdx === undefined) return err(`${base}.port`, `unknown port "${portName}"`);
    }
    const scope = ipv6Scope(v);
    if (scope === 'link-local') {
      // Routers often advertise their link-local address: on-link by
      // definition, but only the port says which link.
      if (portIdx === undefined) err(`${base}.port`, `a link-local next hop (${via}) must name its port`);
      return;
    }
    if (scope !== 'global') return err(`${base}.via`, SCOPE_REASON[scope]!);
    if (seen.has(ipv6Key(v))) return err(`${base}.via`, `${via} is one of our own addresses`);
    if (!connected.some((a) => (portIdx === undefined || a.port === portIdx) && prefixContains6(a.ip, a.len, v))) {
      err(`${base}.via`, portName === undefined
        ? `${via} is not on-link: no port address prefix contains it`
        : `${via} is not on-link of port "${portName}"`);
    }
  }
}

/** An IPv6 address as config must write it: canonical (inet_ntop's), so
 * that a service's id, ipvsadm's listing and the API all spell it alike. */
function checkAddress6(path: string, text: string, err: Report): IPv6 | null {
  const v = parseIPv6(text);
  if (!v) { err(path, 'invalid IPv6 address'); return null; }
  const canon = formatIPv6(v);
  if (canon !== text) { err(path, `write ${text} as ${canon}, as ipvsadm prints it`); return null; }
  const scope = ipv6Scope(v);
  if (scope !== 'global') { err(path, SCOPE_REASON[scope]!); return null; }
  return v;
}

/** The ports' IPv6 addresses that parse, with their roles (checkIpv6Host reports the rest). */
function portAddrs6(cfg: FulcrumConfig): Array<{ ip: IPv6; len: number; role: string }> {
  return cfg.ports.flatMap((p) => p.addresses.flatMap((a) => {
    const c = familyOf(a.ip) === 6 ? parseCidr6(a.ip) : null;
    return c ? [{ ip: c.ip, len: c.len, role: a.role }] : [];
  }));
}

/** The checks of the IPv6 entries of LIP pools and of IPv6 services. */
export function checkIpv6Services(cfg: FulcrumConfig, err: Report): void {
  const addrs6 = portAddrs6(cfg);
  const withRole = (role: string): Set<string> => new Set(addrs6.filter((a) => a.role === role).map((a) => ipv6Key(a.ip)));
  const lipIps = withRole('lip');
  for (const [name, ips] of Object.entries(cfg.lipPools)) {
    ips.forEach((ip, k) => {
      if (familyOf(ip) !== 6) return;
      const path = `lipPools.${name}[${k}]`;
      const v = checkAddress6(path, ip, err);
      if (v && !lipIps.has(ipv6Key(v))) err(path, `${ip} is not a port address with role "lip"`);
    });
  }
  const vipIps = withRole('vip');
  const connected = addrs6.filter((a) => a.len > 0 && a.len < 128);
  const methods: readonly string[] = IPV6_METHODS;
  cfg.services.forEach((s, i) => {
    const base = `services[${i}]`;
    const family = familyOf(s.vip);
    const rsFamily = serverFamily(s);
    if (s.servers.some((r) => r.method === 'fullnat') || (s.sorryServer && sorryMethod(s) === 'fullnat')) {
      // validate.ts says when the pool is missing or empty; here: of the wrong family.
      const poolName = s.lipPool ?? 'default';
      const pool = cfg.lipPools[poolName];
      if (pool && pool.length > 0 && ofFamily(pool, rsFamily).length === 0) {
        err(`${base}.lipPool`, `fullnat servers of IPv${rsFamily} need an IPv${rsFamily} LIP, and "${poolName}" has none`);
      }
    }
    if (family !== 6) {
      if (s.persistence && (s.persistence.ipv6PrefixLength ?? 128) !== 128) {
        err(`${base}.persistence.ipv6PrefixLength`, 'applies to IPv6 services; an IPv4 service\'s granularity is persistence.netmask');
      }
      const dests = [...s.servers.map((r, k) => ({ path: `${base}.servers[${k}].address`, address: r.address })),
        ...(s.sorryServer ? [{ path: `${base}.sorryServer.address`, address: s.sorryServer.address }] : [])];
      for (const d of dests) {
        if (familyOf(d.address) === 6) err(d.path, `${d.address} is IPv6 and the VIP ${s.vip} is IPv4: a service's servers are of its VIP's family`);
      }
      return;
    }
    const vip = checkAddress6(`${base}.vip`, s.vip, err);
    if (vip && !vipIps.has(ipv6Key(vip))) err(`${base}.vip`, `${s.vip} is not a port address with role "vip"`);
    refuseUnsupported6(s, base, err);
    const dests = [...s.servers.map((r, k) => ({ path: `${base}.servers[${k}]`, address: r.address, method: r.method })),
      ...(s.sorryServer ? [{ path: `${base}.sorryServer`, address: s.sorryServer.address, method: sorryMethod(s) }] : [])];
    if (isNat64(s)) {
      // NAT64: FULLNAT to IPv4 servers from IPv4 LIPs (validate.ts checks IPv4 addresses).
      for (const d of dests) {
        if (familyOf(d.address) !== 4) {
          err(`${d.path}.address`, `${d.address} is IPv6 and the other servers of this NAT64 service are IPv4: a service's servers are of one family`);
        } else if (d.method !== 'fullnat') {
          err(`${d.path}.method`, `NAT64 (IPv4 servers behind the IPv6 VIP ${s.vip}) is FULLNAT only, not ${d.method}`);
        }
      }
      return;
    }
    for (const d of dests) {
      if (familyOf(d.address) !== 6) {
        err(`${d.path}.address`, `${d.address} is IPv4 and the other servers of the IPv6 VIP ${s.vip} are IPv6: a service's servers are of one family`);
        continue;
      }
      const rip = checkAddress6(`${d.path}.address`, d.address, err);
      if (!methods.includes(d.method)) {
        err(`${d.path}.method`, `IPv6 services support ${methods.join(', ')} so far, not ${d.method}`);
      }
      // DR only rewrites the MAC: the server must share a segment with the director.
      if (d.method === 'dr' && rip && !connected.some((c) => prefixContains6(c.ip, c.len, rip))) {
        err(`${d.path}.address`, `dr server ${d.address} is off-link: no port address prefix contains it`);
      }
    }
  });
}

/** What an IPv6 service cannot have yet. */
function refuseUnsupported6(s: ServiceConfig, base: string, err: Report): void {
  const notYet = (path: string, what: string): void => err(`${base}.${path}`, `${what} is not supported for IPv6 services yet`);
  if (s.persistence && s.persistence.netmask !== '255.255.255.255') {
    err(`${base}.persistence.netmask`, 'an IPv6 service\'s granularity is a prefix length: use persistence.ipv6PrefixLength');
  }
  if (s.proxyProtocol !== undefined) notYet('proxyProtocol', 'the PROXY protocol');
  if (s.toa) notYet('toa', 'TOA');
  if (s.synProxy) notYet('synProxy', 'the SYN proxy');
}
