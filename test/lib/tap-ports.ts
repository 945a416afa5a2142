// net_tap data ports on the standard topology: a port PMD with Rx interrupts
// (net_af_xdp and net_af_packet have none in DPDK 22.11), for the idle-sleep
// tests and bench:idle. In the director's namespace each veth the iface:
// ports would use (dcli, dsrv) is spliced to a persistent multi-queue tap
// (tcli, tsrv) that the port's net_tap device attaches to: tc redirects
// every frame from one to the other both ways, so the client and the switch
// see the same wire as with the standard ports. (Not a bridge: net_tap gives
// the kernel's tap the port's own MAC, which a bridge would keep for itself.)
import { run, type StandardTopology } from './netns';

export const TAP_PORTS = [
  { veth: 'dcli', tap: 'tcli', device: 'net_tap10,iface=tcli' },
  { veth: 'dsrv', tap: 'tsrv', device: 'net_tap11,iface=tsrv' },
] as const;

/** Create the taps and splice them to the veths (before the director starts: net_tap attaches to a tap that exists). */
export async function spliceTapPorts(st: StandardTopology): Promise<void> {
  const ns = st.topo.ns('dir');
  const ip = (...args: string[]): Promise<unknown> => run('ip', ['-n', ns, ...args]);
  const tc = (...args: string[]): Promise<unknown> => st.topo.exec('dir', 'tc', args);
  for (const p of TAP_PORTS) {
    await ip('tuntap', 'add', 'dev', p.tap, 'mode', 'tap', 'multi_queue');
    await st.topo.sysctl('dir', `net.ipv6.conf.${p.tap}.disable_ipv6`, '1', true);
    for (const i of [p.veth, p.tap]) await ip('link', 'set', i, 'up');
    for (const [from, to] of [[p.veth, p.tap], [p.tap, p.veth]] as const) {
      await tc('qdisc', 'add', 'dev', from, 'ingress');
      await tc('filter', 'add', 'dev', from, 'ingress', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', to);
    }
  }
}

/** The standard config's ports on the taps instead of the veths. */
export function tapPortsConfig(base: { ports: Record<string, unknown>[] }): Record<string, unknown>[] {
  return base.ports.map((p, i) => ({ ...p, device: TAP_PORTS[i]!.device }));
}
