/*
 * Unit tests for native/sched (IPVS schedulers + Maglev). Standalone: no
 * EAL. Prints TAP-style lines, one per case:
 *   ok N - name
 *   not ok N - name: reason
 * and exits non-zero if any case failed. Run via test/native/sched.test.ts.
 *
 * Expected values are worked out by hand from the IPVS sources
 * (net/netfilter/ipvs/ip_vs_*.c) and written into the tables below; the
 * tests never derive them from the code under test.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/sched/sched.h"
#include "tap.h"



#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAXD 128

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void mk_dests(struct fl_sched_dest *d, unsigned n, const int *weights)
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

static int inst_new(struct inst *in, unsigned kind, unsigned flags,
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

static void inst_free(struct inst *in)
{
	fl_sched_table_free(in->t);
	free(in->st);
	in->t = NULL;
	in->st = NULL;
}

static int pick(struct inst *in, const struct fl_sched_dest *d, unsigned n,
		const struct fl_sched_conns *c, uint32_t saddr, uint32_t daddr, uint16_t sport)
{
	struct fl_sched_conns_view cv = { c, 1, n, NULL };
	return fl_sched_pick(in->t, in->st, d, n, c ? &cv : NULL, saddr, daddr, sport,
			     htons(80), IPPROTO_TCP);
}

/* ---------- names ---------- */

static const char *test_names(void)
{
	static const char *const names[] = { "rr", "wrr", "lc", "wlc", "sed", "nq", "fo",
					     "ovf", "lblc", "lblcr", "dh", "sh", "mh" };
	for (unsigned k = 0; k < NELEM(names); k++) {
		CHECK(fl_sched_from_name(names[k]) == (int)k, "%s", names[k]);
		CHECK(strcmp(fl_sched_name(k), names[k]) == 0, "%u", k);
	}
	CHECK(fl_sched_from_name(NULL) == FL_SCHED_WLC, "default");
	CHECK(fl_sched_from_name("") == FL_SCHED_WLC, "default");
	CHECK(fl_sched_from_name("maglev") == -1, "unknown");
	CHECK(fl_sched_name(99) == NULL, "unknown kind");
	return NULL;
}

/* ---------- rr / wrr sequences ---------- */

struct seq_case {
	const char *what;
	unsigned kind;
	unsigned n;
	int w[6];
	unsigned overload_mask;
	unsigned len;
	int expect[24];
};

/*
 * Worked by hand from ip_vs_wrr.c: di = gcd, mw = max - (di - 1), cw starts
 * at mw; each call scans on from the last dest for weight >= cw, lowering cw
 * by di at the end of the list and wrapping to mw below 1.
 *  4,3,2: di 1, mw 4: cw4 A | cw3 A B | cw2 A B C | cw1 A B C -> AABABCABC
 *  4,2:   di 2, mw 3: cw3 A | cw1 A B -> AAB
 *  2,0,1: di 1, mw 2: cw2 A | cw1 A C -> AAC (weight 0 never)
 *  5,5:   di 5, mw 1: cw1 A B -> AB
 */
static const struct seq_case seq_cases[] = {
	{ "wrr 4,3,2", FL_SCHED_WRR, 3, { 4, 3, 2 }, 0, 18,
	  { 0, 0, 1, 0, 1, 2, 0, 1, 2, 0, 0, 1, 0, 1, 2, 0, 1, 2 } },
	{ "wrr 4,2", FL_SCHED_WRR, 2, { 4, 2 }, 0, 9, { 0, 0, 1, 0, 0, 1, 0, 0, 1 } },
	{ "wrr 2,0,1", FL_SCHED_WRR, 3, { 2, 0, 1 }, 0, 6, { 0, 0, 2, 0, 0, 2 } },
	{ "wrr 5,5", FL_SCHED_WRR, 2, { 5, 5 }, 0, 4, { 0, 1, 0, 1 } },
	/* overloaded B: 4,3,2 -> passes cw4 A | cw3 A | cw2 A C | cw1 A C */
	{ "wrr 4,3,2 B overloaded", FL_SCHED_WRR, 3, { 4, 3, 2 }, 2, 12,
	  { 0, 0, 0, 2, 0, 2, 0, 0, 0, 2, 0, 2 } },
	{ "wrr all weight 0", FL_SCHED_WRR, 2, { 0, 0 }, 0, 2, { -1, -1 } },
	{ "wrr all overloaded", FL_SCHED_WRR, 2, { 1, 1 }, 3, 2, { -1, -1 } },
	/* ip_vs_rr.c: next after the last, skipping weight 0 / overloaded */
	{ "rr 1,0,1,1", FL_SCHED_RR, 4, { 1, 0, 1, 1 }, 0, 7, { 0, 2, 3, 0, 2, 3, 0 } },
	{ "rr weights ignored", FL_SCHED_RR, 3, { 9, 1, 5 }, 0, 6, { 0, 1, 2, 0, 1, 2 } },
	{ "rr C overloaded", FL_SCHED_RR, 3, { 1, 1, 1 }, 4, 4, { 0, 1, 0, 1 } },
	{ "rr none", FL_SCHED_RR, 2, { 0, 0 }, 0, 2, { -1, -1 } },
};

