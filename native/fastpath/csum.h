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

static inline uint16_t cs_replace2(uint16_t ck, uint16_t old, uint16_t new)
{
	return (uint16_t)~cs_fold((uint16_t)~ck + (uint32_t)(uint16_t)~old + new);
}

static inline uint16_t cs_replace4(uint16_t ck, uint32_t old, uint32_t new)
{
	uint32_t s = (uint16_t)~ck;
	s += (uint16_t)~(old & 0xffff) + (uint16_t)~(old >> 16);
	s += (new & 0xffff) + (new >> 16);
	return (uint16_t)~cs_fold(s);
}

static inline uint16_t *l4_csum_ptr(uint8_t proto, uint8_t *l4)
{
	/* TCP checksum at offset 16, UDP at 6; both 2-byte aligned here. */
	return (uint16_t *)(l4 + (proto == IPPROTO_TCP ? 16 : 6));
}

/* Rewrite addresses and ports of a TCP/UDP packet, updating both checksums
 * incrementally, and decrement the TTL. */
static inline void rewrite(struct rte_ipv4_hdr *ip, uint8_t *l4, uint8_t proto, uint32_t saddr, uint32_t daddr,
			   uint16_t sport, uint16_t dport)
{
	uint16_t *ports = (uint16_t *)l4;
	uint16_t *ck = l4_csum_ptr(proto, l4);
	bool udp_nocsum = proto == IPPROTO_UDP && *ck == 0;
	if (!udp_nocsum) {
		uint16_t c = *ck;
		c = cs_replace4(c, ip->src_addr, saddr);
		c = cs_replace4(c, ip->dst_addr, daddr);
		c = cs_replace2(c, ports[0], sport);
		c = cs_replace2(c, ports[1], dport);
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		*ck = c;
	}
	ports[0] = sport;
	ports[1] = dport;
	uint16_t ic = ip->hdr_checksum;
	ic = cs_replace4(ic, ip->src_addr, saddr);
	ic = cs_replace4(ic, ip->dst_addr, daddr);
	uint16_t old_ttl = *(uint16_t *)&ip->time_to_live;
	ip->time_to_live--;
	ic = cs_replace2(ic, old_ttl, *(uint16_t *)&ip->time_to_live);
	ip->hdr_checksum = ic;
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
			uint16_t old = *(uint16_t *)(o + 2);
			if (rte_be_to_cpu_16(old) > mss) {
				uint16_t nw = rte_cpu_to_be_16(mss);
				memcpy(o + 2, &nw, 2);
				th->cksum = cs_replace2(th->cksum, old, nw);
			}
			return;
		}
		o += o[1];
	}
}

#endif
