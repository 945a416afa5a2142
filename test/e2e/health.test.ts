// End-to-end real-server health checks: the real `fulcrum daemon` in a
// director namespace (DPDK net_af_packet over veths), a client namespace,
// three real-server namespaces and a fourth "sorry" namespace on the server
// bridge:
//
//   - :80   (rs1..rs3, sorry) a python3 HTTP server naming itself in the body;
//           GET /health answers the status written in <work>/<name>.health
//           (200 when the file is absent; "hang" = never answer), so a check can
//           be failed while the process keeps running; the process can be killed
//           and restarted
//   - :5001 (rs1..rs3) socat piping every connection into sha256sum
//
// Director config: FULLNAT rr, VIP:80 over rs1..rs3:80 with HTTP_GET /health
// (delayLoop 1, connectTimeout 1, retry 1, delayBeforeRetry 0.5, rise 1,
// fall 1) and sorryServer = the sorry namespace :80; VIP:5001 over
// rs1..rs3:5001 with the same HTTP_GET on port 80 (connectPort) and
// inhibitOnFailure, so a server failing its check keeps its :5001 sessions.
//
// Cases: a killed server is DOWN and gets no new connections within the
// computed bound while a paced stream to another server goes on (sha256);
// restarted it is back; all three killed -> the sorry server answers; an HTTP
// 500 takes a running server out and 200 brings it back; inhibitOnFailure
// publishes weight 0 (/metrics) and keeps an existing stream alive.
//
// Needs root (network namespaces). Without root every case skips with a loud
// reason; as root nothing here ever skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  isRoot,
  repoRoot,
  skipUnlessRoot,
  sleep,
  standardDirectorConfig,
  deepMerge,
  waitFor,
  type Spawned,
  type StandardTopology,
} from '../lib/netns';
import { randomFile } from '../lib/files';
import { onRealServers, startStandardDirector, waitListening, type StandardDirector } from '../lib/standard-director';
import { PY, PACED_SENDER_PY } from '../lib/scripts';
import { curlMany as curlHttp, tally, type CurlResult } from '../lib/curl';

const SKIP = skipUnlessRoot();
if (SKIP) {
  process.stderr.write(`\n!!!!!!!! e2e/health SKIPPED: ${SKIP} !!!!!!!!\n\n`);
}

const VIP = '198.18.0.100';
const LIP = '198.19.0.2';
const DIP = '198.19.0.1';
const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const SORRY = '198.19.0.14';
const NAMES = ['rs1', 'rs2', 'rs3'] as const;
const API = 'http://127.0.0.1:9180';
const SVC80 = `tcp:${VIP}:80`;
const SVC5001 = `tcp:${VIP}:5001`;

const log = (msg: string): void => {
  process.stderr.write(`[health] ${msg}\n`);
};

// ---------------------------------------------------------------- timing, from the config

/** The health check every real server gets (seconds). */
const HC = { delayLoop: 1, connectTimeout: 1, retry: 1, delayBeforeRetry: 0.5, rise: 1, fall: 1 } as const;
/** Scheduling / republish slack on top of the check timing. */
const SLACK_S = 1;
/**
 * Worst case from "server fails" to "DOWN published", for failures that are
 * answered at once (connection refused, status 500): the last good probe ran
 * just before the failure, the next round starts delayLoop later, its probe
 * and `retry` retries (delayBeforeRetry apart) fail, and `fall` such rounds
 * are needed. (A probe that times out would add connectTimeout per probe.)
 */
const DOWN_BOUND_MS = (HC.fall * (HC.delayLoop + HC.retry * HC.delayBeforeRetry) + SLACK_S) * 1000;
/** The same when every probe hangs: each of the retry + 1 probes of a round runs into connectTimeout. */
const HANG_DOWN_BOUND_MS = (HC.fall * (HC.delayLoop + (HC.retry + 1) * HC.connectTimeout + HC.retry * HC.delayBeforeRetry) + SLACK_S) * 1000;
/** From "server answers again" to "UP published": at most one delayLoop per needed good round. */
const UP_BOUND_MS = (HC.rise * HC.delayLoop + SLACK_S) * 1000;

// ---------------------------------------------------------------- real-server programs

