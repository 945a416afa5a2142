/* TUN (IP tunnelling, ipvsadm -i): the packet is encapsulated in IPIP, DIP
 * -> RIP; the real server decapsulates it, owns the VIP on its loopback, and
 * replies to the client directly. */
#include <string.h>

#include "csum.h"
#include "method.h"
#include "../sync/sync_proto.h"

/* Encapsulate in IPIP toward the real server (TUN), DIP -> RIP. */
static void tun_xmit(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		     uint32_t rip, unsigned rx_port)
{
	const struct fl_nexthop *nh = fl_route_lookup(s, rip);
	if (!nh)
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	unsigned mtu = fl_ports[nh->port].mtu ? fl_ports[nh->port].mtu : 1500;
	if (tot + sizeof(struct rte_ipv4_hdr) > mtu) {
		/* Tell the client the path MTU left after encapsulation, as
		 * IPVS does; without DF the packet is dropped (counted). */
		if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))
			fl_icmp_error(w, s, rx_port, m, 3, 4 /* fragmentation needed */,
				      (uint16_t)(mtu - sizeof(struct rte_ipv4_hdr)));
		return fl_drop_pkt(w, m, FL_DROP_TOO_BIG);
	}
	uint32_t src = s->port_src[nh->port];
	uint8_t tos = ip->type_of_service;
	uint16_t df = ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	uint8_t *d = (uint8_t *)rte_pktmbuf_prepend(m, sizeof(struct rte_ipv4_hdr));
	if (!d)
		return fl_drop_pkt(w, m, FL_DROP_NOMEM);
	memmove(d, d + sizeof(struct rte_ipv4_hdr), sizeof(struct rte_ether_hdr));
	struct rte_ipv4_hdr *o = (struct rte_ipv4_hdr *)(d + sizeof(struct rte_ether_hdr));
	/* The header as five 32-bit words in memory order, summed in registers
	 * and stored once: built field by field and read back for its
	 * checksum, it stalled on store forwarding. */
	uint32_t hw[5] = {
		RTE_IPV4_VHL_DEF | (uint32_t)tos << 8 | (uint32_t)rte_cpu_to_be_16((uint16_t)(tot + 20)) << 16,
		(uint32_t)rte_cpu_to_be_16(w->ip_id++) | (uint32_t)df << 16,
		64 | (uint32_t)IPPROTO_IPIP << 8,      /* TTL, protocol, checksum 0 */
		src,
		rip,
	};
	hw[2] |= (uint32_t)(uint16_t)~cs_fold64((uint64_t)hw[0] + hw[1] + hw[2] + hw[3] + hw[4]) << 16;
	memcpy(o, hw, sizeof(hw));
	fl_ipv4_output_via(w, m, nh->port, nh->gateway ? nh->gateway : rip);
}

static void tun_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		   uint8_t *l4, uint8_t proto, const struct fl_session *se, unsigned rx_port)
{
	tun_xmit(w, s, m, ip, se->raddr, rx_port);
}

const struct fl_method_ops fl_method_tun = {
	.name = "tun",
	.flags = FL_METHOD_F_INPUT_ONLY,
	.sync_fwd = FL_IPVS_F_TUNNEL,
	.xmit_in = tun_in,
};
