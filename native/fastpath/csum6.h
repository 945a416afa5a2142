/* The upper-layer checksum of IPv6 (RFC 8200 section 8.1): the pseudo
 * header of source, destination, upper-layer length and next header. Not
 * DPDK's rte_ipv6_udptcp_cksum: it takes the length and next header from the
 * fixed header, which behind extension headers are not the upper layer's. */
#ifndef FL_CSUM6_H
#define FL_CSUM6_H

#include <rte_ip.h>

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

#endif
