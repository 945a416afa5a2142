// net_af_packet: a kernel interface through a packet socket (one copy each
// way), with one queue pair per worker (the kernel's fanout spreads them).
import { devarg } from '../device';
import { clearXdp } from './af_xdp';
import type { PortKind } from './kind';

export const AF_PACKET_DRIVER = 'net_af_packet';

export function afPacketDevice(instance: string, iface: string, workers: number): string {
  return `${instance},iface=${iface},qpairs=${workers}`;
}

export const afPacket: PortKind = {
  name: 'af_packet',
  matches: (device) => device.startsWith(AF_PACKET_DRIVER),
  resolve(device, ctx) {
    const vdev = devarg(device, 'qpairs') === undefined ? `${device},qpairs=${ctx.workers}` : device;
    const iface = devarg(device, 'iface');
    // An XDP program left on the interface (an AF_XDP run before) would take every frame first.
    return { kind: 'af_packet', vdev, device, iface, underlay: iface ? clearXdp(iface) : [] };
  },
};
