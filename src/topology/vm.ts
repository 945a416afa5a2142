// The appliance image's demo layout: the director is a QEMU guest booted from
// the image (scripts/build-image.sh), its three virtio-net-pci NICs backed by
// taps in a host namespace. The standard topology's address plan (PLAN) holds
// on the wire; only the director's side differs: PCI ports driven by DPDK's
// virtio PMD, and a management NIC the kernel keeps for the API.
//
// This file defines the layout once: the image's first-boot files (config,
// the management network, the kernel command line) and the host side that
// the boot test and scripts/run-image.sh build are both derived from it.
import fs from 'node:fs';
import path from 'node:path';
import { deepMerge, PLAN, standardDirectorConfig } from './standard';
import { Topology } from './netns';

/**
 *   [cli] eth0 198.18.0.10/24 ── p-cli [vmh: br-cli] tap-cli ══ 00:04.0 "client"  ┐
 *   [vmh] tap-mgmt 198.18.2.1/24 ═══════════════════════════ 00:03.0 mgmt (kernel) │ VM
 *   [rsN] eth0 198.19.0.1N/24 ── p-rsN [vmh: br-srv] tap-srv ══ 00:05.0 "servers" ┘
 *
 * The NICs sit at fixed PCI slots, so the image's config can name them.
 */
export const VM_PLAN = {
  /** vCPUs: CPU 0 for the kernel, Node and the service thread, one per worker after it. */
  cpus: 3,
  memoryMB: 2048,
  /** Queue pairs of each data NIC: one per worker, spread by the device's RSS. */
  queues: 2,
  nics: {
    mgmt: { pci: '0000:00:03.0', mac: '52:54:00:f1:00:03', tap: 'tap-mgmt' },
    client: { pci: '0000:00:04.0', mac: '52:54:00:f1:00:04', tap: 'tap-cli', bridge: 'br-cli' },
    servers: { pci: '0000:00:05.0', mac: '52:54:00:f1:00:05', tap: 'tap-srv', bridge: 'br-srv' },
  },
  mgmtHost: '198.18.2.1',
  mgmtGuest: '198.18.2.2',
  mgmtPrefix: 24,
  apiPort: 9180,
  apiTls: { cert: '/etc/fulcrum/tls/api.crt', key: '/etc/fulcrum/tls/api.key' },
  /** 2 MB pages reserved on the kernel command line: dataplane.memory.sizeMB of the config below. */
  hugepagesMB: 512,
} as const;

/** Worker k runs as lcore k on CPU k (1..queues), each CPU isolated from the kernel's housekeeping. */
const WORKER_CPUS = Array.from({ length: VM_PLAN.queues }, (_, i) => i + 1);

/** The PCI slot QEMU's -device addr= takes for a NIC ("0x4"). */
export function pciSlot(pci: string): string {
  return `0x${pci.split(':')[2]!.split('.')[0]}`;
}

/** The director config the image boots with: the standard config on the guest's PCI NICs. */
export function vmDirectorConfig(): Record<string, unknown> {
  const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
  const [client, servers] = base.ports;
  return deepMerge(base, {
    dataplane: {
      workers: WORKER_CPUS,
      // isolcpus leaves the process only CPU 0 by default: place the workers on their isolated CPUs.
      lcoreMap: ['0@0', ...WORKER_CPUS.map((c) => `${c}@${c}`)].join(','),
      memory: { hugepages: 'require', sizeMB: VM_PLAN.hugepagesMB },
      mbufsPerSocket: 16384,
      // An idle worker sleeps on its queues' Rx interrupts (vfio-pci passes
      // the NIC's MSI-X on) instead of spinning a host CPU (idle.c).
      idleSleepUs: 200,
    },
    ports: [
      // vfio-pci with the IOMMU, as on bare metal: the guest has QEMU's VT-d (qemuArgs).
      { ...client, device: VM_PLAN.nics.client.pci, bind: 'vfio-pci' },
      { ...servers, device: VM_PLAN.nics.servers.pci, bind: 'vfio-pci' },
    ],
    services: [{
      protocol: 'tcp', vip: PLAN.vip, port: 80, scheduler: 'rr', lipPool: 'default',
      servers: PLAN.realServers.map((address) => ({ address, port: 80, weight: 1, method: 'fullnat' })),
    }],
    // The API on the management NIC only, never on a DIP's twin; HTTPS with
    // the certificate, and the token in FULCRUM_API_TOKEN, that the first boot
    // makes (appliance/image/fulcrum-firstboot).
    api: { listen: VM_PLAN.mgmtGuest, port: VM_PLAN.apiPort, tls: VM_PLAN.apiTls },
  });
}

