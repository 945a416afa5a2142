// `fulcrum doctor`: what a host lacks to run a config, as an operator would
// check it by hand on bare metal: hugepages and hugetlbfs, the IOMMU for
// vfio-pci, each port's device (bound to a DPDK driver, or its kernel
// interface up), NUMA placement of ports against the worker cores, and
// whether the worker cores are kept from the kernel's housekeeping
// (isolcpus / nohz_full / rcu_nocbs). Reads /proc and /sys through a root
// (tests give it a fake tree); decides nothing the daemon does not also
// decide (hugepages by planEal's rule, ports through src/net/ports).
import fs from 'node:fs';
import path from 'node:path';
import type { FulcrumConfig } from '../config/types';
import { EalError, hugepageFacts, lcoreMapping, parseCpuList, planEal, type HostFacts } from '../dataplane/eal';
import { resolvePorts } from '../net/ports';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** vfio's switch for devices without an IOMMU group (writable while loaded; fulcrum setup sets it). */
export const VFIO_NOIOMMU_PARAM = '/sys/module/vfio/parameters/enable_unsafe_noiommu_mode';
export interface Check {
  what: string;
  status: CheckStatus;
  detail: string;
}

/** DPDK's PCI drivers: a port's device must be bound to one of them. */
export const DPDK_PCI_DRIVERS = ['vfio-pci', 'uio_pci_generic', 'igb_uio'] as const;

/** /proc and /sys as seen from `root` ("/" on a real host). */
export class HostTree {
  constructor(readonly root = '/') {}
  read(p: string): string | undefined {
    try {
      return fs.readFileSync(path.join(this.root, p), 'utf8');
    } catch {
      return undefined;
    }
  }
  list(p: string): string[] {
    try {
      return fs.readdirSync(path.join(this.root, p));
    } catch {
      return [];
    }
  }
  exists(p: string): boolean {
    return fs.existsSync(path.join(this.root, p));
  }
  /** The last element of a symlink's target (a device's driver). */
  linkName(p: string): string | undefined {
    try {
      return path.basename(fs.readlinkSync(path.join(this.root, p)));
    } catch {
      return undefined;
    }
  }
}

/**
 * CPUs of each worker lcore in an EAL --lcores mapping ("0@(0-1),1@1,2@1"):
 * lcore -> CPUs.
 */
export function workerCpus(mapping: string, workers: number[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  // Split at top-level commas ("0@(0,1)" keeps its set).
  const parts: string[] = [];
  let depth = 0, cur = '';
  for (const ch of mapping) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) parts.push(cur);
  for (const part of parts) {
    const [lc, cpus] = part.split('@');
    const lcores = parseCpuList(lc!.replace(/[()]/g, ''));
    const set = cpus === undefined ? lcores : parseCpuList(cpus.replace(/[()]/g, ''));
    for (const l of lcores) if (workers.includes(l)) out.set(l, set);
  }
  return out;
}

function numaOfCpu(t: HostTree, cpu: number): number | undefined {
  const node = t.list(`sys/devices/system/cpu/cpu${cpu}`).find((e) => /^node\d+$/.test(e));
  return node ? Number(node.slice(4)) : undefined;
}

/** The host's hugepages as `t` shows them (a fake tree in tests). */
export function treeHugepages(t: HostTree): ReturnType<typeof hugepageFacts> {
  return hugepageFacts(t.read('proc/meminfo') ?? '', t.read('proc/mounts') ?? '');
}

