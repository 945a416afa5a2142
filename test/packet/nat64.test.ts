// Packet fixtures for NAT64 through FULLNAT (issue 15, item 3): an IPv6 VIP
// whose real servers and LIP are IPv4 (native/fastpath/nat64.c), translated
// as RFC 7915 says (xlat64.c): headers both ways, TCP and UDP checksums kept
// (the mapped prefix is checksum neutral) or made (IPv4 UDP without one),
// ICMP errors in each direction with the packet they quote, and fragments
// with their identification, offset and more-fragments flag. Each case
// injects crafted frames on an RX queue of an in-process net_ring port and
// checks the exact frames that come out, built by test/lib/packet*.ts (no
// product code) with their checksums verified, or the exact drop reason.
//
// One dataplane for the file, 2 workers, ring port p0. Which server rr picks
// first, and which LIP port, is the product's choice: read from the emitted
// SYN, then held to.
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IPPROTO_ICMP, IPPROTO_TCP, TCP_ACK, TCP_PSH, TCP_SYN, arpReplyFrame, bytesToMac, icmp, ipv4, ipv4Frame, tcp,
  be32, icmpFragNeeded, tcpFrame, udpFrame,
} from '../lib/packet';
import { IPPROTO_FRAGMENT, assertFrames6, icmp6Frame, nsFrame, showFrames6, tcp6Frame, udp6Frame, type ExtHeader } from '../lib/packet6';
import { startRingDataplane, type RingDataplane } from '../lib/dataplane';
import type { NativeService, RingFrame } from '../../src/native/addon';

const P0 = 0;
const DIP6 = '2001:2::1';
const VIP6 = '2001:2::100';
const CLIENT = { ip: '2001:2::10', mac: '02:00:00:00:06:10' };
const DIP4 = '198.18.0.1';
const LIP4 = '198.18.0.2';
const RS1 = { ip: '198.18.0.11', mac: '02:00:00:00:04:11' };
const RS2 = { ip: '198.18.0.12', mac: '02:00:00:00:04:12' };
type Rs = typeof RS1;

const OUT_TIMEOUT_MS = 2000;
const QUIET_MS = 200;

let dp: RingDataplane;
let OUR_MAC = '';

const nat64 = (id: number, proto: 'tcp' | 'udp', port: number, servers: NativeService['servers']): NativeService => ({
  id, proto, family: 6, serverFamily: 4, vip: VIP6, port, sched: 'rr', expireNodest: false, mssClamp: 0, lips: [LIP4], servers,
});
const SERVICES: NativeService[] = [
  nat64(1, 'tcp', 80, [{ id: 11, ip: RS1.ip, port: 8080, weight: 1, method: 'fullnat' }, { id: 12, ip: RS2.ip, port: 8080, weight: 1, method: 'fullnat' }]),
  nat64(2, 'udp', 53, [{ id: 21, ip: RS1.ip, port: 5353, weight: 1, method: 'fullnat' }]),
];

const show = showFrames6;

const send = (input: Buffer[], count: number, queue = 0): Promise<RingFrame[]> =>
  dp.exchange(P0, input, { count, queue, timeoutMs: OUT_TIMEOUT_MS, quietMs: QUIET_MS });


before(async () => {
  dp = startRingDataplane({
    ports: 1,
    workers: 2,
    addrs: [
      { ip: DIP4, prefix: 24, role: 'dip', port: P0 },
      { ip: LIP4, prefix: 24, role: 'lip', port: P0 },
    ],
    routes: [{ prefix: '198.18.0.0', len: 24, port: P0, gateway: null }],
    services: SERVICES,
    extra: {
      addrs6: [
        { ip: DIP6, prefix: 64, role: 'dip', port: P0 },
        { ip: VIP6, prefix: 128, role: 'vip', port: P0 },
      ],
      routes6: [{ prefix: '2001:2::', len: 64, port: P0, gateway: null }],
    },
  });
  OUR_MAC = dp.mac(P0);
  dp.inject(P0, [
    nsFrame({ srcMac: CLIENT.mac, src: CLIENT.ip, target: VIP6 }),
    ...[RS1, RS2].map((h) => arpReplyFrame({ srcMac: h.mac, srcIp: h.ip, dstMac: OUR_MAC, dstIp: DIP4, pad: true })),
  ]);
  assert.ok(await dp.waitNeighbours([CLIENT.ip, RS1.ip, RS2.ip], OUT_TIMEOUT_MS), `neighbours not learned: ${JSON.stringify(dp.neighbours())}`);
  await dp.collect(P0, { timeoutMs: QUIET_MS });
  dp.flush();
});

