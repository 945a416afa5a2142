// The fuzz harness's seed corpus (scripts/fuzz.sh), built with the packet
// fixtures' own frame builders (test/lib/packet.ts) for the addresses the
// harness configures (test/fuzz/fastpath_fuzz.c): SYNs and established
// packets of its live flows to every service, replies to the LIP, NAT
// replies, ICMP errors quoting a flow each way, ARP, echo, fragments, IPv4
// options, a VLAN tag, truncations. libFuzzer mutates from these.
//   node dist/test/fuzz/seeds.js <dir>
import fs from 'node:fs';
import path from 'node:path';
import {
  ARP_REQUEST, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN,
  arp, arpRequestFrame, ethernet, ETH_P_ARP, icmpDestUnreach, icmpEchoFrame, icmpFragNeeded, icmpTimeExceeded,
  ipv4, ipv4Frame, IPPROTO_ICMP, IPPROTO_TCP, tcp, tcpFrame, udpFrame,
} from '../lib/packet';

const ME = '02:f1:00:00:00:00';
const GW = '02:aa:00:00:00:fe';
const VIP = '198.18.0.100';
const VIP_ALL = '198.18.0.104';
const LIP = '198.18.1.1';
const DIP = '198.18.0.1';
const RS = ['198.18.2.11', '198.18.2.12', '198.18.2.13'];
const client = (i: number): string => `198.19.0.${10 + i}`;

