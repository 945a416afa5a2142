// PING_CHECK: one ICMP echo request; up when the reply comes within the
// timeout. keepalived opens an ICMP socket itself; Node has no raw or ICMP
// datagram sockets, so this runs iputils' `ping` (Debian's iputils-ping,
// setuid-free: it uses the ICMP datagram socket or CAP_NET_RAW as root).
import { spawn } from 'node:child_process';
import type { ProbeResult } from '../state';
import { errText, oneShot, type Checker, type ProbeTarget } from './common';
import { familyOf } from '../../net/family';

export interface PingProbe extends Omit<ProbeTarget, 'port'> {
  type: 'ping';
}

export function pingCheck(p: PingProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const secs = (p.timeoutMs / 1000).toFixed(3);
    const args = ['-n', '-q', familyOf(p.address) === 6 ? '-6' : '-4', '-c', '1', '-W', secs, ...(p.localAddress ? ['-I', p.localAddress] : []), p.address];
    const child = spawn('ping', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 1000) stderr += d;
    });
    // ping's own -W bounds the wait; this timer only catches a ping that hangs.
    const finish = oneShot(p.timeoutMs + 1000, { ok: false, error: 'timeout' }, resolve, () => child.kill('SIGKILL'));
    child.once('error', (e) => finish({ ok: false, error: `cannot run ping: ${errText(e)}` }));
    child.once('exit', (code) => {
      if (code === 0) return finish({ ok: true });
      const why = stderr.trim().split('\n').pop();
      finish({ ok: false, error: why ? `ping: ${why}` : 'no echo reply' });
    });
  });
}

export const ping: Checker<PingProbe> = {
  spec: ({ target }) => {
    const { port: _port, ...rest } = target;
    return { type: 'ping', ...rest };
  },
  run: pingCheck,
};
