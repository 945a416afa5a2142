// What every probe shares: the target, the timeout, the source address, and
// one wording for socket errors. Probes are plain kernel sockets: in the
// daemon the kernel twin interfaces carry the DIPs, so a probe to a real
// server leaves through the twin and the DPDK port; the source is bound to
// the DIP on-link for the server (localAddress) so the probe takes the path
// the forwarded traffic takes.
import type { HealthCheckConfig } from '../../config/types';
import type { ProbeResult } from '../state';
import { familyOf } from '../../net/family';

export interface ProbeTarget {
  address: string;
  port: number;
  timeoutMs: number;
  localAddress?: string;
}

/** What a checker needs to build its probe from a server's healthCheck. */
export interface SpecInput {
  hc: HealthCheckConfig;
  target: ProbeTarget;
  /** Variables for commands (MISC_CHECK): the service and server. */
  env: Record<string, string>;
}

/** One checker type: how its probe is built from config, and how it runs. Run resolves, never rejects. */
export interface Checker<S> {
  spec(input: SpecInput): S;
  run(spec: S): Promise<ProbeResult>;
}

export function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') {
    if (err.code === 'ECONNREFUSED') return 'connection refused';
    if (err.code === 'EHOSTUNREACH') return 'host unreachable';
    if (err.code === 'ENETUNREACH') return 'network unreachable';
    if (err.code === 'ECONNRESET') return 'connection reset';
    if (err.code === 'EADDRNOTAVAIL') return `source address not available`;
    return err.code;
  }
  return err instanceof Error ? err.message : String(e);
}

/**
 * A probe's one-shot completion: the first finish() wins, the timer is
 * cleared and cleanup runs once; at the timeout it finishes with `atTimeout`.
 */
export function oneShot(timeoutMs: number, atTimeout: ProbeResult, resolve: (r: ProbeResult) => void, cleanup: () => void): (r: ProbeResult) => void {
  let done = false;
  const finish = (r: ProbeResult): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    cleanup();
    resolve(r);
  };
  const timer = setTimeout(() => finish(atTimeout), timeoutMs);
  return finish;
}

/** "0a 1b2c" -> bytes. The schema has checked the shape. */
export function hexBytes(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** The UDP socket type for a target of either family. */
export function udpType(address: string): 'udp4' | 'udp6' {
  return familyOf(address) === 6 ? 'udp6' : 'udp4';
}
