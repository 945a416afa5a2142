/* Round robin and weighted round robin (ip_vs_rr.c, ip_vs_wrr.c). */
#include "sched_impl.h"

/* ip_vs_rr.c ip_vs_rr_schedule(): next dest after the last one, in list
 * order, wrapping once, that is not overloaded and has weight > 0. */
static int pick_rr(struct fl_sched_state *st, const struct fl_sched_dest *dests, unsigned n)
{
	if (n == 0)
		return -1;
	unsigned start = st->cl < 0 || (unsigned)st->cl + 1 >= n ? 0 : (unsigned)st->cl + 1;
	for (unsigned k = 0, i = start; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
		const struct fl_sched_dest *d = &dests[i];
		if (listed(d) && !overloaded(d) && d->weight > 0) {
			st->cl = (int32_t)i;
			st->last_id = d->id;
			return (int)i;
		}
	}
	return -1;
}

/* ip_vs_wrr.c ip_vs_wrr_schedule(), with cl == -1 standing for the list
 * head. Passes go with cw = mw, mw - di, ..., down to <= 0; a dest is taken
 * if not overloaded and weight >= cw. */
static int pick_wrr(const struct fl_sched_table *t, struct fl_sched_state *st,
		    const struct fl_sched_dest *dests, unsigned n)
{
	int dest = st->cl;
	int last, stop = -2;
	bool last_pass = false, restarted = false;

	if (dest >= (int)n)
		dest = -1;
	if (t->mw <= 0)
		goto err;
	last = dest;
	for (;;) {
		for (dest = dest + 1; dest < (int)n; dest++) {
			const struct fl_sched_dest *d = &dests[dest];
			if (listed(d) && !overloaded(d) && d->weight >= st->cw)
				goto found;
			if (dest == stop)
				goto err;
		}
		dest = -1; /* back at the head */
		st->cw -= t->di;
		if (st->cw <= 0) {
			st->cw = t->mw;
			if (last_pass || last == -1)
				goto err;
			restarted = true;
		}
		last_pass = st->cw <= t->di;
		if (last_pass && restarted && last != -1)
			stop = last;
	}
found:
	st->cl = dest;
	return dest;
err:
	st->cl = dest;
	return -1;
}

/* ip_vs_rr.c: the position survives dest changes */
static void rr_state_init(struct fl_sched_state *st, const struct fl_sched_table *t,
			  const struct fl_sched_dest *dests, unsigned n, const struct fl_sched_state *prev)
{
	(void)t;
	if (prev && prev->cl >= 0) {
		for (unsigned i = 0; i < n; i++)
			if (dests[i].id == prev->last_id) {
				st->cl = (int32_t)i;
				st->last_id = prev->last_id;
				break;
			}
	}
}

/* ip_vs_wrr.c: init_svc sets cw = mw; dest_changed resets cl to the head
 * and keeps cw, clamped/realigned to the new di. */
static void wrr_state_init(struct fl_sched_state *st, const struct fl_sched_table *t,
			   const struct fl_sched_dest *dests, unsigned n, const struct fl_sched_state *prev)
{
	(void)dests, (void)n;
	st->cw = t->mw;
	if (prev) {
		int cw = prev->cw;
		if (cw > t->mw || !cw)
			cw = t->mw;
		else if (t->di > 1)
			cw = (cw / t->di) * t->di + 1;
		st->cw = cw;
	}
}

/* ip_vs_wrr.c ip_vs_wrr_init_svc(): di = gcd of weights > 0 (1 if none),
 * mw = max weight - (di - 1) */
static int wrr_build(struct fl_sched_table *t, const struct fl_sched_dest *dests, unsigned n,
		     char *err, size_t errlen)
{
	(void)err, (void)errlen;
	int g = 0, mx = 0;
	for (unsigned i = 0; i < n; i++) {
		int w = dests[i].weight;
		if (w > 0)
			g = g > 0 ? gcd_int(w, g) : w;
		if (w > mx)
			mx = w;
	}
	t->di = g ? g : 1;
	t->mw = mx - (t->di - 1);
	return 0;
}

static int rr_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_rr(st, dests, n);
}

static int wrr_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_wrr(t, st, dests, n);
}

const struct fl_sched_ops fl_sched_rr_ops = { .name = "rr", .state_init = rr_state_init, .pick = rr_pick };
const struct fl_sched_ops fl_sched_wrr_ops = {
	.name = "wrr", .build = wrr_build, .state_init = wrr_state_init, .pick = wrr_pick,
};
