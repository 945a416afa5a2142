// The management HTTP API (fastify). buildApi() makes the app: the hooks,
// the error handler, the decorators the route plugins use, the OpenAPI
// document (@fastify/swagger) and one plugin per resource (routes/). It
// never listens, so tests drive it with inject() (as fastify/demo does).
// startApi() resolves the bind address and token and listens.
//
// Every route has schemas for params, querystring, body and response; objects
// are closed (additionalProperties: false), so an unknown key is a 400 naming
// it. All changes go through the ConfigWriter, one at a time; a refused change
// leaves the running config and the state file untouched.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import Ajv, { type ErrorObject } from 'ajv';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Registry } from 'prom-client';
import type { FulcrumConfig } from '../config/types';
import { configSchema } from '../config/schema';
import { schemaErrors } from '../config/validate';
import { parseIPv4 } from '../net/ipv4';
import { ApplyFailed, ConfigRejected, PersistFailed, type ConfigWriter } from '../lb/writer';
import type { HealthSource } from '../health/manager';
import { IpvsStatsView } from '../lb/stats-view';
import { HttpError, summary } from './errors';
import { parseJsonStrict } from '../config/json';
import { configChange, dataplaneRead, type ApiAppliance, type ApiHa } from './context';
import { configRoutes } from './routes/config';
import { servicesRoutes } from './routes/services';
import { serversRoutes } from './routes/servers';
import { syncRoutes } from './routes/sync';
import { timeoutsRoutes } from './routes/timeouts';
import { statsRoutes } from './routes/stats';
import { sessionsRoutes } from './routes/sessions';
import { explainRoutes } from './routes/explain';
import { healthRoutes } from './routes/health';
import { openapiRoutes } from './routes/openapi';
import { metricsRoutes } from './routes/metrics';

export type { ApiAppliance, ApiHa, SessionQuery } from './context';
export { HttpError } from './errors';

export const API_PREFIX = '/api/v1';
const apiDefaults = configSchema.properties.api.properties;
export const DEFAULT_API_LISTEN: string = apiDefaults.listen.default;
export const DEFAULT_API_PORT: number = apiDefaults.port.default;

