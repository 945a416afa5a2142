// A port kind: one way a config `device` string becomes a DPDK port. Each
// kind is a file in this folder behind the table in index.ts; nothing else
// in the tree looks at a device string's shape.
import type { HostCommand } from '../../dataplane/twin';
import type { Channels } from './channels';

/** What planning knows about the host's interfaces (src/dataplane/eal.ts probeHost). */
export interface PortContext {
  /** The port's index in the config (unique instance names derive from it). */
  index: number;
  /** Workers: each polls one RX queue and owns one TX queue of every port. */
  workers: number;
  /** `ethtool -l` of a kernel interface: undefined if not probed, null if it cannot tell. */
  channels(iface: string): Channels | null | undefined;
}

/** A device as the process opens it. */
export interface ResolvedPort {
  kind: string;
  /** A PCI address EAL must allow (-a). */
  pci?: string;
  /** A vdev EAL probes at init (--vdev). */
  vdev?: string;
  /** What the addon opens: the ethdev to look up, or a vdev it attaches itself when `fallback` is set. */
  device: string;
  /** A vdev the addon attaches when `device` is refused (see native/port/port.c open_with_fallback). */
  fallback?: string;
  /** The kernel interface under the port (its underlay), if any. */
  iface?: string;
  /** Commands that prepare the interface before EAL starts (queues, a stale XDP program). */
  underlay: HostCommand[];
  /** Why the preferred driver is not even tried (logged at start, shown by the API). */
  refused?: string;
}

export interface PortKind {
  readonly name: string;
  matches(device: string): boolean;
  resolve(device: string, ctx: PortContext): ResolvedPort;
}
