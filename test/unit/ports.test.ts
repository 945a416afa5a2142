// Port kinds (src/net/ports): how a config device string becomes EAL
// arguments, addon devices and underlay commands, and when AF_XDP is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import { planEal, type HostFacts } from '../../src/dataplane/eal';
import { planDataplane } from '../../src/dataplane/plan';
import { underlayCommands } from '../../src/dataplane/twin';
import { portKind, resolvePorts } from '../../src/net/ports';
import { parseEthtoolChannels, type Channels } from '../../src/net/ports/channels';
import { xdpAttachMode, xdpQueuePlan } from '../../src/net/ports/af_xdp';

const VETH_ETHTOOL = `Channel parameters for dcli:
Pre-set maximums:
RX:		2
TX:		2
Other:		n/a
Combined:	n/a
Current hardware settings:
RX:		1
TX:		1
Other:		n/a
Combined:	n/a
`;
const NIC_ETHTOOL = `Channel parameters for ens1f0:
Pre-set maximums:
RX:		n/a
TX:		n/a
Other:		1
Combined:	8
Current hardware settings:
RX:		n/a
TX:		n/a
Other:		1
Combined:	8
`;
const VETH: Channels = { maxCombined: 0, combined: 0, maxRx: 2, rx: 1 };
const NIC: Channels = { maxCombined: 8, combined: 8, maxRx: 0, rx: 0 };

function cfg(workers: number[], devices: string[], mtu?: number): FulcrumConfig {
  const r = validateConfig({
    dataplane: { workers, memory: { hugepages: 'auto', sizeMB: 256 } },
    ports: devices.map((device, i) => ({ name: `p${i}`, device, addresses: [], ...(mtu ? { mtu } : {}) })),
  }, { cpus: 4 });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}
const HOST: HostFacts = { cpuCount: 4, hugepagesFree: 1024, hugepageSizeKB: 2048, hugetlbfsMounted: true };

test('ethtool -l: veth has RX/TX channels and no combined ones; a NIC has combined ones; other text is not channels', () => {
  assert.deepEqual(parseEthtoolChannels(VETH_ETHTOOL), VETH);
  assert.deepEqual(parseEthtoolChannels(NIC_ETHTOOL), NIC);
  assert.equal(parseEthtoolChannels('netlink error: Operation not supported'), null);
});

test('AF_XDP queues: a veth feeds one worker; a NIC as many as its combined channels, set with ethtool -L', () => {
  assert.deepEqual(xdpQueuePlan('dcli', VETH, 1), { commands: [] });
  assert.match((xdpQueuePlan('dcli', VETH, 2) as { refused: string }).refused, /dcli has no combined channels \(veth\).*2 workers/);
  // A veth with two RX queues: everything must land on queue 0.
  assert.deepEqual(xdpQueuePlan('dcli', { ...VETH, rx: 2 }, 1), { commands: [{ cmd: 'ethtool', args: ['-L', 'dcli', 'rx', '1'], bestEffort: false }] });
  assert.deepEqual(xdpQueuePlan('ens1f0', NIC, 2), { commands: [{ cmd: 'ethtool', args: ['-L', 'ens1f0', 'combined', '2'], bestEffort: false }] });
  assert.deepEqual(xdpQueuePlan('ens1f0', { ...NIC, combined: 2 }, 2), { commands: [] });
  assert.match((xdpQueuePlan('ens1f0', NIC, 9) as { refused: string }).refused, /at most 8 combined channels; 9 workers/);
  assert.deepEqual(xdpQueuePlan('x', null, 4), { commands: [] }, 'ethtool cannot tell: the PMD decides');
});

test('XDP attach mode from ip -d -j link: driver, skb, several programs, none', () => {
  assert.equal(xdpAttachMode('[{"ifname":"dcli","xdp":{"mode":1,"prog":{"id":5}}}]'), 'native');
  assert.equal(xdpAttachMode('[{"ifname":"dcli","xdp":{"mode":2}}]'), 'generic');
  assert.equal(xdpAttachMode('[{"ifname":"dcli","xdp":{"mode":4,"attached":[{"mode":2}]}}]'), 'generic');
  assert.equal(xdpAttachMode('[{"ifname":"dcli"}]'), null);
  assert.equal(xdpAttachMode('not json'), null);
});

