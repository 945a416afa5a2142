// The API client's transport when the operator names a CA (FULCRUM_API_CA):
// node:https with that CA, so the director's certificate is verified
// against it (a private CA, as an appliance has). Without one, the global
// fetch verifies against the system's CAs.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { DEFAULT_API, FulcrumApiClient, type FetchLike } from './client';

export function fetchWithCa(ca: Buffer): FetchLike {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const u = new URL(url);
      const mod = u.protocol === 'https:' ? https : http;
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = mod.request(u, { method: init.method ?? 'GET', headers, ca, timeout: 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 502;
          resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: h }));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      // The client's error mapping reads a cause's code ("DEPTH_ZERO_SELF_SIGNED_CERT", ...).
      req.on('error', (e) => reject(Object.assign(new Error(e.message), { cause: e })));
      if (typeof init.body === 'string') req.write(init.body);
      req.end();
    });
}

/** The transport for the environment: FULCRUM_API_CA names a PEM file of CA certificates. */
export function transportFromEnv(env: Record<string, string | undefined>): FetchLike | undefined {
  const file = env.FULCRUM_API_CA;
  if (!file) return undefined;
  let ca: Buffer;
  try {
    ca = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`FULCRUM_API_CA: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return fetchWithCa(ca);
}

/** The API client the CLI tools build from --api and the environment
 * (FULCRUM_API, FULCRUM_API_TOKEN, FULCRUM_API_CA). */
export function clientFromEnv(api: string | undefined, env: Record<string, string | undefined>): FulcrumApiClient {
  const transport = transportFromEnv(env);
  return new FulcrumApiClient({
    baseUrl: api ?? env.FULCRUM_API ?? DEFAULT_API,
    token: env.FULCRUM_API_TOKEN || undefined,
    ...(transport ? { fetch: transport } : {}),
  });
}
