// Unit tests for the test-side packet library (test/lib/packet.ts), against
// vectors computed independently (by hand / python3 arithmetic, see comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as P from '../lib/packet';

const CIP = '198.18.0.10';
const VIP = '198.18.0.100';
const DIP = '198.18.0.1';
const CMAC = '02:00:00:00:00:0a';
const DMAC = '02:00:00:00:00:01';

test('internet checksum: classic IPv4 header vector 4500 0073 ... b861', () => {
  const hdr = P.fromHex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
  assert.equal(P.internetChecksum(hdr), 0xb861);
  const withSum = P.fromHex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
  assert.equal(P.onesComplementSum(withSum), 0xffff, 'a correct header sums to 0xffff');
});

test('internet checksum: odd length and carry folding', () => {
  // 0xffff + 0x0001 = 0x10000 -> folds to 0x0001 -> ~ = 0xfffe
  assert.equal(P.internetChecksum(Buffer.from([0xff, 0xff, 0x00, 0x01])), 0xfffe);
  // odd byte is padded with zero on the right: 0x0102 + 0x0300 = 0x0402 -> 0xfbfd
  assert.equal(P.internetChecksum(Buffer.from([0x01, 0x02, 0x03])), 0xfbfd);
});

test('ipv4Header builds the classic vector byte for byte', () => {
  const h = P.ipv4Header({
    src: '192.168.0.1',
    dst: '192.168.0.199',
    proto: P.IPPROTO_UDP,
    ttl: 64,
    df: true,
    id: 0,
    payload: Buffer.alloc(0x73 - 20),
  });
  assert.equal(h.toString('hex'), '450000730000400040' + '11b861c0a80001c0a800c7');
});

test('ICMP echo request: checksum matches independent computation', () => {
  // python3: cs(pack('!BBHHH',8,0,0,0x1234,1)+b'abcdefgh') == 0x5435
  const ic = P.icmpEcho({ id: 0x1234, seq: 1, data: Buffer.from('abcdefgh') });
  assert.equal(ic.toString('hex'), '0800' + '5435' + '12340001' + Buffer.from('abcdefgh').toString('hex'));
  const f = P.icmpEchoFrame({ srcMac: CMAC, dstMac: DMAC, src: CIP, dst: DIP, id: 0x1234, seq: 1, data: Buffer.from('abcdefgh'), ip: { id: 0x1c46, df: true } });
  assert.deepEqual(P.verifyChecksums(f), []);
  // python3: IPv4 header 198.18.0.10 -> 198.18.0.1, len 36, id 0x1c46, DF, ttl 64, proto 1 => 0x9263
  assert.equal(f.readUInt16BE(14 + 10), 0x9263);
  const p = P.parseFrame(f);
  assert.equal(p.icmp?.type, P.ICMP_ECHO_REQUEST);
  assert.equal(p.icmp?.id, 0x1234);
  assert.equal(p.icmp?.seq, 1);
  assert.equal(p.icmp?.data.toString(), 'abcdefgh');
  assert.match(P.describe(f), /ICMP 198\.18\.0\.10 > 198\.18\.0\.1 echo-request id 4660 seq 1/);
});

test('TCP SYN with MSS: checksum matches independent pseudo-header computation', () => {
  // python3: 198.18.0.10:40000 -> 198.18.0.100:80 seq 1000 SYN win 64240 <mss 1460> => 0x702a
  const f = P.tcpFrame({ srcMac: CMAC, dstMac: DMAC, src: CIP, dst: VIP, sport: 40000, dport: 80, seq: 1000, flags: P.TCP_SYN, window: 64240, options: { mss: 1460 } });
  const p = P.parseFrame(f);
  assert.ok(p.tcp);
  assert.equal(p.tcp.checksum, 0x702a);
  assert.equal(p.tcp.options.mss, 1460);
  assert.equal(p.tcp.dataOffset, 6);
  assert.equal(p.tcp.flags, P.TCP_SYN);
  assert.deepEqual(P.verifyChecksums(f), []);
  assert.match(P.describe(f), /TCP 198\.18\.0\.10:40000 > 198\.18\.0\.100:80 \[S\] seq 1000 win 64240 <mss 1460>/);
});

test('TCP options round trip (MSS, SACK-perm, timestamps, wscale)', () => {
  const seg = P.tcp({ src: CIP, dst: VIP, sport: 1, dport: 2, options: { mss: 1400, sackPermitted: true, timestamps: { val: 7, ecr: 0 }, wscale: 7 } });
  assert.equal(seg.length, 40);
  const f = P.ethernet({ src: CMAC, dst: DMAC, type: P.ETH_P_IPV4, payload: P.ipv4({ src: CIP, dst: VIP, proto: P.IPPROTO_TCP, payload: seg }) });
  const o = P.parseFrame(f).tcp?.options;
  assert.equal(o?.mss, 1400);
  assert.equal(o?.sackPermitted, true);
  assert.deepEqual(o?.timestamps, { val: 7, ecr: 0 });
  assert.equal(o?.wscale, 7);
  assert.deepEqual(P.verifyChecksums(f), []);
});

