import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigWriter } from '../../src/lb/writer';
import { buildApi, resolveApiBind, startApi } from '../../src/api/server';
import { FakeAppliance, rawConfig, tmpDir, validConfig } from './api-fixtures';

const SVC = '/api/v1/services/tcp:198.18.0.100:80';
const RS = `${SVC}/servers/198.19.0.11:80`;

function setup(opts: { token?: string; state?: boolean } = {}) {
  const fake = new FakeAppliance();
  const dir = tmpDir();
  const stateFile = opts.state === false ? null : path.join(dir, 'state.json');
  const writer = new ConfigWriter({ appliance: fake, initial: validConfig(), stateFile, onApplied: () => fake.done() });
  const app = buildApi({ writer, appliance: fake, ...(opts.token ? { token: opts.token } : {}) });
  return { app, writer, fake, stateFile: stateFile ?? '' };
}

async function req(app: FastifyInstance, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const r = await app.inject({
    method: method as 'GET',
    url,
    headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
  let body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try { body = r.body === '' ? undefined : JSON.parse(r.body); } catch { body = r.body; }
  return { status: r.statusCode, body, headers: r.headers };
}

/** A 4xx must leave the running config exactly as it was, and never reach the appliance. */
async function assertUntouched(t: ReturnType<typeof setup>, f: () => Promise<void>) {
  const before = JSON.stringify(t.writer.current());
  const applies = t.fake.applied.length;
  await f();
  assert.equal(JSON.stringify(t.writer.current()), before, 'running config changed');
  assert.equal(t.fake.applied.length, applies, 'appliance was called');
}

test('GET /config is the applied config; PUT /config replaces it and persists it', async () => {
  const t = setup();
  const g = await req(t.app, 'GET', '/api/v1/config');
  assert.equal(g.status, 200);
  assert.deepEqual(g.body, t.writer.current());
  const raw = rawConfig();
  raw.timeouts = { tcp: 100, tcpFin: 10, udp: 30 };
  const p = await req(t.app, 'PUT', '/api/v1/config', raw);
  assert.equal(p.status, 200, JSON.stringify(p.body));
  assert.equal(p.body.timeouts.tcp, 100);
  const g2 = await req(t.app, 'GET', '/api/v1/config');
  assert.deepEqual(g2.body, JSON.parse(fs.readFileSync(t.stateFile, 'utf8')), 'state file == GET /config');
  assert.equal(g2.body.timeouts.tcp, 100);
});

test('malformed JSON body -> 400 with an error list; nothing applied', async () => {
  const t = setup();
  await assertUntouched(t, async () => {
    const r = await req(t.app, 'POST', '/api/v1/services', '{"protocol": "tcp",');
    assert.equal(r.status, 400);
    assert.equal(typeof r.body.error, 'string');
    assert.equal(r.body.errors[0].path, '(body)');
  });
});

test('unknown keys -> 400 naming the path (route body and nested whole config)', async () => {
  const t = setup();
  await assertUntouched(t, async () => {
    const r = await req(t.app, 'POST', '/api/v1/services', { protocol: 'udp', vip: '198.18.0.100', port: 53, bogus: 1 });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors.map((e: { path: string }) => e.path), ['bogus']);
    assert.match(r.body.errors[0].message, /unknown key/);

    const raw = rawConfig();
    (raw.services as { servers: Record<string, unknown>[] }[])[0]!.servers[0]!.wieght = 3;
    const p = await req(t.app, 'PUT', '/api/v1/config', raw);
    assert.equal(p.status, 400);
    assert.deepEqual(p.body.errors.map((e: { path: string }) => e.path), ['services[0].servers[0].wieght']);

    const q = await req(t.app, 'PATCH', RS, { weight: 2, colour: 'red' });
    assert.equal(q.status, 400);
    assert.deepEqual(q.body.errors.map((e: { path: string }) => e.path), ['colour']);

    const s = await req(t.app, 'GET', '/api/v1/sessions?nope=1');
    assert.equal(s.status, 400);
    assert.equal(s.body.errors[0].path, 'query.nope');
  });
});

test('wrong types -> 400 (no coercion of JSON bodies)', async () => {
  const t = setup();
  await assertUntouched(t, async () => {
    const r = await req(t.app, 'POST', `${SVC}/servers`, { address: '198.19.0.12', port: '80', method: 'fullnat' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors, [{ path: 'port', message: 'must be integer' }]);
    const w = await req(t.app, 'PATCH', RS, { weight: true });
    assert.equal(w.status, 400);
    assert.equal(w.body.errors[0].path, 'weight');
    const n = await req(t.app, 'PUT', '/api/v1/timeouts', { tcp: 1.5, tcpFin: 0, udp: 0 });
    assert.equal(n.status, 400);
    assert.equal(n.body.errors[0].path, 'tcp');
    const arr = await req(t.app, 'POST', '/api/v1/services', []);
    assert.equal(arr.status, 400);
  });
});

test('out-of-range ports and weights -> 400 naming the field', async () => {
  const t = setup();
  await assertUntouched(t, async () => {
    const p = await req(t.app, 'POST', `${SVC}/servers`, { address: '198.19.0.12', port: 65536, method: 'fullnat' });
    assert.equal(p.status, 400);
    assert.deepEqual(p.body.errors, [{ path: 'port', message: 'must be from 0 to 65535' }]);
    const w = await req(t.app, 'PATCH', RS, { weight: 65536 });
    assert.equal(w.status, 400);
    assert.deepEqual(w.body.errors, [{ path: 'weight', message: 'must be from 0 to 65535' }]);
    const neg = await req(t.app, 'PATCH', RS, { weight: -1 });
    assert.equal(neg.status, 400);
    const id = await req(t.app, 'GET', '/api/v1/services/tcp:198.18.0.100:70000');
    assert.equal(id.status, 400);
    assert.equal(id.body.errors[0].path, 'params.id');
    const badId = await req(t.app, 'GET', '/api/v1/services/sctp:198.18.0.100:80');
    assert.equal(badId.status, 400);
    assert.equal(badId.body.errors[0].path, 'params.id');
    const lim = await req(t.app, 'GET', '/api/v1/sessions?limit=0');
    assert.equal(lim.status, 400);
    assert.equal(lim.body.errors[0].path, 'query.limit');
  });
});

test('semantic errors -> 400 relative to the body; appliance never called', async () => {
  const t = setup();
  await assertUntouched(t, async () => {
    // 198.18.0.7 is not a VIP of any port.
    const r = await req(t.app, 'POST', '/api/v1/services', { protocol: 'tcp', vip: '198.18.0.7', port: 80, scheduler: 'rr' });
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].path, 'vip');
    assert.match(r.body.errors[0].message, /role "vip"/);
  });
});

