// The IPVS connection sync daemons (ipvsadm --start-daemon master|backup),
// the control plane's half: the dataplane's workers queue sessions and the
// addon builds and parses IPVS v1 messages (native/sync); this owns the UDP
// sockets, on the kernel twin of the sync interface, as IPVS's sync threads
// own theirs. A master sends every flushMs to the group (and unicast peers);
// a backup takes what arrives on the group's port.
import dgram from 'node:dgram';
import type { FulcrumConfig, SyncConfig, SyncDaemonConfig } from '../config/types';
import type { NativeAddon } from '../native/addon';
import { syncEndpoint, type SyncEndpoint } from './config';
import { SYNC_DEFAULTS, SYNC_STATES } from '../config/schema';

export type SyncState = (typeof SYNC_STATES)[number];
export type SyncApi = Pick<NativeAddon, 'syncConfigure' | 'syncCollect' | 'syncApply' | 'syncStats'>;

export interface SyncDaemonStatus extends SyncDaemonConfig {
  state: SyncState;
  twin: string;
  address: string;
}

interface Running {
  conf: SyncDaemonConfig;
  ep: SyncEndpoint;
  socket: dgram.Socket;
  timer?: NodeJS.Timeout;
}

/** Raised for a daemon that cannot start (its socket, its interface). */
export class SyncError extends Error {}

export class SyncDaemons {
  private readonly running = new Map<SyncState, Running>();
  private sysctls: Omit<SyncConfig, 'master' | 'backup'> | undefined;
  /** Send errors (EHOSTUNREACH while a route is missing, ...), counted rather than thrown. */
  sendErrors = 0;

  constructor(private readonly api: () => SyncApi, private readonly log: (line: string) => void = () => undefined) {}

  /** Make the running daemons what cfg.ha.sync says. */
  async update(cfg: FulcrumConfig): Promise<void> {
    const sync = cfg.ha.sync;
    for (const state of SYNC_STATES) {
      const want = sync[state];
      const have = this.running.get(state);
      if (have && want && JSON.stringify(have.conf) === JSON.stringify(want) && this.sameSysctls(sync)) continue;
      if (have) await this.stopOne(state);
      if (want) {
        const ep = syncEndpoint(cfg, want.interface);
        if (typeof ep === 'string') throw new SyncError(`ha.sync.${state}.interface ${want.interface}: ${ep}`);
        await this.startOne(state, want, ep, sync.flushMs);
      }
    }
    this.sysctls = { threshold: sync.threshold, period: sync.period, refreshPeriod: sync.refreshPeriod, flushMs: sync.flushMs };
    this.configure(sync);
  }

  private sameSysctls(s: SyncConfig): boolean {
    const c = this.sysctls;
    return !!c && c.threshold === s.threshold && c.period === s.period && c.refreshPeriod === s.refreshPeriod && c.flushMs === s.flushMs;
  }

  private configure(sync: SyncConfig): void {
    const m = this.running.get('master')?.conf;
    const b = this.running.get('backup')?.conf;
    this.api().syncConfigure({
      master: !!m, backup: !!b, masterSyncId: m?.syncId ?? 0, backupSyncId: b?.syncId ?? 0,
      threshold: sync.threshold, period: sync.period, refreshPeriod: sync.refreshPeriod,
      maxLen: m?.maxLen ?? SYNC_DEFAULTS.maxLen,
    });
  }

  private async startOne(state: SyncState, conf: SyncDaemonConfig, ep: SyncEndpoint, flushMs: number): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const r: Running = { conf, ep, socket };
    socket.on('error', (e) => this.log(`sync ${state}: ${e.message}`));
    try {
      if (state === 'master') {
        await new Promise<void>((ok, fail) => { socket.once('error', fail); socket.bind({ address: ep.ip, port: 0 }, () => ok()); });
        socket.setMulticastInterface(ep.ip);
        socket.setMulticastTTL(conf.ttl);
        socket.setMulticastLoopback(false);
        r.timer = setInterval(() => this.flush(r), flushMs);
      } else {
        await new Promise<void>((ok, fail) => { socket.once('error', fail); socket.bind({ port: conf.port }, () => ok()); });
        socket.addMembership(conf.group, ep.ip);
        socket.on('message', (msg, from) => {
          if (from.address === ep.ip) return; // our own master's, unicast to a peer list naming us
          this.api().syncApply(msg);
        });
      }
    } catch (e) {
      socket.close();
      throw new SyncError(`sync ${state} on ${ep.twin} (${ep.ip}): ${(e as Error).message}`);
    }
    this.running.set(state, r);
    this.log(`sync ${state} daemon started (mcast=${ep.twin}, syncid=${conf.syncId}, group=${conf.group}, port=${conf.port})`);
  }

  private flush(r: Running): void {
    let out;
    try {
      out = this.api().syncCollect();
    } catch {
      return; // the dataplane is stopping
    }
    for (const m of out.messages) {
      for (const to of [r.conf.group, ...r.conf.peers]) {
        r.socket.send(m, r.conf.port, to, (e) => { if (e) this.sendErrors++; });
      }
    }
  }

  private async stopOne(state: SyncState): Promise<void> {
    const r = this.running.get(state);
    if (!r) return;
    this.running.delete(state);
    if (r.timer) clearInterval(r.timer);
    if (state === 'master') this.flush(r); // what the workers queued last
    await new Promise<void>((ok) => r.socket.close(() => ok()));
    this.log(`sync ${state} daemon stopped`);
  }

  /** ipvsadm -L --daemon's view. */
  status(): SyncDaemonStatus[] {
    return SYNC_STATES.flatMap((state) => {
      const r = this.running.get(state);
      return r ? [{ state, ...r.conf, twin: r.ep.twin, address: r.ep.ip }] : [];
    });
  }

  async stop(): Promise<void> {
    for (const state of SYNC_STATES) await this.stopOne(state);
    try {
      const { threshold, period, maxLen } = SYNC_DEFAULTS;
      this.api().syncConfigure({ master: false, backup: false, masterSyncId: 0, backupSyncId: 0, threshold, period, refreshPeriod: 0, maxLen });
    } catch {
      /* the dataplane is gone already */
    }
  }
}
