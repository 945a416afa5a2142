// Just enough of an Ethernet frame to tell flows apart: ARP senders, IPv4
// addresses, protocol and TTL, TCP/UDP ports, TCP flags, seq/ack, the L4
// payload, and IPIP's inner header (TUN). Anything shorter than it claims
// parses as far as it is whole.
export interface Ipv4View {
  src: string;
  dst: string;
  proto: number;
  ttl: number;
  /** Offset of the L4 header in the frame. */
  l4: number;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  seq?: number;
  ack?: number;
  payload?: Buffer;
  /** IPIP (protocol 4): the inner packet. */
  inner?: Ipv4View;
}

export interface FrameView {
  dstMac: string;
  srcMac: string;
  etherType: number;
  arp?: { op: number; senderIp: string; senderMac: Buffer };
  ipv4?: Ipv4View;
}

const macStr = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ipStr = (b: Buffer, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function ipv4At(b: Buffer, o: number, depth = 0): Ipv4View | undefined {
  if (b.length < o + 20 || b[o]! >> 4 !== 4) return undefined;
  const ihl = (b[o]! & 15) * 4;
  const total = b.readUInt16BE(o + 2);
  const end = Math.min(b.length, o + total);
  const v: Ipv4View = { src: ipStr(b, o + 12), dst: ipStr(b, o + 16), proto: b[o + 9]!, ttl: b[o + 8]!, l4: o + ihl };
  const l4 = o + ihl;
  if ((v.proto === 6 || v.proto === 17) && end >= l4 + 4) {
    v.sport = b.readUInt16BE(l4);
    v.dport = b.readUInt16BE(l4 + 2);
    if (v.proto === 6 && end >= l4 + 20) {
      v.seq = b.readUInt32BE(l4 + 4);
      v.ack = b.readUInt32BE(l4 + 8);
      v.tcpFlags = b[l4 + 13]!;
      v.payload = b.subarray(Math.min(end, l4 + (b[l4 + 12]! >> 4) * 4), end);
    } else if (v.proto === 17 && end >= l4 + 8) {
      v.payload = b.subarray(l4 + 8, end);
    }
  } else if (v.proto === 4 && depth === 0) {
    v.inner = ipv4At(b, l4, 1);
  }
  return v;
}

export function parseFrame(b: Buffer): FrameView | undefined {
  if (b.length < 14) return undefined;
  let etherType = b.readUInt16BE(12);
  let o = 14;
  if (etherType === 0x8100 && b.length >= 18) {
    etherType = b.readUInt16BE(16);
    o = 18;
  }
  const f: FrameView = { dstMac: macStr(b.subarray(0, 6)), srcMac: macStr(b.subarray(6, 12)), etherType };
  if (etherType === 0x0806 && b.length >= o + 28) {
    f.arp = { op: b.readUInt16BE(o + 6), senderMac: Buffer.from(b.subarray(o + 8, o + 14)), senderIp: ipStr(b, o + 14) };
  } else if (etherType === 0x0800) {
    const v = ipv4At(b, o);
    if (v) f.ipv4 = v;
  }
  return f;
}

export const PROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 4: 'ipip' };

/** "tcp 198.18.0.10:40000 -> 198.18.0.100:80" (ports only for TCP/UDP). */
export function tupleOf(v: Ipv4View): string {
  const p = PROTO_NAMES[v.proto] ?? `proto-${v.proto}`;
  return v.sport !== undefined ? `${p} ${v.src}:${v.sport} -> ${v.dst}:${v.dport}` : `${p} ${v.src} -> ${v.dst}`;
}

/** Set a TCP/UDP port of the IPv4 packet `v` parsed from `b` and redo its L4 checksum. */
export function rewritePort(b: Buffer, v: Ipv4View, which: 'src' | 'dst', port: number): void {
  b.writeUInt16BE(port, v.l4 + (which === 'src' ? 0 : 2));
  const csumAt = v.l4 + (v.proto === 6 ? 16 : 6);
  if (v.proto === 17 && b.readUInt16BE(csumAt) === 0) return; // UDP without a checksum
  const ihlStart = findIpStart(b, v);
  const total = b.readUInt16BE(ihlStart + 2);
  const end = Math.min(b.length, ihlStart + total);
  b.writeUInt16BE(0, csumAt);
  let sum = 0;
  for (let i = 0; i < 8; i += 2) sum += b.readUInt16BE(ihlStart + 12 + i);
  sum += v.proto + (end - v.l4);
  for (let i = v.l4; i + 1 < end; i += 2) sum += b.readUInt16BE(i);
  if ((end - v.l4) & 1) sum += b[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  let c = ~sum & 0xffff;
  if (v.proto === 17 && c === 0) c = 0xffff;
  b.writeUInt16BE(c, csumAt);
}

/** Where the IPv4 header of `v` starts: the Ethernet header, or a VLAN tag more. */
function findIpStart(b: Buffer, v: Ipv4View): number {
  return b.readUInt16BE(12) === 0x8100 && v.l4 >= 18 + 20 ? 18 : 14;
}
