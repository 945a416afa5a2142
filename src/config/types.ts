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
  /** Persistence template slots shared by the workers (rounded up to a power of two). */
  persistTemplates: number;
  /** ICMP errors the director originates per second, all workers (Linux icmp_msgs_per_sec); 0 = not limited. */
  icmpErrorsPerSec: number;
  /** Burst of those errors (Linux icmp_msgs_burst). */
  icmpErrorsBurst: number;
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

export type HealthCheckType = 'tcp' | 'http' | 'misc';

export interface HttpCheckConfig {
  /** Request path, "/" by default. */
  path: string;
  /** "200" or "200-299"; default ["200-299"] (keepalived: any 2xx). */
  statusCodes: string[];
  /** md5 hex of the response body (keepalived HTTP_GET digest). */
  digest?: string;
  /** Host header (keepalived virtualhost); default the connect address. */
  host?: string;
  /** HTTPS without certificate verification (keepalived SSL_GET). */
  tls: boolean;
}

export interface MiscCheckConfig {
  /** Run by /bin/sh -c; exit 0 = up. */
  command: string;
  /** Seconds; default delayLoop. */
  timeout?: number;
  /** keepalived misc_dynamic: exit 1 = down, 2-255 = up with weight code-2. */
  dynamic: boolean;
}

/** One real server's health check, keepalived's checker semantics. Seconds may be fractional. */
export interface HealthCheckConfig {
  type: HealthCheckType;
  delayLoop: number;
  connectTimeout: number;
  retry: number;
  delayBeforeRetry: number;
  rise: number;
  fall: number;
  /** Start DOWN (keepalived alpha). */
  alpha: boolean;
  connectIp?: string;
  connectPort?: number;
  http?: HttpCheckConfig;
  misc?: MiscCheckConfig;
}

export interface SorryServerConfig {
  address: string;
  port: number;
  /** Default: the method of the service's first server, else fullnat. */
  method?: ForwardingMethod;
  weight: number;
}

export interface QuorumConfig {
  /** Summed weight of the UP servers needed for the service to be up. */
  count: number;
  hysteresis: number;
  /** Commands run (sh -c) when quorum is gained / lost. */
  up?: string;
  down?: string;
}

export interface NotifyConfig {
  up?: string;
  down?: string;
}

export interface ServerConfig {
  address: string;
  port: number;
  weight: number;
  method: ForwardingMethod;
  upperThreshold?: number;
  lowerThreshold?: number;
  healthCheck?: HealthCheckConfig;
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
  /** A DOWN server keeps weight 0 instead of being removed. */
  inhibitOnFailure: boolean;
  sorryServer?: SorryServerConfig;
  quorum?: QuorumConfig;
  notify?: NotifyConfig;
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
