/*
 * Unit tests for native/session/persist.c: persistence templates shared by
 * workers. Standalone (no EAL); TAP-style lines; run via persist.test.ts.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/session/persist.h"
#include "tap.h"


static struct fl_tpl_table *fresh(uint32_t cap)
{
	void *mem = aligned_alloc(64, (fl_tpl_memsize(cap) + 63) & ~(size_t)63);
	return fl_tpl_init(mem, cap);
}

/* A template made by put is found by get, per service and client. */
static const char *t_put_get(void)
{
	struct fl_tpl_table *t = fresh(1024);
	uint32_t sid = 7, got = 0;
	CHECK(fl_tpl_get(t, 1, 0x0a000001, 0, 1000, &got) == 0, "empty table found something");
	uint32_t ref = fl_tpl_put(t, 1, 0x0a000001, 0, 1000, &sid);
	CHECK(ref != 0 && sid == 7, "put failed");
	CHECK(fl_tpl_get(t, 1, 0x0a000001, 10, 1000, &got) != 0 && got == 7, "get: %u", got);
	CHECK(fl_tpl_get(t, 2, 0x0a000001, 10, 1000, &got) == 0, "other service shares the template");
	CHECK(fl_tpl_get(t, 1, 0x0a000002, 10, 1000, &got) == 0, "other client shares the template");
	free(t);
	return NULL;
}

/* Expires after its timeout, unless a connection it controls is alive. */
static const char *t_expiry_and_refs(void)
{
	struct fl_tpl_table *t = fresh(1024);
	uint32_t sid = 3, got;
	uint32_t ref = fl_tpl_put(t, 1, 42, 0, 1000, &sid);   /* one ref: a live session */
	CHECK(fl_tpl_get(t, 1, 42, 5000, 1000, &got) != 0 && got == 3, "expired while a session lives");
	fl_tpl_release(t, ref, 5000, 1000);
	fl_tpl_release(t, ref, 5000, 1000);   /* both sessions ended */
	CHECK(fl_tpl_get(t, 1, 42, 5500, 1000, &got) != 0, "lookup at 5000 extended it to 6000");
	fl_tpl_release(t, ref, 5500, 1000);
	CHECK(fl_tpl_get(t, 1, 42, 6600, 1000, &got) == 0, "still there after its timeout with no session");
	/* Revived in place with a new server. */
	sid = 9;
	CHECK(fl_tpl_put(t, 1, 42, 6600, 1000, &sid) == ref && sid == 9, "revive");
	CHECK(fl_tpl_get(t, 1, 42, 6700, 1000, &got) != 0 && got == 9, "revived server: %u", got);
	free(t);
	return NULL;
}

/* A live template wins over a later put: the second put follows it. */
static const char *t_put_follows_live(void)
{
	struct fl_tpl_table *t = fresh(1024);
	uint32_t a = 1, b = 2;
	fl_tpl_put(t, 5, 77, 0, 1000, &a);
	fl_tpl_put(t, 5, 77, 10, 1000, &b);
	CHECK(b == 1, "second put chose %u, the live template says 1", b);
	free(t);
	return NULL;
}

/* Invalidation makes the next lookup miss (server removed). */
static const char *t_invalidate(void)
{
	struct fl_tpl_table *t = fresh(1024);
	uint32_t s = 4, got;
	uint32_t ref = fl_tpl_put(t, 1, 9, 0, 1000, &s);
	fl_tpl_release(t, ref, 0, 1000);
	fl_tpl_invalidate(t, ref);
	CHECK(fl_tpl_get(t, 1, 9, 1, 1000, &got) == 0, "found an invalidated template");
	free(t);
	return NULL;
}

/* A template whose server is gone is dead even while sessions of that server
 * still hold references: the next put revives it with the new server. */
static const char *t_invalidate_with_refs(void)
{
	struct fl_tpl_table *t = fresh(1024);
	uint32_t s = 4, got;
	uint32_t ref = fl_tpl_put(t, 1, 9, 0, 100000, &s);   /* a live session holds it */
	fl_tpl_invalidate(t, ref);
	CHECK(fl_tpl_get(t, 1, 9, 1, 100000, &got) == 0, "a dead template was found");
	s = 5;
	CHECK(fl_tpl_put(t, 1, 9, 2, 100000, &s) == ref && s == 5, "revive gave %u", s);
	CHECK(fl_tpl_get(t, 1, 9, 3, 100000, &got) != 0 && got == 5, "after revival: %u", got);
	free(t);
	return NULL;
}

