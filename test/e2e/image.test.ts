// End-to-end: the appliance image (scripts/build-image.sh) booted in QEMU on
// the layout of src/topology/vm.ts, with nothing of the test inside it:
// UEFI firmware (OVMF), systemd-boot, Debian 12 on a q35 machine with an
// emulated VT-d IOMMU, fulcrum-setup binding the two data NICs to vfio-pci
// and reserving hugepages, fulcrum
// driving them with DPDK's virtio PMD (a PCI driver, two queues each with
// the device's RSS), the management NIC left to the kernel for the API.
//   - the ports are net_virtio, two queues, RSS, link up; the API (HTTPS, the
//     token and certificate pin that the first boot printed) wants the token
//   - ping the VIP and the DIP from the client namespace
//   - 300 curls in FULLNAT over three real servers in host namespaces,
//     spread by rr, and both workers took flows (RSS spread them)
//   - /metrics over the management NIC carries the ports and the service
//   - an ACPI power-down: systemd stops fulcrum cleanly and QEMU exits 0
// It prints the accelerator (KVM when /dev/kvm works, else TCG), the boot
// time and the request rate. The image is built in before(), a few minutes.
// Needs root (debootstrap, namespaces, taps) and the Debian mirror. Without
// root it skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PLAN, repoRoot, run, skipUnlessRoot, type Spawned } from '../lib/netns';
import { ACCELERATORS, qemuArgs, VM_PLAN, vmDirectorConfig, vmHostTopology, type VmHost } from '../../src/topology/vm';
import { NAMED_HTTP_SERVER_PY, PY } from '../lib/scripts';
import { curlMany, tally } from '../lib/curl';
import { kvmRuns, startGuest, type Guest } from '../lib/qemu';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/image SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const BINDS = Object.fromEntries((vmDirectorConfig().ports as { name: string; bind: string }[]).map((p) => [p.name, p.bind]));

interface PortJson { name: string; driver: string; device: string; rxQueues: number; txQueues: number; rss: boolean; linkUp: boolean; rxInterrupts: boolean }
interface WorkerJson { role: string; index: number; sessionsCreated?: number; rxPackets?: number; [k: string]: unknown }

