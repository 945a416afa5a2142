// JSON Schema for the whole declarative config. The same object is meant to
// drive the HTTP API validation later, so it is plain JSON Schema (draft-07
// as ajv 8 speaks it) with no custom keywords. Every object is closed
// (additionalProperties: false) so a typo is an error, never a silent no-op.
// Defaults live here and are applied by ajv (useDefaults) so the typed
// FulcrumConfig never has to guess.

import { DEFAULT_SCHEDULER, LIMITS, METHODS, SCHED_FLAGS, SCHEDULERS, TCP_EDITS } from '../native/vocabulary';
import { PCI_BINDINGS } from '../net/device';

export { METHODS, SCHED_FLAGS, SCHEDULERS };
/** proxyProtocol values: the TCP_EDITS "proxy-<v>" of the dataplane. */
export const PROXY_PROTOCOL_VERSIONS = TCP_EDITS.filter((e) => e.startsWith('proxy-')).map((e) => e.slice('proxy-'.length)) as
  Array<'v1' | 'v2'>;
// The dataplane's limits (checked against the addon when it loads).
export const MAX_PORTS = LIMITS.ports;
export const MAX_WORKERS = LIMITS.workers;
export const MAX_LCORE = LIMITS.lcore;
export const MAX_DEVARGS = LIMITS.devargsLength;
export const MAX_ADDRS = LIMITS.addrs;
export const MAX_ROUTES = LIMITS.routes;

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4_BODY = `${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}`;
const LEN = '(3[0-2]|[12]?[0-9])';

/** Dotted quad, no leading zeros (they read as octal in some tools). */
export const IPV4_PATTERN = `^${IPV4_BODY}$`;
/** The shape of an IPv6 address (hex groups, colons, an optional dotted tail);
 * src/net/ipv6.ts parses it exactly and validate6.ts says what is wrong. */
export const IPV6_SHAPE = '[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*';
const LEN6 = '(12[0-8]|1[01][0-9]|[1-9]?[0-9])';
/** a.b.c.d/len or an IPv6 address/len: a port address. */
export const HOST_CIDR_PATTERN = `^(${IPV4_BODY}/${LEN}|${IPV6_SHAPE}/${LEN6})$`;
/** An address of either family (a next hop, a VIP, a real server, a LIP). */
export const IP_PATTERN = `^(${IPV4_BODY}|${IPV6_SHAPE})$`;
/** A prefix of either family or the word "default" (whose family is its next hop's). */
export const ROUTE_TO_PATTERN = `^(default|${IPV4_BODY}/${LEN}|${IPV6_SHAPE}/${LEN6})$`;
export const PORT_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,14}$';
/** Linux interface name: IFNAMSIZ-1 chars, no slash, no whitespace. */
export const IFNAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$';
export const POOL_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$';

/** Human wording for pattern failures (ajv would print the regex). */
export const PATTERN_DESCRIPTIONS: Record<string, string> = {
  [IPV4_PATTERN]: 'must be an IPv4 address a.b.c.d',
  [HOST_CIDR_PATTERN]: 'must be an address with prefix length: a.b.c.d/len or an IPv6 address/len',
  [IP_PATTERN]: 'must be an IPv4 or IPv6 address',
  [ROUTE_TO_PATTERN]: 'must be a.b.c.d/len, an IPv6 prefix/len or "default"',
  [PORT_NAME_PATTERN]: 'must be a lowercase name: a letter then up to 14 of [a-z0-9_-]',
  [IFNAME_PATTERN]: 'must be an interface name of at most 15 characters [A-Za-z0-9_.-]',
  [POOL_NAME_PATTERN]: 'must be a pool name of at most 32 characters [A-Za-z0-9_.-]',
};

const ipv4 = { type: 'string', pattern: IPV4_PATTERN } as const;
const hostCidr = { type: 'string', pattern: HOST_CIDR_PATTERN } as const;
const ipAny = { type: 'string', pattern: IP_PATTERN } as const;
const l4port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const seconds = { type: 'integer', minimum: 0, maximum: 2147483 } as const; // INT_MAX/HZ(1000)