/** The image's first-boot files, by their path in the image (and the kernel command line). */
export function imageFiles(): { files: Record<string, string>; kernelArgs: string } {
  const { mgmt } = VM_PLAN.nics;
  const network = [
    '# The management NIC: the kernel keeps it (the data NICs go to DPDK), the API listens here.',
    '[Match]',
    `Path=pci-${mgmt.pci}`,
    '',
    '[Network]',
    `Address=${VM_PLAN.mgmtGuest}/${VM_PLAN.mgmtPrefix}`,
    'LinkLocalAddressing=no',
    'IPv6AcceptRA=no',
    '',
  ].join('\n');
  const cpus = WORKER_CPUS.join(',');
  const kernelArgs = [
    'console=tty0', 'console=ttyS0,115200', 'intel_iommu=on', 'iommu=pt',
    'default_hugepagesz=2M', 'hugepagesz=2M', `hugepages=${VM_PLAN.hugepagesMB / 2}`,
    `isolcpus=${cpus}`, `nohz_full=${cpus}`, `rcu_nocbs=${cpus}`,
  ].join(' ');
  return {
    files: {
      '/etc/fulcrum/fulcrum.json': JSON.stringify(vmDirectorConfig(), null, 2) + '\n',
      '/etc/systemd/network/10-fulcrum-mgmt.network': network,
    },
    kernelArgs,
  };
}

export interface VmHost {
  topo: Topology;
  /** Short namespace names: the client, the VM's host (bridges, taps, QEMU), the real servers. */
  ns: { client: string; vmHost: string; realServers: string[] };
  apiBase: string;
}

/** The host side: namespaces, the bridges and the multiqueue taps QEMU attaches to. */
export async function vmHostTopology(opts: { prefix?: string; realServers?: number } = {}): Promise<VmHost> {
  const topo = new Topology(opts.prefix);
  topo.cleanLeftovers();
  const n = Math.min(opts.realServers ?? 3, PLAN.realServers.length);
  const { nics } = VM_PLAN;
  try {
    await topo.addNamespace('cli');
    await topo.addNamespace('vmh');
    for (let i = 1; i <= n; i++) await topo.addNamespace(`rs${i}`);
    const tap = async (name: string, queues: number): Promise<void> => {
      await topo.exec('vmh', 'ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap', ...(queues > 1 ? ['multi_queue'] : [])]);
      await topo.setUp('vmh', name);
    };
    await tap(nics.mgmt.tap, 1);
    await topo.addAddress('vmh', nics.mgmt.tap, `${VM_PLAN.mgmtHost}/${VM_PLAN.mgmtPrefix}`);
    for (const nic of [nics.client, nics.servers]) {
      await topo.addBridge('vmh', nic.bridge);
      await tap(nic.tap, VM_PLAN.queues);
      await topo.attachToBridge('vmh', nic.tap, nic.bridge);
    }
    await topo.addVeth({ ns: 'cli', ifname: 'eth0' }, { ns: 'vmh', ifname: 'p-cli' });
    await topo.attachToBridge('vmh', 'p-cli', nics.client.bridge);
    await topo.addAddress('cli', 'eth0', `${PLAN.client}/24`);
    await topo.addRoute('cli', 'default', PLAN.clientDip);
    for (let i = 0; i < n; i++) {
      const rs = `rs${i + 1}`;
      await topo.addVeth({ ns: rs, ifname: 'eth0' }, { ns: 'vmh', ifname: `p-${rs}` });
      await topo.attachToBridge('vmh', `p-${rs}`, nics.servers.bridge);
      await topo.addAddress(rs, 'eth0', `${PLAN.realServers[i]}/24`);
      await topo.addRoute(rs, 'default', PLAN.serverDip);
    }
  } catch (e) {
    await topo.destroy();
    throw e;
  }
  return {
    topo,
    ns: { client: 'cli', vmHost: 'vmh', realServers: PLAN.realServers.slice(0, n).map((_, i) => `rs${i + 1}`) },
    apiBase: `https://${VM_PLAN.mgmtGuest}:${VM_PLAN.apiPort}`,
  };
}