test('duplicates: POST of an existing service/server -> 409; duplicates inside PUT /config -> 400', async () => {
  const t = setup();
  await assertUntouched(t, async () => {
    const s = await req(t.app, 'POST', '/api/v1/services', { protocol: 'tcp', vip: '198.18.0.100', port: 80 });
    assert.equal(s.status, 409);
    assert.match(s.body.error, /already exists/);
    const r = await req(t.app, 'POST', `${SVC}/servers`, { address: '198.19.0.11', port: 80, method: 'fullnat' });
    assert.equal(r.status, 409);
    const raw = rawConfig();
    const svcs = raw.services as unknown[];
    svcs.push(structuredClone(svcs[0]));
    const p = await req(t.app, 'PUT', '/api/v1/config', raw);
    assert.equal(p.status, 400);
    assert.equal(p.body.errors[0].path, 'services[1]');
    assert.match(p.body.errors[0].message, /duplicate service/);
  });
});

test('404 for unknown service and server ids, and unknown routes', async () => {
  const t = setup();
  await assertUntouched(t, async () => {
    const a = await req(t.app, 'GET', '/api/v1/services/udp:198.18.0.100:80');
    assert.equal(a.status, 404);
    assert.match(a.body.error, /service udp:198\.18\.0\.100:80 not found/);
    const b = await req(t.app, 'PATCH', `${SVC}/servers/198.19.0.99:80`, { weight: 1 });
    assert.equal(b.status, 404);
    assert.match(b.body.error, /server 198\.19\.0\.99:80/);
    const c = await req(t.app, 'DELETE', '/api/v1/services/udp:198.18.0.100:80');
    assert.equal(c.status, 404);
    const d = await req(t.app, 'GET', '/api/v1/nope');
    assert.equal(d.status, 404);
  });
});

