/* Persistence templates (ipvsadm -p / -M): client (masked) -> real server, for
 * one service, shared by all workers so that a client sticks to its server
 * whichever worker receives its next connection.
 *
 * Lock-free: lookups are plain acquire loads; a new template claims an empty
 * slot with one compare-and-swap on its key and then publishes its value with
 * a release store; two workers racing for the same client agree on the CAS
 * winner's server. Atomics happen once per NEW connection (lookup refresh,
 * reference count), never per packet. Keys are never removed, so a reader can
 * never see a slot reused for another client; an expired template is revived
 * in place. A template does not expire while connections it controls are
 * alive: each session holds a reference until it ends (IPVS n_control). */
#ifndef FL_PERSIST_H
#define FL_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_tpl {
	uint64_t key;          /* FL_TPL_USED | service id << 32 | masked client (network order) */
	uint64_t val;          /* FL_TPL_USED | server id; 0 while being written */
	uint64_t expires_ms;
	uint32_t refcnt;       /* live sessions it controls */
	uint32_t pad;
};

#define FL_TPL_USED (1ull << 63)
#define FL_TPL_DEAD (1ull << 62)   /* val: its server is gone; reschedule */

struct fl_tpl_table {
	uint32_t mask;         /* capacity - 1 (power of two) */
	uint32_t full_drops;   /* inserts that found no slot (best effort counter) */
	struct fl_tpl slots[];
};

size_t fl_tpl_memsize(uint32_t capacity);
struct fl_tpl_table *fl_tpl_init(void *mem, uint32_t capacity);

/* The server of a live template for (service, client), taking a reference
 * and extending it to now + timeout. Returns the slot + 1, or 0 if none. */
uint32_t fl_tpl_get(struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		    uint32_t timeout_ms, uint32_t *server_id);

/* Create (or revive) the template with `*server_id`; when another worker won
 * the race, *server_id becomes the winner's choice. Takes a reference.
 * Returns the slot + 1, or 0 when the table is full (no persistence). */
uint32_t fl_tpl_put(struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		    uint32_t timeout_ms, uint32_t *server_id);

/* A session controlled by template `ref` (slot + 1) ended. */
void fl_tpl_release(struct fl_tpl_table *t, uint32_t ref, uint64_t now_ms, uint32_t timeout_ms);

/* Drop the template of a server that is gone (its id is no longer valid). */
void fl_tpl_invalidate(struct fl_tpl_table *t, uint32_t ref);

#endif
