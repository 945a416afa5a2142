import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import { planDataplane, planForwarding, planRoutes } from '../../src/dataplane/plan';

function cfg(over: (raw: Record<string, any>) => void = () => {}): FulcrumConfig {
  const raw: Record<string, any> = {
    dataplane: { workers: [1, 3], burst: 16 },
    ports: [
      {
        name: 'lan',
        device: 'net_af_packet0,iface=veth0',
        twin: false,
        addresses: [
          { ip: '198.18.0.1/24', role: 'dip' },
          { ip: '198.18.0.100/32', role: 'vip' },
          { ip: '198.18.0.2/24', role: 'lip' }, // same network as the DIP: one route
          { ip: '198.18.1.2/23', role: 'lip' },
        ],
      },
      {
        name: 'wan',
        device: 'ring',
        mtu: 9000,
        addresses: [{ ip: '203.0.113.1/24', role: 'dip' }],
      },
    ],
    routes: [{ to: '198.19.0.0/16', via: '198.18.0.254' }],
    defaultGateway: { via: '203.0.113.254' },
  };
  over(raw);
  const r = validateConfig(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

test('dataplane conf: ports in order, twin "" for none, tunables copied', () => {
  const dp = planDataplane(cfg());
  assert.deepEqual(dp.workers, [1, 3]);
  assert.deepEqual(dp.ports, [
    { name: 'lan', device: 'net_af_packet0,iface=veth0', twin: '', mtu: 1500 },
    { name: 'wan', device: 'ring', twin: 'fl-wan', mtu: 9000 },
  ]);
  assert.equal(dp.burst, 16);
  assert.equal(dp.neighTimeoutS, 300);
  assert.equal(dp.sessionsPerWorker, 262144);
  assert.equal(dp.persistTemplates, 65536);
  assert.equal(dp.icmpErrorsPerSec, 1000);
  assert.equal(dp.icmpErrorsBurst, 50);
  assert.ok(dp.rxDesc > 0 && dp.txDesc > 0);
});

test('addresses carry prefix, role and port index', () => {
  const f = planForwarding(cfg());
  assert.deepEqual(f.addrs, [
    { ip: '198.18.0.1', prefix: 24, role: 'dip', port: 0 },
    { ip: '198.18.0.100', prefix: 32, role: 'vip', port: 0 },
    { ip: '198.18.0.2', prefix: 24, role: 'lip', port: 0 },
    { ip: '198.18.1.2', prefix: 23, role: 'lip', port: 0 },
    { ip: '203.0.113.1', prefix: 24, role: 'dip', port: 1 },
  ]);
});

test('routes: connected (deduplicated, no /32), static, then default', () => {
  assert.deepEqual(planRoutes(cfg()), [
    { prefix: '198.18.0.0', len: 24, port: 0, gateway: null },
    { prefix: '198.18.0.0', len: 23, port: 0, gateway: null },
    { prefix: '203.0.113.0', len: 24, port: 1, gateway: null },
    { prefix: '198.19.0.0', len: 16, port: 0, gateway: '198.18.0.254' },
    { prefix: '0.0.0.0', len: 0, port: 1, gateway: '203.0.113.254' },
  ]);
});

test('static route port resolves by longest connected prefix', () => {
  const c = cfg((r) => { r.routes = [{ to: '10.0.0.0/8', via: '198.18.0.9' }]; });
  const rt = planRoutes(c).find((x) => x.prefix === '10.0.0.0');
  assert.equal(rt?.port, 0);
});

test('explicit route port wins', () => {
  const c = cfg((r) => { r.routes = [{ to: '10.0.0.0/8', via: '203.0.113.9', port: 'wan' }]; });
  assert.equal(planRoutes(c).find((x) => x.prefix === '10.0.0.0')?.port, 1);
});

test('route "default" becomes 0.0.0.0/0', () => {
  const c = cfg((r) => {
    delete r.defaultGateway;
    r.routes = [{ to: 'default', via: '198.18.0.254' }];
  });
  const last = planRoutes(c).at(-1);
  assert.deepEqual(last, { prefix: '0.0.0.0', len: 0, port: 0, gateway: '198.18.0.254' });
});

test('no default gateway, no default route', () => {
  const c = cfg((r) => { delete r.defaultGateway; });
  assert.equal(planRoutes(c).filter((x) => x.len === 0).length, 0);
});
