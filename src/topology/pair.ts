// The director pair topology: a client and a router on a client switch, two
// directors on both switches, real servers on the server switch. The HA
// end-to-end tests (VRRP by keepalived, session sync) run on it, and, with
// the client moved behind the router, the ECMP scale-out tests (BIRD on the
// router, ExaBGP on each director); the address plan is defined here only.
import { run } from './exec';
import { Topology } from './netns';
import { deepMerge, standardDirectorConfig, PLAN } from './standard';

/**
 * Address plan (198.18.0.0/15 only):
 *
 *   [cli] 198.18.0.10 ─┐                       ┌─ [rs1..3] 198.19.0.11-13
 *   [rtr] 198.18.0.254 ┼ swc ─ dcli [dirA] dsrv ─┼ sws ─ [rtr] 198.19.0.254
 *                      └─────── dcli [dirB] dsrv ┘
 *
 * dirA's DIPs are .1 on both nets, dirB's .3; the VIP (198.18.0.100) and the
 * LIP (198.19.0.2) float between them (keepalived moves them). The router
 * carries what bypasses the directors (DR replies, source VIP) back to the
 * client; the client reaches the VIP on its own segment.
 *
 * Upstream (`clientBehindRouter`, the ECMP layout): the client has a link
 * of its own to the router, [cli] 198.18.1.10 ── 198.18.1.254 [rtr], and
 * reaches the VIP only through the router's routes to it, which BGP sets.
 */
export const PAIR = {
  client: '198.18.0.10',
  router: { client: '198.18.0.254', servers: '198.19.0.254' },
  upstream: { net: '198.18.1.0/24', client: '198.18.1.10', router: '198.18.1.254' },
  directors: {
    a: { clientDip: '198.18.0.1', serverDip: '198.19.0.1' },
    b: { clientDip: '198.18.0.3', serverDip: '198.19.0.3' },
  },
  vip: PLAN.vip,
  lip: PLAN.lip,
  realServers: PLAN.realServers,
} as const;

export type PairSide = keyof typeof PAIR.directors;

export interface PairTopology {
  topo: Topology;
  /** Namespace short names. */
  ns: { client: 'cli'; router: 'rtr'; a: 'dira'; b: 'dirb'; realServers: string[] };
  destroy(): Promise<void>;
}

export interface PairTopologyOpts {
  prefix?: string;
  onLeftovers?: (names: string[]) => void;
  /** The client on a link of its own to the router (the ECMP layout). */
  clientBehindRouter?: boolean;
}

export async function pairTopology(opts: PairTopologyOpts = {}): Promise<PairTopology> {
  const topo = new Topology(opts.prefix);
  const left = topo.cleanLeftovers();
  if (left.length) opts.onLeftovers?.(left);
  const rss = PAIR.realServers.map((_, i) => `rs${i + 1}`);
  try {
    for (const n of ['cli', 'rtr', 'dira', 'dirb', 'swc', 'sws', ...rss]) await topo.addNamespace(n);
    await topo.addBridge('swc', 'br0');
    await topo.addBridge('sws', 'br0');
    const plug = async (ns: string, ifname: string, sw: string, port: string): Promise<void> => {
      await topo.addVeth({ ns, ifname }, { ns: sw, ifname: port });
      await topo.attachToBridge(sw, port, 'br0');
    };
    if (opts.clientBehindRouter) {
      await topo.addVeth({ ns: 'cli', ifname: 'eth0' }, { ns: 'rtr', ifname: 'eth2' });
      await topo.addAddress('cli', 'eth0', `${PAIR.upstream.client}/24`);
      await topo.addAddress('rtr', 'eth2', `${PAIR.upstream.router}/24`);
      await topo.addRoute('cli', 'default', PAIR.upstream.router);
    } else {
      await plug('cli', 'eth0', 'swc', 'p-cli');
      await topo.addAddress('cli', 'eth0', `${PAIR.client}/24`);
      await topo.addRoute('cli', 'default', PAIR.router.client);
    }
    await plug('rtr', 'eth0', 'swc', 'p-rtr');
    await plug('rtr', 'eth1', 'sws', 'p-rtr');
    await topo.addAddress('rtr', 'eth0', `${PAIR.router.client}/24`);
    await topo.addAddress('rtr', 'eth1', `${PAIR.router.servers}/24`);
    await topo.sysctl('rtr', 'net.ipv4.ip_forward', '1');
    for (const side of ['a', 'b'] as const) {
      const ns = `dir${side}`;
      await plug(ns, 'dcli', 'swc', `p-dir${side}`);
      await plug(ns, 'dsrv', 'sws', `p-dir${side}`);
      // The director's kernel stays silent on the DPDK-owned veths.
      for (const i of ['dcli', 'dsrv']) {
        await run('ip', ['-n', topo.ns(ns), 'link', 'set', 'dev', i, 'arp', 'off', 'promisc', 'on']);
        await topo.sysctl(ns, `net.ipv4.conf.${i}.rp_filter`, '1', true);
      }
      await topo.sysctl(ns, 'net.ipv4.ip_nonlocal_bind', '1', true);
    }
    for (let i = 0; i < rss.length; i++) {
      await plug(rss[i]!, 'eth0', 'sws', `p-rs${i + 1}`);
      await topo.addAddress(rss[i]!, 'eth0', `${PAIR.realServers[i]}/24`);
      await topo.addRoute(rss[i]!, 'default', PAIR.router.servers);
    }
  } catch (e) {
    await topo.destroy();
    throw e;
  }
  return { topo, ns: { client: 'cli', router: 'rtr', a: 'dira', b: 'dirb', realServers: rss }, destroy: () => topo.destroy() };
}

/** A pair director's config: the standard one with this side's DIPs, deep-merged with `overrides`. */
export function pairDirectorConfig(side: PairSide, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const d = PAIR.directors[side];
  const base = standardDirectorConfig() as { ports: { addresses: { ip: string; role: string }[] }[] };
  const ports = base.ports.map((p, i) => ({
    ...p,
    addresses: p.addresses.map((a) => (a.role === 'dip' ? { ...a, ip: `${i === 0 ? d.clientDip : d.serverDip}/24` } : a)),
  }));
  return deepMerge({ ...base, ports } as Record<string, unknown>, overrides);
}
