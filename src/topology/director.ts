// The director process: `fulcrum daemon` started inside a namespace, ready
// once it reports the dataplane up and the API listening.
import { spawn as cpSpawn } from 'node:child_process';
import path from 'node:path';
import { sleep, wrapChild, type Spawned } from './exec';
import { defaultPrefix } from './netns';

/** The built CLI (dist/src/cli/fulcrum.js), from this file in dist/src/topology. */
export const FULCRUM_CLI = path.resolve(__dirname, '..', 'cli', 'fulcrum.js');

export interface StartDirectorOpts {
  /** Director namespace (full name). Default: "<defaultPrefix()>-dir". */
  ns?: string;
  timeoutMs?: number;
  /** Extra CLI args after `daemon --config <file>`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** The CLI script to run (default FULCRUM_CLI). */
  cli?: string;
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
  const root = path.resolve(__dirname, '..', '..', '..');
  const cli = opts.cli ?? FULCRUM_CLI;
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
