// End-to-end: scale-out behind an ECMP router, as Katran and LVS-at-scale
// sites run it. A router runs BIRD 2 with appliance/bgp/bird.conf; two
// Fulcrum directors each run ExaBGP with appliance/bgp/exabgp.conf, driven
// by `fulcrum announce`, and announce the same VIP. The router's kernel
// spreads the client's flows over the directors by a 5-tuple hash; every
// director serves a DR service with Maglev hashing (mh, mh-port) and
// sloppyTcp, and a FULLNAT one with a LIP of its own.
//
// Shown here: the spread (each director's own counters); a director drained
// (`fulcrum announce --disable`), announced again and killed with SIGKILL,
// each time with the time its VIP took to leave or rejoin the router's
// kernel route; the DR flows the router moved to another director keep
// their real server (0 broken, counted by the client's port). Moved FULLNAT
// flows break without session sync (counted; the flows that stayed must
// not); then, active/active (each director VRRP master of its own LIP, sync
// both ways), the same three events must break none of them.
//
// Needs root, BIRD 2, ExaBGP and python3; without root it skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, skipUnlessRoot, sleep, startDirector, waitFor, type DirectorHandle, type Spawned } from '../lib/netns';
import { FULCRUM_CLI } from '../../src/topology/director';
import { PAIR, pairDirectorConfig, pairTopology, type PairSide, type PairTopology } from '../../src/topology/pair';
import { ECHO_SERVER_PY, MULTI_TALKER_PY, PY } from '../lib/scripts';
import { run } from '../../src/topology/exec';
import { spawnKeepalived } from '../lib/keepalived';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/ecmp SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const log = (m: string): void => void process.stderr.write(`[ecmp] ${m}\n`);
const VIP = PAIR.vip;
const SIDES = ['a', 'b'] as const;
const PORT = { dr: 7200, fullnat: 7300 } as const;
const LIP: Record<PairSide, string> = { a: PAIR.lip, b: '198.19.0.4' };
const CONNS = 60;
const BIRD_CONF = path.join(repoRoot(), 'appliance', 'bgp', 'bird.conf');
const EXABGP_CONF = path.join(repoRoot(), 'appliance', 'bgp', 'exabgp.conf');
const KEEPALIVED_CONF = path.join(repoRoot(), 'appliance', 'ha', 'keepalived-active-active.conf');
const SYNC = { interface: 'servers', syncId: 9 };
/** The hold time the router's config sets: a silent director leaves the route after it. */
const HOLD_S = Number(/hold time (\d+);/.exec(fs.readFileSync(BIRD_CONF, 'utf8'))?.[1]);
// Each director's workers share one CPU (2-core CI machines).
const LCORES: Record<PairSide, string> = { a: '0@(0-1),1@1,2@1', b: '0@(0-1),1@0,2@0' };

function directorConfig(side: PairSide): Record<string, unknown> {
  const servers = (port: number, method: string) => PAIR.realServers.map((a) => ({ address: a, port, weight: 1, method }));
  const cfg = pairDirectorConfig(side, {
    dataplane: { workers: [1, 2], lcoreMap: LCORES[side] },
    // The client is behind the router.
    routes: [{ to: PAIR.upstream.net, via: PAIR.router.client }],
    // A flow the router moves here arrives mid-stream.
    sloppyTcp: true,
    // Both LIPs, each VRRP master on its own director (active/active FULLNAT).
    lipPools: { default: [LIP.a, LIP.b] },
    ha: { vrrp: { floating: ['lip'] } },
    services: [
      { protocol: 'tcp', vip: VIP, port: PORT.dr, scheduler: 'mh', schedFlags: ['mh-port'], servers: servers(PORT.dr, 'dr') },
      { protocol: 'tcp', vip: VIP, port: PORT.fullnat, scheduler: 'mh', schedFlags: ['mh-port'], lipPool: 'default', servers: servers(PORT.fullnat, 'fullnat') },
    ],
  }) as { ports: { addresses: { ip: string; role: string }[] }[] };
  for (const p of cfg.ports) {
    const i = p.addresses.findIndex((a) => a.role === 'lip');
    if (i >= 0) p.addresses.splice(i, 1, { ip: `${LIP.a}/24`, role: 'lip' }, { ip: `${LIP.b}/24`, role: 'lip' });
  }
  return cfg as unknown as Record<string, unknown>;
}

