// Prometheus metrics (prom-client) in a registry the app owns (never the
// global one).
//
// One stats snapshot per scrape
// -----------------------------
// Every dataplane metric reads its values in collect(). All of them read the
// same Snapshot: appliance.stats(), serverCounters() and lipStats() taken
// together, once. FulcrumMetrics.metrics() (what GET /metrics calls) starts a
// new scrape by bumping a sequence number; prom-client then calls every
// metric's get() -> collect() synchronously in one tick, the first collect()
// takes the snapshot for that sequence and the others reuse it. A direct
// metric.get() outside metrics() reuses the last snapshot for at most
// SNAPSHOT_TTL_MS. So one scrape never mixes two reads of the per-lcore
// counters, and the dataplane is read once per scrape, not once per metric.
//
// Monotonic counters
// ------------------
// Appliance.serverCounters() are the dataplane's raw counters: ipvsadm -Z
// never touches them (its offsets live in the API's stats view,
// lb/stats-view.ts). They restart only with the dataplane, so each
// per-backend counter still goes through a Monotonic tracker: a value below
// the last one seen is taken as a reset (as Prometheus' rate() would), and
// the last value is added to an offset. The node_ipvs_* global totals are sums over every backend ever seen
// (removed backends keep their last value), hence monotonic too. Per-lcore
// counters from the addon are raw and never zeroed.
//
// Labels
// ------
// Per-backend series carry node_exporter's ipvs collector labels:
// local_address (VIP), local_port, remote_address (RIP), remote_port and
// proto ("TCP"/"UDP", as /proc/net/ip_vs prints it). Per-thread series carry
// worker (the worker index, or "service" for the ARP/neighbour thread) and
// lcore ("" for the service thread).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { FulcrumConfig } from '../config/types';
import type { NativeLipStats, NativeStats, NativeSyncStats } from '../native/addon';
import type { RawServerCounters } from '../lb/stats-view';
import { serverKey } from '../config/keys';
import { SYNC_EVENTS, TCP_EDIT_EVENTS } from '../native/vocabulary';

/** The counters of one real server that the metrics read. */
export type MetricsServerCounters = RawServerCounters;

/** What the metrics read from the appliance (the real Appliance or a fake). */
export interface MetricsAppliance {
  readonly running: boolean;
  stats(): NativeStats;
  /** Keyed "tcp:VIP:port/RIP:port". */
  serverCounters?(): Map<string, MetricsServerCounters>;
  lipStats?(): NativeLipStats[];
  /** The session sync thread's counters (native/sync). */
  syncStats?(): NativeSyncStats;
}

/** What the metrics read from the config writer. */
export interface MetricsWriter {
  /** The desired config (every configured backend gets series). */
  current(): FulcrumConfig;
  /** The config the dataplane runs (health checks may drop or zero servers); weights come from here. */
  published?(): FulcrumConfig;
}

/**
 * One backend's health as the health manager reports it. `service` is the
 * service key ("tcp:198.18.0.100:80"), `server` is "RIP:port". State is
 * 'up'/'down' in any case.
 */
export interface HealthEntry {
  service: string;
  server: string;
  state: string;
  transitions?: number;
}

/** Optional: the health-check manager (src/health), integrated by interface. */
export interface HealthSource {
  snapshot(): readonly HealthEntry[];
}

export interface MetricsOptions {
  appliance: MetricsAppliance;
  writer: MetricsWriter;
  health?: HealthSource;
  /** Skip collectDefaultMetrics (process_*, nodejs_*). Default false. */
  noDefaultMetrics?: boolean;
  /** Clock for the snapshot TTL (tests). */
  now?: () => number;
}

export const SNAPSHOT_TTL_MS = 1000;

/** Drop reasons that always get a series, so dashboards never see "no data" for them. */
export const KEY_DROP_REASONS = ['lport_exhausted', 'redirect_ring_full', 'session_table_full', 'no_server'] as const;

interface Snapshot {
  seq: number;
  at: number;
  ok: boolean;
  stats: NativeStats | null;
  servers: Map<string, MetricsServerCounters>;
  lips: NativeLipStats[];
  sync: NativeSyncStats | null;
  /** Busy ratio per worker label, over the interval since the previous snapshot. */
  busy: Map<string, number>;
}

