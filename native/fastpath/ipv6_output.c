/* IPv6 output: route a packet to its next hop (rte_lpm6), fill in the
 * Ethernet header from the ND table and transmit, or park it while the
 * next hop resolves (pending.c), as ipv4_output.c does for IPv4. */
#include "dp.h"
#include "method6.h"
#include "nat64.h"
#include "neigh6.h"

void fl_ipv6_output(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, const struct fl_ip6 *dst)
{
	const struct fl_nexthop6 *nh = fl_route6_lookup(&s->v6, dst);
	if (!nh)
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	fl_ipv6_output_via(w, m, nh->port, fl_ip6_is_zero(&nh->gateway) ? dst : &nh->gateway);
}

static inline void fill_eth6(struct rte_mbuf *m, unsigned port, const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = *dst;
	eh->src_addr = fl_ports[port].mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
}

/* As fl_ipv4_output_rs: the route and neighbour lookups of every packet
 * toward a real server become a compare and one load of the neighbour's
 * MAC word, from the per-worker cache by server id (ids are never reused
 * for another address, so the snapshot generation alone keys it). */
void fl_ipv6_output_rs(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, uint32_t server_id,
		       const struct fl_ip6 *rip, bool direct)
{
	struct fl_rs_hop *h = &w->rs_hop[server_id];
	if (likely(h->ok && h->family6 && h->gen == (uint32_t)s->gen)) {
		uint64_t mw = __atomic_load_n(&fl_neigh6_tbl[h->neigh].st.macw, __ATOMIC_ACQUIRE);
		if (likely(mw & FL_NEIGH_VALID)) {
			struct rte_ether_addr mac;
			fl_word_to_mac(mw, mac.addr_bytes);
			fill_eth6(m, h->port, &mac);
			fl_tx(w, h->port, m);
			return;
		}
	}
	const struct fl_nexthop6 *nh = fl_route6_lookup(&s->v6, rip);
	if (!nh)
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	const struct fl_ip6 *hop = direct || fl_ip6_is_zero(&nh->gateway) ? rip : &nh->gateway;
	const struct fl_neigh6 *n = fl_neigh6_find(nh->port, hop);
	*h = (struct fl_rs_hop){ .gen = (uint32_t)s->gen, .port = nh->port, .ok = n != NULL, .family6 = 1,
				 .neigh = n ? (uint32_t)(n - fl_neigh6_tbl) : 0 };
	fl_ipv6_output_via(w, m, nh->port, hop);
}

void fl_ipv6_output_via(struct fl_worker *w, struct rte_mbuf *m, uint16_t port, const struct fl_ip6 *hop)
{
	struct rte_ether_addr mac;
	if (likely(fl_neigh6_get(port, hop, &mac))) {
		fill_eth6(m, port, &mac);
		fl_tx(w, port, m);
		return;
	}
	struct fl_pending p = { .nexthop6 = *hop, .port = port, .family = 6 };
	fl_pending_park(w, m, &p);
}

void fl_ipv6_reply(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, unsigned rx_port,
		   const struct fl_ip6 *to)
{
	/* A link-local sender is on the link it came from: no route names it. */
	if (to->b[0] == 0xfe && (to->b[1] & 0xc0) == 0x80)
		return fl_ipv6_output_via(w, m, (uint16_t)rx_port, to);
	fl_ipv6_output_any(w, s, m, to);
}

void fl_ipv6_output_any(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, const struct fl_ip6 *dst)
{
	/* An IPv4-mapped destination is a NAT64 server: the packet goes as IPv4. */
	if (fl_ip6_is_mapped(dst->b))
		return fl_nat64_output(w, s, m);
	fl_ipv6_output(w, s, m, dst);
}

bool fl_ipv6_too_big_slow(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, unsigned ip_len,
			  const struct fl_ip6 *dst, unsigned rx_port)
{
	const struct fl_nexthop6 *nh = fl_route6_lookup(&s->v6, dst);
	unsigned mtu = nh && fl_ports[nh->port].mtu ? fl_ports[nh->port].mtu : 1500;
	if (ip_len <= mtu)
		return false;
	/* IPv6 routers never fragment: the sender learns the MTU (RFC 8201). */
	fl_icmp6_error(w, s, rx_port, m, 2 /* packet too big */, 0, mtu);
	fl_drop_pkt(w, m, FL_DROP_TOO_BIG);
	return true;
}
