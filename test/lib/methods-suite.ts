// The forwarding-methods end-to-end suite, for one address family: the
// three scenarios of the Linux kernel's IPVS selftest
// (tools/testing/selftests/net/netfilter/ipvs.sh: test_dr, test_nat,
// test_tun: a client sends random bytes to VIP:port, the real server writes
// what it receives to a file, and cmp proves them equal), plus FULLNAT, with
// the real `fulcrum daemon` (DPDK net_af_packet over veths) as the director.
// test/e2e/methods.test.ts runs it over IPv4, test/e2e/ipv6-methods.test.ts
// over IPv6 (TUN as IPv6-in-IPv6).
//
//   client segment (bridge in "csw"):
//     [cli] eth0 client    [dir] dcli (DPDK "client": DIP, VIP)    [rtr] eth0 router
//   server segment (bridge in "ssw"):
//     [dir] dsrv (DPDK "servers": DIP, LIP)   [rtr] eth1 router   [rsM] eth0 servers
//
// The DPDK director is not a router, so DR and TUN replies (source VIP) go
// from the real server through the router "rtr" straight to the client.
// Real servers, three per method:
//   DR      appliance/rs/setup-dr.sh (the VIP on lo), default via rtr
//   NAT     appliance/rs/setup-nat.sh <DIP> (default via the DIP)
//   TUN     appliance/rs/setup-tun.sh --userspace (tun-decap.py: no ipip or
//           ip6_tunnel module here), default via rtr
//   FULLNAT default via rtr (replies go to the LIP, on-link)
// Services on the VIP: http 80 dr, 81 nat (-> 8081), 82 tun, 83 fullnat
// (-> 8083); bulk (one server each) 5001 dr, 5002 nat (-> 6002), 5003 tun,
// 5004 fullnat (-> 6004).
//
// "No response passes through the director" (DR, TUN) is proven by tcpdump on
// the switch-side peers of the director's veths (independent of the product),
// with NAT and FULLNAT as the positive control, and by the director's own
// port counters from GET /api/v1/stats.
//
// Needs root. Without root every case skips LOUDLY; as root nothing skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PLAN,
  PLAN6,
  Topology,
  deepMerge,
  isRoot,
  repoRoot,
  run,
  skipUnlessRoot,
  standardDirectorConfig,
  startDirector,
  waitFor,
  type DirectorHandle,
  type Spawned,
} from './netns';

type Method = 'dr' | 'nat' | 'tun' | 'fullnat';

/** One family's addresses and the few commands that differ by family. */
export interface MethodsFamily {
  family: 4 | 6;
  /** Suite name in logs and skip messages. */
  name: string;
  /** Topology prefix (namespaces). */
  prefix: string;
  client: string;
  vip: string;
  dipC: string;
  dipS: string;
  lip: string;
  rtrC: string;
  rtrS: string;
  /** Prefix length of both segments. */
  len: number;
  /** Real servers by method, three each. */
  servers: Record<Method, string[]>;
}

const server4 = (base: number): string[] => [1, 2, 3].map((i) => `198.19.0.${base + i}`);
const server6 = (base: number): string[] => [1, 2, 3].map((i) => `2001:2:1::${(base + i).toString(16)}`);

export const METHODS_IPV4: MethodsFamily = {
  family: 4, name: 'methods', prefix: 'fm',
  client: '198.18.0.10', vip: PLAN.vip, dipC: PLAN.clientDip, dipS: PLAN.serverDip, lip: PLAN.lip,
  rtrC: '198.18.0.254', rtrS: '198.19.0.254', len: 24,
  servers: { dr: server4(10), nat: server4(20), tun: server4(30), fullnat: server4(40) },
};

export const METHODS_IPV6: MethodsFamily = {
  family: 6, name: 'ipv6-methods', prefix: 'fm6',
  client: PLAN6.client, vip: PLAN6.vip, dipC: PLAN6.clientDip, dipS: PLAN6.serverDip, lip: '2001:2:1::2',
  rtrC: '2001:2::fe', rtrS: '2001:2:1::fe', len: 64,
  servers: { dr: server6(0x10), nat: server6(0x20), tun: server6(0x30), fullnat: server6(0x40) },
};

