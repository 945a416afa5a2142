// The single writer: the one object that changes the applied config. Every
// change (API, SIGHUP reload, CLI later) goes through apply()/mutate(), which
// run one at a time in arrival order. A change is validated in full, published
// to the dataplane, then persisted; if any step fails nothing changes.
import type { ConfigError, FulcrumConfig } from '../config/types';
import { validateConfig, type ValidateOptions } from '../config/validate';
import { serializeConfig, writeFileAtomic } from '../config/persist';

/** What the writer needs from the appliance (a fake in tests). */
export interface ApplyTarget {
  /** Publish a validated config live. Throws, changing nothing, when it cannot. */
  apply(cfg: FulcrumConfig): void;
}

/** The new config failed validation; `errors` lists every problem. */
export class ConfigRejected extends Error {
  constructor(readonly errors: ConfigError[]) {
    super(`config rejected: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`);
    this.name = 'ConfigRejected';
  }
}

/** The appliance refused the (valid) config; nothing changed. */
export class ApplyFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApplyFailed';
  }
}

/** Persisting failed after the publish; the previous config was re-applied. */
export class PersistFailed extends Error {
  constructor(message: string, readonly rolledBack: boolean) {
    super(message);
    this.name = 'PersistFailed';
  }
}

export interface ConfigWriterOptions {
  appliance: ApplyTarget;
  /** The config the appliance runs now (already validated and applied). */
  initial: FulcrumConfig;
  /** Where the applied config is persisted; null = not persisted (tests, dry runs). */
  stateFile: string | null;
  validate?: ValidateOptions;
  /** Called once per successful change (logging). */
  onApplied?: (cfg: FulcrumConfig, reason: string) => void;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

export class ConfigWriter {
  private cur: FulcrumConfig;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly appliance: ApplyTarget;
  private readonly stateFile: string | null;
  private readonly validateOpts: ValidateOptions;
  private readonly onApplied: ((cfg: FulcrumConfig, reason: string) => void) | undefined;
  private seq = 0;

  constructor(opts: ConfigWriterOptions) {
    this.appliance = opts.appliance;
    this.stateFile = opts.stateFile;
    this.validateOpts = opts.validate ?? {};
    this.onApplied = opts.onApplied;
    this.cur = deepFreeze(structuredClone(opts.initial));
  }

  /** The applied config. Frozen: change it only through apply()/mutate(). */
  current(): FulcrumConfig {
    return this.cur;
  }

  /** Count of successful changes since start (tests, ETag-style checks). */
  get generation(): number {
    return this.seq;
  }

  /** Write the current config to the state file (daemon start). Queued like any change. */
  persist(): Promise<void> {
    return this.enqueue(async () => {
      if (this.stateFile !== null) await writeFileAtomic(this.stateFile, serializeConfig(this.cur));
    });
  }

  /**
   * Replace the whole config. Throws ConfigRejected (invalid), ApplyFailed
   * (the appliance refused) or PersistFailed; in each case the applied config,
   * the dataplane and the state file are as before.
   */
  apply(next: unknown, reason: string): Promise<FulcrumConfig> {
    return this.enqueue(() => this.applyNow(next, reason));
  }

  /**
   * Change the config in place: `fn` gets a deep clone of the current config
   * (taken when this change's turn comes, so it sees every earlier change).
   * An exception from `fn` aborts the change with nothing applied.
   */
  mutate(fn: (draft: FulcrumConfig) => void, reason: string): Promise<FulcrumConfig> {
    return this.enqueue(() => {
      const draft = structuredClone(this.cur) as FulcrumConfig;
      fn(draft);
      return this.applyNow(draft, reason);
    });
  }

  private enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async applyNow(next: unknown, reason: string): Promise<FulcrumConfig> {
    const res = validateConfig(next, this.validateOpts);
    if (!res.ok) throw new ConfigRejected(res.errors);
    const cfg = deepFreeze(res.config);
    const prev = this.cur;
    try {
      this.appliance.apply(cfg);
    } catch (e) {
      throw new ApplyFailed(e instanceof Error ? e.message : String(e));
    }
    if (this.stateFile !== null) {
      try {
        await writeFileAtomic(this.stateFile, serializeConfig(cfg));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        try {
          this.appliance.apply(prev);
        } catch (e2) {
          // The dataplane runs `cfg` but it is not persisted: keep reporting
          // what actually runs.
          this.cur = cfg;
          this.seq++;
          throw new PersistFailed(
            `cannot persist state file ${this.stateFile}: ${why}; re-applying the previous config failed too: ${e2 instanceof Error ? e2.message : String(e2)}`,
            false,
          );
        }
        throw new PersistFailed(`cannot persist state file ${this.stateFile}: ${why}; previous config re-applied`, true);
      }
    }
    this.cur = cfg;
    this.seq++;
    this.onApplied?.(cfg, reason);
    return cfg;
  }
}
