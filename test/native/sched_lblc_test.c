/*
 * Unit tests of lblc and lblcr (native/sched/sched_lblc.c).
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/sched.test.ts.
 */
#include "sched_test.h"

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


static const struct fl_tap_case tests[] = {
	{ "lblc locality and IPVS overload rule", test_lblc_locality },
	{ "lblcr server sets", test_lblcr_set },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
