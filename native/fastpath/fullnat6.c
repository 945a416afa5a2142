/* FULLNAT for IPv6 services: CIP:cport -> VIP:vport becomes LIP:lport ->
 * RIP:rport with an IPv6 LIP, as fullnat.c does for IPv4; the LIP port
 * names the worker that owns the session (lport.h), so replies find it. */
#include "csum6.h"
#include "lport.h"
#include "method6.h"

static int fullnat6_open(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
			 const struct fl_snap_server *rs, const struct fl_flow_key6 *in, uint16_t rport_be,
			 struct fl_flow_key6 *out, enum fl_drop *why)
{
	uint16_t lport_be;
	int slot = fl_fullnat_lip_take(w, s, svc, &lport_be, why);
	if (slot < 0)
		return -1;
	*out = fl_flow_key6_make(&rs->ip6, &fl_lip_ip6[slot], rport_be, lport_be, in->proto);
	return 1;
}

static void fullnat6_release(struct fl_worker *w, const struct fl_session6 *se)
{
	int slot = fl_lip_slot6(&se->laddr);
	if (slot >= 0 && fl_lip_pool[slot][w->idx])
		fl_lport_release(fl_lip_pool[slot][w->idx], rte_be_to_cpu_16(se->lport));
}

static void fullnat6_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
			uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port)
{
	if (fl_ipv6_too_big(w, s, m, ip, &se->raddr, rx_port))
		return;
	fl_ip6_rewrite(ip, l4, proto, &se->laddr, &se->raddr, se->lport, se->rport);
	fl_ipv6_output_rs(w, s, m, se->server_id, &se->raddr, false);
}

void fl_fullnat6_out(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		     uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port)
{
	if (fl_ipv6_too_big(w, s, m, ip, &se->caddr, rx_port))
		return;
	fl_ip6_rewrite(ip, l4, proto, &se->vaddr, &se->caddr, se->vport, se->cport);
	fl_ipv6_output(w, s, m, &se->caddr);
}

/* From the client side, about VIP:vport -> CIP:cport that we sent: restore
 * what the real server sent, RIP:rport -> LIP:lport (as fullnat.c). */
void fl_fullnat6_icmp_in(const struct fl_session6 *se, struct fl_icmp6_xlat *x)
{
	x->isrc = se->raddr, x->isport = se->rport, x->idst = se->laddr, x->idport = se->lport;
	x->osrc = se->laddr, x->odst = se->raddr;
}

/* From the server side, about LIP:lport -> RIP:rport: CIP:cport -> VIP:vport. */
void fl_fullnat6_icmp_out(const struct fl_session6 *se, struct fl_icmp6_xlat *x)
{
	x->isrc = se->caddr, x->isport = se->cport, x->idst = se->vaddr, x->idport = se->vport;
	x->osrc = se->vaddr, x->odst = se->caddr;
}

const struct fl_method6_ops fl_method6_fullnat = {
	.name = "fullnat",
	.flags = FL_METHOD_F_REWRITES,
	.open = fullnat6_open,
	.xmit_in = fullnat6_in,
	.xmit_out = fl_fullnat6_out,
	.icmp_in = fl_fullnat6_icmp_in,
	.icmp_out = fl_fullnat6_icmp_out,
	.release = fullnat6_release,
};
