// End-to-end: the real `fulcrum daemon` in a director namespace, DPDK
// net_af_packet ports over veths, a client namespace with the kernel stack.
//
//   - ping from the client to the VIP and to the DIP (answered by the fast path)
//   - the exception path: a socat service on the DIP in the director's kernel
//     (reached through the net_tap twin) answers the client
//   - SIGTERM: exit code 0 and the twin interfaces are gone
//   - `fulcrum demo --once` exits 0
//
// Needs root (network namespaces). Without root every case skips with a loud
// reason; as root nothing here ever skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  askDirectorKernel,
  isRoot,
  repoRoot,
  run,
  skipUnlessRoot,
  standardTopology,
  type DirectorHandle,
  type StandardTopology,
} from '../lib/netns';

const SKIP = skipUnlessRoot();
if (SKIP) {
  process.stderr.write(`\n!!!!!!!! e2e/host SKIPPED: ${SKIP} !!!!!!!!\n\n`);
}

const FILE_TIMEOUT = { timeout: 60_000 };

let st: StandardTopology | undefined;
let director: DirectorHandle | undefined;

/** ping count/received, e.g. "3 packets transmitted, 3 received". */
async function pingCount(ns: string, dst: string, count: number): Promise<{ received: number; out: string }> {
  const r = await st!.topo.exec(ns, 'ping', ['-n', '-c', String(count), '-i', '0.2', '-W', '2', dst], {
    allowFail: true,
    timeoutMs: (count * 2 + 5) * 1000,
  });
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
  return { received: m ? Number(m[2]) : 0, out: `${r.stdout}${r.stderr}` };
}

describe('e2e host: the director over net_af_packet in namespaces (ports, twins, exception path)', { skip: SKIP }, () => {
  before(async () => {
    st = await standardTopology({ realServers: 0 });
    const cfg = st.writeDirectorConfig();
    director = await st.startDirector(cfg, { timeoutMs: 45_000 });
  }, { timeout: 90_000 });

  after(async () => {
    try {
      await director?.stop(5000);
    } finally {
      await st?.destroy();
    }
  }, { timeout: 60_000 });

  test('daemon is up with both ports and their twins', FILE_TIMEOUT, async () => {
    assert.match(director!.stdout(), /fulcrum: up: 1 workers, ports client=net_af_(xdp|packet):dcli\(fl-client\) servers=net_af_(xdp|packet):dsrv\(fl-servers\)/, director!.logs());
    for (const twin of [st!.twins.client, st!.twins.servers]) {
      const r = await st!.topo.exec('dir', 'ip', ['-o', '-4', 'addr', 'show', 'dev', twin], { allowFail: true });
      assert.equal(r.code, 0, `twin ${twin} missing in the director namespace: ${r.stderr}\n${director!.logs()}`);
    }
    const a = await st!.topo.exec('dir', 'ip', ['-o', '-4', 'addr', 'show', 'dev', st!.twins.client]);
    assert.match(a.stdout, /inet 198\.18\.0\.1\/24/, `twin ${st!.twins.client} lacks the DIP:\n${a.stdout}`);
  });

  for (const [what, dst] of [
    ['VIP', '198.18.0.100'],
    ['DIP', '198.18.0.1'],
  ] as const) {
    test(`ping client -> ${what} ${dst}: 3/3 replies`, FILE_TIMEOUT, async () => {
      // The first probe may race the client's own ARP; judge a full run of 3.
      await pingCount(st!.ns.client, dst, 1);
      const r = await pingCount(st!.ns.client, dst, 3);
      assert.equal(r.received, 3, `ping ${dst} from the client:\n${r.out}\n${director!.logs()}`);
    });
  }

  test('exception path: socat on the DIP in the director kernel answers the client', FILE_TIMEOUT, async () => {
    const reply = await askDirectorKernel(st!.topo, {
      client: 'cli', listen: 'TCP-LISTEN:2222,bind=198.18.0.1', connect: 'TCP:198.18.0.1:2222', reply: 'ok',
    });
    assert.equal(reply, 'ok', `exception-path reply\n${director!.logs()}`);
  });

  test('SIGTERM: daemon exits 0 and removes its twin interfaces', FILE_TIMEOUT, async () => {
    const code = await director!.stop(15_000);
    assert.equal(code, 0, `daemon exit code after SIGTERM\n${director!.logs()}`);
    for (const twin of [st!.twins.client, st!.twins.servers]) {
      const r = await st!.topo.exec('dir', 'ip', ['link', 'show', 'dev', twin], { allowFail: true });
      assert.notEqual(r.code, 0, `twin ${twin} still exists after the daemon stopped:\n${r.stdout}`);
    }
    assert.doesNotMatch(director!.stderr(), /^\s+at /m, `stack trace on stderr:\n${director!.stderr()}`);
  });

  test('`fulcrum demo --once` exits 0', { timeout: 150_000 }, async () => {
    const cli = path.join(repoRoot(), 'dist', 'src', 'cli', 'fulcrum.js');
    const r = await run(process.execPath, [cli, 'demo', '--once'], { allowFail: true, timeoutMs: 120_000, cwd: repoRoot() });
    assert.equal(r.code, 0, `fulcrum demo --once exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  });
});

test('root check (as root the e2e suite above must not skip)', () => {
  if (!isRoot()) {
    process.stderr.write('!!!!!!!! not root: namespace end-to-end tests were skipped !!!!!!!!\n');
  }
  assert.equal(SKIP === false, isRoot());
});
