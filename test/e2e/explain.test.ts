// End-to-end `fulcrum explain`: the real daemon (2 workers on one CPU, so
// the owner of a flow is worked out), three real servers naming themselves
// and logging their peers (LIP:lport under FULLNAT). Each case asks first,
// then connects from exactly that client port, and checks that what explain
// predicted (server, LIP:lport, egress) is what happened, that asking
// changed nothing, and that the session, the persistence template, a
// server held DOWN by its health check and a port with no service are
// reported as such. Needs root; without it every case skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { deepMerge, repoRoot, skipUnlessRoot, standardDirectorConfig, waitFor, type Spawned } from '../lib/netns';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';
import { NAMED_HTTP_SERVER_PY, PY } from '../lib/scripts';
import type { Explanation } from '../../src/lb/explain';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/explain SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const CLIENT = '198.18.0.10';
const LIP = '198.19.0.2';
const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const API = 'http://127.0.0.1:9180';
const FULCRUM = path.join(repoRoot(), 'dist', 'src', 'cli', 'fulcrum.js');

function config(): Record<string, unknown> {
  const servers = (extra: (i: number) => Record<string, unknown> = () => ({})) =>
    RS.map((a, i) => ({ address: a, port: 80, weight: 1, method: 'fullnat', ...extra(i) }));
  return deepMerge(standardDirectorConfig(), {
    dataplane: { workers: [1, 2], lcoreMap: '0@(0-1),1@1,2@1' },
    lipPools: { default: [LIP] },
    services: [
      { protocol: 'tcp', vip: VIP, port: 80, scheduler: 'rr', lipPool: 'default', servers: servers() },
      { protocol: 'tcp', vip: VIP, port: 81, scheduler: 'mh', lipPool: 'default', persistence: { timeout: 300 }, servers: servers() },
      {
        protocol: 'tcp', vip: VIP, port: 82, scheduler: 'rr', lipPool: 'default',
        // rs2's check probes a port nothing listens on: DOWN, left out.
        servers: servers((i) => (i === 1 ? { healthCheck: { type: 'tcp', connectPort: 9, delayLoop: 0.5, connectTimeout: 0.5, retry: 0 } } : {})),
      },
    ],
  });
}

