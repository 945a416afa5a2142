// Health-check manager: one checker per real server with a healthCheck, the
// keepalived way. It follows the desired config (update()), runs the probes
// on timers, and turns the desired config into the *effective* one that is
// published (effective()): a DOWN server is left out of the published
// config (its stable dataplane id stays, so its sessions resume when it
// returns) or, with inhibitOnFailure, published with weight 0; a service
// that lost quorum publishes its sorry server alone. The effective config
// is never persisted: the ConfigWriter persists desired state and calls
// effective() just before publishing; on a state change the manager asks the
// writer to republish().
//
// One probe per distinct check: members (service, server) whose server
// address, port and check settings are the same share one probe and one
// state, as keepalived probes a real server of a virtual_server_group once
// for every address of the group.
import { spawn } from 'node:child_process';
import type { FulcrumConfig, HealthCheckConfig, ServerConfig, ServiceConfig } from '../config/types';
import { sorryMethod } from '../config/validate';
import { endpointKey, serviceKey } from '../config/keys';
import { CHECKERS, probeSource, runProbe, type ProbeSpec } from './checkers';
import { CheckState, type ProbeResult, type ServerState } from './state';

/** One checked server, as GET /api/v1/health/servers and the metrics read it. */
export interface HealthServerStatus {
  /** "tcp:198.18.0.100:80" */
  service: string;
  /** "198.19.0.11:80" */
  server: string;
  type: HealthCheckConfig['type'];
  state: ServerState;
  /** ISO time of the last state change (or of the start of checking). */
  since: string;
  lastError: string | null;
  /** Probes run (retries included). */
  checks: number;
  /** Probes that failed (retries included). */
  failures: number;
  /** State changes since checking started. */
  transitions: number;
}

/** What the metrics work reads. */
export interface HealthSource {
  snapshot(): HealthServerStatus[];
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface HealthManagerOptions {
  /** Re-apply the desired config through effective() (ConfigWriter.republish). */
  republish: (reason: string) => Promise<unknown>;
  /** One line per event; default stdout. */
  log?: (line: string) => void;
  /** Default: the real checkers. */
  probe?: (spec: ProbeSpec) => Promise<ProbeResult>;
  now?: () => number;
  timers?: Timers;
  /** Probe source address for a target (default: the on-link DIP with a twin, if the kernel has it). */
  sourceFor?: (cfg: FulcrumConfig, address: string) => string | undefined;
  /** Runs notify / quorum commands; default `sh -c` detached, output inherited. */
  runCommand?: (command: string, args: string[], env: Record<string, string>) => void;
}

/** One probe and its state, shared by every member with the same check. */
interface Probe {
  key: string;
  hc: HealthCheckConfig;
  spec: ProbeSpec;
  st: CheckState;
  timer: unknown;
  stopped: boolean;
  /** entryKey()s of the members. */
  members: Set<string>;
}

/** A checked (service, server): what it reports and which probe decides it. */
interface Member {
  service: string;
  server: string;
  probe: Probe;
}

const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

function defaultRunCommand(command: string, args: string[], env: Record<string, string>): void {
  try {
    const child = spawn('/bin/sh', ['-c', command, 'fulcrum-notify', ...args], {
      stdio: 'ignore',
      detached: true,
      env: { ...process.env, ...env },
    });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* a notify command must never take the daemon down */
  }
}

const entryKey = (svc: string, server: string): string => `${svc} ${server}`;

export class HealthManager implements HealthSource {
  private readonly members = new Map<string, Member>();
  private readonly probes = new Map<string, Probe>();
  /** Quorum state per service key (hysteresis needs the previous state). */
  private readonly quorumUp = new Map<string, boolean>();
  private cfg: FulcrumConfig | undefined;
  private stopped = false;
  private readonly log: (line: string) => void;
  private readonly probe: (spec: ProbeSpec) => Promise<ProbeResult>;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly sourceFor: (cfg: FulcrumConfig, address: string) => string | undefined;
  private readonly runCommand: (command: string, args: string[], env: Record<string, string>) => void;

  constructor(private readonly opts: HealthManagerOptions) {
    this.log = opts.log ?? ((l) => process.stdout.write(`${l}\n`));
    this.probe = opts.probe ?? runProbe;
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.sourceFor = opts.sourceFor ?? ((c, a) => probeSource(c, a));
    this.runCommand = opts.runCommand ?? defaultRunCommand;
  }