const API = 'http://127.0.0.1:9180/api/v1';
const BULK_BYTES = 1 << 20;
const RS_DIR = path.join(repoRoot(), 'appliance', 'rs');

interface MethodPlan {
  method: Method;
  servers: string[];
  httpPort: number;
  httpRport: number;
  bulkPort: number;
  bulkRport: number;
  /** Replies bypass the director. */
  bypass: boolean;
}

export function methodsSuite(F: MethodsFamily): void {
  const v6 = F.family === 6;
  const SKIP = skipUnlessRoot();
  if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/${F.name} SKIPPED: ${SKIP} !!!!!!!!\n\n`);
  const log = (msg: string): void => {
    process.stderr.write(`[${F.name}] ${msg}\n`);
  };
  /** host:port as URLs and socat write it. */
  const hostPort = (port: number): string => (v6 ? `[${F.vip}]:${port}` : `${F.vip}:${port}`);
  const hostLen = v6 ? 128 : 32;
  const PLANS: MethodPlan[] = [
    { method: 'dr', servers: F.servers.dr, httpPort: 80, httpRport: 80, bulkPort: 5001, bulkRport: 5001, bypass: true },
    { method: 'nat', servers: F.servers.nat, httpPort: 81, httpRport: 8081, bulkPort: 5002, bulkRport: 6002, bypass: false },
    { method: 'tun', servers: F.servers.tun, httpPort: 82, httpRport: 82, bulkPort: 5003, bulkRport: 5003, bypass: true },
    { method: 'fullnat', servers: F.servers.fullnat, httpPort: 83, httpRport: 8083, bulkPort: 5004, bulkRport: 6004, bypass: false },
  ];
  const rsNs = (p: MethodPlan, i: number): string => `${p.method}${i + 1}`;
  const rsName = (p: MethodPlan, i: number): string => `rs-${p.method}-${i + 1}`;

  function directorConfig(): Record<string, unknown> {
    const svc = (port: number, servers: { address: string; port: number; method: Method }[]): Record<string, unknown> => ({
      protocol: 'tcp',
      vip: F.vip,
      port,
      scheduler: 'rr',
      ...(servers.some((s) => s.method === 'fullnat') ? { lipPool: 'default' } : {}),
      expireNodestConn: false,
      servers: servers.map((s) => ({ ...s, weight: 1 })),
    });
    const services: Record<string, unknown>[] = [];
    for (const p of PLANS) {
      services.push(svc(p.httpPort, p.servers.map((a) => ({ address: a, port: p.httpRport, method: p.method }))));
      services.push(svc(p.bulkPort, [{ address: p.servers[0]!, port: p.bulkRport, method: p.method }]));
    }
    const base = standardDirectorConfig();
    if (v6) {
      // The standard director's ports with this family's addresses beside the IPv4 ones.
      base.ports = (base.ports as Array<{ name: string; addresses: object[] }>).map((p) => ({
        ...p,
        addresses: [...p.addresses, ...(p.name === 'client'
          ? [{ ip: `${F.dipC}/${F.len}`, role: 'dip' }, { ip: `${F.vip}/${hostLen}`, role: 'vip' }]
          : [{ ip: `${F.dipS}/${F.len}`, role: 'dip' }, { ip: `${F.lip}/${F.len}`, role: 'lip' }])],
      }));
    }
    return deepMerge(base, { lipPools: { default: [F.lip] }, services });
  }

  interface Fixture {
    topo: Topology;
    director: DirectorHandle;
    work: string;
    decap: Spawned[];
  }
  let fx: Fixture | undefined;
  const timings: string[] = [];

  async function buildTopology(topo: Topology): Promise<void> {
    for (const n of ['cli', 'dir', 'rtr', 'csw', 'ssw']) await topo.addNamespace(n);
    await topo.addBridge('csw', 'br0');
    await topo.addBridge('ssw', 'br0');
    const port = async (ns: string, ifname: string, sw: 'csw' | 'ssw', swIf: string): Promise<void> => {
      await topo.addVeth({ ns, ifname }, { ns: sw, ifname: swIf });
      await topo.attachToBridge(sw, swIf, 'br0');
    };
    await port('cli', 'eth0', 'csw', 'p-cli');
    await port('dir', 'dcli', 'csw', 'p-dir');
    await port('rtr', 'eth0', 'csw', 'p-rtr');
    await port('dir', 'dsrv', 'ssw', 'p-dir');
    await port('rtr', 'eth1', 'ssw', 'p-rtr');
    if (v6) {
      for (const [ns, i] of [['cli', 'eth0'], ['rtr', 'eth0'], ['rtr', 'eth1']] as const) await topo.enableIpv6(ns, i);
      await topo.sysctl('rtr', 'net.ipv6.conf.all.forwarding', '1');
    } else {
      await topo.sysctl('rtr', 'net.ipv4.ip_forward', '1');
      for (const k of ['all', 'default', 'eth0', 'eth1']) await topo.sysctl('rtr', `net.ipv4.conf.${k}.rp_filter`, '0');
    }
    await topo.addAddress('cli', 'eth0', `${F.client}/${F.len}`); // the VIP is on-link
    await topo.addAddress('rtr', 'eth0', `${F.rtrC}/${F.len}`);
    await topo.addAddress('rtr', 'eth1', `${F.rtrS}/${F.len}`);
    // The director's kernel stays silent on the DPDK-owned veths (its IPv6 is off: addNamespace).
    for (const i of ['dcli', 'dsrv']) {
      await run('ip', ['-n', topo.ns('dir'), 'link', 'set', 'dev', i, 'arp', 'off', 'promisc', 'on']);
      await topo.sysctl('dir', `net.ipv4.conf.${i}.rp_filter`, '1', true);
    }
    await topo.sysctl('dir', 'net.ipv4.ip_nonlocal_bind', '1', true);
    for (const p of PLANS) {
      for (let i = 0; i < p.servers.length; i++) {
        const ns = rsNs(p, i);
        await topo.addNamespace(ns);
        await port(ns, 'eth0', 'ssw', `p-${ns}`);
        if (v6) await topo.enableIpv6(ns, 'eth0');
        await topo.addAddress(ns, 'eth0', `${p.servers[i]}/${F.len}`);
      }
    }
  }

  async function sh(topo: Topology, ns: string, script: string, args: string[]): Promise<string> {
    const r = await topo.exec(ns, 'sh', [path.join(RS_DIR, script), ...args], { allowFail: true, timeoutMs: 15_000 });
    assert.equal(r.code, 0, `${script} ${args.join(' ')} in ${ns}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async function setUpRealServers(topo: Topology, work: string, decap: Spawned[]): Promise<void> {
    for (const p of PLANS) {
      for (let i = 0; i < p.servers.length; i++) {
        const ns = rsNs(p, i);
        if (p.method === 'nat') {
          await sh(topo, ns, 'setup-nat.sh', [F.dipS]);
          await sh(topo, ns, 'setup-nat.sh', [F.dipS]); // idempotent
        } else {
          await topo.addRoute(ns, 'default', F.rtrS);
        }
        if (p.method === 'dr') {
          await sh(topo, ns, 'setup-dr.sh', [F.vip]);
          await sh(topo, ns, 'setup-dr.sh', [F.vip]); // idempotent
        }
        if (p.method === 'tun') {
          decap.push(topo.spawn(ns, 'sh', [path.join(RS_DIR, 'setup-tun.sh'), F.vip, '--userspace', '--from', F.dipS]));
        }
        const doc = path.join(work, rsName(p, i));
        fs.mkdirSync(doc);
        fs.writeFileSync(path.join(doc, 'index.html'), rsName(p, i));
        topo.spawn(ns, 'python3', ['-m', 'http.server', String(p.httpRport), '--bind', v6 ? '::' : '0.0.0.0', '--directory', doc]);
      }
    }
    for (const d of decap) {
      await waitFor(() => {
        if (d.child.exitCode !== null) throw new Error(`tun-decap exited ${d.child.exitCode}: ${d.stderr()}`);
        return d.stdout().includes('tun-decap: ready');
      }, 15_000, { what: `tun-decap ready in ${d.ns}`, intervalMs: 100 });
    }
    for (const p of PLANS) {
      for (let i = 0; i < p.servers.length; i++) {
        await waitFor(async () => {
          const r = await topo.exec(rsNs(p, i), 'ss', ['-Hltn', `sport = :${p.httpRport}`], { allowFail: true });
          return r.stdout.trim().length > 0;
        }, 15_000, { what: `http.server on ${rsNs(p, i)}:${p.httpRport}`, intervalMs: 100 });
      }
    }
  }

  /** A tcpdump on a switch port, counting matching packets; started and ready. */
  async function capture(topo: Topology, ns: string, ifname: string, direction: 'in' | 'out', filter: string): Promise<{ stop(): Promise<{ count: number; lines: string[] }> }> {
    const t = topo.spawn(ns, 'tcpdump', ['-i', ifname, '-nn', '-l', '-p', '-Q', direction, filter]);
    await waitFor(() => {
      if (t.child.exitCode !== null) throw new Error(`tcpdump exited: ${t.stderr()}`);
      return /listening on/.test(t.stderr());
    }, 10_000, { what: `tcpdump on ${ns}/${ifname}`, intervalMs: 50 });
    return {
      async stop() {
        await new Promise((r) => setTimeout(r, 300)); // let the last packets be printed
        await t.stop('SIGTERM', 3000);
        const lines = t.stdout().split('\n').filter((l) => l.trim());
        return { count: lines.length, lines };
      },
    };
  }

  interface PortCtr { rxPackets: number; txPackets: number }
  interface StatsReply { workers: { role?: string; ports?: Record<string, PortCtr> }[] }

  /** GET /api/v1/stats in the director namespace, or why it is not available. */
  async function getStats(topo: Topology): Promise<StatsReply | string> {
    const r = await topo.exec('dir', 'curl', ['-s', '--max-time', '5', '-w', '\n%{http_code}', `${API}/stats`], { allowFail: true, timeoutMs: 10_000 });
    const i = r.stdout.lastIndexOf('\n');
    const status = Number(r.stdout.slice(i + 1)) || 0;
    if (status === 0) return `the HTTP API is not listening on ${API} in the director namespace`;
    if (status !== 200) return `GET ${API}/stats answered HTTP ${status}: ${r.stdout.slice(0, 200)}`;
    try {
      const j = JSON.parse(r.stdout.slice(0, i)) as StatsReply;
      if (!Array.isArray(j.workers)) return `GET ${API}/stats: no "workers" array`;
      return j;
    } catch {
      return `GET ${API}/stats: not JSON: ${r.stdout.slice(0, 200)}`;
    }
  }
  const portSum = (s: StatsReply, port: string, k: keyof PortCtr): number =>
    s.workers.reduce((a, w) => a + Number(w.ports?.[port]?.[k] ?? 0), 0);

  /** One-shot socat receiver writing to `out`; resolves once it listens. */
  async function bulkReceiver(topo: Topology, ns: string, port: number, out: string): Promise<Spawned> {
    const s = topo.spawn(ns, 'socat', ['-u', `TCP${F.family}-LISTEN:${port},reuseaddr`, `CREATE:${out}`]);
    await waitFor(async () => {
      if (s.child.exitCode !== null) throw new Error(`socat receiver exited ${s.child.exitCode}: ${s.stderr()}`);
      const r = await topo.exec(ns, 'ss', ['-Hltn', `sport = :${port}`], { allowFail: true });
      return r.stdout.trim().length > 0;
    }, 10_000, { what: `socat receiver ${ns}:${port}`, intervalMs: 100 });
    return s;
  }

  const ping = (topo: Topology, ns: string, dst: string, count: number): Promise<unknown> =>
    topo.exec(ns, 'ping', [...(v6 ? ['-6'] : []), '-n', '-c', String(count), '-i', '0.2', '-W', '2', dst], { allowFail: true, timeoutMs: 10_000 });

  describe(`e2e forwarding methods (DR, NAT, TUN, FULLNAT) over IPv${F.family} with the real daemon`, { skip: SKIP }, () => {
    before(async () => {
      const t0 = Date.now();
      const topo = new Topology(`${F.prefix}${process.pid % 10000}`);
      topo.cleanLeftovers();
      const work = fs.mkdtempSync(path.join(os.tmpdir(), `${topo.prefix}-methods-`));
      const decap: Spawned[] = [];
      try {
        await buildTopology(topo);
        await setUpRealServers(topo, work, decap);
        const cfgPath = path.join(work, 'fulcrum.json');
        fs.writeFileSync(cfgPath, JSON.stringify(directorConfig(), null, 2) + '\n');
        const director = await startDirector(cfgPath, { ns: topo.ns('dir'), timeoutMs: 45_000 });
        fx = { topo, director, work, decap };
        // Settle neighbours everywhere (client -> VIP, RS -> router/DIP/LIP) before measuring.
        await ping(topo, 'cli', F.vip, 2);
        for (const p of PLANS) for (let i = 0; i < 3; i++) {
          await ping(topo, rsNs(p, i), p.method === 'nat' ? F.dipS : p.method === 'fullnat' ? F.lip : F.rtrS, 1);
        }
        await ping(topo, 'rtr', F.client, 1);
        timings.push(`setup ${Date.now() - t0} ms`);
      } catch (e) {
        await topo.destroy();
        fs.rmSync(work, { recursive: true, force: true });
        throw e;
      }
    }, { timeout: 150_000 });

    after(async () => {
      if (!fx) return;
      try {
        const code = await fx.director.stop(10_000);
        if (code !== 0) log(`director exit code ${code}\n${fx.director.logs()}`);
        for (const d of fx.decap) {
          await d.stop('SIGTERM', 3000);
          log(`${d.ns}: ${d.stderr().trim().split('\n').pop() ?? ''}`);
        }
      } finally {
        await fx.topo.destroy();
        fs.rmSync(fx.work, { recursive: true, force: true });
        log(`timings: ${timings.join('; ')}`);
      }
    }, { timeout: 60_000 });

    for (const p of PLANS) {
      const M = p.method.toUpperCase();
      test(`${M}: ${BULK_BYTES >> 20} MB of random bytes client -> VIP:${p.bulkPort} arrive intact (cmp)` +
        (p.bypass ? '; no response passes through the director' : '; responses do pass through the director'), { timeout: 90_000 }, async () => {
        const { topo, director, work } = fx!;
        const src = path.join(work, `${p.method}.src`);
        const dst = path.join(work, `${p.method}.dst`);
        fs.writeFileSync(src, crypto.randomBytes(BULK_BYTES));
        const rx = await bulkReceiver(topo, rsNs(p, 0), p.bulkRport, dst);
        // Director -> client TCP from the VIP (responses), and anything from the VIP reaching the director's server port.
        const toClient = await capture(topo, 'csw', 'p-dir', 'in', `tcp and src host ${F.vip}`);
        const toDirector = await capture(topo, 'ssw', 'p-dir', 'out', `src host ${F.vip}`);
        const s0 = await getStats(topo);
        const t0 = Date.now();
        const c = await topo.exec('cli', 'socat', ['-u', `OPEN:${src}`, `TCP${F.family}:${hostPort(p.bulkPort)},connect-timeout=5`], { allowFail: true, timeoutMs: 60_000 });
        const code = await Promise.race([rx.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
        const ms = Date.now() - t0;
        if (code === 'timeout') await rx.stop('SIGTERM', 2000);
        const s1 = await getStats(topo);
        const a = await toClient.stop();
        const b = await toDirector.stop();
        assert.equal(c.code, 0, `client socat exit ${c.code}: ${c.stderr}\n${director.logs()}`);
        assert.notEqual(code, 'timeout', `receiver on ${rsNs(p, 0)} did not see EOF within 30 s`);
        const cmp = await run('cmp', [src, dst], { allowFail: true });
        assert.equal(cmp.code, 0, `${M}: received file differs: ${cmp.stdout}${cmp.stderr} (sizes ${fs.statSync(src).size} / ${fs.existsSync(dst) ? fs.statSync(dst).size : 'missing'})`);
        timings.push(`${p.method} 1MB ${ms} ms`);
        let counters = 'stats API: ';
        if (typeof s0 === 'string' || typeof s1 === 'string') {
          counters += `UNAVAILABLE (${typeof s0 === 'string' ? s0 : s1}); judged by tcpdump only`;
        } else {
          const cliRx = portSum(s1, 'client', 'rxPackets') - portSum(s0, 'client', 'rxPackets');
          const cliTx = portSum(s1, 'client', 'txPackets') - portSum(s0, 'client', 'txPackets');
          const srvRx = portSum(s1, 'servers', 'rxPackets') - portSum(s0, 'servers', 'rxPackets');
          const srvTx = portSum(s1, 'servers', 'txPackets') - portSum(s0, 'servers', 'txPackets');
          counters += `client rx ${cliRx} tx ${cliTx}, servers rx ${srvRx} tx ${srvTx}`;
          assert.ok(cliRx >= BULK_BYTES / 1500, `${M}: the director's client port received only ${cliRx} packets for ${BULK_BYTES} bytes`);
          assert.ok(srvTx >= BULK_BYTES / 1500, `${M}: the director's server port sent only ${srvTx} packets`);
          if (p.bypass) {
            // A handful of ARP / neighbour discovery / stray frames at most; the RS's hundreds of ACKs must not be here.
            assert.ok(srvRx <= 10, `${M}: the director's server port received ${srvRx} packets during the transfer: responses went through it (${counters})`);
            assert.ok(cliTx <= 10 + (p.method === 'tun' ? 10 : 0), `${M}: the director's client port sent ${cliTx} packets (${counters})`);
          } else {
            assert.ok(srvRx >= 50, `${M}: responses should come back through the director (${counters})`);
          }
        }
        log(`${M}: ${ms} ms; tcpdump: director->client tcp from VIP ${a.count}, VIP-sourced toward the director ${b.count}; ${counters}`);
        if (p.bypass) {
          assert.equal(a.count, 0, `${M}: the director sent TCP from the VIP to the client:\n${a.lines.slice(0, 5).join('\n')}`);
          assert.equal(b.count, 0, `${M}: packets from the VIP (RS responses) reached the director:\n${b.lines.slice(0, 5).join('\n')}`);
        } else {
          assert.ok(a.count >= 10, `${M}: positive control: the director should send the responses (saw ${a.count})`);
        }
      });

      test(`${M}: curl through VIP:${p.httpPort} reaches all three real servers (rr), every request succeeds`, { timeout: 60_000 }, async () => {
        const { topo, director } = fx!;
        const seen: string[] = [];
        for (let k = 0; k < 6; k++) {
          const r = await topo.exec('cli', 'curl', ['-s', '--max-time', '5', '-o', '-', '-w', ' %{http_code}', `http://${hostPort(p.httpPort)}/`], { allowFail: true, timeoutMs: 10_000 });
          assert.equal(r.code, 0, `${M}: curl #${k} exit ${r.code}: ${r.stderr}\n${director.logs()}`);
          const m = /^(\S+) (\d{3})$/.exec(r.stdout.trim());
          assert.ok(m && m[2] === '200', `${M}: curl #${k}: ${r.stdout}`);
          seen.push(m[1]!);
        }
        const names = [0, 1, 2].map((i) => rsName(p, i));
        for (const n of names) assert.equal(seen.filter((s) => s === n).length, 2, `${M}: rr over three servers: ${JSON.stringify(seen)}`);
      });
    }

    test(`setup-dr.sh --undo removes the VIP from lo${v6 ? '' : ' and restores arp_ignore/arp_announce'}`, { timeout: 30_000 }, async () => {
      const { topo } = fx!;
      const ns = rsNs(PLANS[0]!, 2);
      await sh(topo, ns, 'setup-dr.sh', [F.vip, '--undo']);
      const a = await topo.exec(ns, 'ip', [`-${F.family}`, '-o', 'addr', 'show', 'dev', 'lo']);
      assert.doesNotMatch(a.stdout, new RegExp(` ${F.vip.replace(/\./g, '\\.')}/${hostLen} `), a.stdout);
      if (!v6) {
        const s = await topo.exec(ns, 'sysctl', ['-n', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.eth0.arp_announce']);
        assert.deepEqual(s.stdout.trim().split(/\s+/), ['0', '0']);
      }
    });
  });

  test(`root check (as root the e2e/${F.name} suite above must not skip)`, () => {
    if (!isRoot()) process.stderr.write(`!!!!!!!! not root: e2e/${F.name} was SKIPPED !!!!!!!!\n`);
    assert.equal(SKIP === false, isRoot());
  });
}