test('the kind table: ring, PCI, iface:, af_xdp, af_packet, any other vdev', () => {
  assert.deepEqual(['ring', '0000:03:00.0', 'iface:eth1', 'net_af_xdp0,iface=x', 'net_af_packet0,iface=x', 'net_tap0'].map((d) => portKind(d).name),
    ['ring', 'pci', 'iface', 'af_xdp', 'af_packet', 'vdev']);
});

test('iface: with one worker on a veth: AF_XDP first, af_packet as the fallback; neither goes to EAL at init', () => {
  const c = cfg([1], ['iface:dcli', 'iface:dsrv']);
  const channels = { dcli: VETH, dsrv: VETH };
  const [p0, p1] = resolvePorts(c, channels);
  assert.equal(p0!.device, 'net_af_xdp_fl0,iface=dcli,start_queue=0,queue_count=1');
  assert.equal(p0!.fallback, 'net_af_packet_fl0,iface=dcli,qpairs=1');
  assert.equal(p1!.device, 'net_af_xdp_fl1,iface=dsrv,start_queue=0,queue_count=1');
  const eal = planEal(c, { ...HOST, channels }).args;
  assert.ok(!eal.some((a) => a.startsWith('--vdev')), eal.join(' '));
  const dp = planDataplane(c, { channels });
  assert.deepEqual(dp.ports.map((p) => [p.device, p.fallback]), [[p0!.device, p0!.fallback], [p1!.device, p1!.fallback]]);
  // A stale XDP program is cleared, IPv6 turned off on the underlay.
  const cmds = underlayCommands(c, { channels }).map((x) => `${x.cmd} ${x.args.join(' ')}`);
  assert.ok(cmds.includes('ip link set dev dcli xdp off'), cmds.join('\n'));
  assert.ok(cmds.includes('sysctl -q -w net.ipv6.conf.dcli.disable_ipv6=1'), cmds.join('\n'));
});

test('iface: with two workers on a veth: af_packet at EAL init, no fallback, the reason kept', () => {
  const c = cfg([1, 2], ['iface:dcli']);
  const [p] = resolvePorts(c, { dcli: VETH });
  assert.equal(p!.kind, 'af_packet');
  assert.equal(p!.fallback, undefined);
  assert.match(p!.refused ?? '', /no combined channels/);
  assert.ok(planEal(c, { ...HOST, channels: { dcli: VETH } }).args.includes('--vdev=net_af_packet_fl0,iface=dcli,qpairs=2'));
});

test('explicit af_xdp and af_packet devices get one queue per worker unless their devargs say otherwise', () => {
  const c = cfg([1, 2], ['net_af_xdp0,iface=a', 'net_af_packet0,iface=b', 'net_af_xdp1,iface=c,queue_count=1']);
  const eal = planEal(c, HOST).args.filter((a) => a.startsWith('--vdev='));
  assert.deepEqual(eal, ['--vdev=net_af_xdp0,iface=a,queue_count=2', '--vdev=net_af_packet0,iface=b,qpairs=2', '--vdev=net_af_xdp1,iface=c,queue_count=1']);
});

test('config: an iface: port names a real interface name, and two ports cannot share one', () => {
  const bad = validateConfig({ dataplane: { workers: [1] }, ports: [{ name: 'a', device: 'iface:', addresses: [] }] }, { cpus: 4 });
  assert.ok(!bad.ok);
  assert.match(JSON.stringify(bad.errors), /not a kernel interface name/);
  const long = validateConfig({ dataplane: { workers: [1] }, ports: [{ name: 'a', device: 'iface:abcdefghijklmnopq', addresses: [] }] }, { cpus: 4 });
  assert.ok(!long.ok);
  const dup = validateConfig({ dataplane: { workers: [1] }, ports: [
    { name: 'a', device: 'iface:eth1', addresses: [] }, { name: 'b', device: 'net_af_packet0,iface=eth1', addresses: [] },
  ] }, { cpus: 4 });
  assert.ok(!dup.ok);
  assert.match(JSON.stringify(dup.errors), /interface \\"eth1\\" is already used by ports\[0\]/);
});
