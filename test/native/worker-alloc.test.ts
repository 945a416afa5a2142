// No heap calls on a worker lcore: the dataplane with its heap calls wrapped
// (test/native/worker_alloc_test.c, built by CMakeLists.txt) schedules new
// flows across three publishes and counts the calls its workers made.
import { builtTest } from '../lib/ctest';

builtTest('native dataplane: no heap call on a worker after a publish', 'worker_alloc_test');
