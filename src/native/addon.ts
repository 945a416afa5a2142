// Typed loader for the native dataplane addon (build/native/Release/fulcrum_native.node).
// The addon is a thin node-addon-api layer over native/include/fulcrum.h; every
// function here runs on the Node main thread, which is the DPDK main lcore.
import path from 'node:path';
import fs from 'node:fs';
import { METHODS, vocabularyMismatches, type NativeVocabulary, type TCP_EDITS, type TCP_EDIT_EVENTS, type SYNC_EVENTS } from './vocabulary';

/** A DPDK port as the dataplane should open it. */
export interface NativePortConf {
  name: string;
  /** PCI address, vdev devargs ("net_af_packet0,iface=veth0"), or "ring". */
  device: string;
  /** A vdev the addon attaches if `device` (then attached by the addon too) is refused. */
  fallback?: string;
  /** Kernel twin interface name (net_tap); "" for none. */
  twin: string;
  /** 0 keeps the driver default. */
  mtu: number;
}

export interface NativeDataplaneConf {
  /** Worker lcore ids (never the main lcore). */
  workers: number[];
  /** 1: set the workers up but do not run them (fulcrum replay drives them). */
  noLaunch?: number;
  ports: NativePortConf[];
  mbufsPerSocket: number;
  rxDesc: number;
  txDesc: number;
  burst: number;
  txDrainUs: number;
  idleSleepUs: number;
  /** With idleSleepUs > 0: sleep on Rx interrupts where every queue of a worker has one. */
  rxInterrupts?: boolean;
  /** FULLNAT TCP: clients' TSvals onto the director's wall clock (default false when omitted). */
  rewriteTimestamps?: boolean;
  neighTimeoutS: number;
  sessionsPerWorker: number;
  ipv6SessionsPerWorker: number;
  /** Persistence template slots, rounded up to a power of two by the dataplane. */
  persistTemplates: number;
  /** ICMP errors the director originates, per second over all workers (0 = not limited). */
  icmpErrorsPerSec: number;
  icmpErrorsBurst: number;
}

export type AddrRole = 'dip' | 'vip' | 'lip';

export interface NativeAddr {
  ip: string;
  prefix: number;
  role: AddrRole;
  /** Index into NativeDataplaneConf.ports. */
  port: number;
  /** A floating VIP/LIP that the VRRP master elsewhere holds: dropped here, its ARP unanswered (src/ha/vrrp.ts). */
  standby?: boolean;
}

export interface NativeRoute {
  /** Network address, e.g. "198.19.0.0". */
  prefix: string;
  len: number;
  port: number;
  /** Next hop, or null when directly connected. */
  gateway: string | null;
}

export type ForwardingMethod = (typeof METHODS)[number];

export interface NativeServer {
  /** Stable across publishes while the server stays configured. */
  id: number;
  ip: string;
  port: number;
  weight: number;
  method: ForwardingMethod;
  /** ipvsadm -x / -y; 0 = none. */
  upperThreshold?: number;
  lowerThreshold?: number;
}

export interface NativeService {
  /** Stable across publishes, < 4096. */
  id: number;
  proto: 'tcp' | 'udp';
  /** Which family vip, the servers' ip and lips are (4 when omitted). */
  family?: 4 | 6;
  /** The servers' and LIPs' family when not the VIP's: 4 under an IPv6 VIP is NAT64. */
  serverFamily?: 4 | 6;
  vip: string;
  port: number;
  /** IPVS scheduler name (native/vocabulary.ts SCHEDULERS). */
  sched: string;
  schedFlags?: string[];
  /** Maglev lookup table size (a prime); default 65537. */
  mhTableSize?: number;
  expireNodest: boolean;
  mssClamp: number;
  /** TCP stream edit for the client's address (TCP_EDITS); default none. */
  tcpx?: (typeof TCP_EDITS)[number];
  /** Answer SYNs with SYN cookies (native/tcp/synproxy.c). */
  synProxy?: boolean;
  /** ipvsadm -p / -M: client (masked) sticks to its server. */
  persistence?: { timeout: number; netmask: string; ipv6PrefixLength?: number } | null;
  /** LIP pool (role "lip" addresses) for FULLNAT servers. */
  lips: string[];
  servers: NativeServer[];
}

/** ipvsadm --set tcp tcpfin udp, in seconds (0 keeps the IPVS default). */
export interface NativeTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** Everything workers read through the RCU-published snapshot. */
export interface NativeForwardingConf {
  /** IPVS sloppy_tcp: a session may start on any TCP packet but a RST. */
  sloppyTcp?: boolean;
  addrs: NativeAddr[];
  routes: NativeRoute[];
  /** The IPv6 family's addresses and routes: the same shapes, IPv6 strings. */
  addrs6?: NativeAddr[];
  routes6?: NativeRoute[];
  services?: NativeService[];
  timeouts?: NativeTimeouts;
}

