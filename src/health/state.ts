// One real server's health state, keepalived's checker semantics, pure: the
// caller runs the probes and the timers and feeds results in with the time.
//
// A check round is one probe plus up to `retry` retries spaced by
// `delayBeforeRetry` (keepalived retry / nb_get_retry, delay_before_retry):
// the round fails only when the first probe and every retry failed, and ends
// at the first success. Rounds start `delayLoop` after the previous round
// ended. `fall` failed rounds in a row take an UP server DOWN, `rise`
// successful rounds in a row bring a DOWN server UP (keepalived has rise =
// fall = 1). A server starts UP, as in keepalived, unless `alpha` is set.

export type ServerState = 'UP' | 'DOWN';

/** Seconds, as in the config. */
export interface CheckTiming {
  delayLoop: number;
  retry: number;
  delayBeforeRetry: number;
  rise: number;
  fall: number;
  alpha: boolean;
}

export interface ProbeResult {
  ok: boolean;
  /** Why the probe failed ("connect timeout", "status 500", "exit 1"). */
  error?: string;
  /** misc_dynamic: the weight the command asked for (exit code - 2). */
  weight?: number;
}

export interface Transition {
  from: ServerState;
  to: ServerState;
  /** The failure that took the server down, or what brought it up. */
  reason: string;
}

export interface RecordOutcome {
  /** When (ms, same clock as `now`) the next probe is due. */
  next: number;
  transition?: Transition;
  /** A dynamic weight changed while the server is UP. */
  weightChanged?: boolean;
  /** The probe failed and a retry follows (no verdict yet). */
  retrying?: boolean;
}

export class CheckState {
  state: ServerState;
  /** ms timestamp of the last state change (or of creation). */
  since: number;
  lastError: string | null = null;
  /** Probes run. */
  checks = 0;
  /** Probes that failed (retries included). */
  failures = 0;
  /** State changes since creation. */
  transitions = 0;
  /** Dynamic weight from misc_dynamic, when the command gave one. */
  weight: number | undefined;
  private retryIt = 0;
  private okRounds = 0;
  private failRounds = 0;

  constructor(private timing: CheckTiming, now: number) {
    this.state = timing.alpha ? 'DOWN' : 'UP';
    this.since = now;
  }

  /** The first probe runs at once. */
  firstProbeAt(now: number): number {
    return now;
  }

  /** New timing (config change); the state and the counts stay. */
  setTiming(t: CheckTiming): void {
    this.timing = t;
    if (this.retryIt > t.retry) this.retryIt = t.retry;
  }

  /** Feed one probe result taken at `now` (ms). */
  record(r: ProbeResult, now: number): RecordOutcome {
    const t = this.timing;
    this.checks++;
    if (r.ok) {
      this.retryIt = 0;
      this.failRounds = 0;
      this.okRounds++;
      const weightChanged = this.state === 'UP' && r.weight !== this.weight;
      this.weight = r.weight;
      const out: RecordOutcome = { next: now + t.delayLoop * 1000 };
      if (weightChanged) out.weightChanged = true;
      if (this.state === 'DOWN' && this.okRounds >= t.rise) {
        out.transition = this.change('UP', this.okRounds > 1 ? `${this.okRounds} checks succeeded` : 'check succeeded', now);
      }
      return out;
    }
    this.failures++;
    this.lastError = r.error ?? 'check failed';
    if (this.retryIt < t.retry) {
      this.retryIt++;
      return { next: now + t.delayBeforeRetry * 1000, retrying: true };
    }
    this.retryIt = 0;
    this.okRounds = 0;
    this.failRounds++;
    const out: RecordOutcome = { next: now + t.delayLoop * 1000 };
    if (this.state === 'UP' && this.failRounds >= t.fall) {
      out.transition = this.change('DOWN', this.lastError, now);
    }
    return out;
  }

  private change(to: ServerState, reason: string, now: number): Transition {
    const from = this.state;
    this.state = to;
    this.since = now;
    this.transitions++;
    return { from, to, reason };
  }
}
