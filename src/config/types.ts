// Typed view of the declarative config AFTER schema validation and defaults.
// Optional (`?`) fields are the ones without a default; everything else is
// always present once validateConfig() returned ok.

export type HugepageMode = 'auto' | 'require' | 'off';
export type AddressRole = 'dip' | 'vip' | 'lip';
export type Protocol = 'tcp' | 'udp';
export type Scheduler =
  | 'rr' | 'wrr' | 'lc' | 'wlc' | 'sed' | 'nq' | 'fo' | 'ovf'
  | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'mh';
export type SchedFlag = 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port';
export type ForwardingMethod = 'fullnat' | 'dr' | 'nat' | 'tun';

export interface MemoryConfig {
  hugepages: HugepageMode;
  sizeMB: number;
}

export interface DataplaneConfig {
  /** Worker lcore ids; never the main lcore. */
  workers: number[];
  mainLcore: number;
  /** Raw EAL --lcores value; when set it replaces the generated mapping. */
  lcoreMap?: string;
  memory: MemoryConfig;
  mbufsPerSocket: number;
  sessionsPerWorker: number;
  burst: number;
  txDrainUs: number;
  idleSleepUs: number;
  neighbourTimeoutSec: number;
  /** Extra EAL arguments, appended last so they win. */
  eal: string[];
}

export interface AddressConfig {
  /** "a.b.c.d/len" */
  ip: string;
  role: AddressRole;
}

export interface PortConfig {
  name: string;
  device: string;
  /** Kernel twin interface name, or false for none. Defaulted to "fl-"+name. */
  twin: string | false;
  mtu: number;
  addresses: AddressConfig[];
}

export interface RouteConfig {
  /** "a.b.c.d/len" or "default" */
  to: string;
  via: string;
  port?: string;
}

export interface GatewayConfig {
  via: string;
  port?: string;
}

export interface TimeoutsConfig {
  /** Seconds; 0 keeps the current value (ipvsadm --set semantics). */
  tcp: number;
  tcpFin: number;
  udp: number;
}

export interface ApiConfig {
  listen: string;
  port: number;
  token?: string;
}

export interface PersistenceConfig {
  timeout: number;
  netmask: string;
}

export interface ServerConfig {
  address: string;
  port: number;
  weight: number;
  method: ForwardingMethod;
  upperThreshold?: number;
  lowerThreshold?: number;
}

export interface ServiceConfig {
  protocol: Protocol;
  vip: string;
  /** 0 = all ports (only with persistence). */
  port: number;
  scheduler: Scheduler;
  schedFlags: SchedFlag[];
  persistence: PersistenceConfig | null;
  lipPool?: string;
  mssClamp?: number;
  expireNodestConn: boolean;
  servers: ServerConfig[];
}

export interface FulcrumConfig {
  dataplane: DataplaneConfig;
  ports: PortConfig[];
  routes: RouteConfig[];
  defaultGateway?: GatewayConfig;
  lipPools: Record<string, string[]>;
  timeouts: TimeoutsConfig;
  api: ApiConfig;
  services: ServiceConfig[];
  stateFile?: string;
}

/** One reported problem: a field path like "ports[0].addresses[1].ip" and why. */
export interface ConfigError {
  path: string;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: FulcrumConfig }
  | { ok: false; errors: ConfigError[] };
