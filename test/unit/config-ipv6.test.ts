// The IPv6 config (issue 15): port addresses, routes, LIP pools and services
// of the IPv6 family through the schema and validate6.ts's checks, into the
// published view (plan.ts, for both families) and onto the kernel twins
// (twin.ts); and the service keys that name IPv6 services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { ConfigError, FulcrumConfig } from '../../src/config/types';
import { planForwarding } from '../../src/dataplane/plan';
import { twinCommands } from '../../src/dataplane/twin';
import { syncEndpoint } from '../../src/ha/config';
import { endpointKey, parseEndpointKey, parseServiceKey, serviceKey } from '../../src/config/keys';

/** A dual-stack two-port director: each test changes one thing. */
function base(): Record<string, any> {
  return {
    dataplane: { workers: [1] },
    ports: [
      {
        name: 'lan',
        device: 'net_af_packet0,iface=veth0',
        addresses: [
          { ip: '2001:2::1/64', role: 'dip' },
          { ip: '198.18.0.1/24', role: 'dip' },
          { ip: '2001:2::100/128', role: 'vip' },
          { ip: '2001:2::2/64', role: 'lip' },   // same network as the DIP: one connected route
        ],
      },
      {
        name: 'wan',
        device: 'net_af_packet1,iface=veth1',
        addresses: [{ ip: '2001:2:1::1/64', role: 'dip' }],
      },
    ],
    routes: [
      { to: '2001:2:9::/48', via: '2001:2::fe' },
      { to: 'default', via: '2001:2:1::fe' },
      { to: '198.19.0.0/16', via: '198.18.0.254' },
    ],
  };
}

