/* A worker's own LB memory, reserved by the control thread at start: its
 * session table, its references to scheduler state, its next-hop cache. */
#include <stdio.h>

#include <sys/mman.h>

#include <rte_malloc.h>

#include "lb.h"
#include "../session/session6.h"
#include "steering.h"

/* The session table is the one big structure the fast path reads at random
 * (bucket, then record, per packet). On hugepages it comes from DPDK's
 * heap like everything else. Without them (--no-huge), DPDK's memory is
 * 4 KB pages of a memfd, where every lookup in a table of millions adds a
 * page walk to its cache misses; the table needs no DMA, so it is then
 * plain process memory with transparent huge pages asked for. The kernel
 * may decline (THP "never"): that only costs speed. */
static void *sess_mem_alloc(struct fl_sess_mem *sm, size_t sz, int sock)
{
	sm->map = NULL;
	sm->len = 0;
	if (rte_eal_has_hugepages())
		return rte_malloc_socket("fl_sessions", sz, 64, sock);
	const size_t huge = (size_t)2 << 20;
	size_t len = ((sz + huge - 1) & ~(huge - 1)) + huge;   /* room to align */
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *mem = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(huge - 1));
	(void)madvise(mem, len - (size_t)(mem - (uint8_t *)p), MADV_HUGEPAGE);
	sm->map = p;
	sm->len = len;
	return mem;
}

static void sess_mem_free(struct fl_sess_mem *sm, void *mem)
{
	if (!mem)
		return;
	if (sm->len)
		munmap(sm->map, sm->len);
	else
		rte_free(mem);
	sm->map = NULL;
	sm->len = 0;
}

int fl_worker_state_init(struct fl_worker *w, char *err, size_t errlen)
{
	uint32_t cap = fl_dp.conf.sessions_per_worker ? fl_dp.conf.sessions_per_worker : 65536;
	uint32_t cap6 = fl_dp.conf.sessions6_per_worker ? fl_dp.conf.sessions6_per_worker : 65536;
	size_t sz = fl_sess_table_memsize(cap), sz6 = fl_sess6_table_memsize(cap6);
	if (!sz || !sz6) {
		snprintf(err, errlen, "%s %u out of range", sz ? "ipv6SessionsPerWorker" : "sessionsPerWorker",
			 sz ? cap6 : cap);
		return -1;
	}
	int sock = (int)rte_lcore_to_socket_id(w->lcore);
	void *mem = sess_mem_alloc(&w->sess_mem[0], sz, sock);
	void *mem6 = sess_mem_alloc(&w->sess_mem[1], sz6, sock);
	w->sched = rte_zmalloc_socket("fl_sched_refs", sizeof(*w->sched) * FL_MAX_SERVICE_IDS, 64, sock);
	w->rs_hop = rte_zmalloc_socket("fl_rs_hop", sizeof(*w->rs_hop) * FL_MAX_SERVER_IDS, 64, sock);
	if (!mem || !mem6 || !w->sched || !w->rs_hop) {
		sess_mem_free(&w->sess_mem[0], mem);
		sess_mem_free(&w->sess_mem[1], mem6);
		rte_free(w->rs_hop);
		w->rs_hop = NULL;
		rte_free(w->sched);
		w->sched = NULL;
		snprintf(err, errlen, "cannot reserve %zu MB for %u IPv4 and %u IPv6 sessions on worker %u: add hugepages or lower dataplane.sessionsPerWorker or ipv6SessionsPerWorker",
			 (sz + sz6) >> 20, cap, cap6, w->idx);
		return -1;
	}
	w->sess = fl_sess_table_init(mem, cap, (uint32_t)rte_rdtsc(), fl_now_ms());
	w->sess6 = fl_sess6_table_init(mem6, cap6, (uint32_t)rte_rdtsc() * 2654435761u, fl_now_ms());
	w->conns = fl_conns_all + (size_t)w->idx * FL_MAX_SERVER_IDS;
	w->traffic = fl_traffic_all + (size_t)w->idx * FL_MAX_SERVER_IDS;
	w->ctr->sessions_capacity = (uint64_t)cap + cap6;
	fl_redirect_bind(w);
	return 0;
}

void fl_worker_state_free(struct fl_worker *w)
{
	/* The scheduler states it adopted are freed with the snapshots
	 * (publish.c); these are only the references. */
	sess_mem_free(&w->sess_mem[0], w->sess);
	sess_mem_free(&w->sess_mem[1], w->sess6);
	w->sess = NULL;
	w->sess6 = NULL;
	rte_free(w->sched);
	w->sched = NULL;
	rte_free(w->rs_hop);
	w->rs_hop = NULL;
}
