import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CheckState, type CheckTiming } from '../../src/health/state';
import { httpCheck, miscCheck, probeSource, statusMatches, tcpCheck, type ProbeSpec } from '../../src/health/checkers';
import { HealthManager, type Timers } from '../../src/health/manager';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import { ConfigWriter } from '../../src/lb/writer';
import { buildApi } from '../../src/api/server';
import { FakeAppliance, rawConfig, tmpDir, validConfig } from './api-fixtures';

const T = (o: Partial<CheckTiming> = {}): CheckTiming => ({
  delayLoop: 6, retry: 1, delayBeforeRetry: 1, rise: 1, fall: 1, alpha: false, ...o,
});
const OK = { ok: true };
const FAIL = { ok: false, error: 'connect timeout' };

// ------------------------------------------------------------------ state machine

describe('health state machine (fake time)', () => {
  it('starts UP; a round fails only after `retry` retries spaced by delayBeforeRetry', () => {
    const s = new CheckState(T({ retry: 2, delayBeforeRetry: 3 }), 0);
    assert.equal(s.state, 'UP');
    assert.equal(s.firstProbeAt(0), 0);
    let o = s.record(FAIL, 0);
    assert.deepEqual([o.next, o.transition, o.retrying], [3000, undefined, true]);
    o = s.record(FAIL, 3000);
    assert.deepEqual([o.next, o.transition, o.retrying], [6000, undefined, true]);
    o = s.record(FAIL, 6000);
    assert.equal(o.next, 12000, 'next round after delayLoop');
    assert.deepEqual(o.transition, { from: 'UP', to: 'DOWN', reason: 'connect timeout' });
    assert.equal(s.state, 'DOWN');
    assert.equal(s.since, 6000);
    assert.deepEqual([s.checks, s.failures, s.transitions, s.lastError], [3, 3, 1, 'connect timeout']);
  });

  it('a success on a retry ends the round as a success', () => {
    const s = new CheckState(T({ retry: 1 }), 0);
    s.record(FAIL, 0);
    const o = s.record(OK, 1000);
    assert.equal(o.transition, undefined);
    assert.equal(o.next, 7000);
    // the retry counter restarted: the next round again needs retry+1 failures
    assert.equal(s.record(FAIL, 7000).transition, undefined);
    assert.equal(s.record(FAIL, 8000).transition?.to, 'DOWN');
  });

  it('fall and rise count whole rounds in a row', () => {
    const s = new CheckState(T({ retry: 0, fall: 3, rise: 2 }), 0);
    assert.equal(s.record(FAIL, 0).transition, undefined);
    assert.equal(s.record(FAIL, 6000).transition, undefined);
    assert.equal(s.record(OK, 12000).transition, undefined); // resets the fall count
    assert.equal(s.record(FAIL, 18000).transition, undefined);
    assert.equal(s.record(FAIL, 24000).transition, undefined);
    assert.equal(s.record(FAIL, 30000).transition?.to, 'DOWN');
    assert.equal(s.record(OK, 36000).transition, undefined);
    assert.equal(s.record(FAIL, 42000).transition, undefined); // resets the rise count
    assert.equal(s.record(OK, 48000).transition, undefined);
    const up = s.record(OK, 54000).transition;
    assert.deepEqual(up, { from: 'DOWN', to: 'UP', reason: '2 checks succeeded' });
    assert.equal(s.transitions, 2);
  });

  it('alpha: starts DOWN until a check succeeds', () => {
    const s = new CheckState(T({ alpha: true }), 5);
    assert.equal(s.state, 'DOWN');
    assert.deepEqual(s.record(OK, 10).transition, { from: 'DOWN', to: 'UP', reason: 'check succeeded' });
  });

  it('misc_dynamic weight changes are reported while UP', () => {
    const s = new CheckState(T(), 0);
    assert.equal(s.record({ ok: true, weight: 3 }, 0).weightChanged, true);
    assert.equal(s.record({ ok: true, weight: 3 }, 6000).weightChanged, undefined);
    assert.equal(s.weight, 3);
  });
});

// ------------------------------------------------------------------ checkers

