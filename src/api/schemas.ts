// Every JSON schema the HTTP API uses, in one place. Config-shaped bodies are
// cut from the config schema itself (src/config/schema.ts), so the API and the
// config file can never disagree about a field. Bodies are validated for shape
// only here (no defaults, no coercion); the writer then validates the whole
// resulting config, defaults and semantic checks included.
import { configSchema, HEALTH_CHECK_TYPES, IPV4_PATTERN, IPV6_SHAPE, PATTERN_DESCRIPTIONS, SYNC_STATES, syncDaemon } from '../config/schema';

type Schema = Record<string, unknown>;

/** Deep copy without the keys given (e.g. `default`, `$id`). */
function without(schema: unknown, keys: string[]): unknown {
  if (Array.isArray(schema)) return schema.map((s) => without(s, keys));
  if (schema && typeof schema === 'object') {
    const out: Schema = {};
    for (const [k, v] of Object.entries(schema)) {
      if (keys.includes(k)) continue;
      // `default` as a property *name* (properties.default) must stay.
      out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Schema).map(([pk, pv]) => [pk, without(pv, keys)])) : without(v, keys);
    }
    return out;
  }
  return schema;
}

const cfgProps = configSchema.properties;
const serviceItem = cfgProps.services.items;
const serverItem = serviceItem.properties.servers.items;
const IPV4_BODY = IPV4_PATTERN.slice(1, -1);
const PORT_NUM = '(0|[1-9][0-9]{0,4})';

// ------------------------------------------------------------------ params

/** An address before a port: IPv4, or IPv6 in brackets (config/keys.ts spells them so). */
const HOST = `(${IPV4_BODY}|\\[${IPV6_SHAPE}\\])`;
export const SERVICE_ID_PATTERN = `^(tcp|udp):${HOST}:${PORT_NUM}$`;
export const SERVER_ID_PATTERN = `^${HOST}:${PORT_NUM}$`;
/** explain works out IPv4 flows only, so far. */
export const ENDPOINT4_PATTERN = `^${IPV4_BODY}:${PORT_NUM}$`;
PATTERN_DESCRIPTIONS[SERVICE_ID_PATTERN] = 'must be protocol:vip:port, e.g. tcp:198.18.0.100:80 or tcp:[2001:2::100]:80';
PATTERN_DESCRIPTIONS[SERVER_ID_PATTERN] = 'must be address:port, e.g. 198.19.0.11:80 or [2001:2:1::11]:80';
PATTERN_DESCRIPTIONS[ENDPOINT4_PATTERN] = 'must be an IPv4 address:port, e.g. 198.18.0.10:40000';

export const serviceParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: SERVICE_ID_PATTERN, description: 'protocol:vip:port, e.g. tcp:198.18.0.100:80 or tcp:[2001:2::100]:80' },
  },
} as const;

export const serverParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'server'],
  properties: {
    ...serviceParams.properties,
    server: { type: 'string', pattern: SERVER_ID_PATTERN, description: 'address:port, e.g. 198.19.0.11:80 or [2001:2:1::11]:80' },
  },
} as const;

export const sessionsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service: { type: 'string', pattern: SERVICE_ID_PATTERN },
    server: { type: 'string', pattern: SERVER_ID_PATTERN },
    limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
    cursor: { type: 'string', maxLength: 256 },
  },
} as const;

/** GET /explain: a client's packet, as "address:port" each way. */
export const explainQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['proto', 'src', 'dst'],
  properties: {
    proto: { type: 'string', enum: ['tcp', 'udp'] },
    src: { type: 'string', pattern: ENDPOINT4_PATTERN, description: "the client's address:port, e.g. 198.18.0.10:40000" },
    dst: { type: 'string', pattern: ENDPOINT4_PATTERN, description: 'the VIP:port it connects to, e.g. 198.18.0.100:80' },
  },
} as const;

const nullableString = { type: ['string', 'null'] } as const;
/** GET /explain: what the fast path would do with that packet now (src/lb/explain.ts). */
export const explainResponse = {
  type: 'object',
  required: ['query', 'service', 'worker', 'decision', 'session', 'template', 'scheduler', 'method', 'replyTo', 'drop', 'egress', 'reasons'],
  properties: {
    query: { type: 'object', properties: { protocol: { type: 'string' }, client: { type: 'string' }, destination: { type: 'string' } } },
    service: {
      type: ['object', 'null'],
      properties: { id: { type: 'string' }, match: { type: 'string', enum: ['exact', 'all-ports'] }, scheduler: { type: 'string' }, persistence: { type: ['object', 'null'], additionalProperties: true } },
    },
    worker: { type: 'object', properties: { index: { type: 'integer' }, known: { type: 'boolean' } } },
    decision: { type: 'object', properties: { server: nullableString, by: { type: ['string', 'null'], enum: ['session', 'template', 'scheduler', null] } } },
    session: { type: ['object', 'null'], additionalProperties: true },
    template: { type: ['object', 'null'], additionalProperties: true },
    scheduler: {
      type: ['object', 'null'],
      properties: {
        name: { type: 'string' }, rule: { type: 'string' }, pick: nullableString, lastPick: nullableString,
        keySlot: { type: ['integer', 'null'] }, slots: { type: ['integer', 'null'] }, slotServer: nullableString,
        servers: { type: 'array', items: { type: 'object', additionalProperties: true } },
      },
    },
    method: nullableString,
    replyTo: nullableString,
    drop: nullableString,
    egress: { type: ['object', 'null'], properties: { port: { type: 'string' }, nextHop: { type: 'string' }, mac: nullableString } },
    reasons: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** GET /config?view=: the operator's desired config, or what the dataplane runs. */
export const configQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    view: { type: 'string', enum: ['desired', 'effective'], default: 'desired' },
  },
} as const;

