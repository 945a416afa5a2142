/*
 * Fulcrum schedulers: the IPVS scheduler family (rr wrr lc wlc sed nq fo ovf
 * lblc lblcr dh sh twos) and Maglev (mh), with IPVS's selection and tie-breaking
 * rules. See docs/schedulers.md; each scheduler cites its IPVS source file
 * (linux net/netfilter/ipvs/ip_vs_*.c) in sched.c.
 *
 * Usable without rte_eal_init: plain C, malloc on the control side only.
 *
 * Life cycle
 *  - Control thread: fl_sched_build() -> immutable fl_sched_table, published
 *    inside the config snapshot together with the dest array it was built
 *    from (the same array, in the same order, must be passed to pick).
 *  - Each worker: its own fl_sched_state (fl_sched_state_size() bytes, any
 *    alignment of 8), initialised with fl_sched_state_init() when it adopts a
 *    snapshot; passing the previous state carries rr/wrr position and the
 *    lblc/lblcr caches over, as IPVS keeps them across dest changes.
 *  - Per new connection: fl_sched_pick(). Never allocates, never blocks.
 */
#ifndef FL_SCHED_H
#define FL_SCHED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum fl_sched_kind {
	FL_SCHED_RR,
	FL_SCHED_WRR,
	FL_SCHED_LC,
	FL_SCHED_WLC,
	FL_SCHED_SED,
	FL_SCHED_NQ,
	FL_SCHED_FO,
	FL_SCHED_OVF,
	FL_SCHED_LBLC,
	FL_SCHED_LBLCR,
	FL_SCHED_DH,
	FL_SCHED_SH,
	FL_SCHED_MH,
	FL_SCHED_TWOS,
	FL_SCHED_KIND_COUNT
};

#define FL_SCHED_DEFAULT_NAME "wlc"

/* Name ("rr", "wlc", ...) -> kind, or -1. NULL or "" -> the default (wlc). */
int fl_sched_from_name(const char *name);
/* Kind -> name, or NULL for an unknown kind. */
const char *fl_sched_name(unsigned kind);

/* Service scheduler flags (ipvsadm -b sh-fallback,sh-port,mh-fallback,mh-port). */
#define FL_SCHED_F_SH_FALLBACK 1u
#define FL_SCHED_F_SH_PORT 2u
#define FL_SCHED_F_MH_FALLBACK 4u
#define FL_SCHED_F_MH_PORT 8u
#define FL_SCHED_F_COUNT 4u
/* Flag bit i's ipvsadm name ("sh-fallback", ...), or NULL past the last. */
const char *fl_sched_flag_name(unsigned bit);

/* Dest status flags (IPVS IP_VS_DEST_F_*). A dest without AVAILABLE is
 * treated as absent from the service's list (IPVS keeps such dests only in
 * its trash): never picked; hash tables keep its slots. */
#ifndef FL_DEST_F_AVAILABLE
#define FL_DEST_F_AVAILABLE 0x0001u
#endif
#ifndef FL_DEST_F_OVERLOAD
#define FL_DEST_F_OVERLOAD 0x0002u
#endif

/* Default Maglev lookup table size (prime). */
#define FL_SCHED_MH_DEFAULT_SIZE 65537u
/* Largest accepted Maglev table size and dest count. */
#define FL_SCHED_MH_MAX_SIZE (1u << 24)
#define FL_SCHED_MAX_DESTS 65535u

struct fl_sched_dest {
	uint32_t id;          /* stable server id */
	uint32_t addr;        /* network order */
	uint16_t port;        /* network order */
	int32_t weight;       /* 0 = quiesced */
	/* IPVS dest->last_weight: the latest non-zero weight (0 if the dest was
	 * added with weight 0). Only mh builds with it, so that quiescing a dest
	 * does not move other dests' keys. 0 here with weight > 0 means
	 * "same as weight". */
	int32_t last_weight;
	uint32_t flags;       /* FL_DEST_F_* */
	uint32_t u_threshold; /* 0 = no upper connection threshold */
	uint32_t l_threshold; /* 0 = 3/4 of u_threshold */
};

/* Connection counters of one dest, as one worker keeps them. */
struct fl_sched_conns {
	uint32_t active, inactive;
};

/*
 * Where the count-based schedulers read connection counts: one array of
 * n_dests counters per worker, worker w's array at base + w * stride
 * (stride >= n_dests, in elements; pad it so workers do not share cache
 * lines). Each worker writes only its own array; pick sums all of them with
 * relaxed atomic loads. n_workers = 1 is a plain array.
 */