function valid(raw: Record<string, any>): FulcrumConfig {
  const r = validateConfig(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

function errorsOf(raw: unknown): ConfigError[] {
  const r = validateConfig(raw);
  assert.equal(r.ok, false, 'expected a failure');
  return r.ok ? [] : r.errors;
}

function expectOne(change: (raw: Record<string, any>) => void, path: string, re: RegExp): void {
  const raw = base();
  change(raw);
  const errs = errorsOf(raw);
  assert.equal(errs.length, 1, JSON.stringify(errs));
  assert.equal(errs[0]!.path, path);
  assert.match(errs[0]!.message, re);
}

test('a dual-stack config with IPv6 addresses and routes is valid', () => {
  valid(base());
});

test('the published view: IPv6 addresses and routes in their own arrays, IPv4 ones untouched', () => {
  const f = planForwarding(valid(base()));
  assert.deepEqual(f.addrs, [{ ip: '198.18.0.1', prefix: 24, role: 'dip', port: 0 }]);
  assert.deepEqual(f.routes, [
    { prefix: '198.18.0.0', len: 24, port: 0, gateway: null },
    { prefix: '198.19.0.0', len: 16, port: 0, gateway: '198.18.0.254' },
  ]);
  assert.deepEqual(f.addrs6, [
    { ip: '2001:2::1', prefix: 64, role: 'dip', port: 0 },
    { ip: '2001:2::100', prefix: 128, role: 'vip', port: 0 },
    { ip: '2001:2::2', prefix: 64, role: 'lip', port: 0 },
    { ip: '2001:2:1::1', prefix: 64, role: 'dip', port: 1 },
  ]);
  assert.deepEqual(f.routes6, [
    { prefix: '2001:2::', len: 64, port: 0, gateway: null },
    { prefix: '2001:2:1::', len: 64, port: 1, gateway: null },
    { prefix: '2001:2:9::', len: 48, port: 0, gateway: '2001:2::fe' },
    { prefix: '::', len: 0, port: 1, gateway: '2001:2:1::fe' },   // the default last
  ]);
});

test('addresses are written canonically in the published view (as inet_ntop would)', () => {
  const raw = base();
  raw.ports[0].addresses[0].ip = '2001:0002:0:0:0:0:0:0001/64';
  raw.routes[0].via = '2001:2:0::FE';
  const f = planForwarding(valid(raw));
  assert.equal(f.addrs6![0]!.ip, '2001:2::1');
  assert.equal(f.routes6!.find((r) => r.len === 48)!.gateway, '2001:2::fe');
});

test('a link-local next hop is accepted when the route names its port', () => {
  const raw = base();
  raw.routes[1] = { to: 'default', via: 'fe80::1', port: 'wan' };
  assert.deepEqual(planForwarding(valid(raw)).routes6!.at(-1), { prefix: '::', len: 0, port: 1, gateway: 'fe80::1' });
});

test('bad IPv6 addresses: each one clear error at its path', () => {
  const at = 'ports[0].addresses[0].ip';
  const set = (ip: string) => (raw: Record<string, any>): void => {
    raw.ports[0].addresses[0].ip = ip;
  };
  expectOne(set('2001:2::1::2/64'), at, /invalid IPv6 address\/prefix/);
  expectOne(set('2001:2:::1/64'), at, /invalid IPv6 address\/prefix/);
  expectOne(set('fe80::1/64'), at, /link-local .* kernel twin's own/);
  expectOne(set('ff02::1/128'), at, /multicast/);
  expectOne(set('::1/128'), at, /loopback/);
  expectOne(set('::ffff:198.18.0.9/128'), at, /IPv4-mapped/);
  expectOne(set('2001:2::/64'), at, /subnet-router anycast address of \/64/);
  expectOne(set('2001:2::100/64'), 'ports[0].addresses[2].ip', /2001:2::100 is already configured at ports\[0\]\.addresses\[0\]\.ip/);
  // The schema's pattern: a prefix length beyond 128.
  const raw = base();
  raw.ports[0].addresses[0].ip = '2001:2::1/129';
  assert.match(JSON.stringify(errorsOf(raw)), /a.b.c.d\/len or an IPv6 address\/len/);
});

test('/127 and /128 have no subnet-router anycast address (RFC 6164)', () => {
  const raw = base();
  raw.ports[1].addresses[0].ip = '2001:2:1::/127';
  raw.routes[1].via = '2001:2:1::1';
  valid(raw);
});

test('the same IPv6 network on two ports is refused', () => {
  expectOne((raw) => {
    raw.ports[1].addresses[0].ip = '2001:2::5/48';
    raw.routes[1].via = '2001:2::fe';
  }, 'ports[1].addresses[0].ip', /2001:2::\/48 overlaps 2001:2::\/64 on port "lan"/);
});

test('bad IPv6 routes: each one clear error at its path', () => {
  expectOne((raw) => { raw.routes[0].to = '2001:2:9::1/48'; }, 'routes[0].to', /host bits set: did you mean 2001:2:9::\/48\?/);
  expectOne((raw) => { raw.routes[0].via = '2001:2:5::fe'; }, 'routes[0].via', /not on-link/);
  expectOne((raw) => { raw.routes[0].via = '2001:2::fe'; raw.routes[0].port = 'wan'; }, 'routes[0].via', /not on-link of port "wan"/);
  expectOne((raw) => { raw.routes[0].via = '2001:2::1'; }, 'routes[0].via', /one of our own addresses/);
  expectOne((raw) => { raw.routes[0].via = '198.18.0.254'; }, 'routes[0].via', /IPv4 next hop for an IPv6 destination/);
  expectOne((raw) => { raw.routes[2].via = '2001:2::fe'; }, 'routes[2].via', /IPv6 next hop for an IPv4 destination/);
  expectOne((raw) => { raw.routes[1].via = 'fe80::1'; }, 'routes[1].port', /link-local next hop .* must name its port/);
  expectOne((raw) => { raw.routes.push({ to: 'default', via: '2001:2::fe' }); }, 'routes[3].to', /duplicate route to ::\/0 \(also routes\[1\]\)/);
  expectOne((raw) => { raw.routes.push({ to: '2001:2:9:0::/48', via: '2001:2::fe' }); }, 'routes[3].to', /duplicate route to 2001:2:9::\/48/);
  expectOne((raw) => { raw.routes[0].via = 'ff02::2'; }, 'routes[0].via', /multicast/);
});

test('an IPv4 default and an IPv6 default live side by side', () => {
  const raw = base();
  raw.defaultGateway = { via: '198.18.0.254' };
  const f = planForwarding(valid(raw));
  assert.equal(f.routes.at(-1)!.len, 0);
  assert.equal(f.routes6!.at(-1)!.len, 0);
});

test('IPv6 floating addresses are refused while keepalived moves IPv4 ones only', () => {
  expectOne((raw) => {
    raw.ports[0].addresses = raw.ports[0].addresses.filter((a: { ip: string }) => a.ip !== '2001:2::2/64');
    raw.ha = { vrrp: { floating: ['vip'] } };
  }, 'ports[0].addresses[2].ip', /floating IPv6 addresses are not supported yet/);
});

/** base() with an IPv6 FULLNAT service on its VIP and LIP. */
function withService(): Record<string, any> {
  const raw = base();
  raw.lipPools = { default: ['2001:2::2'] };
  raw.services = [{
    protocol: 'tcp', vip: '2001:2::100', port: 80, scheduler: 'rr',
    servers: [{ address: '2001:2:9::10', port: 8080, method: 'fullnat' }],
  }];
  return raw;
}

test('an IPv6 FULLNAT service is valid, and planned with its family, its IPv6 servers and IPv6 LIPs only', () => {
  const raw = withService();
  raw.ports[0].addresses.push({ ip: '198.18.0.2/24', role: 'lip' });
  raw.lipPools.default.push('198.18.0.2');
  const services = planForwarding(valid(raw)).services ?? [];
  assert.equal(services.length, 1);
  const svc = services[0]!;
  assert.equal(svc.family, 6);
  assert.equal(svc.vip, '2001:2::100');
  assert.deepEqual(svc.lips, ['2001:2::2']);
  assert.equal(svc.servers[0]!.ip, '2001:2:9::10');
});

test('IPv6 services: what the dataplane cannot do for them yet is refused, each at its path', () => {
  const cases: Array<[(raw: Record<string, any>) => void, string, RegExp]> = [
    [(r) => { r.services[0].servers[0].method = 'dr'; r.services[0].servers[0].port = 80; }, 'services[0].servers[0].address', /dr server 2001:2:9::10 is off-link/],
    [(r) => { r.services[0].servers.push({ address: '198.19.0.10', port: 8080, method: 'fullnat' }); }, 'services[0].servers[1].address', /servers are of one family/],
    [(r) => { r.services[0].persistence = { timeout: 60, netmask: '255.255.255.0' }; }, 'services[0].persistence.netmask', /use persistence.ipv6PrefixLength/],
    [(r) => { r.services[0].proxyProtocol = 'v2'; }, 'services[0].proxyProtocol', /not supported for IPv6 services yet/],
    [(r) => { r.services[0].synProxy = true; }, 'services[0].synProxy', /not supported for IPv6 services yet/],
  ];
  for (const [change, path, re] of cases) {
    const raw = withService();
    change(raw);
    const errs = errorsOf(raw);
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0]!.path, path);
    assert.match(errs[0]!.message, re);
  }
});

test('IPv6 services: the VIP, servers and LIPs are checked as the IPv4 ones are, and written canonically', () => {
  const cases: Array<[(raw: Record<string, any>) => void, string, RegExp]> = [
    [(r) => { r.services[0].vip = '2001:2::101'; }, 'services[0].vip', /not a port address with role "vip"/],
    [(r) => { r.services[0].vip = '2001:0002::100'; }, 'services[0].vip', /write 2001:0002::100 as 2001:2::100/],
    [(r) => { r.services[0].servers[0].address = 'fe80::10'; }, 'services[0].servers[0].address', /link-local/],
    [(r) => { r.lipPools.default = ['2001:2::1']; }, 'lipPools.default[0]', /not a port address with role "lip"/],
    [(r) => { r.ports[0].addresses.push({ ip: '198.18.0.2/24', role: 'lip' }); r.lipPools.default = ['198.18.0.2']; },
      'services[0].lipPool', /fullnat servers of IPv6 need an IPv6 LIP, and "default" has none/],
    [(r) => { r.services[0].vip = '198.18.0.1'; r.ports[0].addresses.push({ ip: '198.18.0.100/32', role: 'vip' }); r.services[0].vip = '198.18.0.100'; },
      'services[0].servers[0].address', /IPv6 and the VIP 198\.18\.0\.100 is IPv4/],
  ];
  for (const [change, path, re] of cases) {
    const raw = withService();
    change(raw);
    const errs = errorsOf(raw);
    assert.ok(errs.some((e) => e.path === path && re.test(e.message)), `${path} ${re}: ${JSON.stringify(errs)}`);
  }
});

test('twin: a port with IPv6 addresses keeps kernel IPv6 (no RA, no autoconf, no DAD); IPv6 routes by ip -6', () => {
  const raw = base();
  raw.ports[1].twin = false;
  const lines = twinCommands(valid(raw)).map((c) => `${c.cmd} ${c.args.join(' ')}${c.bestEffort ? ' ?' : ''}`);
  assert.deepEqual(lines, [
    'sysctl -q -w net.ipv6.conf.fl-lan.accept_dad=0 ?',
    'sysctl -q -w net.ipv6.conf.fl-lan.accept_ra=0 ?',
    'sysctl -q -w net.ipv6.conf.fl-lan.autoconf=0 ?',
    'sysctl -q -w net.ipv6.conf.fl-lan.disable_ipv6=0 ?',
    'ip link set dev fl-lan mtu 1500',
    'ip addr replace 2001:2::1/64 dev fl-lan nodad',
    'ip addr replace 198.18.0.1/24 dev fl-lan',
    'ip addr replace 2001:2::100/128 dev fl-lan noprefixroute nodad',
    'ip addr replace 2001:2::2/64 dev fl-lan noprefixroute nodad',
    'ip link set dev fl-lan up',
    'ip route replace 198.19.0.0/16 via 198.18.0.254 dev fl-lan',
    'ip -6 route replace 2001:2:9::/48 via 2001:2::fe dev fl-lan',
    // the IPv6 default is on "wan", which has no twin here
  ]);
});

test('sync runs from the port\'s IPv4 DIP even when an IPv6 DIP comes first', () => {
  assert.deepEqual(syncEndpoint(valid(base()), 'lan'), { port: 'lan', twin: 'fl-lan', ip: '198.18.0.1' });
});

test('service and server keys bracket IPv6 addresses, as ipvsadm prints them, and parse back', () => {
  const svc = { protocol: 'tcp', vip: '2001:2::100', port: 80 };
  assert.equal(serviceKey(svc), 'tcp:[2001:2::100]:80');
  assert.deepEqual(parseServiceKey('tcp:[2001:2::100]:80'), svc);
  assert.equal(endpointKey({ address: '2001:2:9::10', port: 8080 }), '[2001:2:9::10]:8080');
  assert.deepEqual(parseEndpointKey('[2001:2:9::10]:8080'), { address: '2001:2:9::10', port: 8080 });
  // IPv4 keys are as they were; an unbracketed IPv6 address is not a key.
  assert.equal(serviceKey({ protocol: 'udp', vip: '198.18.0.100', port: 53 }), 'udp:198.18.0.100:53');
  assert.deepEqual(parseServiceKey('udp:198.18.0.100:53'), { protocol: 'udp', vip: '198.18.0.100', port: 53 });
  for (const bad of ['tcp:2001:2::100:80', 'tcp:[2001:2::100:80', 'tcp:[]:80', 'tcp:[198.18.0.1]:80', 'tcp:[2001:2::100]:65536', 'tcp:[2001:2::100]:']) {
    assert.equal(parseServiceKey(bad), null, bad);
  }
});

/** withService() turned NAT64: IPv4 servers behind the IPv6 VIP, an IPv4 LIP in the pool. */
function withNat64(): Record<string, any> {
  const raw = withService();
  raw.ports[0].addresses.push({ ip: '198.18.0.2/24', role: 'lip' });
  raw.lipPools.default.push('198.18.0.2');
  raw.services[0].servers = [{ address: '198.19.0.10', port: 8080, method: 'fullnat' }, { address: '198.19.0.11', port: 8080, method: 'fullnat' }];
  return raw;
}

test('NAT64: an IPv6 VIP with IPv4 FULLNAT servers is valid, planned with IPv4 servers and IPv4 LIPs only', () => {
  const services = planForwarding(valid(withNat64())).services ?? [];
  assert.equal(services.length, 1);
  const svc = services[0]!;
  assert.equal(svc.family, 6);
  assert.equal(svc.serverFamily, 4);
  assert.equal(svc.vip, '2001:2::100');
  assert.deepEqual(svc.lips, ['198.18.0.2']);
  assert.deepEqual(svc.servers.map((r) => r.ip), ['198.19.0.10', '198.19.0.11']);
  // An IPv6 service of IPv6 servers keeps its own family for both.
  assert.equal((planForwarding(valid(withService())).services ?? [])[0]!.serverFamily, 6);
});

test('NAT64: FULLNAT only, servers of one family, an IPv4 LIP; each refused at its path', () => {
  const cases: Array<[(raw: Record<string, any>) => void, string, RegExp]> = [
    [(r) => { r.services[0].servers[1].method = 'nat'; }, 'services[0].servers[1].method', /NAT64 .* is FULLNAT only, not nat/],
    [(r) => { r.services[0].servers[1].address = '2001:2:9::11'; }, 'services[0].servers[1].address', /servers are of one family/],
    [(r) => { r.lipPools.default = ['2001:2::2']; }, 'services[0].lipPool', /fullnat servers of IPv4 need an IPv4 LIP/],
    [(r) => { r.services[0].toa = true; }, 'services[0].toa', /not supported for IPv6 services yet/],
  ];
  for (const [change, path, re] of cases) {
    const raw = withNat64();
    change(raw);
    const errs = errorsOf(raw);
    assert.equal(errs.length, 1, `${path}: ${JSON.stringify(errs)}`);
    assert.equal(errs[0]!.path, path);
    assert.match(errs[0]!.message, re);
  }
});
