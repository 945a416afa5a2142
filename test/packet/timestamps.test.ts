// Packet fixtures for dataplane.rewriteTimestamps (native/tcp/stream.c):
// FULLNAT sends the client's TSvals to the real server on the director's wall
// clock (its SYN's TSval becomes the director's milliseconds, later ones keep
// their distance to it) and maps the server's echoes back, so that
// connections reusing a LIP:lport pair carry ever newer TSvals, whatever
// random offset each client connection chose. Exact frames, checksums
// verified; the TSval the director chose is read from its SYN and checked
// against the wall clock.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_ACK, TCP_PSH, TCP_SYN, arpReplyFrame, diffFrames, hexdump, parseFrame, tcpFrame, verifyChecksums, type TcpOptions } from '../lib/packet';
import { startRingDataplane, type RingDataplane } from '../lib/dataplane';
import type { NativeService } from '../../src/native/addon';

const DIP = '198.18.0.1';
const VIP = '198.18.0.100';
const LIP = '198.18.0.2';
const CLIENT = { ip: '198.18.0.10', mac: '02:00:00:00:00:10' };
const RS = { ip: '198.18.0.11', mac: '02:00:00:00:00:11' };
const SVC: NativeService = {
  id: 1, proto: 'tcp', vip: VIP, port: 80, sched: 'rr', expireNodest: false, mssClamp: 0, lips: [LIP],
  servers: [{ id: 10, ip: RS.ip, port: 8080, weight: 1, method: 'fullnat' }],
};
let dp: RingDataplane;
let OUR = '';

interface Flow { cport: number; lport: number }
type Leg = 'c2v' | 'l2r' | 'r2l' | 'v2c';
function frame(f: Flow, leg: Leg, flags: number, seq: number, ack: number, options?: TcpOptions, payload?: Buffer, id = 1, ttl = 64): Buffer {
  const e = {
    c2v: { sm: CLIENT.mac, dm: OUR, src: CLIENT.ip, dst: VIP, sp: f.cport, dp: 80 },
    l2r: { sm: OUR, dm: RS.mac, src: LIP, dst: RS.ip, sp: f.lport, dp: 8080 },
    r2l: { sm: RS.mac, dm: OUR, src: RS.ip, dst: LIP, sp: 8080, dp: f.lport },
    v2c: { sm: OUR, dm: CLIENT.mac, src: VIP, dst: CLIENT.ip, sp: 80, dp: f.cport },
  }[leg];
  return tcpFrame({ srcMac: e.sm, dstMac: e.dm, src: e.src, dst: e.dst, sport: e.sp, dport: e.dp, flags, seq, ack, window: 502, options, payload, ip: { ttl, id, df: true, tos: 0 } });
}

async function one(input: Buffer): Promise<Buffer> {
  dp.flush();
  dp.inject(0, [input], 0);
  const got = await dp.collect(0, { count: 1, timeoutMs: 2000 });
  assert.equal(got.length, 1, 'one frame out');
  assert.deepEqual(verifyChecksums(got[0]!.frame), []);
  return got[0]!.frame;
}
function same(exp: Buffer, got: Buffer, what: string): void {
  assert.deepEqual(diffFrames(exp, got), [], `${what}\nexpected ${hexdump(exp)}\ngot ${hexdump(got)}`);
}
const tsOf = (fr: Buffer): { val: number; ecr: number } => parseFrame(fr).tcp!.options!.timestamps!;

before(async () => {
  dp = startRingDataplane({
    workers: 1, rewriteTimestamps: true,
    addrs: [{ ip: DIP, prefix: 24, role: 'dip', port: 0 }, { ip: VIP, prefix: 32, role: 'vip', port: 0 }, { ip: LIP, prefix: 24, role: 'lip', port: 0 }],
    routes: [{ prefix: '198.18.0.0', len: 24, port: 0, gateway: null }],
    services: [SVC], timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
  });
  OUR = dp.mac(0);
  dp.inject(0, [CLIENT, RS].map((h) => arpReplyFrame({ srcMac: h.mac, srcIp: h.ip, dstMac: OUR, dstIp: DIP, pad: true })));
  assert.ok(await dp.waitNeighbours([CLIENT.ip, RS.ip], 2000));
  await dp.collect(0, { timeoutMs: 200 });
});
after(() => dp?.stop());

