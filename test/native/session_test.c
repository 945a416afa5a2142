/*
 * Unit tests for native/session (session table, timer wheel, IPVS TCP
 * states). Standalone: no EAL. Prints TAP-style lines, one per case:
 *   ok N - name
 *   not ok N - name: reason
 * and exits non-zero if any case failed. Run via test/native/session.test.ts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/session/session.h"
#include "tap.h"

/* detail for cases that clean up before failing (goto out) */
static char why[256];


/* ---------- helpers ---------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

struct table_mem {
	void *mem;
	struct fl_sess_table *t;
};

static struct fl_sess_table *table_new(struct table_mem *tm, uint32_t cap, uint64_t now)
{
	size_t size = fl_sess_table_memsize(cap);
	tm->mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	if (tm->mem == NULL)
		return NULL;
	/* dirty memory: init must not rely on zeroed pages */
	memset(tm->mem, 0xa5, size);
	tm->t = fl_sess_table_init(tm->mem, cap, 0x1234567u, now);
	return tm->t;
}

static void table_free(struct table_mem *tm)
{
	free(tm->mem);
	tm->mem = NULL;
	tm->t = NULL;
}

/* Session i's inbound key: CIP 10.x.y.z unique per i. */
static struct fl_flow_key in_key(uint32_t i)
{
	return fl_flow_key_make(htonl(0x0a000000u + i), htonl(0xc6336401u + (i % 7)),
				htons((uint16_t)(1024 + i % 60000)), htons(80), IPPROTO_TCP);
}

/* Session i's outbound key: LIP 192.168.x.y unique per i; RIP from 172.16/12,
 * so it never equals an inbound key. */
static struct fl_flow_key out_key(uint32_t i)
{
	return fl_flow_key_make(htonl(0xac100000u + (i % 13)), htonl(0xc0a80000u + i),
				htons(8080), htons((uint16_t)(5000 + i % 50000)), IPPROTO_TCP);
}

static struct fl_flow_key miss_key(uint32_t i)
{
	return fl_flow_key_make(htonl(0x0b000000u + i), htonl(0xc6336401u),
				htons((uint16_t)(1024 + i % 60000)), htons(80), IPPROTO_TCP);
}

static struct fl_flow_key random_key(void)
{
	uint64_t r = rnd();
	return fl_flow_key_make((uint32_t)r, (uint32_t)(r >> 32), (uint16_t)rnd(),
				(uint16_t)rnd(), (rnd() & 1) ? IPPROTO_TCP : IPPROTO_UDP);
}

/* ---------- cases ---------- */

static const char *test_key_layout(void)
{
	struct fl_flow_key k = fl_flow_key_make(1, 2, 3, 4, 6);
	static const uint8_t zero[3];

	CHECK(sizeof(k) == 16, "key is %zu bytes", sizeof(k));
	CHECK(memcmp(k.pad, zero, 3) == 0, "pad not zeroed");
	CHECK(sizeof(struct fl_session) == 64, "session is %zu bytes", sizeof(struct fl_session));
	return NULL;
}

static const char *test_init_rejects_bad_args(void)
{
	void *mem = aligned_alloc(64, fl_sess_table_memsize(64) + 64);

	CHECK(fl_sess_table_memsize(0) == 0, "memsize(0) != 0");
	CHECK(fl_sess_table_init(mem, 0, 1, 0) == NULL, "capacity 0 accepted");
	CHECK(fl_sess_table_init((uint8_t *)mem + 8, 64, 1, 0) == NULL, "misaligned accepted");
	CHECK(fl_sess_table_init(NULL, 64, 1, 0) == NULL, "NULL accepted");
	CHECK(fl_sess_table_init(mem, 64, 1, 0) != NULL, "valid init failed");
	free(mem);
	return NULL;
}

