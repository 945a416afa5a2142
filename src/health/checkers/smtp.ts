// SMTP_CHECK, as keepalived talks to the server: read the greeting (220),
// send HELO <helo> and expect 250, send QUIT and wait for any answer. Only
// the reply codes count; a multi-line reply ("250-...") is read to its
// last line. The timeout covers the whole conversation.
import net from 'node:net';
import type { ProbeResult } from '../state';
import { errText, oneShot, type Checker, type ProbeTarget } from './common';

export interface SmtpProbe extends ProbeTarget {
  type: 'smtp';
  helo: string;
}

/** Longest reply we read before giving up (keepalived's buffer is 512 bytes a line). */
const MAX_REPLY = 16384;

export function smtpCheck(p: SmtpProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: p.address, port: p.port, ...(p.localAddress ? { localAddress: p.localAddress } : {}) });
    const finish = oneShot(p.timeoutMs, { ok: false, error: 'timeout' }, resolve, () => sock.destroy());
    // The conversation: what to expect, then what to send next.
    const steps: { expect: number | null; what: string; send?: string }[] = [
      { expect: 220, what: 'greeting', send: `HELO ${p.helo}\r\n` },
      { expect: 250, what: 'HELO', send: 'QUIT\r\n' },
      { expect: null, what: 'QUIT' },
    ];
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REPLY) return finish({ ok: false, error: 'reply too long' });
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (/^\d{3}-/.test(line)) continue; // a continuation line of a multi-line reply
        const step = steps.shift()!;
        const code = /^\d{3}/.test(line) ? Number(line.slice(0, 3)) : NaN;
        if (step.expect !== null && code !== step.expect) {
          return finish({ ok: false, error: `${step.what}: expected ${step.expect}, got "${line.slice(0, 80)}"` });
        }
        if (step.send === undefined) return finish({ ok: true });
        sock.write(step.send);
      }
    });
    sock.once('end', () => finish({ ok: false, error: `closed before the ${steps[0]?.what ?? 'end'} reply` }));
    sock.once('error', (e) => finish({ ok: false, error: errText(e) }));
  });
}

export const smtp: Checker<SmtpProbe> = {
  spec: ({ hc, target }) => ({ type: 'smtp', ...target, helo: hc.smtp!.helo }),
  run: smtpCheck,
};
