// End-to-end schedulers and persistence with the real `fulcrum daemon`
// (2 workers on one CPU: workers [1,2], lcoreMap '0@(0-1),1@1,2@1', so the
// af_packet fanout spreads a client's connections over both workers).
//
// Topology as in test/e2e/methods.test.ts (the DPDK director is not a router,
// DR replies go RS -> router -> client):
//   client segment 198.18.0.0/24 (bridge "csw"): [cli] .10, [dir] dcli (DIP .1, VIP .100), [rtr] .254
//   server segment 198.19.0.0/24 (bridge "ssw"): [dir] dsrv (DIP .1, LIP .2), [rtr] .254, [rsN] .1N
// Every real server is set up for DR (appliance/rs/setup-dr.sh: VIP on lo,
// arp_ignore/arp_announce; default route via the router) and serves FULLNAT
// too (FULLNAT replies go to the LIP, on-link). One python server per RS
// listens on 80-85 and names itself; GET /hold keeps the connection open and
// echoes lines ("<name> <line>") so a client can prove it still works.
//
// Services (VIP 198.18.0.100):
//   80 fullnat sh            81 fullnat rr + persistence 360
//   82 dr sh                 83 dr rr + persistence 360
//   84 fullnat wlc (rs1 weight 1, rs2/rs3 weight 0 at first)
//   85 fullnat rr (weight-0 quiescing)
//
// Needs root. Without root every case skips LOUDLY; as root nothing skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Topology,
  deepMerge,
  isRoot,
  repoRoot,
  run,
  skipUnlessRoot,
  sleep,
  standardDirectorConfig,
  startDirector,
  waitFor,
  type DirectorHandle,
  type Spawned,
} from '../lib/netns';
import { configSchema } from '../../src/config/schema';
import { PY } from '../lib/scripts';
import { curlMany as curlHttp, tally, type CurlResult } from '../lib/curl';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/schedulers SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const CLIENT = '198.18.0.10';
const LIP = '198.19.0.2';
const RTR_C = '198.18.0.254';
const RTR_S = '198.19.0.254';
const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const API_BASE = 'http://127.0.0.1:9180';
const API = `${API_BASE}/api/v1`;
const ADM = path.join(repoRoot(), 'dist', 'src', 'cli', 'fulcrumadm.js');
const RS_DIR = path.join(repoRoot(), 'appliance', 'rs');
const PORTS = [80, 81, 82, 83, 84, 85];

const log = (msg: string): void => {
  process.stderr.write(`[schedulers] ${msg}\n`);
};

/** Multi-port HTTP server: plain GET -> its name (closes); GET /hold -> name line, then echo lines. */
const SERVER_PY = String.raw`
import sys, socket, threading
name = sys.argv[1]
ports = [int(p) for p in sys.argv[2].split(',')]
def handle(c):
    try:
        f = c.makefile('rb')
        req = f.readline()
        while True:
            l = f.readline()
            if not l or l in (b'\r\n', b'\n'):
                break
        if req.startswith(b'GET /hold'):
            c.sendall(b'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n' + name.encode() + b'\n')
            while True:
                l = f.readline()
                if not l:
                    break
                c.sendall(name.encode() + b' ' + l)
        else:
            body = name.encode()
            c.sendall(b'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
    except Exception:
        pass
    finally:
        c.close()
def serve(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', p)); s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()
for p in ports:
    threading.Thread(target=serve, args=(p,), daemon=True).start()
threading.Event().wait()
`;

/**
 * Long-lived connections: open N to host:port (GET /hold), print "conn <i> <name>"
 * and "ready"; then every second send "ping <k>" on each and expect "<name> ping <k>";
 * after DURATION s close them all and print "done ok" (exit 0) or "done fail ..." (exit 1).
 */
