/*
 * The per-packet LB stage, written once for both address families and
 * instantiated by lb.c (IPv4) and lb6.c (IPv6), as the session table is
 * (sess_table_impl.h): sessions looked up in bulk, a new one opened for the
 * first packet of a flow to a VIP, IPVS's TCP states and connection counts
 * kept, and each packet handed to its session's method. Sessions end here
 * too: expiry, and the ends IPVS forces (expire_nodest, port reuse).
 *
 * The including file defines the family first (lb_family4.h, lb_family6.h).
 */
/* Session ends: give back its place in the counts, its template and what
 * its method holds. */
static void FL_LB(release)(struct fl_worker *w, FL_LB_REC *se)
{
	fl_tpl_release(fl_tpl_tbl, se->tpl, w->now_ms, 0);
	if (se->proto == IPPROTO_TCP && se->state == FL_TCP_S_ESTABLISHED)
		fl_conn_count(w, se->server_id, -1, 0);
	else
		fl_conn_count(w, se->server_id, 0, -1);
	const FL_LB_OPS *mo = FL_LB_METHOD(se->method);
	if (mo->release)
		mo->release(w, se);
#if FL_LB_HAS_TCPX
	if (se->flags & FL_SESS_F_TCPX)
		fl_tcpx_release(w, se);
#endif
	w->ctr->sessions_expired++;
}

static void FL_LB(expire_cb)(FL_LB_REC *se, void *arg)
{
	FL_LB(release)(arg, se);
}

static void FL_LB(kill_session)(struct fl_worker *w, FL_LB_REC *se)
{
	FL_LB(release)(w, se);
	FL_LB_ST(del)(FL_LB_TBL(w), se);
}

unsigned FL_LB(expire)(struct fl_worker *w, unsigned budget)
{
	FL_LB_ST(expire)(FL_LB_TBL(w), w->now_ms, budget, FL_LB(expire_cb), w);
	return FL_LB_ST(count)(FL_LB_TBL(w));
}

void FL_LB(xmit)(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, FL_LB_IPHDR *ip,
		uint8_t *l4, uint8_t proto, const FL_LB_REC *se, uint8_t dir, unsigned rx_port)
{
	const FL_LB_OPS *mo = FL_LB_METHOD(se->method);
	(dir == FL_DIR_IN ? mo->xmit_in : mo->xmit_out)(w, s, m, ip, l4, proto, se, rx_port);
}

