// `fulcrum top`'s loop: sample the director's API every interval and print a
// frame: a refreshed screen on a terminal, plain lines elsewhere.
import type { FulcrumApiClient } from '../ipvsadm/client';
import { renderLines, renderScreen, topFrame, type TopSample, type TopStats } from './view';

export interface TopOptions {
  client: FulcrumApiClient;
  intervalMs: number;
  /** Stop after this many frames (default: until the signal). */
  count?: number;
  tty: boolean;
  write: (s: string) => void;
  warn: (s: string) => void;
  signal?: AbortSignal;
  now?: () => number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

export async function runTop(o: TopOptions): Promise<void> {
  const now = o.now ?? Date.now;
  let prev: TopSample | undefined;
  let frames = 0;
  while (!o.signal?.aborted && (o.count === undefined || frames < o.count)) {
    try {
      const [stats, health] = await Promise.all([o.client.getStats(), o.client.getHealthServers()]);
      const cur: TopSample = { atMs: now(), stats: stats as TopStats, health };
      const f = topFrame(prev, cur);
      const time = new Date(cur.atMs).toISOString().slice(11, 19);
      if (o.tty) {
        o.write(`\x1b[H\x1b[2J${renderScreen(f, `fulcrum top: ${o.client.baseUrl}  ${time}  every ${o.intervalMs / 1000} s  (Ctrl-C quits)`)}`);
        frames++;
      } else if (prev) {
        // Plain lines need an interval to have rates: the first sample only starts it.
        o.write(renderLines(f, time));
        frames++;
      }
      prev = cur;
    } catch (e) {
      o.warn(`fulcrum top: ${e instanceof Error ? e.message : String(e)}`);
      prev = undefined;
    }
    if (o.count !== undefined && frames >= o.count) break;
    await sleep(o.intervalMs, o.signal);
  }
}
