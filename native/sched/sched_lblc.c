/* Locality-based least connection, without and with replication
 * (ip_vs_lblc.c, ip_vs_lblcr.c): per-worker caches of destination address
 * -> dest, falling back to wlc's choice. */
#include "sched_impl.h"

/* lblc: IPVS max_size = IP_VS_LBLC_TAB_SIZE * 16 = 16384 entries. */
#define FL_LBLC_WAYS 4u
#define FL_LBLC_SETS 4096u
#define FL_LBLCR_WAYS 4u
#define FL_LBLCR_SETS 1024u
#define FL_LBLCR_SET_MAX 8u



struct lblc_entry {
	uint32_t daddr;
	uint32_t id;
	int32_t idx; /* -1 = empty */
	uint32_t lastuse;
};

struct lblcr_entry {
	uint32_t daddr;
	uint32_t lastuse;
	uint32_t lastmod;
	uint32_t size; /* 0 = empty */
	int32_t idx[FL_LBLCR_SET_MAX]; /* [0] = most recently inserted */
	uint32_t id[FL_LBLCR_SET_MAX];
};

static inline struct lblc_entry *lblc_tab(struct fl_sched_state *st)
{
	return (struct lblc_entry *)(void *)st->cache;
}

static inline struct lblcr_entry *lblcr_tab(struct fl_sched_state *st)
{
	return (struct lblcr_entry *)(void *)st->cache;
}

/* ip_vs_lblc.c / ip_vs_lblcr.c is_overloaded(): the dest has more active
 * connections than its weight and some dest is below half its weight. */
static bool lbl_is_overloaded(int di, const struct fl_sched_dest *dests, unsigned n,
			      const struct fl_sched_conns_view *cv)
{
	if ((int64_t)active_of(cv, (unsigned)di) > (int64_t)dests[di].weight) {
		for (unsigned i = 0; i < n; i++) {
			if (!listed(&dests[i]))
				continue;
			if ((int64_t)active_of(cv, i) * 2 < (int64_t)dests[i].weight)
				return true;
		}
	}
	return false;
}

/* lblc/lblcr cache set index: hash_32(ntohl(daddr), bits) as IPVS hashes
 * its buckets (ip_vs_lblc_hashkey). */
static inline unsigned lbl_set(uint32_t daddr, unsigned sets)
{
	return hash_32(ntohl_(daddr), (unsigned)__builtin_ctz(sets));
}

static inline bool lbl_expired(const struct fl_sched_state *st, uint32_t lastuse)
{
	/* !time_before(now, lastuse + expiration) */
	return (int32_t)(st->now - (lastuse + st->expiration)) >= 0;
}

static inline bool entry_valid(int32_t idx, uint32_t id, const struct fl_sched_dest *dests,
			       unsigned n)
{
	return idx >= 0 && (unsigned)idx < n && dests[idx].id == id;
}

/* ip_vs_lblc.c ip_vs_lblc_schedule() */
static int pick_lblc(struct fl_sched_state *st, const struct fl_sched_dest *dests, unsigned n,
		     const struct fl_sched_conns_view *cv, uint32_t daddr)
{
	struct lblc_entry *set = &lblc_tab(st)[lbl_set(daddr, FL_LBLC_SETS) * FL_LBLC_WAYS];
	struct lblc_entry *en = NULL;
	int dest;

	for (unsigned w = 0; w < FL_LBLC_WAYS; w++) {
		if (set[w].idx >= 0 && set[w].daddr == daddr) {
			en = &set[w];
			break;
		}
	}
	if (en != NULL && lbl_expired(st, en->lastuse))
		en->idx = -1, en = NULL; /* garbage-collected in IPVS */
	if (en != NULL) {
		en->lastuse = st->now;
		if (entry_valid(en->idx, en->id, dests, n)) {
			dest = en->idx;
			const struct fl_sched_dest *d = &dests[dest];
			if (listed(d) && d->weight > 0 && !lbl_is_overloaded(dest, dests, n, cv))
				return dest;
		}
	}
	dest = fl_sched_weighted_least(dests, n, cv, false);
	if (dest < 0)
		return -1;
	/* ip_vs_lblc_new(): update the entry, or add one (LRU way when full) */
	if (en == NULL) {
		en = &set[0];
		for (unsigned w = 0; w < FL_LBLC_WAYS; w++) {
			if (set[w].idx < 0) {
				en = &set[w];
				break;
			}
			if ((int32_t)(set[w].lastuse - en->lastuse) < 0)
				en = &set[w];
		}
		en->daddr = daddr;
		en->lastuse = st->now;
	}
	en->idx = dest;
	en->id = dests[dest].id;
	return dest;
}