static const char *test_rr_wrr_sequences(void)
{
	for (unsigned c = 0; c < NELEM(seq_cases); c++) {
		const struct seq_case *sc = &seq_cases[c];
		struct fl_sched_dest d[6];
		struct inst in;
		mk_dests(d, sc->n, sc->w);
		for (unsigned i = 0; i < sc->n; i++)
			if (sc->overload_mask & (1u << i))
				d[i].flags |= FL_DEST_F_OVERLOAD;
		CHECK(inst_new(&in, sc->kind, 0, d, sc->n, 0) == 0, "%s: build", sc->what);
		for (unsigned k = 0; k < sc->len; k++) {
			int got = pick(&in, d, sc->n, NULL, 0, 0, 0);
			if (got != sc->expect[k]) {
				inst_free(&in);
				CHECK(0, "%s: pick %u = %d, want %d", sc->what, k, got, sc->expect[k]);
			}
		}
		inst_free(&in);
	}
	return NULL;
}

/* ---------- count-based schedulers ---------- */

struct cnt_case {
	const char *what;
	unsigned kind;
	unsigned n;
	int w[5];
	unsigned active[5], inactive[5];
	unsigned overload_mask;
	int expect;
};

/* overhead: lc/wlc/lblc = active*256 + inactive; sed/nq = active + 1;
 * wlc/sed pick the first of the minimum of overhead/weight (strict >). */
static const struct cnt_case cnt_cases[] = {
	/* lc: 512, (w0), 556, 556 -> 0 */
	{ "lc min", FL_SCHED_LC, 4, { 1, 0, 1, 1 }, { 2, 0, 1, 1 }, { 0, 0, 300, 300 }, 0, 0 },
	/* lc: 256, (w0 idle), 255, 255 -> first tie 2 */
	{ "lc tie first", FL_SCHED_LC, 4, { 1, 0, 1, 1 }, { 1, 0, 0, 0 }, { 0, 0, 255, 255 }, 0, 2 },
	/* lc ignores weights: 5 vs 4 inactive */
	{ "lc unweighted", FL_SCHED_LC, 2, { 100, 1 }, { 0, 0 }, { 5, 4 }, 0, 1 },
	{ "lc overloaded skipped", FL_SCHED_LC, 2, { 1, 1 }, { 0, 9 }, { 0, 0 }, 1, 1 },
	/* wlc: 256/1, 512/2, 768/3 all equal -> 0 */
	{ "wlc tie first", FL_SCHED_WLC, 3, { 1, 2, 3 }, { 1, 2, 3 }, { 0 }, 0, 0 },
	/* wlc: 256/1, 256/2, 512/3 -> 1 */
	{ "wlc min ratio", FL_SCHED_WLC, 3, { 1, 2, 3 }, { 1, 1, 2 }, { 0 }, 0, 1 },
	/* wlc: inactive counts 1/256: (0*256+10)/1 vs (0+30)/2 -> 0 */
	{ "wlc inactive", FL_SCHED_WLC, 2, { 1, 2 }, { 0, 0 }, { 10, 30 }, 0, 0 },
	/* wlc: idle weight-0 dest never wins */
	{ "wlc weight 0", FL_SCHED_WLC, 2, { 0, 1 }, { 0, 50 }, { 0, 0 }, 0, 1 },
	/* wlc: all idle, equal ratio 0 -> first */
	{ "wlc idle tie", FL_SCHED_WLC, 2, { 1, 10 }, { 0, 0 }, { 0, 0 }, 0, 0 },
	/* sed: (0+1)/1 vs (0+1)/10 -> 1 */
	{ "sed counts incoming", FL_SCHED_SED, 2, { 1, 10 }, { 0, 0 }, { 0, 0 }, 0, 1 },
	/* sed: 1/1 vs 3/3 tie -> 0 */
	{ "sed tie first", FL_SCHED_SED, 2, { 1, 3 }, { 0, 2 }, { 0, 0 }, 0, 0 },
	/* sed ignores inactive */
	{ "sed active only", FL_SCHED_SED, 2, { 1, 1 }, { 1, 0 }, { 0, 900 }, 0, 1 },
	/* nq: first idle wins even if a bigger one is idle too */
	{ "nq first idle", FL_SCHED_NQ, 2, { 1, 10 }, { 0, 0 }, { 0, 0 }, 0, 0 },
	{ "nq idle wins", FL_SCHED_NQ, 3, { 10, 1, 5 }, { 1, 3, 0 }, { 0 }, 0, 2 },
	/* nq: none idle -> sed: 2/1, 6/10, 5/5 -> 1 */
	{ "nq sed fallback", FL_SCHED_NQ, 3, { 1, 10, 5 }, { 1, 5, 4 }, { 0 }, 0, 1 },
	{ "nq idle overloaded skipped", FL_SCHED_NQ, 2, { 1, 1 }, { 0, 4 }, { 0 }, 1, 1 },
	/* fo: highest weight, first of ties */
	{ "fo highest", FL_SCHED_FO, 4, { 2, 5, 5, 3 }, { 0 }, { 0 }, 0, 1 },
	{ "fo overloaded", FL_SCHED_FO, 4, { 2, 5, 5, 3 }, { 0 }, { 0 }, 2, 2 },
	{ "fo none", FL_SCHED_FO, 2, { 0, 0 }, { 0 }, { 0 }, 0, -1 },
	/* ovf: highest weight with active <= weight */
	{ "ovf full overflows", FL_SCHED_OVF, 3, { 2, 5, 4 }, { 0, 6, 0 }, { 0 }, 0, 2 },
	{ "ovf at weight ok", FL_SCHED_OVF, 3, { 2, 5, 4 }, { 0, 5, 0 }, { 0 }, 0, 1 },
	{ "ovf tie first", FL_SCHED_OVF, 3, { 5, 5, 4 }, { 0, 0, 0 }, { 0 }, 0, 0 },
	{ "ovf all full", FL_SCHED_OVF, 2, { 1, 1 }, { 2, 2 }, { 0 }, 0, -1 },
	/* lblc/lblcr first pick for a new daddr is wlc */
	{ "lblc new = wlc", FL_SCHED_LBLC, 3, { 1, 2, 3 }, { 1, 1, 2 }, { 0 }, 0, 1 },
	{ "lblcr new = wlc", FL_SCHED_LBLCR, 3, { 1, 2, 3 }, { 1, 1, 2 }, { 0 }, 0, 1 },
};

