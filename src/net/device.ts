// DPDK device strings: a PCI address with optional devargs, or a vdev
// devargs string ("net_af_packet0,iface=veth0").

/**
 * How `fulcrum setup` binds a PCI port (ports[].bind): to vfio-pci (with an
 * IOMMU), vfio-pci in no-IOMMU mode or uio_pci_generic (no DMA isolation),
 * or not at all (a PMD that drives the NIC beside its kernel driver, mlx5).
 */
export const PCI_BINDINGS = ['vfio-pci', 'vfio-pci-noiommu', 'uio_pci_generic', 'none'] as const;
export type PciBinding = (typeof PCI_BINDINGS)[number];
export const DEFAULT_PCI_BINDING: PciBinding = 'vfio-pci';

/** PCI BDF with optional domain and optional devargs after a comma. */
const PCI_RE = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])(?:,.*)?$/;

/** Normalised "dddd:bb:dd.f" if device is a PCI address, else null. */
export function pciAddress(device: string): string | null {
  const m = PCI_RE.exec(device);
  if (!m) return null;
  return `${(m[1] ?? '0000').toLowerCase()}:${m[2]!.toLowerCase()}:${m[3]!.toLowerCase()}.${m[4]}`;
}

/** The value of one devarg, e.g. devarg("net_af_packet0,iface=veth0", "iface"). */
export function devarg(device: string, key: string): string | undefined {
  for (const part of device.split(',').slice(1)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === key) return part.slice(eq + 1);
  }
  return undefined;
}
