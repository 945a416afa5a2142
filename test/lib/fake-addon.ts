// Pieces the unit tests' stand-in addons share: a dataplane whose session
// sync is idle (it sends and receives nothing).
import type { NativeAddon, NativeSyncStats } from '../../src/native/addon';
import { SYNC_EVENTS } from '../../src/native/vocabulary';

export const IDLE_SYNC_STATS: NativeSyncStats = {
  msgsSent: 0, connsSent: 0, msgsReceived: 0, connsReceived: 0, connsSkipped: 0, connsInvalid: 0,
  workerRingFull: 0, lastLagMs: 0, msgsRefused: {},
};

export const idleSync: Pick<NativeAddon, 'syncConfigure' | 'syncCollect' | 'syncApply' | 'syncStats'> = {
  syncConfigure: () => undefined,
  syncCollect: () => ({ messages: [], lagMs: 0 }),
  syncApply: () => ({ handed: 0, error: null }),
  syncStats: () => IDLE_SYNC_STATS,
};

/** A worker's sync counters, all zero. */
export function zeroSyncEvents(): Record<(typeof SYNC_EVENTS)[number], number> {
  return Object.fromEntries(SYNC_EVENTS.map((e) => [e, 0])) as Record<(typeof SYNC_EVENTS)[number], number>;
}