describe('checkers against local servers', () => {
  const servers: (net.Server | http.Server)[] = [];
  after(() => {
    for (const s of servers) s.close();
  });
  const listen = async (s: net.Server | http.Server): Promise<number> => {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as AddressInfo).port;
  };
  const BODY = 'hello fulcrum\n';
  const MD5 = crypto.createHash('md5').update(BODY).digest('hex');
  let seenHost = '';

  it('TCP_CHECK: connected = up; refused = down', async () => {
    const port = await listen(net.createServer((c) => c.destroy()));
    assert.deepEqual(await tcpCheck({ type: 'tcp', address: '127.0.0.1', port, timeoutMs: 1000 }), { ok: true });
    const closed = net.createServer();
    const p2 = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    assert.deepEqual(await tcpCheck({ type: 'tcp', address: '127.0.0.1', port: p2, timeoutMs: 1000 }), { ok: false, error: 'connection refused' });
  });

  it('TCP_CHECK: localAddress is the source of the probe', async () => {
    let from = '';
    const port = await listen(net.createServer((c) => {
      from = c.remoteAddress ?? '';
      c.destroy();
    }));
    assert.equal((await tcpCheck({ type: 'tcp', address: '127.0.0.1', port, timeoutMs: 1000, localAddress: '127.0.0.2' })).ok, true);
    assert.match(from, /127\.0\.0\.2$/);
  });

  it('HTTP_GET: status ranges, digest of the body, host header', async () => {
    const port = await listen(http.createServer((req, res) => {
      seenHost = req.headers.host ?? '';
      if (req.url === '/ok') res.end(BODY);
      else if (req.url === '/moved') res.writeHead(301).end();
      else res.writeHead(500).end('boom');
    }));
    const base = { type: 'http' as const, address: '127.0.0.1', port, timeoutMs: 1000, tls: false };
    assert.deepEqual(await httpCheck({ ...base, urls: [{ path: '/ok', statusCodes: ['200-299'] }] }), { ok: true });
    assert.equal(seenHost, `127.0.0.1:${port}`);
    assert.deepEqual(await httpCheck({ ...base, urls: [{ path: '/fail', statusCodes: ['200-299'] }] }), { ok: false, error: 'status 500' });
    assert.deepEqual(await httpCheck({ ...base, urls: [{ path: '/moved', statusCodes: ['200', '301'] }] }), { ok: true });
    assert.deepEqual(await httpCheck({ ...base, urls: [{ path: '/ok', statusCodes: ['200'], digest: MD5 }], host: 'www.example.net' }), { ok: true });
    assert.equal(seenHost, 'www.example.net');
    const bad = await httpCheck({ ...base, urls: [{ path: '/ok', statusCodes: ['200'], digest: '0'.repeat(32) }] });
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /^digest mismatch/);
  });

  it('HTTP_GET: a server that never answers times out', async () => {
    const port = await listen(net.createServer(() => undefined)); // accepts, never replies
    const r = await httpCheck({ type: 'http', address: '127.0.0.1', port, timeoutMs: 150, tls: false, urls: [{ path: '/', statusCodes: ['200'] }] });
    assert.deepEqual(r, { ok: false, error: 'timeout' });
  });

  it('MISC_CHECK: exit 0 up, exit 1 down, misc_dynamic weight, timeout kills', async () => {
    const m = (command: string, o: Partial<Extract<ProbeSpec, { type: 'misc' }>> = {}) =>
      miscCheck({ type: 'misc', command, timeoutMs: 2000, dynamic: false, ...o });
    assert.deepEqual(await m("sh -c 'exit 0'"), { ok: true });
    assert.deepEqual(await m("sh -c 'exit 1'"), { ok: false, error: 'exit 1' });
    assert.deepEqual(await m('exit 5'), { ok: false, error: 'exit 5' });
    assert.deepEqual(await m('exit 5', { dynamic: true }), { ok: true, weight: 3 });
    assert.deepEqual(await m('exit 1', { dynamic: true }), { ok: false, error: 'exit 1' });
    assert.deepEqual(await m('test "$FULCRUM_SERVER" = 1.2.3.4:80', { env: { FULCRUM_SERVER: '1.2.3.4:80' } }), { ok: true });
    const t0 = Date.now();
    assert.deepEqual(await m('sleep 5', { timeoutMs: 100 }), { ok: false, error: 'timeout' });
    assert.ok(Date.now() - t0 < 4000, 'the command was killed');
  });

  it('status code matching and the probe source choice', () => {
    assert.equal(statusMatches(204, ['200-299']), true);
    assert.equal(statusMatches(404, ['200', '300-399']), false);
    const cfg = validConfig();
    // 198.19.0.1/24 (dip) is on-link for 198.19.0.11 but the fixture ports have no twin.
    assert.equal(probeSource(cfg, '198.19.0.11', () => new Set(['198.19.0.1'])), undefined);
    const raw = rawConfig() as { ports: { twin: unknown }[] };
    raw.ports[1]!.twin = 'fl-servers';
    const withTwin = validConfig(raw);
    assert.equal(probeSource(withTwin, '198.19.0.11', () => new Set(['198.19.0.1', '198.19.0.2'])), '198.19.0.1');
    assert.equal(probeSource(withTwin, '198.19.0.11', () => new Set()), undefined, 'not in the kernel: no bind');
    assert.equal(probeSource(withTwin, '10.0.0.1', () => new Set(['198.19.0.1'])), undefined, 'off-link');
  });
});