// ------------------------------------------------------------------ bodies

/** PUT /config: the whole config, exactly as in a config file. */
export const configBody = without(configSchema, ['$id', 'default']) as Schema;

/** POST /services: one service (protocol, vip, port required). */
export const serviceBody = without(serviceItem, ['default']) as Schema;

/** PUT /services/:id: key fields may be omitted; when given they must match the id. */
export const servicePutBody = { ...serviceBody, required: [] } as Schema;

/** POST /services/:id/servers */
export const serverBody = without(serverItem, ['default']) as Schema;

/** PUT /services/:id/servers/:server: address and port come from the URL. */
export const serverPutBody = { ...serverBody, required: ['method'] } as Schema;

/** PATCH /services/:id/servers/:server: any subset of the changeable fields. */
export const serverPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    weight: without(serverItem.properties.weight, ['default']),
    method: serverItem.properties.method,
    upperThreshold: serverItem.properties.upperThreshold,
    lowerThreshold: serverItem.properties.lowerThreshold,
    healthCheck: without(serverItem.properties.healthCheck, ['default']),
  },
} as Schema;

const timeoutProps = without(cfgProps.timeouts.properties, ['default']) as Schema;

/** PUT /timeouts: ipvsadm --set tcp tcpfin udp; 0 keeps the current value. */
export const timeoutsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['tcp', 'tcpFin', 'udp'],
  properties: timeoutProps,
} as Schema;

// ------------------------------------------------------------------ responses

export const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** Response schemas drop validation-only keywords fast-json-stringify cannot use. */
function responseOf(s: unknown): Schema {
  return without(s, ['$id', 'default', 'not', 'propertyNames', '$comment']) as Schema;
}

export const configResponse = responseOf(configSchema);

const serverView = responseOf(serverItem);
export const serverResponse = {
  ...serverView,
  required: ['id', ...(serverView.required as string[])],
  properties: { id: { type: 'string' }, ...(serverView.properties as Schema) },
} as Schema;

const serviceView = responseOf(serviceItem);
export const serviceResponse = {
  ...serviceView,
  required: ['id', ...(serviceView.required as string[])],
  properties: {
    id: { type: 'string' },
    ...(serviceView.properties as Schema),
    servers: { type: 'array', items: serverResponse },
  },
} as Schema;

export const timeoutsResponse = responseOf(cfgProps.timeouts);

