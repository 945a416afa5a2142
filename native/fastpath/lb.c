/* The per-packet LB stage: sessions looked up in bulk, a new one opened for
 * the first packet of a flow to a VIP, IPVS's TCP states and connection
 * counts kept, and each packet handed to its session's method. Sessions end
 * here too: expiry, and the ends IPVS forces (expire_nodest, port reuse). */
#include <rte_tcp.h>

#include "csum.h"
#include "lb.h"
#include "method.h"
#include "../session/persist.h"
#include "../sync/sync.h"
#include "../tcp/tcpx.h"

/* Session ends: give back its place in the counts, its template and what
 * its method holds. */
static void release(struct fl_worker *w, struct fl_session *se)
{
	fl_tpl_release(fl_tpl_tbl, se->tpl, w->now_ms, 0);
	if (se->proto == IPPROTO_TCP && se->state == FL_TCP_S_ESTABLISHED)
		fl_conn_count(w, se->server_id, -1, 0);
	else
		fl_conn_count(w, se->server_id, 0, -1);
	const struct fl_method_ops *mo = fl_method(se->method);
	if (mo->release)
		mo->release(w, se);
	if (se->flags & FL_SESS_F_TCPX)
		fl_tcpx_release(w, se);
	w->ctr->sessions_expired++;
}

static void expire_cb(struct fl_session *se, void *arg)
{
	release(arg, se);
}

static void kill_session(struct fl_worker *w, struct fl_session *se)
{
	release(w, se);
	fl_sess_del(w->sess, se);
}

void fl_lb_expire(struct fl_worker *w, unsigned budget)
{
	fl_sess_expire(w->sess, w->now_ms, budget, expire_cb, w);
	w->ctr->sessions_active = fl_sess_count(w->sess);
}

void fl_lb_xmit(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		uint8_t *l4, uint8_t proto, const struct fl_session *se, uint8_t dir, unsigned rx_port)
{
	const struct fl_method_ops *mo = fl_method(se->method);
	(dir == FL_DIR_IN ? mo->xmit_in : mo->xmit_out)(w, s, m, ip, l4, proto, se, rx_port);
}

static inline uint8_t tcp_flags_of(const struct fl_lb_pkt *p)
{
	return ((const struct rte_tcp_hdr *)p->l4)->tcp_flags;
}

