/*
 * Micro-benchmark (not a test): ns per session lookup, single vs bulk, on a
 * table of 1M sessions (2M index entries), keys in random order so the
 * table does not fit in cache; for each address family's table (IPv4's
 * 64-byte records, IPv6's 128-byte ones), with the memory each takes per
 * session.
 *
 *   cc -O2 $(pkg-config --cflags libdpdk) -o /tmp/session_bench \
 *      test/bench/session_bench.c native/session/session.c \
 *      native/session/tcp_state.c $(pkg-config --libs libdpdk)
 *   /tmp/session_bench [capacity] [burst]   (add native/session/session6.c)
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../native/session/session6.h"

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

/* One family's run: fill `cap` sessions with random client keys, shuffle
 * both keys of each, then time single and bulk lookups over all of them.
 * FAM: the table's name prefix (fl_sess, fl_sess6); MAKE_IN(r, i) and
 * MAKE_OUT(i) build its keys. */
#define BENCH_FAMILY(NAME, FAM, KEY, REC, MAKE_IN, MAKE_OUT)                                            \
	static int NAME(uint32_t cap, unsigned burst)                                                  \
	{                                                                                              \
		size_t size = FAM##_table_memsize(cap);                                                \
		void *mem = aligned_alloc(64, (size + 63) & ~(size_t)63);                              \
		struct FAM##_table *t = mem ? FAM##_table_init(mem, cap, 12345, 0) : NULL;             \
		KEY *keys = malloc(sizeof(*keys) * 2 * (size_t)cap);                                   \
		uint32_t n = 0;                                                                        \
		size_t found = 0;                                                                      \
		double t0, single_ns, bulk_ns;                                                         \
		if (t == NULL || keys == NULL) {                                                       \
			fprintf(stderr, "setup failed\n");                                             \
			return 1;                                                                      \
		}                                                                                      \
		for (uint32_t i = 0; i < cap; i++) {                                                   \
			uint64_t r = rnd();                                                            \
			KEY in = MAKE_IN(r, i), out = MAKE_OUT(i);                                     \
			if (FAM##_add(t, &in, &out, 0, 900000) == NULL)                                \
				continue;                                                              \
			keys[n++] = in;                                                                \
			keys[n++] = out;                                                               \
		}                                                                                      \
		for (uint32_t i = n - 1; i > 0; i--) {                                                 \
			uint32_t j = (uint32_t)(rnd() % (i + 1));                                      \
			KEY k = keys[i];                                                               \
			keys[i] = keys[j];                                                             \
			keys[j] = k;                                                                   \
		}                                                                                      \
		printf("%s: %u sessions, %u keys, %.1f MB, %.2f bytes/session\n", #NAME,              \
		       FAM##_count(t), n, size / 1048576.0, FAM##_bytes_per_session(cap));             \
		t0 = now_ns();                                                                         \
		for (uint32_t i = 0; i < n; i++) {                                                     \
			uint8_t d;                                                                     \
			found += FAM##_lookup(t, &keys[i], &d) != NULL;                                \
		}                                                                                      \
		single_ns = (now_ns() - t0) / n;                                                       \
		t0 = now_ns();                                                                         \
		for (uint32_t i = 0; i + burst <= n; i += burst) {                                     \
			const KEY *kp[FL_SESS_BULK_MAX];                                               \
			REC *res[FL_SESS_BULK_MAX];                                                    \
			uint8_t dir[FL_SESS_BULK_MAX];                                                 \
			for (unsigned j = 0; j < burst; j++)                                           \
				kp[j] = &keys[i + j];                                                  \
			FAM##_lookup_bulk(t, kp, burst, res, dir);                                     \
			for (unsigned j = 0; j < burst; j++)                                           \
				found += res[j] != NULL;                                               \
		}                                                                                      \
		bulk_ns = (now_ns() - t0) / (n - n % burst);                                           \
		printf("%s single: %.1f ns/lookup\n%s bulk(%u): %.1f ns/lookup\n(found %zu of %u)\n", \
		       #NAME, single_ns, #NAME, burst, bulk_ns, found, 2 * n);                        \
		free(keys);                                                                            \
		free(mem);                                                                             \
		return found == 2 * (size_t)n ? 0 : 1;                                                 \
	}

#define IN4(r, i) fl_flow_key_make((uint32_t)(r), htonl(0xc6336401u), (uint16_t)((r) >> 32), htons(80), IPPROTO_TCP)
#define OUT4(i)                                                                                 \
	fl_flow_key_make(htonl(0xac100001u + ((i) & 63)), htonl(0xc0a80000u + ((i) >> 16)), htons(80), \
			 htons((uint16_t)(i)), IPPROTO_TCP)
BENCH_FAMILY(ipv4, fl_sess, struct fl_flow_key, struct fl_session, IN4, OUT4)

/* 2001:2:<16 random bits>::<48 random bits> -> one VIP; LIPs 2001:2:1::<n>. */
static struct fl_flow_key6 in6(uint64_t r)
{
	struct fl_ip6 c = { .b = { 0x20, 0x01, 0x00, 0x02, (uint8_t)(r >> 56), (uint8_t)(r >> 48) } };
	struct fl_ip6 v = { .b = { 0x20, 0x01, 0x00, 0x02, [15] = 0x64 } };
	for (unsigned i = 0; i < 6; i++)
		c.b[10 + i] = (uint8_t)(r >> (8 * i));
	return fl_flow_key6_make(&c, &v, (uint16_t)(r >> 40), htons(80), IPPROTO_TCP);
}
static struct fl_flow_key6 out6(uint32_t i)
{
	struct fl_ip6 rs = { .b = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x02, [15] = (uint8_t)(1 + (i & 63)) } };
	struct fl_ip6 l = { .b = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x01, [14] = (uint8_t)(i >> 24), [15] = (uint8_t)(i >> 16) } };
	return fl_flow_key6_make(&rs, &l, htons(80), htons((uint16_t)i), IPPROTO_TCP);
}
#define IN6(r, i) in6(r)
#define OUT6(i) out6(i)
BENCH_FAMILY(ipv6, fl_sess6, struct fl_flow_key6, struct fl_session6, IN6, OUT6)

int main(int argc, char **argv)
{
	uint32_t cap = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1u << 20;
	unsigned burst = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 32;
	if (burst == 0 || burst > FL_SESS_BULK_MAX) {
		fprintf(stderr, "burst must be 1..%u\n", FL_SESS_BULK_MAX);
		return 1;
	}
	int rc = ipv4(cap, burst);
	rc |= ipv6(cap, burst);
	printf("bytes/session: IPv4 %.2f, IPv6 %.2f (ratio %.2f)\n", fl_sess_bytes_per_session(cap),
	       fl_sess6_bytes_per_session(cap), fl_sess6_bytes_per_session(cap) / fl_sess_bytes_per_session(cap));
	return rc;
}
