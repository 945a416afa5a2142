/* Load-balancer state around the worker loop: the redirect rings between
 * workers, the shared counters and persistence templates, per-worker session
 * tables, and the control thread's readers of all of it (API, metrics). */
#include <stdio.h>
#include <string.h>

#include <sys/mman.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "lb.h"
#include "lport.h"
#include "../session/persist.h"

struct fl_sched_conns *fl_conns_all;
struct fl_server_traffic *fl_traffic_all;
struct fl_tpl_table *fl_tpl_tbl;
int fl_relay_off = -1;
#define FL_TPL_DEFAULT 65536u
#define FL_TPL_MAX (1u << 24)

/* The template table's size: the configured count rounded up to a power of
 * two (its probe windows mask the hash). */
static uint32_t tpl_slots(void)
{
	uint32_t want = fl_dp.conf.persist_templates ? fl_dp.conf.persist_templates : FL_TPL_DEFAULT;
	uint32_t n = 64;
	while (n < want && n < FL_TPL_MAX)
		n <<= 1;
	return n;
}

/* ---------- redirect rings ---------- */

static struct rte_ring *redir[FL_MAX_WORKERS][FL_MAX_WORKERS];

int fl_redirect_init(unsigned n_workers, char *err, size_t errlen)
{
	fl_conns_all = rte_zmalloc("fl_conns", sizeof(*fl_conns_all) * FL_MAX_SERVER_IDS * n_workers, RTE_CACHE_LINE_SIZE);
	fl_traffic_all = rte_zmalloc("fl_traffic", sizeof(*fl_traffic_all) * FL_MAX_SERVER_IDS * n_workers, RTE_CACHE_LINE_SIZE);
	if (!fl_conns_all || !fl_traffic_all) {
		snprintf(err, errlen, "cannot allocate connection counters");
		return -1;
	}
	static const struct rte_mbuf_dynfield relay = { .name = "fulcrum_icmp_relay", .size = 1, .align = 1 };
	fl_relay_off = rte_mbuf_dynfield_register(&relay);
	if (fl_relay_off < 0) {
		snprintf(err, errlen, "cannot register the mbuf field of ICMP relays: %s", rte_strerror(rte_errno));
		return -1;
	}
	uint32_t slots = tpl_slots();
	void *tmem = rte_zmalloc("fl_templates", fl_tpl_memsize(slots), RTE_CACHE_LINE_SIZE);
	fl_tpl_tbl = fl_tpl_init(tmem, slots);
	if (!fl_tpl_tbl) {
		rte_free(tmem);
		snprintf(err, errlen, "cannot reserve %zu MB for %u persistence templates: add hugepages or lower dataplane.persistTemplates",
			 fl_tpl_memsize(slots) >> 20, slots);
		return -1;
	}
	for (unsigned a = 0; a < n_workers; a++)
		for (unsigned b = 0; b < n_workers; b++) {
			if (a == b)
				continue;
			char name[RTE_RING_NAMESIZE];
			snprintf(name, sizeof(name), "fl_redir_%u_%u", a, b);
			redir[a][b] = rte_ring_create(name, 2048, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!redir[a][b]) {
				snprintf(err, errlen, "cannot create redirect ring %u->%u", a, b);
				return -1;
			}
		}
	return 0;
}

void fl_redirect_free(void)
{
	rte_free(fl_conns_all);
	fl_conns_all = NULL;
	rte_free(fl_traffic_all);
	fl_traffic_all = NULL;
	rte_free(fl_tpl_tbl);
	fl_tpl_tbl = NULL;
	for (unsigned a = 0; a < FL_MAX_WORKERS; a++)
		for (unsigned b = 0; b < FL_MAX_WORKERS; b++)
			if (redir[a][b]) {
				void *m;
				while (rte_ring_dequeue(redir[a][b], &m) == 0)
					rte_pktmbuf_free(m);
				rte_ring_free(redir[a][b]);
				redir[a][b] = NULL;
			}
}

unsigned fl_lb_redirect_poll(struct fl_worker *w, const struct fl_snapshot *s)
{
	struct rte_mbuf *pkts[FL_MAX_BURST];
	struct fl_lb_pkt lb[FL_MAX_BURST];
	unsigned total = 0;
	for (unsigned j = 0; j < fl_dp.conf.n_workers; j++) {
		if (!w->redir_in[j])
			continue;
		unsigned n = rte_ring_sc_dequeue_burst(w->redir_in[j], (void **)pkts, FL_MAX_BURST, NULL);
		if (!n)
			continue;
		w->ctr->redirect_in += n;
		unsigned nlb = 0;
		for (unsigned i = 0; i < n; i++)
			if (fl_ipv4_pre(w, s, pkts[i]->port, pkts[i], &lb[nlb], true) == FL_PRE_LB)
				nlb++;
		if (nlb)
			fl_lb_burst(w, s, lb, nlb);
		total += n;
	}
	return total;
}

/* ---------- per-worker state ---------- */

/* The session table is the one big structure the fast path reads at random
 * (bucket, then record, per packet). On hugepages it comes from DPDK's
 * heap like everything else. Without them (--no-huge), DPDK's memory is
 * 4 KB pages of a memfd, where every lookup in a table of millions adds a
 * page walk to its cache misses; the table needs no DMA, so it is then
 * plain process memory with transparent huge pages asked for. The kernel
 * may decline (THP "never"): that only costs speed. */
static void *sess_mem_alloc(struct fl_worker *w, size_t sz, int sock)
{
	w->sess_map = NULL;
	w->sess_map_len = 0;
	if (rte_eal_has_hugepages())
		return rte_malloc_socket("fl_sessions", sz, 64, sock);
	const size_t huge = (size_t)2 << 20;
	size_t len = ((sz + huge - 1) & ~(huge - 1)) + huge;   /* room to align */
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *mem = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(huge - 1));
	(void)madvise(mem, len - (size_t)(mem - (uint8_t *)p), MADV_HUGEPAGE);
	w->sess_map = p;
	w->sess_map_len = len;
	return mem;
}