/* A full probe window refuses (no persistence) instead of overwriting. */
static const char *t_full(void)
{
	struct fl_tpl_table *t = fresh(64);
	unsigned ok = 0, refused = 0;
	for (uint32_t c = 1; c <= 200; c++) {
		uint32_t s = c;
		if (fl_tpl_put(t, 1, c, 0, 1000, &s))
			ok++;
		else
			refused++;
	}
	CHECK(ok == 64 && refused == 136, "ok %u refused %u", ok, refused);
	CHECK(t->full_drops == 136, "full_drops %lu", (unsigned long)t->full_drops);
	for (uint32_t c = 1; c <= 200; c++) {
		uint32_t got;
		if (fl_tpl_get(t, 1, c, 1, 1000, &got))
			CHECK(got == c, "client %u maps to %u", c, got);
	}
	free(t);
	return NULL;
}

/* Expired templates without references give their slots to new clients;
 * one still referenced by a live session keeps its slot. */
static const char *t_reclaim(void)
{
	struct fl_tpl_table *t = fresh(64);
	uint32_t kept = 0;
	for (uint32_t c = 1; c <= 64; c++) {
		uint32_t s = 1000 + c;
		uint32_t ref = fl_tpl_put(t, 1, c, 0, 1000, &s);
		CHECK(ref != 0, "client %u refused in an empty table", c);
		if (c == 7)
			kept = ref;   /* client 7 still has a live session */
		else
			fl_tpl_release(t, ref, 0, 1000);
	}
	unsigned ok = 0, refused = 0;
	for (uint32_t c = 101; c <= 164; c++) {
		uint32_t s = 2000 + c;
		uint32_t ref = fl_tpl_put(t, 1, c, 5000, 1000, &s);
		if (ref) {
			ok++;
			CHECK(ref != kept, "client %u took the slot of a referenced template", c);
		} else {
			refused++;
		}
	}
	CHECK(ok == 63 && refused == 1, "after expiry: %u new clients placed, %u refused (want 63, 1)", ok, refused);
	CHECK(t->reclaimed == 63, "reclaimed %lu", (unsigned long)t->reclaimed);
	uint32_t got;
	CHECK(fl_tpl_get(t, 1, 7, 5001, 1000, &got) != 0 && got == 1007, "the referenced template moved: %u", got);
	for (uint32_t c = 1; c <= 64; c++)
		if (c != 7)
			CHECK(fl_tpl_get(t, 1, c, 5001, 1000, &got) == 0, "expired client %u still found (server %u)", c, got);
	unsigned found = 0;
	for (uint32_t c = 101; c <= 164; c++)
		if (fl_tpl_get(t, 1, c, 5001, 1000, &got)) {
			CHECK(got == 2000 + c, "client %u maps to %u", c, got);
			found++;
		}
	CHECK(found == 63, "found %u new clients", found);
	free(t);
	return NULL;
}

/* Reclaiming under concurrency: in each round the clients of the previous
 * round have expired; all threads look up or create the same fresh clients
 * at once, each proposing its own server, in a table too small to hold more
 * than a few rounds. Every round must agree on one server per client, and
 * when every session has ended no reference may be left over. */
#define RR_CLIENTS 96
#define RR_ROUNDS 40
struct rrace {
	struct fl_tpl_table *t;
	uint32_t proposal;
	uint32_t chosen[RR_ROUNDS][RR_CLIENTS];
	pthread_barrier_t *b;
};

static void *rracer(void *arg)
{
	struct rrace *r = arg;
	for (uint32_t round = 0; round < RR_ROUNDS; round++) {
		uint64_t now = (uint64_t)round * 10000;
		uint32_t refs[RR_CLIENTS];
		pthread_barrier_wait(r->b);
		for (uint32_t i = 0; i < RR_CLIENTS; i++) {
			uint32_t c = round * RR_CLIENTS + i + 1, got, s = r->proposal;
			uint32_t ref = fl_tpl_get(r->t, 1, c, now, 1000, &got);
			if (ref)
				s = got;
			else
				ref = fl_tpl_put(r->t, 1, c, now, 1000, &s);
			refs[i] = ref;
			r->chosen[round][i] = ref ? s : 0;
		}
		for (uint32_t i = 0; i < RR_CLIENTS; i++)
			fl_tpl_release(r->t, refs[i], now, 1000);
	}
	return NULL;
}

