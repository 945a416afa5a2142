// Classic pcap files (libpcap's format, as tcpdump -w writes it): read both
// byte orders, micro- and nanosecond timestamps; write microseconds. Only
// Ethernet captures (link type 1) carry what the fast path receives.
export interface PcapRecord {
  /** Capture time, nanoseconds since the epoch. */
  tsNs: bigint;
  data: Buffer;
  /** The frame's length on the wire (> data.length when the capture cut it). */
  origLen: number;
}

export const LINKTYPE_ETHERNET = 1;

export class PcapError extends Error {}

/** Parse a pcap file; throws PcapError naming what is wrong and where. */
export function readPcap(buf: Buffer, name = 'pcap'): { linkType: number; records: PcapRecord[] } {
  if (buf.length < 24) throw new PcapError(`${name}: ${buf.length} bytes: too short for a pcap file header (24 bytes)`);
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else if (buf.readUInt32BE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b23c4d) {
    le = false;
    nano = buf.readUInt32BE(0) === 0xa1b23c4d;
  } else if (magicLE === 0x0a0d0d0a) {
    throw new PcapError(`${name}: a pcapng file; write classic pcap (tcpdump -w does; editcap -F pcap converts)`);
  } else {
    throw new PcapError(`${name}: not a pcap file (magic 0x${magicLE.toString(16)})`);
  }
  const u32 = (off: number): number => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const linkType = u32(20) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) throw new PcapError(`${name}: truncated record header at byte ${off} (record ${records.length + 1})`);
    const sec = BigInt(u32(off));
    const frac = BigInt(u32(off + 4));
    const incl = u32(off + 8);
    const orig = u32(off + 12);
    if (incl > 262144) throw new PcapError(`${name}: record ${records.length + 1} at byte ${off} claims ${incl} bytes (corrupt)`);
    if (off + 16 + incl > buf.length) throw new PcapError(`${name}: record ${records.length + 1} at byte ${off} is cut short (${buf.length - off - 16} of ${incl} bytes)`);
    records.push({ tsNs: sec * 1_000_000_000n + (nano ? frac : frac * 1000n), data: buf.subarray(off + 16, off + 16 + incl), origLen: orig });
    off += 16 + incl;
  }
  return { linkType, records };
}

/** A pcap file (little-endian, microseconds, Ethernet) of these frames. */
export function writePcap(frames: { tsNs: bigint; data: Buffer }[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts = [head];
  for (const f of frames) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Number(f.tsNs / 1_000_000_000n), 0);
    h.writeUInt32LE(Number((f.tsNs % 1_000_000_000n) / 1000n), 4);
    h.writeUInt32LE(f.data.length, 8);
    h.writeUInt32LE(f.data.length, 12);
    parts.push(h, f.data);
  }
  return Buffer.concat(parts);
}