struct fl_sched_conns_view {
	const struct fl_sched_conns *base;
	unsigned n_workers;
	unsigned stride;
	/* When set, dest i's counters live at base[ids[i]] (the dataplane keys
	 * them by stable server id); otherwise at base[i]. */
	const uint32_t *ids;
};

struct fl_sched_table;
struct fl_sched_state;

/*
 * Build the immutable per-service table (sh/dh: 256 buckets; mh: lookup
 * table of mh_table_size slots, a prime, 0 = FL_SCHED_MH_DEFAULT_SIZE; the
 * mh hash seeds are IPVS's fixed ones, so every director builds the same
 * table; wrr: gcd and max weight). Returns NULL with a message in err on bad
 * input or allocation failure.
 */
struct fl_sched_table *fl_sched_build(unsigned kind, unsigned flags,
				      const struct fl_sched_dest *dests, unsigned n,
				      uint32_t mh_table_size, char *err, size_t errlen);
void fl_sched_table_free(struct fl_sched_table *t);
unsigned fl_sched_table_kind(const struct fl_sched_table *t);
/* mh: slot -> dest index (-1 = empty); sh/dh: bucket -> dest index.
 * Returns the number of slots (0 for schedulers without a table). */
unsigned fl_sched_table_slots(const struct fl_sched_table *t, const int32_t **slots);

/* Per-worker mutable state. */
size_t fl_sched_state_size(unsigned kind, unsigned n_dests);
/* prev: the same worker's state for the previous snapshot of this service,
 * or NULL. It may alias nothing else; st and prev must not overlap. */
void fl_sched_state_init(struct fl_sched_state *st, const struct fl_sched_table *t,
			 const struct fl_sched_dest *dests, unsigned n,
			 const struct fl_sched_state *prev);
/* lblc/lblcr only: the worker's coarse clock, in seconds (any epoch). Call it
 * once per poll loop or less; it drives cache expiry (24 h by default). */
void fl_sched_state_set_clock(struct fl_sched_state *st, uint32_t now_s);
/* lblc/lblcr expiration (IPVS sysctl lblc_expiration/lblcr_expiration). */
void fl_sched_state_set_expiration(struct fl_sched_state *st, uint32_t seconds);

/*
 * Pick a dest for a new connection. Addresses and ports in network order.
 * cv may be NULL for schedulers that do not read counts (rr wrr fo dh sh mh);
 * lc wlc sed nq ovf lblc lblcr then see zero connections.
 * Returns the dest index, or -1 when none is available.
 */
int fl_sched_pick(const struct fl_sched_table *t, struct fl_sched_state *st,
		  const struct fl_sched_dest *dests, unsigned n,
		  const struct fl_sched_conns_view *cv, uint32_t saddr, uint32_t daddr,
		  uint16_t sport, uint16_t dport, uint8_t proto);

/* For fulcrum explain. The slot of the service's table (sh/dh bucket, mh
 * lookup slot) a key hashes to before any fallback, or -1 for a scheduler
 * without a table; fl_sched_table_slots() tells whose slot it is. */
int64_t fl_sched_key_slot(const struct fl_sched_table *t, uint32_t saddr, uint32_t daddr, uint16_t sport,
			  uint8_t proto);
/* rr/wrr: the dest index of the last pick (-1: none yet); the next pick
 * starts after it. */
int32_t fl_sched_state_last(const struct fl_sched_state *st);

/*
 * IPVS thresholds (ip_vs_conn.c ip_vs_bind_dest / ip_vs_unbind_dest):
 * OVERLOAD is set when u_threshold != 0 and active + inactive >= u_threshold;
 * otherwise it is cleared when the total is < l_threshold (l_threshold != 0),
 * or < 3/4 u_threshold (l_threshold == 0, compared as total*4 < u*3), or
 * always when no threshold is set. c is the summed count of the dest.
 */
void fl_sched_update_overload(struct fl_sched_dest *d, const struct fl_sched_conns *c);

/* Sum of a dest's counters over all workers (relaxed loads). */
struct fl_sched_conns fl_sched_conns_sum(const struct fl_sched_conns_view *cv, unsigned idx);

#ifdef __cplusplus
}
#endif
#endif /* FL_SCHED_H */
