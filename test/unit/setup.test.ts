// fulcrum setup (src/host/setup.ts) planned on fake /proc and /sys trees:
// the steps it would run for each binding, what it leaves alone because it
// is already so, and what it refuses before any step runs; and the config
// check that only a PCI port takes `bind`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSetup } from '../../src/host/setup';
import { validateConfig } from '../../src/config/validate';
import { deepMerge, standardDirectorConfig } from '../../src/topology/standard';
import { hostConfig, tree } from '../lib/host-tree';

const lines = (p: ReturnType<typeof planSetup>): string[] => p.steps.map((s) => `${s.cmd} ${s.args.join(' ')}`);


const SETTLE = 'udevadm settle --timeout=30';
test('vfio-pci with an IOMMU: load it, take the interface down, bind; a device already bound is left alone', () => {
  const t = tree({ iommuGroups: 2, pci: { '0000:03:00.0': { driver: 'ixgbe', numa: 0, net: 'enp3s0f0' }, '0000:03:00.1': { driver: 'vfio-pci', numa: 0 } } });
  const p = planSetup(hostConfig(), t);
  assert.deepEqual(p.problems, []);
  assert.deepEqual(lines(p), ['modprobe vfio-pci', 'ip link set dev enp3s0f0 down', 'dpdk-devbind.py --bind vfio-pci 0000:03:00.0', SETTLE]);
  // udev finishes the bind's events before the daemon starts (best effort: an old udev without settle is no reason to fail).
  assert.equal(p.steps.at(-1)!.bestEffort, true);
  assert.ok(p.done.includes('port servers (0000:03:00.1): bound to vfio-pci'), JSON.stringify(p.done));
});

test('no-IOMMU and uio bindings load their modules once (no-IOMMU mode set in sysfs, which works with vfio loaded already); a virtio NIC\'s interface is found under virtio0', () => {
  const t = tree({ pci: { '0000:00:03.0': { driver: 'virtio-pci', numa: 0, net: 'eth1', virtio: true }, '0000:00:04.0': { driver: null, numa: 0 } } });
  const noiommu = planSetup(hostConfig({}, ['0000:00:03.0', '0000:00:04.0'], [{ bind: 'vfio-pci-noiommu' }, { bind: 'vfio-pci-noiommu' }]), t);
  // Set in sysfs once vfio is loaded; a kernel without the mode is named, not left to vfio-pci's EINVAL.
  assert.match(noiommu.steps[1]!.args[1]!, /^test -e \/sys\/module\/vfio\/parameters\/enable_unsafe_noiommu_mode \|\| .*bind uio_pci_generic instead.*; echo Y > \/sys\/module\/vfio\/parameters\/enable_unsafe_noiommu_mode$/);
  assert.deepEqual(lines(noiommu), [
    'modprobe vfio-pci', `sh -c ${noiommu.steps[1]!.args[1]}`, 'ip link set dev eth1 down', 'dpdk-devbind.py --bind vfio-pci 0000:00:03.0',
    'dpdk-devbind.py --bind vfio-pci 0000:00:04.0', SETTLE,
  ]);
  const uio = planSetup(hostConfig({}, ['0000:00:03.0', '0000:00:04.0'], [{ bind: 'uio_pci_generic' }, { bind: 'none' }]), t);
  assert.deepEqual(lines(uio), ['modprobe uio_pci_generic', 'ip link set dev eth1 down', 'dpdk-devbind.py --bind uio_pci_generic 0000:00:03.0', SETTLE]);
  assert.ok(uio.done.some((d) => /0000:00:04\.0\): stays on no driver \(bind: none\)/.test(d)), JSON.stringify(uio.done));
});

test('refused before anything runs: no such device, and vfio-pci without an IOMMU (naming the way out)', () => {
  const t = tree({ pci: { '0000:03:00.0': { driver: 'ixgbe', numa: 0 } } });
  const p = planSetup(hostConfig(), t);
  assert.equal(p.problems.length, 2);
  assert.match(p.problems[0]!, /port client \(0000:03:00\.0\): vfio-pci needs an IOMMU .* set ports\[0\]\.bind to uio_pci_generic/);
  assert.match(p.problems[1]!, /port servers \(0000:03:00\.1\): no such PCI device/);
});

test('hugepages: enough is left alone; too few raises vm.nr_hugepages by what is missing; hugetlbfs mounted if not; off does nothing', () => {
  assert.deepEqual(lines(planSetup(hostConfig({}, ['iface:eth1', 'iface:eth2']), tree({}))), []);
  // 256 MB = 128 pages; 100 free of 512: ask for 512 + 28.
  assert.deepEqual(lines(planSetup(hostConfig({}, ['iface:eth1', 'iface:eth2']), tree({ hugeFree: 100, mounted: false }))),
    ['sysctl -q -w vm.nr_hugepages=540', 'mkdir -p /dev/hugepages', 'mount -t hugetlbfs nodev /dev/hugepages']);
  assert.deepEqual(lines(planSetup(hostConfig({ dataplane: { memory: { hugepages: 'off', sizeMB: 256 } } }, ['iface:eth1', 'iface:eth2']), tree({ hugeFree: 0 }))), []);
});

test('config: bind only on a PCI port', () => {
  const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
  const r = validateConfig(deepMerge(base, { ports: base.ports.map((p, i) => (i === 0 ? { ...p, bind: 'vfio-pci' } : p)) }));
  assert.equal(r.ok, false);
  assert.match(JSON.stringify(!r.ok && r.errors), /ports\[0\]\.bind.*only a PCI port is bound to a driver; \\"iface:dcli\\" is not a PCI address/);
  const bad = validateConfig(deepMerge(base, { ports: base.ports.map((p, i) => (i === 0 ? { ...p, device: '0000:03:00.0', bind: 'igb' } : p)) }));
  assert.equal(bad.ok, false);
});