static const char *test_count_based(void)
{
	for (unsigned c = 0; c < NELEM(cnt_cases); c++) {
		const struct cnt_case *cc = &cnt_cases[c];
		struct fl_sched_dest d[5];
		struct fl_sched_conns conns[5];
		struct inst in;
		mk_dests(d, cc->n, cc->w);
		for (unsigned i = 0; i < cc->n; i++) {
			conns[i].active = cc->active[i];
			conns[i].inactive = cc->inactive[i];
			if (cc->overload_mask & (1u << i))
				d[i].flags |= FL_DEST_F_OVERLOAD;
		}
		CHECK(inst_new(&in, cc->kind, 0, d, cc->n, 0) == 0, "%s: build", cc->what);
		int got = pick(&in, d, cc->n, conns, htonl(0x0a000001), htonl(0xc0a80001), 1000);
		inst_free(&in);
		CHECK(got == cc->expect, "%s: got %d want %d", cc->what, got, cc->expect);
	}
	return NULL;
}

/* Counters of several workers are summed. */
static const char *test_multi_worker_sum(void)
{
	int w[3] = { 1, 1, 1 };
	struct fl_sched_dest d[3];
	/* 2 workers, stride 4: worker0 {5,0,0}, worker1 {0,3,4} -> 5,3,4 */
	struct fl_sched_conns c[8] = { { 5, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 },
				       { 0, 0 }, { 3, 0 }, { 4, 0 }, { 0, 0 } };
	struct fl_sched_conns_view cv = { c, 2, 4, NULL };
	struct inst in;
	mk_dests(d, 3, w);
	CHECK(inst_new(&in, FL_SCHED_LC, 0, d, 3, 0) == 0, "build");
	int got = fl_sched_pick(in.t, in.st, d, 3, &cv, 0, 0, 0, 0, IPPROTO_TCP);
	inst_free(&in);
	CHECK(got == 1, "lc over summed counts: got %d want 1", got);
	struct fl_sched_conns s = fl_sched_conns_sum(&cv, 2);
	CHECK(s.active == 4 && s.inactive == 0, "sum");
	/* The dataplane keys counters by stable server id: dest i at ids[i]. */
	const uint32_t ids[3] = { 2, 0, 1 };   /* dest0 -> 4, dest1 -> 5, dest2 -> 3 */
	struct fl_sched_conns_view byid = { c, 2, 4, ids };
	mk_dests(d, 3, w);
	CHECK(inst_new(&in, FL_SCHED_LC, 0, d, 3, 0) == 0, "build");
	got = fl_sched_pick(in.t, in.st, d, 3, &byid, 0, 0, 0, 0, IPPROTO_TCP);
	inst_free(&in);
	CHECK(got == 2, "lc over counters keyed by id: got %d want 2", got);
	s = fl_sched_conns_sum(&byid, 1);
	CHECK(s.active == 5, "sum by id: got %u want 5", s.active);
	return NULL;
}

/* ---------- weight 0 and OVERLOAD, every scheduler ---------- */

