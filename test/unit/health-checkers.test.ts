// The checkers keepalived has beyond TCP/HTTP/MISC (SMTP_CHECK, UDP_CHECK,
// PING_CHECK, DNS_CHECK) and HTTP_GET with several urls, each against a
// server on loopback that speaks the protocol, including its failure modes.
// The e2e health test runs them against real daemons in namespaces.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { dnsCheck, dnsQuery, httpCheck, pingCheck, probeSource, smtpCheck, tcpCheck, udpCheck } from '../../src/health/checkers';
import { validateConfig } from '../../src/config/validate';
import { rawConfig } from './api-fixtures';

const closers: (() => void)[] = [];
after(() => {
  for (const c of closers) c();
});

async function tcpServer(onConn: (c: net.Socket) => void): Promise<number> {
  const s = net.createServer(onConn);
  closers.push(() => s.close());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
}

async function udpServer(onMsg: (msg: Buffer, reply: (b: Buffer) => void) => void): Promise<number> {
  const s = dgram.createSocket('udp4');
  closers.push(() => s.close());
  s.on('message', (msg, rinfo) => onMsg(msg, (b) => s.send(b, rinfo.port, rinfo.address)));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s.address().port;
}

/** A UDP port with nothing behind it: the kernel answers ICMP port unreachable. */
async function closedUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** An SMTP conversation: each client line gets the next scripted reply. */
function smtpScript(banner: string, replies: string[], seen: string[]): (c: net.Socket) => void {
  return (c) => {
    c.write(banner);
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        seen.push(buf.slice(0, nl + 1));
        buf = buf.slice(nl + 1);
        const r = replies.shift();
        if (r === undefined) c.end();
        else c.write(r);
      }
    });
    c.on('error', () => undefined);
  };
}

const base = { address: '127.0.0.1', timeoutMs: 1000 };

describe('SMTP_CHECK', () => {
  it('greeting 220, HELO with the helo name answered 250, QUIT: up', async () => {
    const seen: string[] = [];
    const port = await tcpServer(smtpScript('220-mx.example ESMTP\r\n220 ready\r\n', ['250-mx.example\r\n250 OK\r\n', '221 bye\r\n'], seen));
    assert.deepEqual(await smtpCheck({ type: 'smtp', ...base, port, helo: 'checker.example' }), { ok: true });
    assert.deepEqual(seen, ['HELO checker.example\r\n', 'QUIT\r\n']);
  });

  it('a greeting that is not 220, a HELO refused, a server that closes: down, with the step', async () => {
    const p1 = await tcpServer(smtpScript('554 go away\r\n', [], []));
    assert.deepEqual(await smtpCheck({ type: 'smtp', ...base, port: p1, helo: 'h' }), { ok: false, error: 'greeting: expected 220, got "554 go away"' });
    const p2 = await tcpServer(smtpScript('220 ok\r\n', ['501 bad helo\r\n'], []));
    assert.deepEqual(await smtpCheck({ type: 'smtp', ...base, port: p2, helo: 'h' }), { ok: false, error: 'HELO: expected 250, got "501 bad helo"' });
    const p3 = await tcpServer((c) => c.end());
    assert.deepEqual(await smtpCheck({ type: 'smtp', ...base, port: p3, helo: 'h' }), { ok: false, error: 'closed before the greeting reply' });
  });

  it('a server that never greets times out', async () => {
    const port = await tcpServer(() => undefined);
    assert.deepEqual(await smtpCheck({ type: 'smtp', ...base, timeoutMs: 150, port, helo: 'h' }), { ok: false, error: 'timeout' });
  });
});

