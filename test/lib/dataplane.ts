// In-process dataplane harness for packet-fixture tests (net_ring ports).
//
// One EAL per process: rte_eal_init can run only once, and node --test runs
// each test file in its own process. So a fixture file calls
// startRingDataplane() once in a `before` hook and handle.stop() in `after`.
//
// Ring port i has MAC 02:f1:00:00:00:0i. Frames the service thread builds
// (ARP requests, gratuitous ARP) leave through worker 0's TX queue (queue 0).
import {
  loadNative,
  type NativeAddon,
  type NativeAddr,
  type NativeForwardingConf,
  type NativeRoute,
  type NativeService,
  type NativeStats,
  type NativeTimeouts,
  type RingFrame,
} from '../../src/native/addon';

/** One neighbour table entry as the addon reports it (addon.neighbours()). */
export interface NeighbourView {
  ip: string;
  port: number;
  mac: string;
  valid: boolean;
  expiresInMs: number;
}

export interface RingDataplaneOpts {
  /** Number of ring ports (p0, p1, ...). Default 1. */
  ports?: number;
  /** Number of workers (lcores 1..n, all on CPU 1). Default 1. */
  workers?: number;
  addrs: NativeAddr[];
  routes: NativeRoute[];
  /** Services (virtual servers) published with the network view. */
  services?: NativeService[];
  /** ipvsadm --set tcp tcpfin udp, published with the network view. */
  timeouts?: NativeTimeouts;
  /** Extra fields published with the network view (e.g. services, later). */
  extra?: Record<string, unknown>;
  /** Passed through to addon.start. */
  sessionsPerWorker?: number;
  ipv6SessionsPerWorker?: number;
  persistTemplates?: number;
  icmpErrorsPerSec?: number;
  icmpErrorsBurst?: number;
  neighTimeoutS?: number;
  /** dataplane.idleSleepUs: the longest idle nap (0 = busy poll). Default 200. */
  idleSleepUs?: number;
  /** dataplane.rewriteTimestamps (default false here: fixtures check the client's own TSvals). */
  rewriteTimestamps?: boolean;
  /** MB of normal memory for --no-huge. Default 256. */
  memoryMB?: number;
}

export interface CollectOpts {
  /** Stop as soon as this many frames were seen. */
  count?: number;
  timeoutMs: number;
}

export interface RingDataplane {
  readonly addon: NativeAddon;
  readonly workers: number;
  /** MAC ring port i actually has (addon.ports()); see ringMac for the documented one. */
  mac(port: number): string;
  inject(port: number, frames: Buffer[], queue?: number): void;
  collect(port: number, opts: CollectOpts): Promise<RingFrame[]>;
  /** Wait `ms` and return whatever came out (the caller asserts it is empty). */
  expectNothing(port: number, ms: number): Promise<RingFrame[]>;
  /**
   * Flush, inject `frames` on `queue`, collect up to `count` frames within
   * `timeoutMs`, then whatever else comes out in the next `quietMs` (so one
   * too many shows up as a failure).
   */
  exchange(port: number, frames: Buffer[], o: { count: number; queue?: number; timeoutMs: number; quietMs: number }): Promise<RingFrame[]>;
  stats(): NativeStats;
  /** Sum of all workers' and the service thread's values of one numeric counter. */
  counter(name: CounterName): number;
  /**
   * Run `fn`, then wait until the drop counters settle, and return the
   * per-reason increase (only reasons that changed).
   */
  dropsDelta(fn: () => void | Promise<void>, settleMs?: number): Promise<Record<string, number>>;
  republish(conf: NativeForwardingConf & Record<string, unknown>): void;
  /** The neighbour table (addon.neighbours()). */
  neighbours(): NeighbourView[];
  /** Wait until every ip in `ips` has a valid neighbour entry; true if they all do. */
  waitNeighbours(ips: string[], timeoutMs: number): Promise<boolean>;
  /** Drain and discard everything queued on every port. */
  flush(): void;
  stop(): void;
}

export type CounterName =
  | 'arpReplies'
  | 'arpRequestsSent'
  | 'garpSent'
  | 'icmpEchoReplies'
  | 'icmpErrorsSent'
  | 'icmpErrorsLimited'
  | 'ndAdvertsSent'
  | 'ndSolicitsSent'
  | 'ndUnsolicitedSent'
  | 'icmp6EchoReplies'
  | 'neighQueued'
  | 'redirectOut'
  | 'redirectIn'
  | 'sessionsCreated'
  | 'sessionsExpired'
  | 'sessionsActive';

