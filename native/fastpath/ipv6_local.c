/* IPv6 local delivery: echo requests to our addresses are answered in the
 * fast path, neighbour discovery goes to nd.c, everything else for us
 * (fragments, TCP to the twin's daemons, other ICMPv6) to the kernel twin. */
#include <string.h>

#include "csum6.h"
#include "dp.h"
#include "ipv6_ext.h"
#include "nd.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129
#define ICMP6_ECHO_HDR_LEN 8u
#define ECHO_HOP_LIMIT     64

static void echo_reply(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		       struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk)
{
	unsigned tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	unsigned len = tot - wk->l4_off;
	uint8_t *ic = (uint8_t *)ip + wk->l4_off;
	if (fl_ip6_l4_sum(ip, FL_IP6_NH_ICMPV6, ic, len) != 0xffff)
		return fl_drop_pkt(w, m, FL_DROP_BAD_CSUM);
	/* The reply carries none of the request's extension headers (as
	 * Linux's): slide Ethernet and IPv6 headers up to the echo message. */
	unsigned ext = wk->l4_off - FL_IP6_HDR_LEN;
	if (ext) {
		uint8_t *start = rte_pktmbuf_mtod(m, uint8_t *);
		memmove(start + ext, start, sizeof(struct rte_ether_hdr) + FL_IP6_HDR_LEN);
		rte_pktmbuf_adj(m, (uint16_t)ext);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
		ip->proto = FL_IP6_NH_ICMPV6;
		ip->payload_len = rte_cpu_to_be_16((uint16_t)len);
	}
	struct fl_ip6 to;
	memcpy(to.b, ip->src_addr, 16);
	memcpy(ip->src_addr, ip->dst_addr, 16);
	memcpy(ip->dst_addr, to.b, 16);
	ip->hop_limits = ECHO_HOP_LIMIT;
	ic = (uint8_t *)(ip + 1);
	ic[0] = ICMP6_ECHO_REPLY;
	fl_ip6_l4_set_csum(ip, FL_IP6_NH_ICMPV6, ic, len, 2);
	w->ctr->icmp6_echo_replies++;
	fl_ipv6_reply(w, s, m, port, &to);
}

void fl_ipv6_local(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk)
{
	unsigned tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	if (wk->proto == FL_IP6_NH_ICMPV6 && wk->frag == FL_IP6_WHOLE) {
		if (tot - wk->l4_off < 4)
			return fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		const uint8_t *ic = (const uint8_t *)ip + wk->l4_off;
		if (ic[0] == ICMP6_ECHO_REQUEST && ic[1] == 0) {
			if (tot - wk->l4_off < ICMP6_ECHO_HDR_LEN)
				return fl_drop_pkt(w, m, FL_DROP_MALFORMED);
			return echo_reply(w, s, port, m, ip, wk);
		}
		if (ic[0] == FL_ND_NS || ic[0] == FL_ND_NA)
			return fl_nd_input(w, s, port, m, ip, wk);
	}
	w->ctr->port[port].to_kernel++;
	fl_to_kernel(w, port, m);
}
