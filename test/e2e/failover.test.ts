// End-to-end: an active/backup director pair, as LVS runs one. Two Fulcrum
// directors, each with its own real keepalived (appliance/ha/keepalived.conf,
// VRRP on the kernel twin), the IPVS sync daemons running both ways, a
// client and three real servers. While 50 long-lived FULLNAT connections
// exchange a line every 50 ms and an upload runs through the VIP, the
// master's Fulcrum is killed with SIGKILL; later the new master's keepalived
// is stopped; then the same for DR. Every established connection must
// survive each takeover (0 lost, the upload's sha256 intact), and the
// takeover time (the longest wait for an echo) is printed. A director that
// comes back stays backup (nopreempt) and its tables fill by sync before it
// serves again.
//
// Needs root, keepalived and python3; without root it skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, skipUnlessRoot, sleep, startDirector, waitFor, type DirectorHandle, type Spawned } from '../lib/netns';
import { PAIR, pairDirectorConfig, pairTopology, type PairSide, type PairTopology } from '../../src/topology/pair';
import { ECHO_SERVER_PY, HOSTILE_SYNC_PY, MULTI_TALKER_PY, PACED_SENDER_PY, PY } from '../lib/scripts';
import { randomFile, sha256File } from '../lib/files';
import { spawnKeepalived } from '../lib/keepalived';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/failover SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const log = (m: string): void => void process.stderr.write(`[failover] ${m}\n`);
const VIP = PAIR.vip;
const CONNS = 50;
const UPLOAD_MB = 24;
const UPLOAD_RATE = 6e6; // bytes/s: the upload spans the takeover
const ECHO = { fullnat: 7000, dr: 7100 } as const;
const BULK = { fullnat: 5001, dr: 5101 } as const;
const SYNC = { interface: 'servers', syncId: 7 };
// Each director's workers share one CPU (2-core CI machines).
const LCORES: Record<PairSide, string> = { a: '0@(0-1),1@1,2@1', b: '0@(0-1),1@0,2@0' };

function directorConfig(side: PairSide): Record<string, unknown> {
  const servers = (port: number, method: string) => PAIR.realServers.map((a) => ({ address: a, port, weight: 1, method }));
  return pairDirectorConfig(side, {
    dataplane: { workers: [1, 2], lcoreMap: LCORES[side] },
    services: [
      { protocol: 'tcp', vip: VIP, port: ECHO.fullnat, scheduler: 'rr', lipPool: 'default', servers: servers(ECHO.fullnat, 'fullnat') },
      { protocol: 'tcp', vip: VIP, port: BULK.fullnat, scheduler: 'rr', lipPool: 'default', servers: [{ address: PAIR.realServers[0], port: BULK.fullnat, method: 'fullnat' }] },
      { protocol: 'tcp', vip: VIP, port: ECHO.dr, scheduler: 'rr', servers: servers(ECHO.dr, 'dr') },
      { protocol: 'tcp', vip: VIP, port: BULK.dr, scheduler: 'rr', servers: [{ address: PAIR.realServers[1], port: BULK.dr, method: 'dr' }] },
    ],
    ha: { vrrp: {}, sync: { master: SYNC, backup: SYNC } },
  });
}

interface Api {
  get(p: string): Promise<any>;
}

