// fulcrum top: frames from two samples (rates over the interval, sums per
// service, health, drops by reason), and the command itself as an operator
// runs it, against a real API whose dataplane counters the test advances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { human, renderLines, renderScreen, topFrame, type TopSample } from '../../src/top/view';
import { Appliance } from '../../src/lb/appliance';
import { ConfigWriter } from '../../src/lb/writer';
import { buildApi } from '../../src/api/server';
import type { NativeAddon, NativeServerStats } from '../../src/native/addon';
import { statedVocabulary } from '../../src/native/vocabulary';
import { validConfig } from './api-fixtures';
import { idleSync } from '../lib/fake-addon';

const sample = (atMs: number, conns: number, drops: number, state = 'UP'): TopSample => ({
  atMs,
  stats: {
    drops: { no_server: drops, malformed: 3 },
    services: [{
      id: 'tcp:198.18.0.100:80', scheduler: 'rr', servers: [
        { id: '198.19.0.11:80', weight: 1, method: 'fullnat', conns, inPkts: 10 * conns, outPkts: 8 * conns, inBytes: 1000 * conns, outBytes: 5000 * conns, activeConns: 4, inactConns: 2 },
        { id: '198.19.0.12:80', weight: 0, method: 'fullnat', conns: 7, activeConns: 1, inactConns: 0 },
      ],
    }],
  },
  health: [{ service: 'tcp:198.18.0.100:80', server: '198.19.0.11:80', state }],
});

test('a frame: per-second rates over the interval, service sums, health, drops that grew', () => {
  const f = topFrame(sample(0, 100, 5), sample(2000, 300, 9, 'down'));
  assert.equal(f.intervalSec, 2);
  const [svc, a, b] = f.rows;
  assert.deepEqual([a!.connsPerSec, a!.pktsPerSec, a!.bytesPerSec, a!.active, a!.inactive, a!.health, a!.weight], [100, 1800, 600000, 4, 2, 'DOWN', 1]);
  assert.deepEqual([b!.connsPerSec, b!.health, b!.weight], [0, '-', 0]);
  assert.deepEqual([svc!.server, svc!.connsPerSec, svc!.active, svc!.scheduler], [null, 100, 5, 'rr']);
  assert.deepEqual(f.drops, [['no_server', 2]]);
  assert.equal(renderLines(f, '08:00:00'),
    '08:00:00 tcp:198.18.0.100:80 198.19.0.11:80 method=fullnat weight=1 health=DOWN conns/s=100.0 pkts/s=1800.0 bytes/s=600000 active=4 inactive=2\n' +
    '08:00:00 tcp:198.18.0.100:80 198.19.0.12:80 method=fullnat weight=0 health=- conns/s=0.0 pkts/s=0.0 bytes/s=0 active=1 inactive=0\n' +
    '08:00:00 drops/s no_server=2.0\n');
  const screen = renderScreen(f, 'title');
  assert.match(screen, /^title\n\nSERVICE \/ REAL SERVER +SCHED\/FWD +WEIGHT +HEALTH +CONN\/S +PKT\/S +BYTES\/S +ACTIVE +INACT\n/);
  assert.match(screen, /^ {2}-> 198\.19\.0\.11:80 +fullnat +1 +DOWN +100 +1\.8k +600k +4 +2$/m);
  assert.match(screen, /^drops\/s: no_server 2$/m);
  // A counter that went down (ipvsadm -Z) is no negative rate; the first sample has no interval.
  assert.equal(topFrame(sample(0, 300, 9), sample(1000, 10, 9)).rows[1]!.connsPerSec, 0);
  assert.equal(topFrame(undefined, sample(0, 300, 9)).rows[1]!.connsPerSec, 0);
  assert.deepEqual(['0', '999', '1.0k', '12.3M', '12.5'].map((x) => x), [human(0), human(999), human(1000), human(12_345_678), human(12.5)]);
});

test('fulcrum top --count 2 (stdout not a terminal): plain lines with the live rates of a real API', { timeout: 60_000 }, async () => {
  const rs: NativeServerStats = { id: 0, active: 3, inactive: 1, conns: 0, inPackets: 0, outPackets: 0, inBytes: 0, outBytes: 0 };
  const addon: NativeAddon = {
    vocabulary: statedVocabulary(),
    templates: () => ({ templates: [], cursor: 0, done: true }),
    explain: () => { throw new Error('not in this fake'); },
    replayFrame: () => undefined,
    replayNeighbour: () => undefined,
    ...idleSync,
    ealInit: () => undefined, start: () => undefined, publish: () => undefined, stop: () => undefined, cleanup: () => undefined,
    ports: () => [], dropReasons: () => [], ringInject: () => 0, ringDrain: () => [], lipStats: () => [], neighbours: () => [],
    stats: () => ({ workers: [], ports: {}, drops: { no_server: rs.conns }, persistence: { templateSlots: 1024, templatesFull: 0, templatesReclaimed: 0 } }),
    serverStats: () => [{ ...rs }],
    sessions: () => ({ sessions: [], cursor: 0, done: true }),
  };
  const appliance = new Appliance(validConfig(), { addon, skipHostConfig: true, host: { cpuCount: 2, hugepagesFree: 0, hugepageSizeKB: 2048, hugetlbfsMounted: false } });
  appliance.start();
  const writer = new ConfigWriter({ appliance, initial: appliance.config, stateFile: null });
  const app = buildApi({ writer, appliance });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  // 50 connections of 10 + 10 packets of 100 bytes every 100 ms: 500 conn/s.
  const tick = setInterval(() => {
    rs.conns += 50;
    rs.inPackets += 500;
    rs.outPackets += 500;
    rs.inBytes += 50_000;
    rs.outBytes += 50_000;
  }, 100);
  try {
    const cli = path.join(__dirname, '..', '..', 'src', 'cli', 'fulcrum.js');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [cli, 'top', '--api', `http://127.0.0.1:${port}`, '--count', '2', '--interval', '0.5'], { timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 4, out);   // 2 frames x (1 server + drops)
    for (const l of lines.filter((x) => x.includes('198.19.0.11:80'))) {
      const m = /conns\/s=([\d.]+) pkts\/s=([\d.]+) .* active=3 inactive=1$/.exec(l);
      assert.ok(m, l);
      const cps = Number(m[1]);
      assert.ok(cps > 250 && cps < 1000, `about 500 conn/s: ${l}`);
      assert.ok(Math.abs(Number(m[2]) / cps - 20) < 0.05, `20 packets a connection (to the printed decimal): ${l}`);
      assert.match(l, /method=fullnat weight=1 health=- /);
    }
    assert.match(lines[1]!, /drops\/s no_server=\d+\.\d$/);
  } finally {
    clearInterval(tick);
    await app.close();
  }
});