/** The verdict is the daemon's own (planEal's memory rule), the detail says why. */
function hugepages(cfg: FulcrumConfig, host: HostFacts, t: HostTree): Check {
  const h = treeHugepages(t);
  const pageKB = h.hugepageSizeKB;
  const freeMB = Math.floor((h.hugepagesFree * pageKB) / 1024);
  const totalMB = Math.floor((h.hugepagesTotal * pageKB) / 1024);
  const { hugepages: mode, sizeMB } = cfg.dataplane.memory;
  const have = `${freeMB} of ${totalMB} MB free (${pageKB} kB pages), hugetlbfs ${h.hugetlbfsMounted ? 'mounted' : 'not mounted'}`;
  if (mode === 'off') return { what: 'hugepages', status: 'ok', detail: `off by config (${have})` };
  let onHugepages: boolean;
  try {
    onHugepages = planEal(cfg, { ...host, ...h }).hugepages;
  } catch (e) {
    if (!(e instanceof EalError)) throw e;
    onHugepages = false;
  }
  if (onHugepages) return { what: 'hugepages', status: 'ok', detail: `${sizeMB} MB needed, ${have}` };
  const fix = `reserve ${Math.ceil(sizeMB / (pageKB / 1024))} pages (hugepages=N on the kernel command line, or fulcrum setup) and mount hugetlbfs`;
  return {
    what: 'hugepages',
    status: mode === 'require' ? 'fail' : 'warn',
    detail: `${sizeMB} MB needed, ${have}: ${mode === 'require' ? 'the daemon will refuse to start' : 'the daemon will run on normal memory (--no-huge)'}; ${fix}`,
  };
}

function iommu(pciPorts: number, t: HostTree): Check {
  const groups = t.list('sys/kernel/iommu_groups').length;
  const noiommu = (t.read(VFIO_NOIOMMU_PARAM.slice(1)) ?? '').trim() === 'Y';
  if (groups > 0) return { what: 'IOMMU', status: 'ok', detail: `${groups} IOMMU groups: vfio-pci can bind devices` };
  const advice = 'enable VT-d/AMD-Vi in the BIOS and boot with intel_iommu=on (or amd_iommu=on) iommu=pt, or use vfio-pci no-IOMMU mode / uio_pci_generic (no DMA isolation)';
  if (pciPorts === 0) return { what: 'IOMMU', status: 'ok', detail: `none (no PCI ports in the config; for PCI NICs: ${advice})` };
  if (noiommu) return { what: 'IOMMU', status: 'warn', detail: `none; vfio no-IOMMU mode is on (no DMA isolation). For isolation: ${advice}` };
  return { what: 'IOMMU', status: 'warn', detail: `none: vfio-pci cannot bind the ${pciPorts} PCI port(s) unless in no-IOMMU mode; ${advice}` };
}

function ports(cfg: FulcrumConfig, t: HostTree, workerNodes: Set<number>): Check[] {
  const out: Check[] = [];
  const resolved = resolvePorts(cfg);
  cfg.ports.forEach((p, i) => {
    const r = resolved[i]!;
    const what = `port ${p.name}`;
    const numaNote = (node: number | undefined): { warn: boolean; text: string } => {
      if (node === undefined || node < 0 || workerNodes.size === 0) return { warn: false, text: '' };
      const remote = !workerNodes.has(node);
      return { warn: remote, text: `; NUMA node ${node}${remote ? `, but the workers run on node ${[...workerNodes].join(', ')}: every packet crosses the interconnect` : ', as the workers'}` };
    };
    if (r.pci) {
      const dir = `sys/bus/pci/devices/${r.pci}`;
      if (!t.exists(dir)) {
        out.push({ what, status: 'fail', detail: `PCI device ${r.pci} not found (lspci -D lists the addresses)` });
        return;
      }
      const drv = t.linkName(`${dir}/driver`);
      const numa = numaNote(Number((t.read(`${dir}/numa_node`) ?? '-1').trim()));
      if (p.bind === 'none') {
        // A PMD that drives the NIC beside its kernel driver (mlx5): it stays bound.
        out.push({ what, status: numa.warn ? 'warn' : 'ok', detail: `${r.pci} on ${drv ?? 'no driver'} (bind: none)${numa.text}` });
      } else if (!drv) {
        out.push({ what, status: 'fail', detail: `${r.pci} is bound to no driver: dpdk-devbind.py -b vfio-pci ${r.pci}${numa.text}` });
      } else if (!(DPDK_PCI_DRIVERS as readonly string[]).includes(drv)) {
        out.push({ what, status: 'fail', detail: `${r.pci} is bound to the kernel's ${drv}: dpdk-devbind.py -b vfio-pci ${r.pci} (after ip link set down)${numa.text}` });
      } else {
        out.push({ what, status: numa.warn ? 'warn' : 'ok', detail: `${r.pci} bound to ${drv}${numa.text}` });
      }
      return;
    }
    if (r.iface) {
      const dir = `sys/class/net/${r.iface}`;
      if (!t.exists(dir)) {
        out.push({ what, status: 'fail', detail: `interface ${r.iface} not found` });
        return;
      }
      const state = (t.read(`${dir}/operstate`) ?? 'unknown').trim();
      const drv = t.linkName(`${dir}/device/driver`);
      const numa = numaNote(t.exists(`${dir}/device/numa_node`) ? Number((t.read(`${dir}/device/numa_node`) ?? '-1').trim()) : undefined);
      const down = state === 'down' || state === 'lowerlayerdown';
      out.push({
        what,
        status: down || numa.warn ? 'warn' : 'ok',
        detail: `${r.kind} on ${r.iface} (${drv ?? 'virtual'}), link ${state}${down ? ': no carrier' : ''}${numa.text}`,
      });
      return;
    }
    out.push({ what, status: 'ok', detail: `virtual device ${p.device}` });
  });
  return out;
}

