// Test-side packet library: the referee for everything the dataplane emits.
//
// It deliberately shares NO code with the product (src/, native/): every header
// layout and checksum here is written from the RFCs (791, 792, 1191, 793, 768,
// 826, IEEE 802.1Q) so that a bug in the product cannot hide behind the same bug
// in its checker.
//
// Conventions: MAC addresses are "aa:bb:cc:dd:ee:ff" strings, IPv4 addresses are
// dotted quads, every builder returns a fresh Buffer with correct lengths and
// checksums unless an override asks for a corruption.

// ---------------------------------------------------------------- constants

export const ETH_P_IPV4 = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_IPV6 = 0x86dd;

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
/** Destination unreachable codes (RFC 792 / RFC 1191). */
export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;
export const ICMP_UNREACH_PROTOCOL = 2;
export const ICMP_UNREACH_PORT = 3;
export const ICMP_UNREACH_FRAG_NEEDED = 4;

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC = '00:00:00:00:00:00';

const ETH_MIN_FRAME = 60; // without FCS

// ---------------------------------------------------------------- addresses

export function macToBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`bad MAC address: ${mac}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function bytesToMac(b: Buffer, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}

export function ipToBytes(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address: ${ip}`);
  const nums = parts.map((p) => {
    if (!/^\d{1,3}$/.test(p)) throw new Error(`bad IPv4 address: ${ip}`);
    const n = Number(p);
    if (n > 255) throw new Error(`bad IPv4 address: ${ip}`);
    return n;
  });
  return Buffer.from(nums);
}