/** Counter values forced monotonic: a drop is taken as a reset of the source. */
export class Monotonic {
  private readonly m = new Map<string, { last: number; offset: number }>();

  /** Feed the current source value; returns the monotonic value. */
  update(key: string, raw: number): number {
    const v = Number.isFinite(raw) && raw > 0 ? raw : 0;
    const e = this.m.get(key);
    if (!e) {
      this.m.set(key, { last: v, offset: 0 });
      return v;
    }
    if (v < e.last) e.offset += e.last;
    e.last = v;
    return e.offset + v;
  }

  /** The last monotonic value (0 if never seen). */
  value(key: string): number {
    const e = this.m.get(key);
    return e ? e.offset + e.last : 0;
  }

  /** Sum of the monotonic values of every key `pick` accepts, keys no longer fed included. */
  sum(pick: (key: string) => boolean): number {
    let s = 0;
    for (const [k, e] of this.m) if (pick(k)) s += e.offset + e.last;
    return s;
  }
}

const BACKEND_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto'] as const;
type BackendLabels = Record<(typeof BACKEND_LABELS)[number], string>;

interface Backend {
  key: string;
  labels: BackendLabels;
  weight: number;
}


function backends(writer: MetricsWriter): Backend[] {
  const desired = writer.current();
  let published: FulcrumConfig | undefined;
  try {
    published = writer.published?.();
  } catch {
    published = undefined;
  }
  const pubWeight = new Map<string, number>();
  if (published) {
    for (const s of published.services) for (const r of s.servers) pubWeight.set(serverKey(s, r), r.weight);
  }
  const out: Backend[] = [];
  for (const s of desired.services) {
    for (const r of s.servers) {
      const key = serverKey(s, r);
      out.push({
        key,
        labels: {
          local_address: s.vip,
          local_port: String(s.port),
          remote_address: r.address,
          remote_port: String(r.port),
          proto: s.protocol.toUpperCase(),
        },
        // Not published (a DOWN server removed by health checks): weight 0.
        weight: published ? (pubWeight.get(key) ?? 0) : r.weight,
      });
    }
  }
  return out;
}

function workerLabel(w: NativeStats['workers'][number]): { worker: string; lcore: string } {
  return {
    worker: w.role === 'service' ? 'service' : String(w.index),
    lcore: w.lcore === null || w.lcore === undefined ? '' : String(w.lcore),
  };
}

/** The registry the app owns; metrics() is one scrape over one snapshot. */
export class FulcrumMetrics extends Registry {
  private seq = 0;
  private snap: Snapshot | undefined;
  private prevLoops = new Map<string, { loops: number; busy: number }>();
  private health_: HealthSource | undefined;
  private readonly opts: MetricsOptions;
  private readonly clock: () => number;

  constructor(opts: MetricsOptions) {
    super();
    this.opts = opts;
    this.health_ = opts.health;
    this.clock = opts.now ?? Date.now;
  }

  /** Install (or remove) the health source after construction. */
  setHealth(h: HealthSource | undefined): void {
    this.health_ = h;
  }

  get health(): HealthSource | undefined {
    return this.health_;
  }

  override metrics(): Promise<string> {
    this.seq++;
    return super.metrics();
  }

