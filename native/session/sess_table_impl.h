/*
 * The session table's implementation, written once for every address
 * family: the cuckoo index of cache-line buckets, the records on a LIFO free
 * list, the lazy timer wheel, expiry and listing (see session.h for the
 * design). A family's .c file (session.c: IPv4, session6.c: IPv6) defines
 * the names below and includes this file once, so each family has its own
 * record width and key compare with no indirection on the packet path:
 *
 *   FL_ST(name)   its public names (fl_sess_##name, fl_sess6_##name)
 *   FL_ST_TABLE FL_ST_REC FL_ST_KEY FL_ST_VIEW   its types
 *   FL_ST(key_equal)(s, dir, k)   (the family's header, inline)
 *
 * The families' records, keys and views use the same field names (caddr,
 * vaddr, cport, ... in the record; saddr, daddr, sport, dport, proto in the
 * key), so moving between a record and its keys is written here once too;
 * only the addresses' types differ.
 */
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#define FL_NIL UINT32_MAX
#define FL_BUCKET_SLOTS 8
#define FL_WHEEL_MASK (FL_SESS_WHEEL_SLOTS - 1)
/* Breadth-first cuckoo search: nodes explored before giving up an insert.
 * 2 roots * 8 * 8 * 8 = 1024 covers three levels of displacement. */
#define FL_CUCKOO_BFS_NODES 1024
/* Slot ref: 0 = empty, else (session index + 1) | direction << 31. */
#define FL_REF_DIR_BIT (UINT32_C(1) << 31)

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

struct fl_bucket {
	uint32_t sig[FL_BUCKET_SLOTS];  /* full 32-bit hash of the key */
	uint32_t ref[FL_BUCKET_SLOTS];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct fl_bucket) == 64, "bucket must be one cache line");

FL_ST_TABLE {
	uint32_t capacity;
	uint32_t n_buckets;
	uint32_t count;
	uint32_t free_head;        /* LIFO: the most recently freed record is hot */
	uint32_t hash_seed;
	uint32_t alt_seed;
	uint32_t next_tick;        /* first wheel tick not yet processed */
	struct fl_bucket *buckets;
	FL_ST_REC *sess;
	uint8_t *ext;              /* FL_SESS_EXT_BYTES per record */
	uint32_t *wheel;           /* FL_SESS_WHEEL_SLOTS list heads */
} __attribute__((aligned(64)));

static size_t fl_align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* One bucket per FL_SESS_BUCKET_DIV sessions. The default 3 holds two
 * index entries per session at <= 75 % slot load: cuckoo inserts stay
 * short and most lookups hit in the primary bucket. Tests also build with
 * 4 (100 % load when full) to drive the cuckoo displacement hard. */
#ifndef FL_SESS_BUCKET_DIV
#define FL_SESS_BUCKET_DIV 3
#endif

static uint32_t fl_n_buckets(uint32_t capacity)
{
	uint32_t nb = (uint32_t)(((uint64_t)capacity + FL_SESS_BUCKET_DIV - 1) /
				 FL_SESS_BUCKET_DIV);
	return nb < 2 ? 2 : nb;
}

size_t FL_ST(table_memsize)(uint32_t capacity)
{
	if (capacity == 0 || capacity > FL_SESS_MAX_CAPACITY)
		return 0;
	return fl_align64(sizeof(FL_ST_TABLE)) +
	       (size_t)fl_n_buckets(capacity) * sizeof(struct fl_bucket) +
	       (size_t)capacity * sizeof(FL_ST_REC) +
	       fl_align64((size_t)capacity * FL_SESS_EXT_BYTES) +
	       fl_align64(FL_SESS_WHEEL_SLOTS * sizeof(uint32_t));
}

double FL_ST(bytes_per_session)(uint32_t capacity)
{
	size_t m = FL_ST(table_memsize)(capacity);
	return m ? (double)m / (double)capacity : 0.0;
}