export function bytesToIp(b: Buffer, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function ipToInt(ip: string): number {
  return ipToBytes(ip).readUInt32BE(0);
}

export function intToIp(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return bytesToIp(b);
}

// ---------------------------------------------------------------- checksums

/** Ones'-complement sum of 16-bit big-endian words (odd trailing byte padded with 0), folded, not inverted. */
export function onesComplementSum(data: Buffer, initial = 0): number {
  let sum = initial;
  const n = data.length;
  let i = 0;
  for (; i + 1 < n; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < n) sum += data[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** RFC 1071 Internet checksum of `data` (the value to store in a checksum field). */
export function internetChecksum(data: Buffer, initial = 0): number {
  return ~onesComplementSum(data, initial) & 0xffff;
}

/** The 12-byte IPv4 pseudo-header used by TCP and UDP. */
export function pseudoHeader(src: string, dst: string, proto: number, l4Length: number): Buffer {
  const ph = Buffer.alloc(12);
  ipToBytes(src).copy(ph, 0);
  ipToBytes(dst).copy(ph, 4);
  ph[8] = 0;
  ph[9] = proto;
  ph.writeUInt16BE(l4Length & 0xffff, 10);
  return ph;
}

/** Checksum of a TCP/UDP segment (checksum field must be zero, or the result is the verify sum). */
export function l4Checksum(src: string, dst: string, proto: number, segment: Buffer): number {
  const ph = pseudoHeader(src, dst, proto, segment.length);
  return internetChecksum(segment, onesComplementSum(ph));
}

// ---------------------------------------------------------------- builders: L2

export interface VlanTag {
  id: number;
  pcp?: number;
  dei?: boolean;
}

export interface EthernetOpts {
  dst?: string;
  src?: string;
  vlan?: VlanTag;
  type: number;
  payload: Buffer;
  /** Pad to the 60-byte Ethernet minimum (what a NIC would put on the wire). Default false. */
  pad?: boolean;
}

export function ethernet(o: EthernetOpts): Buffer {
  const hdrLen = o.vlan ? 18 : 14;
  const h = Buffer.alloc(hdrLen);
  macToBytes(o.dst ?? BROADCAST_MAC).copy(h, 0);
  macToBytes(o.src ?? '02:00:00:00:00:01').copy(h, 6);
  if (o.vlan) {
    h.writeUInt16BE(ETH_P_8021Q, 12);
    const tci = ((o.vlan.pcp ?? 0) << 13) | (o.vlan.dei ? 0x1000 : 0) | (o.vlan.id & 0xfff);
    h.writeUInt16BE(tci, 14);
    h.writeUInt16BE(o.type, 16);
  } else {
    h.writeUInt16BE(o.type, 12);
  }
  let frame = Buffer.concat([h, o.payload]);
  if (o.pad && frame.length < ETH_MIN_FRAME) {
    frame = Buffer.concat([frame, Buffer.alloc(ETH_MIN_FRAME - frame.length)]);
  }
  return frame;
}

export interface ArpOpts {
  op: number;
  sha: string;
  spa: string;
  tha?: string;
  tpa: string;
}

/** ARP payload (Ethernet/IPv4, 28 bytes). */
export function arp(o: ArpOpts): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // htype Ethernet
  b.writeUInt16BE(ETH_P_IPV4, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(o.op, 6);
  macToBytes(o.sha).copy(b, 8);
  ipToBytes(o.spa).copy(b, 14);
  macToBytes(o.tha ?? ZERO_MAC).copy(b, 18);
  ipToBytes(o.tpa).copy(b, 24);
  return b;
}

/** Broadcast "who-has tpa tell spa". */
export function arpRequestFrame(o: { srcMac: string; srcIp: string; targetIp: string; vlan?: VlanTag; pad?: boolean }): Buffer {
  return ethernet({
    dst: BROADCAST_MAC,
    src: o.srcMac,
    vlan: o.vlan,
    type: ETH_P_ARP,
    pad: o.pad,
    payload: arp({ op: ARP_REQUEST, sha: o.srcMac, spa: o.srcIp, tha: ZERO_MAC, tpa: o.targetIp }),
  });
}

/** Unicast "spa is-at sha" to the requester. */
export function arpReplyFrame(o: { srcMac: string; srcIp: string; dstMac: string; dstIp: string; vlan?: VlanTag; pad?: boolean }): Buffer {
  return ethernet({
    dst: o.dstMac,
    src: o.srcMac,
    vlan: o.vlan,
    type: ETH_P_ARP,
    pad: o.pad,
    payload: arp({ op: ARP_REPLY, sha: o.srcMac, spa: o.srcIp, tha: o.dstMac, tpa: o.dstIp }),
  });
}

// ---------------------------------------------------------------- builders: IPv4

export interface Ipv4Opts {
  src: string;
  dst: string;
  proto: number;
  payload: Buffer;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** Raw option bytes; padded with EOL (0) to a multiple of 4. */
  options?: Buffer;
  // --- corruption overrides ---
  /** Store this checksum instead of the correct one. */
  checksum?: number;
  /** Store this IHL (in 32-bit words) instead of the real header length. */
  ihl?: number;
  /** Store this total length instead of the real one. */
  totalLength?: number;
  version?: number;
}

export function ipv4Header(o: Ipv4Opts): Buffer {
  let opts = o.options ?? Buffer.alloc(0);
  if (opts.length % 4) opts = Buffer.concat([opts, Buffer.alloc(4 - (opts.length % 4))]);
  const hlen = 20 + opts.length;
  if (hlen > 60) throw new Error('IPv4 options longer than 40 bytes');
  const h = Buffer.alloc(hlen);
  h[0] = ((o.version ?? 4) << 4) | ((o.ihl ?? hlen / 4) & 0xf);
  h[1] = o.tos ?? 0;
  h.writeUInt16BE((o.totalLength ?? hlen + o.payload.length) & 0xffff, 2);
  h.writeUInt16BE((o.id ?? 0) & 0xffff, 4);
  const flags = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0);
  h.writeUInt16BE(flags | ((o.fragOffset ?? 0) & 0x1fff), 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  h.writeUInt16BE(0, 10);
  ipToBytes(o.src).copy(h, 12);
  ipToBytes(o.dst).copy(h, 16);
  opts.copy(h, 20);
  h.writeUInt16BE(o.checksum ?? internetChecksum(h), 10);
  return h;
}

/** IPv4 header + payload. */
export function ipv4(o: Ipv4Opts): Buffer {
  return Buffer.concat([ipv4Header(o), o.payload]);
}

// ---------------------------------------------------------------- builders: ICMP

export interface IcmpOpts {
  type: number;
  code?: number;
  /** The 4 bytes after the checksum ("rest of header"). */
  rest?: Buffer;
  body?: Buffer;
  /** Store this checksum instead of the correct one. */
  checksum?: number;
}

/** A 32-bit big-endian field (an ICMP error's MTU or pointer, a SACK edge). */
export function be32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

export function icmp(o: IcmpOpts): Buffer {
  const rest = o.rest ?? Buffer.alloc(4);
  if (rest.length !== 4) throw new Error('ICMP rest-of-header must be 4 bytes');
  const b = Buffer.concat([Buffer.from([o.type, o.code ?? 0, 0, 0]), rest, o.body ?? Buffer.alloc(0)]);
  b.writeUInt16BE(o.checksum ?? internetChecksum(b), 2);
  return b;
}

export function icmpEcho(o: { reply?: boolean; id: number; seq: number; data?: Buffer; checksum?: number }): Buffer {
  const rest = Buffer.alloc(4);
  rest.writeUInt16BE(o.id & 0xffff, 0);
  rest.writeUInt16BE(o.seq & 0xffff, 2);
  return icmp({ type: o.reply ? ICMP_ECHO_REPLY : ICMP_ECHO_REQUEST, code: 0, rest, body: o.data, checksum: o.checksum });
}

/**
 * The part of an offending datagram that an ICMP error quotes: its IP header
 * plus the first 8 bytes of its payload (RFC 792), or `quoteBytes` in total.
 * `original` may be a bare IPv4 datagram or a whole Ethernet frame.
 */
export function icmpQuote(original: Buffer, quoteBytes?: number): Buffer {
  let ip = original;
  const looksLikeIp = original.length >= 20 && original[0] >> 4 === 4 && (original[0] & 0xf) >= 5;
  const etherType = original.length >= 14 ? original.readUInt16BE(12) : 0;
  const looksLikeFrame = etherType === ETH_P_IPV4 || etherType === ETH_P_8021Q;
  if (looksLikeFrame && !(looksLikeIp && original.readUInt16BE(2) === original.length)) {
    const p = parseFrame(original);
    if (p.ipv4Offset === undefined) throw new Error('icmpQuote: original has no IPv4 datagram');
    ip = original.subarray(p.ipv4Offset);
  }
  const ihl = (ip[0] & 0xf) * 4;
  const n = quoteBytes ?? ihl + 8;
  return Buffer.from(ip.subarray(0, Math.min(n, ip.length)));
}

/** Destination unreachable; code 4 (frag needed) carries the next-hop MTU (RFC 1191). */
export function icmpDestUnreach(o: { code: number; original: Buffer; nextHopMtu?: number; quoteBytes?: number; checksum?: number }): Buffer {
  const rest = Buffer.alloc(4);
  if (o.nextHopMtu !== undefined) rest.writeUInt16BE(o.nextHopMtu & 0xffff, 2);
  return icmp({ type: ICMP_DEST_UNREACH, code: o.code, rest, body: icmpQuote(o.original, o.quoteBytes), checksum: o.checksum });
}

export function icmpFragNeeded(o: { original: Buffer; nextHopMtu: number; quoteBytes?: number; checksum?: number }): Buffer {
  return icmpDestUnreach({ ...o, code: ICMP_UNREACH_FRAG_NEEDED });
}

/** Time exceeded; code 0 = TTL exceeded in transit, 1 = fragment reassembly. */
export function icmpTimeExceeded(o: { code?: number; original: Buffer; quoteBytes?: number; checksum?: number }): Buffer {
  return icmp({ type: ICMP_TIME_EXCEEDED, code: o.code ?? 0, body: icmpQuote(o.original, o.quoteBytes), checksum: o.checksum });
}

// ---------------------------------------------------------------- builders: TCP / UDP

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  timestamps?: { val: number; ecr: number };
  /** Raw option bytes appended after the named ones (before padding). */
  raw?: Buffer;
}

/** Encode TCP options in the order Linux uses (MSS, SACK-perm+TS, NOP, WS), padded with NOP/EOL to 4 bytes. */
export function tcpOptionsBytes(o: TcpOptions): Buffer {
  const parts: Buffer[] = [];
  if (o.mss !== undefined) {
    const b = Buffer.from([2, 4, 0, 0]);
    b.writeUInt16BE(o.mss, 2);
    parts.push(b);
  }
  if (o.sackPermitted && o.timestamps) parts.push(Buffer.from([4, 2]));
  else if (o.sackPermitted) parts.push(Buffer.from([1, 1, 4, 2]));
  if (o.timestamps) {
    const b = Buffer.alloc(10);
    b[0] = 8;
    b[1] = 10;
    b.writeUInt32BE(o.timestamps.val >>> 0, 2);
    b.writeUInt32BE(o.timestamps.ecr >>> 0, 6);
    if (!o.sackPermitted) parts.push(Buffer.from([1, 1]));
    parts.push(b);
  }
  if (o.wscale !== undefined) parts.push(Buffer.from([1, 3, 3, o.wscale]));
  if (o.raw) parts.push(o.raw);
  let out = Buffer.concat(parts);
  if (out.length % 4) out = Buffer.concat([out, Buffer.alloc(4 - (out.length % 4))]);
  if (out.length > 40) throw new Error('TCP options longer than 40 bytes');
  return out;
}

export interface TcpOpts {
  /** IPs are needed for the pseudo-header checksum. */
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Bitmask of TCP_* flags; default SYN. */
  flags?: number;
  window?: number;
  urgent?: number;
  options?: TcpOptions | Buffer;
  payload?: Buffer;
  checksum?: number;
  /** Data offset override (32-bit words), for corruption tests. */
  dataOffset?: number;
}

export function tcp(o: TcpOpts): Buffer {
  const opts = o.options === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.options) ? o.options : tcpOptionsBytes(o.options);
  const hlen = 20 + opts.length;
  const h = Buffer.alloc(hlen);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt32BE((o.seq ?? 0) >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h[12] = ((o.dataOffset ?? hlen / 4) & 0xf) << 4;
  h[13] = (o.flags ?? TCP_SYN) & 0xff;
  h.writeUInt16BE(o.window ?? 64240, 14);
  h.writeUInt16BE(0, 16);
  h.writeUInt16BE(o.urgent ?? 0, 18);
  opts.copy(h, 20);
  const seg = Buffer.concat([h, o.payload ?? Buffer.alloc(0)]);
  seg.writeUInt16BE(o.checksum ?? l4Checksum(o.src, o.dst, IPPROTO_TCP, seg), 16);
  return seg;
}

export interface UdpOpts {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload?: Buffer;
  /** Store this checksum; 0 means "no checksum" (legal for UDP over IPv4). */
  checksum?: number;
  length?: number;
}

export function udp(o: UdpOpts): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const seg = Buffer.alloc(8 + payload.length);
  seg.writeUInt16BE(o.sport, 0);
  seg.writeUInt16BE(o.dport, 2);
  seg.writeUInt16BE((o.length ?? seg.length) & 0xffff, 4);
  payload.copy(seg, 8);
  let c = o.checksum;
  if (c === undefined) {
    c = l4Checksum(o.src, o.dst, IPPROTO_UDP, seg);
    if (c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
  }
  seg.writeUInt16BE(c, 6);
  return seg;
}

// ---------------------------------------------------------------- builders: whole frames

export interface L2Opts {
  srcMac?: string;
  dstMac?: string;
  vlan?: VlanTag;
  pad?: boolean;
}

export type IpFields = Omit<Ipv4Opts, 'src' | 'dst' | 'proto' | 'payload'>;

export interface FrameCorruption {
  /** Cut the finished frame to this many bytes. */
  truncateTo?: number;
}

export function ipv4Frame(o: L2Opts & Ipv4Opts & FrameCorruption): Buffer {
  const f = ethernet({ dst: o.dstMac, src: o.srcMac, vlan: o.vlan, pad: o.pad, type: ETH_P_IPV4, payload: ipv4(o) });
  return o.truncateTo !== undefined ? truncate(f, o.truncateTo) : f;
}

export function icmpEchoFrame(
  o: L2Opts & FrameCorruption & { src: string; dst: string; id: number; seq: number; reply?: boolean; data?: Buffer; icmpChecksum?: number; ip?: IpFields },
): Buffer {
  const payload = icmpEcho({ reply: o.reply, id: o.id, seq: o.seq, data: o.data, checksum: o.icmpChecksum });
  return ipv4Frame({ ...o.ip, srcMac: o.srcMac, dstMac: o.dstMac, vlan: o.vlan, pad: o.pad, truncateTo: o.truncateTo, src: o.src, dst: o.dst, proto: IPPROTO_ICMP, payload });
}

export function tcpFrame(o: L2Opts & FrameCorruption & TcpOpts & { tcpChecksum?: number; ip?: IpFields }): Buffer {
  const seg = tcp({ ...o, checksum: o.tcpChecksum ?? o.checksum });
  return ipv4Frame({ ...o.ip, srcMac: o.srcMac, dstMac: o.dstMac, vlan: o.vlan, pad: o.pad, truncateTo: o.truncateTo, src: o.src, dst: o.dst, proto: IPPROTO_TCP, payload: seg });
}

export function udpFrame(o: L2Opts & FrameCorruption & UdpOpts & { udpChecksum?: number; ip?: IpFields }): Buffer {
  const seg = udp({ ...o, checksum: o.udpChecksum ?? o.checksum });
  return ipv4Frame({ ...o.ip, srcMac: o.srcMac, dstMac: o.dstMac, vlan: o.vlan, pad: o.pad, truncateTo: o.truncateTo, src: o.src, dst: o.dst, proto: IPPROTO_UDP, payload: seg });
}

/** A copy of the first `len` bytes. */
export function truncate(frame: Buffer, len: number): Buffer {
  return Buffer.from(frame.subarray(0, Math.max(0, Math.min(len, frame.length))));
}

/** Recompute the IPv4 header checksum (and L4 checksum when `l4` is true) of a frame in place-free fashion. */
export function fixChecksums(frame: Buffer, l4 = true): Buffer {
  const f = Buffer.from(frame);
  const p = parseFrame(f);
  if (p.ipv4Offset === undefined || !p.ipv4) return f;
  const off = p.ipv4Offset;
  const ihl = p.ipv4.ihl * 4;
  if (ihl < 20 || off + ihl > f.length) return f;
  f.writeUInt16BE(0, off + 10);
  f.writeUInt16BE(internetChecksum(f.subarray(off, off + ihl)), off + 10);
  if (!l4 || p.ipv4.fragOffset !== 0 || p.ipv4.mf) return f;
  const end = Math.min(f.length, off + p.ipv4.totalLength);
  const seg = f.subarray(off + ihl, end);
  if (p.ipv4.proto === IPPROTO_ICMP && seg.length >= 4) {
    seg.writeUInt16BE(0, 2);
    seg.writeUInt16BE(internetChecksum(seg), 2);
  } else if (p.ipv4.proto === IPPROTO_TCP && seg.length >= 20) {
    seg.writeUInt16BE(0, 16);
    seg.writeUInt16BE(l4Checksum(p.ipv4.src, p.ipv4.dst, IPPROTO_TCP, seg), 16);
  } else if (p.ipv4.proto === IPPROTO_UDP && seg.length >= 8 && seg.readUInt16BE(6) !== 0) {
    seg.writeUInt16BE(0, 6);
    let c = l4Checksum(p.ipv4.src, p.ipv4.dst, IPPROTO_UDP, seg);
    if (c === 0) c = 0xffff;
    seg.writeUInt16BE(c, 6);
  }
  return f;
}

// ---------------------------------------------------------------- parsing

export interface ParsedEthernet {
  dst: string;
  src: string;
  vlan?: { id: number; pcp: number; dei: boolean };
  type: number;
  headerLength: number;
}

export interface ParsedArp {
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  op: number;
  sha: string;
  spa: string;
  tha: string;
  tpa: string;
}

export interface ParsedIpv4 {
  version: number;
  ihl: number;
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  fragOffset: number;
  ttl: number;
  proto: number;
  checksum: number;
  src: string;
  dst: string;
  options: Buffer;
}

export interface ParsedTcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  timestamps?: { val: number; ecr: number };
  /** Kinds in wire order (NOP = 1 included, EOL = 0 not). */
  kinds: number[];
}

export interface ParsedTcp {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  dataOffset: number;
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  options: ParsedTcpOptions;
  payload: Buffer;
}

export interface ParsedUdp {
  sport: number;
  dport: number;
  length: number;
  checksum: number;
  payload: Buffer;
}

/** An IPv4 datagram quoted inside an ICMP error (header + at least 8 bytes, maybe truncated). */
export interface ParsedQuote {
  ipv4: ParsedIpv4;
  /** Raw quoted IP header. */
  header: Buffer;
  /** Quoted bytes after the IP header. */
  data: Buffer;
  sport?: number;
  dport?: number;
  /** For a quoted ICMP echo. */
  icmpType?: number;
  icmpId?: number;
  icmpSeq?: number;
}

export interface ParsedIcmp {
  type: number;
  code: number;
  checksum: number;
  /** Echo request/reply. */
  id?: number;
  seq?: number;
  /** Dest-unreach code 4. */
  nextHopMtu?: number;
  /** Echo data, or raw body of other types. */
  data: Buffer;
  /** For errors (3, 11, 12, 4, 5): the quoted original datagram. */
  original?: ParsedQuote;
}

export interface ParsedFrame {
  length: number;
  eth?: ParsedEthernet;
  arp?: ParsedArp;
  ipv4?: ParsedIpv4;
  /** Byte offset of the IPv4 header inside the frame. */
  ipv4Offset?: number;
  icmp?: ParsedIcmp;
  tcp?: ParsedTcp;
  udp?: ParsedUdp;
  /** Bytes after the IP datagram's total length (Ethernet padding). */
  trailer?: Buffer;
  /** Structural problems found while parsing (truncation, bad IHL, ...). */
  errors: string[];
}

function parseIpv4Header(b: Buffer, errors: string[], where: string): { ip: ParsedIpv4; hlen: number } | undefined {
  if (b.length < 20) {
    errors.push(`${where}: truncated header (${b.length} < 20 bytes)`);
    return undefined;
  }
  const version = b[0] >> 4;
  const ihl = b[0] & 0xf;
  const hlen = ihl * 4;
  if (version !== 4) errors.push(`${where}: version ${version} != 4`);
  if (ihl < 5) errors.push(`${where}: bad IHL ${ihl} (< 5)`);
  else if (hlen > b.length) errors.push(`${where}: IHL ${ihl} (${hlen} bytes) exceeds ${b.length} available bytes`);
  const ff = b.readUInt16BE(6);
  const ip: ParsedIpv4 = {
    version,
    ihl,
    tos: b[1],
    totalLength: b.readUInt16BE(2),
    id: b.readUInt16BE(4),
    df: (ff & 0x4000) !== 0,
    mf: (ff & 0x2000) !== 0,
    fragOffset: ff & 0x1fff,
    ttl: b[8],
    proto: b[9],
    checksum: b.readUInt16BE(10),
    src: bytesToIp(b, 12),
    dst: bytesToIp(b, 16),
    options: Buffer.from(b.subarray(20, Math.max(20, Math.min(hlen, b.length)))),
  };
  return { ip, hlen: Math.max(20, Math.min(hlen, b.length)) };
}

function parseTcpOptions(b: Buffer, errors: string[]): ParsedTcpOptions {
  const out: ParsedTcpOptions = { kinds: [] };
  let i = 0;
  while (i < b.length) {
    const kind = b[i];
    if (kind === 0) break;
    out.kinds.push(kind);
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= b.length) {
      errors.push(`tcp: option ${kind} truncated`);
      break;
    }
    const len = b[i + 1];
    if (len < 2 || i + len > b.length) {
      errors.push(`tcp: option ${kind} has bad length ${len}`);
      break;
    }
    if (kind === 2 && len === 4) out.mss = b.readUInt16BE(i + 2);
    else if (kind === 3 && len === 3) out.wscale = b[i + 2];
    else if (kind === 4 && len === 2) out.sackPermitted = true;
    else if (kind === 8 && len === 10) out.timestamps = { val: b.readUInt32BE(i + 2), ecr: b.readUInt32BE(i + 6) };
    i += len;
  }
  return out;
}