/** Worker lcores on CPUs the kernel also uses (not in isolcpus), or shared by two workers. */
export function workerCoreChecks(cfg: FulcrumConfig, host: HostFacts, t: HostTree = new HostTree()): Check[] {
  const cpusOf = workerCpus(lcoreMapping(cfg, host), cfg.dataplane.workers);
  const isolated = new Set(parseCpuList((t.read('sys/devices/system/cpu/isolated') ?? '').trim()));
  const nohz = new Set(parseCpuList((t.read('sys/devices/system/cpu/nohz_full') ?? '').trim()));
  const out: Check[] = [];
  const seen = new Map<number, number>();
  const shared: string[] = [];
  for (const [lcore, cpus] of cpusOf) {
    if (cpus.length === 1) {
      const other = seen.get(cpus[0]!);
      if (other !== undefined) shared.push(`lcores ${other} and ${lcore} on CPU ${cpus[0]}`);
      seen.set(cpus[0]!, lcore);
    }
    const housekeeping = cpus.filter((c) => !isolated.has(c));
    if (housekeeping.length) {
      out.push({
        what: `worker lcore ${lcore}`,
        status: 'warn',
        detail: `runs on CPU ${cpus.join(',')}, which the kernel's housekeeping shares (not in isolcpus): boot with isolcpus=${housekeeping.join(',')} nohz_full=${housekeeping.join(',')} rcu_nocbs=${housekeeping.join(',')}, or expect jitter`,
      });
    } else {
      out.push({ what: `worker lcore ${lcore}`, status: 'ok', detail: `CPU ${cpus.join(',')} isolated${cpus.every((c) => nohz.has(c)) ? ', nohz_full' : ' (not nohz_full)'}` });
    }
  }
  if (shared.length) out.push({ what: 'worker cores', status: 'warn', detail: `two pollers share a CPU (${shared.join('; ')}): each gets half of it` });
  return out;
}

/** Every check for `cfg` on this host (or the tree under `t`). */
export function doctor(cfg: FulcrumConfig, host: HostFacts, t: HostTree = new HostTree()): Check[] {
  const cpus = workerCpus(lcoreMapping(cfg, host), cfg.dataplane.workers);
  const nodes = new Set<number>();
  for (const set of cpus.values()) for (const c of set) {
    const n = numaOfCpu(t, c);
    if (n !== undefined) nodes.add(n);
  }
  const pciPorts = resolvePorts(cfg).filter((r) => r.pci).length;
  return [hugepages(cfg, host, t), iommu(pciPorts, t), ...ports(cfg, t, nodes), ...workerCoreChecks(cfg, host, t)];
}

export function formatChecks(checks: Check[]): string[] {
  return checks.map((c) => `[${c.status === 'ok' ? ' ok ' : c.status}] ${c.what}: ${c.detail}`);
}
