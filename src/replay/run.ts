// fulcrum replay: captured frames through the real fast path, in a process
// of its own with no NIC. The config's ports become ring ports (no kernel
// twins), the dataplane is started without running its workers, and each
// frame, in capture order, is received by a worker on this thread as a poll
// loop would receive it (fl_replay_frame); what the ports transmit is
// drained after each frame. Neighbours are learned up front from the capture
// (ARP senders, and the sender of each IPv4 frame as the next hop the
// director would use for it), since nobody answers ARP here. Each flow gets
// its service, the server it went to, the method, the LIP:lport, its packet
// counts and the drops the fast path counted while its frames went through.
//
// FULLNAT's local port is the one thing a replay cannot take over: each run
// starts a worker's port pool at a random point (restart safety), so a
// server's captured replies are addressed to the live run's port. A reply
// to a LIP port not seen before is matched to the flow this run opened
// toward the same server (for TCP by its acknowledgement of the SYN, else
// the oldest), and its destination port is rewritten to this run's.
import type { FulcrumConfig, ForwardingMethod, ServiceConfig } from '../config/types';
import { endpointKey, serviceKey } from '../config/keys';
import { Appliance } from '../lb/appliance';
import { parseCidr, parseIPv4, prefixContains } from '../net/ipv4';
import { loadNative, type NativeAddon } from '../native/addon';
import { probeHost } from '../dataplane/eal';
import { parseFrame, PROTO_NAMES, rewritePort, tupleOf, type Ipv4View } from './frame';
import { LINKTYPE_ETHERNET, PcapError, type PcapRecord } from './pcap';
import { familyOf } from '../net/family';

export interface ReplayInput {
  /** The config port the frames arrived on. */
  port: string;
  linkType: number;
  records: PcapRecord[];
}

export interface FlowReport {
  /** The client's flow as it arrived: "tcp CIP:cport -> VIP:vport". */
  flow: string;
  service: string | null;
  /** "RIP:rport", from what the director sent. */
  server: string | null;
  method: ForwardingMethod | null;
  /** FULLNAT's LIP:lport in this run. */
  local: string | null;
  /** The LIP port the capture shows for the flow (the live run's): its replies are renumbered to `local`. */
  capturedLocalPort: number | null;
  /** Frames from the client, from the server, and frames the director sent for the flow. */
  fromClient: number;
  fromServer: number;
  sent: number;
  /** Drops counted while the flow's frames went through, by reason. */
  drops: Record<string, number>;
}

export interface ReplayResult {
  flows: FlowReport[];
  /** Frames that belong to no load-balanced flow (ARP, ICMP to a DIP, ...), with what became of them. */
  other: { frames: number; sent: number; drops: Record<string, number> };
  /** Every frame the director sent, in order, stamped with the time of the frame that caused it. */
  output: { tsNs: bigint; port: string; data: Buffer }[];
  neighboursLearned: number;
}

export interface ReplayOptions {
  config: FulcrumConfig;
  inputs: ReplayInput[];
  addon?: NativeAddon;
  /** CPUs this process may use (the workers' lcores all map onto the first). */
  cpu?: number;
}

/** The config a replay runs: the same services, workers and tables, on ring ports without twins or hugepages. */
export function replayConfig(cfg: FulcrumConfig, cpu: number): FulcrumConfig {
  const out = structuredClone(cfg);
  for (const p of out.ports) {
    p.device = 'ring';
    p.twin = false;
  }
  out.dataplane.memory = { ...out.dataplane.memory, hugepages: 'off' };
  out.dataplane.lcoreMap = [0, ...out.dataplane.workers].map((l) => `${l}@${cpu}`).join(',');
  return out;
}

interface Hop { port: number; ip: string }

