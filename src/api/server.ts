// The management HTTP API (fastify). buildApi() makes the app and registers
// routes; it never listens, so tests drive it with inject() (as fastify/demo
// does). startApi() resolves the bind address and token and listens.
//
// Every route has schemas for params, querystring, body and response; objects
// are closed (additionalProperties: false), so an unknown key is a 400 naming
// it. All changes go through the ConfigWriter, one at a time; a refused change
// leaves the running config and the state file untouched.
import crypto from 'node:crypto';
import Ajv, { type ErrorObject } from 'ajv';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import type { ConfigError, FulcrumConfig, ServerConfig, ServiceConfig } from '../config/types';
import { schemaErrors } from '../config/validate';
import { parseIPv4 } from '../net/ipv4';
import type { NativePortInfo, NativeStats } from '../native/addon';
import { endpointKey, serviceKey } from '../config/keys';
import { ApplyFailed, ConfigRejected, PersistFailed, type ConfigWriter } from '../lb/writer';
import * as S from './schemas';
import type { HealthSource } from '../health/manager';
import type { Registry } from 'prom-client';

export const API_PREFIX = '/api/v1';
export const DEFAULT_API_LISTEN = '127.0.0.1';
export const DEFAULT_API_PORT = 9180;

export interface SessionQuery {
  service?: string;
  server?: string;
  limit: number;
  cursor?: string;
}

/** What the API reads from the appliance (the real Appliance, or a fake in tests). */
export interface ApiAppliance {
  readonly running: boolean;
  stats(): NativeStats;
  ports(): NativePortInfo[];
  /** Optional until the dataplane exposes them; the routes answer 501 without. */
  sessions?(q: SessionQuery): { sessions: object[]; next: string | null };
  neighbours?(): object[];
  /** Per real server counters keyed "service/server". */
  serverCounters?(): Map<string, object>;
  zero?(serviceKey?: string): void;
}

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
  /**
   * Prometheus registry (src/metrics/registry.ts) served as GET /metrics,
   * outside /api/v1; the token rule applies to it as to every route, so
   * Prometheus needs `authorization: { credentials: <token> }` when a token is set.
   */
  metrics?: Registry;
}

// ------------------------------------------------------------------ errors

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly errors?: ConfigError[]) {
    super(message);
  }
}
const notFound = (what: string): HttpError => new HttpError(404, `${what} not found`);
const conflict = (what: string): HttpError => new HttpError(409, `${what} already exists`);

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
  return token === undefined ? { host, port } : { host, port, token };
}

// ------------------------------------------------------------------ ids

interface ServiceId { protocol: 'tcp' | 'udp'; vip: string; port: number }
interface ServerId { address: string; port: number }

function badParam(path: string, message: string): HttpError {
  return new HttpError(400, 'invalid request', [{ path, message }]);
}

function parseServiceId(id: string, path = 'params.id'): ServiceId {
  const parts = id.split(':');
  const port = Number(parts[2]);
  if (parts.length !== 3 || port > 65535) throw badParam(path, 'must be protocol:vip:port with a port from 0 to 65535');
  return { protocol: parts[0] as 'tcp' | 'udp', vip: parts[1]!, port };
}

function parseServerId(id: string, path = 'params.server'): ServerId {
  const i = id.lastIndexOf(':');
  const port = Number(id.slice(i + 1));
  if (i < 0 || port > 65535) throw badParam(path, 'must be address:port with a port from 0 to 65535');
  return { address: id.slice(0, i), port };
}


function findService(cfg: FulcrumConfig, id: ServiceId): number {
  return cfg.services.findIndex((s) => s.protocol === id.protocol && s.vip === id.vip && s.port === id.port);
}

function serviceView(s: ServiceConfig): object {
  return { id: serviceKey(s), ...s, servers: s.servers.map(serverView) };
}
function serverView(r: ServerConfig): object {
  return { id: endpointKey(r), ...r };
}

/**
 * Semantic errors name whole-config paths ("services[3].servers[0].port").
 * For a route that edits one item, report them relative to the body the
 * client sent ("port"); others keep their config path.
 */
function relativize(errors: ConfigError[], prefix: string): ConfigError[] {
  return errors.map((e) => {
    if (e.path === prefix) return { path: '', message: e.message };
    if (e.path.startsWith(`${prefix}.`)) return { path: e.path.slice(prefix.length + 1), message: e.message };
    return e;
  });
}

