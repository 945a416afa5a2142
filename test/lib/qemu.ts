// A QEMU guest for the end-to-end tests: started in a namespace of a
// Topology, its serial console in a file, driven over QMP (QEMU's JSON
// control socket) for the accelerator it runs with and an ACPI power-down.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Spawned, Topology } from './netns';

export interface Guest {
  proc: Spawned;
  serialLog: string;
  /** The serial console so far. */
  serial(): string;
  /** One QMP command; resolves with its "return" (rejects on "error"). */
  qmp<T = unknown>(execute: string, args?: Record<string, unknown>): Promise<T>;
}

/** Start `qemu-system-x86_64` with `args(serialLog, qmpSocket)` in namespace `ns`. */
export async function startGuest(topo: Topology, ns: string, dir: string,
  args: (o: { serialLog: string; qmpSocket: string }) => string[]): Promise<Guest> {
  const serialLog = path.join(dir, 'serial.log');
  const qmpSocket = path.join(dir, 'qmp.sock');
  fs.writeFileSync(serialLog, '');
  const proc = topo.spawn(ns, 'qemu-system-x86_64', args({ serialLog, qmpSocket }));
  // The socket appears once QEMU has parsed its arguments and opened it.
  for (let i = 0; i < 100 && !fs.existsSync(qmpSocket); i++) {
    const code = await Promise.race([proc.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
    if (code !== 'wait') throw new Error(`qemu exited (${code}) at start: ${proc.stderr()}`);
  }
  if (!fs.existsSync(qmpSocket)) throw new Error(`qemu opened no QMP socket: ${proc.stderr()}`);
  return {
    proc,
    serialLog,
    serial: () => fs.readFileSync(serialLog, 'latin1'),
    qmp: (execute, a) => qmpCommand(qmpSocket, execute, a),
  };
}

/** A QMP session for one command: greeting, qmp_capabilities, the command. */
function qmpCommand<T>(socket: string, execute: string, args?: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(socket);
    let buf = '';
    let step = 0;
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`QMP ${execute}: no answer in 10 s`)); }, 10_000);
    const done = (f: () => void): void => { clearTimeout(timer); c.end(); f(); };
    c.setEncoding('utf8');
    c.on('error', (e) => done(() => reject(e)));
    c.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as { QMP?: unknown; return?: T; error?: { desc: string }; event?: string };
        if (msg.event) continue;
        if (msg.error) return done(() => reject(new Error(`QMP ${execute}: ${msg.error!.desc}`)));
        if (step === 0 && msg.QMP) {
          step = 1;
          c.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
        } else if (step === 1) {
          step = 2;
          c.write(JSON.stringify({ execute, ...(args ? { arguments: args } : {}) }) + '\n');
        } else if (step === 2) {
          return done(() => resolve(msg.return as T));
        }
      }
    });
  });
}

/**
 * Whether KVM really runs a guest here, not only whether /dev/kvm opens:
 * under some nested hypervisors KVM starts and then stalls or stops with an
 * internal error. Boots `kernel` with no root under KVM: a kernel that runs
 * reaches its "VFS: Unable to mount root" panic in a second or two.
 * `kvmArgs` are the accelerator and CPU arguments the guest will boot with. Returns
 * true, or why not.
 */
export async function kvmRuns(topo: Topology, ns: string, kernel: string, dir: string, kvmArgs: readonly string[],
  timeoutMs = 20_000): Promise<true | string> {
  if (!fs.existsSync('/dev/kvm')) return 'no /dev/kvm';
  const log = path.join(dir, 'kvm-probe.log');
  fs.writeFileSync(log, '');
  const p = topo.spawn(ns, 'qemu-system-x86_64', [...kvmArgs, '-m', '256',
    '-display', 'none', '-vga', 'none', '-nic', 'none', '-no-reboot', '-serial', `file:${log}`,
    '-kernel', kernel, '-append', 'console=ttyS0 panic=-1']);
  const t0 = Date.now();
  let verdict: true | string = `the kernel did not reach its root-mount panic under KVM in ${timeoutMs / 1000} s`;
  while (Date.now() - t0 < timeoutMs) {
    if (/Kernel panic/.test(fs.readFileSync(log, 'latin1'))) { verdict = true; break; }
    const code = await Promise.race([p.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 250))]);
    if (code !== 'wait' && !/Kernel panic/.test(fs.readFileSync(log, 'latin1'))) {
      verdict = `qemu -accel kvm exited (${code}): ${p.stderr().trim().split('\n').pop()}`;
      break;
    }
  }
  await p.stop('SIGKILL');
  return verdict;
}