describe('UDP_CHECK', () => {
  const udp = { type: 'udp' as const, ...base, timeoutMs: 300, payload: Buffer.from('ping'), requireReply: false, minReplyLength: 0, maxReplyLength: 255 };

  it('no reply required: silence is up, a port that refuses (ICMP port unreachable) is down', async () => {
    let got = Buffer.alloc(0);
    const port = await udpServer((m) => {
      got = m;
    });
    assert.deepEqual(await udpCheck({ ...udp, port }), { ok: true });
    assert.equal(got.toString(), 'ping', 'the payload is what is sent');
    assert.deepEqual(await udpCheck({ ...udp, port: await closedUdpPort() }), { ok: false, error: 'connection refused' });
  });

  it('requireReply: an answer is up, silence is down; reply bytes and lengths are checked', async () => {
    const echo = await udpServer((m, reply) => reply(Buffer.concat([Buffer.from([0xca, 0xfe]), m])));
    const mute = await udpServer(() => undefined);
    assert.deepEqual(await udpCheck({ ...udp, port: echo, requireReply: true }), { ok: true });
    assert.deepEqual(await udpCheck({ ...udp, port: mute, requireReply: true }), { ok: false, error: 'no reply' });
    assert.deepEqual(await udpCheck({ ...udp, port: echo, requireReply: true, reply: Buffer.from([0xca, 0xfe]) }), { ok: true });
    assert.deepEqual(await udpCheck({ ...udp, port: echo, requireReply: true, reply: Buffer.from([0xca, 0xff]) }), { ok: false, error: 'reply data mismatch' });
    assert.deepEqual(await udpCheck({ ...udp, port: echo, requireReply: true, maxReplyLength: 3 }), { ok: false, error: 'reply of 6 bytes, outside 0-3' });
  });
});

describe('DNS_CHECK', () => {
  it('the query is keepalived\'s: RD set, one question, class IN', () => {
    assert.equal(dnsQuery(0x1234, 'example.org', 'A').toString('hex'),
      '12340100000100000000000007' + Buffer.from('example').toString('hex') + '03' + Buffer.from('org').toString('hex') + '00' + '0001' + '0001');
    assert.equal(dnsQuery(1, '.', 'SOA').toString('hex'), '000101000001000000000000' + '00' + '0006' + '0001');
  });

  it('an answer with the id and RCODE 0 is up; another RCODE is down; a wrong id is ignored', async () => {
    const answer = (rcode: number, idDelta = 0) => async () => udpServer((q, reply) => {
      const a = Buffer.from(q);
      a.writeUInt16BE((q.readUInt16BE(0) + idDelta) & 0xffff, 0);
      a.writeUInt16BE(0x8180 | rcode, 2);
      reply(a);
    });
    const dns = { type: 'dns' as const, ...base, timeoutMs: 300, qtype: 'SOA', name: '.' };
    assert.deepEqual(await dnsCheck({ ...dns, port: await (await answer(0))() }), { ok: true });
    assert.deepEqual(await dnsCheck({ ...dns, port: await (await answer(3))() }), { ok: false, error: 'rcode NXDOMAIN' });
    assert.deepEqual(await dnsCheck({ ...dns, port: await (await answer(0, 1))() }), { ok: false, error: 'no answer' });
    assert.deepEqual(await dnsCheck({ ...dns, port: await closedUdpPort() }), { ok: false, error: 'connection refused' });
  });
});

describe('PING_CHECK', () => {
  it('loopback answers; a source the host does not have fails with ping\'s reason', async () => {
    assert.deepEqual(await pingCheck({ type: 'ping', ...base }), { ok: true });
    const r = await pingCheck({ type: 'ping', ...base, localAddress: '198.18.255.254' });
    assert.equal(r.ok, false);
    assert.match(r.error!, /^ping: /);
  });
});

describe('HTTP_GET with several urls', () => {
  it('every url is checked in order, and the failing one is named', async () => {
    const asked: string[] = [];
    const srv = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(req.url === '/broken' ? 503 : 200).end('x');
    });
    closers.push(() => srv.close());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    const p = { type: 'http' as const, ...base, port, tls: false };
    assert.deepEqual(await httpCheck({ ...p, urls: [{ path: '/a', statusCodes: ['200'] }, { path: '/b', statusCodes: ['200'] }] }), { ok: true });
    assert.deepEqual(asked, ['/a', '/b']);
    assert.deepEqual(await httpCheck({ ...p, urls: [{ path: '/a', statusCodes: ['200'] }, { path: '/broken', statusCodes: ['200'] }] }), { ok: false, error: '/broken: status 503' });
  });
});