// ------------------------------------------------------------------ validation

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

// ------------------------------------------------------------------ OpenAPI

interface CollectedRoute { method: string; url: string; schema: Record<string, unknown> | undefined }

function toOpenApi(routes: CollectedRoute[], secured: boolean): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const schema = (r.schema ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    };
    if (typeof schema.summary === 'string') op.summary = schema.summary;
    const parameters: object[] = [];
    for (const [where, key] of [['path', 'params'], ['query', 'querystring']] as const) {
      const s = schema[key] as { properties?: Record<string, object>; required?: string[] } | undefined;
      for (const [name, ps] of Object.entries(s?.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), schema: ps });
      }
    }
    if (parameters.length) op.parameters = parameters;
    if (schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
    const responses: Record<string, object> = {};
    for (const [code, rs] of Object.entries((schema.response ?? {}) as Record<string, object>)) {
      responses[code] = code === '204'
        ? { description: 'no content' }
        : { description: Number(code) < 400 ? 'success' : 'error', content: { 'application/json': { schema: rs } } };
    }
    op.responses = responses;
    if (secured) op.security = [{ bearer: [] }];
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Fulcrum management API', version: '1' },
    paths,
    components: secured ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
  };
}

// ------------------------------------------------------------------ app

const E = S.errorResponse;
/** Error responses every route may give. */
const errs = (...codes: number[]): Record<number, object> => Object.fromEntries([400, 401, ...codes].map((c) => [c, E]));

