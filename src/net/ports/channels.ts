// A kernel interface's queues as `ethtool -l` reports them: AF_XDP binds one
// socket per queue, so the queue count decides how many workers it can feed.
import { execFileSync } from 'node:child_process';

export interface Channels {
  maxCombined: number;
  combined: number;
  maxRx: number;
  rx: number;
}

/** Parse `ethtool -l IFACE` ("n/a" counts as 0); null if it is not that output. */
export function parseEthtoolChannels(out: string): Channels | null {
  const max = /Pre-set maximums:([\s\S]*?)Current hardware settings:([\s\S]*)/.exec(out);
  if (!max) return null;
  const field = (block: string, name: string): number => {
    const m = new RegExp(`^\\s*${name}:\\s*(\\d+)`, 'mi').exec(block);
    return m ? Number(m[1]) : 0;
  };
  return {
    maxCombined: field(max[1]!, 'Combined'),
    combined: field(max[2]!, 'Combined'),
    maxRx: field(max[1]!, 'RX'),
    rx: field(max[2]!, 'RX'),
  };
}

/** `ethtool -l` of one interface; null when ethtool or the interface cannot tell. */
export function probeChannels(iface: string): Channels | null {
  try {
    return parseEthtoolChannels(execFileSync('ethtool', ['-l', iface], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }));
  } catch {
    return null;
  }
}
