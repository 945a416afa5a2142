// Prometheus metrics: series and labels, one snapshot per scrape, monotonic
// counters across ipvsadm -Z, busy ratio from deltas, health, GET /metrics
// with the API token, and `promtool check metrics` on the rendered text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildMetrics, Monotonic, type HealthEntry, type MetricsServerCounters } from '../../src/metrics/registry';
import { buildApi } from '../../src/api/server';
import { ConfigWriter } from '../../src/lb/writer';
import type { NativeLipStats, NativeStats, NativeSyncStats, PortCounters } from '../../src/native/addon';
import { rawConfig, validConfig } from './api-fixtures';
import type { FulcrumConfig } from '../../src/config/types';
import { IDLE_SYNC_STATS, zeroSyncEvents } from '../lib/fake-addon';
import { serverKey } from '../../src/config/keys';

const VIP = '198.18.0.100';
const RS = ['198.19.0.11', '198.19.0.12'];

function config() {
  const raw = rawConfig() as { services: unknown[] };
  raw.services = [
    { protocol: 'tcp', vip: VIP, port: 80, scheduler: 'rr', servers: RS.map((a, i) => ({ address: a, port: 80, weight: i + 1, method: 'fullnat' })) },
    { protocol: 'udp', vip: VIP, port: 53, scheduler: 'rr', servers: [{ address: RS[0], port: 5353, method: 'fullnat' }] },
  ];
  return validConfig(raw);
}

const port = (n: number): PortCounters => ({ rxPackets: n, rxBytes: n * 100, txPackets: n, txBytes: n * 90, toKernel: 1, fromKernel: 2 });

/** A fake dataplane whose counters the test moves forward. */
class MetricsFake {
  running = true;
  apply(_cfg: FulcrumConfig): void {}
  ports() {
    return [];
  }
  statsCalls = 0;
  counterCalls = 0;
  lipCalls = 0;
  tick = 0;
  /** Subtracted from server counters, as Appliance.zero() does. */
  zeroBase = 0;
  stats(): NativeStats {
    this.statsCalls++;
    const t = this.tick;
    const w = (index: number, lcore: number | null, role: 'worker' | 'service') => ({
      role, index, lcore,
      ports: { client: port(10 * t + index), servers: port(20 * t + index) },
      drops: { malformed: 0, lport_exhausted: t, redirect_ring_full: 0, no_server: 1 },
      tcpEdits: {
        proxy_header_sent: 6 * t, proxy_header_resent: t, toa_added: 0, toa_no_room: 0, syncookie_sent: 9 * t, syncookie_valid: 2 * t,
        syncookie_invalid: 0, synproxy_joined: 2 * t, synproxy_refused: 0, synproxy_hold_full: 0,
      },
      sync: { ...zeroSyncEvents(), queued: 8 * t, installed: 3 * t, refused_local_port: t },
      arpReplies: 0, arpRequestsSent: 0, garpSent: 0, icmpEchoReplies: 0, icmpErrorsSent: 3 * t, icmpErrorsLimited: 7 * t, ndAdvertsSent: 0, ndSolicitsSent: 0, ndUnsolicitedSent: 0, icmp6EchoReplies: 0, neighQueued: 0,
      redirectOut: t, redirectIn: 2 * t, sessionsCreated: 5 * t, sessionsExpired: 4 * t,
      sessionsActive: t, sessionsCapacity: 65536,
      // Every tick: 1000 loops, 250 of them busy.
      loops: 1000 * t, busyLoops: 250 * t, idleNaps: 30 * t, idleNapUs: 900 * t, idleWaits: 7 * t, idleWakeups: 5 * t, rxInterrupts: false,
    });
    return { workers: [w(0, 1, 'worker'), w(1, 2, 'worker'), w(2, null, 'service')], ports: {}, drops: {},
      persistence: { templateSlots: 65536, templatesFull: 11 * t, templatesReclaimed: 13 * t } };
  }
  serverCounters(): Map<string, MetricsServerCounters> {
    this.counterCalls++;
    const t = this.tick;
    const c = (k: number): MetricsServerCounters => ({
      activeConns: k, inactConns: 2 * k,
      conns: 10 * t * k - this.zeroBase, inPkts: 100 * t * k - this.zeroBase, outPkts: 90 * t * k - this.zeroBase,
      inBytes: 1000 * t * k - this.zeroBase, outBytes: 9000 * t * k - this.zeroBase,
    });
    return new Map([
      [`tcp:${VIP}:80/${RS[0]}:80`, c(1)],
      [`tcp:${VIP}:80/${RS[1]}:80`, c(2)],
      [`udp:${VIP}:53/${RS[0]}:5353`, c(3)],
    ]);
  }
  syncStats(): NativeSyncStats {
    const t = this.tick;
    return { ...IDLE_SYNC_STATS, msgsSent: 2 * t, connsSent: 40 * t, msgsReceived: t, connsReceived: 17 * t, lastLagMs: 25,
      msgsRefused: { bad_length: 0, other_syncid: 3 * t }, workerRingFull: t };
  }

