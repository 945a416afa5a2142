/* The upper-layer checksum of IPv6 (RFC 8200 section 8.1): the pseudo
 * header of source, destination, upper-layer length and next header. Not
 * DPDK's rte_ipv6_udptcp_cksum: it takes the length and next header from the
 * fixed header, which behind extension headers are not the upper layer's. */
#ifndef FL_CSUM6_H
#define FL_CSUM6_H

#include <string.h>

#include <rte_ip.h>

#include "csum.h"
#include "fulcrum.h"

/* The one's-complement sum of pseudo header and the len bytes at l4, not
 * complemented: 0xffff when a received packet's checksum is right. */
static inline uint16_t fl_ip6_l4_sum(const struct rte_ipv6_hdr *ip, uint8_t proto, const void *l4, uint32_t len)
{
	uint32_t tail[2] = { rte_cpu_to_be_32(len), rte_cpu_to_be_32(proto) };
	uint32_t sum = __rte_raw_cksum(ip->src_addr, 32, 0);
	sum = __rte_raw_cksum(tail, sizeof(tail), sum);
	sum = __rte_raw_cksum(l4, len, sum);
	return __rte_raw_cksum_reduce(sum);
}

/* Set the checksum field at l4 + ck_off of a packet the director builds. */
static inline void fl_ip6_l4_set_csum(const struct rte_ipv6_hdr *ip, uint8_t proto, void *l4, uint32_t len,
				      unsigned ck_off)
{
	uint16_t *ck = (uint16_t *)((uint8_t *)l4 + ck_off);
	*ck = 0;
	*ck = (uint16_t)~fl_ip6_l4_sum(ip, proto, l4, len);
}

/* Rewrite addresses and ports of an IPv6 TCP/UDP packet, updating its L4
 * checksum incrementally (RFC 1624; the addresses enter it through the
 * pseudo header), and decrement the hop limit (no header checksum). The
 * new addresses are read before any is written, so either may alias the
 * packet. */
/* One's-complement difference (csum.h cs_diff4) of replacing a 16-byte
 * address, word by word. */
static inline uint32_t fl_ip6_addr_diff(const void *old16, const void *new16)
{
	uint32_t o[4], n[4], d = 0;
	memcpy(o, old16, 16);
	memcpy(n, new16, 16);
	for (unsigned i = 0; i < 4; i++)
		d += cs_diff4(o[i], n[i]);
	return d;
}

static inline void fl_ip6_rewrite(struct rte_ipv6_hdr *ip, uint8_t *l4, uint8_t proto, const struct fl_ip6 *saddr,
				  const struct fl_ip6 *daddr, uint16_t sport, uint16_t dport)
{
	struct fl_ip6 ns = *saddr, nd = *daddr;
	uint16_t *ports = (uint16_t *)l4;
	uint16_t *ck = l4_csum_ptr(proto, l4);
	uint32_t d = cs_diff2(ports[0], sport) + cs_diff2(ports[1], dport) + fl_ip6_addr_diff(ip->src_addr, ns.b) +
		     fl_ip6_addr_diff(ip->dst_addr, nd.b);
	uint16_t c = cs_apply(*ck, d);
	if (proto == IPPROTO_UDP && c == 0)   /* 0 means "no checksum", which IPv6 forbids */
		c = 0xffff;
	*ck = c;
	ports[0] = sport;
	ports[1] = dport;
	memcpy(ip->src_addr, ns.b, 16);
	memcpy(ip->dst_addr, nd.b, 16);
	ip->hop_limits--;
}

#endif
