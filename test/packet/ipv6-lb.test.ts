// Packet fixtures for the four methods over IPv6 (issue 15, item 2): an IPv6
// VIP, IPv6 real servers and an IPv6 LIP, through the LB stage's IPv6
// instance (lb6.c, session_open6.c) and the IPv6 method table (fullnat6.c,
// dr6.c, nat6.c, tun6.c), with the ICMPv6 errors the director originates and
// translates. Each case injects crafted frames
// on an RX queue (= worker) of an in-process net_ring port and checks the
// exact frames that come out, built by test/lib/packet6.ts (no product code)
// with their checksums verified, or the exact drop reason.
//
// One dataplane for the file (one EAL per process), 2 workers, ring port p0,
// dual stack: an IPv4 FULLNAT service beside the IPv6 ones, so that both
// families' sessions live side by side. Later cases reuse the sessions and
// neighbours earlier ones made. Which server rr picks first, and which LIP
// port, is the product's choice: read from the emitted SYN, then held to.
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_ACK, TCP_PSH, TCP_SYN, arpReplyFrame, be32, bytesToIp, bytesToMac, ethernet, tcpFrame, verifyChecksums } from '../lib/packet';
import {
  IPPROTO_FRAGMENT, IPPROTO_DSTOPTS, assertFrames6, icmp6Frame, ipv6, nsFrame, showFrames6, tcp6Frame, udp6Frame, upperLayer6,
  type ExtHeader,
} from '../lib/packet6';
import { startRingDataplane, type RingDataplane } from '../lib/dataplane';
import type { NativeService, RingFrame } from '../../src/native/addon';

const P0 = 0;
const DIP = '2001:2::1';
const VIP = '2001:2::100';
const LIP = '2001:2::2';
const CLIENT = { ip: '2001:2::10', mac: '02:00:00:00:06:10' };
const RS1 = { ip: '2001:2::11', mac: '02:00:00:00:06:11' };
const RS2 = { ip: '2001:2::12', mac: '02:00:00:00:06:12' };
type Host = typeof CLIENT;
// The IPv4 side of the same director.
const DIP4 = '198.18.0.1';
const VIP4 = '198.18.0.100';
const LIP4 = '198.18.0.2';
const CLIENT4 = { ip: '198.18.0.10', mac: '02:00:00:00:04:10' };
const RS4 = { ip: '198.18.0.11', mac: '02:00:00:00:04:11' };

const OUT_TIMEOUT_MS = 2000;
const QUIET_MS = 200;

let dp: RingDataplane;
let OUR_MAC = '';

type Srv = NativeService['servers'][number];
const srv = (id: number, h: Host, port: number): Srv => ({ id, ip: h.ip, port, weight: 1, method: 'fullnat' });
const svc6 = (id: number, proto: 'tcp' | 'udp', port: number, servers: Srv[]): NativeService => ({
  id, proto, family: 6, vip: VIP, port, sched: 'rr', expireNodest: false, mssClamp: 0, lips: [LIP], servers,
});
const SERVICES: NativeService[] = [
  svc6(1, 'tcp', 80, [srv(11, RS1, 8080), srv(12, RS2, 8080)]),
  svc6(2, 'udp', 53, [srv(21, RS1, 5353)]),
  svc6(4, 'tcp', 8000, []),   // no server: port unreachable
  { ...svc6(5, 'tcp', 81, []), servers: [{ id: 51, ip: RS1.ip, port: 81, weight: 1, method: 'dr' }] },
  { ...svc6(6, 'tcp', 82, []), servers: [{ id: 61, ip: RS1.ip, port: 8082, weight: 1, method: 'nat' }] },
  { ...svc6(7, 'tcp', 83, []), servers: [{ id: 71, ip: RS2.ip, port: 83, weight: 1, method: 'tun' }] },
  // Persistent by /64 (ipvsadm -p 60 -M 64) over rr: a client's whole /64 sticks to one server.
  { ...svc6(8, 'tcp', 85, [srv(81, RS1, 8085), srv(82, RS2, 8085)]), persistence: { timeout: 60, netmask: '255.255.255.255', ipv6PrefixLength: 64 } },
  { id: 3, proto: 'tcp', vip: VIP4, port: 80, sched: 'rr', expireNodest: false, mssClamp: 0, lips: [LIP4],
    servers: [{ id: 31, ip: RS4.ip, port: 8080, weight: 1, method: 'fullnat' }] },
];