FL_ST_TABLE *FL_ST(table_init)(void *mem, uint32_t capacity,
					 uint32_t hash_seed, uint64_t now_ms)
{
	FL_ST_TABLE *t = mem;
	size_t size = FL_ST(table_memsize)(capacity);
	uint8_t *p = mem;

	if (mem == NULL || size == 0 || ((uintptr_t)mem & 63) != 0)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->capacity = capacity;
	t->n_buckets = fl_n_buckets(capacity);
	t->hash_seed = hash_seed;
	t->alt_seed = hash_seed * 0x9e3779b1u + 0x7f4a7c15u;
	p += fl_align64(sizeof(*t));
	t->buckets = (struct fl_bucket *)p;
	p += (size_t)t->n_buckets * sizeof(struct fl_bucket);
	t->sess = (FL_ST_REC *)p;
	p += (size_t)capacity * sizeof(FL_ST_REC);
	t->ext = p;
	p += fl_align64((size_t)capacity * FL_SESS_EXT_BYTES);
	t->wheel = (uint32_t *)p;

	memset(t->buckets, 0, (size_t)t->n_buckets * sizeof(struct fl_bucket));
	for (uint32_t i = 0; i < capacity; i++) {
		memset(&t->sess[i], 0, sizeof(t->sess[i]));
		t->sess[i].timer_next = i + 1 < capacity ? i + 1 : FL_NIL;
	}
	t->free_head = 0;
	for (uint32_t i = 0; i < FL_SESS_WHEEL_SLOTS; i++)
		t->wheel[i] = FL_NIL;
	t->next_tick = (uint32_t)(now_ms >> FL_SESS_TICK_SHIFT);
	return t;
}

void *FL_ST(ext)(const FL_ST_TABLE *t, const FL_ST_REC *s)
{
	return t->ext + (size_t)(s - t->sess) * FL_SESS_EXT_BYTES;
}

uint32_t FL_ST(count)(const FL_ST_TABLE *t)
{
	return t->count;
}

uint32_t FL_ST(capacity)(const FL_ST_TABLE *t)
{
	return t->capacity;
}

/* ---------------- hashing ---------------- */

static inline uint64_t fl_load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* CRC32-C over the key, 8 bytes a step: 2 steps for IPv4's 16-byte key, 5
 * for IPv6's 40 bytes (the compiler unrolls either). */
_Static_assert(sizeof(FL_ST_KEY) % 8 == 0, "the key is hashed in 8-byte words");
static inline uint32_t fl_key_hash(const FL_ST_TABLE *t, const FL_ST_KEY *k)
{
	uint32_t h = t->hash_seed;
	for (unsigned i = 0; i < sizeof(*k); i += 8)
		h = rte_hash_crc_8byte(fl_load64((const uint8_t *)k + i), h);
	return h;
}

/* Map a 32-bit value onto [0, n) without a division (Lemire's fastrange). */
static inline uint32_t fl_range(uint32_t x, uint32_t n)
{
	return (uint32_t)(((uint64_t)x * n) >> 32);
}

/* murmur3 finaliser: the alternate bucket must look independent of the
 * primary, which takes the hash's high bits. */
static inline uint32_t fl_mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static inline uint32_t fl_primary(const FL_ST_TABLE *t, uint32_t h)
{
	return fl_range(h, t->n_buckets);
}

static inline uint32_t fl_secondary(const FL_ST_TABLE *t, uint32_t h, uint32_t b1)
{
	uint32_t b2 = fl_range(fl_mix32(h ^ t->alt_seed), t->n_buckets);
	/* Two distinct buckets, so a full primary always leaves a second choice. */
	return b2 != b1 ? b2 : (b1 + 1 == t->n_buckets ? 0 : b1 + 1);
}

/* ---------------- key <-> record ---------------- */

/* Keys built whole from compound literals, so their pad is zero. */
void FL_ST(in_key)(const FL_ST_REC *s, FL_ST_KEY *k)
{
	*k = (FL_ST_KEY){ .saddr = s->caddr, .daddr = s->vaddr, .sport = s->cport, .dport = s->vport, .proto = s->proto };
}

int FL_ST(out_key)(const FL_ST_REC *s, FL_ST_KEY *k)
{
	if (s->flags & FL_SESS_F_INPUT_ONLY)
		return -1;
	*k = (FL_ST_KEY){ .saddr = s->raddr, .daddr = s->laddr, .sport = s->rport, .dport = s->lport, .proto = s->proto };
	return 0;
}

static inline uint32_t fl_ref_make(uint32_t idx, uint8_t dir)
{
	return (idx + 1) | (dir == FL_DIR_OUT ? FL_REF_DIR_BIT : 0);
}

static inline uint32_t fl_ref_idx(uint32_t ref)
{
	return (ref & ~FL_REF_DIR_BIT) - 1;
}

