// End-to-end `fulcrum replay`: traffic through the live director (the real
// daemon, FULLNAT TCP and UDP, a port with no service) is captured on the
// director's two interfaces, both what they received (tcpdump -Q in) and
// what they sent (-Q out). `fulcrum replay` then runs the received frames
// through the fast path offline, in a process of its own with ring ports,
// under the same config, and its output must be the live run's
// translations: the same server per flow, and, packet for packet, the same
// addresses, ports, flags, sequence numbers, TTL and payload. The one
// difference allowed is FULLNAT's local port: each run starts its worker's
// port pool at a random point (so a restart does not reuse ports still in
// TIME_WAIT on the servers), so the LIP port is compared through a
// consistent one-to-one mapping. Needs root; without it every case skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { deepMerge, repoRoot, skipUnlessRoot, sleep, standardDirectorConfig, waitFor, type Spawned } from '../lib/netns';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';
import { NAMED_HTTP_SERVER_PY, PY } from '../lib/scripts';
import { readPcap } from '../../src/replay/pcap';
import { parseFrame, type Ipv4View } from '../../src/replay/frame';
import type { FlowReport } from '../../src/replay/run';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/replay SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const CLIENT = '198.18.0.10';
const LIP = '198.19.0.2';
const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const FULCRUM = path.join(repoRoot(), 'dist', 'src', 'cli', 'fulcrum.js');
const log = (m: string): void => {
  process.stderr.write(`[replay] ${m}\n`);
};

function config(): Record<string, unknown> {
  const base = standardDirectorConfig() as { ports: Record<string, unknown>[] };
  return deepMerge(base, {
    // tcpdump sees a port's frames only off AF_XDP: the XDP program takes
    // them before the kernel's packet taps (README, Port types).
    ports: base.ports.map((p, i) => ({ ...p, device: `net_af_packet${i},iface=${i === 0 ? 'dcli' : 'dsrv'}` })),
    // Timestamps the director owns follow its wall clock, which a replay
    // (later) cannot reproduce: compared byte for byte, they stay the client's.
    dataplane: { rewriteTimestamps: false },
    lipPools: { default: [LIP] },
    services: [
      { protocol: 'tcp', vip: VIP, port: 80, scheduler: 'rr', lipPool: 'default', servers: RS.map((a) => ({ address: a, port: 80, weight: 1, method: 'fullnat' })) },
      { protocol: 'udp', vip: VIP, port: 53, scheduler: 'rr', lipPool: 'default', servers: RS.map((a) => ({ address: a, port: 5353, weight: 1, method: 'fullnat' })) },
    ],
  });
}

/** What a translated packet must keep: everything but checksums, IP id and (through `lport`) FULLNAT's local port. */
function signature(v: Ipv4View, lport: (p: number) => number): string {
  const sp = v.src === LIP ? lport(v.sport!) : v.sport;
  const dp = v.dst === LIP ? lport(v.dport!) : v.dport;
  return [v.proto, `${v.src}:${sp}`, `${v.dst}:${dp}`, v.ttl, v.tcpFlags ?? '-', v.seq ?? '-', v.ack ?? '-', v.payload?.toString('hex') ?? ''].join(' ');
}

/** The director's sent frames of the load-balanced flows (not the kernel twin's), as parsed IPv4. */
function lbFrames(files: string[]): Ipv4View[] {
  const out: Ipv4View[] = [];
  for (const f of files) {
    for (const r of readPcap(fs.readFileSync(f), f).records) {
      const v = parseFrame(r.data)?.ipv4;
      if (!v || (v.proto !== 6 && v.proto !== 17)) continue;
      const lb = (v.src === LIP || v.dst === LIP) || (v.src === VIP && (v.sport === 80 || v.sport === 53));
      if (lb) out.push(v);
    }
  }
  return out;
}

