/*
 * Unit tests of rr and wrr (native/sched/sched_rr.c).
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/sched.test.ts.
 */
#include "sched_test.h"

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
	{ "rr and wrr sequences match ip_vs_rr/ip_vs_wrr", test_rr_wrr_sequences },
	{ "rr position carried across snapshots", test_state_carry },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
