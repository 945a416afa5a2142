// VIP announcements for scale-out behind ECMP routers. A director should
// draw a VIP's traffic only while it can serve it: its dataplane runs, and
// some service on the VIP has a real server that takes new connections (or
// a sorry server). `fulcrum announce` polls the local API and speaks
// ExaBGP's process API ("announce route ..." / "withdraw route ..." lines on
// stdout), as exabgp-healthcheck does for a single service; the BGP speaker
// itself runs beside the appliance, on the kernel twin.
import fs from 'node:fs';
import type { FulcrumConfig, ServiceConfig } from '../config/types';
import { serverKey } from '../config/keys';
import type { FulcrumApiClient, HealthServerState } from '../ipvsadm/client';

/** Whether a service can take a new connection now. */
function serviceUp(svc: ServiceConfig, down: Set<string>): boolean {
  if (svc.sorryServer) return true; // published alone when the others are gone
  return svc.servers.some((r) => r.weight > 0 && !down.has(serverKey(svc, r)));
}

/** The VIPs to announce: none unless the dataplane runs. */
export function announceableVips(cfg: FulcrumConfig, health: HealthServerState[], ready: boolean): Set<string> {
  const out = new Set<string>();
  if (!ready) return out;
  const down = new Set(health.filter((h) => h.state === 'DOWN').map((h) => `${h.service}/${h.server}`));
  for (const svc of cfg.services) if (serviceUp(svc, down)) out.add(svc.vip);
  return out;
}

/** ExaBGP process-API lines taking the announced set from `prev` to `next`. */
export function announcementLines(prev: ReadonlySet<string>, next: ReadonlySet<string>, nextHop: string): string[] {
  const lines: string[] = [];
  for (const vip of [...prev].sort()) if (!next.has(vip)) lines.push(`withdraw route ${vip}/32 next-hop ${nextHop}`);
  for (const vip of [...next].sort()) if (!prev.has(vip)) lines.push(`announce route ${vip}/32 next-hop ${nextHop}`);
  return lines;
}

/** Whether the operator's drain file (--disable) is there. */
export function isDrained(disableFile: string | undefined): boolean {
  return disableFile !== undefined && fs.existsSync(disableFile);
}

/** What the API says now; an API that cannot be read counts as not ready. */
export async function observe(client: FulcrumApiClient): Promise<{ vips: Set<string>; error?: string }> {
  try {
    const ready = await client.getReady();
    if (!ready) return { vips: new Set() };
    const [cfg, health] = await Promise.all([client.getConfig(), client.getHealthServers()]);
    return { vips: announceableVips(cfg, health, true) };
  } catch (e) {
    return { vips: new Set(), error: (e as Error).message };
  }
}

export interface AnnouncerOptions {
  client: FulcrumApiClient;
  intervalMs: number;
  nextHop: string;
  /**
   * While this file exists, announce nothing (exabgp-healthcheck's
   * --disable): how an operator drains a director before maintenance, its
   * flows moving to the others while it still serves the ones it has.
   */
  disableFile?: string;
  /** One ExaBGP command per call (stdout). */
  emit: (line: string) => void;
  /** Diagnostics (stderr). */
  log: (line: string) => void;
  /** Stop: withdraw what is announced and return. */
  signal: AbortSignal;
}

/** Poll until aborted; on the way out, withdraw everything still announced. */
export async function runAnnouncer(o: AnnouncerOptions): Promise<void> {
  let announced = new Set<string>();
  let lastError: string | undefined;
  let wasDrained = false;
  // One abort listener per nap, removed when the nap ends (not piled up).
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const wake = (): void => { clearTimeout(t); o.signal.removeEventListener('abort', wake); resolve(); };
    const t = setTimeout(wake, ms);
    o.signal.addEventListener('abort', wake, { once: true });
  });
  while (!o.signal.aborted) {
    const drained = isDrained(o.disableFile);
    const now = drained ? { vips: new Set<string>() } : await observe(o.client);
    if (o.signal.aborted) break;
    if (drained !== wasDrained) {
      o.log(drained ? `fulcrum announce: ${o.disableFile} exists: withdrawing every VIP` : `fulcrum announce: ${o.disableFile} gone: announcing again`);
      wasDrained = drained;
    }
    if (now.error !== lastError) {
      if (now.error) o.log(`fulcrum announce: ${now.error}: withdrawing every VIP`);
      else if (lastError) o.log('fulcrum announce: API reachable again');
      lastError = now.error;
    }
    for (const l of announcementLines(announced, now.vips, o.nextHop)) o.emit(l);
    announced = now.vips;
    await sleep(o.intervalMs);
  }
  for (const l of announcementLines(announced, new Set(), o.nextHop)) o.emit(l);
}
