// Packet fixtures for the TCP stream edits (native/tcp): the PROXY protocol
// header (v1 and v2) sent ahead of the client's stream with every later
// sequence number, ack and SACK edge shifted; TOA (option 254) in the SYN
// and the handshake's ACK; and malformed options passed on as they came.
// Each case injects crafted frames into an in-process net_ring port and
// checks the exact frames that come out (built here by test/lib/packet.ts,
// compared byte for byte, checksums verified) and the edit counters.
//
// One worker: its LIP ports are handed out in order from a random start, so
// each flow reads its port from the SYN the director forwards.
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IPPROTO_ICMP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, arpReplyFrame, describe as describeFrame, diffFrames, hexdump,
  be32, icmpFragNeeded, ipv4Frame, parseFrame, tcpFrame, verifyChecksums, type TcpOptions,
} from '../lib/packet';
import { startRingDataplane, type RingDataplane } from '../lib/dataplane';
import type { NativeService, RingFrame } from '../../src/native/addon';

const DIP = '198.18.0.1';
const VIP = '198.18.0.100';
const LIP = '198.18.0.2';
const CLIENT = { ip: '198.18.0.10', mac: '02:00:00:00:00:10' };
const RS = { ip: '198.18.0.11', mac: '02:00:00:00:00:11' };
const P0 = 0;
let OUR_MAC = '';
let dp: RingDataplane;

const svc = (id: number, port: number, tcpx: NativeService['tcpx']): NativeService => ({
  id, proto: 'tcp', vip: VIP, port, sched: 'rr', expireNodest: false, mssClamp: 0, lips: [LIP], tcpx,
  servers: [{ id: id * 10, ip: RS.ip, port: 8000 + port, weight: 1, method: 'fullnat' }],
});
const V1 = svc(1, 80, 'proxy-v1');
const V2 = svc(2, 81, 'proxy-v2');
const TOA = svc(3, 82, 'toa');
const PLAIN = svc(4, 83, 'none');
const SP = { ...svc(5, 84, 'none'), synProxy: true };
const SP_PP = { ...svc(6, 85, 'proxy-v1'), synProxy: true };

interface Flow { cport: number; vport: number; rport: number; lport: number; c: number; s: number }
interface Seg { flags: number; seq: number; ack?: number; options?: TcpOptions; payload?: Buffer; window?: number }
type Leg = 'c2v' | 'l2r' | 'r2l' | 'v2c';

let ipId = 0x2000;
function frame(f: Flow, leg: Leg, s: Seg, id: number, ttl: number): Buffer {
  const e = {
    c2v: { sm: CLIENT.mac, dm: OUR_MAC, src: CLIENT.ip, dst: VIP, sp: f.cport, dp: f.vport },
    l2r: { sm: OUR_MAC, dm: RS.mac, src: LIP, dst: RS.ip, sp: f.lport, dp: f.rport },
    r2l: { sm: RS.mac, dm: OUR_MAC, src: RS.ip, dst: LIP, sp: f.rport, dp: f.lport },
    v2c: { sm: OUR_MAC, dm: CLIENT.mac, src: VIP, dst: CLIENT.ip, sp: f.vport, dp: f.cport },
  }[leg];
  return tcpFrame({
    srcMac: e.sm, dstMac: e.dm, src: e.src, dst: e.dst, sport: e.sp, dport: e.dp,
    flags: s.flags, seq: s.seq >>> 0, ack: (s.ack ?? 0) >>> 0, window: s.window ?? 502, options: s.options, payload: s.payload,
    ip: { ttl, id, df: true, tos: 0 },
  });
}

function show(frames: RingFrame[]): string {
  return frames.map((f, i) => `  #${i} ${describeFrame(f.frame)}\n${hexdump(f.frame)}`).join('\n');
}

const edits = (): Record<string, number> => {
  const sum: Record<string, number> = {};
  for (const w of dp.stats().workers) for (const [k, v] of Object.entries(w.tcpEdits ?? {})) sum[k] = (sum[k] ?? 0) + v;
  return sum;
};