static const char *test_add_lookup_both_directions(void)
{
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, 1024, 0);
	struct fl_flow_key in = in_key(1), out = out_key(1), dr_in = in_key(2), dr_out = out_key(2);
	struct fl_flow_key k;
	struct fl_session *s, *dr, *got;
	uint8_t dir = 0xff;
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	s = fl_sess_add(t, &in, &out, 1000, 5000);
	dr = fl_sess_add(t, &dr_in, NULL, 1000, 5000);
	if (s == NULL || dr == NULL) { err = "add failed"; goto out; }
	s->server_id = 7;
	s->service_id = 3;

	got = fl_sess_lookup(t, &in, &dir);
	if (got != s || dir != FL_DIR_IN) { err = "inbound lookup"; goto out; }
	got = fl_sess_lookup(t, &out, &dir);
	if (got != s || dir != FL_DIR_OUT) { err = "outbound lookup"; goto out; }
	got = fl_sess_lookup(t, &dr_in, &dir);
	if (got != dr || dir != FL_DIR_IN) { err = "DR inbound lookup"; goto out; }
	if (fl_sess_lookup(t, &dr_out, &dir) != NULL) { err = "DR has an outbound key"; goto out; }
	if (!(dr->flags & FL_SESS_F_INPUT_ONLY) || (s->flags & FL_SESS_F_INPUT_ONLY)) {
		err = "INPUT_ONLY flag wrong"; goto out;
	}
	if (fl_sess_out_key(dr, &k) != -1) { err = "DR out key rebuilt"; goto out; }
	fl_sess_in_key(s, &k);
	if (memcmp(&k, &in, sizeof(k)) != 0) { err = "in key not rebuilt"; goto out; }
	if (fl_sess_out_key(s, &k) != 0 || memcmp(&k, &out, sizeof(k)) != 0) {
		err = "out key not rebuilt"; goto out;
	}
	if (s->state != FL_TCP_S_NONE || s->deadline_ms != 6000 || s->server_id != 7) {
		err = "fields wrong"; goto out;
	}
	/* same tuple, other protocol: a different flow */
	k = in;
	k.proto = IPPROTO_UDP;
	if (fl_sess_lookup(t, &k, &dir) != NULL) { err = "proto ignored in compare"; goto out; }
	if (fl_sess_count(t) != 2 || fl_sess_capacity(t) != 1024) { err = "count/capacity"; goto out; }
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

static const char *test_lookup_bulk_matches_single(void)
{
	enum { N_SESS = 10000, N_QUERY = 10000 };
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, 16384, 0);
	static struct fl_flow_key q[N_QUERY];
	unsigned hits = 0, misses = 0;

	CHECK(t != NULL, "init failed");
	for (uint32_t i = 0; i < N_SESS; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		if (fl_sess_add(t, &a, (i % 4 == 3) ? NULL : &b, 0, 1000) == NULL) {
			table_free(&tm);
			CHECK(0, "add %u failed", i);
		}
	}
	/* a mix of inbound hits, outbound hits (some absent: DR), misses and
	 * random garbage */
	for (uint32_t i = 0; i < N_QUERY; i++) {
		uint32_t j = (uint32_t)(rnd() % N_SESS);
		switch (rnd() % 4) {
		case 0: q[i] = in_key(j); break;
		case 1: q[i] = out_key(j); break;
		case 2: q[i] = miss_key(j); break;
		default: q[i] = random_key(); break;
		}
	}
	for (uint32_t i = 0; i < N_QUERY;) {
		unsigned n = 1 + (unsigned)(rnd() % FL_SESS_BULK_MAX);
		const struct fl_flow_key *kp[FL_SESS_BULK_MAX];
		struct fl_session *res[FL_SESS_BULK_MAX];
		uint8_t dirs[FL_SESS_BULK_MAX];

		if (n > N_QUERY - i)
			n = N_QUERY - i;
		for (unsigned j = 0; j < n; j++)
			kp[j] = &q[i + j];
		fl_sess_lookup_bulk(t, kp, n, res, dirs);
		for (unsigned j = 0; j < n; j++) {
			uint8_t d = 0xff;
			struct fl_session *s = fl_sess_lookup(t, kp[j], &d);
			if (s != res[j] || (s != NULL && d != dirs[j])) {
				table_free(&tm);
				CHECK(0, "query %u: bulk %p/%u single %p/%u", i + j,
				      (void *)res[j], dirs[j], (void *)s, d);
			}
			if (s) hits++; else misses++;
		}
		i += n;
	}
	table_free(&tm);
	CHECK(hits > 3000 && misses > 3000, "unbalanced mix: %u hits %u misses", hits, misses);
	return NULL;
}

