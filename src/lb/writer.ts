// The single writer: the one object that changes the applied config. Every
// change (API, SIGHUP reload, CLI later) goes through apply()/mutate(), which
// run one at a time in arrival order. A change is validated in full, published
// to the dataplane, then persisted; if any step fails nothing changes.
import { isDeepStrictEqual } from 'node:util';
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
  /**
   * Desired -> published: applied just before every appliance.apply (health
   * checks drop DOWN servers, publish sorry servers). Only the desired config
   * is persisted and returned by current(). Default: identity.
   */
  effective?: EffectiveTransform;
}

/** Turns the operator's desired config into what the dataplane runs. Must not mutate its input. */
export type EffectiveTransform = (desired: FulcrumConfig) => FulcrumConfig;

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
  private transform: EffectiveTransform | undefined;
  private published_: FulcrumConfig;

  constructor(opts: ConfigWriterOptions) {
    this.appliance = opts.appliance;
    this.stateFile = opts.stateFile;
    this.validateOpts = opts.validate ?? {};
    this.onApplied = opts.onApplied;
    this.cur = deepFreeze(structuredClone(opts.initial));
    this.transform = opts.effective;
    // What the appliance was started with is assumed to be effective(initial).
    this.published_ = this.publishOf(this.cur);
  }

  /** Install or replace the desired -> published transform; call republish() to apply it. */
  setEffective(fn: EffectiveTransform | undefined): void {
    this.transform = fn;
  }

  /** The config last published to the appliance (effective, not persisted). */
  published(): FulcrumConfig {
    return this.published_;
  }

  /**
   * Re-publish the current desired config through the transform (a health
   * state changed). Queued behind other changes; nothing is persisted.
   * Resolves true when the appliance got a new config, false when the
   * effective config did not change. Throws ApplyFailed when the appliance refused.
   */
  republish(reason: string): Promise<boolean> {
    return this.enqueue(() => {
      const eff = this.publishOf(this.cur);
      if (isDeepStrictEqual(eff, this.published_)) return false;
      try {
        this.appliance.apply(eff);
      } catch (e) {
        throw new ApplyFailed(`${reason}: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.published_ = eff;
      return true;
    });
  }

  private publishOf(desired: FulcrumConfig): FulcrumConfig {
    return this.transform ? deepFreeze(this.transform(desired)) : desired;
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
    const prevPublished = this.published_;
    let eff: FulcrumConfig;
    try {
      eff = this.publishOf(cfg);
      this.appliance.apply(eff);
    } catch (e) {
      throw new ApplyFailed(e instanceof Error ? e.message : String(e));
    }
    if (this.stateFile !== null) {
      try {
        await writeFileAtomic(this.stateFile, serializeConfig(cfg));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        try {
          this.appliance.apply(prevPublished);
        } catch (e2) {
          // The dataplane runs `cfg` but it is not persisted: keep reporting
          // what actually runs.
          this.cur = cfg;
          this.published_ = eff;
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
    this.published_ = eff;
    this.seq++;
    this.onApplied?.(cfg, reason);
    return cfg;
  }
}
