// fulcrum doctor (src/host/doctor.ts) on fake /proc and /sys trees: each
// check's verdict for a host that has what the config needs and for one
// that lacks it, and the lcore mapping it reads worker CPUs from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doctor, workerCpus, workerCoreChecks, type Check } from '../../src/host/doctor';
import { hostConfig, tree } from '../lib/host-tree';
import type { HostFacts } from '../../src/dataplane/eal';

const HOST: HostFacts = { cpuCount: 4, hugepagesFree: 512, hugepageSizeKB: 2048, hugetlbfsMounted: true };

const config = hostConfig;

const find = (cs: Check[], what: string): Check => {
  const c = cs.find((x) => x.what === what);
  assert.ok(c, `no check "${what}" in ${JSON.stringify(cs.map((x) => x.what))}`);
  return c;
};

test('a host with what the config needs: every check ok', () => {
  const t = tree({
    iommuGroups: 2, isolated: '1-3', cpuNode: { 0: 0, 1: 0, 2: 0, 3: 0 },
    pci: { '0000:03:00.0': { driver: 'vfio-pci', numa: 0 }, '0000:03:00.1': { driver: 'vfio-pci', numa: 0 } },
  });
  const cs = doctor(config(), HOST, t);
  for (const c of cs) assert.equal(c.status, 'ok', JSON.stringify(c));
  assert.match(find(cs, 'port client').detail, /0000:03:00\.0 bound to vfio-pci; NUMA node 0, as the workers/);
  assert.match(find(cs, 'worker lcore 1').detail, /CPU 1 isolated, nohz_full/);
});

test('PCI ports: unbound, bound to a kernel driver, missing, and on the other NUMA node', () => {
  const t = tree({
    iommuGroups: 2, isolated: '1-3', cpuNode: { 1: 0 },
    pci: { '0000:03:00.0': { driver: 'ixgbe', numa: 0 }, '0000:04:00.0': { driver: null, numa: 0 }, '0000:05:00.0': { driver: 'vfio-pci', numa: 1 } },
  });
  const kernel = find(doctor(config(), HOST, t), 'port client');
  assert.equal(kernel.status, 'fail');
  assert.match(kernel.detail, /bound to the kernel's ixgbe: dpdk-devbind\.py -b vfio-pci 0000:03:00\.0/);
  assert.equal(find(doctor(config(), HOST, t), 'port servers').status, 'fail');
  assert.match(find(doctor(config(), HOST, t), 'port servers').detail, /0000:03:00\.1 not found/);
  assert.match(find(doctor(config({}, ['0000:04:00.0', '0000:05:00.0']), HOST, t), 'port client').detail, /bound to no driver/);
  const remote = find(doctor(config({}, ['0000:04:00.0', '0000:05:00.0']), HOST, t), 'port servers');
  assert.equal(remote.status, 'warn');
  assert.match(remote.detail, /NUMA node 1, but the workers run on node 0/);
});

test('IOMMU: groups, none with PCI ports, no-IOMMU mode, none without PCI ports', () => {
  assert.equal(find(doctor(config(), HOST, tree({ iommuGroups: 3 })), 'IOMMU').status, 'ok');
  const none = find(doctor(config(), HOST, tree({})), 'IOMMU');
  assert.equal(none.status, 'warn');
  assert.match(none.detail, /intel_iommu=on/);
  assert.match(find(doctor(config(), HOST, tree({ noiommu: true })), 'IOMMU').detail, /no-IOMMU mode is on/);
  assert.equal(find(doctor(config({}, ['iface:eth1', 'iface:eth2']), HOST, tree({ ifaces: { eth1: 'up', eth2: 'up' } })), 'IOMMU').status, 'ok');
});

test('hugepages: enough, too few with auto (warn) and with require (fail), hugetlbfs not mounted', () => {
  assert.equal(find(doctor(config(), HOST, tree({})), 'hugepages').status, 'ok');
  const few = find(doctor(config(), HOST, tree({ hugeFree: 10 })), 'hugepages');
  assert.equal(few.status, 'warn');
  assert.match(few.detail, /256 MB needed, 20 of 1024 MB free .* normal memory/);
  assert.equal(find(doctor(config({ dataplane: { memory: { hugepages: 'require', sizeMB: 256 } } }), HOST, tree({ hugeFree: 10 })), 'hugepages').status, 'fail');
  assert.match(find(doctor(config(), HOST, tree({ mounted: false })), 'hugepages').detail, /hugetlbfs not mounted/);
});

test('iface ports: up, down, missing', () => {
  const t = tree({ ifaces: { eth1: 'up', eth2: 'down' } });
  const cs = doctor(config({}, ['iface:eth1', 'iface:eth2']), HOST, t);
  assert.equal(find(cs, 'port client').status, 'ok');
  assert.match(find(cs, 'port client').detail, /af_xdp on eth1 \(virtual\), link up/);
  assert.equal(find(cs, 'port servers').status, 'warn');
  assert.equal(find(doctor(config({}, ['iface:eth1', 'iface:eth9']), HOST, t), 'port servers').status, 'fail');
});

test('worker cores: not isolated (the daemon warns too), and two pollers on one CPU', () => {
  const cfg = config({ dataplane: { workers: [1, 2], lcoreMap: '0@(0-1),1@1,2@1' } });
  const cs = workerCoreChecks(cfg, HOST, tree({ isolated: '' }));
  const w = find(cs, 'worker lcore 1');
  assert.equal(w.status, 'warn');
  assert.match(w.detail, /isolcpus=1 nohz_full=1 rcu_nocbs=1/);
  assert.match(find(cs, 'worker cores').detail, /lcores 1 and 2 on CPU 1/);
});

test('workerCpus reads EAL --lcores mappings, sets with commas included', () => {
  assert.deepEqual([...workerCpus('0@(0-1),1@1,2@1', [1, 2])], [[1, [1]], [2, [1]]]);
  assert.deepEqual([...workerCpus('0@(0,1),1@(2,3),2@3', [1, 2])], [[1, [2, 3]], [2, [3]]]);
  assert.deepEqual([...workerCpus('0,1,2', [1, 2])], [[1, [1]], [2, [2]]]);
});
