// Which address family a config string belongs to. IPv6 text always has a
// colon and IPv4 text never does, so the family is read off the text, once,
// here; each family's own module (ipv4.ts, ipv6.ts) then parses it exactly.
export type Family = 4 | 6;

/** The family of an address or prefix as written in config ("a.b.c.d[/len]" or IPv6[/len]). */
export function familyOf(text: string): Family {
  return text.includes(':') ? 6 : 4;
}

/** The items of a family: `key` picks the address text each one carries. */
export function ofFamily<T>(items: readonly T[], family: Family, key: (t: T) => string): T[] {
  return items.filter((t) => familyOf(key(t)) === family);
}
