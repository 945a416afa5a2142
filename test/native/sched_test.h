/*
 * What the scheduler C tests share (test/native/sched_*_test.c, one per
 * family as native/sched/ is split): dests, a table plus one worker's state,
 * and a pick with one worker's counts. Standalone: no EAL.
 *
 * Expected values in the tests are worked out by hand from the IPVS sources
 * (net/netfilter/ipvs/ip_vs_*.c) and written into their tables; the tests
 * never derive them from the code under test.
 */
#ifndef FL_TEST_SCHED_H
#define FL_TEST_SCHED_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/sched/sched.h"
#include "tap.h"


#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAXD 128

static uint64_t rng_state __attribute__((unused)) = 0x9e3779b97f4a7c15ull;

static __attribute__((unused)) uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static __attribute__((unused)) void mk_dests(struct fl_sched_dest *d, unsigned n, const int *weights)
{
	memset(d, 0, sizeof(*d) * n);
	for (unsigned i = 0; i < n; i++) {
		d[i].id = 100 + i;
		d[i].addr = htonl(0xac100001u + i); /* 172.16.0.1 + i */
		d[i].port = htons(80);
		d[i].weight = weights[i];
		d[i].last_weight = weights[i];
		d[i].flags = FL_DEST_F_AVAILABLE;
	}
}

/* A scheduler instance: table + one worker's state. */
struct inst {
	struct fl_sched_table *t;
	struct fl_sched_state *st;
};

static __attribute__((unused)) int inst_new(struct inst *in, unsigned kind, unsigned flags,
		    const struct fl_sched_dest *d, unsigned n, uint32_t m)
{
	char err[128];
	in->t = fl_sched_build(kind, flags, d, n, m, err, sizeof(err));
	if (in->t == NULL) {
		fprintf(stderr, "build: %s\n", err);
		return -1;
	}
	in->st = aligned_alloc(64, (fl_sched_state_size(kind, n) + 63) & ~(size_t)63);
	if (in->st == NULL)
		return -1;
	fl_sched_state_init(in->st, in->t, d, n, NULL);
	return 0;
}

static __attribute__((unused)) void inst_free(struct inst *in)
{
	fl_sched_table_free(in->t);
	free(in->st);
	in->t = NULL;
	in->st = NULL;
}

static __attribute__((unused)) int pick(struct inst *in, const struct fl_sched_dest *d, unsigned n,
		const struct fl_sched_conns *c, uint32_t saddr, uint32_t daddr, uint16_t sport)
{
	struct fl_sched_conns_view cv = { c, 1, n, NULL };
	return fl_sched_pick(in->t, in->st, d, n, c ? &cv : NULL, saddr, daddr, sport,
			     htons(80), IPPROTO_TCP);
}

#endif
