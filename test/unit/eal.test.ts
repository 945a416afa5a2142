import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import { buildEalArgs, cpuSet, EalError, parseCpuList, planEal, type HostFacts } from '../../src/dataplane/eal';

function cfg(over: (raw: Record<string, any>) => void = () => {}): FulcrumConfig {
  const raw: Record<string, any> = {
    dataplane: { workers: [1, 2], memory: { hugepages: 'auto', sizeMB: 256 } },
    ports: [{ name: 'lan', device: 'net_af_packet0,iface=veth0', addresses: [] }],
  };
  over(raw);
  const r = validateConfig(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

const HOST: HostFacts = { cpuCount: 4, hugepagesFree: 1024, hugepageSizeKB: 2048, hugetlbfsMounted: true };

/** Value of a --flag=value argument. */
function flag(args: string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

test('argv[0], --in-memory and --no-telemetry present with hugepages', () => {
  const a = buildEalArgs(cfg(), HOST);
  assert.equal(a[0], 'fulcrum');
  assert.ok(a.includes('--in-memory'));
  assert.ok(!a.includes('--no-shconf'));
  assert.ok(a.includes('--no-telemetry'));
  assert.ok(a.includes('--log-level=lib.eal:error'));
});

test('--no-huge uses --no-shconf: DPDK rejects --in-memory with it (legacy mem)', () => {
  const a = buildEalArgs(cfg(), { ...HOST, hugepagesFree: 0 });
  assert.ok(a.includes('--no-huge'));
  assert.ok(a.includes('--no-shconf'));
  assert.ok(!a.includes('--in-memory'));
});

test('default lcore mapping: main floats, workers pinned from CPU 1', () => {
  const a = buildEalArgs(cfg(), HOST);
  assert.equal(flag(a, '--lcores'), '0@(0-3),1@1,2@2');
  assert.equal(flag(a, '--main-lcore'), '0');
});

test('workers wrap around the non-main CPUs', () => {
  const c = cfg((r) => { r.dataplane.workers = [1, 2, 3]; });
  assert.equal(flag(buildEalArgs(c, { ...HOST, cpuCount: 3 }), '--lcores'), '0@(0-2),1@1,2@2,3@1');
});

test('one CPU: everything shares CPU 0', () => {
  const c = cfg((r) => { r.dataplane.workers = [1]; });
  assert.equal(flag(buildEalArgs(c, { ...HOST, cpuCount: 1 }), '--lcores'), '0@(0),1@0');
});

test('restricted CPU list (cpuset) is honoured', () => {
  const a = buildEalArgs(cfg(), { ...HOST, cpuCount: 3, cpuList: [2, 3, 5] });
  assert.equal(flag(a, '--lcores'), '0@(2-3,5),1@3,2@5');
});

test('custom main lcore', () => {
  const c = cfg((r) => { r.dataplane.mainLcore = 3; });
  const a = buildEalArgs(c, HOST);
  assert.equal(flag(a, '--lcores'), '3@(0-3),1@1,2@2');
  assert.equal(flag(a, '--main-lcore'), '3');
});

test('lcoreMap replaces the generated mapping', () => {
  const c = cfg((r) => { r.dataplane.lcoreMap = '0@0,1@0,2@0'; });
  assert.equal(flag(buildEalArgs(c, HOST), '--lcores'), '0@0,1@0,2@0');
});

test('auto with enough hugepages uses them', () => {
  const p = planEal(cfg(), HOST);
  assert.equal(p.hugepages, true);
  assert.ok(!p.args.includes('--no-huge'));
  assert.deepEqual(p.args.slice(p.args.indexOf('-m'), p.args.indexOf('-m') + 2), ['-m', '256']);
});

test('auto falls back to --no-huge when too few are free', () => {
  const p = planEal(cfg(), { ...HOST, hugepagesFree: 100 }); // 200 MB < 256 MB
  assert.equal(p.hugepages, false);
  const i = p.args.indexOf('--no-huge');
  assert.ok(i > 0);
  assert.deepEqual(p.args.slice(i, i + 3), ['--no-huge', '-m', '256']);
});

test('auto falls back to --no-huge without a hugetlbfs mount', () => {
  const p = planEal(cfg(), { ...HOST, hugetlbfsMounted: false });
  assert.ok(p.args.includes('--no-huge'));
  assert.match(p.memoryNote, /not mounted/);
});

test('off always uses --no-huge', () => {
  const c = cfg((r) => { r.dataplane.memory.hugepages = 'off'; });
  assert.ok(buildEalArgs(c, HOST).includes('--no-huge'));
});

test('require with too few hugepages is an error with the fix', () => {
  const c = cfg((r) => { r.dataplane.memory.hugepages = 'require'; });
  assert.throws(
    () => buildEalArgs(c, { ...HOST, hugepagesFree: 10 }),
    (e: unknown) => e instanceof EalError && e.message ===
      'not enough hugepages: need 256 MB, have 20 MB free (echo 128 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)',
  );
  assert.ok(!buildEalArgs(c, HOST).includes('--no-huge'));
});

test('--no-pci without PCI ports', () => {
  const a = buildEalArgs(cfg(), HOST);
  assert.ok(a.includes('--no-pci'));
  assert.ok(!a.includes('-a'));
});

test('PCI ports get -a and no --no-pci', () => {
  const c = cfg((r) => {
    r.ports = [
      { name: 'lan', device: '0000:03:00.0' },
      { name: 'wan', device: '0000:03:00.1,rx_vec_en=0' },
    ];
  });
  const a = buildEalArgs(c, HOST);
  assert.ok(!a.includes('--no-pci'));
  const allow = a.flatMap((x, i) => (x === '-a' ? [a[i + 1]] : []));
  assert.deepEqual(allow, ['0000:03:00.0', '0000:03:00.1,rx_vec_en=0']);
});

test('af_packet gets qpairs=<workers> unless given; ring has no vdev', () => {
  const c = cfg((r) => {
    r.ports = [
      { name: 'a', device: 'net_af_packet0,iface=veth0' },
      { name: 'b', device: 'net_af_packet1,iface=veth1,qpairs=4' },
      { name: 'c', device: 'net_tap0,iface=tapx' },
      { name: 'd', device: 'ring' },
    ];
  });
  const vdevs = buildEalArgs(c, HOST).filter((x) => x.startsWith('--vdev=')).map((x) => x.slice(7));
  assert.deepEqual(vdevs, ['net_af_packet0,iface=veth0,qpairs=2', 'net_af_packet1,iface=veth1,qpairs=4', 'net_tap0,iface=tapx']);
});

test('extra eal args come last', () => {
  const c = cfg((r) => { r.dataplane.eal = ['--log-level=debug']; });
  const a = buildEalArgs(c, HOST);
  assert.equal(a[a.length - 1], '--log-level=debug');
});

test('cpu list helpers', () => {
  assert.deepEqual(parseCpuList('0-2,5,7-8\n'), [0, 1, 2, 5, 7, 8]);
  assert.equal(cpuSet([5, 0, 1, 2, 7, 8]), '0-2,5,7-8');
});