/** The documented MAC of ring port i (native/port/port.c): 02:f1:00:00:00:0i. */
export const ringMac = (i: number): string => `02:f1:00:00:00:${i.toString(16).padStart(2, '0')}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let ealDone = false;

/** EAL args for an in-process ring dataplane: no hugepages, no PCI, no files. */
export function ringEalArgs(workers: number, memoryMB = 256): string[] {
  const lcores = ['0@(0-1)'];
  for (let i = 1; i <= workers; i++) lcores.push(`${i}@1`);
  return [
    'fulcrum-test',
    '--no-huge',
    '-m',
    String(memoryMB),
    '--no-shconf',
    '--no-pci',
    '--no-telemetry',
    `--lcores=${lcores.join(',')}`,
    '--main-lcore=0',
    '--log-level=lib.eal:error',
    '--log-level=pmd.net.tap:crit',
  ];
}

export function startRingDataplane(opts: RingDataplaneOpts): RingDataplane {
  const addon = loadNative();
  const nPorts = opts.ports ?? 1;
  const nWorkers = opts.workers ?? 1;
  if (ealDone) throw new Error('startRingDataplane: EAL already initialised in this process (one dataplane per test file)');
  ealDone = true;
  addon.ealInit(ringEalArgs(nWorkers, opts.memoryMB));
  let stopped = false;
  try {
    addon.start({
      workers: [...Array(nWorkers).keys()].map((i) => i + 1),
      ports: [...Array(nPorts).keys()].map((i) => ({ name: `p${i}`, device: 'ring', twin: '', mtu: 1500 })),
      mbufsPerSocket: 4096,
      rxDesc: 512,
      txDesc: 512,
      burst: 32,
      txDrainUs: 50,
      idleSleepUs: opts.idleSleepUs ?? 200,
      rewriteTimestamps: opts.rewriteTimestamps ?? false,
      neighTimeoutS: opts.neighTimeoutS ?? 300,
      sessionsPerWorker: opts.sessionsPerWorker ?? 4096,
      ipv6SessionsPerWorker: opts.ipv6SessionsPerWorker ?? 4096,
      persistTemplates: opts.persistTemplates ?? 65536,
      icmpErrorsPerSec: opts.icmpErrorsPerSec ?? 1000,
      icmpErrorsBurst: opts.icmpErrorsBurst ?? 50,
    });
    addon.publish({
      addrs: opts.addrs,
      routes: opts.routes,
      ...(opts.services ? { services: opts.services } : {}),
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
      ...(opts.extra ?? {}),
    } as NativeForwardingConf);
  } catch (e) {
    try {
      addon.stop();
    } finally {
      addon.cleanup();
      stopped = true;
    }
    throw e;
  }

  const dropsNow = (): Record<string, number> => ({ ...addon.stats().drops });
  const sumCounter = (name: CounterName): number => addon.stats().workers.reduce((a, w) => a + (w[name] ?? 0), 0);

  const h: RingDataplane = {
    addon,
    workers: nWorkers,
    mac: (i) => {
      const p = addon.ports()[i];
      if (!p) throw new Error(`no port ${i}`);
      return p.mac.toLowerCase();
    },
    inject(port, frames, queue = 0) {
      const n = addon.ringInject(port, queue, frames);
      if (n !== frames.length) throw new Error(`ringInject: only ${n} of ${frames.length} frames enqueued on port ${port} queue ${queue}`);
    },
    async collect(port, o) {
      const out: RingFrame[] = [];
      const deadline = Date.now() + o.timeoutMs;
      for (;;) {
        out.push(...addon.ringDrain(port, 256));
        if (o.count !== undefined && out.length >= o.count) return out;
        if (Date.now() >= deadline) return out;
        await sleep(2);
      }
    },
    async expectNothing(port, ms) {
      return h.collect(port, { timeoutMs: ms });
    },
    async exchange(port, frames, o) {
      h.flush();
      h.inject(port, frames, o.queue ?? 0);
      const got = await h.collect(port, { count: o.count, timeoutMs: o.timeoutMs });
      got.push(...(await h.expectNothing(port, o.quietMs)));
      return got;
    },
    stats: () => addon.stats(),
    counter: sumCounter,
    async dropsDelta(fn, settleMs = 150) {
      const before = dropsNow();
      await fn();
      // Workers nap when idle; give them time to process and count.
      let prev = JSON.stringify(dropsNow());
      const deadline = Date.now() + settleMs * 10;
      await sleep(settleMs);
      for (;;) {
        const cur = JSON.stringify(dropsNow());
        if (cur === prev || Date.now() > deadline) break;
        prev = cur;
        await sleep(settleMs);
      }
      const after = dropsNow();
      const delta: Record<string, number> = {};
      for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
        const d = (after[k] ?? 0) - (before[k] ?? 0);
        if (d !== 0) delta[k] = d;
      }
      return delta;
    },
    republish(conf) {
      addon.publish(conf);
    },
    neighbours() {
      return (addon as unknown as { neighbours(): NeighbourView[] }).neighbours();
    },
    async waitNeighbours(ips, timeoutMs) {
      const ok = (): boolean => {
        const n = h.neighbours();
        return ips.every((ip) => n.some((e) => e.ip === ip && e.valid));
      };
      const deadline = Date.now() + timeoutMs;
      while (!ok() && Date.now() < deadline) await sleep(10);
      return ok();
    },
    flush() {
      for (let p = 0; p < nPorts; p++) while (addon.ringDrain(p, 256).length > 0);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        addon.stop();
      } finally {
        addon.cleanup();
      }
    },
  };
  return h;
}
