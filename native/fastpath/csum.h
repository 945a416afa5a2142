/* Checksum-preserving packet rewrites shared by the forwarding methods:
 * RFC 1624 incremental updates on 16-bit words as stored in the packet. */
#ifndef FL_CSUM_H
#define FL_CSUM_H

#include <stdbool.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>


static inline uint16_t cs_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A sum of 32-bit words as stored in the packet, folded to the 16-bit
 * one's-complement sum: the same as summing its 16-bit words, in fewer
 * steps. */
static inline uint16_t cs_fold64(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return cs_fold((uint32_t)sum);
}

/* One's-complement difference of replacing a 32-bit (16-bit) field, to be
 * added to ~checksum: summing the differences of several fields and
 * folding once gives the same result as updating field by field. */
static inline uint32_t cs_diff4(uint32_t old, uint32_t new)
{
	return (uint32_t)(uint16_t)~(old & 0xffff) + (uint16_t)~(old >> 16) + (new & 0xffff) + (new >> 16);
}

static inline uint32_t cs_diff2(uint16_t old, uint16_t new)
{
	return (uint32_t)(uint16_t)~old + new;
}

static inline uint16_t cs_apply(uint16_t ck, uint32_t diff)
{
	return (uint16_t)~cs_fold((uint32_t)(uint16_t)~ck + diff);
}

static inline uint16_t cs_replace2(uint16_t ck, uint16_t old, uint16_t new)
{
	return cs_apply(ck, cs_diff2(old, new));
}

static inline uint16_t cs_replace4(uint16_t ck, uint32_t old, uint32_t new)
{
	return cs_apply(ck, cs_diff4(old, new));
}

/* Compute an IPv4 header's checksum in full (headers the director builds). */
static inline void ip_set_csum(struct rte_ipv4_hdr *ip)
{
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Whether an IPv4 header sums to 0xffff, i.e. its checksum is right. The
 * usual 20-byte header is added up as five 32-bit words; headers with
 * options take the generic way. */
static inline bool ip_hdr_csum_ok(const struct rte_ipv4_hdr *ip, unsigned ihl)
{
	if (ihl != sizeof(*ip))
		return rte_raw_cksum(ip, ihl) == 0xffff;
	const uint8_t *p = (const uint8_t *)ip;
	uint64_t sum = 0;
	for (unsigned i = 0; i < sizeof(*ip); i += 4) {
		uint32_t v;
		memcpy(&v, p + i, 4);
		sum += v;
	}
	return cs_fold64(sum) == 0xffff;
}

static inline uint16_t *l4_csum_ptr(uint8_t proto, uint8_t *l4)
{
	/* TCP checksum at offset 16, UDP at 6; both 2-byte aligned here. */
	return (uint16_t *)(l4 + (proto == IPPROTO_TCP ? 16 : 6));
}

/* Rewrite addresses and ports of a TCP/UDP packet, updating both checksums
 * incrementally, and decrement the TTL. The address change enters both
 * checksums (the L4 one through the pseudo-header): computed once. */
static inline void rewrite(struct rte_ipv4_hdr *ip, uint8_t *l4, uint8_t proto, uint32_t saddr, uint32_t daddr,
			   uint16_t sport, uint16_t dport)
{
	uint16_t *ports = (uint16_t *)l4;
	uint16_t *ck = l4_csum_ptr(proto, l4);
	uint32_t d_addr = cs_diff4(ip->src_addr, saddr) + cs_diff4(ip->dst_addr, daddr);
	if (!(proto == IPPROTO_UDP && *ck == 0)) {   /* UDP without checksum stays so */
		uint16_t c = cs_apply(*ck, d_addr + cs_diff2(ports[0], sport) + cs_diff2(ports[1], dport));
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		*ck = c;
	}
	ports[0] = sport;
	ports[1] = dport;
	uint16_t old_ttl = *(uint16_t *)&ip->time_to_live;
	ip->time_to_live--;
	ip->hdr_checksum = cs_apply(ip->hdr_checksum, d_addr + cs_diff2(old_ttl, *(uint16_t *)&ip->time_to_live));
	ip->src_addr = saddr;
	ip->dst_addr = daddr;
}

/* Clamp the MSS option of a SYN to `mss`. */
static inline void clamp_mss(struct rte_tcp_hdr *th, unsigned avail, uint16_t mss)
{
	unsigned hl = (th->data_off >> 4) * 4u;
	if (hl > avail)
		return;
	uint8_t *o = (uint8_t *)(th + 1), *end = (uint8_t *)th + hl;
	while (o < end) {
		if (*o == 0)
			break;
		if (*o == 1) {
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2 || o + o[1] > end)
			break;
		if (o[0] == 2 && o[1] == 4) {
			/* The value may sit at an odd offset (options after a lone
			 * NOP): read and write it bytewise, and since its bytes then
			 * straddle two 16-bit words of the checksum, update the sum
			 * with both values byte-swapped. */
			uint16_t old, nw = rte_cpu_to_be_16(mss);
			memcpy(&old, o + 2, 2);
			if (rte_be_to_cpu_16(old) > mss) {
				memcpy(o + 2, &nw, 2);
				bool odd = ((uintptr_t)(o + 2 - (uint8_t *)th)) & 1;
				th->cksum = odd ? cs_replace2(th->cksum, rte_bswap16(old), rte_bswap16(nw))
						: cs_replace2(th->cksum, old, nw);
			}
			return;
		}
		o += o[1];
	}
}

#endif
