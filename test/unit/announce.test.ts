// `fulcrum announce` (src/bgp/announce.ts): which VIPs a director announces,
// and the ExaBGP commands it prints as the dataplane, the servers' health
// and weights change. The API is a fake fetch answering as the daemon does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { announceableVips, announcementLines, observe, runAnnouncer } from '../../src/bgp/announce';
import type { FulcrumConfig } from '../../src/config/types';
import { FulcrumApiClient, type HealthServerState } from '../../src/ipvsadm/client';
import { rawConfig, validConfig } from './api-fixtures';

const VIP1 = '198.18.0.100';
const VIP2 = '198.18.0.101';

/** Two VIPs: :80 on VIP1 with two servers, :53 (udp) on VIP2 with one. */
function config(): FulcrumConfig {
  const raw = rawConfig() as { ports: { addresses: object[] }[]; services: object[] };
  raw.ports[0]!.addresses.push({ ip: `${VIP2}/32`, role: 'vip' });
  raw.services = [
    { protocol: 'tcp', vip: VIP1, port: 80, scheduler: 'rr', servers: [
      { address: '198.19.0.11', port: 80, method: 'fullnat' }, { address: '198.19.0.12', port: 80, method: 'fullnat' }] },
    { protocol: 'udp', vip: VIP2, port: 53, scheduler: 'rr', servers: [{ address: '198.19.0.13', port: 53, method: 'fullnat' }] },
  ];
  return validConfig(raw);
}

const down = (service: string, server: string): HealthServerState => ({ service, server, state: 'DOWN' });
const up = (service: string, server: string): HealthServerState => ({ service, server, state: 'UP' });

test('a VIP is announceable while the dataplane runs and a service on it has a server that takes connections', () => {
  const cfg = config();
  assert.deepEqual([...announceableVips(cfg, [], true)].sort(), [VIP1, VIP2]);
  assert.deepEqual([...announceableVips(cfg, [], false)], [], 'dataplane down: nothing');
  // One of two servers down: still served.
  assert.deepEqual([...announceableVips(cfg, [down(`tcp:${VIP1}:80`, '198.19.0.11:80'), up(`tcp:${VIP1}:80`, '198.19.0.12:80')], true)].sort(), [VIP1, VIP2]);
  // Both down: VIP1 goes, VIP2 stays.
  const both = [down(`tcp:${VIP1}:80`, '198.19.0.11:80'), down(`tcp:${VIP1}:80`, '198.19.0.12:80')];
  assert.deepEqual([...announceableVips(cfg, both, true)], [VIP2]);
  // A DOWN row of another service does not count against this one.
  assert.deepEqual([...announceableVips(cfg, [down(`tcp:${VIP1}:81`, '198.19.0.13:53')], true)].sort(), [VIP1, VIP2]);
  // Weight 0 everywhere (quiesced): no new connections, no announcement.
  const quiet = config();
  for (const r of quiet.services[1]!.servers) r.weight = 0;
  assert.deepEqual([...announceableVips(quiet, [], true)], [VIP1]);
  // A sorry server keeps the VIP served when every server is down.
  const sorry = config();
  sorry.services[0]!.sorryServer = { address: '198.19.0.14', port: 80, weight: 1 } as never;
  assert.deepEqual([...announceableVips(sorry, both, true)].sort(), [VIP1, VIP2]);
  // No service at all: nothing.
  const empty = config();
  empty.services = [];
  assert.deepEqual([...announceableVips(empty, [], true)], []);
});

test('ExaBGP lines: withdraw what left, announce what came, sorted', () => {
  assert.deepEqual(announcementLines(new Set(), new Set([VIP2, VIP1]), 'self'), [
    `announce route ${VIP1}/32 next-hop self`,
    `announce route ${VIP2}/32 next-hop self`,
  ]);
  assert.deepEqual(announcementLines(new Set([VIP1, VIP2]), new Set([VIP2]), '198.18.0.1'), [`withdraw route ${VIP1}/32 next-hop 198.18.0.1`]);
  assert.deepEqual(announcementLines(new Set([VIP1]), new Set([VIP1]), 'self'), [], 'no change, no line');
});

/** A fake daemon API behind a FulcrumApiClient. */
function fakeApi(state: { ready: boolean; reachable: boolean; cfg: FulcrumConfig; health: HealthServerState[] }): FulcrumApiClient {
  const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  return new FulcrumApiClient({
    baseUrl: 'http://127.0.0.1:9180',
    fetch: async (url) => {
      if (!state.reachable) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      const path = new URL(url).pathname;
      if (path === '/api/v1/health/ready') return state.ready ? json({ status: 'ready' }) : json({ error: 'dataplane not running' }, 503);
      if (path === '/api/v1/config') return json(state.cfg);
      if (path === '/api/v1/health/servers') return json(state.health);
      return json({ error: 'not found' }, 404);
    },
  });
}

