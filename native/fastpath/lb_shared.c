/* State the workers share: connection counts and traffic per real server
 * (one row per worker, written by its worker only), and the persistence
 * templates. Allocated and freed by the control thread. */
#include <stdio.h>

#include <rte_malloc.h>

#include "lb.h"
#include "../session/persist.h"

struct fl_sched_conns *fl_conns_all;
struct fl_server_traffic *fl_traffic_all;
struct fl_tpl_table *fl_tpl_tbl;
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

int fl_lb_shared_init(unsigned n_workers, char *err, size_t errlen)
{
	fl_conns_all = rte_zmalloc("fl_conns", sizeof(*fl_conns_all) * FL_MAX_SERVER_IDS * n_workers, RTE_CACHE_LINE_SIZE);
	fl_traffic_all = rte_zmalloc("fl_traffic", sizeof(*fl_traffic_all) * FL_MAX_SERVER_IDS * n_workers, RTE_CACHE_LINE_SIZE);
	if (!fl_conns_all || !fl_traffic_all) {
		snprintf(err, errlen, "cannot allocate connection counters");
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
	return 0;
}

void fl_lb_shared_free(void)
{
	rte_free(fl_conns_all);
	fl_conns_all = NULL;
	rte_free(fl_traffic_all);
	fl_traffic_all = NULL;
	rte_free(fl_tpl_tbl);
	fl_tpl_tbl = NULL;
}