static const char *check_never(unsigned flag_overload)
{
	int w[6] = { 3, 1, 4, 1, 5, 2 };
	const unsigned n = 6, bad = 2;
	for (unsigned kind = 0; kind < FL_SCHED_KIND_COUNT; kind++) {
		for (unsigned fl = 0; fl < 2; fl++) {
			unsigned flags = fl ? (FL_SCHED_F_SH_FALLBACK | FL_SCHED_F_MH_FALLBACK |
					       FL_SCHED_F_SH_PORT | FL_SCHED_F_MH_PORT)
					    : 0;
			struct fl_sched_dest d[6];
			struct fl_sched_conns conns[6];
			struct inst in;
			mk_dests(d, n, w);
			if (!flag_overload)
				d[bad].weight = 0;
			CHECK(inst_new(&in, kind, flags, d, n, 251) == 0, "build %u", kind);
			if (flag_overload)
				d[bad].flags |= FL_DEST_F_OVERLOAD;
			unsigned picked = 0;
			for (unsigned k = 0; k < 2000; k++) {
				for (unsigned i = 0; i < n; i++) {
					conns[i].active = (uint32_t)(rnd() % 8);
					conns[i].inactive = (uint32_t)(rnd() % 64);
				}
				conns[bad].active = 0;
				conns[bad].inactive = 0; /* most attractive by counts */
				int got = pick(&in, d, n, conns, (uint32_t)rnd(), (uint32_t)rnd(),
					       (uint16_t)rnd());
				if (got == (int)bad) {
					inst_free(&in);
					CHECK(0, "%s flags %u picked the %s dest", fl_sched_name(kind),
					      flags, flag_overload ? "overloaded" : "weight-0");
				}
				if (got >= 0)
					picked++;
			}
			inst_free(&in);
			CHECK(picked > 0, "%s never picked anything", fl_sched_name(kind));
		}
	}
	return NULL;
}

static const char *test_weight0_never(void)
{
	return check_never(0);
}

static const char *test_overload_never(void)
{
	return check_never(1);
}

static const char *test_unavailable_never(void)
{
	int w[3] = { 1, 1, 1 };
	for (unsigned kind = 0; kind < FL_SCHED_KIND_COUNT; kind++) {
		struct fl_sched_dest d[3];
		struct inst in;
		mk_dests(d, 3, w);
		CHECK(inst_new(&in, kind, FL_SCHED_F_SH_FALLBACK | FL_SCHED_F_MH_FALLBACK, d, 3, 251) == 0,
		      "build");
		d[0].flags &= ~FL_DEST_F_AVAILABLE;
		for (unsigned k = 0; k < 500; k++) {
			int got = pick(&in, d, 3, NULL, (uint32_t)rnd(), (uint32_t)rnd(), 0);
			if (got == 0) {
				inst_free(&in);
				CHECK(0, "%s picked an unavailable dest", fl_sched_name(kind));
			}
		}
		inst_free(&in);
	}
	return NULL;
}

/* ---------- sh / dh ---------- */

/* linux hash_32() as the kernel writes it, for the expected buckets */
static unsigned k_hash_32(uint32_t v, unsigned bits)
{
	return (v * 0x61C88647u) >> (32 - bits);
}

static const char *test_sh_buckets(void)
{
	/* ip_vs_sh_reassign() with weights 1,2,3,4 (sum 10): 25 full rounds
	 * = 250 buckets, then A, B B, C C C -> A 26, B 52, C 78, D 100. */
	int w[4] = { 1, 2, 3, 4 };
	const unsigned want[4] = { 26, 52, 78, 100 };
	/* the first buckets in order: A B B C C C D D D D A */
	const int head[11] = { 0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 0 };
	struct fl_sched_dest d[4];
	struct inst in;
	const int32_t *slots;
	unsigned cnt[4] = { 0 };
	mk_dests(d, 4, w);
	CHECK(inst_new(&in, FL_SCHED_SH, 0, d, 4, 0) == 0, "build");
	CHECK(fl_sched_table_slots(in.t, &slots) == 256, "256 buckets");
	for (unsigned i = 0; i < 256; i++)
		cnt[slots[i]]++;
	for (unsigned i = 0; i < 11; i++)
		CHECK(slots[i] == head[i], "bucket %u = %d want %d", i, slots[i], head[i]);
	for (unsigned i = 0; i < 4; i++)
		CHECK(cnt[i] == want[i], "dest %u has %u buckets, want %u", i, cnt[i], want[i]);
	/* bucket = hash_32(ntohl(saddr), 8), same source -> same dest */
	for (unsigned k = 0; k < 1000; k++) {
		uint32_t s = (uint32_t)rnd();
		int a = pick(&in, d, 4, NULL, s, 0, (uint16_t)rnd());
		int b = pick(&in, d, 4, NULL, s, (uint32_t)rnd(), (uint16_t)rnd());
		int e = slots[k_hash_32(ntohl(s), 8)];
		if (a != b || a != e) {
			inst_free(&in);
			CHECK(0, "saddr %08x: %d %d want %d", s, a, b, e);
		}
	}
	inst_free(&in);
	return NULL;
}

