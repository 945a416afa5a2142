/* Persistence templates shared by all workers (see persist.h). */
#include <string.h>

#include "persist.h"

size_t fl_tpl_memsize(uint32_t capacity)
{
	return sizeof(struct fl_tpl_table) + sizeof(struct fl_tpl) * (size_t)capacity;
}

struct fl_tpl_table *fl_tpl_init(void *mem, uint32_t capacity)
{
	if (!mem || capacity == 0 || (capacity & (capacity - 1)))
		return NULL;
	struct fl_tpl_table *t = mem;
	memset(t, 0, fl_tpl_memsize(capacity));
	t->mask = capacity - 1;
	return t;
}

static inline uint64_t tpl_key(uint32_t service_id, uint32_t client)
{
	return FL_TPL_USED | ((uint64_t)(service_id & 0x7fffffff) << 32) | client;
}

static inline uint32_t tpl_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (uint32_t)key;
}

#define FL_TPL_PROBE 64
#define FL_TPL_RETRIES 16   /* rescans after losing a race, then give up */

/* The value of a slot whose key we saw: wait out a writer that has claimed
 * a never-used slot but not yet stored the value (a few instructions away). */
static inline uint64_t wait_val(const struct fl_tpl *e)
{
	uint64_t v;
	for (unsigned spin = 0; spin < 100000; spin++) {
		v = __atomic_load_n(&e->val, __ATOMIC_ACQUIRE);
		if (v)
			return v;
		__builtin_ia32_pause();
	}
	return 0;
}

/* A consistent view of one slot, read under its sequence count. */
struct tpl_view {
	uint32_t seq;
	uint64_t key, val, exp;
	uint32_t refcnt;
};

/* 0: view filled; 1: the slot is being rewritten (odd sequence); -1: it
 * changed while being read, read it again. */
static inline int tpl_read(const struct fl_tpl *e, struct tpl_view *v)
{
	v->seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	if (v->seq & 1)
		return 1;
	v->key = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
	v->val = v->key ? wait_val(e) : 0;
	v->exp = __atomic_load_n(&e->expires_ms, __ATOMIC_ACQUIRE);
	v->refcnt = __atomic_load_n(&e->refcnt, __ATOMIC_ACQUIRE);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&e->seq, __ATOMIC_RELAXED) == v->seq ? 0 : -1;
}

static inline bool tpl_live(const struct tpl_view *v, uint64_t now_ms)
{
	return (v->val & FL_TPL_USED) && !(v->val & FL_TPL_DEAD) && (now_ms < v->exp || v->refcnt > 0);
}

/* Take a reference on a slot read at sequence `seq`. Undone, and false,
 * if the slot was claimed for rewriting meanwhile: a claimer checks the
 * count after claiming, so one of the two always sees the other. */
static inline bool tpl_ref(struct fl_tpl *e, uint32_t seq)
{
	__atomic_fetch_add(&e->refcnt, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&e->seq, __ATOMIC_SEQ_CST) == seq)
		return true;
	__atomic_fetch_sub(&e->refcnt, 1, __ATOMIC_SEQ_CST);
	return false;
}

static inline void tpl_extend(struct fl_tpl *e, uint64_t until)
{
	if (__atomic_load_n(&e->expires_ms, __ATOMIC_RELAXED) < until)
		__atomic_store_n(&e->expires_ms, until, __ATOMIC_RELAXED);
}

/* Use the live template seen in view v: take a reference, keep it until at
 * least `until`, hand out its server. False if the slot changed meanwhile. */
static inline bool tpl_take(struct fl_tpl *e, const struct tpl_view *v, uint64_t until, uint32_t *server_id)
{
	if (!tpl_ref(e, v->seq))
		return false;
	tpl_extend(e, until);
	*server_id = (uint32_t)v->val;
	return true;
}

/* The live template of `key`, probing from *i (left at the slot found;
 * *retries counts re-reads of slots that changed while read, for all calls
 * of one lookup): its slot, with its view in *v, or -1 if there is none. */