/** Inject one frame; the exact frames out, and the edit counters that changed by how much. */
async function exchange(what: string, input: Buffer, expected: Buffer[], editDelta: Record<string, number> = {}, badOptionsOk = false): Promise<RingFrame[]> {
  dp.flush();
  const e0 = edits();
  let got: RingFrame[] = [];
  const d = await dp.dropsDelta(async () => {
    dp.inject(P0, [input], 0);
    if (expected.length) got = await dp.collect(P0, { count: expected.length, timeoutMs: 2000 });
    got.push(...(await dp.expectNothing(P0, 150)));
  });
  assert.equal(got.length, expected.length, `${what}: expected ${expected.length} frame(s), got ${got.length}\n${show(got)}`);
  expected.forEach((exp, i) => {
    const act = got[i]!.frame;
    assert.deepEqual(diffFrames(exp, act), [], `${what}: frame #${i} differs\nexpected: ${describeFrame(exp)}\n${hexdump(exp)}\ngot: ${describeFrame(act)}\n${hexdump(act)}`);
    // The test lib also reports malformed options; a case that sends them on on purpose ignores that.
    const problems = verifyChecksums(act).filter((p) => !(badOptionsOk && /option .* bad length/.test(p)));
    assert.deepEqual(problems, [], `${what}: frame #${i} checksums`);
  });
  const e1 = edits();
  const changed = Object.fromEntries(Object.keys(e1).filter((k) => e1[k] !== e0[k]).map((k) => [k, e1[k]! - (e0[k] ?? 0)]));
  assert.deepEqual(changed, editDelta, `${what}: edit counters`);
  assert.deepEqual(d, {}, `${what}: drops`);
  return got;
}

/** A client -> VIP segment and its translation (TTL - 1, same IP id). */
function inbound(f: Flow, s: Seg, out: Seg = s): [Buffer, Buffer] {
  const id = ipId++;
  return [frame(f, 'c2v', s, id, 64), frame(f, 'l2r', out, id, 63)];
}
function outbound(f: Flow, s: Seg, out: Seg = s): [Buffer, Buffer] {
  const id = ipId++;
  return [frame(f, 'r2l', s, id, 64), frame(f, 'v2c', out, id, 63)];
}

const SYN_OPTS: TcpOptions = { mss: 1460, sackPermitted: true, timestamps: { val: 0x01020304, ecr: 0 }, wscale: 7 };
const SYNACK_OPTS: TcpOptions = { mss: 1460, sackPermitted: true, timestamps: { val: 0x0a0b0c0d, ecr: 0x01020304 }, wscale: 9 };
const TS: TcpOptions = { timestamps: { val: 0x01020310, ecr: 0x0a0b0c10 } };

let cportNext = 41000;
/** SYN (checked by `synOut`, default unchanged) then SYN-ACK; the flow with its LIP port. */
async function handshake(s: NativeService, synOut?: (f: Flow, syn: Seg) => Seg, editDelta: Record<string, number> = {}, synOptions = SYN_OPTS): Promise<Flow> {
  const cport = cportNext++;
  const f: Flow = { cport, vport: s.port, rport: s.servers[0]!.port, lport: 0, c: 0x7ffffff0 + cport, s: 0xfffffff0 - cport };
  const syn: Seg = { flags: TCP_SYN, seq: f.c, window: 64240, options: synOptions };
  const id = ipId++;
  dp.flush();
  const e0 = edits();
  dp.inject(P0, [frame(f, 'c2v', syn, id, 64)], 0);
  const got = await dp.collect(P0, { count: 1, timeoutMs: 2000 });
  assert.equal(got.length, 1, `SYN of ${cport}: nothing forwarded`);
  f.lport = parseFrame(got[0]!.frame).tcp!.sport;
  const exp = frame(f, 'l2r', synOut ? synOut(f, syn) : syn, id, 63);
  assert.deepEqual(diffFrames(exp, got[0]!.frame), [], `SYN of ${cport}\nexpected ${hexdump(exp)}\ngot ${hexdump(got[0]!.frame)}`);
  const e1 = edits();
  const changed = Object.fromEntries(Object.keys(e1).filter((k) => e1[k] !== e0[k]).map((k) => [k, e1[k]! - (e0[k] ?? 0)]));
  assert.deepEqual(changed, editDelta, 'SYN: edit counters');
  const [i, o] = outbound(f, { flags: TCP_SYN | TCP_ACK, seq: f.s, ack: f.c + 1, window: 65160, options: SYNACK_OPTS });
  await exchange(`SYN-ACK of ${cport}`, i, [o]);
  return f;
}

