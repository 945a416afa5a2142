// Commands and long-running processes for namespace topologies (the demo and
// the end-to-end tests): every command is run with execFile/spawn and an
// argument array, never a shell.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';

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

export function wrapChild(child: ChildProcess, ns: string, cmd: string): Spawned {
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
