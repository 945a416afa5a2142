// The C unit tests of native/sched (test/native/sched_test.c): the IPVS
// scheduler family and Maglev.
import { cTest } from '../lib/ctest';

cTest({
  title: 'native schedulers',
  sources: ['test/native/sched_test.c', 'native/sched/sched.c'],
  variants: [{ name: 'default', defines: [] }],
});