/** HTTP server: body = its name; /health answers the status in STATUS_FILE (200 when absent). */
const HTTP_SERVER_PY = String.raw`
import sys, os, time, http.server, socketserver
name, status_file = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        code = 200
        if self.path == '/health':
            try:
                with open(status_file) as f:
                    want = f.read().strip()
            except FileNotFoundError:
                want = ''
            if want == 'hang':
                time.sleep(3600)  # accept, read the request, never answer
            code = int(want or '200')
            body = ('%s health %d' % (name, code)).encode()
        else:
            body = name.encode()
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
S(('0.0.0.0', 80), H).serve_forever()
`;


// ---------------------------------------------------------------- config

function healthCheck(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'http', ...HC, http: { path: '/health', statusCodes: ['200-299'] }, ...extra };
}

function healthConfig(): Record<string, unknown> {
  return deepMerge(standardDirectorConfig(), {
    lipPools: { default: [LIP] },
    timeouts: { tcp: 60, tcpFin: 5, udp: 5 },
    services: [
      {
        protocol: 'tcp',
        vip: VIP,
        port: 80,
        scheduler: 'rr',
        lipPool: 'default',
        servers: RS.map((a) => ({ address: a, port: 80, weight: 1, method: 'fullnat', healthCheck: healthCheck() })),
        sorryServer: { address: SORRY, port: 80, method: 'fullnat', weight: 1 },
      },
      {
        protocol: 'tcp',
        vip: VIP,
        port: 5001,
        scheduler: 'rr',
        lipPool: 'default',
        inhibitOnFailure: true,
        // The stream receivers are socat; their health is the HTTP server's /health on :80.
        servers: RS.map((a) => ({ address: a, port: 5001, weight: 1, method: 'fullnat', healthCheck: healthCheck({ connectPort: 80 }) })),
      },
    ],
  });
}

// ---------------------------------------------------------------- fixture

interface Fixture extends StandardDirector {
  /** Current :80 server process per real server (index 0..2), replaced on restart. */
  http: Spawned[];
}

function statusFile(fx: { work: string }, name: string): string {
  return path.join(fx.work, `${name}.health`);
}

function startHttp(fx: { st: StandardTopology; work: string }, ns: string, name: string): Spawned {
  return fx.st.topo.spawn(ns, PY, ['-u', '-c', HTTP_SERVER_PY, name, statusFile(fx, name)]);
}

async function setUp(): Promise<Fixture> {
  const http: Spawned[] = [];
  const sd = await startStandardDirector({
    suite: 'health',
    config: healthConfig(),
    prepare: async (st, work) => {
      // The sorry server: a fourth namespace on the server bridge.
      await st.topo.addNamespace('sorry');
      await st.topo.addVeth({ ns: 'sorry', ifname: 'eth0' }, { ns: 'sw', ifname: 'p-sorry' });
      await st.topo.attachToBridge('sw', 'p-sorry', 'br0');
      await st.topo.addAddress('sorry', 'eth0', `${SORRY}/24`);
      await st.topo.addRoute('sorry', 'default', DIP);
      const fxp = { st, work };
      for (let i = 0; i < 3; i++) {
        http.push(startHttp(fxp, `rs${i + 1}`, NAMES[i]!));
        st.topo.spawn(`rs${i + 1}`, 'socat', ['-u', 'TCP4-LISTEN:5001,reuseaddr,fork,backlog=64', `SYSTEM:sha256sum >>${work}/${NAMES[i]}.sha`]);
      }
      startHttp(fxp, 'sorry', 'sorry');
    },
    listeners: { ...onRealServers(3, [80, 5001]), sorry: [80] },
  });
  return { ...sd, http };
}

async function tearDown(fx: Fixture | undefined): Promise<void> {
  await fx?.stop();
}

// ---------------------------------------------------------------- control-plane helpers

async function dirGet(fx: Fixture, urlPath: string): Promise<{ status: number; body: string }> {
  const r = await fx.st.topo.exec('dir', 'curl', ['-s', '--max-time', '3', '-w', '\n%{http_code}', `${API}${urlPath}`], { allowFail: true, timeoutMs: 6_000 });
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)) || 0, body: r.stdout.slice(0, i) };
}

interface HealthRow {
  service: string;
  server: string;
  type: string;
  state: 'UP' | 'DOWN';
  since: string;
  lastError: string | null;
  checks: number;
  failures: number;
  transitions: number;
}

