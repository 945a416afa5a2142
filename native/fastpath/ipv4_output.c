/* IPv4 output: route a packet to its next hop, fill in the Ethernet header
 * from the neighbour table and transmit, or park it while the next hop
 * resolves; the per-worker next-hop cache of real servers; the egress MTU
 * check the routing methods share. */
#include "dp.h"
#include "neigh.h"

static inline void fill_eth(struct rte_mbuf *m, unsigned port, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = *dst;
	eh->src_addr = fl_ports[port].mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
}

void fl_ipv4_output(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, uint32_t dst)
{
	const struct fl_nexthop *nh = fl_route_lookup(s, dst);
	if (!nh)
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	fl_ipv4_output_via(w, m, nh->port, nh->gateway ? nh->gateway : dst);
}

void fl_ipv4_output_rs(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, uint32_t server_id,
		       uint32_t rip, bool direct)
{
	struct fl_rs_hop *h = &w->rs_hop[server_id];
	if (likely(h->ok && h->gen == (uint32_t)s->gen && h->rip == rip)) {
		uint64_t mw = __atomic_load_n(&fl_neigh_tbl[h->neigh].st.macw, __ATOMIC_ACQUIRE);
		if (likely(mw & FL_NEIGH_VALID)) {
			struct rte_ether_addr mac;
			fl_word_to_mac(mw, mac.addr_bytes);
			fill_eth(m, h->port, &mac);
			fl_tx(w, h->port, m);
			return;
		}
	}
	/* Look it up and remember it; a neighbour not (yet) valid takes the
	 * usual way (resolve, park the packet) every time until it is. */
	const struct fl_nexthop *nh = fl_route_lookup(s, rip);
	if (!nh)
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	uint32_t hop = direct || !nh->gateway ? rip : nh->gateway;
	const struct fl_neigh *n = fl_neigh_find(nh->port, hop);
	*h = (struct fl_rs_hop){ .gen = (uint32_t)s->gen, .rip = rip, .port = nh->port, .ok = n != NULL,
				 .neigh = n ? (uint32_t)(n - fl_neigh_tbl) : 0 };
	fl_ipv4_output_via(w, m, nh->port, hop);
}

void fl_ipv4_output_via(struct fl_worker *w, struct rte_mbuf *m, uint16_t port, uint32_t hop)
{
	struct rte_ether_addr mac;
	if (likely(fl_neigh_get(port, hop, &mac))) {
		fill_eth(m, port, &mac);
		fl_tx(w, port, m);
		return;
	}
	struct fl_pending p = { .nexthop = hop, .port = port, .family = 4 };
	fl_pending_park(w, m, &p);
}

bool fl_ipv4_too_big_slow(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m,
			  struct rte_ipv4_hdr *ip, uint32_t dst, unsigned rx_port)
{
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	const struct fl_nexthop *nh = fl_route_lookup(s, dst);
	unsigned mtu = nh && fl_ports[nh->port].mtu ? fl_ports[nh->port].mtu : 1500;
	if (tot <= mtu)
		return false;
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))
		fl_icmp_error(w, s, rx_port, m, 3, 4 /* fragmentation needed */, (uint16_t)mtu);
	fl_drop_pkt(w, m, FL_DROP_TOO_BIG);
	return true;
}
