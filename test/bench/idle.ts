// `npm run bench:idle` (root; not a test): what idle-aware polling costs and
// saves. For busy polling (dataplane.idleSleepUs 0) and the back-off capped
// at a few values on the standard topology's AF_XDP ports, then busy
// polling, the back-off and the Rx-interrupt sleep on net_tap ports (the
// port PMD here with Rx interrupts; test/lib/tap-ports.ts), FULLNAT over
// three nginx real servers, in one run:
//   - CPU of the idle worker thread over 5 s, in % of one core
//   - request latency at a low rate: 300 requests, one every 10 ms, each a
//     new connection (p50 / p99 / max, ms)
//   - requests/s at full load: wrk, 1 thread, 32 connections, 5 s, 3 runs
// Prints figures only; asserts nothing about time.
import fs from 'node:fs';
import { deepMerge, standardDirectorConfig } from '../lib/netns';
import { startNginxServers } from '../lib/nginx';
import { wrk } from '../lib/load';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';
import { PY } from '../lib/scripts';
import { spliceTapPorts, tapPortsConfig } from '../lib/tap-ports';

const VIP = '198.18.0.100';
const CAPS = (process.env.BENCH_IDLE_CAPS ?? '0,20,200,1000').split(',').map(Number);
const TAP = process.env.BENCH_IDLE_TAP !== '0';

interface Case { label: string; cap: number; tap: boolean; rxInterrupts: boolean }

const LATENCY_PY = String.raw`
import socket, sys, time
host, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000
req = ('GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % host).encode()
out = []
for i in range(n):
    t0 = time.perf_counter()
    s = socket.create_connection((host, 80), timeout=5)
    s.sendall(req)
    while s.recv(65536):
        pass
    s.close()
    out.append((time.perf_counter() - t0) * 1000)
    time.sleep(gap)
out.sort()
print('%.3f %.3f %.3f' % (out[len(out) // 2], out[int(len(out) * 0.99) - 1], out[-1]))
`;


/** utime + stime (clock ticks) of every thread named rte-worker-N (DPDK 22.11). */
function workerTicks(): number {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (!/^(rte|lcore)-worker-\d+$/.test(comm)) continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]);
      } catch {
        /* gone */
      }
    }
  }
  return ticks;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

async function measure(c: Case): Promise<string> {
  let sd: StandardDirector | undefined;
  const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
  try {
    sd = await startStandardDirector({
      suite: 'bench-idle',
      config: deepMerge(base, {
        dataplane: { idleSleepUs: c.cap, rxInterrupts: c.rxInterrupts },
        ...(c.tap ? { ports: tapPortsConfig(base) } : {}),
        lipPools: { default: ['198.19.0.2'] },
        services: [{ protocol: 'tcp', vip: VIP, port: 80, scheduler: 'rr', lipPool: 'default',
          servers: ['198.19.0.11', '198.19.0.12', '198.19.0.13'].map((a) => ({ address: a, port: 80, weight: 1, method: 'fullnat' })) }],
      }),
      prepare: async (st, work) => {
        if (c.tap) await spliceTapPorts(st);
        startNginxServers(st, work, { keepAlive: true });
      },
      listeners: onRealServers(3, [80]),
    });
    const topo = sd.st.topo;
    await sleep(2000);
    const hz = 100;   // USER_HZ
    const t0 = workerTicks();
    await sleep(5000);
    const idleCpu = ((workerTicks() - t0) / hz / 5) * 100;
    const lat = await topo.exec('cli', PY, ['-c', LATENCY_PY, VIP, '300', '10'], { timeoutMs: 60_000 });
    const [p50, p99, max] = lat.stdout.trim().split(' ').map(Number);
    const rps: number[] = [];
    for (let r = 0; r < 3; r++) {
      rps.push((await wrk(topo, 'cli', `http://${VIP}/`, 5))?.requestsPerSec ?? 0);
    }
    return `${c.label.padEnd(34)} ${idleCpu.toFixed(1).padStart(8)}% ${p50!.toFixed(2).padStart(8)} ${p99!.toFixed(2).padStart(8)} ${max!.toFixed(2).padStart(8)}` +
      `   ${Math.min(...rps).toFixed(0)} / ${median(rps).toFixed(0)} / ${Math.max(...rps).toFixed(0)}`;
  } finally {
    await sd?.stop();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench:idle needs root (network namespaces)');
    process.exit(1);
  }
  console.log('idle-aware polling: FULLNAT over 3 nginx, one worker (its lcore shares the CPU with the test)');
  console.log(`${'ports, idle scheme'.padEnd(34)} ${'idle CPU'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}   full load req/s min / median / max`);
  const scheme = (cap: number): string => (cap === 0 ? 'busy poll (0)' : `back-off to ${cap} us`);
  const cases: Case[] = CAPS.map((cap) => ({ label: `AF_XDP, ${scheme(cap)}`, cap, tap: false, rxInterrupts: false }));
  if (TAP) {
    cases.push({ label: 'net_tap, busy poll (0)', cap: 0, tap: true, rxInterrupts: false });
    cases.push({ label: 'net_tap, back-off to 200 us', cap: 200, tap: true, rxInterrupts: false });
    cases.push({ label: 'net_tap, Rx interrupts (200)', cap: 200, tap: true, rxInterrupts: true });
  }
  for (const c of cases) console.log(await measure(c));
}

void main();
