/*
 * Unit tests of the least-connection family (native/sched/sched_lc.c),
 * and of wlc as lblc and lblcr fall back to it.
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/sched.test.ts.
 */
#include "sched_test.h"

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

static const struct fl_tap_case tests[] = {
	{ "lc wlc sed nq fo ovf formulas and ties", test_count_based },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
