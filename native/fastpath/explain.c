/* fulcrum explain: what the fast path would do with a client's packet now.
 * The control thread asks the worker that owns the flow (steering.h); the
 * worker answers between two bursts, as for session listings (mailbox.c),
 * and works on copies: its scheduler state and dests are copied into the
 * control side's scratch memory and the pick runs there; the LIP port is
 * peeked, not taken; the template is read without a reference. Nothing the
 * dataplane keeps changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_pause.h>

#include "lb.h"
#include "method.h"
#include "neigh.h"
#include "steering.h"
#include "../session/persist.h"

static void session_info(const struct fl_worker *w, const struct fl_session *se, struct fl_session_info *o)
{
	*o = (struct fl_session_info){
		.caddr = se->caddr, .vaddr = se->vaddr, .raddr = se->raddr, .laddr = se->laddr,
		.cport = se->cport, .vport = se->vport, .rport = se->rport, .lport = se->lport,
		.proto = se->proto, .state = se->state, .method = se->method, .worker = (uint8_t)w->idx,
		.server_id = se->server_id, .service_id = se->service_id,
		.expires_in_ms = se->deadline_ms > w->now_ms ? (uint32_t)(se->deadline_ms - w->now_ms) : 0,
		.pkts = se->pkts,
	};
}

static int server_index(const struct fl_snapshot *s, const struct fl_snap_service *svc, uint32_t id)
{
	for (unsigned i = 0; i < svc->n_servers; i++)
		if (s->servers[svc->first_server + i].id == id)
			return (int)i;
	return -1;
}

/* Bytes of scratch a service's dry run needs: its scheduler state and dests. */
static size_t scratch_need(const struct fl_snap_service *svc)
{
	size_t st = fl_sched_state_size(fl_sched_table_kind(svc->sched), svc->n_servers);
	return ((st + 63) & ~(size_t)63) + sizeof(struct fl_sched_dest) * svc->n_servers;
}

/* The scheduler's pick on copies of this worker's state (adopting the
 * prepared one as session_open.c would, but into the scratch memory). */
static int dry_pick(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
		    const struct fl_flow_key *k, struct fl_explain_mailbox *mb, struct fl_explain_result *r)
{
	const struct fl_sched_ref *ref = &w->sched[svc->id];
	const struct fl_wsched *nw = svc->wsched[w->idx];
	unsigned n = svc->n_servers;
	size_t st_len = fl_sched_state_size(nw->kind, n);
	struct fl_sched_state *st = mb->scratch;
	struct fl_sched_dest *dests = (struct fl_sched_dest *)((uint8_t *)mb->scratch + ((st_len + 63) & ~(size_t)63));
	if (ref->gen == s->gen) {
		memcpy(st, ref->cur->st, st_len);
		memcpy(dests, ref->cur->dests, sizeof(*dests) * n);
	} else {
		const struct fl_sched_state *prev = ref->cur && ref->cur->kind == nw->kind ? ref->cur->st : NULL;
		fl_sched_state_init(st, svc->sched, nw->dests, n, prev);
		memcpy(dests, nw->dests, sizeof(*dests) * n);
	}
	struct fl_sched_conns_view view = {
		.base = fl_conns_all, .n_workers = fl_dp.conf.n_workers, .stride = FL_MAX_SERVER_IDS, .ids = svc->dest_ids,
	};
	for (unsigned i = 0; i < n; i++) {
		struct fl_sched_conns c = fl_sched_conns_sum(&view, i);
		if (dests[i].u_threshold)
			fl_sched_update_overload(&dests[i], &c);
		if (i < mb->max_dests)
			mb->dests[i] = (struct fl_explain_dest){ .server_id = dests[i].id, .weight = dests[i].weight,
							      .flags = dests[i].flags, .active = c.active,
							      .inactive = c.inactive };
	}
	r->n_dests = n;
	int32_t last = fl_sched_state_last(st);
	r->sched_last_server_id = last >= 0 && (unsigned)last < n ? (int32_t)dests[last].id : -1;
	r->key_slot = fl_sched_key_slot(svc->sched, k->saddr, k->daddr, k->sport, k->proto);
	const int32_t *slots;
	r->n_slots = fl_sched_table_slots(svc->sched, &slots);
	if (r->key_slot >= 0 && (uint64_t)r->key_slot < r->n_slots && slots[r->key_slot] >= 0 &&
	    (unsigned)slots[r->key_slot] < n)
		r->slot_server_id = (int32_t)dests[slots[r->key_slot]].id;
	fl_sched_state_set_clock(st, (uint32_t)(w->now_ms / 1000));
	return fl_sched_pick(svc->sched, st, dests, n, &view, k->saddr, k->daddr, k->sport, k->dport, k->proto);
}