const ip4 = (a: string): Buffer => Buffer.from(a.split('.').map(Number));
const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const proxyV1 = (f: Flow): Buffer => Buffer.from(`PROXY TCP4 ${CLIENT.ip} ${VIP} ${f.cport} ${f.vport}\r\n`);
const proxyV2 = (f: Flow): Buffer => Buffer.concat([
  Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]),
  ip4(CLIENT.ip), ip4(VIP), u16(f.cport), u16(f.vport),
]);
/** DPVS's TOA bytes for the client: kind 254, length 8, port, address. */
const toaBytes = (f: Flow): Buffer => Buffer.concat([Buffer.from([254, 8]), u16(f.cport), ip4(CLIENT.ip)]);
/** A SACK option, after `pad` NOPs, then NOPs to a 4-byte boundary. */
function sack(blocks: Array<[number, number]>, pad = 2): Buffer {
  const body = Buffer.concat([Buffer.alloc(pad, 1), Buffer.from([5, 2 + 8 * blocks.length]), ...blocks.flatMap(([a, b]) => [be32(a), be32(b)])]);
  return Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4, 1)]);
}

before(async () => {
  dp = startRingDataplane({
    workers: 1,
    addrs: [
      { ip: DIP, prefix: 24, role: 'dip', port: P0 },
      { ip: VIP, prefix: 32, role: 'vip', port: P0 },
      { ip: LIP, prefix: 24, role: 'lip', port: P0 },
    ],
    routes: [{ prefix: '198.18.0.0', len: 24, port: P0, gateway: null }],
    services: [V1, V2, TOA, PLAIN, SP, SP_PP],
    timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
  });
  OUR_MAC = dp.mac(P0);
  dp.inject(P0, [CLIENT, RS].map((h) => arpReplyFrame({ srcMac: h.mac, srcIp: h.ip, dstMac: OUR_MAC, dstIp: DIP, pad: true })));
  assert.ok(await dp.waitNeighbours([CLIENT.ip, RS.ip], 2000), 'neighbours learned');
  await dp.collect(P0, { timeoutMs: 200 });
});

after(() => dp?.stop());

