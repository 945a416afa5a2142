// The probes: keepalived's TCP_CHECK, HTTP_GET / SSL_GET and MISC_CHECK.
// Each resolves (never rejects) with {ok, error?}. Probes are plain kernel
// sockets: in the daemon the kernel twin interfaces carry the DIPs, so a
// connect to a real server leaves through the twin and the DPDK port; the
// source is bound to the DIP on-link for the server (localAddress) so the
// probe takes the path the forwarded traffic takes.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import type { FulcrumConfig } from '../config/types';
import { parseStatusRange } from '../config/validate';
import { parseCidr, parseIPv4, prefixContains } from '../net/ipv4';
import type { ProbeResult } from './state';

export interface TcpProbe {
  type: 'tcp';
  address: string;
  port: number;
  timeoutMs: number;
  localAddress?: string;
}

export interface HttpProbe {
  type: 'http';
  address: string;
  port: number;
  timeoutMs: number;
  localAddress?: string;
  path: string;
  /** "200" or "200-299" */
  statusCodes: string[];
  digest?: string;
  host?: string;
  tls: boolean;
}

export interface MiscProbe {
  type: 'misc';
  command: string;
  timeoutMs: number;
  dynamic: boolean;
  env?: Record<string, string>;
}

export type ProbeSpec = TcpProbe | HttpProbe | MiscProbe;

function errText(e: unknown): string {
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

/** TCP_CHECK: success = the connection is established within the timeout. */
export function tcpCheck(p: TcpProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const sock = net.connect({ host: p.address, port: p.port, ...(p.localAddress ? { localAddress: p.localAddress } : {}) });
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'connect timeout' }), p.timeoutMs);
    sock.once('connect', () => finish({ ok: true }));
    sock.once('error', (e) => finish({ ok: false, error: errText(e) }));
  });
}

/** Does `code` fall in one of the "200" / "200-299" entries? */
export function statusMatches(code: number, codes: string[]): boolean {
  return codes.some((c) => {
    const r = parseStatusRange(c);
    return r !== null && code >= r[0] && code <= r[1];
  });
}

/**
 * HTTP_GET (SSL_GET with tls): GET path; success = a status in statusCodes
 * and, with digest, the md5 of the body equal to it. The timeout covers the
 * whole exchange, like keepalived's connect_timeout for HTTP_GET.
 */
export function httpCheck(p: HttpProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const mod = p.tls ? https : http;
    const hostHeader = p.host ?? (p.port === (p.tls ? 443 : 80) ? p.address : `${p.address}:${p.port}`);
    const req = mod.request({
      host: p.address,
      port: p.port,
      path: p.path,
      method: 'GET',
      headers: { host: hostHeader, 'user-agent': 'fulcrum-health', connection: 'close' },
      agent: false,
      ...(p.localAddress ? { localAddress: p.localAddress } : {}),
      ...(p.tls ? { rejectUnauthorized: false, servername: p.host ?? '' } : {}),
    }, (res) => {
      const code = res.statusCode ?? 0;
      if (!statusMatches(code, p.statusCodes)) {
        res.resume();
        finish({ ok: false, error: `status ${code}` });
        return;
      }
      if (p.digest === undefined) {
        res.resume();
        finish({ ok: true });
        return;
      }
      const h = crypto.createHash('md5');
      res.on('data', (c: Buffer) => h.update(c));
      res.once('end', () => {
        const got = h.digest('hex');
        finish(got === p.digest!.toLowerCase() ? { ok: true } : { ok: false, error: `digest mismatch (${got})` });
      });
      res.once('error', (e) => finish({ ok: false, error: errText(e) }));
    });
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), p.timeoutMs);
    req.once('error', (e) => finish({ ok: false, error: errText(e) }));
    req.end();
  });
}

/**
 * MISC_CHECK: `sh -c command`; exit 0 = up. With dynamic (misc_dynamic),
 * exit 1 = down and 2-255 = up with weight code-2. A command still running
 * at the timeout is killed (its whole process group) and counts as failed.
 */
export function miscCheck(p: MiscProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    let timedOut = false;
    const child = spawn('/bin/sh', ['-c', p.command], {
      stdio: 'ignore',
      detached: true, // own process group, so a timeout kills the whole script
      env: { ...process.env, ...(p.env ?? {}) },
    });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, p.timeoutMs);
    child.once('error', (e) => finish({ ok: false, error: `cannot run: ${errText(e)}` }));
    child.once('exit', (code, signal) => {
      if (timedOut) return finish({ ok: false, error: 'timeout' });
      if (code === null) return finish({ ok: false, error: `killed by ${signal ?? 'signal'}` });
      if (code === 0) return finish({ ok: true });
      if (p.dynamic && code >= 2) return finish({ ok: true, weight: code - 2 });
      return finish({ ok: false, error: `exit ${code}` });
    });
  });
}

export function runProbe(p: ProbeSpec): Promise<ProbeResult> {
  switch (p.type) {
    case 'tcp': return tcpCheck(p);
    case 'http': return httpCheck(p);
    case 'misc': return miscCheck(p);
  }
}

/** IPv4 addresses configured on this host's interfaces now. */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') out.add(a.address);
  }
  return out;
}

/**
 * The probe source for `target`: the DIP (else another non-VIP address) of
 * a port with a kernel twin whose prefix contains the target, when the
 * kernel has that address now. Undefined: let the kernel choose (off-link
 * targets, ports without twins, tests).
 */
export function probeSource(cfg: FulcrumConfig, target: string, local: () => Set<string> = localAddresses): string | undefined {
  const t = parseIPv4(target);
  if (t === null) return undefined;
  const cands: { ip: string; role: string }[] = [];
  for (const p of cfg.ports) {
    if (p.twin === false) continue;
    for (const a of p.addresses) {
      const c = parseCidr(a.ip);
      if (!c || c.len === 32 || c.len === 0 || a.role === 'vip') continue;
      if (prefixContains(c.ip, c.len, t)) cands.push({ ip: a.ip.split('/')[0]!, role: a.role });
    }
  }
  if (cands.length === 0) return undefined;
  cands.sort((a, b) => (a.role === 'dip' ? 0 : 1) - (b.role === 'dip' ? 0 : 1));
  const have = local();
  return cands.find((c) => have.has(c.ip))?.ip;
}