after(() => {
  dp?.stop();
});

interface Flow { cport: number; rs: Rs; lport: number }
type Seg = { flags: number; seq: number; ack?: number; payload?: Buffer; ext?: ExtHeader[] };
const SYN_OPTS = { mss: 1440, wscale: 7 };

function clientSeg(f: { cport: number }, o: Seg & { hopLimit?: number }): Buffer {
  return tcp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP6, sport: f.cport, dport: 80, hopLimit: 64,
    options: o.flags === TCP_SYN ? SYN_OPTS : undefined, ...o });
}

/** What the director sends the server for clientSeg: IPv4 from the LIP, TTL = hop limit - 1, DF set and ID 0 (RFC 7915 5.1). */
function toServer(f: Flow, o: Seg & { ip?: Parameters<typeof tcpFrame>[0]['ip'] }): Buffer {
  return tcpFrame({ srcMac: OUR_MAC, dstMac: f.rs.mac, src: LIP4, dst: f.rs.ip, sport: f.lport, dport: 8080,
    options: o.flags === TCP_SYN ? SYN_OPTS : undefined, ...o, ip: { ttl: 63, df: true, id: 0, ...o.ip } });
}

function serverSeg(f: Flow, o: Seg & { ip?: Parameters<typeof tcpFrame>[0]['ip'] }): Buffer {
  return tcpFrame({ srcMac: f.rs.mac, dstMac: OUR_MAC, src: f.rs.ip, dst: LIP4, sport: 8080, dport: f.lport, ...o,
    ip: { ttl: 64, df: true, id: 0x1234, ...o.ip } });
}

function toClient(f: Flow, o: Seg & { trafficClass?: number }): Buffer {
  return tcp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP6, dst: CLIENT.ip, sport: 80, dport: f.cport, hopLimit: 63, ...o });
}

async function open(cport: number): Promise<Flow> {
  const got = await send([clientSeg({ cport }, { flags: TCP_SYN, seq: 1000 })], 1);
  assert.equal(got.length, 1, `SYN from [${CLIENT.ip}]:${cport}: nothing or too much came out\n${show(got)}`);
  const rs = [RS1, RS2].find((h) => h.mac === bytesToMac(got[0]!.frame, 0));
  assert.ok(rs, `SYN went to an unknown MAC ${bytesToMac(got[0]!.frame, 0)}\n${show(got)}`);
  assert.equal(got[0]!.frame.readUInt16BE(12), 0x0800, `the SYN to the server is not IPv4\n${show(got)}`);
  const f: Flow = { cport, rs, lport: got[0]!.frame.readUInt16BE(14 + 20) };
  assert.ok(f.lport >= 1024, `LIP port ${f.lport} below the FULLNAT range`);
  assertFrames6(got, [toServer(f, { flags: TCP_SYN, seq: 1000 })], 'SYN to the IPv4 server');
  return f;
}

