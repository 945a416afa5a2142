// HTTP client for the Fulcrum API, as fulcrumadm uses it: read the whole
// declarative config, change it locally (applyIpvsadm), write it back in one
// PUT; the daemon validates and serialises. Stats and sessions are read-only.

import type { ConfigError, FulcrumConfig } from '../config/types';
import type { HealthServerStatus } from '../health/manager';
import type { Explanation } from '../lb/explain';
import { configSchema } from '../config/schema';

/** The API a director listens on by default: the config schema's api defaults. */
const apiDefaults = configSchema.properties.api.properties;
export const DEFAULT_API = `http://${apiDefaults.listen.default}:${apiDefaults.port.default}`;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errors: ConfigError[] = [],
  ) {
    super(message);
  }
}

/** The API could not be reached at all (connection refused, DNS, ...). */
export class ApiUnreachable extends Error {}

/** One running sync daemon as GET /sync lists it. */
export interface SyncDaemonView {
  state: string;
  interface: string;
  syncId: number;
  maxLen: number;
  group: string;
  port: number;
  ttl: number;
}

/** What a client reads of a GET /api/v1/health/servers row. */
export type HealthServerState = Pick<HealthServerStatus, 'service' | 'server' | 'state'>;

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  baseUrl?: string;
  token?: string;
  fetch?: FetchLike;
}

export class FulcrumApiClient {
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly fetchImpl: FetchLike;
  private etag?: string;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_API).replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchImpl = opts.fetch ?? ((u, i) => fetch(u, i));
  }

  private async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new ApiUnreachable(`cannot reach the Fulcrum API at ${this.baseUrl} (${why})`);
    }
  }

  private async fail(res: Response): Promise<never> {
    let errors: ConfigError[] = [];
    let message = `${res.status} ${res.statusText}`.trim();
    try {
      const j = (await res.json()) as { errors?: ConfigError[]; error?: string; message?: string };
      if (Array.isArray(j.errors)) errors = j.errors.filter((e) => e && typeof e.message === 'string');
      message = j.message ?? j.error ?? message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(message, res.status, errors);
  }

  /** The desired config (what a change edits and PUTs back). */
  async getConfig(): Promise<FulcrumConfig> {
    const res = await this.request('GET', '/api/v1/config');
    if (!res.ok) return this.fail(res);
    this.etag = res.headers.get('etag') ?? undefined;
    return (await res.json()) as FulcrumConfig;
  }

  /** What the dataplane runs now (health checks applied): what ipvsadm -L shows after keepalived. */
  async getEffectiveConfig(): Promise<FulcrumConfig> {
    const res = await this.request('GET', '/api/v1/config?view=effective');
    if (!res.ok) return this.fail(res);
    return (await res.json()) as FulcrumConfig;
  }

  /** PUT the whole config; If-Match guards against a concurrent writer when the server gives ETags. */
  async putConfig(cfg: FulcrumConfig): Promise<void> {
    const res = await this.request('PUT', '/api/v1/config', cfg, this.etag ? { 'if-match': this.etag } : {});
    if (!res.ok) return this.fail(res);
  }

  /** Counters; an API without stats (404/501) reads as "no counters" (all 0). */
  async getStats(): Promise<unknown> {
    const res = await this.request('GET', '/api/v1/stats');
    if (res.status === 404 || res.status === 501) return {};
    if (!res.ok) return this.fail(res);
    return res.json();
  }

  /** ipvsadm -Z: restart the counters of one service, or all. */
  async zero(service?: string): Promise<void> {
    const res = await this.request('POST', '/api/v1/zero', service ? { service } : {});
    if (!res.ok) return this.fail(res);
  }

  /** Whether the dataplane runs (GET /health/ready: 200, else 503). */
  async getReady(): Promise<boolean> {
    const res = await this.request('GET', '/api/v1/health/ready');
    if (res.status === 503) return false;
    if (!res.ok) return this.fail(res);
    return true;
  }

  /** Health-check states of the checked real servers (unchecked ones are not listed). */
  async getHealthServers(): Promise<HealthServerState[]> {
    const res = await this.request('GET', '/api/v1/health/servers');
    if (!res.ok) return this.fail(res);
    return (await res.json()) as HealthServerState[];
  }

  /** Sessions, or null when the daemon does not list them (501). */
  async getSessions(): Promise<unknown | null> {
    const res = await this.request('GET', '/api/v1/sessions?limit=10000');
    if (res.status === 501 || res.status === 404) return null;
    if (!res.ok) return this.fail(res);
    return res.json();
  }

  /** The running sync daemons (GET /sync): ipvsadm -L --daemon. */
  async getSyncDaemons(): Promise<SyncDaemonView[]> {
    const res = await this.request('GET', '/api/v1/sync');
    if (res.status === 404) return [];
    if (!res.ok) return this.fail(res);
    return ((await res.json()) as { daemons: SyncDaemonView[] }).daemons;
  }

  /** ipvsadm --start-daemon: the daemon's settings become ha.sync.<state> of the config. */
  async startSyncDaemon(state: string, body: object): Promise<void> {
    const res = await this.request('PUT', `/api/v1/sync/daemons/${state}`, body);
    if (!res.ok) return this.fail(res);
  }

  /** ipvsadm --stop-daemon; false when no such daemon runs. */
  async stopSyncDaemon(state: string): Promise<boolean> {
    const res = await this.request('DELETE', `/api/v1/sync/daemons/${state}`);
    if (res.status === 404) return false;
    if (!res.ok) return this.fail(res);
    return true;
  }

  /** fulcrum explain: the director's dry run for one client packet (GET /explain). */
  async explain(proto: 'tcp' | 'udp', src: string, dst: string): Promise<Explanation> {
    const q = new URLSearchParams({ proto, src, dst });
    const res = await this.request('GET', `/api/v1/explain?${q.toString()}`);
    if (!res.ok) return this.fail(res);
    return (await res.json()) as Explanation;
  }
}
