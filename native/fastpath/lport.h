/* FULLNAT local addresses (LIPs) and their ports. Each worker owns a disjoint
 * slice of every LIP's ports (port % n_workers == worker), so the reply to a
 * session always belongs to the worker that created it, and a free port list
 * is touched by its owner only. */
#ifndef FL_LPORT_H
#define FL_LPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include "fulcrum.h"

#define FL_LPORT_MIN 1024
#define FL_LPORT_MAX 65535

/* FIFO of free ports: the least recently released port is reused first, so
 * a port's previous connection has long left TIME_WAIT on the real server.
 * It starts at a random port of the slice, for the same reason across a
 * restart (lport.c). */
struct fl_lport_pool {
	uint32_t head, tail, mask, count;
	/* Ports held by sessions a peer director opened (native/sync): they
	 * stay queued, and are skipped until those sessions end. A bit per
	 * port; `held` of them set. */
	uint64_t *held_map;
	uint32_t held;
	uint16_t ports[];
};

/* How many ports of [FL_LPORT_MIN, FL_LPORT_MAX] worker `w` of `nw` owns
 * (those with port % nw == w). */
static inline uint32_t fl_lport_slice_first(unsigned w, unsigned nw)
{
	return FL_LPORT_MIN + (w + nw - FL_LPORT_MIN % nw) % nw;
}

static inline uint32_t fl_lport_slice_size(unsigned w, unsigned nw)
{
	uint32_t first = fl_lport_slice_first(w, nw);
	return first > FL_LPORT_MAX ? 0 : (FL_LPORT_MAX - first) / nw + 1;
}

/* The registry: one slot a LIP of either family (fl_lip_family), its
 * address in fl_lip_ip (network order) or fl_lip_ip6. */
extern uint32_t fl_lip_ip[FL_MAX_LIPS];
extern struct fl_ip6 fl_lip_ip6[FL_MAX_LIPS];
extern uint8_t fl_lip_family[FL_MAX_LIPS];
extern unsigned fl_n_lips;
extern struct fl_lport_pool *fl_lip_pool[FL_MAX_LIPS][FL_MAX_WORKERS];

/* Control thread: the registry slot of a LIP, creating its pools if new.
 * Slots are never reused, so a session's port can always be given back. */
int fl_lip_register(uint32_t ip_be, char *err, size_t errlen);
int fl_lip_register6(const struct fl_ip6 *ip, char *err, size_t errlen);
void fl_lips_teardown(void);

static inline int fl_lip_slot(uint32_t ip_be)
{
	for (unsigned i = 0; i < fl_n_lips; i++)
		if (fl_lip_family[i] == 4 && fl_lip_ip[i] == ip_be)
			return (int)i;
	return -1;
}

static inline int fl_lip_slot6(const struct fl_ip6 *ip)
{
	for (unsigned i = 0; i < fl_n_lips; i++)
		if (fl_lip_family[i] == 6 && memcmp(fl_lip_ip6[i].b, ip->b, 16) == 0)
			return (int)i;
	return -1;
}

static inline bool fl_lport_get(struct fl_lport_pool *p, uint16_t *port)
{
	if (!p->count)
		return false;
	*port = p->ports[p->head++ & p->mask];
	p->count--;
	return true;
}

static inline void fl_lport_put(struct fl_lport_pool *p, uint16_t port)
{
	p->ports[p->tail++ & p->mask] = port;
	p->count++;
}

static inline bool fl_lport_is_held(const struct fl_lport_pool *p, uint16_t port)
{
	return (p->held_map[port >> 6] >> (port & 63)) & 1;
}

/* A free port for a new session: the queue's next one that no synced
 * session holds (held ones go round to the back). */
static inline bool fl_lport_get_free(struct fl_lport_pool *p, uint16_t *port)
{
	for (uint32_t tries = p->count; tries; tries--) {
		if (!fl_lport_get(p, port))
			return false;
		if (likely(!p->held || !fl_lport_is_held(p, *port)))
			return true;
		fl_lport_put(p, *port);
	}
	return false;
}

/* A port of worker `worker`'s slice for a new FULLNAT session, taking the
 * service's n LIPs (their registry slots) in turn from *rr: the slot it came
 * from, or -1 when every LIP's slice is exhausted (fullnat.c, fullnat6.c). */
static inline int fl_lip_take(const uint16_t *slots, uint32_t n, uint32_t *rr, unsigned worker, uint16_t *lport)
{
	for (uint32_t k = 0; k < n; k++) {
		uint16_t slot = slots[(*rr)++ % n];
		struct fl_lport_pool *pool = fl_lip_pool[slot][worker];
		if (pool && fl_lport_get_free(pool, lport))
			return slot;
	}
	return -1;
}

/* Hold a port for a synced session; false if one already holds it. */
static inline bool fl_lport_hold(struct fl_lport_pool *p, uint16_t port)
{
	if (fl_lport_is_held(p, port))
		return false;
	p->held_map[port >> 6] |= UINT64_C(1) << (port & 63);
	p->held++;
	return true;
}

/* A session's port comes back: a held one is only unmarked (it never left
 * the queue), a taken one is queued again. */
static inline void fl_lport_release(struct fl_lport_pool *p, uint16_t port)
{
	if (unlikely(p->held) && fl_lport_is_held(p, port)) {
		p->held_map[port >> 6] &= ~(UINT64_C(1) << (port & 63));
		p->held--;
		return;
	}
	fl_lport_put(p, port);
}

#endif
