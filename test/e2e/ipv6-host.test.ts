// End-to-end: the real `fulcrum daemon` as an IPv6 host on its networks
// (issue 15, item 1), on the standard topology with IPv6 turned on in the
// client's and a real server's kernels (test/lib PLAN6 addresses).
//
//   - ping6 from the client to the DIP and the VIP, from the real server to
//     the servers-side DIP: neighbour discovery and echo in the fast path
//   - the neighbour table (API /neighbours) holds the client, learned by ND
//   - the exception path over IPv6: a socat service on [DIP]:2222 in the
//     director's kernel (the net_tap twin) answers the client, and the
//     director's kernel pings the client out through the fast path
//
// Needs root (network namespaces). Without root every case skips with a loud
// reason; as root nothing here ever skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PLAN6, askDirectorKernel, skipUnlessRoot, standardDirectorConfig, standardTopology, type DirectorHandle,
  type StandardTopology,
} from '../lib/netns';

const SKIP = skipUnlessRoot();
if (SKIP) {
  process.stderr.write(`\n!!!!!!!! e2e/ipv6-host SKIPPED: ${SKIP} !!!!!!!!\n\n`);
}

const FILE_TIMEOUT = { timeout: 60_000 };

let st: StandardTopology | undefined;
let director: DirectorHandle | undefined;

async function ping6(ns: string, dst: string, count: number): Promise<{ received: number; out: string }> {
  const r = await st!.topo.exec(ns, 'ping', ['-6', '-n', '-c', String(count), '-i', '0.2', '-W', '2', dst], {
    allowFail: true,
    timeoutMs: (count * 2 + 5) * 1000,
  });
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
  return { received: m ? Number(m[2]) : 0, out: `${r.stdout}${r.stderr}` };
}

/** The standard director's ports, each with its IPv6 DIP (and the client side's VIP) added. */
function dualStackPorts(): unknown[] {
  const ports = standardDirectorConfig().ports as Array<{ name: string; addresses: object[] }>;
  const extra: Record<string, object[]> = {
    client: [{ ip: `${PLAN6.clientDip}/64`, role: 'dip' }, { ip: `${PLAN6.vip}/128`, role: 'vip' }],
    servers: [{ ip: `${PLAN6.serverDip}/64`, role: 'dip' }],
  };
  return ports.map((p) => ({ ...p, addresses: [...p.addresses, ...(extra[p.name] ?? [])] }));
}

describe('e2e ipv6-host: the director answers ND and ping6 in the fast path, its twin talks IPv6 through it', { skip: SKIP }, () => {
  before(async () => {
    st = await standardTopology({ realServers: 1 });
    const [cli, rs1] = [st.ns.client, st.ns.realServers[0]!];
    await st.topo.enableIpv6(cli, 'eth0');
    await st.topo.addAddress(cli, 'eth0', `${PLAN6.client}/64`);
    await st.topo.addRoute(cli, 'default', PLAN6.clientDip);
    await st.topo.enableIpv6(rs1, 'eth0');
    await st.topo.addAddress(rs1, 'eth0', `${PLAN6.realServers[0]}/64`);
    await st.topo.addRoute(rs1, 'default', PLAN6.serverDip);
    const cfg = st.writeDirectorConfig({ ports: dualStackPorts() });
    director = await st.startDirector(cfg, { timeoutMs: 45_000 });
  }, { timeout: 90_000 });

  after(async () => {
    try {
      await director?.stop(5000);
    } finally {
      await st?.destroy();
    }
  }, { timeout: 60_000 });

  test('the client-side twin carries the IPv6 DIP and VIP from the config', FILE_TIMEOUT, async () => {
    const a = await st!.topo.exec('dir', 'ip', ['-o', '-6', 'addr', 'show', 'dev', st!.twins.client]);
    assert.match(a.stdout, /inet6 2001:2::1\/64/, `twin lacks the IPv6 DIP:\n${a.stdout}`);
    assert.match(a.stdout, /inet6 2001:2::100\/128/, `twin lacks the IPv6 VIP:\n${a.stdout}`);
    assert.doesNotMatch(a.stdout, /tentative/, `DAD is off on the twins (no tentative address):\n${a.stdout}`);
  });

  for (const [what, ns, dst] of [
    ['client -> DIP', 'cli', PLAN6.clientDip],
    ['client -> VIP', 'cli', PLAN6.vip],
    ['real server -> servers-side DIP', 'rs1', PLAN6.serverDip],
  ] as const) {
    test(`ping6 ${what} ${dst}: 3/3 replies`, FILE_TIMEOUT, async () => {
      // The first probe may race the sender's own neighbour discovery.
      await ping6(ns, dst, 1);
      const r = await ping6(ns, dst, 3);
      assert.equal(r.received, 3, `ping6 ${dst} from ${ns}:\n${r.out}\n${director!.logs()}`);
    });
  }

  test('the fast path learned the client by neighbour discovery (GET /api/v1/neighbours)', FILE_TIMEOUT, async () => {
    const mac = (await st!.topo.exec('cli', 'cat', ['/sys/class/net/eth0/address'])).stdout.trim();
    const r = await st!.topo.exec('dir', 'curl', ['-sf', 'http://127.0.0.1:9180/api/v1/neighbours'], { allowFail: true });
    assert.equal(r.code, 0, `GET /neighbours: ${r.stderr}`);
    const entries = JSON.parse(r.stdout) as Array<{ ip: string; port: string; mac: string; valid: boolean }>;
    const n = entries.find((e) => e.ip === PLAN6.client);
    assert.ok(n, `no entry for ${PLAN6.client}:\n${r.stdout}`);
    assert.deepEqual({ port: n.port, mac: n.mac.toLowerCase(), valid: n.valid }, { port: 'client', mac, valid: true });
  });

  test('exception path over IPv6: socat on [DIP]:2222 in the director kernel answers the client', FILE_TIMEOUT, async () => {
    const reply = await askDirectorKernel(st!.topo, {
      client: 'cli', listen: `TCP6-LISTEN:2222,bind=[${PLAN6.clientDip}]`, connect: `TCP6:[${PLAN6.clientDip}]:2222`, reply: 'ok6',
    });
    assert.equal(reply, 'ok6', `exception-path reply\n${director!.logs()}`);
  });

  test('the director kernel pings the client through its twin and the fast path: 3/3', FILE_TIMEOUT, async () => {
    await ping6('dir', PLAN6.client, 1);
    const r = await ping6('dir', PLAN6.client, 3);
    assert.equal(r.received, 3, `ping6 ${PLAN6.client} from the director kernel:\n${r.out}\n${director!.logs()}`);
  });
});