const show = showFrames6;
const assertFrames = assertFrames6;

const send = (input: Buffer[], count: number, queue = 0): Promise<RingFrame[]> =>
  dp.exchange(P0, input, { count, queue, timeoutMs: OUT_TIMEOUT_MS, quietMs: QUIET_MS });

/** The source port of the TCP/UDP header of an emitted IPv6 frame. */
function sportOf(frame: Buffer): number {
  return frame.readUInt16BE(upperLayer6(frame).off);
}


/** The ICMPv6 error the director originates from `src` about `orig` (as received): hop limit 64, quote <= 1232 bytes. */
function icmpError(src: string, type: number, code: number, info: number, orig: Buffer): Buffer {
  const pkt = orig.subarray(14);
  return icmp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src, dst: CLIENT.ip, type, code, hopLimit: 64,
    body: Buffer.concat([be32(info), pkt.subarray(0, Math.min(pkt.length, 1232))]) });
}

const data = (n: number): Buffer => Buffer.from(`fulcrum fullnat6 payload ${n} `.repeat(8));

before(() => {
  dp = startRingDataplane({
    ports: 1,
    workers: 2,
    addrs: [
      { ip: DIP4, prefix: 24, role: 'dip', port: P0 },
      { ip: VIP4, prefix: 32, role: 'vip', port: P0 },
      { ip: LIP4, prefix: 24, role: 'lip', port: P0 },
    ],
    routes: [{ prefix: '198.18.0.0', len: 24, port: P0, gateway: null }],
    services: SERVICES,
    extra: {
      addrs6: [
        { ip: DIP, prefix: 64, role: 'dip', port: P0 },
        { ip: VIP, prefix: 128, role: 'vip', port: P0 },
        { ip: LIP, prefix: 64, role: 'lip', port: P0 },
      ],
      routes6: [{ prefix: '2001:2::', len: 64, port: P0, gateway: null }],
    },
  });
  OUR_MAC = dp.mac(P0);
});

after(() => {
  dp?.stop();
});

/** A TCP flow through the IPv6 FULLNAT service, as the director must rewrite it. */
interface Flow6 { cport: number; rs: Host; lport: number }

function clientSeg(f: { cport: number }, o: { flags: number; seq: number; ack?: number; payload?: Buffer; hopLimit?: number; ext?: ExtHeader[] }): Buffer {
  return tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: f.cport, dport: 80,
    hopLimit: o.hopLimit ?? 64, options: o.flags === TCP_SYN ? { mss: 1440, wscale: 7 } : undefined, ...o });
}

function toServer(f: Flow6, o: { flags: number; seq: number; ack?: number; payload?: Buffer; hopLimit?: number; ext?: ExtHeader[] }): Buffer {
  return tcp6Frame({ srcMac: OUR_MAC, dstMac: f.rs.mac, src: LIP, dst: f.rs.ip, sport: f.lport, dport: 8080,
    options: o.flags === TCP_SYN ? { mss: 1440, wscale: 7 } : undefined, ...o, hopLimit: (o.hopLimit ?? 64) - 1 });
}

function serverSeg(f: Flow6, o: { flags: number; seq: number; ack?: number; payload?: Buffer; hopLimit?: number }): Buffer {
  return tcp6Frame({ srcMac: f.rs.mac, dstMac: OUR_MAC, src: f.rs.ip, dst: LIP, sport: 8080, dport: f.lport, hopLimit: 64, ...o });
}

function toClient(f: Flow6, o: { flags: number; seq: number; ack?: number; payload?: Buffer }): Buffer {
  return tcp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP, dst: CLIENT.ip, sport: 80, dport: f.cport, hopLimit: 63, ...o });
}

