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
import { spawn } from 'node:child_process';
import type { FulcrumConfig, HealthCheckConfig, ServerConfig, ServiceConfig } from '../config/types';
import { sorryMethod } from '../config/validate';
import { endpointKey, serviceKey } from '../config/keys';
import { probeSource, runProbe, type ProbeSpec } from './checkers';
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

interface Entry {
  key: string;
  service: string;
  server: string;
  hc: HealthCheckConfig;
  spec: ProbeSpec;
  st: CheckState;
  timer: unknown;
  stopped: boolean;
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
  private readonly entries = new Map<string, Entry>();
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
   * Follow a new desired config: start checkers for new servers, stop them
   * for removed ones, take new settings for the rest (their state stays).
   */
  update(cfg: FulcrumConfig): void {
    if (this.stopped) return;
    this.cfg = cfg;
    const keep = new Set<string>();
    for (const svc of cfg.services) {
      const sk = serviceKey(svc);
      for (const rs of svc.servers) {
        if (!rs.healthCheck) continue;
        const key = entryKey(sk, endpointKey(rs));
        keep.add(key);
        const spec = this.specOf(cfg, sk, rs, rs.healthCheck);
        const e = this.entries.get(key);
        if (e) {
          if (JSON.stringify(e.hc) !== JSON.stringify(rs.healthCheck)) {
            e.hc = rs.healthCheck;
            e.st.setTiming(rs.healthCheck);
          }
          e.spec = spec;
          continue;
        }
        const now = this.now();
        const st = new CheckState(rs.healthCheck, now);
        const ne: Entry = { key, service: sk, server: endpointKey(rs), hc: rs.healthCheck, spec, st, timer: undefined, stopped: false };
        this.entries.set(key, ne);
        this.schedule(ne, st.firstProbeAt(now) - now);
      }
    }
    for (const [key, e] of this.entries) {
      if (!keep.has(key)) {
        e.stopped = true;
        if (e.timer !== undefined) this.timers.clear(e.timer);
        this.entries.delete(key);
      }
    }
    const svcKeys = new Set(cfg.services.map(serviceKey));
    for (const k of [...this.quorumUp.keys()]) if (!svcKeys.has(k)) this.quorumUp.delete(k);
    // Settle quorum for new or changed services without running commands.
    for (const svc of cfg.services) this.evaluateQuorum(svc, false);
  }

  /** Stop every checker; no probe result is acted on afterwards. */
  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) {
      e.stopped = true;
      if (e.timer !== undefined) this.timers.clear(e.timer);
    }
    this.entries.clear();
  }

  snapshot(): HealthServerStatus[] {
    const out: HealthServerStatus[] = [];
    for (const e of this.entries.values()) {
      out.push({
        service: e.service,
        server: e.server,
        type: e.hc.type,
        state: e.st.state,
        since: new Date(e.st.since).toISOString(),
        lastError: e.st.lastError,
        checks: e.st.checks,
        failures: e.st.failures,
        transitions: e.st.transitions,
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
    const e = this.entries.get(entryKey(sk, endpointKey(rs)));
    if (!e) return { up: !rs.healthCheck.alpha, weight: rs.weight };
    return { up: e.st.state === 'UP', weight: e.st.weight ?? rs.weight };
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
    const timeoutMs = Math.max(1, Math.round(hc.connectTimeout * 1000));
    if (hc.type === 'misc') {
      const m = hc.misc!;
      return {
        type: 'misc',
        command: m.command,
        timeoutMs: Math.max(1, Math.round((m.timeout ?? hc.delayLoop) * 1000)),
        dynamic: m.dynamic,
        env: { FULCRUM_SERVICE: sk, FULCRUM_SERVER: endpointKey(rs), FULCRUM_SERVER_ADDRESS: rs.address, FULCRUM_SERVER_PORT: String(rs.port) },
      };
    }
    const address = hc.connectIp ?? rs.address;
    const port = hc.connectPort ?? rs.port;
    const src = this.sourceFor(cfg, address);
    const base = { address, port, timeoutMs, ...(src ? { localAddress: src } : {}) };
    if (hc.type === 'tcp') return { type: 'tcp', ...base };
    const h = hc.http ?? { path: '/', statusCodes: ['200-299'], tls: false };
    return {
      type: 'http',
      ...base,
      path: h.path,
      statusCodes: h.statusCodes,
      tls: h.tls,
      ...(h.digest ? { digest: h.digest } : {}),
      ...(h.host ? { host: h.host } : {}),
    };
  }

  private schedule(e: Entry, delayMs: number): void {
    if (e.stopped) return;
    e.timer = this.timers.set(() => void this.run(e), Math.max(0, delayMs));
  }

  private async run(e: Entry): Promise<void> {
    e.timer = undefined;
    if (e.stopped) return;
    let r: ProbeResult;
    try {
      r = await this.probe(e.spec);
    } catch (err) {
      r = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (e.stopped || this.stopped) return;
    const now = this.now();
    const out = e.st.record(r, now);
    if (out.transition) {
      const t = out.transition;
      this.log(`fulcrum: health: ${e.service} ${e.server} ${t.to} (${t.reason})`);
      const svc = this.cfg?.services.find((s) => serviceKey(s) === e.service);
      const cmd = t.to === 'UP' ? svc?.notify?.up : svc?.notify?.down;
      if (cmd) {
        this.runCommand(cmd, [e.service, e.server, t.to], {
          FULCRUM_SERVICE: e.service, FULCRUM_SERVER: e.server, FULCRUM_STATE: t.to, FULCRUM_REASON: t.reason,
        });
      }
      if (svc) this.evaluateQuorum(svc, true);
    } else if (out.weightChanged && e.st.weight !== undefined) {
      this.log(`fulcrum: health: ${e.service} ${e.server} weight ${e.st.weight} (misc_dynamic)`);
    }
    if (out.transition || out.weightChanged) {
      const why = out.transition ? `${e.service} ${e.server} ${out.transition.to}` : `${e.service} ${e.server} weight`;
      this.opts.republish(`health: ${why}`).catch((err: unknown) => {
        this.log(`fulcrum: health: publishing after ${why} failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    this.schedule(e, out.next - now);
  }
}

