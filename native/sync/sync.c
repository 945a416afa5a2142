/* Session sync: the worker side (what to send, what to install) and the
 * control side (rings to messages, messages to rings). See sync.h. */
#include <stdio.h>
#include <string.h>

#include <rte_ring.h>

#include "sync.h"
#include "sync_proto.h"
#include "../fastpath/lb.h"
#include "../fastpath/method.h"
#include "../fastpath/steering.h"
#include "../session/persist.h"
#include "../tcp/tcpx.h"

#define RING_SIZE     8192u      /* records per worker and direction */
#define INSTALL_BURST 64u        /* records a worker installs per loop */

_Static_assert(FL_SYNC_E__MAX <= 8, "fl_sync_stats.msgs_refused is too small");
_Static_assert(sizeof(struct fl_sync_conn) % 4 == 0, "ring elements are multiples of 4 bytes");

volatile uint8_t fl_sync_master_on;
static struct fl_sync_conf conf;
static struct rte_ring *to_ctl[FL_MAX_WORKERS];     /* worker -> control (master) */
static struct rte_ring *to_worker[FL_MAX_WORKERS];  /* control -> worker (backup) */
static unsigned n_rings;
static struct fl_sync_stats stats;

/* TCP states IPVS syncs (ip_vs_sync_conn_needed): the handshake's are
 * left out, a backup learns a connection once it is established. */
#define SYNCED_STATES                                                                          \
	(1u << FL_TCP_S_ESTABLISHED | 1u << FL_TCP_S_FIN_WAIT | 1u << FL_TCP_S_CLOSE |          \
	 1u << FL_TCP_S_CLOSE_WAIT | 1u << FL_TCP_S_TIME_WAIT)

/* ---- worker side: master ---- */

static bool sync_needed(const struct fl_worker *w, struct fl_session *se, uint8_t before, uint32_t timeout_s)
{
	if (se->proto == IPPROTO_TCP) {
		if (!((1u << se->state) & SYNCED_STATES))
			return false;
		/* A change of state is sent at once, but for the one into
		 * ESTABLISHED, which the packet count below times (threshold 3:
		 * the handshake's last ACK). */
		if (se->state != before && se->state != FL_TCP_S_ESTABLISHED)
			return true;
	}
	if (conf.refresh_period_s) {
		/* Not again before the refresh period, nor before half the
		 * timeout (at least 10 s) has passed since the last send. */
		uint16_t age = (uint16_t)((uint16_t)(w->now_ms / 1000) - se->sync_s);
		uint32_t min_diff = timeout_s / 2 > 10 ? timeout_s / 2 : 10;
		if (age < (conf.refresh_period_s < min_diff ? conf.refresh_period_s : min_diff))
			return false;
	}
	if (conf.period)
		return se->pkts % conf.period == conf.threshold;
	return conf.refresh_period_s || se->pkts == conf.threshold;
}

static void seq_export(const struct fl_tcpx *x, struct fl_sync_seq *q)
{
	*q = (struct fl_sync_seq){
		.c_isn1 = x->c_isn1, .s_isn1 = x->s_isn1, .s_delta = x->s_delta, .c_delta = x->c_delta,
		.mode = x->mode, .flags = x->flags, .d_isn1 = x->d_isn1, .ts_delta = x->ts_delta,
		.c_ts_off = x->c_ts_off, .mssind = x->mssind, .c_wscale = x->c_wscale, .s_wscale = x->s_wscale,
	};
}

static void seq_import(struct fl_tcpx *x, const struct fl_sync_seq *q)
{
	x->c_isn1 = q->c_isn1, x->s_isn1 = q->s_isn1, x->s_delta = q->s_delta, x->c_delta = q->c_delta;
	x->mode = q->mode;
	/* What a joined stream needs; nothing is held for a synced session. */
	x->flags = q->flags & (uint8_t)~FL_TCPX_F_SP_WAIT;
	x->d_isn1 = q->d_isn1, x->ts_delta = q->ts_delta, x->c_ts_off = q->c_ts_off;
	x->mssind = q->mssind, x->c_wscale = q->c_wscale, x->s_wscale = q->s_wscale;
	x->held = 0;
}

