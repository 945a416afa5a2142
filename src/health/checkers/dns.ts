// DNS_CHECK, as keepalived: one query (type, name; recursion desired) over
// UDP to the server's port; up when an answer with the query's id and the
// QR bit comes back with RCODE 0 (NOERROR). Answers with another id, or
// queries, are ignored until the timeout.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import type { ProbeResult } from '../state';
import { errText, oneShot, udpType, type Checker, type ProbeTarget } from './common';

export interface DnsProbe extends ProbeTarget {
  type: 'dns';
  qtype: string;
  name: string;
}

/** The query types, by the name keepalived's `type` takes (RFC 1035, RFC 3596). */
export const DNS_TYPE_CODES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The query message: header, one question (class IN). */
export function dnsQuery(id: number, name: string, qtype: string): Buffer {
  const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2); // RD
  head.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPE_CODES[qtype] ?? DNS_TYPE_CODES.SOA!, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([head, qname, tail]);
}

export function dnsCheck(p: DnsProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(udpType(p.address));
    const id = crypto.randomInt(0, 0x10000);
    const finish = oneShot(p.timeoutMs, { ok: false, error: 'no answer' }, resolve, () => sock.close());
    sock.on('error', (e) => finish({ ok: false, error: errText(e) }));
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      const flags = msg.readUInt16BE(2);
      if (!(flags & 0x8000)) return; // a query, not an answer
      const rcode = flags & 0xf;
      finish(rcode === 0 ? { ok: true } : { ok: false, error: `rcode ${RCODE_NAMES[rcode] ?? rcode}` });
    });
    sock.bind({ port: 0, ...(p.localAddress ? { address: p.localAddress } : {}) }, () => {
      sock.connect(p.port, p.address, () => {
        sock.send(dnsQuery(id, p.name, p.qtype), (e) => {
          if (e) finish({ ok: false, error: errText(e) });
        });
      });
    });
  });
}

export const dns: Checker<DnsProbe> = {
  spec: ({ hc, target }) => ({ type: 'dns', ...target, qtype: hc.dns!.type, name: hc.dns!.name }),
  run: dnsCheck,
};