/** appliance/bgp/exabgp.conf for `side`, the announcer run from this checkout, its drain file in `dir`. */
function exabgpConfig(side: PairSide, dir: string): string {
  let conf = fs.readFileSync(EXABGP_CONF, 'utf8');
  const edits: Array<[RegExp, string]> = [
    [/\/usr\/bin\/env fulcrum announce/g, `${process.execPath} ${FULCRUM_CLI} announce`],
    [/\/run\/fulcrum\/drain/g, path.join(dir, 'drain')],
    [new RegExp(`\\b${PAIR.directors.a.clientDip.replaceAll('.', '\\.')}\\b`, 'g'), PAIR.directors[side].clientDip],
  ];
  for (const [re, to] of edits) {
    assert.match(conf, re, `appliance/bgp/exabgp.conf no longer has ${re}`);
    conf = conf.replace(re, to);
  }
  return conf;
}

/** appliance/ha/keepalived-active-active.conf for `side` (B: the priorities swapped). */
function keepalivedConfig(side: PairSide): string {
  const conf = fs.readFileSync(KEEPALIVED_CONF, 'utf8');
  if (side === 'a') return conf;
  assert.match(conf, /priority 150[\s\S]*priority 100/, 'keepalived-active-active.conf: A is master of the first LIP');
  return conf.replace('priority 150', 'priority @').replace('priority 100', 'priority 150').replace('priority @', 'priority 100')
    .replace('router_id fulcrum-a', 'router_id fulcrum-b');
}

interface TalkResult { conns: number; ok: number; lines: number; max_gap_ms: number; errors: string[]; by_port: Record<string, true | string> }