static int64_t tpl_find(const struct fl_tpl_table *t, uint64_t key, uint64_t now_ms, unsigned *i, unsigned *retries,
			struct tpl_view *v)
{
	uint32_t h = tpl_hash(key);
	for (; *i < FL_TPL_PROBE; (*i)++) {
		uint32_t slot = (h + *i) & t->mask;
		int r = tpl_read(&t->slots[slot], v);
		if (r < 0 && (*retries)++ < FL_TPL_RETRIES) {
			(*i)--;   /* read it again */
			continue;
		}
		/* A slot in flux belongs to another client, or is becoming ours:
		 * then the caller's fl_tpl_put waits for it and follows it. */
		if (r != 0)
			continue;
		if (v->key == 0)
			return -1;
		if (v->key != key)
			continue;
		/* Expired or dead: the caller schedules and revives it. */
		return tpl_live(v, now_ms) ? (int64_t)slot : -1;
	}
	return -1;
}

uint32_t fl_tpl_get(struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		    uint32_t timeout_ms, uint32_t *server_id)
{
	uint64_t key = tpl_key(service_id, client);
	unsigned i = 0, retries = 0;
	struct tpl_view v;
	for (;;) {
		int64_t slot = tpl_find(t, key, now_ms, &i, &retries, &v);
		if (slot < 0)
			return 0;
		if (tpl_take(&t->slots[slot], &v, now_ms + timeout_ms, server_id))
			return (uint32_t)slot + 1;
		/* It changed under us: read it again, or give it up and probe on. */
		if (retries++ >= FL_TPL_RETRIES)
			i++;
	}
}

int fl_tpl_peek(const struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		struct fl_tpl_entry *out)
{
	unsigned i = 0, retries = 0;
	struct tpl_view v;
	if (tpl_find(t, tpl_key(service_id, client), now_ms, &i, &retries, &v) < 0)
		return 0;
	*out = (struct fl_tpl_entry){ .service_id = service_id, .client = client, .server_id = (uint32_t)v.val,
				      .expires_ms = v.exp, .refcnt = v.refcnt };
	return 1;
}

/* Rewrite slot e (read at sequence `seq`) for `key`: revive our own expired
 * template in place (its references stay), or reclaim another client's
 * expired, unreferenced one. False if another writer or a reader got there
 * first: rescan. */
