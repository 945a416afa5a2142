// HTTP_GET (SSL_GET with tls): GET each url in turn; up when every one
// answers a status in its statusCodes and, with a digest, a body whose md5
// equals it, as keepalived checks every url block. The timeout covers each
// whole exchange, like keepalived's connect_timeout for HTTP_GET.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { parseStatusRange } from '../../config/validate';
import type { ProbeResult } from '../state';
import { errText, oneShot, type Checker, type ProbeTarget } from './common';

export interface HttpUrl {
  path: string;
  /** "200" or "200-299" */
  statusCodes: string[];
  digest?: string;
}

export interface HttpProbe extends ProbeTarget {
  type: 'http';
  urls: HttpUrl[];
  host?: string;
  tls: boolean;
}

/** Does `code` fall in one of the "200" / "200-299" entries? */
export function statusMatches(code: number, codes: string[]): boolean {
  return codes.some((c) => {
    const r = parseStatusRange(c);
    return r !== null && code >= r[0] && code <= r[1];
  });
}

function getOne(p: HttpProbe, u: HttpUrl): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const mod = p.tls ? https : http;
    // RFC 7230 5.4: an IPv6 literal in brackets, the port only when not the scheme's.
    const hostName = p.address.includes(':') ? `[${p.address}]` : p.address;
    const hostHeader = p.host ?? (p.port === (p.tls ? 443 : 80) ? hostName : `${hostName}:${p.port}`);
    const req = mod.request({
      host: p.address,
      port: p.port,
      path: u.path,
      method: 'GET',
      headers: { host: hostHeader, 'user-agent': 'fulcrum-health', connection: 'close' },
      agent: false,
      ...(p.localAddress ? { localAddress: p.localAddress } : {}),
      ...(p.tls ? { rejectUnauthorized: false, servername: p.host ?? '' } : {}),
    }, (res) => {
      const code = res.statusCode ?? 0;
      if (!statusMatches(code, u.statusCodes)) {
        res.resume();
        finish({ ok: false, error: `status ${code}` });
        return;
      }
      if (u.digest === undefined) {
        res.resume();
        finish({ ok: true });
        return;
      }
      const h = crypto.createHash('md5');
      res.on('data', (c: Buffer) => h.update(c));
      res.once('end', () => {
        const got = h.digest('hex');
        finish(got === u.digest!.toLowerCase() ? { ok: true } : { ok: false, error: `digest mismatch (${got})` });
      });
      res.once('error', (e) => finish({ ok: false, error: errText(e) }));
    });
    const finish = oneShot(p.timeoutMs, { ok: false, error: 'timeout' }, resolve, () => req.destroy());
    req.once('error', (e) => finish({ ok: false, error: errText(e) }));
    req.end();
  });
}

export async function httpCheck(p: HttpProbe): Promise<ProbeResult> {
  for (const u of p.urls) {
    const r = await getOne(p, u);
    // Name the url when there are several, so the operator knows which failed.
    if (!r.ok) return p.urls.length > 1 ? { ok: false, error: `${u.path}: ${r.error ?? 'failed'}` } : r;
  }
  return { ok: true };
}

export const httpChecker: Checker<HttpProbe> = {
  spec: ({ hc, target }) => {
    const h = hc.http!;
    const first: HttpUrl = { path: h.path, statusCodes: h.statusCodes, ...(h.digest ? { digest: h.digest } : {}) };
    return {
      type: 'http',
      ...target,
      urls: [first, ...(h.extraUrls ?? [])],
      tls: h.tls,
      ...(h.host ? { host: h.host } : {}),
    };
  },
  run: httpCheck,
};
