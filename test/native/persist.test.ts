// The C unit tests of native/session/persist.c: persistence templates shared
// by workers (lock-free create, agreement under races, expiry, references).
import { cTest, SANITIZERS } from '../lib/ctest';

cTest({
  title: 'native persistence templates',
  sources: ['test/native/persist_test.c', 'native/session/persist.c', '-lpthread'],
  variants: [{ name: 'default', defines: [] }, SANITIZERS],
});
