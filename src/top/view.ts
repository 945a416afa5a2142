// `fulcrum top`'s view: two successive samples of a director's API (GET
// /api/v1/stats and /api/v1/health/servers) become one frame: per service and
// real server the connections, packets and bytes per second over the
// interval, active and inactive connections, weight and health, and the
// drops per second by reason. Pure: the command fetches, this renders.

/** The parts of GET /api/v1/stats the view reads. */
export interface TopStats {
  drops?: Record<string, number>;
  services?: {
    id: string;
    scheduler?: string;
    servers?: {
      id: string; weight?: number; method?: string;
      conns?: number; inPkts?: number; outPkts?: number; inBytes?: number; outBytes?: number;
      activeConns?: number; inactConns?: number;
    }[];
  }[];
}

export interface TopSample {
  atMs: number;
  stats: TopStats;
  /** GET /api/v1/health/servers: checked servers only. */
  health: { service: string; server: string; state: string }[];
}

export interface TopRow {
  service: string;
  server: string | null;      /* null: the service's own row (sums) */
  scheduler: string;
  method: string;
  weight: number | null;
  health: string;             /* UP, DOWN, or "-" when not checked */
  connsPerSec: number;
  pktsPerSec: number;
  bytesPerSec: number;
  active: number;
  inactive: number;
}

export interface TopFrame {
  intervalSec: number;
  rows: TopRow[];
  /** Drops per second by reason, over the interval; only reasons that grew. */
  drops: [string, number][];
}

const rate = (now: number | undefined, before: number | undefined, dt: number): number =>
  dt > 0 ? Math.max(0, ((now ?? 0) - (before ?? 0)) / dt) : 0;

export function topFrame(prev: TopSample | undefined, cur: TopSample): TopFrame {
  const dt = prev ? (cur.atMs - prev.atMs) / 1000 : 0;
  const health = new Map(cur.health.map((h) => [`${h.service}/${h.server}`, h.state.toUpperCase()]));
  const rows: TopRow[] = [];
  for (const s of cur.stats.services ?? []) {
    const before = prev?.stats.services?.find((p) => p.id === s.id);
    const svcRow: TopRow = {
      service: s.id, server: null, scheduler: s.scheduler ?? '', method: '', weight: null, health: '',
      connsPerSec: 0, pktsPerSec: 0, bytesPerSec: 0, active: 0, inactive: 0,
    };
    const serverRows: TopRow[] = [];
    for (const r of s.servers ?? []) {
      const b = before?.servers?.find((x) => x.id === r.id);
      const row: TopRow = {
        service: s.id, server: r.id, scheduler: '', method: r.method ?? '', weight: r.weight ?? null,
        health: health.get(`${s.id}/${r.id}`) ?? '-',
        connsPerSec: rate(r.conns, b?.conns, dt),
        pktsPerSec: rate((r.inPkts ?? 0) + (r.outPkts ?? 0), (b?.inPkts ?? 0) + (b?.outPkts ?? 0), dt),
        bytesPerSec: rate((r.inBytes ?? 0) + (r.outBytes ?? 0), (b?.inBytes ?? 0) + (b?.outBytes ?? 0), dt),
        active: r.activeConns ?? 0, inactive: r.inactConns ?? 0,
      };
      if (!b) row.connsPerSec = row.pktsPerSec = row.bytesPerSec = 0;   /* new: no interval yet */
      for (const k of ['connsPerSec', 'pktsPerSec', 'bytesPerSec', 'active', 'inactive'] as const) svcRow[k] += row[k];
      serverRows.push(row);
    }
    rows.push(svcRow, ...serverRows);
  }
  const drops: [string, number][] = [];
  for (const [reason, n] of Object.entries(cur.stats.drops ?? {})) {
    const r = rate(n, prev?.stats.drops?.[reason], dt);
    if (prev && r > 0) drops.push([reason, r]);
  }
  drops.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { intervalSec: dt, rows, drops };
}

/** 1234567 -> "1.2M"; small numbers keep one decimal. */
export function human(n: number): string {
  const units = ['', 'k', 'M', 'G', 'T'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n >= 100 || (i === 0 && Number.isInteger(n)) ? n.toFixed(0) : n.toFixed(1)}${units[i]}`;
}

const COLS = ['SERVICE / REAL SERVER', 'SCHED/FWD', 'WEIGHT', 'HEALTH', 'CONN/S', 'PKT/S', 'BYTES/S', 'ACTIVE', 'INACT'];

/** The frame as a terminal screen (the caller clears it first). */
export function renderScreen(f: TopFrame, title: string): string {
  const w = [30, 9, 6, 6, 8, 9, 9, 7, 7];
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' ');
  const out = [title, '', line(COLS)];
  for (const r of f.rows) {
    out.push(line([
      r.server === null ? r.service : `  -> ${r.server}`,
      r.server === null ? r.scheduler : r.method,
      r.weight === null ? '' : String(r.weight),
      r.health,
      human(r.connsPerSec), human(r.pktsPerSec), human(r.bytesPerSec), String(r.active), String(r.inactive),
    ]));
  }
  out.push('', f.drops.length ? `drops/s: ${f.drops.map(([k, v]) => `${k} ${human(v)}`).join('  ')}` : 'drops/s: none');
  return `${out.join('\n')}\n`;
}

/** The frame as plain lines (stdout is not a terminal): one per real server, one for drops. */
export function renderLines(f: TopFrame, time: string): string {
  const out: string[] = [];
  for (const r of f.rows) {
    if (r.server === null) continue;
    out.push(`${time} ${r.service} ${r.server} method=${r.method} weight=${r.weight ?? ''} health=${r.health} ` +
      `conns/s=${r.connsPerSec.toFixed(1)} pkts/s=${r.pktsPerSec.toFixed(1)} bytes/s=${r.bytesPerSec.toFixed(0)} ` +
      `active=${r.active} inactive=${r.inactive}`);
  }
  out.push(`${time} drops/s ${f.drops.length ? f.drops.map(([k, v]) => `${k}=${v.toFixed(1)}`).join(' ') : 'none'}`);
  return `${out.join('\n')}\n`;
}
