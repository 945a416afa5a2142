// The standard topology: a client, a director and real servers behind a
// switch, with the director config that goes with it. The demo runs on it
// and the end-to-end tests build on it; the address plan is defined here only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './exec';
import { Topology } from './netns';
import { startDirector, type DirectorHandle, type StartDirectorOpts } from './director';

/**
 * Address plan (198.18.0.0/15 only):
 *
 *   [cli] eth0 198.18.0.10/24 ── dcli [dir] dsrv ── p-dir [sw: br0] p-rsN ── eth0 [rsN] 198.19.0.1N/24
 *                                 │    DPDK ports   │
 *                          "client" (af_packet)  "servers" (af_packet)
 *
 * The director namespace holds only the two veth ends that DPDK binds with
 * net_af_packet (no kernel addresses on them, ARP off, strict rp_filter, so the
 * director's kernel never answers on them) and, once the daemon runs, its net_tap
 * twins. Client and real servers route via the director's DIPs.
 */
export const PLAN = {
  clientNet: '198.18.0.0/24',
  serverNet: '198.19.0.0/24',
  client: '198.18.0.10',
  clientDip: '198.18.0.1',
  vip: '198.18.0.100',
  serverDip: '198.19.0.1',
  lip: '198.19.0.2',
  realServers: ['198.19.0.11', '198.19.0.12', '198.19.0.13'],
} as const;

/**
 * The IPv6 plan on the same links (2001:2::/48 only), for the tests that
 * turn IPv6 on (Topology.enableIpv6): the client's link is 2001:2::/64, the
 * servers' 2001:2:1::/64, with the DIPs at ::1 of each.
 */
export const PLAN6 = {
  clientNet: '2001:2::/64',
  serverNet: '2001:2:1::/64',
  client: '2001:2::10',
  clientDip: '2001:2::1',
  vip: '2001:2::100',
  serverDip: '2001:2:1::1',
  realServers: ['2001:2:1::11', '2001:2:1::12', '2001:2:1::13'],
} as const;

export interface StandardTopology {
  topo: Topology;
  ns: { client: string; director: string; switch: string; realServers: string[] };
  /** Director-side veth names (DPDK af_packet ports). */
  ifaces: { client: string; servers: string; clientPeer: string; rsPeer: string };
  /** Kernel twin (net_tap) names the generated config asks for. */
  twins: { client: string; servers: string };
  addr: typeof PLAN;
  /** Extra deep-merged config for writeDirectorConfig. */
  writeDirectorConfig(overrides?: Record<string, unknown>): string;
  startDirector(cfgPath: string, opts?: StartDirectorOpts): Promise<DirectorHandle>;
  destroy(): Promise<void>;
}

