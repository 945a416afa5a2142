/*
 * Unit tests of the scheduler core (native/sched/sched.c): the registry's
 * names, counts summed over workers, filters every scheduler applies, and
 * IPVS thresholds.
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/sched.test.ts.
 */
#include "sched_test.h"

/* ---------- names ---------- */

static const char *test_names(void)
{
	static const char *const names[] = { "rr", "wrr", "lc", "wlc", "sed", "nq", "fo",
					     "ovf", "lblc", "lblcr", "dh", "sh", "mh", "twos" };
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


static const struct fl_tap_case tests[] = {
	{ "scheduler names and default wlc", test_names },
	{ "counts of several workers are summed", test_multi_worker_sum },
	{ "weight 0 never chosen (every scheduler)", test_weight0_never },
	{ "OVERLOAD never chosen (every scheduler)", test_overload_never },
	{ "unavailable dest never chosen (every scheduler)", test_unavailable_never },
	{ "OVERLOAD threshold set and clear", test_thresholds },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