/** Each accelerator's QEMU arguments (the KVM probe in test/lib/qemu.ts runs with the same). */
export const ACCELERATORS = {
  // Every feature KVM offers but IA32_ARCH_CAPABILITIES, which nested KVM may refuse.
  kvm: ['-accel', 'kvm', '-cpu', 'max,-arch-capabilities'],
  tcg: ['-accel', 'tcg,thread=multi', '-cpu', 'max'],
} as const;

/** The QEMU arguments that boot `image` on the VM's NICs; writes stay in a temporary overlay (-snapshot). */
export function qemuArgs(image: string, opts: { accel: keyof typeof ACCELERATORS; serialLog: string; qmpSocket: string; firmware?: string }): string[] {
  const { nics } = VM_PLAN;
  const args = [
    ...ACCELERATORS[opts.accel],
    // q35 for the emulated IOMMU (VT-d, with interrupt remapping): vfio-pci
    // in the guest binds the data NICs as on bare metal, with MSI-X.
    '-machine', opts.accel === 'kvm' ? 'q35,kernel-irqchip=split' : 'q35', '-device', 'intel-iommu,intremap=on',
    '-smp', String(VM_PLAN.cpus), '-m', String(VM_PLAN.memoryMB),
    '-bios', opts.firmware ?? '/usr/share/ovmf/OVMF.fd',
    '-display', 'none', '-vga', 'none', '-no-reboot',
    '-serial', `file:${opts.serialLog}`, '-monitor', 'none',
    '-qmp', `unix:${opts.qmpSocket},server=on,wait=off`,
    '-drive', `file=${image},format=raw,if=virtio,snapshot=on`,
    '-netdev', `tap,id=mgmt,ifname=${nics.mgmt.tap},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=mgmt,mac=${nics.mgmt.mac},addr=${pciSlot(nics.mgmt.pci)}`,
  ];
  for (const [id, nic] of [['client', nics.client], ['servers', nics.servers]] as const) {
    const q = VM_PLAN.queues;
    args.push('-netdev', `tap,id=${id},ifname=${nic.tap},script=no,downscript=no,vhost=off,queues=${q}`,
      // 2 vectors a queue pair plus config and control; rss=on offers VIRTIO_NET_F_RSS (QEMU hashes in software).
      // iommu_platform: the device's DMA goes through the IOMMU (DPDK hands it IOVAs), which legacy virtio cannot.
      '-device', `virtio-net-pci,netdev=${id},mac=${nic.mac},addr=${pciSlot(nic.pci)},mq=on,vectors=${2 * q + 2},rss=on,iommu_platform=on,disable-legacy=on`);
  }
  return args;
}

/** Write the image's first-boot files under `dir` (the builder copies them into the root). */
export function writeImageFiles(dir: string): void {
  const { files, kernelArgs } = imageFiles();
  for (const [p, text] of Object.entries(files)) {
    const out = path.join(dir, p);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
  }
  fs.writeFileSync(path.join(dir, 'kernel-args'), kernelArgs + '\n');
}

// `node dist/src/topology/vm.js image-files DIR`: scripts/build-image.sh's source of the first-boot files.
if (require.main === module) {
  const [cmd, dir] = process.argv.slice(2);
  if (cmd !== 'image-files' || !dir) {
    process.stderr.write('usage: node vm.js image-files DIR\n');
    process.exit(2);
  }
  writeImageFiles(dir);
}
