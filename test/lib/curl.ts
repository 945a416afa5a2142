// HTTP through a VIP from a client namespace, as the end-to-end tests drive
// it: many GETs, each on its own TCP connection (curl sends "Connection:
// close" and the test servers speak HTTP/1.0 and close), in sequential curl
// processes of up to `batch` URLs. The test servers answer with their name.
import type { Topology } from './netns';

export interface CurlResult {
  /** The body: the name of the real server that answered ('' if none). */
  server: string;
  /** HTTP status, or "missing(...)" when curl printed no line for the URL. */
  code: string;
  /** TCP connections curl opened for the URL: 1 = a connection of its own. */
  connects: number;
}

export interface CurlOpts {
  /** URLs per curl process (default 25). */
  batch?: number;
  /** curl --max-time and --connect-timeout, in seconds (default 5 and 3). */
  maxTimeS?: number;
  connectTimeoutS?: number;
  /** Request paths are /<prefix><i> (default "r"), so server logs tell them apart. */
  pathPrefix?: string;
}

/** `n` GETs of `${base}/<prefix><i>` from namespace `ns`. */
export async function curlMany(topo: Topology, ns: string, base: string, n: number, opts: CurlOpts = {}): Promise<CurlResult[]> {
  const batch = opts.batch ?? 25;
  const maxTimeS = opts.maxTimeS ?? 5;
  const connectTimeoutS = opts.connectTimeoutS ?? 3;
  const prefix = opts.pathPrefix ?? 'r';
  const out: CurlResult[] = [];
  for (let done = 0; done < n; ) {
    const k = Math.min(batch, n - done);
    const args = ['-s', '-H', 'Connection: close', '--max-time', String(maxTimeS), '--connect-timeout', String(connectTimeoutS),
      '-w', ' %{http_code} %{num_connects}\n'];
    for (let i = 0; i < k; i++) args.push(`${base}/${prefix}${done + i}`);
    const r = await topo.exec(ns, 'curl', args, { allowFail: true, timeoutMs: k * (maxTimeS + 1) * 1000 + 5_000 });
    const lines = r.stdout.split('\n').filter((l) => l.trim());
    for (let i = 0; i < k; i++) {
      const m = /^(\S*)\s+(\d{3})\s+(\d+)$/.exec((lines[i] ?? '').trim());
      out.push(m ? { server: m[1]!, code: m[2]!, connects: Number(m[3]) }
        : { server: '', code: `missing(${lines[i] ?? ''}; curl exit ${r.code})`, connects: 0 });
    }
    done += k;
  }
  return out;
}

/** How many answers each server gave ('?' for none). */
export function tally(rs: ReadonlyArray<Pick<CurlResult, 'server'>>): Record<string, number> {
  const t: Record<string, number> = {};
  for (const r of rs) t[r.server || '?'] = (t[r.server || '?'] ?? 0) + 1;
  return t;
}