const HOLDER_PY = String.raw`
import sys, socket, time
host, port, n, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
conns = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b'GET /hold HTTP/1.0\r\n\r\n')
    f = s.makefile('rb')
    while True:
        l = f.readline()
        if not l: raise SystemExit('closed before headers')
        if l in (b'\r\n', b'\n'): break
    name = f.readline().decode().strip()
    conns.append((s, f, name))
    print('conn %d %s %d' % (i, name, s.getsockname()[1]), flush=True)
print('ready', flush=True)
fails = []
t0 = time.monotonic(); k = 0
while time.monotonic() - t0 < duration:
    time.sleep(1); k += 1
    for i, (s, f, name) in enumerate(conns):
        try:
            s.sendall(b'ping %d\n' % k)
            got = f.readline().decode().strip()
            if got != '%s ping %d' % (name, k):
                fails.append('conn %d ping %d: %r' % (i, k, got))
        except Exception as e:
            fails.append('conn %d ping %d: %s' % (i, k, e))
    print('pinged %d' % k, flush=True)
for s, f, name in conns:
    s.close()
print('done ' + ('ok' if not fails else 'fail ' + '; '.join(fails[:5])), flush=True)
sys.exit(0 if not fails else 1)
`;

// ---------------------------------------------------------------- config

type Json = Record<string, unknown>;
interface SchemaNode { properties?: Record<string, SchemaNode>; items?: SchemaNode }
function schemaOrder(v: unknown, schema: SchemaNode | undefined): unknown {
  if (Array.isArray(v)) return v.map((x) => schemaOrder(x, schema?.items));
  if (!v || typeof v !== 'object' || !schema?.properties) return v;
  const o = v as Json;
  const keys = [...Object.keys(schema.properties).filter((k) => k in o), ...Object.keys(o).filter((k) => !(k in schema.properties!))];
  return Object.fromEntries(keys.map((k) => [k, schemaOrder(o[k], schema.properties![k])]));
}
/**
 * Dataplane/ports in schema key order: works around the product bug reported
 * by test/e2e/control.test.ts (src/lb/appliance.ts apply() compares them with
 * key-order-sensitive JSON.stringify, so fulcrumadm's GET-edit-PUT is refused).
 */
function canonical(cfg: Json): Json {
  const props = (configSchema as unknown as SchemaNode).properties!;
  const dp = { mainLcore: 0, eal: [], ...(cfg.dataplane as Json) };
  return { ...cfg, dataplane: schemaOrder(dp, props.dataplane), ports: schemaOrder(cfg.ports, props.ports) };
}

type Method = 'fullnat' | 'dr';
function svc(port: number, method: Method, scheduler: string, o: { persistence?: Json | null; weights?: number[] } = {}): Json {
  return {
    protocol: 'tcp',
    vip: VIP,
    port,
    scheduler,
    ...(o.persistence ? { persistence: o.persistence } : {}),
    ...(method === 'fullnat' ? { lipPool: 'default' } : {}),
    expireNodestConn: false,
    servers: RS.map((a, i) => ({ address: a, port, weight: o.weights?.[i] ?? 1, method })),
  };
}

function directorConfig(): Json {
  return canonical(deepMerge(standardDirectorConfig(), {
    dataplane: { workers: [1, 2], lcoreMap: '0@(0-1),1@1,2@1' },
    lipPools: { default: [LIP] },
    timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
    services: [
      svc(80, 'fullnat', 'sh'),
      svc(81, 'fullnat', 'rr', { persistence: { timeout: 360 } }),
      svc(82, 'dr', 'sh'),
      svc(83, 'dr', 'rr', { persistence: { timeout: 360 } }),
      svc(84, 'fullnat', 'wlc', { weights: [1, 0, 0] }),
      svc(85, 'fullnat', 'rr'),
    ],
  }));
}

// ---------------------------------------------------------------- fixture

interface Fixture { topo: Topology; director: DirectorHandle; work: string }
let fx: Fixture | undefined;