describe('config: the new check types', () => {
  const withCheck = (healthCheck: object) => {
    const c = rawConfig() as { services: { servers: Record<string, unknown>[] }[] };
    c.services[0]!.servers[0]!.healthCheck = healthCheck;
    return validateConfig(c);
  };
  it('a type without its block gets the schema defaults', () => {
    const r = withCheck({ type: 'smtp' });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(r.config.services[0]!.servers[0]!.healthCheck!.smtp, { helo: 'smtpchecker.keepalived.org' });
    const d = withCheck({ type: 'dns' });
    assert.ok(d.ok);
    assert.deepEqual(d.config.services[0]!.servers[0]!.healthCheck!.dns, { type: 'SOA', name: '.' });
  });
  it('each mistake is named by its field', () => {
    const errs = (hc: object) => {
      const r = withCheck(hc);
      return r.ok ? [] : r.errors.map((e) => `${e.path.replace(/^services\[0\]\.servers\[0\]\.healthCheck/, 'hc')}: ${e.message}`);
    };
    assert.deepEqual(errs({ type: 'tcp', smtp: {} }), ['hc.smtp: only applies to type "smtp" (type is "tcp")']);
    assert.deepEqual(errs({ type: 'ping', connectPort: 7 }), ['hc.connectPort: does not apply to type "ping" (ICMP has no ports)']);
    assert.deepEqual(errs({ type: 'udp', udp: { payload: 'xyz' } }), ['hc.udp.payload: must be bytes as pairs of hex digits, e.g. "0a1b 2c"']);
    assert.deepEqual(errs({ type: 'udp', udp: { minReplyLength: 9, maxReplyLength: 3 } }),
      ['hc.udp.minReplyLength: is above maxReplyLength (9 > 3): every answer would fail']);
    assert.equal(errs({ type: 'dns', dns: { type: 'PTR' } }).length, 1);
    assert.deepEqual(errs({ type: 'http', http: { extraUrls: [{ path: '/x', statusCodes: ['299-200'] }] } }),
      ['hc.http.extraUrls[0].statusCodes[0]: range 299-200 is empty: 299 > 200']);
  });
});

describe('health checks over IPv6 (::1)', () => {
  const v6 = { address: '::1', timeoutMs: 1000 };

  it('TCP, UDP (with and without a reply) and PING reach an IPv6 server; a refusing port is down', async () => {
    const t = net.createServer((c) => c.end());
    closers.push(() => t.close());
    await new Promise<void>((r) => t.listen(0, '::1', () => r()));
    const tport = (t.address() as AddressInfo).port;
    assert.deepEqual(await tcpCheck({ type: 'tcp', ...v6, port: tport }), { ok: true });
    const u = dgram.createSocket('udp6');
    closers.push(() => u.close());
    u.on('message', (m, ri) => u.send(m, ri.port, ri.address));
    await new Promise<void>((r) => u.bind(0, '::1', () => r()));
    const udp = { type: 'udp' as const, ...v6, timeoutMs: 300, payload: Buffer.from('six'), minReplyLength: 0, maxReplyLength: 255 };
    assert.deepEqual(await udpCheck({ ...udp, port: u.address().port, requireReply: true }), { ok: true });
    const closed = dgram.createSocket('udp6');
    await new Promise<void>((r) => closed.bind(0, '::1', () => r()));
    const cport = closed.address().port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.deepEqual(await udpCheck({ ...udp, port: cport, requireReply: false }), { ok: false, error: 'connection refused' });
    assert.deepEqual(await pingCheck({ type: 'ping', ...v6 }), { ok: true });
    let hostSeen = '';
    const h = http.createServer((req, res) => { hostSeen = req.headers.host ?? ''; res.end('ok'); });
    closers.push(() => h.close());
    await new Promise<void>((r) => h.listen(0, '::1', () => r()));
    const hport = (h.address() as AddressInfo).port;
    assert.deepEqual(await httpCheck({ type: 'http', ...v6, port: hport, urls: [{ path: '/', statusCodes: ['200-299'] }], tls: false }), { ok: true });
    assert.equal(hostSeen, `[::1]:${hport}`, 'the Host header brackets an IPv6 literal');
  });

  it('the probe source of an IPv6 server is its on-link IPv6 DIP', () => {
    const r = validateConfig({
      dataplane: { workers: [1] },
      ports: [{ name: 'srv', device: 'ring', twin: 'fl-srv', addresses: [
        { ip: '198.19.0.1/24', role: 'dip' }, { ip: '2001:2:1:0::1/64', role: 'dip' }, { ip: '2001:2:1::2/64', role: 'lip' }] }],
    });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const have = (): Set<string> => new Set(['198.19.0.1', '2001:2:1::1', '2001:2:1::2']);
    assert.equal(probeSource(r.config, '2001:2:1::11', have), '2001:2:1::1');
    assert.equal(probeSource(r.config, '198.19.0.11', have), '198.19.0.1');
    assert.equal(probeSource(r.config, '2001:2:9::11', have), undefined, 'off-link');
  });
});