async function healthRows(fx: Fixture): Promise<HealthRow[]> {
  const r = await dirGet(fx, '/api/v1/health/servers');
  if (r.status !== 200) throw new Error(`GET /api/v1/health/servers: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
  const j = JSON.parse(r.body) as unknown;
  const rows = Array.isArray(j) ? j : (j as { servers?: unknown }).servers;
  if (!Array.isArray(rows)) throw new Error(`GET /api/v1/health/servers: not a list: ${r.body.slice(0, 300)}`);
  return rows as HealthRow[];
}

function rowOf(rows: HealthRow[], service: string, server: string): HealthRow | undefined {
  return rows.find((r) => r.service === service && r.server === server);
}

/**
 * Poll the health API (every 50 ms) until every (service, server) in `want`
 * has `state`; returns the ms since `t0` at which that was first seen.
 */
async function waitState(fx: Fixture, want: Array<[string, string]>, state: 'UP' | 'DOWN', t0: number, boundMs: number, what: string): Promise<number> {
  let last: HealthRow[] = [];
  try {
    await waitFor(
      async () => {
        last = await healthRows(fx);
        return want.every(([s, a]) => rowOf(last, s, a)?.state === state);
      },
      boundMs + 3_000, // keep polling past the bound so a miss reports the real time
      { what, intervalMs: 50 },
    );
  } catch (e) {
    assert.fail(`${(e as Error).message}\nhealth rows: ${JSON.stringify(last)}\n${fx.director.logs()}`);
  }
  return Date.now() - t0;
}

/** Parse Prometheus text lines `name{labels} value` for one metric name. */
function metricRows(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = /^[^{]+\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const lm of m[1]!.matchAll(/(\w+)="([^"]*)"/g)) labels[lm[1]!] = lm[2]!;
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

function backendMetric(text: string, name: string, port: number, address: string): number | undefined {
  return metricRows(text, name).find((r) => r.labels.local_port === String(port) && r.labels.remote_address === address)?.value;
}

// ---------------------------------------------------------------- traffic helpers

/** `n` HTTP GETs to VIP:80, each on a new TCP connection, in one curl process. */
const curlMany = (fx: Fixture, n: number): Promise<CurlResult[]> =>
  curlHttp(fx.st.topo, 'cli', `http://${VIP}:80`, n, { batch: n, maxTimeS: 3, connectTimeoutS: 2 });

function assertAll200(fx: Fixture, rs: CurlResult[], when: string): void {
  const bad = rs.map((r, i) => ({ i, ...r })).filter((r) => r.code !== '200');
  assert.equal(bad.length, 0, `${when}: ${bad.length} failed requests, first: ${JSON.stringify(bad.slice(0, 5))}\n${fx.director.logs()}`);
}


function receivedHashes(fx: Fixture): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of NAMES) {
    const f = path.join(fx.work, `${name}.sha`);
    const text = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
    out[name] = text
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0]!)
      .filter((h) => /^[0-9a-f]{64}$/.test(h));
  }
  return out;
}

/** Which real servers have an ESTABLISHED connection on local port `port`. */
async function serversWithEstablished(fx: Fixture, port: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await fx.st.topo.exec(`rs${i + 1}`, 'ss', ['-Htn', 'state', 'established', `sport = :${port}`], { allowFail: true });
    if (r.stdout.trim()) out.push(NAMES[i]!);
  }
  return out;
}

interface Stream {
  sender: Spawned;
  server: string;
  idx: number;
  sha: string;
  file: string;
  nominalS: number;
}

/** Start a paced stream of `mb` MB at `mbps` MB/s through VIP:5001; resolves once one real server has it established. */
async function startStream(fx: Fixture, name: string, mb: number, mbps: number): Promise<Stream> {
  const { file, sha } = randomFile(fx.work, name, mb);
  const sender = fx.st.topo.spawn('cli', PY, ['-u', '-c', PACED_SENDER_PY, VIP, '5001', file, String(mbps * 1024 * 1024)]);
  const server = await waitFor(
    async () => {
      if (sender.child.exitCode !== null) throw new Error(`sender exited early: ${sender.stdout()} ${sender.stderr()}`);
      const s = await serversWithEstablished(fx, 5001);
      return s.length === 1 ? s[0]! : null;
    },
    10_000,
    { what: 'the paced stream to be established at one real server', intervalMs: 100 },
  );
  return { sender, server, idx: NAMES.indexOf(server as (typeof NAMES)[number]), sha, file, nominalS: mb / mbps };
}

