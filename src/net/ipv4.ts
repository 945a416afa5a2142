// IPv4 addresses and prefixes as the config, the CLI, the importers and the
// health checks parse and compare them: numbers are host-order uint32.

/** Dotted quad -> uint32, or null. Rejects leading zeros like the schema. */
export function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return null;
    const n = Number(part);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function formatIPv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export interface Cidr {
  ip: number;
  len: number;
}

/** "a.b.c.d/len" -> {ip, len}; "default" is not accepted here. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIPv4(s.slice(0, slash));
  const lenStr = s.slice(slash + 1);
  if (ip === null || !/^\d{1,2}$/.test(lenStr)) return null;
  const len = Number(lenStr);
  if (len > 32) return null;
  return { ip, len };
}

export function networkOf(ip: number, len: number): number {
  return (ip & maskOf(len)) >>> 0;
}

export function prefixContains(net: number, len: number, ip: number): boolean {
  return networkOf(ip, len) === networkOf(net, len);
}

export function prefixesOverlap(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.len, b.len);
  return networkOf(a.ip, len) === networkOf(b.ip, len);
}

/** True when a dotted-quad mask is contiguous ones then zeros. */
export function isContiguousMask(v: number): boolean {
  const inv = ~v >>> 0;
  return (inv & (inv + 1)) === 0;
}