test('observe: the API\'s view; unreachable or not ready reads as nothing to announce', async () => {
  const state = { ready: true, reachable: true, cfg: config(), health: [] as HealthServerState[] };
  const client = fakeApi(state);
  assert.deepEqual([...(await observe(client)).vips].sort(), [VIP1, VIP2]);
  state.ready = false;
  assert.deepEqual([...(await observe(client)).vips], []);
  state.reachable = false;
  const r = await observe(client);
  assert.deepEqual([...r.vips], []);
  assert.match(r.error ?? '', /cannot reach the Fulcrum API .*ECONNREFUSED/);
});

test('runAnnouncer follows health, the dataplane and the API, and withdraws everything when stopped', async () => {
  const state = { ready: true, reachable: true, cfg: config(), health: [] as HealthServerState[] };
  const lines: string[] = [];
  const logs: string[] = [];
  const stop = new AbortController();
  const a = (v: string) => `announce route ${v}/32 next-hop self`;
  const w = (v: string) => `withdraw route ${v}/32 next-hop self`;
  // Each phase: what the announcer must print next, then the change that follows.
  const phases: Array<[string, string[], () => void]> = [
    ['start', [a(VIP1), a(VIP2)], () => { state.health = [down(`tcp:${VIP1}:80`, '198.19.0.11:80'), down(`tcp:${VIP1}:80`, '198.19.0.12:80')]; }],
    ['both :80 servers down', [w(VIP1)], () => { state.health = [down(`tcp:${VIP1}:80`, '198.19.0.11:80'), up(`tcp:${VIP1}:80`, '198.19.0.12:80')]; }],
    ['one back', [a(VIP1)], () => { state.reachable = false; }],
    ['API unreachable', [w(VIP1), w(VIP2)], () => { state.reachable = true; }],
    ['reachable again', [a(VIP1), a(VIP2)], () => { state.ready = false; }],
    ['dataplane stopped', [w(VIP1), w(VIP2)], () => { state.ready = true; }],
    ['running again', [a(VIP1), a(VIP2)], () => stop.abort()],
  ];
  const run = runAnnouncer({ client: fakeApi(state), intervalMs: 10, nextHop: 'self', emit: (l) => lines.push(l), log: (l) => logs.push(l), signal: stop.signal });
  let from = 0;
  for (const [what, want, next] of phases) {
    for (let t = 0; lines.length < from + want.length && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
    // A few more polls: nothing else may follow.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(lines.slice(from), want, `${what}: printed ${JSON.stringify(lines.slice(from))}`);
    from = lines.length;
    next();
  }
  await run;
  assert.deepEqual(lines.slice(from), [w(VIP1), w(VIP2)], 'stopped: withdraw on the way out');
  assert.equal(logs.length, 2, logs.join('\n'));
  assert.match(logs[0]!, /cannot reach the Fulcrum API.*withdrawing every VIP/);
  assert.match(logs[1]!, /API reachable again/);
});

test('runAnnouncer: a drain file (--disable) withdraws every VIP while it exists, and they come back when it goes', async () => {
  const state = { ready: true, reachable: true, cfg: config(), health: [] as HealthServerState[] };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-announce-'));
  const disableFile = path.join(dir, 'drain');
  const lines: string[] = [];
  const logs: string[] = [];
  const stop = new AbortController();
  const run = runAnnouncer({ client: fakeApi(state), intervalMs: 10, nextHop: 'self', disableFile, emit: (l) => lines.push(l), log: (l) => logs.push(l), signal: stop.signal });
  const settle = async (n: number): Promise<string[]> => {
    for (let t = 0; lines.length < n && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    return lines.slice();
  };
  assert.deepEqual(await settle(2), [`announce route ${VIP1}/32 next-hop self`, `announce route ${VIP2}/32 next-hop self`]);
  fs.writeFileSync(disableFile, '');
  assert.deepEqual((await settle(4)).slice(2), [`withdraw route ${VIP1}/32 next-hop self`, `withdraw route ${VIP2}/32 next-hop self`]);
  // Dozens of polls so far: the naps leave no abort listener behind.
  assert.ok(getEventListeners(stop.signal, 'abort').length <= 1, `${getEventListeners(stop.signal, 'abort').length} abort listeners`);
  fs.rmSync(disableFile);
  assert.deepEqual((await settle(6)).slice(4), [`announce route ${VIP1}/32 next-hop self`, `announce route ${VIP2}/32 next-hop self`]);
  stop.abort();
  await run;
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(logs.length, 2, logs.join('\n'));
  assert.match(logs[0]!, /drain.* exists: withdrawing every VIP/);
  assert.match(logs[1]!, /gone: announcing again/);
});