  lipStats(): NativeLipStats[] {
    this.lipCalls++;
    return [
      { ip: '198.19.0.2', worker: 0, free: 30000 - this.tick, capacity: 32000 },
      { ip: '198.19.0.2', worker: 1, free: 31000, capacity: 32000 },
    ];
  }
}

function setup(opts: { health?: HealthEntry[]; token?: string } = {}) {
  const fake = new MetricsFake();
  fake.tick = 1;
  const writer = new ConfigWriter({ appliance: fake, initial: config(), stateFile: null });
  const health = opts.health;
  const reg = buildMetrics({ appliance: fake, writer, ...(health ? { health: { snapshot: () => health } } : {}) });
  return { fake, writer, reg, health };
}

/** name{labels} -> value, from the text exposition. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const bl = (rs: string, rport: number, proto = 'TCP', lport = 80) =>
  `local_address="${VIP}",local_port="${lport}",remote_address="${rs}",remote_port="${rport}",proto="${proto}"`;

test('series use node_exporter ipvs names and labels; globals sum over servers', async () => {
  const { reg } = setup();
  const m = parse(await reg.metrics());
  assert.equal(m.get(`node_ipvs_backend_connections_active{${bl(RS[0]!, 80)}}`), 1);
  assert.equal(m.get(`node_ipvs_backend_connections_inactive{${bl(RS[1]!, 80)}}`), 4);
  assert.equal(m.get(`node_ipvs_backend_weight{${bl(RS[1]!, 80)}}`), 2);
  assert.equal(m.get(`node_ipvs_backend_weight{${bl(RS[0]!, 5353, 'UDP', 53)}}`), 1);
  assert.equal(m.get('node_ipvs_connections_total'), 10 + 20 + 30);
  assert.equal(m.get('node_ipvs_incoming_packets_total'), 600);
  assert.equal(m.get('node_ipvs_outgoing_bytes_total'), 9000 * 6);
  assert.equal(m.get(`fulcrum_backend_connections_total{${bl(RS[1]!, 80)}}`), 20);
  assert.equal(m.get(`fulcrum_backend_packets_total{${bl(RS[1]!, 80)},direction="in"}`), 200);
  assert.equal(m.get(`fulcrum_backend_bytes_total{${bl(RS[1]!, 80)},direction="out"}`), 18000);
  // Per worker.
  assert.equal(m.get('fulcrum_port_rx_packets_total{worker="1",lcore="2",port="servers"}'), 21);
  assert.equal(m.get('fulcrum_port_tx_bytes_total{worker="service",lcore="",port="client"}'), 12 * 90);
  assert.equal(m.get('fulcrum_drops_total{worker="0",lcore="1",reason="lport_exhausted"}'), 1);
  assert.equal(m.get('fulcrum_drops_total{worker="0",lcore="1",reason="session_table_full"}'), 0, 'key reasons always present');
  assert.equal(m.get('fulcrum_sessions_capacity{worker="1",lcore="2"}'), 65536);
  assert.equal(m.get('fulcrum_sessions_active{worker="service",lcore=""}'), undefined, 'no session table on the service thread');
  assert.equal(m.get('fulcrum_redirect_packets_total{worker="0",lcore="1",direction="in"}'), 2);
  assert.equal(m.get('fulcrum_icmp_errors_total{worker="1",lcore="2",outcome="sent"}'), 3);
  assert.equal(m.get('fulcrum_icmp_errors_total{worker="1",lcore="2",outcome="limited"}'), 7);
  assert.equal(m.get('fulcrum_icmp_errors_total{worker="service",lcore="",outcome="sent"}'), undefined, 'workers only');
  assert.equal(m.get('fulcrum_sessions_created_total{worker="0",lcore="1"}'), 5);
  assert.equal(m.get('fulcrum_tcp_stream_edits_total{worker="1",lcore="2",event="syncookie_sent"}'), 9);
  assert.equal(m.get('fulcrum_tcp_stream_edits_total{worker="0",lcore="1",event="proxy_header_resent"}'), 1);
  assert.equal(m.get('fulcrum_tcp_stream_edits_total{worker="0",lcore="1",event="synproxy_refused"}'), 0, 'every event always present');
  assert.equal(m.get('fulcrum_tcp_stream_edits_total{worker="service",lcore="",event="syncookie_sent"}'), undefined, 'workers only');
  assert.equal(m.get('fulcrum_sync_sessions_total{worker="1",lcore="2",event="queued"}'), 8);
  assert.equal(m.get('fulcrum_sync_sessions_total{worker="0",lcore="1",event="refused_local_port"}'), 1);
  assert.equal(m.get('fulcrum_sync_sessions_total{worker="0",lcore="1",event="refused_table_full"}'), 0, 'every event always present');
  assert.equal(m.get('fulcrum_sync_messages_total{direction="sent"}'), 2);
  assert.equal(m.get('fulcrum_sync_connections_total{direction="received"}'), 17);
  assert.equal(m.get('fulcrum_sync_dropped_total{reason="other_syncid"}'), 3);
  assert.equal(m.get('fulcrum_sync_dropped_total{reason="worker_ring_full"}'), 1);
  assert.equal(m.get('fulcrum_sync_lag_seconds'), 0.025);
  assert.equal(m.get('fulcrum_persist_template_slots'), 65536);
  assert.equal(m.get('fulcrum_persist_templates_full_total'), 11);
  assert.equal(m.get('fulcrum_persist_templates_reclaimed_total'), 13);
  assert.equal(m.get('fulcrum_lip_ports_free{lip="198.19.0.2",worker="0"}'), 29999);
  assert.equal(m.get('fulcrum_lip_ports_capacity{lip="198.19.0.2",worker="1"}'), 32000);
  assert.equal(m.get('fulcrum_worker_loops_total{worker="0",lcore="1"}'), 1000);
  assert.equal(m.get('fulcrum_worker_idle_naps_total{worker="1",lcore="2"}'), 30);
  assert.equal(m.get('fulcrum_worker_idle_waits_total{worker="1",lcore="2"}'), 7);
  assert.equal(m.get('fulcrum_worker_idle_wakeups_total{worker="0",lcore="1"}'), 5);
  assert.equal(m.get('fulcrum_worker_busy_ratio{worker="0",lcore="1"}'), 0.25);
  assert.equal(m.get('fulcrum_dataplane_up'), 1);
  // No health source: every backend counts as up.
  assert.equal(m.get(`fulcrum_backend_up{${bl(RS[0]!, 80)}}`), 1);
  assert.equal(m.get(`fulcrum_backend_health_transitions_total{${bl(RS[0]!, 80)}}`), 0);
  // Process metrics from collectDefaultMetrics in the app's own registry.
  assert.ok([...m.keys()].some((k) => k.startsWith('process_cpu_user_seconds_total')));
});

test('one dataplane snapshot per scrape', async () => {
  const { reg, fake } = setup();
  await reg.metrics();
  assert.deepEqual([fake.statsCalls, fake.counterCalls, fake.lipCalls], [1, 1, 1]);
  await reg.metrics();
  await reg.getMetricsAsJSON();
  assert.deepEqual([fake.statsCalls, fake.counterCalls, fake.lipCalls], [3, 3, 3]);
});

test('counters stay monotonic across ipvsadm -Z; busy ratio is per interval', async () => {
  const { reg, fake } = setup();
  let m = parse(await reg.metrics());
  const before = m.get('node_ipvs_connections_total')!;
  fake.tick = 3; // 2000 loops, 500 busy since the last scrape
  m = parse(await reg.metrics());
  assert.equal(m.get('node_ipvs_connections_total'), 180);
  assert.ok(180 > before);
  // zero(): the appliance now reports counts since the zero (the offsets are what t=3 had for server 1).
  fake.zeroBase = 30;
  fake.tick = 4;
  m = parse(await reg.metrics());
  const conns1 = m.get(`fulcrum_backend_connections_total{${bl(RS[0]!, 80)}}`)!;
  // Server 1: raw 40 - 30 = 10 after the zero, which is below 30: a reset, so 30 + 10.
  assert.equal(conns1, 40);
  assert.ok(m.get('node_ipvs_connections_total')! >= 180);
  // Worker counters are raw; the busy ratio reflects the last interval only.
  assert.equal(m.get('fulcrum_worker_busy_ratio{worker="0",lcore="1"}'), 0.25);
  const mono = new Monotonic();
  assert.deepEqual([5, 7, 2, 3, 0].map((v) => mono.update('k', v)), [5, 7, 9, 10, 10]);
});

test('stopped dataplane: no dataplane series, dataplane_up 0', async () => {
  const { reg, fake } = setup();
  fake.running = false;
  const m = parse(await reg.metrics());
  assert.equal(m.get('fulcrum_dataplane_up'), 0);
  assert.ok(![...m.keys()].some((k) => k.startsWith('fulcrum_drops_total') || k.startsWith('node_ipvs_backend')));
  assert.equal(fake.statsCalls, 0);
});

test('health snapshot drives fulcrum_backend_up and transitions; setHealth late', async () => {
  const entries: HealthEntry[] = [
    { service: `tcp:${VIP}:80`, server: `${RS[1]}:80`, state: 'DOWN', transitions: 3 },
    { service: `tcp:${VIP}:80`, server: `${RS[0]}:80`, state: 'up', transitions: 2 },
  ];
  const { reg } = setup({ health: entries });
  let m = parse(await reg.metrics());
  assert.equal(m.get(`fulcrum_backend_up{${bl(RS[1]!, 80)}}`), 0);
  assert.equal(m.get(`fulcrum_backend_up{${bl(RS[0]!, 80)}}`), 1);
  assert.equal(m.get(`fulcrum_backend_health_transitions_total{${bl(RS[1]!, 80)}}`), 3);
  assert.equal(m.get(`fulcrum_backend_up{${bl(RS[0]!, 5353, 'UDP', 53)}}`), 1, 'unchecked backends are up');
  reg.setHealth({ snapshot: () => [{ service: `udp:${VIP}:53`, server: `${RS[0]}:5353`, state: 'down', transitions: 1 }] });
  m = parse(await reg.metrics());
  assert.equal(m.get(`fulcrum_backend_up{${bl(RS[0]!, 5353, 'UDP', 53)}}`), 0);
  // The manager forgot RS[1]: its transitions counter keeps its last value.
  assert.equal(m.get(`fulcrum_backend_health_transitions_total{${bl(RS[1]!, 80)}}`), 3);
});

test('GET /metrics: text exposition outside /api/v1, token enforced', async () => {
  const { fake, writer, reg } = setup();
  const app = buildApi({ writer, appliance: fake, token: 'abcdefgh12', metrics: reg });
  const denied = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(denied.statusCode, 401);
  const r = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer abcdefgh12' } });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(r.body, /^node_ipvs_connections_total 60$/m);
  const doc = await app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: { authorization: 'Bearer abcdefgh12' } });
  assert.ok(!('/metrics' in JSON.parse(doc.body).paths), '/metrics is not part of the JSON API description');
  await app.close();
  // Without a registry there is no /metrics route.
  const bare = buildApi({ writer, appliance: fake });
  assert.equal((await bare.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
  await bare.close();
});

function havePromtool(): boolean {
  return spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
}

const isRoot = process.getuid?.() === 0;
if (isRoot && !havePromtool()) {
  // As root (CI) promtool is required: install it rather than skip.
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
    stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000,
  });
}
const PROMTOOL_SKIP = !havePromtool() && !isRoot ? 'promtool not installed (apt-get install prometheus) and not root' : false;

test('promtool check metrics finds no problem', { skip: PROMTOOL_SKIP }, async () => {
  assert.ok(havePromtool(), 'promtool is required as root: apt-get install prometheus (scripts/setup.sh)');
  const { reg, fake } = setup({ health: [{ service: `tcp:${VIP}:80`, server: `${RS[0]}:80`, state: 'up', transitions: 0 }] });
  await reg.metrics();
  fake.tick = 2;
  const text = await reg.metrics();
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `promtool check metrics failed:\n${r.stdout}${r.stderr}`);
  assert.equal((r.stdout + r.stderr).trim(), '', `promtool reported:\n${r.stdout}${r.stderr}`);
});

test('IPv6 and NAT64 backends: labels are the bare addresses, as node_exporter prints them (no brackets)', async () => {
  const VIP6 = '2001:2::100';
  const raw = rawConfig() as { ports: Array<{ addresses: object[] }>; lipPools: Record<string, string[]>; services: unknown[] };
  raw.ports[0]!.addresses.push({ ip: '2001:2::1/64', role: 'dip' }, { ip: `${VIP6}/128`, role: 'vip' });
  raw.ports[1]!.addresses.push({ ip: '2001:2:1::1/64', role: 'dip' }, { ip: '2001:2:1::2/64', role: 'lip' });
  raw.lipPools.default!.push('2001:2:1::2');
  raw.services = [
    { protocol: 'tcp', vip: VIP6, port: 80, scheduler: 'rr', servers: [{ address: '2001:2:1::11', port: 8080, method: 'fullnat' }] },
    // NAT64: IPv4 servers behind the IPv6 VIP.
    { protocol: 'tcp', vip: VIP6, port: 81, scheduler: 'rr', servers: [{ address: RS[0], port: 80, method: 'fullnat' }] },
  ];
  const cfg = validConfig(raw);
  const fake = new MetricsFake();
  fake.tick = 1;
  fake.serverCounters = () => new Map(cfg.services.map((s, k) => [serverKey(s, s.servers[0]!), {
    activeConns: k + 1, inactConns: 0, conns: 10, inPkts: 1, outPkts: 1, inBytes: 1, outBytes: 1,
  }]));
  const writer = new ConfigWriter({ appliance: fake, initial: cfg, stateFile: null });
  const m = parse(await buildMetrics({ appliance: fake, writer }).metrics());
  assert.equal(m.get(`node_ipvs_backend_connections_active{local_address="${VIP6}",local_port="80",remote_address="2001:2:1::11",remote_port="8080",proto="TCP"}`), 1,
    [...m.keys()].filter((k) => k.startsWith('node_ipvs_backend_connections_active')).join('\n'));
  assert.equal(m.get(`node_ipvs_backend_connections_active{local_address="${VIP6}",local_port="81",remote_address="${RS[0]}",remote_port="80",proto="TCP"}`), 2);
  assert.ok(![...m.keys()].some((k) => k.includes('[')), 'no bracketed address in any label');
});
