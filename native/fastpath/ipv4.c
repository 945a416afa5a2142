/* IPv4: validation, local delivery (echo in the fast path, everything else to
 * the kernel twin), routed output through the neighbour table, and the ICMP
 * errors the director originates. */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "dp.h"
#include "neigh.h"

static void set_ip_csum(struct rte_ipv4_hdr *ip)
{
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

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
		uint64_t mw = __atomic_load_n(&fl_neigh_tbl[h->neigh].macw, __ATOMIC_ACQUIRE);
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
	fl_neigh_resolve(port, hop);
	if (w->n_pending == FL_PENDING_MAX)
		return fl_drop_pkt(w, m, FL_DROP_NO_NEIGH);
	w->pending[w->n_pending++] = (struct fl_pending){
		.m = m, .deadline_ms = w->now_ms + FL_PENDING_MS, .next_ask_ms = w->now_ms + 1000,
		.nexthop = hop, .port = port,
	};
	w->ctr->neigh_queued++;
}

/* Release parked packets whose next hop resolved; drop the ones that waited
 * too long. Order among packets to one next hop is kept. */
void fl_pending_run(struct fl_worker *w, const struct fl_snapshot *s)
{
	(void)s;
	unsigned keep = 0;
	for (unsigned i = 0; i < w->n_pending; i++) {
		struct fl_pending *p = &w->pending[i];
		struct rte_ether_addr mac;
		if (fl_neigh_get(p->port, p->nexthop, &mac)) {
			fill_eth(p->m, p->port, &mac);
			fl_tx(w, p->port, p->m);
		} else if (w->now_ms >= p->deadline_ms) {
			fl_drop_pkt(w, p->m, FL_DROP_NO_NEIGH);
		} else {
			/* Still unresolved: ask again once a second, so a lost
			 * request is retried as Linux does (the service thread
			 * rate-limits per neighbour anyway). */
			if (w->now_ms >= p->next_ask_ms) {
				fl_neigh_resolve(p->port, p->nexthop);
				p->next_ask_ms = w->now_ms + 1000;
			}
			w->pending[keep++] = *p;
		}
	}
	w->n_pending = keep;
}

static void echo_reply(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m,
		       struct rte_ipv4_hdr *ip, unsigned ihl)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	unsigned len = rte_be_to_cpu_16(ip->total_length) - ihl;
	/* A request with a bad checksum is dropped, as Linux does; the reply's
	 * checksum is computed in full (an incremental update could leave the
	 * negative zero 0x0000 where 0xffff is due). */
	if (rte_raw_cksum(ic, len) != 0xffff)
		return fl_drop_pkt(w, m, FL_DROP_BAD_CSUM);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, len);
	uint32_t from = ip->dst_addr;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = from;
	ip->time_to_live = 64;
	set_ip_csum(ip);
	w->ctr->icmp_echo_replies++;
	fl_ipv4_output(w, s, m, ip->dst_addr);
}