const dataplane = {
  type: 'object',
  additionalProperties: false,
  required: ['workers'],
  properties: {
    workers: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_WORKERS,
      uniqueItems: true,
      // 0 is the main lcore by default; a custom mainLcore is checked semantically.
      items: { type: 'integer', minimum: 1, maximum: MAX_LCORE, $comment: 'lcore 0 is the main lcore' },
    },
    mainLcore: { type: 'integer', minimum: 0, maximum: MAX_LCORE, default: 0 },
    lcoreMap: { type: 'string', minLength: 1, pattern: '^\\S+$' },
    memory: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        hugepages: { type: 'string', enum: ['auto', 'require', 'off'], default: 'auto' },
        sizeMB: { type: 'integer', minimum: 64, maximum: 1048576, default: 512 },
      },
    },
    mbufsPerSocket: { type: 'integer', minimum: 1024, maximum: 16777216, default: 16384 },
    sessionsPerWorker: { type: 'integer', minimum: 1024, maximum: 4294967295, default: 262144 },
    /** The IPv6 session table beside it: its records are twice the size (128 bytes). */
    ipv6SessionsPerWorker: { type: 'integer', minimum: 1024, maximum: 4294967295, default: 65536 },
    persistTemplates: { type: 'integer', minimum: 1024, maximum: 16777216, default: 65536 },
    icmpErrorsPerSec: { type: 'integer', minimum: 0, maximum: 10000000, default: 1000 },
    icmpErrorsBurst: { type: 'integer', minimum: 1, maximum: 10000000, default: 50 },
    burst: { type: 'integer', minimum: 1, maximum: 64, default: 32 },
    txDrainUs: { type: 'integer', minimum: 0, maximum: 1000000, default: 100 },
    idleSleepUs: { type: 'integer', minimum: 0, maximum: 1000000, default: 0 },
    /** With idleSleepUs > 0, an idle worker whose every RX queue has an interrupt (net_tap, virtio, most PCI NICs)
     * sleeps in epoll until a packet arrives instead of napping (native/fastpath/idle.c). */
    rxInterrupts: { type: 'boolean', default: true },
    /** FULLNAT TCP: send clients' TSvals to the real servers on the director's wall clock, so a LIP:lport pair reused
     * while a server holds it in TIME_WAIT passes PAWS (native/tcp/stream.c). */
    rewriteTimestamps: { type: 'boolean', default: true },
    neighbourTimeoutSec: { type: 'integer', minimum: 1, maximum: 86400, default: 300 },
    eal: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
  },
} as const;

const address = {
  type: 'object',
  additionalProperties: false,
  required: ['ip', 'role'],
  properties: {
    /** IPv4 or IPv6: the director is a host of either family on its networks. */
    ip: hostCidr,
    role: { type: 'string', enum: ['dip', 'vip', 'lip'] },
  },
} as const;

const port = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'device'],
  properties: {
    name: { type: 'string', pattern: PORT_NAME_PATTERN },
    device: { type: 'string', minLength: 1, maxLength: MAX_DEVARGS },
    // A string names the twin; false means no twin. `true` is meaningless.
    // Left absent, validate.ts fills "fl-" + name.
    twin: {
      type: ['string', 'boolean'],
      pattern: IFNAME_PATTERN,
      not: { const: true },
    },
    mtu: { type: 'integer', minimum: 68, maximum: 9000, default: 1500 },
    /** PCI ports: the driver `fulcrum setup` binds the device to (src/host/setup.ts); absent = vfio-pci. */
    bind: { type: 'string', enum: PCI_BINDINGS },
    addresses: { type: 'array', maxItems: MAX_ADDRS, items: address, default: [] },
  },
} as const;

const route = {
  type: 'object',
  additionalProperties: false,
  required: ['to', 'via'],
  properties: {
    to: { type: 'string', pattern: ROUTE_TO_PATTERN },
    /** The route's family is its next hop's: `to` must be of the same family. */
    via: ipAny,
    port: { type: 'string', pattern: PORT_NAME_PATTERN },
  },
} as const;

const gateway = {
  type: 'object',
  additionalProperties: false,
  required: ['via'],
  properties: {
    via: ipv4,
    port: { type: 'string', pattern: PORT_NAME_PATTERN },
  },
} as const;