static const char *test_sh_fallback_and_port(void)
{
	int w[4] = { 1, 1, 1, 1 };
	struct fl_sched_dest d[4];
	struct inst plain, fb, port;
	mk_dests(d, 4, w);
	CHECK(inst_new(&plain, FL_SCHED_SH, 0, d, 4, 0) == 0, "build");
	CHECK(inst_new(&fb, FL_SCHED_SH, FL_SCHED_F_SH_FALLBACK, d, 4, 0) == 0, "build");
	CHECK(inst_new(&port, FL_SCHED_SH, FL_SCHED_F_SH_PORT, d, 4, 0) == 0, "build");
	const char *err = NULL;
	unsigned moved = 0, ports_differ = 0;
	for (unsigned k = 0; k < 2000 && !err; k++) {
		uint32_t s = (uint32_t)rnd();
		int before = pick(&plain, d, 4, NULL, s, 0, 0);
		/* sh-port: the source port joins the hash */
		if (pick(&port, d, 4, NULL, s, 0, htons(1000)) !=
		    pick(&port, d, 4, NULL, s, 0, htons(1001)))
			ports_differ++;
		d[1].weight = 0;
		int p = pick(&plain, d, 4, NULL, s, 0, 0);
		int f = pick(&fb, d, 4, NULL, s, 0, 0);
		d[1].weight = 1;
		if (before == 1) {
			if (p != -1 || f < 0 || f == 1)
				err = "quiesced dest's source not refused / not re-homed";
			moved++;
		} else if (p != before || f != before) {
			err = "another dest's source moved";
		}
	}
	inst_free(&plain);
	inst_free(&fb);
	inst_free(&port);
	CHECK(err == NULL, "%s", err);
	CHECK(moved > 0, "no source on dest 1");
	CHECK(ports_differ > 1000, "sh-port: only %u of 2000 changed with the port", ports_differ);
	return NULL;
}

static const char *test_dh_buckets(void)
{
	/* ip_vs_dh_reassign(): bucket i -> dest i % n, weights ignored */
	int w[3] = { 1, 5, 9 };
	struct fl_sched_dest d[3];
	struct inst in;
	const int32_t *slots;
	mk_dests(d, 3, w);
	CHECK(inst_new(&in, FL_SCHED_DH, 0, d, 3, 0) == 0, "build");
	CHECK(fl_sched_table_slots(in.t, &slots) == 256, "256 buckets");
	for (unsigned i = 0; i < 256; i++)
		CHECK(slots[i] == (int)(i % 3), "bucket %u", i);
	for (unsigned k = 0; k < 1000; k++) {
		uint32_t da = (uint32_t)rnd();
		int a = pick(&in, d, 3, NULL, (uint32_t)rnd(), da, 0);
		int b = pick(&in, d, 3, NULL, (uint32_t)rnd(), da, 0);
		int e = slots[k_hash_32(ntohl(da), 8)];
		if (a != b || a != e) {
			inst_free(&in);
			CHECK(0, "daddr %08x: %d %d want %d", da, a, b, e);
		}
	}
	inst_free(&in);
	return NULL;
}

/* ---------- Maglev ---------- */

static const char *test_mh_balance(void)
{
	/* mixed weights, M = 65537: each dest's share of the slots within 1 %
	 * (relative) of weight / sum(weights) */
	int w[10] = { 1, 2, 3, 4, 5, 1, 2, 3, 4, 10 };
	struct fl_sched_dest d[10];
	struct inst in;
	const int32_t *slots;
	unsigned cnt[10] = { 0 }, sumw = 0;
	mk_dests(d, 10, w);
	for (unsigned i = 0; i < 10; i++)
		sumw += (unsigned)w[i];
	CHECK(inst_new(&in, FL_SCHED_MH, 0, d, 10, 0) == 0, "build");
	unsigned m = fl_sched_table_slots(in.t, &slots);
	CHECK(m == 65537, "default size %u", m);
	for (unsigned i = 0; i < m; i++) {
		if (slots[i] < 0 || slots[i] >= 10) {
			inst_free(&in);
			CHECK(0, "slot %u empty", i);
		}
		cnt[slots[i]]++;
	}
	/* and keys follow the slots: 200k random sources, per-dest share within
	 * 5 % relative (sampling noise) */
	unsigned hits[10] = { 0 };
	for (unsigned k = 0; k < 200000; k++) {
		int p = pick(&in, d, 10, NULL, (uint32_t)rnd(), 0, 0);
		if (p < 0) {
			inst_free(&in);
			CHECK(0, "no pick");
		}
		hits[p]++;
	}
	inst_free(&in);
	for (unsigned i = 0; i < 10; i++) {
		double want = (double)w[i] / sumw;
		double got = (double)cnt[i] / m;
		CHECK(got > want * 0.99 && got < want * 1.01, "dest %u: %.5f of slots, want %.5f", i,
		      got, want);
		double kg = hits[i] / 200000.0;
		CHECK(kg > want * 0.95 && kg < want * 1.05, "dest %u: %.5f of keys, want %.5f", i, kg,
		      want);
	}
	return NULL;
}

static const char *mh_disruption(unsigned n, const int *w, unsigned removed, double *frac)
{
	struct fl_sched_dest d[MAXD], d2[MAXD];
	struct inst a, b;
	const int32_t *sa, *sb;
	mk_dests(d, n, w);
	unsigned j = 0;
	for (unsigned i = 0; i < n; i++)
		if (i != removed)
			d2[j++] = d[i];
	CHECK(inst_new(&a, FL_SCHED_MH, 0, d, n, 0) == 0, "build");
	CHECK(inst_new(&b, FL_SCHED_MH, 0, d2, n - 1, 0) == 0, "build");
	unsigned m = fl_sched_table_slots(a.t, &sa);
	fl_sched_table_slots(b.t, &sb);
	unsigned other_moved = 0, removed_slots = 0;
	for (unsigned i = 0; i < m; i++) {
		uint32_t ida = d[sa[i]].id, idb = d2[sb[i]].id;
		if (sa[i] == (int)removed)
			removed_slots++;
		else if (ida != idb)
			other_moved++;
	}
	inst_free(&a);
	inst_free(&b);
	CHECK(removed_slots > 0, "removed dest had no slots");
	*frac = (double)other_moved / m;
	return NULL;
}

