// fulcrum explain: the dataplane's answer for one client tuple (fl_explain:
// the worker's own lookups and a dry-run pick on copies) turned into names
// and the reasons an operator reads: which service matched and why, whether
// a session or a persistence template decides, what the scheduler would
// pick and from which inputs, the LIP:lport, method and egress.
import type { FulcrumConfig, Protocol, ServiceConfig } from '../config/types';
import { endpointKey, serviceKey } from '../config/keys';
import type { NativeExplain } from '../native/addon';
import type { HealthServerStatus } from '../health/manager';

/** How each scheduler picks, in IPVS's words (ip_vs_*.c). */
const RULES: Record<string, string> = {
  rr: 'round robin: the next available server after the last pick',
  wrr: 'weighted round robin: servers in turn, each as often as its weight',
  lc: 'least connections: the fewest active * 256 + inactive',
  wlc: 'weighted least connections: the fewest (active * 256 + inactive) / weight',
  sed: 'shortest expected delay: the fewest (active + 1) / weight',
  nq: 'never queue: an idle server first, else the shortest expected delay',
  fo: 'weighted failover: the available server with the highest weight',
  ovf: 'overflow: the highest-weight server while its active connections are below its weight',
  lblc: 'locality-based least connections: the server the destination used last, unless overloaded; else weighted least connections',
  lblcr: 'locality-based with replication: the least loaded of the destination\'s server set; else weighted least connections',
  dh: 'destination hashing: the destination address\'s bucket of 256',
  sh: 'source hashing: the client address\'s (and, with sh-port, port\'s) bucket of 256, weighted',
  mh: 'Maglev hashing: the client address\'s (and, with mh-port, port\'s) slot of the lookup table',
  twos: 'weighted random of two choices: two servers drawn by weight, the one with fewer connections per weight',
};

export interface ExplainQuery {
  protocol: Protocol;
  client: { ip: string; port: number };
  destination: { ip: string; port: number };
}

export interface ExplainNames {
  service(id: number): string | undefined;
  /** "RIP:port" of a server id. */
  server(id: number): string | undefined;
  port(index: number): string | undefined;
}

export interface ExplainInputs {
  query: ExplainQuery;
  native: NativeExplain;
  names: ExplainNames;
  /** What runs (health-adjusted) and what was asked for. */
  effective: FulcrumConfig;
  desired: FulcrumConfig;
  health?: HealthServerStatus[];
}

const ep = (ip: string, port: number): string => `${ip}:${port}`;

function serviceMatch(q: ExplainQuery, effective: FulcrumConfig, found: ServiceConfig | undefined, wildcard: boolean): string {
  const dst = ep(q.destination.ip, q.destination.port);
  if (found) {
    return wildcard
      ? `${q.protocol} ${dst} matches ${serviceKey(found)}: no service on port ${q.destination.port}, and the all-ports (port 0) service of the VIP takes it`
      : `${q.protocol} ${dst} matches service ${serviceKey(found)} exactly`;
  }
  const onVip = effective.services.filter((s) => s.vip === q.destination.ip);
  if (onVip.length === 0) return `${q.destination.ip} is not a VIP of any service: the packet is not load-balanced (it is the kernel's, or dropped)`;
  return `${q.destination.ip} has no ${q.protocol} service on port ${q.destination.port} (it has ${onVip.map(serviceKey).join(', ')}): the kernel twin answers it`;
}

