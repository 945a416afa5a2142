// `npm run bench:peers` (root; not a test): Fulcrum against the balancers an
// operator would otherwise run, on one topology (client -> director -> three
// nginx real servers, built fresh for each balancer), in one run:
//   - plain routing by the director's kernel (the client asks one real server
//     directly: the limit of this machine), nftables DNAT (numgen round
//     robin, conntrack), HAProxy mode tcp and nginx stream (one thread or
//     worker each, bound on the VIP in the director's kernel)
//   - Fulcrum FULLNAT and DR (rr, one worker) on each port type: AF_XDP
//     (iface:) and af_packet
// each with wrk keep-alive and with `Connection: close`, BENCH_PEERS_RUNS runs
// (3) of BENCH_PEERS_S seconds (8). It prints min / median / max requests/s
// (with close, each request is a connection) and CPU-seconds per 100k
// requests: the balancer's own (its processes' user+system time, a poller's
// spinning included; for the in-kernel peers, the machine's time less the
// client's and real servers' processes, an upper bound) and the whole
// machine's. Prints figures only; asserts nothing about time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  deepMerge, PLAN, repoRoot, standardDirectorConfig, standardTopology, waitFor, type DirectorHandle, type Spawned, type StandardTopology,
} from '../lib/netns';
import { startNginxServers } from '../lib/nginx';
import { wrk } from '../lib/load';
import { waitListening } from '../lib/standard-director';

const SECS = Number(process.env.BENCH_PEERS_S ?? 8);
const RUNS = Number(process.env.BENCH_PEERS_RUNS ?? 3);
const ONLY = process.env.BENCH_PEERS_ONLY?.split(',');
const HZ = 100; // USER_HZ
const VIP = PLAN.vip;
const RS = PLAN.realServers;

/** A balancer set up in the director namespace for a series of runs. */
interface Running {
  url: string;
  /** CPU ticks its processes used so far (undefined: in the kernel, no process). */
  ticks(): number | undefined;
  /** Fulcrum FULLNAT: `kill -9` and start again (the restart-safe LIP ports case). */
  restart?(): Promise<void>;
  stop(): Promise<void>;
}
interface Peer {
  name: string;
  start(st: StandardTopology, work: string): Promise<Running>;
}

/** utime + stime of every thread of every process in `pids`. */
function ticksOf(pids: number[]): number {
  let t = 0;
  for (const pid of pids) {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        t += Number(f[11]) + Number(f[12]);
      } catch {
        /* gone */
      }
    }
  }
  return t;
}

/** Busy ticks of the whole machine (/proc/stat: everything but idle and iowait). */
function machineTicks(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
}

/** Processes in a named namespace: their /proc/PID/ns/net is the same inode as /run/netns/NS. */
function nsInode(ns: string): number {
  return fs.statSync(`/run/netns/${ns}`).ino;
}
function pidsInNs(ns: string): number[] {
  const ino = nsInode(ns);
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return fs.statSync(`/proc/${pid}/ns/net`).ino === ino;
    } catch {
      return false;
    }
  });
}

/** The director's kernel as a router: addresses on its veths, ARP on, forwarding. */
async function kernelDirector(st: StandardTopology, withVip: boolean): Promise<() => Promise<void>> {
  const t = st.topo;
  const ip = (args: string[]): Promise<unknown> => t.exec('dir', 'ip', args);
  for (const i of ['dcli', 'dsrv']) await ip(['link', 'set', 'dev', i, 'arp', 'on']);
  await ip(['addr', 'add', `${PLAN.clientDip}/24`, 'dev', 'dcli']);
  await ip(['addr', 'add', `${PLAN.serverDip}/24`, 'dev', 'dsrv']);
  if (withVip) await ip(['addr', 'add', `${VIP}/32`, 'dev', 'dcli']);
  await t.sysctl('dir', 'net.ipv4.ip_forward', '1');
  await t.sysctl('dir', 'net.ipv4.conf.all.rp_filter', '0');
  for (const i of ['dcli', 'dsrv']) await t.sysctl('dir', `net.ipv4.conf.${i}.rp_filter`, '0');
  return async () => {
    for (const i of ['dcli', 'dsrv']) {
      await ip(['addr', 'flush', 'dev', i]);
      await ip(['link', 'set', 'dev', i, 'arp', 'off']);
      await ip(['neigh', 'flush', 'dev', i]);
    }
    await t.sysctl('dir', 'net.ipv4.ip_forward', '0');
    // The client and real servers cached the kernel's MACs for the DIPs.
    await t.exec('cli', 'ip', ['neigh', 'flush', 'all'], { allowFail: true });
    for (let n = 1; n <= RS.length; n++) await t.exec(`rs${n}`, 'ip', ['neigh', 'flush', 'all'], { allowFail: true });
  };
}