describe('PROXY protocol v1: the header ahead of the stream, and every sequence number after it', () => {
  let f: Flow;
  let H: number;
  const data = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  test('handshake: SYN and SYN-ACK pass unchanged', async () => {
    f = await handshake(V1);
    H = proxyV1(f).length;
  });
  test('the ACK that completes the handshake: the header segment first, then the ACK shifted by its length', async () => {
    const ack: Seg = { flags: TCP_ACK, seq: f.c + 1, ack: f.s + 1, options: TS };
    const [i, o] = inbound(f, ack, { ...ack, seq: f.c + 1 + H });
    const id = ipId - 1;
    const hdr = frame(f, 'l2r', { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, options: TS, payload: proxyV1(f) }, id, 63);
    await exchange('handshake ACK', i, [hdr, o], { proxy_header_sent: 1 });
  });
  test('the server retransmits its SYN-ACK (the header was lost): the client\'s new ACK brings the header again', async () => {
    const [si, so] = outbound(f, { flags: TCP_SYN | TCP_ACK, seq: f.s, ack: f.c + 1, window: 65160, options: SYNACK_OPTS });
    await exchange('SYN-ACK again', si, [so]);
    const ack: Seg = { flags: TCP_ACK, seq: f.c + 1, ack: f.s + 1, options: TS };
    const [i, o] = inbound(f, ack, { ...ack, seq: f.c + 1 + H });
    const hdr = frame(f, 'l2r', { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, options: TS, payload: proxyV1(f) }, ipId - 1, 63);
    await exchange('ACK again', i, [hdr, o], { proxy_header_resent: 1 });
  });
  test('the client\'s first data before the server acknowledged the header: header again, then the data shifted', async () => {
    const d: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, options: TS, payload: data };
    const [i, o] = inbound(f, d, { ...d, seq: f.c + 1 + H });
    const hdr = frame(f, 'l2r', { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, options: TS, payload: proxyV1(f) }, ipId - 1, 63);
    await exchange('first data', i, [hdr, o], { proxy_header_resent: 1 });
  });
  test('an ack of part of the header acknowledges nothing of the client\'s', async () => {
    const a: Seg = { flags: TCP_ACK, seq: f.s + 1, ack: f.c + 1 + 10, options: TS };
    const [i, o] = outbound(f, a, { ...a, ack: f.c + 1 });
    await exchange('partial header ack', i, [o]);
  });
  test('the server\'s reply acknowledging header and data: the client sees its own numbers', async () => {
    const r: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.s + 1, ack: f.c + 1 + H + data.length, options: TS, payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') };
    const [i, o] = outbound(f, r, { ...r, ack: f.c + 1 + data.length });
    await exchange('reply', i, [o]);
  });
  test('the client retransmits its first data after the header was acknowledged: no header, shifted', async () => {
    const d: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, options: TS, payload: data };
    const [i, o] = inbound(f, d, { ...d, seq: f.c + 1 + H });
    await exchange('retransmitted first data', i, [o]);
  });
  test('SACK edges from the server shift back, at an even and at an odd option offset', async () => {
    const base = f.c + 1 + H + data.length;
    for (const pad of [2, 1]) {
      const blocks: Array<[number, number]> = [[base + 100, base + 200], [base + 300, base + 400]];
      const a: Seg = { flags: TCP_ACK, seq: f.s + 20, ack: base, options: { raw: sack(blocks, pad) } };
      const mapped = blocks.map(([x, y]) => [x - H, y - H] as [number, number]);
      const [i, o] = outbound(f, a, { ...a, ack: base - H, options: { raw: sack(mapped, pad) } });
      await exchange(`SACK after ${pad} NOP(s)`, i, [o]);
    }
  });
  test('a malformed option list after a SACK is passed on as it came; the edges before it are mapped', async () => {
    const base = f.c + 1 + H + data.length;
    const bad = (edges: Array<[number, number]>): Buffer => Buffer.concat([sack(edges, 2).subarray(0, 12), Buffer.from([8, 30, 0, 0])]);
    const a: Seg = { flags: TCP_ACK, seq: f.s + 20, ack: base, options: { raw: bad([[base + 10, base + 20]]) } };
    const [i, o] = outbound(f, a, { ...a, ack: base - H, options: { raw: bad([[base + 10 - H, base + 20 - H]]) } });
    await exchange('SACK then an option longer than the header', i, [o], {}, true);
  });
  test('an ICMP error from the server side about a shifted segment quotes the client\'s own seq', async () => {
    const d: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.c + 1 + H, ack: f.s + 1, options: TS, payload: data };
    const id = 0x5151;
    const sent = frame(f, 'l2r', d, id, 63).subarray(14);
    const asClientSent = frame(f, 'c2v', { ...d, seq: f.c + 1 }, id, 63).subarray(14);
    const err = (src: string, dst: string, sm: string, dm: string, ttl: number, original: Buffer): Buffer =>
      ipv4Frame({ srcMac: sm, dstMac: dm, src, dst, proto: IPPROTO_ICMP, ttl, tos: 0xc0, id: 0x6161, payload: icmpFragNeeded({ original, nextHopMtu: 1400, quoteBytes: 1000 }) });
    await exchange('frag needed, server side', err(RS.ip, LIP, RS.mac, OUR_MAC, 64, sent), [err(VIP, CLIENT.ip, OUR_MAC, CLIENT.mac, 63, asClientSent)]);
  });
  test('the client\'s FIN and the server\'s ack of it', async () => {
    const fin: Seg = { flags: TCP_ACK | TCP_FIN, seq: f.c + 1 + data.length, ack: f.s + 20, options: TS };
    const [i, o] = inbound(f, fin, { ...fin, seq: f.c + 1 + data.length + H });
    await exchange('FIN', i, [o]);
    const a: Seg = { flags: TCP_ACK, seq: f.s + 20, ack: f.c + 2 + data.length + H, options: TS };
    const [i2, o2] = outbound(f, a, { ...a, ack: f.c + 2 + data.length });
    await exchange('ack of FIN', i2, [o2]);
  });
});