test('services and servers CRUD, URL-encoded ids, drain, timeouts', async () => {
  const t = setup();
  const enc = `/api/v1/services/${encodeURIComponent('tcp:198.18.0.100:80')}`;
  const g = await req(t.app, 'GET', enc);
  assert.equal(g.status, 200);
  assert.equal(g.body.id, 'tcp:198.18.0.100:80');
  assert.equal(g.body.servers[0].id, '198.19.0.11:80');

  const add = await req(t.app, 'POST', '/api/v1/services', { protocol: 'udp', vip: '198.18.0.100', port: 53, scheduler: 'wrr' });
  assert.equal(add.status, 201, JSON.stringify(add.body));
  assert.equal(add.body.scheduler, 'wrr');
  assert.deepEqual(add.body.servers, []);
  const list = await req(t.app, 'GET', '/api/v1/services');
  assert.deepEqual(list.body.map((s: { id: string }) => s.id), ['tcp:198.18.0.100:80', 'udp:198.18.0.100:53']);

  const rs = await req(t.app, 'POST', '/api/v1/services/udp:198.18.0.100:53/servers', { address: '198.19.0.12', port: 53, weight: 5, method: 'fullnat' });
  assert.equal(rs.status, 201, JSON.stringify(rs.body));
  const patch = await req(t.app, 'PATCH', RS, { weight: 7 });
  assert.equal(patch.status, 200);
  assert.equal(patch.body.weight, 7);
  assert.equal(patch.body.method, 'fullnat');
  const put = await req(t.app, 'PUT', RS, { method: 'fullnat', weight: 3 });
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, { id: '198.19.0.11:80', address: '198.19.0.11', port: 80, weight: 3, method: 'fullnat' });
  const mismatch = await req(t.app, 'PUT', RS, { address: '198.19.0.50', method: 'fullnat' });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.body.errors[0].path, 'address');

  const drain = await req(t.app, 'POST', `${RS}/drain`);
  assert.equal(drain.status, 200);
  assert.equal(drain.body.weight, 0);
  assert.equal(t.writer.current().services[0]!.servers[0]!.weight, 0);
  assert.equal(t.fake.applied.at(-1)!.services[0]!.servers[0]!.weight, 0, 'published to the dataplane');

  const to = await req(t.app, 'PUT', '/api/v1/timeouts', { tcp: 0, tcpFin: 60, udp: 0 });
  assert.equal(to.status, 200);
  assert.deepEqual(to.body, { tcp: 900, tcpFin: 60, udp: 300 }, '0 keeps the current value');

  const delRs = await req(t.app, 'DELETE', '/api/v1/services/udp:198.18.0.100:53/servers/198.19.0.12:53');
  assert.equal(delRs.status, 204);
  const del = await req(t.app, 'DELETE', '/api/v1/services/udp:198.18.0.100:53');
  assert.equal(del.status, 204);
  assert.equal(t.writer.current().services.length, 1);
  assert.deepEqual(JSON.parse(fs.readFileSync(t.stateFile, 'utf8')), (await req(t.app, 'GET', '/api/v1/config')).body);
});

test('a failing appliance.apply: 422, running config and state file byte-identical', async () => {
  const t = setup();
  await t.writer.persist();
  const before = fs.readFileSync(t.stateFile);
  await assertUntouched(t, async () => {
    t.fake.failNext = 'snapshot publish failed';
    const r = await req(t.app, 'PATCH', RS, { weight: 9 });
    assert.equal(r.status, 422);
    assert.match(r.body.error, /snapshot publish failed/);
  });
  assert.deepEqual(fs.readFileSync(t.stateFile), before);
  const g = await req(t.app, 'GET', '/api/v1/config');
  assert.deepEqual(g.body, JSON.parse(before.toString()));
});

