// The fuzz harness's seed corpus (scripts/fuzz.sh), built with the packet
// fixtures' own frame builders (test/lib/packet.ts) for the addresses the
// harness configures (test/fuzz/fastpath_fuzz.c): SYNs and established
// packets of its live flows to every service, replies to the LIP, NAT
// replies, ICMP errors quoting a flow each way, ARP, echo, fragments, IPv4
// options, a VLAN tag, truncations; and the director as an IPv6 host (ND,
// echo through extension headers, fragments, what goes to the kernel twin).
// libFuzzer mutates from these.
//   node dist/test/fuzz/seeds.js <dir>
import fs from 'node:fs';
import path from 'node:path';
import {
  ARP_REQUEST, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN,
  arp, arpRequestFrame, ethernet, ETH_P_ARP, ETH_P_IPV6, icmpDestUnreach, icmpEchoFrame, icmpFragNeeded, icmpTimeExceeded,
  icmp, ipv4, ipv4Frame, IPPROTO_ICMP, IPPROTO_TCP, tcp, tcpFrame, udpFrame,
} from '../lib/packet';
import {
  ALL_NODES, ICMP6_MLD2_REPORT, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMPV6, IPPROTO_ROUTING,
  NA_OVERRIDE, NA_SOLICITED, ND_ROUTER_SOLICIT, echo6Frame, icmp6Frame, ipv6, multicastMac, naFrame, nsFrame, tcp6Frame, udp6Frame,
} from '../lib/packet6';

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
  addIpv6Host(add);
  add('big', tcpFrame({ ...l2, src: client(5), dst: VIP, sport: 40008, dport: 80, flags: TCP_ACK, payload: Buffer.alloc(1400, 0x5a), ip: { df: true } }));
  return out;
}

