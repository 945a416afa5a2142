// net_af_xdp: a kernel-driven interface (veth, or a NIC the kernel drives)
// read and written through AF_XDP sockets, one per worker queue. Fulcrum sets
// the queues up (`ethtool -L`) and clears an XDP program a killed daemon left
// behind; the PMD loads its default redirect program (libxdp) on start.
import { execFileSync } from 'node:child_process';
import type { HostCommand } from '../../dataplane/twin';
import { devarg } from '../device';
import type { Channels } from './channels';
import type { PortContext, PortKind } from './kind';

export const AF_XDP_DRIVER = 'net_af_xdp';

const cmd = (c: string, args: string[], bestEffort = false): HostCommand => ({ cmd: c, args, bestEffort });

/** Drop whatever XDP program is attached (a daemon killed with -9 leaves its own). */
export function clearXdp(iface: string): HostCommand[] {
  return [cmd('ip', ['link', 'set', 'dev', iface, 'xdp', 'off'], true), cmd('ip', ['link', 'set', 'dev', iface, 'xdpgeneric', 'off'], true)];
}

/**
 * How `iface` gives `n` AF_XDP queues, every packet landing on one of them:
 * the commands that set its channels, or why it cannot. DPDK 22.11's PMD
 * counts combined channels only; an interface without them (veth) is one queue.
 */
export function xdpQueuePlan(iface: string, ch: Channels | null | undefined, n: number): { commands: HostCommand[] } | { refused: string } {
  if (!ch) return { commands: [] }; // ethtool cannot tell: the PMD checks for itself
  if (ch.maxCombined > 0) {
    if (n > ch.maxCombined) return { refused: `${iface} has at most ${ch.maxCombined} combined channels; ${n} workers need one AF_XDP queue each` };
    return { commands: ch.combined === n ? [] : [cmd('ethtool', ['-L', iface, 'combined', String(n)])] };
  }
  if (n > 1) return { refused: `${iface} has no combined channels (veth): the AF_XDP PMD gets one queue, and ${n} workers need one each` };
  // Packets on any other RX queue would pass the XDP program to the kernel.
  return { commands: ch.rx > 1 ? [cmd('ethtool', ['-L', iface, 'rx', '1'])] : [] };
}

/** The devargs of an AF_XDP port on `iface` with one queue per worker. */
export function afXdpDevice(instance: string, iface: string, workers: number): string {
  return `${instance},iface=${iface},start_queue=0,queue_count=${workers}`;
}

export type XdpMode = 'native' | 'generic' | 'offload';

/** XDP attach mode from `ip -d -j link show dev IFACE` (IFLA_XDP_ATTACHED: 1 drv, 2 skb, 3 hw, 4 several). */
export function xdpAttachMode(ipJson: string): XdpMode | null {
  try {
    const link = (JSON.parse(ipJson) as { xdp?: { mode?: number; attached?: { mode?: number }[] } }[])[0];
    const mode = link?.xdp?.mode === 4 ? link.xdp.attached?.[0]?.mode : link?.xdp?.mode;
    return mode === 1 ? 'native' : mode === 2 ? 'generic' : mode === 3 ? 'offload' : null;
  } catch {
    return null;
  }
}

/** The XDP attach mode on `iface` now, or null if ip cannot tell. */
export function probeXdpMode(iface: string): XdpMode | null {
  try {
    return xdpAttachMode(execFileSync('ip', ['-d', '-j', 'link', 'show', 'dev', iface], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }));
  } catch {
    return null;
  }
}

/** An AF_XDP port the operator named (net_af_xdpN,iface=...): queue_count defaults to one per worker. */
export const afXdp: PortKind = {
  name: 'af_xdp',
  matches: (device) => device.startsWith(AF_XDP_DRIVER),
  resolve(device, ctx: PortContext) {
    const iface = devarg(device, 'iface');
    const vdev = devarg(device, 'queue_count') === undefined ? `${device},queue_count=${ctx.workers}` : device;
    const plan = iface ? xdpQueuePlan(iface, ctx.channels(iface), ctx.workers) : { commands: [] };
    return {
      kind: 'af_xdp', vdev, device, iface,
      underlay: iface ? [...clearXdp(iface), ...('commands' in plan ? plan.commands : [])] : [],
      ...('refused' in plan ? { refused: plan.refused } : {}),
    };
  },
};