test('100 concurrent POST/PATCH changes are serialised: all present, applies never overlap', async () => {
  const t = setup();
  // 50 servers exist; 50 PATCHes change their weights while 50 POSTs add more.
  await t.writer.mutate((d) => {
    for (let i = 0; i < 50; i++) d.services[0]!.servers.push({ address: `198.19.0.${100 + i}`, port: 80, weight: 1, method: 'fullnat' });
  }, 'seed');
  const applies = t.fake.applied.length;
  const ops = [];
  for (let i = 0; i < 50; i++) {
    ops.push(req(t.app, 'PATCH', `${SVC}/servers/198.19.0.${100 + i}:80`, { weight: 1000 + i }));
    ops.push(req(t.app, 'POST', `${SVC}/servers`, { address: `198.19.0.${160 + i}`, port: 80, weight: 2000 + i, method: 'fullnat' }));
  }
  const res = await Promise.all(ops);
  for (const r of res) assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
  assert.equal(t.fake.overlaps, 0, 'appliance.apply called while a change was in flight');
  assert.equal(t.fake.applied.length, applies + 100);
  // Every applied snapshot is the previous one plus exactly one change.
  for (let k = applies; k < t.fake.applied.length; k++) {
    const prev = t.fake.applied[k - 1]!.services[0]!.servers;
    const cur = t.fake.applied[k]!.services[0]!.servers;
    const diff = cur.length - prev.length + cur.filter((r, j) => prev[j] && prev[j]!.weight !== r.weight).length;
    assert.equal(diff, 1, `apply ${k} carries exactly one change`);
  }
  const servers = t.writer.current().services[0]!.servers;
  assert.equal(servers.length, 101);
  for (let i = 0; i < 50; i++) {
    assert.equal(servers.find((r) => r.address === `198.19.0.${100 + i}`)!.weight, 1000 + i);
    assert.equal(servers.find((r) => r.address === `198.19.0.${160 + i}`)!.weight, 2000 + i);
  }
  assert.deepEqual(JSON.parse(fs.readFileSync(t.stateFile, 'utf8')), t.writer.current());
});

test('token: no header -> 401, wrong -> 401, right -> 200', async () => {
  const t = setup({ token: 's3cret-token' });
  const none = await req(t.app, 'GET', '/api/v1/config');
  assert.equal(none.status, 401);
  assert.match(String(none.headers['www-authenticate']), /Bearer/);
  const wrong = await req(t.app, 'GET', '/api/v1/config', undefined, { authorization: 'Bearer s3cret-tokeX' });
  assert.equal(wrong.status, 401);
  const basic = await req(t.app, 'GET', '/api/v1/health/live', undefined, { authorization: 's3cret-token' });
  assert.equal(basic.status, 401);
  const right = await req(t.app, 'GET', '/api/v1/config', undefined, { authorization: 'Bearer s3cret-token' });
  assert.equal(right.status, 200);
  // A change without the token never reaches the writer.
  await assertUntouched(t, async () => {
    const p = await req(t.app, 'POST', `${RS}/drain`);
    assert.equal(p.status, 401);
  });
});

test('non-loopback bind without a token is refused; loopback default is 127.0.0.1:9180', async () => {
  const cfg = validConfig();
  assert.deepEqual(resolveApiBind(cfg, {}), { host: '127.0.0.1', port: 9180 });
  const open = validConfig({ ...rawConfig(), api: { listen: '0.0.0.0', token: 'abcdefgh12', insecure: true } });
  const wide = structuredClone(open);
  delete wide.api.token;
  assert.throws(() => resolveApiBind(wide, {}), /refusing to listen on 0\.0\.0\.0:9180 without a token/);
  assert.deepEqual(resolveApiBind(wide, { FULCRUM_API_TOKEN: 'from-env-123' }), { host: '0.0.0.0', port: 9180, token: 'from-env-123' });
  assert.equal(resolveApiBind(open, {}).token, 'abcdefgh12');
  const fake = new FakeAppliance();
  const writer = new ConfigWriter({ appliance: fake, initial: cfg, stateFile: null });
  assert.throws(() => buildApi({ writer, appliance: fake, listen: '198.18.0.1' }), /without a token/);
  await assert.rejects(startApi({ writer, appliance: fake, config: wide, env: {} }), /without a token/);
});

