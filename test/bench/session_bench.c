/*
 * Micro-benchmark (not a test): ns per session lookup, single vs bulk, on a
 * table of 1M sessions (2M index entries), keys in random order so the
 * table does not fit in cache.
 *
 *   cc -O2 $(pkg-config --cflags libdpdk) -o /tmp/session_bench \
 *      test/bench/session_bench.c native/session/session.c \
 *      native/session/tcp_state.c $(pkg-config --libs libdpdk)
 *   /tmp/session_bench [capacity] [burst]
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../native/session/session.h"

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
	uint32_t cap = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1u << 20;
	unsigned burst = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 32;
	size_t size = fl_sess_table_memsize(cap);
	void *mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	struct fl_sess_table *t = mem ? fl_sess_table_init(mem, cap, 12345, 0) : NULL;
	struct fl_flow_key *keys = malloc(sizeof(*keys) * 2 * (size_t)cap);
	uint32_t n = 0;
	size_t found = 0;
	double t0, single_ns, bulk_ns;

	if (t == NULL || keys == NULL || burst == 0 || burst > FL_SESS_BULK_MAX) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	for (uint32_t i = 0; i < cap; i++) {
		uint64_t r = rnd();
		struct fl_flow_key in = fl_flow_key_make((uint32_t)r, htonl(0xc6336401u),
							 (uint16_t)(r >> 32), htons(80), IPPROTO_TCP);
		struct fl_flow_key out = fl_flow_key_make(htonl(0xac100001u + (i & 63)),
							  htonl(0xc0a80000u + (i >> 16)), htons(80),
							  htons((uint16_t)i), IPPROTO_TCP);
		if (fl_sess_add(t, &in, &out, 0, 900000) == NULL)
			continue;
		keys[n++] = in;
		keys[n++] = out;
	}
	/* shuffle so consecutive lookups touch unrelated cache lines */
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rnd() % (i + 1));
		struct fl_flow_key k = keys[i];
		keys[i] = keys[j];
		keys[j] = k;
	}
	printf("%u sessions, %u keys, %.1f MB, %.2f bytes/session\n", fl_sess_count(t), n,
	       size / 1048576.0, fl_sess_bytes_per_session(cap));

	t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		uint8_t d;
		found += fl_sess_lookup(t, &keys[i], &d) != NULL;
	}
	single_ns = (now_ns() - t0) / n;

	t0 = now_ns();
	for (uint32_t i = 0; i + burst <= n; i += burst) {
		const struct fl_flow_key *kp[FL_SESS_BULK_MAX];
		struct fl_session *res[FL_SESS_BULK_MAX];
		uint8_t dir[FL_SESS_BULK_MAX];
		for (unsigned j = 0; j < burst; j++)
			kp[j] = &keys[i + j];
		fl_sess_lookup_bulk(t, kp, burst, res, dir);
		for (unsigned j = 0; j < burst; j++)
			found += res[j] != NULL;
	}
	bulk_ns = (now_ns() - t0) / (n - n % burst);

	printf("single: %.1f ns/lookup\nbulk(%u): %.1f ns/lookup\n(found %zu)\n", single_ns, burst,
	       bulk_ns, found);
	free(keys);
	free(mem);
	return 0;
}
