import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, type ValidateOptions } from '../../src/config/validate';
import type { ConfigError } from '../../src/config/types';

// A valid two-port FULLNAT/DR config; each test breaks exactly one thing.
function base(): Record<string, any> {
  return {
    dataplane: { workers: [1, 2] },
    ports: [
      {
        name: 'lan',
        device: 'net_af_packet0,iface=veth0',
        addresses: [
          { ip: '198.18.0.1/24', role: 'dip' },
          { ip: '198.18.0.100/32', role: 'vip' },
          { ip: '198.18.0.2/24', role: 'lip' },
        ],
      },
      {
        name: 'wan',
        device: 'net_af_packet1,iface=veth1',
        addresses: [{ ip: '203.0.113.1/24', role: 'dip' }],
      },
    ],
    routes: [{ to: '198.19.0.0/16', via: '198.18.0.254' }],
    defaultGateway: { via: '203.0.113.254' },
    lipPools: { default: ['198.18.0.2'] },
    services: [
      {
        protocol: 'tcp',
        vip: '198.18.0.100',
        port: 80,
        servers: [
          { address: '198.19.1.10', port: 8080, method: 'fullnat' },
          { address: '198.18.0.20', port: 80, method: 'dr' },
        ],
      },
    ],
  };
}

function errorsOf(raw: unknown, opts?: ValidateOptions): ConfigError[] {
  const r = validateConfig(raw, opts);
  assert.equal(r.ok, false, 'expected a failure');
  return r.ok ? [] : r.errors;
}

/** Exactly one error, at `path`, whose message matches `re`. */
function expectOne(raw: unknown, path: string, re: RegExp, opts?: ValidateOptions): void {
  const errs = errorsOf(raw, opts);
  assert.equal(errs.length, 1, JSON.stringify(errs));
  assert.equal(errs[0]!.path, path);
  assert.match(errs[0]!.message, re);
}

test('base config is valid', () => {
  const r = validateConfig(base());
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
});

test('duplicate port names', () => {
  const c = base();
  c.ports[1].name = 'lan';
  c.ports[1].twin = 'fl-wan';
  expectOne(c, 'ports[1].name', /duplicate port name/);
});

test('duplicate devices (same vdev instance name)', () => {
  const c = base();
  c.ports[1].device = 'net_af_packet0,iface=veth9';
  expectOne(c, 'ports[1].device', /already used by ports\[0\]/);
});

test('duplicate PCI device, with and without domain', () => {
  const c = base();
  c.ports[0].device = '0000:03:00.0';
  c.ports[1].device = '03:00.0';
  expectOne(c, 'ports[1].device', /already used/);
});

test('duplicate af_packet iface', () => {
  const c = base();
  c.ports[1].device = 'net_af_packet1,iface=veth0';
  expectOne(c, 'ports[1].device', /interface "veth0"/);
});

test('duplicate twin names', () => {
  const c = base();
  c.ports[0].twin = 'tw0';
  c.ports[1].twin = 'tw0';
  expectOne(c, 'ports[1].twin', /duplicate twin/);
});

test('default twin name too long', () => {
  const c = base();
  c.ports[1].name = 'abcdefghijklmno';
  expectOne(c, 'ports[1].twin', /longer than 15/);
});

test('same IP twice on one port', () => {
  const c = base();
  c.ports[0].addresses.push({ ip: '198.18.0.1/32', role: 'vip' });
  expectOne(c, 'ports[0].addresses[3].ip', /already configured at ports\[0\]\.addresses\[0\]\.ip/);
});

test('same IP on two ports', () => {
  const c = base();
  c.ports[1].addresses.push({ ip: '198.18.0.100/32', role: 'vip' });
  expectOne(c, 'ports[1].addresses[1].ip', /already configured/);
});

test('overlapping connected prefixes on different ports', () => {
  const c = base();
  c.ports[1].addresses.push({ ip: '198.18.0.129/25', role: 'dip' });
  expectOne(c, 'ports[1].addresses[1].ip', /overlaps 198\.18\.0\.0\/24 on port "lan"/);
});

test('network address used as a host address', () => {
  const c = base();
  c.ports[1].addresses[0].ip = '203.0.113.0/24';
  c.defaultGateway = { via: '198.18.0.254' };
  expectOne(c, 'ports[1].addresses[0].ip', /network address/);
});

test('route to with host bits set', () => {
  const c = base();
  c.routes[0].to = '198.19.1.0/16';
  expectOne(c, 'routes[0].to', /host bits set: did you mean 198\.19\.0\.0\/16/);
});

