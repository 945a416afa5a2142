/*
 * Inside native/sched: the table and state layouts the scheduler families
 * share, the helpers they all use (IPVS's dest filters and connection
 * overhead), and the ops each family registers (sched.c's registry).
 * Not for use outside native/sched: sched.h is the interface.
 */
#ifndef FL_SCHED_IMPL_H
#define FL_SCHED_IMPL_H

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

/* ip_vs_lblc.c / ip_vs_lblcr.c DEFAULT_EXPIRATION: 24 h */
#define FL_LBL_DEFAULT_EXPIRATION (24u * 60u * 60u)

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

struct fl_sched_state {
	unsigned kind;
	unsigned n;
	int32_t cl;       /* rr/wrr: last dest index, -1 = list head */
	int32_t cw;       /* wrr current weight */
	uint32_t last_id; /* rr: id of cl, for carry-over */
	uint32_t now;     /* lblc/lblcr clock, seconds */
	uint32_t expiration;
	uint32_t pad;
	uint64_t rng;     /* twos: the worker's own generator */
	uint64_t cache[]; /* lblc_entry[] or lblcr_entry[] */
};

/* The parameters of fl_sched_ops.pick, for the families' short wrappers. */
#define FL_SCHED_PICK_PARAMS                                                                                       \
	const struct fl_sched_table *t, struct fl_sched_state *st, const struct fl_sched_dest *dests,      \
		unsigned n, const struct fl_sched_conns_view *cv, uint32_t saddr, uint32_t daddr,          \
		uint16_t sport, uint8_t proto
#define FL_SCHED_PICK_UNUSED (void)t, (void)st, (void)cv, (void)saddr, (void)daddr, (void)sport, (void)proto

/*
 * One scheduler, as DPVS's ip_vs_rr.c registers dp_vs_rr_scheduler: its
 * name and what it adds to the common table and state. sched.c validates
 * the dests, sizes and allocates; a family's file fills in the rest.
 */
struct fl_sched_ops {
	const char *name;            /* ipvsadm -s name */
	/* Slots the table needs (sh/dh buckets, the mh lookup table); NULL: 0.
	 * Returns -1 with a message in err when the size is refused. */
	int64_t (*slots)(unsigned n, uint32_t mh_size, char *err, size_t errlen);
	/* Fill the table's own part from the dests; NULL: nothing to fill. */
	int (*build)(struct fl_sched_table *t, const struct fl_sched_dest *dests, unsigned n,
		     char *err, size_t errlen);
	/* Bytes of per-worker state after struct fl_sched_state (lblc caches). */
	size_t state_extra;
	/* A worker's state: fresh, or carried over from prev (same kind). */
	void (*state_init)(struct fl_sched_state *st, const struct fl_sched_table *t,
			   const struct fl_sched_dest *dests, unsigned n,
			   const struct fl_sched_state *prev);
	int (*pick)(FL_SCHED_PICK_PARAMS);
	/* The table slot a key hashes to before any fallback (sh, dh, mh), for
	 * fulcrum explain; NULL: the scheduler has no table. */
	uint32_t (*key_slot)(const struct fl_sched_table *t, uint32_t saddr, uint32_t daddr, uint16_t sport,
			     uint8_t proto);
};

/* The families (one file each). */
extern const struct fl_sched_ops fl_sched_rr_ops, fl_sched_wrr_ops;                  /* sched_rr.c */
extern const struct fl_sched_ops fl_sched_lc_ops, fl_sched_wlc_ops, fl_sched_sed_ops,
	fl_sched_nq_ops, fl_sched_fo_ops, fl_sched_ovf_ops;                          /* sched_lc.c */
extern const struct fl_sched_ops fl_sched_lblc_ops, fl_sched_lblcr_ops;              /* sched_lblc.c */
extern const struct fl_sched_ops fl_sched_dh_ops, fl_sched_sh_ops;                   /* sched_hash.c */
extern const struct fl_sched_ops fl_sched_mh_ops;                                    /* sched_mh.c */
extern const struct fl_sched_ops fl_sched_twos_ops;                                  /* sched_twos.c */

/* wlc's choice, which lblc and lblcr fall back to (sched_lc.c). */
int fl_sched_weighted_least(const struct fl_sched_dest *dests, unsigned n,
			    const struct fl_sched_conns_view *cv, bool sed);

static inline int gcd_int(int a, int b)
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

static inline bool l4_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ || proto == IPPROTO_SCTP_;
}

#endif
