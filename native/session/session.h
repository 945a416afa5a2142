/*
 * Per-worker session table (connection tracking for the director).
 *
 * One table per worker lcore, touched only by that worker: no locks, no
 * atomics. Memory is given by the caller at init (hugepages in the
 * dataplane, aligned_alloc in tests) and never grows; the code needs no
 * rte_eal_init.
 *
 * Layout (all 64-byte aligned, see fl_sess_table_memsize):
 *   header | index buckets (1 cache line each) | session records (1 cache
 *   line each) | timer wheel heads
 *
 * Index: bucketized two-choice cuckoo hash. A bucket is one cache line of 8
 * {32-bit hash signature, 32-bit session ref} slots; an entry lives in its
 * primary or its alternate bucket, and inserts displace entries (breadth-first
 * path search) when both are full. The index is sized for two entries per
 * session at <= 75 % slot load, so in practice only the free list of
 * records limits adds.
 *
 * Each session is indexed under two keys: the inbound key (CIP:cport ->
 * VIP:vport, as the client sends) and, for NAT/FULLNAT, the outbound key
 * (RIP:rport -> LIP:lport, as the real server replies). DR/TUN sessions
 * have no outbound key (IPVS "INPUT_ONLY").
 *
 * Expiry: single-level timer wheel of FL_SESS_WHEEL_SLOTS slots of
 * 2^FL_SESS_TICK_SHIFT ms. Refreshing a deadline only stores it (lazy); the
 * slot re-files a session whose deadline moved when it fires. Deadlines
 * beyond the wheel's horizon (~70 min) are re-filed once per revolution,
 * so any timeout fits (24 h and more).
 *
 * Time is a uint64 count of milliseconds supplied by the caller ("now").
 */
#ifndef FL_SESSION_H
#define FL_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_state.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lookup key: an IPv4 5-tuple, network byte order, pad zeroed (the 16 bytes
 * are hashed and compared as raw memory). */
struct fl_flow_key {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t pad[3];
};

static inline struct fl_flow_key fl_flow_key_make(uint32_t saddr_be, uint32_t daddr_be,
						  uint16_t sport_be, uint16_t dport_be,
						  uint8_t proto)
{
	struct fl_flow_key k = { .saddr = saddr_be, .daddr = daddr_be,
				 .sport = sport_be, .dport = dport_be,
				 .proto = proto, .pad = { 0, 0, 0 } };
	return k;
}

/* Fill *k in place with two 8-byte stores, the width the hash and compare
 * read it with: built field by field and copied, the key cost a
 * store-forwarding stall per packet. */
static inline void fl_flow_key_set(struct fl_flow_key *k, uint32_t saddr_be, uint32_t daddr_be,
				   uint16_t sport_be, uint16_t dport_be, uint8_t proto)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	*k = fl_flow_key_make(saddr_be, daddr_be, sport_be, dport_be, proto);
#else
	uint64_t lo = (uint64_t)saddr_be | (uint64_t)daddr_be << 32;
	uint64_t hi = (uint64_t)sport_be | (uint64_t)dport_be << 16 | (uint64_t)proto << 32;
	__builtin_memcpy(k, &lo, 8);
	__builtin_memcpy((uint8_t *)k + 8, &hi, 8);
#endif
}

/* Direction a key matched in. */
#define FL_DIR_IN  0   /* inbound key: client -> VIP */
#define FL_DIR_OUT 1   /* outbound key: real server -> director */

/* fl_session.flags */
#define FL_SESS_F_USED       0x01  /* record is live (not on the free list) */
#define FL_SESS_F_INPUT_ONLY 0x02  /* no outbound key (DR/TUN) */
#define FL_SESS_F_TCPX       0x04  /* its TCP stream is edited (native/tcp): see fl_sess_ext */

/*
 * One session = one cache line. Addresses/ports are network byte order.
 * The inbound key is {caddr, vaddr, cport, vport, proto} and the outbound
 * key {raddr, laddr, rport, lport, proto}: the field order mirrors
 * struct fl_flow_key so a key compares against the record directly.
 * For NAT the outbound destination is the client: laddr/lport = CIP/cport.
 * For DR/TUN raddr/rport hold the RIP and laddr/lport are 0.
 */
