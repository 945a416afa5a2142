/*
 * Fulcrum schedulers: IPVS family + Maglev. Each scheduler reproduces the
 * Linux IPVS module named in its comment (net/netfilter/ipvs/ip_vs_*.c):
 * same candidate filter, same cost formula, same comparison (strict, so the
 * first dest in list order wins ties), same table construction.
 *
 * Differences forced by the architecture (documented in docs/schedulers.md):
 *  - per-worker state: rr/wrr positions and lblc/lblcr caches are per worker;
 *  - lblc/lblcr caches are fixed-size set-associative tables (LRU in a set)
 *    instead of IPVS's unbounded lists with a GC timer; lblcr sets hold at
 *    most FL_LBLCR_SET_MAX dests;
 *  - a dest without FL_DEST_F_AVAILABLE is treated as not in the list.
 */
#include "sched.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_SCTP_ 132

/* ip_vs_sh.c / ip_vs_dh.c: CONFIG_IP_VS_{SH,DH}_TAB_BITS = 8 */
#define FL_HTAB_BITS 8
#define FL_HTAB_SIZE (1u << FL_HTAB_BITS)
#define FL_HTAB_MASK (FL_HTAB_SIZE - 1)

/* lblc: IPVS max_size = IP_VS_LBLC_TAB_SIZE * 16 = 16384 entries. */
#define FL_LBLC_WAYS 4u
#define FL_LBLC_SETS 4096u
#define FL_LBLCR_WAYS 4u
#define FL_LBLCR_SETS 1024u
#define FL_LBLCR_SET_MAX 8u
/* ip_vs_lblc.c / ip_vs_lblcr.c DEFAULT_EXPIRATION: 24 h */
#define FL_LBL_DEFAULT_EXPIRATION (24u * 60u * 60u)

static const char *const sched_names[FL_SCHED_KIND_COUNT] = {
	[FL_SCHED_RR] = "rr",     [FL_SCHED_WRR] = "wrr",     [FL_SCHED_LC] = "lc",
	[FL_SCHED_WLC] = "wlc",   [FL_SCHED_SED] = "sed",     [FL_SCHED_NQ] = "nq",
	[FL_SCHED_FO] = "fo",     [FL_SCHED_OVF] = "ovf",     [FL_SCHED_LBLC] = "lblc",
	[FL_SCHED_LBLCR] = "lblcr", [FL_SCHED_DH] = "dh",     [FL_SCHED_SH] = "sh",
	[FL_SCHED_MH] = "mh",
};

int fl_sched_from_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		name = FL_SCHED_DEFAULT_NAME;
	for (unsigned k = 0; k < FL_SCHED_KIND_COUNT; k++)
		if (strcmp(name, sched_names[k]) == 0)
			return (int)k;
	return -1;
}

const char *fl_sched_name(unsigned kind)
{
	return kind < FL_SCHED_KIND_COUNT ? sched_names[kind] : NULL;
}

/* ---------- table ---------- */

struct fl_sched_table {
	unsigned kind;
	unsigned flags;
	unsigned n;
	/* wrr (ip_vs_wrr.c ip_vs_wrr_gcd_weight / ip_vs_wrr_max_weight) */
	int32_t di, mw;
	/* sh/dh: FL_HTAB_SIZE; mh: mh_size */
	uint32_t nslots;
	int32_t slots[]; /* dest index, -1 = NULL */
};

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

static int gcd_int(int a, int b)
{
	while (b) {
		int r = a % b;
		a = b;
		b = r;
	}
	return a;
}

static inline uint32_t ntohl_(uint32_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(x);
#else
	return x;
#endif
}

static inline uint16_t ntohs_(uint16_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(x);
#else
	return x;
#endif
}

/* linux/hash.h hash_32(): multiply by GOLDEN_RATIO_32, keep the top bits */
static inline uint32_t hash_32(uint32_t val, unsigned bits)
{
	return (val * 0x61C88647u) >> (32 - bits);
}

static inline uint64_t rol64(uint64_t w, unsigned s)
{
	return (w << s) | (w >> (64 - s));
}

/*
 * Linux lib/siphash.c hsiphash() of one u32 on a 64-bit kernel, where
 * HalfSipHash-1-3 is SipHash-1-3 with a 2 x 64-bit key, truncated to u32.
 * v is hashed as the u32 value (le32_to_cpup of the kernel's host-order
 * variable on little-endian), so the result does not depend on our host.
 */
