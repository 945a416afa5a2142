// The address families, as a table: which family a config string belongs
// to (IPv6 text always has a colon and IPv4 text never does), and each
// family's parsing, printing and prefix arithmetic, so code that is the same
// for both (planning connected routes, finding a next hop's port) is
// written once against this table; each family's own rules stay in its
// module (ipv4.ts, ipv6.ts) and checks (validate.ts, validate6.ts).
import { formatIPv4, networkOf, parseCidr, parseIPv4, prefixContains } from './ipv4';
import { formatIPv6, networkOf6, parseCidr6, parseIPv6, prefixContains6, type IPv6 } from './ipv6';

export type Family = 4 | 6;

/** The family of an address or prefix as written in config ("a.b.c.d[/len]" or IPv6[/len]). */
export function familyOf(text: string): Family {
  return text.includes(':') ? 6 : 4;
}

/** The addresses of one family among `addrs` (a LIP pool may hold both). */
export function ofFamily(addrs: readonly string[], family: Family): string[] {
  return addrs.filter((a) => familyOf(a) === family);
}

export interface AddressFamily<A> {
  readonly id: Family;
  /** Address length in bits: the longest prefix, which has no network. */
  readonly bits: number;
  /** The all-zero address, the network of a default route. */
  readonly any: A;
  parse(s: string): A | null;
  parseCidr(s: string): { ip: A; len: number } | null;
  /** Canonical text (inet_ntop's). */
  format(a: A): string;
  networkOf(a: A, len: number): A;
  contains(net: A, len: number, a: A): boolean;
}

export const IPV4: AddressFamily<number> = {
  id: 4, bits: 32, any: 0, parse: parseIPv4, parseCidr, format: formatIPv4, networkOf, contains: prefixContains,
};

export const IPV6: AddressFamily<IPv6> = {
  id: 6, bits: 128, any: new Uint8Array(16), parse: parseIPv6, parseCidr: parseCidr6, format: formatIPv6,
  networkOf: networkOf6, contains: prefixContains6,
};

/** The table entry of a family (typed loosely: callers keep to one family's values). */
export function familyTable(f: Family): AddressFamily<unknown> {
  return (f === 4 ? IPV4 : IPV6) as AddressFamily<unknown>;
}