function parseQuote(b: Buffer, errors: string[]): ParsedQuote | undefined {
  const r = parseIpv4Header(b, errors, 'icmp.original.ipv4');
  if (!r) return undefined;
  const data = Buffer.from(b.subarray(r.hlen));
  const q: ParsedQuote = { ipv4: r.ip, header: Buffer.from(b.subarray(0, r.hlen)), data };
  if (data.length < 8) errors.push(`icmp.original: only ${data.length} bytes quoted after the IP header (< 8)`);
  if ((r.ip.proto === IPPROTO_TCP || r.ip.proto === IPPROTO_UDP) && data.length >= 4) {
    q.sport = data.readUInt16BE(0);
    q.dport = data.readUInt16BE(2);
  } else if (r.ip.proto === IPPROTO_ICMP && data.length >= 8) {
    q.icmpType = data[0];
    if (data[0] === ICMP_ECHO_REQUEST || data[0] === ICMP_ECHO_REPLY) {
      q.icmpId = data.readUInt16BE(4);
      q.icmpSeq = data.readUInt16BE(6);
    }
  }
  return q;
}

/** Parse an Ethernet frame as far as it goes; never throws. */
export function parseFrame(frame: Buffer): ParsedFrame {
  const out: ParsedFrame = { length: frame.length, errors: [] };
  const errors = out.errors;
  if (frame.length < 14) {
    errors.push(`ethernet: truncated (${frame.length} < 14 bytes)`);
    return out;
  }
  let type = frame.readUInt16BE(12);
  let off = 14;
  const eth: ParsedEthernet = { dst: bytesToMac(frame, 0), src: bytesToMac(frame, 6), type, headerLength: 14 };
  if (type === ETH_P_8021Q) {
    if (frame.length < 18) {
      errors.push('ethernet: truncated 802.1Q tag');
      out.eth = eth;
      return out;
    }
    const tci = frame.readUInt16BE(14);
    eth.vlan = { id: tci & 0xfff, pcp: tci >> 13, dei: (tci & 0x1000) !== 0 };
    type = frame.readUInt16BE(16);
    eth.type = type;
    eth.headerLength = 18;
    off = 18;
  }
  out.eth = eth;
  const l3 = frame.subarray(off);
  if (type === ETH_P_ARP) {
    if (l3.length < 28) {
      errors.push(`arp: truncated (${l3.length} < 28 bytes)`);
      return out;
    }
    out.arp = {
      htype: l3.readUInt16BE(0),
      ptype: l3.readUInt16BE(2),
      hlen: l3[4],
      plen: l3[5],
      op: l3.readUInt16BE(6),
      sha: bytesToMac(l3, 8),
      spa: bytesToIp(l3, 14),
      tha: bytesToMac(l3, 18),
      tpa: bytesToIp(l3, 24),
    };
    if (l3.length > 28) out.trailer = Buffer.from(l3.subarray(28));
    return out;
  }
  if (type !== ETH_P_IPV4) return out;
  out.ipv4Offset = off;
  const r = parseIpv4Header(l3, errors, 'ipv4');
  if (!r) return out;
  const ip = r.ip;
  out.ipv4 = ip;
  if (ip.ihl < 5 || ip.ihl * 4 > l3.length) return out;
  let end = l3.length;
  if (ip.totalLength < ip.ihl * 4) {
    errors.push(`ipv4: total length ${ip.totalLength} < header length ${ip.ihl * 4}`);
    return out;
  }
  if (ip.totalLength > l3.length) {
    errors.push(`ipv4: truncated (total length ${ip.totalLength} > ${l3.length} bytes present)`);
  } else {
    end = ip.totalLength;
    if (l3.length > end) out.trailer = Buffer.from(l3.subarray(end));
  }
  if (ip.fragOffset !== 0) return out; // non-first fragment: no L4 header
  const l4 = l3.subarray(ip.ihl * 4, end);
  if (ip.proto === IPPROTO_ICMP) {
    if (l4.length < 8) {
      errors.push(`icmp: truncated (${l4.length} < 8 bytes)`);
      return out;
    }
    const ic: ParsedIcmp = { type: l4[0], code: l4[1], checksum: l4.readUInt16BE(2), data: Buffer.from(l4.subarray(8)) };
    if (ic.type === ICMP_ECHO_REQUEST || ic.type === ICMP_ECHO_REPLY) {
      ic.id = l4.readUInt16BE(4);
      ic.seq = l4.readUInt16BE(6);
    } else if (ic.type === ICMP_DEST_UNREACH || ic.type === ICMP_TIME_EXCEEDED || ic.type === 4 || ic.type === 5 || ic.type === 12) {
      if (ic.type === ICMP_DEST_UNREACH && ic.code === ICMP_UNREACH_FRAG_NEEDED) ic.nextHopMtu = l4.readUInt16BE(6);
      ic.original = parseQuote(l4.subarray(8), errors);
    }
    out.icmp = ic;
  } else if (ip.proto === IPPROTO_TCP) {
    if (l4.length < 20) {
      errors.push(`tcp: truncated (${l4.length} < 20 bytes)`);
      return out;
    }
    const doff = l4[12] >> 4;
    let hl = doff * 4;
    if (doff < 5) errors.push(`tcp: bad data offset ${doff}`);
    if (hl > l4.length) {
      errors.push(`tcp: data offset ${doff} exceeds segment (${l4.length} bytes)`);
      hl = l4.length;
    }
    out.tcp = {
      sport: l4.readUInt16BE(0),
      dport: l4.readUInt16BE(2),
      seq: l4.readUInt32BE(4),
      ack: l4.readUInt32BE(8),
      dataOffset: doff,
      flags: l4[13],
      window: l4.readUInt16BE(14),
      checksum: l4.readUInt16BE(16),
      urgent: l4.readUInt16BE(18),
      options: parseTcpOptions(l4.subarray(20, Math.max(20, hl)), errors),
      payload: Buffer.from(l4.subarray(Math.max(20, hl))),
    };
  } else if (ip.proto === IPPROTO_UDP) {
    if (l4.length < 8) {
      errors.push(`udp: truncated (${l4.length} < 8 bytes)`);
      return out;
    }
    const len = l4.readUInt16BE(4);
    if (len < 8 || len > l4.length) errors.push(`udp: length field ${len} inconsistent with ${l4.length} bytes`);
    out.udp = {
      sport: l4.readUInt16BE(0),
      dport: l4.readUInt16BE(2),
      length: len,
      checksum: l4.readUInt16BE(6),
      payload: Buffer.from(l4.subarray(8, Math.min(l4.length, Math.max(8, len)))),
    };
  }
  return out;
}

