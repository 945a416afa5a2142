/* Persistence templates (ipvsadm -p / -M): client (masked) -> real server, for
 * one service, shared by all workers so that a client sticks to its server
 * whichever worker receives its next connection.
 *
 * Open addressing, 64-slot probe windows. Lookups are lock-free: acquire
 * loads under a per-slot sequence count. Creating a template (once per NEW
 * connection of a persistent service, never per packet) takes a spinlock
 * striped by key, so two workers cannot create the same client twice; a
 * slot is claimed by a compare-and-swap, so different clients cannot take
 * the same one. A template does not expire while connections it controls
 * are alive: each session holds a reference until it ends (IPVS n_control).
 * An expired template with no references is revived in place for its own
 * client, or its slot is reclaimed for another client: the slot's sequence
 * count goes odd while it is rewritten, and a reader that saw it change
 * retries, so no reader ever takes one client's template for another's. */
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
	uint32_t seq;          /* even: stable; odd: being handed to another client */
};

#define FL_TPL_USED (1ull << 63)
#define FL_TPL_DEAD (1ull << 62)   /* val: its server is gone; reschedule */

#define FL_TPL_LOCKS 256       /* creation locks, striped by key */

/* An IPv6 client's template: this flag in the service id, and for the
 * client a 32-bit digest of its masked prefix (fl_tpl_client6). Two
 * prefixes with one digest share a template, so their clients share a
 * server: persistence still holds for each, the balance is a little coarser,
 * and at 2^-32 a pair it is rare. Listings show IPv4 templates only. */
#define FL_TPL_SVC_IPV6 0x40000000u

static inline uint32_t fl_tpl_client6(const uint8_t addr[16], unsigned prefix)
{
	uint64_t hi = 0, lo = 0;
	for (unsigned i = 0; i < 8; i++) {
		hi = hi << 8 | addr[i];
		lo = lo << 8 | addr[8 + i];
	}
	/* Shifts stay below 64 (a shift by 64 is undefined in C). */
	if (prefix <= 64) {
		lo = 0;
		if (prefix < 64)
			hi &= prefix ? ~0ull << (64 - prefix) : 0;
	} else if (prefix < 128) {
		lo &= ~0ull << (128 - prefix);
	}
	uint64_t x = (hi ^ (lo * 0x9E3779B97F4A7C15ull)) * 0xC2B2AE3D27D4EB4Full;
	return (uint32_t)(x >> 32) ^ (uint32_t)x;
}

struct fl_tpl_table {
	uint32_t mask;         /* capacity - 1 (power of two) */
	uint32_t pad;
	uint64_t full_drops;   /* inserts that found no slot */
	uint64_t reclaimed;    /* slots handed from an expired client to another */
	uint32_t locks[FL_TPL_LOCKS];
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
 * Returns the slot + 1, or 0 when every slot of the probe window holds a
 * live template (no persistence for this connection). */
uint32_t fl_tpl_put(struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		    uint32_t timeout_ms, uint32_t *server_id);

/* A session controlled by template `ref` (slot + 1) ended. */
void fl_tpl_release(struct fl_tpl_table *t, uint32_t ref, uint64_t now_ms, uint32_t timeout_ms);

/* One live template, as listings show it (ipvsadm -Lnc, --persistent-conn). */
struct fl_tpl_entry {
	uint32_t service_id;
	uint32_t client;       /* masked client address, network order */
	uint32_t server_id;
	uint64_t expires_ms;
	uint32_t refcnt;       /* sessions it controls */
};

/* Copy up to `max` live templates, scanning slots from *cursor (start at 0)
 * and advancing it; the scan is complete when *cursor is the capacity. Any
 * thread: reads are lock-free under each slot's sequence count; a slot
 * rewritten while read is skipped. */
unsigned fl_tpl_list(const struct fl_tpl_table *t, uint64_t now_ms, uint32_t *cursor, struct fl_tpl_entry *out,
		     unsigned max);

/* The live template of (service, client), read only (fulcrum explain): 1
 * with *out filled, 0 if there is none. Takes no reference, extends nothing. */
int fl_tpl_peek(const struct fl_tpl_table *t, uint32_t service_id, uint32_t client, uint64_t now_ms,
		struct fl_tpl_entry *out);

/* Drop the template of a server that is gone (its id is no longer valid).
 * Call it while still holding the reference fl_tpl_get gave. */
void fl_tpl_invalidate(struct fl_tpl_table *t, uint32_t ref);

#endif