/** The next hop the director would use toward `ip`, as its routes say (connected prefixes first). */
function hopToward(cfg: FulcrumConfig, ip: string): Hop | undefined {
  const t = parseIPv4(ip);
  if (t === null) return undefined;
  let best: { len: number; hop: Hop } | undefined;
  cfg.ports.forEach((p, i) => {
    for (const a of p.addresses) {
      const c = parseCidr(a.ip);
      if (c && c.len < 32 && prefixContains(c.ip, c.len, t) && (!best || c.len > best.len)) best = { len: c.len, hop: { port: i, ip } };
    }
  });
  if (best) return best.hop;
  const portOf = (via: string, name?: string): number => {
    if (name !== undefined) return cfg.ports.findIndex((p) => p.name === name);
    return hopToward(cfg, via)?.port ?? -1;
  };
  for (const r of cfg.routes) {
    if (familyOf(r.via) !== 4) continue; // t is IPv4
    const c = r.to === 'default' ? { ip: 0, len: 0 } : parseCidr(r.to);
    if (c && prefixContains(c.ip, c.len, t) && (!best || c.len > best.len)) {
      const port = portOf(r.via, r.port);
      if (port >= 0) best = { len: c.len, hop: { port, ip: r.via } };
    }
  }
  if (!best && cfg.defaultGateway) {
    const port = portOf(cfg.defaultGateway.via, cfg.defaultGateway.port);
    if (port >= 0) return { port, ip: cfg.defaultGateway.via };
  }
  return best?.hop;
}

function serviceFor(cfg: FulcrumConfig, v: Ipv4View): ServiceConfig | undefined {
  const proto = PROTO_NAMES[v.proto];
  if ((proto !== 'tcp' && proto !== 'udp') || v.dport === undefined) return undefined;
  return cfg.services.find((s) => s.protocol === proto && s.vip === v.dst && s.port === v.dport)
    ?? cfg.services.find((s) => s.protocol === proto && s.vip === v.dst && s.port === 0);
}

const addDrops = (into: Record<string, number>, d: Record<string, number>): void => {
  for (const [k, n] of Object.entries(d)) into[k] = (into[k] ?? 0) + n;
};

function dropsDiff(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n > (before[k] ?? 0)) out[k] = n - (before[k] ?? 0);
  return out;
}

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const cfg = opts.config;
  for (const inp of opts.inputs) {
    if (!cfg.ports.some((p) => p.name === inp.port)) throw new Error(`--in ${inp.port}=...: no port "${inp.port}" in the config (ports: ${cfg.ports.map((p) => p.name).join(', ')})`);
    if (inp.linkType !== LINKTYPE_ETHERNET) throw new PcapError(`--in ${inp.port}: link type ${inp.linkType}, not Ethernet (capture one interface, not "any")`);
  }
  const cpu = opts.cpu ?? probeHost().cpuList?.[0] ?? 0;
  const app = new Appliance(replayConfig(cfg, cpu), { skipHostConfig: true, noLaunch: true, ...(opts.addon ? { addon: opts.addon } : {}) });
  app.start();
  try {
    return await runFrames(app, cfg, opts.inputs, opts.addon);
  } finally {
    app.stop();
  }
}

