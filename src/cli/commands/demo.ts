// `fulcrum demo`: a self-contained showcase in network namespaces (root only).
//
// Builds a client, a director and three real servers (python3 http.server on
// port 80), starts the director daemon inside the director namespace, then
// shows the DPDK fast path (ping to the VIP and the DIP) and the exception path
// (TCP 2222 on the DIP, served by the director's kernel via the net_tap twin).
// Without --once it keeps running until SIGINT/SIGTERM; either way it cleans up.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { deepMerge, PLAN, standardDirectorConfig, standardTopology, type StandardTopology } from '../../topology/standard';
import { startDirector, type DirectorHandle } from '../../topology/director';

/** The demo's director: the standard one with a FULLNAT rr service over the
 * three real servers, each health-checked over HTTP every second. */
export function demoDirectorConfig(): Record<string, unknown> {
  return deepMerge(standardDirectorConfig(), {
    services: [{
      protocol: 'tcp', vip: PLAN.vip, port: 80, scheduler: 'rr', lipPool: 'default',
      servers: PLAN.realServers.map((address) => ({
        address, port: 80, weight: 1, method: 'fullnat',
        healthCheck: { type: 'http', delayLoop: 1, connectTimeout: 1, retry: 0, http: { path: '/' } },
      })),
    }],
  });
}

export interface DemoOptions {
  /** Exit after the checks instead of waiting for Ctrl-C. */
  once?: boolean;
  /** Namespace prefix (default "fldemo"). */
  prefix?: string;
  /** How long to wait for "fulcrum: up" (default 30 s). */
  upTimeoutMs?: number;
  /** Output sink (default console.log). */
  log?: (line: string) => void;
  /** Path of the fulcrum CLI script (default: dist/src/cli/fulcrum.js next to this file). */
  cliPath?: string;
}

