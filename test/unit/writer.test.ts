import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chooseStartConfig, serializeConfig } from '../../src/config/persist';
import { ApplyFailed, ConfigRejected, ConfigWriter, PersistFailed } from '../../src/lb/writer';
import { FakeAppliance, rawConfig, tmpDir, validConfig } from './api-fixtures';
import { Appliance } from '../../src/lb/appliance';
import type { NativeAddon } from '../../src/native/addon';
import { statedVocabulary } from '../../src/native/vocabulary';
import { idleSync } from '../lib/fake-addon';

function makeWriter(stateFile: string | null, fake = new FakeAppliance()) {
  const writer = new ConfigWriter({ appliance: fake, initial: validConfig(), stateFile, onApplied: () => fake.done() });
  return { writer, fake };
}

test('apply: validates, publishes, persists; current() is the new config and frozen', async () => {
  const dir = tmpDir();
  const state = path.join(dir, 'state.json');
  const { writer, fake } = makeWriter(state);
  const raw = rawConfig();
  (raw.timeouts as unknown) = { tcp: 600 };
  const cfg = await writer.apply(raw, 'test');
  assert.equal(cfg.timeouts.tcp, 600);
  assert.equal(cfg.timeouts.udp, 300, 'defaults filled');
  assert.equal(fake.applied.length, 1);
  assert.equal(writer.current().timeouts.tcp, 600);
  assert.equal(fs.readFileSync(state, 'utf8'), serializeConfig(cfg));
  assert.throws(() => { (writer.current().timeouts as { tcp: number }).tcp = 1; }, TypeError);
  assert.deepEqual(fs.readdirSync(dir), ['state.json'], 'no temp files left behind');
});

test('state file is replaced by rename (new inode), never rewritten in place', async () => {
  const dir = tmpDir();
  const state = path.join(dir, 'state.json');
  const { writer } = makeWriter(state);
  await writer.persist();
  const ino1 = fs.statSync(state).ino;
  await writer.mutate((d) => { d.timeouts.udp = 100; }, 'test');
  const ino2 = fs.statSync(state).ino;
  assert.notEqual(ino1, ino2);
  assert.equal(JSON.parse(fs.readFileSync(state, 'utf8')).timeouts.udp, 100);
});

test('invalid config: ConfigRejected with every error; appliance not called, nothing changes', async () => {
  const dir = tmpDir();
  const state = path.join(dir, 'state.json');
  const { writer, fake } = makeWriter(state);
  await writer.persist();
  const before = fs.readFileSync(state);
  const raw = rawConfig();
  (raw.services as Record<string, unknown>[])[0]!.port = 70000;
  (raw as Record<string, unknown>).bogus = 1;
  await assert.rejects(writer.apply(raw, 'test'), (e: unknown) => {
    assert.ok(e instanceof ConfigRejected);
    const paths = e.errors.map((x) => x.path).sort();
    assert.deepEqual(paths, ['bogus', 'services[0].port']);
    return true;
  });
  assert.equal(fake.applied.length, 0);
  assert.deepEqual(fs.readFileSync(state), before);
  assert.equal(writer.current().services[0]!.port, 80);
});

test('appliance.apply throws: ApplyFailed; running config and state file byte-identical', async () => {
  const dir = tmpDir();
  const state = path.join(dir, 'state.json');
  const { writer, fake } = makeWriter(state);
  await writer.persist();
  const before = fs.readFileSync(state);
  const cur = writer.current();
  fake.failNext = 'publish failed';
  await assert.rejects(writer.mutate((d) => { d.timeouts.tcp = 5; }, 'test'), ApplyFailed);
  assert.strictEqual(writer.current(), cur);
  assert.equal(writer.current().timeouts.tcp, 900);
  assert.deepEqual(fs.readFileSync(state), before);
  // The writer still works afterwards (the queue is not poisoned).
  await writer.mutate((d) => { d.timeouts.tcp = 7; }, 'test');
  assert.equal(writer.current().timeouts.tcp, 7);
});

test('persist fails after publish: previous config re-applied, PersistFailed, nothing changed', async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'afile'), 'x');
  const state = path.join(dir, 'afile', 'state.json'); // parent is a file: mkdir/open fail
  const { writer, fake } = makeWriter(state);
  const prev = writer.current();
  await assert.rejects(writer.mutate((d) => { d.timeouts.tcp = 5; }, 'test'), (e: unknown) => {
    assert.ok(e instanceof PersistFailed);
    assert.equal(e.rolledBack, true);
    return true;
  });
  assert.equal(fake.applied.length, 2, 'new config, then the previous one again');
  assert.equal(fake.applied[0]!.timeouts.tcp, 5);
  assert.deepEqual(fake.applied[1], prev);
  assert.strictEqual(writer.current(), prev);
});

test('mutate: an exception in fn aborts with nothing applied', async () => {
  const { writer, fake } = makeWriter(null);
  await assert.rejects(writer.mutate(() => { throw new Error('nope'); }, 'test'), /nope/);
  assert.equal(fake.applied.length, 0);
});

