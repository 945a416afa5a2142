// Network namespaces, veths and bridges, built and torn down by a Topology
// (the demo and the end-to-end tests). Every namespace is named
// "<prefix>-<short>"; leftovers of a crashed run with the same prefix are
// removed before anything is created, and destroy() (also run at process
// exit or on a signal) removes everything it made.
//
// Traffic only ever goes to 198.18.0.0/15 addresses inside these namespaces.
import { spawn as cpSpawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runSync, wrapChild, type ExecResult, type RunOpts, type Spawned } from './exec';

/** Names of all network namespaces on the machine. */
export function listNamespaces(): string[] {
  const r = runSync('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n): n is string => Boolean(n));
}

/** Kill (SIGKILL, by pid) whatever still runs inside `ns`, then delete it. Never throws. */
export function deleteNamespaceSync(ns: string): void {
  const pids = runSync('ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  runSync('ip', ['netns', 'del', ns]);
}

const liveTopologies = new Set<Topology>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', () => {
    for (const t of [...liveTopologies]) t.destroySync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const t of [...liveTopologies]) t.destroySync();
      process.exit(128 + (os.constants.signals[sig] ?? 0));
    });
  }
}

export function defaultPrefix(): string {
  return `fl${process.pid % 10000}`;
}

export interface VethEnd {
  ns: string;
  ifname: string;
}

/**
 * Builder for a set of namespaces, veths, bridges and processes, torn down by
 * destroy() (idempotent, also run automatically at process exit or on signal).
 * Namespace arguments are the short names given to addNamespace ("cli"), or full names.
 */
export class Topology {
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly children: Spawned[] = [];
  private readonly tmpFiles: string[] = [];
  private destroyed = false;

  constructor(prefix: string = defaultPrefix()) {
    if (!/^[a-zA-Z0-9_]{1,20}$/.test(prefix)) throw new Error(`bad namespace prefix ${prefix}`);
    this.prefix = prefix;
    installExitHooks();
    liveTopologies.add(this);
  }

  /** Full namespace name for a short name. */
  ns(short: string): string {
    return short.startsWith(`${this.prefix}-`) ? short : `${this.prefix}-${short}`;
  }

  /** Remove every namespace "<prefix>-*" left by a crashed run with the same prefix; their names. */
  cleanLeftovers(): string[] {
    const removed = listNamespaces().filter((n) => n.startsWith(`${this.prefix}-`));
    for (const n of removed) deleteNamespaceSync(n);
    return removed;
  }

