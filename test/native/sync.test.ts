// The C unit tests of the IPVS sync protocol (test/native/sync_proto_test.c),
// as built and under AddressSanitizer and UndefinedBehaviorSanitizer.
import { cTest, SANITIZERS } from '../lib/ctest';

cTest({
  title: 'native IPVS sync protocol v1',
  sources: ['test/native/sync_proto_test.c', 'native/sync/sync_proto.c'],
  variants: [{ name: 'default', defines: [] }, SANITIZERS],
});