/** Open a flow with a SYN; the server and LIP port are read from what comes out. */
async function open(cport: number): Promise<Flow6> {
  const got = await send([clientSeg({ cport }, { flags: TCP_SYN, seq: 1000 })], 1);
  assert.equal(got.length, 1, `SYN from [${CLIENT.ip}]:${cport}: nothing or too much came out\n${show(got)}`);
  const dst = got[0]!.frame.subarray(0, 6).toString('hex');
  const rs = [RS1, RS2].find((h) => h.mac.replace(/:/g, '') === dst);
  assert.ok(rs, `SYN went to an unknown MAC ${dst}`);
  const f: Flow6 = { cport, rs, lport: sportOf(got[0]!.frame) };
  assert.ok(f.lport >= 1024, `LIP port ${f.lport} below the FULLNAT range`);
  assertFrames(got, [toServer(f, { flags: TCP_SYN, seq: 1000 })], 'SYN to the server');
  return f;
}

describe('IPv6 LB packet fixtures: FULLNAT, DR, NAT, TUN, ICMPv6 errors (net_ring, 2 workers, dual stack)', () => {
  let first: Flow6;

  test('the client and the servers are learned from their solicitations', async () => {
    await send([
      nsFrame({ srcMac: CLIENT.mac, src: CLIENT.ip, target: VIP }),
      nsFrame({ srcMac: RS1.mac, src: RS1.ip, target: LIP }),
      nsFrame({ srcMac: RS2.mac, src: RS2.ip, target: LIP }),
    ], 3);
    assert.ok(await dp.waitNeighbours([CLIENT.ip, RS1.ip, RS2.ip], OUT_TIMEOUT_MS), 'neighbours not learned');
  });

  test('SYN to the IPv6 VIP -> SYN from the IPv6 LIP to a server: addresses, port, hop limit and checksum rewritten', async () => {
    const created = dp.counter('sessionsCreated');
    first = await open(40001);
    assert.equal(dp.counter('sessionsCreated') - created, 1);
  });

  test('the server\'s SYN-ACK to LIP:lport -> from VIP:80 to the client', async () => {
    const got = await send([serverSeg(first, { flags: TCP_SYN | TCP_ACK, seq: 7000, ack: 1001 })], 1, first.lport % 2);
    assertFrames(got, [toClient(first, { flags: TCP_SYN | TCP_ACK, seq: 7000, ack: 1001 })], 'SYN-ACK to the client');
  });

  test('the client\'s data keeps its session: same server, same LIP port, payload intact', async () => {
    const got = await send([clientSeg(first, { flags: TCP_ACK | TCP_PSH, seq: 1001, ack: 7001, payload: data(1) })], 1);
    assertFrames(got, [toServer(first, { flags: TCP_ACK | TCP_PSH, seq: 1001, ack: 7001, payload: data(1) })], 'data to the server');
  });

  test('a reply on the queue of the worker that does not own its LIP port is handed to the owner and sent on', async () => {
    const out = dp.counter('redirectOut');
    const got = await send([serverSeg(first, { flags: TCP_ACK | TCP_PSH, seq: 7001, ack: 1001 + data(1).length, payload: data(2) })],
      1, (first.lport + 1) % 2);
    assertFrames(got, [toClient(first, { flags: TCP_ACK | TCP_PSH, seq: 7001, ack: 1001 + data(1).length, payload: data(2) })],
      'redirected reply');
    assert.equal(dp.counter('redirectOut') - out, 1, 'the reply was not redirected to the LIP port\'s owner');
  });

  test('rr over IPv6: the next flows alternate between the two servers, each with its own LIP port', async () => {
    const flows = [await open(40002), await open(40003), await open(40004)];
    const seq = [first, ...flows].map((f) => f.rs.ip);
    for (let i = 1; i < seq.length; i++) assert.notEqual(seq[i], seq[i - 1], `rr did not alternate: ${seq.join(', ')}`);
    const ports = new Set([first, ...flows].map((f) => f.lport));
    assert.equal(ports.size, 4, 'LIP ports reused across live sessions');
  });

  test('a first fragment with the whole TCP header is forwarded, its fragment header kept', async () => {
    const ext: ExtHeader[] = [{ type: IPPROTO_FRAGMENT, frag: { offset: 0, more: true, id: 0x6006 } }];
    const got = await send([clientSeg(first, { flags: TCP_ACK, seq: 1500, ack: 7001, payload: data(3), ext })], 1);
    assertFrames(got, [toServer(first, { flags: TCP_ACK, seq: 1500, ack: 7001, payload: data(3), ext })], 'first fragment');
  });

  test('destination options before TCP are stepped over, and kept', async () => {
    const ext: ExtHeader[] = [{ type: IPPROTO_DSTOPTS, body: Buffer.alloc(4) }];
    const got = await send([clientSeg(first, { flags: TCP_ACK, seq: 1600, ack: 7001, ext })], 1);
    assertFrames(got, [toServer(first, { flags: TCP_ACK, seq: 1600, ack: 7001, ext })], 'with destination options');
  });

  test('UDP to the IPv6 VIP -> to the server from LIP:lport, and its answer back to the client', async () => {
    const q = Buffer.from('fulcrum udp6 query');
    const got = await send([udp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 50053, dport: 53, payload: q })], 1);
    assert.equal(got.length, 1, show(got));
    const lport = sportOf(got[0]!.frame);
    assertFrames(got, [udp6Frame({ srcMac: OUR_MAC, dstMac: RS1.mac, src: LIP, dst: RS1.ip, sport: lport, dport: 5353, payload: q, hopLimit: 63 })], 'UDP query');
    const a = Buffer.from('fulcrum udp6 answer');
    const back = await send([udp6Frame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: RS1.ip, dst: LIP, sport: 5353, dport: lport, payload: a })], 1, lport % 2);
    assertFrames(back, [udp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP, dst: CLIENT.ip, sport: 53, dport: 50053, payload: a, hopLimit: 63 })], 'UDP answer');
  });

  test('dual stack: the IPv4 service on the same director still forwards, beside the IPv6 sessions', async () => {
    const syn = tcpFrame({ srcMac: CLIENT4.mac, dstMac: OUR_MAC, src: CLIENT4.ip, dst: VIP4, sport: 40100, dport: 80, seq: 5, flags: TCP_SYN });
    // The IPv4 server is not resolved yet: the SYN waits for the answer to an ARP request.
    const asked = await send([syn], 1);
    assert.equal(asked.length, 1, show(asked));
    assert.equal(asked[0]!.frame.readUInt16BE(12), 0x0806, 'expected an ARP request for the IPv4 server');
    const got = await send([arpReplyFrame({ srcMac: RS4.mac, srcIp: RS4.ip, dstMac: OUR_MAC, dstIp: DIP4 })], 1);
    assert.equal(got.length, 1, show(got));
    const f = got[0]!.frame;
    assert.equal(f.readUInt16BE(12), 0x0800, 'the released SYN is IPv4');
    assert.equal(bytesToMac(f, 0), RS4.mac);
    assert.deepEqual([bytesToIp(f, 14 + 12), bytesToIp(f, 14 + 16), f.readUInt16BE(14 + 22), f[14 + 8]], [LIP4, RS4.ip, 8080, 63]);
    assert.deepEqual(verifyChecksums(f), []);
  });

  test('hostile or unmatched IPv6 packets to the VIP and LIP are counted drops, nothing sent', async () => {
    const cases: Array<[string, Buffer, string]> = [
      ['later fragment (no ports)', tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 1, dport: 80,
        ext: [{ type: IPPROTO_FRAGMENT, frag: { offset: 64, more: false, id: 9 } }] }), 'fragment'],
      ['UDP with checksum 0 (forbidden in IPv6)', udp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 50054, dport: 53, payload: Buffer.from('x'), checksum: 0 }), 'malformed'],
      ['TCP data offset beyond the segment', tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 40010, dport: 80, dataOffset: 15 }), 'malformed'],
      ['ACK with no session to the VIP', clientSeg({ cport: 40011 }, { flags: TCP_ACK, seq: 1, ack: 1 }), 'no_session'],
      ['reply to a LIP port with no session', serverSeg({ cport: 0, rs: RS1, lport: 1025 }, { flags: TCP_ACK, seq: 1, ack: 1 }), 'no_session'],
    ];
    for (const [what, frame, reason] of cases) {
      let got: RingFrame[] = [];
      const d = await dp.dropsDelta(async () => { got = await send([frame], 0, 1); });
      assert.deepEqual(d, { [reason]: 1 }, `${what}: drops ${JSON.stringify(d)}`);
      assert.equal(got.length, 0, `${what}: something came out\n${show(got)}`);
    }
  });

  test('hop limit 1 toward a rewriting method -> ICMPv6 time exceeded from the VIP, quoting the packet', async () => {
    const syn = clientSeg({ cport: 40012 }, { flags: TCP_SYN, seq: 1, hopLimit: 1 });
    const sent = dp.counter('icmpErrorsSent');
    let got: RingFrame[] = [];
    const d = await dp.dropsDelta(async () => { got = await send([syn], 1); });
    assert.deepEqual(d, { ttl_exceeded: 1 });
    assertFrames(got, [icmpError(VIP, 3, 0, 0, syn)], 'time exceeded');
    assert.equal(dp.counter('icmpErrorsSent') - sent, 1);
  });

  test('a service with no server -> ICMPv6 port unreachable from the VIP', async () => {
    const syn = tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 40014, dport: 8000, flags: TCP_SYN });
    let got: RingFrame[] = [];
    const d = await dp.dropsDelta(async () => { got = await send([syn], 1); });
    assert.deepEqual(d, { no_server: 1 });
    assertFrames(got, [icmpError(VIP, 1, 4, 0, syn)], 'port unreachable');
  });

  test('a packet over the egress MTU -> ICMPv6 packet too big (MTU 1500) to the client, quoting 1232 bytes', async () => {
    const big = clientSeg(first, { flags: TCP_ACK | TCP_PSH, seq: 1700, ack: 7001, payload: Buffer.alloc(1500, 0x5a) });
    let got: RingFrame[] = [];
    const d = await dp.dropsDelta(async () => { got = await send([big], 1); });
    assert.deepEqual(d, { too_big: 1 });
    assertFrames(got, [icmpError(VIP, 2, 0, 1500, big)], 'packet too big');
  });

  test('packet too big from the server side, about LIP:lport -> RIP -> to the client about CIP:cport -> VIP:80, MTU kept', async () => {
    // What the server (or a router on its way) quotes: the director's packet toward it.
    const ours = toServer(first, { flags: TCP_ACK | TCP_PSH, seq: 1800, ack: 7001, payload: Buffer.alloc(1400, 0x33) });
    const ptb = icmp6Frame({ srcMac: first.rs.mac, dstMac: OUR_MAC, src: first.rs.ip, dst: LIP, type: 2, hopLimit: 64,
      body: Buffer.concat([be32(1280), ours.subarray(14, 14 + 1232)]) });
    // What the client must get: the same error about its own packet, as it
    // looked behind the director (its hop limit is quoted as it was, as IPVS leaves it).
    const theirs = clientSeg(first, { flags: TCP_ACK | TCP_PSH, seq: 1800, ack: 7001, payload: Buffer.alloc(1400, 0x33), hopLimit: 63 });
    const want = icmp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP, dst: CLIENT.ip, type: 2, hopLimit: 63,
      body: Buffer.concat([be32(1280), theirs.subarray(14, 14 + 1232)]) });
    const got = await send([ptb], 1, first.lport % 2);
    assertFrames(got, [want], 'translated packet too big');
  });

  test('an error from the client side about VIP:80 -> CIP:cport -> to the server about RIP:8080 -> LIP:lport', async () => {
    const ours = toClient(first, { flags: TCP_ACK, seq: 7001, ack: 1001 });
    const unreach = icmp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, type: 1, code: 4, hopLimit: 64,
      body: Buffer.concat([be32(0), ours.subarray(14)]) });
    const theirs = serverSeg(first, { flags: TCP_ACK, seq: 7001, ack: 1001, hopLimit: 63 });
    const want = icmp6Frame({ srcMac: OUR_MAC, dstMac: first.rs.mac, src: LIP, dst: first.rs.ip, type: 1, code: 4, hopLimit: 63,
      body: Buffer.concat([be32(0), theirs.subarray(14)]) });
    const got = await send([unreach], 1);
    assertFrames(got, [want], 'translated unreachable');
  });

  test('an ICMPv6 error quoting no session of ours goes to the kernel (no twin here: a counted drop)', async () => {
    const stray = tcp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP, dst: CLIENT.ip, sport: 80, dport: 1, flags: TCP_ACK, hopLimit: 63 });
    const err = icmp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, type: 1, code: 4,
      body: Buffer.concat([be32(0), stray.subarray(14)]) });
    let got: RingFrame[] = [];
    const d = await dp.dropsDelta(async () => { got = await send([err], 0); });
    assert.deepEqual(d, { no_kernel_twin: 1 });
    assert.equal(got.length, 0, show(got));
  });

  test('a TCP port of the VIP with no service belongs to the kernel: without a twin, a counted drop', async () => {
    const syn = tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 40013, dport: 84, flags: TCP_SYN });
    const d = await dp.dropsDelta(async () => { await send([syn], 0); });
    assert.deepEqual(d, { no_service: 1 });
  });

  test('DR: only the MACs change; the IPv6 packet and its hop limit are untouched', async () => {
    const syn = tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 41001, dport: 81, flags: TCP_SYN });
    const want = Buffer.concat([Buffer.from(RS1.mac.replace(/:/g, ''), 'hex'), Buffer.from(OUR_MAC.replace(/:/g, ''), 'hex'), syn.subarray(12)]);
    assertFrames(await send([syn], 1), [want], 'DR');
  });

  test('NAT: VIP:82 becomes RIP:8082 (hop limit 63), and the transit reply RIP:8082 -> CIP leaves as VIP:82 -> CIP', async () => {
    const syn = tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 41002, dport: 82, flags: TCP_SYN, seq: 9 });
    const fwd = tcp6Frame({ srcMac: OUR_MAC, dstMac: RS1.mac, src: CLIENT.ip, dst: RS1.ip, sport: 41002, dport: 8082, flags: TCP_SYN, seq: 9, hopLimit: 63 });
    assertFrames(await send([syn], 1), [fwd], 'NAT to the server');
    const reply = tcp6Frame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: RS1.ip, dst: CLIENT.ip, sport: 8082, dport: 41002, flags: TCP_SYN | TCP_ACK, seq: 3, ack: 10 });
    const back = tcp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP, dst: CLIENT.ip, sport: 82, dport: 41002, flags: TCP_SYN | TCP_ACK, seq: 3, ack: 10, hopLimit: 63 });
    // On either queue: the transit reply's client hash names the flow's worker.
    assertFrames(await send([reply], 1, 1), [back], 'NAT reply');
  });

  test('TUN: IPv6-in-IPv6 from the DIP to the server (next header 41, hop limit 64), the inner packet untouched', async () => {
    const syn = tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP, sport: 41003, dport: 83, flags: TCP_SYN, trafficClass: 0x28 });
    const inner = syn.subarray(14);
    const want = ethernet({ src: OUR_MAC, dst: RS2.mac, type: 0x86dd, payload: ipv6({ src: DIP, dst: RS2.ip, proto: 41, payload: inner, hopLimit: 64, trafficClass: 0x28 }) });
    assertFrames(await send([syn], 1), [want], 'TUN');
  });

  test('NAT: a packet not for us and matching no NAT session is not_for_us', async () => {
    const stray = tcp6Frame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: RS1.ip, dst: '2001:2:7::1', sport: 8082, dport: 1, flags: TCP_ACK });
    const d = await dp.dropsDelta(async () => { await send([stray], 0); });
    assert.deepEqual(d, { not_for_us: 1 });
  });

  test('persistence by prefix (-M 64): four clients of one /64 stick to the first one\'s server; rr alone would alternate', async () => {
    const seen: string[] = [];
    for (const [i, host] of ['2001:2::10', '2001:2::aa', '2001:2::1:bb', '2001:2::ffff:cc'].entries()) {
      const syn = tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: host, dst: VIP, sport: 42000 + i, dport: 85, flags: TCP_SYN });
      const got = await send([syn], 1, i % 2);
      assert.equal(got.length, 1, show(got));
      seen.push(got[0]!.frame.subarray(0, 6).toString('hex'));
    }
    assert.equal(new Set(seen).size, 1, `servers seen by one /64: ${seen.join(', ')}`);
  });
});