const kernelPeer = (name: string, url: string, rules?: string): Peer => ({
  name,
  async start(st, work) {
    // The VIP is on the client's /24: the director answers ARP for it (DNAT rewrites it before routing).
    const undo = await kernelDirector(st, rules !== undefined);
    if (rules) {
      const f = path.join(work, 'nft.conf');
      fs.writeFileSync(f, rules);
      await st.topo.exec('dir', 'nft', ['-f', f]);
    }
    return {
      url, ticks: () => undefined,
      async stop() {
        if (rules) await st.topo.exec('dir', 'nft', ['flush', 'ruleset'], { allowFail: true });
        await undo();
      },
    };
  },
});

const proxyPeer = (name: string, conf: (work: string) => { file: string; text: string; cmd: string; args: string[] }): Peer => ({
  name,
  async start(st, work) {
    const undo = await kernelDirector(st, true);
    // A proxy opens a connection to a server per request: let it reuse a port
    // whose previous connection sits in TIME_WAIT, as proxies are tuned to.
    await st.topo.sysctl('dir', 'net.ipv4.tcp_tw_reuse', '1');
    const c = conf(work);
    fs.writeFileSync(c.file, c.text);
    const p: Spawned = st.topo.spawn('dir', c.cmd, c.args);
    try {
      await waitListening(st, 'dir', 80);
    } catch (e) {
      await p.stop('SIGTERM', 2000);
      await undo();
      throw new Error(`${name}: ${(e as Error).message}\n${p.stdout()}${p.stderr()}`);
    }
    const pids = (): number[] => pidsInNs(st.topo.ns('dir'));
    return {
      url: `http://${VIP}/`, ticks: () => ticksOf(pids()),
      async stop() {
        await p.stop('SIGTERM', 5000);
        await undo();
      },
    };
  },
});

const NFT_DNAT = `table ip flbench {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    ip daddr ${VIP} tcp dport 80 dnat to numgen inc mod ${RS.length} map { ${RS.map((a, i) => `${i} : ${a}`).join(', ')} }
  }
}
`;

const haproxy = proxyPeer('HAProxy (mode tcp, 1 thread)', (work) => ({
  file: path.join(work, 'haproxy.cfg'),
  text: `global
  nbthread 1
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend vip
  bind ${VIP}:80
  default_backend rs
backend rs
  balance roundrobin
${RS.map((a, i) => `  server rs${i + 1} ${a}:80`).join('\n')}
`,
  cmd: 'haproxy', args: ['-db', '-f', path.join(work, 'haproxy.cfg')],
}));

const nginxStream = proxyPeer('nginx stream (1 worker)', (work) => {
  const dir = path.join(work, 'nginx-stream');
  fs.mkdirSync(dir, { recursive: true });
  return {
    file: path.join(dir, 'nginx.conf'),
    text: `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
user root; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn; daemon off;
events { worker_connections 20000; }
stream {
  upstream rs { ${RS.map((a) => `server ${a}:80;`).join(' ')} }
  server { listen ${VIP}:80 reuseport backlog=4096; proxy_pass rs; }
}
`,
    cmd: 'nginx', args: ['-p', dir, '-c', path.join(dir, 'nginx.conf')],
  };
});

/**
 * DR's replies leave the real servers straight for the client, never through
 * the director (Fulcrum is no router): the switch namespace routes them to the
 * client over a second link, as the network's router would.
 */
