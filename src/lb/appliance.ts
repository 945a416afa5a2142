// Daemon lifecycle: EAL init -> dataplane start -> publish network view ->
// kernel twins. Shared by the CLI, the API and tests. The addon is loaded
// lazily (only in start()) so config validation and dry runs work on hosts
// without DPDK or an addon build.
import { isDeepStrictEqual } from 'node:util';
import type { FulcrumConfig } from '../config/types';
import type {
  NativeAddon, NativeDataplaneConf, NativeExplain, NativeForwardingConf, NativePortInfo, NativeStats, NativeSyncStats,
  NativeTemplate,
} from '../native/addon';
import { loadNative } from '../native/addon';
import { planEal, probeHost, type HostFacts } from '../dataplane/eal';
import { planDataplane, planForwarding } from '../dataplane/plan';
import { newDataplaneIds, type DataplaneIds } from '../dataplane/ids';
import {
  configureTwins, execRunner, prepareUnderlay, twinCommands, underlayCommands,
  type CommandRunner, type HostCommand,
} from '../dataplane/twin';
import type { RawServerCounters } from './stats-view';
import type { ExplainNames, ExplainQuery } from './explain';
import { endpointKey, parseEndpointKey, parseServiceKey, serviceKey } from '../config/keys';
import { floatingAddresses } from '../ha/config';
import { resolvePorts, type ResolvedPort } from '../net/ports';
import { probeXdpMode, type XdpMode } from '../net/ports/af_xdp';

/** GET /api/v1/ports: the addon's view plus how the port was opened. */
export interface PortView extends NativePortInfo {
  /** The config's device string ("iface:dcli", a PCI address, a vdev). */
  device: string;
  /** The kernel interface under the port, if any. */
  iface: string | null;
  /** AF_XDP ports: attach mode (native: in the driver; generic: on the skb path) and copy mode. */
  xdp: { mode: XdpMode | null; copy: 'copy' | 'zero-copy' | 'mixed'; sockets: number } | null;
}

export interface AppliancePlan {
  eal: string[];
  memory: { hugepages: boolean; note: string };
  dataplane: NativeDataplaneConf;
  forwarding: NativeForwardingConf;
  hostCommands: HostCommand[];
}

export interface ApplianceOptions {
  /** Injected for tests; default loads the built addon. */
  addon?: NativeAddon;
  host?: HostFacts;
  /** Runs `ip`/`sysctl`; tests inject a recorder. */
  run?: CommandRunner;
  /** Skip kernel twin configuration (tests without privileges). */
  skipHostConfig?: boolean;
  /** Set the workers up without running them: the caller drives them (fulcrum replay). */
  noLaunch?: boolean;
}

type State = 'idle' | 'eal' | 'running' | 'stopped';

/** Everything start() will do, computed without touching DPDK or the host. */
export function planAppliance(cfg: FulcrumConfig, host: HostFacts, ids: DataplaneIds = newDataplaneIds()): AppliancePlan {
  const eal = planEal(cfg, host);
  return {
    eal: eal.args,
    memory: { hugepages: eal.hugepages, note: eal.memoryNote },
    dataplane: planDataplane(cfg, host),
    forwarding: planForwarding(cfg, ids),
    hostCommands: [...underlayCommands(cfg, host), ...twinCommands(cfg)],
  };
}

export class Appliance {
  private state: State = 'idle';
  private addon: NativeAddon | undefined;
  private readonly run: CommandRunner;
  private plan_: AppliancePlan | undefined;
  /** Stable service/server ids for the life of this process. */
  private readonly ids: DataplaneIds = newDataplaneIds();
  private config_: FulcrumConfig;
  /** Floating addresses held by the VRRP master elsewhere: all of them until the twin shows ours (src/ha/vrrp.ts). */
  private standby_: ReadonlySet<string>;
  /** How each configured port is opened (set by start()). */
  private resolved: ResolvedPort[] = [];
  private xdpModes: (XdpMode | null)[] = [];

  get config(): FulcrumConfig {
    return this.config_;
  }

