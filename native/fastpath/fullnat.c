/* FULLNAT: CIP:cport -> VIP:vport becomes LIP:lport -> RIP:rport, and the
 * reply RIP:rport -> LIP:lport becomes VIP:vport -> CIP:cport. Any routable
 * real server; the LIP port names the worker that owns the session
 * (lport.h), so replies find it. */
#include "csum.h"
#include "lport.h"
#include "method.h"
#include "../sync/sync_proto.h"

/* A LIP port of this worker's slice, taking the service's LIPs in turn. */
static int fullnat_open(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
			const struct fl_snap_server *rs, const struct fl_flow_key *in, uint16_t rport_be,
			struct fl_flow_key *out, enum fl_drop *why)
{
	uint16_t lport_be;
	int slot = fl_fullnat_lip_take(w, s, svc, &lport_be, why);
	if (slot < 0)
		return -1;
	*out = fl_flow_key_make(rs->ip, fl_lip_ip[slot], rport_be, lport_be, in->proto);
	return 1;
}

/* The LIP and port open would take next: the same walk, without taking. */
static int fullnat_peek(const struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
			const struct fl_snap_server *rs, const struct fl_flow_key *in, uint16_t rport_be,
			struct fl_flow_key *out, enum fl_drop *why)
{
	uint32_t rr = w->sched[svc->id].lip_rr;
	for (uint32_t k = 0; k < svc->n_lips; k++) {
		uint16_t slot = s->lip_slots[svc->first_lip + (rr++ % svc->n_lips)];
		const struct fl_lport_pool *pool = fl_lip_pool[slot][w->idx];
		if (pool && pool->count) {
			uint16_t lport = pool->ports[pool->head & pool->mask];
			*out = fl_flow_key_make(rs->ip, fl_lip_ip[slot], rport_be, rte_cpu_to_be_16(lport), in->proto);
			return 1;
		}
	}
	*why = FL_DROP_NO_LPORT;
	return -1;
}

static void fullnat_release(struct fl_worker *w, const struct fl_session *se)
{
	int slot = fl_lip_slot(se->laddr);
	if (slot >= 0 && fl_lip_pool[slot][w->idx])
		fl_lport_release(fl_lip_pool[slot][w->idx], rte_be_to_cpu_16(se->lport));
}

static void fullnat_sync_local(const struct fl_session *se, uint32_t *laddr, uint16_t *lport_be)
{
	*laddr = se->laddr;
	*lport_be = se->lport;
}

/* A session the master opened: its LIP:lport is held here too, so this
 * director never hands the pair out while the session lives. */
static int fullnat_adopt(struct fl_worker *w, const struct fl_sync_conn *c, const struct fl_snap_server *rs,
			 struct fl_flow_key *out)
{
	(void)rs;
	if (!c->has_local)
		return -1;
	int slot = fl_lip_slot(c->laddr);
	struct fl_lport_pool *pool = slot >= 0 ? fl_lip_pool[slot][w->idx] : NULL;
	if (!pool || !fl_lport_hold(pool, rte_be_to_cpu_16(c->lport)))
		return -1;
	*out = fl_flow_key_make(c->daddr, c->laddr, c->dport, c->lport, c->proto);
	return 1;
}


static void fullnat_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		       uint8_t *l4, uint8_t proto, const struct fl_session *se, unsigned rx_port)
{
	if (fl_ipv4_too_big(w, s, m, ip, se->raddr, rx_port))
		return;
	rewrite(ip, l4, proto, se->laddr, se->raddr, se->lport, se->rport);
	fl_ipv4_output_rs(w, s, m, se->server_id, se->raddr, false);
}

static void fullnat_out(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			uint8_t *l4, uint8_t proto, const struct fl_session *se, unsigned rx_port)
{
	if (fl_ipv4_too_big(w, s, m, ip, se->caddr, rx_port))
		return;
	rewrite(ip, l4, proto, se->vaddr, se->caddr, se->vport, se->cport);
	fl_ipv4_output(w, s, m, se->caddr);
}

/* From the client side, about VIP:vport -> CIP:cport that we sent: restore
 * what the real server sent, RIP:rport -> LIP:lport. */
static void fullnat_icmp_in(const struct fl_session *se, struct fl_icmp_xlat *x)
{
	x->isrc = se->raddr, x->isport = se->rport, x->idst = se->laddr, x->idport = se->lport;
	x->osrc = se->laddr, x->odst = se->raddr;
}

/* From the server side, about LIP:lport -> RIP:rport: restore CIP:cport ->
 * VIP:vport for the client. */
static void fullnat_icmp_out(const struct fl_session *se, struct fl_icmp_xlat *x)
{
	x->isrc = se->caddr, x->isport = se->cport, x->idst = se->vaddr, x->idport = se->vport;
	x->osrc = se->vaddr, x->odst = se->caddr;
}

const struct fl_method_ops fl_method_fullnat = {
	.name = "fullnat",
	.flags = FL_METHOD_F_REWRITES | FL_METHOD_F_SEQ_ADJUST,
	.sync_fwd = FL_IPVS_F_FULLNAT,
	.sync_local = fullnat_sync_local,
	.adopt = fullnat_adopt,
	.open = fullnat_open,
	.peek = fullnat_peek,
	.xmit_in = fullnat_in,
	.xmit_out = fullnat_out,
	.icmp_in = fullnat_icmp_in,
	.icmp_out = fullnat_icmp_out,
	.release = fullnat_release,
};
