// End-to-end: an idle worker sleeps on Rx interrupts where every queue it
// polls has one (native/fastpath/idle.c). The ports are net_tap (the port
// PMD here that has them; test/lib/tap-ports.ts splices each tap to the
// standard topology's veth), FULLNAT over three real servers that name
// themselves:
//   - GET /api/v1/ports and /api/v1/stats say the ports, their twins and the
//     worker run on interrupts
//   - idle, the worker sleeps in epoll (waits counted, naps only after a
//     wake that found nothing) and
//     wakes about every FL_IDLE_WAIT_MS (10 ms) for its timers, not
//     thousands of times a second as the back-off does
//   - 300 new connections through the VIP, split exactly by rr, woke it
//   - two workers on one CPU: tap has no RSS, so replies are redirected
//     between the workers (the redirect rings kick a sleeping owner) and
//     every request still completes
//   - dataplane.rxInterrupts false: the same ports, back-off naps instead
// Needs root (network namespaces). Without root every case skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { deepMerge, PLAN, skipUnlessRoot, standardDirectorConfig, type Spawned } from '../lib/netns';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';
import { NAMED_HTTP_SERVER_PY, PY } from '../lib/scripts';
import { curlMany } from '../lib/curl';
import { spliceTapPorts, tapPortsConfig } from '../lib/tap-ports';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/rx-interrupts SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const API = 'http://127.0.0.1:9180';

interface PortJson { name: string; driver: string; rxQueues: number; rxInterrupts: boolean; twinRxInterrupts: boolean }
interface WorkerJson { role: string; index: number; rxInterrupts: boolean; idleWaits: number; idleWakeups: number; idleNaps: number; redirectIn: number }

function config(dataplane: Record<string, unknown> = {}): Record<string, unknown> {
  const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
  return deepMerge(base, {
    // net_tap fills each RX ring with mbufs up front: two workers' queues on
    // two ports and two twins take 8192, the standard config's whole pool.
    dataplane: { mbufsPerSocket: 32768, ...dataplane },
    ports: tapPortsConfig(base),
    lipPools: { default: [PLAN.lip] },
    services: [{ protocol: 'tcp', vip: PLAN.vip, port: 80, scheduler: 'rr', lipPool: 'default',
      servers: PLAN.realServers.map((a) => ({ address: a, port: 80, weight: 1, method: 'fullnat' })) }],
  });
}

