/*
 * The IPv6 family's session table: the same table as IPv4's (session.h,
 * sess_table_impl.h) with its own record and key, so that IPv6's 16-byte
 * addresses cost IPv4 sessions nothing: an IPv4 record stays one cache line,
 * an IPv6 record is two. A worker keeps one table per family.
 */
#ifndef FL_SESSION6_H
#define FL_SESSION6_H

#include "../include/fulcrum.h"
#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lookup key: an IPv6 5-tuple, network byte order, pad zeroed (hashed and
 * compared as raw memory, as the IPv4 key). */
struct fl_flow_key6 {
	struct fl_ip6 saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t pad[3];
};

static inline struct fl_flow_key6 fl_flow_key6_make(const struct fl_ip6 *saddr, const struct fl_ip6 *daddr,
						    uint16_t sport_be, uint16_t dport_be, uint8_t proto)
{
	struct fl_flow_key6 k = { .saddr = *saddr, .daddr = *daddr, .sport = sport_be, .dport = dport_be,
				  .proto = proto, .pad = { 0, 0, 0 } };
	return k;
}

/*
 * One IPv6 session = two cache lines. The inbound key {caddr, vaddr, cport,
 * vport} and the outbound key {raddr, laddr, rport, lport} are stored in key
 * layout (36 bytes each), so a key compares against the record directly;
 * the rest has the IPv4 record's meaning (struct fl_session).
 */
struct fl_session6 {
	struct fl_ip6 caddr, vaddr;     /* inbound key: CIP -> VIP */
	uint16_t cport, vport;
	struct fl_ip6 raddr, laddr;     /* outbound key: RIP -> LIP */
	uint16_t rport, lport;
	uint8_t proto;
	uint8_t state;
	uint8_t flags;
	uint8_t method;
	uint32_t server_id;
	uint16_t service_id;
	uint16_t sync_s;
	uint32_t timer_next, timer_prev;
	uint32_t timer_tick;
	uint64_t deadline_ms;
	uint32_t pkts;
	uint32_t tpl;
} __attribute__((aligned(64)));

FL_STATIC_ASSERT(sizeof(struct fl_session6) == 128, "an IPv6 session must be two cache lines");
FL_STATIC_ASSERT(sizeof(struct fl_flow_key6) == 40, "IPv6 flow key must be 40 bytes");

/* Plain copy of an IPv6 session for listings (network byte order). */
struct fl_sess6_view {
	struct fl_ip6 caddr, vaddr, raddr, laddr;
	uint16_t cport, vport, rport, lport;
	uint8_t proto, state, flags, method;
	uint32_t server_id, service_id;
	uint64_t deadline_ms;
	uint32_t pkts;
};

/* Whether record s holds key k in direction dir: 36 bytes of key layout in
 * 64-bit words, then the proto byte (pad is zero by contract). */
static inline int fl_sess6_key_equal(const struct fl_session6 *s, uint8_t dir, const struct fl_flow_key6 *k)
{
	const uint8_t *base = dir == FL_DIR_IN ? (const uint8_t *)&s->caddr : (const uint8_t *)&s->raddr;
	const uint8_t *kb = (const uint8_t *)k;
	uint64_t diff = 0, a, b;
	for (unsigned i = 0; i < 32; i += 8) {
		__builtin_memcpy(&a, base + i, 8);
		__builtin_memcpy(&b, kb + i, 8);
		diff |= a ^ b;
	}
	uint32_t ports_s, ports_k;
	__builtin_memcpy(&ports_s, base + 32, 4);
	__builtin_memcpy(&ports_k, kb + 32, 4);
	return (diff | (ports_s ^ ports_k) | (uint64_t)(s->proto ^ k->proto)) == 0;
}

#define FL_ST(name) fl_sess6_##name
#define FL_ST_TABLE struct fl_sess6_table
#define FL_ST_REC struct fl_session6
#define FL_ST_KEY struct fl_flow_key6
#define FL_ST_VIEW struct fl_sess6_view
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