/* ip_vs_lblcr.c ip_vs_dest_set_min() */
static int lblcr_set_min(const struct lblcr_entry *en, const struct fl_sched_dest *dests,
			 unsigned n, const struct fl_sched_conns_view *cv)
{
	unsigned k;
	int least = -1;
	int64_t loh = 0;
	for (k = 0; k < en->size; k++) {
		if (!entry_valid(en->idx[k], en->id[k], dests, n))
			continue;
		const struct fl_sched_dest *d = &dests[en->idx[k]];
		if (overloaded(d))
			continue;
		if (d->weight > 0 && listed(d)) {
			least = en->idx[k];
			loh = conn_overhead(cv, (unsigned)least);
			break;
		}
	}
	if (least < 0)
		return -1;
	for (k = k + 1; k < en->size; k++) {
		if (!entry_valid(en->idx[k], en->id[k], dests, n))
			continue;
		int di = en->idx[k];
		const struct fl_sched_dest *d = &dests[di];
		if (overloaded(d))
			continue;
		int64_t doh = conn_overhead(cv, (unsigned)di);
		if (loh * d->weight > doh * dests[least].weight && listed(d)) {
			least = di;
			loh = doh;
		}
	}
	return least;
}

/* ip_vs_lblcr.c ip_vs_dest_set_max(): returns the position in the set */
static int lblcr_set_max(const struct lblcr_entry *en, const struct fl_sched_dest *dests,
			 unsigned n, const struct fl_sched_conns_view *cv)
{
	unsigned k;
	int most = -1, mk = -1;
	int64_t moh = 0;
	for (k = 0; k < en->size; k++) {
		if (!entry_valid(en->idx[k], en->id[k], dests, n))
			return (int)k; /* a stale member goes first */
		if (dests[en->idx[k]].weight > 0) {
			most = en->idx[k];
			mk = (int)k;
			moh = conn_overhead(cv, (unsigned)most);
			break;
		}
	}
	if (most < 0)
		return -1;
	for (k = k + 1; k < en->size; k++) {
		if (!entry_valid(en->idx[k], en->id[k], dests, n))
			continue;
		int di = en->idx[k];
		int64_t doh = conn_overhead(cv, (unsigned)di);
		if (moh * dests[di].weight < doh * dests[most].weight && dests[di].weight > 0) {
			most = di;
			mk = (int)k;
			moh = doh;
		}
	}
	return mk;
}

static void lblcr_erase(struct lblcr_entry *en, unsigned k)
{
	for (unsigned j = k; j + 1 < en->size; j++) {
		en->idx[j] = en->idx[j + 1];
		en->id[j] = en->id[j + 1];
	}
	en->size--;
}

/* ip_vs_lblcr.c ip_vs_dest_set_insert(): list_add at the head */
static void lblcr_insert(struct fl_sched_state *st, struct lblcr_entry *en, int dest,
			 const struct fl_sched_dest *dests, bool check)
{
	if (check) {
		for (unsigned k = 0; k < en->size; k++)
			if (en->idx[k] == dest && en->id[k] == dests[dest].id)
				return;
	}
	if (en->size == FL_LBLCR_SET_MAX)
		en->size--; /* bounded set: the oldest member goes */
	for (unsigned j = en->size; j > 0; j--) {
		en->idx[j] = en->idx[j - 1];
		en->id[j] = en->id[j - 1];
	}
	en->idx[0] = dest;
	en->id[0] = dests[dest].id;
	en->size++;
	en->lastmod = st->now;
}

