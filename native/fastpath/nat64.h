/* NAT64's edges in the other stages (nat64.c): where IPv4 input meets a
 * packet for a LIP port that a NAT64 session holds, and where an IPv6
 * packet is addressed to an IPv4-mapped address. */
#ifndef FL_NAT64_H
#define FL_NAT64_H

#include "lb.h"

/* A TCP or UDP packet to a LIP with no IPv4 session: translated to IPv6
 * and given to the IPv6 LB stage, which finds its NAT64 session or counts
 * it as no_session. Only with NAT64 services (s->nat64). */
void fl_nat64_reply(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p);
/* An ICMP error to a LIP quoting LIP:lport -> RIP (reply: the quoted
 * packet's tuple swapped) that no IPv4 session holds: if a NAT64 session
 * does, translated to ICMPv6 and sent to its client (true: consumed). */
bool fl_nat64_icmp(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   const struct fl_flow_key *reply);
/* Send an IPv6 packet addressed to ::ffff:a.b.c.d as IPv4 (an ICMPv6
 * error the director sends about a NAT64 server's packet, or translates
 * for it). */
void fl_nat64_output(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m);

#endif
