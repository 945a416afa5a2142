// End-to-end FULLNAT over IPv6 (issue 15, item 2): the real `fulcrum daemon`
// on the standard topology with IPv6 turned on in the client's and the three
// real servers' kernels (PLAN6 addresses, 2001:2::/48), an IPv6 VIP, an IPv6
// LIP on the servers' side, and beside them the IPv4 service of the same
// name on the same director (a dual-stack pair).
//
//   - :80   a python3 http.server subclass per server on [::] (IPv6 only) and
//           one on 0.0.0.0, each naming itself and logging its peers
//   - :5001 socat TCP6 listener that pipes every connection into sha256sum
//   - :7    socat UDP6 echo
//
// The director's servers-side port has MTU 1280 while the client's link and
// the servers' have 1500: an upload's full-size segments do not fit, the
// director answers them with ICMPv6 packet-too-big, and the client's kernel
// lowers its path MTU to the VIP (path MTU discovery through the director).
//
// Cases: 1,000 HTTP connections through [VIP]:80 split 334/333/333 by rr in
// strict rotation; the servers see only the IPv6 LIP; the IPv4 twin service
// answers beside it; the PMTU case; a 100 MB transfer arrives intact; UDP
// echo; the API names the service tcp:[2001:2::100]:80.
//
// NAT64 (item 3) on the same director: [VIP]:8080, :5002 and :8007 go to the
// servers' IPv4 addresses from the IPv4 LIP (the same HTTP server on
// 0.0.0.0, and socat's dual-stack sha256 and echo listeners): HTTP split by
// rr with the servers seeing the IPv4 LIP, an upload intact with the client
// learning the IPv4 side's MTU + 20 from the director's packet-too-big, UDP
// echo, and the session listing naming the IPv4 server side.
//
// Needs root (network namespaces). Without root every case skips with a loud
// reason; as root nothing here ever skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PLAN, PLAN6, deepMerge, skipUnlessRoot, standardDirectorConfig, waitFor, type Spawned } from '../lib/netns';
import { NAMED_HTTP_SERVER_PY, PY } from '../lib/scripts';
import { curlMany, tally } from '../lib/curl';
import { randomFile } from '../lib/files';
import { startStandardDirector, type StandardDirector } from '../lib/standard-director';

const SKIP = skipUnlessRoot();
if (SKIP) {
  process.stderr.write(`\n!!!!!!!! e2e/ipv6-fullnat SKIPPED: ${SKIP} !!!!!!!!\n\n`);
}

const VIP6 = PLAN6.vip;
const LIP6 = '2001:2:1::2';
const RS6 = PLAN6.realServers;
const API = 'http://127.0.0.1:9180/api/v1';
const SERVERS_MTU = 1280;
const NAT64 = { http: 8080, sha: 5002, echo: 8007 };

const log = (msg: string): void => {
  process.stderr.write(`[ipv6-fullnat] ${msg}\n`);
};

function svc6(protocol: 'tcp' | 'udp', port: number): Record<string, unknown> {
  return {
    protocol, vip: VIP6, port, scheduler: 'rr',
    servers: RS6.map((a) => ({ address: a, port, method: 'fullnat' })),
  };
}

function config(): Record<string, unknown> {
  const base = standardDirectorConfig();
  const ports = (base.ports as Array<{ name: string; addresses: object[] }>).map((p) => ({
    ...p,
    addresses: [...p.addresses, ...(p.name === 'client'
      ? [{ ip: `${PLAN6.clientDip}/64`, role: 'dip' }, { ip: `${VIP6}/128`, role: 'vip' }]
      : [{ ip: `${PLAN6.serverDip}/64`, role: 'dip' }, { ip: `${LIP6}/64`, role: 'lip' }])],
  }));
  const cfg = deepMerge(base, {
    lipPools: { default: [PLAN.lip, LIP6] },
    services: [
      svc6('tcp', 80), svc6('tcp', 5001), svc6('udp', 7),
      // NAT64: the same VIP, the servers' IPv4 addresses, the IPv4 LIP.
      ...([['tcp', NAT64.http, 80], ['tcp', NAT64.sha, 5001], ['udp', NAT64.echo, 7]] as const).map(([protocol, port, rport]) => ({
        protocol, vip: VIP6, port, scheduler: 'rr',
        servers: PLAN.realServers.map((a) => ({ address: a, port: rport, method: 'fullnat' })),
      })),
      // The IPv4 half of the dual-stack pair, on the same servers.
      { protocol: 'tcp', vip: PLAN.vip, port: 80, scheduler: 'rr',
        servers: PLAN.realServers.map((a) => ({ address: a, port: 80, method: 'fullnat' })) },
    ],
  }) as Record<string, unknown>;
  // The smaller MTU on the servers' side (see the header).
  cfg.ports = ports.map((p) => (p.name === 'servers' ? { ...p, mtu: SERVERS_MTU } : p));
  return cfg;
}

