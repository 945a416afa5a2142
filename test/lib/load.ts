// Load and kernel counters for the churn test and the benchmarks: wrk runs
// from a namespace, and nstat reads of the TCP counters that tell whether
// real servers rejected reused LIP:lport pairs (PAWS in TIME_WAIT) and
// whether clients had to retransmit SYNs.
import type { Topology } from './netns';

export interface WrkResult {
  /** Requests completed (with Connection: close, connections). */
  requests: number;
  requestsPerSec: number;
  output: string;
}

/** wrk -t1 -c32 for `secs` s against `url` from `ns`; null if it printed no result. */
export async function wrk(topo: Topology, ns: string, url: string, secs: number, opts: { close?: boolean } = {}): Promise<WrkResult | null> {
  const args = ['-t1', '-c32', `-d${secs}s`, ...(opts.close ? ['-H', 'Connection: close'] : []), url];
  const r = await topo.exec(ns, 'wrk', args, { timeoutMs: (secs + 20) * 1000, allowFail: true });
  const n = /(\d+) requests in/.exec(r.stdout), rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  return n && rps ? { requests: Number(n[1]), requestsPerSec: Number(rps[1]), output: r.stdout } : null;
}

/** One counter of `nstat -az` in `ns` (0 when absent). */
export async function nstatCounter(topo: Topology, ns: string, name: string): Promise<number> {
  const r = await topo.exec(ns, 'nstat', ['-az', name], { allowFail: true });
  return Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(r.stdout)?.[1] ?? 0);
}

/** SYNs the real servers' TIME_WAIT sockets rejected by PAWS, summed over `servers`. */
export async function pawsRejections(topo: Topology, servers: string[]): Promise<number> {
  let n = 0;
  for (const ns of servers) n += await nstatCounter(topo, ns, 'TcpExtPAWSTimewait');
  return n;
}

export const synRetransmissions = (topo: Topology, ns: string): Promise<number> => nstatCounter(topo, ns, 'TcpExtTCPSynRetrans');