// ------------------------------------------------------------------ manager

class FakeTimers implements Timers {
  now = 0;
  private q: { at: number; fn: () => void; id: number }[] = [];
  private n = 0;
  set(fn: () => void, ms: number): unknown {
    const id = ++this.n;
    this.q.push({ at: this.now + ms, fn, id });
    return id;
  }
  clear(h: unknown): void {
    this.q = this.q.filter((x) => x.id !== h);
  }
  /** Run every timer due up to now+ms, in time order, letting probes settle. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      this.q.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.q[0];
      if (!next || next.at > end) break;
      this.q.shift();
      this.now = next.at;
      next.fn();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    this.now = end;
  }
}

function healthConfig(mod: (raw: Record<string, any>) => void = () => undefined): FulcrumConfig { // eslint-disable-line @typescript-eslint/no-explicit-any
  const raw = rawConfig() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw.services[0].servers = [
    { address: '198.19.0.11', port: 80, method: 'fullnat', weight: 2, healthCheck: { type: 'tcp', retry: 0 } },
    { address: '198.19.0.12', port: 80, method: 'fullnat', weight: 3, healthCheck: { type: 'tcp', retry: 0 } },
    { address: '198.19.0.13', port: 80, method: 'fullnat', weight: 1 }, // unchecked: always up
  ];
  mod(raw);
  return validConfig(raw);
}

function setupManager(cfg: FulcrumConfig) {
  const timers = new FakeTimers();
  const down = new Set<string>();
  const logs: string[] = [];
  const commands: { command: string; args: string[]; env: Record<string, string> }[] = [];
  const fake = new FakeAppliance();
  let writer: ConfigWriter;
  const stateFile = path.join(tmpDir(), 'state.json');
  const mgr = new HealthManager({
    republish: (why) => writer.republish(why),
    log: (l) => logs.push(l),
    now: () => timers.now,
    timers,
    sourceFor: () => undefined,
    probe: async (spec) => {
      const key = spec.type === 'misc' ? spec.command : spec.type === 'ping' ? spec.address : `${spec.address}:${spec.port}`;
      return down.has(key) ? { ok: false, error: 'connect timeout' } : { ok: true };
    },
    runCommand: (command, args, env) => commands.push({ command, args, env }),
  });
  writer = new ConfigWriter({ appliance: fake, initial: cfg, stateFile, effective: mgr.effective, onApplied: (c) => { fake.done(); mgr.update(c); } });
  mgr.update(cfg);
  const published = () => writer.published().services[0]!;
  const servers = () => published().servers.map((r) => `${r.address}:${r.port}/${r.weight}`);
  return { timers, down, logs, commands, fake, writer, mgr, stateFile, published, servers };
}

describe('health manager: the effective config', () => {
  it('a DOWN server is removed from what is published, never from the desired config; it comes back', async () => {
    const t = setupManager(healthConfig((r) => { r.services[0].notify = { down: 'notify-down', up: 'notify-up' }; }));
    await t.timers.advance(0);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.12:80/3', '198.19.0.13:80/1']);
    t.down.add('198.19.0.11:80');
    await t.timers.advance(6000);
    assert.deepEqual(t.servers(), ['198.19.0.12:80/3', '198.19.0.13:80/1']);
    assert.deepEqual(t.fake.applied.at(-1)!.services[0]!.servers.map((r) => r.address), ['198.19.0.12', '198.19.0.13'], 'the appliance got it');
    assert.equal(t.writer.current().services[0]!.servers.length, 3, 'desired config untouched');
    await t.writer.persist();
    assert.equal(JSON.parse(fs.readFileSync(t.stateFile, 'utf8')).services[0].servers.length, 3, 'persisted config is the desired one');
    assert.deepEqual(t.logs, ['fulcrum: health: tcp:198.18.0.100:80 198.19.0.11:80 DOWN (connect timeout)']);
    assert.deepEqual(t.commands, [{
      command: 'notify-down', args: ['tcp:198.18.0.100:80', '198.19.0.11:80', 'DOWN'],
      env: { FULCRUM_SERVICE: 'tcp:198.18.0.100:80', FULCRUM_SERVER: '198.19.0.11:80', FULCRUM_STATE: 'DOWN', FULCRUM_REASON: 'connect timeout' },
    }]);
    const snap = t.mgr.snapshot().find((s) => s.server === '198.19.0.11:80')!;
    assert.deepEqual([snap.state, snap.lastError, snap.checks, snap.failures, snap.transitions, snap.since],
      ['DOWN', 'connect timeout', 2, 1, 1, new Date(6000).toISOString()]);
    assert.equal(t.mgr.snapshot().length, 2, 'only checked servers are listed');

    t.down.clear();
    await t.timers.advance(6000);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.12:80/3', '198.19.0.13:80/1']);
    assert.equal(t.logs.at(-1), 'fulcrum: health: tcp:198.18.0.100:80 198.19.0.11:80 UP (check succeeded)');
    assert.equal(t.commands.at(-1)!.command, 'notify-up');
    t.mgr.stop();
  });

  it('inhibitOnFailure publishes a DOWN server with weight 0', async () => {
    const t = setupManager(healthConfig((r) => { r.services[0].inhibitOnFailure = true; }));
    t.down.add('198.19.0.12:80');
    await t.timers.advance(0);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.12:80/0', '198.19.0.13:80/1']);
    assert.equal(t.writer.current().services[0]!.servers[1]!.weight, 3, 'desired weight kept');
    t.mgr.stop();
  });

  it('the sorry server is published alone while no server is up, and withdrawn after', async () => {
    const t = setupManager(healthConfig((r) => {
      r.services[0].servers.pop(); // only checked servers
      r.services[0].sorryServer = { address: '198.19.0.99', port: 8080 };
    }));
    t.down.add('198.19.0.11:80');
    t.down.add('198.19.0.12:80');
    await t.timers.advance(0);
    assert.deepEqual(t.servers(), ['198.19.0.99:8080/1']);
    assert.equal(t.published().servers[0]!.method, 'fullnat');
    assert.match(t.logs.at(-1)!, /tcp:198\.18\.0\.100:80 quorum lost \(no server up\); sorry server 198\.19\.0\.99:8080 published/);
    t.down.delete('198.19.0.12:80');
    await t.timers.advance(6000);
    assert.deepEqual(t.servers(), ['198.19.0.12:80/3']);
    t.mgr.stop();
  });

  it('quorum: summed weight of UP servers, hysteresis, quorum up/down commands, sorry server', async () => {
    const t = setupManager(healthConfig((r) => {
      r.services[0].quorum = { count: 4, hysteresis: 1, up: 'q-up', down: 'q-down' };
      r.services[0].sorryServer = { address: '198.19.0.99', port: 80 };
    }));
    await t.timers.advance(0);
    // 2 + 3 + 1 = 6 >= 4
    assert.equal(t.servers().length, 3);
    t.down.add('198.19.0.12:80'); // 2 + 1 = 3 >= 4 - 1: still up (hysteresis)
    await t.timers.advance(6000);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.13:80/1']);
    assert.equal(t.commands.length, 0);
    t.down.add('198.19.0.11:80'); // 1 < 3: lost
    await t.timers.advance(6000);
    assert.deepEqual(t.servers(), ['198.19.0.99:80/1']);
    assert.deepEqual(t.commands.map((c) => [c.command, ...c.args]), [['q-down', 'tcp:198.18.0.100:80', 'DOWN']]);
    t.down.delete('198.19.0.11:80'); // 2 + 1 = 3 < 4 + 1: still lost
    await t.timers.advance(6000);
    assert.deepEqual(t.servers(), ['198.19.0.99:80/1']);
    t.down.clear(); // 6 >= 5: gained
    await t.timers.advance(6000);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.12:80/3', '198.19.0.13:80/1']);
    assert.deepEqual(t.commands.at(-1)!.command, 'q-up');
    t.mgr.stop();
  });

  it('alpha servers are left out from the first publish; config changes add and remove checkers', async () => {
    const t = setupManager(healthConfig((r) => { r.services[0].servers[0].healthCheck.alpha = true; }));
    assert.deepEqual(t.servers(), ['198.19.0.12:80/3', '198.19.0.13:80/1'], 'before any check');
    await t.timers.advance(0);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.12:80/3', '198.19.0.13:80/1']);
    await t.writer.mutate((d) => {
      d.services[0]!.servers.splice(1, 1);
      d.services[0]!.servers.push({ address: '198.19.0.14', port: 80, weight: 1, method: 'fullnat', healthCheck: { ...d.services[0]!.servers[0]!.healthCheck!, alpha: true } });
    }, 'test');
    assert.deepEqual(t.mgr.snapshot().map((s) => `${s.server} ${s.state}`), ['198.19.0.11:80 UP', '198.19.0.14:80 DOWN']);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.13:80/1'], 'the new alpha server waits for its first check');
    await t.timers.advance(0);
    assert.deepEqual(t.servers(), ['198.19.0.11:80/2', '198.19.0.13:80/1', '198.19.0.14:80/1']);
    t.mgr.stop();
    t.down.add('198.19.0.11:80');
    await t.timers.advance(60000);
    assert.equal(t.servers().length, 3, 'stopped: no more checks');
  });

  it('services with the same server and check share one probe (a virtual_server_group); server notify runs once', async () => {
    let probes = 0;
    const cfg = healthConfig((r) => {
      const rs = { address: '198.19.0.11', port: 80, method: 'fullnat', weight: 2, healthCheck: { type: 'tcp', retry: 0 }, notify: { down: 'rs-down' } };
      r.services = [80, 81, 82].map((port) => ({ protocol: 'tcp', vip: '198.18.0.100', port, servers: [structuredClone(rs)] }));
      r.services[2].servers[0].healthCheck.connectTimeout = 2; // another check: its own probe
    });
    const t = setupManager(cfg);
    const inner = (t.mgr as unknown as { probe: (s: ProbeSpec) => Promise<{ ok: boolean }> }).probe;
    (t.mgr as unknown as { probe: unknown }).probe = (s: ProbeSpec) => {
      probes++;
      return inner(s);
    };
    assert.equal(t.mgr.probeCount(), 2);
    assert.equal(t.mgr.snapshot().length, 3, 'every member is listed');
    await t.timers.advance(0);
    assert.equal(probes, 2, 'one probe for the two identical checks, one for the third');
    t.down.add('198.19.0.11:80');
    await t.timers.advance(6000);
    const states = t.mgr.snapshot().map((x) => `${x.service} ${x.state}`);
    assert.deepEqual(states, ['tcp:198.18.0.100:80 DOWN', 'tcp:198.18.0.100:81 DOWN', 'tcp:198.18.0.100:82 DOWN']);
    assert.equal(t.writer.published().services[0]!.servers.length, 0);
    assert.equal(t.writer.published().services[1]!.servers.length, 0, 'the sharing service follows the shared probe');
    assert.deepEqual(t.commands.map((c) => [c.command, ...c.args]), [
      ['rs-down', 'tcp:198.18.0.100:80', '198.19.0.11:80', 'DOWN'],
      ['rs-down', 'tcp:198.18.0.100:82', '198.19.0.11:80', 'DOWN'],
    ], 'a notify once per probe that changed state, not once per service');
    await t.writer.mutate((d) => { d.services.splice(0, 1); }, 'test');
    assert.equal(t.mgr.probeCount(), 2, 'the shared probe lives on for its other member');
    assert.equal(t.mgr.snapshot()[0]!.state, 'DOWN', 'with its state');
    await t.writer.mutate((d) => { d.services.splice(0, 1); }, 'test');
    assert.equal(t.mgr.probeCount(), 1);
    t.mgr.stop();
  });

  it('republish changes nothing when the effective config is the same', async () => {
    const t = setupManager(healthConfig());
    const n = t.fake.applied.length;
    assert.equal(await t.writer.republish('again'), false);
    assert.equal(t.fake.applied.length, n);
    t.mgr.stop();
  });
});

// ------------------------------------------------------------------ config

describe('health-check config', () => {
  it('defaults are filled in, like keepalived', () => {
    const cfg = healthConfig((r) => { r.services[0].servers[0].healthCheck = { type: 'http' }; });
    const s = cfg.services[0]!;
    assert.equal(s.inhibitOnFailure, false);
    assert.deepEqual(s.servers[0]!.healthCheck, {
      type: 'http', delayLoop: 6, connectTimeout: 5, retry: 1, delayBeforeRetry: 1, rise: 1, fall: 1, alpha: false,
      http: { path: '/', statusCodes: ['200-299'], tls: false },
    });
  });

  const errorsOf = (mod: (raw: Record<string, any>) => void): string[] => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const raw = rawConfig() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    mod(raw);
    const r = validateConfig(raw);
    return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
  };

  it('unknown keys and bad values are rejected with their paths', () => {
    const e = errorsOf((r) => {
      r.services[0].servers[0].healthCheck = { type: 'tcp', delayloop: 3, http: { statusCodes: ['2xx'] } };
      r.services[0].quorum = { count: 1, bogus: true };
    });
    assert.ok(e.some((x) => x.startsWith('services[0].servers[0].healthCheck.delayloop: unknown key')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('services[0].servers[0].healthCheck.http.statusCodes[0]: must be an HTTP status code')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('services[0].quorum.bogus: unknown key')), e.join('\n'));
  });

  it('semantic checks: misc needs a command, blocks match the type, empty ranges, sorry server rules', () => {
    assert.deepEqual(errorsOf((r) => { r.services[0].servers[0].healthCheck = { type: 'misc' }; }),
      ['services[0].servers[0].healthCheck.misc: is required for type "misc" (misc.command)']);
    assert.deepEqual(errorsOf((r) => { r.services[0].servers[0].healthCheck = { type: 'tcp', http: {} }; }),
      ['services[0].servers[0].healthCheck.http: only applies to type "http" (type is "tcp")']);
    assert.deepEqual(errorsOf((r) => { r.services[0].servers[0].healthCheck = { type: 'http', http: { statusCodes: ['299-200'] } }; }),
      ['services[0].servers[0].healthCheck.http.statusCodes[0]: range 299-200 is empty: 299 > 200']);
    assert.deepEqual(errorsOf((r) => { r.services[0].sorryServer = { address: '198.19.0.11', port: 80 }; }),
      ['services[0].sorryServer: sorry server 198.19.0.11:80 is also servers[0]']);
    assert.deepEqual(errorsOf((r) => { r.services[0].sorryServer = { address: '198.19.0.99', port: 81, method: 'dr' }; }),
      ['services[0].sorryServer.port: dr cannot map ports: sorry server port must equal the service port 80']);
    assert.deepEqual(errorsOf((r) => { r.services[0].sorryServer = { address: '198.19.0.99', port: 8080 }; }), []);
  });
});

// ------------------------------------------------------------------ API

describe('GET /api/v1/health/servers', () => {
  it('lists the checked servers with their state; empty without a health manager', async () => {
    const t = setupManager(healthConfig());
    t.down.add('198.19.0.12:80');
    await t.timers.advance(0);
    const app = buildApi({ writer: t.writer, appliance: t.fake, health: t.mgr });
    const r = await app.inject({ method: 'GET', url: '/api/v1/health/servers' });
    assert.equal(r.statusCode, 200);
    const body = JSON.parse(r.body) as Record<string, unknown>[];
    assert.deepEqual(body.map((s) => [s.service, s.server, s.state, s.lastError, s.checks, s.failures]), [
      ['tcp:198.18.0.100:80', '198.19.0.11:80', 'UP', null, 1, 0],
      ['tcp:198.18.0.100:80', '198.19.0.12:80', 'DOWN', 'connect timeout', 1, 1],
    ]);
    assert.equal(body[1]!.since, new Date(0).toISOString());
    // GET /services still shows the desired config, DOWN server included.
    const svc = JSON.parse((await app.inject({ method: 'GET', url: '/api/v1/services' })).body) as { servers: unknown[] }[];
    assert.equal(svc[0]!.servers.length, 3);
    const bare = buildApi({ writer: t.writer, appliance: t.fake });
    assert.deepEqual(JSON.parse((await bare.inject({ method: 'GET', url: '/api/v1/health/servers' })).body), []);
    const live = await bare.inject({ method: 'GET', url: '/api/v1/health/live' });
    assert.equal(live.statusCode, 200);
    t.mgr.stop();
  });
});