static const char *test_mh_minimal_disruption(void)
{
	int w10[10] = { 1, 2, 3, 4, 5, 1, 2, 3, 4, 10 };
	int w100[100];
	double f;
	const char *e;
	for (unsigned i = 0; i < 100; i++)
		w100[i] = 1 + (int)(i % 4);
	for (unsigned r = 0; r < 10; r++) {
		if ((e = mh_disruption(10, w10, r, &f)) != NULL)
			return e;
		CHECK(f <= 0.01, "10 dests, remove %u: %.4f of other keys moved", r, f);
	}
	for (unsigned r = 0; r < 100; r += 17) {
		if ((e = mh_disruption(100, w100, r, &f)) != NULL)
			return e;
		CHECK(f <= 0.01, "100 dests, remove %u: %.4f of other keys moved", r, f);
	}
	return NULL;
}

static const char *test_mh_deterministic(void)
{
	int w[MAXD];
	struct fl_sched_dest d[MAXD];
	struct inst a, b;
	const int32_t *sa, *sb;
	for (unsigned i = 0; i < MAXD; i++)
		w[i] = 1 + (int)(rnd() % 50);
	mk_dests(d, MAXD, w);
	CHECK(inst_new(&a, FL_SCHED_MH, FL_SCHED_F_MH_PORT, d, MAXD, 65521) == 0, "build");
	CHECK(inst_new(&b, FL_SCHED_MH, FL_SCHED_F_MH_PORT, d, MAXD, 65521) == 0, "build");
	unsigned m = fl_sched_table_slots(a.t, &sa);
	unsigned m2 = fl_sched_table_slots(b.t, &sb);
	int same = m == m2 && memcmp(sa, sb, m * sizeof(*sa)) == 0;
	inst_free(&a);
	inst_free(&b);
	CHECK(m == 65521, "size");
	CHECK(same, "two builds differ");
	return NULL;
}

static const char *test_mh_quiesce_fallback_port(void)
{
	int w[5] = { 1, 1, 2, 1, 1 };
	struct fl_sched_dest d[5];
	struct inst plain, fb, q, port;
	const int32_t *s1, *s2;
	mk_dests(d, 5, w);
	CHECK(inst_new(&plain, FL_SCHED_MH, 0, d, 5, 4093) == 0, "build");
	CHECK(inst_new(&fb, FL_SCHED_MH, FL_SCHED_F_MH_FALLBACK, d, 5, 4093) == 0, "build");
	CHECK(inst_new(&port, FL_SCHED_MH, FL_SCHED_F_MH_PORT, d, 5, 4093) == 0, "build");
	/* quiesce dest 2: weight 0, last_weight 2 -> the table is unchanged */
	d[2].weight = 0;
	CHECK(inst_new(&q, FL_SCHED_MH, 0, d, 5, 4093) == 0, "build");
	unsigned m = fl_sched_table_slots(plain.t, &s1);
	fl_sched_table_slots(q.t, &s2);
	int same = memcmp(s1, s2, m * sizeof(*s1)) == 0;
	const char *err = same ? NULL : "quiescing rebuilt a different table";
	unsigned moved = 0, ports_differ = 0;
	for (unsigned k = 0; k < 5000 && !err; k++) {
		uint32_t s = (uint32_t)rnd();
		d[2].weight = 2;
		int before = pick(&plain, d, 5, NULL, s, 0, 0);
		if (pick(&port, d, 5, NULL, s, 0, htons(1000)) !=
		    pick(&port, d, 5, NULL, s, 0, htons(2000)))
			ports_differ++;
		if (pick(&plain, d, 5, NULL, s, 0, htons(1000)) != before)
			err = "without mh-port the port changed the pick";
		d[2].weight = 0;
		int p = pick(&plain, d, 5, NULL, s, 0, 0);
		int f = pick(&fb, d, 5, NULL, s, 0, 0);
		if (before == 2) {
			moved++;
			if (p != -1 || f < 0 || f == 2)
				err = "quiesced dest's key not refused / not re-homed";
		} else if (p != before || f != before) {
			err = "another dest's key moved";
		}
	}
	/* nothing usable: fallback gives up */
	for (unsigned i = 0; i < 5; i++)
		d[i].flags |= FL_DEST_F_OVERLOAD;
	int none = pick(&fb, d, 5, NULL, 12345, 0, 0);
	inst_free(&plain);
	inst_free(&fb);
	inst_free(&q);
	inst_free(&port);
	CHECK(err == NULL, "%s", err);
	CHECK(moved > 0, "no key on dest 2");
	CHECK(ports_differ > 2500, "mh-port: only %u of 5000 changed", ports_differ);
	CHECK(none == -1, "all overloaded: got %d", none);
	return NULL;
}

