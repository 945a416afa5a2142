/*
 * Runs a C unit-test program through node:test.
 *
 * The program is compiled here with the system cc and DPDK's pkg-config flags
 * (headers only at run time: no EAL, no privileges), run, and each of its
 * `ok N - name` / `not ok N - name: reason` lines becomes a subtest. A compile
 * error, a crash or a missing result line fails the test; nothing is skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// dist/test/lib -> repo root
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

function pkgConfig(flag: '--cflags' | '--libs'): string[] {
  const out = execFileSync('pkg-config', [flag, 'libdpdk'], { encoding: 'utf8' });
  return out.split(/\s+/).filter((s) => s.length > 0);
}

interface CaseResult {
  ok: boolean;
  num: number;
  name: string;
  reason: string;
}

export function parseTap(stdout: string): { plan: number; cases: CaseResult[]; notes: string[] } {
  let plan = -1;
  const cases: CaseResult[] = [];
  const notes: string[] = [];
  for (const line of stdout.split('\n')) {
    const planMatch = /^1\.\.(\d+)$/.exec(line);
    if (planMatch) {
      plan = Number(planMatch[1]);
      continue;
    }
    if (line.startsWith('#')) {
      notes.push(line.slice(1).trim());
      continue;
    }
    const m = /^(not )?ok (\d+) - (.*)$/.exec(line);
    if (!m) continue;
    const ok = m[1] === undefined;
    let name = m[3]!;
    let reason = '';
    if (!ok) {
      // "name: reason" -- names contain no ": ", reasons may
      const sep = name.indexOf(': ');
      if (sep >= 0) {
        reason = name.slice(sep + 2);
        name = name.slice(0, sep);
      }
    }
    cases.push({ ok, num: Number(m[2]), name, reason });
  }
  return { plan, cases, notes };
}

export interface CTestSpec {
  /** Title prefix, e.g. "native session table". */
  title: string;
  /** Sources relative to the repo root; the first is the test program. */
  sources: string[];
  /** Builds to run, each with its own -D flags (and compiler, cc by default). */
  variants: { name: string; defines: string[]; compiler?: string }[];
}

/** Run a TAP-printing program: each of its results becomes a subtest. */
async function runTap(t: import('node:test').TestContext, bin: string): Promise<void> {
  const run = spawnSync(bin, [], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.error, undefined, `cannot run test binary: ${String(run.error)}`);
  const { plan, cases, notes } = parseTap(run.stdout);
  for (const note of notes) t.diagnostic(note);
  for (const c of cases) {
    await t.test(`${c.num} ${c.name}`, () => {
      assert.ok(c.ok, c.reason || 'failed');
    });
  }
  assert.ok(plan > 0, `no TAP plan in output:\n${run.stdout}\n${run.stderr}`);
  assert.equal(cases.length, plan,
    `expected ${plan} results, got ${cases.length} (crash?) signal=${run.signal}\n${run.stderr}`);
  const allOk = cases.every((c) => c.ok);
  assert.equal(run.signal, null, `test binary killed by ${run.signal}`);
  assert.equal(run.status, allOk ? 0 : 1, `exit status ${run.status}\n${run.stderr}`);
}

/**
 * A C test program the build made (CMakeLists.txt: it needs the dataplane
 * library or special link flags), in build/native/bin.
 */
export function builtTest(title: string, program: string): void {
  test(`${title} (C, built)`, async (t) => {
    const bin = path.join(repoRoot, 'build/native/bin', program);
    assert.ok(fs.existsSync(bin), `${bin} missing: run npm run build`);
    await runTap(t, bin);
  });
}

/**
 * The sanitizer build of a C test: clang with AddressSanitizer and
 * UndefinedBehaviorSanitizer, any report fatal (scripts/setup.sh installs
 * clang and its runtimes).
 */
export const SANITIZERS = {
  name: 'asan+ubsan',
  compiler: 'clang',
  defines: ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer', '-Wno-unused-command-line-argument'],
};

export function cTest(spec: CTestSpec): void {
  const sources = spec.sources.map((p) => (p.startsWith('-') ? p : path.join(repoRoot, p)));
  for (const variant of spec.variants) {
    test(`${spec.title} (C, ${variant.name})`, async (t) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-ctest-'));
      try {
        const bin = path.join(dir, 'test');
        const cc = spawnSync(
          variant.compiler ?? 'cc',
          ['-std=c11', '-O2', '-g', '-Wall', '-Wextra', '-Werror', ...pkgConfig('--cflags'), ...variant.defines,
            '-o', bin, ...sources, ...pkgConfig('--libs')],
          { encoding: 'utf8' },
        );
        assert.equal(cc.error, undefined, `cannot run cc: ${String(cc.error)}`);
        assert.equal(cc.status, 0, `compilation failed:\n${cc.stderr}`);

        await runTap(t, bin);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