// ---------------------------------------------------------------- verification

function hex16(n: number): string {
  return '0x' + n.toString(16).padStart(4, '0');
}

/**
 * Every structural problem and wrong checksum in a frame (empty list = clean).
 * Checks: IPv4 header checksum, ICMP checksum, TCP/UDP pseudo-header checksum
 * (UDP 0 = none is accepted; fragments skip L4), and inside ICMP errors the
 * quoted IPv4 header checksum (and the quoted L4 checksum when fully quoted).
 */
export function verifyChecksums(frame: Buffer): string[] {
  const p = parseFrame(frame);
  const problems = [...p.errors];
  if (!p.ipv4 || p.ipv4Offset === undefined) return problems;
  const ip = p.ipv4;
  const l3 = frame.subarray(p.ipv4Offset);
  const hlen = ip.ihl * 4;
  if (ip.ihl < 5 || hlen > l3.length) return problems;
  const hsum = onesComplementSum(l3.subarray(0, hlen));
  if (hsum !== 0xffff) {
    const copy = Buffer.from(l3.subarray(0, hlen));
    copy.writeUInt16BE(0, 10);
    problems.push(`ipv4: header checksum ${hex16(ip.checksum)} wrong, expected ${hex16(internetChecksum(copy))}`);
  }
  if (ip.fragOffset !== 0 || ip.mf) return problems;
  if (ip.totalLength > l3.length || ip.totalLength < hlen) return problems;
  const seg = l3.subarray(hlen, ip.totalLength);
  if (ip.proto === IPPROTO_ICMP && seg.length >= 4) {
    if (onesComplementSum(seg) !== 0xffff) {
      const c = Buffer.from(seg);
      c.writeUInt16BE(0, 2);
      problems.push(`icmp: checksum ${hex16(seg.readUInt16BE(2))} wrong, expected ${hex16(internetChecksum(c))}`);
    }
    const q = p.icmp?.original;
    if (q) {
      const qs = onesComplementSum(q.header);
      if (q.header.length >= 20 && qs !== 0xffff) {
        const c = Buffer.from(q.header);
        c.writeUInt16BE(0, 10);
        problems.push(`icmp.original.ipv4: header checksum ${hex16(q.ipv4.checksum)} wrong, expected ${hex16(internetChecksum(c))}`);
      }
      const qlen = q.ipv4.totalLength - q.header.length;
      if (q.ipv4.fragOffset === 0 && !q.ipv4.mf && qlen > 0 && q.data.length >= qlen) {
        problems.push(...verifyL4(q.ipv4.src, q.ipv4.dst, q.ipv4.proto, q.data.subarray(0, qlen), 'icmp.original.'));
      }
    }
  } else if (ip.proto === IPPROTO_TCP || ip.proto === IPPROTO_UDP) {
    problems.push(...verifyL4(ip.src, ip.dst, ip.proto, seg, ''));
  }
  return problems;
}