static const char *test_fill_to_capacity(void)
{
	const uint32_t cap = 200000;
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, cap, 0);
	uint32_t added = 0;
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	for (uint32_t i = 0; i < cap + 1000; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		if (fl_sess_add(t, &a, &b, 0, 1000) == NULL)
			break;
		added++;
	}
	if (added < cap * 9 / 10) {
		snprintf(why, sizeof(why), "first failure at %u of %u", added, cap);
		err = why;
		goto out;
	}
	printf("# fill: first refused add at %u of %u (%.1f%%)\n", added, cap,
	       100.0 * added / cap);
	if (fl_sess_count(t) != added) { err = "count mismatch"; goto out; }
	{
		struct fl_flow_key a = in_key(cap + 5000), b = out_key(cap + 5000);
		if (added == cap && fl_sess_add(t, &a, &b, 0, 1000) != NULL) {
			err = "add beyond capacity succeeded"; goto out;
		}
	}
	for (uint32_t i = 0; i < added; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		uint8_t d1 = 0xff, d2 = 0xff;
		struct fl_session *s1 = fl_sess_lookup(t, &a, &d1);
		struct fl_session *s2 = fl_sess_lookup(t, &b, &d2);
		if (s1 == NULL || s1 != s2 || d1 != FL_DIR_IN || d2 != FL_DIR_OUT) {
			snprintf(why, sizeof(why), "session %u lost when full", i);
			err = why;
			goto out;
		}
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

static const char *test_delete_frees(void)
{
	const uint32_t cap = 1000;
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, cap, 0);
	struct fl_session *s[1000];
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	for (uint32_t i = 0; i < cap; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		s[i] = fl_sess_add(t, &a, (i & 1) ? &b : NULL, 0, 1000);
		if (s[i] == NULL) { err = "fill failed"; goto out; }
	}
	{
		struct fl_flow_key a = in_key(cap), b = out_key(cap);
		if (fl_sess_add(t, &a, &b, 0, 1000) != NULL) { err = "over capacity"; goto out; }
	}
	for (uint32_t i = 0; i < cap; i += 2)
		fl_sess_del(t, s[i]);
	fl_sess_del(t, s[1]);
	if (fl_sess_count(t) != cap / 2 - 1) { err = "count after delete"; goto out; }
	for (uint32_t i = 0; i < cap; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		int live = (i & 1) && i != 1;
		if ((fl_sess_lookup(t, &a, NULL) != NULL) != live ||
		    (fl_sess_lookup(t, &b, NULL) != NULL) != live) {
			snprintf(why, sizeof(why), "session %u live=%d mismatch", i, live);
			err = why;
			goto out;
		}
	}
	/* LIFO: the record freed last comes back first (it is cache-hot) */
	{
		struct fl_flow_key a = in_key(cap + 1);
		struct fl_session *n = fl_sess_add(t, &a, NULL, 0, 1000);
		if (n != s[1]) { err = "free list is not LIFO"; goto out; }
	}
	/* every freed record is reusable (inbound-only keys, so the index,
	 * not the free list, cannot be what limits the dense variant) */
	for (uint32_t i = cap + 2; fl_sess_count(t) < cap; i++) {
		struct fl_flow_key a = in_key(i);
		if (fl_sess_add(t, &a, NULL, 0, 1000) == NULL) { err = "refill failed"; goto out; }
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

struct expire_log {
	unsigned calls;
	unsigned bad;          /* callback saw a session not yet due */
	uint64_t now;
};

static void on_expire(struct fl_session *s, void *arg)
{
	struct expire_log *log = arg;
	log->calls++;
	if (s->deadline_ms > log->now || !(s->flags & FL_SESS_F_USED))
		log->bad++;
}

static const char *test_expiry_budget_and_refresh(void)
{
	const uint32_t n = 3000;
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, 4096, 0);
	struct fl_session *s[3000];
	struct expire_log log = { 0, 0, 0 };
	const unsigned budget = 100;
	unsigned total = 0;
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	for (uint32_t i = 0; i < n; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		s[i] = fl_sess_add(t, &a, &b, 0, 5000);   /* due at 5 s */
		if (s[i] == NULL) { err = "add failed"; goto out; }
	}
	/* at 4 s, every third session sees a packet and lives 100 s more */
	log.now = 4000;
	if (fl_sess_expire(t, 4000, 1000000, on_expire, &log) != 0) { err = "expired early"; goto out; }
	for (uint32_t i = 0; i < n; i += 3)
		fl_sess_refresh(t, s[i], 4000, 100000);

	log.now = 10000;
	for (int guard = 0; guard < 1000; guard++) {
		unsigned e = fl_sess_expire(t, 10000, budget, on_expire, &log);
		if (e > budget) { err = "budget exceeded"; goto out; }
		total += e;
		if (e == 0)
			break;
	}
	if (total != n - n / 3 || log.calls != total || log.bad != 0) {
		snprintf(why, sizeof(why), "expired %u (cb %u, bad %u), want %u",
			 total, log.calls, log.bad, n - n / 3);
		err = why;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		int live = i % 3 == 0;
		if ((fl_sess_lookup(t, &a, NULL) != NULL) != live ||
		    (fl_sess_lookup(t, &b, NULL) != NULL) != live) {
			snprintf(why, sizeof(why), "session %u: live should be %d", i, live);
			err = why;
			goto out;
		}
	}
	/* the refreshed ones are due at 104 s, not before */
	log.now = 103000;
	if (fl_sess_expire(t, 103000, 100000, on_expire, &log) != 0) { err = "refreshed expired early"; goto out; }
	log.now = 105000;
	total = 0;
	for (int guard = 0; guard < 1000; guard++) {
		unsigned e = fl_sess_expire(t, 105000, budget, on_expire, &log);
		if (e > budget) { err = "budget exceeded"; goto out; }
		total += e;
		if (e == 0)
			break;
	}
	if (total != n / 3 || fl_sess_count(t) != 0 || log.bad != 0) {
		snprintf(why, sizeof(why), "second wave expired %u, count %u", total,
			 fl_sess_count(t));
		err = why;
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

/* ESTABLISHED (900 s) then RST -> CLOSE (10 s): the shorter deadline must
 * fire on time even though the record was filed 900 s out. */
static const char *test_expiry_shortened_timeout(void)
{
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, 64, 0);
	struct fl_timeouts to;
	struct fl_flow_key a = in_key(1), b = out_key(1);
	struct fl_session *s;
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	fl_timeouts_default(&to);
	s = fl_sess_add(t, &a, &b, 0, to.tcp_ms[FL_TCP_S_NONE]);
	if (s == NULL) { err = "add failed"; goto out; }
	fl_sess_tcp_update(t, s, FL_DIR_IN, FL_TCPF_SYN, 0, &to);
	fl_sess_tcp_update(t, s, FL_DIR_OUT, FL_TCPF_SYN | FL_TCPF_ACK, 1, &to);
	if (fl_sess_tcp_update(t, s, FL_DIR_IN, FL_TCPF_ACK, 2, &to) != FL_TCP_S_ESTABLISHED) {
		err = "handshake did not establish"; goto out;
	}
	if (s->deadline_ms != 2 + 900000) { err = "ESTABLISHED deadline"; goto out; }
	if (fl_sess_expire(t, 60000, 100, NULL, NULL) != 0) { err = "expired while established"; goto out; }
	if (fl_sess_tcp_update(t, s, FL_DIR_IN, FL_TCPF_RST, 60000, &to) != FL_TCP_S_CLOSE) {
		err = "RST did not close"; goto out;
	}
	if (fl_sess_expire(t, 69000, 100, NULL, NULL) != 0) { err = "CLOSE expired before 10 s"; goto out; }
	if (fl_sess_expire(t, 70000 + 1024, 100, NULL, NULL) != 1) { err = "CLOSE not expired on time"; goto out; }
	/* SYN, SYN-ACK, ACK, RST: packets of both directions are counted. */
	if (s->pkts != 4 || fl_sess_count(t) != 0) { err = "counters/count"; goto out; }
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

/* 24 h timeout: survives many wheel revolutions, expires right after 24 h. */
static const char *test_expiry_24h(void)
{
	const uint64_t day = 24ull * 3600 * 1000;
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, 64, 0);
	struct fl_flow_key a = in_key(1);
	uint64_t now;
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	if (fl_sess_add(t, &a, NULL, 0, (uint32_t)day) == NULL) { err = "add failed"; goto out; }
	for (now = 0; now < day; now += 7000) {
		if (fl_sess_expire(t, now, 16, NULL, NULL) != 0) {
			snprintf(why, sizeof(why), "expired early at %llu ms",
				 (unsigned long long)now);
			err = why;
			goto out;
		}
	}
	/* and after a long pause (no expire calls for > 1 revolution) */
	if (fl_sess_expire(t, day + 3 * 3600 * 1000, 16, NULL, NULL) != 1) {
		err = "not expired after 24 h"; goto out;
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

/* A deadline already behind the wheel (timeout 0, or a late add) is due at
 * the next tick, not one revolution later. */
static const char *test_expiry_past_deadline(void)
{
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, 64, 0);
	struct fl_flow_key a = in_key(1), b = in_key(2);
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	fl_sess_expire(t, 600000, 16, NULL, NULL);      /* wheel now at 600 s */
	if (fl_sess_add(t, &a, NULL, 600000, 0) == NULL ||
	    fl_sess_add(t, &b, NULL, 1000, 0) == NULL) {  /* stale "now" */
		err = "add failed"; goto out;
	}
	if (fl_sess_expire(t, 600000 + 1024, 16, NULL, NULL) != 2) {
		err = "past deadlines not expired at the next tick"; goto out;
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

static const char *test_memory_per_session(void)
{
	const uint32_t cap = 1u << 20;
	double bps = fl_sess_bytes_per_session(cap);
	size_t m = fl_sess_table_memsize(cap);

	CHECK(m > 0, "memsize 0");
	CHECK((double)m / cap == bps, "bytes_per_session disagrees with memsize");
	CHECK(bps <= 160.0, "%.2f bytes/session > 160", bps);
	CHECK(fl_sess_bytes_per_session(1000000) <= 160.0, "1e6: %.2f bytes/session",
	      fl_sess_bytes_per_session(1000000));
	printf("# %u sessions: %zu bytes, %.2f bytes/session\n", cap, m, bps);
	return NULL;
}

static const char *test_tcp_states_ipvs(void)
{
	/* Expected values read from tcp_states[] in Linux
	 * net/netfilter/ipvs/ip_vs_proto_tcp.c. */
	static const struct {
		enum fl_tcp_state cur;
		enum fl_tcp_dir dir;
		uint8_t flags;
		enum fl_tcp_state want;
	} cases[] = {
		{ FL_TCP_S_NONE, FL_TCP_DIR_INPUT, FL_TCPF_SYN, FL_TCP_S_SYN_RECV },
		{ FL_TCP_S_SYN_RECV, FL_TCP_DIR_INPUT, FL_TCPF_ACK, FL_TCP_S_ESTABLISHED },
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_INPUT, FL_TCPF_FIN, FL_TCP_S_CLOSE_WAIT },
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_INPUT, FL_TCPF_RST, FL_TCP_S_CLOSE },
		{ FL_TCP_S_SYN_RECV, FL_TCP_DIR_INPUT, FL_TCPF_RST, FL_TCP_S_SYN_RECV },
		{ FL_TCP_S_NONE, FL_TCP_DIR_INPUT, FL_TCPF_ACK, FL_TCP_S_CLOSE },
		{ FL_TCP_S_LAST_ACK, FL_TCP_DIR_INPUT, FL_TCPF_ACK, FL_TCP_S_CLOSE },
		{ FL_TCP_S_SYNACK, FL_TCP_DIR_INPUT, FL_TCPF_RST, FL_TCP_S_SYN_RECV },
		{ FL_TCP_S_NONE, FL_TCP_DIR_OUTPUT, FL_TCPF_SYN, FL_TCP_S_SYN_SENT },
		{ FL_TCP_S_SYN_RECV, FL_TCP_DIR_OUTPUT, FL_TCPF_SYN | FL_TCPF_ACK, FL_TCP_S_SYN_RECV },
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_OUTPUT, FL_TCPF_FIN, FL_TCP_S_FIN_WAIT },
		{ FL_TCP_S_CLOSE_WAIT, FL_TCP_DIR_OUTPUT, FL_TCPF_FIN, FL_TCP_S_TIME_WAIT },
		{ FL_TCP_S_TIME_WAIT, FL_TCP_DIR_OUTPUT, FL_TCPF_RST, FL_TCP_S_TIME_WAIT },
		{ FL_TCP_S_LISTEN, FL_TCP_DIR_OUTPUT, FL_TCPF_ACK, FL_TCP_S_ESTABLISHED },
		{ FL_TCP_S_SYN_SENT, FL_TCP_DIR_OUTPUT, FL_TCPF_RST, FL_TCP_S_SYN_SENT },
		{ FL_TCP_S_NONE, FL_TCP_DIR_INPUT_ONLY, FL_TCPF_SYN, FL_TCP_S_SYN_RECV },
		{ FL_TCP_S_SYN_RECV, FL_TCP_DIR_INPUT_ONLY, FL_TCPF_ACK, FL_TCP_S_ESTABLISHED },
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_INPUT_ONLY, FL_TCPF_FIN, FL_TCP_S_FIN_WAIT },
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_INPUT_ONLY, FL_TCPF_RST, FL_TCP_S_CLOSE },
		{ FL_TCP_S_SYNACK, FL_TCP_DIR_INPUT_ONLY, FL_TCPF_RST, FL_TCP_S_CLOSE },
		{ FL_TCP_S_FIN_WAIT, FL_TCP_DIR_INPUT_ONLY, FL_TCPF_FIN, FL_TCP_S_FIN_WAIT },
		/* priority rst > syn > fin > ack */
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_INPUT, FL_TCPF_SYN | FL_TCPF_RST, FL_TCP_S_CLOSE },
		{ FL_TCP_S_NONE, FL_TCP_DIR_INPUT, FL_TCPF_SYN | FL_TCPF_FIN, FL_TCP_S_SYN_RECV },
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_INPUT, FL_TCPF_FIN | FL_TCPF_ACK, FL_TCP_S_CLOSE_WAIT },
		/* no flag IPVS knows: CLOSE */
		{ FL_TCP_S_ESTABLISHED, FL_TCP_DIR_INPUT, 0x08 /* PSH */, FL_TCP_S_CLOSE },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum fl_tcp_state got = fl_tcp_next_state(cases[i].cur, cases[i].dir, cases[i].flags);
		CHECK(got == cases[i].want, "case %u: %s dir %d flags 0x%02x -> %s, want %s", i,
		      fl_tcp_state_name(cases[i].cur), cases[i].dir, cases[i].flags,
		      fl_tcp_state_name(got), fl_tcp_state_name(cases[i].want));
	}
	return NULL;
}

