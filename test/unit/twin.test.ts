import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import { runHostCommands, twinCommands, underlayCommands } from '../../src/dataplane/twin';

function cfg(): FulcrumConfig {
  const r = validateConfig({
    dataplane: { workers: [1] },
    ports: [
      {
        name: 'lan',
        device: 'net_af_packet0,iface=veth0',
        mtu: 1400,
        addresses: [
          { ip: '198.18.0.1/24', role: 'dip' },
          { ip: '198.18.0.100/32', role: 'vip' },
        ],
      },
      { name: 'wan', device: 'ring', twin: false, addresses: [{ ip: '203.0.113.1/24', role: 'dip' }] },
    ],
    routes: [{ to: '198.19.0.0/16', via: '198.18.0.254' }],
    defaultGateway: { via: '203.0.113.254' },
  });
  assert.ok(r.ok);
  return r.config;
}

test('twin commands: ipv6 off, mtu, addresses, up, routes via twin only', () => {
  const lines = twinCommands(cfg()).map((c) => `${c.cmd} ${c.args.join(' ')}${c.bestEffort ? ' ?' : ''}`);
  assert.deepEqual(lines, [
    'sysctl -q -w net.ipv6.conf.fl-lan.disable_ipv6=1 ?',
    'ip link set dev fl-lan mtu 1400',
    'ip addr replace 198.18.0.1/24 dev fl-lan',
    'ip addr replace 198.18.0.100/32 dev fl-lan noprefixroute',
    'ip link set dev fl-lan up',
    'ip route replace 198.19.0.0/16 via 198.18.0.254 dev fl-lan',
    // default gateway is on "wan", which has no twin: no kernel route
  ]);
});

test('underlay: an af_packet iface loses any XDP program an AF_XDP run left (it would take every frame first) and IPv6', () => {
  assert.deepEqual(underlayCommands(cfg()).map((c) => c.args.join(' ')), [
    'link set dev veth0 xdp off', 'link set dev veth0 xdpgeneric off', '-q -w net.ipv6.conf.veth0.disable_ipv6=1',
  ]);
});

test('failures are collected into one error; best-effort ones ignored', () => {
  const ran: string[] = [];
  assert.throws(
    () =>
      runHostCommands(twinCommands(cfg()), (cmd, args) => {
        ran.push(cmd);
        if (cmd === 'sysctl' || args[0] === 'addr') throw new Error('RTNETLINK answers: Operation not permitted');
      }),
    (e: unknown) =>
      e instanceof Error &&
      /^twin setup failed: `ip addr replace 198\.18\.0\.1\/24 dev fl-lan`: RTNETLINK/.test(e.message) &&
      (e.message.match(/RTNETLINK/g) ?? []).length === 2 &&
      !e.message.includes('\n'),
  );
  assert.equal(ran.length, 6, 'every command is still attempted');
});