export function buildApi(opts: ApiOptions): FastifyInstance {
  const { writer, appliance } = opts;
  if (opts.listen !== undefined && !isLoopback(opts.listen) && !opts.token) {
    throw new Error(`api: refusing to listen on ${opts.listen} without a token (set api.token or FULCRUM_API_TOKEN)`);
  }
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 4 * 1024 * 1024 });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : urlAjv;
    return ajv.compile(schema);
  });

  // OpenAPI: collect every route as it is added.
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (r: RouteOptions) => {
    if ((r.schema as { hide?: boolean } | undefined)?.hide) return;
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
      if (m === 'HEAD') continue;
      routes.push({ method: m, url: r.url, schema: r.schema as Record<string, unknown> | undefined });
    }
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
        path: prefix === '' ? e.path || '(body)' : e.path ? `${prefix}.${e.path}` : prefix,
        message: e.message,
      }));
      return reply.code(400).send({ error: 'invalid request', errors: list });
    }
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send(err.errors ? { error: err.message, errors: err.errors } : { error: err.message });
    }
    if (err instanceof ConfigRejected) {
      return reply.code(400).send({ error: 'config rejected', errors: err.errors });
    }
    if (err instanceof ApplyFailed) {
      return reply.code(422).send({ error: `not applied: ${err.message}`, errors: [{ path: '', message: err.message }] });
    }
    if (err instanceof PersistFailed) {
      return reply.code(500).send({ error: err.message });
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

  /** Run a service-scoped change; map semantic errors to the body's own paths. */
  const change = async (fn: (draft: FulcrumConfig) => string | void, reason: string): Promise<FulcrumConfig> => {
    let prefix: string | undefined;
    try {
      return await writer.mutate((d) => {
        prefix = fn(d) ?? undefined;
      }, reason);
    } catch (e) {
      if (e instanceof ConfigRejected && prefix !== undefined) throw new ConfigRejected(relativize(e.errors, prefix));
      throw e;
    }
  };

  const dataplane = <T>(f: () => T): T => {
    if (!appliance.running) throw new HttpError(503, 'dataplane is not running');
    return f();
  };

  void app.register(async (api) => {
    // ---------------------------------------------------------- config
    api.get('/config', { schema: { summary: 'the applied config', response: { 200: S.configResponse, ...errs() } } },
      async () => writer.current());

    api.put('/config', {
      schema: { summary: 'replace the whole config', body: S.configBody, response: { 200: S.configResponse, ...errs(422, 500) } },
    }, async (req) => writer.apply(req.body, 'api: PUT /config'));

    // ---------------------------------------------------------- services
    api.get('/services', { schema: { response: { 200: { type: 'array', items: S.serviceResponse }, ...errs() } } },
      async () => writer.current().services.map(serviceView));

    api.post('/services', {
      schema: { body: S.serviceBody, response: { 201: S.serviceResponse, ...errs(409, 422, 500) } },
    }, async (req, reply) => {
      const body = req.body as ServiceConfig;
      const key = serviceKey(body);
      let idx = -1;
      const cfg = await change((d) => {
        if (findService(d, body) >= 0) throw conflict(`service ${key}`);
        idx = d.services.push(structuredClone(body)) - 1;
        return `services[${idx}]`;
      }, `api: add service ${key}`);
      return reply.code(201).send(serviceView(cfg.services[idx]!));
    });

    api.get('/services/:id', { schema: { params: S.serviceParams, response: { 200: S.serviceResponse, ...errs(404) } } },
      async (req) => {
        const { id } = req.params as { id: string };
        const cfg = writer.current();
        const i = findService(cfg, parseServiceId(id));
        if (i < 0) throw notFound(`service ${id}`);
        return serviceView(cfg.services[i]!);
      });

    api.put('/services/:id', {
      schema: { params: S.serviceParams, body: S.servicePutBody, response: { 200: S.serviceResponse, ...errs(404, 422, 500) } },
    }, async (req) => {
      const { id } = req.params as { id: string };
      const sid = parseServiceId(id);
      const body = req.body as Partial<ServiceConfig>;
      for (const k of ['protocol', 'vip', 'port'] as const) {
        if (body[k] !== undefined && body[k] !== sid[k]) {
          throw badParam(k, `must match the service id in the URL (${JSON.stringify(sid[k])}); to move a service, delete it and add it again`);
        }
      }
      let idx = -1;
      const cfg = await change((d) => {
        idx = findService(d, sid);
        if (idx < 0) throw notFound(`service ${id}`);
        d.services[idx] = { ...structuredClone(body), ...sid } as ServiceConfig;
        return `services[${idx}]`;
      }, `api: replace service ${id}`);
      return serviceView(cfg.services[idx]!);
    });

    api.delete('/services/:id', {
      schema: { params: S.serviceParams, response: { 204: { type: 'null' }, ...errs(404, 422, 500) } },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const sid = parseServiceId(id);
      await change((d) => {
        const i = findService(d, sid);
        if (i < 0) throw notFound(`service ${id}`);
        d.services.splice(i, 1);
      }, `api: delete service ${id}`);
      return reply.code(204).send();
    });

    // ---------------------------------------------------------- servers
    const withServer = (d: FulcrumConfig, id: string, server: string): { si: number; ri: number } => {
      const si = findService(d, parseServiceId(id));
      if (si < 0) throw notFound(`service ${id}`);
      const rid = parseServerId(server);
      const ri = d.services[si]!.servers.findIndex((r) => r.address === rid.address && r.port === rid.port);
      if (ri < 0) throw notFound(`server ${server} in service ${id}`);
      return { si, ri };
    };

    api.get('/services/:id/servers', {
      schema: { params: S.serviceParams, response: { 200: { type: 'array', items: S.serverResponse }, ...errs(404) } },
    }, async (req) => {
      const { id } = req.params as { id: string };
      const cfg = writer.current();
      const i = findService(cfg, parseServiceId(id));
      if (i < 0) throw notFound(`service ${id}`);
      return cfg.services[i]!.servers.map(serverView);
    });

    api.post('/services/:id/servers', {
      schema: { params: S.serviceParams, body: S.serverBody, response: { 201: S.serverResponse, ...errs(404, 409, 422, 500) } },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const sid = parseServiceId(id);
      const body = req.body as ServerConfig;
      let si = -1;
      let ri = -1;
      const cfg = await change((d) => {
        si = findService(d, sid);
        if (si < 0) throw notFound(`service ${id}`);
        const servers = d.services[si]!.servers;
        if (servers.some((r) => r.address === body.address && r.port === body.port)) {
          throw conflict(`server ${endpointKey(body)} in service ${id}`);
        }
        ri = servers.push(structuredClone(body)) - 1;
        return `services[${si}].servers[${ri}]`;
      }, `api: add server ${endpointKey(body)} to ${id}`);
      return reply.code(201).send(serverView(cfg.services[si]!.servers[ri]!));
    });

    api.get('/services/:id/servers/:server', {
      schema: { params: S.serverParams, response: { 200: S.serverResponse, ...errs(404) } },
    }, async (req) => {
      const { id, server } = req.params as { id: string; server: string };
      const cfg = writer.current();
      const { si, ri } = withServer(cfg, id, server);
      return serverView(cfg.services[si]!.servers[ri]!);
    });

    api.put('/services/:id/servers/:server', {
      schema: { params: S.serverParams, body: S.serverPutBody, response: { 200: S.serverResponse, ...errs(404, 422, 500) } },
    }, async (req) => {
      const { id, server } = req.params as { id: string; server: string };
      const rid = parseServerId(server);
      const body = req.body as Partial<ServerConfig>;
      for (const k of ['address', 'port'] as const) {
        if (body[k] !== undefined && body[k] !== rid[k]) {
          throw badParam(k, `must match the server id in the URL (${JSON.stringify(rid[k])})`);
        }
      }
      let at = { si: -1, ri: -1 };
      const cfg = await change((d) => {
        at = withServer(d, id, server);
        d.services[at.si]!.servers[at.ri] = { ...structuredClone(body), ...rid } as ServerConfig;
        return `services[${at.si}].servers[${at.ri}]`;
      }, `api: replace server ${server} in ${id}`);
      return serverView(cfg.services[at.si]!.servers[at.ri]!);
    });

    api.patch('/services/:id/servers/:server', {
      schema: { params: S.serverParams, body: S.serverPatchBody, response: { 200: S.serverResponse, ...errs(404, 422, 500) } },
    }, async (req) => {
      const { id, server } = req.params as { id: string; server: string };
      const body = req.body as Partial<ServerConfig>;
      let at = { si: -1, ri: -1 };
      const cfg = await change((d) => {
        at = withServer(d, id, server);
        Object.assign(d.services[at.si]!.servers[at.ri]!, body);
        return `services[${at.si}].servers[${at.ri}]`;
      }, `api: update server ${server} in ${id}: ${JSON.stringify(body)}`);
      return serverView(cfg.services[at.si]!.servers[at.ri]!);
    });

    api.delete('/services/:id/servers/:server', {
      schema: { params: S.serverParams, response: { 204: { type: 'null' }, ...errs(404, 422, 500) } },
    }, async (req, reply) => {
      const { id, server } = req.params as { id: string; server: string };
      await change((d) => {
        const { si, ri } = withServer(d, id, server);
        d.services[si]!.servers.splice(ri, 1);
      }, `api: delete server ${server} from ${id}`);
      return reply.code(204).send();
    });

    // Quiesce (ipvsadm -e -w 0): no new connections; existing sessions keep
    // their server until they end.
    api.post('/services/:id/servers/:server/drain', {
      schema: { params: S.serverParams, response: { 200: S.serverResponse, ...errs(404, 422, 500) } },
    }, async (req) => {
      const { id, server } = req.params as { id: string; server: string };
      let at = { si: -1, ri: -1 };
      const cfg = await change((d) => {
        at = withServer(d, id, server);
        d.services[at.si]!.servers[at.ri]!.weight = 0;
        return `services[${at.si}].servers[${at.ri}]`;
      }, `api: drain server ${server} in ${id}`);
      return serverView(cfg.services[at.si]!.servers[at.ri]!);
    });

    // ---------------------------------------------------------- timeouts
    api.get('/timeouts', { schema: { response: { 200: S.timeoutsResponse, ...errs() } } },
      async () => writer.current().timeouts);

    api.put('/timeouts', {
      schema: { summary: 'ipvsadm --set: 0 keeps the current value', body: S.timeoutsBody, response: { 200: S.timeoutsResponse, ...errs(422, 500) } },
    }, async (req) => {
      const body = req.body as FulcrumConfig['timeouts'];
      const cfg = await change((d) => {
        for (const k of ['tcp', 'tcpFin', 'udp'] as const) if (body[k] !== 0) d.timeouts[k] = body[k];
        return 'timeouts';
      }, `api: timeouts ${body.tcp} ${body.tcpFin} ${body.udp}`);
      return cfg.timeouts;
    });

    // ---------------------------------------------------------- runtime views
    api.get('/stats', { schema: { response: { 200: S.statsResponse, ...errs(503) } } }, async () => {
      const stats = dataplane(() => appliance.stats());
      const counters = appliance.serverCounters ? dataplane(() => appliance.serverCounters!()) : new Map<string, object>();
      const services = writer.current().services.map((s) => {
        const sk = serviceKey(s);
        const servers = s.servers.map((r) => ({
          id: endpointKey(r), weight: r.weight, method: r.method, ...(counters.get(`${sk}/${endpointKey(r)}`) ?? {}),
        }));
        // A service's counters are the sums over its servers, as IPVS shows.
        const total: Record<string, number> = {};
        for (const r of servers) {
          for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && k !== 'weight') total[k] = (total[k] ?? 0) + v;
        }
        return { id: sk, scheduler: s.scheduler, ...total, servers };
      });
      return { ...stats, services };
    });

    api.post('/zero', { schema: { body: S.zeroBody, response: { 200: S.healthResponse, ...errs(404, 501, 503) } } }, async (req) => {
      const body = (req.body ?? {}) as { service?: string };
      if (body.service !== undefined && !writer.current().services.some((s) => serviceKey(s) === body.service)) {
        throw notFound(`service ${body.service}`);
      }
      if (!appliance.zero) throw new HttpError(501, 'zeroing counters is not implemented');
      const f = appliance.zero.bind(appliance);
      dataplane(() => f(body.service));
      return { status: 'zeroed' };
    });

    api.get('/workers', { schema: { response: { 200: { type: 'array', items: S.workerCounters }, ...errs(503) } } },
      async () => dataplane(() => appliance.stats().workers));

    api.get('/ports', { schema: { response: { 200: S.portsResponse, ...errs(503) } } },
      async () => dataplane(() => appliance.ports()));

    api.get('/neighbours', { schema: { response: { 200: S.neighboursResponse, ...errs(501, 503) } } }, async () => {
      if (!appliance.neighbours) throw new HttpError(501, 'neighbour table listing is not implemented by the dataplane yet');
      const f = appliance.neighbours.bind(appliance);
      return dataplane(() => f());
    });

    api.get('/sessions', {
      schema: { querystring: S.sessionsQuery, response: { 200: S.sessionsResponse, ...errs(501, 503) } },
    }, async (req) => {
      const q = req.query as SessionQuery;
      if (q.service !== undefined) parseServiceId(q.service, 'query.service');
      if (q.server !== undefined) parseServerId(q.server, 'query.server');
      if (!appliance.sessions) throw new HttpError(501, 'session listing is not implemented by the dataplane yet');
      const f = appliance.sessions.bind(appliance);
      return dataplane(() => f(q));
    });

    // ---------------------------------------------------------- health
    api.get('/health/live', { schema: { response: { 200: S.healthResponse, ...errs() } } }, async () => ({ status: 'ok' }));
    api.get('/health/ready', { schema: { response: { 200: S.healthResponse, 503: S.healthResponse, 401: E } } }, async (_req, reply) =>
      appliance.running ? { status: 'ready' } : reply.code(503).send({ status: 'dataplane not running' }));

    api.get('/health/servers', { schema: { summary: 'real-server health-check states', response: { 200: S.healthServersResponse, ...errs() } } },
      async () => opts.health?.snapshot() ?? []);

    api.get('/openapi.json', { schema: { response: { 200: S.openapiResponse, ...errs() } } },
      async () => toOpenApi(routes, Boolean(opts.token)));
  }, { prefix: API_PREFIX });

  // Prometheus text exposition (not part of the JSON API, so not in OpenAPI).
  const metrics = opts.metrics;
  if (metrics) {
    app.get('/metrics', { schema: { hide: true } as Record<string, unknown> }, async (_req, reply) => {
      const text = await metrics.metrics();
      return reply.header('content-type', metrics.contentType).send(text);
    });
  }

  return app;
}

/** Build and listen; resolves once bound. Throws on refusal or bind errors. */
export async function startApi(opts: Omit<ApiOptions, 'token' | 'listen'> & { config: FulcrumConfig; env?: NodeJS.ProcessEnv }): Promise<{ app: FastifyInstance; url: string }> {
  const bind = resolveApiBind(opts.config, opts.env);
  const app = buildApi({ writer: opts.writer, appliance: opts.appliance, listen: bind.host, logger: opts.logger ?? false, ...(bind.token ? { token: bind.token } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}), ...(opts.health ? { health: opts.health } : {}) });
  try {
    await app.listen({ host: bind.host, port: bind.port });
  } catch (e) {
    await app.close().catch(() => undefined);
    throw new Error(`api: cannot listen on ${bind.host}:${bind.port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { app, url: `http://${bind.host}:${bind.port}` };
}