static bool tpl_rewrite(struct fl_tpl_table *t, struct fl_tpl *e, uint32_t seq, uint64_t key, uint64_t want,
			uint64_t until)
{
	uint32_t s = seq;
	if (!__atomic_compare_exchange_n(&e->seq, &s, seq + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return false;
	bool own = __atomic_load_n(&e->key, __ATOMIC_RELAXED) == key;
	if (!own && __atomic_load_n(&e->refcnt, __ATOMIC_SEQ_CST) != 0) {
		/* A reader took a reference before our claim: leave it be. */
		__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
		return false;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
	__atomic_store_n(&e->val, want, __ATOMIC_RELAXED);
	__atomic_store_n(&e->expires_ms, until, __ATOMIC_RELAXED);
	__atomic_fetch_add(&e->refcnt, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
	if (!own)
		__atomic_fetch_add(&t->reclaimed, 1, __ATOMIC_RELAXED);
	return true;
}

static uint32_t tpl_put_locked(struct fl_tpl_table *t, uint64_t key, uint32_t h, uint64_t now_ms,
			       uint32_t timeout_ms, uint32_t *server_id)
{
	const uint64_t want = FL_TPL_USED | *server_id, until = now_ms + timeout_ms;
	for (unsigned attempt = 0; attempt < FL_TPL_RETRIES; attempt++) {
		int cand = -1;           /* first reclaimable slot of the window */
		uint32_t cand_seq = 0;
		bool lost = false;
		for (unsigned i = 0; i < FL_TPL_PROBE && !lost; i++) {
			uint32_t slot = (h + i) & t->mask;
			struct fl_tpl *e = &t->slots[slot];
			struct tpl_view v;
			int r = tpl_read(e, &v);
			if (r < 0) {
				lost = true;
				break;
			}
			if (r > 0)
				continue;   /* another client's slot being rewritten */
			if (v.key == 0) {
				/* Never used: our client is not further on. Take the
				 * earlier reclaimable slot if any, else this one. */
				if (cand >= 0)
					break;
				uint64_t zero = 0;
				if (!__atomic_compare_exchange_n(&e->key, &zero, key, false, __ATOMIC_ACQ_REL,
								 __ATOMIC_ACQUIRE)) {
					lost = true;   /* another client took it: look again */
					break;
				}
				__atomic_store_n(&e->expires_ms, until, __ATOMIC_RELAXED);
				__atomic_fetch_add(&e->refcnt, 1, __ATOMIC_SEQ_CST);
				__atomic_store_n(&e->val, want, __ATOMIC_RELEASE);
				return slot + 1;
			}
			if (v.key == key) {
				if (tpl_live(&v, now_ms)) {
					/* Created or refreshed by another worker just now:
					 * follow its server. */
					if (tpl_take(e, &v, until, server_id))
						return slot + 1;
					lost = true;
					break;
				}
				if (tpl_rewrite(t, e, v.seq, key, want, until))
					return slot + 1;
				lost = true;
				break;
			}
			if (cand < 0 && v.refcnt == 0 && ((v.val & FL_TPL_DEAD) || now_ms >= v.exp)) {
				cand = (int)slot;
				cand_seq = v.seq;
			}
		}
		if (lost)
			continue;
		if (cand < 0)
			break;
		if (tpl_rewrite(t, &t->slots[cand], cand_seq, key, want, until))
			return (uint32_t)cand + 1;
	}
	__atomic_fetch_add(&t->full_drops, 1, __ATOMIC_RELAXED);
	return 0;
}

uint32_t fl_tpl_put(struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		    uint32_t timeout_ms, uint32_t *server_id)
{
	uint64_t key = tpl_key(service_id, client);
	uint32_t h = tpl_hash(key);
	/* One creator per client at a time (striped by key): two workers
	 * cannot give the same client two slots and two servers. */
	uint32_t *lock = &t->locks[(h >> 16) & (FL_TPL_LOCKS - 1)];
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	uint32_t ref = tpl_put_locked(t, key, h, now_ms, timeout_ms, server_id);
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	return ref;
}

void fl_tpl_release(struct fl_tpl_table *t, uint32_t ref, uint64_t now_ms, uint32_t timeout_ms)
{
	if (!ref)
		return;
	struct fl_tpl *e = &t->slots[(ref - 1) & t->mask];
	/* As IPVS: the timeout runs from the template's last use; it is only
	 * kept beyond that while it controls live connections. */
	(void)now_ms;
	(void)timeout_ms;
	__atomic_fetch_sub(&e->refcnt, 1, __ATOMIC_SEQ_CST);
}

void fl_tpl_invalidate(struct fl_tpl_table *t, uint32_t ref)
{
	if (!ref)
		return;
	struct fl_tpl *e = &t->slots[(ref - 1) & t->mask];
	/* Dead whatever its references: the sessions of the removed server may
	 * live on, but new connections must be scheduled afresh (and revive the
	 * template with their new server). The caller's reference keeps the
	 * slot from being reclaimed meanwhile. */
	uint64_t v = __atomic_load_n(&e->val, __ATOMIC_ACQUIRE);
	while (!(v & FL_TPL_DEAD) &&
	       !__atomic_compare_exchange_n(&e->val, &v, v | FL_TPL_DEAD, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&e->expires_ms, 0, __ATOMIC_RELAXED);
}

unsigned fl_tpl_list(const struct fl_tpl_table *t, uint64_t now_ms, uint32_t *cursor, struct fl_tpl_entry *out,
		     unsigned max)
{
	unsigned n = 0;
	const uint32_t cap = t->mask + 1;
	while (*cursor < cap && n < max) {
		const struct fl_tpl *e = &t->slots[(*cursor)++];
		struct tpl_view v;
		int r = tpl_read(e, &v);
		for (unsigned tries = 0; r < 0 && tries < 3; tries++)
			r = tpl_read(e, &v);
		if (r != 0 || !tpl_live(&v, now_ms))
			continue;
		out[n++] = (struct fl_tpl_entry){
			.service_id = (uint32_t)((v.key & ~FL_TPL_USED) >> 32),
			.client = (uint32_t)v.key,
			.server_id = (uint32_t)(v.val & 0xffffffffu),
			.expires_ms = v.exp,
			.refcnt = v.refcnt,
		};
	}
	return n;
}
