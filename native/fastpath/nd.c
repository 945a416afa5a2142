/* Neighbour discovery: answer solicitations for our addresses on the port
 * they live on (DAD probes included: the address is defended), learn the
 * neighbours that ask and answer, and let the kernel twin see the rest
 * (solicitations for its link-local address, adverts it may be waiting
 * for), as arp.c does for IPv4. */
#include <string.h>

#include "csum6.h"
#include "nd.h"
#include "neigh6.h"

const struct fl_ip6 fl_ip6_all_nodes = { .b = { 0xff, 0x02, [15] = 1 } };

void fl_ip6_solicited_node(const struct fl_ip6 *target, struct fl_ip6 *group)
{
	*group = (struct fl_ip6){ .b = { 0xff, 0x02, [11] = 1, [12] = 0xff } };
	memcpy(&group->b[13], &target->b[13], 3);
}

void fl_ip6_mcast_mac(const struct fl_ip6 *group, struct rte_ether_addr *mac)
{
	*mac = (struct rte_ether_addr){ .addr_bytes = { 0x33, 0x33 } };
	memcpy(&mac->addr_bytes[2], &group->b[12], 4);
}

/* Ethernet + IPv6 + an ND message with one link-layer address option. */
static uint8_t *build(struct rte_mbuf *m, unsigned port, const struct fl_ip6 *src, const struct fl_ip6 *dst,
		      const struct rte_ether_addr *dst_mac, uint8_t type, const struct fl_ip6 *target, uint8_t flags,
		      uint8_t opt)
{
	const unsigned len = sizeof(struct rte_ether_hdr) + FL_IP6_HDR_LEN + FL_ND_MSG_LEN;
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, len);
	if (!f)
		return NULL;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	eh->dst_addr = *dst_mac;
	eh->src_addr = fl_ports[port].mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(FL_ND_MSG_LEN);
	ip->proto = FL_IP6_NH_ICMPV6;
	ip->hop_limits = FL_ND_HOP_LIMIT;
	memcpy(ip->src_addr, src->b, 16);
	memcpy(ip->dst_addr, dst->b, 16);
	uint8_t *nd = (uint8_t *)(ip + 1);
	memset(nd, 0, FL_ND_MSG_LEN);
	nd[0] = type;
	nd[4] = flags;
	memcpy(nd + 8, target->b, 16);
	nd[24] = opt;
	nd[25] = 1;   /* in units of 8 bytes */
	memcpy(nd + 26, fl_ports[port].mac.addr_bytes, 6);
	fl_ip6_l4_set_csum(ip, FL_IP6_NH_ICMPV6, nd, FL_ND_MSG_LEN, 2);
	return f;
}

int fl_nd_build_ns(struct rte_mbuf *m, unsigned port, const struct fl_ip6 *src, const struct fl_ip6 *target,
		   const struct rte_ether_addr *unicast_mac)
{
	struct fl_ip6 dst = *target;
	struct rte_ether_addr mac;
	if (unicast_mac) {
		mac = *unicast_mac;
	} else {
		fl_ip6_solicited_node(target, &dst);
		fl_ip6_mcast_mac(&dst, &mac);
	}
	return build(m, port, src, &dst, &mac, FL_ND_NS, target, 0, FL_ND_OPT_SLLA) ? 0 : -1;
}

int fl_nd_build_na(struct rte_mbuf *m, unsigned port, const struct fl_ip6 *dst, const struct rte_ether_addr *dst_mac,
		   const struct fl_ip6 *target, uint8_t flags)
{
	return build(m, port, target, dst, dst_mac, FL_ND_NA, target, flags, FL_ND_OPT_TLLA) ? 0 : -1;
}

/* The link-layer address option of type `want`; -1 when an option has
 * length 0 or overruns (RFC 4861 7.1: the message is discarded), 0 when
 * absent, 1 with *mac set. */
static int find_lla(const uint8_t *opt, unsigned len, uint8_t want, struct rte_ether_addr *mac)
{
	int found = 0;
	while (len >= 2) {
		unsigned ol = opt[1] * 8u;
		if (ol == 0 || ol > len)
			return -1;
		if (opt[0] == want && ol >= 8 && !found) {
			memcpy(mac->addr_bytes, opt + 2, 6);
			found = 1;
		}
		opt += ol;
		len -= ol;
	}
	return len ? -1 : found;
}

