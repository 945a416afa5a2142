// What every route plugin is given: the config writer, the appliance and the
// health manager as fastify decorators, and the helpers that run a change or
// read the dataplane. Declared once here, for the types of every plugin.
import type { FromSchema } from 'json-schema-to-ts';
import type { Registry } from 'prom-client';
import type { FulcrumConfig, ServiceConfig } from '../config/types';
import type { NativeExplain, NativeStats, NativeSyncStats } from '../native/addon';
import type { PortView } from '../lb/appliance';
import type { SyncDaemonStatus } from '../ha/sync';
import type { ExplainNames, ExplainQuery } from '../lb/explain';
import type { HealthSource } from '../health/manager';
import { ConfigRejected, type ConfigWriter } from '../lb/writer';
import { parseEndpointKey, parseServiceKey } from '../config/keys';
import { badParam, HttpError } from './errors';
import type { IpvsStatsView, RawServerCounters } from '../lb/stats-view';
import type * as S from './schemas';

export type SessionQuery = FromSchema<typeof S.sessionsQuery, { keepDefaultedPropertiesOptional: false }>;
export type ExplainParams = FromSchema<typeof S.explainQuery>;
export type ServiceParams = FromSchema<typeof S.serviceParams>;
export type ServerParams = FromSchema<typeof S.serverParams>;

/** What the API reads from the appliance (the real Appliance, or a fake in tests). */
export interface ApiAppliance {
  readonly running: boolean;
  stats(): NativeStats;
  ports(): PortView[];
  /** Optional until the dataplane exposes them; the routes answer 501 without. */
  sessions?(q: SessionQuery): { sessions: object[]; next: string | null };
  neighbours?(): object[];
  /** Per real server raw counters keyed by serverKey (config/keys.ts). */
  serverCounters?(): Map<string, RawServerCounters>;
  /** Live persistence templates per real server (serverKey): ipvsadm's PersistConn. */
  persistConns?(): Map<string, number>;
  /** The dataplane's dry run for one client packet, with the names of its ids. */
  explain?(q: ExplainQuery): { native: NativeExplain; names: ExplainNames };
  /** The session sync thread's counters. */
  syncStats?(): NativeSyncStats;
}

/** What the API reads of high availability (src/ha/controller.ts). */
export interface ApiHa {
  sync: { status(): SyncDaemonStatus[] };
  vrrp: { status(): { ip: string; role: string; port: string; master: boolean }[] };
  settled(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    writer: ConfigWriter;
    appliance: ApiAppliance;
    health: HealthSource | undefined;
    ha: ApiHa | undefined;
    metricsRegistry: Registry | undefined;
    /** ipvsadm's zero offsets and rates over the raw counters (lb/stats-view.ts). */
    statsView: IpvsStatsView;
    /** Run one change through the writer (configChange below). */
    change(fn: (draft: FulcrumConfig) => string | void, reason: string): Promise<FulcrumConfig>;
    /** Read the dataplane, or 503 when it is not running. */
    dataplane<T>(f: () => T): T;
  }
}

/**
 * Semantic errors name whole-config paths ("services[3].servers[0].port").
 * For a route that edits one item, report them relative to the body the
 * client sent ("port"); others keep their config path.
 */
function relativize(errors: ConfigRejected['errors'], prefix: string): ConfigRejected['errors'] {
  return errors.map((e) => {
    if (e.path === prefix) return { path: '', message: e.message };
    if (e.path.startsWith(`${prefix}.`)) return { path: e.path.slice(prefix.length + 1), message: e.message };
    return e;
  });
}

/** A change scoped to one item: fn returns that item's config path. */
export async function configChange(writer: ConfigWriter, fn: (draft: FulcrumConfig) => string | void,
  reason: string): Promise<FulcrumConfig> {
  let prefix: string | undefined;
  try {
    return await writer.mutate((d) => {
      prefix = fn(d) ?? undefined;
    }, reason);
  } catch (e) {
    if (e instanceof ConfigRejected && prefix !== undefined) throw new ConfigRejected(relativize(e.errors, prefix));
    throw e;
  }
}

export function dataplaneRead<T>(appliance: ApiAppliance, f: () => T): T {
  if (!appliance.running) throw new HttpError(503, 'dataplane is not running');
  return f();
}

export interface ServiceId { protocol: ServiceConfig['protocol']; vip: string; port: number }

/** A service id from the URL (its pattern is checked by the schema). */
export function serviceIdOf(id: string, path = 'params.id'): ServiceId {
  const k = parseServiceKey(id);
  if (!k) throw badParam(path, 'must be protocol:vip:port with a port from 0 to 65535');
  return { ...k, protocol: k.protocol as ServiceId['protocol'] };
}

export function serverIdOf(id: string, path = 'params.server'): { address: string; port: number } {
  const k = parseEndpointKey(id);
  if (!k) throw badParam(path, 'must be address:port with a port from 0 to 65535');
  return k;
}

export function findService(cfg: FulcrumConfig, id: ServiceId): number {
  return cfg.services.findIndex((s) => s.protocol === id.protocol && s.vip === id.vip && s.port === id.port);
}
