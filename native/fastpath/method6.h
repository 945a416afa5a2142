/*
 * The IPv6 forwarding methods, behind a table of their own as IPv4's are
 * (method.h): a session's `method` byte is the index into fl_methods6[].
 * An entry is NULL where IPv6 lacks the method so far; the config refuses
 * such a server, and session_open_impl.h drops rather than follow NULL.
 * The flags are method.h's FL_METHOD_F_*.
 */
#ifndef FL_METHOD6_H
#define FL_METHOD6_H

#include <rte_ip.h>

#include "dp.h"
#include "method.h"
#include "../session/session6.h"

typedef void (*fl_method6_xmit_fn)(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m,
				   struct rte_ipv6_hdr *ip, uint8_t *l4, uint8_t proto, const struct fl_session6 *se,
				   unsigned rx_port);

/* As struct fl_icmp_xlat: an ICMPv6 error about a session, the quoted
 * packet's tuple and the error's own addresses as the method rewrites them. */
struct fl_icmp6_xlat {
	struct fl_ip6 isrc, idst;
	uint16_t isport, idport;
	struct fl_ip6 osrc, odst;
};
typedef void (*fl_method6_icmp_fn)(const struct fl_session6 *se, struct fl_icmp6_xlat *x);

struct fl_method6_ops {
	const char *name;
	uint8_t flags;
	/* As fl_method_ops.open, with IPv6 keys. */
	int (*open)(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
		    const struct fl_snap_server *rs, const struct fl_flow_key6 *in, uint16_t rport_be,
		    struct fl_flow_key6 *out, enum fl_drop *why);
	fl_method6_xmit_fn xmit_in;
	fl_method6_xmit_fn xmit_out;
	/* As fl_method_ops.icmp_in and icmp_out (icmp6_xlat.c). */
	fl_method6_icmp_fn icmp_in;
	fl_method6_icmp_fn icmp_out;
	void (*release)(struct fl_worker *w, const struct fl_session6 *se);
};

/* Past the methods both families name (enum fl_method), IPv6 has one of
 * its own: NAT64, FULLNAT to IPv4 real servers (nat64.c). The config names
 * it fullnat; the snapshot picks it for an IPv6 service's IPv4 servers. */
#define FL_FWD6_NAT64 FL_FWD__COUNT
#define FL_FWD6__COUNT (FL_FWD__COUNT + 1)

extern const struct fl_method6_ops *const fl_methods6[FL_FWD6__COUNT];

static inline const struct fl_method6_ops *fl_method6(unsigned m)
{
	return m < FL_FWD6__COUNT ? fl_methods6[m] : NULL;
}

/* The method a session is listed under: NAT64 is FULLNAT. */
static inline uint8_t fl_method6_public(uint8_t m)
{
	return m == FL_FWD6_NAT64 ? FL_FWD_FULLNAT : m;
}

/* What NAT64 shares with IPv6 FULLNAT (fullnat6.c): the client side of a
 * session, and the tuples of its ICMP errors. */
void fl_fullnat6_out(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		     uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port);
void fl_fullnat6_icmp_in(const struct fl_session6 *se, struct fl_icmp6_xlat *x);
void fl_fullnat6_icmp_out(const struct fl_session6 *se, struct fl_icmp6_xlat *x);

/* As fl_method_release_key. */
static inline void fl_method6_release_key(struct fl_worker *w, uint8_t m, const struct fl_flow_key6 *out)
{
	const struct fl_method6_ops *mo = fl_method6(m);
	if (!mo || !mo->release)
		return;
	struct fl_session6 tmp = { .raddr = out->saddr, .laddr = out->daddr, .rport = out->sport, .lport = out->dport,
				   .method = m };
	mo->release(w, &tmp);
}

/* Whether a packet of ip_len bytes to dst would exceed its egress port's
 * MTU: then it is refused, with ICMPv6 packet-too-big to its sender and a
 * counted drop (TOO_BIG). Only packets above the smallest MTU look their
 * route up. */
bool fl_ipv6_too_big_slow(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, unsigned ip_len,
			  const struct fl_ip6 *dst, unsigned rx_port);

static inline bool fl_ipv6_too_big(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m,
				   const struct rte_ipv6_hdr *ip, const struct fl_ip6 *dst, unsigned rx_port)
{
	unsigned len = 40u + rte_be_to_cpu_16(ip->payload_len);
	if (likely(len <= s->min_mtu))
		return false;
	return fl_ipv6_too_big_slow(w, s, m, len, dst, rx_port);
}

#endif
