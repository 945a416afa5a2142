// The C unit tests of native/tcp's pure parts (test/native/tcpx_test.c): SYN
// cookies, sequence adjustment, PROXY and TOA bytes; as built, and under
// AddressSanitizer and UndefinedBehaviorSanitizer.
import path from 'node:path';
import { cTest, repoRoot, SANITIZERS } from '../lib/ctest';

// DPDK's headers need the GNU string functions; tcpx.h includes fulcrum.h.
const flags = ['-D_GNU_SOURCE', `-I${path.join(repoRoot, 'native', 'include')}`];
cTest({
  title: 'native TCP stream edits',
  sources: ['test/native/tcpx_test.c', 'native/tcp/syncookie.c', 'native/tcp/seqadj.c', 'native/tcp/proxy_header.c', 'native/tcp/toa.c'],
  variants: [{ name: 'default', defines: flags }, { ...SANITIZERS, defines: [...SANITIZERS.defines, ...flags] }],
});