  override getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    this.seq++;
    return super.getMetricsAsJSON();
  }

  /** The snapshot of the current scrape (taken by the first collect()). */
  snapshot(): Snapshot {
    const now = this.clock();
    const s = this.snap;
    if (s && s.seq === this.seq && now - s.at < SNAPSHOT_TTL_MS) return s;
    this.snap = this.take(now);
    return this.snap;
  }

  private take(now: number): Snapshot {
    const a = this.opts.appliance;
    const snap: Snapshot = { seq: this.seq, at: now, ok: false, stats: null, servers: new Map(), lips: [], sync: null, busy: new Map() };
    if (!a.running) return snap;
    try {
      snap.stats = a.stats();
      snap.servers = a.serverCounters?.() ?? new Map();
      snap.lips = a.lipStats?.() ?? [];
      snap.sync = a.syncStats?.() ?? null;
      snap.ok = true;
    } catch {
      // Stopped between the check and the read: no dataplane series this scrape.
      return { ...snap, stats: null, servers: new Map(), lips: [], sync: null };
    }
    // Busy ratio over the interval since the previous snapshot.
    for (const w of snap.stats.workers) {
      const l = workerLabel(w).worker;
      const prev = this.prevLoops.get(l);
      let dl = w.loops;
      let db = w.busyLoops;
      if (prev && w.loops >= prev.loops && w.busyLoops >= prev.busy) {
        dl = w.loops - prev.loops;
        db = w.busyLoops - prev.busy;
      }
      snap.busy.set(l, dl > 0 ? Math.min(1, Math.max(0, db / dl)) : 0);
      this.prevLoops.set(l, { loops: w.loops, busy: w.busyLoops });
    }
    return snap;
  }
}

/**
 * Build the app's registry: process metrics plus every Fulcrum series, read
 * from one snapshot per scrape. Serve it with `await reg.metrics()` and
 * `reg.contentType`.
 */
