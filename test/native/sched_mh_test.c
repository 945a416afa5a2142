/*
 * Unit tests of Maglev (native/sched/sched_mh.c).
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/sched.test.ts.
 */
#include "sched_test.h"

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


static const struct fl_tap_case tests[] = {
	{ "mh balance within 1 percent at M=65537", test_mh_balance },
	{ "mh minimal disruption on removal", test_mh_minimal_disruption },
	{ "mh deterministic builds", test_mh_deterministic },
	{ "mh quiesce, fallback and mh-port", test_mh_quiesce_fallback_port },
	{ "build errors and empty tables", test_mh_build_errors },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
