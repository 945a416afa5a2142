// Kernel twin setup. Each DPDK port may have a net_tap "twin" through which
// the kernel sees the port's network (exception path: SSH, health-check
// replies, ARP-less daemons). After the dataplane starts we give each twin the
// port's MTU, addresses and routes, so the host is a normal host on its nets.
import { execFileSync } from 'node:child_process';
import type { FulcrumConfig } from '../config/types';
import { resolvePorts } from '../net/ports';
import type { HostFacts } from './eal';
import { resolveNextHopPort, staticRoutes } from './plan';
import { familyOf, IPV4, IPV6 } from '../net/family';
import { isFloating } from '../ha/config';

export interface HostCommand {
  cmd: string;
  args: string[];
  /** Failure is tolerated (e.g. no IPv6 in this kernel). */
  bestEffort: boolean;
}

/** Runs one command; throws with the tool's stderr on failure. */
export type CommandRunner = (cmd: string, args: string[]) => void;

export const execRunner: CommandRunner = (cmd, args) => {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const detail = err.stderr?.toString().trim() || err.code || err.message;
    throw new Error(detail.split('\n')[0]);
  }
};

function ipv6Sysctl(iface: string, key: string, value: number): HostCommand {
  // sysctl keys use '/' where an interface name has '.' (e.g. VLAN eth0.10).
  return {
    cmd: 'sysctl',
    args: ['-q', '-w', `net.ipv6.conf.${iface.replace(/\./g, '/')}.${key}=${value}`],
    bestEffort: true,
  };
}

function disableIpv6(iface: string): HostCommand {
  return ipv6Sysctl(iface, 'disable_ipv6', 1);
}

/**
 * A twin whose port has IPv6 addresses keeps kernel IPv6, but takes its
 * addresses and routes from the config only: no router adverts, no
 * autoconfigured addresses, and no DAD (the dataplane answers and defends
 * the port's addresses itself; a tentative address would only delay the
 * twin's own traffic).
 */
function enableIpv6(iface: string): HostCommand[] {
  // Before IPv6 comes on: the link-local address it makes then would
  // otherwise start DAD, and router adverts could configure the twin.
  return [
    ipv6Sysctl(iface, 'accept_dad', 0),
    ipv6Sysctl(iface, 'accept_ra', 0),
    ipv6Sysctl(iface, 'autoconf', 0),
    ipv6Sysctl(iface, 'disable_ipv6', 0),
  ];
}

/**
 * Interfaces that kernel-interface ports (af_packet, AF_XDP) sit on, prepared
 * by their port kind (queues, a stale XDP program: src/net/ports). The
 * dataplane owns them: IPv6 (router solicitations, DAD, MLD) from the kernel
 * there is noise on the wire and in the dataplane's counters.
 */
export function underlayCommands(cfg: FulcrumConfig, host?: Pick<HostFacts, 'channels'>): HostCommand[] {
  const out: HostCommand[] = [];
  for (const p of resolvePorts(cfg, host?.channels)) {
    out.push(...p.underlay);
    if (p.iface) out.push(disableIpv6(p.iface));
  }
  return out;
}

/** Every command that configures the twins, in order. Pure. */
export function twinCommands(cfg: FulcrumConfig): HostCommand[] {
  const out: HostCommand[] = [];
  const twinOf = (idx: number): string | false => cfg.ports[idx]!.twin;
  for (const p of cfg.ports) {
    if (p.twin === false) continue;
    const dev = p.twin;
    // Without IPv6 addresses the port is IPv4 only, and kernel IPv6 on its
    // twin would only put router solicitations and MLD on its wire.
    if (p.addresses.some((a) => familyOf(a.ip) === 6)) out.push(...enableIpv6(dev));
    else out.push(disableIpv6(dev));
    out.push({ cmd: 'ip', args: ['link', 'set', 'dev', dev, 'mtu', String(p.mtu)], bestEffort: false });
    for (const a of p.addresses) {
      // keepalived owns the floating addresses (src/ha/floating.ts).
      if (isFloating(cfg, a.role)) continue;
      // Keep each address's own prefix (the kernel then knows the subnet for
      // ARP and source selection) but only the DIP installs the connected
      // route, so a VIP/LIP in the same subnet doesn't add a duplicate one.
      const args = ['addr', 'replace', a.ip, 'dev', dev];
      if (a.role !== 'dip') args.push('noprefixroute');
      if (familyOf(a.ip) === 6) args.push('nodad');
      out.push({ cmd: 'ip', args, bestEffort: false });
    }
    out.push({ cmd: 'ip', args: ['link', 'set', 'dev', dev, 'up'], bestEffort: false });
  }
  // Routes after every twin is up: a next hop must be on-link when added.
  for (const fam of [IPV4, IPV6]) {
    for (const r of staticRoutes(cfg, fam)) {
      const dev = twinOf(resolveNextHopPort(cfg, r.via, r.port));
      if (dev === false) continue; // no kernel view of that port, nothing to route
      const to = r.len === 0 ? 'default' : `${r.prefix}/${r.len}`;
      const family = fam.id === 6 ? ['-6'] : [];
      out.push({ cmd: 'ip', args: [...family, 'route', 'replace', to, 'via', r.via, 'dev', dev], bestEffort: false });
    }
  }
  return out;
}

/**
 * Run commands; best-effort failures are ignored, the rest are collected and
 * thrown as one Error so the operator sees every problem at once.
 */
export function runHostCommands(cmds: HostCommand[], run: CommandRunner = execRunner): void {
  const failures: string[] = [];
  for (const c of cmds) {
    try {
      run(c.cmd, c.args);
    } catch (e) {
      if (!c.bestEffort) failures.push(`\`${c.cmd} ${c.args.join(' ')}\`: ${(e as Error).message}`);
    }
  }
  if (failures.length) {
    throw new Error(`twin setup failed: ${failures.join('; ')}`);
  }
}

export function configureTwins(cfg: FulcrumConfig, run: CommandRunner = execRunner): void {
  runHostCommands(twinCommands(cfg), run);
}

export function prepareUnderlay(cfg: FulcrumConfig, run: CommandRunner = execRunner, host?: Pick<HostFacts, 'channels'>): void {
  runHostCommands(underlayCommands(cfg, host), run);
}
