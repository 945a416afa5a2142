// MISC_CHECK: `sh -c command`; exit 0 = up. With dynamic (misc_dynamic),
// exit 1 = down and 2-255 = up with weight code-2. A command still running
// at the timeout is killed (its whole process group) and counts as failed.
import { spawn } from 'node:child_process';
import type { ProbeResult } from '../state';
import { errText, type Checker } from './common';

export interface MiscProbe {
  type: 'misc';
  command: string;
  timeoutMs: number;
  dynamic: boolean;
  env?: Record<string, string>;
}

export function miscCheck(p: MiscProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    let timedOut = false;
    const child = spawn('/bin/sh', ['-c', p.command], {
      stdio: 'ignore',
      detached: true, // own process group, so a timeout kills the whole script
      env: { ...process.env, ...(p.env ?? {}) },
    });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, p.timeoutMs);
    child.once('error', (e) => finish({ ok: false, error: `cannot run: ${errText(e)}` }));
    child.once('exit', (code, signal) => {
      if (timedOut) return finish({ ok: false, error: 'timeout' });
      if (code === null) return finish({ ok: false, error: `killed by ${signal ?? 'signal'}` });
      if (code === 0) return finish({ ok: true });
      if (p.dynamic && code >= 2) return finish({ ok: true, weight: code - 2 });
      return finish({ ok: false, error: `exit ${code}` });
    });
  });
}

export const misc: Checker<MiscProbe> = {
  spec: ({ hc, env }) => ({
    type: 'misc',
    command: hc.misc!.command,
    // keepalived's misc_timeout defaults to the delay loop.
    timeoutMs: Math.max(1, Math.round((hc.misc!.timeout ?? hc.delayLoop) * 1000)),
    dynamic: hc.misc!.dynamic,
    env,
  }),
  run: miscCheck,
};