export async function standardTopology(opts: { prefix?: string; realServers?: number; onLeftovers?: (names: string[]) => void } = {}): Promise<StandardTopology> {
  const topo = new Topology(opts.prefix);
  const left = topo.cleanLeftovers();
  if (left.length) opts.onLeftovers?.(left);
  const nRs = Math.max(0, Math.min(opts.realServers ?? 3, PLAN.realServers.length));
  try {
    const cli = await topo.addNamespace('cli');
    const dir = await topo.addNamespace('dir');
    const sw = await topo.addNamespace('sw');
    const rss: string[] = [];
    for (let i = 1; i <= nRs; i++) rss.push(await topo.addNamespace(`rs${i}`));

    // client <-> director "client" port
    await topo.addVeth({ ns: cli, ifname: 'eth0' }, { ns: dir, ifname: 'dcli' });
    await topo.addAddress(cli, 'eth0', `${PLAN.client}/24`);
    await topo.addRoute(cli, 'default', PLAN.clientDip);

    // director "servers" port <-> switch bridge <-> real servers
    await topo.addBridge(sw, 'br0');
    await topo.addVeth({ ns: dir, ifname: 'dsrv' }, { ns: sw, ifname: 'p-dir' });
    await topo.attachToBridge(sw, 'p-dir', 'br0');
    for (let i = 0; i < rss.length; i++) {
      await topo.addVeth({ ns: rss[i], ifname: 'eth0' }, { ns: sw, ifname: `p-rs${i + 1}` });
      await topo.attachToBridge(sw, `p-rs${i + 1}`, 'br0');
      await topo.addAddress(rss[i], 'eth0', `${PLAN.realServers[i]}/24`);
      await topo.addRoute(rss[i], 'default', PLAN.serverDip);
    }

    // The director's kernel must stay silent on the DPDK-owned veths.
    for (const i of ['dcli', 'dsrv']) {
      await run('ip', ['-n', dir, 'link', 'set', 'dev', i, 'arp', 'off', 'promisc', 'on']);
      await topo.sysctl(dir, `net.ipv4.conf.${i}.rp_filter`, '1', true);
    }
    await topo.sysctl(dir, 'net.ipv4.conf.all.rp_filter', '1', true);
    // Exception-path services may bind a DIP before the twin carries it.
    await topo.sysctl(dir, 'net.ipv4.ip_nonlocal_bind', '1', true);
  } catch (e) {
    await topo.destroy();
    throw e;
  }
  const st: StandardTopology = {
    topo,
    ns: { client: topo.ns('cli'), director: topo.ns('dir'), switch: topo.ns('sw'), realServers: PLAN.realServers.slice(0, nRs).map((_, i) => topo.ns(`rs${i + 1}`)) },
    ifaces: { client: 'dcli', servers: 'dsrv', clientPeer: 'eth0', rsPeer: 'eth0' },
    twins: { client: 'fl-client', servers: 'fl-servers' },
    addr: PLAN,
    writeDirectorConfig: (overrides = {}) => writeDirectorConfig(overrides, topo),
    startDirector: (cfgPath, o) => startDirector(cfgPath, { ns: topo.ns('dir'), ...o }),
    destroy: () => topo.destroy(),
  };
  return st;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** Deep merge: objects merge recursively, arrays and scalars replace; `undefined` deletes a key. */
export function deepMerge<T extends Record<string, unknown>>(base: T, over: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k] as Record<string, unknown>, v);
    else out[k] = v;
  }
  return out as T;
}

/** The director config for the standard topology (same shape as appliance/fulcrum.example.json). */
export function standardDirectorConfig(): Record<string, unknown> {
  return {
    dataplane: {
      workers: [1],
      memory: { hugepages: 'auto', sizeMB: 256 },
      mbufsPerSocket: 8192,
      sessionsPerWorker: 65536,
      burst: 32,
      txDrainUs: 100,
      // A busy-polling worker would starve a 2-core CI box: back off to
      // 200 us naps when idle (about 13% of a core idle, see bench:idle).
      idleSleepUs: 200,
      neighbourTimeoutSec: 300,
    },
    ports: [
      {
        name: 'client',
        device: 'iface:dcli',
        twin: 'fl-client',
        mtu: 1500,
        addresses: [
          { ip: `${PLAN.clientDip}/24`, role: 'dip' },
          { ip: `${PLAN.vip}/32`, role: 'vip' },
        ],
      },
      {
        name: 'servers',
        device: 'iface:dsrv',
        twin: 'fl-servers',
        mtu: 1500,
        addresses: [
          { ip: `${PLAN.serverDip}/24`, role: 'dip' },
          { ip: `${PLAN.lip}/24`, role: 'lip' },
        ],
      },
    ],
    routes: [],
    lipPools: { default: [PLAN.lip] },
    timeouts: { tcp: 900, tcpFin: 120, udp: 300 },
    services: [],
    api: { listen: '127.0.0.1', port: 9180 },
  };
}

/**
 * Write the standard director config, deep-merged with `overrides`, to a temp
 * file (removed with the topology when one is given) and return its path.
 */
export function writeDirectorConfig(overrides: Record<string, unknown> = {}, topo?: Topology): string {
  const cfg = deepMerge(standardDirectorConfig(), overrides);
  const text = JSON.stringify(cfg, null, 2) + '\n';
  if (topo) return topo.tmpFile('fulcrum.json', text);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-cfg-'));
  const file = path.join(dir, 'fulcrum.json');
  fs.writeFileSync(file, text);
  return file;
}
