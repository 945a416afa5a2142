// The semantic checks of the IPv6 family: port addresses and routes whose
// next hop is IPv6. validate.ts runs the IPv4 family's and hands the IPv6
// entries here (src/net/family.ts tells them apart), so the rules for each
// family sit in one place. IPv6 services, LIP pools and floating addresses
// come with the rest of issue 15; until then they are refused clearly.
import type { FulcrumConfig } from './types';
import { familyOf } from '../net/family';
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