function verifyL4(src: string, dst: string, proto: number, seg: Buffer, where: string): string[] {
  const out: string[] = [];
  if (proto === IPPROTO_TCP && seg.length >= 20) {
    const s = onesComplementSum(seg, onesComplementSum(pseudoHeader(src, dst, proto, seg.length)));
    if (s !== 0xffff) {
      const c = Buffer.from(seg);
      c.writeUInt16BE(0, 16);
      out.push(`${where}tcp: checksum ${hex16(seg.readUInt16BE(16))} wrong, expected ${hex16(l4Checksum(src, dst, proto, c))}`);
    }
  } else if (proto === IPPROTO_UDP && seg.length >= 8) {
    const stored = seg.readUInt16BE(6);
    if (stored === 0) return out; // no checksum
    const len = Math.min(seg.length, Math.max(8, seg.readUInt16BE(4)));
    const body = seg.subarray(0, len);
    const s = onesComplementSum(body, onesComplementSum(pseudoHeader(src, dst, proto, len)));
    if (s !== 0xffff) {
      const c = Buffer.from(body);
      c.writeUInt16BE(0, 6);
      let e = l4Checksum(src, dst, proto, c);
      if (e === 0) e = 0xffff;
      out.push(`${where}udp: checksum ${hex16(stored)} wrong, expected ${hex16(e)}`);
    }
  } else if (proto === IPPROTO_ICMP && seg.length >= 4) {
    if (onesComplementSum(seg) !== 0xffff) out.push(`${where}icmp: checksum ${hex16(seg.readUInt16BE(2))} wrong`);
  }
  return out;
}

