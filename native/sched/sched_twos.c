/* Weighted random of two choices (ip_vs_twos.c, Linux 6.x): draw two dests
 * at random in proportion to their weights, keep the one with the lower
 * connection overhead per weight. Each worker draws from its own generator
 * (IPVS uses get_random_u32_below), carried over across snapshots. */
#include "sched_impl.h"

/* xorshift64*: the worker's own generator; never 0. */
static inline uint32_t twos_random_below(struct fl_sched_state *st, uint32_t n)
{
	uint64_t x = st->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rng = x;
	return (uint32_t)(((x * 0x2545F4914F6CDD1Dull) >> 32) * (uint64_t)n >> 32);
}

/* ip_vs_twos.c ip_vs_twos_schedule(): total weight over the dests that are
 * not overloaded and have weight > 0, plus one; two draws below it; each
 * draw walks the same list subtracting weights and takes the dest where it
 * reaches 0 or less; the second replaces the first iff
 * weight2 * overhead1 > weight1 * overhead2. */
static int pick_twos(struct fl_sched_state *st, const struct fl_sched_dest *dests, unsigned n,
		     const struct fl_sched_conns_view *cv)
{
	int64_t total = 0;
	int choice1 = -1, choice2 = -1;
	for (unsigned i = 0; i < n; i++)
		if (listed(&dests[i]) && !overloaded(&dests[i]) && dests[i].weight > 0) {
			total += dests[i].weight;
			choice1 = (int)i;
		}
	if (choice1 < 0)
		return -1;
	total += 1;
	int64_t r1 = twos_random_below(st, (uint32_t)(total > UINT32_MAX ? UINT32_MAX : total));
	int64_t r2 = twos_random_below(st, (uint32_t)(total > UINT32_MAX ? UINT32_MAX : total));
	int64_t w1 = -1, w2 = -1, oh1 = 0, oh2 = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fl_sched_dest *d = &dests[i];
		if (!listed(d) || overloaded(d) || d->weight <= 0)
			continue;
		r1 -= d->weight;
		r2 -= d->weight;
		if (r1 <= 0 && w1 == -1) {
			choice1 = (int)i;
			w1 = d->weight;
			oh1 = conn_overhead(cv, i);
		}
		if (r2 <= 0 && w2 == -1) {
			choice2 = (int)i;
			w2 = d->weight;
			oh2 = conn_overhead(cv, i);
		}
		if (w1 != -1 && w2 != -1)
			break;
	}
	if (choice2 >= 0 && w2 * oh1 > w1 * oh2)
		choice1 = choice2;
	return choice1;
}

static void twos_state_init(struct fl_sched_state *st, const struct fl_sched_table *t,
			    const struct fl_sched_dest *dests, unsigned n, const struct fl_sched_state *prev)
{
	(void)t, (void)dests, (void)n;
	st->rng = prev && prev->rng ? prev->rng : 0x9e3779b97f4a7c15ull;
}

static int twos_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_twos(st, dests, n, cv);
}

const struct fl_sched_ops fl_sched_twos_ops = { .name = "twos", .state_init = twos_state_init, .pick = twos_pick };