export interface DemoCheck {
  name: string;
  ok: boolean;
  detail: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(pred: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Run the demo. Resolves with a process exit code: 0 when every check passed
 * (and, without --once, after a clean Ctrl-C), 1 otherwise.
 */
export async function runDemo(opts: DemoOptions = {}): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    log('demo: must run as root (network namespaces, DPDK): sudo ./scripts/demo.sh');
    return 1;
  }
  const prefix = opts.prefix ?? 'fldemo';
  let st: StandardTopology | undefined;
  let director: DirectorHandle | undefined;
  const P = PLAN;
  try {
    log('demo: building namespaces: client, director, switch, rs1..rs3');
    st = await standardTopology({
      prefix, realServers: 3,
      onLeftovers: (names) => log(`demo: removed leftovers of an earlier run: ${names.join(' ')}`),
    });
    const topo = st.topo;
    const workdir = topo.tmpDir();

    // Real servers: python3 http.server on :80, a page naming the server.
    for (let i = 1; i <= 3; i++) {
      const ip = P.realServers[i - 1];
      const root = path.join(workdir, `rs${i}`);
      fs.mkdirSync(root, { recursive: true });
      fs.writeFileSync(path.join(root, 'index.html'), `rs${i} ${ip}\n`);
      topo.spawn(`rs${i}`, 'python3', ['-m', 'http.server', '80', '--bind', ip, '--directory', root], { cwd: root });
    }
    for (let i = 1; i <= 3; i++) {
      const ip = P.realServers[i - 1];
      const up = await waitUntil(async () => {
        const r = await topo.exec(`rs${i}`, 'curl', ['-s', '--max-time', '2', `http://${ip}/`], { allowFail: true });
        return r.stdout.includes(ip);
      }, 10_000, 200);
      if (!up) throw new Error(`real server rs${i} (${ip}) http.server did not come up`);
    }
    log(`demo: real servers up: ${P.realServers.map((ip, i) => `rs${i + 1} http://${ip}/`).join(', ')}`);

    // Director.
    const cfgPath = path.join(workdir, 'fulcrum.json');
    fs.writeFileSync(cfgPath, JSON.stringify(demoDirectorConfig(), null, 2) + '\n');
    // The demo's own state file: never pick up (or clobber) a real director's.
    const statePath = path.join(workdir, 'state.json');
    log(`demo: starting director in ${topo.ns('dir')}: fulcrum daemon --config ${cfgPath} --state ${statePath}`);
    director = await startDirector(cfgPath, {
      ns: topo.ns('dir'), timeoutMs: opts.upTimeoutMs ?? 30_000, args: ['--state', statePath],
      ...(opts.cliPath ? { cli: opts.cliPath } : {}),
    });
    const d = director;
    log('demo: director up');

    // Exception-path service on the director's kernel.
    const svc = topo.spawn('dir', 'socat', [
      `TCP-LISTEN:2222,bind=${P.clientDip},fork,reuseaddr`,
      "SYSTEM:echo exception-path-ok",
    ]);
    await waitUntil(async () => {
      const r = await topo.exec('dir', 'ss', ['-Hltn', 'sport = :2222'], { allowFail: true });
      return r.stdout.includes('2222') || svc.child.exitCode !== null;
    }, 5000);

    const checks = await runChecks(st, log);
    log('');
    log('demo results:');
    for (const c of checks) log(`  ${c.ok ? 'OK  ' : 'FAIL'}  ${c.name}${c.detail ? `  -> ${c.detail}` : ''}`);
    log('');
    const allOk = checks.every((c) => c.ok);
    if (!allOk) {
      log('--- director stdout ---');
      log(d.stdout().trimEnd());
      log('--- director stderr ---');
      log(d.stderr().trimEnd());
    }

    if (opts.once) return allOk ? 0 : 1;

    // Light traffic from the client while the demo runs: 2 requests a
    // second, at most an hour's worth.
    topo.spawn('cli', 'sh', ['-c', `for i in $(seq 1 7200); do curl -s -o /dev/null --max-time 2 http://${P.vip}/; sleep 0.5; done`]);
    const inDir = `ip netns exec ${topo.ns('dir')}`;
    const cli = opts.cliPath ?? path.resolve(__dirname, '..', 'fulcrum.js');
    const adm = path.join(path.dirname(cli), 'fulcrumadm.js');
    for (const l of [
      'demo: running, with 2 requests a second from the client to the VIP. The director, from its namespace:',
      `  API      ${inDir} curl -s http://127.0.0.1:9180/api/v1/stats`,
      `  metrics  ${inDir} curl -s http://127.0.0.1:9180/metrics`,
      `  table    ${inDir} ${process.execPath} ${adm} -Ln --rate`,
      'Try:',
      `  curl the VIP:     ip netns exec ${topo.ns('cli')} curl http://${P.vip}/`,
      `  drain rs1:        ${inDir} ${process.execPath} ${adm} -e -t ${P.vip}:80 -r ${P.realServers[0]}:80 --fullnat -w 0   (its CONN/S falls to 0)`,
      `  stop rs2:         kill the http.server in ${topo.ns('rs2')} (ip netns pids ${topo.ns('rs2')}); the health check takes it out`,
      `  exception path:   ip netns exec ${topo.ns('cli')} curl --http0.9 http://${P.clientDip}:2222/`,
      `demo: fulcrum top follows (${inDir} ${process.execPath} ${cli} top); Ctrl-C stops the demo`,
    ]) log(l);
    // fulcrum top on this terminal, against the director's API in its namespace.
    const top = spawn('ip', ['netns', 'exec', topo.ns('dir'), process.execPath, cli, 'top'], { stdio: ['ignore', 'inherit', 'inherit'] });
    const why = await new Promise<string>((resolve) => {
      const onSig = (s: NodeJS.Signals): void => resolve(s);
      process.once('SIGINT', onSig);
      process.once('SIGTERM', onSig);
      void d.exited.then((code) => resolve(`director exited (code ${code})`));
    });
    top.kill('SIGTERM');
    log(`demo: ${why}, cleaning up`);
    if (why.startsWith('director exited')) {
      log(d.stderr().trimEnd());
      return 1;
    }
    return allOk ? 0 : 1;
  } catch (e) {
    log(`demo: ERROR: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await director?.stop().catch(() => null);
    await st?.destroy();
    log('demo: cleaned up');
  }
}

async function runChecks(st: StandardTopology, log: (line: string) => void): Promise<DemoCheck[]> {
  const P = PLAN;
  const topo = st.topo;
  const cli = 'cli';
  const checks: DemoCheck[] = [];

  const pingCheck = async (dst: string, what: string): Promise<DemoCheck> => {
    // First probe may wait for ARP resolution: allow a few tries.
    const r = await topo.exec(cli, 'ping', ['-n', '-c', '3', '-i', '0.3', '-W', '2', dst], { allowFail: true, timeoutMs: 15_000 });
    const summary = r.stdout.split('\n').find((l) => /packets transmitted/.test(l)) ?? r.stderr.trim();
    const rtt = r.stdout.split('\n').find((l) => /^rtt|^round-trip/.test(l)) ?? '';
    return { name: `ping ${what} ${dst} from client (DPDK fast path)`, ok: r.code === 0, detail: `${summary.trim()}${rtt ? `; ${rtt.trim()}` : ''}` };
  };
  checks.push(await pingCheck(P.vip, 'VIP'));
  checks.push(await pingCheck(P.clientDip, 'DIP'));

  const curl = await topo.exec(cli, 'curl', ['-s', '--http0.9', '--max-time', '5', `http://${P.clientDip}:2222/`], { allowFail: true, timeoutMs: 10_000 });
  checks.push({
    name: `curl http://${P.clientDip}:2222/ from client (director kernel via exception path)`,
    ok: curl.stdout.includes('exception-path-ok'),
    detail: curl.stdout.trim() || `curl exit ${curl.code} ${curl.stderr.trim()}`,
  });

  const sc = await topo.exec(cli, 'socat', ['-T', '5', '-u', `TCP:${P.clientDip}:2222,connect-timeout=5`, 'STDOUT'], { allowFail: true, timeoutMs: 10_000 });
  checks.push({
    name: `socat TCP:${P.clientDip}:2222 from client (exception path)`,
    ok: sc.stdout.includes('exception-path-ok'),
    detail: sc.stdout.trim() || `socat exit ${sc.code} ${sc.stderr.trim()}`,
  });

  // FULLNAT: six HTTP requests to the VIP, balanced rr over the three servers.
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await topo.exec(cli, 'curl', ['-s', '--max-time', '5', `http://${P.vip}/`], { allowFail: true, timeoutMs: 10_000 });
    const who = r.stdout.trim().split('\n')[0] || `curl exit ${r.code}`;
    answers.push(who);
    log(`demo: curl http://${P.vip}/ #${i + 1} -> ${who}`);
  }
  const seen = new Set(answers.filter((a) => /^rs\d/.test(a)).map((a) => a.split(' ')[0]));
  checks.push({
    name: `6 x curl http://${P.vip}/ balanced over ${P.realServers.length} real servers (FULLNAT, rr)`,
    ok: seen.size === P.realServers.length && answers.every((a) => /^rs\d/.test(a)),
    detail: answers.join(', '),
  });
  return checks;
}
