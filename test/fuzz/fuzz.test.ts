// The bounded slice of the fast path's fuzzing that every test run makes
// (npm run fuzz runs 10M frames): libFuzzer with AddressSanitizer and
// UndefinedBehaviorSanitizer over the worker's real packet routine
// (test/fuzz/fastpath_fuzz.c, scripts/fuzz.sh), from the seed corpus of the
// packet fixtures' builders and every kept crash input
// (test/fuzz/regressions/), for about 40 s on a fresh corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../lib/netns';

const haveClang = spawnSync('clang', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;
// As root (CI) clang is installed by scripts/setup.sh and required.
const SKIP = !haveClang && !isRoot ? 'clang not installed (apt-get install clang libclang-rt-14-dev) and not root' : false;
if (SKIP) process.stderr.write(`\n!!!!!!!! fuzz slice SKIPPED: ${SKIP} !!!!!!!!\n\n`);

test('fuzz slice: ~40 s of libFuzzer + ASan + UBSan over the fast path finds no crash', { skip: SKIP, timeout: 300_000 }, (t) => {
  assert.ok(haveClang, 'clang is required as root: scripts/setup.sh installs it');
  const corpus = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-fuzz-'));
  try {
    const r = spawnSync('bash', ['scripts/fuzz.sh', '-max_total_time=40'], {
      cwd: repoRoot(), encoding: 'utf8', timeout: 280_000,
      env: { ...process.env, FUZZ_RUNS: '1000000000', FUZZ_CORPUS: corpus },
    });
    const out = `${r.stdout}${r.stderr}`;
    const m = /fuzz: frames (\d+), coverage (\d+) edges \((\d+) features\), crashes (\d+), exit (\d+)/.exec(out);
    assert.ok(m, `no summary line:\n${out.slice(-4000)}`);
    t.diagnostic(m[0]);
    assert.equal(r.status, 0, `the fuzzer failed:\n${out.slice(-6000)}`);
    assert.equal(Number(m[4]), 0, out.slice(-6000));
    assert.ok(Number(m[1]) >= 100_000, `only ${m[1]} frames ran`);
    assert.ok(Number(m[2]) >= 500, `coverage ${m[2]} edges: the harness did not reach the fast path`);
  } finally {
    fs.rmSync(corpus, { recursive: true, force: true });
  }
});
