// IPv6 addresses and prefixes for the control plane (port addresses and
// routes today; services with the rest of issue 15). An address is 16
// bytes in network order.
// formatIPv6 writes what glibc's inet_ntop writes, because ipvsadm prints
// its addresses with inet_ntop and fulcrumadm's listings must match it
// byte for byte: lower-case hex, the longest run of two or more zero groups
// (the first of equal runs) as "::", and the IPv4-mapped (::ffff:0:0/96)
// and IPv4-compatible (::/96) forms with a dotted tail.
import { formatIPv4, parseIPv4 } from './ipv4';

export type IPv6 = Uint8Array;

const GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Text -> 16 bytes, or null. No zone ids ("%eth0"), no brackets, no prefix. */
export function parseIPv6(s: string): IPv6 | null {
  if (s.length < 2 || s.length > 45) return null;
  let text = s;
  const tail: number[] = [];
  // A dotted IPv4 tail stands for the last two groups.
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    text = s.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!GROUP.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return null;
  const words = halves.length === 2
    ? [...head, ...new Array<number>(8 - head.length - rest.length - tail.length).fill(0), ...rest, ...tail]
    : [...head, ...tail];
  // "::" stands for at least one group; without it there must be exactly eight.
  if (words.length !== 8 || (halves.length === 2 && head.length + rest.length + tail.length > 7)) return null;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** 16 bytes -> the text glibc's inet_ntop(AF_INET6) writes. */
export function formatIPv6(a: IPv6): string {
  if (a.length !== 16) throw new Error(`an IPv6 address is 16 bytes, not ${a.length}`);
  const words = Array.from({ length: 8 }, (_, i) => (a[2 * i]! << 8) | a[2 * i + 1]!);
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { base: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d): dotted tail.
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += formatIPv4(((words[6]! << 16) | words[7]!) >>> 0);
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

export interface Cidr6 {
  ip: IPv6;
  len: number;
}

/** "addr/len" (0..128) -> {ip, len}, or null. */
export function parseCidr6(s: string): Cidr6 | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIPv6(s.slice(0, slash));
  const lenStr = s.slice(slash + 1);
  if (ip === null || !/^(0|[1-9]\d{0,2})$/.test(lenStr)) return null;
  const len = Number(lenStr);
  return len > 128 ? null : { ip, len };
}

/** The first `len` bits of `ip`, the rest zero (what ipvsadm's -M prefix keeps of a client for persistence). */
export function networkOf6(ip: IPv6, len: number): IPv6 {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    out[i] = ip[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export function prefixContains6(net: IPv6, len: number, ip: IPv6): boolean {
  const a = networkOf6(net, len), b = networkOf6(ip, len);
  return a.every((v, i) => v === b[i]);
}

/** An address and port as ipvsadm prints and parses them: "[2001:2::100]:80". */
export function formatEndpoint6(ip: IPv6, port: number): string {
  return `[${formatIPv6(ip)}]:${port}`;
}

/** Text key of an address (its canonical form), for maps and sets. */
export const ipv6Key = (ip: IPv6): string => formatIPv6(ip);

/** The special ranges a director's own address or next hop must not (or may only with care) be in. */
export function ipv6Scope(ip: IPv6): 'unspecified' | 'loopback' | 'multicast' | 'link-local' | 'ipv4-mapped' | 'global' {
  if (ip.every((b) => b === 0)) return 'unspecified';
  if (ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1) return 'loopback';
  if (ip[0] === 0xff) return 'multicast';
  if (ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80) return 'link-local';
  if (ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff) return 'ipv4-mapped';
  return 'global';
}

export function ipv6Equal(a: IPv6, b: IPv6): boolean {
  return a.every((v, i) => v === b[i]);
}
