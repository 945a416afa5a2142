/* The session-listing mailbox between the control thread (the API asks) and
 * a worker (it answers between two bursts, bounded), so listing never
 * stalls forwarding and never reads a table its worker is writing. */
#include <rte_cycles.h>
#include <rte_pause.h>

#include <string.h>

#include "lb.h"
#include "method6.h"
#include "../session/session6.h"

/* What both families' views have in common, into a listing entry. */
#define FILL_META(o, v, w)                                                                                     \
	do {                                                                                                   \
		(o)->cport = (v).cport, (o)->vport = (v).vport, (o)->rport = (v).rport, (o)->lport = (v).lport; \
		(o)->proto = (v).proto, (o)->state = (v).state, (o)->method = (v).method;                     \
		(o)->worker = (uint8_t)(w)->idx;                                                                \
		(o)->server_id = (v).server_id, (o)->service_id = (v).service_id;                               \
		(o)->expires_in_ms = (v).deadline_ms > (w)->now_ms ? (uint32_t)((v).deadline_ms - (w)->now_ms) : 0; \
		(o)->pkts = (v).pkts;                                                                           \
	} while (0)

/* Worker side: answer a pending listing request, bounded by its max. The
 * cursor runs over the IPv4 table, then on over the IPv6 one. */
void fl_lb_mailbox(struct fl_worker *w)
{
	struct fl_sess_mailbox *mb = &w->mbox;
	uint32_t req = __atomic_load_n(&mb->req, __ATOMIC_ACQUIRE);
	if (likely(req == mb->ack))
		return;
	uint32_t cursor = mb->cursor;
	unsigned got = 0, want = mb->max < 64 ? mb->max : 64;
	const uint32_t cap4 = fl_sess_capacity(w->sess), cap6 = fl_sess6_capacity(w->sess6);
	while (got < want && cursor < cap4) {
		struct fl_sess_view v[64];
		unsigned k = fl_sess_copy_range(w->sess, &cursor, v, want - got);
		for (unsigned i = 0; i < k; i++) {
			struct fl_session_info *o = &mb->out[got + i];
			memset(o, 0, sizeof(*o));
			o->family = 4;
			o->caddr = v[i].caddr, o->vaddr = v[i].vaddr, o->raddr = v[i].raddr, o->laddr = v[i].laddr;
			FILL_META(o, v[i], w);
		}
		got += k;
	}
	while (got < want && cursor >= cap4 && cursor < cap4 + cap6) {
		struct fl_sess6_view v[32];
		uint32_t c6 = cursor - cap4;
		unsigned k = fl_sess6_copy_range(w->sess6, &c6, v, want - got < 32 ? want - got : 32);
		cursor = cap4 + c6;
		for (unsigned i = 0; i < k; i++) {
			struct fl_session_info *o = &mb->out[got + i];
			memset(o, 0, sizeof(*o));
			o->family = 6;
			o->caddr6 = v[i].caddr, o->vaddr6 = v[i].vaddr, o->raddr6 = v[i].raddr, o->laddr6 = v[i].laddr;
			FILL_META(o, v[i], w);
			o->method = fl_method6_public(o->method);
		}
		got += k;
	}
	mb->count = got;
	mb->cursor = cursor;
	mb->done = cursor >= cap4 + cap6;
	__atomic_store_n(&mb->ack, req, __ATOMIC_RELEASE);
}

int fl_sessions_read(unsigned worker, uint32_t *cursor, struct fl_session_info *out, unsigned max, int *done,
		     unsigned timeout_ms)
{
	if (worker >= fl_dp.conf.n_workers || !fl_dp.workers || !fl_dp.running)
		return -1;
	struct fl_sess_mailbox *mb = &fl_dp.workers[worker].mbox;
	mb->cursor = *cursor;
	mb->max = max > 64 ? 64 : max;
	mb->out = out;
	uint32_t req = mb->req + 1;
	__atomic_store_n(&mb->req, req, __ATOMIC_RELEASE);
	fl_idle_kick(&fl_dp.workers[worker]);
	uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * timeout_ms;
	while (__atomic_load_n(&mb->ack, __ATOMIC_ACQUIRE) != req) {
		if (rte_get_tsc_cycles() > deadline) {
			/* Withdraw: the worker may still answer later into out, so
			 * the caller's buffer must stay valid (it is static). */
			return -1;
		}
		rte_pause();
	}
	*cursor = mb->cursor;
	*done = mb->done;
	return (int)mb->count;
}
