// "iface:NAME": a kernel interface, opened the fastest way the kernel allows.
// AF_XDP where the interface can give every worker a queue and the PMD
// attaches (native/port/port.c tries it first), else af_packet, with the
// reason logged at start and shown by GET /api/v1/ports.
import { AF_PACKET_DRIVER, afPacketDevice } from './af_packet';
import { AF_XDP_DRIVER, afXdpDevice, clearXdp, xdpQueuePlan } from './af_xdp';
import type { PortKind } from './kind';

export const IFACE_PREFIX = 'iface:';

export const kernelIface: PortKind = {
  name: 'iface',
  matches: (device) => device.startsWith(IFACE_PREFIX),
  resolve(device, ctx) {
    const iface = device.slice(IFACE_PREFIX.length);
    const packet = afPacketDevice(`${AF_PACKET_DRIVER}_fl${ctx.index}`, iface, ctx.workers);
    const plan = xdpQueuePlan(iface, ctx.channels(iface), ctx.workers);
    if ('refused' in plan) return { kind: 'af_packet', vdev: packet, device: packet, iface, underlay: clearXdp(iface), refused: plan.refused };
    return {
      kind: 'af_xdp',
      device: afXdpDevice(`${AF_XDP_DRIVER}_fl${ctx.index}`, iface, ctx.workers),
      fallback: packet,
      iface,
      underlay: [...clearXdp(iface), ...plan.commands],
    };
  },
};
