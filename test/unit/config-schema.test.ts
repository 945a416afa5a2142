import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { ConfigError, FulcrumConfig } from '../../src/config/types';

// Minimal valid config; tests clone and break it.
function base(): Record<string, any> {
  return {
    dataplane: { workers: [1] },
    ports: [{ name: 'lan', device: 'ring', addresses: [{ ip: '198.18.0.1/24', role: 'dip' }] }],
  };
}

function errorsOf(raw: unknown): ConfigError[] {
  const r = validateConfig(raw);
  assert.equal(r.ok, false, 'expected validation to fail');
  return r.ok ? [] : r.errors;
}

function okConfig(raw: unknown): FulcrumConfig {
  const r = validateConfig(raw);
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(!r.ok && r.errors)}`);
  return r.config;
}

test('minimal config is valid and gets every default', () => {
  const c = okConfig(base());
  assert.equal(c.dataplane.mainLcore, 0);
  assert.deepEqual(c.dataplane.memory, { hugepages: 'auto', sizeMB: 512 });
  assert.equal(c.dataplane.burst, 32);
  assert.equal(c.dataplane.persistTemplates, 65536);
  assert.equal(c.dataplane.icmpErrorsPerSec, 1000);
  assert.equal(c.dataplane.icmpErrorsBurst, 50);
  assert.deepEqual(c.dataplane.eal, []);
  assert.equal(c.ports[0]!.twin, 'fl-lan');
  assert.equal(c.ports[0]!.mtu, 1500);
  assert.deepEqual(c.routes, []);
  assert.deepEqual(c.lipPools, {});
  assert.deepEqual(c.timeouts, { tcp: 900, tcpFin: 120, udp: 300 });
  assert.deepEqual(c.api, { listen: '127.0.0.1', port: 9180 });
  assert.deepEqual(c.services, []);
});

test('service and server defaults', () => {
  const raw = base();
  raw.ports[0].addresses.push({ ip: '198.18.0.100/32', role: 'vip' });
  raw.services = [
    { protocol: 'tcp', vip: '198.18.0.100', port: 80, servers: [{ address: '198.18.0.10', port: 80, method: 'dr' }] },
  ];
  const s = okConfig(raw).services[0]!;
  assert.equal(s.scheduler, 'wlc');
  assert.deepEqual(s.schedFlags, []);
  assert.equal(s.persistence, null);
  assert.equal(s.expireNodestConn, false);
  assert.equal(s.servers[0]!.weight, 1);
});

test('persistence {} gets timeout 360 and a /32 netmask', () => {
  const raw = base();
  raw.ports[0].addresses.push({ ip: '198.18.0.100/32', role: 'vip' });
  raw.services = [{ protocol: 'udp', vip: '198.18.0.100', port: 0, persistence: {} }];
  assert.deepEqual(okConfig(raw).services[0]!.persistence, { timeout: 360, netmask: '255.255.255.255' });
});

test('the input object is not mutated by defaults', () => {
  const raw = base();
  okConfig(raw);
  assert.equal(raw.dataplane.burst, undefined);
  assert.equal(raw.ports[0].twin, undefined);
});

test('twin false is kept; twin true is rejected', () => {
  const raw = base();
  raw.ports[0].twin = false;
  assert.equal(okConfig(raw).ports[0]!.twin, false);
  raw.ports[0].twin = true;
  assert.deepEqual(errorsOf(raw), [{ path: 'ports[0].twin', message: 'must be an interface name or false' }]);
});

test('unknown key is rejected with its full path', () => {
  const raw = base();
  raw.ports[0].addresses[0].scope = 'link';
  const errs = errorsOf(raw);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.path, 'ports[0].addresses[0].scope');
  assert.match(errs[0]!.message, /^unknown key/);
});

test('unknown top-level key', () => {
  const raw = base();
  raw.servics = [];
  assert.equal(errorsOf(raw)[0]!.path, 'servics');
});

test('wrong type', () => {
  const raw = base();
  raw.dataplane.burst = '32';
  assert.deepEqual(errorsOf(raw), [{ path: 'dataplane.burst', message: 'must be integer' }]);
});

test('out of range', () => {
  const raw = base();
  raw.dataplane.burst = 65;
  assert.deepEqual(errorsOf(raw), [{ path: 'dataplane.burst', message: 'must be from 1 to 64' }]);
  raw.dataplane.burst = 64;
  okConfig(raw);
  raw.dataplane.persistTemplates = 1000;
  assert.deepEqual(errorsOf(raw), [{ path: 'dataplane.persistTemplates', message: 'must be from 1024 to 16777216' }]);
  raw.dataplane.persistTemplates = 300000;
  assert.equal(okConfig(raw).dataplane.persistTemplates, 300000);
  raw.dataplane.icmpErrorsBurst = 0;
  assert.deepEqual(errorsOf(raw), [{ path: 'dataplane.icmpErrorsBurst', message: 'must be from 1 to 10000000' }]);
  raw.dataplane.icmpErrorsBurst = 10;
  raw.dataplane.icmpErrorsPerSec = 0;
  okConfig(raw);
});

test('worker lcore 0 is rejected (main lcore)', () => {
  const raw = base();
  raw.dataplane.workers = [0];
  assert.match(errorsOf(raw)[0]!.message, /main lcore/);
});

test('duplicate workers rejected', () => {
  const raw = base();
  raw.dataplane.workers = [1, 2, 1];
  assert.equal(errorsOf(raw)[0]!.path, 'dataplane.workers[2]');
});

test('missing required field is reported at the field', () => {
  const raw = base();
  delete raw.ports[0].device;
  assert.deepEqual(errorsOf(raw), [{ path: 'ports[0].device', message: 'is required' }]);
});

test('bad port name, bad IP, bad enum', () => {
  const raw = base();
  raw.ports[0].name = 'LAN';
  raw.ports[0].addresses[0].ip = '198.18.0.1';
  raw.ports[0].addresses[0].role = 'rip';
  const paths = errorsOf(raw).map((e) => e.path);
  assert.deepEqual(paths, ['ports[0].name', 'ports[0].addresses[0].ip', 'ports[0].addresses[0].role']);
});

test('IPv4 with leading zero or octet > 255 is rejected', () => {
  for (const ip of ['198.018.0.1/24', '256.1.1.1/24', '1.1.1.1/33']) {
    const raw = base();
    raw.ports[0].addresses[0].ip = ip;
    assert.equal(errorsOf(raw)[0]!.path, 'ports[0].addresses[0].ip', ip);
  }
});

test('all schema errors are reported at once', () => {
  const raw = base();
  raw.dataplane.burst = 0;
  raw.dataplane.memory = { hugepages: 'maybe' };
  raw.ports[0].mtu = 10000;
  raw.ports[0].extra = 1;
  raw.routes = [{ to: 'nowhere', via: '198.18.0.254' }];
  raw.services = [{ protocol: 'tcp', vip: '198.18.0.100', port: 70000, scheduler: 'random' }];
  const paths = errorsOf(raw).map((e) => e.path).sort();
  assert.deepEqual(paths, [
    'dataplane.burst',
    'dataplane.memory.hugepages',
    'ports[0].extra',
    'ports[0].mtu',
    'routes[0].to',
    'services[0].port',
    'services[0].scheduler',
  ]);
});

test('non-object config is one root error', () => {
  assert.deepEqual(errorsOf([1, 2]), [{ path: '(root)', message: 'must be object' }]);
});

test('lipPools: bad pool name and bad IP', () => {
  const raw = base();
  raw.lipPools = { 'bad name': ['198.18.0.300'] };
  const errs = errorsOf(raw);
  assert.ok(errs.some((e) => e.path === 'lipPools.bad name' && /invalid name/.test(e.message)));
  assert.ok(errs.some((e) => e.path === 'lipPools.bad name[0]'));
});

test('example config validates', async () => {
  const path = await import('node:path');
  const fs = await import('node:fs');
  const file = path.resolve(__dirname, '../../../appliance/fulcrum.example.json');
  okConfig(JSON.parse(fs.readFileSync(file, 'utf8')));
});