/* A NAT connection through both directions, close included. */
static const char *test_tcp_session_lifecycle(void)
{
	static const struct { uint8_t dir, flags; enum fl_tcp_state want; } seq[] = {
		{ FL_DIR_IN, FL_TCPF_SYN, FL_TCP_S_SYN_RECV },
		{ FL_DIR_OUT, FL_TCPF_SYN | FL_TCPF_ACK, FL_TCP_S_SYN_RECV },
		{ FL_DIR_IN, FL_TCPF_ACK, FL_TCP_S_ESTABLISHED },
		{ FL_DIR_OUT, FL_TCPF_ACK, FL_TCP_S_ESTABLISHED },
		{ FL_DIR_IN, FL_TCPF_FIN | FL_TCPF_ACK, FL_TCP_S_CLOSE_WAIT },
		{ FL_DIR_OUT, FL_TCPF_FIN | FL_TCPF_ACK, FL_TCP_S_TIME_WAIT },
		{ FL_DIR_IN, FL_TCPF_ACK, FL_TCP_S_TIME_WAIT },
	};
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, 64, 0);
	struct fl_timeouts to;
	struct fl_flow_key a = in_key(1), b = out_key(1);
	struct fl_session *s;

	CHECK(t != NULL, "init failed");
	fl_timeouts_default(&to);
	s = fl_sess_add(t, &a, &b, 0, to.tcp_ms[FL_TCP_S_NONE]);
	if (s == NULL) {
		table_free(&tm);
		CHECK(0, "add failed");
	}
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		enum fl_tcp_state st = fl_sess_tcp_update(t, s, seq[i].dir, seq[i].flags, i, &to);
		if (st != seq[i].want || s->deadline_ms != i + to.tcp_ms[st]) {
			table_free(&tm);
			CHECK(0, "step %u: %s, want %s", i, fl_tcp_state_name(st),
			      fl_tcp_state_name(seq[i].want));
		}
	}
	table_free(&tm);
	return NULL;
}