const SYN_OPTS = (val: number): TcpOptions => ({ mss: 1460, sackPermitted: true, timestamps: { val, ecr: 0 }, wscale: 7 });

test('a connection: the SYN\'s TSval becomes the director\'s wall-clock ms, later TSvals keep their distance, the server\'s echoes map back', async () => {
  const f: Flow = { cport: 42000, lport: 0 };
  const t0 = Date.now();
  const syn = await one(frame(f, 'c2v', TCP_SYN, 1000, 0, SYN_OPTS(0x01020304), undefined, 7));
  f.lport = parseFrame(syn).tcp!.sport;
  const v = tsOf(syn).val;
  const wall = t0 % 2 ** 32;
  assert.ok(Math.abs(((v - wall) << 0)) < 5000, `TSval ${v} is the wall clock in ms (${wall})`);
  same(frame(f, 'l2r', TCP_SYN, 1000, 0, SYN_OPTS(v), undefined, 7, 63), syn, 'SYN');
  const off = (v - 0x01020304) >>> 0;
  // The server echoes the director's TSval: the client sees its own.
  const sa = await one(frame(f, 'r2l', TCP_SYN | TCP_ACK, 5000, 1001, { mss: 1460, sackPermitted: true, timestamps: { val: 777, ecr: v }, wscale: 7 }, undefined, 8));
  same(frame(f, 'v2c', TCP_SYN | TCP_ACK, 5000, 1001, { mss: 1460, sackPermitted: true, timestamps: { val: 777, ecr: 0x01020304 }, wscale: 7 }, undefined, 8, 63), sa, 'SYN-ACK');
  const d = await one(frame(f, 'c2v', TCP_ACK | TCP_PSH, 1001, 5001, { timestamps: { val: 0x01020310, ecr: 777 } }, Buffer.from('GET /'), 9));
  same(frame(f, 'l2r', TCP_ACK | TCP_PSH, 1001, 5001, { timestamps: { val: (0x01020310 + off) >>> 0, ecr: 777 } }, Buffer.from('GET /'), 9, 63), d, 'data');
  const r = await one(frame(f, 'r2l', TCP_ACK, 5001, 1006, { timestamps: { val: 780, ecr: (0x01020310 + off) >>> 0 } }, undefined, 10));
  same(frame(f, 'v2c', TCP_ACK, 5001, 1006, { timestamps: { val: 780, ecr: 0x01020310 } }, undefined, 10, 63), r, 'server ack');
});

test('connections whose clients chose falling TSvals reach the servers with rising ones', async () => {
  const client = [0xf0000000, 0x80000000, 0x00001000];
  const out: number[] = [];
  for (const [i, val] of client.entries()) {
    const syn = await one(frame({ cport: 43000 + i, lport: 0 }, 'c2v', TCP_SYN, 2000, 0, SYN_OPTS(val), undefined, 20 + i));
    out.push(tsOf(syn).val);
    await new Promise((res) => setTimeout(res, 30));
  }
  for (let i = 1; i < out.length; i++) assert.ok(((out[i]! - out[i - 1]!) << 0) >= 20, `TSvals toward the servers ${JSON.stringify(out)}`);
});

test('a client without timestamps: nothing to own, the SYN passes as it came', async () => {
  const f: Flow = { cport: 44000, lport: 0 };
  const syn = await one(frame(f, 'c2v', TCP_SYN, 3000, 0, { mss: 1460 }, undefined, 30));
  f.lport = parseFrame(syn).tcp!.sport;
  same(frame(f, 'l2r', TCP_SYN, 3000, 0, { mss: 1460 }, undefined, 30, 63), syn, 'SYN without TS');
});
