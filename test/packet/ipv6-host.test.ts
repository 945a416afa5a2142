// Packet fixtures for the director as an IPv6 host (issue 15, item 1):
// neighbour discovery (unsolicited adverts at start, answers to
// solicitations and DAD probes, its own resolution of neighbours and
// gateways with the parked packet released by the advert), ICMPv6 echo
// through extension headers, and hostile IPv6 frames, each a counted drop.
// Every expected frame is built by test/lib/packet6.ts, which shares no code
// with the product, and compared byte for byte with its checksum verified.
//
// One dataplane for the file (one EAL per process): 2 workers, ring port p0,
// no IPv4 address (so no gratuitous ARP mixes with the adverts).
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ETH_P_IPV6, ethernet, truncate } from '../lib/packet';
import {
  ALL_NODES, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMPV6, ICMP6_MLD2_REPORT, NA_OVERRIDE,
  NA_ROUTER, NA_SOLICITED, ND_ROUTER_SOLICIT, assertFrames6, echo6Frame, icmp6Frame, ipv6, multicastMac,
  naFrame, nsFrame, showFrames6, solicitedNode, type ExtHeader,
} from '../lib/packet6';
import { startRingDataplane, type RingDataplane } from '../lib/dataplane';

const P0 = 0;
const DIP = '2001:2::1';
const VIP = '2001:2::100';
const STANDBY_VIP = '2001:2::200';
const GATEWAY = { ip: '2001:2::fe', mac: '02:00:00:00:06:fe' };
const CLIENT = { ip: '2001:2::10', mac: '02:00:00:00:06:10' };
const UNLEARNED = { ip: '2001:2::20', mac: '02:00:00:00:06:20' };
const UNLEARNED_TOO = { ip: '2001:2::21', mac: '02:00:00:00:06:21' };
const REMOTE = { ip: '2001:2:9::9', mac: GATEWAY.mac };   // off-link: through the default route
const DAD_PROBER_MAC = '02:00:00:00:06:30';

const OUT_TIMEOUT_MS = 2000;
const QUIET_MS = 250;

let dp: RingDataplane;
let OUR_MAC = '';

const show = showFrames6;
const assertFrames = assertFrames6;

const payload = (id: number, seq: number): Buffer => Buffer.from(`fulcrum echo6 ${id}/${seq} 0123456789abcdef`);

function request(from: { ip: string; mac: string }, to: string, id: number, seq: number, ext?: ExtHeader[]): Buffer {
  return echo6Frame({ srcMac: from.mac, dstMac: OUR_MAC, src: from.ip, dst: to, id, seq, data: payload(id, seq), hopLimit: 61, ext });
}

/** The reply a correct director sends: hop limit 64, addresses swapped, no extension headers. */
function reply(to: { ip: string; mac: string }, from: string, id: number, seq: number): Buffer {
  return echo6Frame({ srcMac: OUR_MAC, dstMac: to.mac, src: from, dst: to.ip, id, seq, data: payload(id, seq), reply: true, hopLimit: 64 });
}

async function exchange(input: Buffer[], expected: Buffer[], what: string): Promise<void> {
  dp.flush();
  dp.inject(P0, input);
  const got = await dp.collect(P0, { count: expected.length, timeoutMs: OUT_TIMEOUT_MS });
  got.push(...(await dp.expectNothing(P0, QUIET_MS)));
  assertFrames(got, expected, what);
}


before(() => {
  dp = startRingDataplane({
    ports: 1,
    workers: 2,
    addrs: [],
    routes: [],
    extra: {
      addrs6: [
        { ip: DIP, prefix: 64, role: 'dip', port: P0 },
        { ip: VIP, prefix: 128, role: 'vip', port: P0 },
        { ip: STANDBY_VIP, prefix: 128, role: 'vip', port: P0, standby: true },
      ],
      routes6: [
        { prefix: '2001:2::', len: 64, port: P0, gateway: null },
        { prefix: '::', len: 0, port: P0, gateway: GATEWAY.ip },
      ],
    },
  });
  OUR_MAC = dp.mac(P0);
});

