/*
 * Micro-benchmark (not a test): ns per fl_sched_pick() for every scheduler
 * with 10 and 1000 dests (random sources, random per-dest counts), and the
 * Maglev build time for 1000 dests at M = 65537.
 *
 *   cc -O2 $(pkg-config --cflags libdpdk) -o /tmp/sched_bench \
 *      test/bench/sched_bench.c native/sched/sched.c $(pkg-config --libs libdpdk)
 *   /tmp/sched_bench [picks]
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../native/sched/sched.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	unsigned picks = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
	static const unsigned sizes[] = { 10, 1000 };
	char err[128];
	volatile long sink = 0;

	printf("%-6s %10s %10s\n", "sched", "ns/pick@10", "ns/pick@1000");
	for (unsigned kind = 0; kind < FL_SCHED_KIND_COUNT; kind++) {
		double ns[2];
		for (unsigned s = 0; s < 2; s++) {
			unsigned n = sizes[s];
			struct fl_sched_dest *d = calloc(n, sizeof(*d));
			struct fl_sched_conns *c = calloc(n, sizeof(*c));
			for (unsigned i = 0; i < n; i++) {
				d[i].id = i;
				d[i].addr = htonl(0x0a000000u + i);
				d[i].port = htons(80);
				d[i].weight = 1 + (int)(rnd() % 100);
				d[i].flags = FL_DEST_F_AVAILABLE;
				c[i].active = (uint32_t)(rnd() % 1000);
				c[i].inactive = (uint32_t)(rnd() % 1000);
			}
			struct fl_sched_table *t = fl_sched_build(kind, 0, d, n, 0, err, sizeof(err));
			if (t == NULL) {
				fprintf(stderr, "%s: %s\n", fl_sched_name(kind), err);
				return 1;
			}
			struct fl_sched_state *st = malloc(fl_sched_state_size(kind, n));
			fl_sched_state_init(st, t, d, n, NULL);
			struct fl_sched_conns_view cv = { c, 1, n };
			uint32_t *src = malloc(sizeof(uint32_t) * 4096);
			for (unsigned i = 0; i < 4096; i++)
				src[i] = (uint32_t)rnd();
			double t0 = now_ns();
			for (unsigned k = 0; k < picks; k++)
				sink += fl_sched_pick(t, st, d, n, &cv, src[k & 4095],
						      src[(k * 7) & 4095], (uint16_t)k, htons(80),
						      IPPROTO_TCP);
			ns[s] = (now_ns() - t0) / picks;
			free(src);
			free(st);
			fl_sched_table_free(t);
			free(d);
			free(c);
		}
		printf("%-6s %10.1f %10.1f\n", fl_sched_name(kind), ns[0], ns[1]);
	}

	/* Maglev build, 1000 dests, M = 65537 */
	unsigned n = 1000;
	struct fl_sched_dest *d = calloc(n, sizeof(*d));
	for (unsigned i = 0; i < n; i++) {
		d[i].id = i;
		d[i].addr = htonl(0x0a000000u + i);
		d[i].port = htons(80);
		d[i].weight = 1 + (int)(rnd() % 100);
		d[i].flags = FL_DEST_F_AVAILABLE;
	}
	const int reps = 10;
	double t0 = now_ns();
	for (int r = 0; r < reps; r++) {
		struct fl_sched_table *t = fl_sched_build(FL_SCHED_MH, 0, d, n, 65537, err, sizeof(err));
		sink += t != NULL;
		fl_sched_table_free(t);
	}
	printf("mh build: 1000 dests, M=65537: %.2f ms\n", (now_ns() - t0) / reps / 1e6);
	free(d);
	return sink == 0;
}