  /**
   * Follow a new desired config: start probes for new checks, stop those no
   * member uses any more, take new settings for the rest (their state stays).
   */
  update(cfg: FulcrumConfig): void {
    if (this.stopped) return;
    this.cfg = cfg;
    const keep = new Set<string>();
    for (const svc of cfg.services) {
      const sk = serviceKey(svc);
      for (const rs of svc.servers) {
        if (!rs.healthCheck) continue;
        const mk = entryKey(sk, endpointKey(rs));
        keep.add(mk);
        const spec = this.specOf(cfg, sk, rs, rs.healthCheck);
        const pk = JSON.stringify([rs.healthCheck, spec]);
        const m = this.members.get(mk);
        if (m && m.probe.key === pk) continue;
        let probe = this.probes.get(pk);
        if (m && !probe && m.probe.members.size === 1) {
          // Its own probe with new settings: re-key it, keeping its state.
          probe = m.probe;
          this.probes.delete(probe.key);
          probe.key = pk;
          probe.spec = spec;
          if (JSON.stringify(probe.hc) !== JSON.stringify(rs.healthCheck)) probe.st.setTiming(rs.healthCheck);
          probe.hc = rs.healthCheck;
          this.probes.set(pk, probe);
          continue;
        }
        if (m) this.detach(mk, m);
        if (!probe) {
          const now = this.now();
          const st = new CheckState(rs.healthCheck, now);
          probe = { key: pk, hc: rs.healthCheck, spec, st, timer: undefined, stopped: false, members: new Set() };
          this.probes.set(pk, probe);
          this.schedule(probe, st.firstProbeAt(now) - now);
        }
        probe.members.add(mk);
        this.members.set(mk, { service: sk, server: endpointKey(rs), probe });
      }
    }
    for (const [mk, m] of this.members) if (!keep.has(mk)) this.detach(mk, m);
    const svcKeys = new Set(cfg.services.map(serviceKey));
    for (const k of [...this.quorumUp.keys()]) if (!svcKeys.has(k)) this.quorumUp.delete(k);
    // Settle quorum for new or changed services without running commands.
    for (const svc of cfg.services) this.evaluateQuorum(svc, false);
  }

  /** Drop a member; its probe stops when no member is left. */
  private detach(mk: string, m: Member): void {
    this.members.delete(mk);
    m.probe.members.delete(mk);
    if (m.probe.members.size > 0) return;
    m.probe.stopped = true;
    if (m.probe.timer !== undefined) this.timers.clear(m.probe.timer);
    this.probes.delete(m.probe.key);
  }

  /** Stop every checker; no probe result is acted on afterwards. */
  stop(): void {
    this.stopped = true;
    for (const p of this.probes.values()) {
      p.stopped = true;
      if (p.timer !== undefined) this.timers.clear(p.timer);
    }
    this.probes.clear();
    this.members.clear();
  }

  /** How many probes run (members with the same check share one). */
  probeCount(): number {
    return this.probes.size;
  }

  snapshot(): HealthServerStatus[] {
    const out: HealthServerStatus[] = [];
    for (const m of this.members.values()) {
      const st = m.probe.st;
      out.push({
        service: m.service,
        server: m.server,
        type: m.probe.hc.type,
        state: st.state,
        since: new Date(st.since).toISOString(),
        lastError: st.lastError,
        checks: st.checks,
        failures: st.failures,
        transitions: st.transitions,
      });
    }
    return out;
  }

  /** The health-adjusted copy of `desired` that the dataplane should run. Pure with respect to `desired`. */
  effective = (desired: FulcrumConfig): FulcrumConfig => {
    const out = structuredClone(desired) as FulcrumConfig;
    for (const svc of out.services) {
      const sk = serviceKey(svc);
      const { servers } = this.adjusted(svc);
      const qUp = this.quorumUp.get(sk) ?? this.quorumNow(svc, undefined).up;
      if (!qUp && svc.sorryServer) {
        const ss = svc.sorryServer;
        svc.servers = [{ address: ss.address, port: ss.port, weight: ss.weight, method: sorryMethod(svc) }];
      } else {
        svc.servers = servers;
      }
    }
    return out;
  };

  // ------------------------------------------------------------ internals

  private stateOf(sk: string, rs: ServerConfig): { up: boolean; weight: number } {
    if (!rs.healthCheck) return { up: true, weight: rs.weight };
    const m = this.members.get(entryKey(sk, endpointKey(rs)));
    if (!m) return { up: !rs.healthCheck.alpha, weight: rs.weight };
    return { up: m.probe.st.state === 'UP', weight: m.probe.st.weight ?? rs.weight };
  }

  /** Servers as published: DOWN ones removed, or at weight 0 with inhibitOnFailure. */
  private adjusted(svc: ServiceConfig): { servers: ServerConfig[]; upWeight: number; upCount: number } {
    const sk = serviceKey(svc);
    const servers: ServerConfig[] = [];
    let upWeight = 0;
    let upCount = 0;
    for (const rs of svc.servers) {
      const s = this.stateOf(sk, rs);
      if (s.up) {
        upWeight += s.weight;
        upCount++;
        servers.push(s.weight === rs.weight ? rs : { ...rs, weight: s.weight });
      } else if (svc.inhibitOnFailure) {
        servers.push({ ...rs, weight: 0 });
      }
    }
    return { servers, upWeight, upCount };
  }