// ---- health checks: keepalived's TCP_CHECK, HTTP_GET / SSL_GET, MISC_CHECK,
// SMTP_CHECK, UDP_CHECK, PING_CHECK and DNS_CHECK. A type's own settings sit
// in the block named after it (http, misc, smtp, udp, dns).
/** "200" or "200-299" */
export const STATUS_CODE_PATTERN = '^[1-5][0-9]{2}(-[1-5][0-9]{2})?$';
export const MD5_PATTERN = '^[0-9a-fA-F]{32}$';
/** Bytes as hex digits, spaces allowed between bytes (keepalived's payload / require_reply). */
export const HEX_BYTES_PATTERN = '^([0-9a-fA-F]{2}\\s*)+$';
PATTERN_DESCRIPTIONS[STATUS_CODE_PATTERN] = 'must be an HTTP status code "200" or a range "200-299"';
PATTERN_DESCRIPTIONS[MD5_PATTERN] = 'must be an md5 digest of 32 hex digits';
PATTERN_DESCRIPTIONS[HEX_BYTES_PATTERN] = 'must be bytes as pairs of hex digits, e.g. "0a1b 2c"';
export const HEALTH_CHECK_TYPES = ['tcp', 'http', 'misc', 'smtp', 'udp', 'ping', 'dns'] as const;
/** The query types keepalived's DNS_CHECK knows. */
export const DNS_QUERY_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'] as const;
/** Fractional seconds, as keepalived accepts them (up to one day). */
const checkSeconds = { type: 'number', minimum: 0, maximum: 86400 } as const;
const command = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const statusCodes = {
  type: 'array', minItems: 1, maxItems: 32,
  items: { type: 'string', pattern: STATUS_CODE_PATTERN },
  default: ['200-299'],
} as const;
const urlPath = { type: 'string', minLength: 1, maxLength: 2048, pattern: '^/\\S*$', default: '/' } as const;
const digest = { type: 'string', pattern: MD5_PATTERN } as const;
const hexBytes = { type: 'string', minLength: 2, maxLength: 4096, pattern: HEX_BYTES_PATTERN } as const;
// keepalived notify_up / notify_down: run as
// `sh -c <command> fulcrum-notify <service> <server> <UP|DOWN>`.
const notify = {
  type: 'object',
  additionalProperties: false,
  properties: { up: command, down: command },
} as const;

const healthCheck = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string', enum: HEALTH_CHECK_TYPES },
    // keepalived: delay_loop, connect_timeout, retry (nb_get_retry), delay_before_retry.
    delayLoop: { type: 'number', minimum: 0.1, maximum: 86400, default: 6, $comment: 'seconds between check rounds' },
    connectTimeout: { type: 'number', minimum: 0.1, maximum: 86400, default: 5, $comment: 'seconds' },
    retry: { type: 'integer', minimum: 0, maximum: 100, default: 1 },
    delayBeforeRetry: { ...checkSeconds, default: 1 },
    rise: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
    fall: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
    /** keepalived `alpha`: the server starts DOWN until a check succeeds. */
    alpha: { type: 'boolean', default: false },
    connectIp: ipAny,
    connectPort: { type: 'integer', minimum: 1, maximum: 65535 },
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: urlPath,
        statusCodes,
        digest,
        /** keepalived checks every url block: these are checked after `path`, and all must pass. */
        extraUrls: {
          type: 'array', maxItems: 32,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['path'],
            properties: { path: urlPath, statusCodes, digest },
          },
        },
        host: { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S+$' },
        /** SSL_GET: HTTPS without certificate verification, as keepalived. */
        tls: { type: 'boolean', default: false },
      },
    },
    misc: {
      type: 'object',
      additionalProperties: false,
      required: ['command'],
      properties: {
        command,
        /** Seconds; default: delayLoop (keepalived's misc_timeout default). */
        timeout: { type: 'number', minimum: 0.1, maximum: 86400 },
        /** keepalived misc_dynamic: exit 1 = down, 2-255 = up with weight code-2. */
        dynamic: { type: 'boolean', default: false },
      },
    },
    smtp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        /** keepalived helo_name. */
        helo: { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S+$', default: 'smtpchecker.keepalived.org' },
      },
    },
    udp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        /** The datagram sent (hex); absent: an empty datagram. */
        payload: hexBytes,
        /** keepalived require_reply: up only on an answer, else up unless the server refuses (ICMP port unreachable). */
        requireReply: { type: 'boolean', default: false },
        /** The answer must start with these bytes (hex); implies requireReply. */
        reply: hexBytes,
        minReplyLength: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
        maxReplyLength: { type: 'integer', minimum: 0, maximum: 65535, default: 255 },
      },
    },
    dns: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: DNS_QUERY_TYPES, default: 'SOA' },
        name: { type: 'string', minLength: 1, maxLength: 253, pattern: '^(\\.|([A-Za-z0-9_-]{1,63}\\.)*[A-Za-z0-9_-]{1,63}\\.?)$', default: '.' },
      },
    },
  },
} as const;

