// The dataplane's vocabulary as the control plane states it: the names the
// config schema accepts and the limits it enforces. The C side is the source
// of truth: the addon exports the same from its own tables (the method
// table, the registered schedulers, fulcrum.h), and loadNative() checks the
// two agree once, when it loads the addon. A method or scheduler added on one
// side only then fails at start, naming what differs. The literals stay here
// because the schema (and the config types derived from it) are built
// without the addon, in tools and tests that never load it.

export const METHODS = ['fullnat', 'dr', 'nat', 'tun'] as const;
export const SCHEDULERS = [
  'rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'fo', 'ovf', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'twos',
] as const;
export const DEFAULT_SCHEDULER = 'wlc';
export const SCHED_FLAGS = ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port'] as const;
/** What a TCP service may do to its streams (native/tcp), and the methods that can. */
export const TCP_EDITS = ['none', 'proxy-v1', 'proxy-v2', 'toa'] as const;
export const TCP_EDIT_METHODS = ['fullnat'] as const;
/** The methods an IPv6 service's servers may use (native/fastpath/methods6.c). */
export const IPV6_METHODS = ['fullnat', 'dr', 'nat', 'tun'] as const;
/** Events the workers count for those edits (fl_tcpx_event_name). */
export const TCP_EDIT_EVENTS = [
  'proxy_header_sent', 'proxy_header_resent', 'toa_added', 'toa_no_room',
  'syncookie_sent', 'syncookie_valid', 'syncookie_invalid', 'synproxy_joined', 'synproxy_refused', 'synproxy_hold_full',
] as const;

/** Session sync events the workers count (fl_sync_event_name). */
export const SYNC_EVENTS = [
  'queued', 'queue_full', 'installed', 'updated',
  'refused_no_service', 'refused_no_server', 'refused_method', 'refused_local_port', 'refused_table_full',
] as const;

/** fulcrum.h limits (and DPDK's RTE_MAX_LCORE - 1 for lcore). */
export const LIMITS = {
  ports: 8,
  workers: 16,
  addrs: 1024,
  routes: 1024,
  lcore: 127,
  devargsLength: 511,
} as const;

/** What the addon exports as `vocabulary` (native/addon/addon.cc). */
export interface NativeVocabulary {
  methods: string[];
  schedulers: string[];
  schedFlags: string[];
  tcpEdits: string[];
  tcpEditMethods: string[];
  ipv6Methods: string[];
  tcpEditEvents: string[];
  syncEvents: string[];
  defaultScheduler: string;
  dropReasons: string[];
  limits: Record<string, number>;
}

/** Every way the addon's vocabulary differs from this one; [] when they agree. */
export function vocabularyMismatches(native: NativeVocabulary | undefined): string[] {
  if (!native) return ['the addon exports no vocabulary (an addon older than this control plane?)'];
  const out: string[] = [];
  const list = (what: string, ours: readonly string[], theirs: string[]): void => {
    if (ours.length !== theirs.length || ours.some((n, i) => theirs[i] !== n)) {
      out.push(`${what}: control plane [${ours.join(', ')}], dataplane [${theirs.join(', ')}]`);
    }
  };
  list('methods', METHODS, native.methods);
  list('schedulers', SCHEDULERS, native.schedulers);
  list('scheduler flags', SCHED_FLAGS, native.schedFlags);
  list('TCP stream edits', TCP_EDITS, native.tcpEdits ?? []);
  list('methods that edit TCP streams', TCP_EDIT_METHODS, native.tcpEditMethods ?? []);
  list('methods for IPv6 services', IPV6_METHODS, native.ipv6Methods ?? []);
  list('TCP stream edit events', TCP_EDIT_EVENTS, native.tcpEditEvents ?? []);
  list('session sync events', SYNC_EVENTS, native.syncEvents ?? []);
  if (native.defaultScheduler !== DEFAULT_SCHEDULER) {
    out.push(`default scheduler: control plane ${DEFAULT_SCHEDULER}, dataplane ${native.defaultScheduler}`);
  }
  for (const [k, v] of Object.entries(LIMITS)) {
    if (native.limits[k] !== v) out.push(`limit ${k}: control plane ${v}, dataplane ${String(native.limits[k])}`);
  }
  return out;
}

/** This side's vocabulary in the addon's shape (what a test's stand-in addon exports). */
export function statedVocabulary(dropReasons: string[] = []): NativeVocabulary {
  return {
    methods: [...METHODS], schedulers: [...SCHEDULERS], schedFlags: [...SCHED_FLAGS],
    tcpEdits: [...TCP_EDITS], tcpEditMethods: [...TCP_EDIT_METHODS], ipv6Methods: [...IPV6_METHODS], tcpEditEvents: [...TCP_EDIT_EVENTS], syncEvents: [...SYNC_EVENTS],
    defaultScheduler: DEFAULT_SCHEDULER, dropReasons, limits: { ...LIMITS },
  };
}