static const char *test_mh_build_errors(void)
{
	int w[3] = { 1, 1, 1 };
	struct fl_sched_dest d[3];
	char err[128];
	mk_dests(d, 3, w);
	struct fl_sched_table *t = fl_sched_build(FL_SCHED_MH, 0, d, 3, 65536, err, sizeof(err));
	CHECK(t == NULL && err[0] != '\0', "non-prime size accepted");
	t = fl_sched_build(FL_SCHED_MH, 0, d, 3, 2, err, sizeof(err));
	CHECK(t == NULL, "size below dest count accepted");
	d[1].weight = -1;
	t = fl_sched_build(FL_SCHED_WLC, 0, d, 3, 0, err, sizeof(err));
	CHECK(t == NULL, "negative weight accepted");
	t = fl_sched_build(77, 0, d, 3, 0, err, sizeof(err));
	CHECK(t == NULL, "bad kind accepted");
	/* all weights 0: an empty table, picks fail */
	int z[3] = { 0, 0, 0 };
	mk_dests(d, 3, z);
	t = fl_sched_build(FL_SCHED_MH, FL_SCHED_F_MH_FALLBACK, d, 3, 251, err, sizeof(err));
	CHECK(t != NULL, "all-zero build: %s", err);
	int p = fl_sched_pick(t, NULL, d, 3, NULL, 1, 2, 3, 4, IPPROTO_TCP);
	fl_sched_table_free(t);
	CHECK(p == -1, "all weight 0 picked %d", p);
	return NULL;
}

/* ---------- lblc / lblcr ---------- */

static const char *test_lblc_locality(void)
{
	int w[3] = { 4, 4, 4 };
	struct fl_sched_dest d[3];
	struct fl_sched_conns c[3] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	struct inst in;
	uint32_t da = htonl(0xc0a80101);
	mk_dests(d, 3, w);
	CHECK(inst_new(&in, FL_SCHED_LBLC, 0, d, 3, 0) == 0, "build");
	int first = pick(&in, d, 3, c, 1, da, 0);
	const char *err = NULL;
	if (first != 0)
		err = "first pick is not wlc's (0)";
	/* it sticks while the dest is below its weight, even when busier */
	c[0].active = 4;
	if (!err && pick(&in, d, 3, c, 2, da, 0) != 0)
		err = "cached dest not kept at active == weight";
	/* active > weight and another dest below half its weight: move */
	c[0].active = 5;
	int moved = pick(&in, d, 3, c, 3, da, 0);
	if (!err && moved != 1)
		err = "overloaded cached dest not replaced by wlc's choice (1)";
	/* the new mapping sticks */
	c[0].active = 0;
	if (!err && pick(&in, d, 3, c, 4, da, 0) != 1)
		err = "cache not updated";
	/* active > weight but nobody below half weight: stays */
	c[1].active = 9;
	c[0].active = 2;
	c[2].active = 2;
	if (!err && pick(&in, d, 3, c, 5, da, 0) != 1)
		err = "moved although no dest is below half its weight";
	/* quiesced cached dest: reschedule */
	d[1].weight = 0;
	if (!err && pick(&in, d, 3, c, 6, da, 0) == 1)
		err = "weight-0 cached dest kept";
	inst_free(&in);
	CHECK(err == NULL, "%s", err);
	return NULL;
}

static const char *test_lblcr_set(void)
{
	int w[3] = { 4, 4, 4 };
	struct fl_sched_dest d[3];
	struct fl_sched_conns c[3] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	struct inst in;
	uint32_t da = htonl(0xc0a80102);
	const char *err = NULL;
	mk_dests(d, 3, w);
	CHECK(inst_new(&in, FL_SCHED_LBLCR, 0, d, 3, 0) == 0, "build");
	fl_sched_state_set_clock(in.st, 1000);
	if (pick(&in, d, 3, c, 1, da, 0) != 0)
		err = "first pick";
	/* dest 0 over weight, dest 1 idle: 1 joins the set */
	c[0].active = 5;
	if (!err && pick(&in, d, 3, c, 1, da, 0) != 1)
		err = "second dest not added";
	/* set {1, 0}: set_min = weighted least in the set */
	c[0].active = 1;
	c[1].active = 3;
	c[2].active = 0;
	if (!err && pick(&in, d, 3, c, 1, da, 0) != 0)
		err = "set_min did not pick the least loaded member";
	/* dest 2 (not in the set) is idle, but members are not overloaded */
	c[0].active = 2;
	c[1].active = 2;
	if (!err && pick(&in, d, 3, c, 1, da, 0) == 2)
		err = "non-member picked while members fine";
	/* after the expiration, the most loaded member is dropped */
	fl_sched_state_set_expiration(in.st, 10);
	fl_sched_state_set_clock(in.st, 1005);
	c[0].active = 4; /* most loaded: 0 */
	c[1].active = 1;
	(void)pick(&in, d, 3, c, 1, da, 0); /* lastuse refresh; lastmod 1000 + 10 > 1005 */
	fl_sched_state_set_clock(in.st, 1011);
	if (!err && pick(&in, d, 3, c, 1, da, 0) != 1)
		err = "pick after expiry";
	c[0].active = 0;
	c[1].active = 1;
	/* 0 was erased: with 0 idle now, the set {1} still answers 1 */
	if (!err && pick(&in, d, 3, c, 1, da, 0) != 1)
		err = "most loaded member not erased after expiration";
	inst_free(&in);
	CHECK(err == NULL, "%s", err);
	return NULL;
}

