import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../src/cli/fulcrum.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-cli-'));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.FULCRUM_API_TOKEN;
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...base, ...env } });
}

test('daemon with a bad config exits 2 with one line per error', () => {
  const f = path.join(dir, 'bad.json');
  fs.writeFileSync(f, JSON.stringify({ dataplane: { workers: [1], burst: 500 }, ports: [{ name: 'lan', device: 'ring' }] }));
  const r = run(['daemon', '--config', f]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'fulcrum: config: dataplane.burst: must be from 1 to 64\n');
});

test('several errors: several lines, no stack trace', () => {
  const f = path.join(dir, 'bad2.yaml');
  fs.writeFileSync(f, 'dataplane:\n  workers: [1]\n  bogus: 1\nports:\n  - name: LAN\n    device: ring\n');
  const r = run(['daemon', '--config', f]);
  assert.equal(r.status, 2);
  const lines = r.stderr.trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.split(':').slice(0, 3).join(':')), [
    'fulcrum: config: dataplane.bogus',
    'fulcrum: config: ports[0].name',
  ]);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('syntax error: exits 2 with the line/col', () => {
  const f = path.join(dir, 'syntax.json');
  fs.writeFileSync(f, '{"dataplane": }');
  const r = run(['daemon', '--config', f]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^fulcrum: config: .*syntax\.json: line 1, col \d+: .+\n$/);
});

test('missing --config is a usage error', () => {
  const r = run(['daemon']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1);
});

test('--dry-run prints the plan as JSON without the addon', () => {
  const f = path.join(dir, 'ok.json');
  fs.writeFileSync(f, JSON.stringify({
    // lcoreMap and no hugepages keep the output independent of this host.
    dataplane: { workers: [1], lcoreMap: '0@0,1@0', memory: { hugepages: 'off', sizeMB: 128 } },
    ports: [{ name: 'lan', device: 'ring', addresses: [{ ip: '198.18.0.1/24', role: 'dip' }] }],
  }));
  const r = run(['daemon', '--config', f, '--dry-run']);
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.ok(plan.eal.includes('--lcores=0@0,1@0'));
  assert.ok(plan.eal.includes('--no-huge'));
  assert.deepEqual(plan.forwarding.routes, [{ prefix: '198.18.0.0', len: 24, port: 0, gateway: null }]);
  assert.equal(plan.dataplane.ports[0].twin, 'fl-lan');
});

test('announce: bad options are usage errors; an unreachable API is one line and exit 1', async () => {
  let r = run(['announce', '--interval', '0']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'fulcrum: --interval must be at least 0.1 (seconds) (see fulcrum --help)\n');
  r = run(['announce', '--next-hop', 'router1']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'fulcrum: --next-hop must be "self" or an IPv4 address (see fulcrum --help)\n');
  // A loopback port nothing listens on any more.
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  r = run(['announce', '--once', '--api', `http://127.0.0.1:${port}`]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `fulcrum announce: cannot reach the Fulcrum API at http://127.0.0.1:${port} (ECONNREFUSED)\n`);
});

test('setup and doctor: a PCI port that does not exist is named, exit 1, nothing run', () => {
  const f = path.join(dir, 'nodev.json');
  fs.writeFileSync(f, JSON.stringify({
    dataplane: { workers: [1], memory: { hugepages: 'off', sizeMB: 64 } },
    ports: [{ name: 'lan', device: '0000:7f:1f.7', bind: 'uio_pci_generic' }],
  }));
  const s = run(['setup', '--config', f, '--dry-run']);
  assert.equal(s.status, 1, s.stdout + s.stderr);
  assert.equal(s.stderr, 'fulcrum: setup: port lan (0000:7f:1f.7): no such PCI device (lspci -D lists the addresses)\n');
  assert.doesNotMatch(s.stdout, /would run/);
  const d = run(['doctor', '--config', f]);
  assert.equal(d.status, 1, d.stdout + d.stderr);
  assert.match(d.stdout, /^\[fail\] port lan: PCI device 0000:7f:1f\.7 not found/m);
  assert.match(d.stdout, /^1 failed, \d+ warnings, \d+ ok$/m);
});

test('setup takes the API token from FULCRUM_API_TOKEN as the daemon does (the units\' environment file)', () => {
  const f = path.join(dir, 'envtoken.json');
  fs.writeFileSync(f, JSON.stringify({
    dataplane: { workers: [1], memory: { hugepages: 'off', sizeMB: 64 } },
    ports: [{ name: 'lan', device: 'ring' }],
    api: { listen: '198.18.2.2', tls: { cert: '/nonexistent/api.crt', key: '/nonexistent/api.key' } },
  }));
  const without = run(['setup', '--config', f, '--dry-run']);
  assert.equal(without.status, 2, without.stdout + without.stderr);
  assert.match(without.stderr, /api\.token: is required when api\.listen \(198\.18\.2\.2\)/);
  const withEnv = run(['setup', '--config', f, '--dry-run'], { FULCRUM_API_TOKEN: 'first-boot-token' });
  assert.equal(withEnv.status, 0, withEnv.stdout + withEnv.stderr);
});