void fl_ipv4_local(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   struct rte_ipv4_hdr *ip, unsigned ihl)
{
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	bool fragment = (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
	if (ip->next_proto_id == IPPROTO_ICMP && !fragment) {
		if (tot - ihl < sizeof(struct rte_icmp_hdr))
			return fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		const struct rte_icmp_hdr *ic = (const struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
		if (ic->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && ic->icmp_code == 0)
			return echo_reply(w, s, m, ip, ihl);
	}
	/* Local traffic the fast path does not own (SSH, BGP, health-check
	 * replies, fragments, ICMP other than echo): the kernel twin. */
	w->ctr->port[port].to_kernel++;
	fl_to_kernel(w, port, m);
}

/* ICMP errors the director originates are rate-limited as Linux limits its
 * own (net.ipv4.icmp_msgs_per_sec, icmp_msgs_burst; here
 * dataplane.icmpErrorsPerSec and icmpErrorsBurst, 1000 and 50 by default),
 * the rate shared out over the workers: a flood toward a VIP must not become
 * a flood of errors toward forged sources. Fragmentation-needed is exempt,
 * as in Linux: path MTU discovery depends on it. */
static bool icmp_error_allowed(struct fl_worker *w, uint8_t type, uint8_t code)
{
	const uint32_t per_sec = fl_dp.conf.icmp_per_sec;
	if ((type == 3 && code == 4) || per_sec == 0)
		return true;
	const uint64_t cap = (uint64_t)(fl_dp.conf.icmp_burst ? fl_dp.conf.icmp_burst : 1) * 1000;
	unsigned nw = fl_dp.conf.n_workers ? fl_dp.conf.n_workers : 1;
	uint64_t per_ms = (per_sec + nw - 1) / nw;   /* thousandths of a token per ms */
	if (w->now_ms > w->icmp_refill_ms) {
		uint64_t add = (w->now_ms - w->icmp_refill_ms) * per_ms;
		w->icmp_milli = add >= cap - w->icmp_milli ? cap : w->icmp_milli + add;
		w->icmp_refill_ms = w->now_ms;
	}
	if (w->icmp_milli < 1000) {
		w->ctr->icmp_errors_limited++;
		return false;
	}
	w->icmp_milli -= 1000;
	return true;
}

void fl_icmp_error(struct fl_worker *w, const struct fl_snapshot *s, unsigned rx_port,
		   struct rte_mbuf *orig, uint8_t type, uint8_t code, uint16_t mtu)
{
	const unsigned l2 = sizeof(struct rte_ether_hdr);
	const struct rte_ipv4_hdr *oip = rte_pktmbuf_mtod_offset(orig, const struct rte_ipv4_hdr *, l2);
	unsigned otot = rte_be_to_cpu_16(oip->total_length);
	/* Never answer an ICMP error with an error, nor a non-first fragment. */
	if (oip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK))
		return;
	if (oip->next_proto_id == IPPROTO_ICMP) {
		unsigned oihl = (oip->version_ihl & 0x0f) * 4u;
		if (otot >= oihl + 1) {
			uint8_t t = *((const uint8_t *)oip + oihl);
			if (t != RTE_IP_ICMP_ECHO_REQUEST && t != RTE_IP_ICMP_ECHO_REPLY && t != 13 && t != 15 && t != 17)
				return;
		}
	}
	if (!icmp_error_allowed(w, type, code))
		return;
	/* Quote as much of the original as fits in 576 bytes, as Linux does. */
	unsigned quote = otot;
	if (quote > 576 - sizeof(struct rte_ipv4_hdr) - sizeof(struct rte_icmp_hdr))
		quote = 576 - sizeof(struct rte_ipv4_hdr) - sizeof(struct rte_icmp_hdr);
	if (rte_pktmbuf_pkt_len(orig) < l2 + quote)
		quote = rte_pktmbuf_pkt_len(orig) - l2;

	struct rte_mbuf *m = rte_pktmbuf_alloc(fl_pool_for_socket((int)rte_socket_id()));
	if (!m)
		return fl_drop(w->ctr, FL_DROP_NOMEM);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, l2 + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_icmp_hdr) + quote);
	if (!p) {
		rte_pktmbuf_free(m);
		return fl_drop(w->ctr, FL_DROP_NOMEM);
	}
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l2);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	/* rte_pktmbuf_read copies only when the data spans segments; else it
	 * returns a pointer into orig. */
	const void *q = rte_pktmbuf_read(orig, l2, quote, ic + 1);
	if (!q) {
		rte_pktmbuf_free(m);
		return fl_drop(w->ctr, FL_DROP_MALFORMED);
	}
	if (q != (const void *)(ic + 1))
		memcpy(ic + 1, q, quote);
	const struct fl_local_addr *dst_local = fl_local_lookup(s, oip->dst_addr);
	uint32_t src = dst_local ? oip->dst_addr : s->port_src[rx_port];
	if (!src)
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0xc0;   /* precedence "internetwork control", as Linux */
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*ic) + quote));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src;
	ip->dst_addr = oip->src_addr;
	set_ip_csum(ip);
	ic->icmp_type = type;
	ic->icmp_code = code;
	ic->icmp_cksum = 0;
	/* Bytes 4-7: unused, or the next-hop MTU for fragmentation needed. */
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = rte_cpu_to_be_16(mtu);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + quote);
	w->ctr->icmp_errors_sent++;
	fl_ipv4_output(w, s, m, ip->dst_addr);
}