interface Fixture extends StandardDirector {
  http6: Spawned[];
  http4: Spawned[];
}

async function setUp(): Promise<Fixture> {
  const http6: Spawned[] = [];
  const http4: Spawned[] = [];
  const sd = await startStandardDirector({
    suite: 'ipv6-fullnat',
    config,
    prepare: async (st, work) => {
      const cli = st.ns.client;
      await st.topo.enableIpv6(cli, 'eth0');
      await st.topo.addAddress(cli, 'eth0', `${PLAN6.client}/64`);
      await st.topo.addRoute(cli, 'default', PLAN6.clientDip);
      for (let i = 0; i < 3; i++) {
        const ns = st.ns.realServers[i]!;
        const name = `rs${i + 1}`;
        await st.topo.enableIpv6(ns, 'eth0');
        await st.topo.addAddress(ns, 'eth0', `${RS6[i]}/64`);
        await st.topo.addRoute(ns, 'default', PLAN6.serverDip);
        http6.push(st.topo.spawn(ns, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, name, 'log-peers', '::']));
        http4.push(st.topo.spawn(ns, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, `${name}-v4`, 'log-peers']));
        st.topo.spawn(ns, 'socat', ['-u', 'TCP6-LISTEN:5001,reuseaddr,fork,backlog=64', `SYSTEM:sha256sum >>${work}/${name}.sha`]);
        st.topo.spawn(ns, 'socat', ['UDP6-RECVFROM:7,fork,reuseaddr', 'PIPE']);
      }
    },
    listeners: { rs1: [80, 5001], rs2: [80, 5001], rs3: [80, 5001] },
  });
  // The client's first IPv6 packets race neighbour discovery; a ping settles it.
  await sd.st.topo.exec('cli', 'ping', ['-6', '-n', '-c', '3', '-i', '0.2', '-W', '2', VIP6], { allowFail: true, timeoutMs: 10_000 });
  return { ...sd, http6, http4 };
}

function hashes(fx: Fixture): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 1; i <= 3; i++) {
    const f = path.join(fx.work, `rs${i}.sha`);
    const text = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
    out[`rs${i}`] = text.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter((h) => /^[0-9a-f]{64}$/.test(h));
  }
  return out;
}