describe('PROXY protocol v2 and the edge cases of the handshake', () => {
  test('v2: the binary header (28 bytes) with CIP:cport and VIP:vport', async () => {
    const f = await handshake(V2);
    const ack: Seg = { flags: TCP_ACK, seq: f.c + 1, ack: f.s + 1 };
    const [i, o] = inbound(f, ack, { ...ack, seq: f.c + 1 + 28 });
    const hdr = frame(f, 'l2r', { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, payload: proxyV2(f) }, ipId - 1, 63);
    await exchange('v2 handshake ACK', i, [hdr, o], { proxy_header_sent: 1 });
  });
  test('a RST before the server answered keeps the client\'s own sequence number', async () => {
    const cport = cportNext++;
    const f: Flow = { cport, vport: V1.port, rport: V1.servers[0]!.port, lport: 0, c: 0x1000 + cport, s: 0 };
    const id = ipId++;
    dp.flush();
    dp.inject(P0, [frame(f, 'c2v', { flags: TCP_SYN, seq: f.c, options: SYN_OPTS }, id, 64)], 0);
    const got = await dp.collect(P0, { count: 1, timeoutMs: 2000 });
    f.lport = parseFrame(got[0]!.frame).tcp!.sport;
    const rst: Seg = { flags: TCP_RST, seq: f.c + 1 };
    const [i, o] = inbound(f, rst);
    await exchange('early RST', i, [o]);
  });
  test('a sequence space that wraps: client and server ISNs just below 2^32', async () => {
    const cport = cportNext++;
    const g: Flow = { cport, vport: V1.port, rport: V1.servers[0]!.port, lport: 0, c: 0xfffffffe, s: 0xfffffffd };
    const id = ipId++;
    dp.flush();
    dp.inject(P0, [frame(g, 'c2v', { flags: TCP_SYN, seq: g.c, options: SYN_OPTS }, id, 64)], 0);
    const got = await dp.collect(P0, { count: 1, timeoutMs: 2000 });
    g.lport = parseFrame(got[0]!.frame).tcp!.sport;
    const [si, so] = outbound(g, { flags: TCP_SYN | TCP_ACK, seq: g.s, ack: g.c + 1, options: SYNACK_OPTS });
    await exchange('SYN-ACK (wrap)', si, [so]);
    const H = proxyV1(g).length;
    const ack: Seg = { flags: TCP_ACK, seq: g.c + 1, ack: g.s + 1 };
    const [i, o] = inbound(g, ack, { ...ack, seq: g.c + 1 + H });
    const hdr = frame(g, 'l2r', { flags: TCP_ACK | TCP_PSH, seq: g.c + 1, ack: g.s + 1, payload: proxyV1(g) }, ipId - 1, 63);
    await exchange('ACK (wrap)', i, [hdr, o], { proxy_header_sent: 1 });
    const a: Seg = { flags: TCP_ACK, seq: g.s + 1, ack: g.c + 1 + H + 5 };
    const [ri, ro] = outbound(g, a, { ...a, ack: g.c + 1 + 5 });
    await exchange('ack across the wrap', ri, [ro]);
  });
});

describe('TOA: option 254 with the client address, as DPVS encodes it', () => {
  let f: Flow;
  test('in the SYN, after its options', async () => {
    f = await handshake(TOA, (g, syn) => ({ ...syn, options: { ...SYN_OPTS, raw: toaBytes(g) } }), { toa_added: 1 });
  });
  test('the exact option bytes: fe 08, the client port, the client address', () => {
    assert.equal(toaBytes(f).toString('hex'), `fe08${f.cport.toString(16).padStart(4, '0')}c612000a`);
  });
  test('in the ACK that completes the handshake, and in data that still acknowledges only the SYN', async () => {
    const ack: Seg = { flags: TCP_ACK, seq: f.c + 1, ack: f.s + 1, options: TS };
    const [i, o] = inbound(f, ack, { ...ack, options: { ...TS, raw: toaBytes(f) } });
    await exchange('ACK', i, [o], { toa_added: 1 });
    const d: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, options: TS, payload: Buffer.from('hello') };
    const [i2, o2] = inbound(f, d, { ...d, options: { ...TS, raw: toaBytes(f) } });
    await exchange('first data', i2, [o2], { toa_added: 1 });
  });
  test('not once the client acknowledged server data; sequence numbers are never shifted', async () => {
    const d: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.c + 6, ack: f.s + 100, options: TS, payload: Buffer.from('more') };
    const [i, o] = inbound(f, d);
    await exchange('later data', i, [o]);
    const r: Seg = { flags: TCP_ACK, seq: f.s + 100, ack: f.c + 10, options: TS };
    const [i2, o2] = outbound(f, r);
    await exchange('server ack', i2, [o2]);
  });
  test('no room: a SYN with 40 bytes of options goes on without it, counted', async () => {
    const full: TcpOptions = { ...SYN_OPTS, raw: Buffer.alloc(20, 1) };
    await handshake(TOA, undefined, { toa_no_room: 1 }, full);
  });
  test('over the MTU: a full-sized first segment goes on without it, counted', async () => {
    const g = await handshake(TOA, (h, syn) => ({ ...syn, options: { ...SYN_OPTS, raw: toaBytes(h) } }), { toa_added: 1 });
    const d: Seg = { flags: TCP_ACK, seq: g.c + 1, ack: g.s + 1, options: TS, payload: Buffer.alloc(1500 - 20 - 32, 0x61) };
    const [i, o] = inbound(g, d);
    await exchange('1500-byte first segment', i, [o], { toa_no_room: 1 });
  });
});

