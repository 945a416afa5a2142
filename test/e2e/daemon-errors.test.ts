// `fulcrum daemon` with bad configs: exactly one stderr line naming the
// problem, a non-zero exit, no stack trace, nothing left running.
//
// Each case runs the real daemon inside the director namespace of a standard
// topology (so a half-started daemon can only ever touch that namespace).
// Needs root; without root it skips with a loud reason, as root never.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  deepMerge,
  repoRoot,
  run,
  skipUnlessRoot,
  standardDirectorConfig,
  standardTopology,
  type StandardTopology,
} from '../lib/netns';
import { probeHost } from '../../src/dataplane/eal';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/daemon-errors SKIPPED: ${SKIP} !!!!!!!!\n\n`);

let st: StandardTopology | undefined;

interface ErrCase {
  description: string;
  /** Builds the full config (arrays replace wholesale, so cases edit a copy). */
  config: () => Record<string, unknown>;
  /** What the single stderr line must mention. */
  expect: RegExp;
}

type Port = { name: string; device: string; twin: string; addresses: { ip: string; role: string }[] };

function withPorts(edit: (ports: Port[]) => void, over: Record<string, unknown> = {}): Record<string, unknown> {
  const cfg = deepMerge(standardDirectorConfig(), over);
  const ports = JSON.parse(JSON.stringify(cfg.ports)) as Port[];
  edit(ports);
  return { ...cfg, ports };
}

const cases: ErrCase[] = [
  {
    description: 'unknown port device (af_packet on a missing interface)',
    config: () => withPorts((p) => {
      p[0]!.device = 'net_af_packet0,iface=doesnotexist0';
    }),
    expect: /doesnotexist0|net_af_packet0|client/,
  },
  {
    description: 'hugepages "require" with more memory than free hugepages',
    config: () => {
      const h = probeHost();
      const freeMB = Math.floor((h.hugepagesFree * h.hugepageSizeKB) / 1024);
      return deepMerge(standardDirectorConfig(), { dataplane: { memory: { hugepages: 'require', sizeMB: freeMB + 1024 } } });
    },
    expect: /hugepage/i,
  },
  {
    description: 'worker lcore that does not exist (63, no lcoreMap)',
    config: () => deepMerge(standardDirectorConfig(), { dataplane: { workers: [63] } }),
    expect: /lcore 63|workers/,
  },
  {
    // net_tap fills its RX rings at start: two ports and two twins take 4096
    // of the 4500, fewer than one worker needs are left.
    description: 'mbuf pool too small for what the ports\' RX rings take at start',
    config: () => withPorts((p) => {
      p[0]!.device = 'net_tap10,iface=tcli';
      p[1]!.device = 'net_tap11,iface=tsrv';
    }, { dataplane: { mbufsPerSocket: 4500 } }),
    expect: /mbufsPerSocket 4500 is too small: the ports' RX rings took \d+ mbufs/,
  },
  {
    // A /32 VIP, so the one problem is the clash itself (a second /24 would
    // also, rightly, be reported as an overlapping subnet).
    description: 'address clash: the same IP on two ports',
    config: () => withPorts((p) => {
      p[1]!.addresses.push({ ip: '198.18.0.1/32', role: 'vip' });
    }),
    expect: /198\.18\.0\.1/,
  },
];

describe('daemon refuses bad configs with one clear line', { skip: SKIP }, () => {
  before(async () => {
    st = await standardTopology({ realServers: 0 });
  }, { timeout: 60_000 });

  after(async () => {
    await st?.destroy();
  }, { timeout: 60_000 });

  for (const c of cases) {
    test(c.description, { timeout: 60_000 }, async () => {
      const file = st!.topo.tmpFile('bad.json', JSON.stringify(c.config(), null, 2));
      const cli = path.join(repoRoot(), 'dist', 'src', 'cli', 'fulcrum.js');
      const r = await run('ip', ['netns', 'exec', st!.ns.director, process.execPath, cli, 'daemon', '--config', file, '--state', `${file}.state.json`], {
        allowFail: true,
        timeoutMs: 45_000,
        cwd: repoRoot(),
      });
      const report = `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
      assert.notEqual(r.code, 0, `daemon should fail: ${report}`);
      assert.ok(r.code > 0, `daemon should exit with an error code, not be killed/time out: ${report}`);
      assert.doesNotMatch(r.stdout, /fulcrum: up/, `daemon claimed to be up: ${report}`);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, `expected exactly one stderr line, got ${lines.length}: ${report}`);
      assert.match(lines[0]!, c.expect, `the line should name the problem: ${report}`);
      assert.doesNotMatch(r.stderr, /^\s+at |Error: .*\n\s+at /m, `stack trace: ${report}`);
      // Nothing may be left behind: no twin interfaces in the namespace.
      const links = await st!.topo.exec('dir', 'ip', ['-o', 'link', 'show']);
      assert.doesNotMatch(links.stdout, /fl-client|fl-servers/, `twin left behind after a failed start:\n${links.stdout}`);
    });
  }
});

test('bad-config cases build valid JSON (self-check)', () => {
  for (const c of cases) assert.doesNotThrow(() => JSON.stringify(c.config()), c.description);
  assert.ok(fs.existsSync(path.join(repoRoot(), 'package.json')));
});
