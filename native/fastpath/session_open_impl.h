/*
 * Opening a session, written once for both address families (lb_impl.h
 * says how): the service, the persistence template (ipvsadm -p), the
 * scheduler's pick, the method's open (its outbound key: a LIP port for
 * FULLNAT), and the record in this worker's table.
 */
/* This worker's scheduler state for svc in snapshot s. On the first pick in
 * a snapshot it adopts the state the control side prepared beside it
 * (publish.c: a worker never allocates), carrying the old one over as IPVS
 * does on a destination change (rr position, wrr weight, lblc caches), and
 * retires the old one for the control side to free. */
static struct fl_wsched *FL_LB(sched_state)(struct fl_worker *w, const struct fl_snapshot *s,
				     const struct fl_snap_service *svc)
{
	struct fl_sched_ref *r = &w->sched[svc->id];
	if (likely(r->gen == s->gen))
		return r->cur;
	struct fl_wsched *nw = svc->wsched[w->idx];
	const struct fl_sched_state *prev = r->cur && r->cur->kind == nw->kind ? r->cur->st : NULL;
	fl_sched_state_init(nw->st, svc->sched, nw->dests, svc->n_servers, prev);
	__atomic_store_n(&nw->adopted, 1, __ATOMIC_RELEASE);
	if (r->cur)
		__atomic_store_n(&r->cur->retired, 1, __ATOMIC_RELEASE);
	r->cur = nw;
	r->gen = s->gen;
	return nw;
}

static const struct fl_snap_server *FL_LB(schedule)(struct fl_worker *w, const struct fl_snapshot *s,
						   const struct fl_snap_service *svc, const FL_LB_KEY *k)
{
	if (svc->n_servers == 0)
		return NULL;
	struct fl_wsched *ws = FL_LB(sched_state)(w, s, svc);
	struct fl_sched_conns_view view = {
		.base = fl_conns_all, .n_workers = fl_dp.conf.n_workers, .stride = FL_MAX_SERVER_IDS, .ids = svc->dest_ids,
	};
	if (svc->has_thresholds)
		for (unsigned i = 0; i < svc->n_servers; i++)
			if (ws->dests[i].u_threshold) {
				struct fl_sched_conns c = fl_sched_conns_sum(&view, i);
				fl_sched_update_overload(&ws->dests[i], &c);
			}
	fl_sched_state_set_clock(ws->st, (uint32_t)(w->now_ms / 1000));
	int i = fl_sched_pick(svc->sched, ws->st, ws->dests, svc->n_servers, &view, FL_LB_FOLD(k->saddr),
			      FL_LB_FOLD(k->daddr), k->sport, k->dport, k->proto);
	return i < 0 ? NULL : &s->servers[svc->first_server + (unsigned)i];
}

static const struct fl_snap_server *FL_LB(server_by_id)(const struct fl_snapshot *s, const struct fl_snap_service *svc,
						 uint32_t id)
{
	for (unsigned i = 0; i < svc->n_servers; i++)
		if (s->servers[svc->first_server + i].id == id)
			return &s->servers[svc->first_server + i];
	return NULL;
}

/* ipvsadm -p: the client's template picks the server, if any; else the
 * scheduler does and a template is made. *tref gets the template held. */
static const struct fl_snap_server *FL_LB(persistent_pick)(struct fl_worker *w, const struct fl_snapshot *s,
							  const struct fl_snap_service *svc, const FL_LB_KEY *k,
							  uint32_t *tref)
{
	const struct fl_snap_server *rs = NULL;
	uint32_t client = FL_LB_TPL_CLIENT(svc, k), sid;
	*tref = fl_tpl_get(fl_tpl_tbl, FL_LB_TPL_SVC(svc), client, w->now_ms, svc->persist_ms, &sid);
	if (*tref && !(rs = FL_LB(server_by_id)(s, svc, sid))) {
		fl_tpl_invalidate(fl_tpl_tbl, *tref);
		fl_tpl_release(fl_tpl_tbl, *tref, w->now_ms, svc->persist_ms);
		*tref = 0;
	}
	if (!rs && (rs = FL_LB(schedule)(w, s, svc, k))) {
		sid = rs->id;
		*tref = fl_tpl_put(fl_tpl_tbl, FL_LB_TPL_SVC(svc), client, w->now_ms, svc->persist_ms, &sid);
		if (sid != rs->id) {   /* another worker created it first */
			const struct fl_snap_server *won = FL_LB(server_by_id)(s, svc, sid);
			if (won)
				rs = won;
		}
	}
	return rs;
}

