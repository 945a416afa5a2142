// End-to-end SMTP_CHECK, DNS_CHECK, UDP_CHECK and PING_CHECK against real
// daemons, probed by the real `fulcrum daemon` from its director namespace
// through the kernel twin, as keepalived would probe them:
//
//   - rs1 :25   Python's smtpd (a real SMTP server), checked by SMTP_CHECK for
//               two services (VIP:25 and VIP:2525 both to rs1:25, the same
//               check: one shared probe, as keepalived probes a
//               virtual_server_group's real server once), with a real-server
//               notify_down that must run once
//   - rs2 :53   dnsmasq answering example.test, checked by DNS_CHECK (type A)
//   - rs3 :7000 socat echoing UDP, checked by UDP_CHECK with require_reply
//   - rs3       PING_CHECK (VIP:8080), failed by making rs3 ignore echo requests
//
// Each starts UP, goes DOWN when its daemon stops (the ICMP port
// unreachable of a UDP port counts, as in keepalived), and comes back when
// it returns. Needs root; without it every case skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { skipUnlessRoot, standardDirectorConfig, deepMerge, waitFor, type Spawned } from '../lib/netns';
import { startStandardDirector, type StandardDirector } from '../lib/standard-director';
import { PY } from '../lib/scripts';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/health-checkers SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const [RS1, RS2, RS3] = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const API = 'http://127.0.0.1:9180';
const HC = { delayLoop: 1, connectTimeout: 1, retry: 0, delayBeforeRetry: 0.2, rise: 1, fall: 1 };
const PAYLOAD = Buffer.from('fulcrum-udp-check').toString('hex');
/** From a failure to DOWN published: a round, its probe's timeout, slack. */
const BOUND_MS = 8_000;

const log = (m: string): void => {
  process.stderr.write(`[health-checkers] ${m}\n`);
};

function config(work: string): Record<string, unknown> {
  const smtp = (port: number) => ({
    protocol: 'tcp', vip: VIP, port, scheduler: 'rr', lipPool: 'default',
    servers: [{
      address: RS1, port: 25, weight: 1, method: 'fullnat',
      healthCheck: { type: 'smtp', ...HC, smtp: { helo: 'director.example.test' } },
      notify: { down: `echo "$3 $2" >> ${work}/notify.log` },
    }],
  });
  return deepMerge(standardDirectorConfig(), {
    lipPools: { default: ['198.19.0.2'] },
    services: [
      smtp(25),
      smtp(2525),
      {
        protocol: 'udp', vip: VIP, port: 53, scheduler: 'rr', lipPool: 'default',
        servers: [{ address: RS2, port: 53, weight: 1, method: 'fullnat', healthCheck: { type: 'dns', ...HC, dns: { type: 'A', name: 'example.test' } } }],
      },
      {
        protocol: 'udp', vip: VIP, port: 7000, scheduler: 'rr', lipPool: 'default',
        servers: [{ address: RS3, port: 7000, weight: 1, method: 'fullnat', healthCheck: { type: 'udp', ...HC, udp: { payload: PAYLOAD, reply: PAYLOAD } } }],
      },
      {
        protocol: 'tcp', vip: VIP, port: 8080, scheduler: 'rr', lipPool: 'default',
        servers: [{ address: RS3, port: 8080, weight: 1, method: 'fullnat', healthCheck: { type: 'ping', ...HC } }],
      },
    ],
  });
}

interface Row { service: string; server: string; type: string; state: 'UP' | 'DOWN'; lastError: string | null; checks: number; since: string }