describe('e2e FULLNAT over IPv6: real clients and servers through an IPv6 VIP, beside its IPv4 twin', { skip: SKIP }, () => {
  let fx: Fixture | undefined;

  before(async () => {
    fx = await setUp();
  }, { timeout: 120_000 });

  after(async () => {
    await fx?.stop();
  }, { timeout: 60_000 });

  test('1,000 HTTP connections through [VIP]:80: all 200, split 334/333/333 by rr, in strict rotation', { timeout: 180_000 }, async () => {
    const t0 = Date.now();
    const rs = await curlMany(fx!.st.topo, 'cli', `http://[${VIP6}]:80`, 1000, { batch: 100 });
    log(`1000 curls over IPv6 in ${Date.now() - t0} ms`);
    const bad = rs.filter((r) => r.code !== '200');
    assert.equal(bad.length, 0, `${bad.length} failed requests, first: ${JSON.stringify(bad.slice(0, 5))}\n${fx!.director.logs()}`);
    assert.ok(rs.every((r) => r.connects === 1), 'every request must be its own TCP connection');
    const t = tally(rs);
    log(`rr split: ${JSON.stringify(t)}`);
    assert.deepEqual(Object.keys(t).sort(), ['rs1', 'rs2', 'rs3']);
    assert.deepEqual(Object.values(t).sort(), [333, 333, 334], `rr split ${JSON.stringify(t)}`);
    for (let i = 1; i < rs.length; i++) assert.notEqual(rs[i]!.server, rs[i - 1]!.server, `rr rotation broken at request ${i}`);
  });

  test(`the real servers see the IPv6 LIP ${LIP6} as source, never the client`, { timeout: 30_000 }, () => {
    const peers: Record<string, number> = {};
    for (const h of fx!.http6) {
      for (const m of h.stderr().matchAll(/^PEER (\S+) (\d+)$/gm)) peers[m[1]!] = (peers[m[1]!] ?? 0) + 1;
    }
    log(`peers seen by the IPv6 HTTP servers: ${JSON.stringify(peers)}`);
    assert.deepEqual(Object.keys(peers), [LIP6], JSON.stringify(peers));
    assert.ok(peers[LIP6]! >= 1000);
  });

  test('dual stack: the IPv4 service of the same name answers through the same director', { timeout: 60_000 }, async () => {
    const [v4, v6] = [
      await curlMany(fx!.st.topo, 'cli', `http://${PLAN.vip}:80`, 30, { batch: 30 }),
      await curlMany(fx!.st.topo, 'cli', `http://[${VIP6}]:80`, 30, { batch: 30 }),
    ];
    assert.deepEqual(Object.values(tally(v4)).sort(), [10, 10, 10], `IPv4 split ${JSON.stringify(tally(v4))}`);
    assert.ok(v4.every((r) => r.code === '200' && r.server.endsWith('-v4')), `IPv4 answers: ${JSON.stringify(tally(v4))}`);
    assert.deepEqual(Object.values(tally(v6)).sort(), [10, 10, 10], `IPv6 split ${JSON.stringify(tally(v6))}`);
    assert.ok(v6.every((r) => r.code === '200' && !r.server.endsWith('-v4')), `IPv6 answers: ${JSON.stringify(tally(v6))}`);
  });

  test(`PMTU: uploads meet the ${SERVERS_MTU}-byte servers side, the director sends packet-too-big, the client adapts and the data arrives intact`, { timeout: 120_000 }, async () => {
    const stats = async (): Promise<{ sent: number; tooBig: number }> => {
      const r = await fx!.st.topo.exec('dir', 'curl', ['-s', '--max-time', '5', `${API}/stats`], { allowFail: true, timeoutMs: 10_000 });
      const j = JSON.parse(r.stdout) as { workers: Array<{ icmpErrorsSent?: number }>; drops?: Record<string, number> };
      return { sent: j.workers.reduce((a, w) => a + (w.icmpErrorsSent ?? 0), 0), tooBig: j.drops?.too_big ?? 0 };
    };
    // No path MTU learned yet toward the VIP.
    await fx!.st.topo.exec('cli', 'ip', ['-6', 'route', 'flush', 'cache'], { allowFail: true });
    const before = await stats();
    const { file, sha } = randomFile(fx!.work, 'pmtu6.bin', 5);
    try {
      const had = hashes(fx!);
      const r = await fx!.st.topo.exec('cli', 'socat', ['-u', `FILE:${file}`, `TCP6:[${VIP6}]:5001,connect-timeout=5`], { allowFail: true, timeoutMs: 60_000 });
      assert.equal(r.code, 0, `socat failed (exit ${r.code}): ${r.stderr}`);
      const got = await waitFor(() => {
        for (const [name, list] of Object.entries(hashes(fx!))) if (list.length > had[name]!.length) return list[list.length - 1]!;
        return null;
      }, 30_000, { what: 'the sha256 of the upload', intervalMs: 200 });
      assert.equal(got, sha, 'the upload arrived damaged');
    } finally {
      fs.rmSync(file, { force: true });
    }
    const after = await stats();
    log(`PMTU: ${after.tooBig - before.tooBig} packets too big, ${after.sent - before.sent} ICMP errors sent`);
    assert.ok(after.tooBig > before.tooBig, 'no packet was too big for the servers side: the case did not test PMTU');
    assert.ok(after.sent > before.sent, 'the director sent no packet-too-big');
    const route = await fx!.st.topo.exec('cli', 'ip', ['-6', 'route', 'get', VIP6]);
    assert.match(route.stdout, new RegExp(`mtu ${SERVERS_MTU}\\b`), `the client learned no path MTU to the VIP:\n${route.stdout}`);
  });

  test('100 MB TCP transfer through [VIP]:5001 arrives intact (sha256)', { timeout: 200_000 }, async () => {
    const { file, sha } = randomFile(fx!.work, 'bulk6.bin', 100);
    try {
      const before = hashes(fx!);
      const t0 = Date.now();
      const r = await fx!.st.topo.exec('cli', 'socat', ['-u', `FILE:${file}`, `TCP6:[${VIP6}]:5001,connect-timeout=5`], { allowFail: true, timeoutMs: 150_000 });
      assert.equal(r.code, 0, `socat to [${VIP6}]:5001 failed (exit ${r.code}): ${r.stderr}\n${fx!.director.logs()}`);
      const got = await waitFor(() => {
        for (const [name, list] of Object.entries(hashes(fx!))) if (list.length > before[name]!.length) return { name, sha: list[list.length - 1]! };
        return null;
      }, 30_000, { what: 'a real server to report the sha256', intervalMs: 200 });
      const ms = Date.now() - t0;
      log(`100 MB over IPv6: ${ms} ms (${((100 * 8) / (ms / 1000)).toFixed(0)} Mbit/s) to ${got.name}`);
      assert.equal(got.sha, sha, `sha256 at ${got.name} differs from the sent file`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  test('UDP echo through [VIP]:7 returns the same bytes', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 6; i++) {
      const msg = `fulcrum-udp6-${i}-${crypto.randomBytes(8).toString('hex')}\n`;
      const reply = await waitFor(async () => {
        const r = await fx!.st.topo.exec('cli', 'socat', ['-t', '3', '-T', '4', '-', `UDP6:[${VIP6}]:7`], { allowFail: true, timeoutMs: 8_000, input: msg });
        if (!r.stdout) throw new Error(`no reply (socat exit ${r.code}: ${r.stderr.trim()})`);
        return r.stdout;
      }, i === 0 ? 15_000 : 8_000, { what: `UDP echo #${i}`, intervalMs: 300 });
      assert.equal(reply, msg);
    }
  });

  test('the session listing shows the IPv6 sessions, their endpoints bracketed as ipvsadm -Lnc prints them', { timeout: 30_000 }, async () => {
    const q = new URLSearchParams({ service: `tcp:[${VIP6}]:80`, limit: '50' });
    const r = await fx!.st.topo.exec('dir', 'curl', ['-s', '--max-time', '5', `${API}/sessions?${q}`], { allowFail: true, timeoutMs: 10_000 });
    const body = JSON.parse(r.stdout) as { sessions: Array<{ client: string; virtual: string; server: string; local: string | null; method: string }> };
    assert.ok(body.sessions.length > 0, `no IPv6 session listed: ${r.stdout.slice(0, 300)}`);
    for (const s of body.sessions) {
      assert.match(s.client, new RegExp(`^\\[${PLAN6.client}\\]:\\d+$`), JSON.stringify(s));
      assert.equal(s.virtual, `[${VIP6}]:80`);
      assert.ok(RS6.some((a) => s.server === `[${a}]:80`), JSON.stringify(s));
      assert.match(s.local ?? '', new RegExp(`^\\[${LIP6}\\]:\\d+$`), JSON.stringify(s));
      assert.equal(s.method, 'fullnat');
    }
  });

  test(`NAT64: 300 HTTP connections through [VIP]:${NAT64.http} reach the IPv4 servers, split 100/100/100 by rr; they see the IPv4 LIP`, { timeout: 120_000 }, async () => {
    const peersOf = (): Record<string, number> => {
      const peers: Record<string, number> = {};
      for (const h of fx!.http4) for (const m of h.stderr().matchAll(/^PEER (\S+) (\d+)$/gm)) peers[m[1]!] = (peers[m[1]!] ?? 0) + 1;
      return peers;
    };
    const before = peersOf();
    const t0 = Date.now();
    const rs = await curlMany(fx!.st.topo, 'cli', `http://[${VIP6}]:${NAT64.http}`, 300, { batch: 100 });
    log(`NAT64: 300 curls in ${Date.now() - t0} ms`);
    const bad = rs.filter((r) => r.code !== '200');
    assert.equal(bad.length, 0, `${bad.length} failed, first: ${JSON.stringify(bad.slice(0, 5))}\n${fx!.director.logs()}`);
    const t = tally(rs);
    assert.deepEqual(Object.keys(t).sort(), ['rs1-v4', 'rs2-v4', 'rs3-v4'], `answered by ${JSON.stringify(t)}: not the IPv4 servers`);
    assert.deepEqual(Object.values(t), [100, 100, 100], `rr split ${JSON.stringify(t)}`);
    const peers = peersOf();
    const grew = Object.fromEntries(Object.entries(peers).map(([ip, n]) => [ip, n - (before[ip] ?? 0)]).filter(([, n]) => n !== 0));
    log(`NAT64: peers seen by the IPv4 HTTP servers: ${JSON.stringify(grew)}`);
    assert.deepEqual(grew, { [PLAN.lip]: 300 }, 'the IPv4 servers must see the IPv4 LIP only');
  });

  test(`NAT64: an upload through [VIP]:${NAT64.sha} arrives intact at an IPv4 server; the client learns the IPv4 side's MTU + 20`, { timeout: 120_000 }, async () => {
    // The IPv4 packets of full-size IPv6 segments do not fit the 1280-byte
    // servers side: the director answers with packet-too-big of 1280 + 20.
    await fx!.st.topo.exec('cli', 'ip', ['-6', 'route', 'flush', 'cache'], { allowFail: true });
    const { file, sha } = randomFile(fx!.work, 'nat64.bin', 20);
    try {
      const had = hashes(fx!);
      const r = await fx!.st.topo.exec('cli', 'socat', ['-u', `FILE:${file}`, `TCP6:[${VIP6}]:${NAT64.sha},connect-timeout=5`], { allowFail: true, timeoutMs: 60_000 });
      assert.equal(r.code, 0, `socat failed (exit ${r.code}): ${r.stderr}\n${fx!.director.logs()}`);
      const got = await waitFor(() => {
        for (const [name, list] of Object.entries(hashes(fx!))) if (list.length > had[name]!.length) return list[list.length - 1]!;
        return null;
      }, 30_000, { what: 'the sha256 of the NAT64 upload', intervalMs: 200 });
      assert.equal(got, sha, 'the NAT64 upload arrived damaged');
    } finally {
      fs.rmSync(file, { force: true });
    }
    const route = await fx!.st.topo.exec('cli', 'ip', ['-6', 'route', 'get', VIP6]);
    assert.match(route.stdout, new RegExp(`mtu ${SERVERS_MTU + 20}\\b`), `the client did not learn the IPv4 MTU + 20:\n${route.stdout}`);
  });

  test(`NAT64: UDP echo through [VIP]:${NAT64.echo} from the IPv4 servers returns the same bytes`, { timeout: 60_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const msg = `fulcrum-nat64-${i}-${crypto.randomBytes(8).toString('hex')}\n`;
      const reply = await waitFor(async () => {
        const r = await fx!.st.topo.exec('cli', 'socat', ['-t', '3', '-T', '4', '-', `UDP6:[${VIP6}]:${NAT64.echo}`], { allowFail: true, timeoutMs: 8_000, input: msg });
        if (!r.stdout) throw new Error(`no reply (socat exit ${r.code}: ${r.stderr.trim()})`);
        return r.stdout;
      }, i === 0 ? 15_000 : 8_000, { what: `NAT64 UDP echo #${i}`, intervalMs: 300 });
      assert.equal(reply, msg);
    }
  });

  test('NAT64: the session listing shows the IPv6 client and VIP with the IPv4 server and LIP', { timeout: 30_000 }, async () => {
    const q = new URLSearchParams({ service: `tcp:[${VIP6}]:${NAT64.http}`, limit: '50' });
    const r = await fx!.st.topo.exec('dir', 'curl', ['-s', '--max-time', '5', `${API}/sessions?${q}`], { allowFail: true, timeoutMs: 10_000 });
    const body = JSON.parse(r.stdout) as { sessions: Array<{ client: string; virtual: string; server: string; local: string | null; method: string }> };
    assert.ok(body.sessions.length > 0, `no NAT64 session listed: ${r.stdout.slice(0, 300)}`);
    for (const s of body.sessions) {
      assert.match(s.client, new RegExp(`^\\[${PLAN6.client}\\]:\\d+$`), JSON.stringify(s));
      assert.equal(s.virtual, `[${VIP6}]:${NAT64.http}`);
      assert.ok(PLAN.realServers.some((a) => s.server === `${a}:80`), JSON.stringify(s));
      assert.match(s.local ?? '', new RegExp(`^${PLAN.lip.replace(/\./g, '\\.')}:\\d+$`), JSON.stringify(s));
      assert.equal(s.method, 'fullnat');
    }
  });

  test('the API names the IPv6 service tcp:[2001:2::100]:80, with its servers as [addr]:port', { timeout: 30_000 }, async () => {
    const id = encodeURIComponent(`tcp:[${VIP6}]:80`);
    const r = await fx!.st.topo.exec('dir', 'curl', ['-s', '--max-time', '5', `${API}/services/${id}/servers`], { allowFail: true, timeoutMs: 10_000 });
    const servers = JSON.parse(r.stdout) as Array<{ id: string; address: string }>;
    assert.deepEqual(servers.map((s) => s.id).sort(), RS6.map((a) => `[${a}]:80`).sort(), r.stdout);
  });
});