test('route via not on-link of any port', () => {
  const c = base();
  c.routes[0].via = '10.0.0.1';
  expectOne(c, 'routes[0].via', /not on-link/);
});

test('route via not on-link of its named port', () => {
  const c = base();
  c.routes[0].port = 'wan';
  expectOne(c, 'routes[0].via', /not on-link of port "wan"/);
});

test('route names an unknown port', () => {
  const c = base();
  c.routes[0].port = 'dmz';
  expectOne(c, 'routes[0].port', /unknown port/);
});

test('default gateway off-link', () => {
  const c = base();
  c.defaultGateway.via = '192.0.2.1';
  expectOne(c, 'defaultGateway.via', /not on-link/);
});

test('default route given twice', () => {
  const c = base();
  c.routes.push({ to: 'default', via: '198.18.0.254' });
  expectOne(c, 'defaultGateway', /already given at routes\[1\]/);
});

test('lipPools entry that is not a lip address', () => {
  const c = base();
  c.lipPools.default.push('198.18.0.1'); // the DIP
  expectOne(c, 'lipPools.default[1]', /role "lip"/);
});

test('duplicate services', () => {
  const c = base();
  c.services.push({ ...c.services[0], servers: [] });
  expectOne(c, 'services[1]', /duplicate service tcp 198\.18\.0\.100:80/);
});

test('same vip:port on another protocol is not a duplicate', () => {
  const c = base();
  c.services.push({ ...c.services[0], protocol: 'udp' });
  assert.ok(validateConfig(c).ok);
});

test('service vip is not a vip address', () => {
  const c = base();
  c.services[0].vip = '198.18.0.1';
  expectOne(c, 'services[0].vip', /role "vip"/);
});

test('fullnat servers without any LIP pool', () => {
  const c = base();
  c.lipPools = {};
  expectOne(c, 'services[0].lipPool', /need a LIP pool/);
});

test('fullnat servers with an empty LIP pool', () => {
  const c = base();
  c.lipPools = { default: [] };
  expectOne(c, 'services[0].lipPool', /empty/);
});

test('service names an unknown LIP pool', () => {
  const c = base();
  c.services[0].lipPool = 'other';
  expectOne(c, 'services[0].lipPool', /unknown LIP pool/);
});

test('DR server off-link', () => {
  const c = base();
  c.services[0].servers[1].address = '198.19.0.20';
  expectOne(c, 'services[0].servers[1].address', /off-link/);
});

test('DR server port-mapped', () => {
  const c = base();
  c.services[0].servers[1].port = 8080;
  expectOne(c, 'services[0].servers[1].port', /dr cannot map ports/);
});

test('TUN server port-mapped (off-link is fine for tun)', () => {
  const c = base();
  c.services[0].servers.push({ address: '198.19.2.2', port: 81, method: 'tun' });
  expectOne(c, 'services[0].servers[2].port', /tun cannot map ports/);
});

test('port 0 without persistence', () => {
  const c = base();
  c.services[0].port = 0;
  c.services[0].servers = [];
  expectOne(c, 'services[0].port', /needs persistence/);
  c.services[0].persistence = {};
  assert.ok(validateConfig(c).ok);
});

test('duplicate servers in a service', () => {
  const c = base();
  c.services[0].servers.push({ address: '198.19.1.10', port: 8080, method: 'fullnat', weight: 5 });
  expectOne(c, 'services[0].servers[2]', /duplicate server 198\.19\.1\.10:8080/);
});

test('workers containing a custom main lcore', () => {
  const c = base();
  c.dataplane.mainLcore = 2;
  expectOne(c, 'dataplane.workers[1]', /main lcore/);
});

test('worker lcore beyond the CPU count needs lcoreMap', () => {
  const c = base();
  c.dataplane.workers = [1, 5];
  expectOne(c, 'dataplane.workers[1]', /lcoreMap/, { cpus: 4 });
  c.dataplane.lcoreMap = '0@(0-3),1@1,5@1';
  assert.ok(validateConfig(c, { cpus: 4 }).ok);
  // Without host facts the check can't run.
  delete c.dataplane.lcoreMap;
  assert.ok(validateConfig(c).ok);
});

test('sh flags with a non-sh scheduler', () => {
  const c = base();
  c.services[0].schedFlags = ['sh-port'];
  expectOne(c, 'services[0].schedFlags[0]', /only applies to scheduler "sh"/);
  c.services[0].scheduler = 'sh';
  assert.ok(validateConfig(c).ok);
});