export function buildMetrics(opts: MetricsOptions): FulcrumMetrics {
  const reg = new FulcrumMetrics(opts);
  const registers = [reg];
  if (!opts.noDefaultMetrics) {
    collectDefaultMetrics({ register: reg });
    // prom-client names these gauges *_total, which promtool (rightly) flags.
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) reg.removeSingleMetric(n);
  }
  const mono = new Monotonic();
  const snap = (): Snapshot => reg.snapshot();

  // ------------------------------------------------------------ appliance
  new Gauge({
    name: 'fulcrum_dataplane_up', help: '1 when the dataplane is running and its counters could be read.', registers,
    collect() {
      this.set(snap().ok ? 1 : 0);
    },
  });

  // ------------------------------------------------------------ per backend
  /** Per-backend monotonic values of this scrape (also feeds the global sums). */
  let rowsOf: Snapshot | undefined;
  let backendRows: Array<Backend & { c: MetricsServerCounters | undefined; m: Record<string, number> }> = [];
  const rows = () => {
    const s = snap();
    if (s === rowsOf) return backendRows;
    rowsOf = s;
    backendRows = backends(opts.writer).map((b) => {
      const c = s.servers.get(b.key);
      const m: Record<string, number> = {};
      for (const f of ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const) {
        const k = `srv:${b.key}:${f}`;
        m[f] = c ? mono.update(k, c[f]) : mono.value(k);
      }
      return { ...b, c, m };
    });
    return backendRows;
  };

  const backendGauge = (name: string, help: string, v: (r: ReturnType<typeof rows>[number]) => number) =>
    new Gauge({
      name, help, labelNames: BACKEND_LABELS, registers,
      collect() {
        this.reset();
        if (!snap().ok) return;
        for (const r of rows()) this.set(r.labels, v(r));
      },
    });
  backendGauge('node_ipvs_backend_connections_active', 'The current active connections by local and remote address.', (r) => r.c?.activeConns ?? 0);
  backendGauge('node_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', (r) => r.c?.inactConns ?? 0);
  backendGauge('node_ipvs_backend_weight', 'The current backend weight by local and remote address.', (r) => r.weight);

  new Counter({
    name: 'fulcrum_backend_connections_total', help: 'Connections scheduled to the backend (monotonic; ipvsadm -Z does not reset it).',
    labelNames: BACKEND_LABELS, registers,
    collect() {
      this.reset();
      if (!snap().ok) return;
      for (const r of rows()) this.inc(r.labels, r.m.conns!);
    },
  });
  for (const [name, help, fin, fout] of [
    ['fulcrum_backend_packets_total', 'Packets of the backend\'s sessions: in = client to server, out = server to client.', 'inPkts', 'outPkts'],
    ['fulcrum_backend_bytes_total', 'Bytes of the backend\'s sessions: in = client to server, out = server to client.', 'inBytes', 'outBytes'],
  ] as const) {
    new Counter({
      name, help, labelNames: [...BACKEND_LABELS, 'direction'], registers,
      collect() {
        this.reset();
        if (!snap().ok) return;
        for (const r of rows()) {
          this.inc({ ...r.labels, direction: 'in' }, r.m[fin]!);
          this.inc({ ...r.labels, direction: 'out' }, r.m[fout]!);
        }
      },
    });
  }

  // ------------------------------------------------------------ global (node_exporter ipvs names)
  for (const [name, help, f] of [
    ['node_ipvs_connections_total', 'The total number of connections made.', 'conns'],
    ['node_ipvs_incoming_packets_total', 'The total number of incoming packets.', 'inPkts'],
    ['node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', 'outPkts'],
    ['node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', 'inBytes'],
    ['node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', 'outBytes'],
  ] as const) {
    new Counter({
      name, help, registers,
      collect() {
        this.reset();
        if (!snap().ok) return;
        rows(); // feed the trackers from this snapshot
        // Every backend ever seen, removed ones included: monotonic.
        this.inc(mono.sum((k) => k.startsWith('srv:') && k.endsWith(`:${f}`)));
      },
    });
  }

  // ------------------------------------------------------------ health
  const healthRows = () => {
    const h = reg.health;
    const byKey = new Map<string, HealthEntry>();
    if (h) {
      try {
        for (const e of h.snapshot()) byKey.set(`${e.service}/${e.server}`, e);
      } catch {
        /* health manager failing: treat as unchecked */
      }
    }
    return backends(opts.writer).map((b) => ({ b, e: byKey.get(b.key) }));
  };
  new Gauge({
    name: 'fulcrum_backend_up', help: '1 when the backend\'s health check says UP (or it has no health check), 0 when DOWN.',
    labelNames: BACKEND_LABELS, registers,
    collect() {
      this.reset();
      for (const { b, e } of healthRows()) this.set(b.labels, e && String(e.state).toLowerCase() === 'down' ? 0 : 1);
    },
  });
  new Counter({
    name: 'fulcrum_backend_health_transitions_total', help: 'UP/DOWN state changes of the backend\'s health check.',
    labelNames: BACKEND_LABELS, registers,
    collect() {
      this.reset();
      for (const { b, e } of healthRows()) {
        const k = `hc:${b.key}`;
        this.inc(b.labels, e ? mono.update(k, Number(e.transitions ?? 0)) : mono.value(k));
      }
    },
  });

  // ------------------------------------------------------------ per worker
  type W = NativeStats['workers'][number];
  const each = (fn: (w: W, l: { worker: string; lcore: string }) => void): void => {
    const s = snap();
    if (!s.ok || !s.stats) return;
    for (const w of s.stats.workers) fn(w, workerLabel(w));
  };
  const WL = ['worker', 'lcore'] as const;

  for (const [name, help, f] of [
    ['fulcrum_port_rx_packets_total', 'Packets received on the port by the thread.', 'rxPackets'],
    ['fulcrum_port_rx_bytes_total', 'Bytes received on the port by the thread.', 'rxBytes'],
    ['fulcrum_port_tx_packets_total', 'Packets transmitted on the port by the thread.', 'txPackets'],
    ['fulcrum_port_tx_bytes_total', 'Bytes transmitted on the port by the thread.', 'txBytes'],
  ] as const) {
    new Counter({
      name, help, labelNames: [...WL, 'port'], registers,
      collect() {
        this.reset();
        each((w, l) => {
          for (const [port, pc] of Object.entries(w.ports)) this.inc({ ...l, port }, pc[f]);
        });
      },
    });
  }
  new Counter({
    name: 'fulcrum_port_kernel_packets_total', help: 'Exception-path packets between the port and its kernel twin (direction to_kernel|from_kernel).',
    labelNames: [...WL, 'port', 'direction'], registers,
    collect() {
      this.reset();
      each((w, l) => {
        for (const [port, pc] of Object.entries(w.ports)) {
          this.inc({ ...l, port, direction: 'to_kernel' }, pc.toKernel);
          this.inc({ ...l, port, direction: 'from_kernel' }, pc.fromKernel);
        }
      });
    },
  });
  new Counter({
    name: 'fulcrum_drops_total', help: 'Packets dropped, by reason (redirect_ring_full: redirect ring full; lport_exhausted: FULLNAT local ports exhausted).',
    labelNames: [...WL, 'reason'], registers,
    collect() {
      this.reset();
      each((w, l) => {
        const drops: Record<string, number> = { ...w.drops };
        for (const r of KEY_DROP_REASONS) drops[r] ??= 0;
        for (const [reason, n] of Object.entries(drops)) this.inc({ ...l, reason }, n);
      });
    },
  });

  const workersOnly = (fn: (w: W, l: { worker: string; lcore: string }) => void) => each((w, l) => {
    if (w.role !== 'service') fn(w, l);
  });
  new Gauge({
    name: 'fulcrum_sessions_active', help: 'Sessions in the worker\'s session table.', labelNames: WL, registers,
    collect() {
      this.reset();
      workersOnly((w, l) => this.set(l, w.sessionsActive));
    },
  });
  new Gauge({
    name: 'fulcrum_sessions_capacity', help: 'Capacity of the worker\'s session tables, IPv4 and IPv6 together.', labelNames: WL, registers,
    collect() {
      this.reset();
      workersOnly((w, l) => this.set(l, w.sessionsCapacity));
    },
  });
  for (const [name, help, f] of [
    ['fulcrum_sessions_created_total', 'Sessions created by the worker.', 'sessionsCreated'],
    ['fulcrum_sessions_expired_total', 'Sessions expired by the worker.', 'sessionsExpired'],
  ] as const) {
    new Counter({
      name, help, labelNames: WL, registers,
      collect() {
        this.reset();
        workersOnly((w, l) => this.inc(l, w[f]));
      },
    });
  }
  new Counter({
    name: 'fulcrum_tcp_stream_edits_total',
    help: 'TCP stream edits for the client address, by event: PROXY headers sent and sent again (not yet acknowledged), TOA options added and not added for lack of room.',
    labelNames: [...WL, 'event'], registers,
    collect() {
      this.reset();
      workersOnly((w, l) => {
        for (const event of TCP_EDIT_EVENTS) this.inc({ ...l, event }, w.tcpEdits?.[event] ?? 0);
      });
    },
  });
  // ------------------------------------------------- session sync (native/sync)
  new Counter({
    name: 'fulcrum_sync_sessions_total',
    help: 'Session sync by worker and event: queued for the backups (queue_full: the ring was full), installed or updated from a peer, refused (no such service, server, method or LIP port here, or a full table).',
    labelNames: [...WL, 'event'], registers,
    collect() {
      this.reset();
      workersOnly((w, l) => {
        for (const event of SYNC_EVENTS) this.inc({ ...l, event }, w.sync?.[event] ?? 0);
      });
    },
  });
  for (const [name, help, sent, received] of [
    ['fulcrum_sync_messages_total', 'IPVS sync messages sent by the master daemon and accepted by the backup daemon.', 'msgsSent', 'msgsReceived'],
    ['fulcrum_sync_connections_total', 'Connections in the IPVS sync messages sent and received.', 'connsSent', 'connsReceived'],
  ] as const) {
    new Counter({
      name, help, labelNames: ['direction'], registers,
      collect() {
        this.reset();
        const s = snap().sync;
        if (!s) return;
        this.inc({ direction: 'sent' }, s[sent]);
        this.inc({ direction: 'received' }, s[received]);
      },
    });
  }
  new Counter({
    name: 'fulcrum_sync_dropped_total',
    help: 'Sync data dropped by the sync thread, by reason: received messages refused (bad_length, bad_version, other_syncid, bad_conn), IPv6 or invalid conns, records for a worker whose ring was full.',
    labelNames: ['reason'], registers,
    collect() {
      this.reset();
      const s = snap().sync;
      if (!s) return;
      for (const [reason, n] of Object.entries(s.msgsRefused)) this.inc({ reason }, n);
      this.inc({ reason: 'ipv6_conn' }, s.connsSkipped);
      this.inc({ reason: 'bad_state' }, s.connsInvalid);
      this.inc({ reason: 'worker_ring_full' }, s.workerRingFull);
    },
  });
  new Gauge({
    name: 'fulcrum_sync_lag_seconds',
    help: 'Age of the oldest session record in the last batch the master sent: from the worker queueing it to the send.',
    registers,
    collect() {
      this.reset();
      const s = snap().sync;
      if (s) this.set(s.lastLagMs / 1000);
    },
  });

  // ------------------------------------------------- persistence templates
  new Gauge({
    name: 'fulcrum_persist_template_slots', help: 'Slots of the persistence template table (dataplane.persistTemplates, rounded up to a power of two).', registers,
    collect() {
      this.reset();
      const s = snap();
      if (s.ok && s.stats) this.set(s.stats.persistence.templateSlots);
    },
  });
  for (const [name, help, f] of [
    ['fulcrum_persist_templates_full_total', 'New clients of persistent services that found no free template slot, so got no persistence: raise dataplane.persistTemplates.', 'templatesFull'],
    ['fulcrum_persist_templates_reclaimed_total', 'Template slots of expired clients given to new ones.', 'templatesReclaimed'],
  ] as const) {
    new Counter({
      name, help, registers,
      collect() {
        this.reset();
        const s = snap();
        if (s.ok && s.stats) this.inc(s.stats.persistence[f]);
      },
    });
  }

  // Worker counters split by one label: each label value names a counter field.
  const split: Array<[string, string, string, Record<string, 'redirectIn' | 'redirectOut' | 'icmpErrorsSent' | 'icmpErrorsLimited'>]> = [
    ['fulcrum_redirect_packets_total', 'Packets handed between workers over the redirect rings (out = sent to the owner, in = received).',
      'direction', { in: 'redirectIn', out: 'redirectOut' }],
    ['fulcrum_icmp_errors_total', 'ICMP errors the director originated (sent), or held back by the rate limit (limited).',
      'outcome', { sent: 'icmpErrorsSent', limited: 'icmpErrorsLimited' }],
  ];
  for (const [name, help, label, fields] of split) {
    new Counter({
      name, help, labelNames: [...WL, label], registers,
      collect() {
        this.reset();
        workersOnly((w, l) => {
          for (const [value, f] of Object.entries(fields)) this.inc({ ...l, [label]: value }, w[f]);
        });
      },
    });
  }
  for (const [name, help, f] of [
    ['fulcrum_worker_loops_total', 'Poll loops run by the thread.', 'loops'],
    ['fulcrum_worker_busy_loops_total', 'Poll loops that found work.', 'busyLoops'],
    ['fulcrum_worker_idle_naps_total', 'Naps of the idle back-off (dataplane.idleSleepUs > 0).', 'idleNaps'],
    ['fulcrum_worker_idle_waits_total', 'Rx-interrupt sleeps of an idle worker (dataplane.rxInterrupts).', 'idleWaits'],
    ['fulcrum_worker_idle_wakeups_total', 'Rx-interrupt sleeps that a packet or a kick ended before their timeout.', 'idleWakeups'],
  ] as const) {
    new Counter({
      name, help, labelNames: WL, registers,
      collect() {
        this.reset();
        each((w, l) => this.inc(l, w[f]));
      },
    });
  }
  new Gauge({
    name: 'fulcrum_worker_busy_ratio', help: 'Share of poll loops that found work, since the previous scrape (0..1).', labelNames: WL, registers,
    collect() {
      this.reset();
      const s = snap();
      each((_w, l) => this.set(l, s.busy.get(l.worker) ?? 0));
    },
  });

  // ------------------------------------------------------------ LIP pool
  const lipGauge = (name: string, help: string, f: 'free' | 'capacity') =>
    new Gauge({
      name, help, labelNames: ['lip', 'worker'], registers,
      collect() {
        this.reset();
        const s = snap();
        if (!s.ok) return;
        for (const x of s.lips) this.set({ lip: x.ip, worker: String(x.worker) }, x[f]);
      },
    });
  lipGauge('fulcrum_lip_ports_free', 'Free FULLNAT local ports of the LIP in the worker\'s slice.', 'free');
  lipGauge('fulcrum_lip_ports_capacity', 'FULLNAT local ports of the LIP in the worker\'s slice.', 'capacity');

  return reg;
}
