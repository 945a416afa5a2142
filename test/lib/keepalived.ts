// keepalived as the HA tests run it: VRRP only, in the foreground, logging
// to the console, its config and pid files in the director's work folder.
import fs from 'node:fs';
import path from 'node:path';
import type { Spawned } from '../../src/topology/exec';
import type { Topology } from '../../src/topology/netns';

/** Write `conf` to `dir`/keepalived.conf and start keepalived on it in namespace `ns`. */
export function spawnKeepalived(topo: Topology, ns: string, dir: string, conf: string): Spawned {
  const file = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(file, conf);
  return topo.spawn(ns, 'keepalived', ['--dont-fork', '--log-console', '--log-detail', '--vrrp',
    '--use-file', file, '--pid', path.join(dir, 'keepalived.pid'), '--vrrp_pid', path.join(dir, 'vrrp.pid')]);
}