  /** Create a namespace (deleting a leftover of the same name first), with lo up and IPv6 off. */
  async addNamespace(short: string): Promise<string> {
    const name = this.ns(short);
    if (listNamespaces().includes(name)) deleteNamespaceSync(name);
    await run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await run('ip', ['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
    // Keep captures free of IPv6 ND/MLD noise: the appliance is IPv4-only today.
    await this.sysctl(name, 'net.ipv6.conf.all.disable_ipv6', '1', true);
    await this.sysctl(name, 'net.ipv6.conf.default.disable_ipv6', '1', true);
    return name;
  }

  /**
   * Turn IPv6 back on for one interface of a namespace (addNamespace turns
   * it off), without DAD (an address is usable at once) or autoconfiguration
   * from router adverts: a test gives its addresses and routes itself.
   */
  async enableIpv6(ns: string, ifname: string): Promise<void> {
    for (const dev of ['all', ifname]) {
      await this.sysctl(ns, `net.ipv6.conf.${dev}.accept_dad`, '0', true);
      await this.sysctl(ns, `net.ipv6.conf.${dev}.accept_ra`, '0', true);
      await this.sysctl(ns, `net.ipv6.conf.${dev}.disable_ipv6`, '0', true);
    }
  }

  /** Create a veth pair with each end directly inside its namespace (nothing touches the root namespace). */
  async addVeth(a: VethEnd, b: VethEnd, opts: { mtu?: number; up?: boolean; noOffload?: boolean } = {}): Promise<void> {
    const na = this.ns(a.ns);
    const nb = this.ns(b.ns);
    await run('ip', ['link', 'add', 'name', a.ifname, 'netns', na, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', nb]);
    for (const [n, i] of [
      [na, a.ifname],
      [nb, b.ifname],
    ]) {
      if (opts.mtu) await run('ip', ['-n', n, 'link', 'set', 'dev', i, 'mtu', String(opts.mtu)]);
      // veth offloads leave TCP/UDP checksums "partial" and build GSO super-frames;
      // an af_packet reader (the DPDK port) must see real, wire-sized frames.
      if (opts.noOffload !== false) await this.disableOffloads(n, i);
      if (opts.up !== false) await this.setUp(n, i);
    }
  }

  async disableOffloads(ns: string, ifname: string): Promise<void> {
    await run('ip', ['netns', 'exec', this.ns(ns), 'ethtool', '-K', ifname, 'rx', 'off', 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off', 'sg', 'off'], {
      allowFail: true,
    });
  }

  async setUp(ns: string, ifname: string): Promise<void> {
    await run('ip', ['-n', this.ns(ns), 'link', 'set', 'dev', ifname, 'up']);
  }

  async addAddress(ns: string, ifname: string, cidr: string): Promise<void> {
    await run('ip', ['-n', this.ns(ns), 'addr', 'add', cidr, 'dev', ifname]);
  }

  /** `to` may be "default". `dev` optional. */
  async addRoute(ns: string, to: string, via: string | null, dev?: string): Promise<void> {
    const args = ['-n', this.ns(ns), 'route', 'replace', to];
    if (via) args.push('via', via);
    if (dev) args.push('dev', dev);
    await run('ip', args);
  }

  /** A Linux bridge (STP off, so ports forward at once). */
  async addBridge(ns: string, name: string): Promise<void> {
    const n = this.ns(ns);
    await run('ip', ['-n', n, 'link', 'add', 'name', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    await run('ip', ['-n', n, 'link', 'set', 'dev', name, 'up']);
  }

  async attachToBridge(ns: string, ifname: string, bridge: string): Promise<void> {
    await run('ip', ['-n', this.ns(ns), 'link', 'set', 'dev', ifname, 'master', bridge]);
  }

  async sysctl(ns: string, key: string, value: string, allowFail = false): Promise<void> {
    await run('ip', ['netns', 'exec', this.ns(ns), 'sysctl', '-q', '-w', `${key}=${value}`], { allowFail });
  }

  /** Run a command inside a namespace and collect its output (rejects on failure unless allowFail). */
  exec(ns: string, cmd: string, args: string[] = [], opts: RunOpts = {}): Promise<ExecResult> {
    return run('ip', ['netns', 'exec', this.ns(ns), cmd, ...args], opts);
  }

  /** Start a long-running process inside a namespace; it is stopped by destroy(). */
  spawn(ns: string, cmd: string, args: string[] = [], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
    const full = this.ns(ns);
    const child = cpSpawn('ip', ['netns', 'exec', full, cmd, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const s = wrapChild(child, full, `${cmd} ${args.join(' ')}`);
    this.children.push(s);
    return s;
  }

  /** A temp directory removed by destroy(). */
  tmpDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-`));
    this.tmpFiles.push(dir);
    return dir;
  }

  /** A temp file removed by destroy(). */
  tmpFile(name: string, contents: string): string {
    const file = path.join(this.tmpDir(), name);
    fs.writeFileSync(file, contents);
    return file;
  }

  /** Stop processes (SIGTERM, then SIGKILL), delete namespaces and temp files. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all(this.children.map((c) => c.stop('SIGTERM', 2000).catch(() => null)));
    this.destroySync();
  }

  /** Synchronous teardown (safe in an 'exit' handler). Idempotent. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        try {
          c.child.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const n of [...this.namespaces].reverse()) deleteNamespaceSync(n);
    for (const d of this.tmpFiles) fs.rmSync(d, { recursive: true, force: true });
    liveTopologies.delete(this);
  }
}
