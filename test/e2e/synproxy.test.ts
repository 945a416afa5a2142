// End-to-end SYN proxy: a FULLNAT service with synProxy in front of real
// servers (python HTTP servers on :80, socat echo on :7000), and a bounded
// SYN flood from forged sources (198.18.128.0/17, routed back into the
// client namespace, which drops the director's SYN-ACKs).
//
//   - without a flood: every connection is opened by a cookie ACK and
//     joined; the servers see ordinary connections
//   - during the flood: a long-lived conversation (a line every 50 ms)
//     keeps working, new clients still connect, the real servers see no
//     half-open connection, and the director keeps no session for the flood
//
// Needs root (network namespaces, a raw socket); without root every case
// skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge, skipUnlessRoot, standardDirectorConfig } from '../lib/netns';
import { curlMany } from '../lib/curl';
import { ECHO_TALKER_PY, NAMED_HTTP_SERVER_PY, PY, SYN_FLOOD_PY } from '../lib/scripts';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/synproxy SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const CLIENT = '198.18.0.10';
const LIP = '198.19.0.2';
const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const API = 'http://127.0.0.1:9180/api/v1';
/** The flood's forged sources: a /17 of the benchmarking range routed to the client namespace. */
const FLOOD_NET = '198.18.128.0/17';
const FLOOD = { count: 150_000, pps: 30_000, maxS: 8 };
const log = (m: string): void => void process.stderr.write(`[synproxy] ${m}\n`);

function svc(port: number): Record<string, unknown> {
  return {
    protocol: 'tcp', vip: VIP, port, scheduler: 'rr', lipPool: 'default', synProxy: true,
    servers: RS.map((a) => ({ address: a, port, weight: 1, method: 'fullnat' })),
  };
}

interface Counters { events: Record<string, number>; sessions: number; drops: Record<string, number> }
async function counters(sd: StandardDirector): Promise<Counters> {
  const r = await sd.st.topo.exec('dir', 'curl', ['-s', '--max-time', '5', `${API}/stats`], { timeoutMs: 10_000 });
  const j = JSON.parse(r.stdout) as { workers: Array<{ role?: string; sessionsActive: number; tcpEdits?: Record<string, number>; drops?: Record<string, number> }> };
  const out: Counters = { events: {}, sessions: 0, drops: {} };
  for (const w of j.workers) {
    if (w.role === 'service') continue;
    out.sessions += w.sessionsActive;
    for (const [k, v] of Object.entries(w.tcpEdits ?? {})) out.events[k] = (out.events[k] ?? 0) + v;
    for (const [k, v] of Object.entries(w.drops ?? {})) out.drops[k] = (out.drops[k] ?? 0) + v;
  }
  return out;
}
const delta = (a: Record<string, number>, b: Record<string, number>, k: string): number => (b[k] ?? 0) - (a[k] ?? 0);

/** Half-open connections (SYN_RECV) on each real server. */
async function halfOpen(sd: StandardDirector): Promise<number[]> {
  const out: number[] = [];
  for (let i = 1; i <= 3; i++) {
    const r = await sd.st.topo.exec(`rs${i}`, 'ss', ['-Htn', 'state', 'syn-recv'], { allowFail: true });
    out.push(r.stdout.split('\n').filter((l) => l.trim()).length);
  }
  return out;
}