void fl_sync_note_slow(struct fl_worker *w, const struct fl_snapshot *s, struct fl_session *se, uint8_t before)
{
	const bool tcp = se->proto == IPPROTO_TCP;
	uint32_t timeout_ms = tcp ? s->timeouts.tcp_ms[se->state] : s->timeouts.udp_ms;
	if (!sync_needed(w, se, before, timeout_ms / 1000))
		return;
	const struct fl_method_ops *mo = fl_method(se->method);
	struct fl_sync_conn c;
	memset(&c, 0, sizeof(c));
	c.caddr = se->caddr, c.vaddr = se->vaddr, c.daddr = se->raddr;
	c.cport = se->cport, c.vport = se->vport, c.dport = se->rport;
	c.proto = se->proto;
	c.state = tcp ? se->state : 0;
	c.flags = mo->sync_fwd | (se->flags & FL_SESS_F_INPUT_ONLY ? FL_IPVS_F_NOOUTPUT : 0) |
		  (tcp && se->state != FL_TCP_S_ESTABLISHED ? FL_IPVS_F_INACTIVE : 0);
	c.timeout_s = timeout_ms / 1000;
	c.stamp_ms = (uint32_t)w->now_ms;
	if (mo->sync_local) {
		mo->sync_local(se, &c.laddr, &c.lport);
		c.has_local = 1;
	}
	if (se->flags & FL_SESS_F_TCPX) {
		seq_export(fl_tcpx_of(w->sess, se), &c.seq);
		c.has_seq = 1;
	}
	se->sync_s = (uint16_t)(w->now_ms / 1000);
	if (rte_ring_sp_enqueue_elem(to_ctl[w->idx], &c, sizeof(c)) == 0)
		w->ctr->sync[FL_SYNC_EV_QUEUED]++;
	else
		w->ctr->sync[FL_SYNC_EV_QUEUE_FULL]++;
}

/* ---- worker side: backup ---- */

static const struct fl_snap_server *server_of(const struct fl_snapshot *s, const struct fl_snap_service *svc,
					      const struct fl_sync_conn *c)
{
	const struct fl_snap_server *any = NULL;
	for (unsigned i = 0; i < svc->n_servers; i++) {
		const struct fl_snap_server *rs = &s->servers[svc->first_server + i];
		if (rs->ip != c->daddr)
			continue;
		if (rs->port == c->dport)
			return rs;
		if (!rs->port || (c->flags & FL_IPVS_F_NOOUTPUT))
			any = rs;   /* all ports, or a DR/TUN session (it keeps the VIP's port) */
	}
	return any;
}

static void count_state(struct fl_worker *w, const struct fl_session *se, int d)
{
	if (se->proto == IPPROTO_TCP && se->state == FL_TCP_S_ESTABLISHED)
		fl_conn_count(w, se->server_id, d, 0);
	else
		fl_conn_count(w, se->server_id, 0, d);
}

static uint32_t timeout_ms_of(const struct fl_snapshot *s, const struct fl_sync_conn *c)
{
	if (c->timeout_s)
		return c->timeout_s > 86400u * 7 ? 86400u * 7 * 1000 : c->timeout_s * 1000;
	return c->proto == IPPROTO_TCP ? s->timeouts.tcp_ms[c->state] : s->timeouts.udp_ms;
}