// ---------------------------------------------------------------- pretty printing

export function tcpFlagsString(flags: number): string {
  const names: [number, string][] = [
    [TCP_SYN, 'S'],
    [TCP_FIN, 'F'],
    [TCP_RST, 'R'],
    [TCP_PSH, 'P'],
    [TCP_ACK, '.'],
    [TCP_URG, 'U'],
    [TCP_ECE, 'E'],
    [TCP_CWR, 'W'],
  ];
  const s = names.filter(([b]) => flags & b).map(([, n]) => n).join('');
  return s || 'none';
}

function icmpName(type: number, code: number): string {
  switch (type) {
    case ICMP_ECHO_REPLY:
      return 'echo-reply';
    case ICMP_ECHO_REQUEST:
      return 'echo-request';
    case ICMP_DEST_UNREACH:
      return ['net-unreach', 'host-unreach', 'proto-unreach', 'port-unreach', 'frag-needed'][code] ?? `unreach code ${code}`;
    case ICMP_TIME_EXCEEDED:
      return code === 0 ? 'ttl-exceeded' : code === 1 ? 'reassembly-exceeded' : `time-exceeded code ${code}`;
    default:
      return `type ${type} code ${code}`;
  }
}

function protoName(p: number): string {
  return p === IPPROTO_TCP ? 'TCP' : p === IPPROTO_UDP ? 'UDP' : p === IPPROTO_ICMP ? 'ICMP' : p === IPPROTO_IPIP ? 'IPIP' : `proto ${p}`;
}