type CheckBlockKey = Extract<keyof typeof healthCheck.properties, (typeof HEALTH_CHECK_TYPES)[number]>;
/** The check types with a settings block of their own (the block is named after the type). */
export const CHECK_BLOCKS = (Object.keys(healthCheck.properties) as string[])
  .filter((k): k is CheckBlockKey => (HEALTH_CHECK_TYPES as readonly string[]).includes(k));
/**
 * A block's defaults, for a check given without its block ({"type": "smtp"}):
 * the schema's own defaults; null when the block has a required field.
 */
export function checkBlockDefaults(key: CheckBlockKey): Record<string, unknown> | null {
  const block = healthCheck.properties[key] as { required?: readonly string[]; properties: Record<string, { default?: unknown }> };
  if (block.required?.length) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(block.properties)) if (v.default !== undefined) out[k] = structuredClone(v.default);
  return out;
}

const server = {
  type: 'object',
  additionalProperties: false,
  required: ['address', 'port', 'method'],
  properties: {
    address: ipAny,
    port: l4port,
    weight: { type: 'integer', minimum: 0, maximum: 65535, default: 1 },
    method: { type: 'string', enum: METHODS },
    // IPVS u_threshold / l_threshold: connection counts, 0 = no limit.
    upperThreshold: { type: 'integer', minimum: 0, maximum: 4294967295 },
    lowerThreshold: { type: 'integer', minimum: 0, maximum: 4294967295 },
    healthCheck,
    /** keepalived real_server notify_up / notify_down: run when this server's check changes state. */
    notify,
  },
} as const;

const service = {
  type: 'object',
  additionalProperties: false,
  required: ['protocol', 'vip', 'port'],
  properties: {
    protocol: { type: 'string', enum: ['tcp', 'udp'] },
    vip: ipAny,
    port: l4port,
    scheduler: { type: 'string', enum: SCHEDULERS, default: DEFAULT_SCHEDULER },
    schedFlags: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', enum: SCHED_FLAGS },
      default: [],
    },
    persistence: {
      type: ['object', 'null'],
      additionalProperties: false,
      default: null,
      properties: {
        timeout: { type: 'integer', minimum: 1, maximum: 2678400, default: 360 }, // ipvsadm max 31 days
        /** An IPv4 service's granularity (ipvsadm -M a.b.c.d). */
        netmask: { ...ipv4, default: '255.255.255.255' },
        /** An IPv6 service's granularity: a prefix length, as ipvsadm -M takes it for IPv6 (absent: 128). */
        ipv6PrefixLength: { type: 'integer', minimum: 1, maximum: 128 },
      },
    },
    lipPool: { type: 'string', pattern: POOL_NAME_PATTERN },
    mssClamp: { type: 'integer', minimum: 88, maximum: 65495 },
    /** FULLNAT TCP: a PROXY protocol header (HAProxy's spec) ahead of each client stream. */
    proxyProtocol: { type: 'string', enum: PROXY_PROTOCOL_VERSIONS },
    /** FULLNAT TCP: the client's address in TCP option 254, for servers with the TOA module (DPVS). */
    toa: { type: 'boolean' },
    /** FULLNAT TCP: answer SYNs with SYN cookies and open the server's connection only for a valid ACK (DPVS synproxy). */
    synProxy: { type: 'boolean' },
    expireNodestConn: { type: 'boolean', default: false },
    servers: { type: 'array', items: server, default: [] },
    // keepalived inhibit_on_failure: a DOWN server keeps weight 0 instead of being removed.
    inhibitOnFailure: { type: 'boolean', default: false },
    // keepalived sorry_server: published alone while the service has lost quorum.
    sorryServer: {
      type: 'object',
      additionalProperties: false,
      required: ['address', 'port'],
      properties: {
        address: ipAny,
        port: l4port,
        /** Default: the method of the service's first server, else fullnat. */
        method: { type: 'string', enum: METHODS },
        weight: { type: 'integer', minimum: 1, maximum: 65535, default: 1 },
      },
    },
    // keepalived quorum / hysteresis / quorum_up / quorum_down: the summed
    // weight of the UP servers needed for the service to be "up".
    quorum: {
      type: 'object',
      additionalProperties: false,
      required: ['count'],
      properties: {
        count: { type: 'integer', minimum: 1, maximum: 4294967295 },
        hysteresis: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0 },
        up: command,
        down: command,
      },
    },
    /** Run when any checked server of the service changes state. */
    notify,
  },
} as const;

