/* IPv6 input: validate the fixed header and the extension header chain,
 * hand neighbour discovery to nd.c and other multicast to the kernel twin
 * (MLD, router adverts: its daemons joined the groups), and deliver what is
 * addressed to one of our addresses. */
#include "dp.h"
#include "ipv6_ext.h"
#include "nd.h"

static bool is_nd(const struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk, unsigned len)
{
	if (wk->proto != FL_IP6_NH_ICMPV6 || wk->frag != FL_IP6_WHOLE || wk->l4_off >= len)
		return false;
	uint8_t type = ((const uint8_t *)ip)[wk->l4_off];
	return type == FL_ND_NS || type == FL_ND_NA;
}

void fl_ipv6_input(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m)
{
	const unsigned l2 = sizeof(struct rte_ether_hdr);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (unlikely(len < l2 + FL_IP6_HDR_LEN || rte_pktmbuf_data_len(m) < l2 + FL_IP6_HDR_LEN))
		return fl_drop_pkt(w, m, FL_DROP_MALFORMED);
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, l2);
	unsigned tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	/* Payload length 0 is a jumbogram's (RFC 2675): not on Ethernet. The
	 * whole packet must sit in the first segment, as IPv4's must. */
	if (unlikely((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || tot == FL_IP6_HDR_LEN || l2 + tot > len ||
		     rte_pktmbuf_data_len(m) < l2 + tot || ip->src_addr[0] == 0xff))
		return fl_drop_pkt(w, m, FL_DROP_MALFORMED);
	if (len > l2 + tot)   /* Ethernet padding */
		rte_pktmbuf_trim(m, len - (l2 + tot));
	struct fl_ip6_walk wk;
	if (unlikely(fl_ip6_walk((const uint8_t *)ip, tot, &wk) != 0))
		return fl_drop_pkt(w, m, FL_DROP_MALFORMED);
	if (ip->dst_addr[0] == 0xff) {
		if (is_nd(ip, &wk, tot))
			return fl_nd_input(w, s, port, m, ip, &wk);
		w->ctr->port[port].to_kernel++;
		return fl_to_kernel(w, port, m);
	}
	struct fl_ip6 dst;
	memcpy(dst.b, ip->dst_addr, 16);
	const struct fl_local_addr6 *local = fl_local6_lookup(&s->v6, &dst);
	if (!local) {
		/* A solicitation for an address we do not hold (a unicast
		 * refresh probe of the twin's link-local) is still ND's. */
		if (is_nd(ip, &wk, tot))
			return fl_nd_input(w, s, port, m, ip, &wk);
		return fl_drop_pkt(w, m, FL_DROP_NOT_FOR_US);
	}
	if (unlikely(local->standby))
		return fl_drop_pkt(w, m, FL_DROP_STANDBY);
	fl_ipv6_local(w, s, port, m, ip, &wk);
}
