// /api/v1/sync: ipvsadm --start-daemon/--stop-daemon as config changes
// (checked, persisted), and -L --daemon's view with the VRRP state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigWriter } from '../../src/lb/writer';
import { buildApi, type ApiHa } from '../../src/api/server';
import type { FulcrumConfig } from '../../src/config/types';
import { FakeAppliance, validConfig } from './api-fixtures';

function setup() {
  const fake = new FakeAppliance();
  let applied: FulcrumConfig | undefined;
  const initial = validConfig();
  initial.ports[0]!.twin = 'fl-client';
  const writer = new ConfigWriter({ appliance: fake, initial, stateFile: null, onApplied: (c) => { applied = c; fake.done(); } });
  const ha: ApiHa = {
    sync: { status: () => (['master', 'backup'] as const).flatMap((state) => {
      const d = (applied ?? writer.current()).ha.sync[state];
      return d ? [{ state, ...d, twin: 'fl-lan', address: '198.18.0.1' }] : [];
    }) },
    vrrp: { status: () => [{ ip: '198.18.0.100', role: 'vip', port: 'lan', master: true }] },
    settled: async () => undefined,
  };
  return { app: buildApi({ writer, appliance: fake, ha }), writer };
}

test('PUT /sync/daemons/master starts a daemon as ha.sync.master; DELETE stops it; GET lists', async () => {
  const { app, writer } = setup();
  const none = await app.inject({ method: 'GET', url: '/api/v1/sync' });
  assert.equal(none.statusCode, 200, none.body);
  assert.deepEqual(JSON.parse(none.body).daemons, []);
  assert.deepEqual(JSON.parse(none.body).floating, [{ ip: '198.18.0.100', role: 'vip', port: 'lan', master: true }]);
  const put = await app.inject({ method: 'PUT', url: '/api/v1/sync/daemons/master', payload: { interface: 'client', syncId: 4 } });
  assert.equal(put.statusCode, 200, put.body);
  assert.deepEqual(writer.current().ha.sync.master, { interface: 'client', syncId: 4, maxLen: 1472, group: '224.0.0.81', port: 8848, ttl: 1, peers: [] });
  const d = JSON.parse(put.body).daemons;
  assert.equal(d.length, 1);
  assert.equal(d[0].state, 'master');
  assert.equal(d[0].syncId, 4);
  const bad = await app.inject({ method: 'PUT', url: '/api/v1/sync/daemons/backup', payload: { interface: 'nope' } });
  assert.equal(bad.statusCode, 400, bad.body);
  assert.match(bad.body, /names no port/);
  assert.equal(writer.current().ha.sync.backup, undefined, 'the stored config is untouched');
  const state = await app.inject({ method: 'PUT', url: '/api/v1/sync/daemons/primary', payload: { interface: 'client' } });
  assert.equal(state.statusCode, 400, state.body);
  const del = await app.inject({ method: 'DELETE', url: '/api/v1/sync/daemons/master' });
  assert.equal(del.statusCode, 200, del.body);
  assert.equal(writer.current().ha.sync.master, undefined);
  const again = await app.inject({ method: 'DELETE', url: '/api/v1/sync/daemons/master' });
  assert.equal(again.statusCode, 404, again.body);
});
