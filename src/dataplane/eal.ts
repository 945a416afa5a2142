// EAL argument builder. Pure: every host fact comes in through HostFacts so
// tests can pin them; probeHost() reads the real ones.
import fs from 'node:fs';
import os from 'node:os';
import type { FulcrumConfig } from '../config/types';
import { resolvePorts } from '../net/ports';
import { probeChannels, type Channels } from '../net/ports/channels';

export interface HostFacts {
  /** CPUs this process may run on. */
  cpuCount: number;
  /** Their ids when not simply 0..cpuCount-1 (cpusets, taskset). */
  cpuList?: number[];
  /** HugePages_Free from /proc/meminfo. */
  hugepagesFree: number;
  /** Hugepagesize in kB (2048 on x86 by default). */
  hugepageSizeKB: number;
  /** A hugetlbfs mount exists. */
  hugetlbfsMounted: boolean;
  /** `ethtool -l` of the kernel interfaces under AF_XDP-capable ports (src/net/ports). */
  channels?: Record<string, Channels | null>;
}

export class EalError extends Error {}

export interface EalPlan {
  args: string[];
  /** Whether the EAL will use hugepages, and why; worth one log line. */
  hugepages: boolean;
  memoryNote: string;
}

/** Program name handed to rte_eal_init as argv[0] (fl_eal_init wants one). */
export const EAL_PROGRAM = 'fulcrum';

