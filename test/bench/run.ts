// `npm run bench`: the fast-path and component benchmarks. Not tests: they
// print figures and ratios against a baseline measured in the same run, and
// assert nothing about time. Build first (npm run build).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const bin = path.join(root, 'build/native/bin');

function runBench(name: string, args: string[]): number {
  const exe = path.join(bin, name);
  if (!fs.existsSync(exe)) {
    console.error(`bench: ${exe} missing; run \`npm run build\` first`);
    return 1;
  }
  console.log(`\n== ${name} ${args.join(' ')}`);
  const r = spawnSync(exe, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) console.error(`bench: ${name} exited ${r.status ?? r.signal}`);
  return r.status ?? 1;
}

const flows = process.env.BENCH_FLOWS ?? '1000000';
const packets = process.env.BENCH_PACKETS ?? '8000000';
let failed = 0;
failed += runBench('fastpath_bench', [flows, packets]) ? 1 : 0;
failed += runBench('session_bench', []) ? 1 : 0;
failed += runBench('sched_bench', []) ? 1 : 0;
process.exit(failed ? 1 : 0);