describe('e2e scale-out behind an ECMP router (BIRD 2, ExaBGP driven by fulcrum announce)', { skip: SKIP }, () => {
  let pt: PairTopology;
  let work: string;
  let bird: Spawned | undefined;
  const dirs: Partial<Record<PairSide, DirectorHandle>> = {};
  const exabgp: Partial<Record<PairSide, Spawned>> = {};
  const dirOf = (side: PairSide): string => path.join(work, `dir${side}`);
  const cfgPath = (side: PairSide): string => path.join(dirOf(side), 'fulcrum.json');
  const drainFile = (side: PairSide): string => path.join(dirOf(side), 'drain');
  const api = async (side: PairSide, p: string): Promise<any> => {
    const r = await pt.topo.exec(`dir${side}`, 'curl', ['-s', '--max-time', '3', `http://127.0.0.1:9180/api/v1${p}`], { allowFail: true });
    return JSON.parse(r.stdout || 'null');
  };
  /** The router's kernel route to the VIP: its next hops (director DIPs), [] if none. */
  const nextHops = async (): Promise<string[]> => {
    const r = await pt.topo.exec('rtr', 'ip', ['-j', 'route', 'show', `${VIP}/32`]);
    const routes = JSON.parse(r.stdout || '[]') as { gateway?: string; nexthops?: { gateway: string }[] }[];
    return routes.flatMap((x) => (x.nexthops ? x.nexthops.map((n) => n.gateway) : x.gateway ? [x.gateway] : [])).sort();
  };
  const dipsOf = (sides: readonly PairSide[]): string[] => sides.map((s) => PAIR.directors[s].clientDip).sort();
  /** Wait until the route's next hops are `sides`' DIPs; the time it took from `t0`. */
  const routeBecomes = async (sides: readonly PairSide[], t0: number, ms: number): Promise<number> => {
    const want = JSON.stringify(dipsOf(sides));
    await waitFor(async () => JSON.stringify(await nextHops()) === want || null, ms,
      { what: `the router's route to ${VIP} via ${sides.join(' and ')}`, intervalMs: 20 });
    return Date.now() - t0;
  };
  /** Client ports of `side`'s sessions on a service (`live`: established ones only, not those earlier tests left). */
  const clientPorts = async (side: PairSide, port: number, live = true): Promise<Set<string>> => {
    const r = await api(side, `/sessions?service=tcp:${VIP}:${port}&limit=10000`);
    // Only sessions this director forwarded packets of: with sync, it also
    // holds its peer's, idle until a flow moves here.
    return new Set(((r?.sessions ?? []) as { client: string; state: string; packets: number }[])
      .filter((s) => s.client.startsWith(`${PAIR.upstream.client}:`) && s.packets > 0 && (!live || s.state === 'ESTABLISHED')).map((s) => s.client.split(':')[1]!));
  };
  /** A service's connections counter on `side` (ipvsadm --stats "Conns"). */
  const conns = async (side: PairSide, port: number): Promise<number> => {
    const st = await api(side, '/stats');
    return (st?.services ?? []).find((s: any) => s.id === `tcp:${VIP}:${port}`)?.conns ?? 0;
  };

  const startExabgp = (side: PairSide): void => {
    const conf = path.join(dirOf(side), 'exabgp.conf');
    fs.writeFileSync(conf, exabgpConfig(side, dirOf(side)));
    exabgp[side] = pt.topo.spawn(`dir${side}`, 'exabgp', [conf], {
      cwd: dirOf(side),
      env: {
        ...process.env,
        // Root here (no user to drop to), logs on stdout, no CLI pipe, and no
        // acknowledgements to the announcer (it does not read them).
        exabgp_daemon_user: 'root', exabgp_daemon_drop: 'false', exabgp_log_destination: 'stdout',
        exabgp_api_cli: 'false', exabgp_api_ack: 'false',
      },
    });
  };
  const stopExabgp = async (side: PairSide): Promise<void> => {
    await exabgp[side]?.stop('SIGTERM', 5000);
    exabgp[side] = undefined;
  };
  const keepalived: Partial<Record<PairSide, Spawned>> = {};
  const startKeepalived = (side: PairSide): void => {
    keepalived[side] = spawnKeepalived(pt.topo, `dir${side}`, dirOf(side), keepalivedConfig(side));
  };
  const stopKeepalived = async (side: PairSide): Promise<void> => {
    await keepalived[side]?.stop('SIGTERM', 5000);
    keepalived[side] = undefined;
  };
  /** The LIPs each director serves (VRRP master), and what its twin holds. */
  const lipState = async (): Promise<Record<PairSide, { master: string[]; twin: string }>> => {
    const out = {} as Record<PairSide, { master: string[]; twin: string }>;
    for (const side of SIDES) {
      const f = ((await api(side, '/sync'))?.floating ?? []) as { ip: string; master: boolean }[];
      const twin = await pt.topo.exec(`dir${side}`, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'fl-servers'], { allowFail: true });
      out[side] = { master: f.filter((x) => x.master).map((x) => x.ip), twin: twin.stdout.match(/inet \S+/g)?.join(' ') ?? twin.stderr.trim() };
    }
    return out;
  };
  /** Each director master for its own LIP only (VRRP by keepalived). */
  const ownLips = async (): Promise<void> => {
    try {
      await waitFor(async () => {
        const st = await lipState();
        return SIDES.every((side) => JSON.stringify(st[side].master) === JSON.stringify([LIP[side]])) || null;
      }, 20_000, { what: 'each director VRRP master of its own LIP', intervalMs: 50 });
    } catch (e) {
      // CI shows only the end of the output: the state and keepalived's last words go in the message.
      const tail = (s: string): string => s.trim().split('\n').slice(-12).join('\n    ');
      throw new Error(`${(e as Error).message}\n  LIPs now: ${JSON.stringify(await lipState())}\n` +
        SIDES.map((side) => `  keepalived ${side}:\n    ${tail(keepalived[side]?.stdout() ?? '')}${tail(keepalived[side]?.stderr() ?? '')}`).join('\n'));
    }
  };
  const dumpLogs = async (): Promise<string> => {
    const birdc = await pt.topo.exec('rtr', 'birdc', ['-s', path.join(work, 'bird.sock'), 'show', 'protocols', 'all'], { allowFail: true });
    return `--- bird ---\n${bird?.stderr() ?? ''}\n${birdc.stdout}\n` + SIDES.map((s) =>
      `--- director ${s} ---\n${dirs[s]?.logs() ?? ''}\n--- keepalived ${s} ---\n${keepalived[s]?.stdout() ?? ''}\n--- exabgp ${s} ---\n${exabgp[s]?.stdout() ?? ''}${exabgp[s]?.stderr() ?? ''}`).join('\n');
  };

  before(async () => {
    for (const bin of ['bird', 'birdc', 'exabgp']) {
      const r = await run('sh', ['-c', `command -v ${bin}`], { allowFail: true });
      assert.equal(r.code, 0, `${bin} is not installed (scripts/setup.sh installs bird2 and exabgp)`);
    }
    assert.ok(HOLD_S >= 3, 'appliance/bgp/bird.conf sets a hold time');
    pt = await pairTopology({ clientBehindRouter: true, onLeftovers: (n) => log(`removed leftovers: ${n.join(' ')}`) });
    work = fs.mkdtempSync(path.join('/tmp', `${pt.topo.prefix}-ecmp-`));
    // The router: forwarding, a 5-tuple ECMP hash, and no reverse-path check
    // (DR replies come from the VIP, which it routes towards the directors).
    for (const [k, v] of [['net.ipv4.fib_multipath_hash_policy', '1'], ['net.ipv4.conf.all.rp_filter', '0'], ['net.ipv4.conf.default.rp_filter', '0']]) {
      await pt.topo.sysctl('rtr', k!, v!);
    }
    for (const i of ['eth0', 'eth1', 'eth2']) await pt.topo.sysctl('rtr', `net.ipv4.conf.${i}.rp_filter`, '0');
    for (const side of SIDES) {
      fs.mkdirSync(dirOf(side));
      fs.writeFileSync(cfgPath(side), JSON.stringify(directorConfig(side), null, 2));
    }
    for (const rs of pt.ns.realServers) {
      for (const port of Object.values(PORT)) pt.topo.spawn(rs, PY, ['-c', ECHO_SERVER_PY, String(port)]);
      await pt.topo.exec(rs, 'sh', [path.join(repoRoot(), 'appliance', 'rs', 'setup-dr.sh'), VIP]);
    }
    bird = pt.topo.spawn('rtr', 'bird', ['-f', '-c', BIRD_CONF, '-s', path.join(work, 'bird.sock'), '-P', path.join(work, 'bird.pid')]);
    for (const side of SIDES) dirs[side] = await startDirector(cfgPath(side), { ns: pt.topo.ns(`dir${side}`), timeoutMs: 45_000 });
    for (const side of SIDES) startKeepalived(side);
    const t0 = Date.now();
    for (const side of SIDES) startExabgp(side);
    try {
      await ownLips();
      const ms = await routeBecomes(SIDES, t0, 30_000);
      log(`BGP up: the router routes ${VIP} via ${dipsOf(SIDES).join(' and ')} (${ms} ms after ExaBGP started)`);
    } catch (e) {
      log(await dumpLogs());
      throw e;
    }
  }, { timeout: 180_000 });

  after(async () => {
    for (const side of SIDES) {
      await stopExabgp(side).catch(() => undefined);
      await stopKeepalived(side).catch(() => undefined);
      await dirs[side]?.stop(10_000).catch(() => undefined);
    }
    await bird?.stop('SIGTERM', 5000).catch(() => undefined);
    await pt?.destroy();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, { timeout: 60_000 });

  /** Talkers on the DR and the FULLNAT service for `secs`; `event` runs once they exchange lines. */
  const talkThrough = async (secs: number, stallS: number, event: () => Promise<void>): Promise<Record<'dr' | 'fullnat', TalkResult>> => {
    const talk = (port: number): Spawned => pt.topo.spawn('cli', PY, ['-c', MULTI_TALKER_PY, VIP, String(port), String(CONNS), String(secs), '50', String(stallS)]);
    const t = { dr: talk(PORT.dr), fullnat: talk(PORT.fullnat) };
    await waitFor(() => (t.dr.stdout().includes('connected') && t.fullnat.stdout().includes('connected')) || null, 20_000, { what: 'talkers connected' });
    await sleep(1000);
    await event();
    const out = {} as Record<'dr' | 'fullnat', TalkResult>;
    for (const m of ['dr', 'fullnat'] as const) {
      assert.equal(await t[m].exited, 0, t[m].stderr());
      const line = t[m].stdout().split('\n').find((l) => l.startsWith('{'));
      assert.ok(line, `talker printed no result: ${t[m].stdout()} ${t[m].stderr()}`);
      out[m] = JSON.parse(line) as TalkResult;
    }
    return out;
  };
  /** Of the connections whose client port is in `moved`: how many, and which broke. */
  const fate = (r: TalkResult, moved: Set<string>): { moved: number; broken: string[] } => {
    const mine = [...moved].filter((p) => p in r.by_port);
    return { moved: mine.length, broken: mine.filter((p) => r.by_port[p] !== true).map((p) => `${p}: ${r.by_port[p]}`) };
  };
  const stayed = (r: TalkResult, moved: Set<string>): string[] =>
    Object.entries(r.by_port).filter(([p, v]) => !moved.has(p) && v !== true).map(([p, v]) => `${p}: ${v}`);

  test('the router spreads client flows over both directors (their own counters)', { timeout: 60_000 }, async () => {
    const before = { a: { dr: await conns('a', PORT.dr), fullnat: await conns('a', PORT.fullnat) }, b: { dr: await conns('b', PORT.dr), fullnat: await conns('b', PORT.fullnat) } };
    const r = await talkThrough(3, 5, async () => undefined);
    const got = { a: { dr: await conns('a', PORT.dr) - before.a.dr, fullnat: await conns('a', PORT.fullnat) - before.a.fullnat },
      b: { dr: await conns('b', PORT.dr) - before.b.dr, fullnat: await conns('b', PORT.fullnat) - before.b.fullnat } };
    log(`spread of ${CONNS} DR and ${CONNS} FULLNAT connections: director a ${got.a.dr} DR + ${got.a.fullnat} FULLNAT, director b ${got.b.dr} DR + ${got.b.fullnat} FULLNAT`);
    for (const m of ['dr', 'fullnat'] as const) {
      assert.equal(r[m].ok, CONNS, `${m}: ${JSON.stringify(r[m].errors)}`);
      assert.equal(got.a[m] + got.b[m], CONNS, `${m}: each connection counted once, on one director`);
      // Binomial(60, 1/2): fewer than 10 on one side has odds below 1e-8.
      for (const side of SIDES) assert.ok(got[side][m] >= 10, `${m}: director ${side} got ${got[side][m]} of ${CONNS}`);
    }
  });

  /**
   * While talkers run, `event` takes director `from` out (or puts it back);
   * the flows the router moves keep their DR real server.
   */
  const moveTest = async (what: string, from: PairSide, event: () => Promise<void>, routeAfter: readonly PairSide[], withinMs: number,
    movedSide: 'leaving' | 'joining', stallS: number, synced = false): Promise<void> => {
    const to: PairSide = from === 'a' ? 'b' : 'a';
    // The flows on the director they leave (before a withdrawal), or on the
    // one that had them all (before a director joins).
    const src: PairSide = movedSide === 'leaving' ? from : to;
    let seen = { dr: new Set<string>(), fullnat: new Set<string>() };
    let took = 0;
    const r = await talkThrough(movedSide === 'leaving' ? 12 : 8, stallS, async () => {
      seen = { dr: await clientPorts(src, PORT.dr), fullnat: await clientPorts(src, PORT.fullnat) };
      const t0 = Date.now();
      await event();
      took = await routeBecomes(routeAfter, t0, withinMs + 5000);
    });
    // Where the flows are now: a moved DR flow has a session on the director
    // the router sent it to (sloppyTcp opened it mid-stream).
    const dest: PairSide = movedSide === 'leaving' ? to : from;
    // (Closed by now: the talkers have hung up.)
    const there = { dr: await clientPorts(dest, PORT.dr, false), fullnat: await clientPorts(dest, PORT.fullnat, false) };
    const movedDr = movedSide === 'leaving' ? seen.dr : new Set([...seen.dr].filter((p) => there.dr.has(p)));
    const movedFn = movedSide === 'leaving' ? seen.fullnat : new Set([...seen.fullnat].filter((p) => there.fullnat.has(p)));
    const missing = [...movedDr].filter((p) => p in r.dr.by_port && !there.dr.has(p));
    assert.deepEqual(missing, [], `moved DR flows with no session on director ${dest}`);
    const dr = fate(r.dr, movedDr);
    const fn = fate(r.fullnat, movedFn);
    log(`${what}: route ${movedSide === 'leaving' ? 'lost' : 'regained'} director ${from} in ${took} ms (hold time ${HOLD_S} s); ` +
      `DR: ${dr.moved} flows moved, ${dr.broken.length} broken, ${r.dr.ok}/${CONNS} survived, longest wait ${r.dr.max_gap_ms} ms; ` +
      `FULLNAT: ${fn.moved} flows moved, ${fn.broken.length} broken (${synced ? 'sessions synced' : 'no session sync'}), ${r.fullnat.ok}/${CONNS} survived`);
    assert.ok(took <= withinMs, `${what}: the route took ${took} ms to follow (at most ${withinMs} ms)`);
    assert.ok(dr.moved >= 5, `${what}: only ${dr.moved} DR flows moved`);
    assert.deepEqual(dr.broken, [], `${what}: moved DR flows broke`);
    assert.deepEqual(stayed(r.dr, movedDr), [], `${what}: DR flows that stayed broke`);
    assert.deepEqual(stayed(r.fullnat, movedFn), [], `${what}: FULLNAT flows that stayed broke`);
    if (synced) {
      assert.ok(fn.moved >= 5, `${what}: only ${fn.moved} FULLNAT flows moved`);
      assert.deepEqual(fn.broken, [], `${what}: moved FULLNAT flows broke, though their sessions were synced`);
    }
  };

  test('drained (fulcrum announce --disable): the VIP leaves the route at once; moved DR flows keep their real server', { timeout: 90_000 }, async () => {
    await moveTest('director a drained', 'a', async () => fs.writeFileSync(drainFile('a'), ''), ['b'], HOLD_S * 1000, 'leaving', 5);
  });

  test('announced again (drain file removed): the VIP rejoins; the flows that move back keep their real server', { timeout: 90_000 }, async () => {
    await moveTest('director a announced again', 'a', async () => fs.rmSync(drainFile('a')), SIDES, HOLD_S * 1000, 'joining', 5);
  });

  test('kill -9 of a director: its VIP leaves the route within the hold time; moved DR flows keep their real server', { timeout: 120_000 }, async () => {
    // The blackhole lasts until the hold timer runs out: the talkers wait longer than TCP's retries take.
    await moveTest('director a killed', 'a', async () => {
      process.kill(dirs.a!.pid!, 'SIGKILL');
      await dirs.a!.exited;
    }, ['b'], HOLD_S * 1000 + 1000, 'leaving', 25);
  });

  test('the killed director comes back: BGP, its LIP (VRRP preempts) and its share of new flows', { timeout: 120_000 }, async () => {
    await stopExabgp('a');
    await stopKeepalived('a'); // its interface went with the dataplane
    dirs.a = await startDirector(cfgPath('a'), { ns: pt.topo.ns('dira'), timeoutMs: 45_000 });
    startKeepalived('a');
    const t0 = Date.now();
    startExabgp('a');
    try {
      await ownLips();
      log(`director a back: route via both after ${await routeBecomes(SIDES, t0, 30_000)} ms`);
    } catch (e) {
      log(await dumpLogs());
      throw e;
    }
  });

  test('active/active: the IPVS sync daemons run both ways on both directors', { timeout: 60_000 }, async () => {
    for (const side of SIDES) {
      for (const state of ['master', 'backup']) {
        const r = await pt.topo.exec(`dir${side}`, 'curl', ['-s', '-X', 'PUT', '-H', 'content-type: application/json', '--data', JSON.stringify(SYNC),
          `http://127.0.0.1:9180/api/v1/sync/daemons/${state}`]);
        assert.equal((JSON.parse(r.stdout) as { daemons: unknown[] }).daemons.length >= 1, true, r.stdout);
      }
    }
    const installed = async (side: PairSide): Promise<number> =>
      ((await api(side, '/stats'))?.workers ?? []).reduce((n: number, w: any) => n + (w.sync?.installed ?? 0), 0);
    const before = { a: await installed('a'), b: await installed('b') };
    await talkThrough(2, 5, async () => undefined);
    const got = { a: (await installed('a')) - before.a, b: (await installed('b')) - before.b };
    log(`sessions installed from the peer's sync messages: a ${got.a}, b ${got.b}`);
    for (const side of SIDES) assert.ok(got[side] >= 20, `director ${side} installed ${got[side]} sessions from its peer`);
  });

  test('active/active, drained: moved FULLNAT flows keep their session (synced, the peer\'s LIP) and survive', { timeout: 90_000 }, async () => {
    await moveTest('director a drained, sync on', 'a', async () => fs.writeFileSync(drainFile('a'), ''), ['b'], HOLD_S * 1000, 'leaving', 5, true);
  });

  test('active/active, announced again: the FULLNAT flows that move back survive', { timeout: 90_000 }, async () => {
    await moveTest('director a announced again, sync on', 'a', async () => fs.rmSync(drainFile('a')), SIDES, HOLD_S * 1000, 'joining', 5, true);
  });

  test('active/active, kill -9: the survivor takes the dead director\'s LIP (VRRP) and its FULLNAT flows survive', { timeout: 120_000 }, async () => {
    await moveTest('director a killed, sync on', 'a', async () => {
      process.kill(dirs.a!.pid!, 'SIGKILL');
      await dirs.a!.exited;
    }, ['b'], HOLD_S * 1000 + 1000, 'leaving', 25, true);
  });
});