/** Wait (bounded) for the stream to end, then check its sha256 at its server and that it never stalled. */
async function finishStream(fx: Fixture, s: Stream, before: Record<string, string[]>): Promise<string> {
  const code = await Promise.race([s.sender.exited, sleep(s.nominalS * 1000 + 30_000).then(() => 'timeout' as const)]);
  assert.equal(code, 0, `paced sender exit ${code}: ${s.sender.stdout()} ${s.sender.stderr()}\n${fx.director.logs()}`);
  const done = /done (\d+) bytes in ([\d.]+) s/.exec(s.sender.stdout());
  assert.ok(done, `sender output: ${s.sender.stdout()}`);
  const secs = Number(done[2]);
  // Paced: a stall (sessions dropped while the server was out) would show as a long tail.
  assert.ok(secs <= s.nominalS + 3, `the stream took ${secs} s for a nominal ${s.nominalS} s: it stalled`);
  const got = await waitFor(() => (receivedHashes(fx)[s.server]!.length > before[s.server]!.length ? receivedHashes(fx) : null), 15_000, {
    what: `the sha256 of the stream at ${s.server}`,
  });
  const list = got[s.server]!;
  assert.equal(list[list.length - 1], s.sha, `stream sha256 at ${s.server}: ${JSON.stringify(got)}`);
  fs.rmSync(s.file, { force: true });
  return `${s.sender.stdout().trim().split('\n').pop()} to ${s.server}`;
}

/** One short transfer through VIP:5001; which receiver reported its sha256. */
async function shortTransfer(fx: Fixture, file: string, sha: string): Promise<string> {
  const before = receivedHashes(fx);
  const r = await fx.st.topo.exec('cli', 'socat', ['-u', `FILE:${file}`, `TCP4:${VIP}:5001,connect-timeout=3`], { allowFail: true, timeoutMs: 15_000 });
  assert.equal(r.code, 0, `socat to ${VIP}:5001 failed (exit ${r.code}): ${r.stderr}`);
  return waitFor(
    () => {
      const now = receivedHashes(fx);
      for (const n of NAMES) {
        const added = now[n]!.slice(before[n]!.length);
        if (added.includes(sha)) return n;
      }
      return null;
    },
    10_000,
    { what: 'a receiver to report the short transfer', intervalMs: 50 },
  );
}