export interface NativePortInfo {
  name: string;
  driver: string;
  twin: string;
  portId: number;
  twinPortId: number | null;
  mac: string;
  mtu: number;
  rxQueues: number;
  txQueues: number;
  rss: boolean;
  /**
   * How a client flow reaches one worker: the port's own spreading (RSS, or
   * a single queue), or, on a port with several queues and no RSS
   * (af_packet), a software redirect by a hash of the client address and port.
   */
  clientSteering: 'port' | 'software';
  /** How FULLNAT replies reach the worker that owns their port. */
  steering: 'none' | 'software' | 'rte_flow';
  linkUp: boolean;
  /** AF_XDP sockets the port opened (0 on any other driver), and how many the kernel bound zero-copy. */
  xskSockets: number;
  xskZeroCopy: number;
  /** Why the preferred driver (net_af_xdp) was refused for the fallback, or null. */
  fallbackReason: string | null;
  /** Every RX queue of the port (of its kernel twin) has an interrupt for the idle sleep (dataplane.rxInterrupts). */
  rxInterrupts: boolean;
  twinRxInterrupts: boolean;
}

export interface PortCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  toKernel: number;
  fromKernel: number;
}

export interface WorkerCounters {
  /** 'worker' for poll-mode workers, 'service' for the neighbour/ARP thread. */
  role: 'worker' | 'service';
  index: number;
  lcore: number | null;
  /** Keyed by port name. */
  ports: Record<string, PortCounters>;
  /** Keyed by drop reason (fl_drop_name). */
  drops: Record<string, number>;
  /** Keyed by TCP stream edit event (fl_tcpx_event_name): PROXY headers, TOA options. */
  tcpEdits: Record<(typeof TCP_EDIT_EVENTS)[number], number>;
  /** Keyed by session sync event (fl_sync_event_name). */
  sync: Record<(typeof SYNC_EVENTS)[number], number>;
  arpReplies: number;
  arpRequestsSent: number;
  garpSent: number;
  icmpEchoReplies: number;
  icmpErrorsSent: number;
  /** ICMP errors not sent: over the rate limit (dataplane.icmpErrorsPerSec and icmpErrorsBurst). */
  icmpErrorsLimited: number;
  /** IPv6 neighbour discovery: adverts answering solicitations, solicitations sent, unsolicited adverts. */
  ndAdvertsSent: number;
  ndSolicitsSent: number;
  ndUnsolicitedSent: number;
  icmp6EchoReplies: number;
  neighQueued: number;
  redirectOut: number;
  redirectIn: number;
  sessionsCreated: number;
  sessionsExpired: number;
  sessionsActive: number;
  sessionsCapacity: number;
  loops: number;
  busyLoops: number;
  /** Idle back-off: naps taken and the microseconds they asked for (idle.c). */
  idleNaps: number;
  idleNapUs: number;
  /** Rx-interrupt sleeps (idle.c), and those a packet or a kick ended before the timeout. */
  idleWaits: number;
  idleWakeups: number;
  /** The worker sleeps on Rx interrupts (every queue it polls has one), not the back-off. */
  rxInterrupts: boolean;
}

/** One read of every per-lcore counter block; totals are summed here. */
export interface NativeStats {
  workers: WorkerCounters[];
  ports: Record<string, PortCounters>;
  drops: Record<string, number>;
  persistence: PersistenceCounters;
}

/** The persistence template table (ipvsadm -p), shared by the workers. */
export interface PersistenceCounters {
  templateSlots: number;
  /** New clients of persistent services that found no free slot (they got no persistence). */
  templatesFull: number;
  /** Slots of expired clients given to new ones. */
  templatesReclaimed: number;
}

export interface RingFrame {
  frame: Buffer;
  /** TX queue: the worker index, or the worker count for the service thread. */
  queue: number;
}

/** Per real server (stable id), summed over workers. */
export interface NativeServerStats {
  id: number;
  active: number;
  inactive: number;
  conns: number;
  inPackets: number;
  outPackets: number;
  inBytes: number;
  outBytes: number;
}

export interface NativeLipStats {
  ip: string;
  worker: number;
  free: number;
  capacity: number;
}

export interface NativeSession {
  proto: string;
  client: string;
  clientPort: number;
  vip: string;
  vport: number;
  server: string;
  serverPort: number;
  local: string | null;
  localPort: number | null;
  state: string;
  method: ForwardingMethod | 'unknown';
  worker: number;
  serverId: number;
  serviceId: number;
  expiresInMs: number;
  /** Packets of the session, both directions. */
  packets: number;
}

export interface NativeSessionPage {
  sessions: NativeSession[];
  cursor: number;
  done: boolean;
}

/** A live persistence template (ipvsadm -p): the client, masked, sticks to serverId. */
export interface NativeTemplate {
  serviceId: number;
  client: string;
  serverId: number;
  /** 0 once only the sessions it controls keep it alive. */
  expiresInMs: number;
  /** Sessions it controls. */
  refs: number;
}

export interface NativeTemplatePage {
  templates: NativeTemplate[];
  cursor: number;
  done: boolean;
}

export interface NativeNeighbour {
  ip: string;
  port: number;
  mac: string;
  valid: boolean;
  expiresInMs: number;
}