describe('e2e failover of an active/backup pair (keepalived VRRP, IPVS session sync)', { skip: SKIP }, () => {
  let pt: PairTopology;
  let work: string;
  let capture: Spawned | undefined;
  const dirs: Partial<Record<PairSide, DirectorHandle>> = {};
  const kas: Partial<Record<PairSide, Spawned>> = {};
  const cfgPath = (side: PairSide): string => path.join(work, `dir${side}`, 'fulcrum.json');
  const api = (side: PairSide): Api => ({
    async get(p: string) {
      const r = await pt.topo.exec(`dir${side}`, 'curl', ['-s', '--max-time', '3', `http://127.0.0.1:9180/api/v1${p}`], { allowFail: true });
      return JSON.parse(r.stdout || 'null');
    },
  });
  const serving = async (side: PairSide): Promise<boolean | null> => {
    const s = await api(side).get('/sync').catch(() => null);
    const f = s?.floating as { master: boolean }[] | undefined;
    if (!f?.length) return null;
    return f.every((x) => x.master) ? true : f.some((x) => x.master) ? null : false;
  };
  const waitServing = (side: PairSide, want: boolean, ms = 15_000): Promise<true> =>
    waitFor(async () => (await serving(side)) === want || null, ms, { what: `director ${side} ${want ? 'master' : 'backup'} for the floating addresses`, intervalMs: 50 });
  /** Sessions a director installed from its peer's sync messages, all workers. */
  const installed = async (side: PairSide): Promise<number> => {
    const s = await api(side).get('/stats');
    return (s?.workers ?? []).reduce((n: number, w: any) => n + (w.sync?.installed ?? 0), 0);
  };

  const startFulcrum = async (side: PairSide): Promise<void> => {
    dirs[side] = await startDirector(cfgPath(side), { ns: pt.topo.ns(`dir${side}`), timeoutMs: 45_000 });
  };
  const startKeepalived = (side: PairSide): void => {
    const base = fs.readFileSync(path.join(repoRoot(), 'appliance', 'ha', 'keepalived.conf'), 'utf8');
    const conf = side === 'a' ? base : base.replace('priority 150', 'priority 100').replace('router_id fulcrum-a', 'router_id fulcrum-b');
    kas[side] = spawnKeepalived(pt.topo, `dir${side}`, path.join(work, `dir${side}`), conf);
  };
  const stopKeepalived = async (side: PairSide): Promise<void> => {
    await kas[side]?.stop('SIGTERM', 5000);
    kas[side] = undefined;
  };

  const dumpLogs = (): string => (['a', 'b'] as const).map((side) =>
    `--- director ${side} ---\n${dirs[side]?.logs() ?? ''}\n--- keepalived ${side} ---\n${kas[side]?.stdout() ?? ''}${kas[side]?.stderr() ?? ''}`).join('\n');

  /** A killed director back: Fulcrum, then its keepalived (whose interface went with the dataplane: systemd PartOf=fulcrum.service). */
  const comeBack = async (side: PairSide): Promise<void> => {
    await stopKeepalived(side);
    await startFulcrum(side);
    startKeepalived(side);
    await waitServing(side, false);
  };

  before(async () => {
    pt = await pairTopology({ onLeftovers: (n) => log(`removed leftovers: ${n.join(' ')}`) });
    work = fs.mkdtempSync(path.join('/tmp', `${pt.topo.prefix}-failover-`));
    for (const side of ['a', 'b'] as const) {
      fs.mkdirSync(path.join(work, `dir${side}`));
      fs.writeFileSync(cfgPath(side), JSON.stringify(directorConfig(side), null, 2));
    }
    for (const rs of pt.ns.realServers) {
      for (const port of [ECHO.fullnat, ECHO.dr]) pt.topo.spawn(rs, PY, ['-c', ECHO_SERVER_PY, String(port)]);
      // DR: the real servers own the VIP (on lo, never answering ARP for it).
      await pt.topo.exec(rs, 'sh', [path.join(repoRoot(), 'appliance', 'rs', 'setup-dr.sh'), VIP]);
    }
    await startFulcrum('a');
    await startFulcrum('b');
    startKeepalived('a');
    await sleep(300); // A first: with nopreempt, the first master stays master
    startKeepalived('b');
    try {
      await waitServing('a', true);
      await waitServing('b', false);
    } catch (e) {
      log(dumpLogs());
      for (const side of ['a', 'b'] as const) log(`GET /sync on ${side}: ${(await pt.topo.exec(`dir${side}`, 'curl', ['-s', 'http://127.0.0.1:9180/api/v1/sync'], { allowFail: true })).stdout}`);
      throw e;
    }
    await pt.topo.exec('cli', 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', VIP], { allowFail: true, timeoutMs: 10_000 });
    // The sync messages on the wire between the directors, for tshark's IPVS dissector.
    capture = pt.topo.spawn('sws', 'tshark', ['-q', '-i', 'br0', '-f', `udp port 8848 and not src host ${PAIR.realServers[0]}`, '-c', '20000', '-a', 'duration:600', '-w', path.join(work, 'sync.pcap')]);
    await sleep(1000);
  }, { timeout: 180_000 });

  after(async () => {
    for (const side of ['a', 'b'] as const) {
      await stopKeepalived(side).catch(() => undefined);
      await dirs[side]?.stop(10_000).catch(() => undefined);
    }
    await pt?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, { timeout: 60_000 });

  /**
   * Talkers and an upload through `method`'s services while `takeover`
   * moves the VIP from `from` to `to`: all must survive.
   */
  const failover = async (method: 'fullnat' | 'dr', from: PairSide, to: PairSide, what: string,
    takeover: () => Promise<void>): Promise<void> => {
    const rsBulk = method === 'fullnat' ? 'rs1' : 'rs2';
    const out = path.join(work, `upload-${method}-${from}.bin`);
    const sink = pt.topo.spawn(rsBulk, 'socat', ['-u', `TCP4-LISTEN:${BULK[method]},reuseaddr`, `CREATE:${out}`]);
    await waitFor(async () => (await pt.topo.exec(rsBulk, 'ss', ['-Hltn', `sport = :${BULK[method]}`])).stdout.trim() !== '' || null, 10_000,
      { what: 'the upload sink listening' });
    const src = randomFile(work, `src-${method}-${from}.bin`, UPLOAD_MB);
    const before = await installed(to);
    const talk = pt.topo.spawn('cli', PY, ['-c', MULTI_TALKER_PY, VIP, String(ECHO[method]), String(CONNS), '9', '50']);
    await waitFor(() => talk.stdout().includes('connected') || null, 15_000, { what: 'talkers connected' });
    const up = pt.topo.spawn('cli', PY, ['-c', PACED_SENDER_PY, VIP, String(BULK[method]), src.file, String(UPLOAD_RATE)]);
    await waitFor(() => up.stdout().includes('connected') || null, 10_000, { what: 'upload connected' });
    // The backup's tables fill by sync before it has to serve.
    await waitFor(async () => (await installed(to)) - before >= CONNS + 1 || null, 10_000,
      { what: `director ${to} to install the ${CONNS + 1} sessions from ${from}'s sync messages`, intervalMs: 100 })
      .catch(async (e: unknown) => {
        for (const side of [from, to]) {
          const st = await api(side).get('/stats');
          log(`${side}: GET /sync ${JSON.stringify(await api(side).get('/sync'))}; workers' sync ${JSON.stringify((st?.workers ?? []).map((w: any) => w.sync))}`);
        }
        throw e;
      });
    await sleep(1500);
    const t0 = Date.now();
    await takeover();
    await waitServing(to, true, 10_000);
    const served = Date.now() - t0;
    const talkCode = await talk.exited;
    const upCode = await up.exited;
    await sink.exited;
    const line = talk.stdout().split('\n').find((l) => l.startsWith('{'));
    assert.ok(line, `talker printed no result: ${talk.stdout()} ${talk.stderr()}`);
    const r = JSON.parse(line) as { conns: number; ok: number; lines: number; max_gap_ms: number; gap_end: number; errors: string[] };
    log(`${method} ${what}: ${r.ok}/${r.conns} connections survived (${r.lines} lines), upload ${upCode === 0 ? 'complete' : `failed (${upCode})`}; ` +
      `takeover (longest wait for an echo): ${r.max_gap_ms} ms, ending ${((r.gap_end * 1000 - t0) / 1000).toFixed(2)} s after the event; director ${to} serving after ${served} ms`);
    assert.equal(talkCode, 0, talk.stderr());
    assert.equal(r.ok, CONNS, `connections lost: ${JSON.stringify(r.errors)}`);
    assert.equal(upCode, 0, `upload: ${up.stdout()} ${up.stderr()}`);
    assert.equal(sha256File(out), src.sha, 'the upload arrived altered');
    assert.ok(r.max_gap_ms < 3000, `takeover took ${r.max_gap_ms} ms`);
    fs.rmSync(src.file, { force: true });
    fs.rmSync(out, { force: true });
  };

  test('FULLNAT: kill -9 of the master\'s Fulcrum; every connection survives on the backup', { timeout: 90_000 }, async () => {
    await failover('fullnat', 'a', 'b', 'kill -9 of Fulcrum on A', async () => {
      process.kill(dirs.a!.pid!, 'SIGKILL');
      await dirs.a!.exited;
    });
  });

  test('the old master comes back as backup, without breaking the flows, its tables filled by sync', { timeout: 90_000 }, async () => {
    await comeBack('a');
    await sleep(1000);
    assert.equal(await serving('b'), true, 'B stays master (nopreempt)');
  });

  test('FULLNAT: the master\'s keepalived stops; every connection moves back to A', { timeout: 90_000 }, async () => {
    await failover('fullnat', 'b', 'a', 'keepalived stopped on B', () => stopKeepalived('b'));
    startKeepalived('b');
    await waitServing('b', false);
  });

  test('DR: kill -9 of the master\'s Fulcrum; every connection survives on the backup', { timeout: 90_000 }, async () => {
    await failover('dr', 'a', 'b', 'kill -9 of Fulcrum on A', async () => {
      process.kill(dirs.a!.pid!, 'SIGKILL');
      await dirs.a!.exited;
    });
  });

  test('hostile sync messages from a third host are counted and refused; the backup keeps serving its peer', { timeout: 60_000 }, async () => {
    await comeBack('a');
    const backup: PairSide = 'a';
    const before = (await api(backup).get('/sync')).stats;
    await pt.topo.exec('rs1', PY, ['-c', HOSTILE_SYNC_PY, PAIR.realServers[0]]);
    await sleep(500);
    const after = (await api(backup).get('/sync')).stats;
    const grew = (k: string): number => after.msgsRefused[k] - before.msgsRefused[k];
    log(`hostile sync messages refused by ${backup}: ${JSON.stringify(Object.fromEntries(Object.keys(after.msgsRefused).map((k) => [k, grew(k)])))}, invalid conns +${after.connsInvalid - before.connsInvalid}`);
    assert.ok(grew('bad_length') >= 100, 'short and mis-sized messages');
    assert.equal(grew('other_syncid'), 20);
    assert.equal(grew('bad_version'), 20);
    assert.equal(grew('bad_conn'), 20);
    assert.equal(after.connsInvalid - before.connsInvalid, 20, 'TCP states IPVS does not have');
    assert.equal(await serving(backup), false, 'still up, still backup');
  });

  test('tshark decodes the sync messages as IPVS sync protocol v1, fields as sent', { timeout: 60_000 }, async () => {
    await capture!.stop('SIGINT', 5000);
    const fields = ['ipvs.syncid', 'ipvs.conncount', 'ipvs.version', 'ipvs.proto', 'ipvs.caddr', 'ipvs.vaddr', 'ipvs.daddr', 'ipvs.vport',
      'ipvs.state', 'ipvs.flags.v1', 'ipvs.timeout', 'ip.dst'];
    const r = await pt.topo.exec('sws', 'tshark', ['-r', path.join(work, 'sync.pcap'), '-T', 'fields', '-E', 'separator=;', '-E', 'aggregator=,',
      ...fields.flatMap((f) => ['-e', f])]);
    const msgs = r.stdout.trim().split('\n').filter(Boolean).map((l) => {
      const m = Object.fromEntries(l.split(';').map((v, i) => [fields[i], v.split(',')])) as Record<string, string[]>;
      return { m, conn: (i: number) => Object.fromEntries(fields.map((f) => [f, m[f]![i]])) as Record<string, string> };
    });
    assert.ok(msgs.length >= 20, `tshark decoded ${msgs.length} sync messages: ${r.stderr.slice(0, 500)}`);
    let fullnat = 0, dr = 0, drConns = 0;
    for (const { m, conn } of msgs) {
      assert.equal(m['ipvs.syncid']![0], '7');
      assert.equal(m['ipvs.version']![0], '1');
      assert.equal(m['ip.dst']![0], '224.0.0.81');
      // tshark reads 36 bytes per connection and skips no option: past a
      // FULLNAT connection (which carries Fulcrum's options) it reads the
      // options as the next one. The first is always where it looks.
      const c = conn(0);
      assert.equal(c['ipvs.caddr'], PAIR.client);
      assert.equal(c['ipvs.vaddr'], VIP);
      assert.ok((PAIR.realServers as readonly string[]).includes(c['ipvs.daddr']!), c['ipvs.daddr']);
      assert.equal(c['ipvs.proto'], '0x06');
      const fwd = Number(c['ipvs.flags.v1']) & 7;
      if (fwd === 5) {
        fullnat++;
        if (Number(c['ipvs.state']) === 1) assert.equal(c['ipvs.timeout'], '900', 'ESTABLISHED: its timeout');
      } else {
        assert.equal(fwd, 3, `forwarding code ${c['ipvs.flags.v1']}`);
        assert.equal(Number(c['ipvs.flags.v1']) & 0x80, 0x80, 'DR: no output packets');
        // A DR connection has no options: the whole message decodes.
        if ([...Array(Number(m['ipvs.conncount']![0])).keys()].every((i) => (Number(conn(i)['ipvs.flags.v1']) & 7) === 3)) {
          dr++;
          for (let i = 0; i < Number(m['ipvs.conncount']![0]); i++) {
            assert.equal(conn(i)['ipvs.caddr'], PAIR.client);
            assert.ok([String(ECHO.dr), String(BULK.dr)].includes(conn(i)['ipvs.vport']!), conn(i)['ipvs.vport']);
            drConns++;
          }
        }
      }
    }
    log(`tshark: ${msgs.length} sync messages decoded (first connection: ${fullnat} FULLNAT, ${msgs.length - fullnat} DR; ${dr} DR messages whole, ${drConns} connections)`);
    assert.ok(fullnat >= 10 && dr >= 5 && drConns >= CONNS, 'both methods seen');
  });
});
