// src/net/ipv6.ts against an independent referee: libuv's inet_pton and
// inet_ntop, through Node's net.SocketAddress (libuv's inet_ntop writes
// what glibc's does, which is what ipvsadm prints), on fixed cases and on
// seeded random addresses rich in zero groups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { formatEndpoint6, formatIPv6, networkOf6, parseCidr6, parseIPv6, prefixContains6 } from '../../src/net/ipv6';

const referee = (s: string): string => new net.SocketAddress({ address: s, family: 'ipv6' }).address;
const hex = (a: Uint8Array): string => Buffer.from(a).toString('hex');

test('parse and format: canonical forms, as inet_ntop writes them', () => {
  const cases: [string, string][] = [
    ['2001:0002:0000:0000:0000:0000:0000:0100', '2001:2::100'],
    ['2001:2:0:0:1:0:0:1', '2001:2::1:0:0:1'], // the first of two equal runs
    ['2001:2:0:1:0:0:0:1', '2001:2:0:1::1'], // the longer run
    ['2001:2:0:1:2:3:4:5', '2001:2:0:1:2:3:4:5'], // a single zero group is not compressed
    ['::', '::'], ['::1', '::1'], ['1::', '1::'], ['2001:2::', '2001:2::'],
    ['::ffff:198.18.0.1', '::ffff:198.18.0.1'], ['::ffff:c612:1', '::ffff:198.18.0.1'],
    ['::198.18.0.1', '::198.18.0.1'], ['0:0:0:0:0:0:c612:1', '::198.18.0.1'],
    ['64:ff9b::198.18.0.1', '64:ff9b::c612:1'], ['2001:2::A:B', '2001:2::a:b'],
    ['1:2:3:4:5:6:198.18.0.1', '1:2:3:4:5:6:c612:1'],
  ];
  for (const [input, want] of cases) {
    const a = parseIPv6(input);
    assert.ok(a, input);
    assert.equal(formatIPv6(a), want, input);
    assert.equal(want, referee(input), `referee on ${input}`);
  }
});

test('parse refuses what is not one address', () => {
  for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1',
    '::1%eth0', '[::1]', '::1/64', '1:2:3:4:5:6:7:198.18.0.1', '::198.18.0.256', '::198.18.0', '::ffff:01.2.3.4',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', ' ::1']) {
    assert.equal(parseIPv6(bad), null, JSON.stringify(bad));
  }
});

test('seeded random addresses: parse(format(a)) is a, and format agrees with inet_ntop', () => {
  let seed = 0x2001_0002;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
  for (let n = 0; n < 5000; n++) {
    const a = new Uint8Array(16);
    for (let g = 0; g < 8; g++) {
      // Mostly zero groups, so that runs of every length and position occur.
      const w = rnd() % 3 === 0 ? rnd() & 0xffff : 0;
      a[2 * g] = w >>> 8;
      a[2 * g + 1] = w & 0xff;
    }
    const text = formatIPv6(a);
    assert.equal(text, referee(text), hex(a));
    assert.equal(hex(parseIPv6(text)!), hex(a), text);
    // And the referee's own uncompressed form parses to the same bytes.
    const full = Array.from({ length: 8 }, (_, g) => ((a[2 * g]! << 8) | a[2 * g + 1]!).toString(16)).join(':');
    assert.equal(hex(parseIPv6(full)!), hex(a), full);
  }
});

test('prefixes: parse, network, containment (ipvsadm -M as a prefix length)', () => {
  const c = parseCidr6('2001:2::100/64')!;
  assert.equal(c.len, 64);
  assert.equal(formatIPv6(networkOf6(c.ip, c.len)), '2001:2::');
  assert.equal(formatIPv6(networkOf6(parseIPv6('2001:2:ab:cdef::1')!, 52)), '2001:2:ab:c000::');
  assert.equal(formatIPv6(networkOf6(c.ip, 0)), '::');
  assert.equal(formatIPv6(networkOf6(c.ip, 128)), '2001:2::100');
  assert.ok(prefixContains6(parseIPv6('2001:2::')!, 48, parseIPv6('2001:2:0:ffff::1')!));
  assert.ok(!prefixContains6(parseIPv6('2001:2::')!, 48, parseIPv6('2001:3::1')!));
  for (const bad of ['2001:2::/129', '2001:2::/064', '2001:2::', '2001:2::/', 'x/64']) assert.equal(parseCidr6(bad), null, bad);
  assert.equal(formatEndpoint6(parseIPv6('2001:2::100')!, 80), '[2001:2::100]:80');
});
