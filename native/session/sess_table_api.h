/*
 * The session table's interface, declared once for every address family
 * (included by session.h for IPv4 and session6.h for IPv6, each with its
 * FL_ST names and types defined; sess_table_impl.h is the implementation).
 * FL_ST(key_equal) must be defined before this file is included.
 */
FL_ST_TABLE;

/* The FL_SESS_EXT_BYTES beside record s (session.h). */
void *FL_ST(ext)(const FL_ST_TABLE *t, const FL_ST_REC *s);

/* Bytes of memory (64-byte aligned) a table of `capacity` sessions needs;
 * 0 if capacity is 0 or above FL_SESS_MAX_CAPACITY. */
size_t FL_ST(table_memsize)(uint32_t capacity);

/* Memory per session, index and wheel included: memsize / capacity. */
double FL_ST(bytes_per_session)(uint32_t capacity);

/* Build a table in `mem` (>= FL_ST(table_memsize)(capacity) bytes, 64-byte
 * aligned; need not be zeroed). `hash_seed` randomises the hash so flows
 * cannot be crafted to collide. `now_ms` starts the timer wheel.
 * Returns mem as the table, or NULL on bad arguments. */
FL_ST_TABLE *FL_ST(table_init)(void *mem, uint32_t capacity,
					 uint32_t hash_seed, uint64_t now_ms);

uint32_t FL_ST(count)(const FL_ST_TABLE *t);
uint32_t FL_ST(capacity)(const FL_ST_TABLE *t);

/* Find the session indexed by `key`; *dir (if not NULL) gets FL_DIR_IN or
 * FL_DIR_OUT. NULL if none. */
FL_ST_REC *FL_ST(lookup)(const FL_ST_TABLE *t,
				  const FL_ST_KEY *key, uint8_t *dir);

/* Same for n <= FL_SESS_BULK_MAX keys, pipelined with prefetches: hash all
 * and prefetch primary buckets, then match signatures and prefetch the
 * candidate records, then compare full keys. out[i] is NULL on a miss;
 * dir[i] is valid only for hits. */
void FL_ST(lookup_bulk)(const FL_ST_TABLE *t,
			 const FL_ST_KEY *const keys[], unsigned n,
			 FL_ST_REC *out[], uint8_t dir[]);

/* Whether s is still the live session indexed by k in direction dir: for a
 * caller that looked a burst up and has added or deleted sessions since. */
static inline int FL_ST(still)(const FL_ST_REC *s, uint8_t dir, const FL_ST_KEY *k)
{
	if (!(s->flags & FL_SESS_F_USED) || (dir == FL_DIR_OUT && (s->flags & FL_SESS_F_INPUT_ONLY)))
		return 0;
	return FL_ST(key_equal)(s, dir, k);
}

/* Create a session indexed by `in` and, unless `out` is NULL (DR/TUN),
 * by `out` (whose proto must equal in->proto). Neither key may already be
 * in the table (callers add after a lookup miss). The record comes back with
 * keys set, state NONE, flags USED (+ INPUT_ONLY), deadline now + timeout,
 * and everything else zero for the caller to fill in.
 * Returns NULL when the table is full: the caller counts the drop. */
FL_ST_REC *FL_ST(add)(FL_ST_TABLE *t,
			       const FL_ST_KEY *in,
			       const FL_ST_KEY *out,
			       uint64_t now_ms, uint32_t timeout_ms);

/* Remove a live session (both keys, its timer) and free the record. */
void FL_ST(del)(FL_ST_TABLE *t, FL_ST_REC *s);

/* Rebuild the keys a session is indexed by. FL_ST(out_key) returns -1 for
 * an INPUT_ONLY session. */
void FL_ST(in_key)(const FL_ST_REC *s, FL_ST_KEY *k);
int FL_ST(out_key)(const FL_ST_REC *s, FL_ST_KEY *k);

/* Slow path of FL_ST(refresh): the deadline moved before the wheel tick the
 * record is filed under, so it must be re-filed to fire on time. */
void FL_ST(reschedule)(FL_ST_TABLE *t, FL_ST_REC *s);


/* Per-packet timeout refresh: O(1), usually just a store. Only a deadline
 * that moves earlier than its wheel slot (e.g. ESTABLISHED -> CLOSE)
 * re-files the record. */
static inline void FL_ST(refresh)(FL_ST_TABLE *t, FL_ST_REC *s,
				   uint64_t now_ms, uint32_t timeout_ms)
{
	uint64_t deadline = now_ms + timeout_ms;

	s->deadline_ms = deadline;
	if (__builtin_expect(fl_sess_deadline_tick(deadline) < s->timer_tick, 0))
		FL_ST(reschedule)(t, s);
}

/* Per-packet TCP bookkeeping: count the packet, advance the IPVS state
 * (INPUT_ONLY table for inbound packets of INPUT_ONLY sessions) and set the
 * deadline from `to`. Returns the new state. */
enum fl_tcp_state FL_ST(tcp_update)(FL_ST_TABLE *t, FL_ST_REC *s,
				     uint8_t dir, uint8_t tcp_flags, uint64_t now_ms,
				     const struct fl_timeouts *to);

/* Per-packet UDP (and other non-TCP) bookkeeping: count, refresh udp_ms. */
void FL_ST(udp_update)(FL_ST_TABLE *t, FL_ST_REC *s, uint8_t dir,
			uint64_t now_ms, const struct fl_timeouts *to);

/* State column of `ipvsadm -Lnc`: TCP state name, "UDP" for UDP. */
const char *FL_ST(state_name)(const FL_ST_REC *s);

/* Called for each expired session just before its record is freed, so the
 * caller can release what it holds (LIP port, server counters, ...). It must
 * not add or delete sessions. */
typedef void (*FL_ST(expire_cb))(FL_ST_REC *s, void *arg);

/* Advance the wheel to `now_ms`, expiring sessions whose deadline has
 * passed. Visits at most `budget` sessions (expired or re-filed) per call,
 * so a poll loop never stalls; what is left is picked up by the next call.
 * Returns the number expired (<= budget). cb may be NULL. */
unsigned FL_ST(expire)(FL_ST_TABLE *t, uint64_t now_ms, unsigned budget,
			FL_ST(expire_cb) cb, void *arg);

/* Copy up to `max` live sessions, scanning records from *cursor (start at 0)
 * and advancing it. Work per call is bounded (at most max * 16 + 64 records
 * scanned), so a return below `max` does not mean the end: iteration is
 * complete when *cursor == FL_ST(capacity)(t). */
unsigned FL_ST(copy_range)(const FL_ST_TABLE *t, uint32_t *cursor,
			    FL_ST_VIEW *out, unsigned max);

