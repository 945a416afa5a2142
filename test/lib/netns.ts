// Network-namespace helpers for end-to-end tests (run as root).
//
// Every command is run with execFile/spawn and an argument array: no shell.
// Every namespace is named "<prefix>-<short>" with a per-process prefix
// ("fl<pid%10000>") so parallel runs don't collide, and leftovers of a crashed
// run with the same prefix are removed before anything is created.
//
// Traffic only ever goes to 198.18.0.0/15 addresses inside these namespaces.
import { execFile, execFileSync, spawn as cpSpawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------- basics

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Reason string for `test(..., { skip })` when not root; false when root. */
export function skipUnlessRoot(): string | false {
  return isRoot() ? false : 'needs root (network namespaces); run as root, e.g. sudo ./scripts/test.sh';
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  /** Resolve with the non-zero code instead of rejecting. */
  allowFail?: boolean;
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Run a command (no shell) and collect its output. Rejects on non-zero exit unless allowFail. */
export function run(cmd: string, args: string[], opts: RunOpts = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, env: opts.env, cwd: opts.cwd, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
        const res: ExecResult = { code, stdout: String(stdout), stderr: String(stderr) };
        if (e && !opts.allowFail) {
          const why = e.killed ? `timed out after ${opts.timeoutMs ?? 30_000} ms` : `exit ${e.code}`;
          reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${String(stderr).trim()}`));
        } else {
          resolve(res);
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Synchronous variant (used for cleanup at process exit). Never throws. */
export function runSync(cmd: string, args: string[]): ExecResult {
  try {
    const stdout = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `predicate` until it returns a truthy value (returned) or the timeout
 * expires (rejects with `what` and the last error the predicate threw).
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs: number,
  opts: { intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastErr instanceof Error ? `: last error: ${lastErr.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${detail}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Names of all network namespaces on the machine. */
export function listNamespaces(): string[] {
  const r = runSync('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n);
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

// ---------------------------------------------------------------- spawned processes

export interface Spawned {
  readonly child: ChildProcess;
  readonly ns: string;
  readonly cmd: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null if killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Send `signal` (default SIGTERM), SIGKILL after graceMs, resolve with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

function wrapChild(child: ChildProcess, ns: string, cmd: string): Spawned {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    out += d;
  });
  child.stderr?.on('data', (d: string) => {
    err += d;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
    child.once('error', (e) => {
      err += `\nspawn error: ${e.message}`;
      exitCode = -1;
      resolve(-1);
    });
  });
  return {
    child,
    ns,
    cmd,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000) {
      if (exitCode !== undefined) return exitCode;
      try {
        child.kill(signal);
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          child.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }, graceMs);
      const c = await exited;
      clearTimeout(t);
      return c;
    },
  };
}

// ---------------------------------------------------------------- topology

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

  /** Remove every namespace "<prefix>-*" left by a crashed run with the same prefix. */
  cleanLeftovers(): void {
    for (const n of listNamespaces()) if (n.startsWith(`${this.prefix}-`)) deleteNamespaceSync(n);
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

  /** A temp file removed by destroy(). */
  tmpFile(name: string, contents: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.prefix}-`));
    const file = path.join(dir, name);
    fs.writeFileSync(file, contents);
    this.tmpFiles.push(dir);
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

// ---------------------------------------------------------------- the standard e2e topology

/**
 * Address plan (198.18.0.0/15 only):
 *
 *   [cli] eth0 198.18.0.10/24 ── dcli [dir] dsrv ── p-dir [sw: br0] p-rsN ── eth0 [rsN] 198.19.0.1N/24
 *                                 │    DPDK ports   │
 *                          "client" (af_packet)  "servers" (af_packet)
 *
 * The director namespace holds only the two veth ends that DPDK binds with
 * net_af_packet (no kernel addresses on them, ARP off, strict rp_filter, so the
 * director's kernel never answers on them) and, once the daemon runs, its net_tap
 * twins. Client and real servers route via the director's DIPs.
 */
export const PLAN = {
  clientNet: '198.18.0.0/24',
  serverNet: '198.19.0.0/24',
  client: '198.18.0.10',
  clientDip: '198.18.0.1',
  vip: '198.18.0.100',
  serverDip: '198.19.0.1',
  lip: '198.19.0.2',
  realServers: ['198.19.0.11', '198.19.0.12', '198.19.0.13'],
} as const;

export interface StandardTopology {
  topo: Topology;
  ns: { client: string; director: string; switch: string; realServers: string[] };
  /** Director-side veth names (DPDK af_packet ports). */
  ifaces: { client: string; servers: string; clientPeer: string; rsPeer: string };
  /** Kernel twin (net_tap) names the generated config asks for. */
  twins: { client: string; servers: string };
  addr: typeof PLAN;
  /** Extra deep-merged config for writeDirectorConfig. */
  writeDirectorConfig(overrides?: Record<string, unknown>): string;
  startDirector(cfgPath: string, opts?: StartDirectorOpts): Promise<DirectorHandle>;
  destroy(): Promise<void>;
}

export async function standardTopology(opts: { prefix?: string; realServers?: number } = {}): Promise<StandardTopology> {
  const topo = new Topology(opts.prefix);
  topo.cleanLeftovers();
  const nRs = Math.max(0, Math.min(opts.realServers ?? 3, PLAN.realServers.length));
  try {
    const cli = await topo.addNamespace('cli');
    const dir = await topo.addNamespace('dir');
    const sw = await topo.addNamespace('sw');
    const rss: string[] = [];
    for (let i = 1; i <= nRs; i++) rss.push(await topo.addNamespace(`rs${i}`));

    // client <-> director "client" port
    await topo.addVeth({ ns: cli, ifname: 'eth0' }, { ns: dir, ifname: 'dcli' });
    await topo.addAddress(cli, 'eth0', `${PLAN.client}/24`);
    await topo.addRoute(cli, 'default', PLAN.clientDip);

    // director "servers" port <-> switch bridge <-> real servers
    await topo.addBridge(sw, 'br0');
    await topo.addVeth({ ns: dir, ifname: 'dsrv' }, { ns: sw, ifname: 'p-dir' });
    await topo.attachToBridge(sw, 'p-dir', 'br0');
    for (let i = 0; i < rss.length; i++) {
      await topo.addVeth({ ns: rss[i], ifname: 'eth0' }, { ns: sw, ifname: `p-rs${i + 1}` });
      await topo.attachToBridge(sw, `p-rs${i + 1}`, 'br0');
      await topo.addAddress(rss[i], 'eth0', `${PLAN.realServers[i]}/24`);
      await topo.addRoute(rss[i], 'default', PLAN.serverDip);
    }

    // The director's kernel must stay silent on the DPDK-owned veths.
    for (const i of ['dcli', 'dsrv']) {
      await run('ip', ['-n', dir, 'link', 'set', 'dev', i, 'arp', 'off', 'promisc', 'on']);
      await topo.sysctl(dir, `net.ipv4.conf.${i}.rp_filter`, '1', true);
    }
    await topo.sysctl(dir, 'net.ipv4.conf.all.rp_filter', '1', true);
    // Exception-path services may bind a DIP before the twin carries it.
    await topo.sysctl(dir, 'net.ipv4.ip_nonlocal_bind', '1', true);
  } catch (e) {
    await topo.destroy();
    throw e;
  }
  const st: StandardTopology = {
    topo,
    ns: { client: topo.ns('cli'), director: topo.ns('dir'), switch: topo.ns('sw'), realServers: PLAN.realServers.slice(0, nRs).map((_, i) => topo.ns(`rs${i + 1}`)) },
    ifaces: { client: 'dcli', servers: 'dsrv', clientPeer: 'eth0', rsPeer: 'eth0' },
    twins: { client: 'fl-client', servers: 'fl-servers' },
    addr: PLAN,
    writeDirectorConfig: (overrides = {}) => writeDirectorConfig(overrides, topo),
    startDirector: (cfgPath, o) => startDirector(cfgPath, { ns: topo.ns('dir'), ...o }),
    destroy: () => topo.destroy(),
  };
  return st;
}

// ---------------------------------------------------------------- director config and process

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** Deep merge: objects merge recursively, arrays and scalars replace; `undefined` deletes a key. */
export function deepMerge<T extends Record<string, unknown>>(base: T, over: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k] as Record<string, unknown>, v);
    else out[k] = v;
  }
  return out as T;
}

/** The director config for the standard topology (same shape as appliance/fulcrum.example.json). */
export function standardDirectorConfig(): Record<string, unknown> {
  return {
    dataplane: {
      workers: [1],
      memory: { hugepages: 'auto', sizeMB: 256 },
      mbufsPerSocket: 8192,
      sessionsPerWorker: 65536,
      burst: 32,
      txDrainUs: 100,
      // A busy-polling worker would starve a 2-core CI box.
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
          { ip: `${PLAN.clientDip}/24`, role: 'dip' },
          { ip: `${PLAN.vip}/32`, role: 'vip' },
        ],
      },
      {
        name: 'servers',
        device: 'net_af_packet1,iface=dsrv',
        twin: 'fl-servers',
        mtu: 1500,
        addresses: [
          { ip: `${PLAN.serverDip}/24`, role: 'dip' },
          { ip: `${PLAN.lip}/24`, role: 'lip' },
        ],
      },
    ],
    routes: [],
    lipPools: { default: [PLAN.lip] },
    timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
    services: [],
    api: { listen: '127.0.0.1', port: 9180 },
  };
}

/**
 * Write the standard director config, deep-merged with `overrides`, to a temp
 * file (removed with the topology when one is given) and return its path.
 */
export function writeDirectorConfig(overrides: Record<string, unknown> = {}, topo?: Topology): string {
  const cfg = deepMerge(standardDirectorConfig(), overrides);
  const text = JSON.stringify(cfg, null, 2) + '\n';
  if (topo) return topo.tmpFile('fulcrum.json', text);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-cfg-'));
  const file = path.join(dir, 'fulcrum.json');
  fs.writeFileSync(file, text);
  return file;
}

/** Repository root (holds package.json), found from this file in test/lib or dist/test/lib. */
export function repoRoot(): string {
  let d = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'test'))) return d;
    d = path.dirname(d);
  }
  return process.cwd();
}

export interface StartDirectorOpts {
  /** Director namespace (full name). Default: "<defaultPrefix()>-dir". */
  ns?: string;
  timeoutMs?: number;
  /** Extra CLI args after `daemon --config <file>`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface DirectorHandle {
  readonly pid: number | undefined;
  readonly ns: string;
  stdout(): string;
  stderr(): string;
  /** stdout + stderr, for assertion messages. */
  logs(): string;
  readonly exited: Promise<number | null>;
  /** SIGTERM, wait for exit (SIGKILL after graceMs), resolve with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const liveDirectors = new Set<Spawned>();
process.once('exit', () => {
  for (const d of liveDirectors) {
    try {
      d.child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/**
 * Start `node dist/src/cli/fulcrum.js daemon --config <cfgPath>` inside the
 * director namespace and wait for "fulcrum: up" on stdout (default 30 s).
 * Rejects with the captured stderr/stdout if it exits or times out first.
 */
export async function startDirector(cfgPath: string, opts: StartDirectorOpts = {}): Promise<DirectorHandle> {
  const ns = opts.ns ?? `${defaultPrefix()}-dir`;
  const root = repoRoot();
  const cli = path.join(root, 'dist', 'src', 'cli', 'fulcrum.js');
  // Each director keeps its own state file beside its config, so runs never
  // inherit another test's last applied config.
  const extra = opts.args ?? [];
  const state = extra.includes('--state') ? [] : ['--state', path.join(path.dirname(cfgPath), 'state.json')];
  const child = cpSpawn('ip', ['netns', 'exec', ns, process.execPath, cli, 'daemon', '--config', cfgPath, ...state, ...extra], {
    cwd: root,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s = wrapChild(child, ns, `fulcrum daemon --config ${cfgPath}`);
  liveDirectors.add(s);
  void s.exited.then(() => liveDirectors.delete(s));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const handle: DirectorHandle = {
    pid: child.pid,
    ns,
    stdout: s.stdout,
    stderr: s.stderr,
    logs: () => `--- director stdout ---\n${s.stdout()}\n--- director stderr ---\n${s.stderr()}`,
    exited: s.exited,
    stop: (graceMs = 15_000) => s.stop('SIGTERM', graceMs),
  };
  let exited = false;
  void s.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  // "up" is the dataplane; the management API listens right after it.
  const ready = (): boolean => s.stdout().includes('fulcrum: up') && s.stdout().includes('fulcrum: api listening');
  while (!ready()) {
    if (exited) {
      throw new Error(`director exited (code ${child.exitCode}, signal ${child.signalCode}) before "fulcrum: up" and the API\n${handle.logs()}`);
    }
    if (Date.now() > deadline) {
      await s.stop('SIGTERM', 5000);
      throw new Error(`director not up after ${timeoutMs} ms\n${handle.logs()}`);
    }
    await sleep(50);
  }
  return handle;
}

/** ping from a namespace; true when at least one reply came back. */
export async function ping(topo: Topology, ns: string, dst: string, count = 1, timeoutS = 2): Promise<boolean> {
  const r = await topo.exec(ns, 'ping', ['-n', '-c', String(count), '-W', String(timeoutS), dst], { allowFail: true, timeoutMs: (count + timeoutS + 2) * 1000 });
  return r.code === 0;
}