async function drReturnPath(st: StandardTopology): Promise<void> {
  const t = st.topo;
  await t.addVeth({ ns: 'sw', ifname: 'p-cli' }, { ns: 'cli', ifname: 'eth1' });
  await t.addAddress('sw', 'br0', '198.19.0.254/24');
  await t.addAddress('sw', 'p-cli', '198.18.1.1/24');
  await t.addAddress('cli', 'eth1', '198.18.1.10/24');
  await t.sysctl('sw', 'net.ipv4.ip_forward', '1');
  await t.addRoute('sw', `${PLAN.client}/32`, '198.18.1.10');
  for (const k of ['all', 'eth0', 'eth1']) await t.sysctl('cli', `net.ipv4.conf.${k}.rp_filter`, '0');
  for (let n = 1; n <= RS.length; n++) await t.addRoute(`rs${n}`, `${PLAN.client}/32`, '198.19.0.254');
}

const fulcrum = (method: 'fullnat' | 'dr', ports: 'iface' | 'af_packet'): Peer => ({
  name: `Fulcrum ${method === 'fullnat' ? 'FULLNAT' : 'DR'}, ${ports === 'iface' ? 'AF_XDP' : 'af_packet'}`,
  async start(st, work) {
    if (method === 'dr') await drReturnPath(st);
    const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
    const cfg = deepMerge(base, {
      ports: ports === 'iface' ? base.ports : base.ports.map((p, i) => ({ ...p, device: `net_af_packet${i},iface=${i === 0 ? 'dcli' : 'dsrv'}` })),
      lipPools: { default: [PLAN.lip] },
      services: [{ protocol: 'tcp', vip: VIP, port: 80, scheduler: 'rr', ...(method === 'fullnat' ? { lipPool: 'default' } : {}),
        servers: RS.map((a) => ({ address: a, port: 80, weight: 1, method })) }],
    });
    const file = path.join(work, `fulcrum-${method}-${ports}.json`);
    fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
    let d: DirectorHandle = await st.startDirector(file, { timeoutMs: 45_000 });
    const driver = /ports client=(\S+)/.exec(d.stdout())?.[1] ?? '?';
    if (ports === 'iface' && !driver.startsWith('net_af_xdp')) process.stdout.write(`  (note: ${driver}: ${d.stdout()})\n`);
    // ARP for the VIP and the real servers settled before the clock runs.
    await waitFor(async () => (await st.topo.exec('cli', 'curl', ['-s', '-m', '2', `http://${VIP}/`], { allowFail: true })).code === 0 || null, 10_000, { what: 'the VIP answering' });
    return {
      url: `http://${VIP}/`, ticks: () => ticksOf(d.pid ? [d.pid] : []),
      restart: method === 'fullnat' ? async () => {
        process.kill(d.pid!, 'SIGKILL');
        await d.exited;
        d = await st.startDirector(file, { timeoutMs: 45_000 });
      } : undefined,
      stop: async () => {
        await d.stop(10_000);
      },
    };
  },
});

const PEERS: Peer[] = [
  kernelPeer('routing (kernel, to one server)', `http://${RS[0]}/`),
  kernelPeer('nftables DNAT (kernel)', `http://${VIP}/`, NFT_DNAT),
  haproxy,
  nginxStream,
  fulcrum('fullnat', 'iface'),
  fulcrum('dr', 'iface'),
  fulcrum('fullnat', 'af_packet'),
  fulcrum('dr', 'af_packet'),
];

interface Figures { rps: number[]; own: number[]; machine: number[] }
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const fmt = (a: number[], digits = 0): string =>
  a.length ? `${Math.min(...a).toFixed(digits)} / ${median(a).toFixed(digits)} / ${Math.max(...a).toFixed(digits)}` : 'n/a';