after(() => {
  dp?.stop();
});

describe('IPv6 host packet fixtures: ND, echo, extension headers, hostile frames (net_ring, 2 workers)', () => {
  test('unsolicited neighbour adverts at start: one per active address, to all nodes, R|O', async () => {
    const expected = [DIP, VIP].map((ip) =>
      naFrame({ srcMac: OUR_MAC, dstMac: multicastMac(ALL_NODES), dst: ALL_NODES, target: ip, flags: NA_ROUTER | NA_OVERRIDE }));
    const got = await dp.collect(P0, { count: expected.length, timeoutMs: OUT_TIMEOUT_MS });
    got.push(...(await dp.expectNothing(P0, QUIET_MS)));
    const key = (b: Buffer): string => b.toString('hex');
    got.sort((a, b) => key(a.frame).localeCompare(key(b.frame)));
    expected.sort((a, b) => key(a).localeCompare(key(b)));
    assertFrames(got, expected, 'unsolicited adverts (the standby VIP is not announced)');
    assert.equal(dp.counter('ndUnsolicitedSent'), 2);
  });

  test('solicitation for the DIP -> solicited advert to the asker (R|S|O, target option), asker learned', async () => {
    const before = dp.counter('ndAdvertsSent');
    await exchange(
      [nsFrame({ srcMac: CLIENT.mac, src: CLIENT.ip, target: DIP })],
      [naFrame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, dst: CLIENT.ip, target: DIP, flags: NA_ROUTER | NA_SOLICITED | NA_OVERRIDE })],
      'NS for the DIP');
    assert.equal(dp.counter('ndAdvertsSent') - before, 1);
    assert.ok(await dp.waitNeighbours([CLIENT.ip], OUT_TIMEOUT_MS), `${CLIENT.ip} not learned from its solicitation's source option`);
    const n = dp.neighbours().find((e) => e.ip === CLIENT.ip)!;
    assert.equal(n.mac.toLowerCase(), CLIENT.mac);
  });

  test('solicitation for the VIP sent unicast (a refresh probe) -> solicited advert', () =>
    exchange(
      [nsFrame({ srcMac: CLIENT.mac, src: CLIENT.ip, target: VIP, dst: VIP, dstMac: OUR_MAC })],
      [naFrame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, dst: CLIENT.ip, target: VIP, flags: NA_ROUTER | NA_SOLICITED | NA_OVERRIDE })],
      'unicast NS for the VIP'));

  test('duplicate address detection probe for the VIP -> the address is defended to all nodes (R|O)', () =>
    exchange(
      [nsFrame({ srcMac: DAD_PROBER_MAC, src: '::', target: VIP, slla: null })],
      [naFrame({ srcMac: OUR_MAC, dstMac: multicastMac(ALL_NODES), dst: ALL_NODES, target: VIP, flags: NA_ROUTER | NA_OVERRIDE })],
      'DAD probe'));

  test('echo request to the DIP -> echo reply (hop limit 64, id/seq/data kept)', async () => {
    const before = dp.counter('icmp6EchoReplies');
    await exchange([request(CLIENT, DIP, 0x6001, 1)], [reply(CLIENT, DIP, 0x6001, 1)], 'echo to the DIP');
    assert.equal(dp.counter('icmp6EchoReplies') - before, 1);
  });

  test('echo request to the VIP -> reply from the VIP', () =>
    exchange([request(CLIENT, VIP, 0x6002, 2)], [reply(CLIENT, VIP, 0x6002, 2)], 'echo to the VIP'));

  test('the reply keeps the request\'s traffic class (as Linux) and flow label (as Linux with flowlabel_reflect: the same ECMP path back)', () => {
    const marks = { trafficClass: 0xb8, flowLabel: 0x5eed1 };
    return exchange(
      [echo6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: DIP, id: 0x6009, seq: 1, data: payload(0x6009, 1), hopLimit: 61, ...marks })],
      [echo6Frame({ srcMac: OUR_MAC, dstMac: CLIENT.mac, src: DIP, dst: CLIENT.ip, id: 0x6009, seq: 1, data: payload(0x6009, 1), reply: true, hopLimit: 64, ...marks })],
      'echo with a traffic class and a flow label');
  });

  test('echo behind hop-by-hop and destination options headers -> reply without them', () =>
    exchange(
      [request(CLIENT, DIP, 0x6003, 3, [
        { type: IPPROTO_HOPOPTS, body: Buffer.from([0x05, 0x02, 0x00, 0x00]) },   // router alert (MLD), then PadN
        { type: IPPROTO_DSTOPTS, body: Buffer.alloc(12) },
      ])],
      [reply(CLIENT, DIP, 0x6003, 3)],
      'echo with extension headers'));

  /**
   * A request whose reply must wait for a neighbour: the director asks for
   * `hop` (from `nsFrom`), sends nothing else until `hop` answers, then
   * releases the parked reply.
   */
  async function parkedUntilAdvert(o: { from: { ip: string; mac: string }; to: string; id: number;
    hop: { ip: string; mac: string }; nsFrom: string; naFlags: number; what: string }): Promise<void> {
    dp.flush();
    dp.inject(P0, [request(o.from, o.to, o.id, 1)]);
    const ns = await dp.collect(P0, { count: 1, timeoutMs: OUT_TIMEOUT_MS });
    assertFrames(ns, [nsFrame({ srcMac: OUR_MAC, src: o.nsFrom, target: o.hop.ip })], `${o.what}: the solicitation`);
    const early = await dp.expectNothing(P0, QUIET_MS);
    assert.equal(early.length, 0, `${o.what}: output before the advert:\n${show(early)}`);
    await exchange(
      [naFrame({ srcMac: o.hop.mac, dstMac: OUR_MAC, dst: o.nsFrom, target: o.hop.ip, flags: o.naFlags })],
      [reply(o.from, o.to, o.id, 1)],
      `${o.what}: the parked reply after the advert`);
  }

  test('echo from an unlearned neighbour: reply parked, multicast NS out, released by its advert', async () => {
    const queued = dp.counter('neighQueued');
    const asked = dp.counter('ndSolicitsSent');
    await parkedUntilAdvert({ from: UNLEARNED, to: DIP, id: 0x6004, hop: UNLEARNED, nsFrom: DIP,
      naFlags: NA_SOLICITED | NA_OVERRIDE, what: 'unlearned neighbour' });
    assert.equal(dp.counter('neighQueued') - queued, 1);
    assert.equal(dp.counter('ndSolicitsSent') - asked, 1);
  });

  test('a reply from the VIP is resolved by a solicitation from the VIP (RFC 4861 7.2.2: the prompting packet\'s source)', () =>
    parkedUntilAdvert({ from: UNLEARNED_TOO, to: VIP, id: 0x6006, hop: UNLEARNED_TOO, nsFrom: VIP,
      naFlags: NA_SOLICITED | NA_OVERRIDE, what: 'reply from the VIP' }));

  test('echo from off-link: the reply goes through the default gateway, resolved first', () =>
    parkedUntilAdvert({ from: REMOTE, to: DIP, id: 0x6005, hop: GATEWAY, nsFrom: DIP,
      naFlags: NA_ROUTER | NA_SOLICITED | NA_OVERRIDE, what: 'off-link client via the gateway' }));

  test('an unsolicited advert does not create a neighbour (as Linux)', async () => {
    const stranger = '2001:2::77';
    await exchange(
      [naFrame({ srcMac: '02:00:00:00:06:77', dstMac: multicastMac(ALL_NODES), dst: ALL_NODES, target: stranger, flags: NA_OVERRIDE })],
      [], 'unsolicited advert');
    assert.equal(dp.neighbours().some((n) => n.ip === stranger), false);
  });

  // Each: the one drop reason that must grow by one, and nothing out.
  const solicit = (o: Partial<Parameters<typeof nsFrame>[0]> = {}): Buffer =>
    nsFrame({ srcMac: CLIENT.mac, src: CLIENT.ip, target: DIP, ...o });
  const echo = (): Buffer => request(CLIENT, DIP, 0x6100, 1);
  const withByte = (f: Buffer, off: number, v: number): Buffer => {
    const c = Buffer.from(f);
    c[off] = v;
    return c;
  };
  const dropCases: Array<{ description: string; frame: () => Buffer; drop: string }> = [
    { description: 'truncated IPv6 header (Ethernet + 30 bytes)', frame: () => truncate(echo(), 14 + 30), drop: 'malformed' },
    { description: 'payload length beyond the frame', frame: () => { const f = Buffer.from(echo()); f.writeUInt16BE(f.readUInt16BE(18) + 64, 18); return f; }, drop: 'malformed' },
    { description: 'payload length 0 (a jumbogram on Ethernet)', frame: () => { const f = Buffer.from(echo()); f.writeUInt16BE(0, 18); return f; }, drop: 'malformed' },
    { description: 'version 4 in an IPv6 EtherType', frame: () => withByte(echo(), 14, 0x40), drop: 'malformed' },
    { description: 'multicast source address', frame: () => echo6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: 'ff02::1', dst: DIP, id: 1, seq: 1, data: Buffer.alloc(8) }), drop: 'malformed' },
    { description: 'extension header overrunning the packet', frame: () => request(CLIENT, DIP, 1, 1, [{ type: IPPROTO_DSTOPTS, lengthByte: 40 }]), drop: 'malformed' },
    { description: 'hop-by-hop options not first', frame: () => request(CLIENT, DIP, 1, 1, [{ type: IPPROTO_DSTOPTS }, { type: IPPROTO_HOPOPTS }]), drop: 'malformed' },
    { description: 'nine extension headers (more than the walk takes)', frame: () => request(CLIENT, DIP, 1, 1, Array(9).fill({ type: IPPROTO_DSTOPTS })), drop: 'malformed' },
    { description: 'echo with a bad checksum', frame: () => echo6Frame({ srcMac: CLIENT.mac, dstMac: OUR_MAC, src: CLIENT.ip, dst: DIP, id: 1, seq: 1, data: Buffer.alloc(8), checksum: 0x1234 }), drop: 'bad_checksum' },
    { description: 'echo to an IPv6 address that is not ours', frame: () => request(CLIENT, '2001:2::99', 1, 1), drop: 'not_for_us' },
    { description: 'echo to the standby VIP (the VRRP master answers)', frame: () => request(CLIENT, STANDBY_VIP, 1, 1), drop: 'standby' },
    { description: 'NS with hop limit 254 (RFC 4861 7.1.1)', frame: () => solicit({ hopLimit: 254 }), drop: 'bad_nd' },
    { description: 'NS with code 1', frame: () => solicit({ code: 1 }), drop: 'bad_nd' },
    { description: 'NS with a bad checksum', frame: () => solicit({ checksum: 0xbeef }), drop: 'bad_checksum' },
    { description: 'NS for a multicast target', frame: () => solicit({ target: 'ff02::1', dst: solicitedNode(DIP) }), drop: 'bad_nd' },
    { description: 'NS with an option of length 0', frame: () => solicit({ options: Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]) }), drop: 'bad_nd' },
    { description: 'NS with an option overrunning the message', frame: () => solicit({ options: Buffer.from([1, 2, 0, 0, 0, 0, 0, 0]) }), drop: 'bad_nd' },
    { description: 'DAD probe carrying a source link-layer option', frame: () => solicit({ src: '::' }), drop: 'bad_nd' },
    { description: 'DAD probe sent unicast', frame: () => solicit({ src: '::', slla: null, dst: DIP, dstMac: OUR_MAC }), drop: 'bad_nd' },
    { description: 'NS truncated below 24 bytes of message', frame: () => icmp6Frame({ srcMac: CLIENT.mac, dstMac: multicastMac(solicitedNode(DIP)), src: CLIENT.ip, dst: solicitedNode(DIP), hopLimit: 255, type: 135, body: Buffer.alloc(8) }), drop: 'bad_nd' },
    { description: 'NS for the standby VIP (not answered; no twin to hand it to)', frame: () => solicit({ target: STANDBY_VIP }), drop: 'not_for_us' },
    { description: 'MLDv2 report to ff02::16 (the kernel twin\'s; there is none here)', frame: () => icmp6Frame({ srcMac: CLIENT.mac, dstMac: multicastMac('ff02::16'), src: 'fe80::10', dst: 'ff02::16', hopLimit: 1, type: ICMP6_MLD2_REPORT, body: Buffer.alloc(4), ext: [{ type: IPPROTO_HOPOPTS, body: Buffer.from([0x05, 0x02, 0x00, 0x00]) }] }), drop: 'no_kernel_twin' },
    { description: 'router solicitation to ff02::2 (the kernel twin\'s)', frame: () => icmp6Frame({ srcMac: CLIENT.mac, dstMac: multicastMac('ff02::2'), src: 'fe80::10', dst: 'ff02::2', hopLimit: 255, type: ND_ROUTER_SOLICIT, body: Buffer.alloc(4) }), drop: 'no_kernel_twin' },
    { description: 'first fragment of an echo (reassembly is the kernel\'s)', frame: () => request(CLIENT, DIP, 1, 1, [{ type: IPPROTO_FRAGMENT, frag: { offset: 0, more: true, id: 7 } }]), drop: 'no_kernel_twin' },
    { description: 'later fragment to the DIP', frame: () => ethernet({ src: CLIENT.mac, dst: OUR_MAC, type: ETH_P_IPV6, payload: ipv6({ src: CLIENT.ip, dst: DIP, proto: IPPROTO_ICMPV6, payload: Buffer.alloc(16, 0xaa), ext: [{ type: IPPROTO_FRAGMENT, frag: { offset: 1448, more: false, id: 7 } }] }) }), drop: 'no_kernel_twin' },
    { description: 'TCP to the DIP (the twin\'s daemons; none here)', frame: () => ethernet({ src: CLIENT.mac, dst: OUR_MAC, type: ETH_P_IPV6, payload: ipv6({ src: CLIENT.ip, dst: DIP, proto: 6, payload: Buffer.alloc(20) }) }), drop: 'no_kernel_twin' },
  ];
  for (const c of dropCases) {
    test(`drop: ${c.description} -> ${c.drop}`, async () => {
      dp.flush();
      const delta = await dp.dropsDelta(() => dp.inject(P0, [c.frame()]));
      assert.deepEqual(delta, { [c.drop]: 1 }, `${c.description}: drop counter changes`);
      const out = await dp.expectNothing(P0, QUIET_MS);
      assert.equal(out.length, 0, `${c.description}: unexpected output\n${show(out)}`);
    });
  }

  test('the director still answers after the hostile frames', () =>
    exchange([request(CLIENT, DIP, 0x6200, 9)], [reply(CLIENT, DIP, 0x6200, 9)], 'echo after the drops'));

  test('a valid echo padded (never on IPv6 wire, but allowed) is trimmed to its payload length', () => {
    const f = Buffer.concat([request(CLIENT, DIP, 0x6201, 1), Buffer.alloc(6)]);
    return exchange([f], [reply(CLIENT, DIP, 0x6201, 1)], 'echo with trailing bytes');
  });
});
