/*
 * Fulcrum schedulers: the core. The IPVS family and Maglev register their
 * ops here (one file per family: sched_rr.c, sched_lc.c, sched_lblc.c,
 * sched_hash.c, sched_mh.c), as DPVS registers dp_vs_rr_scheduler; this
 * file validates and allocates tables and state, and dispatches to the ops.
 * Each family reproduces the Linux IPVS module named in its comments
 * (net/netfilter/ipvs/ip_vs_*.c): same candidate filter, same cost
 * formula, same comparison (strict, so the first dest in list order wins
 * ties), same table construction.
 *
 * Differences forced by the architecture (documented in docs/schedulers.md):
 *  - per-worker state: rr/wrr positions and lblc/lblcr caches are per worker;
 *  - lblc/lblcr caches are fixed-size set-associative tables (LRU in a set)
 *    instead of IPVS's unbounded lists with a GC timer; lblcr sets hold at
 *    most FL_LBLCR_SET_MAX dests;
 *  - a dest without FL_DEST_F_AVAILABLE is treated as not in the list.
 */
#include "sched_impl.h"

/* The registry: a scheduler's kind is its index, its name is its ops'. */
static const struct fl_sched_ops *const registry[FL_SCHED_KIND_COUNT] = {
	[FL_SCHED_RR] = &fl_sched_rr_ops,     [FL_SCHED_WRR] = &fl_sched_wrr_ops,
	[FL_SCHED_LC] = &fl_sched_lc_ops,     [FL_SCHED_WLC] = &fl_sched_wlc_ops,
	[FL_SCHED_SED] = &fl_sched_sed_ops,   [FL_SCHED_NQ] = &fl_sched_nq_ops,
	[FL_SCHED_FO] = &fl_sched_fo_ops,     [FL_SCHED_OVF] = &fl_sched_ovf_ops,
	[FL_SCHED_LBLC] = &fl_sched_lblc_ops, [FL_SCHED_LBLCR] = &fl_sched_lblcr_ops,
	[FL_SCHED_DH] = &fl_sched_dh_ops,     [FL_SCHED_SH] = &fl_sched_sh_ops,
	[FL_SCHED_MH] = &fl_sched_mh_ops,     [FL_SCHED_TWOS] = &fl_sched_twos_ops,
};

int fl_sched_from_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		name = FL_SCHED_DEFAULT_NAME;
	for (unsigned k = 0; k < FL_SCHED_KIND_COUNT; k++)
		if (strcmp(name, registry[k]->name) == 0)
			return (int)k;
	return -1;
}

const char *fl_sched_name(unsigned kind)
{
	return kind < FL_SCHED_KIND_COUNT ? registry[kind]->name : NULL;
}

_Static_assert(FL_SCHED_F_SH_FALLBACK == 1u << 0 && FL_SCHED_F_SH_PORT == 1u << 1 && FL_SCHED_F_MH_FALLBACK == 1u << 2 &&
		       FL_SCHED_F_MH_PORT == 1u << 3, "flag_names is indexed by flag bit");
static const char *const flag_names[FL_SCHED_F_COUNT] = {
	"sh-fallback", "sh-port", "mh-fallback", "mh-port",   /* FL_SCHED_F_*, bit by bit */
};

const char *fl_sched_flag_name(unsigned bit)
{
	return bit < FL_SCHED_F_COUNT ? flag_names[bit] : NULL;
}

/* ---------- table ---------- */

unsigned fl_sched_table_kind(const struct fl_sched_table *t)
{
	return t->kind;
}

unsigned fl_sched_table_slots(const struct fl_sched_table *t, const int32_t **slots)
{
	*slots = t->nslots ? t->slots : NULL;
	return t->nslots;
}

void fl_sched_table_free(struct fl_sched_table *t)
{
	free(t);
}

