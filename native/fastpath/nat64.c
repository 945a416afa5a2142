/* NAT64 through FULLNAT, as DPVS has it: an IPv6 service whose real
 * servers and LIPs are IPv4. CIP6:cport -> VIP6:vport becomes
 * LIP4:lport -> RIP4:rport. The session is an IPv6 one, its server side
 * kept as IPv4-mapped addresses (xlat64.h), so the IPv6 LB stage, its table
 * and its ICMP translation serve it as they serve FULLNAT; the family
 * changes only at the edge: on the way to the server here, and on the way
 * back where IPv4 input finds a LIP port that no IPv4 session holds
 * (fl_nat64_reply, fl_nat64_icmp). */
#include <rte_icmp.h>

#include "csum6.h"
#include "ipv6_ext.h"
#include "lb6.h"
#include "lport.h"
#include "method6.h"
#include "nat64.h"
#include "xlat64.h"

#define IP4_HDR_LEN 20u

static int nat64_open(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
		      const struct fl_snap_server *rs, const struct fl_flow_key6 *in, uint16_t rport_be,
		      struct fl_flow_key6 *out, enum fl_drop *why)
{
	uint16_t lport_be;
	int slot = fl_fullnat_lip_take(w, s, svc, &lport_be, why);
	if (slot < 0)
		return -1;
	const struct fl_ip6 rip = fl_ip6_mapped(rs->ip), lip = fl_ip6_mapped(fl_lip_ip[slot]);
	*out = fl_flow_key6_make(&rip, &lip, rport_be, lport_be, in->proto);
	return 1;
}

static void nat64_release(struct fl_worker *w, const struct fl_session6 *se)
{
	int slot = fl_lip_slot(fl_ip6_unmapped(se->laddr.b));
	if (slot >= 0 && fl_lip_pool[slot][w->idx])
		fl_lport_release(fl_lip_pool[slot][w->idx], rte_be_to_cpu_16(se->lport));
}

/* Whether the packet, once IPv4 (len4 bytes), is too big for the route to
 * rip: then the client gets packet-too-big with the IPv4 MTU plus the 20
 * bytes IPv6's header is longer (RFC 7915 5.2). */
static bool too_big_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, unsigned len4,
		       uint32_t rip, unsigned rx_port)
{
	if (likely(len4 <= s->min_mtu))
		return false;
	const struct fl_nexthop *nh = fl_route_lookup(s, rip);
	unsigned mtu = nh && fl_ports[nh->port].mtu ? fl_ports[nh->port].mtu : 1500;
	if (len4 <= mtu)
		return false;
	fl_icmp6_error(w, s, rx_port, m, 2 /* packet too big */, 0, mtu + (FL_IP6_HDR_LEN - IP4_HDR_LEN));
	fl_drop_pkt(w, m, FL_DROP_TOO_BIG);
	return true;
}

static void nat64_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		     uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port)
{
	const uint32_t rip = fl_ip6_unmapped(se->raddr.b);
	const unsigned l4_len = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len) - (unsigned)(l4 - (uint8_t *)ip);
	if (too_big_in(w, s, m, IP4_HDR_LEN + l4_len, rip, rx_port))
		return;
	fl_ip6_rewrite(ip, l4, proto, &se->laddr, &se->raddr, se->lport, se->rport);
	enum fl_drop why;
	if (!fl_xlat64_down(m, &why))
		return fl_drop_pkt(w, m, why);
	fl_ipv4_output_rs(w, s, m, se->server_id, rip, false);
}

const struct fl_method6_ops fl_method6_nat64 = {
	.name = "fullnat",
	.flags = FL_METHOD_F_REWRITES,
	.open = nat64_open,
	.xmit_in = nat64_in,
	/* The reply is IPv6 by then (fl_nat64_reply): FULLNAT's from here on. */
	.xmit_out = fl_fullnat6_out,
	.icmp_in = fl_fullnat6_icmp_in,
	.icmp_out = fl_fullnat6_icmp_out,
	.release = nat64_release,
};

void fl_nat64_reply(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p)
{
	enum fl_drop why;
	struct rte_ipv6_hdr *ip = fl_xlat64_up(p->m, &why);
	if (!ip)
		return fl_drop_pkt(w, p->m, why);
	struct fl_lb6_pkt q = {
		.m = p->m,
		.ip = ip,
		.l4 = (uint8_t *)ip + FL_IP6_HDR_LEN + (ip->proto == FL_IP6_NH_FRAGMENT ? 8 : 0),
		.rx_port = p->rx_port,
		.role = FL_ADDR_LIP,
	};
	struct fl_ip6 src, dst;
	memcpy(src.b, ip->src_addr, 16);
	memcpy(dst.b, ip->dst_addr, 16);
	q.key = fl_flow_key6_make(&src, &dst, p->key.sport, p->key.dport, p->key.proto);
	fl_lb6_burst(w, s, &q, 1);
}

bool fl_nat64_icmp(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   const struct fl_flow_key *reply)
{
	const struct fl_ip6 src = fl_ip6_mapped(reply->saddr), dst = fl_ip6_mapped(reply->daddr);
	const struct fl_flow_key6 k = fl_flow_key6_make(&src, &dst, reply->sport, reply->dport, reply->proto);
	uint8_t dir;
	if (!fl_sess6_lookup(w->sess6, &k, &dir))
		return false;   /* none of NAT64's: the LIP's own traffic */
	enum fl_drop why;
	struct rte_ipv6_hdr *ip = fl_xlat64_up(m, &why);
	struct fl_ip6_walk wk;
	if (!ip) {
		fl_drop_pkt(w, m, why);
		return true;
	}
	if (fl_ip6_walk((const uint8_t *)ip, FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len), &wk) != 0 ||
	    !fl_icmp6_xlat(w, s, port, m, ip, &wk, FL_ADDR_LIP, false))
		fl_drop_pkt(w, m, FL_DROP_UNTRANSLATABLE);
	return true;
}

void fl_nat64_output(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m)
{
	enum fl_drop why;
	struct rte_ipv4_hdr *ip = fl_xlat64_down(m, &why);
	if (!ip)
		return fl_drop_pkt(w, m, why);
	fl_ipv4_output(w, s, m, ip->dst_addr);
}