describe('a service without an edit', () => {
  test('its packets pass with their own numbers and no counter moves', async () => {
    const f = await handshake(PLAIN);
    const d: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, options: TS, payload: Buffer.from('x') };
    const [i, o] = inbound(f, d);
    await exchange('plain data', i, [o]);
  });
});

// ------------------------------------------------------------------ SYN proxy

const sessions = (): number => dp.stats().workers.reduce((a, w) => a + (w.role === 'worker' ? w.sessionsActive : 0), 0);

interface SpFlow extends Flow { k: number; t: number }

/** SYN to a SYN-proxy service: the director's own SYN-ACK, with the cookie (K) and TSval (T) it chose, and no session. */
async function cookieSyn(s: NativeService, options: TcpOptions = SYN_OPTS, synAckOpts?: (t: number) => TcpOptions): Promise<SpFlow> {
  const cport = cportNext++;
  const f: SpFlow = { cport, vport: s.port, rport: s.servers[0]!.port, lport: 0, c: 0x30000000 + cport * 7, s: 0x50000000 + cport, k: 0, t: 0 };
  const before = sessions();
  dp.flush();
  const e0 = edits();
  dp.inject(P0, [frame(f, 'c2v', { flags: TCP_SYN, seq: f.c, window: 64240, options }, ipId++, 64)], 0);
  const got = await dp.collect(P0, { count: 1, timeoutMs: 2000 });
  assert.equal(got.length, 1, 'a SYN-ACK from the director');
  const p = parseFrame(got[0]!.frame);
  f.k = p.tcp!.seq;
  const ts = tcpTimestamps(got[0]!.frame);
  f.t = ts ? ts.val : 0;
  const opts = synAckOpts ? synAckOpts(f.t) : { mss: 1460, sackPermitted: true, timestamps: { val: f.t, ecr: options.timestamps!.val }, wscale: 7 };
  const exp = frame(f, 'v2c', { flags: TCP_SYN | TCP_ACK, seq: f.k, ack: f.c + 1, window: 65535, options: opts }, 0, 64);
  assert.deepEqual(diffFrames(exp, got[0]!.frame), [], `cookie SYN-ACK\nexpected ${hexdump(exp)}\ngot ${hexdump(got[0]!.frame)}`);
  assert.deepEqual(verifyChecksums(got[0]!.frame), []);
  const e1 = edits();
  assert.equal(e1.syncookie_sent! - (e0.syncookie_sent ?? 0), 1, 'syncookie_sent +1');
  assert.equal(sessions(), before, 'no session for a SYN');
  return f;
}

/** The TSval/TSecr of a frame's TCP timestamp option. */
function tcpTimestamps(fr: Buffer): { val: number; ecr: number } | undefined {
  const ihl = (fr[14]! & 0xf) * 4;
  const t = 14 + ihl;
  const doff = (fr[t + 12]! >> 4) * 4;
  for (let o = t + 20; o < t + doff;) {
    const k = fr[o]!;
    if (k === 0) break;
    if (k === 1) { o++; continue; }
    const len = fr[o + 1]!;
    if (k === 8 && len === 10) return { val: fr.readUInt32BE(o + 2), ecr: fr.readUInt32BE(o + 6) };
    if (len < 2) break;
    o += len;
  }
  return undefined;
}

/** The valid ACK; the director's SYN to the server comes out (its LIP port read from it). */
async function cookieAck(f: SpFlow, synOpts: TcpOptions, tsval = 0x01020305): Promise<void> {
  const ack: Seg = { flags: TCP_ACK, seq: f.c + 1, ack: f.k + 1, window: 502, options: { timestamps: { val: tsval, ecr: f.t } } };
  const id = ipId++;
  dp.flush();
  const e0 = edits();
  dp.inject(P0, [frame(f, 'c2v', ack, id, 64)], 0);
  const got = await dp.collect(P0, { count: 1, timeoutMs: 2000 });
  assert.equal(got.length, 1, 'the director\'s SYN to the server');
  f.lport = parseFrame(got[0]!.frame).tcp!.sport;
  const exp = frame(f, 'l2r', { flags: TCP_SYN, seq: f.c, ack: 0, window: 65535, options: synOpts }, id, 63);
  assert.deepEqual(diffFrames(exp, got[0]!.frame), [], `SYN to the server\nexpected ${hexdump(exp)}\ngot ${hexdump(got[0]!.frame)}`);
  assert.deepEqual(verifyChecksums(got[0]!.frame), []);
  assert.equal(edits().syncookie_valid! - (e0.syncookie_valid ?? 0), 1, 'syncookie_valid +1');
  assert.deepEqual(await dp.expectNothing(P0, 100), [], 'the ACK itself is held');
}