describe('e2e appliance image booted in QEMU on virtio-net-pci NICs', { skip: SKIP || false }, () => {
  const work = SKIP ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'fl-image-'));
  const image = path.join(work, 'fulcrum.img');
  let host: VmHost;
  let guest: Guest;
  const servers: Spawned[] = [];
  let accel: 'kvm' | 'tcg' = 'tcg';
  let guestGone = false;
  // What the first boot printed on the console: the API token and the pin of its certificate's key.
  let auth: { token: string; pin: string } | undefined;
  const curlApi = (p: string, extra: string[] = []): string[] => ['-sS', '-m', '5', '-k', '--pinnedpubkey', auth!.pin,
    '-H', `Authorization: Bearer ${auth!.token}`, ...extra, `${host.apiBase}${p}`];
  const api = async <T>(p: string): Promise<T> => {
    const r = await host.topo.exec(host.ns.vmHost, 'curl', curlApi(p));
    return (p.startsWith('/metrics') ? r.stdout : JSON.parse(r.stdout)) as T;
  };
  // The director's own lines (its units, DPDK's errors, vfio), then the console's tail.
  const diag = (): string => {
    const lines = guest?.serial().split('\n') ?? [];
    const ours = lines.filter((l) => /fulcrum|EAL|vfio|DMAR: \[|virtio_net|dpdk/i.test(l) && !/^\s*(Starting|\[\S*\s+OK)/.test(l));
    // The first lines of a failed start say why; the last ones what it did after.
    const shown = ours.length > 100 ? [...ours.slice(0, 40), `[... ${ours.length - 100} lines ...]`, ...ours.slice(-60)] : ours;
    return `\n--- serial: fulcrum, EAL, vfio ---\n${shown.join('\n')}\n--- serial (tail) ---\n${lines.slice(-25).join('\n')}`;
  };

  before(async () => {
    // The journal on the console, and DPDK's own errors in it: the serial log then tells what the units did.
    const b = await run('bash', [path.join(repoRoot(), 'scripts', 'build-image.sh'), '--out', image,
      '--kernel-args', 'systemd.journald.forward_to_console=1 systemd.setenv=FULCRUM_DPDK_LOG=stderr'], { timeoutMs: 1_200_000, allowFail: true });
    assert.equal(b.code, 0, `build-image failed:\n${b.stderr.slice(-3000)}`);
    process.stderr.write(`image: ${b.stderr.trim().split('\n').pop()}\n`);
    host = await vmHostTopology({ prefix: `fli${process.pid % 1000}` });
    for (const rs of host.ns.realServers) servers.push(host.topo.spawn(rs, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, rs]));
    // KVM where it runs a guest, else TCG.
    const kernel = path.join(work, 'vmlinuz');
    await run('mcopy', ['-n', '-i', `${image}@@1M`, '::/vmlinuz', kernel]);
    const kvm = await kvmRuns(host.topo, host.ns.vmHost, kernel, work, ACCELERATORS.kvm);
    accel = kvm === true ? 'kvm' : 'tcg';
    process.stderr.write(`image: accelerator ${accel}${kvm === true ? '' : ` (KVM: ${kvm})`}\n`);
    const t0 = Date.now();
    guest = await startGuest(host.topo, host.ns.vmHost, work, (o) => qemuArgs(image, { accel, ...o }));
    // Booted = the API answers on the management NIC (first boot, setup and the daemon are up).
    const deadline = t0 + (accel === 'kvm' ? 240_000 : 900_000);
    for (;;) {
      const m = /fulcrum-firstboot: API \S+ token (\S+) pin (sha256\/\/\S+)/.exec(guest.serial());
      if (m) auth = { token: m[1]!, pin: m[2]! };
      const r = auth && await host.topo.exec(host.ns.vmHost, 'curl', curlApi('/api/v1/ports', ['-o', '/dev/null', '-w', '%{http_code}']),
        { allowFail: true, timeoutMs: 10_000 });
      if (r?.stdout === '200') break;
      const failed = /(Failed to start|Dependency failed for) .*Fulcrum/.exec(guest.serial());
      if (failed) assert.fail(`${failed[0]}${diag()}`);
      const code = await Promise.race([guest.proc.exited, new Promise<'wait'>((res) => setTimeout(() => res('wait'), 1_000))]);
      if (code !== 'wait') assert.fail(`qemu exited (${code}) before the API answered: ${guest.proc.stderr()}${diag()}`);
      if (Date.now() > deadline) assert.fail(`the API did not answer within ${(deadline - t0) / 1000} s${diag()}`);
    }
    process.stderr.write(`image: booted under ${accel} to the API answering in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }, { timeout: 2_400_000 });

  after(async () => {
    if (!work) return;
    if (guest && !guestGone) await guest.proc.stop('SIGKILL');
    for (const s of servers) await s.stop();
    await host?.topo.destroy();
    fs.rmSync(work, { recursive: true, force: true });
  }, { timeout: 120_000 });

  test('the data ports are PCI NICs on the virtio PMD: two queues, RSS, link up; the API wants its token', async () => {
    const ports = await api<PortJson[]>('/api/v1/ports');
    assert.deepEqual(ports.map((p) => [p.name, p.device]), [['client', VM_PLAN.nics.client.pci], ['servers', VM_PLAN.nics.servers.pci]]);
    for (const p of ports) {
      assert.equal(p.driver, 'net_virtio', JSON.stringify(p));
      assert.equal(p.rxQueues, VM_PLAN.queues, JSON.stringify(p));
      assert.equal(p.txQueues, VM_PLAN.queues, JSON.stringify(p));
      assert.equal(p.rss, true, JSON.stringify(p));
      assert.equal(p.linkUp, true, JSON.stringify(p));
      // Rx interrupts need MSI-X, which vfio-pci passes on and uio_pci_generic (INTx only) does not.
      assert.equal(p.rxInterrupts, BINDS[p.name]!.startsWith('vfio'), JSON.stringify(p));
    }
  });

  test('the API refuses a request without the token', async () => {
    const r = await host.topo.exec(host.ns.vmHost, 'curl', ['-sS', '-m', '5', '-k', '-o', '/dev/null', '-w', '%{http_code}', `${host.apiBase}/api/v1/ports`]);
    assert.equal(r.stdout, '401');
  });

  test('ping reaches the VIP and the DIP from the client namespace', async () => {
    for (const dst of [PLAN.vip, PLAN.clientDip]) {
      const r = await host.topo.exec(host.ns.client, 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', dst], { allowFail: true, timeoutMs: 15_000 });
      assert.equal(r.code, 0, `ping ${dst}:\n${r.stdout}${r.stderr}`);
    }
  });

  test('300 curls through the VIP in FULLNAT: every one answered, rr over three servers, both workers took flows', async () => {
    const before = await api<{ workers: WorkerJson[] }>('/api/v1/stats');
    const t0 = process.hrtime.bigint();
    const rs = await curlMany(host.topo, host.ns.client, `http://${PLAN.vip}`, 300);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const failed = rs.filter((r) => r.code !== '200');
    assert.equal(failed.length, 0, `failed: ${JSON.stringify(failed.slice(0, 3))}${diag()}`);
    const by = tally(rs);
    assert.deepEqual(Object.keys(by).sort(), [...host.ns.realServers].sort(), JSON.stringify(by));
    // rr runs per worker (lockless tables): each worker's share is split
    // evenly, so a server's total is within one per worker of 100.
    for (const n of Object.values(by)) assert.ok(Math.abs(n - 100) <= VM_PLAN.queues, JSON.stringify(by));
    const after = await api<{ workers: WorkerJson[] }>('/api/v1/stats');
    const grew = after.workers.filter((w) => w.role === 'worker').map((w) => {
      const b = before.workers.find((x) => x.role === 'worker' && x.index === w.index);
      return Number(w.sessionsCreated ?? 0) - Number(b?.sessionsCreated ?? 0);
    });
    assert.equal(grew.length, VM_PLAN.queues, JSON.stringify(after.workers));
    for (const g of grew) assert.ok(g > 0, `a worker took no flows: ${JSON.stringify(grew)}`);
    process.stderr.write(`image: ${accel}: 300 curls (a connection each) in ${s.toFixed(2)} s = ${(300 / s).toFixed(0)} req/s; sessions per worker ${JSON.stringify(grew)}; per server ${JSON.stringify(by)}\n`);
  });

  test('a bounded load (wrk, 5 s, 8 connections): requests answered, the rate printed', { timeout: 60_000 }, async () => {
    const r = await host.topo.exec(host.ns.client, 'wrk', ['-t1', '-c8', '-d5s', '--timeout', '3s', `http://${PLAN.vip}/`], { timeoutMs: 30_000 });
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1];
    const total = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
    assert.ok(rate && total > 0, r.stdout);
    const errors = /Socket errors:.*/.exec(r.stdout)?.[0] ?? 'no socket errors';
    process.stderr.write(`image: ${accel}: wrk 5 s, 8 connections (the servers close each): ${total} requests, ${rate} req/s; ${errors}\n`);
  });

  test('/metrics over the management NIC carries the ports and the service', async () => {
    const text = await api<string>('/metrics');
    for (const name of ['client', 'servers']) assert.match(text, new RegExp(`port="${name}"`), text.slice(0, 2000));
    assert.match(text, new RegExp(`local_address="${PLAN.vip.replace(/\./g, '\\.')}",local_port="80"`), text.slice(0, 2000));
  });

  test('ACPI power-down: fulcrum stops cleanly and QEMU exits 0', { timeout: 300_000 }, async () => {
    await guest.qmp('system_powerdown');
    const code = await Promise.race([guest.proc.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 240_000))]);
    assert.notEqual(code, 'timeout', `the guest did not power off in 240 s${diag()}`);
    guestGone = true;
    assert.equal(code, 0, guest.proc.stderr());
    const serial = guest.serial();
    assert.match(serial, /reboot: Power down/, diag());
    assert.match(serial, /Stopped .*Fulcrum L4 load balancer/, diag());
    const failures = serial.split('\n').filter((l) => /fulcrum(-setup)?\.service: (Failed|Main process exited, code=(killed|dumped|exited, status=[1-9]))/.test(l));
    assert.deepEqual(failures, [], `a fulcrum unit failed on the way:${diag()}`);
  });
});