static void install(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_sync_conn *c)
{
	struct fl_flow_key in = fl_flow_key_make(c->caddr, c->vaddr, c->cport, c->vport, c->proto);
	uint32_t timeout_ms = timeout_ms_of(s, c);
	uint8_t dir;
	struct fl_session *se = fl_sess_lookup(w->sess, &in, &dir);
	if (se && dir == FL_DIR_IN) {
		/* Known: a state change or a periodic refresh. */
		if (c->proto == IPPROTO_TCP && se->state != c->state) {
			count_state(w, se, -1);
			se->state = (uint8_t)c->state;
			count_state(w, se, 1);
		}
		fl_sess_refresh(w->sess, se, w->now_ms, timeout_ms);
		w->ctr->sync[FL_SYNC_EV_UPDATED]++;
		return;
	}
	const struct fl_snap_service *svc = fl_svc_lookup(s, c->vaddr, c->vport, c->proto);
	if (!svc) {
		w->ctr->sync[FL_SYNC_EV_NO_SERVICE]++;
		return;
	}
	const struct fl_snap_server *rs = server_of(s, svc, c);
	if (!rs) {
		w->ctr->sync[FL_SYNC_EV_NO_SERVER]++;
		return;
	}
	const struct fl_method_ops *mo = fl_method(rs->method);
	if (mo->sync_fwd != (c->flags & FL_IPVS_F_FWD_MASK)) {
		w->ctr->sync[FL_SYNC_EV_METHOD]++;
		return;
	}
	struct fl_flow_key outk;
	enum fl_drop why;
	int keyed = mo->adopt ? mo->adopt(w, c, rs, &outk) : mo->open ? mo->open(w, s, svc, rs, &in, c->dport, &outk, &why) : 0;
	if (keyed < 0 || (keyed && fl_sess_lookup(w->sess, &outk, NULL))) {
		if (keyed > 0)
			fl_method_release_key(w, rs->method, &outk);
		w->ctr->sync[FL_SYNC_EV_LOCAL]++;
		return;
	}
	se = fl_sess_add(w->sess, &in, keyed ? &outk : NULL, w->now_ms, timeout_ms);
	if (!se) {
		if (keyed)
			fl_method_release_key(w, rs->method, &outk);
		w->ctr->sync[FL_SYNC_EV_FULL]++;
		return;
	}
	if (!keyed) {
		se->raddr = rs->ip;
		se->rport = c->dport;
	}
	se->state = c->proto == IPPROTO_TCP ? (uint8_t)c->state : FL_TCP_S_NONE;
	se->server_id = rs->id;
	se->service_id = (uint16_t)svc->id;
	se->method = rs->method;
	se->sync_s = (uint16_t)(w->now_ms / 1000);
	if (svc->persist_ms) {
		/* The client's template comes along: its next connections go
		 * to the same server here too. */
		uint32_t sid = rs->id;
		se->tpl = fl_tpl_put(fl_tpl_tbl, svc->id, c->caddr & svc->persist_mask, w->now_ms, svc->persist_ms, &sid);
	}
	count_state(w, se, 1);
	if (c->has_seq && c->proto == IPPROTO_TCP && (mo->flags & FL_METHOD_F_SEQ_ADJUST))
		seq_import(fl_tcpx_open(w->sess, se, c->seq.mode, c->seq.c_isn1), &c->seq);
	w->ctr->sync[FL_SYNC_EV_INSTALLED]++;
}

unsigned fl_sync_poll(struct fl_worker *w, const struct fl_snapshot *s)
{
	if (!s || w->idx >= n_rings)
		return 0;
	struct fl_sync_conn c[16];
	unsigned budget = INSTALL_BURST, n;
	while (budget && (n = rte_ring_sc_dequeue_burst_elem(to_worker[w->idx], c, sizeof(c[0]),
							     budget < 16 ? budget : 16, NULL)) > 0) {
		for (unsigned i = 0; i < n; i++)
			install(w, s, &c[i]);
		budget -= n;
	}
	return INSTALL_BURST - budget;
}

bool fl_sync_pending(unsigned worker)
{
	return worker < n_rings && to_worker[worker] && !rte_ring_empty(to_worker[worker]);
}

/* ---- control side ---- */

int fl_sync_configure(const struct fl_sync_conf *c, char *err, size_t errlen)
{
	if (c->max_len < FL_SYNC_MSG_HDR + 2 * FL_SYNC_CONN_V4 + 64 || c->max_len > 65507) {
		snprintf(err, errlen, "sync message length %u out of range", c->max_len);
		return -1;
	}
	if (c->period && c->threshold >= c->period) {
		snprintf(err, errlen, "sync threshold %u must be below the period %u", c->threshold, c->period);
		return -1;
	}
	fl_sync_master_on = 0;
	conf = *c;
	__atomic_store_n(&fl_sync_master_on, c->master, __ATOMIC_RELEASE);
	return 0;
}