FL_LB_REC *FL_LB(session_open)(struct fl_worker *w, const struct fl_snapshot *s, FL_LB_PKT *p)
{
	const struct fl_snap_service *svc = FL_LB_SVC_LOOKUP(s, &p->key);
	if (!svc) {
		/* A VIP port with no service: the kernel owns it (it answers
		 * with RST or port unreachable, as a Linux director would). */
		if (fl_ports[p->rx_port].twin_id != FL_NO_PORT) {
			w->ctr->port[p->rx_port].to_kernel++;
			fl_to_kernel(w, p->rx_port, p->m);
		} else {
			fl_drop_pkt(w, p->m, FL_DROP_NO_SERVICE);
		}
		return NULL;
	}
#if FL_LB_HAS_TCPX
	struct fl_sp_cookie cookie;
	const bool by_cookie = svc->synproxy && p->key.proto == IPPROTO_TCP;
#else
	const bool by_cookie = false;
#endif
	if (by_cookie) {
#if FL_LB_HAS_TCPX
		/* SYN proxy: SYNs are answered with a cookie, and only the ACK
		 * that returns a valid one opens a session. */
		uint8_t f = fl_lb_tcp_flags(p->l4) & (FL_TCPF_SYN | FL_TCPF_ACK | FL_TCPF_RST);
		if (f == FL_TCPF_SYN) {
			fl_synproxy_syn(w, s, p);
			return NULL;
		}
		if (!fl_synproxy_check(w, p, &cookie)) {
			w->ctr->tcpx[FL_TCPX_EV_COOKIE_INVALID]++;
			fl_drop_pkt(w, p->m, FL_DROP_SYNPROXY);
			return NULL;
		}
		w->ctr->tcpx[FL_TCPX_EV_COOKIE_VALID]++;
#endif
	} else if (p->key.proto == IPPROTO_TCP &&
		   (fl_lb_tcp_flags(p->l4) & (FL_TCPF_SYN | FL_TCPF_ACK | FL_TCPF_RST)) != FL_TCPF_SYN &&
		   (!s->sloppy_tcp || (fl_lb_tcp_flags(p->l4) & FL_TCPF_RST))) {
		/* IPVS schedules TCP only on a SYN; with sloppy_tcp on any packet
		 * but a RST (a flow another director served). */
		fl_drop_pkt(w, p->m, FL_DROP_NO_SESSION);
		return NULL;
	}
	uint32_t tref = 0;
	const struct fl_snap_server *rs = svc->persist_ms ? FL_LB(persistent_pick)(w, s, svc, &p->key, &tref)
							  : FL_LB(schedule)(w, s, svc, &p->key);
	const FL_LB_OPS *mo = rs ? FL_LB_METHOD(rs->method) : NULL;
	if (!mo) {   /* no server, or (config refuses it) a method this family lacks */
		FL_LB_PORT_UNREACHABLE(w, s, p);
		fl_drop_pkt(w, p->m, FL_DROP_NO_SERVER);
		return NULL;
	}
	const bool input_only = mo->flags & FL_METHOD_F_INPUT_ONLY;
	/* An all-ports service (port 0) keeps the client's destination port. */
	uint16_t rport = rs->port ? rs->port : p->key.dport;
	/* File the session under the timeout of the state its first packet
	 * puts it in (lb.c applies that packet next), not NONE's: else the
	 * timer wheel would visit every new session again 2 s later. */
	uint32_t first_ms = p->key.proto != IPPROTO_TCP ? s->timeouts.udp_ms
		: s->timeouts.tcp_ms[fl_tcp_next_state(FL_TCP_S_NONE, input_only ? FL_TCP_DIR_INPUT_ONLY : FL_TCP_DIR_INPUT,
						       by_cookie ? FL_TCPF_SYN : fl_lb_tcp_flags(p->l4))];
	FL_LB_KEY outk;
	enum fl_drop why = FL_DROP_NO_SERVER;
	int keyed = mo->open ? mo->open(w, s, svc, rs, &p->key, rport, &outk, &why) : 0;
	if (keyed < 0) {
		fl_tpl_release(fl_tpl_tbl, tref, w->now_ms, svc->persist_ms);
		fl_drop_pkt(w, p->m, why);
		return NULL;
	}
	FL_LB_REC *se = FL_LB_ST(add)(FL_LB_TBL(w), &p->key, keyed ? &outk : NULL, w->now_ms, first_ms);
	if (!se) {
		if (keyed)
			FL_LB_RELEASE_KEY(w, rs->method, &outk);
		fl_tpl_release(fl_tpl_tbl, tref, w->now_ms, svc->persist_ms);
		fl_drop_pkt(w, p->m, FL_DROP_SESSION_FULL);
		return NULL;
	}
	if (input_only) {
		/* Replies bypass the director; the packet keeps VIP:vport. */
		se->raddr = FL_LB_RS_ADDR(rs);
		se->rport = p->key.dport;
	}
	se->tpl = tref;
	se->server_id = rs->id;
	se->service_id = svc->id;
	se->method = rs->method;
	fl_conn_count(w, rs->id, 0, 1);   /* new connections start inactive, as in IPVS */
	w->traffic[rs->id].conns++;
	w->ctr->sessions_created++;
#if FL_LB_HAS_TCPX
	/* Only a client that sends timestamps has any for the director to own:
	 * the others' sessions stay without an edit. */
	uint32_t tsval = 0;
	const bool own_ts = fl_dp.conf.ts_rewrite && p->key.proto == IPPROTO_TCP &&
			    fl_tcpx_client_tsval((const struct rte_tcp_hdr *)p->l4, &tsval);
	if ((svc->tcpx || by_cookie || own_ts) && p->key.proto == IPPROTO_TCP && (mo->flags & FL_METHOD_F_SEQ_ADJUST)) {
		const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)p->l4;
		/* A SYN's seq is the client's ISN; a cookie ACK's is ISN + 1. */
		struct fl_tcpx *x = fl_tcpx_open(w->sess, se, svc->tcpx, rte_be_to_cpu_32(th->sent_seq) + (by_cookie ? 0 : 1));
		if (by_cookie)
			fl_synproxy_open(x, th, &cookie);
		if (own_ts)
			fl_tcpx_own_timestamps(x, tsval, (uint32_t)(w->now_ms + fl_dp.wall_off_ms));
	}
#endif
	if (svc->mss_clamp && p->key.proto == IPPROTO_TCP)
		clamp_mss((struct rte_tcp_hdr *)p->l4, FL_LB_IP_LEN(p->ip) - (unsigned)(p->l4 - (uint8_t *)p->ip),
			  svc->mss_clamp);
	return se;
}
