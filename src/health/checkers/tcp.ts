// TCP_CHECK: up when the connection is established within the timeout.
import net from 'node:net';
import type { ProbeResult } from '../state';
import { errText, oneShot, type Checker, type ProbeTarget } from './common';

export interface TcpProbe extends ProbeTarget {
  type: 'tcp';
}

export function tcpCheck(p: TcpProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: p.address, port: p.port, ...(p.localAddress ? { localAddress: p.localAddress } : {}) });
    const finish = oneShot(p.timeoutMs, { ok: false, error: 'connect timeout' }, resolve, () => sock.destroy());
    sock.once('connect', () => finish({ ok: true }));
    sock.once('error', (e) => finish({ ok: false, error: errText(e) }));
  });
}

export const tcp: Checker<TcpProbe> = {
  spec: ({ target }) => ({ type: 'tcp', ...target }),
  run: tcpCheck,
};
