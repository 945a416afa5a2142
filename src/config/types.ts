// Typed view of the declarative config AFTER schema validation and defaults,
// derived from the JSON schema itself (json-schema-to-ts), so the two cannot
// drift: a field added to schema.ts appears here, typed as the schema says.
// Defaulted properties count as present (ajv fills them: useDefaults);
// optional (`?`) fields are the ones without a default.
import type { FromSchema } from 'json-schema-to-ts';
import type { configSchema } from './schema';

type Derived = FromSchema<typeof configSchema, { keepDefaultedPropertiesOptional: false }>;
type Item<T> = T extends readonly (infer U)[] ? U : never;

/** validate.ts fills an absent twin with "fl-" + name; `true` is refused. */
export type PortConfig = Omit<Item<Derived['ports']>, 'twin'> & { twin: string | false };
export type FulcrumConfig = Omit<Derived, 'ports'> & { ports: PortConfig[] };

export type DataplaneConfig = FulcrumConfig['dataplane'];
export type MemoryConfig = DataplaneConfig['memory'];
export type HugepageMode = MemoryConfig['hugepages'];
export type AddressConfig = Item<PortConfig['addresses']>;
export type AddressRole = AddressConfig['role'];
export type RouteConfig = Item<FulcrumConfig['routes']>;
export type GatewayConfig = NonNullable<FulcrumConfig['defaultGateway']>;
export type TimeoutsConfig = FulcrumConfig['timeouts'];
export type ApiConfig = FulcrumConfig['api'];
export type ServiceConfig = Item<FulcrumConfig['services']>;
export type Protocol = ServiceConfig['protocol'];
export type Scheduler = ServiceConfig['scheduler'];
export type SchedFlag = Item<ServiceConfig['schedFlags']>;
export type PersistenceConfig = NonNullable<ServiceConfig['persistence']>;
export type SorryServerConfig = NonNullable<ServiceConfig['sorryServer']>;
export type QuorumConfig = NonNullable<ServiceConfig['quorum']>;
export type NotifyConfig = NonNullable<ServiceConfig['notify']>;
export type ServerConfig = Item<ServiceConfig['servers']>;
export type ForwardingMethod = ServerConfig['method'];
export type HealthCheckConfig = NonNullable<ServerConfig['healthCheck']>;
export type HealthCheckType = HealthCheckConfig['type'];
export type HttpCheckConfig = NonNullable<HealthCheckConfig['http']>;
export type MiscCheckConfig = NonNullable<HealthCheckConfig['misc']>;

/** One reported problem: a field path like "ports[0].addresses[1].ip" and why. */
export interface ConfigError {
  path: string;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: FulcrumConfig }
  | { ok: false; errors: ConfigError[] };
export type HaConfig = FulcrumConfig['ha'];
export type SyncConfig = HaConfig['sync'];
export type SyncDaemonConfig = NonNullable<SyncConfig['master']>;
export type VrrpConfig = NonNullable<HaConfig['vrrp']>;