/** "0-3" / "0,2-3": a CPU set in EAL --lcores syntax (without the parens). */
export function cpuSet(cpus: number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Default lcore mapping: the main lcore (Node's thread, not a poller) floats
 * over every CPU; worker k is pinned to CPU 1 + (idx % (ncpu-1)), keeping CPU 0
 * for the kernel, Node and the service thread. With one CPU all share CPU 0.
 */
export function lcoreMapping(cfg: FulcrumConfig, host: HostFacts): string {
  const dp = cfg.dataplane;
  if (dp.lcoreMap !== undefined) return dp.lcoreMap;
  const cpus = host.cpuList?.length ? host.cpuList : [...Array(Math.max(1, host.cpuCount)).keys()];
  const n = cpus.length;
  const parts = [`${dp.mainLcore}@(${cpuSet(cpus)})`];
  dp.workers.forEach((w, idx) => {
    const cpu = n > 1 ? cpus[1 + (idx % (n - 1))]! : cpus[0]!;
    parts.push(`${w}@${cpu}`);
  });
  return parts.join(',');
}

function memoryArgs(cfg: FulcrumConfig, host: HostFacts): Omit<EalPlan, 'args'> & { args: string[] } {
  const { hugepages: mode, sizeMB } = cfg.dataplane.memory;
  const freeMB = Math.floor((host.hugepagesFree * host.hugepageSizeKB) / 1024);
  const pageMB = host.hugepageSizeKB / 1024;
  // -m reserves the whole budget up front (sessions are fixed-size at start).
  // With --no-huge DPDK would otherwise default to a 64 MB heap.
  const noHuge = { args: ['--no-huge', '-m', String(sizeMB)], hugepages: false };
  switch (mode) {
    case 'off':
      return { ...noHuge, memoryNote: 'hugepages off by config' };
    case 'require': {
      if (freeMB < sizeMB) {
        const pages = Math.ceil(sizeMB / pageMB);
        throw new EalError(
          `not enough hugepages: need ${sizeMB} MB, have ${freeMB} MB free ` +
            `(echo ${pages} > /sys/kernel/mm/hugepages/hugepages-${host.hugepageSizeKB}kB/nr_hugepages)`,
        );
      }
      return { args: ['-m', String(sizeMB)], hugepages: true, memoryNote: `hugepages: ${sizeMB} of ${freeMB} MB free` };
    }
    case 'auto':
    default:
      if (freeMB >= sizeMB && host.hugetlbfsMounted) {
        return { args: ['-m', String(sizeMB)], hugepages: true, memoryNote: `hugepages: ${sizeMB} of ${freeMB} MB free` };
      }
      return {
        ...noHuge,
        memoryNote: host.hugetlbfsMounted
          ? `no hugepages: need ${sizeMB} MB, ${freeMB} MB free; using ${sizeMB} MB of normal memory`
          : `no hugepages: hugetlbfs not mounted; using ${sizeMB} MB of normal memory`,
      };
  }
}

export function planEal(cfg: FulcrumConfig, host: HostFacts): EalPlan {
  const dp = cfg.dataplane;
  const mem = memoryArgs(cfg, host);
  const args: string[] = [
    EAL_PROGRAM,
    // No /var/run/dpdk files, so several instances can coexist. DPDK treats
    // --no-huge as legacy memory, which it refuses with --in-memory; there is
    // no hugepage file then anyway, and --no-shconf drops the shared config.
    mem.hugepages ? '--in-memory' : '--no-shconf',
    '--no-telemetry', // we export our own metrics; no extra socket
    `--lcores=${lcoreMapping(cfg, host)}`,
    `--main-lcore=${dp.mainLcore}`,
    ...mem.args,
  ];
  const pci: string[] = [];
  const vdevs: string[] = [];
  for (const p of resolvePorts(cfg, host.channels)) {
    if (p.pci) pci.push(p.pci);
    if (p.vdev) vdevs.push(p.vdev);
  }
  // Without an allow-list EAL would probe (and grab) every bound NIC.
  if (pci.length === 0) args.push('--no-pci');
  for (const d of pci) args.push('-a', d);
  for (const v of vdevs) args.push(`--vdev=${v}`);
  // EAL is chatty at info level; errors still get through.
  args.push('--log-level=lib.eal:error', '--log-level=lib.ethdev:warning', '--log-level=pmd.*:warning');
  args.push(...dp.eal); // last, so operator overrides win
  return { args, hugepages: mem.hugepages, memoryNote: mem.memoryNote };
}

/** EAL argv (argv[0] included). Throws EalError when memory can't be had. */
export function buildEalArgs(cfg: FulcrumConfig, host: HostFacts = probeHost()): string[] {
  return planEal(cfg, host).args;
}

/** "0-3,6,8-9" -> [0,1,2,3,6,8,9] */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    const end = b === undefined || Number.isNaN(b) ? a : b;
    for (let c = a; c <= end; c++) out.push(c);
  }
  return out;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Read the real facts: CPU affinity, free hugepages, hugetlbfs mount. */
/** The host's CPUs and memory; with `cfg`, the queues of the interfaces its AF_XDP ports would use. */
/** Hugepages as /proc/meminfo and /proc/mounts tell them (probeHost, fulcrum doctor and setup). */
export function hugepageFacts(meminfo: string, mounts: string): Pick<HostFacts, 'hugepagesFree' | 'hugepageSizeKB' | 'hugetlbfsMounted'> & { hugepagesTotal: number } {
  const num = (key: string): number => {
    const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(meminfo);
    return m ? Number(m[1]) : 0;
  };
  return {
    hugepagesTotal: num('HugePages_Total'),
    hugepagesFree: num('HugePages_Free'),
    hugepageSizeKB: num('Hugepagesize') || 2048,
    hugetlbfsMounted: /^\S+ \S+ hugetlbfs /m.test(mounts),
  };
}

export function probeHost(cfg?: FulcrumConfig): HostFacts {
  const status = readOr('/proc/self/status', '');
  const allowed = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  const cpuList = allowed ? parseCpuList(allowed[1]!) : [];
  const { hugepagesFree, hugepageSizeKB, hugetlbfsMounted } = hugepageFacts(readOr('/proc/meminfo', ''), readOr('/proc/mounts', ''));
  return {
    cpuCount: cpuList.length || os.availableParallelism(),
    ...(cpuList.length ? { cpuList } : {}),
    hugepagesFree,
    hugepageSizeKB,
    hugetlbfsMounted,
    ...(cfg ? { channels: probePortChannels(cfg) } : {}),
  };
}

export function probePortChannels(cfg: FulcrumConfig): Record<string, Channels | null> {
  const out: Record<string, Channels | null> = {};
  for (const p of resolvePorts(cfg)) if (p.kind === 'af_xdp' && p.iface) out[p.iface] = probeChannels(p.iface);
  return out;
}
