// IPv6 frame builders and checks for the packet fixtures, beside packet.ts
// (IPv4) and sharing no code with the product: addresses, the fixed header,
// extension headers, ICMPv6 (echo, neighbour discovery), TCP and UDP, with
// the pseudo-header checksum of RFC 8200 section 8.1.
import assert from 'node:assert/strict';
import {
  ETH_P_IPV6, IPPROTO_TCP, IPPROTO_UDP, bytesToMac, describe, diffFrames, ethernet, hexdump, macToBytes, onesComplementSum, tcp, udp,
  verifyChecksums,
  type TcpOpts, type UdpOpts,
} from './packet';

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;

export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;
export const ICMP6_MLD2_REPORT = 143;
export const ND_ROUTER_SOLICIT = 133;
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_SLLA = 1;
export const ND_OPT_TLLA = 2;
export const NA_ROUTER = 0x80;
export const NA_SOLICITED = 0x40;
export const NA_OVERRIDE = 0x20;

export const ALL_NODES = 'ff02::1';

/** 16 bytes of an IPv6 address in any RFC 4291 text form (no embedded IPv4). */
export function ip6ToBytes(text: string): Buffer {
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address ${text}`);
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => {
    if (!/^[0-9a-f]{1,4}$/i.test(w)) throw new Error(`bad IPv6 address ${text}`);
    return parseInt(w, 16);
  }));
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) throw new Error(`bad IPv6 address ${text}`);
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(w, i * 2));
  return b;
}

/** RFC 5952 text of 16 bytes: lower case, the longest run of two or more zero words as ::. */
export function bytesToIp6(b: Buffer, off = 0): string {
  const w = [...Array(8).keys()].map((i) => b.readUInt16BE(off + i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** The solicited-node group of an address (RFC 4291 2.7.1). */
export function solicitedNode(ip: string): string {
  const b = ip6ToBytes('ff02::1:ff00:0');
  ip6ToBytes(ip).copy(b, 13, 13, 16);
  return bytesToIp6(b);
}

/** The Ethernet MAC of an IPv6 multicast group (RFC 2464 section 7). */
export function multicastMac(group: string): string {
  const b = Buffer.from([0x33, 0x33, ...ip6ToBytes(group).subarray(12)]);
  return bytesToMac(b);
}

/** Checksum of an upper-layer message (its checksum field zero) over the IPv6 pseudo header. */
export function l4Checksum6(src: string, dst: string, proto: number, msg: Buffer): number {
  const ph = Buffer.alloc(40);
  ip6ToBytes(src).copy(ph, 0);
  ip6ToBytes(dst).copy(ph, 16);
  ph.writeUInt32BE(msg.length, 32);
  ph[39] = proto;
  return ~onesComplementSum(msg, onesComplementSum(ph)) & 0xffff;
}

export interface ExtHeader {
  /** IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS or IPPROTO_FRAGMENT. */
  type: number;
  /** The header after its first two bytes (next header, length); padded to a multiple of 8 with PadN. */
  body?: Buffer;
  /** Fragment header: offset in bytes (multiple of 8), more-fragments flag, identification. */
  frag?: { offset: number; more: boolean; id: number };
  /** Override the length byte (hostile frames). */
  lengthByte?: number;
}

function extBytes(h: ExtHeader, next: number): Buffer {
  if (h.type === IPPROTO_FRAGMENT) {
    const f = h.frag ?? { offset: 0, more: false, id: 1 };
    const b = Buffer.alloc(8);
    b[0] = next;
    b.writeUInt16BE(f.offset | (f.more ? 1 : 0), 2);
    b.writeUInt32BE(f.id >>> 0, 4);
    return b;
  }
  const body = h.body ?? Buffer.alloc(0);
  const total = Math.max(8, Math.ceil((body.length + 2) / 8) * 8);
  const b = Buffer.alloc(total);
  b[0] = next;
  b[1] = h.lengthByte ?? total / 8 - 1;
  body.copy(b, 2);
  const padLen = total - 2 - body.length;
  if (padLen === 1) b[2 + body.length] = 0; // Pad1
  else if (padLen >= 2) {
    b[2 + body.length] = 1; // PadN
    b[3 + body.length] = padLen - 2;
  }
  return b;
}

export interface Ipv6Opts {
  src: string;
  dst: string;
  /** Upper-layer protocol after the extension headers. */
  proto: number;
  payload: Buffer;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  ext?: ExtHeader[];
  /** Override the payload length field (hostile frames). */
  payloadLength?: number;
  version?: number;
}

export function ipv6(o: Ipv6Opts): Buffer {
  const exts = o.ext ?? [];
  const chain = exts.map((h, i) => extBytes(h, i + 1 < exts.length ? exts[i + 1]!.type : o.proto));
  const body = Buffer.concat([...chain, o.payload]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE((((o.version ?? 6) << 28) | ((o.trafficClass ?? 0) << 20) | (o.flowLabel ?? 0)) >>> 0, 0);
  h.writeUInt16BE(o.payloadLength ?? body.length, 4);
  h[6] = exts.length ? exts[0]!.type : o.proto;
  h[7] = o.hopLimit ?? 64;
  ip6ToBytes(o.src).copy(h, 8);
  ip6ToBytes(o.dst).copy(h, 24);
  return Buffer.concat([h, body]);
}

/** An ICMPv6 message with its checksum (over src/dst) filled in unless given. */
export function icmp6(o: { src: string; dst: string; type: number; code?: number; body: Buffer; checksum?: number }): Buffer {
  const m = Buffer.concat([Buffer.from([o.type, o.code ?? 0, 0, 0]), o.body]);
  m.writeUInt16BE(o.checksum ?? l4Checksum6(o.src, o.dst, IPPROTO_ICMPV6, m), 2);
  return m;
}

export interface Frame6Opts {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  ext?: ExtHeader[];
  pad?: boolean;
}

export function icmp6Frame(o: Frame6Opts & { type: number; code?: number; body: Buffer; checksum?: number }): Buffer {
  const msg = icmp6(o);
  return ethernet({ src: o.srcMac, dst: o.dstMac, type: ETH_P_IPV6, pad: o.pad,
    payload: ipv6({ src: o.src, dst: o.dst, proto: IPPROTO_ICMPV6, payload: msg, hopLimit: o.hopLimit, ext: o.ext,
      trafficClass: o.trafficClass, flowLabel: o.flowLabel }) });
}

export function echoBody(id: number, seq: number, data: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(seq, 2);
  return Buffer.concat([b, data]);
}

export function echo6Frame(o: Frame6Opts & { reply?: boolean; id: number; seq: number; data: Buffer; checksum?: number }): Buffer {
  return icmp6Frame({ ...o, type: o.reply ? ICMP6_ECHO_REPLY : ICMP6_ECHO_REQUEST, body: echoBody(o.id, o.seq, o.data) });
}

function lla(type: number, mac: string): Buffer {
  return Buffer.concat([Buffer.from([type, 1]), macToBytes(mac)]);
}

/** A neighbour solicitation for target; to its solicited-node group unless dst/dstMac say otherwise. */
export function nsFrame(o: { srcMac: string; src: string; target: string; dst?: string; dstMac?: string; slla?: string | null;
  hopLimit?: number; code?: number; checksum?: number; options?: Buffer }): Buffer {
  const dst = o.dst ?? solicitedNode(o.target);
  const opt = o.options ?? (o.slla === null ? Buffer.alloc(0) : lla(ND_OPT_SLLA, o.slla ?? o.srcMac));
  const body = Buffer.concat([Buffer.alloc(4), ip6ToBytes(o.target), opt]);
  return icmp6Frame({ srcMac: o.srcMac, dstMac: o.dstMac ?? multicastMac(dst), src: o.src, dst, hopLimit: o.hopLimit ?? 255,
    type: ND_NEIGHBOR_SOLICIT, code: o.code, body, checksum: o.checksum });
}

/** A neighbour advert of target (with a target link-layer option unless tlla is null). */
export function naFrame(o: { srcMac: string; dstMac: string; src?: string; dst: string; target: string; flags: number;
  tlla?: string | null; hopLimit?: number }): Buffer {
  const flags = Buffer.alloc(4);
  flags[0] = o.flags;
  const opt = o.tlla === null ? Buffer.alloc(0) : lla(ND_OPT_TLLA, o.tlla ?? o.srcMac);
  const body = Buffer.concat([flags, ip6ToBytes(o.target), opt]);
  return icmp6Frame({ srcMac: o.srcMac, dstMac: o.dstMac, src: o.src ?? o.target, dst: o.dst, hopLimit: o.hopLimit ?? 255,
    type: ND_NEIGHBOR_ADVERT, body });
}

/** A TCP segment over IPv6, its checksum over the IPv6 pseudo header unless given. */
export function tcp6Frame(o: Frame6Opts & Omit<TcpOpts, 'checksum'> & { checksum?: number }): Buffer {
  const seg = tcp({ ...o, checksum: 0 });
  seg.writeUInt16BE(o.checksum ?? l4Checksum6(o.src, o.dst, IPPROTO_TCP, seg), 16);
  return ethernet({ src: o.srcMac, dst: o.dstMac, type: ETH_P_IPV6, pad: o.pad,
    payload: ipv6({ src: o.src, dst: o.dst, proto: IPPROTO_TCP, payload: seg, hopLimit: o.hopLimit, ext: o.ext,
      trafficClass: o.trafficClass, flowLabel: o.flowLabel }) });
}

/** A UDP datagram over IPv6; its checksum is mandatory (a computed 0 is sent as 0xffff). */
export function udp6Frame(o: Frame6Opts & Omit<UdpOpts, 'checksum'> & { checksum?: number }): Buffer {
  const seg = udp({ ...o, checksum: 0 });
  let c = o.checksum ?? l4Checksum6(o.src, o.dst, IPPROTO_UDP, seg);
  if (o.checksum === undefined && c === 0) c = 0xffff;
  seg.writeUInt16BE(c, 6);
  return ethernet({ src: o.srcMac, dst: o.dstMac, type: ETH_P_IPV6, pad: o.pad,
    payload: ipv6({ src: o.src, dst: o.dst, proto: IPPROTO_UDP, payload: seg, hopLimit: o.hopLimit, ext: o.ext,
      trafficClass: o.trafficClass, flowLabel: o.flowLabel }) });
}

/** The upper-layer header's offset in an IPv6 frame (after any extension headers) and its protocol. */
export function upperLayer6(frame: Buffer): { off: number; proto: number } {
  const ip = frame.subarray(14);
  let next = ip[6]!;
  let off = 40;
  while (next === IPPROTO_HOPOPTS || next === IPPROTO_ROUTING || next === IPPROTO_DSTOPTS || next === IPPROTO_FRAGMENT) {
    const len = next === IPPROTO_FRAGMENT ? 8 : (ip[off + 1]! + 1) * 8;
    next = ip[off]!;
    off += len;
  }
  return { off: 14 + off, proto: next };
}

/** Checksum problems of an IPv6 frame's ICMPv6 message (empty when right, or not ICMPv6). */
export function verifyChecksums6(frame: Buffer): string[] {
  if (frame.length < 54 || frame.readUInt16BE(12) !== ETH_P_IPV6) return [];
  const ip = frame.subarray(14);
  const plen = ip.readUInt16BE(4);
  if (40 + plen > ip.length) return [`ipv6: payload length ${plen} overruns the frame`];
  const { off: at, proto: next } = upperLayer6(frame);
  const off = at - 14;
  const ckAt = next === IPPROTO_ICMPV6 ? 2 : next === IPPROTO_TCP ? 16 : next === IPPROTO_UDP ? 6 : -1;
  // A fragment's checksum covers the whole datagram: not checkable here.
  if (ckAt < 0 || hasFragmentHeader(ip)) return [];
  const msg = Buffer.from(ip.subarray(off, 40 + plen));
  const stored = msg.readUInt16BE(ckAt);
  msg.writeUInt16BE(0, ckAt);
  let want = l4Checksum6(bytesToIp6(ip, 8), bytesToIp6(ip, 24), next, msg);
  if (next === IPPROTO_UDP && want === 0) want = 0xffff;
  const name = next === IPPROTO_ICMPV6 ? 'icmpv6' : next === IPPROTO_TCP ? 'tcp' : 'udp';
  return stored === want ? [] : [`${name}: checksum 0x${stored.toString(16)} wrong, expected 0x${want.toString(16)}`];
}

function hasFragmentHeader(ip: Buffer): boolean {
  let next = ip[6]!;
  let off = 40;
  while (next === IPPROTO_HOPOPTS || next === IPPROTO_ROUTING || next === IPPROTO_DSTOPTS) {
    next = ip[off]!;
    off += (ip[off + 1]! + 1) * 8;
  }
  return next === IPPROTO_FRAGMENT;
}

/** One line about an IPv6 frame, for failure messages. */
export function describe6(frame: Buffer): string {
  if (frame.length < 54 || frame.readUInt16BE(12) !== ETH_P_IPV6) return `non-IPv6 frame of ${frame.length} bytes`;
  const ip = frame.subarray(14);
  const src = bytesToIp6(ip, 8);
  const dst = bytesToIp6(ip, 24);
  const nh = ip[6]!;
  const what = nh === IPPROTO_ICMPV6 && ip.length >= 42 ? `ICMPv6 type ${ip[40]} code ${ip[41]}` : `next header ${nh}`;
  return `${bytesToMac(frame, 6)} > ${bytesToMac(frame, 0)} IPv6 ${src} > ${dst} hlim ${ip[7]} ${what} len ${ip.readUInt16BE(4)}`;
}

/** Frames as the fixtures print them on failure: queue, one line, hex dump. */
export function showFrames6(frames: ReadonlyArray<{ queue: number; frame: Buffer }>): string {
  return frames.map((f, i) => `  #${i} q${f.queue} ${f.frame.readUInt16BE(12) === ETH_P_IPV6 ? describe6(f.frame) : describe(f.frame)}\n${hexdump(f.frame)}`).join('\n');
}

/** The frames that came out are exactly `expected`, byte for byte, each with a right checksum (IPv6's or, for an IPv4 frame, IPv4's). */
export function assertFrames6(got: ReadonlyArray<{ queue: number; frame: Buffer }>, expected: Buffer[], what: string): void {
  assert.equal(got.length, expected.length, `${what}: expected ${expected.length} frame(s), got ${got.length}\n${showFrames6(got)}`);
  expected.forEach((exp, i) => {
    const act = got[i]!.frame;
    const diff = diffFrames(exp, act);
    assert.deepEqual(diff, [], `${what}: frame #${i} differs:\n  ${diff.join('\n  ')}\nexpected:\n${hexdump(exp)}\ngot:\n${hexdump(act)}`);
    const v4 = act.length >= 14 && act.readUInt16BE(12) !== ETH_P_IPV6;
    assert.deepEqual(v4 ? verifyChecksums(act) : verifyChecksums6(act), [], `${what}: frame #${i} checksum: ${v4 ? describe(act) : describe6(act)}`);
  });
}

