/* Walking an IPv6 header chain to its upper layer (RFC 8200 section 4):
 * hop-by-hop options (first only), routing, destination options, fragment
 * and AH headers are stepped over, bounds checked, at most
 * FL_IP6_MAX_EXT of them. */
#ifndef FL_IPV6_EXT_H
#define FL_IPV6_EXT_H

#include <stdint.h>
#include <rte_byteorder.h>

#define FL_IP6_HDR_LEN 40u
#define FL_IP6_MAX_EXT 8u

#define FL_IP6_NH_HOPOPTS  0
#define FL_IP6_NH_ROUTING  43
#define FL_IP6_NH_FRAGMENT 44
#define FL_IP6_NH_AH       51
#define FL_IP6_NH_ICMPV6   58
#define FL_IP6_NH_NONE     59
#define FL_IP6_NH_DSTOPTS  60

enum fl_ip6_frag { FL_IP6_WHOLE = 0, FL_IP6_FIRST_FRAG = 1, FL_IP6_LATER_FRAG = 2 };

struct fl_ip6_walk {
	uint8_t proto;          /* the upper-layer protocol (a later fragment: the fragment's next header) */
	uint8_t frag;           /* enum fl_ip6_frag; an atomic fragment (RFC 6946) counts as whole */
	uint8_t routed;         /* a routing header with segments left */
	uint8_t n_ext;          /* extension headers stepped over */
	uint16_t l4_off;        /* upper-layer header, from the start of the IPv6 header */
};

/* Walk the chain of the packet at ip (len bytes: 40 + payload length).
 * 0 with *out filled, or -1 when a header overruns the packet, the chain
 * is too long, or hop-by-hop is not first. For a later fragment the walk
 * stops at the fragment header: what follows is not a header. */
static inline int fl_ip6_walk(const uint8_t *ip, unsigned len, struct fl_ip6_walk *out)
{
	uint8_t nh = ip[6];
	unsigned off = FL_IP6_HDR_LEN;
	*out = (struct fl_ip6_walk){ 0 };
	for (;;) {
		unsigned hl;
		switch (nh) {
		case FL_IP6_NH_HOPOPTS:
			if (off != FL_IP6_HDR_LEN)
				return -1;
			/* fallthrough */
		case FL_IP6_NH_ROUTING:
		case FL_IP6_NH_DSTOPTS:
			if (off + 8 > len)
				return -1;
			hl = (ip[off + 1] + 1u) * 8u;
			if (nh == FL_IP6_NH_ROUTING && ip[off + 3] != 0)
				out->routed = 1;
			break;
		case FL_IP6_NH_AH:
			if (off + 8 > len)
				return -1;
			hl = (ip[off + 1] + 2u) * 4u;
			break;
		case FL_IP6_NH_FRAGMENT: {
			if (off + 8 > len)
				return -1;
			uint16_t fo = (uint16_t)(ip[off + 2] << 8 | ip[off + 3]);
			hl = 8;
			if (fo & 0xfff8) {
				out->frag = FL_IP6_LATER_FRAG;
				out->proto = ip[off];
				out->l4_off = (uint16_t)(off + hl);
				out->n_ext++;
				return off + hl <= len ? 0 : -1;
			}
			if (fo & 1)
				out->frag = FL_IP6_FIRST_FRAG;
			break;
		}
		default:
			out->proto = nh;
			out->l4_off = (uint16_t)off;
			return 0;
		}
		nh = ip[off];
		off += hl;
		if (off > len || ++out->n_ext > FL_IP6_MAX_EXT)
			return -1;
	}
}

#endif