async function buildTopology(topo: Topology): Promise<void> {
  for (const n of ['cli', 'dir', 'rtr', 'csw', 'ssw']) await topo.addNamespace(n);
  await topo.addBridge('csw', 'br0');
  await topo.addBridge('ssw', 'br0');
  const port = async (ns: string, ifname: string, sw: 'csw' | 'ssw', swIf: string): Promise<void> => {
    await topo.addVeth({ ns, ifname }, { ns: sw, ifname: swIf });
    await topo.attachToBridge(sw, swIf, 'br0');
  };
  await port('cli', 'eth0', 'csw', 'p-cli');
  await port('dir', 'dcli', 'csw', 'p-dir');
  await port('rtr', 'eth0', 'csw', 'p-rtr');
  await port('dir', 'dsrv', 'ssw', 'p-dir');
  await port('rtr', 'eth1', 'ssw', 'p-rtr');
  await topo.addAddress('cli', 'eth0', `${CLIENT}/24`);
  await topo.addAddress('rtr', 'eth0', `${RTR_C}/24`);
  await topo.addAddress('rtr', 'eth1', `${RTR_S}/24`);
  await topo.sysctl('rtr', 'net.ipv4.ip_forward', '1');
  for (const k of ['all', 'default', 'eth0', 'eth1']) await topo.sysctl('rtr', `net.ipv4.conf.${k}.rp_filter`, '0');
  for (const i of ['dcli', 'dsrv']) {
    await run('ip', ['-n', topo.ns('dir'), 'link', 'set', 'dev', i, 'arp', 'off', 'promisc', 'on']);
    await topo.sysctl('dir', `net.ipv4.conf.${i}.rp_filter`, '1', true);
  }
  await topo.sysctl('dir', 'net.ipv4.ip_nonlocal_bind', '1', true);
  for (let i = 0; i < RS.length; i++) {
    const ns = `rs${i + 1}`;
    await topo.addNamespace(ns);
    await port(ns, 'eth0', 'ssw', `p-${ns}`);
    await topo.addAddress(ns, 'eth0', `${RS[i]}/24`);
    await topo.addRoute(ns, 'default', RTR_S);
    const r = await topo.exec(ns, 'sh', [path.join(RS_DIR, 'setup-dr.sh'), VIP], { allowFail: true, timeoutMs: 15_000 });
    assert.equal(r.code, 0, `setup-dr.sh in ${ns}: ${r.stdout}${r.stderr}`);
  }
}

