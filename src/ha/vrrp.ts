// How Fulcrum learns its VRRP state: from the floating addresses on its
// kernel twins. keepalived's vrrp_instance runs on the twin as on any Linux
// director and, as master, adds its virtual_ipaddress there (and removes
// them as backup, on a fault or when it stops); Fulcrum serves a floating
// VIP or LIP exactly while the twin has it. Watching the addresses, not
// keepalived's notify scripts, means no script to install, the same answer
// for any VRRP daemon, and no state to lose: a restarted Fulcrum reads the
// truth from the twin at once, and a keepalived that dies with SIGKILL
// leaves its addresses in place, so the flows stay served until the peer
// takes over (the peer's GARP then moves the traffic).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import type { FulcrumConfig } from '../config/types';
import { floatingAddresses, type FloatingAddress } from './config';

/** The IPv4 addresses on a kernel interface; [] when it does not exist. */
export type TwinAddressReader = (dev: string) => string[];

export const readTwinAddresses: TwinAddressReader = (dev) => {
  try {
    const out = execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', dev], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const links = JSON.parse(out.toString() || '[]') as { addr_info?: { local?: string }[] }[];
    return links.flatMap((l) => (l.addr_info ?? []).flatMap((a) => (a.local ? [a.local] : [])));
  } catch {
    return [];
  }
};

/** The floating addresses not on their twin: held as backup. Pure. */
export function standbySet(floating: FloatingAddress[], onTwin: (dev: string) => ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const a of floating) if (a.twin === false || !onTwin(a.twin).has(a.ip)) out.add(a.ip);
  return out;
}

export interface VrrpWatcherOptions {
  read?: TwinAddressReader;
  /** Re-read this often even without an event (a missed netlink message). */
  pollMs?: number;
  log?: (line: string) => void;
}

export class VrrpWatcher {
  private floating: FloatingAddress[] = [];
  private monitor: ChildProcess | undefined;
  private poll: NodeJS.Timeout | undefined;
  // undefined until the first reading, which is always reported: the
  // appliance starts with every floating address on standby, and a twin that
  // already holds them all (standby empty) must still bring them into service.
  private last: string | undefined;
  private readonly read: TwinAddressReader;

  constructor(private readonly onChange: (standby: Set<string>) => void, private readonly opts: VrrpWatcherOptions = {}) {
    this.read = opts.read ?? readTwinAddresses;
  }

  /** (Re)start for a config; stops when the config has no floating addresses. */
  update(cfg: FulcrumConfig): void {
    this.floating = floatingAddresses(cfg);
    if (!this.floating.length) return this.stop();
    if (!this.monitor) {
      // `ip monitor address` prints a line per address change: re-read then.
      const m = spawn('ip', ['-o', '-4', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
      m.stdout?.on('data', () => this.refresh());
      m.on('error', (e) => this.opts.log?.(`vrrp: ip monitor: ${e.message}`));
      this.monitor = m;
      this.poll = setInterval(() => this.refresh(), this.opts.pollMs ?? 1000);
    }
    this.refresh();
  }

  /** Read the twins and report the standby set when it changed. */
  refresh(): void {
    const cache = new Map<string, ReadonlySet<string>>();
    const onTwin = (dev: string) => {
      let s = cache.get(dev);
      if (!s) cache.set(dev, (s = new Set(this.read(dev))));
      return s;
    };
    const standby = standbySet(this.floating, onTwin);
    const key = [...standby].sort().join(',');
    if (key === this.last) return;
    this.last = key;
    const active = this.floating.filter((a) => !standby.has(a.ip)).map((a) => a.ip);
    this.opts.log?.(`vrrp: serving ${active.length ? active.join(' ') : 'no floating address'}${standby.size ? `; backup for ${[...standby].join(' ')}` : ''}`);
    this.onChange(standby);
  }

  /** Floating addresses and whether this director serves each (API). */
  status(): { ip: string; role: string; port: string; master: boolean }[] {
    const standby = this.last?.split(',');
    return this.floating.map((a) => ({ ip: a.ip, role: a.role, port: a.port, master: standby !== undefined && !standby.includes(a.ip) }));
  }

  stop(): void {
    this.monitor?.kill();
    this.monitor = undefined;
    this.last = undefined;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }
}