// ---- high availability (src/ha): VRRP by keepalived on the kernel twins,
// and the IPVS connection sync daemons.
/** IPVS's sync defaults (ip_vs_sync.c, sysctl net.ipv4.vs.*). */
export const SYNC_DEFAULTS = { group: '224.0.0.81', port: 8848, ttl: 1, maxLen: 1472, threshold: 3, period: 50 } as const;
export const SYNC_STATES = ['master', 'backup'] as const;
/** ipvsadm --start-daemon master|backup: one of each may run. */
export const syncDaemon = {
  type: 'object',
  additionalProperties: false,
  required: ['interface'],
  properties: {
    /** --mcast-interface: a port name, or its kernel twin's name. */
    interface: { type: 'string', pattern: IFNAME_PATTERN },
    /** --syncid: a backup with 0 takes any sync id. */
    syncId: { type: 'integer', minimum: 0, maximum: 255, default: 0 },
    /** --sync-maxlen: the largest UDP payload. */
    maxLen: { type: 'integer', minimum: 144, maximum: 65507, default: SYNC_DEFAULTS.maxLen },
    group: { ...ipv4, default: SYNC_DEFAULTS.group },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: SYNC_DEFAULTS.port },
    ttl: { type: 'integer', minimum: 1, maximum: 255, default: SYNC_DEFAULTS.ttl },
    /** Unicast peers: a master sends to each as well as to the group. */
    peers: { type: 'array', items: ipv4, uniqueItems: true, maxItems: 16, default: [] },
  },
} as const;

const ha = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    /** keepalived's vrrp_instance runs on the twins and moves the floating addresses: Fulcrum serves a floating
     * address only while it is on its port's twin (src/ha/vrrp.ts). */
    vrrp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        floating: { type: 'array', items: { type: 'string', enum: ['vip', 'lip'] }, uniqueItems: true, minItems: 1, default: ['vip', 'lip'] },
      },
    },
    sync: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        master: syncDaemon,
        backup: syncDaemon,
        /** net.ipv4.vs.sync_threshold: [threshold, period]; period 0: once, at pkts == threshold. */
        threshold: { type: 'integer', minimum: 0, maximum: 65535, default: SYNC_DEFAULTS.threshold },
        period: { type: 'integer', minimum: 0, maximum: 65535, default: SYNC_DEFAULTS.period },
        /** net.ipv4.vs.sync_refresh_period, seconds: 0 = off. */
        refreshPeriod: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
        /** How often the master sends what the workers queued, milliseconds. */
        flushMs: { type: 'integer', minimum: 1, maximum: 2000, default: 20 },
      },
    },
  },
} as const;

export const configSchema = {
  $id: 'https://fulcrum.dev/schema/config.json',
  type: 'object',
  additionalProperties: false,
  required: ['dataplane', 'ports'],
  properties: {
    dataplane,
    ports: { type: 'array', minItems: 1, maxItems: MAX_PORTS, items: port },
    routes: { type: 'array', maxItems: MAX_ROUTES, items: route, default: [] },
    defaultGateway: gateway,
    lipPools: {
      type: 'object',
      default: {},
      propertyNames: { type: 'string', pattern: POOL_NAME_PATTERN },
      additionalProperties: { type: 'array', items: ipAny, uniqueItems: true },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      // IPVS defaults (ipvsadm -L --timeout on a fresh kernel).
      properties: {
        tcp: { ...seconds, default: 900 },
        tcpFin: { ...seconds, default: 120 },
        udp: { ...seconds, default: 300 },
      },
    },
    api: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        listen: { ...ipv4, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 1, maximum: 65535, default: 9180 },
        token: { type: 'string', minLength: 8 },
        // HTTPS: PEM files, read at start and again on SIGHUP.
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['cert', 'key'],
          properties: {
            cert: { type: 'string', minLength: 1, maxLength: 4096 },
            key: { type: 'string', minLength: 1, maxLength: 4096 },
          },
        },
        // A non-loopback bind without TLS sends the token in clear text:
        // refused unless this says so.
        insecure: { type: 'boolean' },
      },
    },
    services: { type: 'array', items: service, default: [] },
    /** IPVS's net.ipv4.vs.sloppy_tcp: any TCP packet but a RST may open a session, not only a SYN. Behind an ECMP router
     * that moves flows between directors, a moved flow then gets a session here (with mh: on the same real server). */
    sloppyTcp: { type: 'boolean', default: false },
    ha,
    stateFile: { type: 'string', minLength: 1 },
  },
} as const;