async function setUp(): Promise<Fixture> {
  const topo = new Topology(`fs${process.pid % 10000}`);
  topo.cleanLeftovers();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `${topo.prefix}-sched-`));
  try {
    await buildTopology(topo);
    for (let i = 0; i < RS.length; i++) topo.spawn(`rs${i + 1}`, PY, ['-u', '-c', SERVER_PY, `rs${i + 1}`, PORTS.join(',')]);
    const cfgPath = path.join(work, 'fulcrum.json');
    fs.writeFileSync(cfgPath, JSON.stringify(directorConfig(), null, 2) + '\n');
    const director = await startDirector(cfgPath, { ns: topo.ns('dir'), timeoutMs: 45_000 });
    for (let i = 0; i < RS.length; i++) {
      await waitFor(async () => {
        const r = await topo.exec(`rs${i + 1}`, 'ss', ['-Hltn'], { allowFail: true });
        return PORTS.every((p) => r.stdout.includes(`:${p} `));
      }, 15_000, { what: `rs${i + 1} listeners on ${PORTS.join(',')}`, intervalMs: 200 });
    }
    await topo.exec('cli', 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', VIP], { allowFail: true, timeoutMs: 10_000 });
    return { topo, director, work };
  } catch (e) {
    await topo.destroy();
    fs.rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------- helpers

const curlMany = (port: number, n: number, batch = 25): Promise<CurlResult[]> =>
  curlHttp(fx!.topo, 'cli', `http://${VIP}:${port}`, n, { batch, pathPrefix: 's' });

function assertAllOk(rs: CurlResult[], what: string): void {
  const bad = rs.filter((r) => r.code !== '200');
  assert.equal(bad.length, 0, `${what}: ${bad.length}/${rs.length} failed: ${JSON.stringify(bad.slice(0, 5))}\n${fx!.director.logs()}`);
}

async function apiGet<T>(urlPath: string): Promise<T> {
  const r = await fx!.topo.exec('dir', 'curl', ['-s', '--max-time', '5', '-w', '\n%{http_code}', `${API}${urlPath}`], { allowFail: true, timeoutMs: 10_000 });
  const i = r.stdout.lastIndexOf('\n');
  const status = Number(r.stdout.slice(i + 1)) || 0;
  assert.equal(status, 200, `GET ${API}${urlPath}: HTTP ${status} ${r.stdout.slice(0, 300)}`);
  return JSON.parse(r.stdout.slice(0, i)) as T;
}

interface WorkerStats { role?: string; sessionsCreated: number }
interface ServerStat { id: string; weight: number; activeConns?: number; inactConns?: number }
interface StatsReply { workers: WorkerStats[]; services?: { id: string; servers: ServerStat[] }[] }

const pollWorkers = (s: StatsReply): WorkerStats[] => s.workers.filter((w) => w.role === undefined || w.role === 'worker');
const created = async (): Promise<number[]> => pollWorkers(await apiGet<StatsReply>('/stats')).map((w) => w.sessionsCreated);

async function serverStats(port: number): Promise<Record<string, ServerStat>> {
  const s = await apiGet<StatsReply>('/stats');
  const v = (s.services ?? []).find((x) => x.id.endsWith(`${VIP}:${port}`));
  return Object.fromEntries((v?.servers ?? []).map((x) => [x.id.split(':')[0]!, x]));
}

async function adm(args: string[]): Promise<string> {
  const r = await fx!.topo.exec('dir', process.execPath, [ADM, '--api', API_BASE, ...args], { allowFail: true, timeoutMs: 20_000 });
  assert.equal(r.code, 0, `fulcrumadm ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Start the holder; resolves once all its connections are up, with their server names. */
async function hold(port: number, n: number, seconds: number): Promise<{ proc: Spawned; servers: string[] }> {
  const proc = fx!.topo.spawn('cli', PY, ['-u', '-c', HOLDER_PY, VIP, String(port), String(n), String(seconds)]);
  await waitFor(() => {
    if (proc.child.exitCode !== null) throw new Error(`holder exited ${proc.child.exitCode}: ${proc.stdout()} ${proc.stderr()}`);
    return /^ready$/m.test(proc.stdout());
  }, 20_000 + n * 1000, { what: `${n} long-lived connections to :${port}`, intervalMs: 100 });
  const servers = [...proc.stdout().matchAll(/^conn \d+ (\S+) \d+$/gm)].map((m) => m[1]!);
  return { proc, servers };
}

async function holderResult(h: Spawned, timeoutMs: number): Promise<string> {
  const code = await Promise.race([h.exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
  assert.equal(code, 0, `holder: exit ${code}\n${h.stdout()}\n${h.stderr()}`);
  return h.stdout();
}

/** 100 connections to `port` from one client: all on one server, and both workers created sessions. */
/** The server name ("rs2") the client stuck to. */
async function stickiness(port: number, what: string): Promise<string> {
  const c0 = await created();
  const rs = await curlMany(port, 100);
  const c1 = await created();
  assertAllOk(rs, what);
  const t = tally(rs);
  const perWorker = c1.map((v, i) => v - (c0[i] ?? 0));
  log(`${what}: 100 connections -> ${JSON.stringify(t)}; sessions created per worker ${JSON.stringify(perWorker)}`);
  assert.equal(Object.keys(t).length, 1, `${what}: one client must stay on one server, got ${JSON.stringify(t)}`);
  assert.equal(perWorker.length, 2, `2 poll workers in /api/v1/stats: ${JSON.stringify(c1)}`);
  assert.ok(perWorker.every((d) => d > 0), `${what}: connections must land on both workers (sessionsCreated deltas ${JSON.stringify(perWorker)})`);
  assert.ok(perWorker.reduce((a, b) => a + b, 0) >= 100, `${what}: sessionsCreated grew by ${JSON.stringify(perWorker)}`);
  return Object.keys(t)[0]!;
}

// ---------------------------------------------------------------- tests

describe('e2e schedulers and persistence (2 workers)', { skip: SKIP }, () => {
  before(async () => {
    const t0 = Date.now();
    fx = await setUp();
    log(`setup ${Date.now() - t0} ms; ${fx.director.stdout().match(/fulcrum: up[^\n]*/)?.[0] ?? ''}`);
  }, { timeout: 150_000 });

  after(async () => {
    if (!fx) return;
    try {
      await fx.director.stop(10_000);
    } finally {
      await fx.topo.destroy();
      fs.rmSync(fx.work, { recursive: true, force: true });
    }
  }, { timeout: 60_000 });

  test('1a. FULLNAT sh: one client stays on one server across 100 connections on both workers', { timeout: 120_000 }, async () => {
    await stickiness(80, 'FULLNAT sh :80');
  });

  test('1b. FULLNAT rr + persistence 360: one client stays on one server across 100 connections on both workers', { timeout: 120_000 }, async () => {
    // Control: plain rr on :85 spreads the same client over all three servers.
    const ctl = tally(await curlMany(85, 30));
    // rr positions are per worker (docs/schedulers.md), so the split is only about even.
    assert.deepEqual(Object.keys(ctl).sort(), ['rs1', 'rs2', 'rs3'], `rr without persistence spreads: ${JSON.stringify(ctl)}`);
    assert.ok(Object.values(ctl).every((v) => v >= 5), `rr without persistence spreads: ${JSON.stringify(ctl)}`);
    const name = await stickiness(81, 'FULLNAT rr+persistence :81');
    // As IPVS shows them: the template counted in PersistConn, and listed by
    // -Lnc among the connections (state NONE, client port 0).
    const rip = RS[Number(name.slice(2)) - 1]!;
    const pc = await adm(['-Ln', '--persistent-conn', '-t', `${VIP}:81`]);
    for (const a of RS) {
      assert.match(pc, new RegExp(`^  -> ${a.replace(/\./g, '\\.')}:81 +1 +${a === rip ? 1 : 0} `, 'm'), `PersistConn of ${a}:\n${pc}`);
    }
    const lnc = await adm(['-Lnc']);
    assert.match(lnc, new RegExp(`^TCP 0[56]:\\d\\d +NONE +${CLIENT.replace(/\./g, '\\.')}:0 +${VIP.replace(/\./g, '\\.')}:81 +${rip.replace(/\./g, '\\.')}:81$`, 'm'),
      `the client's template in -Lnc:\n${lnc.split('\n').filter((l) => l.includes('NONE') || l.startsWith('pro')).join('\n')}`);
  });

  test('2a. DR sh: one client stays on one server across 100 connections on both workers', { timeout: 120_000 }, async () => {
    await stickiness(82, 'DR sh :82');
  });

  test('2b. DR rr + persistence 360: one client stays on one server across 100 connections on both workers', { timeout: 120_000 }, async () => {
    await stickiness(83, 'DR rr+persistence :83');
  });

  test('3. wlc steers new connections away from the server holding 20 long-lived ones', { timeout: 180_000 }, async () => {
    // Only rs1 has weight at first: all 20 long-lived connections land there.
    const h = await hold(84, 20, 25);
    try {
      const where = tally(h.servers.map((s) => ({ server: s, code: '200' })));
      assert.deepEqual(where, { rs1: 20 }, `long-lived connections: ${JSON.stringify(where)}`);
      await adm(['-e', '-t', `${VIP}:84`, '-r', `${RS[1]}:84`, '--fullnat', '-w', '1']);
      await adm(['-e', '-t', `${VIP}:84`, '-r', `${RS[2]}:84`, '--fullnat', '-w', '1']);
      const s0 = await serverStats(84);
      log(`:84 before the short connections: ${JSON.stringify(Object.fromEntries(Object.entries(s0).map(([k, v]) => [k, [v.weight, v.activeConns, v.inactConns]])))}`);
      assert.ok((s0[RS[0]]?.activeConns ?? 0) >= 20, `rs1 activeConns in /api/v1/stats: ${JSON.stringify(s0[RS[0]])}`);
      assert.equal(s0[RS[1]]?.weight, 1);
      assert.equal(s0[RS[2]]?.weight, 1);
      const rs = await curlMany(84, 30, 10);
      assertAllOk(rs, 'wlc :84');
      const t = tally(rs);
      const s1 = await serverStats(84);
      log(`wlc: 30 short connections with rs1 holding 20 -> ${JSON.stringify(t)}; stats ${JSON.stringify(Object.fromEntries(Object.entries(s1).map(([k, v]) => [k, [v.activeConns, v.inactConns]])))}`);
      // overhead = active*256 + inactive: rs1 20*256 vs at most ~15 inactive elsewhere.
      assert.ok((t.rs1 ?? 0) <= 1, `rs1 holds 20 active connections; wlc must send (almost) no new ones there: ${JSON.stringify(t)}`);
      assert.ok((t.rs2 ?? 0) >= 12 && (t.rs3 ?? 0) >= 12, `rs2 and rs3 share the new connections: ${JSON.stringify(t)}`);
      assert.ok((s1[RS[0]]?.activeConns ?? 0) >= 20, `rs1 still holds its connections: ${JSON.stringify(s1[RS[0]])}`);
    } finally {
      await h.proc.stop('SIGKILL', 1000);
    }
  });

  test('4. weight 0 quiesces: a live connection continues, new connections avoid the server', { timeout: 120_000 }, async () => {
    const h = await hold(85, 1, 12);
    try {
      const x = h.servers[0]!;
      const xi = Number(x.slice(2)) - 1;
      await waitFor(() => /^pinged 2$/m.test(h.proc.stdout()), 10_000, { what: 'two pings on the live connection' });
      await adm(['-e', '-t', `${VIP}:85`, '-r', `${RS[xi]}:85`, '--fullnat', '-w', '0']);
      const listed = await adm(['-Ln', '-t', `${VIP}:85`]);
      assert.match(listed, new RegExp(`-> ${RS[xi]!.replace(/\./g, '\\.')}:85\\s+FullNat\\s+0\\s+1\\s+`), `-Ln shows weight 0 and the active connection:\n${listed}`);
      const rs = await curlMany(85, 30, 10);
      assertAllOk(rs, 'after quiescing');
      const t = tally(rs);
      log(`weight 0 on ${x} (holding one live connection): 30 new -> ${JSON.stringify(t)}`);
      assert.equal(t[x], undefined, `${x} has weight 0 but got new connections: ${JSON.stringify(t)}`);
      assert.equal(Object.values(t).reduce((a, b) => a + b, 0), 30);
      const out = await holderResult(h.proc, 30_000);
      assert.match(out, /^done ok$/m, out);
      log(`live connection to ${x}: ${out.trim().split('\n').slice(-2).join('; ')}`);
    } finally {
      await h.proc.stop('SIGKILL', 1000);
      await adm(['-e', '-t', `${VIP}:85`, '-r', `${RS[0]}:85`, '--fullnat', '-w', '1']).catch(() => undefined);
    }
  });
});

test('root check (as root the schedulers e2e suite must not skip)', () => {
  if (!isRoot()) process.stderr.write('!!!!!!!! not root: scheduler end-to-end tests were skipped !!!!!!!!\n');
  assert.equal(SKIP === false, isRoot());
});