describe('e2e idle sleep on Rx interrupts (net_tap ports)', { skip: SKIP || false }, () => {
  let fx: StandardDirector;
  const http: Spawned[] = [];
  const get = async <T>(p: string): Promise<T> =>
    JSON.parse((await fx.st.topo.exec('dir', 'curl', ['-sS', '-m', '5', `${API}${p}`])).stdout) as T;
  const workers = async (): Promise<WorkerJson[]> =>
    (await get<{ workers: WorkerJson[] }>('/api/v1/stats')).workers.filter((w) => w.role === 'worker');
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const restart = async (cfg: Record<string, unknown>): Promise<void> => {
    await fx.director.stop(10_000);
    fs.writeFileSync(fx.cfgPath, JSON.stringify(cfg, null, 2) + '\n');
    // The state file would bring the old config back.
    fs.rmSync(fx.cfgPath.replace(/fulcrum\.json$/, 'state.json'), { force: true });
    fx.director = await fx.st.startDirector(fx.cfgPath, { timeoutMs: 45_000 });
    await fx.st.topo.exec('cli', 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', PLAN.vip], { allowFail: true, timeoutMs: 10_000 });
  };
  const curls = async (n: number): Promise<Record<string, number>> => {
    const rs = await curlMany(fx.st.topo, 'cli', `http://${PLAN.vip}`, n);
    const failed = rs.filter((r) => r.code !== '200');
    assert.equal(failed.length, 0, `failed: ${JSON.stringify(failed.slice(0, 3))}\n${fx.director.logs()}`);
    const by: Record<string, number> = {};
    for (const r of rs) by[r.server] = (by[r.server] ?? 0) + 1;
    return by;
  };

  before(async () => {
    fx = await startStandardDirector({
      suite: 'rx-interrupts',
      config: config(),
      prepare: async (st) => {
        await spliceTapPorts(st);
        for (let i = 0; i < 3; i++) http.push(st.topo.spawn(`rs${i + 1}`, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, `rs${i + 1}`]));
      },
      listeners: onRealServers(3, [80]),
    });
  }, { timeout: 90_000 });
  after(async () => {
    for (const h of http) await h.stop();
    await fx?.stop();
  }, { timeout: 60_000 });

  test('the API says the ports, their twins and the worker run on Rx interrupts', async () => {
    const ps = await get<PortJson[]>('/api/v1/ports');
    assert.equal(ps.length, 2);
    for (const p of ps) {
      assert.equal(p.driver, 'net_tap', JSON.stringify(p));
      assert.equal(p.rxInterrupts, true, JSON.stringify(p));
      assert.equal(p.twinRxInterrupts, true, JSON.stringify(p));
    }
    const ws = await workers();
    assert.equal(ws.length, 1);
    assert.equal(ws[0]!.rxInterrupts, true);
  });

  test('idle, the worker sleeps in epoll, waking for its timers only', { timeout: 30_000 }, async () => {
    await sleep(500);
    const [a] = await workers();
    await sleep(2000);
    const [b] = await workers();
    const waits = b!.idleWaits - a!.idleWaits;
    const naps = b!.idleNaps - a!.idleNaps;
    assert.ok(waits > 0, 'the worker slept on its interrupts');
    // A nap follows only a wake that found nothing to read (idle.c futile_wake).
    assert.ok(naps <= waits, `${naps} naps, ${waits} waits`);
    // 2 s of 10 ms waits is ~200 (each API read above is a kick or two); the
    // back-off at 200 us naps would be ~10,000.
    assert.ok(waits < 1000, `${waits} waits in 2 s`);
  });

  test('300 new connections through the VIP are split exactly by rr, and their packets woke the worker', { timeout: 120_000 }, async () => {
    const [a] = await workers();
    const by = await curls(300);
    assert.deepEqual(by, { rs1: 100, rs2: 100, rs3: 100 });
    const [b] = await workers();
    assert.ok(b!.idleWakeups - a!.idleWakeups > 0, 'packets ended sleeps before their timeout');
  });

  test('two workers on one CPU: redirected replies reach a sleeping owner, every request completes', { timeout: 180_000 }, async () => {
    await restart(config({ workers: [1, 2], lcoreMap: '0@(0-1),1@1,2@1' }));
    const ps = await get<PortJson[]>('/api/v1/ports');
    for (const p of ps) {
      assert.equal(p.rxQueues, 2, JSON.stringify(p));
      assert.equal(p.rxInterrupts, true, JSON.stringify(p));
    }
    const before = await workers();
    assert.equal(before.length, 2);
    for (const w of before) assert.equal(w.rxInterrupts, true, JSON.stringify(w));
    const by = await curls(300);
    assert.equal(Object.values(by).reduce((x, y) => x + y, 0), 300);
    for (const rs of ['rs1', 'rs2', 'rs3']) assert.ok((by[rs] ?? 0) > 0, JSON.stringify(by));
    const after = await workers();
    const redirected = after.reduce((s, w, i) => s + w.redirectIn - before[i]!.redirectIn, 0);
    const waits = after.reduce((s, w, i) => s + w.idleWaits - before[i]!.idleWaits, 0);
    assert.ok(redirected > 0, 'tap has no RSS: some replies came in on the other worker\'s queue');
    assert.ok(waits > 0, 'the workers slept between requests');
  });

  test('dataplane.rxInterrupts false: the same ports nap in the back-off', { timeout: 120_000 }, async () => {
    await restart(config({ rxInterrupts: false }));
    const ps = await get<PortJson[]>('/api/v1/ports');
    for (const p of ps) assert.equal(p.rxInterrupts, false, JSON.stringify(p));
    await sleep(1000);
    const [w] = await workers();
    assert.equal(w!.rxInterrupts, false);
    assert.equal(w!.idleWaits, 0);
    assert.ok(w!.idleNaps > 0, 'back-off naps');
    assert.deepEqual(await curls(30), { rs1: 10, rs2: 10, rs3: 10 });
  });
});