static const char *test_state_names_and_timeouts(void)
{
	static const char *const names[] = {
		"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT",
		"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK",
	};
	static const uint32_t secs[] = { 2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120 };
	struct fl_timeouts to;
	uint32_t tcp, fin, udp;

	for (unsigned i = 0; i < FL_TCP_S_LAST; i++)
		CHECK(strcmp(fl_tcp_state_name(i), names[i]) == 0, "name %u: %s", i,
		      fl_tcp_state_name(i));
	CHECK(strcmp(fl_tcp_state_name(FL_TCP_S_LAST), "ERR!") == 0, "out-of-range name");
	fl_timeouts_default(&to);
	for (unsigned i = 0; i < FL_TCP_S_LAST; i++)
		CHECK(to.tcp_ms[i] == secs[i] * 1000, "default timeout %s = %u ms", names[i],
		      to.tcp_ms[i]);
	CHECK(to.udp_ms == 300000, "udp default %u", to.udp_ms);
	fl_timeouts_get_ipvsadm(&to, &tcp, &fin, &udp);
	CHECK(tcp == 900 && fin == 120 && udp == 300, "ipvsadm triple %u %u %u", tcp, fin, udp);
	fl_timeouts_set_ipvsadm(&to, 3600, 0, 60);   /* 0 = unchanged */
	fl_timeouts_get_ipvsadm(&to, &tcp, &fin, &udp);
	CHECK(tcp == 3600 && fin == 120 && udp == 60, "after --set: %u %u %u", tcp, fin, udp);
	CHECK(to.tcp_ms[FL_TCP_S_TIME_WAIT] == 120000, "--set touched TIME_WAIT");
	return NULL;
}