static void FL_LB(one)(struct fl_worker *w, const struct fl_snapshot *s, FL_LB_PKT *p, FL_LB_REC *se, uint8_t dir)
{
	if (!se && p->role != FL_ADDR_VIP) {
		/* Only a VIP opens sessions: anything else without one is
		 * dropped before it could draw an ICMP error to a forged source
		 * (or, to a LIP, may be another family's: FL_LB_LIP_MISS). */
		if (p->role == FL_ADDR_LIP)
			return FL_LB_LIP_MISS(w, s, p);
		return fl_drop_pkt(w, p->m, p->role == FL_ROLE_TRANSIT ? FL_DROP_NOT_FOR_US : FL_DROP_NO_SESSION);
	}
	/* Methods that route the packet decrement the TTL; the others pass it
	 * on untouched, as IPVS does. */
	bool rewrites = se ? (FL_LB_METHOD(se->method)->flags & FL_METHOD_F_REWRITES) != 0 : true;
	if (!se && FL_LB_HOPS(p->ip) <= 1 && p->role == FL_ADDR_VIP) {
		const struct fl_snap_service *svc = FL_LB_SVC_LOOKUP(s, &p->key);
		rewrites = !svc || svc->has_rewrite;
	}
	if (FL_LB_HOPS(p->ip) <= 1 && rewrites) {
		FL_LB_TIME_EXCEEDED(w, s, p);
		return fl_drop_pkt(w, p->m, FL_DROP_TTL);
	}
	if (se && dir == FL_DIR_IN && p->key.proto == IPPROTO_TCP &&
	    (fl_lb_tcp_flags(p->l4) & (FL_TCPF_SYN | FL_TCPF_ACK)) == FL_TCPF_SYN &&
	    (se->state == FL_TCP_S_TIME_WAIT || se->state == FL_TCP_S_CLOSE || se->state == FL_TCP_S_FIN_WAIT ||
	     se->state == FL_TCP_S_LAST_ACK || se->state == FL_TCP_S_CLOSE_WAIT)) {
		/* A new connection reusing the client port of a closing one:
		 * schedule afresh, as IPVS's conn_reuse_mode does. */
		FL_LB(kill_session)(w, se);
		se = NULL;
	}
	if (!se) {
		if (p->role == FL_ROLE_TRANSIT)
			return fl_drop_pkt(w, p->m, FL_DROP_NOT_FOR_US);
		if (p->role != FL_ADDR_VIP)
			return fl_drop_pkt(w, p->m, FL_DROP_NO_SESSION);
		se = FL_LB(session_open)(w, s, p);
		if (!se)
			return;
		dir = FL_DIR_IN;
	}
	if (unlikely(!s->server_present[se->server_id])) {
		/* Its real server was removed: drop, and with expire_nodest_conn
		 * end the session now (IPVS semantics). */
		const struct fl_snap_service *svc = fl_svc_by_id(s, se->service_id);
		if (svc && svc->expire_nodest)
			FL_LB(kill_session)(w, se);
		return fl_drop_pkt(w, p->m, FL_DROP_NO_SERVER);
	}
	if (p->key.proto == IPPROTO_TCP) {
		uint8_t fl = fl_lb_tcp_flags(p->l4);
#if FL_LB_HAS_TCPX
		if (unlikely(se->flags & FL_SESS_F_TCPX))
			fl = fl_tcpx_state_flags(w->sess, se, dir, fl);
#endif
		uint8_t before = se->state;
		uint8_t after = (uint8_t)FL_LB_ST(tcp_update)(FL_LB_TBL(w), se, dir, fl, w->now_ms, &s->timeouts);
		/* IPVS moves a connection between ActiveConn and InActConn as it
		 * enters or leaves ESTABLISHED. */
		if (before != after && (before == FL_TCP_S_ESTABLISHED || after == FL_TCP_S_ESTABLISHED)) {
			int d = after == FL_TCP_S_ESTABLISHED ? 1 : -1;
			fl_conn_count(w, se->server_id, d, -d);
		}
		FL_LB_SYNC_NOTE(w, s, se, before);
		if (dir == FL_DIR_OUT && (fl & (FL_TCPF_SYN | FL_TCPF_ACK)) == (FL_TCPF_SYN | FL_TCPF_ACK)) {
			const struct fl_snap_service *svc = fl_svc_by_id(s, se->service_id);
			if (svc && svc->mss_clamp)
				clamp_mss((struct rte_tcp_hdr *)p->l4,
					  FL_LB_IP_LEN(p->ip) - (unsigned)(p->l4 - (uint8_t *)p->ip),
					  svc->mss_clamp);
		}
	} else {
		FL_LB_ST(udp_update)(FL_LB_TBL(w), se, dir, w->now_ms, &s->timeouts);
		FL_LB_SYNC_NOTE(w, s, se, FL_TCP_S_NONE);
	}
	struct fl_server_traffic *tr = &w->traffic[se->server_id];
	uint32_t bytes = FL_LB_IP_LEN(p->ip);
	if (dir == FL_DIR_IN) {
		tr->pkts_in++;
		tr->bytes_in += bytes;
	} else {
		tr->pkts_out++;
		tr->bytes_out += bytes;
	}
#if FL_LB_HAS_TCPX
	if (unlikely(se->flags & FL_SESS_F_TCPX) && !fl_tcpx_edit(w, s, p, se, dir))
		return;
#endif
	FL_LB(xmit)(w, s, p->m, p->ip, p->l4, p->key.proto, se, dir, p->rx_port);
}

void FL_LB(burst)(struct fl_worker *w, const struct fl_snapshot *s, FL_LB_PKT *pk, unsigned n)
{
	const FL_LB_KEY *keys[FL_MAX_BURST];
	FL_LB_REC *se[FL_MAX_BURST];
	uint8_t dir[FL_MAX_BURST];
	for (unsigned i = 0; i < n; i++)
		keys[i] = &pk[i].key;
	FL_LB_ST(lookup_bulk)(FL_LB_TBL(w), keys, n, se, dir);
	for (unsigned i = 0; i < n; i++) {
		/* The lookups ran before any packet of the burst: an earlier one
		 * may have created this packet's session (a SYN and its
		 * retransmission) or ended it (expire_nodest, port reuse), and
		 * an ended record must not be used, or released twice. */
		if (!se[i] || unlikely(!FL_LB_ST(still)(se[i], dir[i], keys[i])))
			se[i] = FL_LB_ST(lookup)(FL_LB_TBL(w), keys[i], &dir[i]);
		FL_LB(one)(w, s, &pk[i], se[i], se[i] ? dir[i] : FL_DIR_IN);
	}
}