struct fl_sched_table *fl_sched_build(unsigned kind, unsigned flags,
				      const struct fl_sched_dest *dests, unsigned n,
				      uint32_t mh_table_size, char *err, size_t errlen)
{
	char dummy[1];
	uint32_t nslots = 0;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (kind >= FL_SCHED_KIND_COUNT) {
		snprintf(err, errlen, "unknown scheduler kind %u", kind);
		return NULL;
	}
	if (n > FL_SCHED_MAX_DESTS) {
		snprintf(err, errlen, "too many dests (%u > %u)", n, FL_SCHED_MAX_DESTS);
		return NULL;
	}
	if (n > 0 && dests == NULL) {
		snprintf(err, errlen, "dests is NULL");
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		if (dests[i].weight < 0 || dests[i].last_weight < 0) {
			snprintf(err, errlen, "dest %u: negative weight", i);
			return NULL;
		}
	}
	const struct fl_sched_ops *ops = registry[kind];
	if (ops->slots) {
		int64_t k = ops->slots(n, mh_table_size, err, errlen);
		if (k < 0)
			return NULL;
		nslots = (uint32_t)k;
	}

	struct fl_sched_table *t = calloc(1, sizeof(*t) + (size_t)nslots * sizeof(int32_t));
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->kind = kind;
	t->flags = flags;
	t->n = n;
	t->nslots = nslots;
	if (ops->build && ops->build(t, dests, n, err, errlen) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* ---------- state ---------- */

size_t fl_sched_state_size(unsigned kind, unsigned n_dests)
{
	(void)n_dests;
	size_t s = sizeof(struct fl_sched_state);
	if (kind < FL_SCHED_KIND_COUNT)
		s += registry[kind]->state_extra;
	return s;
}

void fl_sched_state_init(struct fl_sched_state *st, const struct fl_sched_table *t,
			 const struct fl_sched_dest *dests, unsigned n,
			 const struct fl_sched_state *prev)
{
	unsigned kind = t->kind;

	if (prev != NULL && prev->kind != kind)
		prev = NULL;
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->n = n;
	st->cl = -1;
	st->expiration = prev ? prev->expiration : FL_LBL_DEFAULT_EXPIRATION;
	st->now = prev ? prev->now : 0;
	if (registry[kind]->state_init)
		registry[kind]->state_init(st, t, dests, n, prev);
}

void fl_sched_state_set_clock(struct fl_sched_state *st, uint32_t now_s)
{
	st->now = now_s;
}

void fl_sched_state_set_expiration(struct fl_sched_state *st, uint32_t seconds)
{
	st->expiration = seconds;
}

/* ---------- counts ---------- */

struct fl_sched_conns fl_sched_conns_sum(const struct fl_sched_conns_view *cv, unsigned idx)
{
	struct fl_sched_conns r = { 0, 0 };
	if (cv == NULL || cv->base == NULL)
		return r;
	const struct fl_sched_conns *p = cv->base + (cv->ids ? cv->ids[idx] : idx);
	for (unsigned w = 0; w < cv->n_workers; w++, p += cv->stride) {
		r.active += __atomic_load_n(&p->active, __ATOMIC_RELAXED);
		r.inactive += __atomic_load_n(&p->inactive, __ATOMIC_RELAXED);
	}
	return r;
}

void fl_sched_update_overload(struct fl_sched_dest *d, const struct fl_sched_conns *c)
{
	uint64_t total = (uint64_t)c->active + c->inactive; /* ip_vs_dest_totalconns */

	/* ip_vs_bind_dest() */
	if (d->u_threshold != 0 && total >= d->u_threshold) {
		d->flags |= FL_DEST_F_OVERLOAD;
		return;
	}
	/* ip_vs_unbind_dest() */
	if (d->l_threshold != 0) {
		if (total < d->l_threshold)
			d->flags &= ~FL_DEST_F_OVERLOAD;
	} else if (d->u_threshold != 0) {
		if (total * 4 < (uint64_t)d->u_threshold * 3)
			d->flags &= ~FL_DEST_F_OVERLOAD;
	} else {
		d->flags &= ~FL_DEST_F_OVERLOAD;
	}
}

int64_t fl_sched_key_slot(const struct fl_sched_table *t, uint32_t saddr, uint32_t daddr, uint16_t sport,
			  uint8_t proto)
{
	if (t == NULL || t->kind >= FL_SCHED_KIND_COUNT || !registry[t->kind]->key_slot || t->nslots == 0)
		return -1;
	return registry[t->kind]->key_slot(t, saddr, daddr, sport, proto);
}

int32_t fl_sched_state_last(const struct fl_sched_state *st)
{
	return st ? st->cl : -1;
}

int fl_sched_pick(const struct fl_sched_table *t, struct fl_sched_state *st,
		  const struct fl_sched_dest *dests, unsigned n,
		  const struct fl_sched_conns_view *cv, uint32_t saddr, uint32_t daddr,
		  uint16_t sport, uint16_t dport, uint8_t proto)
{
	(void)dport;
	if (t == NULL || n == 0 || t->kind >= FL_SCHED_KIND_COUNT)
		return -1;
	if (n > t->n)
		n = t->n;
	return registry[t->kind]->pick(t, st, dests, n, cv, saddr, daddr, sport, proto);
}
