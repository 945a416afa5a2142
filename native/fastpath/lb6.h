/*
 * The IPv6 LB stage: IPv6 input (ipv6_input.c) fills an fl_lb6_pkt for each
 * TCP or UDP packet to a VIP or LIP, and lb6.c and session_open6.c (the
 * IPv6 instances of lb_impl.h and session_open_impl.h) do what lb.c and
 * session_open.c do for IPv4, with the worker's IPv6 session table and the
 * IPv6 method table (method6.h).
 */
#ifndef FL_LB6_H
#define FL_LB6_H

#include <rte_ip.h>

#include "lb.h"
#include "../session/session6.h"

struct fl_lb6_pkt {
	struct rte_mbuf *m;
	struct rte_ipv6_hdr *ip;
	uint8_t *l4;
	uint16_t rx_port;
	uint8_t role;                /* enum fl_addr_role of the destination */
	uint8_t pad;
	struct fl_flow_key6 key;     /* the packet's own 5-tuple */
};

/* Validate an IPv6 packet and either consume it or fill `out` for the LB
 * stage (ipv6_input.c). */
enum fl_pre_verdict fl_ipv6_pre(struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				struct rte_mbuf *m, struct fl_lb6_pkt *out, bool redirected);
/* An ICMPv6 error to a VIP or LIP: translated and sent on if it quotes a
 * session (true: consumed), else false (icmp6_xlat.c). */
struct fl_ip6_walk;
bool fl_icmp6_xlat(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk, uint8_t role, bool redirected);
void fl_lb6_burst(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb6_pkt *pk, unsigned n);
unsigned fl_lb6_expire(struct fl_worker *w, unsigned budget);
void fl_lb6_xmit(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		 uint8_t *l4, uint8_t proto, const struct fl_session6 *se, uint8_t dir, unsigned rx_port);
struct fl_session6 *fl_lb6_session_open(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb6_pkt *p);

#endif