export interface ApiOptions {
  writer: ConfigWriter;
  appliance: ApiAppliance;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** The address the app will be bound to; non-loopback without a token is refused. */
  listen?: string;
  /** fastify logger option (off by default; the daemon logs one line per change). */
  logger?: boolean;
  /** Real-server health checks (src/health); without it GET /health/servers lists nothing. */
  health?: HealthSource;
  /** VRRP state and sync daemons (src/ha); without it GET /sync lists none. */
  ha?: ApiHa;
  /**
   * Prometheus registry (src/metrics/registry.ts) served as GET /metrics,
   * outside /api/v1; the token rule applies to it as to every route, so
   * Prometheus needs `authorization: { credentials: <token> }` when a token is set.
   */
  metrics?: Registry;
  /** ipvsadm's view of the counters (zero offsets, rates); one per app by default. */
  statsView?: IpvsStatsView;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: TlsMaterial;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** api.tls's files, read now; an error names the file and why. */
export function readTls(tls: { cert: string; key: string }): TlsMaterial {
  const read = (what: string, file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`api.tls.${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  return { cert: read('cert', tls.cert), key: read('key', tls.key) };
}

function isLoopback(addr: string): boolean {
  const v = parseIPv4(addr);
  if (v !== null) return v >>> 24 === 127;
  return addr === '::1' || addr === 'localhost';
}

/**
 * Bind address, port and token for the API: config api.* and the
 * FULCRUM_API_TOKEN environment variable (which wins over api.token).
 * Throws when the bind is not loopback and there is no token.
 */
export function resolveApiBind(cfg: FulcrumConfig, env: NodeJS.ProcessEnv = process.env): { host: string; port: number; token?: string } {
  const host = cfg.api?.listen ?? DEFAULT_API_LISTEN;
  const port = cfg.api?.port ?? DEFAULT_API_PORT;
  const envToken = env.FULCRUM_API_TOKEN;
  const token = envToken !== undefined && envToken !== '' ? envToken : cfg.api?.token;
  if (!isLoopback(host) && token === undefined) {
    throw new Error(`api: refusing to listen on ${host}:${port} without a token (set api.token or FULCRUM_API_TOKEN)`);
  }
  if (!isLoopback(host) && !cfg.api?.tls && !cfg.api?.insecure) {
    throw new Error(`api: refusing to listen on ${host}:${port} without TLS: the token would travel in clear text (set api.tls, or api.insecure: true)`);
  }
  return token === undefined ? { host, port } : { host, port, token };
}

// Bodies: exact JSON types, no defaults, every error. Params and querystring
// arrive as strings, so they are coerced ("10" -> 10) and take defaults.
const bodyAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true, useDefaults: false, coerceTypes: false });
const urlAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true, useDefaults: true, coerceTypes: true });

function contextPrefix(ctx: string | undefined): string {
  if (ctx === 'params') return 'params';
  if (ctx === 'querystring') return 'query';
  if (ctx === 'headers') return 'headers';
  return '';
}

/** "/api/v1/services/{id}" + get -> "getApiV1ServicesId" */
function operationId(method: string, url: string): string {
  const path = url.replace(/:([A-Za-z0-9_]+)/g, '$1');
  return `${method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`;
}

/** The largest request body (a whole config with thousands of services fits). */
export const API_BODY_LIMIT = 4 * 1024 * 1024;

export function buildApi(opts: ApiOptions): FastifyInstance {
  const { writer, appliance } = opts;
  if (opts.listen !== undefined && !isLoopback(opts.listen) && !opts.token) {
    throw new Error(`api: refusing to listen on ${opts.listen} without a token (set api.token or FULCRUM_API_TOKEN)`);
  }
  const app = Fastify({
    logger: opts.logger ?? false, bodyLimit: API_BODY_LIMIT,
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key } } : {}),
  }) as unknown as FastifyInstance;

  // Bodies: JSON only, read strictly (config/json.ts): a key given twice or
  // "__proto__" is refused with its path, a syntax error with its place.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(new HttpError(400, 'invalid request: (body): is empty: send a JSON document', [{ path: '(body)', message: 'is empty: send a JSON document' }]), undefined);
    const r = parseJsonStrict(text);
    if (r.ok) return done(null, r.data);
    const path = r.path || '(body)';
    const message = `${r.path ? '' : 'invalid JSON: '}line ${r.line}, col ${r.col}: ${r.reason}`;
    return done(new HttpError(400, summary('invalid request', [{ path, message }]), [{ path, message }]), undefined);
  });
  // Query parameters given more than once arrive as arrays: say so, by name.
  app.addHook('preValidation', async (req) => {
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (Array.isArray(v)) {
        const e = { path: `query.${k}`, message: `given ${v.length} times: give it once` };
        throw new HttpError(400, summary('invalid request', [e]), [e]);
      }
    }
  });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : urlAjv;
    return ajv.compile(schema);
  });

  app.decorate('writer', writer);
  app.decorate('appliance', appliance);
  app.decorate('health', opts.health);
  app.decorate('ha', opts.ha);
  app.decorate('metricsRegistry', opts.metrics);
  app.decorate('statsView', opts.statsView ?? new IpvsStatsView());
  app.decorate('change', (fn: (draft: FulcrumConfig) => string | void, reason: string) => configChange(writer, fn, reason));
  app.decorate('dataplane', <T>(f: () => T): T => dataplaneRead(appliance, f));

  const secured = Boolean(opts.token);
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Fulcrum management API', version: '1' },
      components: secured ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
    },
    transform: ({ schema, url, route }) => {
      const s = { ...(schema as Record<string, unknown>) };
      const method = Array.isArray(route.method) ? route.method[0]! : route.method;
      s.operationId = operationId(method, url);
      if (secured) s.security = [{ bearer: [] }];
      return { schema: s as typeof schema, url };
    },
  });

  // Bearer token: constant-time compare of the whole header value.
  if (opts.token) {
    const want = Buffer.from(`Bearer ${opts.token}`);
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) {
        reply.header('www-authenticate', 'Bearer realm="fulcrum"');
        return reply.code(401).send({ error: 'unauthorized: Authorization: Bearer <token> required' });
      }
    });
  }

  app.setErrorHandler((err: FastifyError | Error, _req, reply) => {
    const fe = err as FastifyError & { validation?: ErrorObject[]; validationContext?: string };
    if (fe.validation) {
      const prefix = contextPrefix(fe.validationContext);
      const list = schemaErrors(fe.validation).map((e) => ({
        path: prefix === '' ? (e.path && e.path !== '(root)' ? e.path : '(body)') : e.path && e.path !== '(root)' ? `${prefix}.${e.path}` : prefix,
        message: e.message,
      }));
      return reply.code(400).send({ error: summary('invalid request', list), errors: list });
    }
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send(err.errors ? { error: err.message, errors: err.errors } : { error: err.message });
    }
    if (err instanceof ConfigRejected) {
      return reply.code(400).send({ error: summary('config rejected', err.errors), errors: err.errors });
    }
    if (err instanceof ApplyFailed) {
      return reply.code(422).send({ error: `not applied: ${err.message}`, errors: [{ path: '', message: err.message }] });
    }
    if (err instanceof PersistFailed) {
      return reply.code(500).send({ error: err.message });
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const ct = _req.headers['content-type'];
      const e = { path: 'headers.content-type', message: ct ? `${ct} is not accepted: send the body as application/json` : 'missing: send the body as application/json' };
      return reply.code(415).send({ error: summary('unsupported media type', [e]), errors: [e] });
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const e = { path: '(body)', message: `larger than the API's limit of ${API_BODY_LIMIT / 1024 / 1024} MB` };
      return reply.code(413).send({ error: summary('request body too large', [e]), errors: [e] });
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Malformed JSON, wrong content type, body too large, ...
      return reply.code(status).send({ error: err.message, errors: [{ path: '(body)', message: err.message }] });
    }
    return reply.code(500).send({ error: `internal error: ${err.message}` });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  void app.register(async (api) => {
    for (const routes of [configRoutes, servicesRoutes, serversRoutes, timeoutsRoutes, statsRoutes, sessionsRoutes,
      explainRoutes, healthRoutes, syncRoutes, openapiRoutes]) {
      await api.register(routes);
    }
  }, { prefix: API_PREFIX });
  void app.register(metricsRoutes);

  return app;
}

export interface StartedApi {
  app: FastifyInstance;
  url: string;
  /** Re-read api.tls's files and serve them to new connections (SIGHUP); throws naming the file. */
  reloadTls(): void;
}

/** Build and listen; resolves once bound. Throws on refusal or bind errors. */
export async function startApi(opts: Omit<ApiOptions, 'token' | 'listen' | 'https'> & { config: FulcrumConfig; env?: NodeJS.ProcessEnv }): Promise<StartedApi> {
  const bind = resolveApiBind(opts.config, opts.env);
  const tls = opts.config.api?.tls;
  const app = buildApi({ writer: opts.writer, appliance: opts.appliance, listen: bind.host, logger: opts.logger ?? false, ...(bind.token ? { token: bind.token } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}), ...(opts.health ? { health: opts.health } : {}), ...(opts.ha ? { ha: opts.ha } : {}), ...(tls ? { https: readTls(tls) } : {}) });
  try {
    await app.listen({ host: bind.host, port: bind.port });
  } catch (e) {
    await app.close().catch(() => undefined);
    throw new Error(`api: cannot listen on ${bind.host}:${bind.port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    app,
    url: `${tls ? 'https' : 'http'}://${bind.host}:${bind.port}`,
    reloadTls: () => {
      if (!tls) return;
      const m = readTls(tls);
      (app.server as unknown as HttpsServer).setSecureContext({ cert: m.cert, key: m.key });
    },
  };
}
