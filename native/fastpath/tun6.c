/* TUN over IPv6 (ipvsadm -i): the packet is encapsulated in IPv6-in-IPv6
 * (next header 41, RFC 2473), DIP -> RIP, as Linux's ip6_tunnel decapsulates
 * it; the real server owns the VIP and replies to the client directly.
 * IPv6 in IPv6 rather than IPIP6 (IPv6 in IPv4) because the service, its
 * servers and the director's addresses toward them are all one family, and
 * IPVS's own IPv6 tunnel mode is this one. */
#include <string.h>

#include "ipv6_ext.h"
#include "method6.h"

#define NH_IPV6 41

static void tun6_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		    uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port)
{
	const struct fl_nexthop6 *nh = fl_route6_lookup(&s->v6, &se->raddr);
	if (!nh || !s->v6.has_src[nh->port])
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	unsigned tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	unsigned mtu = fl_ports[nh->port].mtu ? fl_ports[nh->port].mtu : 1500;
	if (tot + FL_IP6_HDR_LEN > mtu) {
		/* The client learns the path MTU left after encapsulation, as
		 * IPVS tells it. */
		fl_icmp6_error(w, s, rx_port, m, 2 /* packet too big */, 0, mtu - FL_IP6_HDR_LEN);
		return fl_drop_pkt(w, m, FL_DROP_TOO_BIG);
	}
	uint32_t tclass = rte_be_to_cpu_32(ip->vtc_flow) & 0x0ff00000u;
	uint8_t *d = (uint8_t *)rte_pktmbuf_prepend(m, FL_IP6_HDR_LEN);
	if (!d)
		return fl_drop_pkt(w, m, FL_DROP_NOMEM);
	memmove(d, d + FL_IP6_HDR_LEN, sizeof(struct rte_ether_hdr));
	struct rte_ipv6_hdr *o = (struct rte_ipv6_hdr *)(d + sizeof(struct rte_ether_hdr));
	o->vtc_flow = rte_cpu_to_be_32(6u << 28 | tclass);   /* the inner traffic class, no flow label */
	o->payload_len = rte_cpu_to_be_16((uint16_t)tot);
	o->proto = NH_IPV6;
	o->hop_limits = 64;
	memcpy(o->src_addr, s->v6.port_src[nh->port].b, 16);
	memcpy(o->dst_addr, se->raddr.b, 16);
	fl_ipv6_output_via(w, m, nh->port, fl_ip6_is_zero(&nh->gateway) ? &se->raddr : &nh->gateway);
}

const struct fl_method6_ops fl_method6_tun = {
	.name = "tun",
	.flags = FL_METHOD_F_INPUT_ONLY,
	.xmit_in = tun6_in,
};