async function runFrames(app: Appliance, cfg: FulcrumConfig, inputs: ReplayInput[], injected?: NativeAddon): Promise<ReplayResult> {
  // The addon the appliance loaded (an injected one in tests).
  const addon = injected ?? loadNative();
  const portIdx = new Map(cfg.ports.map((p, i) => [p.name, i]));
  const macs = addon.ports().map((p) => Buffer.from(p.mac.split(':').map((x) => Number.parseInt(x, 16))));

  // Neighbours, from the capture: whoever sent a frame is the next hop toward its sender.
  const learned = new Map<string, Buffer>(); // "port ip" -> mac
  const macToIp = new Map<string, string>();
  for (const inp of inputs) {
    const port = portIdx.get(inp.port)!;
    for (const r of inp.records) {
      const f = parseFrame(r.data);
      if (!f) continue;
      let hop: Hop | undefined;
      let mac: Buffer | undefined;
      if (f.arp && f.arp.senderIp !== '0.0.0.0') {
        hop = { port, ip: f.arp.senderIp };
        mac = f.arp.senderMac;
      } else if (f.ipv4) {
        const h = hopToward(cfg, f.ipv4.src);
        if (h && h.port === port) {
          hop = h;
          mac = Buffer.from(r.data.subarray(6, 12));
        }
      }
      if (hop && mac && !learned.has(`${hop.port} ${hop.ip}`)) {
        learned.set(`${hop.port} ${hop.ip}`, mac);
        macToIp.set(`${hop.port} ${f.srcMac}`, hop.ip);
      }
    }
  }
  for (const [k, mac] of learned) {
    const [p, ip] = k.split(' ');
    addon.replayNeighbour(Number(p), ip!, mac);
  }
  // The service thread files them; wait (bounded) until they are all there.
  for (let i = 0; i < 200; i++) {
    const have = new Set(addon.neighbours().filter((n) => n.valid).map((n) => `${n.port} ${n.ip}`));
    if ([...learned.keys()].every((k) => have.has(k))) break;
    await new Promise((r) => setTimeout(r, 10));
  }

  // Capture order across the ports.
  const frames = inputs.flatMap((inp) => inp.records.map((r, i) => ({ port: portIdx.get(inp.port)!, r, i })));
  frames.sort((a, b) => (a.r.tsNs < b.r.tsNs ? -1 : a.r.tsNs > b.r.tsNs ? 1 : a.port - b.port || a.i - b.i));

  const flows = new Map<string, FlowReport>();
  const replyOf = new Map<string, string>(); // reply tuple -> client flow
  const lips = new Set(cfg.ports.flatMap((p) => p.addresses.filter((a) => a.role === 'lip').map((a) => a.ip.split('/')[0]!)));
  const lports: LportMap = { opened: new Map(), renumber: new Map() };
  const other = { frames: 0, sent: 0, drops: {} as Record<string, number> };
  const output: ReplayResult['output'] = [];
  const names = cfg.ports.map((p) => p.name);
  let drops = addon.stats().drops;

  for (const { port, r } of frames) {
    const data = Buffer.from(r.data);
    // Unicast frames were addressed to the live director: address them to this one.
    if (!(data[0]! & 1)) macs[port]!.copy(data, 0);
    let v = parseFrame(data)?.ipv4;
    if (v && lips.has(v.dst) && v.dport !== undefined) {
      const to = renumberReply(lports, v, flows);
      if (to !== undefined && to !== v.dport) {
        rewritePort(data, v, 'dst', to);
        v = parseFrame(data)!.ipv4;
      }
    }
    let flow: FlowReport | undefined;
    let fromServer = false;
    if (v) {
      const svc = serviceFor(cfg, v);
      const key = tupleOf(v);
      if (svc) {
        flow = flows.get(key);
        if (!flow) {
          flow = { flow: key, service: serviceKey(svc), server: null, method: null, local: null, capturedLocalPort: null, fromClient: 0, fromServer: 0, sent: 0, drops: {} };
          flows.set(key, flow);
        }
        flow.fromClient++;
      } else if (replyOf.has(key)) {
        flow = flows.get(replyOf.get(key)!);
        fromServer = true;
        flow!.fromServer++;
      }
    }
    addon.replayFrame(port, data);
    const after = addon.stats().drops;
    const d = dropsDiff(drops, after);
    drops = after;
    let sent = 0;
    for (let p = 0; p < names.length; p++) {
      for (const o of addon.ringDrain(p, 1024)) {
        sent++;
        output.push({ tsNs: r.tsNs, port: names[p]!, data: o.frame });
        if (flow && !fromServer && !flow.server) learnTranslation(cfg, flow, v!, o.frame, p, macToIp, replyOf, lports);
      }
    }
    if (flow) {
      flow.sent += sent;
      addDrops(flow.drops, d);
    } else {
      other.frames++;
      other.sent += sent;
      addDrops(other.drops, d);
    }
  }
  return { flows: [...flows.values()], other, output, neighboursLearned: learned.size };
}