#define SIPROUND                                                                \
	do {                                                                    \
		v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);     \
		v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;                         \
		v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;                         \
		v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);     \
	} while (0)

static inline uint32_t hsiphash_u32(uint32_t v, uint64_t k0, uint64_t k1)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;
	uint64_t v3 = 0x7465646279746573ull ^ k1;
	uint64_t b = ((uint64_t)4 << 56) | v;

	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (uint32_t)((v0 ^ v1) ^ (v2 ^ v3));
}

/* ip_vs_mh.c generate_hash_secret(): fixed keys */
#define MH_K1 2654435761ull
#define MH_K2 2654446892ull

/* ip_vs_mh.c ip_vs_mh_hashkey(): hsiphash(offset + ntohs(port) + ntohl(addr)) */
static inline uint32_t mh_hashkey(uint32_t addr_be, uint16_t port_be, uint64_t key,
				  uint32_t offset)
{
	uint32_t v = offset + (uint32_t)ntohs_(port_be) + ntohl_(addr_be);
	return hsiphash_u32(v, key, key);
}

static bool is_prime(uint32_t m)
{
	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

/* ceil(log2(m)) */
static unsigned ceil_log2(uint32_t m)
{
	unsigned b = 0;
	while (b < 32 && ((uint64_t)1 << b) < m)
		b++;
	return b;
}

/* fls(): index (1-based) of the highest set bit, 0 for 0 */
static int fls_(uint32_t x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static int mh_weight_of(const struct fl_sched_dest *d)
{
	/* IPVS dest->last_weight: latest non-zero weight */
	if (d->weight > 0)
		return d->weight;
	return d->last_weight > 0 ? d->last_weight : 0;
}

/*
 * ip_vs_mh.c: ip_vs_mh_gcd_weight, ip_vs_mh_shift_weight, ip_vs_mh_permutate,
 * ip_vs_mh_populate. IP_VS_MH_TAB_BITS is CONFIG_IP_VS_MH_TAB_INDEX / 2 where
 * the table size is primes[INDEX - 8] ~ 2^INDEX; for any prime M we use
 * ceil(log2(M)) / 2, which gives IPVS's value for every size in its list.
 */
static int mh_build(struct fl_sched_table *t, const struct fl_sched_dest *dests, unsigned n,
		    char *err, size_t errlen)
{
	const uint32_t M = t->nslots;
	int g = 0, maxw = 0, rshift = 0;

	for (uint32_t i = 0; i < M; i++)
		t->slots[i] = -1;
	for (unsigned i = 0; i < n; i++) {
		int w = mh_weight_of(&dests[i]);
		if (w > 0)
			g = g > 0 ? gcd_int(w, g) : w;
		if (w > maxw)
			maxw = w;
	}
	if (g < 1 || n == 0)
		return 0; /* ip_vs_mh_reset(): every slot NULL */
	{
		int shift = fls_((uint32_t)(maxw / g)) - (int)(ceil_log2(M) / 2);
		rshift = shift >= 0 ? shift : 0;
	}

	struct mh_setup {
		uint32_t offset, skip, perm;
		int turns;
	} *ds = calloc(n, sizeof(*ds));
	uint64_t *bits = calloc((M + 63) / 64, sizeof(uint64_t));
	if (ds == NULL || bits == NULL) {
		free(ds);
		free(bits);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		int lw = mh_weight_of(&dests[i]);
		ds[i].offset = mh_hashkey(dests[i].addr, dests[i].port, MH_K1, 0) % M;
		ds[i].skip = mh_hashkey(dests[i].addr, dests[i].port, MH_K2, 0) % (M - 1) + 1;
		ds[i].perm = ds[i].offset;
		ds[i].turns = (lw / g) >> rshift;
		if (ds[i].turns == 0)
			ds[i].turns = lw != 0;
	}

	/* ip_vs_mh_populate(): each dest in list order takes `turns`
	 * consecutive slots (its next free preferred ones) per round. */
	uint32_t filled = 0;
	int dt_count = 0;
	unsigned p = 0;
	while (filled < M) {
		for (p = 0; p < n;) {
			struct mh_setup *s = &ds[p];
			if (s->turns < 1) {
				p++;
				continue;
			}
			uint32_t c = s->perm;
			while (bits[c / 64] & (1ull << (c % 64))) {
				s->perm += s->skip;
				if (s->perm >= M)
					s->perm -= M;
				c = s->perm;
			}
			bits[c / 64] |= 1ull << (c % 64);
			t->slots[c] = (int32_t)p;
			if (++filled == M)
				goto out;
			if (++dt_count >= s->turns) {
				dt_count = 0;
				p++;
			}
		}
	}
out:
	free(ds);
	free(bits);
	return 0;
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
	if (kind == FL_SCHED_SH || kind == FL_SCHED_DH) {
		nslots = FL_HTAB_SIZE;
	} else if (kind == FL_SCHED_MH) {
		nslots = mh_table_size ? mh_table_size : FL_SCHED_MH_DEFAULT_SIZE;
		if (nslots > FL_SCHED_MH_MAX_SIZE || !is_prime(nslots) || nslots < 3) {
			snprintf(err, errlen, "mh table size %u is not a prime in [3, %u]",
				 nslots, FL_SCHED_MH_MAX_SIZE);
			return NULL;
		}
		if (n > nslots) { /* ip_vs_mh_reassign(): -EINVAL */
			snprintf(err, errlen, "mh table size %u smaller than %u dests", nslots, n);
			return NULL;
		}
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

	switch (kind) {
	case FL_SCHED_WRR: {
		/* ip_vs_wrr.c ip_vs_wrr_init_svc(): di = gcd of weights > 0
		 * (1 if none), mw = max weight - (di - 1) */
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
		break;
	}
	case FL_SCHED_SH: {
		/* ip_vs_sh.c ip_vs_sh_reassign(): buckets in order, each dest
		 * fills `weight` consecutive buckets (at least one), wrapping. */
		unsigned p = 0;
		int d_count = 0;
		for (unsigned i = 0; i < FL_HTAB_SIZE; i++) {
			if (n == 0) {
				t->slots[i] = -1;
				continue;
			}
			t->slots[i] = (int32_t)p;
			if (++d_count >= dests[p].weight) {
				p = (p + 1) % n;
				d_count = 0;
			}
		}
		break;
	}
	case FL_SCHED_DH:
		/* ip_vs_dh.c ip_vs_dh_reassign(): one bucket per dest, round
		 * robin, weight ignored. */
		for (unsigned i = 0; i < FL_HTAB_SIZE; i++)
			t->slots[i] = n ? (int32_t)(i % n) : -1;
		break;
	case FL_SCHED_MH:
		if (mh_build(t, dests, n, err, errlen) < 0) {
			free(t);
			return NULL;
		}
		break;
	default:
		break;
	}
	return t;
}

/* ---------- state ---------- */

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

struct fl_sched_state {
	unsigned kind;
	unsigned n;
	int32_t cl;       /* rr/wrr: last dest index, -1 = list head */
	int32_t cw;       /* wrr current weight */
	uint32_t last_id; /* rr: id of cl, for carry-over */
	uint32_t now;     /* lblc/lblcr clock, seconds */
	uint32_t expiration;
	uint32_t pad;
	uint64_t cache[]; /* lblc_entry[] or lblcr_entry[] */
};

static inline struct lblc_entry *lblc_tab(struct fl_sched_state *st)
{
	return (struct lblc_entry *)(void *)st->cache;
}

static inline struct lblcr_entry *lblcr_tab(struct fl_sched_state *st)
{
	return (struct lblcr_entry *)(void *)st->cache;
}

size_t fl_sched_state_size(unsigned kind, unsigned n_dests)
{
	(void)n_dests;
	size_t s = sizeof(struct fl_sched_state);
	if (kind == FL_SCHED_LBLC)
		s += (size_t)FL_LBLC_SETS * FL_LBLC_WAYS * sizeof(struct lblc_entry);
	else if (kind == FL_SCHED_LBLCR)
		s += (size_t)FL_LBLCR_SETS * FL_LBLCR_WAYS * sizeof(struct lblcr_entry);
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

	switch (kind) {
	case FL_SCHED_RR:
		/* ip_vs_rr.c: the position survives dest changes */
		if (prev && prev->cl >= 0) {
			for (unsigned i = 0; i < n; i++)
				if (dests[i].id == prev->last_id) {
					st->cl = (int32_t)i;
					st->last_id = prev->last_id;
					break;
				}
		}
		break;
	case FL_SCHED_WRR:
		/* ip_vs_wrr.c: init_svc sets cw = mw; dest_changed resets cl to
		 * the head and keeps cw, clamped/realigned to the new di. */
		st->cw = t->mw;
		if (prev) {
			int cw = prev->cw;
			if (cw > t->mw || !cw)
				cw = t->mw;
			else if (t->di > 1)
				cw = (cw / t->di) * t->di + 1;
			st->cw = cw;
		}
		break;
	case FL_SCHED_LBLC: {
		size_t ne = (size_t)FL_LBLC_SETS * FL_LBLC_WAYS;
		if (prev) {
			memcpy(lblc_tab(st), (const void *)prev->cache, ne * sizeof(struct lblc_entry));
		} else {
			for (size_t i = 0; i < ne; i++)
				lblc_tab(st)[i].idx = -1;
		}
		break;
	}
	case FL_SCHED_LBLCR: {
		size_t ne = (size_t)FL_LBLCR_SETS * FL_LBLCR_WAYS;
		if (prev)
			memcpy(lblcr_tab(st), (const void *)prev->cache, ne * sizeof(struct lblcr_entry));
		else
			memset(lblcr_tab(st), 0, ne * sizeof(struct lblcr_entry));
		break;
	}
	default:
		break;
	}
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

static inline uint32_t active_of(const struct fl_sched_conns_view *cv, unsigned i)
{
	if (cv == NULL || cv->base == NULL)
		return 0;
	if (cv->n_workers == 1)
		return __atomic_load_n(&cv->base[cv->ids ? cv->ids[i] : i].active, __ATOMIC_RELAXED);
	return fl_sched_conns_sum(cv, i).active;
}

/* include/net/ip_vs.h ip_vs_dest_conn_overhead(): active * 256 + inactive */
static inline int64_t conn_overhead(const struct fl_sched_conns_view *cv, unsigned i)
{
	struct fl_sched_conns c = fl_sched_conns_sum(cv, i);
	return ((int64_t)c.active << 8) + (int64_t)c.inactive;
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

/* ---------- pickers ---------- */

static inline bool listed(const struct fl_sched_dest *d)
{
	return (d->flags & FL_DEST_F_AVAILABLE) != 0;
}

static inline bool overloaded(const struct fl_sched_dest *d)
{
	return (d->flags & FL_DEST_F_OVERLOAD) != 0;
}

/* ip_vs_sh.c / ip_vs_mh.c is_unavailable(), plus "not listed" */
static inline bool unavailable(const struct fl_sched_dest *d)
{
	return d->weight <= 0 || overloaded(d) || !listed(d);
}

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
static int pick_weighted_least(const struct fl_sched_dest *dests, unsigned n,
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
	dest = pick_weighted_least(dests, n, cv, false);
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
		dest = pick_weighted_least(dests, n, cv, false);
		if (dest < 0)
			return -1;
		lblcr_insert(st, en, dest, dests, true);
		return dest;
	}
	dest = pick_weighted_least(dests, n, cv, false);
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

static inline bool l4_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ || proto == IPPROTO_SCTP_;
}

/* ip_vs_sh.c ip_vs_sh_hashkey(): (offset + hash_32(ntohs(port) +
 * ntohl(addr), 8)) & 255 */
static inline unsigned sh_hashkey(uint32_t addr, uint16_t port, unsigned offset)
{
	return (offset + hash_32((uint32_t)ntohs_(port) + ntohl_(addr), FL_HTAB_BITS)) &
	       FL_HTAB_MASK;
}

/* ip_vs_sh.c ip_vs_sh_get() / ip_vs_sh_get_fallback() */
static int pick_sh(const struct fl_sched_table *t, const struct fl_sched_dest *dests,
		   unsigned n, uint32_t saddr, uint16_t sport, uint8_t proto)
{
	uint16_t port = (t->flags & FL_SCHED_F_SH_PORT) && l4_has_ports(proto) ? sport : 0;
	unsigned ihash = sh_hashkey(saddr, port, 0);
	int dest = t->slots[ihash];

	if (dest < 0 || (unsigned)dest >= n)
		return -1;
	if (!unavailable(&dests[dest]))
		return dest;
	if (!(t->flags & FL_SCHED_F_SH_FALLBACK))
		return -1;
	for (unsigned offset = 0; offset < FL_HTAB_SIZE; offset++) {
		unsigned roffset = (offset + ihash) % FL_HTAB_SIZE;
		dest = t->slots[sh_hashkey(saddr, port, roffset)];
		if (dest < 0)
			break;
		if (!unavailable(&dests[dest]))
			return dest;
	}
	return -1;
}

/* ip_vs_dh.c ip_vs_dh_schedule(): bucket hash_32(ntohl(daddr), 8); NULL if
 * that dest is unavailable, overloaded or has weight <= 0 (no fallback). */
static int pick_dh(const struct fl_sched_table *t, const struct fl_sched_dest *dests,
		   unsigned n, uint32_t daddr)
{
	int dest = t->slots[hash_32(ntohl_(daddr), FL_HTAB_BITS)];
	if (dest < 0 || (unsigned)dest >= n || unavailable(&dests[dest]))
		return -1;
	return dest;
}

/* ip_vs_mh.c ip_vs_mh_get() / ip_vs_mh_get_fallback() */
static int pick_mh(const struct fl_sched_table *t, const struct fl_sched_dest *dests,
		   unsigned n, uint32_t saddr, uint16_t sport, uint8_t proto)
{
	const uint32_t M = t->nslots;
	uint16_t port = (t->flags & FL_SCHED_F_MH_PORT) && l4_has_ports(proto) ? sport : 0;
	uint32_t ihash = mh_hashkey(saddr, port, MH_K1, 0) % M;
	int dest = t->slots[ihash];

	if (dest < 0 || (unsigned)dest >= n)
		return -1;
	if (!unavailable(&dests[dest]))
		return dest;
	if (!(t->flags & FL_SCHED_F_MH_FALLBACK))
		return -1;
	/* IPVS walks up to M rehashes and returns NULL if none is usable;
	 * when no dest at all is usable the answer is the same, found in O(n). */
	{
		bool any = false;
		for (unsigned i = 0; i < n && !any; i++)
			any = !unavailable(&dests[i]);
		if (!any)
			return -1;
	}
	for (uint32_t offset = 0; offset < M; offset++) {
		uint32_t roffset = (offset + ihash) % M;
		dest = t->slots[mh_hashkey(saddr, port, MH_K1, roffset) % M];
		if (dest < 0)
			break;
		if (!unavailable(&dests[dest]))
			return dest;
	}
	return -1;
}

int fl_sched_pick(const struct fl_sched_table *t, struct fl_sched_state *st,
		  const struct fl_sched_dest *dests, unsigned n,
		  const struct fl_sched_conns_view *cv, uint32_t saddr, uint32_t daddr,
		  uint16_t sport, uint16_t dport, uint8_t proto)
{
	(void)dport;
	if (t == NULL || n == 0)
		return -1;
	if (n > t->n)
		n = t->n;
	switch (t->kind) {
	case FL_SCHED_RR:
		return pick_rr(st, dests, n);
	case FL_SCHED_WRR:
		return pick_wrr(t, st, dests, n);
	case FL_SCHED_LC:
		return pick_lc(dests, n, cv);
	case FL_SCHED_WLC:
		return pick_weighted_least(dests, n, cv, false);
	case FL_SCHED_SED:
		return pick_weighted_least(dests, n, cv, true);
	case FL_SCHED_NQ:
		return pick_nq(dests, n, cv);
	case FL_SCHED_FO:
		return pick_fo(dests, n);
	case FL_SCHED_OVF:
		return pick_ovf(dests, n, cv);
	case FL_SCHED_LBLC:
		return pick_lblc(st, dests, n, cv, daddr);
	case FL_SCHED_LBLCR:
		return pick_lblcr(st, dests, n, cv, daddr);
	case FL_SCHED_DH:
		return pick_dh(t, dests, n, daddr);
	case FL_SCHED_SH:
		return pick_sh(t, dests, n, saddr, sport, proto);
	case FL_SCHED_MH:
		return pick_mh(t, dests, n, saddr, sport, proto);
	default:
		return -1;
	}
}