static inline uint8_t fl_ref_dir(uint32_t ref)
{
	return (ref & FL_REF_DIR_BIT) ? FL_DIR_OUT : FL_DIR_IN;
}

/* Bitmask of live slots in `b` whose signature is `h`. */
static inline unsigned fl_bucket_match(const struct fl_bucket *b, uint32_t h)
{
	unsigned m = 0;
	for (unsigned i = 0; i < FL_BUCKET_SLOTS; i++)
		m |= (unsigned)(b->sig[i] == h && b->ref[i] != 0) << i;
	return m;
}

static inline int fl_bucket_free_slot(const struct fl_bucket *b)
{
	for (int i = 0; i < FL_BUCKET_SLOTS; i++)
		if (b->ref[i] == 0)
			return i;
	return -1;
}

/* Search one bucket for `k`: the full compare rules out the (2^-32 per
 * slot) signature collisions. */
static inline FL_ST_REC *fl_bucket_find(const FL_ST_TABLE *t,
						const struct fl_bucket *b, uint32_t h,
						const FL_ST_KEY *k, uint8_t *dir)
{
	unsigned m = fl_bucket_match(b, h);

	while (m) {
		unsigned i = (unsigned)__builtin_ctz(m);
		uint32_t ref = b->ref[i];
		FL_ST_REC *s = &t->sess[fl_ref_idx(ref)];

		if (FL_ST(key_equal)(s, fl_ref_dir(ref), k)) {
			*dir = fl_ref_dir(ref);
			return s;
		}
		m &= m - 1;
	}
	return NULL;
}

static FL_ST_REC *fl_lookup_hashed(const FL_ST_TABLE *t,
					   const FL_ST_KEY *k, uint32_t h,
					   uint8_t *dir)
{
	uint32_t b1 = fl_primary(t, h);
	uint8_t d = FL_DIR_IN;
	FL_ST_REC *s = fl_bucket_find(t, &t->buckets[b1], h, k, &d);

	if (s == NULL)
		s = fl_bucket_find(t, &t->buckets[fl_secondary(t, h, b1)], h, k, &d);
	if (s != NULL && dir != NULL)
		*dir = d;
	return s;
}

FL_ST_REC *FL_ST(lookup)(const FL_ST_TABLE *t,
				  const FL_ST_KEY *key, uint8_t *dir)
{
	return fl_lookup_hashed(t, key, fl_key_hash(t, key), dir);
}

void FL_ST(lookup_bulk)(const FL_ST_TABLE *t,
			 const FL_ST_KEY *const keys[], unsigned n,
			 FL_ST_REC *out[], uint8_t dir[])
{
	uint32_t hash[FL_SESS_BULK_MAX];
	uint32_t ref[FL_SESS_BULK_MAX];       /* candidate slot ref, 0 = none */
	uint32_t b2[FL_SESS_BULK_MAX];
	uint64_t need_b2 = 0;                 /* keys with no primary candidate */

	if (n > FL_SESS_BULK_MAX)
		n = FL_SESS_BULK_MAX;

	/* Stage 1: hash everything, start fetching primary buckets. */
	for (unsigned i = 0; i < n; i++) {
		hash[i] = fl_key_hash(t, keys[i]);
		rte_prefetch0(&t->buckets[fl_primary(t, hash[i])]);
	}

	/* Stage 2: signature match in the primary bucket; prefetch the
	 * candidate record, or the secondary bucket when there is none. */
	for (unsigned i = 0; i < n; i++) {
		uint32_t b1 = fl_primary(t, hash[i]);
		const struct fl_bucket *b = &t->buckets[b1];
		unsigned m = fl_bucket_match(b, hash[i]);

		if (likely(m)) {
			ref[i] = b->ref[__builtin_ctz(m)];
			rte_prefetch0(&t->sess[fl_ref_idx(ref[i])]);
		} else {
			ref[i] = 0;
			b2[i] = fl_secondary(t, hash[i], b1);
			rte_prefetch0(&t->buckets[b2[i]]);
			need_b2 |= UINT64_C(1) << i;
		}
	}
	for (uint64_t m2 = need_b2; m2; m2 &= m2 - 1) {
		unsigned i = (unsigned)__builtin_ctzll(m2);
		const struct fl_bucket *b = &t->buckets[b2[i]];
		unsigned m = fl_bucket_match(b, hash[i]);

		if (m) {
			ref[i] = b->ref[__builtin_ctz(m)];
			rte_prefetch0(&t->sess[fl_ref_idx(ref[i])]);
		}
	}

	/* Stage 3: full key compare. A miss after a signature hit is a
	 * collision (or a second same-signature slot): redo it the slow way. */
	for (unsigned i = 0; i < n; i++) {
		out[i] = NULL;
		if (ref[i] == 0)
			continue;
		FL_ST_REC *s = &t->sess[fl_ref_idx(ref[i])];
		if (likely(FL_ST(key_equal)(s, fl_ref_dir(ref[i]), keys[i]))) {
			out[i] = s;
			dir[i] = fl_ref_dir(ref[i]);
		} else {
			out[i] = fl_lookup_hashed(t, keys[i], hash[i], &dir[i]);
		}
	}
}