export function explain(inp: ExplainInputs) {
  const { query: q, native: n, names } = inp;
  const reasons: string[] = [];
  const svcKey = n.serviceId === null ? undefined : names.service(n.serviceId);
  const svc = svcKey ? inp.effective.services.find((s) => serviceKey(s) === svcKey) : undefined;
  reasons.push(serviceMatch(q, inp.effective, svc, n.serviceWildcard));
  reasons.push(n.ownerKnown
    ? `worker ${n.worker} owns the flow (the client's address and port name it)`
    : `the port's RSS picks the worker; worker ${n.worker} answered (it holds the session, or it is the first)`);

  const session = n.session ? {
    server: ep(n.session.server, n.session.serverPort),
    local: n.session.local === null ? null : ep(n.session.local, n.session.localPort ?? 0),
    state: n.session.state,
    expires: Math.ceil(n.session.expiresInMs / 1000),
    method: n.session.method,
    worker: n.session.worker,
    packets: n.session.packets,
  } : null;
  if (session) reasons.push(`a session exists on worker ${session.worker} (${session.state}, expires in ${session.expires} s): its packets go to ${session.server}${session.local ? ` from ${session.local}` : ''}, whatever the scheduler says`);

  const template = n.template ? {
    server: names.server(n.template.serverId) ?? `#${n.template.serverId}`,
    expires: Math.ceil(n.template.expiresInMs / 1000),
    sessions: n.template.refs,
  } : null;
  if (svc?.synProxy && !session) {
    reasons.push('SYN proxy: the director answers this client\'s SYN with a SYN cookie and picks a server only when the client\'s ACK returns it; the pick below is the one that ACK would get now');
  }
  if (svc && (svc.proxyProtocol || svc.toa)) {
    reasons.push(svc.proxyProtocol
      ? `the real server learns the client from a PROXY protocol ${svc.proxyProtocol} header sent ahead of the stream`
      : 'the real server learns the client from the TOA option (TCP option 254) of the handshake');
  }
  if (svc?.persistence) {
    const masked = svc.persistence.netmask;
    reasons.push(template
      ? `persistence (${svc.persistence.timeout} s, netmask ${masked}): the client's template sends new connections to ${template.server} (expires in ${template.expires} s, ${template.sessions} session(s))`
      : `persistence (${svc.persistence.timeout} s, netmask ${masked}): no template for this client yet; the scheduler picks and a template is made`);
  }

  const servers = n.servers.map((d) => ({
    server: names.server(d.serverId) ?? `#${d.serverId}`,
    weight: d.weight, available: d.available, overloaded: d.overloaded, active: d.active, inactive: d.inactive,
  }));
  const pick = n.pickServerId === null ? null : (names.server(n.pickServerId) ?? `#${n.pickServerId}`);
  let scheduler = null;
  if (svc && n.scheduler) {
    const rule = RULES[n.scheduler] ?? n.scheduler;
    scheduler = {
      name: n.scheduler,
      rule,
      pick: n.pickFromTemplate ? null : pick,
      lastPick: n.lastPickServerId === null ? null : (names.server(n.lastPickServerId) ?? null),
      keySlot: n.keySlot,
      slots: n.keySlot === null ? null : n.slots,
      slotServer: n.slotServerId === null ? null : (names.server(n.slotServerId) ?? null),
      servers,
    };
    const flags = svc.schedFlags.length ? ` [${svc.schedFlags.join(',')}]` : '';
    let why = `scheduler ${n.scheduler}${flags} (${rule})`;
    if (n.keySlot !== null) why += `: the key hashes to slot ${n.keySlot} of ${n.slots}, ${scheduler.slotServer ?? 'empty'}`;
    if (scheduler.lastPick) why += `: the last pick was ${scheduler.lastPick}`;
    const usable = servers.filter((s) => s.available && s.weight > 0 && !s.overloaded).length;
    why += `; ${usable} of ${servers.length} server(s) usable`;
    why += n.pickFromTemplate ? '; not consulted (the template decides)' : pick ? `; it would pick ${pick}` : '; it finds no server: the packet would be refused (ICMP port unreachable)';
    reasons.push(why);
    // Servers asked for but not running: health checks hold them out.
    const desired = inp.desired.services.find((s) => serviceKey(s) === svcKey);
    const running = new Set(svc.servers.map(endpointKey));
    for (const rs of desired?.servers ?? []) {
      const k = endpointKey(rs);
      if (running.has(k)) continue;
      const h = inp.health?.find((x) => x.service === svcKey && x.server === k);
      reasons.push(`${k} is configured but not running: ${h ? `its health check holds it ${h.state}${h.lastError ? ` (${h.lastError})` : ''}` : 'held out'}`);
    }
    if (svc.sorryServer && svc.servers.length === 1 && endpointKey(svc.servers[0]!) === endpointKey(svc.sorryServer) && (desired?.servers.length ?? 0) > 0) {
      reasons.push(`the service lost quorum: its sorry server ${endpointKey(svc.sorryServer)} runs alone`);
    }
  }

  const decidedBy = session ? 'session' : n.pickFromTemplate ? 'template' : pick ? 'scheduler' : null;
  const server = session ? session.server : pick;
  const replyTo = n.replyTo === null ? null : ep(n.replyTo, n.replyPort ?? 0);
  if (pick && n.method) {
    if (n.openDrop) reasons.push(`method ${n.method}: a new connection would be dropped (${n.openDrop})`);
    else reasons.push(`method ${n.method}${replyTo ? `: replies come back to ${replyTo}${n.method === 'fullnat' ? ' (the LIP and port it would take)' : ''}` : ': replies bypass the director'}`);
  }
  const egress = n.egress ? { port: names.port(n.egress.port) ?? String(n.egress.port), nextHop: n.egress.nextHop, mac: n.egress.mac } : null;
  if (pick) {
    reasons.push(egress
      ? `it leaves by port ${egress.port} to next hop ${egress.nextHop} (${egress.mac ? `MAC ${egress.mac}` : 'not resolved yet: the first packet waits for ARP'})`
      : `no route to ${pick}: the packet would be dropped`);
  }
  return {
    query: { protocol: q.protocol, client: ep(q.client.ip, q.client.port), destination: ep(q.destination.ip, q.destination.port) },
    service: svc ? {
      id: serviceKey(svc),
      match: n.serviceWildcard ? 'all-ports' : 'exact',
      scheduler: svc.scheduler,
      persistence: svc.persistence,
    } : null,
    worker: { index: n.worker, known: n.ownerKnown },
    decision: { server, by: decidedBy },
    session,
    template,
    scheduler,
    method: pick ? n.method : session?.method ?? null,
    replyTo,
    drop: n.openDrop,
    egress,
    reasons,
  };
}

export type Explanation = ReturnType<typeof explain>;