describe('e2e health checkers against real daemons (SMTP, DNS, UDP, PING)', { skip: SKIP || false }, () => {
  let fx: StandardDirector;
  /** The topology and work dir, from prepare() on (before the director exists). */
  let at: Pick<StandardDirector, 'st' | 'work'>;
  const procs: Record<string, Spawned> = {};
  const startSmtp = () => { procs.smtp = at.st.topo.spawn('rs1', PY, ['-W', 'ignore', '-m', 'smtpd', '-n', '-c', 'DebuggingServer', `${RS1}:25`]); };
  const startDns = () => {
    procs.dns = at.st.topo.spawn('rs2', 'dnsmasq', ['--keep-in-foreground', '--no-resolv', '--no-hosts', '--user=root', '--bind-interfaces',
      `--listen-address=${RS2}`, '--port=53', `--address=/example.test/${RS2}`, `--pid-file=${at.work}/dnsmasq.pid`]);
  };
  const startUdp = () => { procs.udp = at.st.topo.spawn('rs3', 'socat', ['UDP4-RECVFROM:7000,reuseaddr,fork', 'SYSTEM:cat']); };

  before(async () => {
    fx = await startStandardDirector({
      suite: 'health-checkers',
      config,
      prepare: (st, work) => {
        fs.writeFileSync(path.join(work, 'notify.log'), '');
        at = { st, work };
        startSmtp();
        startDns();
        startUdp();
      },
      listeners: { rs1: [25] },
    });
  });
  after(async () => {
    await fx?.stop();
  });

  const rows = async (): Promise<Row[]> => {
    const r = await fx.st.topo.exec('dir', 'curl', ['-s', '--max-time', '3', `${API}/api/v1/health/servers`], { allowFail: true, timeoutMs: 6_000 });
    try {
      return JSON.parse(r.stdout) as Row[];
    } catch {
      return [];
    }
  };
  const stateOf = async (service: string): Promise<Row | undefined> => (await rows()).find((x) => x.service === service);
  const waitState = async (service: string, state: 'UP' | 'DOWN', what: string): Promise<Row> => {
    const t0 = Date.now();
    let last: Row | undefined;
    await waitFor(async () => (last = await stateOf(service))?.state === state, BOUND_MS, { what: `${what}: ${service} ${state} (last: ${JSON.stringify(last)})`, intervalMs: 100 });
    log(`${what}: ${service} ${state} after ${Date.now() - t0} ms (${last!.lastError ?? 'no error'})`);
    return last!;
  };

  test('every checker starts UP against its running daemon', async () => {
    for (const svc of [`tcp:${VIP}:25`, `tcp:${VIP}:2525`, `udp:${VIP}:53`, `udp:${VIP}:7000`, `tcp:${VIP}:8080`]) {
      await waitFor(async () => ((await stateOf(svc))?.checks ?? 0) >= 2, BOUND_MS, { what: `${svc} checked twice` });
      const r = (await stateOf(svc))!;
      assert.equal(r.state, 'UP', `${svc}: ${JSON.stringify(r)}`);
      assert.equal(r.lastError, null, `${svc}: ${JSON.stringify(r)}`);
    }
    assert.deepEqual((await rows()).map((r) => r.type).sort(), ['dns', 'ping', 'smtp', 'smtp', 'udp']);
  });

  test('the SMTP server answers through the VIP (the service is real, not only checked)', async () => {
    const r = await fx.st.topo.exec('cli', 'socat', ['-T', '3', '-', `TCP:${VIP}:25,connect-timeout=3`], { input: 'QUIT\r\n', allowFail: true, timeoutMs: 6_000 });
    assert.match(r.stdout, /^220 /, r.stdout + r.stderr);
  });

  test('SMTP_CHECK: two services with the same server and check share one probe; the server notify runs once', async () => {
    const [a, b] = [(await stateOf(`tcp:${VIP}:25`))!, (await stateOf(`tcp:${VIP}:2525`))!];
    assert.equal(a.since, b.since, 'one state');
    assert.equal(a.checks, b.checks, 'one probe, counted once for both');
    await procs.smtp!.stop();
    const down = await waitState(`tcp:${VIP}:25`, 'DOWN', 'smtpd stopped');
    assert.equal(down.lastError, 'connection refused');
    assert.equal((await stateOf(`tcp:${VIP}:2525`))!.state, 'DOWN');
    await new Promise((r) => setTimeout(r, 1500));
    const lines = fs.readFileSync(path.join(fx.work, 'notify.log'), 'utf8').trim().split('\n').filter(Boolean);
    assert.deepEqual(lines, [`DOWN ${RS1}:25`], 'one notify for the shared probe');
    startSmtp();
    await waitState(`tcp:${VIP}:25`, 'UP', 'smtpd restarted');
  });

  test('DNS_CHECK: dnsmasq answering is UP; stopped, the port refuses: DOWN; back: UP', async () => {
    assert.equal((await stateOf(`udp:${VIP}:53`))!.state, 'UP');
    await procs.dns!.stop();
    const down = await waitState(`udp:${VIP}:53`, 'DOWN', 'dnsmasq stopped');
    assert.equal(down.lastError, 'connection refused');
    startDns();
    await waitState(`udp:${VIP}:53`, 'UP', 'dnsmasq restarted');
  });

  test('UDP_CHECK with require_reply: the echo is UP; stopped: DOWN; back: UP', async () => {
    await procs.udp!.stop();
    await waitState(`udp:${VIP}:7000`, 'DOWN', 'socat stopped');
    startUdp();
    await waitState(`udp:${VIP}:7000`, 'UP', 'socat restarted');
  });

  test('PING_CHECK: a server that ignores echo requests is DOWN; answering again, UP', async () => {
    await fx.st.topo.exec('rs3', 'sysctl', ['-qw', 'net.ipv4.icmp_echo_ignore_all=1']);
    try {
      const down = await waitState(`tcp:${VIP}:8080`, 'DOWN', 'rs3 ignores pings');
      assert.match(down.lastError ?? '', /no echo reply|ping: /);
    } finally {
      await fx.st.topo.exec('rs3', 'sysctl', ['-qw', 'net.ipv4.icmp_echo_ignore_all=0']);
    }
    await waitState(`tcp:${VIP}:8080`, 'UP', 'rs3 answers pings');
  });
});
