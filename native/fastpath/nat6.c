/* NAT over IPv6 (masquerading, ipvsadm -m), as nat.c: VIP:vport becomes
 * RIP:rport; the server's reply (the director is its gateway) comes back
 * RIP:rport -> CIP:cport as transit traffic and leaves as VIP:vport ->
 * CIP:cport. */
#include "csum6.h"
#include "method6.h"

static int nat6_open(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
		     const struct fl_snap_server *rs, const struct fl_flow_key6 *in, uint16_t rport_be,
		     struct fl_flow_key6 *out, enum fl_drop *why)
{
	*out = fl_flow_key6_make(&rs->ip6, &in->saddr, rport_be, in->sport, in->proto);
	return 1;
}

static void nat6_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		    uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port)
{
	if (fl_ipv6_too_big(w, s, m, ip, &se->raddr, rx_port))
		return;
	fl_ip6_rewrite(ip, l4, proto, &se->caddr, &se->raddr, se->cport, se->rport);
	fl_ipv6_output_rs(w, s, m, se->server_id, &se->raddr, false);
}

static void nat6_out(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		     uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port)
{
	if (fl_ipv6_too_big(w, s, m, ip, &se->caddr, rx_port))
		return;
	fl_ip6_rewrite(ip, l4, proto, &se->vaddr, &se->caddr, se->vport, se->cport);
	fl_ipv6_output(w, s, m, &se->caddr);
}

/* Client side, about VIP:vport -> CIP:cport: the server sent it from RIP:rport. */
static void nat6_icmp_in(const struct fl_session6 *se, struct fl_icmp6_xlat *x)
{
	x->isrc = se->raddr, x->isport = se->rport;
	x->odst = se->raddr;
}

/* Server side, about CIP:cport -> RIP:rport: the client sent it to VIP:vport. */
static void nat6_icmp_out(const struct fl_session6 *se, struct fl_icmp6_xlat *x)
{
	x->idst = se->vaddr, x->idport = se->vport;
	x->osrc = se->vaddr;
}

const struct fl_method6_ops fl_method6_nat = {
	.name = "nat",
	.flags = FL_METHOD_F_REWRITES | FL_METHOD_F_TRANSIT_REPLIES,
	.open = nat6_open,
	.xmit_in = nat6_in,
	.xmit_out = nat6_out,
	.icmp_in = nat6_icmp_in,
	.icmp_out = nat6_icmp_out,
	/* the outbound key is the flow's own: nothing to give back */
};
