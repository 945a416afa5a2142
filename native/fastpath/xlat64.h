/*
 * Stateless IP/ICMP translation (RFC 7915) between IPv4 and IPv4-mapped
 * IPv6 (::ffff:a.b.c.d), in place in an mbuf after its 14-byte Ethernet
 * header. NAT64 (nat64.c) is FULLNAT of an IPv6 service whose real servers
 * and LIPs are IPv4: the IPv6 session keeps their side as mapped addresses,
 * and the family changes only here, at the edge. The mapped prefix is
 * checksum neutral (its 0xffff word is a one's-complement zero), so a TCP or
 * UDP checksum stays valid across the translation; only a UDP packet
 * without one (IPv4 allows it, IPv6 does not) gets one computed.
 *
 * ICMP errors are translated with the packet they quote (types and codes as
 * RFC 7915 sections 4.2 and 5.2 map them, packet too big and fragmentation
 * needed with the 20 bytes the headers differ by). Fragments keep their
 * identification, offset and more-fragments flag in the other family's
 * form (the mapped form itself: fl_ip6_mapped and its kin, fulcrum.h).
 * What RFC 7915 says to drop (IPv4 source routes, ICMP types without
 * a counterpart, a UDP fragment without a checksum) is a counted drop.
 */
#ifndef FL_XLAT64_H
#define FL_XLAT64_H

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fulcrum.h"

/* The IPv4 packet after m's Ethernet header becomes IPv6 with mapped
 * addresses: its header, or NULL with *why set (m untouched then). */
struct rte_ipv6_hdr *fl_xlat64_up(struct rte_mbuf *m, enum fl_drop *why);
/* The IPv6 packet after m's Ethernet header, both addresses mapped,
 * becomes IPv4: its header, or NULL with *why set (m untouched then). */
struct rte_ipv4_hdr *fl_xlat64_down(struct rte_mbuf *m, enum fl_drop *why);

#endif
