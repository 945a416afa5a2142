/* Maglev hashing (ip_vs_mh.c): the lookup table is built on the control
 * side with IPVS's fixed hash keys, so every director builds the same one;
 * no per-worker state. */
#include "sched_impl.h"

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

static int64_t mh_slots(unsigned n, uint32_t mh_table_size, char *err, size_t errlen)
{
	uint32_t nslots = mh_table_size ? mh_table_size : FL_SCHED_MH_DEFAULT_SIZE;
	if (nslots > FL_SCHED_MH_MAX_SIZE || !is_prime(nslots) || nslots < 3) {
		snprintf(err, errlen, "mh table size %u is not a prime in [3, %u]", nslots, FL_SCHED_MH_MAX_SIZE);
		return -1;
	}
	if (n > nslots) { /* ip_vs_mh_reassign(): -EINVAL */
		snprintf(err, errlen, "mh table size %u smaller than %u dests", nslots, n);
		return -1;
	}
	return nslots;
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

static int mh_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_mh(t, dests, n, saddr, sport, proto);
}

static uint32_t mh_key_slot(const struct fl_sched_table *t, uint32_t saddr, uint32_t daddr, uint16_t sport, uint8_t proto)
{
	(void)daddr;
	uint16_t port = (t->flags & FL_SCHED_F_MH_PORT) && l4_has_ports(proto) ? sport : 0;
	return mh_hashkey(saddr, port, MH_K1, 0) % t->nslots;
}

const struct fl_sched_ops fl_sched_mh_ops = {
	.name = "mh", .slots = mh_slots, .build = mh_build, .pick = mh_pick, .key_slot = mh_key_slot,
};
