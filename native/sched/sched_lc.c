/* The least-connection family: lc, wlc, sed, nq, and the weight-ordered fo
 * and ovf (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c, ip_vs_fo.c,
 * ip_vs_ovf.c). None keeps per-worker state. */
#include "sched_impl.h"

/* ip_vs_lc.c ip_vs_lc_schedule(): least overhead, weight 0 and overloaded
 * skipped, strict < so the first wins ties. */
static int pick_lc(const struct fl_sched_dest *dests, unsigned n,
		   const struct fl_sched_conns_view *cv)
{
	int least = -1;
	int64_t loh = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fl_sched_dest *d = &dests[i];
		if (!listed(d) || overloaded(d) || d->weight == 0)
			continue;
		int64_t doh = conn_overhead(cv, i);
		if (least < 0 || doh < loh) {
			least = (int)i;
			loh = doh;
		}
	}
	return least;
}

/*
 * ip_vs_wlc.c ip_vs_wlc_schedule() (overhead = ip_vs_dest_conn_overhead) and
 * ip_vs_sed.c ip_vs_sed_schedule() (overhead = activeconns + 1), and the
 * lblc/lblcr fallbacks (__ip_vs_lblc_schedule, __ip_vs_lblcr_schedule, same
 * as wlc): the first non-overloaded dest with weight > 0 starts; a later
 * non-overloaded dest replaces it iff loh * dw > doh * lw.
 */
int fl_sched_weighted_least(const struct fl_sched_dest *dests, unsigned n,
			       const struct fl_sched_conns_view *cv, bool sed)
{
	unsigned i;
	int least = -1;
	int64_t loh = 0;

	for (i = 0; i < n; i++) {
		const struct fl_sched_dest *d = &dests[i];
		if (listed(d) && !overloaded(d) && d->weight > 0) {
			least = (int)i;
			loh = sed ? (int64_t)active_of(cv, i) + 1 : conn_overhead(cv, i);
			break;
		}
	}
	if (least < 0)
		return -1;
	for (i = i + 1; i < n; i++) {
		const struct fl_sched_dest *d = &dests[i];
		if (!listed(d) || overloaded(d))
			continue;
		int64_t doh = sed ? (int64_t)active_of(cv, i) + 1 : conn_overhead(cv, i);
		if (loh * d->weight > doh * dests[least].weight) {
			least = (int)i;
			loh = doh;
		}
	}
	return least;
}

/* ip_vs_nq.c ip_vs_nq_schedule(): the first idle (activeconns == 0) usable
 * dest at once; else sed's rule. */
static int pick_nq(const struct fl_sched_dest *dests, unsigned n,
		   const struct fl_sched_conns_view *cv)
{
	int least = -1;
	int64_t loh = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fl_sched_dest *d = &dests[i];
		if (!listed(d) || overloaded(d) || d->weight == 0)
			continue;
		uint32_t act = active_of(cv, i);
		int64_t doh = (int64_t)act + 1;
		if (act == 0)
			return (int)i;
		if (least < 0 || loh * d->weight > doh * dests[least].weight) {
			least = (int)i;
			loh = doh;
		}
	}
	return least;
}

/* ip_vs_fo.c ip_vs_fo_schedule(): highest weight among non-overloaded dests,
 * strict > so the first wins ties; weight 0 never wins (hw starts at 0). */
static int pick_fo(const struct fl_sched_dest *dests, unsigned n)
{
	int h = -1;
	int32_t hw = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fl_sched_dest *d = &dests[i];
		if (listed(d) && !overloaded(d) && d->weight > hw) {
			h = (int)i;
			hw = d->weight;
		}
	}
	return h;
}

/* ip_vs_ovf.c ip_vs_ovf_schedule(): highest weight among dests that are not
 * overloaded, have weight != 0 and activeconns <= weight; first wins ties. */
static int pick_ovf(const struct fl_sched_dest *dests, unsigned n,
		    const struct fl_sched_conns_view *cv)
{
	int h = -1;
	int32_t hw = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct fl_sched_dest *d = &dests[i];
		int32_t w = d->weight;
		if (!listed(d) || overloaded(d) || w == 0 ||
		    (int64_t)active_of(cv, i) > (int64_t)w)
			continue;
		if (h < 0 || w > hw) {
			h = (int)i;
			hw = w;
		}
	}
	return h;
}

static int lc_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_lc(dests, n, cv);
}

static int wlc_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return fl_sched_weighted_least(dests, n, cv, false);
}

static int sed_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return fl_sched_weighted_least(dests, n, cv, true);
}

static int nq_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_nq(dests, n, cv);
}

static int fo_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_fo(dests, n);
}

static int ovf_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_ovf(dests, n, cv);
}

const struct fl_sched_ops fl_sched_lc_ops = { .name = "lc", .pick = lc_pick };
const struct fl_sched_ops fl_sched_wlc_ops = { .name = "wlc", .pick = wlc_pick };
const struct fl_sched_ops fl_sched_sed_ops = { .name = "sed", .pick = sed_pick };
const struct fl_sched_ops fl_sched_nq_ops = { .name = "nq", .pick = nq_pick };
const struct fl_sched_ops fl_sched_fo_ops = { .name = "fo", .pick = fo_pick };
const struct fl_sched_ops fl_sched_ovf_ops = { .name = "ovf", .pick = ovf_pick };