/** fulcrumadm in the director namespace (its API is on that loopback). */
async function adm(fx: Fixture, args: string[]): Promise<string> {
  const r = await fx.st.topo.exec('dir', process.execPath, [path.join(repoRoot(), 'dist', 'src', 'cli', 'fulcrumadm.js'), ...args], { allowFail: true, timeoutMs: 15_000 });
  assert.equal(r.code, 0, `fulcrumadm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const countLines = (fx: Fixture, re: RegExp): number => (fx.director.stdout().match(new RegExp(re.source, 'gm')) ?? []).length;

// ---------------------------------------------------------------- the suite

describe('e2e health checks: three FULLNAT real servers with HTTP_GET checks, a sorry server', { skip: SKIP }, () => {
  let fx: Fixture | undefined;
  const timings: string[] = [];

  before(async () => {
    log(`check timing ${JSON.stringify(HC)}: DOWN bound ${DOWN_BOUND_MS} ms, UP bound ${UP_BOUND_MS} ms`);
    fx = await setUp();
  }, { timeout: 120_000 });

  after(async () => {
    if (timings.length) log(`timings: ${timings.join('; ')}`);
    if (fx) log(`daemon health lines:\n${fx.director.stdout().split('\n').filter((l) => l.startsWith('fulcrum: health:')).join('\n')}`);
    await tearDown(fx);
  }, { timeout: 60_000 });

  test('all servers start UP and share the traffic', { timeout: 30_000 }, async () => {
    const all = [...RS.map((a) => [SVC80, `${a}:80`] as [string, string]), ...RS.map((a) => [SVC5001, `${a}:5001`] as [string, string])];
    await waitState(fx!, all, 'UP', Date.now(), 5_000, 'all six checks UP');
    // At least one probe ran and passed on each.
    await waitFor(async () => (await healthRows(fx!)).every((r) => r.checks >= 1 && r.failures === 0), 5_000, { what: 'a first good probe on every check' });
    const rs = await curlMany(fx!, 30);
    assertAll200(fx!, rs, 'baseline');
    assert.deepEqual(tally(rs), { rs1: 10, rs2: 10, rs3: 10 });
  });

  let victim = -1;

  test(`a killed server is DOWN and gets no new connections within ${DOWN_BOUND_MS} ms; a stream to another server goes on`, { timeout: 90_000 }, async () => {
    const before = receivedHashes(fx!);
    // 16 MB at 2 MB/s: about 8 s on the wire, longer than detection plus the checks below.
    const stream = await startStream(fx!, 'stream1.bin', 16, 2);
    try {
      victim = (stream.idx + 1) % 3;
      const vName = NAMES[victim]!;
      const vAddr = RS[victim]!;
      await sleep(1_000); // the stream runs a while first
      const downLines = countLines(fx!, /^fulcrum: health: .* DOWN \(/);
      const t0 = Date.now();
      await fx!.http[victim]!.stop('SIGKILL', 1000);
      const apiMs = await waitState(fx!, [[SVC80, `${vAddr}:80`]], 'DOWN', t0, DOWN_BOUND_MS, `${vName}:80 DOWN in the health API`);
      timings.push(`kill -> DOWN ${apiMs} ms`);
      log(`stream at ${stream.server}; killed ${vName}'s HTTP server; DOWN in the API after ${apiMs} ms (bound ${DOWN_BOUND_MS} ms)`);
      assert.ok(apiMs <= DOWN_BOUND_MS, `DOWN after ${apiMs} ms, bound ${DOWN_BOUND_MS} ms`);
      const row = rowOf(await healthRows(fx!), SVC80, `${vAddr}:80`)!;
      assert.equal(row.lastError, 'connection refused', JSON.stringify(row));
      assert.match(fx!.director.stdout(), new RegExp(`^fulcrum: health: ${SVC80.replace(/\./g, '\\.')} ${vAddr.replace(/\./g, '\\.')}:80 DOWN \\(connection refused\\)$`, 'm'));
      assert.ok(countLines(fx!, /^fulcrum: health: .* DOWN \(/) > downLines);

      // From the bound on, new connections name only the other two.
      const wait = t0 + DOWN_BOUND_MS - Date.now();
      if (wait > 0) await sleep(wait);
      const rs = await curlMany(fx!, 20);
      const t = tally(rs);
      log(`after the kill: ${JSON.stringify(t)}`);
      assertAll200(fx!, rs, `with ${vName} down`);
      assert.equal(t[vName], undefined, `${vName} is down but still named: ${JSON.stringify(t)}`);
      assert.deepEqual(Object.values(t), [10, 10], `split over the two others: ${JSON.stringify(t)}`);
      // fulcrumadm -Ln shows the table as it runs (the DOWN server is out, as
      // ipvsadm -Ln after keepalived); the API keeps the desired config.
      const listing = await adm(fx!, ['-Ln', '-t', `${VIP}:80`]);
      assert.doesNotMatch(listing, new RegExp(`-> ${vAddr.replace(/\./g, '\\.')}:80 `), `fulcrumadm -Ln lists the DOWN server:\n${listing}`);
      assert.equal(listing.split('\n').filter((l) => l.startsWith('  -> ') && !l.includes('RemoteAddress')).length, 2, listing);
      const desired = JSON.parse((await dirGet(fx!, '/api/v1/config')).body) as { services: { port: number; servers: { address: string }[] }[] };
      assert.ok(desired.services.find((s) => s.port === 80)!.servers.some((s) => s.address === vAddr), 'GET /config (desired) still has it');
      assert.equal(stream.sender.child.exitCode, null, 'the stream must still run during the checks');
      const r = await finishStream(fx!, stream, before);
      log(`stream: ${r}`);
    } finally {
      await stream.sender.stop('SIGKILL', 1000);
    }
  });

  test('the restarted server is UP again and back in rotation', { timeout: 60_000 }, async () => {
    assert.ok(victim >= 0, 'needs the previous case');
    const vName = NAMES[victim]!;
    const vAddr = RS[victim]!;
    fx!.http[victim] = startHttp(fx!, `rs${victim + 1}`, vName);
    await waitListening(fx!.st, `rs${victim + 1}`, 80);
    const t0 = Date.now();
    const ms = await waitState(fx!, [[SVC80, `${vAddr}:80`], [SVC5001, `${vAddr}:5001`]], 'UP', t0, UP_BOUND_MS, `${vName} UP again`);
    timings.push(`restart -> UP ${ms} ms`);
    log(`${vName} UP ${ms} ms after it listened again (bound ${UP_BOUND_MS} ms)`);
    assert.ok(ms <= UP_BOUND_MS, `UP after ${ms} ms, bound ${UP_BOUND_MS} ms`);
    assert.match(fx!.director.stdout(), new RegExp(`^fulcrum: health: ${SVC80.replace(/\./g, '\\.')} ${vAddr.replace(/\./g, '\\.')}:80 UP \\(`, 'm'));
    await sleep(300); // the republish after the transition
    const rs = await curlMany(fx!, 30);
    const t = tally(rs);
    log(`after the restart: ${JSON.stringify(t)}`);
    assertAll200(fx!, rs, 'after the restart');
    assert.deepEqual(t, { rs1: 10, rs2: 10, rs3: 10 });
  });

  test('all three servers stopped: the sorry server answers; back when they return', { timeout: 90_000 }, async () => {
    const t0 = Date.now();
    await Promise.all(fx!.http.map((h) => h.stop('SIGKILL', 1000)));
    const ms = await waitState(fx!, RS.map((a) => [SVC80, `${a}:80`]), 'DOWN', t0, DOWN_BOUND_MS, 'all three DOWN');
    timings.push(`kill all -> all DOWN ${ms} ms`);
    log(`all three DOWN after ${ms} ms`);
    assert.ok(ms <= DOWN_BOUND_MS, `all DOWN after ${ms} ms, bound ${DOWN_BOUND_MS} ms`);
    await waitFor(() => /^fulcrum: health: tcp:198\.18\.0\.100:80 quorum lost .*sorry server 198\.19\.0\.14:80 published/m.test(fx!.director.stdout()), 2_000, {
      what: 'the "quorum lost ... sorry server published" log line',
    }).catch(() => assert.fail(`no quorum-lost line\n${fx!.director.logs()}`));
    const wait = t0 + DOWN_BOUND_MS - Date.now();
    if (wait > 0) await sleep(wait);
    const rs = await curlMany(fx!, 10);
    log(`all down: ${JSON.stringify(tally(rs))}`);
    assertAll200(fx!, rs, 'sorry server');
    assert.deepEqual(tally(rs), { sorry: 10 });

    for (let i = 0; i < 3; i++) fx!.http[i] = startHttp(fx!, `rs${i + 1}`, NAMES[i]!);
    for (let i = 0; i < 3; i++) await waitListening(fx!.st, `rs${i + 1}`, 80);
    const t1 = Date.now();
    const up = await waitState(fx!, RS.map((a) => [SVC80, `${a}:80`]), 'UP', t1, UP_BOUND_MS, 'all three UP again');
    timings.push(`restart all -> all UP ${up} ms`);
    assert.ok(up <= UP_BOUND_MS, `all UP after ${up} ms, bound ${UP_BOUND_MS} ms`);
    assert.match(fx!.director.stdout(), /^fulcrum: health: tcp:198\.18\.0\.100:80 quorum gained .*sorry server 198\.19\.0\.14:80 withdrawn/m);
    await waitState(fx!, RS.map((a) => [SVC5001, `${a}:5001`]), 'UP', t1, UP_BOUND_MS, ':5001 checks UP again');
    await sleep(300);
    const back = await curlMany(fx!, 30);
    log(`servers back: ${JSON.stringify(tally(back))}`);
    assertAll200(fx!, back, 'servers back');
    assert.deepEqual(tally(back), { rs1: 10, rs2: 10, rs3: 10 });
  });

  test('HTTP 500 from /health takes a running server out; 200 brings it back', { timeout: 60_000 }, async () => {
    const i = 1;
    const name = NAMES[i]!;
    const addr = RS[i]!;
    const t0 = Date.now();
    fs.writeFileSync(statusFile(fx!, name), '500\n');
    const ms = await waitState(fx!, [[SVC80, `${addr}:80`]], 'DOWN', t0, DOWN_BOUND_MS, `${name} DOWN on status 500`);
    timings.push(`500 -> DOWN ${ms} ms`);
    log(`${name} /health 500: DOWN after ${ms} ms`);
    assert.ok(ms <= DOWN_BOUND_MS, `DOWN after ${ms} ms, bound ${DOWN_BOUND_MS} ms`);
    assert.equal(rowOf(await healthRows(fx!), SVC80, `${addr}:80`)!.lastError, 'status 500');
    assert.match(fx!.director.stdout(), new RegExp(`^fulcrum: health: ${SVC80.replace(/\./g, '\\.')} ${addr.replace(/\./g, '\\.')}:80 DOWN \\(status 500\\)$`, 'm'));
    assert.equal(fx!.http[i]!.child.exitCode, null, 'the server process keeps running');
    const wait = t0 + DOWN_BOUND_MS - Date.now();
    if (wait > 0) await sleep(wait);
    const rs = await curlMany(fx!, 20);
    log(`${name} answering 500: ${JSON.stringify(tally(rs))}`);
    assertAll200(fx!, rs, `${name} failing its check`);
    assert.equal(tally(rs)[name], undefined, `${name} fails its check but got new connections: ${JSON.stringify(tally(rs))}`);
    assert.deepEqual(Object.values(tally(rs)), [10, 10]);

    const t1 = Date.now();
    fs.rmSync(statusFile(fx!, name));
    const up = await waitState(fx!, [[SVC80, `${addr}:80`]], 'UP', t1, UP_BOUND_MS, `${name} UP on status 200`);
    timings.push(`200 -> UP ${up} ms`);
    assert.ok(up <= UP_BOUND_MS, `UP after ${up} ms, bound ${UP_BOUND_MS} ms`);
    await waitState(fx!, [[SVC5001, `${addr}:5001`]], 'UP', t1, UP_BOUND_MS, `${name}:5001 UP on status 200`);
    await sleep(300);
    const back = await curlMany(fx!, 30);
    assertAll200(fx!, back, `${name} back`);
    assert.deepEqual(tally(back), { rs1: 10, rs2: 10, rs3: 10 });
  });

  test(`a server that accepts but never answers /health is DOWN within ${HANG_DOWN_BOUND_MS} ms (connectTimeout)`, { timeout: 60_000 }, async () => {
    const i = 2;
    const name = NAMES[i]!;
    const addr = RS[i]!;
    const t0 = Date.now();
    fs.writeFileSync(statusFile(fx!, name), 'hang\n');
    const ms = await waitState(fx!, [[SVC80, `${addr}:80`]], 'DOWN', t0, HANG_DOWN_BOUND_MS, `${name} DOWN on a hanging /health`);
    timings.push(`hang -> DOWN ${ms} ms`);
    log(`${name} /health hangs: DOWN after ${ms} ms (bound ${HANG_DOWN_BOUND_MS} ms)`);
    assert.ok(ms <= HANG_DOWN_BOUND_MS, `DOWN after ${ms} ms, bound ${HANG_DOWN_BOUND_MS} ms`);
    // The round needs retry + 1 timed-out probes: not faster than that.
    assert.ok(ms >= (HC.retry + 1) * HC.connectTimeout * 1000 + HC.retry * HC.delayBeforeRetry * 1000 - 100, `DOWN after only ${ms} ms`);
    assert.equal(rowOf(await healthRows(fx!), SVC80, `${addr}:80`)!.lastError, 'timeout');
    const wait = t0 + HANG_DOWN_BOUND_MS - Date.now();
    if (wait > 0) await sleep(wait);
    const rs = await curlMany(fx!, 20);
    assertAll200(fx!, rs, `${name} hanging`);
    assert.equal(tally(rs)[name], undefined, `${name} hangs but got new connections: ${JSON.stringify(tally(rs))}`);

    const t1 = Date.now();
    fs.rmSync(statusFile(fx!, name));
    // A probe still hanging at that moment times out first: one connectTimeout more.
    const upBound = UP_BOUND_MS + HC.connectTimeout * 1000;
    const up = await waitState(fx!, [[SVC80, `${addr}:80`], [SVC5001, `${addr}:5001`]], 'UP', t1, upBound, `${name} UP again`);
    timings.push(`answers again -> UP ${up} ms`);
    assert.ok(up <= upBound, `UP after ${up} ms, bound ${upBound} ms`);
    await sleep(300);
    const back = await curlMany(fx!, 30);
    assertAll200(fx!, back, `${name} back`);
    assert.deepEqual(tally(back), { rs1: 10, rs2: 10, rs3: 10 });
  });

  test('inhibitOnFailure: a DOWN server stays at weight 0, gets no new connections, its stream goes on', { timeout: 90_000 }, async () => {
    const before = receivedHashes(fx!);
    const stream = await startStream(fx!, 'stream2.bin', 16, 2);
    const small = randomFile(fx!.work, 'small.bin', 1);
    try {
      const name = stream.server;
      const addr = RS[stream.idx]!;
      await sleep(1_000);
      const t0 = Date.now();
      fs.writeFileSync(statusFile(fx!, name), '500\n');
      const ms = await waitState(fx!, [[SVC5001, `${addr}:5001`]], 'DOWN', t0, DOWN_BOUND_MS, `${name}:5001 DOWN`);
      log(`stream at ${name}; ${name}:5001 DOWN after ${ms} ms`);
      assert.ok(ms <= DOWN_BOUND_MS, `DOWN after ${ms} ms, bound ${DOWN_BOUND_MS} ms`);
      const wait = t0 + DOWN_BOUND_MS - Date.now();
      if (wait > 0) await sleep(wait);

      const m = await dirGet(fx!, '/metrics');
      assert.equal(m.status, 200, `GET /metrics: HTTP ${m.status}`);
      const show = (n: string, p: number) => RS.map((a) => `${a}:${p}=${backendMetric(m.body, n, p, a)}`).join(' ');
      log(`/metrics: fulcrum_backend_up ${show('fulcrum_backend_up', 5001)}; node_ipvs_backend_weight ${show('node_ipvs_backend_weight', 5001)} (:80 ${show('node_ipvs_backend_weight', 80)})`);
      assert.equal(backendMetric(m.body, 'fulcrum_backend_up', 5001, addr), 0, 'fulcrum_backend_up of the DOWN :5001 backend');
      assert.equal(backendMetric(m.body, 'node_ipvs_backend_weight', 5001, addr), 0, 'node_ipvs_backend_weight of the inhibited backend');
      for (const a of RS.filter((x) => x !== addr)) {
        assert.equal(backendMetric(m.body, 'fulcrum_backend_up', 5001, a), 1, `fulcrum_backend_up ${a}:5001`);
        assert.equal(backendMetric(m.body, 'node_ipvs_backend_weight', 5001, a), 1, `node_ipvs_backend_weight ${a}:5001`);
      }

      // New :5001 connections avoid it.
      const got: string[] = [];
      for (let k = 0; k < 4; k++) got.push(await shortTransfer(fx!, small.file, small.sha));
      log(`new :5001 connections with ${name} inhibited: ${got.join(', ')}`);
      assert.ok(!got.includes(name), `${name} is at weight 0 but got new connections: ${got.join(', ')}`);
      // inhibit_on_failure as ipvsadm -Ln shows it after keepalived: listed at weight 0.
      const listing = await adm(fx!, ['-Ln', '-t', `${VIP}:5001`]);
      assert.match(listing, new RegExp(`-> ${addr.replace(/\./g, '\\.')}:5001 +FullNat +0 `), `fulcrumadm -Ln shows the inhibited server at weight 0:\n${listing}`);
      assert.equal(stream.sender.child.exitCode, null, 'the stream must still run during the checks');
      const r = await finishStream(fx!, stream, before);
      log(`inhibited stream: ${r}`);

      fs.rmSync(statusFile(fx!, name));
      await waitState(fx!, [[SVC5001, `${addr}:5001`], [SVC80, `${addr}:80`]], 'UP', Date.now(), UP_BOUND_MS, `${name} UP again`);
    } finally {
      await stream.sender.stop('SIGKILL', 1000);
      fs.rmSync(small.file, { force: true });
    }
  });
});

test('root check (as root the health e2e suite above must not skip)', () => {
  if (!isRoot()) process.stderr.write('!!!!!!!! not root: health end-to-end tests were skipped !!!!!!!!\n');
  assert.equal(SKIP === false, isRoot());
});
