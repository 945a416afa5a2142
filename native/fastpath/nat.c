/* NAT (masquerading, ipvsadm -m): the destination VIP:vport becomes
 * RIP:rport; the real server's reply (its gateway is the director) comes
 * back RIP:rport -> CIP:cport and leaves as VIP:vport -> CIP:cport. */
#include "csum.h"
#include "method.h"
#include "../sync/sync_proto.h"

static int nat_open(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
		    const struct fl_snap_server *rs, const struct fl_flow_key *in, uint16_t rport_be,
		    struct fl_flow_key *out, enum fl_drop *why)
{
	/* The reply comes back RIP:rport -> CIP:cport. */
	*out = fl_flow_key_make(rs->ip, in->saddr, rport_be, in->sport, in->proto);
	return 1;
}

static void nat_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		   uint8_t *l4, uint8_t proto, const struct fl_session *se, unsigned rx_port)
{
	if (fl_ipv4_too_big(w, s, m, ip, se->raddr, rx_port))
		return;
	rewrite(ip, l4, proto, ip->src_addr, se->raddr, ((uint16_t *)l4)[0], se->rport);
	fl_ipv4_output_rs(w, s, m, se->server_id, se->raddr, false);
}

static void nat_out(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    uint8_t *l4, uint8_t proto, const struct fl_session *se, unsigned rx_port)
{
	if (fl_ipv4_too_big(w, s, m, ip, se->caddr, rx_port))
		return;
	rewrite(ip, l4, proto, se->vaddr, ip->dst_addr, se->vport, ((uint16_t *)l4)[1]);
	fl_ipv4_output(w, s, m, se->caddr);
}

/* Client side, about VIP:vport -> CIP:cport: the server sent it from
 * RIP:rport. */
static void nat_icmp_in(const struct fl_session *se, struct fl_icmp_xlat *x)
{
	x->isrc = se->raddr, x->isport = se->rport;
	x->odst = se->raddr;
}

/* Server side, about CIP:cport -> RIP:rport: the client sent it to
 * VIP:vport. */
static void nat_icmp_out(const struct fl_session *se, struct fl_icmp_xlat *x)
{
	x->idst = se->vaddr, x->idport = se->vport;
	x->osrc = se->vaddr;
}

const struct fl_method_ops fl_method_nat = {
	.name = "nat",
	.flags = FL_METHOD_F_REWRITES | FL_METHOD_F_TRANSIT_REPLIES,
	.sync_fwd = FL_IPVS_F_MASQ,
	.open = nat_open,
	.xmit_in = nat_in,
	.xmit_out = nat_out,
	.icmp_in = nat_icmp_in,
	.icmp_out = nat_icmp_out,
};
