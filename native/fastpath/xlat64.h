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
 * form. What RFC 7915 says to drop (IPv4 source routes, ICMP types without
 * a counterpart, a UDP fragment without a checksum) is a counted drop.
 */
#ifndef FL_XLAT64_H
#define FL_XLAT64_H

#include <stdbool.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fulcrum.h"

/* ::ffff:a.b.c.d for a (network order), and the test for it. */
static inline struct fl_ip6 fl_ip6_mapped(uint32_t a_be)
{
	struct fl_ip6 r = { .b = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } };
	memcpy(&r.b[12], &a_be, 4);
	return r;
}

static inline bool fl_ip6_is_mapped(const uint8_t *b16)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(b16, pfx, 12) == 0;
}

static inline uint32_t fl_ip6_unmapped(const uint8_t *b16)
{
	uint32_t a;
	memcpy(&a, b16 + 12, 4);
	return a;
}

/* The IPv4 packet after m's Ethernet header becomes IPv6 with mapped
 * addresses: its header, or NULL with *why set (m untouched then). */
struct rte_ipv6_hdr *fl_xlat64_up(struct rte_mbuf *m, enum fl_drop *why);
/* The IPv6 packet after m's Ethernet header, both addresses mapped,
 * becomes IPv4: its header, or NULL with *why set (m untouched then). */
struct rte_ipv4_hdr *fl_xlat64_down(struct rte_mbuf *m, enum fl_drop *why);

#endif
