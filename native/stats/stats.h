/* Per-lcore counters: each block is written by exactly one thread with plain
 * stores and read (summed) by the control thread, so no shared cache line is
 * written on the packet path. */
#ifndef FL_STATS_H
#define FL_STATS_H

#include <rte_common.h>
#include "fulcrum.h"

struct fl_counters_slot {
	struct fl_worker_counters c;
} __rte_cache_aligned;

/* [0..n_workers-1] workers, [n_workers] the service thread. */
extern struct fl_counters_slot fl_counters[FL_MAX_WORKERS + 1];

static inline void fl_drop(struct fl_worker_counters *c, enum fl_drop why)
{
	c->drops[why]++;
}

void fl_stats_reset(void);

#endif
