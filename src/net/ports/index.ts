// The port kind table: the first kind whose matches() accepts a device wins.
import type { FulcrumConfig } from '../../config/types';
import type { Channels } from './channels';
import type { PortKind, ResolvedPort } from './kind';
import { afPacket } from './af_packet';
import { afXdp } from './af_xdp';
import { kernelIface } from './iface';
import { otherVdev, pci, ring } from './others';

export const PORT_KINDS: readonly PortKind[] = [ring, pci, kernelIface, afXdp, afPacket, otherVdev];

export function portKind(device: string): PortKind {
  return PORT_KINDS.find((k) => k.matches(device))!;
}

/** Every port of `cfg` as the process opens it; `channels` from probeHost (undefined: not probed). */
export function resolvePorts(cfg: FulcrumConfig, channels?: Record<string, Channels | null>): ResolvedPort[] {
  return cfg.ports.map((p, index) => portKind(p.device).resolve(p.device, {
    index, workers: cfg.dataplane.workers.length, channels: (iface) => channels?.[iface],
  }));
}

export type { ResolvedPort } from './kind';