/** FULLNAT local ports: flows this run opened toward a server, and the captured ports renumbered to this run's. */
interface LportMap {
  /** "proto RIP:rport LIP" -> the flows not yet matched to a captured port. */
  opened: Map<string, { flow: string; lport: number; ack?: number }[]>;
  /** "proto LIP captured-port" -> this run's port. */
  renumber: Map<string, number>;
}

/** This run's LIP port for a captured reply to LIP:port, matching it to a flow on first sight. */
function renumberReply(m: LportMap, v: Ipv4View, flows: Map<string, FlowReport>): number | undefined {
  const proto = PROTO_NAMES[v.proto];
  const key = `${proto} ${v.dst} ${v.dport}`;
  const known = m.renumber.get(key);
  if (known !== undefined) return known;
  const waiting = m.opened.get(`${proto} ${v.src}:${v.sport} ${v.dst}`);
  if (!waiting?.length) return undefined;
  let i = waiting.findIndex((w) => w.ack !== undefined && w.ack === v.ack);
  if (i < 0) i = 0;
  const [w] = waiting.splice(i, 1);
  m.renumber.set(key, w!.lport);
  const f = flows.get(w!.flow);
  if (f) f.capturedLocalPort = v.dport!;
  return w!.lport;
}

/** From the first frame the director sent for a client's packet: the server, the method, the reply's tuple. */
function learnTranslation(cfg: FulcrumConfig, flow: FlowReport, inV: Ipv4View, out: Buffer, port: number,
  macToIp: Map<string, string>, replyOf: Map<string, string>, lports: LportMap): void {
  const o = parseFrame(out);
  const ov = o?.ipv4;
  if (!o || !ov) return;
  const svc = cfg.services.find((s) => serviceKey(s) === flow.service);
  let server: string | undefined;
  if (ov.proto === 4 && ov.inner) {
    server = `${ov.dst}:${inV.dport}`;
  } else if (ov.dst === inV.dst && ov.dport === inV.dport) {
    // DR: the same packet to the server's MAC.
    const ip = macToIp.get(`${port} ${o.dstMac}`);
    if (ip) server = `${ip}:${inV.dport}`;
  } else if (ov.dport !== undefined) {
    server = `${ov.dst}:${ov.dport}`;
    replyOf.set(tupleOf({ ...ov, src: ov.dst, dst: ov.src, sport: ov.dport, dport: ov.sport }), flow.flow);
    if (ov.src !== inV.src) {
      flow.local = `${ov.src}:${ov.sport}`;
      const k = `${PROTO_NAMES[ov.proto]} ${ov.dst}:${ov.dport} ${ov.src}`;
      const list = lports.opened.get(k) ?? [];
      // A SYN-ACK acknowledges the SYN's sequence number + 1 (FULLNAT keeps sequence numbers).
      list.push({ flow: flow.flow, lport: ov.sport!, ...(inV.tcpFlags !== undefined && inV.tcpFlags & 2 ? { ack: (inV.seq! + 1) >>> 0 } : {}) });
      lports.opened.set(k, list);
    }
  }
  if (!server) return;
  flow.server = server;
  const rs = svc?.servers.find((x) => endpointKey(x) === server || (x.port === 0 && x.address === server!.split(':')[0]));
  flow.method = rs?.method ?? svc?.sorryServer?.method ?? null;
}

/** One line a flow, as `fulcrum replay` prints them. */
export function formatFlow(f: FlowReport): string {
  const drops = Object.entries(f.drops).map(([k, n]) => `${k}=${n}`).join(',');
  return [
    f.flow.padEnd(44),
    `service ${f.service ?? '-'}`,
    `server ${f.server ?? '-'}`,
    f.method ?? '-',
    `local ${f.local ?? '-'}${f.capturedLocalPort !== null ? ` (captured :${f.capturedLocalPort})` : ''}`,
    `in ${f.fromClient}+${f.fromServer} sent ${f.sent}`,
    `drops ${drops || 'none'}`,
  ].join('  ');
}
