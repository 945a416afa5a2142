// Demo topology: network namespaces and veths for `fulcrum demo` (root only).
//
// Product-side twin of test/lib/netns.ts's standard topology (the product may
// not import tests). Address plan, from 198.18.0.0/15 only:
//
//   [cli] eth0 198.18.0.10/24 ── dcli [dir] dsrv ── p-dir [sw: br0] p-rsN ── eth0 [rsN] 198.19.0.1N/24
//                                 DPDK "client"  DPDK "servers"
//
// Director: DIP 198.18.0.1 and VIP 198.18.0.100 on "client"; DIP 198.19.0.1 and
// LIP 198.19.0.2 on "servers". Client and real servers route via the DIPs.
// Every command is run with an argument array (no shell).
import { execFile, execFileSync, spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const DEMO_PLAN = {
  client: '198.18.0.10',
  clientDip: '198.18.0.1',
  vip: '198.18.0.100',
  serverDip: '198.19.0.1',
  lip: '198.19.0.2',
  realServers: ['198.19.0.11', '198.19.0.12', '198.19.0.13'],
} as const;

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCmd(cmd: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      const res = { code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) };
      if (e && !opts.allowFail) reject(new Error(`${cmd} ${args.join(' ')} failed (${e.killed ? 'timeout' : `exit ${e.code}`}): ${String(stderr).trim()}`));
      else resolve(res);
    });
    child.stdin?.end();
  });
}

function runSync(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 15_000 });
  } catch {
    return '';
  }
}

export interface DemoProcess {
  readonly child: ChildProcess;
  readonly name: string;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  stop(graceMs?: number): Promise<number | null>;
}

export class DemoTopology {
  readonly prefix: string;
  readonly workdir: string;
  private readonly namespaces: string[] = [];
  private readonly procs: DemoProcess[] = [];
  private done = false;
  private readonly onExit = (): void => this.destroySync();

  constructor(prefix = 'fldemo') {
    if (!/^[a-zA-Z0-9_]{1,20}$/.test(prefix)) throw new Error(`bad prefix ${prefix}`);
    this.prefix = prefix;
    this.workdir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    process.once('exit', this.onExit);
  }

  ns(short: string): string {
    return `${this.prefix}-${short}`;
  }

