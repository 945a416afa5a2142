/* ICMP errors the director originates (time exceeded, port unreachable,
 * fragmentation needed), under Linux's rate limit. */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "csum.h"
#include "dp.h"

/* ICMP errors the director originates are rate-limited as Linux limits its
 * own (net.ipv4.icmp_msgs_per_sec, icmp_msgs_burst; here
 * dataplane.icmpErrorsPerSec and icmpErrorsBurst, 1000 and 50 by default),
 * the rate shared out over the workers: a flood toward a VIP must not become
 * a flood of errors toward forged sources. One bucket for both families, as
 * Linux's icmp_global_allow() serves ICMPv6 too. Errors path MTU discovery
 * depends on are exempt, as in Linux: fragmentation-needed, and ICMPv6
 * packet-too-big (icmpv6 ratemask 0-1,3-127). */
bool fl_icmp_error_allowed(struct fl_worker *w, bool exempt)
{
	const uint32_t per_sec = fl_dp.conf.icmp_per_sec;
	if (exempt || per_sec == 0)
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
	if (!fl_icmp_error_allowed(w, type == 3 && code == 4))
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
	ip_set_csum(ip);
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