test('concurrent mutates are serialised: all land, applies never overlap, each sees the previous', async () => {
  const dir = tmpDir();
  const state = path.join(dir, 'state.json');
  const { writer, fake } = makeWriter(state);
  const n = 40;
  await Promise.all(Array.from({ length: n }, (_, i) => writer.mutate((d) => {
    d.services[0]!.servers.push({ address: `198.19.0.${20 + i}`, port: 80, weight: i, method: 'fullnat' });
  }, `add ${i}`)));
  assert.equal(fake.overlaps, 0);
  assert.equal(fake.applied.length, n);
  fake.applied.forEach((c, k) => assert.equal(c.services[0]!.servers.length, 2 + k, `apply ${k} builds on apply ${k - 1}`));
  assert.equal(writer.current().services[0]!.servers.length, 1 + n);
  assert.deepEqual(JSON.parse(fs.readFileSync(state, 'utf8')), writer.current());
});

test('works with the real Appliance (fake addon): frozen config publishes', async () => {
  const published: unknown[] = [];
  const addon: NativeAddon = {
    vocabulary: statedVocabulary(),
    templates: () => ({ templates: [], cursor: 0, done: true }),
    explain: () => { throw new Error('not in this fake'); },
    replayFrame: () => undefined,
    replayNeighbour: () => undefined,
    ...idleSync,
    ealInit: () => undefined, start: () => undefined, publish: (c) => { published.push(c); },
    stop: () => undefined, cleanup: () => undefined, ports: () => [],
    stats: () => ({ workers: [], ports: {}, drops: {}, persistence: { templateSlots: 65536, templatesFull: 0, templatesReclaimed: 0 } }), dropReasons: () => [], ringInject: () => 0, ringDrain: () => [],
    serverStats: () => [], lipStats: () => [], sessions: () => ({ sessions: [], cursor: 0, done: true }), neighbours: () => [],
  };
  const app = new Appliance(validConfig(), {
    addon, skipHostConfig: true, host: { cpuCount: 2, hugepagesFree: 0, hugepageSizeKB: 2048, hugetlbfsMounted: false },
  });
  app.start();
  const writer = new ConfigWriter({ appliance: app, initial: app.config, stateFile: null });
  await writer.mutate((d) => { d.services[0]!.servers[0]!.weight = 3; }, 'test');
  assert.equal(published.length, 2);
  assert.equal(app.config.services[0]!.servers[0]!.weight, 3);
  // A change the dataplane cannot take live is refused, and nothing changes.
  await assert.rejects(writer.mutate((d) => { d.ports[0]!.mtu = 9000; }, 'test'), (e: unknown) =>
    e instanceof ApplyFailed && /restart/.test(e.message));
  assert.equal(writer.current().ports[0]!.mtu, 1500);
  app.stop();
});

// ---------------------------------------------------------------- restart

function writeJson(file: string, v: unknown): void {
  fs.writeFileSync(file, JSON.stringify(v, null, 2));
}

test('restart: a valid state file with the same ports wins over --config', async () => {
  const dir = tmpDir();
  const conf = path.join(dir, 'fulcrum.json');
  const state = path.join(dir, 'state.json');
  writeJson(conf, rawConfig());
  // First start: no state file.
  const first = chooseStartConfig(conf, state);
  assert.ok(first.ok);
  assert.equal(first.source, 'config');
  const { writer } = makeWriter(state);
  await writer.mutate((d) => { d.services[0]!.servers[0]!.weight = 42; }, 'api');
  // "kill -9", then start again with the same --config.
  const second = chooseStartConfig(conf, state);
  assert.ok(second.ok);
  assert.equal(second.source, 'state');
  assert.equal(second.config.services[0]!.servers[0]!.weight, 42);
  assert.deepEqual(second.config, writer.current());
});

test('restart: config stateFile is the default state path; --state overrides it', () => {
  const dir = tmpDir();
  const conf = path.join(dir, 'fulcrum.json');
  const state = path.join(dir, 'from-config.json');
  writeJson(conf, { ...rawConfig(), stateFile: state });
  const r = chooseStartConfig(conf, undefined);
  assert.ok(r.ok);
  assert.equal(r.stateFile, state);
  const o = chooseStartConfig(conf, path.join(dir, 'other.json'));
  assert.ok(o.ok);
  assert.equal(o.stateFile, path.join(dir, 'other.json'));
});

test('restart: invalid or foreign state file is ignored; broken --config is an error', () => {
  const dir = tmpDir();
  const conf = path.join(dir, 'fulcrum.json');
  const state = path.join(dir, 'state.json');
  writeJson(conf, rawConfig());
  fs.writeFileSync(state, '{"dataplane": ');
  const bad = chooseStartConfig(conf, state);
  assert.ok(bad.ok);
  assert.equal(bad.source, 'config');
  assert.match(bad.note, /invalid/);

  const other = rawConfig();
  (other.ports as { name: string }[])[1]!.name = 'rs';
  writeJson(state, other);
  const foreign = chooseStartConfig(conf, state);
  assert.ok(foreign.ok);
  assert.equal(foreign.source, 'config');
  assert.match(foreign.note, /other ports/);

  writeJson(state, rawConfig());
  writeJson(conf, { ...rawConfig(), bogus: true });
  const broken = chooseStartConfig(conf, state);
  assert.ok(!broken.ok);
  assert.equal(broken.errors[0]!.path, 'bogus');
});