describe('e2e SYN proxy: cookies, joined connections, and a bounded SYN flood', { skip: SKIP }, () => {
  let sd: StandardDirector | undefined;

  before(async () => {
    sd = await startStandardDirector({
      suite: 'synproxy',
      config: deepMerge(standardDirectorConfig(), {
        lipPools: { default: [LIP] },
        // The flood's SYN-ACKs go back toward the client namespace, whose
        // kernel (not a router) drops them.
        routes: [{ to: FLOOD_NET, via: CLIENT }],
        services: [svc(80), svc(7000)],
      }),
      prepare: (st) => {
        for (let i = 1; i <= 3; i++) {
          st.topo.spawn(`rs${i}`, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, `rs${i}`]);
          st.topo.spawn(`rs${i}`, 'socat', ['TCP4-LISTEN:7000,reuseaddr,fork,backlog=64', 'PIPE']);
        }
      },
      listeners: onRealServers(3, [80, 7000]),
    });
  }, { timeout: 120_000 });

  after(async () => {
    await sd?.stop();
  }, { timeout: 60_000 });

  test('300 connections, each opened by a cookie ACK and joined to its server', { timeout: 120_000 }, async () => {
    const c0 = await counters(sd!);
    const rs = await curlMany(sd!.st.topo, 'cli', `http://${VIP}:80`, 300, { batch: 100 });
    const bad = rs.filter((r) => r.code !== '200');
    assert.equal(bad.length, 0, `${bad.length} failed, first ${JSON.stringify(bad.slice(0, 3))}\n${sd!.director.logs()}`);
    const c1 = await counters(sd!);
    for (const k of ['syncookie_sent', 'syncookie_valid', 'synproxy_joined']) {
      assert.equal(delta(c0.events, c1.events, k), 300, `${k}: ${JSON.stringify(c1.events)}`);
    }
    assert.equal(delta(c0.events, c1.events, 'syncookie_invalid'), 0);
  });

  test('a bounded SYN flood from forged sources: established and new connections keep working, nothing half-open on the servers', { timeout: 120_000 }, async () => {
    const c0 = await counters(sd!);
    const talker = sd!.st.topo.spawn('cli', PY, ['-u', '-c', ECHO_TALKER_PY, VIP, '7000', String(FLOOD.maxS + 4), '50']);
    await new Promise((r) => setTimeout(r, 1000));
    assert.match(talker.stdout(), /connected/, `the long-lived connection: ${talker.stderr()}`);
    // Sources 198.18.128-255.x: inside FLOOD_NET.
    const flood = sd!.st.topo.spawn('cli', PY, ['-u', '-c', SYN_FLOOD_PY, VIP, '80', '198.18.128', String(FLOOD.count), String(FLOOD.pps), String(FLOOD.maxS)]);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    const during = await curlMany(sd!.st.topo, 'cli', `http://${VIP}:80`, 200, { batch: 50, maxTimeS: 5 });
    const curlS = (Date.now() - t0) / 1000;
    const half = await halfOpen(sd!);
    const mid = await counters(sd!);
    await flood.exited;
    const [, sent, secs] = /sent (\d+) in ([\d.]+) s/.exec(flood.stdout()) ?? [];
    await talker.exited;
    const [, ex, errs, gap] = /done (\d+) (\d+) (\d+)/.exec(talker.stdout()) ?? [];
    const c1 = await counters(sd!);
    const floodRate = Number(sent) / Number(secs);
    const okDuring = during.filter((r) => r.code === '200').length;
    log(`flood: ${sent} SYNs in ${secs} s (${floodRate.toFixed(0)}/s); director answered ${delta(c0.events, c1.events, 'syncookie_sent')} with cookies`);
    log(`during the flood: ${okDuring}/200 new connections in ${curlS.toFixed(2)} s (${(okDuring / curlS).toFixed(0)} req/s); ` +
      `long-lived: ${ex} exchanges, ${errs} errors, longest gap ${gap} ms; half-open on the servers ${JSON.stringify(half)}; sessions mid-flood ${mid.sessions}`);
    assert.ok(Number(sent) > 0, `the flood ran: ${flood.stdout()} ${flood.stderr()}`);
    assert.equal(okDuring, 200, `new connections during the flood: ${JSON.stringify(during.filter((r) => r.code !== '200').slice(0, 3))}`);
    assert.equal(Number(errs), 0, `the long-lived connection broke: ${talker.stdout()} ${talker.stderr()}`);
    assert.ok(Number(ex) > 50, `the long-lived connection exchanged ${ex} lines`);
    assert.deepEqual(half, [0, 0, 0], 'no half-open connection on any real server');
    // Only real clients' cookie ACKs make sessions: the flood's SYNs none.
    assert.ok(mid.sessions < 1000, `sessions during the flood: ${mid.sessions}`);
    assert.ok(delta(c0.events, c1.events, 'syncookie_sent') >= Number(sent) * 0.9,
      `cookies sent ${delta(c0.events, c1.events, 'syncookie_sent')} for ${sent} SYNs`);
    assert.equal(delta(c0.events, c1.events, 'syncookie_valid'), 200 + 1, 'cookie ACKs: the new clients and the talker only');
  });
});