  /**
   * keepalived's quorum: the summed weight of the UP servers against
   * quorum.count, with hysteresis around it. Without a quorum setting the
   * service is "up" while any server is UP.
   */
  private quorumNow(svc: ServiceConfig, prev: boolean | undefined): { up: boolean; weight: number } {
    const { upWeight, upCount } = this.adjusted(svc);
    const q = svc.quorum;
    if (!q) return { up: upCount > 0, weight: upWeight };
    const h = q.hysteresis;
    if (prev === true) return { up: upWeight >= q.count - h, weight: upWeight };
    if (prev === false) return { up: upWeight >= q.count + h, weight: upWeight };
    return { up: upWeight >= q.count, weight: upWeight };
  }

  private evaluateQuorum(svc: ServiceConfig, act: boolean): void {
    const sk = serviceKey(svc);
    const prev = this.quorumUp.get(sk);
    const now = this.quorumNow(svc, prev);
    this.quorumUp.set(sk, now.up);
    if (!act || prev === undefined || prev === now.up) return;
    const need = svc.quorum ? `weight ${now.weight}, quorum ${svc.quorum.count}` : `${now.up ? 'a' : 'no'} server up`;
    const sorry = svc.sorryServer ? `; sorry server ${svc.sorryServer.address}:${svc.sorryServer.port} ${now.up ? 'withdrawn' : 'published'}` : '';
    this.log(`fulcrum: health: ${sk} quorum ${now.up ? 'gained' : 'lost'} (${need})${sorry}`);
    const cmd = now.up ? svc.quorum?.up : svc.quorum?.down;
    if (cmd) this.runCommand(cmd, [sk, now.up ? 'UP' : 'DOWN'], { FULCRUM_SERVICE: sk, FULCRUM_QUORUM: now.up ? 'UP' : 'DOWN' });
  }

  private specOf(cfg: FulcrumConfig, sk: string, rs: ServerConfig, hc: HealthCheckConfig): ProbeSpec {
    const address = hc.connectIp ?? rs.address;
    const src = hc.type === 'misc' ? undefined : this.sourceFor(cfg, address);
    const target = {
      address,
      port: hc.connectPort ?? rs.port,
      timeoutMs: Math.max(1, Math.round(hc.connectTimeout * 1000)),
      ...(src ? { localAddress: src } : {}),
    };
    const env = { FULCRUM_SERVICE: sk, FULCRUM_SERVER: endpointKey(rs), FULCRUM_SERVER_ADDRESS: rs.address, FULCRUM_SERVER_PORT: String(rs.port) };
    return CHECKERS[hc.type].spec({ hc, target, env });
  }

  private schedule(p: Probe, delayMs: number): void {
    if (p.stopped) return;
    p.timer = this.timers.set(() => void this.run(p), Math.max(0, delayMs));
  }

  private async run(p: Probe): Promise<void> {
    p.timer = undefined;
    if (p.stopped) return;
    let r: ProbeResult;
    try {
      r = await this.probe(p.spec);
    } catch (err) {
      r = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (p.stopped || this.stopped) return;
    const now = this.now();
    const out = p.st.record(r, now);
    const members = [...p.members].map((k) => this.members.get(k)!).filter(Boolean);
    if (out.transition) {
      const t = out.transition;
      for (const m of members) this.log(`fulcrum: health: ${m.service} ${m.server} ${t.to} (${t.reason})`);
      this.notify(members, t.to, t.reason);
      for (const m of members) {
        const svc = this.cfg?.services.find((s) => serviceKey(s) === m.service);
        if (svc) this.evaluateQuorum(svc, true);
      }
    } else if (out.weightChanged && p.st.weight !== undefined) {
      for (const m of members) this.log(`fulcrum: health: ${m.service} ${m.server} weight ${p.st.weight} (misc_dynamic)`);
    }
    if ((out.transition || out.weightChanged) && members.length) {
      const first = members[0]!;
      const more = members.length > 1 ? ` (+${members.length - 1} services)` : '';
      const why = `${first.service} ${first.server} ${out.transition ? out.transition.to : 'weight'}${more}`;
      this.opts.republish(`health: ${why}`).catch((err: unknown) => {
        this.log(`fulcrum: health: publishing after ${why} failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    this.schedule(p, out.next - now);
  }

  /**
   * Run the notify commands of a state change: the server's own
   * (real_server notify_up/down) and its service's. A command shared by
   * several members (a group's services) runs once, as keepalived runs a
   * real server's notify once.
   */
  private notify(members: Member[], to: ServerState, reason: string): void {
    const ran = new Set<string>();
    for (const m of members) {
      const svc = this.cfg?.services.find((s) => serviceKey(s) === m.service);
      const rs = svc?.servers.find((x) => endpointKey(x) === m.server);
      for (const n of [rs?.notify, svc?.notify]) {
        const cmd = to === 'UP' ? n?.up : n?.down;
        if (!cmd || ran.has(cmd)) continue;
        ran.add(cmd);
        this.runCommand(cmd, [m.service, m.server, to], {
          FULCRUM_SERVICE: m.service, FULCRUM_SERVER: m.server, FULCRUM_STATE: to, FULCRUM_REASON: reason,
        });
      }
    }
  }
}