static void explain_here(struct fl_worker *w, const struct fl_snapshot *s, struct fl_explain_mailbox *mb)
{
	const struct fl_explain_query *q = mb->q;
	struct fl_explain_result *r = mb->out;
	r->worker = (uint8_t)w->idx;
	struct fl_flow_key k = fl_flow_key_make(q->saddr, q->daddr, q->sport, q->dport, q->proto);
	const struct fl_session *se = fl_sess_lookup(w->sess, &k, NULL);
	if (se) {
		r->has_session = 1;
		session_info(w, se, &r->session);
	}
	if (mb->session_only || !s)
		return;
	const struct fl_snap_service *svc = fl_svc_lookup(s, q->daddr, q->dport, q->proto);
	if (!svc)
		return;
	if (scratch_need(svc) > mb->scratch_len) {
		r->service_found = 2;   /* a newer snapshot than the control side saw: ask again */
		return;
	}
	r->service_found = 1;
	r->service_id = svc->id;
	r->service_wildcard = svc->port != q->dport;
	r->sched_kind = (uint8_t)fl_sched_table_kind(svc->sched);
	int idx = svc->n_servers ? dry_pick(w, s, svc, &k, mb, r) : -1;
	if (svc->persist_ms) {
		struct fl_tpl_entry e;
		if (fl_tpl_peek(fl_tpl_tbl, svc->id, q->saddr & svc->persist_mask, w->now_ms, &e)) {
			r->has_template = 1;
			r->tpl_server_id = e.server_id;
			r->tpl_expires_in_ms = e.expires_ms > w->now_ms ? (uint32_t)(e.expires_ms - w->now_ms) : 0;
			r->tpl_refs = e.refcnt;
			int t = server_index(s, svc, e.server_id);
			if (t >= 0) {   /* the template decides, as persistent_pick() */
				idx = t;
				r->pick_from_template = 1;
			}
		}
	}
	if (idx < 0)
		return;
	const struct fl_snap_server *rs = &s->servers[svc->first_server + (unsigned)idx];
	r->pick_server_id = (int32_t)rs->id;
	r->method = rs->method;
	const struct fl_method_ops *mo = fl_method(rs->method);
	r->keyed = !(mo->flags & FL_METHOD_F_INPUT_ONLY);
	uint16_t rport = rs->port ? rs->port : q->dport;
	struct fl_flow_key outk;
	enum fl_drop why = FL_DROP_NO_SERVER;
	int rc = mo->peek ? mo->peek(w, s, svc, rs, &k, rport, &outk, &why)
		 : mo->open ? mo->open(w, s, svc, rs, &k, rport, &outk, &why) : 0;
	if (rc < 0)
		r->open_drop = (int16_t)why;
	else if (rc > 0) {
		r->laddr = outk.daddr;   /* where the replies come back to */
		r->lport = outk.dport;
	}
	const struct fl_nexthop *nh = fl_route_lookup(s, rs->ip);
	if (nh) {
		r->egress_ok = 1;
		r->egress_port = nh->port;
		r->egress_hop = nh->gateway ? nh->gateway : rs->ip;
		const struct fl_neigh *ne = fl_neigh_find(nh->port, r->egress_hop);
		uint64_t mw = ne ? __atomic_load_n(&ne->st.macw, __ATOMIC_ACQUIRE) : 0;
		if (mw & FL_NEIGH_VALID) {
			r->neigh_ok = 1;
			fl_word_to_mac(mw, r->neigh_mac);
		}
	}
}

void fl_lb_explain(struct fl_worker *w, const struct fl_snapshot *s)
{
	struct fl_explain_mailbox *mb = &w->xbox;
	uint32_t req = __atomic_load_n(&mb->req, __ATOMIC_ACQUIRE);
	if (likely(req == mb->ack))
		return;
	explain_here(w, s, mb);
	__atomic_store_n(&mb->ack, req, __ATOMIC_RELEASE);
}

