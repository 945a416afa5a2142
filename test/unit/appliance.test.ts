import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import type { NativeAddon } from '../../src/native/addon';
import { Appliance } from '../../src/lb/appliance';
import type { HostFacts } from '../../src/dataplane/eal';
import { statedVocabulary } from '../../src/native/vocabulary';
import { idleSync } from '../lib/fake-addon';

const HOST: HostFacts = { cpuCount: 2, hugepagesFree: 0, hugepageSizeKB: 2048, hugetlbfsMounted: false };

function cfg(): FulcrumConfig {
  const r = validateConfig({
    dataplane: { workers: [1] },
    ports: [{ name: 'lan', device: 'ring', addresses: [{ ip: '198.18.0.1/24', role: 'dip' }] }],
  });
  assert.ok(r.ok);
  return r.config;
}

function fakeAddon(calls: string[], failAt?: string): NativeAddon {
  const step = (name: string) => () => {
    calls.push(name);
    if (name === failAt) throw new Error(`${name} failed`);
  };
  return {
    vocabulary: statedVocabulary(),
    templates: () => ({ templates: [], cursor: 0, done: true }),
    explain: () => { throw new Error('not in this fake'); },
    replayFrame: () => undefined,
    replayNeighbour: () => undefined,
    ...idleSync,
    ealInit: step('ealInit'),
    start: step('start'),
    publish: step('publish'),
    stop: step('stop'),
    cleanup: step('cleanup'),
    ports: () => [],
    stats: () => ({ workers: [], ports: {}, drops: {}, persistence: { templateSlots: 65536, templatesFull: 0, templatesReclaimed: 0 } }),
    dropReasons: () => [],
    ringInject: () => 0,
    ringDrain: () => [],
    serverStats: () => [],
    lipStats: () => [],
    sessions: () => ({ sessions: [], cursor: 0, done: true }),
    neighbours: () => [],
  };
}

test('start runs ealInit, start, publish, twins in order; stop is idempotent', () => {
  const calls: string[] = [];
  const app = new Appliance(cfg(), {
    addon: fakeAddon(calls),
    host: HOST,
    run: (cmd, args) => { calls.push(`${cmd} ${args[0]}`); },
  });
  const plan = app.start();
  assert.ok(app.running);
  assert.ok(plan.eal.includes('--no-huge'));
  assert.deepEqual(calls.slice(0, 3), ['ealInit', 'start', 'publish']);
  assert.ok(calls.slice(3).every((c) => c.startsWith('ip ') || c.startsWith('sysctl ')));
  assert.deepEqual(app.stats(), { workers: [], ports: {}, drops: {}, persistence: { templateSlots: 65536, templatesFull: 0, templatesReclaimed: 0 } });
  calls.length = 0;
  app.stop();
  app.stop();
  assert.deepEqual(calls, ['stop', 'cleanup']);
  assert.throws(() => app.stats(), /not running/);
});

test('a failing start can be stopped and cleans up EAL', () => {
  const calls: string[] = [];
  const app = new Appliance(cfg(), { addon: fakeAddon(calls, 'start'), host: HOST, skipHostConfig: true });
  assert.throws(() => app.start(), /start failed/);
  app.stop();
  assert.deepEqual(calls, ['ealInit', 'start', 'stop', 'cleanup']);
});

test('failing ealInit: stop does not touch the addon', () => {
  const calls: string[] = [];
  const app = new Appliance(cfg(), { addon: fakeAddon(calls, 'ealInit'), host: HOST, skipHostConfig: true });
  assert.throws(() => app.start(), /ealInit failed/);
  app.stop();
  assert.deepEqual(calls, ['ealInit']);
});

test('memory errors surface before DPDK is touched', () => {
  const calls: string[] = [];
  const c = cfg();
  c.dataplane.memory.hugepages = 'require';
  const app = new Appliance(c, { addon: fakeAddon(calls), host: HOST, skipHostConfig: true });
  assert.throws(() => app.start(), /not enough hugepages/);
  assert.deepEqual(calls, []);
});