static void sess_mem_free(struct fl_worker *w, void *mem)
{
	if (w->sess_map_len)
		munmap(w->sess_map, w->sess_map_len);
	else
		rte_free(mem);
	w->sess_map = NULL;
	w->sess_map_len = 0;
}

int fl_lb_worker_init(struct fl_worker *w, char *err, size_t errlen)
{
	uint32_t cap = fl_dp.conf.sessions_per_worker ? fl_dp.conf.sessions_per_worker : 65536;
	size_t sz = fl_sess_table_memsize(cap);
	if (!sz) {
		snprintf(err, errlen, "sessionsPerWorker %u out of range", cap);
		return -1;
	}
	int sock = (int)rte_lcore_to_socket_id(w->lcore);
	void *mem = sess_mem_alloc(w, sz, sock);
	w->marks = rte_zmalloc_socket("fl_marks", sizeof(*w->marks) * FL_MAX_SERVICE_IDS, 64, sock);
	w->rs_hop = rte_zmalloc_socket("fl_rs_hop", sizeof(*w->rs_hop) * FL_MAX_SERVER_IDS, 64, sock);
	if (!mem || !w->marks || !w->rs_hop) {
		if (mem)
			sess_mem_free(w, mem);
		rte_free(w->rs_hop);
		w->rs_hop = NULL;
		snprintf(err, errlen, "cannot reserve %zu MB for %u sessions on worker %u: add hugepages or lower dataplane.sessionsPerWorker",
			 sz >> 20, cap, w->idx);
		return -1;
	}
	w->sess = fl_sess_table_init(mem, cap, (uint32_t)rte_rdtsc(), fl_now_ms());
	w->conns = fl_conns_all + (size_t)w->idx * FL_MAX_SERVER_IDS;
	w->traffic = fl_traffic_all + (size_t)w->idx * FL_MAX_SERVER_IDS;
	w->ctr->sessions_capacity = cap;
	for (unsigned j = 0; j < fl_dp.conf.n_workers; j++) {
		w->redir_out[j] = j == w->idx ? NULL : redir[w->idx][j];
		w->redir_in[j] = j == w->idx ? NULL : redir[j][w->idx];
	}
	return 0;
}

void fl_lb_worker_free(struct fl_worker *w)
{
	for (unsigned i = 0; w->marks && i < FL_MAX_SERVICE_IDS; i++) {
		rte_free(w->marks[i].st);
		rte_free(w->marks[i].dests);
	}
	if (w->sess)
		sess_mem_free(w, w->sess);
	w->sess = NULL;
	rte_free(w->marks);
	w->marks = NULL;
	rte_free(w->rs_hop);
	w->rs_hop = NULL;
}

/* ---------- API readers (control thread) ---------- */

unsigned fl_server_stats_read(struct fl_server_stats *out, unsigned max)
{
	const struct fl_snapshot *s = fl_snap_current;   /* the control thread is its writer */
	if (!s || !fl_conns_all)
		return 0;
	unsigned n = 0, nw = fl_dp.conf.n_workers;
	for (unsigned i = 0; i < s->n_services; i++) {
		const struct fl_snap_service *v = &s->services[i];
		for (unsigned j = 0; j < v->n_servers && n < max; j++) {
			uint32_t id = s->servers[v->first_server + j].id;
			struct fl_server_stats *o = &out[n++];
			memset(o, 0, sizeof(*o));
			o->id = id;
			for (unsigned k = 0; k < nw; k++) {
				const struct fl_sched_conns *c = &fl_conns_all[(size_t)k * FL_MAX_SERVER_IDS + id];
				const struct fl_server_traffic *t = &fl_traffic_all[(size_t)k * FL_MAX_SERVER_IDS + id];
				o->active += __atomic_load_n(&c->active, __ATOMIC_RELAXED);
				o->inactive += __atomic_load_n(&c->inactive, __ATOMIC_RELAXED);
				o->conns += __atomic_load_n(&t->conns, __ATOMIC_RELAXED);
				o->pkts_in += __atomic_load_n(&t->pkts_in, __ATOMIC_RELAXED);
				o->pkts_out += __atomic_load_n(&t->pkts_out, __ATOMIC_RELAXED);
				o->bytes_in += __atomic_load_n(&t->bytes_in, __ATOMIC_RELAXED);
				o->bytes_out += __atomic_load_n(&t->bytes_out, __ATOMIC_RELAXED);
			}
		}
	}
	return n;
}

void fl_persist_stats_read(struct fl_persist_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!fl_tpl_tbl)
		return;
	out->slots = fl_tpl_tbl->mask + 1;
	out->full = __atomic_load_n(&fl_tpl_tbl->full_drops, __ATOMIC_RELAXED);
	out->reclaimed = __atomic_load_n(&fl_tpl_tbl->reclaimed, __ATOMIC_RELAXED);
}

unsigned fl_lip_stats_read(struct fl_lip_stats *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < fl_n_lips; i++)
		for (unsigned w = 0; w < fl_dp.conf.n_workers && n < max; w++) {
			const struct fl_lport_pool *p = fl_lip_pool[i][w];
			if (!p)
				continue;
			out[n].ip = fl_lip_ip[i];
			out[n].worker = (uint16_t)w;
			out[n].free = __atomic_load_n(&p->count, __ATOMIC_RELAXED);
			out[n].capacity = fl_lport_slice_size(w, fl_dp.conf.n_workers);
			n++;
		}
	return n;
}

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
