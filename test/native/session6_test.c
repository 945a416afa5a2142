/*
 * Unit tests for the IPv6 family's session table (native/session/session6.c
 * over the shared sess_table_impl.h). Standalone: no EAL. Keys are built so
 * that IPv6 sessions differ where an IPv4-width compare would not look (the
 * upper 96 bits of an address), and the memory figures of both families are
 * printed side by side. Run via test/native/session.test.ts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/session/session6.h"
#include "tap.h"

static char why[256];

struct table_mem {
	void *mem;
	struct fl_sess6_table *t;
};

static struct fl_sess6_table *table_new(struct table_mem *tm, uint32_t cap, uint64_t now)
{
	size_t size = fl_sess6_table_memsize(cap);
	tm->mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	if (tm->mem == NULL)
		return NULL;
	memset(tm->mem, 0xa5, size);   /* init must not rely on zeroed pages */
	tm->t = fl_sess6_table_init(tm->mem, cap, 0x7654321u, now);
	return tm->t;
}

static void table_free(struct table_mem *tm)
{
	free(tm->mem);
	tm->mem = NULL;
	tm->t = NULL;
}

/* 2001:2:<hi>::<lo>: i's bits spread over both halves of the address. */
static struct fl_ip6 addr(uint16_t net, uint32_t i)
{
	struct fl_ip6 a = { .b = { 0x20, 0x01, 0x00, 0x02, (uint8_t)(net >> 8), (uint8_t)net } };
	a.b[6] = (uint8_t)(i >> 24);   /* upper half: an IPv4-width compare of the low 32 bits misses it */
	a.b[12] = (uint8_t)(i >> 16);
	a.b[13] = (uint8_t)(i >> 8);
	a.b[14] = (uint8_t)i;
	a.b[15] = (uint8_t)(i >> 24);
	return a;
}

static struct fl_flow_key6 in_key(uint32_t i)
{
	struct fl_ip6 c = addr(0x10, i), v = addr(0x100, i % 7);
	return fl_flow_key6_make(&c, &v, htons((uint16_t)(1024 + i % 60000)), htons(80), IPPROTO_TCP);
}

/* Outbound keys from another /48's RIPs, so they never equal an inbound key. */
static struct fl_flow_key6 out_key(uint32_t i)
{
	struct fl_ip6 r = addr(0x200, i % 13), l = addr(0x300, i);
	return fl_flow_key6_make(&r, &l, htons(8080), htons((uint16_t)(5000 + i % 50000)), IPPROTO_TCP);
}

static const char *test_layout(void)
{
	CHECK(sizeof(struct fl_session6) == 128, "record %zu bytes", sizeof(struct fl_session6));
	CHECK(sizeof(struct fl_flow_key6) == 40, "key %zu bytes", sizeof(struct fl_flow_key6));
	CHECK(sizeof(struct fl_session) == 64, "the IPv4 record grew to %zu bytes", sizeof(struct fl_session));
	/* Keys in key layout inside the record: 36 bytes each. */
	CHECK(offsetof(struct fl_session6, cport) == offsetof(struct fl_flow_key6, sport), "cport offset");
	CHECK(offsetof(struct fl_session6, raddr) == 36 && offsetof(struct fl_session6, rport) == 36 + 32, "outbound key offset");
	return NULL;
}