unsigned fl_sync_collect(uint8_t *buf, size_t cap, uint16_t *lens, unsigned max_msgs, uint32_t *lag_ms)
{
	*lag_ms = 0;
	if (!n_rings || !max_msgs)
		return 0;
	struct fl_sync_builder b;
	size_t used = 0, room = cap < conf.max_len ? cap : conf.max_len;
	unsigned msgs = 0;
	uint64_t now = fl_now_ms();
	fl_sync_msg_start(&b, buf, room, conf.master_syncid);
	for (unsigned wi = 0; wi < n_rings; wi++) {
		struct fl_sync_conn c;
		/* A record that does not fit the message closes it and starts the next. */
		while (rte_ring_sc_dequeue_elem(to_ctl[wi], &c, sizeof(c)) == 0) {
			if (fl_sync_msg_add(&b, &c) < 0) {
				lens[msgs++] = (uint16_t)fl_sync_msg_finish(&b);
				used += lens[msgs - 1];
				room = cap - used < conf.max_len ? cap - used : conf.max_len;
				if (msgs == max_msgs || room < FL_SYNC_MSG_HDR + fl_sync_conn_size(&c) + 3) {
					/* Out of room: this record is lost, counted as if the ring had been full. */
					stats.worker_ring_full++;
					goto done;
				}
				fl_sync_msg_start(&b, buf + used, room, conf.master_syncid);
				fl_sync_msg_add(&b, &c);
			}
			uint32_t age = (uint32_t)now - c.stamp_ms;
			if (age > *lag_ms && age < 1u << 31)
				*lag_ms = age;
			stats.conns_sent++;
		}
	}
	if (b.n)
		lens[msgs++] = (uint16_t)fl_sync_msg_finish(&b);
done:
	stats.msgs_sent += msgs;
	stats.last_lag_ms = *lag_ms;
	return msgs;
}

/* The worker that owns a received session: the fast path's own rules. */
static unsigned owner_of(const struct fl_sync_conn *c)
{
	if (c->has_local)
		return fl_lport_owner(c->lport);                  /* FULLNAT: the LIP port's slice */
	return fl_client_owner(c->caddr, c->cport);           /* NAT, and software-steered ports */
}

struct apply_ctx {
	unsigned handed;
};

static void hand_over(const struct fl_sync_conn *c, void *arg)
{
	struct apply_ctx *a = arg;
	if (c->proto == IPPROTO_TCP && c->state >= FL_TCP_S_LAST) {
		stats.conns_invalid++;   /* no such TCP state: the workers index tables by it */
		return;
	}
	unsigned owner = n_rings > 1 ? owner_of(c) : 0;
	if (rte_ring_sp_enqueue_elem(to_worker[owner], (void *)(uintptr_t)c, sizeof(*c)) == 0) {
		a->handed++;
		if (fl_dp.workers)
			fl_idle_kick(&fl_dp.workers[owner]);
	} else
		stats.worker_ring_full++;
}

int fl_sync_apply(const uint8_t *msg, size_t len, unsigned *reason)
{
	*reason = 0;
	if (!n_rings || !conf.backup)
		return 0;
	struct apply_ctx a = { 0 };
	unsigned n = 0, skipped = 0;
	enum fl_sync_err e = fl_sync_msg_parse(msg, len, conf.backup_syncid, hand_over, &a, &n, &skipped);
	stats.conns_received += n;
	stats.conns_skipped += skipped;
	if (e != FL_SYNC_OK) {
		stats.msgs_refused[e]++;
		*reason = e;
		return n ? (int)a.handed : -1;
	}
	stats.msgs_received++;
	return (int)a.handed;
}

void fl_sync_stats_read(struct fl_sync_stats *out)
{
	*out = stats;
}

int fl_sync_init(unsigned n_workers, char *err, size_t errlen)
{
	for (unsigned i = 0; i < n_workers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "fl_sync_out%u", i);
		to_ctl[i] = rte_ring_create_elem(name, sizeof(struct fl_sync_conn), RING_SIZE, SOCKET_ID_ANY,
						 RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fl_sync_in%u", i);
		to_worker[i] = rte_ring_create_elem(name, sizeof(struct fl_sync_conn), RING_SIZE, SOCKET_ID_ANY,
						    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!to_ctl[i] || !to_worker[i]) {
			snprintf(err, errlen, "cannot create the session sync rings: %s", rte_strerror(rte_errno));
			fl_sync_free();
			return -1;
		}
	}
	n_rings = n_workers;
	memset(&stats, 0, sizeof(stats));
	return 0;
}

void fl_sync_free(void)
{
	fl_sync_master_on = 0;
	n_rings = 0;
	for (unsigned i = 0; i < FL_MAX_WORKERS; i++) {
		rte_ring_free(to_ctl[i]);
		rte_ring_free(to_worker[i]);
		to_ctl[i] = to_worker[i] = NULL;
	}
}