describe('NAT64 packet fixtures: an IPv6 VIP, IPv4 servers and LIP, RFC 7915 (net_ring, 2 workers)', () => {
  let first: Flow;
  let synAck: Buffer;

  test('SYN to the IPv6 VIP -> an IPv4 SYN from the IPv4 LIP to a server: header translated, ports and checksum rewritten', async () => {
    const created = dp.counter('sessionsCreated');
    first = await open(41001);
    assert.equal(dp.counter('sessionsCreated') - created, 1);
  });

  test('the server\'s IPv4 SYN-ACK to LIP:lport -> IPv6 from VIP:80 to the client, its TOS as the traffic class', async () => {
    const got = await send([serverSeg(first, { flags: TCP_SYN | TCP_ACK, seq: 7000, ack: 1001, ip: { tos: 0x28 } })], 1, first.lport % 2);
    synAck = toClient(first, { flags: TCP_SYN | TCP_ACK, seq: 7000, ack: 1001, trafficClass: 0x28 });
    assertFrames6(got, [synAck], 'SYN-ACK to the client');
  });

  test('data both ways keeps the session: same server, same LIP port, payload intact', async () => {
    const up = Buffer.from('GET / HTTP/1.1\r\nHost: [2001:2::100]\r\n\r\n');
    const got = await send([clientSeg(first, { flags: TCP_ACK | TCP_PSH, seq: 1001, ack: 7001, payload: up })], 1);
    assertFrames6(got, [toServer(first, { flags: TCP_ACK | TCP_PSH, seq: 1001, ack: 7001, payload: up })], 'data to the server');
    const down = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    const back = await send([serverSeg(first, { flags: TCP_ACK | TCP_PSH, seq: 7001, ack: 1001 + up.length, payload: down })], 1,
      (first.lport + 1) % 2);   // on the other worker's queue: handed to the LIP port's owner
    assertFrames6(back, [toClient(first, { flags: TCP_ACK | TCP_PSH, seq: 7001, ack: 1001 + up.length, payload: down })], 'data to the client');
  });

  test('rr over the IPv4 servers: the next flows alternate, each with its own IPv4 LIP port', async () => {
    const flows = [await open(41002), await open(41003)];
    const seq = [first, ...flows].map((f) => f.rs.ip);
    for (let i = 1; i < seq.length; i++) assert.notEqual(seq[i], seq[i - 1], `rr did not alternate: ${seq.join(', ')}`);
    assert.equal(new Set([first, ...flows].map((f) => f.lport)).size, 3, 'LIP ports reused across live sessions');
  });

  test('an IPv6 first fragment -> an IPv4 first fragment: its identification\'s low 16 bits, MF set, DF clear', async () => {
    const ext: ExtHeader[] = [{ type: IPPROTO_FRAGMENT, frag: { offset: 0, more: true, id: 0x00016006 } }];
    const payload = Buffer.alloc(64, 0x61);
    const got = await send([clientSeg(first, { flags: TCP_ACK, seq: 1500, ack: 7001, payload, ext })], 1);
    assertFrames6(got, [toServer(first, { flags: TCP_ACK, seq: 1500, ack: 7001, payload, ip: { df: false, mf: true, id: 0x6006 } })],
      'first fragment');
  });

  test('an IPv4 first fragment from the server -> IPv6 with a fragment header: same identification, M set', async () => {
    const payload = Buffer.alloc(64, 0x62);
    const got = await send([serverSeg(first, { flags: TCP_ACK, seq: 7100, ack: 1001, payload, ip: { df: false, mf: true, id: 0x4242 } })],
      1, first.lport % 2);
    const ext: ExtHeader[] = [{ type: IPPROTO_FRAGMENT, frag: { offset: 0, more: true, id: 0x4242 } }];
    assertFrames6(got, [toClient(first, { flags: TCP_ACK, seq: 7100, ack: 1001, payload, ext })], 'first fragment to the client');
  });

  test('UDP both ways; the server\'s datagram without a checksum (IPv4 allows it) gets one for IPv6', async () => {
    const q = Buffer.from('fulcrum nat64 query');
    const got = await send([udp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP6, sport: 50053, dport: 53, payload: q })], 1);
    assert.equal(got.length, 1, show(got));
    const lport = got[0]!.frame.readUInt16BE(14 + 20);
    const query4 = udpFrame({ srcMac: OUR_MAC, dstMac: RS1.mac, src: LIP4, dst: RS1.ip, sport: lport, dport: 5353, payload: q, ip: { ttl: 63, df: true, id: 0 } });
    assertFrames6(got, [query4], 'UDP query to the IPv4 server');
    const a = Buffer.from('fulcrum nat64 answer');
    const back = await send([udpFrame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: RS1.ip, dst: LIP4, sport: 5353, dport: lport, payload: a, checksum: 0 })],
      1, lport % 2);
    assertFrames6(back, [udp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP6, dst: CLIENT.ip, sport: 53, dport: 50053, payload: a, hopLimit: 63 })],
      'UDP answer to the client');

    // The server answers the query with ICMPv4 port unreachable -> ICMPv6
    // port unreachable to the client, quoting its own query as IPv6.
    const quote4 = query4.subarray(14);
    const unreach = ipv4Frame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: RS1.ip, dst: LIP4, proto: IPPROTO_ICMP, ttl: 64,
      payload: icmp({ type: 3, code: 3, body: quote4 }) });
    const quoted6 = udp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP6, sport: 50053, dport: 53, payload: q, hopLimit: 63 }).subarray(14);
    const err = await send([unreach], 1, lport % 2);
    assertFrames6(err, [icmp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP6, dst: CLIENT.ip, hopLimit: 63, type: 1, code: 4,
      body: Buffer.concat([be32(0), quoted6]) })], 'port unreachable to the client');
  });

  test('fragmentation needed from the server side -> packet too big to the client, 20 bytes more (PMTU through NAT64)', async () => {
    const payload = Buffer.alloc(1200, 0x63);
    const sent4 = toServer(first, { flags: TCP_ACK, seq: 2000, ack: 7001, payload }).subarray(14);
    const quote = sent4.subarray(0, 20 + 28);   // a router quotes the IP header and some of TCP
    const needFrag = ipv4Frame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: first.rs.ip, dst: LIP4, proto: IPPROTO_ICMP, ttl: 64,
      payload: icmpFragNeeded({ original: sent4, nextHopMtu: 1300, quoteBytes: quote.length }) });
    const got = await send([needFrag], 1, first.lport % 2);
    // The quote as the client sent it (before the director rewrote it), as
    // far as it was quoted: 28 bytes of TCP.
    const sent6 = clientSeg(first, { flags: TCP_ACK, seq: 2000, ack: 7001, payload, hopLimit: 64 }).subarray(14);
    const quoted6 = Buffer.concat([sent6.subarray(0, 40), sent6.subarray(40, 68)]);
    quoted6.writeUInt16BE(sent6.length - 40, 4);
    quoted6[7] = 63;   // the hop limit it was sent on with
    assertFrames6(got, [icmp6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: VIP6, dst: CLIENT.ip, hopLimit: 63, type: 2, code: 0,
      body: Buffer.concat([be32(1320), quoted6]) })], 'packet too big to the client');
  });

  test('packet too big from the client side -> fragmentation needed to the server, 20 bytes less, quoting its packet as IPv4', async () => {
    const quote = synAck.subarray(14);
    const ptb = icmp6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: VIP6, hopLimit: 64, type: 2, code: 0,
      body: Buffer.concat([be32(1400), quote]) });
    const got = await send([ptb], 1);
    // The server's SYN-ACK as it sent it, but with the TTL it left the
    // director with (the quote's hop limit), DF and ID 0 as any IPv6 -> IPv4.
    const seg = tcp({ src: first.rs.ip, dst: LIP4, sport: 8080, dport: first.lport, flags: TCP_SYN | TCP_ACK, seq: 7000, ack: 1001 });
    const inner = ipv4({ src: first.rs.ip, dst: LIP4, proto: IPPROTO_TCP, ttl: 63, tos: 0x28, df: true, id: 0, payload: seg });
    assertFrames6(got, [ipv4Frame({ srcMac: OUR_MAC, dstMac: first.rs.mac, src: LIP4, dst: first.rs.ip, proto: IPPROTO_ICMP, ttl: 63, df: true, id: 0,
      payload: icmpFragNeeded({ original: inner, nextHopMtu: 1380, quoteBytes: inner.length }) })], 'fragmentation needed to the server');
  });

  test('a server\'s packet with TTL 1 -> ICMPv4 time exceeded from the IPv4 LIP, quoting it (the director originates it over IPv6, sent as IPv4)', async () => {
    const ttl1 = serverSeg(first, { flags: TCP_ACK, seq: 7200, ack: 1001, ip: { ttl: 1 } });
    let got: RingFrame[] = [];
    const d = await dp.dropsDelta(async () => { got = await send([ttl1], 1, first.lport % 2); });
    assert.deepEqual(d, { ttl_exceeded: 1 }, `drops ${JSON.stringify(d)}`);
    // The quote as translated there and back: DF set and ID 0, as any IPv6 -> IPv4.
    const seg = tcp({ src: first.rs.ip, dst: LIP4, sport: 8080, dport: first.lport, flags: TCP_ACK, seq: 7200, ack: 1001 });
    const quote = ipv4({ src: first.rs.ip, dst: LIP4, proto: IPPROTO_TCP, ttl: 1, df: true, id: 0, payload: seg });
    assertFrames6(got, [ipv4Frame({ srcMac: OUR_MAC, dstMac: first.rs.mac, src: LIP4, dst: first.rs.ip, proto: IPPROTO_ICMP, ttl: 64, df: true, id: 0,
      payload: icmp({ type: 11, code: 0, body: quote }) })], 'time exceeded to the server');
  });

  test('what RFC 7915 says to drop, or no NAT64 session holds, is a counted drop with nothing sent', async () => {
    const lsrr = Buffer.from([131, 7, 4, 198, 18, 0, 99, 0]);
    const cases: Array<[string, Buffer, number, string]> = [
      ['a reply to a LIP port with no session', serverSeg({ cport: 0, rs: RS1, lport: 1025 }, { flags: TCP_ACK, seq: 1, ack: 1 }), 1025 % 2, 'no_session'],
      ['a reply with an IPv4 source route', serverSeg(first, { flags: TCP_ACK, seq: 1, ack: 1, ip: { options: lsrr } }), first.lport % 2, 'untranslatable'],
      ['a UDP first fragment without a checksum', udpFrame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: RS1.ip, dst: LIP4, sport: 8080, dport: first.lport,
        payload: Buffer.alloc(16), checksum: 0, ip: { mf: true, id: 7 } }), first.lport % 2, 'untranslatable'],
      ['a later IPv4 fragment (no ports)', ipv4Frame({ srcMac: RS1.mac, dstMac: OUR_MAC, src: RS1.ip, dst: LIP4, proto: IPPROTO_TCP, fragOffset: 8, id: 9,
        payload: Buffer.alloc(16) }), 0, 'fragment'],
      ['ICMPv4 source quench (no ICMPv6 counterpart)', ipv4Frame({ srcMac: first.rs.mac, dstMac: OUR_MAC, src: first.rs.ip, dst: LIP4, proto: IPPROTO_ICMP,
        payload: icmp({ type: 4, code: 0, body: toServer(first, { flags: TCP_ACK, seq: 1, ack: 1 }).subarray(14, 14 + 28) }) }), first.lport % 2, 'untranslatable'],
    ];
    for (const [what, frame, queue, reason] of cases) {
      let got: RingFrame[] = [];
      const d = await dp.dropsDelta(async () => { got = await send([frame], 0, queue); });
      assert.deepEqual(d, { [reason]: 1 }, `${what}: drops ${JSON.stringify(d)}`);
      assert.equal(got.length, 0, `${what}: something came out\n${show(got)}`);
    }
  });
});
