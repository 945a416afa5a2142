// The C unit tests of native/sched, one program per scheduler family as the
// sources are split (test/native/sched_<family>_test.c): the IPVS scheduler
// family and Maglev, each built with the whole of native/sched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cTest, repoRoot, SANITIZERS } from '../lib/ctest';

const schedSources = fs.readdirSync(path.join(repoRoot, 'native/sched'))
  .filter((f) => f.endsWith('.c')).sort().map((f) => `native/sched/${f}`);

for (const family of ['core', 'rr', 'lc', 'lblc', 'hash', 'mh', 'twos']) {
  cTest({
    title: `native schedulers: ${family}`,
    sources: [`test/native/sched_${family}_test.c`, ...schedSources],
    variants: [{ name: 'default', defines: [] }, SANITIZERS],
  });
}
