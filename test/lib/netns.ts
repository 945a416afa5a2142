// Network-namespace helpers for the end-to-end tests (run as root): the
// product's topology library (src/topology: commands, namespaces, the
// standard topology and its director), which the demo runs on too, plus
// what only tests need.
import fs from 'node:fs';
import path from 'node:path';
import type { Topology } from '../../src/topology/netns';
import { waitFor } from '../../src/topology/exec';

export * from '../../src/topology/exec';
export * from '../../src/topology/netns';
export * from '../../src/topology/standard';
export * from '../../src/topology/director';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Reason string for `test(..., { skip })` when not root; false when root. */
export function skipUnlessRoot(): string | false {
  return isRoot() ? false : 'needs root (network namespaces); run as root, e.g. sudo ./scripts/test.sh';
}

/** Repository root (holds package.json), found from this file in test/lib or dist/test/lib. */
export function repoRoot(): string {
  let d = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'test'))) return d;
    d = path.dirname(d);
  }
  return process.cwd();
}

/** ping from a namespace; true when at least one reply came back. */
export async function ping(topo: Topology, ns: string, dst: string, count = 1, timeoutS = 2): Promise<boolean> {
  const r = await topo.exec(ns, 'ping', ['-n', '-c', String(count), '-W', String(timeoutS), dst], { allowFail: true, timeoutMs: (count + timeoutS + 2) * 1000 });
  return r.code === 0;
}

/**
 * The exception path, end to end: a socat service in the director's kernel
 * (`listen`, a socat listening address such as "TCP-LISTEN:2222,bind=..."),
 * asked from the client namespace (`connect`, e.g. "TCP:198.18.0.1:2222")
 * until it answers or 20 s pass; returns its trimmed reply.
 */
export async function askDirectorKernel(topo: Topology, o: { client: string; listen: string; connect: string; reply: string }): Promise<string> {
  const server = topo.spawn('dir', 'socat', [`${o.listen},fork,reuseaddr`, `SYSTEM:echo ${o.reply}`]);
  try {
    const out = await waitFor(
      async () => {
        if (server.child.exitCode !== null) throw new Error(`socat server exited: ${server.stderr()}`);
        const r = await topo.exec(o.client, 'socat', ['-T', '3', '-', `${o.connect},connect-timeout=3`], {
          allowFail: true, timeoutMs: 8000, input: '',
        });
        if (r.code !== 0) throw new Error(`client socat exit ${r.code}: ${r.stderr.trim()}`);
        return r.stdout;
      },
      20_000,
      { what: 'the exception-path service to answer', intervalMs: 500 },
    );
    return out.trim();
  } finally {
    await server.stop('SIGTERM', 2000);
  }
}
