// High availability beside the running appliance: the VRRP state learned
// from the twins (vrrp.ts) decides which floating addresses the dataplane
// serves, and the sync daemons (sync.ts) carry sessions between directors.
// The daemon calls update() with every applied config.
import type { FulcrumConfig } from '../config/types';
import type { Appliance } from '../lb/appliance';
import { SyncDaemons } from './sync';
import { VrrpWatcher } from './vrrp';

export class HaController {
  readonly sync: SyncDaemons;
  readonly vrrp: VrrpWatcher;
  private pending: Promise<void> = Promise.resolve();

  constructor(app: Appliance, log: (line: string) => void) {
    this.sync = new SyncDaemons(() => app.syncApi, log);
    this.vrrp = new VrrpWatcher((standby) => app.setStandby(standby), { log });
  }

  /** Throws a SyncError when a sync daemon cannot start (the others keep running). */
  async update(cfg: FulcrumConfig): Promise<void> {
    this.vrrp.update(cfg);
    const run = this.pending.then(() => this.sync.update(cfg));
    this.pending = run.catch(() => undefined);
    await run;
  }

  /** Resolves once the updates begun so far are done (an API answer then shows their effect). */
  settled(): Promise<void> {
    return this.pending;
  }

  async stop(): Promise<void> {
    this.vrrp.stop();
    await this.sync.stop();
  }
}
