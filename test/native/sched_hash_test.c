/*
 * Unit tests of sh and dh (native/sched/sched_hash.c).
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/sched.test.ts.
 */
#include "sched_test.h"

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


static const struct fl_tap_case tests[] = {
	{ "sh buckets by weight and source affinity", test_sh_buckets },
	{ "sh fallback and sh-port", test_sh_fallback_and_port },
	{ "dh buckets and destination affinity", test_dh_buckets },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
