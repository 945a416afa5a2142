/*
 * Unit tests of twos, the weighted random of two choices
 * (native/sched/sched_twos.c; Linux ip_vs_twos.c). Expected shares are
 * worked out by hand from ip_vs_twos_schedule(): a draw r in [0, total]
 * (total = summed weight, plus one) walks the list subtracting weights and
 * stops at the first dest where r <= 0, so dest 0 has weight + 1 chances in
 * total + 1 and every other dest its weight.
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/sched.test.ts.
 */
#include "sched_test.h"

#define PICKS 70000

static const char *test_twos_weighted_draws(void)
{
	/* No connections anywhere: the second draw never wins (0 > 0 is
	 * false), so the first draw's shares show: (1+1)/7, 2/7, 3/7. */
	int w[3] = { 1, 2, 3 };
	struct fl_sched_dest d[3];
	mk_dests(d, 3, w);
	struct inst in;
	CHECK(inst_new(&in, FL_SCHED_TWOS, 0, d, 3, 0) == 0, "build");
	struct fl_sched_conns c[3] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	unsigned got[3] = { 0, 0, 0 };
	for (unsigned k = 0; k < PICKS; k++) {
		int p = pick(&in, d, 3, c, 0, 0, 0);
		CHECK(p >= 0 && p < 3, "pick %d", p);
		got[p]++;
	}
	inst_free(&in);
	const double want[3] = { 2.0 / 7, 2.0 / 7, 3.0 / 7 };
	for (unsigned i = 0; i < 3; i++) {
		double share = (double)got[i] / PICKS;
		CHECK(share > want[i] - 0.01 && share < want[i] + 0.01, "dest %u: share %.4f, want %.4f", i, share, want[i]);
	}
	return NULL;
}

static const char *test_twos_prefers_less_loaded(void)
{
	/* Weights 1, 1: total 3, a draw is dest 0 for r in {0, 1}, dest 1 for
	 * r = 2. Dest 0 has 10 active connections (overhead 2560), dest 1
	 * none: dest 0 is kept only when both draws are dest 0: (2/3)^2. */
	int w[2] = { 1, 1 };
	struct fl_sched_dest d[2];
	mk_dests(d, 2, w);
	struct inst in;
	CHECK(inst_new(&in, FL_SCHED_TWOS, 0, d, 2, 0) == 0, "build");
	struct fl_sched_conns c[2] = { { 10, 0 }, { 0, 0 } };
	unsigned first = 0;
	for (unsigned k = 0; k < PICKS; k++)
		first += pick(&in, d, 2, c, 0, 0, 0) == 0;
	inst_free(&in);
	double share = (double)first / PICKS;
	CHECK(share > 4.0 / 9 - 0.01 && share < 4.0 / 9 + 0.01, "loaded dest share %.4f, want %.4f", share, 4.0 / 9);
	return NULL;
}

static const char *test_twos_none_and_carry(void)
{
	int w0[2] = { 0, 0 };
	struct fl_sched_dest d[2];
	mk_dests(d, 2, w0);
	struct inst in;
	CHECK(inst_new(&in, FL_SCHED_TWOS, 0, d, 2, 0) == 0, "build");
	CHECK(pick(&in, d, 2, NULL, 0, 0, 0) == -1, "all weight 0: none");
	d[1].flags |= FL_DEST_F_OVERLOAD;
	d[1].weight = 5;
	CHECK(pick(&in, d, 2, NULL, 0, 0, 0) == -1, "the only weighted dest is overloaded: none");
	inst_free(&in);
	/* The generator is carried across snapshots: a state built from prev
	 * continues prev's sequence, as a fresh copy of prev would. */
	int w[4] = { 1, 1, 1, 1 };
	struct fl_sched_dest e[4];
	mk_dests(e, 4, w);
	struct inst a, b;
	CHECK(inst_new(&a, FL_SCHED_TWOS, 0, e, 4, 0) == 0 && inst_new(&b, FL_SCHED_TWOS, 0, e, 4, 0) == 0, "build");
	for (unsigned k = 0; k < 5; k++)
		pick(&a, e, 4, NULL, 0, 0, 0), pick(&b, e, 4, NULL, 0, 0, 0);
	struct inst a2;
	char err[64];
	a2.t = fl_sched_build(FL_SCHED_TWOS, 0, e, 4, 0, err, sizeof(err));
	a2.st = malloc(fl_sched_state_size(FL_SCHED_TWOS, 4));
	fl_sched_state_init(a2.st, a2.t, e, 4, a.st);
	unsigned same = 0;
	for (unsigned k = 0; k < 50; k++)
		same += pick(&a2, e, 4, NULL, 0, 0, 0) == pick(&b, e, 4, NULL, 0, 0, 0);
	inst_free(&a);
	inst_free(&a2);
	inst_free(&b);
	CHECK(same == 50, "carried-over sequence differs at %u of 50 picks", 50 - same);
	return NULL;
}

static const struct fl_tap_case tests[] = {
	{ "twos draws in proportion to weight (dest 0 gets the +1)", test_twos_weighted_draws },
	{ "twos keeps the less loaded of two draws", test_twos_prefers_less_loaded },
	{ "twos: nothing available, and its generator carried across snapshots", test_twos_none_and_carry },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