test('startApi listens on loopback and answers over real HTTP', async () => {
  const cfg = validConfig({ ...rawConfig(), api: { listen: '127.0.0.1', port: 1 + 20000 + (process.pid % 20000) } });
  const fake = new FakeAppliance();
  const writer = new ConfigWriter({ appliance: fake, initial: cfg, stateFile: null });
  const { app, url } = await startApi({ writer, appliance: fake, config: cfg, env: {} });
  try {
    const r = await fetch(`${url}/api/v1/health/live`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
  } finally {
    await app.close();
  }
});

test('runtime views: stats skeleton, ports, workers, readiness, 501 for sessions/neighbours', async () => {
  const t = setup();
  const s = await req(t.app, 'GET', '/api/v1/stats');
  assert.equal(s.status, 200);
  assert.deepEqual(s.body, {
    workers: [], ports: {}, drops: {}, persistence: { templateSlots: 65536, templatesFull: 0, templatesReclaimed: 0 },
    services: [{ id: 'tcp:198.18.0.100:80', scheduler: 'rr', servers: [{ id: '198.19.0.11:80', weight: 1, method: 'fullnat' }] }],
  });
  assert.deepEqual((await req(t.app, 'GET', '/api/v1/ports')).body, []);
  assert.deepEqual((await req(t.app, 'GET', '/api/v1/workers')).body, []);
  assert.equal((await req(t.app, 'GET', '/api/v1/health/live')).status, 200);
  assert.equal((await req(t.app, 'GET', '/api/v1/health/ready')).status, 200);
  const sess = await req(t.app, 'GET', '/api/v1/sessions?service=tcp:198.18.0.100:80&limit=10');
  assert.equal(sess.status, 501);
  assert.match(sess.body.error, /not implemented/);
  assert.equal((await req(t.app, 'GET', '/api/v1/neighbours')).status, 501);
  t.fake.running = false;
  const nr = await req(t.app, 'GET', '/api/v1/health/ready');
  assert.equal(nr.status, 503);
  assert.equal((await req(t.app, 'GET', '/api/v1/health/live')).status, 200);
  assert.equal((await req(t.app, 'GET', '/api/v1/stats')).status, 503);
});

test('GET /openapi.json documents every route with its schemas', async () => {
  const t = setup({ token: 'abcdefgh12' });
  const r = await req(t.app, 'GET', '/api/v1/openapi.json', undefined, { authorization: 'Bearer abcdefgh12' });
  assert.equal(r.status, 200);
  const doc = r.body;
  assert.equal(doc.openapi, '3.1.0');
  const ops = Object.entries(doc.paths as Record<string, object>).flatMap(([p, m]) => Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`));
  for (const want of [
    'GET /api/v1/config', 'PUT /api/v1/config', 'POST /api/v1/services', 'PUT /api/v1/services/{id}',
    'PATCH /api/v1/services/{id}/servers/{server}', 'POST /api/v1/services/{id}/servers/{server}/drain',
    'PUT /api/v1/timeouts', 'GET /api/v1/sessions', 'GET /api/v1/health/ready', 'GET /api/v1/openapi.json',
  ]) assert.ok(ops.includes(want), `missing ${want}`);
  const patch = doc.paths['/api/v1/services/{id}/servers/{server}'].patch;
  assert.equal(patch.requestBody.content['application/json'].schema.additionalProperties, false);
  assert.deepEqual(patch.parameters.map((p: { name: string }) => p.name), ['id', 'server']);
  assert.ok(patch.responses['400'] && patch.responses['404']);
  assert.deepEqual(patch.security, [{ bearer: [] }]);
  const sess = doc.paths['/api/v1/sessions'].get;
  assert.deepEqual(sess.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`), ['query:service', 'query:server', 'query:limit', 'query:cursor']);
});

test('the served OpenAPI document is valid OpenAPI 3.1 (a real validator), with and without a token', async () => {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  for (const token of ['abcdefgh12', undefined]) {
    const t = setup(token ? { token } : {});
    const r = await req(t.app, 'GET', '/api/v1/openapi.json', undefined, token ? { authorization: `Bearer ${token}` } : {});
    assert.equal(r.status, 200);
    const res = await new Validator().validate(r.body);
    assert.equal(res.valid, true, `invalid OpenAPI document: ${String(JSON.stringify(res.errors, null, 1)).slice(0, 2000)}`);
    // Every operation has an id and, with a token, the bearer requirement.
    for (const ops of Object.values(r.body.paths as Record<string, Record<string, { operationId?: string; security?: unknown }>>)) {
      for (const op of Object.values(ops)) {
        assert.match(op.operationId ?? '', /^[a-z]+[A-Za-z0-9]+$/);
        assert.deepEqual(op.security, token ? [{ bearer: [] }] : undefined);
      }
    }
  }
});

test('GET /config is the desired config; ?view=effective is what the dataplane runs (health checks applied)', async () => {
  const fake = new FakeAppliance();
  // As the health manager's transform would: the one real server held DOWN.
  const writer = new ConfigWriter({
    appliance: fake, initial: validConfig(), stateFile: null,
    effective: (d) => ({ ...d, services: d.services.map((s) => ({ ...s, servers: [] })) }),
  });
  const app = buildApi({ writer, appliance: fake });
  const desired = await req(app, 'GET', '/api/v1/config');
  assert.equal(desired.status, 200);
  assert.equal(desired.body.services[0].servers.length, 1);
  assert.deepEqual((await req(app, 'GET', '/api/v1/config?view=desired')).body, desired.body);
  const eff = await req(app, 'GET', '/api/v1/config?view=effective');
  assert.equal(eff.status, 200);
  assert.equal(eff.body.services[0].servers.length, 0);
  const bad = await req(app, 'GET', '/api/v1/config?view=kernel');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errors[0].path, 'query.view');
});

