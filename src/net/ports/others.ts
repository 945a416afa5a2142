// The port kinds with nothing to plan: a PCI NIC bound to a DPDK driver, the
// in-process net_ring test port, and any other vdev given verbatim.
import { pciAddress } from '../device';
import type { PortKind } from './kind';

export const pci: PortKind = {
  name: 'pci',
  matches: (device) => pciAddress(device) !== null,
  resolve: (device) => ({ kind: 'pci', pci: device, device, underlay: [] }),
};

/** Created by the addon itself (rte_eth_from_rings). */
export const ring: PortKind = {
  name: 'ring',
  matches: (device) => device === 'ring',
  resolve: (device) => ({ kind: 'ring', device, underlay: [] }),
};

export const otherVdev: PortKind = {
  name: 'vdev',
  matches: () => true,
  resolve: (device) => ({ kind: 'vdev', vdev: device, device, underlay: [] }),
};