/* ---------------- index insert / remove ---------------- */

struct fl_bfs_node {
	uint32_t bucket;
	int16_t parent;    /* node index, -1 for a root */
	uint8_t slot;      /* slot in the parent's bucket whose entry moves here */
};

static inline uint32_t fl_alt_bucket(const FL_ST_TABLE *t, uint32_t sig, uint32_t cur)
{
	uint32_t b1 = fl_primary(t, sig);
	return cur == b1 ? fl_secondary(t, sig, b1) : b1;
}

static int fl_path_has_bucket(const struct fl_bfs_node *q, int n, uint32_t bucket)
{
	for (; n >= 0; n = q[n].parent)
		if (q[n].bucket == bucket)
			return 1;
	return 0;
}

/* Insert (sig, ref). Free slot in either bucket first; otherwise find the
 * shortest chain of displacements breadth-first, then apply it from the far
 * end so every entry stays reachable at all times. Paths never revisit a
 * bucket, which keeps the moved (bucket, slot) pairs distinct. */
static int fl_index_insert(FL_ST_TABLE *t, uint32_t sig, uint32_t ref)
{
	struct fl_bfs_node q[FL_CUCKOO_BFS_NODES];
	uint32_t b1 = fl_primary(t, sig), b2 = fl_secondary(t, sig, b1);
	int head = 0, tail = 0, slot;

	slot = fl_bucket_free_slot(&t->buckets[b1]);
	if (slot >= 0) {
		t->buckets[b1].sig[slot] = sig;
		t->buckets[b1].ref[slot] = ref;
		return 0;
	}
	slot = fl_bucket_free_slot(&t->buckets[b2]);
	if (slot >= 0) {
		t->buckets[b2].sig[slot] = sig;
		t->buckets[b2].ref[slot] = ref;
		return 0;
	}

	q[tail++] = (struct fl_bfs_node){ .bucket = b1, .parent = -1, .slot = 0 };
	q[tail++] = (struct fl_bfs_node){ .bucket = b2, .parent = -1, .slot = 0 };
	while (head < tail) {
		int node = head++;
		struct fl_bucket *b = &t->buckets[q[node].bucket];

		for (unsigned i = 0; i < FL_BUCKET_SLOTS; i++) {
			uint32_t alt = fl_alt_bucket(t, b->sig[i], q[node].bucket);
			int free_slot = fl_bucket_free_slot(&t->buckets[alt]);

			if (free_slot >= 0) {
				/* Move the chain: leaf entry first, towards the root. */
				uint32_t dst_b = alt;
				int dst_s = free_slot;
				uint32_t src_b = q[node].bucket;
				int src_s = (int)i;
				int n = node;

				for (;;) {
					struct fl_bucket *src = &t->buckets[src_b];
					t->buckets[dst_b].sig[dst_s] = src->sig[src_s];
					t->buckets[dst_b].ref[dst_s] = src->ref[src_s];
					if (q[n].parent < 0)
						break;
					dst_b = src_b;
					dst_s = src_s;
					src_s = q[n].slot;
					n = q[n].parent;
					src_b = q[n].bucket;
				}
				t->buckets[src_b].sig[src_s] = sig;
				t->buckets[src_b].ref[src_s] = ref;
				return 0;
			}
			if (tail < FL_CUCKOO_BFS_NODES && !fl_path_has_bucket(q, node, alt))
				q[tail++] = (struct fl_bfs_node){
					.bucket = alt, .parent = (int16_t)node, .slot = (uint8_t)i };
		}
	}
	return -1;
}

