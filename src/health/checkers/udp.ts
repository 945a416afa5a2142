// UDP_CHECK, keepalived's semantics: send one datagram (the payload, else
// empty) on a connected socket. Without requireReply the server is up unless
// it refuses (an ICMP port unreachable comes back as ECONNREFUSED) within
// the timeout; with requireReply it must answer, with a length in
// [minReplyLength, maxReplyLength] and, with `reply`, starting with those bytes.
import dgram from 'node:dgram';
import type { ProbeResult } from '../state';
import { errText, hexBytes, oneShot, udpType, type Checker, type ProbeTarget } from './common';

export interface UdpProbe extends ProbeTarget {
  type: 'udp';
  payload: Buffer;
  requireReply: boolean;
  reply?: Buffer;
  minReplyLength: number;
  maxReplyLength: number;
}

export function udpCheck(p: UdpProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(udpType(p.address));
    // Silence until the timeout: up, unless an answer was required.
    const silence: ProbeResult = p.requireReply ? { ok: false, error: 'no reply' } : { ok: true };
    const finish = oneShot(p.timeoutMs, silence, resolve, () => sock.close());
    sock.on('error', (e) => finish({ ok: false, error: errText(e) }));
    sock.on('message', (msg) => {
      if (!p.requireReply) return;
      if (msg.length < p.minReplyLength || msg.length > p.maxReplyLength) {
        return finish({ ok: false, error: `reply of ${msg.length} bytes, outside ${p.minReplyLength}-${p.maxReplyLength}` });
      }
      // keepalived compares the shorter of the reply and the expected bytes.
      const n = Math.min(msg.length, p.reply?.length ?? 0);
      if (p.reply && !msg.subarray(0, n).equals(p.reply.subarray(0, n))) return finish({ ok: false, error: 'reply data mismatch' });
      finish({ ok: true });
    });
    sock.bind({ port: 0, ...(p.localAddress ? { address: p.localAddress } : {}) }, () => {
      sock.connect(p.port, p.address, () => {
        sock.send(p.payload, (e) => {
          if (e) finish({ ok: false, error: errText(e) });
        });
      });
    });
  });
}

export const udp: Checker<UdpProbe> = {
  spec: ({ hc, target }) => {
    const u = hc.udp!;
    return {
      type: 'udp',
      ...target,
      payload: u.payload ? hexBytes(u.payload) : Buffer.alloc(0),
      requireReply: u.requireReply || u.reply !== undefined,
      ...(u.reply ? { reply: hexBytes(u.reply) } : {}),
      minReplyLength: u.minReplyLength,
      maxReplyLength: u.maxReplyLength,
    };
  },
  run: udpCheck,
};