describe('e2e fulcrum explain', { skip: SKIP || false }, () => {
  let fx: StandardDirector;
  const http: Spawned[] = [];
  before(async () => {
    fx = await startStandardDirector({
      suite: 'explain',
      config: config(),
      prepare: (st) => {
        for (let i = 0; i < 3; i++) http.push(st.topo.spawn(`rs${i + 1}`, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, `rs${i + 1}`, 'log-peers']));
      },
      listeners: onRealServers(3, [80]),
    });
  });
  after(async () => {
    await fx?.stop();
  });

  const ask = async (proto: string, src: string, dst: string): Promise<{ status: number; body: Explanation & { error?: string } }> => {
    const q = new URLSearchParams({ proto, src, dst }).toString();
    const r = await fx.st.topo.exec('dir', 'curl', ['-s', '--max-time', '3', '-w', '\n%{http_code}', `${API}/api/v1/explain?${q}`], { allowFail: true, timeoutMs: 6_000 });
    const i = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(i + 1)), body: JSON.parse(r.stdout.slice(0, i)) as Explanation & { error?: string } };
  };
  const explainOk = async (src: string, dst: string): Promise<Explanation> => {
    const r = await ask('tcp', src, dst);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  /** GET from exactly CLIENT:port; returns the name of the server that answered. */
  const getFrom = async (port: number, vport: number): Promise<string> => {
    const r = await fx.st.topo.exec('cli', 'curl', ['-s', '--max-time', '5', '--local-port', String(port), `http://${VIP}:${vport}/`], { allowFail: true, timeoutMs: 8_000 });
    return r.stdout.trim();
  };
  const nameOf = (server: string | null): string => `rs${RS.indexOf(server!.split(':')[0] as (typeof RS)[number]) + 1}`;
  /** The LIP:lport the server logged for its latest peer. */
  const lastPeer = (name: string): string => {
    const lines = http[Number(name.slice(2)) - 1]!.stderr().trim().split('\n').filter((l) => l.startsWith('PEER '));
    const [, ip, port] = lines.at(-1)!.split(' ');
    return `${ip}:${port}`;
  };

  test('the prediction is what happens: server, LIP:lport, egress; asking changes nothing', async () => {
    for (const cport of [41001, 41002, 41003, 41004]) {
      const e = await explainOk(`${CLIENT}:${cport}`, `${VIP}:80`);
      assert.equal(e.service?.id, `tcp:${VIP}:80`);
      assert.equal(e.session, null);
      assert.equal(e.decision.by, 'scheduler');
      assert.equal(e.worker.known, true, 'two workers on af_packet: the client hash names the owner');
      assert.equal(e.method, 'fullnat');
      assert.match(e.replyTo ?? '', new RegExp(`^${LIP.replace(/\./g, '\\.')}:\\d+$`));
      assert.deepEqual(e.egress, { port: 'servers', nextHop: e.decision.server!.split(':')[0], mac: e.egress?.mac ?? null });
      for (let i = 0; i < 10; i++) assert.deepEqual(await explainOk(`${CLIENT}:${cport}`, `${VIP}:80`), e, 'asking again gives the same answer');
      const got = await getFrom(cport, 80);
      assert.equal(got, nameOf(e.decision.server), `client port ${cport}: explain said ${e.decision.server}; ${e.reasons.join(' | ')}`);
      assert.equal(lastPeer(got), e.replyTo, 'the LIP:lport explain named is the one the connection took');
      const after = await explainOk(`${CLIENT}:${cport}`, `${VIP}:80`);
      assert.equal(after.decision.by, 'session');
      assert.equal(after.session?.server, e.decision.server);
      assert.equal(after.session?.local, e.replyTo);
      assert.ok(after.reasons.some((r) => r.startsWith(`a session exists on worker ${after.worker.index}`)), after.reasons.join('\n'));
      if (e.scheduler?.lastPick) assert.ok(e.reasons.some((r) => r.includes(`the last pick was ${e.scheduler!.lastPick}`)));
    }
  });

  test('Maglev and persistence: the key\'s slot decides, then the template does', async () => {
    const e = await explainOk(`${CLIENT}:42001`, `${VIP}:81`);
    assert.equal(e.scheduler?.name, 'mh');
    assert.equal(e.scheduler?.slots, 65537);
    assert.ok(Number.isInteger(e.scheduler?.keySlot));
    assert.equal(e.scheduler?.slotServer, e.decision.server, 'all servers up: the slot\'s server is the pick');
    assert.equal(e.template, null);
    assert.equal(await getFrom(42001, 81), nameOf(e.decision.server));
    const t = await explainOk(`${CLIENT}:42002`, `${VIP}:81`);
    assert.equal(t.template?.server, e.decision.server, 'the first connection made a template');
    assert.equal(t.decision.by, 'template');
    assert.ok(t.reasons.some((r) => /the client's template sends new connections to/.test(r)), t.reasons.join('\n'));
    assert.equal(await getFrom(42002, 81), nameOf(e.decision.server));
  });

  test('a server that its health check holds DOWN is named as such, and never picked', async () => {
    await waitFor(async () => (await explainOk(`${CLIENT}:43001`, `${VIP}:82`)).reasons.some((r) => r.includes('is configured but not running')), 10_000, { what: 'rs2 DOWN' });
    for (let p = 43001; p < 43007; p++) {
      const e = await explainOk(`${CLIENT}:${p}`, `${VIP}:82`);
      assert.ok(e.reasons.some((r) => r.startsWith(`${RS[1]}:80 is configured but not running: its health check holds it DOWN`)), e.reasons.join('\n'));
      assert.notEqual(e.decision.server, `${RS[1]}:80`);
      assert.deepEqual(e.scheduler?.servers.map((s) => (s as { server: string }).server), [`${RS[0]}:80`, `${RS[2]}:80`]);
    }
  });

  test('no service on the port, and not a VIP: said so, nothing picked', async () => {
    const a = await explainOk(`${CLIENT}:44001`, `${VIP}:99`);
    assert.equal(a.service, null);
    assert.equal(a.decision.server, null);
    assert.match(a.reasons[0]!, /has no tcp service on port 99 \(it has tcp:198\.18\.0\.100:80, .*\): the kernel twin answers it/);
    const b = await explainOk(`${CLIENT}:44002`, '198.18.0.77:80');
    assert.match(b.reasons[0]!, /198\.18\.0\.77 is not a VIP of any service/);
  });

  test('bad queries name the parameter', async () => {
    const r = await ask('tcp', 'nonsense', `${VIP}:80`);
    assert.equal(r.status, 400);
    assert.match(r.body.error ?? '', /src/);
    const z = await ask('tcp', `${CLIENT}:0`, `${VIP}:80`);
    assert.equal(z.status, 400);
    assert.match(z.body.error ?? '', /query\.src: a client port is 1-65535/);
    const p = await ask('icmp', `${CLIENT}:1`, `${VIP}:80`);
    assert.equal(p.status, 400);
    assert.match(p.body.error ?? '', /proto/);
  });

  test('fulcrum explain (CLI) prints the reasons and the decision', async () => {
    const r = await fx.st.topo.exec('dir', process.execPath, [FULCRUM, 'explain', '--api', API, 'tcp', `${CLIENT}:45001`, `${VIP}:80`], { allowFail: true, timeoutMs: 10_000 });
    assert.equal(r.code, 0, r.stderr);
    process.stderr.write(`[explain] fulcrum explain printed:\n${r.stdout}`);
    assert.match(r.stdout, /^tcp 198\.18\.0\.10:45001 -> 198\.18\.0\.100:80\n/);
    assert.match(r.stdout, /  - 198\.18\.0\.100:80 matches service tcp:198\.18\.0\.100:80 exactly|tcp 198\.18\.0\.100:80 matches service/);
    assert.match(r.stdout, /  => 198\.19\.0\.1[123]:80 \(by scheduler\), fullnat, replies to 198\.19\.0\.2:\d+, out servers via 198\.19\.0\.1[123]/);
    assert.match(r.stdout, /servers as the scheduler sees them:/);
    const bad = await fx.st.topo.exec('dir', process.execPath, [FULCRUM, 'explain', '--api', API, 'tcp', 'x', `${VIP}:80`], { allowFail: true, timeoutMs: 10_000 });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /src: "x" is not address:port/);
  });
});