function describeQuote(q: ParsedQuote): string {
  const ip = q.ipv4;
  if (q.sport !== undefined) return `[${protoName(ip.proto)} ${ip.src}:${q.sport} > ${ip.dst}:${q.dport} ttl ${ip.ttl}]`;
  if (q.icmpType !== undefined) return `[ICMP ${ip.src} > ${ip.dst} ${icmpName(q.icmpType, 0)}${q.icmpId !== undefined ? ` id ${q.icmpId} seq ${q.icmpSeq}` : ''}]`;
  return `[${protoName(ip.proto)} ${ip.src} > ${ip.dst}]`;
}

/** One line, tcpdump-like: "02:..>ff:.. vlan 5 IPv4 198.18.0.10 > 198.18.0.100 ttl 64 id 1 ICMP echo-request id 7 seq 1 (98 bytes)". */
export function describe(frame: Buffer): string {
  const p = parseFrame(frame);
  const parts: string[] = [];
  if (p.eth) {
    parts.push(`${p.eth.src} > ${p.eth.dst}`);
    if (p.eth.vlan) parts.push(`vlan ${p.eth.vlan.id}${p.eth.vlan.pcp ? ` pcp ${p.eth.vlan.pcp}` : ''}`);
  }
  if (p.arp) {
    const a = p.arp;
    if (a.op === ARP_REQUEST) parts.push(`ARP who-has ${a.tpa} tell ${a.spa} (${a.sha})`);
    else if (a.op === ARP_REPLY) parts.push(`ARP reply ${a.spa} is-at ${a.sha} to ${a.tpa} (${a.tha})`);
    else parts.push(`ARP op ${a.op} ${a.spa} > ${a.tpa}`);
  } else if (p.ipv4) {
    const ip = p.ipv4;
    const frag = ip.mf || ip.fragOffset ? ` frag off ${ip.fragOffset * 8}${ip.mf ? '+' : ''}` : '';
    const df = ip.df ? ' DF' : '';
    const opts = ip.options.length ? ` opts ${ip.options.length}B` : '';
    if (p.tcp) {
      const t = p.tcp;
      const o = t.options;
      const ol: string[] = [];
      if (o.mss !== undefined) ol.push(`mss ${o.mss}`);
      if (o.wscale !== undefined) ol.push(`wscale ${o.wscale}`);
      if (o.sackPermitted) ol.push('sackOK');
      if (o.timestamps) ol.push(`TS ${o.timestamps.val}/${o.timestamps.ecr}`);
      parts.push(
        `IPv4 TCP ${ip.src}:${t.sport} > ${ip.dst}:${t.dport} [${tcpFlagsString(t.flags)}] seq ${t.seq}` +
          (t.flags & TCP_ACK ? ` ack ${t.ack}` : '') +
          ` win ${t.window}${ol.length ? ` <${ol.join(',')}>` : ''} len ${t.payload.length} ttl ${ip.ttl}${df}${opts}`,
      );
    } else if (p.udp) {
      parts.push(`IPv4 UDP ${ip.src}:${p.udp.sport} > ${ip.dst}:${p.udp.dport} len ${p.udp.payload.length} ttl ${ip.ttl}${df}${opts}`);
    } else if (p.icmp) {
      const ic = p.icmp;
      let s = `IPv4 ICMP ${ip.src} > ${ip.dst} ${icmpName(ic.type, ic.code)}`;
      if (ic.id !== undefined) s += ` id ${ic.id} seq ${ic.seq} len ${ic.data.length}`;
      if (ic.nextHopMtu !== undefined) s += ` mtu ${ic.nextHopMtu}`;
      if (ic.original) s += ` ${describeQuote(ic.original)}`;
      parts.push(`${s} ttl ${ip.ttl}${df}${opts}`);
    } else {
      parts.push(`IPv4 ${protoName(ip.proto)} ${ip.src} > ${ip.dst} ttl ${ip.ttl}${df}${frag}${opts}`);
    }
    if (frag && (p.tcp || p.udp || p.icmp)) parts.push(frag.trim());
  } else if (p.eth) {
    parts.push(`ethertype 0x${p.eth.type.toString(16).padStart(4, '0')}`);
  }
  parts.push(`(${frame.length} bytes)`);
  if (p.errors.length) parts.push(`!! ${p.errors.join('; ')}`);
  return parts.join(' ');
}