test('UDP: checksum matches independent computation; zero checksum accepted', () => {
  // python3: 198.18.0.10:5000 -> 198.18.0.100:53 "hello" => 0x1bb2
  const f = P.udpFrame({ src: CIP, dst: VIP, sport: 5000, dport: 53, payload: Buffer.from('hello') });
  const p = P.parseFrame(f);
  assert.equal(p.udp?.checksum, 0x1bb2);
  assert.equal(p.udp?.length, 13);
  assert.equal(p.udp?.payload.toString(), 'hello');
  assert.deepEqual(P.verifyChecksums(f), []);
  const none = P.udpFrame({ src: CIP, dst: VIP, sport: 5000, dport: 53, payload: Buffer.from('hello'), udpChecksum: 0 });
  assert.deepEqual(P.verifyChecksums(none), []);
});

test('ARP request and reply build and parse', () => {
  const req = P.arpRequestFrame({ srcMac: CMAC, srcIp: CIP, targetIp: VIP, pad: true });
  assert.equal(req.length, 60);
  const p = P.parseFrame(req);
  assert.equal(p.eth?.dst, P.BROADCAST_MAC);
  assert.equal(p.arp?.op, P.ARP_REQUEST);
  assert.equal(p.arp?.spa, CIP);
  assert.equal(p.arp?.tpa, VIP);
  assert.equal(p.arp?.tha, P.ZERO_MAC);
  // fixed layout: htype 1, ptype 0800, 6, 4, op 1
  assert.equal(req.subarray(14, 22).toString('hex'), '0001080006040001');
  const rep = P.arpReplyFrame({ srcMac: DMAC, srcIp: VIP, dstMac: CMAC, dstIp: CIP });
  assert.equal(P.describe(rep), `${DMAC} > ${CMAC} ARP reply ${VIP} is-at ${DMAC} to ${CIP} (${CMAC}) (42 bytes)`);
});

test('802.1Q tag is built and parsed', () => {
  const f = P.icmpEchoFrame({ srcMac: CMAC, dstMac: DMAC, vlan: { id: 100, pcp: 3 }, src: CIP, dst: VIP, id: 1, seq: 2 });
  assert.equal(f.readUInt16BE(12), 0x8100);
  assert.equal(f.readUInt16BE(14), (3 << 13) | 100);
  const p = P.parseFrame(f);
  assert.equal(p.eth?.vlan?.id, 100);
  assert.equal(p.eth?.vlan?.pcp, 3);
  assert.equal(p.ipv4Offset, 18);
  assert.deepEqual(P.verifyChecksums(f), []);
  assert.match(P.describe(f), /vlan 100 pcp 3/);
});

test('IPv4 options: IHL grows and checksum still verifies', () => {
  // Router Alert option (RFC 2113): 94 04 00 00
  const f = P.udpFrame({ src: CIP, dst: VIP, sport: 1, dport: 2, payload: Buffer.from('x'), ip: { options: Buffer.from([0x94, 0x04, 0, 0]) } });
  const p = P.parseFrame(f);
  assert.equal(p.ipv4?.ihl, 6);
  assert.equal(p.ipv4?.options.toString('hex'), '94040000');
  assert.equal(p.udp?.payload.toString(), 'x');
  assert.deepEqual(P.verifyChecksums(f), []);
});

test('ICMP frag-needed carries next-hop MTU and the quoted datagram', () => {
  const orig = P.tcpFrame({ src: CIP, dst: VIP, sport: 40000, dport: 80, flags: P.TCP_ACK | P.TCP_PSH, payload: Buffer.alloc(1400, 0x61), ip: { df: true } });
  const err = P.icmpFragNeeded({ original: orig, nextHopMtu: 1280 });
  assert.equal(err.length, 8 + 20 + 8);
  assert.equal(err.readUInt16BE(6), 1280);
  const f = P.ipv4Frame({ src: DIP, dst: CIP, proto: P.IPPROTO_ICMP, payload: err });
  assert.deepEqual(P.verifyChecksums(f), []);
  const p = P.parseFrame(f);
  assert.equal(p.icmp?.type, P.ICMP_DEST_UNREACH);
  assert.equal(p.icmp?.code, P.ICMP_UNREACH_FRAG_NEEDED);
  assert.equal(p.icmp?.nextHopMtu, 1280);
  assert.equal(p.icmp?.original?.ipv4.src, CIP);
  assert.equal(p.icmp?.original?.ipv4.dst, VIP);
  assert.equal(p.icmp?.original?.sport, 40000);
  assert.equal(p.icmp?.original?.dport, 80);
  assert.match(P.describe(f), /frag-needed mtu 1280 \[TCP 198\.18\.0\.10:40000 > 198\.18\.0\.100:80/);
});

test('ICMP time-exceeded quoting an echo; a bad quoted IP checksum is reported', () => {
  const orig = P.ipv4({ src: CIP, dst: '198.19.0.11', proto: P.IPPROTO_ICMP, ttl: 1, payload: P.icmpEcho({ id: 9, seq: 3 }) });
  const te = P.icmpTimeExceeded({ original: orig });
  const f = P.ipv4Frame({ src: DIP, dst: CIP, proto: P.IPPROTO_ICMP, payload: te });
  assert.deepEqual(P.verifyChecksums(f), []);
  const p = P.parseFrame(f);
  assert.equal(p.icmp?.type, P.ICMP_TIME_EXCEEDED);
  assert.equal(p.icmp?.original?.icmpId, 9);
  assert.equal(p.icmp?.original?.icmpSeq, 3);
  // A NAT that rewrites the quoted header but forgets its checksum:
  const bad = Buffer.from(orig);
  bad[12] = 10; // rewrite quoted src without fixing the checksum
  const f2 = P.ipv4Frame({ src: DIP, dst: CIP, proto: P.IPPROTO_ICMP, payload: P.icmpTimeExceeded({ original: bad }) });
  const problems = P.verifyChecksums(f2);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /icmp\.original\.ipv4: header checksum/);
});