export function seeds(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const add = (name: string, f: Buffer): void => void out.set(name, f);
  const l2 = { srcMac: GW, dstMac: ME };
  const ports = [80, 81, 82, 83, 84, 8000];
  ports.forEach((vport, i) => {
    const base = { ...l2, src: client(i), dst: i === 5 ? VIP_ALL : VIP, sport: 40000 + i, dport: vport };
    add(`syn-${vport}`, tcpFrame({ ...base, flags: TCP_SYN, seq: 1000, options: { mss: 1460, sackPermitted: true, timestamps: { val: 1, ecr: 0 }, wscale: 7 } }));
    add(`ack-${vport}`, tcpFrame({ ...base, flags: TCP_ACK, seq: 1001, ack: 5001 }));
    add(`data-${vport}`, tcpFrame({ ...base, flags: TCP_ACK | TCP_PSH, seq: 1001, ack: 5001, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') }));
    add(`fin-${vport}`, tcpFrame({ ...base, flags: TCP_FIN | TCP_ACK, seq: 1019, ack: 5001 }));
    add(`rst-${vport}`, tcpFrame({ ...base, flags: TCP_RST, seq: 1019 }));
  });
  add('udp-53', udpFrame({ ...l2, src: client(6), dst: VIP, sport: 33000, dport: 53, payload: Buffer.from('dns?') }));
  add('udp-85', udpFrame({ ...l2, src: client(7), dst: VIP, sport: 33001, dport: 85, payload: Buffer.alloc(32, 7) }));
  // A real server's replies: to the LIP (FULLNAT), and NAT's to the client.
  add('reply-lip', tcpFrame({ ...l2, src: RS[0]!, dst: LIP, sport: 8080, dport: 20000, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 }));
  add('reply-nat', tcpFrame({ ...l2, src: RS[1]!, dst: client(2), sport: 8082, dport: 40002, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 }));
  // ICMP errors quoting a flow: from the client side and from a server.
  const sent = ipv4({ src: VIP, dst: client(0), proto: IPPROTO_TCP, payload: tcp({ src: VIP, dst: client(0), sport: 80, dport: 40000, flags: TCP_ACK, seq: 5001, ack: 1001 }) });
  add('icmp-client-unreach', ipv4Frame({ ...l2, src: client(0), dst: VIP, proto: IPPROTO_ICMP, payload: icmpDestUnreach({ code: 3, original: sent }) }));
  const toRs = ipv4({ src: LIP, dst: RS[0]!, proto: IPPROTO_TCP, payload: tcp({ src: LIP, dst: RS[0]!, sport: 20000, dport: 8080, flags: TCP_ACK, seq: 1001, ack: 5001 }) });
  add('icmp-rs-fragneeded', ipv4Frame({ ...l2, src: RS[0]!, dst: LIP, proto: IPPROTO_ICMP, payload: icmpFragNeeded({ original: toRs, nextHopMtu: 1400 }) }));
  add('icmp-time-exceeded', ipv4Frame({ ...l2, src: '198.18.0.254', dst: VIP, proto: IPPROTO_ICMP, payload: icmpTimeExceeded({ original: sent }) }));
  // The director as a host.
  add('echo-vip', icmpEchoFrame({ ...l2, src: client(1), dst: VIP, id: 1, seq: 1, data: Buffer.alloc(16, 1) }));
  add('echo-dip', icmpEchoFrame({ ...l2, src: client(1), dst: DIP, id: 2, seq: 1 }));
  add('arp-request', arpRequestFrame({ srcMac: GW, srcIp: '198.18.0.254', targetIp: VIP }));
  add('arp-reply', ethernet({ dst: ME, src: GW, type: ETH_P_ARP, payload: arp({ op: 2, sha: GW, spa: '198.18.0.254', tha: ME, tpa: DIP }) }));
  add('arp-request-lip', ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: GW, type: ETH_P_ARP, payload: arp({ op: ARP_REQUEST, sha: GW, spa: '198.18.0.254', tpa: LIP }) }));
  // Shapes the parser must refuse or route aside.
  add('fragment-first', tcpFrame({ ...l2, src: client(3), dst: VIP, sport: 40003, dport: 80, flags: TCP_SYN, ip: { mf: true } }));
  add('fragment-later', tcpFrame({ ...l2, src: client(3), dst: VIP, sport: 40003, dport: 80, flags: TCP_ACK, ip: { fragOffset: 185 } }));
  add('ip-options', tcpFrame({ ...l2, src: client(4), dst: VIP, sport: 40004, dport: 80, flags: TCP_SYN, ip: { options: Buffer.from([0x94, 0x04, 0, 0]) } }));
  add('ttl-1', tcpFrame({ ...l2, src: client(4), dst: VIP, sport: 40005, dport: 80, flags: TCP_SYN, ip: { ttl: 1 } }));
  add('vlan', tcpFrame({ ...l2, vlan: { id: 10 }, src: client(5), dst: VIP, sport: 40006, dport: 80, flags: TCP_SYN }));
  add('truncated', tcpFrame({ ...l2, src: client(5), dst: VIP, sport: 40007, dport: 80, flags: TCP_SYN, truncateTo: 40 }));
  // TCP options the stream edits walk: SACK blocks from a server, a
  // truncated option, a SYN whose options leave no room for TOA.
  add('reply-lip-sack', tcpFrame({ ...l2, src: RS[0]!, dst: LIP, sport: 8080, dport: 20000, flags: TCP_ACK, seq: 5001, ack: 1100,
    options: { raw: Buffer.from([1, 5, 18, 0, 0, 4, 0, 0, 0, 4, 0x10, 0, 0, 4, 0x20, 0, 0, 4, 0x30, 1]) } }));
  add('truncated-option', tcpFrame({ ...l2, src: client(0), dst: VIP, sport: 40000, dport: 80, flags: TCP_ACK, seq: 1001, ack: 5001,
    options: { raw: Buffer.from([1, 1, 1, 5]) } }));
  add('syn-full-options', tcpFrame({ ...l2, src: client(4), dst: VIP, sport: 40009, dport: 84, flags: TCP_SYN, seq: 1000,
    options: { mss: 1460, sackPermitted: true, timestamps: { val: 1, ecr: 0 }, wscale: 7, raw: Buffer.alloc(20, 1) } }));
  add('big', tcpFrame({ ...l2, src: client(5), dst: VIP, sport: 40008, dport: 80, flags: TCP_ACK, payload: Buffer.alloc(1400, 0x5a), ip: { df: true } }));
  return out;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: seeds.js <dir>');
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, frame] of seeds()) fs.writeFileSync(path.join(dir, name), frame);
  console.log(`fuzz: ${seeds().size} seed frames in ${dir}`);
}