/* ---- control side ---- */

/* Static: a worker that answers after a timeout still writes here. */
static struct fl_explain_query x_query;
static struct fl_explain_result x_result;
static struct fl_explain_dest x_dests[256];

static int ask(unsigned worker, bool session_only, void *scratch, size_t scratch_len, unsigned timeout_ms)
{
	struct fl_explain_mailbox *mb = &fl_dp.workers[worker].xbox;
	memset(&x_result, 0, sizeof(x_result));
	x_result.pick_server_id = x_result.sched_last_server_id = x_result.slot_server_id = -1;
	x_result.key_slot = -1;
	x_result.open_drop = -1;
	mb->session_only = session_only;
	mb->q = &x_query;
	mb->out = &x_result;
	mb->dests = x_dests;
	mb->max_dests = sizeof(x_dests) / sizeof(x_dests[0]);
	mb->scratch = scratch;
	mb->scratch_len = scratch_len;
	uint32_t req = mb->req + 1;
	__atomic_store_n(&mb->req, req, __ATOMIC_RELEASE);
	fl_idle_kick(&fl_dp.workers[worker]);
	uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * timeout_ms;
	while (__atomic_load_n(&mb->ack, __ATOMIC_ACQUIRE) != req) {
		if (rte_get_tsc_cycles() > deadline)
			return -1;
		rte_pause();
	}
	return 0;
}

/* The worker a client's packet to the VIP lands on (steering.h), or -1 when
 * the receiving port's RSS decides. The packet arrives on the port the
 * director routes the client by. */
static int owner_of(const struct fl_snapshot *s, const struct fl_explain_query *q)
{
	const struct fl_nexthop *nh = fl_route_lookup(s, q->saddr);
	if (!nh)
		return -1;
	if (fl_ports[nh->port].sw_steer)
		return (int)fl_client_owner(q->saddr, q->sport);
	const struct fl_snap_service *svc = fl_svc_lookup(s, q->daddr, q->dport, q->proto);
	if (svc && svc->transit_replies)
		return (int)fl_client_owner(q->saddr, q->sport);
	return -1;
}

int fl_explain(const struct fl_explain_query *q, struct fl_explain_result *out, struct fl_explain_dest *dests,
	       unsigned max_dests, unsigned timeout_ms, char *err, size_t errlen)
{
	if (!fl_dp.running || !fl_dp.workers || !fl_snap_current) {
		snprintf(err, errlen, "the dataplane is not running");
		return -1;
	}
	x_query = *q;
	for (int attempt = 0; attempt < 3; attempt++) {
		const struct fl_snapshot *s = fl_snap_current;   /* the control thread is its writer */
		const struct fl_snap_service *svc = fl_svc_lookup(s, q->daddr, q->dport, q->proto);
		size_t len = svc ? scratch_need(svc) : 0;
		void *scratch = len ? aligned_alloc(64, (len + 63) & ~(size_t)63) : NULL;
		if (len && !scratch) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		int owner = owner_of(s, q);
		int8_t known = owner >= 0;
		for (unsigned wk = 0; owner < 0 && wk < fl_dp.conf.n_workers; wk++) {
			if (ask(wk, true, NULL, 0, timeout_ms) < 0)
				goto timeout;
			if (x_result.has_session)
				owner = (int)wk;
		}
		if (owner < 0)
			owner = 0;
		if (ask((unsigned)owner, false, scratch, len, timeout_ms) < 0)
			goto timeout;
		free(scratch);
		if (x_result.service_found == 2)
			continue;
		*out = x_result;
		out->owner_known = known;
		unsigned n = out->n_dests < max_dests ? out->n_dests : max_dests;
		if (n > sizeof(x_dests) / sizeof(x_dests[0]))
			n = sizeof(x_dests) / sizeof(x_dests[0]);
		memcpy(dests, x_dests, sizeof(*dests) * n);
		return 0;
	timeout:
		/* The worker may still write into scratch later: leave it allocated. */
		snprintf(err, errlen, "a worker did not answer within %u ms", timeout_ms);
		return -1;
	}
	snprintf(err, errlen, "the config changed three times while explaining; try again");
	return -1;
}
