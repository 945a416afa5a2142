// The e2e suites' standard director: the standard topology (client, director,
// switch, real servers), the suite's servers started and listening, the
// director started on the suite's config, and ARP settled by one ping to the
// VIP. stop() undoes all of it. One preamble instead of one per suite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PLAN, standardTopology, waitFor, type DirectorHandle, type StandardTopology,
} from './netns';

export interface StandardDirector {
  st: StandardTopology;
  director: DirectorHandle;
  cfgPath: string;
  /** The suite's work dir (world-writable, no ':' or ','): files the servers write, the config. */
  work: string;
  /** Stop the director (the one in `director` now: a suite may restart it),
   * tear the topology down, remove the work dir. */
  stop(): Promise<void>;
}

export interface StandardDirectorOpts {
  /** Names the work dir. */
  suite: string;
  realServers?: number;
  /** Before the director starts: the suite's servers, extra namespaces. */
  prepare?: (st: StandardTopology, work: string) => Promise<void> | void;
  /** TCP ports that must be listening in each namespace before the director starts. */
  listeners?: Record<string, number[]>;
  /** The director's config, or a function of the work dir (for files the config names). */
  config: Record<string, unknown> | ((work: string) => Record<string, unknown>);
  startTimeoutMs?: number;
}

/** Whether something listens on TCP `port` in namespace `ns`. */
export async function listening(st: StandardTopology, ns: string, port: number): Promise<boolean> {
  const r = await st.topo.exec(ns, 'ss', ['-Hltn', `sport = :${port}`], { allowFail: true });
  return r.stdout.trim() !== '';
}

/** Wait (15 s at most) until something listens on TCP `port` in `ns`. */
export async function waitListening(st: StandardTopology, ns: string, port: number): Promise<void> {
  await waitFor(() => listening(st, ns, port), 15_000, { what: `${ns} listening on :${port}`, intervalMs: 50 });
}

export async function startStandardDirector(opts: StandardDirectorOpts): Promise<StandardDirector> {
  const st = await standardTopology({ realServers: opts.realServers ?? 3 });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `${st.topo.prefix}-${opts.suite}-`));
  const teardown = async (director?: DirectorHandle): Promise<void> => {
    try {
      await director?.stop(10_000);
    } finally {
      await st.destroy();
      fs.rmSync(work, { recursive: true, force: true });
    }
  };
  try {
    await opts.prepare?.(st, work);
    for (const [ns, ports] of Object.entries(opts.listeners ?? {})) {
      for (const port of ports) await waitListening(st, ns, port);
    }
    const cfgPath = path.join(work, 'fulcrum.json');
    const config = typeof opts.config === 'function' ? opts.config(work) : opts.config;
    fs.writeFileSync(cfgPath, JSON.stringify(config, null, 2) + '\n');
    const director = await st.startDirector(cfgPath, { timeoutMs: opts.startTimeoutMs ?? 45_000 });
    // The client's first packets race ARP; one ping settles it.
    await st.topo.exec('cli', 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', PLAN.vip], { allowFail: true, timeoutMs: 10_000 });
    return {
      st, director, cfgPath, work,
      stop(this: StandardDirector) {
        return teardown(this.director);
      },
    };
  } catch (e) {
    await teardown();
    throw e;
  }
}

/** Listeners on the same ports in rs1..rsN. */
export function onRealServers(n: number, ports: number[]): Record<string, number[]> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`rs${i + 1}`, ports]));
}