describe('SYN proxy: the director answers the handshake, then joins the server\'s connection', () => {
  let f: SpFlow;
  const data = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  const SRV_TS = 0x0a0b0c0d;
  test('a SYN gets the director\'s SYN-ACK: a cookie ISN, MSS, SACK, timestamps whose low 6 bits keep wscale 7 and SACK (Linux\'s encoding)', async () => {
    f = await cookieSyn(SP);
    assert.equal(f.t & 0x3f, 7 | 0x10, `TSval ${f.t.toString(16)}: low 6 bits = wscale 7 | SACK`);
  });
  test('the SYN retransmitted gets the same cookie, still no session', async () => {
    const again = { ...f };
    dp.flush();
    dp.inject(P0, [frame(again, 'c2v', { flags: TCP_SYN, seq: f.c, window: 64240, options: SYN_OPTS }, ipId++, 64)], 0);
    const got = await dp.collect(P0, { count: 1, timeoutMs: 2000 });
    assert.equal(parseFrame(got[0]!.frame).tcp!.seq, f.k, 'same cookie within the minute');
  });
  test('an ACK with a forged cookie is dropped, counted', async () => {
    const bad: Seg = { flags: TCP_ACK, seq: f.c + 1, ack: f.k + 2, options: { timestamps: { val: 1, ecr: f.t } } };
    const d = await dp.dropsDelta(async () => {
      dp.inject(P0, [frame(f, 'c2v', bad, ipId++, 64)], 0);
      assert.deepEqual(await dp.expectNothing(P0, 150), []);
    });
    assert.deepEqual(d, { synproxy: 1 });
  });
  test('the valid ACK opens the session: the server gets a SYN with the client\'s ISN and the options the cookie kept', async () => {
    await cookieAck(f, { mss: 1460, sackPermitted: true, timestamps: { val: 0x01020305, ecr: 0 }, wscale: 7 });
  });
  test('the client\'s data before the server answered is held, not lost', async () => {
    const d: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.k + 1, window: 502, options: { timestamps: { val: 0x01020306, ecr: f.t } }, payload: data };
    dp.flush();
    dp.inject(P0, [frame(f, 'c2v', d, 0x7000, 64)], 0);
    assert.deepEqual(await dp.expectNothing(P0, 150), []);
  });
  test('the server\'s SYN-ACK: not passed on; the held ACK and data go to the server, mapped to its numbers', async () => {
    const sa: Seg = { flags: TCP_SYN | TCP_ACK, seq: f.s, ack: f.c + 1, window: 65160, options: { mss: 1460, sackPermitted: true, timestamps: { val: SRV_TS, ecr: 0x01020305 }, wscale: 9 } };
    const ackOut = frame(f, 'l2r', { flags: TCP_ACK, seq: f.c + 1, ack: f.s + 1, window: 502, options: { timestamps: { val: 0x01020305, ecr: SRV_TS } } }, ipId - 1, 63);
    const dataOut = frame(f, 'l2r', { flags: TCP_ACK | TCP_PSH, seq: f.c + 1, ack: f.s + 1, window: 502, options: { timestamps: { val: 0x01020306, ecr: SRV_TS } }, payload: data }, 0x7000, 63);
    await exchange('server SYN-ACK', frame(f, 'r2l', sa, ipId++, 64), [ackOut, dataOut], { synproxy_joined: 1 });
  });
  test('server data: seq, TSval shifted into the client\'s view, the window rescaled from the server\'s scale 9 to the director\'s 7', async () => {
    const r: Seg = { flags: TCP_ACK | TCP_PSH, seq: f.s + 1, ack: f.c + 1 + data.length, window: 100, options: { timestamps: { val: SRV_TS + 0x13, ecr: 0x01020306 } }, payload: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') };
    const [i, o] = outbound(f, r, { ...r, seq: f.k + 1, window: (100 << 9) >> 7, options: { timestamps: { val: (f.t + 0x13) >>> 0, ecr: 0x01020306 } } });
    await exchange('server data', i, [o]);
  });
  test('client ack: ack and TSecr back in the server\'s numbers', async () => {
    const a: Seg = { flags: TCP_ACK, seq: f.c + 1 + data.length, ack: f.k + 1 + 19, window: 502, options: { timestamps: { val: 0x01020307, ecr: (f.t + 0x13) >>> 0 } } };
    const [i, o] = inbound(f, a, { ...a, ack: f.s + 1 + 19, options: { timestamps: { val: 0x01020307, ecr: SRV_TS + 0x13 } } });
    await exchange('client ack', i, [o]);
  });
  test('a SYN on the joined session is dropped, counted', async () => {
    const d = await dp.dropsDelta(async () => {
      dp.inject(P0, [frame(f, 'c2v', { flags: TCP_SYN, seq: f.c, options: SYN_OPTS }, ipId++, 64)], 0);
      assert.deepEqual(await dp.expectNothing(P0, 150), []);
    });
    assert.deepEqual(d, { synproxy: 1 });
  });
  test('a server that refuses: the client gets a RST at the sequence number it expects', async () => {
    const g = await cookieSyn(SP);
    await cookieAck(g, { mss: 1460, sackPermitted: true, timestamps: { val: 0x01020305, ecr: 0 }, wscale: 7 });
    const rst: Seg = { flags: TCP_RST | TCP_ACK, seq: 0, ack: g.c + 1, window: 0 };
    const [i, o] = outbound(g, rst, { flags: TCP_RST, seq: g.k + 1, ack: 0, window: 0 });
    await exchange('server RST', i, [o], { synproxy_refused: 1 });
  });
  test('a client without timestamps: no window scale or SACK can be kept (as Linux); the MSS rounds down to 1300', async () => {
    const g = await cookieSyn(SP, { mss: 1400, wscale: 7, sackPermitted: true }, () => ({ mss: 1460 }));
    const ack: Seg = { flags: TCP_ACK, seq: g.c + 1, ack: g.k + 1, window: 502 };
    const id = ipId++;
    dp.flush();
    dp.inject(P0, [frame(g, 'c2v', ack, id, 64)], 0);
    const got = await dp.collect(P0, { count: 1, timeoutMs: 2000 });
    g.lport = parseFrame(got[0]!.frame).tcp!.sport;
    const exp = frame(g, 'l2r', { flags: TCP_SYN, seq: g.c, ack: 0, window: 65535, options: { mss: 1300 } }, id, 63);
    assert.deepEqual(diffFrames(exp, got[0]!.frame), [], `SYN\n${hexdump(got[0]!.frame)}`);
  });
  test('malformed SYN options (an MSS of length 30) count as none: an MSS-only SYN-ACK', async () => {
    await cookieSyn(SP, { raw: Buffer.from([2, 30, 5, 0xb4]) }, () => ({ mss: 1460 }));
  });
  test('SYN proxy and PROXY protocol: on joining, the header goes first, then the held ACK shifted by it', async () => {
    const g = await cookieSyn(SP_PP);
    await cookieAck(g, { mss: 1460, sackPermitted: true, timestamps: { val: 0x01020305, ecr: 0 }, wscale: 7 });
    const H = proxyV1(g).length;
    const sa: Seg = { flags: TCP_SYN | TCP_ACK, seq: g.s, ack: g.c + 1, window: 65160, options: { mss: 1460, sackPermitted: true, timestamps: { val: SRV_TS, ecr: 0x01020305 }, wscale: 7 } };
    const tsOut = { timestamps: { val: 0x01020305, ecr: SRV_TS } };
    const hdr = frame(g, 'l2r', { flags: TCP_ACK | TCP_PSH, seq: g.c + 1, ack: g.s + 1, window: 502, options: tsOut, payload: proxyV1(g) }, ipId - 1, 63);
    const ackOut = frame(g, 'l2r', { flags: TCP_ACK, seq: g.c + 1 + H, ack: g.s + 1, window: 502, options: tsOut }, ipId - 1, 63);
    await exchange('join with a PROXY header', frame(g, 'r2l', sa, ipId++, 64), [hdr, ackOut], { synproxy_joined: 1, proxy_header_sent: 1 });
  });
});
