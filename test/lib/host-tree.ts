// Fake /proc and /sys trees for the host checks (src/host: doctor, setup):
// only the files those read, built in a temp dir and handed over as a
// HostTree rooted there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { HostTree } from '../../src/host/doctor';
import { deepMerge, standardDirectorConfig } from '../../src/topology/standard';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';

export interface Tree {
  hugeFree?: number;
  mounted?: boolean;
  iommuGroups?: number;
  noiommu?: boolean;
  isolated?: string;
  /** PCI address -> driver (null: unbound), NUMA node, its kernel interface (under virtio0/ for a virtio NIC). */
  pci?: Record<string, { driver: string | null; numa: number; net?: string; virtio?: boolean }>;
  /** interface -> operstate. */
  ifaces?: Record<string, string>;
  /** CPU -> NUMA node. */
  cpuNode?: Record<number, number>;
}

export function tree(t: Tree): HostTree {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fl-doctor-'));
  const put = (p: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  };
  put('proc/meminfo', `HugePages_Total:     512\nHugePages_Free:      ${t.hugeFree ?? 512}\nHugepagesize:       2048 kB\n`);
  put('proc/mounts', t.mounted === false ? 'proc /proc proc rw 0 0\n' : 'hugetlbfs /dev/hugepages hugetlbfs rw 0 0\n');
  for (let g = 0; g < (t.iommuGroups ?? 0); g++) fs.mkdirSync(path.join(root, `sys/kernel/iommu_groups/${g}`), { recursive: true });
  if (t.noiommu) put('sys/module/vfio/parameters/enable_unsafe_noiommu_mode', 'Y\n');
  put('sys/devices/system/cpu/isolated', `${t.isolated ?? ''}\n`);
  put('sys/devices/system/cpu/nohz_full', `${t.isolated ?? ''}\n`);
  for (const [cpu, node] of Object.entries(t.cpuNode ?? {})) fs.mkdirSync(path.join(root, `sys/devices/system/cpu/cpu${cpu}/node${node}`), { recursive: true });
  for (const [addr, d] of Object.entries(t.pci ?? {})) {
    put(`sys/bus/pci/devices/${addr}/numa_node`, `${d.numa}\n`);
    if (d.net) fs.mkdirSync(path.join(root, `sys/bus/pci/devices/${addr}/${d.virtio ? 'virtio0/' : ''}net/${d.net}`), { recursive: true });
    if (d.driver) {
      fs.mkdirSync(path.join(root, `sys/bus/pci/drivers/${d.driver}`), { recursive: true });
      fs.symlinkSync(`../../../bus/pci/drivers/${d.driver}`, path.join(root, `sys/bus/pci/devices/${addr}/driver`));
    }
  }
  for (const [i, state] of Object.entries(t.ifaces ?? {})) put(`sys/class/net/${i}/operstate`, `${state}\n`);
  return new HostTree(root);
}


/** The standard config with its two ports on `devices` (PCI addresses by default) and `over` merged. */
export function hostConfig(over: Record<string, unknown> = {}, devices = ['0000:03:00.0', '0000:03:00.1'], portOver: Record<string, unknown>[] = []): FulcrumConfig {
  const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
  const raw = deepMerge(base, { ports: base.ports.map((p, i) => ({ ...p, device: devices[i], ...portOver[i] })), ...over });
  const r = validateConfig(raw, { cpus: 4 });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}
