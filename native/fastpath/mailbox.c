/* The session-listing mailbox between the control thread (the API asks) and
 * a worker (it answers between two bursts, bounded), so listing never
 * stalls forwarding and never reads a table its worker is writing. */
#include <rte_cycles.h>
#include <rte_pause.h>

#include "lb.h"

/* Worker side: answer a pending listing request, bounded by its max. */
void fl_lb_mailbox(struct fl_worker *w)
{
	struct fl_sess_mailbox *mb = &w->mbox;
	uint32_t req = __atomic_load_n(&mb->req, __ATOMIC_ACQUIRE);
	if (likely(req == mb->ack))
		return;
	struct fl_sess_view v[64];
	uint32_t cursor = mb->cursor;
	unsigned got = 0, want = mb->max < 64 ? mb->max : 64;
	uint32_t cap = fl_sess_capacity(w->sess);
	while (got < want && cursor < cap) {
		unsigned k = fl_sess_copy_range(w->sess, &cursor, v, want - got);
		for (unsigned i = 0; i < k; i++) {
			struct fl_session_info *o = &mb->out[got + i];
			o->caddr = v[i].caddr, o->vaddr = v[i].vaddr, o->raddr = v[i].raddr, o->laddr = v[i].laddr;
			o->cport = v[i].cport, o->vport = v[i].vport, o->rport = v[i].rport, o->lport = v[i].lport;
			o->proto = v[i].proto, o->state = v[i].state, o->method = v[i].method;
			o->worker = (uint8_t)w->idx;
			o->server_id = v[i].server_id, o->service_id = v[i].service_id;
			o->expires_in_ms = v[i].deadline_ms > w->now_ms ? (uint32_t)(v[i].deadline_ms - w->now_ms) : 0;
			o->pkts = v[i].pkts;
		}
		got += k;
	}
	mb->count = got;
	mb->cursor = cursor;
	mb->done = cursor >= cap;
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
