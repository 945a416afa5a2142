// End-to-end: how the director opens its ports. The standard topology's
// ports are "iface:" ports: AF_XDP on the veths where the kernel lets every
// worker have a queue, af_packet with a logged reason where it does not.
//
//   - one worker: both ports run net_af_xdp (native XDP on veth, copy mode),
//     GET /api/v1/ports says so, and the fast path answers ping (e2e/host
//     runs the exception path over these ports)
//   - kill -9 leaves the XDP program on the veth; a restart clears it and
//     opens AF_XDP again
//   - two workers: a veth has no combined channels, so the ports fall back
//     to af_packet (two queue pairs), with the reason in the log and the API
//   - an MTU above AF_XDP's limit: the PMD attaches, the port refuses it
//     (native/port/port.c), and af_packet takes over
//   - an operator's explicit net_af_xdp device gets one queue per worker
//   - fulcrum doctor sees both ports ok and their links up through the API
//
// Needs root (network namespaces). Without root every case skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FULCRUM_CLI, skipUnlessRoot, standardDirectorConfig, standardTopology, waitFor, type DirectorHandle, type StandardTopology,
} from '../lib/netns';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/ports SKIPPED: ${SKIP} !!!!!!!!\n\n`);

interface PortJson {
  name: string; driver: string; device: string; iface: string | null; rxQueues: number;
  fallbackReason: string | null; xdp: { mode: string | null; copy: string; sockets: number } | null;
}

let st: StandardTopology | undefined;
let director: DirectorHandle | undefined;

async function ports(): Promise<PortJson[]> {
  const r = await st!.topo.exec('dir', 'curl', ['-s', 'http://127.0.0.1:9180/api/v1/ports']);
  return JSON.parse(r.stdout) as PortJson[];
}

async function pingVip(): Promise<void> {
  const r = await st!.topo.exec('cli', 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', st!.addr.vip], { allowFail: true, timeoutMs: 15_000 });
  assert.match(r.stdout, /3 received/, `ping VIP through the fast path\n${r.stdout}${r.stderr}\n${director?.logs()}`);
}

/** The XDP program attached to `iface` in the director's namespace ("" if none). */
async function xdpProg(iface: string): Promise<string> {
  const r = await st!.topo.exec('dir', 'ip', ['-d', 'link', 'show', 'dev', iface]);
  return /prog\/xdp id (\d+)/.exec(r.stdout)?.[1] ?? '';
}

/** The standard config with each port changed by `edit`. */
function config(edit: (p: Record<string, unknown>) => void, dataplane: Record<string, unknown> = {}): string {
  const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
  const ps = base.ports.map((p) => ({ ...p }));
  ps.forEach(edit);
  return st!.writeDirectorConfig({ ports: ps, dataplane });
}

async function restart(cfgPath: string): Promise<void> {
  await director?.stop(10_000);
  director = await st!.startDirector(cfgPath, { timeoutMs: 45_000 });
}

describe('e2e ports: iface: ports run AF_XDP where the kernel allows, af_packet with a reason where not', { skip: SKIP }, () => {
  before(async () => {
    st = await standardTopology({ realServers: 0 });
    director = await st.startDirector(st.writeDirectorConfig(), { timeoutMs: 45_000 });
  }, { timeout: 90_000 });

  after(async () => {
    try {
      await director?.stop(10_000);
    } finally {
      await st?.destroy();
    }
  }, { timeout: 60_000 });

  test('one worker: both ports are net_af_xdp, native XDP, copy mode, and the API and the log say so', { timeout: 60_000 }, async () => {
    const ps = await ports();
    for (const p of ps) {
      assert.equal(p.driver, 'net_af_xdp', JSON.stringify(p));
      assert.equal(p.device, `iface:${p.iface}`);
      assert.deepEqual(p.xdp, { mode: 'native', copy: 'copy', sockets: 1 }, JSON.stringify(p)); // veth: native XDP, no zero-copy
      assert.equal(p.fallbackReason, null);
      assert.notEqual(await xdpProg(p.iface!), '', `an XDP program on ${p.iface}`);
    }
    assert.match(director!.stdout(), /fulcrum: port client: AF_XDP on dcli, native XDP, copy, 1 sockets/);
    await pingVip();
  });

  test('fulcrum doctor in the director\'s namespace: both ports ok (AF_XDP, link up as the daemon sees it), exit 0', { timeout: 60_000 }, async () => {
    const r = await st!.topo.exec('dir', process.execPath, [FULCRUM_CLI, 'doctor', '--config', st!.writeDirectorConfig(), '--api', 'http://127.0.0.1:9180'], { allowFail: true });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const [name, iface] of [['client', 'dcli'], ['servers', 'dsrv']]) {
      assert.match(r.stdout, new RegExp(`\\[ ok \\] port ${name}: af_xdp on ${iface} \\(virtual\\), link up`), r.stdout);
      assert.match(r.stdout, new RegExp(`\\[ ok \\] link ${name}: net_af_xdp: up`), r.stdout);
    }
    assert.match(r.stdout, /\[ ok \] IOMMU: .*no PCI ports/);
    assert.match(r.stdout, /^0 failed, \d+ warnings, \d+ ok$/m);
  });

  test('kill -9 leaves the XDP program behind; a restart clears it and opens AF_XDP again', { timeout: 90_000 }, async () => {
    const before = await xdpProg('dcli');
    process.kill(director!.pid!, 'SIGKILL');
    await director!.exited;
    assert.equal(await xdpProg('dcli'), before, 'the killed daemon\'s program is still attached');
    director = await st!.startDirector(st!.writeDirectorConfig(), { timeoutMs: 45_000 });
    const ps = await ports();
    assert.deepEqual(ps.map((p) => p.driver), ['net_af_xdp', 'net_af_xdp'], director.logs());
    const now = await xdpProg('dcli');
    assert.ok(now !== '' && now !== before, `a new program (${now}) replaced the stale one (${before})`);
    await pingVip();
  });

  test('two workers on a veth: af_packet with two queue pairs, and the reason', { timeout: 90_000 }, async () => {
    await restart(config(() => undefined, { workers: [1, 2], lcoreMap: '0@(0-1),1@1,2@1' }));
    const ps = await ports();
    for (const p of ps) {
      assert.equal(p.driver, 'net_af_packet', JSON.stringify(p));
      assert.equal(p.rxQueues, 2);
      assert.equal(p.xdp, null);
      assert.match(p.fallbackReason ?? '', /no combined channels \(veth\).*2 workers/);
      assert.equal(await xdpProg(p.iface!), '', 'no XDP program left on an af_packet port');
    }
    assert.match(director!.stdout(), /fulcrum: port client: AF_XDP not used on dcli \(.*no combined channels.*\); net_af_packet instead/);
    await pingVip();
  });

  test('an MTU above AF_XDP\'s limit: the port refuses net_af_xdp and af_packet takes over', { timeout: 90_000 }, async () => {
    await restart(config((p) => {
      if (p.name === 'client') p.mtu = 9000;
    }));
    const [client, servers] = await ports();
    assert.equal(client!.driver, 'net_af_packet', JSON.stringify(client));
    assert.match(client!.fallbackReason ?? '', /MTU 9000 is above the driver's limit of \d+/);
    process.stderr.write(`[ports] client at MTU 9000: ${client!.fallbackReason}\n`);
    assert.equal(servers!.driver, 'net_af_xdp');
    await waitFor(async () => (await xdpProg('dcli')) === '' || null, 5000, { what: 'the refused AF_XDP port\'s program removed' });
    await pingVip();
  });

  test('an explicit net_af_xdp device: one queue per worker, no fallback', { timeout: 90_000 }, async () => {
    await restart(config((p) => {
      p.device = p.name === 'client' ? 'net_af_xdp0,iface=dcli' : 'net_af_xdp1,iface=dsrv';
    }));
    const ps = await ports();
    assert.deepEqual(ps.map((p) => [p.driver, p.iface, p.xdp?.sockets]), [['net_af_xdp', 'dcli', 1], ['net_af_xdp', 'dsrv', 1]]);
    await pingVip();
  });
});
