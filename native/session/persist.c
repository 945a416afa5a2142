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

/* The value of a slot whose key we saw: wait out a writer that has claimed
 * the key but not yet stored the value (a few instructions away). */
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

uint32_t fl_tpl_get(struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		    uint32_t timeout_ms, uint32_t *server_id)
{
	uint64_t key = tpl_key(service_id, client);
	uint32_t h = tpl_hash(key);
	for (unsigned i = 0; i < FL_TPL_PROBE; i++) {
		uint32_t slot = (h + i) & t->mask;
		struct fl_tpl *e = &t->slots[slot];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (k == 0)
			return 0;
		if (k != key)
			continue;
		uint64_t v = wait_val(e);
		if (!(v & FL_TPL_USED) || (v & FL_TPL_DEAD))
			return 0;
		uint64_t exp = __atomic_load_n(&e->expires_ms, __ATOMIC_RELAXED);
		if (now_ms >= exp && __atomic_load_n(&e->refcnt, __ATOMIC_ACQUIRE) == 0)
			return 0;   /* expired: the caller schedules and revives it */
		__atomic_fetch_add(&e->refcnt, 1, __ATOMIC_ACQ_REL);
		if (exp < now_ms + timeout_ms)
			__atomic_store_n(&e->expires_ms, now_ms + timeout_ms, __ATOMIC_RELAXED);
		*server_id = (uint32_t)v;
		return slot + 1;
	}
	return 0;
}

uint32_t fl_tpl_put(struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		    uint32_t timeout_ms, uint32_t *server_id)
{
	uint64_t key = tpl_key(service_id, client);
	uint32_t h = tpl_hash(key);
	uint64_t want = FL_TPL_USED | *server_id;
	for (unsigned i = 0; i < FL_TPL_PROBE; i++) {
		uint32_t slot = (h + i) & t->mask;
		struct fl_tpl *e = &t->slots[slot];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (k == 0) {
			uint64_t zero = 0;
			if (__atomic_compare_exchange_n(&e->key, &zero, key, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				__atomic_store_n(&e->expires_ms, now_ms + timeout_ms, __ATOMIC_RELAXED);
				__atomic_store_n(&e->refcnt, 1, __ATOMIC_RELAXED);
				__atomic_store_n(&e->val, want, __ATOMIC_RELEASE);
				return slot + 1;
			}
			k = zero;   /* someone claimed it first: what for? */
		}
		if (k != key)
			continue;
		/* Our client's template exists: revive it if it expired, else
		 * follow whoever (re)created it just now. */
		uint64_t v = wait_val(e);
		uint64_t exp = __atomic_load_n(&e->expires_ms, __ATOMIC_RELAXED);
		bool live = (v & FL_TPL_USED) && !(v & FL_TPL_DEAD) &&
			    (now_ms < exp || __atomic_load_n(&e->refcnt, __ATOMIC_ACQUIRE) > 0);
		if (!live && __atomic_compare_exchange_n(&e->val, &v, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&e->expires_ms, now_ms + timeout_ms, __ATOMIC_RELAXED);
			__atomic_fetch_add(&e->refcnt, 1, __ATOMIC_ACQ_REL);
			return slot + 1;
		}
		v = wait_val(e);
		if (v & FL_TPL_DEAD)
			continue;   /* lost a race with an invalidation: try the next slot */
		__atomic_fetch_add(&e->refcnt, 1, __ATOMIC_ACQ_REL);
		if (__atomic_load_n(&e->expires_ms, __ATOMIC_RELAXED) < now_ms + timeout_ms)
			__atomic_store_n(&e->expires_ms, now_ms + timeout_ms, __ATOMIC_RELAXED);
		*server_id = (uint32_t)v;
		return slot + 1;
	}
	__atomic_fetch_add(&t->full_drops, 1, __ATOMIC_RELAXED);
	return 0;
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
	__atomic_fetch_sub(&e->refcnt, 1, __ATOMIC_ACQ_REL);
}

void fl_tpl_invalidate(struct fl_tpl_table *t, uint32_t ref)
{
	if (!ref)
		return;
	struct fl_tpl *e = &t->slots[(ref - 1) & t->mask];
	/* Dead whatever its references: the sessions of the removed server may
	 * live on, but new connections must be scheduled afresh (and revive the
	 * template with their new server). */
	uint64_t v = __atomic_load_n(&e->val, __ATOMIC_ACQUIRE);
	while (!(v & FL_TPL_DEAD) &&
	       !__atomic_compare_exchange_n(&e->val, &v, v | FL_TPL_DEAD, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&e->expires_ms, 0, __ATOMIC_RELAXED);
}