test('non-contiguous persistence netmask', () => {
  const c = base();
  c.services[0].persistence = { netmask: '255.0.255.0' };
  expectOne(c, 'services[0].persistence.netmask', /contiguous/);
});

test('API on a non-loopback address without a token', () => {
  const c = base();
  c.api = { listen: '0.0.0.0', insecure: true };
  expectOne(c, 'api.token', /required/);
  c.api.token = 'long-enough-token';
  assert.ok(validateConfig(c).ok);
});

test('API on a non-loopback address without TLS: refused unless api.insecure says so', () => {
  const c = base();
  c.api = { listen: '0.0.0.0', token: 'long-enough-token' };
  expectOne(c, 'api.tls', /required when api\.listen \(0\.0\.0\.0\) is not a loopback address: the token would travel in clear text/);
  c.api.insecure = true;
  assert.ok(validateConfig(c).ok);
  delete c.api.insecure;
  c.api.tls = { cert: '/etc/fulcrum/api.crt', key: '/etc/fulcrum/api.key' };
  assert.ok(validateConfig(c).ok);
  c.api.tls = { cert: '/etc/fulcrum/api.crt' };
  assert.equal(validateConfig(c).ok, false, 'a certificate without its key');
});

test('semantic errors are all reported at once', () => {
  const c = base();
  c.routes[0].via = '10.0.0.1';
  c.services[0].vip = '198.18.0.1';
  c.services[0].servers[1].port = 81;
  c.lipPools.default.push('198.18.0.1');
  const paths = errorsOf(c).map((e) => e.path).sort();
  assert.deepEqual(paths, [
    'lipPools.default[1]',
    'routes[0].via',
    'services[0].servers[1].port',
    'services[0].vip',
  ]);
});

// ---- the client address for FULLNAT servers (proxyProtocol, toa)

function fullnatOnly(o: Record<string, unknown>): Record<string, any> {
  const c = base();
  c.services[0].servers = [{ address: '198.19.1.10', port: 8080, method: 'fullnat' }];
  Object.assign(c.services[0], o);
  return c;
}

test('proxyProtocol v1/v2 and toa are accepted on a FULLNAT TCP service', () => {
  for (const o of [{ proxyProtocol: 'v1' }, { proxyProtocol: 'v2' }, { toa: true }]) {
    const r = validateConfig(fullnatOnly(o));
    assert.ok(r.ok, `${JSON.stringify(o)}: ${JSON.stringify(!r.ok && r.errors)}`);
  }
});

test('proxyProtocol: only v1 or v2', () => {
  expectOne(fullnatOnly({ proxyProtocol: 'v3' }), 'services[0].proxyProtocol', /must be one of: "v1", "v2"/);
});

test('proxyProtocol and toa together are refused', () => {
  expectOne(fullnatOnly({ proxyProtocol: 'v2', toa: true }), 'services[0].toa', /one way: proxyProtocol or toa, not both/);
});

test('proxyProtocol on a UDP service is refused', () => {
  const c = fullnatOnly({ proxyProtocol: 'v1' });
  c.services[0].protocol = 'udp';
  expectOne(c, 'services[0].proxyProtocol', /TCP services only/);
});

test('proxyProtocol with a DR server names the server', () => {
  const c = base();
  c.services[0].proxyProtocol = 'v1';
  expectOne(c, 'services[0].servers[1].method', /proxyProtocol needs fullnat servers: a dr server would get the client's stream unchanged/);
});

test('toa with a NAT sorry server names it', () => {
  const c = fullnatOnly({ toa: true, sorryServer: { address: '198.18.0.30', port: 80, method: 'nat' } });
  expectOne(c, 'services[0].sorryServer.method', /toa needs fullnat servers, and the sorry server is nat/);
});

test('synProxy: accepted on FULLNAT TCP, with or without a client-address option', () => {
  for (const o of [{ synProxy: true }, { synProxy: true, proxyProtocol: 'v2' }, { synProxy: true, toa: true }]) {
    const r = validateConfig(fullnatOnly(o));
    assert.ok(r.ok, `${JSON.stringify(o)}: ${JSON.stringify(!r.ok && r.errors)}`);
  }
});

test('synProxy with a DR server, or on UDP, is refused', () => {
  const c = base();
  c.services[0].synProxy = true;
  expectOne(c, 'services[0].servers[1].method', /synProxy needs fullnat servers: a dr server/);
  const u = fullnatOnly({ synProxy: true });
  u.services[0].protocol = 'udp';
  expectOne(u, 'services[0].synProxy', /TCP services only/);
});
