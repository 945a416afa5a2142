// The C unit tests of native/session, built twice: as shipped, and with a
// dense index (two slots per session) so that filling the table drives the
// cuckoo displacement hard; once for each address family's table
// (session_test.c: IPv4, session6_test.c: IPv6, over the same
// sess_table_impl.h).
import { cTest, SANITIZERS } from '../lib/ctest';

const variants = [
  { name: 'default', defines: [] },
  { name: 'dense index', defines: ['-DFL_SESS_BUCKET_DIV=4'] },
  SANITIZERS,
];

cTest({
  title: 'native session table (IPv4)',
  sources: ['test/native/session_test.c', 'native/session/session.c', 'native/session/tcp_state.c'],
  variants,
});

cTest({
  title: 'native session table (IPv6)',
  sources: ['test/native/session6_test.c', 'native/session/session6.c', 'native/session/session.c', 'native/session/tcp_state.c'],
  variants,
});