static void fl_index_remove(FL_ST_TABLE *t, const FL_ST_KEY *k, uint32_t ref)
{
	uint32_t h = fl_key_hash(t, k);
	uint32_t b1 = fl_primary(t, h);
	uint32_t bs[2] = { b1, fl_secondary(t, h, b1) };

	/* refs are unique per (session, direction): no key compare needed */
	for (unsigned j = 0; j < 2; j++) {
		struct fl_bucket *b = &t->buckets[bs[j]];
		for (unsigned i = 0; i < FL_BUCKET_SLOTS; i++) {
			if (b->ref[i] == ref) {
				b->ref[i] = 0;
				b->sig[i] = 0;
				return;
			}
		}
	}
}

/* ---------------- timer wheel ---------------- */

static inline uint32_t fl_sess_idx(const FL_ST_TABLE *t, const FL_ST_REC *s)
{
	return (uint32_t)(s - t->sess);
}

/* File under the deadline's tick, clamped to the wheel's current
 * revolution: never behind the next tick to process, and never into the
 * slot being processed now (which would make expire spin on it). */
static void fl_wheel_insert(FL_ST_TABLE *t, FL_ST_REC *s)
{
	uint32_t tick = fl_sess_deadline_tick(s->deadline_ms);
	uint32_t idx = fl_sess_idx(t, s);
	uint32_t slot;

	if ((int32_t)(tick - t->next_tick) < 0)
		tick = t->next_tick;
	else if (tick - t->next_tick >= FL_SESS_WHEEL_SLOTS)
		tick = t->next_tick + FL_SESS_WHEEL_SLOTS - 1;
	slot = tick & FL_WHEEL_MASK;
	s->timer_tick = tick;
	s->timer_prev = FL_NIL;
	s->timer_next = t->wheel[slot];
	if (s->timer_next != FL_NIL)
		t->sess[s->timer_next].timer_prev = idx;
	t->wheel[slot] = idx;
}

static void fl_wheel_unlink(FL_ST_TABLE *t, FL_ST_REC *s)
{
	if (s->timer_prev != FL_NIL)
		t->sess[s->timer_prev].timer_next = s->timer_next;
	else
		t->wheel[s->timer_tick & FL_WHEEL_MASK] = s->timer_next;
	if (s->timer_next != FL_NIL)
		t->sess[s->timer_next].timer_prev = s->timer_prev;
}

void FL_ST(reschedule)(FL_ST_TABLE *t, FL_ST_REC *s)
{
	fl_wheel_unlink(t, s);
	fl_wheel_insert(t, s);
}

/* ---------------- add / del ---------------- */

FL_ST_REC *FL_ST(add)(FL_ST_TABLE *t,
			       const FL_ST_KEY *in,
			       const FL_ST_KEY *out,
			       uint64_t now_ms, uint32_t timeout_ms)
{
	uint32_t idx = t->free_head;
	FL_ST_REC *s;

	if (unlikely(idx == FL_NIL))
		return NULL;
	if (unlikely(fl_index_insert(t, fl_key_hash(t, in), fl_ref_make(idx, FL_DIR_IN)) < 0))
		return NULL;
	if (out != NULL &&
	    unlikely(fl_index_insert(t, fl_key_hash(t, out), fl_ref_make(idx, FL_DIR_OUT)) < 0)) {
		fl_index_remove(t, in, fl_ref_make(idx, FL_DIR_IN));
		return NULL;
	}

	s = &t->sess[idx];
	t->free_head = s->timer_next;
	memset(s, 0, sizeof(*s));
	s->caddr = in->saddr;
	s->vaddr = in->daddr;
	s->cport = in->sport;
	s->vport = in->dport;
	s->proto = in->proto;
	if (out != NULL) {
		s->raddr = out->saddr;
		s->laddr = out->daddr;
		s->rport = out->sport;
		s->lport = out->dport;
		s->flags = FL_SESS_F_USED;
	} else {
		s->flags = FL_SESS_F_USED | FL_SESS_F_INPUT_ONLY;
	}
	s->state = FL_TCP_S_NONE;
	s->deadline_ms = now_ms + timeout_ms;
	fl_wheel_insert(t, s);
	t->count++;
	return s;
}