test('corruption overrides are detected', () => {
  const good = P.tcpFrame({ src: CIP, dst: VIP, sport: 1234, dport: 80 });
  assert.deepEqual(P.verifyChecksums(good), []);

  const badIp = P.tcpFrame({ src: CIP, dst: VIP, sport: 1234, dport: 80, ip: { checksum: 0xdead } });
  assert.deepEqual(
    P.verifyChecksums(badIp).map((s) => s.split(':')[0]),
    ['ipv4'],
  );
  assert.match(P.verifyChecksums(badIp)[0], /0xdead wrong, expected 0x[0-9a-f]{4}/);

  const badTcp = P.tcpFrame({ src: CIP, dst: VIP, sport: 1234, dport: 80, tcpChecksum: 0x1111 });
  assert.match(P.verifyChecksums(badTcp).join(), /^tcp: checksum 0x1111 wrong/);

  const badIcmp = P.icmpEchoFrame({ src: CIP, dst: VIP, id: 1, seq: 1, icmpChecksum: 0 });
  assert.match(P.verifyChecksums(badIcmp).join(), /^icmp: checksum 0x0000 wrong/);

  const badUdp = P.udpFrame({ src: CIP, dst: VIP, sport: 1, dport: 2, udpChecksum: 0x0001 });
  assert.match(P.verifyChecksums(badUdp).join(), /^udp: checksum 0x0001 wrong/);

  const badIhl = P.udpFrame({ src: CIP, dst: VIP, sport: 1, dport: 2, ip: { ihl: 4 } });
  assert.match(P.verifyChecksums(badIhl).join(), /bad IHL 4/);

  const shortFrame = P.tcpFrame({ src: CIP, dst: VIP, sport: 1234, dport: 80, truncateTo: 14 + 20 + 10 });
  assert.match(P.verifyChecksums(shortFrame).join(), /ipv4: truncated/);

  const tiny = P.truncate(good, 10);
  assert.deepEqual(P.verifyChecksums(tiny), ['ethernet: truncated (10 < 14 bytes)']);

  // fixChecksums repairs everything it can
  assert.deepEqual(P.verifyChecksums(P.fixChecksums(badTcp)), []);
  assert.deepEqual(P.verifyChecksums(P.fixChecksums(badIp)), []);
});

test('Ethernet padding is excluded from the datagram and reported as trailer', () => {
  const f = P.icmpEchoFrame({ src: CIP, dst: VIP, id: 1, seq: 1, pad: true });
  assert.equal(f.length, 60);
  const p = P.parseFrame(f);
  assert.equal(p.trailer?.length, 60 - 14 - 28);
  assert.deepEqual(P.verifyChecksums(f), []);
});

test('diffFrames names the differing fields and bytes', () => {
  const a = P.icmpEchoFrame({ srcMac: CMAC, dstMac: DMAC, src: CIP, dst: VIP, id: 1, seq: 1 });
  assert.deepEqual(P.diffFrames(a, Buffer.from(a)), []);
  const b = P.icmpEchoFrame({ srcMac: CMAC, dstMac: DMAC, src: CIP, dst: VIP, id: 1, seq: 1, ip: { ttl: 63 } });
  const d = P.diffFrames(a, b);
  assert.ok(d.includes('ipv4.ttl: expected 64, got 63'), d.join('\n'));
  assert.ok(d.some((l) => l.startsWith('ipv4.checksum: expected 0x')), d.join('\n'));
  assert.ok(d.includes('byte 22: expected 0x40, got 0x3f'), d.join('\n'));
  const c = P.truncate(a, 30);
  assert.ok(P.diffFrames(a, c).includes(`frame length: expected ${a.length}, got 30`));
});

test('address helpers reject garbage', () => {
  assert.throws(() => P.ipToBytes('1.2.3'));
  assert.throws(() => P.ipToBytes('1.2.3.256'));
  assert.throws(() => P.macToBytes('02:00:00:00:00'));
  assert.equal(P.intToIp(P.ipToInt('198.19.0.11')), '198.19.0.11');
  assert.equal(P.bytesToMac(P.macToBytes('AA-bb-0c-00-01-ff')), 'aa:bb:0c:00:01:ff');
});