describe('e2e fulcrum replay: the offline run reproduces the live translations', { skip: SKIP || false }, () => {
  let fx: StandardDirector;
  let dir: string;
  const dumps: Spawned[] = [];
  const answered: Record<number, string> = {};

  before(async () => {
    fx = await startStandardDirector({
      suite: 'replay',
      config: config(),
      prepare: (st) => {
        for (let i = 0; i < 3; i++) {
          st.topo.spawn(`rs${i + 1}`, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, `rs${i + 1}`]);
          st.topo.spawn(`rs${i + 1}`, 'socat', ['UDP4-RECVFROM:5353,reuseaddr,fork', `SYSTEM:echo rs${i + 1}`]);
        }
      },
      listeners: onRealServers(3, [80]),
    });
    dir = fx.work;
    // What the director's ports received, on its own interfaces; what it sent,
    // on the far end of each veth (DPDK's af_packet bypasses the qdisc, so
    // its own sends never show on its side).
    const taps: [string, string, string][] = [
      ['dir', 'dcli', 'in-cli'], ['dir', 'dsrv', 'in-srv'], ['cli', 'eth0', 'out-cli'], ['sw', 'p-dir', 'out-srv'],
    ];
    for (const [ns, ifc, name] of taps) {
      dumps.push(fx.st.topo.spawn(ns, 'tcpdump', ['-n', '-U', '-s', '0', '-i', ifc, '-Q', 'in', '-w', path.join(dir, `${name}.pcap`)]));
    }
    await waitFor(() => dumps.every((d) => /listening on/.test(d.stderr())), 10_000, { what: 'tcpdump listening' });
    // Live traffic: six HTTP connections from chosen ports (rr over three
    // servers), three UDP requests, and TCP to a port without a service.
    for (let i = 0; i < 6; i++) {
      const port = 47001 + i;
      const r = await fx.st.topo.exec('cli', 'curl', ['-s', '--max-time', '5', '--local-port', String(port), `http://${VIP}/`], { allowFail: true, timeoutMs: 8_000 });
      answered[port] = r.stdout.trim();
    }
    for (let i = 0; i < 3; i++) {
      const port = 48001 + i;
      const r = await fx.st.topo.exec('cli', 'socat', ['-T', '2', '-', `UDP4:${VIP}:53,sourceport=${port}`], { input: `q${i}\n`, allowFail: true, timeoutMs: 6_000 });
      answered[port] = r.stdout.trim();
    }
    await fx.st.topo.exec('cli', 'curl', ['-s', '--max-time', '2', `http://${VIP}:99/`], { allowFail: true, timeoutMs: 5_000 });
    await sleep(500);
    for (const d of dumps) await d.stop('SIGINT', 5_000);
  });
  after(async () => {
    for (const d of dumps) await d.stop('SIGKILL', 1_000).catch(() => undefined);
    await fx?.stop();
  });

  let report: { flows: FlowReport[]; other: { frames: number; sent: number; drops: Record<string, number> }; sent: number };

  test('fulcrum replay runs the capture under the same config, in a process of its own', async () => {
    log(`live answers: ${JSON.stringify(answered)}`);
    const r = await promisify(execFile)(process.execPath, [FULCRUM, 'replay', '--config', fx.cfgPath,
      '--in', `client=${path.join(dir, 'in-cli.pcap')}`, '--in', `servers=${path.join(dir, 'in-srv.pcap')}`,
      '--out', path.join(dir, 'replay.pcap'), '--json'], { timeout: 60_000, maxBuffer: 16 << 20 });
    report = JSON.parse(r.stdout) as typeof report;
    log(`replay: ${report.flows.length} flows, ${report.sent} frames sent; other ${JSON.stringify(report.other)}`);
    assert.ok(fs.statSync(path.join(dir, 'replay.pcap')).size > 24);
  });

  test('per flow: the service, the server the live run used, FULLNAT from the LIP', () => {
    for (const [port, name] of Object.entries(answered)) {
      const udp = Number(port) >= 48000;
      const flow = report.flows.find((f) => f.flow === `${udp ? 'udp' : 'tcp'} ${CLIENT}:${port} -> ${VIP}:${udp ? 53 : 80}`);
      assert.ok(flow, `flow from port ${port} in ${JSON.stringify(report.flows.map((f) => f.flow))}`);
      assert.equal(flow.service, `${udp ? 'udp' : 'tcp'}:${VIP}:${udp ? 53 : 80}`);
      assert.equal(flow.method, 'fullnat');
      assert.match(flow.local ?? '', new RegExp(`^${LIP.replace(/\./g, '\\.')}:\\d+$`));
      assert.ok(name.startsWith('rs'), `live answer from port ${port}: ${JSON.stringify(name)}`);
      assert.equal(flow.server, `${RS[Number(name.slice(2, 3)) - 1]}:${udp ? 5353 : 80}`, `port ${port}: the live run reached ${name}`);
      assert.deepEqual(flow.drops, {}, `port ${port}: no drops`);
      assert.ok(flow.fromServer > 0 && flow.sent >= flow.fromClient + flow.fromServer, JSON.stringify(flow));
      assert.ok(flow.capturedLocalPort !== null, `port ${port}: the captured replies were matched to the flow`);
    }
    // The port without a service: the kernel twin answered live; a replay has no twin: a counted drop.
    const none = report.flows.find((f) => f.flow.endsWith(`${VIP}:99`));
    assert.equal(none, undefined, 'no service: not a load-balanced flow');
    assert.ok((report.other.drops.no_service ?? 0) >= 1, JSON.stringify(report.other));
    assert.equal(report.other.drops.no_session ?? 0, 0, 'every captured reply found its session (LIP ports renumbered)');
  });

  test('packet for packet, the replay sends what the live director sent (LIP port mapped one to one)', () => {
    const live = lbFrames([path.join(dir, 'out-cli.pcap'), path.join(dir, 'out-srv.pcap')]);
    const offline = lbFrames([path.join(dir, 'replay.pcap')]);
    // The LIP port mapping, from the first packet of each flow toward a server.
    const map = new Map<number, number>();
    const firstLport = (vs: Ipv4View[]) => {
      const m = new Map<string, number>();
      for (const v of vs) if (v.src === LIP && !m.has(`${v.dst}:${v.dport} ${v.seq ?? v.payload?.toString('hex')}`)) m.set(`${v.dst}:${v.dport} ${v.seq ?? v.payload?.toString('hex')}`, v.sport!);
      return m;
    };
    const a = firstLport(live);
    const b = firstLport(offline);
    for (const [k, lp] of a) {
      const rp = b.get(k);
      assert.ok(rp !== undefined, `the replay has no packet toward ${k}`);
      assert.ok(!map.has(lp) || map.get(lp) === rp, `LIP port ${lp} maps to one port`);
      map.set(lp, rp);
    }
    assert.equal(new Set(map.values()).size, map.size, 'one to one');
    const sig = (vs: Ipv4View[], m: (p: number) => number) => vs.map((v) => signature(v, m)).sort();
    const liveSigs = sig(live, (p) => map.get(p) ?? -p);
    const offSigs = sig(offline, (p) => p);
    log(`compared ${liveSigs.length} live and ${offSigs.length} replayed frames; ${map.size} LIP ports mapped`);
    assert.ok(liveSigs.length >= 6 * 5, `enough traffic: ${liveSigs.length}`);
    assert.deepEqual(offSigs, liveSigs);
  });
});
