/* IPv4 local delivery: echo requests to our addresses are answered in the
 * fast path; everything else for us goes to the port's kernel twin. */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "csum.h"
#include "dp.h"

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
	ip_set_csum(ip);
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
