// `fulcrum setup`: the boot-time steps before the daemon (fulcrum-setup.service
// runs it): hugepages for dataplane.memory and hugetlbfs mounted, then each
// PCI port's kernel driver loaded and the device bound to it with Debian's
// dpdk-devbind.py, as ports[].bind says (vfio-pci by default; none for a NIC
// whose PMD drives it beside its kernel driver, as mlx5 does). Planned
// from the host tree first, so that what cannot work (no such device, no
// IOMMU for vfio-pci) is refused naming the device before anything changes.
import type { FulcrumConfig } from '../config/types';
import { DEFAULT_PCI_BINDING, type PciBinding } from '../net/device';
import { resolvePorts } from '../net/ports';
import type { HostCommand } from '../dataplane/twin';
import { HostTree, treeHugepages, VFIO_NOIOMMU_PARAM } from './doctor';

export interface SetupStep extends HostCommand {
  /** What the step is for: "hugepages", "port lan (0000:03:00.0)". */
  what: string;
}

export interface SetupPlan {
  steps: SetupStep[];
  /** Already so: nothing to do (printed, not run). */
  done: string[];
  /** Cannot work on this host: refused before any step runs. */
  problems: string[];
}

/**
 * The kernel driver each binding binds to, and the commands that prepare
 * it. No-IOMMU mode is set through sysfs after the module loads, not as a
 * modprobe option: that is ignored when vfio is loaded already (by the
 * dpdk package's own unit, say), and vfio-pci then refuses the device
 * (EINVAL: no IOMMU group).
 */
const BINDINGS: Record<Exclude<PciBinding, 'none'>, { driver: string; prepare: string[][] }> = {
  'vfio-pci': { driver: 'vfio-pci', prepare: [['modprobe', 'vfio-pci']] },
  'vfio-pci-noiommu': { driver: 'vfio-pci', prepare: [['modprobe', 'vfio-pci'], ['sh', '-c',
    `test -e ${VFIO_NOIOMMU_PARAM} || { echo "this kernel has no vfio no-IOMMU mode (CONFIG_VFIO_NOIOMMU; Debian's kernels leave it out): bind uio_pci_generic instead" >&2; exit 1; }; echo Y > ${VFIO_NOIOMMU_PARAM}`]] },
  uio_pci_generic: { driver: 'uio_pci_generic', prepare: [['modprobe', 'uio_pci_generic']] },
};

export const HUGETLBFS_MOUNT = '/dev/hugepages';

function hugepageSteps(cfg: FulcrumConfig, t: HostTree, plan: SetupPlan): void {
  const { hugepages: mode, sizeMB } = cfg.dataplane.memory;
  if (mode === 'off') {
    plan.done.push('hugepages: off by config');
    return;
  }
  const h = treeHugepages(t);
  const need = Math.ceil(sizeMB / (h.hugepageSizeKB / 1024));
  const total = h.hugepagesTotal, free = h.hugepagesFree;
  if (free >= need) plan.done.push(`hugepages: ${free} free of ${total}, ${need} needed for ${sizeMB} MB`);
  else plan.steps.push({ what: 'hugepages', cmd: 'sysctl', args: ['-q', '-w', `vm.nr_hugepages=${total + need - free}`], bestEffort: false });
  if (h.hugetlbfsMounted) {
    plan.done.push('hugetlbfs: mounted');
  } else {
    plan.steps.push({ what: 'hugetlbfs', cmd: 'mkdir', args: ['-p', HUGETLBFS_MOUNT], bestEffort: false });
    plan.steps.push({ what: 'hugetlbfs', cmd: 'mount', args: ['-t', 'hugetlbfs', 'nodev', HUGETLBFS_MOUNT], bestEffort: false });
  }
}

/** The kernel interfaces of a PCI device (a virtio NIC has them one level down, under virtioN). */
function netdevs(t: HostTree, dir: string): string[] {
  const nested = t.list(dir).filter((e) => /^virtio\d+$/.test(e)).flatMap((v) => t.list(`${dir}/${v}/net`));
  return [...t.list(`${dir}/net`), ...nested];
}

function bindSteps(cfg: FulcrumConfig, t: HostTree, plan: SetupPlan): void {
  const resolved = resolvePorts(cfg);
  const prepared = new Set<string>();
  cfg.ports.forEach((p, i) => {
    const addr = resolved[i]!.pci;
    if (!addr) return;
    const what = `port ${p.name} (${addr})`;
    const bind = p.bind ?? DEFAULT_PCI_BINDING;
    const dir = `sys/bus/pci/devices/${addr}`;
    if (!t.exists(dir)) {
      plan.problems.push(`${what}: no such PCI device (lspci -D lists the addresses)`);
      return;
    }
    const current = t.linkName(`${dir}/driver`);
    if (bind === 'none') {
      plan.done.push(`${what}: stays on ${current ?? 'no driver'} (bind: none)`);
      return;
    }
    const b = BINDINGS[bind];
    if (bind === 'vfio-pci' && t.list('sys/kernel/iommu_groups').length === 0) {
      plan.problems.push(`${what}: vfio-pci needs an IOMMU and this host has none (no /sys/kernel/iommu_groups): enable VT-d/AMD-Vi and boot with intel_iommu=on (or amd_iommu=on), or set ports[${i}].bind to uio_pci_generic (or vfio-pci-noiommu where the kernel has that mode; Debian's has not)`);
      return;
    }
    if (current === b.driver) {
      plan.done.push(`${what}: bound to ${b.driver}`);
      return;
    }
    for (const [cmd, ...args] of b.prepare) {
      const key = [cmd, ...args].join(' ');
      if (prepared.has(key)) continue;
      prepared.add(key);
      plan.steps.push({ what, cmd: cmd!, args, bestEffort: false });
    }
    // dpdk-devbind.py will not take a device whose interface is up.
    for (const ifname of netdevs(t, dir)) plan.steps.push({ what, cmd: 'ip', args: ['link', 'set', 'dev', ifname, 'down'], bestEffort: false });
    plan.steps.push({ what, cmd: 'dpdk-devbind.py', args: ['--bind', b.driver, addr], bestEffort: false });
  });
  // A bind's uevents (the kernel interface going, the vfio group's node and
  // its permissions) are handled by udev after dpdk-devbind.py returns; the
  // daemon starts right after this, so wait for udev to finish them.
  if (plan.steps.some((s) => s.cmd === 'dpdk-devbind.py')) {
    plan.steps.push({ what: 'devices', cmd: 'udevadm', args: ['settle', '--timeout=30'], bestEffort: true });
  }
}

export function planSetup(cfg: FulcrumConfig, t: HostTree = new HostTree()): SetupPlan {
  const plan: SetupPlan = { steps: [], done: [], problems: [] };
  hugepageSteps(cfg, t, plan);
  bindSteps(cfg, t, plan);
  return plan;
}