/** A client's packet to explain: addresses dotted, ports in host order. */
export interface NativeExplainQuery {
  /** IP protocol number (6 tcp, 17 udp). */
  proto: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

/** What the fast path would do with that packet now (fl_explain: ids, not names). */
export interface NativeExplain {
  worker: number;
  /** False: the receiving port's RSS picks the worker; `worker` is the one holding the session, else 0. */
  ownerKnown: boolean;
  serviceId: number | null;
  /** A port-0 (all ports) service matched. */
  serviceWildcard: boolean;
  session: NativeSession | null;
  template: { serverId: number; expiresInMs: number; refs: number } | null;
  scheduler: string | null;
  /** rr/wrr: the server of the last pick. */
  lastPickServerId: number | null;
  /** sh/dh/mh: the table slot the key hashes to, of `slots`, and whose it is. */
  keySlot: number | null;
  slots: number;
  slotServerId: number | null;
  pickServerId: number | null;
  pickFromTemplate: boolean;
  method: ForwardingMethod | null;
  /** The drop reason the method's open would give (no free LIP port...). */
  openDrop: string | null;
  /** Where the replies come back to: FULLNAT's LIP:lport, NAT's CIP:cport. */
  replyTo: string | null;
  replyPort: number | null;
  egress: { port: number; nextHop: string; mac: string | null } | null;
  servers: { serverId: number; weight: number; available: boolean; overloaded: boolean; active: number; inactive: number }[];
}

/** Which sync daemons run and IPVS's sync sysctls (fl_sync_conf). */
export interface NativeSyncConf {
  master: boolean;
  backup: boolean;
  masterSyncId: number;
  /** 0: accept any sync id. */
  backupSyncId: number;
  threshold: number;
  period: number;
  refreshPeriod: number;
  maxLen: number;
}

/** The sync thread's counters (fl_sync_stats). */
export interface NativeSyncStats {
  msgsSent: number;
  connsSent: number;
  msgsReceived: number;
  connsReceived: number;
  /** IPv6 conns in a received message (this director syncs IPv4). */
  connsSkipped: number;
  connsInvalid: number;
  workerRingFull: number;
  lastLagMs: number;
  /** Received messages refused, by reason (fl_sync_err_name). */
  msgsRefused: Record<string, number>;
}

export interface NativeAddon {
  /** Names and limits from the dataplane's own tables (checked at load). */
  readonly vocabulary: NativeVocabulary;
  /** rte_eal_init inside this process. Throws Error(message) on failure. */
  ealInit(args: string[]): void;
  start(conf: NativeDataplaneConf): void;
  publish(conf: NativeForwardingConf): void;
  stop(): void;
  cleanup(): void;
  ports(): NativePortInfo[];
  stats(): NativeStats;
  dropReasons(): string[];
  serverStats(): NativeServerStats[];
  lipStats(): NativeLipStats[];
  /** Copy up to `max` (<= 64) sessions of one worker from `cursor`, answered
   * by the worker between bursts. */
  sessions(worker: number, cursor: number, max?: number): NativeSessionPage;
  neighbours(): NativeNeighbour[];
  /** Live persistence templates from slot `cursor` on, up to `max` (<= 4096). */
  templates(cursor: number, max?: number): NativeTemplatePage;
  /** Work a client's packet out on its worker, on copies: changes nothing. */
  explain(q: NativeExplainQuery): NativeExplain;
  ringInject(port: number, queue: number, frames: Buffer[]): number;
  /** fulcrum replay (started with noLaunch): one frame through the fast path on this thread. */
  replayFrame(port: number, frame: Buffer): void;
  /** fulcrum replay: learn a neighbour up front (filed by the service thread a moment later). */
  replayNeighbour(port: number, ip: string, mac: Buffer): void;
  ringDrain(port: number, max?: number): RingFrame[];
  /** Session sync (native/sync): the daemons' settings; workers see them at once. */
  syncConfigure(conf: NativeSyncConf): void;
  /** What the workers queued since the last call, as IPVS v1 messages, and the oldest record's age. */
  syncCollect(): { messages: Buffer[]; lagMs: number };
  /** A received message to the workers that own its sessions; error names why it was refused. */
  syncApply(msg: Buffer): { handed: number; error: string | null };
  syncStats(): NativeSyncStats;
}

const candidates = [
  path.resolve(__dirname, '../../../build/native/Release/fulcrum_native.node'),
  path.resolve(__dirname, '../../build/native/Release/fulcrum_native.node'),
  path.resolve(process.cwd(), 'build/native/Release/fulcrum_native.node'),
];

let cached: NativeAddon | undefined;

/** Load the addon once. Throws a one-line error when it has not been built. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const file = candidates.find((c) => fs.existsSync(c));
  if (!file) {
    throw new Error('native addon not built: run `npm run build:native` (needs libdpdk-dev)');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require(file) as NativeAddon;
  const mismatches = vocabularyMismatches(addon.vocabulary);
  if (mismatches.length) {
    throw new Error(`native addon ${file} and the control plane disagree (rebuild both: npm run build): ${mismatches.join('; ')}`);
  }
  cached = addon;
  return cached;
}
