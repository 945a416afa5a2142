/* IPv6 neighbour discovery messages (RFC 4861): the frames the director
 * builds (solicitations, adverts) and what it does with the ones it gets. */
#ifndef FL_ND_H
#define FL_ND_H

#include <stdbool.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "ipv6_ext.h"

#define FL_ND_RS 133
#define FL_ND_RA 134
#define FL_ND_NS 135
#define FL_ND_NA 136
#define FL_ND_REDIRECT 137
#define FL_ND_OPT_SLLA 1
#define FL_ND_OPT_TLLA 2
#define FL_ND_NA_ROUTER    0x80u   /* first byte of the NA's flags word */
#define FL_ND_NA_SOLICITED 0x40u
#define FL_ND_NA_OVERRIDE  0x20u
#define FL_ND_HOP_LIMIT 255
/* ICMPv6 header (4) + reserved or flags (4) + target (16) + one link-layer option (8) */
#define FL_ND_MSG_LEN 32u

/* The all-nodes group, and a solicited-node group with its Ethernet MAC. */
extern const struct fl_ip6 fl_ip6_all_nodes;
void fl_ip6_solicited_node(const struct fl_ip6 *target, struct fl_ip6 *group);
void fl_ip6_mcast_mac(const struct fl_ip6 *group, struct rte_ether_addr *mac);

/* Fill m (empty, single segment) with a solicitation for target from src
 * on port: to the target's solicited-node group, or with unicast_mac set
 * to the neighbour itself (a refresh probe, as Linux sends). */
int fl_nd_build_ns(struct rte_mbuf *m, unsigned port, const struct fl_ip6 *src, const struct fl_ip6 *target,
		   const struct rte_ether_addr *unicast_mac);
/* ... with an advert of target (ours) to dst at dst_mac, flags FL_ND_NA_*. */
int fl_nd_build_na(struct rte_mbuf *m, unsigned port, const struct fl_ip6 *dst, const struct rte_ether_addr *dst_mac,
		   const struct fl_ip6 *target, uint8_t flags);

/* A solicitation or advert received on port (worker). */
void fl_nd_input(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		 struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk);

#endif