static void lb_one(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		   uint8_t dir)
{
	if (!se && p->role != FL_ADDR_VIP) {
		/* Only a VIP opens sessions: anything else without one is
		 * dropped before it could draw an ICMP error to a forged source. */
		return fl_drop_pkt(w, p->m, p->role == FL_ROLE_TRANSIT ? FL_DROP_NOT_FOR_US : FL_DROP_NO_SESSION);
	}
	/* Methods that route the packet decrement the TTL; the others pass it
	 * on untouched, as IPVS does. */
	bool rewrites = se ? (fl_method(se->method)->flags & FL_METHOD_F_REWRITES) != 0 : true;
	if (!se && p->ip->time_to_live <= 1 && p->role == FL_ADDR_VIP) {
		const struct fl_snap_service *svc = fl_svc_lookup(s, p->key.daddr, p->key.dport, p->key.proto);
		rewrites = !svc || svc->has_rewrite;
	}
	if (p->ip->time_to_live <= 1 && rewrites) {
		fl_icmp_error(w, s, p->rx_port, p->m, 11 /* time exceeded */, 0, 0);
		return fl_drop_pkt(w, p->m, FL_DROP_TTL);
	}
	if (se && dir == FL_DIR_IN && p->key.proto == IPPROTO_TCP &&
	    (tcp_flags_of(p) & (FL_TCPF_SYN | FL_TCPF_ACK)) == FL_TCPF_SYN &&
	    (se->state == FL_TCP_S_TIME_WAIT || se->state == FL_TCP_S_CLOSE || se->state == FL_TCP_S_FIN_WAIT ||
	     se->state == FL_TCP_S_LAST_ACK || se->state == FL_TCP_S_CLOSE_WAIT)) {
		/* A new connection reusing the client port of a closing one:
		 * schedule afresh, as IPVS's conn_reuse_mode does. */
		kill_session(w, se);
		se = NULL;
	}
	if (!se) {
		if (p->role == FL_ROLE_TRANSIT)
			return fl_drop_pkt(w, p->m, FL_DROP_NOT_FOR_US);
		if (p->role != FL_ADDR_VIP)
			return fl_drop_pkt(w, p->m, FL_DROP_NO_SESSION);
		se = fl_session_open(w, s, p);
		if (!se)
			return;
		dir = FL_DIR_IN;
	}
	if (unlikely(!s->server_present[se->server_id])) {
		/* Its real server was removed: drop, and with expire_nodest_conn
		 * end the session now (IPVS semantics). */
		const struct fl_snap_service *svc = fl_svc_by_id(s, se->service_id);
		if (svc && svc->expire_nodest)
			kill_session(w, se);
		return fl_drop_pkt(w, p->m, FL_DROP_NO_SERVER);
	}
	if (p->key.proto == IPPROTO_TCP) {
		uint8_t fl = tcp_flags_of(p);
		if (unlikely(se->flags & FL_SESS_F_TCPX))
			fl = fl_tcpx_state_flags(w->sess, se, dir, fl);
		uint8_t before = se->state;
		uint8_t after = (uint8_t)fl_sess_tcp_update(w->sess, se, dir, fl, w->now_ms, &s->timeouts);
		/* IPVS moves a connection between ActiveConn and InActConn as it
		 * enters or leaves ESTABLISHED. */
		if (before != after && (before == FL_TCP_S_ESTABLISHED || after == FL_TCP_S_ESTABLISHED)) {
			int d = after == FL_TCP_S_ESTABLISHED ? 1 : -1;
			fl_conn_count(w, se->server_id, d, -d);
		}
		fl_sync_note(w, s, se, before);
		if (dir == FL_DIR_OUT && (fl & (FL_TCPF_SYN | FL_TCPF_ACK)) == (FL_TCPF_SYN | FL_TCPF_ACK)) {
			const struct fl_snap_service *svc = fl_svc_by_id(s, se->service_id);
			if (svc && svc->mss_clamp)
				clamp_mss((struct rte_tcp_hdr *)p->l4,
					  rte_be_to_cpu_16(p->ip->total_length) - (unsigned)(p->l4 - (uint8_t *)p->ip),
					  svc->mss_clamp);
		}
	} else {
		fl_sess_udp_update(w->sess, se, dir, w->now_ms, &s->timeouts);
		fl_sync_note(w, s, se, FL_TCP_S_NONE);
	}
	struct fl_server_traffic *tr = &w->traffic[se->server_id];
	uint32_t bytes = rte_be_to_cpu_16(p->ip->total_length);
	if (dir == FL_DIR_IN) {
		tr->pkts_in++;
		tr->bytes_in += bytes;
	} else {
		tr->pkts_out++;
		tr->bytes_out += bytes;
	}
	if (unlikely(se->flags & FL_SESS_F_TCPX) && !fl_tcpx_edit(w, s, p, se, dir))
		return;
	fl_lb_xmit(w, s, p->m, p->ip, p->l4, p->key.proto, se, dir, p->rx_port);
}

void fl_lb_burst(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *pk, unsigned n)
{
	const struct fl_flow_key *keys[FL_MAX_BURST];
	struct fl_session *se[FL_MAX_BURST];
	uint8_t dir[FL_MAX_BURST];
	for (unsigned i = 0; i < n; i++)
		keys[i] = &pk[i].key;
	fl_sess_lookup_bulk(w->sess, keys, n, se, dir);
	for (unsigned i = 0; i < n; i++) {
		/* The lookups ran before any packet of the burst: an earlier one
		 * may have created this packet's session (a SYN and its
		 * retransmission) or ended it (expire_nodest, port reuse), and
		 * an ended record must not be used, or released twice. */
		if (!se[i] || unlikely(!fl_sess_still(se[i], dir[i], keys[i])))
			se[i] = fl_sess_lookup(w->sess, keys[i], &dir[i]);
		lb_one(w, s, &pk[i], se[i], se[i] ? dir[i] : FL_DIR_IN);
	}
}
