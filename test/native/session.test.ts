// The C unit tests of native/session (test/native/session_test.c), built
// twice: as shipped, and with a dense index (two slots per session) so that
// filling the table drives the cuckoo displacement hard.
import { cTest, SANITIZERS } from '../lib/ctest';

cTest({
  title: 'native session table',
  sources: ['test/native/session_test.c', 'native/session/session.c', 'native/session/tcp_state.c'],
  variants: [
    { name: 'default', defines: [] },
    { name: 'dense index', defines: ['-DFL_SESS_BUCKET_DIV=4'] },
    SANITIZERS,
  ],
});