  /** Delete namespaces "<prefix>-*" (and what runs in them) left by an earlier run. */
  static cleanLeftovers(prefix: string): string[] {
    const removed: string[] = [];
    const names = runSync('ip', ['netns', 'list'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((n) => n && n.startsWith(`${prefix}-`));
    for (const n of names) {
      deleteNamespace(n);
      removed.push(n);
    }
    return removed;
  }

  async addNamespace(short: string): Promise<string> {
    const n = this.ns(short);
    deleteNamespace(n);
    await runCmd('ip', ['netns', 'add', n]);
    this.namespaces.push(n);
    await runCmd('ip', ['-n', n, 'link', 'set', 'dev', 'lo', 'up']);
    await this.sysctl(n, 'net.ipv6.conf.all.disable_ipv6', '1');
    await this.sysctl(n, 'net.ipv6.conf.default.disable_ipv6', '1');
    return n;
  }

  async sysctl(ns: string, key: string, value: string): Promise<void> {
    await runCmd('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`], { allowFail: true });
  }

  async veth(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
    await runCmd('ip', ['link', 'add', 'name', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    for (const [n, i] of [
      [nsA, ifA],
      [nsB, ifB],
    ]) {
      // Real checksums and wire-sized frames for the af_packet reader.
      await runCmd('ip', ['netns', 'exec', n, 'ethtool', '-K', i, 'rx', 'off', 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off', 'sg', 'off'], { allowFail: true });
      await runCmd('ip', ['-n', n, 'link', 'set', 'dev', i, 'up']);
    }
  }

  exec(ns: string, cmd: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<CmdResult> {
    return runCmd('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  spawn(ns: string, name: string, cmd: string, args: string[], cwd?: string): DemoProcess {
    // Own process group: a terminal Ctrl-C reaches only the demo, which then stops children in order.
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    let exited = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const exitedP = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => {
        exited = true;
        resolve(code);
      });
      child.once('error', (e) => {
        err += `spawn error: ${e.message}\n`;
        exited = true;
        resolve(-1);
      });
    });
    const p: DemoProcess = {
      child,
      name,
      stdout: () => out,
      stderr: () => err,
      exited: exitedP,
      hasExited: () => exited,
      async stop(graceMs = 5000) {
        if (exited) return child.exitCode;
        child.kill('SIGTERM');
        const t = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, graceMs);
        const c = await exitedP;
        clearTimeout(t);
        return c;
      },
    };
    this.procs.push(p);
    return p;
  }

  /** Build client, director, switch and real-server namespaces. */
  async build(realServers = 3): Promise<void> {
    const P = DEMO_PLAN;
    const cli = await this.addNamespace('cli');
    const dir = await this.addNamespace('dir');
    const sw = await this.addNamespace('sw');
    await this.veth(cli, 'eth0', dir, 'dcli');
    await runCmd('ip', ['-n', cli, 'addr', 'add', `${P.client}/24`, 'dev', 'eth0']);
    await runCmd('ip', ['-n', cli, 'route', 'replace', 'default', 'via', P.clientDip]);

    await runCmd('ip', ['-n', sw, 'link', 'add', 'name', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    await runCmd('ip', ['-n', sw, 'link', 'set', 'dev', 'br0', 'up']);
    await this.veth(dir, 'dsrv', sw, 'p-dir');
    await runCmd('ip', ['-n', sw, 'link', 'set', 'dev', 'p-dir', 'master', 'br0']);
    for (let i = 1; i <= realServers; i++) {
      const rs = await this.addNamespace(`rs${i}`);
      await this.veth(rs, 'eth0', sw, `p-rs${i}`);
      await runCmd('ip', ['-n', sw, 'link', 'set', 'dev', `p-rs${i}`, 'master', 'br0']);
      await runCmd('ip', ['-n', rs, 'addr', 'add', `${P.realServers[i - 1]}/24`, 'dev', 'eth0']);
      await runCmd('ip', ['-n', rs, 'route', 'replace', 'default', 'via', P.serverDip]);
    }
    // The director's kernel stays silent on the DPDK-owned veths.
    for (const i of ['dcli', 'dsrv']) {
      await runCmd('ip', ['-n', dir, 'link', 'set', 'dev', i, 'arp', 'off', 'promisc', 'on']);
      await this.sysctl(dir, `net.ipv4.conf.${i}.rp_filter`, '1');
    }
    await this.sysctl(dir, 'net.ipv4.conf.all.rp_filter', '1');
    // Exception-path services may bind the DIP before the twin carries it.
    await this.sysctl(dir, 'net.ipv4.ip_nonlocal_bind', '1');
  }

  /** Stop every process, delete every namespace and the work dir. Idempotent. */
  async destroy(): Promise<void> {
    if (this.done) return;
    await Promise.all(this.procs.map((p) => p.stop(p.name === 'director' ? 15_000 : 2000).catch(() => null)));
    this.destroySync();
  }

  destroySync(): void {
    if (this.done) return;
    this.done = true;
    process.removeListener('exit', this.onExit);
    for (const p of this.procs) if (!p.hasExited()) p.child.kill('SIGKILL');
    for (const n of [...this.namespaces].reverse()) deleteNamespace(n);
    fs.rmSync(this.workdir, { recursive: true, force: true });
  }
}

/** Kill (by pid) whatever still runs in `ns`, then delete it. Never throws. */
export function deleteNamespace(ns: string): void {
  const pids = runSync('ip', ['netns', 'pids', ns])
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
  for (const pid of pids) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  runSync('ip', ['netns', 'del', ns]);
}

/** Director config for the demo topology (same shape as appliance/fulcrum.example.json). */
export function demoDirectorConfig(): Record<string, unknown> {
  const P = DEMO_PLAN;
  return {
    dataplane: {
      workers: [1],
      memory: { hugepages: 'auto', sizeMB: 256 },
      mbufsPerSocket: 8192,
      sessionsPerWorker: 65536,
      burst: 32,
      txDrainUs: 100,
      idleSleepUs: 20,
      neighbourTimeoutSec: 300,
    },
    ports: [
      {
        name: 'client',
        device: 'net_af_packet0,iface=dcli',
        twin: 'fl-client',
        mtu: 1500,
        addresses: [
          { ip: `${P.clientDip}/24`, role: 'dip' },
          { ip: `${P.vip}/32`, role: 'vip' },
        ],
      },
      {
        name: 'servers',
        device: 'net_af_packet1,iface=dsrv',
        twin: 'fl-servers',
        mtu: 1500,
        addresses: [
          { ip: `${P.serverDip}/24`, role: 'dip' },
          { ip: `${P.lip}/24`, role: 'lip' },
        ],
      },
    ],
    routes: [],
    lipPools: { default: [P.lip] },
    timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
    services: [
      {
        protocol: 'tcp',
        vip: P.vip,
        port: 80,
        scheduler: 'rr',
        lipPool: 'default',
        servers: P.realServers.map((address) => ({ address, port: 80, weight: 1, method: 'fullnat' })),
      },
    ],
    api: { listen: '127.0.0.1', port: 9180 },
  };
}
