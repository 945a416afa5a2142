/* Dataplane lifecycle: start ports, the service thread and the workers; stop
 * them in reverse order. Runs on the control thread only. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dp.h"
#include "neigh.h"
#include "lb.h"
#include "lport.h"
#include "steering.h"
#include "../tcp/tcpx.h"
#include "../sync/sync.h"

struct fl_dp_state fl_dp;
unsigned fl_dp_n_workers;
static bool dp_started;

int fl_worker_main(void *arg);

static int check_conf(const struct fl_dp_conf *c, char *err, size_t errlen)
{
	if (c->n_workers == 0 || c->n_workers > FL_MAX_WORKERS) {
		snprintf(err, errlen, "need 1..%d workers, got %u", FL_MAX_WORKERS, c->n_workers);
		return -1;
	}
	if (c->n_ports == 0 || c->n_ports > FL_MAX_PORTS) {
		snprintf(err, errlen, "need 1..%d ports, got %u", FL_MAX_PORTS, c->n_ports);
		return -1;
	}
	for (unsigned i = 0; i < c->n_workers; i++) {
		unsigned lc = c->worker_lcores[i];
		if (lc >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lc)) {
			snprintf(err, errlen, "worker lcore %u is not enabled in the EAL lcore set", lc);
			return -1;
		}
		if (lc == rte_get_main_lcore()) {
			snprintf(err, errlen, "worker lcore %u is the main (control) lcore", lc);
			return -1;
		}
		for (unsigned j = 0; j < i; j++)
			if (c->worker_lcores[j] == lc) {
				snprintf(err, errlen, "worker lcore %u listed twice", lc);
				return -1;
			}
	}
	return 0;
}

int fl_dp_start(const struct fl_dp_conf *conf, char *err, size_t errlen)
{
	if (dp_started) {
		snprintf(err, errlen, "dataplane already started");
		return -1;
	}
	if (check_conf(conf, err, errlen))
		return -1;
	memset(&fl_dp, 0, sizeof(fl_dp));
	fl_dp.conf = *conf;
	if (!fl_dp.conf.burst || fl_dp.conf.burst > FL_MAX_BURST)
		fl_dp.conf.burst = 32;
	if (!fl_dp.conf.rx_desc)
		fl_dp.conf.rx_desc = 1024;
	if (!fl_dp.conf.tx_desc)
		fl_dp.conf.tx_desc = 1024;
	if (!fl_dp.conf.tx_drain_us)
		fl_dp.conf.tx_drain_us = 100;
	if (!fl_dp.conf.neigh_timeout_s)
		fl_dp.conf.neigh_timeout_s = 300;
	fl_dp.tsc_hz = rte_get_tsc_hz();
	fl_dp.tsc_per_ms = fl_dp.tsc_hz / 1000;
	fl_dp.worker_mod = UINT64_MAX / conf->n_workers + 1;   /* 0 for one worker: x % 1 = 0 */
	fl_dp.drain_tsc = fl_dp.tsc_hz / 1000000 * fl_dp.conf.tx_drain_us;
	fl_dp.idle_spin_tsc = fl_dp.tsc_hz / 1000000 * FL_IDLE_SPIN_US;
	{
		/* The workers' clock is the TSC; timestamps the director owns
		 * follow the wall clock, which a restarted (or another) director
		 * continues. */
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		uint64_t wall_ms = (uint64_t)rt.tv_sec * 1000 + (uint64_t)rt.tv_nsec / 1000000;
		fl_dp.wall_off_ms = wall_ms - fl_now_ms();
	}
	fl_stats_reset();

	if (fl_rcu_init(conf->n_workers + 1, err, errlen))
		goto fail;
	if (fl_ports_open(&fl_dp.conf, err, errlen))
		goto fail;
	fl_dp.workers = rte_zmalloc("fl_workers", sizeof(struct fl_worker) * conf->n_workers, RTE_CACHE_LINE_SIZE);
	if (!fl_dp.workers) {
		snprintf(err, errlen, "cannot allocate worker state");
		goto fail;
	}
	for (unsigned i = 0; i < conf->n_workers; i++) {
		struct fl_worker *w = &fl_dp.workers[i];
		w->idx = i;
		w->lcore = conf->worker_lcores[i];
		w->ctr = &fl_counters[i].c;
	}
	if (fl_lb_shared_init(conf->n_workers, err, errlen) || fl_redirect_init(conf->n_workers, err, errlen) ||
	    fl_sync_init(conf->n_workers, err, errlen))
		goto fail;
	/* SYN cookies: a key of this run, so cookies cannot be precomputed. */
	fl_syncookie_set_secret(rte_rand(), rte_rand());
	for (unsigned i = 0; i < conf->n_workers; i++)
		if (fl_worker_state_init(&fl_dp.workers[i], err, errlen))
			goto fail;
	fl_dp_n_workers = conf->n_workers;
	if (fl_service_start(err, errlen))
		goto fail;
	fl_dp.running = true;
	for (unsigned i = 0; i < conf->n_workers && !conf->no_launch; i++) {
		if (rte_eal_remote_launch(fl_worker_main, &fl_dp.workers[i], conf->worker_lcores[i]) != 0) {
			snprintf(err, errlen, "cannot launch worker on lcore %u (busy?)", conf->worker_lcores[i]);
			goto fail;
		}
	}
	dp_started = true;
	return 0;
fail:
	dp_started = true;   /* let stop() unwind whatever was set up */
	fl_dp_stop();
	return -1;
}

void fl_dp_stop(void)
{
	if (!dp_started)
		return;
	fl_dp.running = false;
	rte_eal_mp_wait_lcore();
	fl_service_stop();
	fl_ports_close();
	fl_publish_teardown();
	if (fl_dp.workers)
		for (unsigned i = 0; i < fl_dp.conf.n_workers; i++)
			fl_worker_state_free(&fl_dp.workers[i]);
	fl_redirect_free();
	fl_sync_free();
	fl_lb_shared_free();
	fl_lips_teardown();
	rte_free(fl_dp.workers);
	fl_dp.workers = NULL;
	fl_dp_n_workers = 0;
	dp_started = false;
}

unsigned fl_worker_count(void)
{
	return fl_dp_n_workers;
}

unsigned fl_worker_lcore(unsigned idx)
{
	return idx < fl_dp_n_workers ? fl_dp.workers[idx].lcore : UINT32_MAX;
}