/** The director as an IPv6 host (the harness's 2001:2::/64 addresses): ND, echo, extension headers, kernel-bound shapes. */
function addIpv6Host(add: (name: string, f: Buffer) => void): void {
  const DIP6 = '2001:2::1', VIP6 = '2001:2::100', STANDBY6 = '2001:2::200', LIP6 = '2001:2::2', GW6 = '2001:2::fe';
  const CLI6 = '2001:2:9::10';
  const l2 = { srcMac: GW, dstMac: ME };
  add('nd-ns-dip', nsFrame({ srcMac: GW, src: GW6, target: DIP6 }));
  add('nd-ns-lip', nsFrame({ srcMac: GW, src: GW6, target: LIP6 }));
  add('nd-ns-vip-unicast', nsFrame({ srcMac: GW, src: GW6, target: VIP6, dst: VIP6, dstMac: ME }));
  add('nd-ns-standby', nsFrame({ srcMac: GW, src: GW6, target: STANDBY6 }));
  add('nd-dad', nsFrame({ srcMac: GW, src: '::', target: VIP6, slla: null }));
  add('nd-na-gw', naFrame({ srcMac: GW, dstMac: ME, dst: DIP6, target: GW6, flags: NA_SOLICITED | NA_OVERRIDE }));
  add('nd-na-unsolicited', naFrame({ srcMac: GW, dstMac: multicastMac(ALL_NODES), dst: ALL_NODES, target: GW6, flags: NA_OVERRIDE }));
  const echo = (dst: string, ext?: Parameters<typeof echo6Frame>[0]['ext']): Buffer =>
    echo6Frame({ ...l2, src: CLI6, dst, id: 7, seq: 1, data: Buffer.alloc(24, 6), ext });
  add('echo6-dip', echo(DIP6));
  add('echo6-vip', echo(VIP6));
  add('echo6-standby', echo(STANDBY6));
  add('echo6-ext', echo(DIP6, [{ type: IPPROTO_HOPOPTS, body: Buffer.from([0x05, 0x02, 0x00, 0x00]) }, { type: IPPROTO_DSTOPTS }, { type: IPPROTO_ROUTING }]));
  add('echo6-first-fragment', echo(DIP6, [{ type: IPPROTO_FRAGMENT, frag: { offset: 0, more: true, id: 9 } }]));
  add('ipv6-later-fragment', ethernet({ src: GW, dst: ME, type: ETH_P_IPV6, payload: ipv6({ src: CLI6, dst: VIP6, proto: IPPROTO_ICMPV6, payload: Buffer.alloc(24, 0xaa), ext: [{ type: IPPROTO_FRAGMENT, frag: { offset: 1448, more: false, id: 9 } }] }) }));
  add('ipv6-tcp-vip', ethernet({ src: GW, dst: ME, type: ETH_P_IPV6, payload: ipv6({ src: CLI6, dst: VIP6, proto: IPPROTO_TCP, payload: Buffer.alloc(20) }) }));
  // IPv6 FULLNAT (TCP :80, UDP :53 on the VIP; LIP ports from 1024) and ICMPv6 errors about it.
  const syn6 = tcp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 40000, dport: 80, flags: TCP_SYN, options: { mss: 1440 } });
  add('ipv6-fullnat-syn', syn6);
  add('ipv6-fullnat-ack', tcp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 40000, dport: 80, flags: TCP_ACK, seq: 1, ack: 1 }));
  add('ipv6-fullnat-syn-hop1', tcp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 40001, dport: 80, flags: TCP_SYN, hopLimit: 1 }));
  add('ipv6-fullnat-udp', udp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 50000, dport: 53, payload: Buffer.from('q6') }));
  add('ipv6-fullnat-udp-zero-csum', udp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 50001, dport: 53, payload: Buffer.from('q6'), checksum: 0 }));
  add('ipv6-lip-reply', tcp6Frame({ ...l2, src: '2001:2::11', dst: LIP6, sport: 8080, dport: 1025, flags: TCP_SYN | TCP_ACK }));
  add('ipv6-fullnat-big', tcp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 40000, dport: 80, flags: TCP_ACK, payload: Buffer.alloc(1600, 1) }));
  add('icmp6-ptb-to-lip', icmp6Frame({ ...l2, src: '2001:2::11', dst: LIP6, type: 2, body: Buffer.concat([Buffer.from([0, 0, 5, 0]),
    tcp6Frame({ ...l2, src: LIP6, dst: '2001:2::11', sport: 1025, dport: 8080, flags: TCP_ACK }).subarray(14)]) }));
  add('icmp6-unreach-to-vip', icmp6Frame({ ...l2, src: CLI6, dst: VIP6, type: 1, code: 4, body: Buffer.concat([Buffer.alloc(4),
    tcp6Frame({ ...l2, src: VIP6, dst: CLI6, sport: 80, dport: 40000, flags: TCP_ACK }).subarray(14, 14 + 44)]) }));
  // NAT64 (TCP :8080, UDP :8053 on the IPv6 VIP to IPv4 servers from the IPv4 LIP), both ways, with an ICMP error each way.
  add('nat64-syn', tcp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 40100, dport: 8080, flags: TCP_SYN, options: { mss: 1440 } }));
  add('nat64-udp', udp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 50100, dport: 8053, payload: Buffer.from('q64') }));
  add('nat64-first-fragment', tcp6Frame({ ...l2, src: CLI6, dst: VIP6, sport: 40100, dport: 8080, flags: TCP_ACK, payload: Buffer.alloc(64, 2),
    ext: [{ type: IPPROTO_FRAGMENT, frag: { offset: 0, more: true, id: 0x10001 } }] }));
  add('nat64-reply-fragment', tcpFrame({ ...l2, src: RS[0]!, dst: LIP, sport: 80, dport: 1025, flags: TCP_ACK, payload: Buffer.alloc(64, 3),
    ip: { mf: true, id: 0x4242 } }));
  add('nat64-reply-udp-no-csum', udpFrame({ ...l2, src: RS[0]!, dst: LIP, sport: 53, dport: 1026, payload: Buffer.from('a64'), checksum: 0 }));
  add('nat64-need-frag-to-lip', ipv4Frame({ ...l2, src: RS[0]!, dst: LIP, proto: IPPROTO_ICMP, payload: icmp({ type: 3, code: 4, rest: Buffer.from([0, 0, 5, 0]),
    body: tcpFrame({ ...l2, src: LIP, dst: RS[0]!, sport: 1025, dport: 80, flags: TCP_ACK }).subarray(14, 14 + 28) }) }));
  add('nat64-ptb-to-vip', icmp6Frame({ ...l2, src: CLI6, dst: VIP6, type: 2, body: Buffer.concat([Buffer.from([0, 0, 5, 0]),
    tcp6Frame({ ...l2, src: VIP6, dst: CLI6, sport: 8080, dport: 40100, flags: TCP_ACK }).subarray(14)]) }));
  add('mld2-report', icmp6Frame({ srcMac: GW, dstMac: multicastMac('ff02::16'), src: 'fe80::fe', dst: 'ff02::16', hopLimit: 1, type: ICMP6_MLD2_REPORT, body: Buffer.alloc(4), ext: [{ type: IPPROTO_HOPOPTS, body: Buffer.from([0x05, 0x02, 0x00, 0x00]) }] }));
  add('router-solicit', icmp6Frame({ srcMac: GW, dstMac: multicastMac('ff02::2'), src: 'fe80::fe', dst: 'ff02::2', hopLimit: 255, type: ND_ROUTER_SOLICIT, body: Buffer.alloc(4) }));
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