/* ---------- thresholds ---------- */

static const char *test_thresholds(void)
{
	struct fl_sched_dest d;
	struct fl_sched_conns c;
	memset(&d, 0, sizeof(d));
	d.flags = FL_DEST_F_AVAILABLE;
	d.u_threshold = 10;
	/* u 10, l 0 -> clear below 7.5 (total * 4 < 30) */
	static const struct { uint32_t a, i; int over; } seq[] = {
		{ 5, 4, 0 }, { 6, 4, 1 }, { 10, 5, 1 }, { 4, 4, 1 }, { 7, 1, 1 },
		{ 4, 3, 0 }, { 9, 0, 0 }, { 0, 10, 1 },
	};
	for (unsigned k = 0; k < NELEM(seq); k++) {
		c.active = seq[k].a;
		c.inactive = seq[k].i;
		fl_sched_update_overload(&d, &c);
		CHECK(!!(d.flags & FL_DEST_F_OVERLOAD) == seq[k].over, "u=10 step %u", k);
		CHECK(d.flags & FL_DEST_F_AVAILABLE, "other flags kept");
	}
	/* u 10, l 5 */
	d.flags = FL_DEST_F_AVAILABLE;
	d.l_threshold = 5;
	static const struct { uint32_t t; int over; } seq2[] = {
		{ 10, 1 }, { 6, 1 }, { 5, 1 }, { 4, 0 }, { 9, 0 }, { 11, 1 },
	};
	for (unsigned k = 0; k < NELEM(seq2); k++) {
		c.active = seq2[k].t;
		c.inactive = 0;
		fl_sched_update_overload(&d, &c);
		CHECK(!!(d.flags & FL_DEST_F_OVERLOAD) == seq2[k].over, "u=10 l=5 step %u", k);
	}
	/* no thresholds: always cleared */
	d.u_threshold = d.l_threshold = 0;
	d.flags |= FL_DEST_F_OVERLOAD;
	c.active = 1000;
	fl_sched_update_overload(&d, &c);
	CHECK(!(d.flags & FL_DEST_F_OVERLOAD), "no threshold must clear");
	return NULL;
}

/* ---------- state carry-over ---------- */

static const char *test_state_carry(void)
{
	int w[3] = { 1, 1, 1 };
	struct fl_sched_dest d[3];
	struct inst in;
	mk_dests(d, 3, w);
	CHECK(inst_new(&in, FL_SCHED_RR, 0, d, 3, 0) == 0, "build");
	CHECK(pick(&in, d, 3, NULL, 0, 0, 0) == 0, "rr 0");
	CHECK(pick(&in, d, 3, NULL, 0, 0, 0) == 1, "rr 1");
	/* new snapshot: a dest added in front; rr resumes after dest id 101 */
	struct fl_sched_dest d2[4];
	int w2[4] = { 1, 1, 1, 1 };
	mk_dests(d2, 4, w2);
	d2[0].id = 200;
	for (unsigned i = 1; i < 4; i++)
		d2[i].id = 100 + i - 1;
	struct inst in2;
	char err[64];
	in2.t = fl_sched_build(FL_SCHED_RR, 0, d2, 4, 0, err, sizeof(err));
	in2.st = malloc(fl_sched_state_size(FL_SCHED_RR, 4));
	fl_sched_state_init(in2.st, in2.t, d2, 4, in.st);
	int p = pick(&in2, d2, 4, NULL, 0, 0, 0);
	inst_free(&in);
	inst_free(&in2);
	CHECK(p == 3, "rr after carry-over: got %d want 3 (id 102)", p);
	return NULL;
}

static const struct fl_tap_case tests[] = {
	{ "scheduler names and default wlc", test_names },
	{ "rr and wrr sequences match ip_vs_rr/ip_vs_wrr", test_rr_wrr_sequences },
	{ "lc wlc sed nq fo ovf formulas and ties", test_count_based },
	{ "counts of several workers are summed", test_multi_worker_sum },
	{ "weight 0 never chosen (every scheduler)", test_weight0_never },
	{ "OVERLOAD never chosen (every scheduler)", test_overload_never },
	{ "unavailable dest never chosen (every scheduler)", test_unavailable_never },
	{ "sh buckets by weight and source affinity", test_sh_buckets },
	{ "sh fallback and sh-port", test_sh_fallback_and_port },
	{ "dh buckets and destination affinity", test_dh_buckets },
	{ "mh balance within 1 percent at M=65537", test_mh_balance },
	{ "mh minimal disruption on removal", test_mh_minimal_disruption },
	{ "mh deterministic builds", test_mh_deterministic },
	{ "mh quiesce, fallback and mh-port", test_mh_quiesce_fallback_port },
	{ "build errors and empty tables", test_mh_build_errors },
	{ "lblc locality and IPVS overload rule", test_lblc_locality },
	{ "lblcr server sets", test_lblcr_set },
	{ "OVERLOAD threshold set and clear", test_thresholds },
	{ "rr position carried across snapshots", test_state_carry },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
