// Counters flow one way: the appliance hands out the dataplane's raw
// counters; ipvsadm's zero offsets and rates live in the API's stats view.
// So scraping /metrics, however often, changes neither GET /api/v1/stats nor
// what fulcrumadm -Ln --rate prints, and no metric goes down across -Z.
// The real Appliance, writer, metrics registry, API and fulcrumadm run here;
// only the native addon is a stand-in whose per-server counters the test sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { Appliance } from '../../src/lb/appliance';
import { ConfigWriter } from '../../src/lb/writer';
import { IpvsStatsView } from '../../src/lb/stats-view';
import { buildApi } from '../../src/api/server';
import { buildMetrics } from '../../src/metrics/registry';
import { runFulcrumadm } from '../../src/ipvsadm/run';
import type { NativeAddon, NativeServerStats } from '../../src/native/addon';
import { statedVocabulary } from '../../src/native/vocabulary';
import { validConfig } from './api-fixtures';
import { idleSync } from '../lib/fake-addon';

/** One stack: fake addon -> Appliance -> writer, metrics, API (clocked stats view). */
function stack() {
  const rs: NativeServerStats = { id: 0, active: 0, inactive: 0, conns: 0, inPackets: 0, outPackets: 0, inBytes: 0, outBytes: 0 };
  const addon: NativeAddon = {
    vocabulary: statedVocabulary(),
    templates: () => ({ templates: [], cursor: 0, done: true }),
    explain: () => { throw new Error('not in this fake'); },
    replayFrame: () => undefined,
    replayNeighbour: () => undefined,
    ...idleSync,
    ealInit: () => undefined, start: () => undefined, publish: () => undefined, stop: () => undefined, cleanup: () => undefined,
    ports: () => [], dropReasons: () => [], ringInject: () => 0, ringDrain: () => [], lipStats: () => [], neighbours: () => [],
    stats: () => ({ workers: [], ports: {}, drops: {}, persistence: { templateSlots: 65536, templatesFull: 0, templatesReclaimed: 0 } }),
    serverStats: () => [{ ...rs }],
    sessions: () => ({ sessions: [], cursor: 0, done: true }),
  };
  const appliance = new Appliance(validConfig(), {
    addon, skipHostConfig: true, host: { cpuCount: 2, hugepagesFree: 0, hugepageSizeKB: 2048, hugetlbfsMounted: false },
  });
  appliance.start();
  const writer = new ConfigWriter({ appliance, initial: appliance.config, stateFile: null });
  const metrics = buildMetrics({ appliance, writer, noDefaultMetrics: true });
  let clock = 0;
  const app = buildApi({ writer, appliance, metrics, statsView: new IpvsStatsView(() => clock) });
  /** Traffic: the dataplane counted n more connections of 10 packets of 100 bytes. */
  const traffic = (n: number): void => {
    rs.conns += n;
    rs.inPackets += 10 * n;
    rs.outPackets += 10 * n;
    rs.inBytes += 1000 * n;
    rs.outBytes += 1000 * n;
  };
  return { app, appliance, traffic, setClock: (ms: number) => { clock = ms; } };
}

async function scrape(app: FastifyInstance): Promise<Map<string, number>> {
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(r.statusCode, 200);
  const out = new Map<string, number>();
  for (const line of r.body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function stats(app: FastifyInstance): Promise<unknown> {
  const r = await app.inject({ method: 'GET', url: '/api/v1/stats' });
  assert.equal(r.statusCode, 200);
  return JSON.parse(r.body).services;
}

/** fulcrumadm with its HTTP calls answered by the app. */
async function fulcrumadm(app: FastifyInstance, argv: string[]): Promise<string> {
  let out = '';
  const code = await runFulcrumadm(argv, {
    stdout: (s) => (out += s), stderr: (s) => (out += s), readStdin: async () => '', env: { FULCRUM_API: 'http://director:9180' },
    fetch: async (url, init) => {
      const u = new URL(url);
      const r = await app.inject({
        method: (init?.method ?? 'GET') as 'GET', url: u.pathname + u.search,
        headers: Object.fromEntries(new Headers(init?.headers).entries()), ...(init?.body ? { payload: String(init.body) } : {}),
      });
      return new Response(r.statusCode === 204 ? null : r.body, { status: r.statusCode, headers: { 'content-type': String(r.headers['content-type'] ?? '') } });
    },
  });
  assert.equal(code, 0, out);
  return out;
}

test('scraping /metrics in a tight loop changes neither /api/v1/stats rates nor fulcrumadm -Ln --rate', async () => {
  const quiet = stack();
  const scraped = stack();
  const seen: { quiet: unknown[]; scraped: unknown[] } = { quiet: [], scraped: [] };
  for (let step = 0; step <= 4; step++) {
    for (const s of [quiet, scraped]) {
      s.setClock(step * 2000);
      s.traffic(100 * (step + 1));
    }
    // The same instant: scrapes (as often as Prometheus likes) before the reads.
    for (let k = 0; k < 50; k++) await scrape(scraped.app);
    seen.quiet.push(await stats(quiet.app), await fulcrumadm(quiet.app, ['-Ln', '--rate']));
    seen.scraped.push(await stats(scraped.app), await fulcrumadm(scraped.app, ['-Ln', '--rate']));
  }
  assert.deepEqual(seen.scraped, seen.quiet);
  // And the rates are the traffic's: 500 connections over the last 2 s at step 4.
  const last = seen.quiet[8] as { servers: { cps: number; inPps: number }[] }[];
  assert.equal(last[0]!.servers[0]!.cps, 250);
  assert.equal(last[0]!.servers[0]!.inPps, 2500);
  assert.match(String(seen.quiet[9]), /\b250\s+2500\s+2500\s+250000\s+250000\s*$/m);
});

test('metrics counters never go down across fulcrumadm -Z, and count every connection', async () => {
  const s = stack();
  const conns = 'node_ipvs_connections_total';
  s.traffic(30);
  const before = (await scrape(s.app)).get(conns)!;
  assert.equal(before, 30);
  s.traffic(5); // between the last scrape and the zero
  await fulcrumadm(s.app, ['-Z']);
  const afterZero = await scrape(s.app);
  assert.equal(afterZero.get(conns), 35, 'the zero does not move the metric');
  s.traffic(5);
  const later = await scrape(s.app);
  assert.equal(later.get(conns), 40, 'every connection the dataplane counted, none lost to the zero');
  assert.ok([...later].every(([k, v]) => !k.includes('_total') || v >= (afterZero.get(k) ?? 0)), 'no counter went down');
  // ipvsadm's view counts since the zero.
  const view = (await stats(s.app)) as { conns: number }[];
  assert.equal(view[0]!.conns, 5);
  assert.match(await fulcrumadm(s.app, ['-Ln', '--stats']), /\b5\s+50\s+50\s+5000\s+5000\s*$/m);
});