test('GET /explain: bad queries name the parameter; without a dataplane that explains, 501; the answer is named and reasoned', async () => {
  const t = setup();
  const q = (s: string) => req(t.app, 'GET', `/api/v1/explain?${s}`);
  const bad = await q('proto=tcp&src=nonsense&dst=198.18.0.100:80');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid request: query.src: must be an IPv4 address:port, e.g. 198.18.0.10:40000');
  assert.equal((await q('proto=sctp&src=198.18.0.10:1&dst=198.18.0.100:80')).body.errors[0].path, 'query.proto');
  assert.equal((await q('src=198.18.0.10:1&dst=198.18.0.100:80')).body.error, 'invalid request: query.proto: is required');
  assert.equal((await q('proto=tcp&src=198.18.0.10:0&dst=198.18.0.100:80')).body.error, 'query.src: a client port is 1-65535');
  assert.equal((await q('proto=tcp&src=198.18.0.10:1&dst=198.18.0.100:80')).status, 501);

  // The dataplane's answer (ids), named and explained by src/lb/explain.ts.
  const ids = { services: ['tcp:198.18.0.100:80'], servers: ['198.19.0.11:80', '198.19.0.12:80'] };
  (t.fake as unknown as { explain: unknown }).explain = () => ({
    native: {
      worker: 1, ownerKnown: true, serviceId: 0, serviceWildcard: false, session: null, template: null,
      scheduler: 'wlc', lastPickServerId: null, keySlot: null, slots: 0, slotServerId: null, pickServerId: 1,
      pickFromTemplate: false, method: 'fullnat', openDrop: null, replyTo: '198.19.0.2', replyPort: 40007,
      egress: { port: 1, nextHop: '198.19.0.12', mac: null },
      servers: [{ serverId: 0, weight: 1, available: true, overloaded: false, active: 5, inactive: 0 },
        { serverId: 1, weight: 1, available: true, overloaded: false, active: 0, inactive: 2 }],
    },
    names: { service: (i: number) => ids.services[i], server: (i: number) => ids.servers[i], port: (i: number) => ['client', 'servers'][i] },
  });
  const ok = await q('proto=tcp&src=198.18.0.10:5000&dst=198.18.0.100:80');
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body.decision, { server: '198.19.0.12:80', by: 'scheduler' });
  assert.equal(ok.body.replyTo, '198.19.0.2:40007');
  assert.deepEqual(ok.body.egress, { port: 'servers', nextHop: '198.19.0.12', mac: null });
  assert.deepEqual(ok.body.reasons, [
    'tcp 198.18.0.100:80 matches service tcp:198.18.0.100:80 exactly',
    "worker 1 owns the flow (the client's address and port name it)",
    'scheduler wlc (weighted least connections: the fewest (active * 256 + inactive) / weight); 2 of 2 server(s) usable; it would pick 198.19.0.12:80',
    'method fullnat: replies come back to 198.19.0.2:40007 (the LIP and port it would take)',
    'it leaves by port servers to next hop 198.19.0.12 (not resolved yet: the first packet waits for ARP)',
  ]);
  // A SYN-proxy service with a PROXY header: both said.
  const raw = rawConfig() as { services: Array<Record<string, unknown>> };
  Object.assign(raw.services[0]!, { synProxy: true, proxyProtocol: 'v2' });
  assert.equal((await req(t.app, 'PUT', '/api/v1/config', raw)).status, 200);
  const sp = await q('proto=tcp&src=198.18.0.10:5000&dst=198.18.0.100:80');
  assert.ok(sp.body.reasons.some((r: string) => /^SYN proxy: the director answers this client's SYN with a SYN cookie/.test(r)), JSON.stringify(sp.body.reasons));
  assert.ok(sp.body.reasons.includes('the real server learns the client from a PROXY protocol v2 header sent ahead of the stream'), JSON.stringify(sp.body.reasons));
});