void FL_ST(del)(FL_ST_TABLE *t, FL_ST_REC *s)
{
	uint32_t idx = fl_sess_idx(t, s);
	FL_ST_KEY k;

	if (!(s->flags & FL_SESS_F_USED))
		return;
	FL_ST(in_key)(s, &k);
	fl_index_remove(t, &k, fl_ref_make(idx, FL_DIR_IN));
	if (FL_ST(out_key)(s, &k) == 0)
		fl_index_remove(t, &k, fl_ref_make(idx, FL_DIR_OUT));
	fl_wheel_unlink(t, s);
	s->flags = 0;
	s->timer_next = t->free_head;
	t->free_head = idx;
	t->count--;
}

/* ---------------- per-packet state ---------------- */

enum fl_tcp_state FL_ST(tcp_update)(FL_ST_TABLE *t, FL_ST_REC *s,
				     uint8_t dir, uint8_t tcp_flags, uint64_t now_ms,
				     const struct fl_timeouts *to)
{
	enum fl_tcp_dir td;
	enum fl_tcp_state ns;

	if (dir == FL_DIR_OUT) {
		td = FL_TCP_DIR_OUTPUT;
	} else {
		td = (s->flags & FL_SESS_F_INPUT_ONLY) ? FL_TCP_DIR_INPUT_ONLY : FL_TCP_DIR_INPUT;
	}
	s->pkts++;
	ns = fl_tcp_next_state((enum fl_tcp_state)s->state, td, tcp_flags);
	s->state = (uint8_t)ns;
	FL_ST(refresh)(t, s, now_ms, to->tcp_ms[ns]);
	return ns;
}

void FL_ST(udp_update)(FL_ST_TABLE *t, FL_ST_REC *s, uint8_t dir,
			uint64_t now_ms, const struct fl_timeouts *to)
{
	(void)dir;
	s->pkts++;
	FL_ST(refresh)(t, s, now_ms, to->udp_ms);
}

const char *FL_ST(state_name)(const FL_ST_REC *s)
{
	if (s->proto == 17)
		return "UDP";
	return fl_tcp_state_name(s->state);
}

/* ---------------- expiry ---------------- */

unsigned FL_ST(expire)(FL_ST_TABLE *t, uint64_t now_ms, unsigned budget,
			FL_ST(expire_cb) cb, void *arg)
{
	uint32_t now_tick = (uint32_t)(now_ms >> FL_SESS_TICK_SHIFT);
	unsigned expired = 0, visited = 0;

	if ((int32_t)(now_tick - t->next_tick) < 0)
		return 0;  /* clock went backwards or nothing due yet */
	/* After a long pause one revolution covers every slot. */
	if (now_tick - t->next_tick >= FL_SESS_WHEEL_SLOTS)
		t->next_tick = now_tick - (FL_SESS_WHEEL_SLOTS - 1);

	while ((int32_t)(now_tick - t->next_tick) >= 0) {
		uint32_t *head = &t->wheel[t->next_tick & FL_WHEEL_MASK];

		while (*head != FL_NIL) {
			FL_ST_REC *s;

			if (visited == budget)
				return expired;
			visited++;
			s = &t->sess[*head];
			if (s->deadline_ms <= now_ms) {
				if (cb != NULL)
					cb(s, arg);
				FL_ST(del)(t, s);
				expired++;
			} else {
				/* refreshed since filed: a later tick, never this slot */
				FL_ST(reschedule)(t, s);
			}
		}
		t->next_tick++;
	}
	return expired;
}

/* ---------------- listing ---------------- */

unsigned FL_ST(copy_range)(const FL_ST_TABLE *t, uint32_t *cursor,
			    FL_ST_VIEW *out, unsigned max)
{
	uint32_t i = *cursor;
	uint64_t scan_left = (uint64_t)max * 16 + 64;
	unsigned n = 0;

	for (; i < t->capacity && n < max && scan_left > 0; i++, scan_left--) {
		const FL_ST_REC *s = &t->sess[i];

		if (!(s->flags & FL_SESS_F_USED))
			continue;
		out[n++] = (FL_ST_VIEW){
			.caddr = s->caddr, .vaddr = s->vaddr,
			.raddr = s->raddr, .laddr = s->laddr,
			.cport = s->cport, .vport = s->vport,
			.rport = s->rport, .lport = s->lport,
			.proto = s->proto, .state = s->state,
			.flags = s->flags, .method = s->method,
			.server_id = s->server_id, .service_id = s->service_id,
			.deadline_ms = s->deadline_ms,
			.pkts = s->pkts,
		};
	}
	*cursor = i;
	return n;
}