  constructor(
    config: FulcrumConfig,
    private readonly opts: ApplianceOptions = {},
  ) {
    this.config_ = config;
    this.standby_ = new Set(floatingAddresses(config).map((a) => a.ip));
    this.addon = opts.addon;
    this.run = opts.run ?? execRunner;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get plan(): AppliancePlan | undefined {
    return this.plan_;
  }

  /** Throws Error(message) on any failure; call stop() afterwards to clean up. */
  start(): AppliancePlan {
    if (this.state !== 'idle') throw new Error(`cannot start: appliance is ${this.state}`);
    // Plan first: memory/lcore problems surface before DPDK is touched.
    const host = this.opts.host ?? probeHost(this.config);
    const plan = planAppliance(this.config, host, this.ids);
    this.plan_ = plan;
    this.resolved = resolvePorts(this.config, host.channels);
    const addon = (this.addon ??= loadNative());
    if (!this.opts.skipHostConfig) prepareUnderlay(this.config, this.run, host);
    addon.ealInit(plan.eal);
    this.state = 'eal';
    addon.start(this.opts.noLaunch ? { ...plan.dataplane, noLaunch: 1 } : plan.dataplane);
    this.state = 'running';
    const forwarding = planForwarding(this.config, this.ids, this.standby_);
    this.plan_ = { ...plan, forwarding };
    addon.publish(forwarding);
    // Twins exist only once the tap ports are up, hence after start().
    if (!this.opts.skipHostConfig) configureTwins(this.config, this.run);
    // The XDP attach mode does not change while the port runs: read it once.
    this.xdpModes = addon.ports().map((p, i) =>
      p.xskSockets > 0 && this.resolved[i]?.iface && !this.opts.skipHostConfig ? probeXdpMode(this.resolved[i]!.iface!) : null);
    return plan;
  }

  /** Idempotent; safe after a failed start(). */
  stop(): void {
    const addon = this.addon;
    if (!addon || this.state === 'idle' || this.state === 'stopped') {
      this.state = this.state === 'idle' ? 'idle' : 'stopped';
      return;
    }
    try {
      addon.stop(); // fl_dp_stop is idempotent and fine after a half start
    } finally {
      this.state = 'stopped';
      addon.cleanup(); // EAL memory; nothing may call the addon after this
    }
  }

  /**
   * Apply a new (already validated) config to the running dataplane with one
   * snapshot publish: services, servers, weights, timeouts. Established
   * sessions keep their server. Throws, leaving the running state untouched,
   * when the change cannot be applied live (ports, workers, memory).
   */
  apply(next: FulcrumConfig): void {
    const addon = this.live();
    // Structural comparison: key order differs between a config file and
    // what the API serialises, and must not count as a change.
    if (!isDeepStrictEqual({ d: next.dataplane, p: next.ports }, { d: this.config_.dataplane, p: this.config_.ports })) {
      throw new Error('ports and dataplane settings change only with a restart');
    }
    const forwarding = planForwarding(next, this.ids, this.standby_);
    addon.publish(forwarding);
    this.config_ = next;
    if (this.plan_) this.plan_ = { ...this.plan_, forwarding };
  }

  get standby(): ReadonlySet<string> {
    return this.standby_;
  }

  /** The floating addresses this director now holds as backup; publishes when that changes. */
  setStandby(standby: ReadonlySet<string>): void {
    if (standby.size === this.standby_.size && [...standby].every((ip) => this.standby_.has(ip))) return;
    this.standby_ = new Set(standby);
    if (this.state !== 'running') return;
    const forwarding = planForwarding(this.config_, this.ids, this.standby_);
    this.live().publish(forwarding);
    if (this.plan_) this.plan_ = { ...this.plan_, forwarding };
  }

  /** The dataplane's session sync (src/ha/sync.ts drives it). */
  get syncApi(): Pick<NativeAddon, 'syncConfigure' | 'syncCollect' | 'syncApply' | 'syncStats'> {
    return this.live();
  }

  /**
   * Per real server counters keyed by serverKey (e.g.
   * "tcp:198.18.0.100:80/198.19.0.11:80"), raw and monotonic as the
   * dataplane counts them: zero offsets and rates are the ipvsadm view's
   * (stats-view.ts), never applied here.
   */
  serverCounters(): Map<string, RawServerCounters> {
    const out = new Map<string, RawServerCounters>();
    for (const r of this.live().serverStats()) {
      const key = this.ids.servers.keyOf(r.id);
      if (!key) continue;
      out.set(key, {
        activeConns: r.active, inactConns: r.inactive, conns: r.conns,
        inPkts: r.inPackets, outPkts: r.outPackets, inBytes: r.inBytes, outBytes: r.outBytes,
      });
    }
    return out;
  }

  /**
   * Sessions, read worker by worker between bursts, then the persistence
   * templates, as IPVS lists them among its connections (state NONE, client
   * port 0: the masked client stuck to its server). Cursor "worker:position";
   * worker = the worker count for the templates' phase.
   */
  sessions(q: { service?: string; server?: string; limit: number; cursor?: string }): { sessions: object[]; next: string | null } {
    const addon = this.live();
    const nWorkers = this.config_.dataplane.workers.length;
    let [w, pos] = (q.cursor ?? '0:0').split(':').map((x) => Number.parseInt(x, 10)) as [number, number];
    if (!Number.isInteger(w) || !Number.isInteger(pos) || w < 0 || w > nWorkers || pos < 0) throw new Error('bad cursor');
    const out: object[] = [];
    let guard = 0;
    while (w < nWorkers && out.length < q.limit && guard++ < 100000) {
      const page = addon.sessions(w, pos, Math.min(64, q.limit - out.length));
      for (const s of page.sessions) {
        const skey = this.ids.services.keyOf(s.serviceId) ?? null;
        const rkey = this.ids.servers.keyOf(s.serverId)?.split('/')[1] ?? null;
        if (q.service && skey !== q.service) continue;
        if (q.server && rkey !== q.server) continue;
        out.push({
          protocol: s.proto,
          // ipvsadm's addrport_to_anyname: IPv6 in brackets.
          client: endpointKey({ address: s.client, port: s.clientPort }),
          virtual: endpointKey({ address: s.vip, port: s.vport }),
          server: endpointKey({ address: s.server, port: s.serverPort }),
          local: s.local === null ? null : endpointKey({ address: s.local, port: s.localPort ?? 0 }),
          state: s.state,
          expires: Math.ceil(s.expiresInMs / 1000),
          method: s.method,
          worker: s.worker,
          service: skey,
          realServer: rkey,
          packets: s.packets,
        });
      }
      pos = page.cursor;
      if (page.done) {
        w++;
        pos = 0;
      }
    }
    let templatesDone = false;
    while (w === nWorkers && out.length < q.limit && guard++ < 100000) {
      const page = addon.templates(pos, Math.min(4096, q.limit - out.length));
      for (const t of page.templates) {
        const row = this.templateRow(t);
        if (!row) continue;
        if (q.service && row.service !== q.service) continue;
        if (q.server && row.realServer !== q.server) continue;
        out.push(row);
      }
      pos = page.cursor;
      if (page.done) {
        templatesDone = true;
        break;
      }
    }
    return { sessions: out, next: templatesDone ? null : `${w}:${pos}` };
  }

  /** A template as a connection entry, or null when its service or server is gone. */
  private templateRow(t: NativeTemplate) {
    const skey = this.ids.services.keyOf(t.serviceId);
    const rfull = this.ids.servers.keyOf(t.serverId);
    const svc = skey ? parseServiceKey(skey) : null;
    const rkey = rfull?.split('/')[1];
    const rs = rkey ? parseEndpointKey(rkey) : null;
    if (!skey || !svc || !rkey || !rs) return null;
    const method = this.config_.services.find((s) => serviceKey(s) === skey)?.servers.find((r) => endpointKey(r) === rkey)?.method ?? 'unknown';
    return {
      protocol: svc.protocol,
      client: `${t.client}:0`,
      virtual: `${svc.vip}:${svc.port}`,
      server: endpointKey(rs),
      local: null,
      state: 'NONE',
      expires: Math.ceil(t.expiresInMs / 1000),
      method,
      worker: null,
      service: skey,
      realServer: rkey,
      packets: 0,
      template: true,
      controls: t.refs,
    };
  }

  /** Live persistence templates per real server (serverKey): ipvsadm's PersistConn. */
  persistConns(): Map<string, number> {
    const addon = this.live();
    const out = new Map<string, number>();
    let cursor = 0;
    for (let guard = 0; guard < 1 << 16; guard++) {
      const page = addon.templates(cursor, 4096);
      for (const t of page.templates) {
        const key = this.ids.servers.keyOf(t.serverId);
        if (key) out.set(key, (out.get(key) ?? 0) + 1);
      }
      cursor = page.cursor;
      if (page.done) break;
    }
    return out;
  }

  /** The dataplane's dry run for one client packet (fl_explain), with the names of its ids. */
  explain(q: ExplainQuery): { native: NativeExplain; names: ExplainNames } {
    const addon = this.live();
    const native = addon.explain({
      proto: q.protocol === 'tcp' ? 6 : 17, src: q.client.ip, sport: q.client.port, dst: q.destination.ip, dport: q.destination.port,
    });
    const portNames = addon.ports().map((p) => p.name);
    return {
      native,
      names: {
        service: (id) => this.ids.services.keyOf(id),
        server: (id) => this.ids.servers.keyOf(id)?.split('/')[1],
        port: (i) => portNames[i],
      },
    };
  }

  neighbours(): object[] {
    const names = this.live().ports().map((p) => p.name);
    return this.live().neighbours().map((n) => ({ ...n, port: names[n.port] ?? n.port }));
  }

  lipStats() {
    return this.live().lipStats();
  }

  stats(): NativeStats {
    return this.live().stats();
  }

  syncStats(): NativeSyncStats {
    return this.live().syncStats();
  }

  /** The addon's port view, with how each port was opened (src/net/ports) and its XDP mode. */
  ports(): PortView[] {
    return this.live().ports().map((p, i) => {
      const r = this.resolved[i];
      return {
        ...p,
        device: this.config_.ports[i]?.device ?? '',
        iface: r?.iface ?? null,
        fallbackReason: r?.refused ?? p.fallbackReason,
        xdp: p.xskSockets > 0
          ? { mode: this.xdpModes[i] ?? null, copy: p.xskZeroCopy === p.xskSockets ? 'zero-copy' as const : p.xskZeroCopy === 0 ? 'copy' as const : 'mixed' as const, sockets: p.xskSockets }
          : null,
      };
    });
  }

  private live(): NativeAddon {
    if (this.state !== 'running' || !this.addon) throw new Error('dataplane is not running');
    return this.addon;
  }
}