static const char *t_race_reclaim(void)
{
	enum { N = 4 };
	struct fl_tpl_table *t = fresh(256);
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, N);
	static struct rrace rs[N];
	pthread_t th[N];
	for (unsigned i = 0; i < N; i++) {
		rs[i] = (struct rrace){ .t = t, .proposal = 100 + i, .b = &b };
		pthread_create(&th[i], NULL, rracer, &rs[i]);
	}
	for (unsigned i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	unsigned placed = 0;
	for (uint32_t round = 0; round < RR_ROUNDS; round++)
		for (uint32_t c = 0; c < RR_CLIENTS; c++) {
			for (unsigned i = 1; i < N; i++)
				if (rs[i].chosen[round][c] && rs[0].chosen[round][c])
					CHECK(rs[i].chosen[round][c] == rs[0].chosen[round][c],
					      "round %u client %u: thread %u chose %u, thread 0 chose %u", round, c, i,
					      rs[i].chosen[round][c], rs[0].chosen[round][c]);
			placed += rs[0].chosen[round][c] != 0;
		}
	CHECK(placed >= RR_ROUNDS * RR_CLIENTS * 9 / 10, "only %u of %u clients got a template: slots not reclaimed",
	      placed, RR_ROUNDS * RR_CLIENTS);
	CHECK(t->reclaimed > 0, "no slot was reclaimed");
	for (uint32_t i = 0; i <= t->mask; i++)
		CHECK(t->slots[i].refcnt == 0 && !(t->slots[i].seq & 1), "slot %u: refcnt %u seq %u after all sessions ended",
		      i, t->slots[i].refcnt, t->slots[i].seq);
	free(t);
	return NULL;
}

/* Racing workers: many threads create templates for the same clients at the
 * same time, each proposing its own server; all must agree per client. */
struct race { struct fl_tpl_table *t; uint32_t proposal; uint32_t chosen[512]; pthread_barrier_t *b; };

static void *racer(void *arg)
{
	struct race *r = arg;
	pthread_barrier_wait(r->b);
	for (uint32_t c = 0; c < 512; c++) {
		uint32_t got, s = r->proposal;
		if (fl_tpl_get(r->t, 1, c + 1, 0, 100000, &got))
			s = got;
		else
			fl_tpl_put(r->t, 1, c + 1, 0, 100000, &s);
		r->chosen[c] = s;
	}
	return NULL;
}

static const char *t_race(void)
{
	enum { N = 4 };
	struct fl_tpl_table *t = fresh(4096);
	pthread_barrier_t b;
	pthread_barrier_init(&b, NULL, N);
	static struct race rs[N];
	pthread_t th[N];
	for (unsigned i = 0; i < N; i++) {
		rs[i] = (struct race){ .t = t, .proposal = 100 + i, .b = &b };
		pthread_create(&th[i], NULL, racer, &rs[i]);
	}
	for (unsigned i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (uint32_t c = 0; c < 512; c++)
		for (unsigned i = 1; i < N; i++)
			CHECK(rs[i].chosen[c] == rs[0].chosen[c], "client %u: thread %u chose %u, thread 0 chose %u",
			      c, i, rs[i].chosen[c], rs[0].chosen[c]);
	free(t);
	return NULL;
}

/* An IPv6 client's key: the digest of its prefix, so one prefix is one key
 * and the bits past the prefix never matter, at every length (64 included,
 * where a 64-bit shift would be undefined). */
static const char *ipv6_prefix_keys(void)
{
	uint8_t a[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
	for (unsigned len = 1; len <= 128; len++) {
		uint8_t b[16];
		memcpy(b, a, 16);
		/* flip every bit past the prefix: same key */
		for (unsigned bit = len; bit < 128; bit++)
			b[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		CHECK(fl_tpl_client6(a, len) == fl_tpl_client6(b, len), "/%u: bits past the prefix changed the key", len);
		/* flip the prefix's last bit: another prefix, another key */
		memcpy(b, a, 16);
		b[(len - 1) / 8] ^= (uint8_t)(0x80 >> ((len - 1) % 8));
		CHECK(fl_tpl_client6(a, len) != fl_tpl_client6(b, len), "/%u: two prefixes share a key", len);
	}
	return NULL;
}

int main(void)
{
	static const struct fl_tap_case cases[] = {
		{ "an IPv6 client's key is its prefix's, at every length", ipv6_prefix_keys },
		{ "put then get, per service and client", t_put_get },
		{ "expiry, kept alive by controlled sessions, revival", t_expiry_and_refs },
		{ "a live template wins over a later put", t_put_follows_live },
		{ "invalidated template is not found", t_invalidate },
		{ "invalidated while sessions hold it, rescheduled, then pinned again", t_invalidate_with_refs },
		{ "full probe window refuses instead of overwriting", t_full },
		{ "racing threads agree on one server per client", t_race },
		{ "expired templates give their slots to new clients, referenced ones keep them", t_reclaim },
		{ "racing threads reclaim slots round after round, agree, and leak no reference", t_race_reclaim },
	};
	return fl_tap_run(cases, sizeof(cases) / sizeof(cases[0]), "");
}