struct fl_session {
	uint32_t caddr, vaddr;     /* inbound key: CIP -> VIP */
	uint16_t cport, vport;
	uint32_t raddr, laddr;     /* outbound key: RIP -> LIP */
	uint16_t rport, lport;
	uint8_t proto;             /* IPPROTO_TCP / IPPROTO_UDP ... */
	uint8_t state;             /* enum fl_tcp_state for TCP */
	uint8_t flags;             /* FL_SESS_F_* */
	uint8_t method;            /* forwarding method, dataplane's enum */
	uint32_t server_id;        /* stable real-server id */
	uint16_t service_id;       /* stable virtual-service id (< FL_MAX_SERVICE_IDS) */
	uint16_t sync_s;           /* when it was last sent to the backups: seconds, mod 2^16 (native/sync) */
	/* timer wheel links; timer_next also links the free list */
	uint32_t timer_next, timer_prev;
	uint32_t timer_tick;       /* wheel tick the record is filed under */
	uint64_t deadline_ms;      /* expires when now >= deadline_ms */
	uint32_t pkts;             /* packets, both directions */
	uint32_t tpl;              /* persistence template (slot + 1); 0 = none */
} __attribute__((aligned(64)));

#ifdef __cplusplus
#define FL_STATIC_ASSERT static_assert
#else
#define FL_STATIC_ASSERT _Static_assert
#endif
FL_STATIC_ASSERT(sizeof(struct fl_session) == 64, "session must be one cache line");
FL_STATIC_ASSERT(sizeof(struct fl_flow_key) == 16, "flow key must be 16 bytes");

/* Timer wheel geometry: 512 ms ticks, 8192 slots (~70 min per revolution). */
#define FL_SESS_TICK_SHIFT   9
#define FL_SESS_WHEEL_SLOTS  8192u
/* Most keys fl_sess_lookup_bulk takes per call. */
#define FL_SESS_BULK_MAX     64u
/* Largest capacity: session refs are 31 bits. */
#define FL_SESS_MAX_CAPACITY (UINT32_C(1) << 30)

/* Each record has FL_SESS_EXT_BYTES beside it, in an array of their own so
 * that sessions which never use them never touch their cache lines: the TCP
 * stream edits (PROXY header, TOA, SYN proxy) keep their sequence deltas
 * there. The table neither reads nor clears them. */
#define FL_SESS_EXT_BYTES 32u

static inline uint32_t fl_sess_deadline_tick(uint64_t deadline_ms)
{
	return (uint32_t)((deadline_ms + (UINT64_C(1) << FL_SESS_TICK_SHIFT) - 1)
			  >> FL_SESS_TICK_SHIFT);
}

/* Plain copy of a session for listings (network byte order, as stored). */
struct fl_sess_view {
	uint32_t caddr, vaddr, raddr, laddr;
	uint16_t cport, vport, rport, lport;
	uint8_t proto, state, flags, method;
	uint32_t server_id, service_id;
	uint64_t deadline_ms;
	uint32_t pkts;
};

/* Whether record s holds key k in direction dir. The record stores each
 * key's first 12 bytes in key layout (see struct fl_session), so this is two
 * 64-bit compares; pad is zero by contract, so the proto byte ends it. */
static inline int fl_sess_key_equal(const struct fl_session *s, uint8_t dir, const struct fl_flow_key *k)
{
	const uint8_t *base = dir == FL_DIR_IN ? (const uint8_t *)&s->caddr : (const uint8_t *)&s->raddr;
	uint64_t k_lo, k_hi, s_lo;
	uint32_t s_mid;
	__builtin_memcpy(&k_lo, k, 8);
	__builtin_memcpy(&k_hi, (const uint8_t *)k + 8, 8);
	__builtin_memcpy(&s_lo, base, 8);
	__builtin_memcpy(&s_mid, base + 8, 4);
	return ((k_lo ^ s_lo) | (k_hi ^ (s_mid | (uint64_t)s->proto << 32))) == 0;
}


/* The IPv4 family's table (session6.h declares the IPv6 family's). */
#define FL_ST(name) fl_sess_##name
#define FL_ST_TABLE struct fl_sess_table
#define FL_ST_REC struct fl_session
#define FL_ST_KEY struct fl_flow_key
#define FL_ST_VIEW struct fl_sess_view
#include "sess_table_api.h"
#undef FL_ST
#undef FL_ST_TABLE
#undef FL_ST_REC
#undef FL_ST_KEY
#undef FL_ST_VIEW

#ifdef __cplusplus
}
#endif
#endif