// ---------------------------------------------------------------- diffing

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value === undefined) return;
  if (Buffer.isBuffer(value)) {
    out.set(prefix, value.length ? value.toString('hex') : '(empty)');
    return;
  }
  if (Array.isArray(value)) {
    out.set(prefix, `[${value.join(',')}]`);
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, typeof value === 'number' && /checksum/i.test(prefix) ? hex16(value) : String(value));
}

/** Parsed fields as "layer.field" -> printable value (used by diffFrames). */
export function frameFields(frame: Buffer): Map<string, string> {
  const p = parseFrame(frame);
  const m = new Map<string, string>();
  const { errors, ...rest } = p;
  flatten(rest, '', m);
  if (errors.length) m.set('errors', errors.join('; '));
  return m;
}

/**
 * Human-readable differences between two frames: first every differing parsed
 * field ("ipv4.ttl: expected 64, got 63"), then up to `maxBytes` differing byte
 * offsets. Empty list = identical.
 */
export function diffFrames(expected: Buffer, actual: Buffer, maxBytes = 16): string[] {
  if (expected.equals(actual)) return [];
  const out: string[] = [];
  const fe = frameFields(expected);
  const fa = frameFields(actual);
  const keys = new Set<string>([...fe.keys(), ...fa.keys()]);
  for (const k of keys) {
    const e = fe.get(k);
    const a = fa.get(k);
    if (e !== a) out.push(`${k}: expected ${e ?? '(absent)'}, got ${a ?? '(absent)'}`);
  }
  if (expected.length !== actual.length) out.push(`frame length: expected ${expected.length}, got ${actual.length}`);
  const n = Math.min(expected.length, actual.length);
  let shown = 0;
  let more = 0;
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      if (shown < maxBytes) {
        out.push(`byte ${i}: expected 0x${expected[i].toString(16).padStart(2, '0')}, got 0x${actual[i].toString(16).padStart(2, '0')}`);
        shown++;
      } else more++;
    }
  }
  if (more) out.push(`... and ${more} more differing bytes`);
  return out;
}

/** Hex dump in 16-byte rows, for failure messages. */
export function hexdump(frame: Buffer): string {
  const rows: string[] = [];
  for (let i = 0; i < frame.length; i += 16) {
    const chunk = frame.subarray(i, i + 16);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    rows.push(`${i.toString(16).padStart(4, '0')}  ${hex}`);
  }
  return rows.join('\n');
}

/** Parse a hex string with optional whitespace/colons (for test vectors). */
export function fromHex(s: string): Buffer {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 || /[^0-9a-fA-F]/.test(clean)) throw new Error('bad hex string');
  return Buffer.from(clean, 'hex');
}