/* ip_vs_lblcr.c ip_vs_lblcr_schedule() */
static int pick_lblcr(struct fl_sched_state *st, const struct fl_sched_dest *dests,
		      unsigned n, const struct fl_sched_conns_view *cv, uint32_t daddr)
{
	struct lblcr_entry *set = &lblcr_tab(st)[lbl_set(daddr, FL_LBLCR_SETS) * FL_LBLCR_WAYS];
	struct lblcr_entry *en = NULL;
	int dest;

	for (unsigned w = 0; w < FL_LBLCR_WAYS; w++) {
		if (set[w].size > 0 && set[w].daddr == daddr) {
			en = &set[w];
			break;
		}
	}
	if (en != NULL && lbl_expired(st, en->lastuse))
		en->size = 0, en = NULL;
	if (en != NULL) {
		en->lastuse = st->now;
		dest = lblcr_set_min(en, dests, n, cv);
		/* more than one dest and lastmod + expiration passed: shrink */
		if (en->size > 1 &&
		    (int32_t)((en->lastmod + st->expiration) - st->now) < 0) {
			int mk = lblcr_set_max(en, dests, n, cv);
			if (mk >= 0) {
				lblcr_erase(en, (unsigned)mk);
				en->lastmod = st->now;
			}
		}
		if (dest >= 0 && !lbl_is_overloaded(dest, dests, n, cv))
			return dest;
		dest = fl_sched_weighted_least(dests, n, cv, false);
		if (dest < 0)
			return -1;
		lblcr_insert(st, en, dest, dests, true);
		return dest;
	}
	dest = fl_sched_weighted_least(dests, n, cv, false);
	if (dest < 0)
		return -1;
	en = &set[0];
	for (unsigned w = 0; w < FL_LBLCR_WAYS; w++) {
		if (set[w].size == 0) {
			en = &set[w];
			break;
		}
		if ((int32_t)(set[w].lastuse - en->lastuse) < 0)
			en = &set[w];
	}
	en->daddr = daddr;
	en->lastuse = st->now;
	en->size = 0;
	lblcr_insert(st, en, dest, dests, false);
	return dest;
}

static void lblc_state_init(struct fl_sched_state *st, const struct fl_sched_table *t,
			    const struct fl_sched_dest *dests, unsigned n, const struct fl_sched_state *prev)
{
	(void)t, (void)dests, (void)n;
	size_t ne = (size_t)FL_LBLC_SETS * FL_LBLC_WAYS;
	if (prev) {
		memcpy(lblc_tab(st), (const void *)prev->cache, ne * sizeof(struct lblc_entry));
	} else {
		for (size_t i = 0; i < ne; i++)
			lblc_tab(st)[i].idx = -1;
	}
}

static void lblcr_state_init(struct fl_sched_state *st, const struct fl_sched_table *t,
			     const struct fl_sched_dest *dests, unsigned n, const struct fl_sched_state *prev)
{
	(void)t, (void)dests, (void)n;
	size_t ne = (size_t)FL_LBLCR_SETS * FL_LBLCR_WAYS;
	if (prev)
		memcpy(lblcr_tab(st), (const void *)prev->cache, ne * sizeof(struct lblcr_entry));
	else
		memset(lblcr_tab(st), 0, ne * sizeof(struct lblcr_entry));
}

static int lblc_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_lblc(st, dests, n, cv, daddr);
}

static int lblcr_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_lblcr(st, dests, n, cv, daddr);
}

const struct fl_sched_ops fl_sched_lblc_ops = {
	.name = "lblc", .state_extra = (size_t)FL_LBLC_SETS * FL_LBLC_WAYS * sizeof(struct lblc_entry),
	.state_init = lblc_state_init, .pick = lblc_pick,
};
const struct fl_sched_ops fl_sched_lblcr_ops = {
	.name = "lblcr", .state_extra = (size_t)FL_LBLCR_SETS * FL_LBLCR_WAYS * sizeof(struct lblcr_entry),
	.state_init = lblcr_state_init, .pick = lblcr_pick,
};
