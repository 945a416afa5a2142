// keepalived as the HA tests run it: VRRP only, in the foreground, logging
// to the console, its config and pid files in the director's work folder.
import fs from 'node:fs';
import path from 'node:path';
import type { Spawned } from '../../src/topology/exec';
import type { Topology } from '../../src/topology/netns';

const PID_FILES = ['keepalived.pid', 'vrrp.pid'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidsIn(dir: string): number[] {
  return PID_FILES.map((f) => {
    try {
      return Number(fs.readFileSync(path.join(dir, f), 'utf8').trim());
    } catch {
      return 0;
    }
  }).filter((p) => p > 0);
}

/**
 * Make sure no keepalived of an earlier start in `dir` is left: the VRRP child
 * can outlive its parent (a parent killed after its grace time), and a pid file
 * naming any live process makes the next keepalived exit with "daemon is
 * already running" (seen in CI after a director restart).
 */
async function reap(dir: string, graceMs: number): Promise<void> {
  const pids = pidsIn(dir).filter(alive);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const until = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  for (const p of pids.filter(alive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  while (pids.some(alive)) await new Promise((r) => setTimeout(r, 20));
  for (const f of PID_FILES) fs.rmSync(path.join(dir, f), { force: true });
}

/**
 * Write `conf` to `dir`/keepalived.conf and start keepalived on it in namespace `ns`.
 * Its stop() also reaps the VRRP child and the pid files, so a restart in the same folder starts clean.
 */
export function spawnKeepalived(topo: Topology, ns: string, dir: string, conf: string): Spawned {
  const file = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(file, conf);
  // Pid files of a keepalived that is gone only confuse the next one (pids are reused).
  if (!pidsIn(dir).some(alive)) for (const f of PID_FILES) fs.rmSync(path.join(dir, f), { force: true });
  const spawned = topo.spawn(ns, 'keepalived', ['--dont-fork', '--log-console', '--log-detail', '--vrrp',
    '--use-file', file, '--pid', path.join(dir, PID_FILES[0]), '--vrrp_pid', path.join(dir, PID_FILES[1])]);
  const stopParent = spawned.stop.bind(spawned);
  return {
    ...spawned,
    async stop(signal?: NodeJS.Signals, graceMs = 5000) {
      const code = await stopParent(signal, graceMs);
      await reap(dir, graceMs);
      return code;
    },
  };
}
