// The ipvsadm view of the counters (GET /api/v1/stats, fulcrumadm -L --stats
// / --rate, ipvsadm -Z): counts since the last zero, and IPVS-style rates.
//
// Counters flow one way: the appliance hands out the dataplane's raw,
// monotonic counters (Appliance.serverCounters); this view owns what
// ipvsadm adds on top, the zero offsets and the rate baseline. The metrics
// read the raw counters and never touch either, so how often Prometheus
// scrapes cannot change what fulcrumadm --rate prints, and a metric never
// goes down across ipvsadm -Z.

/** One real server's raw counters, as the dataplane counts them. */
export interface RawServerCounters {
  activeConns: number;
  inactConns: number;
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** Counts since the last zero, with per-second rates. */
export interface ServerCounters extends RawServerCounters {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

type Totals = Pick<RawServerCounters, 'conns' | 'inPkts' | 'outPkts' | 'inBytes' | 'outBytes'>;
const TOTALS = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const;
const totals = (r: RawServerCounters): Totals => ({
  conns: r.conns, inPkts: r.inPkts, outPkts: r.outPkts, inBytes: r.inBytes, outBytes: r.outBytes,
});

/** Rates are those of the last complete interval of at least this long, as IPVS's 2 s estimator. */
export const RATE_INTERVAL_MS = 2000;

type Sample = Totals & { t: number };

export class IpvsStatsView {
  private readonly zeroed = new Map<string, Totals>();
  /** Per server: the last two samples; rates are the change between them. */
  private readonly samples = new Map<string, { prev: Sample | undefined; cur: Sample }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Raw counters (keyed by serverKey) as ipvsadm shows them. Every read in
   * one interval sees the same rates: a read only takes a new sample once
   * the last one is RATE_INTERVAL_MS old. */
  view(raw: ReadonlyMap<string, RawServerCounters>): Map<string, ServerCounters> {
    const now = this.now();
    const out = new Map<string, ServerCounters>();
    for (const [key, r] of raw) {
      const z = this.zeroed.get(key);
      const c: ServerCounters = { ...r, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
      // A dataplane restart starts the raw counts again: a zero taken
      // before it no longer applies.
      if (z && TOTALS.some((k) => r[k] < z[k])) this.zeroed.delete(key);
      else if (z) for (const k of TOTALS) c[k] = r[k] - z[k];
      let e = this.samples.get(key);
      if (!e) this.samples.set(key, (e = { prev: undefined, cur: { t: now, ...totals(r) } }));
      else if (now - e.cur.t >= RATE_INTERVAL_MS) e = { prev: e.cur, cur: { t: now, ...totals(r) } };
      this.samples.set(key, e);
      const { prev, cur } = e;
      if (prev && cur.t > prev.t) {
        const dt = (cur.t - prev.t) / 1000;
        const rate = (k: keyof Totals): number => Math.max(0, Math.round((cur[k] - prev[k]) / dt));
        c.cps = rate('conns');
        c.inPps = rate('inPkts');
        c.outPps = rate('outPkts');
        c.inBps = rate('inBytes');
        c.outBps = rate('outBytes');
      }
      out.set(key, c);
    }
    return out;
  }

  /** ipvsadm -Z [service]: counts start again from zero (connections in progress stay). */
  zero(raw: ReadonlyMap<string, RawServerCounters>, service?: string): void {
    for (const [key, r] of raw) {
      if (service !== undefined && !key.startsWith(`${service}/`)) continue;
      this.zeroed.set(key, totals(r));
    }
  }
}