static const char *test_add_lookup(void)
{
	struct table_mem tm;
	struct fl_sess6_table *t = table_new(&tm, 1000, 0);
	CHECK(t != NULL, "init failed");
	struct fl_flow_key6 a = in_key(1), b = out_key(1);
	struct fl_session6 *s = fl_sess6_add(t, &a, &b, 0, 1000);
	const char *err = NULL;
	uint8_t d = 0xff;
	if (!s) { err = "add failed"; goto out; }
	if (fl_sess6_lookup(t, &a, &d) != s || d != FL_DIR_IN) { err = "inbound lookup"; goto out; }
	if (fl_sess6_lookup(t, &b, &d) != s || d != FL_DIR_OUT) { err = "outbound lookup"; goto out; }
	if (memcmp(&s->caddr, &a.saddr, 16) || memcmp(&s->laddr, &b.daddr, 16) || s->proto != IPPROTO_TCP) {
		err = "record keys"; goto out;
	}
	/* The same key but one byte in the upper half of each address: a miss. */
	for (unsigned byte = 0; byte < 16; byte++) {
		struct fl_flow_key6 k = a;
		k.saddr.b[byte] ^= 0x40;
		if (fl_sess6_lookup(t, &k, &d) != NULL) {
			snprintf(why, sizeof(why), "client address differing in byte %u matched", byte);
			err = why; goto out;
		}
		k = b;
		k.daddr.b[byte] ^= 0x01;
		if (fl_sess6_lookup(t, &k, &d) != NULL) {
			snprintf(why, sizeof(why), "LIP differing in byte %u matched", byte);
			err = why; goto out;
		}
	}
	{
		struct fl_flow_key6 k = a;
		k.proto = IPPROTO_UDP;
		if (fl_sess6_lookup(t, &k, &d) != NULL) { err = "UDP key matched a TCP session"; goto out; }
	}
	/* INPUT_ONLY (DR, TUN): no outbound key. */
	{
		struct fl_flow_key6 c = in_key(2), o;
		struct fl_session6 *dr = fl_sess6_add(t, &c, NULL, 0, 1000);
		if (!dr || !(dr->flags & FL_SESS_F_INPUT_ONLY) || fl_sess6_out_key(dr, &o) != -1) { err = "input-only session"; goto out; }
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

static const char *test_bulk_matches_single(void)
{
	const uint32_t n = 10000;
	struct table_mem tm;
	struct fl_sess6_table *t = table_new(&tm, 2 * n, 0);
	const char *err = NULL;
	CHECK(t != NULL, "init failed");
	for (uint32_t i = 0; i < n; i++) {
		struct fl_flow_key6 a = in_key(i), b = out_key(i);
		if (!fl_sess6_add(t, &a, &b, 0, 1000)) { err = "add failed"; goto out; }
	}
	/* Every key, both directions, and as many misses, in bursts of 32. */
	for (uint32_t base = 0; base < 3 * n; base += 32) {
		struct fl_flow_key6 keys[32];
		const struct fl_flow_key6 *kp[32];
		struct fl_session6 *res[32];
		uint8_t dir[32];
		unsigned m = 0;
		for (; m < 32 && base + m < 3 * n; m++) {
			uint32_t j = base + m;
			keys[m] = j < n ? in_key(j) : j < 2 * n ? out_key(j - n) : in_key(j + 10 * n);
			kp[m] = &keys[m];
		}
		fl_sess6_lookup_bulk(t, kp, m, res, dir);
		for (unsigned i = 0; i < m; i++) {
			uint8_t d1 = 0xff;
			struct fl_session6 *one = fl_sess6_lookup(t, kp[i], &d1);
			if (one != res[i] || (one && d1 != dir[i])) {
				snprintf(why, sizeof(why), "key %u: bulk and single disagree", base + i);
				err = why; goto out;
			}
			if ((base + i < 2 * n) != (one != NULL)) {
				snprintf(why, sizeof(why), "key %u: %s", base + i, one ? "a miss key was found" : "lost");
				err = why; goto out;
			}
		}
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

static const char *test_fill_and_delete(void)
{
	const uint32_t cap = 100000;
	struct table_mem tm;
	struct fl_sess6_table *t = table_new(&tm, cap, 0);
	uint32_t added = 0;
	const char *err = NULL;
	CHECK(t != NULL, "init failed");
	for (uint32_t i = 0; i < cap + 100; i++) {
		struct fl_flow_key6 a = in_key(i), b = out_key(i);
		if (!fl_sess6_add(t, &a, &b, 0, 1000))
			break;
		added++;
	}
	printf("# fill: first refused add at %u of %u (%.1f%%)\n", added, cap, 100.0 * added / cap);
	if (added < cap * 9 / 10) { snprintf(why, sizeof(why), "first failure at %u of %u", added, cap); err = why; goto out; }
	for (uint32_t i = 0; i < added; i += 2) {
		struct fl_flow_key6 a = in_key(i);
		struct fl_session6 *s = fl_sess6_lookup(t, &a, NULL);
		if (!s) { snprintf(why, sizeof(why), "session %u lost when full", i); err = why; goto out; }
		fl_sess6_del(t, s);
	}
	if (fl_sess6_count(t) != added - (added + 1) / 2) { err = "count after deletes"; goto out; }
	for (uint32_t i = 0; i < added; i++) {
		struct fl_flow_key6 a = in_key(i), b = out_key(i);
		int want = i % 2 == 1;
		if ((fl_sess6_lookup(t, &a, NULL) != NULL) != want || (fl_sess6_lookup(t, &b, NULL) != NULL) != want) {
			snprintf(why, sizeof(why), "session %u: %s after deleting the even ones", i, want ? "lost" : "still found");
			err = why; goto out;
		}
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

static unsigned expired_cb_calls;
static void on_expire(struct fl_session6 *s, void *arg)
{
	(void)s;
	(void)arg;
	expired_cb_calls++;
}

static const char *test_expiry_and_tcp(void)
{
	struct table_mem tm;
	struct fl_sess6_table *t = table_new(&tm, 1000, 0);
	const char *err = NULL;
	CHECK(t != NULL, "init failed");
	struct fl_timeouts to;
	fl_timeouts_set_ipvsadm(&to, 900, 120, 300);
	struct fl_flow_key6 a = in_key(7), b = out_key(7), c = in_key(8), e = out_key(8);
	struct fl_session6 *s = fl_sess6_add(t, &a, &b, 0, to.tcp_ms[FL_TCP_S_NONE]);
	struct fl_session6 *q = fl_sess6_add(t, &c, &e, 0, 1000);
	if (!s || !q) { err = "add failed"; goto out; }
	/* SYN in, SYN|ACK out, ACK in: established, with the established timeout. */
	fl_sess6_tcp_update(t, s, FL_DIR_IN, 0x02, 10, &to);
	fl_sess6_tcp_update(t, s, FL_DIR_OUT, 0x12, 20, &to);
	if (fl_sess6_tcp_update(t, s, FL_DIR_IN, 0x10, 30, &to) != FL_TCP_S_ESTABLISHED) { err = "not established"; goto out; }
	if (s->deadline_ms != 30 + 900000u || s->pkts != 3) { err = "deadline or packet count"; goto out; }
	if (strcmp(fl_sess6_state_name(s), "ESTABLISHED") != 0) { err = "state name"; goto out; }
	/* At 5 s only q (1 s timeout) has expired; the callback saw it. */
	expired_cb_calls = 0;
	unsigned n = fl_sess6_expire(t, 5000, 100, on_expire, NULL);
	if (n != 1 || expired_cb_calls != 1 || fl_sess6_lookup(t, &c, NULL) || !fl_sess6_lookup(t, &a, NULL)) {
		snprintf(why, sizeof(why), "expired %u (callback %u) at 5 s", n, expired_cb_calls);
		err = why; goto out;
	}
	/* RST: CLOSE's 10 s timeout is earlier than the filed tick: on time. */
	fl_sess6_tcp_update(t, s, FL_DIR_IN, 0x04, 6000, &to);
	if (fl_sess6_expire(t, 6000 + to.tcp_ms[FL_TCP_S_CLOSE] + 1024, 100, NULL, NULL) != 1 || fl_sess6_count(t) != 0) {
		err = "a reset session did not expire on time"; goto out;
	}
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

static const char *test_copy_range(void)
{
	struct table_mem tm;
	const uint32_t cap = 5000, n = 3000;
	struct fl_sess6_table *t = table_new(&tm, cap, 0);
	const char *err = NULL;
	CHECK(t != NULL, "init failed");
	for (uint32_t i = 0; i < n; i++) {
		struct fl_flow_key6 a = in_key(i), b = out_key(i);
		struct fl_session6 *s = fl_sess6_add(t, &a, &b, 0, 1000);
		if (!s) { err = "add failed"; goto out; }
		s->server_id = i;
	}
	uint32_t cursor = 0, total = 0;
	while (cursor < fl_sess6_capacity(t)) {
		struct fl_sess6_view v[64];
		unsigned got = fl_sess6_copy_range(t, &cursor, v, 64);
		for (unsigned i = 0; i < got; i++) {
			struct fl_flow_key6 a = in_key(v[i].server_id);
			if (memcmp(&v[i].caddr, &a.saddr, 16) || v[i].cport != a.sport || v[i].proto != IPPROTO_TCP) {
				snprintf(why, sizeof(why), "bad view for %u", v[i].server_id);
				err = why; goto out;
			}
		}
		total += got;
	}
	if (total != n) { snprintf(why, sizeof(why), "listed %u of %u", total, n); err = why; }
out:
	table_free(&tm);
	CHECK(err == NULL, "%.200s", err);
	return NULL;
}

/* What each family costs per session at 1M (index, records, their
 * extension bytes and the wheel): IPv6's 16-byte addresses take a second
 * cache line, and only in IPv6 sessions. */
static const char *test_memory_per_family(void)
{
	const uint32_t cap = 1u << 20;
	double v4 = fl_sess_bytes_per_session(cap), v6 = fl_sess6_bytes_per_session(cap);
	printf("# %u sessions: IPv4 %.2f bytes/session, IPv6 %.2f bytes/session\n", cap, v4, v6);
	CHECK(v6 - v4 == (double)(sizeof(struct fl_session6) - sizeof(struct fl_session)),
	      "the families differ by %.2f bytes, not by the records' %zu", v6 - v4,
	      sizeof(struct fl_session6) - sizeof(struct fl_session));
	CHECK(v6 <= 224.0, "IPv6: %.2f bytes/session", v6);
	return NULL;
}

static const struct fl_tap_case tests[] = {
	{ "IPv6 key and record layout (the IPv4 record stays one line)", test_layout },
	{ "IPv6 add and lookup both ways, keys differing in any address byte miss", test_add_lookup },
	{ "IPv6 lookup_bulk matches single lookups on 10k keys and misses", test_bulk_matches_single },
	{ "IPv6 fill to capacity, then delete half", test_fill_and_delete },
	{ "IPv6 TCP states, expiry with callback, a reset expires on time", test_expiry_and_tcp },
	{ "IPv6 copy_range lists every live session", test_copy_range },
	{ "bytes per session of each family at 1M", test_memory_per_family },
};

#ifdef FL_SESS_BUCKET_DIV
#define VARIANT "[dense index] "
#else
#define VARIANT ""
#endif

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), VARIANT);
}