static const char *test_copy_range(void)
{
	const uint32_t cap = 5000;
	struct table_mem tm;
	struct fl_sess_table *t = table_new(&tm, cap, 0);
	static struct fl_sess_view v[7];
	static uint8_t seen[5000];
	struct fl_session *s[2000];
	uint32_t cursor = 0, total = 0;
	const char *err = NULL;

	CHECK(t != NULL, "init failed");
	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < 2000; i++) {
		struct fl_flow_key a = in_key(i), b = out_key(i);
		s[i] = fl_sess_add(t, &a, &b, 0, 1000);
		if (s[i] == NULL) { err = "add failed"; goto out; }
		s[i]->server_id = i;
	}
	for (uint32_t i = 0; i < 2000; i += 5)
		fl_sess_del(t, s[i]);
	for (int guard = 0; cursor < fl_sess_capacity(t); guard++) {
		unsigned n = fl_sess_copy_range(t, &cursor, v, 7);
		if (n > 7 || guard > 100000) { err = "copy_range unbounded"; goto out; }
		for (unsigned j = 0; j < n; j++) {
			uint32_t id = v[j].server_id;
			struct fl_flow_key a = in_key(id);
			if (id >= 2000 || id % 5 == 0 || seen[id]++ || v[j].caddr != a.saddr ||
			    v[j].cport != a.sport) {
				snprintf(why, sizeof(why), "bad view for %u", id);
				err = why;
				goto out;
			}
		}
		total += n;
	}
	if (total != fl_sess_count(t)) {
		snprintf(why, sizeof(why), "listed %u of %u", total, fl_sess_count(t));
		err = why;
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

/* ---------- runner ---------- */

/* Names must not contain ": " (it separates the failure reason). */
static const struct fl_tap_case tests[] = {
	{ "key and record layout", test_key_layout },
	{ "init rejects bad arguments", test_init_rejects_bad_args },
	{ "add and lookup in both directions", test_add_lookup_both_directions },
	{ "lookup_bulk matches single lookups on 10k keys", test_lookup_bulk_matches_single },
	{ "fill to capacity, adds fail only past 90%, all still found", test_fill_to_capacity },
	{ "delete frees records (LIFO) and index entries", test_delete_frees },
	{ "expiry of due sessions, refreshed ones live, budget per call", test_expiry_budget_and_refresh },
	{ "expiry of a shortened timeout (RST -> CLOSE) on time", test_expiry_shortened_timeout },
	{ "expiry with a 24 h timeout", test_expiry_24h },
	{ "expiry of a deadline already past at the next tick", test_expiry_past_deadline },
	{ "1M-session table within 160 bytes/session", test_memory_per_session },
	{ "TCP state table matches IPVS", test_tcp_states_ipvs },
	{ "TCP session lifecycle through both directions", test_tcp_session_lifecycle },
	{ "state names and ipvsadm --set timeouts", test_state_names_and_timeouts },
	{ "copy_range lists every live session, bounded per call", test_copy_range },
};

/* Built a second time with -DFL_SESS_BUCKET_DIV=4: the index then has
 * exactly two slots per session, so filling the table runs it at ~100 %
 * load and exercises multi-step cuckoo displacement. */
#ifdef FL_SESS_BUCKET_DIV
#define VARIANT "[dense index] "
#else
#define VARIANT ""
#endif

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), VARIANT);
}