// ---- /sync: ipvsadm --start-daemon / --stop-daemon / -L --daemon
export const syncStateParams = {
  type: 'object', additionalProperties: false, required: ['state'],
  properties: { state: { type: 'string', enum: [...SYNC_STATES] } },
} as const;
export const syncDaemonBody = syncDaemon;
const syncDaemonView = responseOf(syncDaemon) as { properties: Schema; required: string[] };
export const syncResponse = {
  type: 'object',
  required: ['daemons', 'floating'],
  properties: {
    daemons: {
      type: 'array',
      items: {
        type: 'object',
        properties: { ...syncDaemonView.properties, state: { type: 'string' }, twin: { type: 'string' }, address: { type: 'string' } },
      },
    },
    /** Floating addresses (ha.vrrp) and whether this director serves each. */
    floating: {
      type: 'array',
      items: { type: 'object', properties: { ip: { type: 'string' }, role: { type: 'string' }, port: { type: 'string' }, master: { type: 'boolean' } } },
    },
    stats: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

const counter = { type: 'number' } as const;

const portCounters = {
  type: 'object',
  properties: {
    rxPackets: counter, rxBytes: counter, txPackets: counter, txBytes: counter, toKernel: counter, fromKernel: counter,
  },
} as const;

export const workerCounters = {
  type: 'object',
  properties: {
    role: { type: 'string', enum: ['worker', 'service'] },
    index: { type: 'integer' },
    lcore: { type: ['integer', 'null'] },
    ports: { type: 'object', additionalProperties: portCounters },
    drops: { type: 'object', additionalProperties: counter },
    tcpEdits: { type: 'object', additionalProperties: counter },
    sync: { type: 'object', additionalProperties: counter },
    arpReplies: counter,
    arpRequestsSent: counter,
    garpSent: counter,
    icmpEchoReplies: counter,
    icmpErrorsSent: counter,
    icmpErrorsLimited: counter,
    ndAdvertsSent: counter,
    ndSolicitsSent: counter,
    ndUnsolicitedSent: counter,
    icmp6EchoReplies: counter,
    neighQueued: counter,
    redirectOut: counter,
    redirectIn: counter,
    sessionsCreated: counter,
    sessionsExpired: counter,
    sessionsActive: counter,
    sessionsCapacity: counter,
    loops: counter,
    busyLoops: counter,
    idleNaps: counter,
    idleNapUs: counter,
    idleWaits: counter,
    idleWakeups: counter,
    rxInterrupts: { type: 'boolean' },
  },
} as const;

/** IPVS's per-service and per-server counters (ipvsadm -L --stats / --rate). */
const serviceCounterProps = Object.fromEntries(
  ['activeConns', 'inactConns', 'persistConns', 'conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes', 'cps', 'inPps', 'outPps', 'inBps', 'outBps']
    .map((k) => [k, { type: 'number' }]),
);

/** POST /zero: all services, or one. */
export const zeroBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { service: { type: 'string', pattern: SERVICE_ID_PATTERN } },
} as const;

export const statsResponse = {
  type: 'object',
  properties: {
    workers: { type: 'array', items: workerCounters },
    ports: { type: 'object', additionalProperties: portCounters },
    drops: { type: 'object', additionalProperties: counter },
    persistence: {
      type: 'object',
      properties: { templateSlots: { type: 'integer' }, templatesFull: counter, templatesReclaimed: counter },
    },
    services: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          scheduler: { type: 'string' },
          ...serviceCounterProps,
          servers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' }, weight: { type: 'integer' }, method: { type: 'string' },
                ...serviceCounterProps,
              },
            },
          },
        },
      },
    },
  },
} as const;

export const portsResponse = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      driver: { type: 'string' },
      twin: { type: 'string' },
      portId: { type: 'integer' },
      twinPortId: { type: ['integer', 'null'] },
      mac: { type: 'string' },
      mtu: { type: 'integer' },
      rxQueues: { type: 'integer' },
      txQueues: { type: 'integer' },
      rss: { type: 'boolean' },
      clientSteering: { type: 'string', enum: ['port', 'software'] },
      steering: { type: 'string', enum: ['none', 'software', 'rte_flow'] },
      linkUp: { type: 'boolean' },
      device: { type: 'string', description: 'the config\'s device string (iface:NAME, a PCI address, a vdev)' },
      iface: { type: ['string', 'null'], description: 'the kernel interface under the port' },
      xskSockets: { type: 'integer' },
      xskZeroCopy: { type: 'integer' },
      fallbackReason: { type: ['string', 'null'], description: 'why AF_XDP was not used on an iface: port' },
      rxInterrupts: { type: 'boolean', description: 'every RX queue has an interrupt for the idle sleep (dataplane.rxInterrupts)' },
      twinRxInterrupts: { type: 'boolean', description: 'the same for the port\'s kernel twin' },
      xdp: {
        type: ['object', 'null'],
        description: 'AF_XDP ports: native (driver) or generic (skb) XDP, copy or zero-copy',
        properties: {
          mode: { type: ['string', 'null'], enum: ['native', 'generic', 'offload', null] },
          copy: { type: 'string', enum: ['copy', 'zero-copy', 'mixed'] },
          sockets: { type: 'integer' },
        },
      },
    },
  },
} as const;

export const healthResponse = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' } },
} as const;

/** GET /health/servers: one entry per checked real server. */
export const healthServersResponse = {
  type: 'array',
  items: {
    type: 'object',
    required: ['service', 'server', 'state', 'since', 'lastError', 'checks', 'failures'],
    properties: {
      service: { type: 'string' },
      server: { type: 'string' },
      type: { type: 'string', enum: HEALTH_CHECK_TYPES },
      state: { type: 'string', enum: ['UP', 'DOWN'] },
      since: { type: 'string' },
      lastError: { type: ['string', 'null'] },
      checks: { type: 'integer' },
      failures: { type: 'integer' },
      transitions: { type: 'integer' },
    },
  },
} as const;

/** Sessions and neighbours: shapes owned by the dataplane, passed through. */
export const sessionsResponse = {
  type: 'object',
  properties: {
    sessions: { type: 'array', items: { type: 'object', additionalProperties: true } },
    next: { type: ['string', 'null'] },
  },
} as const;

export const neighboursResponse = {
  type: 'array',
  items: { type: 'object', additionalProperties: true },
} as const;

export const openapiResponse = { type: 'object', additionalProperties: true } as const;

/** Error responses every route may give (400 bad input, 401 no token), and these. */
export const errs = (...codes: number[]): Record<number, object> =>
  Object.fromEntries([400, 401, ...codes].map((c) => [c, errorResponse]));