async function measure(st: StandardTopology, r: Running, close: boolean): Promise<Figures> {
  const out: Figures = { rps: [], own: [], machine: [] };
  const others = (): number => ticksOf([...pidsInNs(st.topo.ns('cli')), ...RS.flatMap((_, i) => pidsInNs(st.topo.ns(`rs${i + 1}`)))]);
  for (let i = 0; i < RUNS; i++) {
    const own0 = r.ticks(), m0 = machineTicks(), o0 = others();
    const w = await wrk(st.topo, 'cli', r.url, SECS, { close });
    const own1 = r.ticks(), m1 = machineTicks(), o1 = others();
    if (!w || w.requests === 0) {
      const c = await st.topo.exec('cli', 'curl', ['-sS', '-m', '3', r.url], { allowFail: true });
      process.stdout.write(`  (no result from wrk; curl ${r.url}: ${c.stdout}${c.stderr})\n`);
      continue;
    }
    const per100k = (ticks: number): number => (ticks / HZ) * (100_000 / w.requests);
    out.rps.push(w.requestsPerSec);
    out.machine.push(per100k(m1 - m0));
    // In-kernel peers have no process: charge them what the client and real servers did not use.
    out.own.push(per100k(own0 === undefined ? (m1 - m0) - (o1 - o0) : own1! - own0));
  }
  return out;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench:peers needs root (network namespaces)');
    process.exit(1);
  }
  console.log(`peer benchmark: client -> director -> ${RS.length} nginx, wrk -t1 -c32, ${RUNS} x ${SECS} s per cell, ${os.cpus().length} CPUs shared by everything`);
  console.log('requests/s and CPU-s per 100k requests as min / median / max; "own" = the balancer\'s processes (in-kernel: machine less client and servers)');
  console.log('each balancer gets the topology fresh: TIME_WAIT sockets an earlier peer left on the servers would slow the next one\'s new connections');
  const rows: string[] = [];
  for (const peer of PEERS) {
    if (ONLY && !ONLY.some((o) => peer.name.toLowerCase().includes(o.trim().toLowerCase()))) continue;
    const st = await standardTopology({ realServers: RS.length });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `${st.topo.prefix}-bench-peers-`));
    fs.chmodSync(work, 0o755);
    try {
      // wrk closes first whenever a reply's FIN comes after its last byte (a
      // proxy relays the FIN late): those client ports sit in TIME_WAIT, and
      // without reuse the client runs out of ports after ~28k connections
      // (the proxies' close figures collapsed to a few hundred a second).
      await st.topo.sysctl('cli', 'net.ipv4.tcp_tw_reuse', '1');
      await st.topo.sysctl('cli', 'net.ipv4.ip_local_port_range', '1024 65535');
      startNginxServers(st, work, { keepAlive: true });
      for (let n = 1; n <= RS.length; n++) {
        await waitListening(st, `rs${n}`, 80);
        // DR: the VIP on lo, no ARP for it (harmless for the other peers).
        await st.topo.exec(`rs${n}`, 'sh', [path.join(repoRoot(), 'appliance', 'rs', 'setup-dr.sh'), VIP]);
      }
      const r = await peer.start(st, work);
      try {
        const ka = await measure(st, r, false);
        const cl = await measure(st, r, true);
        const row = `| ${peer.name} | ${fmt(ka.rps)} | ${fmt(ka.own, 2)} | ${fmt(ka.machine, 2)} | ${fmt(cl.rps)} | ${fmt(cl.own, 2)} | ${fmt(cl.machine, 2)} |`;
        rows.push(row);
        console.log(row);
        if (r.restart) {
          // The churn above cycled the LIP's ports; a restarted director must not reuse a pair still in TIME_WAIT.
          const t0 = Date.now();
          await r.restart();
          const up = Date.now() - t0;
          const w = await wrk(st.topo, 'cli', r.url, 5, { close: true });
          console.log(`  ${peer.name}: kill -9, up again in ${up} ms, then ${(w?.requestsPerSec ?? 0).toFixed(0)} conn/s in the first 5 s (median before: ${median(cl.rps).toFixed(0)})`);
        }
      } finally {
        await r.stop();
      }
    } finally {
      await st.destroy();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  console.log('\n| balancer | keep-alive req/s | own CPU-s/100k | machine CPU-s/100k | close conn/s | own CPU-s/100k | machine CPU-s/100k |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

void main();