static void to_twin_or_free(struct fl_worker *w, unsigned port, struct rte_mbuf *m)
{
	if (fl_ports[port].twin_id != FL_NO_PORT) {
		w->ctr->port[port].to_kernel++;
		fl_to_kernel(w, port, m);
	} else {
		rte_pktmbuf_free(m);
	}
}

void fl_nd_input(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		 struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk)
{
	uint8_t *nd = (uint8_t *)ip + wk->l4_off;
	unsigned len = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len) - wk->l4_off;
	uint8_t type = nd[0];
	/* RFC 4861 7.1.1, 7.1.2: validity checks before anything is done (the
	 * length first: the caller saw only the type byte). */
	if (len < 24 || ip->hop_limits != FL_ND_HOP_LIMIT || nd[1] != 0)
		return fl_drop_pkt(w, m, FL_DROP_BAD_ND);
	if (fl_ip6_l4_sum(ip, FL_IP6_NH_ICMPV6, nd, len) != 0xffff)
		return fl_drop_pkt(w, m, FL_DROP_BAD_CSUM);
	struct fl_ip6 target, src, dst;
	memcpy(target.b, nd + 8, 16);
	memcpy(src.b, ip->src_addr, 16);
	memcpy(dst.b, ip->dst_addr, 16);
	if (target.b[0] == 0xff)
		return fl_drop_pkt(w, m, FL_DROP_BAD_ND);
	struct rte_ether_addr lla;
	int has_lla = find_lla(nd + 24, len - 24, type == FL_ND_NS ? FL_ND_OPT_SLLA : FL_ND_OPT_TLLA, &lla);
	if (has_lla < 0)
		return fl_drop_pkt(w, m, FL_DROP_BAD_ND);
	if (has_lla && rte_is_multicast_ether_addr(&lla))
		has_lla = 0;
	bool unspecified = fl_ip6_is_zero(&src);

	if (type == FL_ND_NA) {
		if (dst.b[0] == 0xff && (nd[4] & FL_ND_NA_SOLICITED))
			return fl_drop_pkt(w, m, FL_DROP_BAD_ND);
		/* Only refreshes an entry we made (resolving or known), as
		 * Linux ignores unsolicited adverts for unknown neighbours. */
		if (has_lla)
			fl_neigh6_learn((uint16_t)port, &target, &lla, true);
		return to_twin_or_free(w, port, m);
	}
	/* A solicitation. */
	if (unspecified && (dst.b[0] != 0xff || has_lla))
		return fl_drop_pkt(w, m, FL_DROP_BAD_ND);
	const struct fl_local_addr6 *a = fl_local6_lookup(&s->v6, &target);
	if (!a || a->port != port || a->standby) {
		/* Not one of the addresses the fast path answers for: the
		 * kernel twin's own (its link-local), or nobody's here. */
		if (fl_ports[port].twin_id != FL_NO_PORT) {
			w->ctr->port[port].to_kernel++;
			return fl_to_kernel(w, port, m);
		}
		return fl_drop_pkt(w, m, FL_DROP_NOT_FOR_US);
	}
	struct rte_ether_addr to_mac;
	struct fl_ip6 to = src;
	uint8_t flags = FL_ND_NA_ROUTER | FL_ND_NA_OVERRIDE;   /* the director routes (NAT, FULLNAT) */
	if (unspecified) {
		/* Someone's duplicate address detection: defend ours to all nodes. */
		to = fl_ip6_all_nodes;
		fl_ip6_mcast_mac(&to, &to_mac);
	} else {
		if (has_lla)
			fl_neigh6_learn((uint16_t)port, &src, &lla, false);
		flags |= FL_ND_NA_SOLICITED;
		to_mac = has_lla ? lla : rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
	}
	rte_pktmbuf_reset(m);
	if (fl_nd_build_na(m, port, &to, &to_mac, &target, flags) != 0)
		return fl_drop_pkt(w, m, FL_DROP_NOMEM);
	w->ctr->nd_adverts_sent++;
	fl_tx(w, port, m);
}
