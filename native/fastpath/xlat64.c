/* RFC 7915 translation between IPv4 and IPv4-mapped IPv6 (xlat64.h says
 * what and why). TCP, UDP and everything but ICMP change only their IP
 * header, in place; an ICMP error is rebuilt with the packet it quotes. */
#include <rte_ether.h>
#include <rte_udp.h>

#include "csum6.h"
#include "ipv6_ext.h"
#include "xlat64.h"

#define L2_LEN 14u
#define ICMP_HDR_LEN 8u
#define IP4_HDR_LEN 20u
#define FRAG6_HDR_LEN 8u
/* An ICMPv6 error fits the IPv6 minimum MTU (RFC 4443 2.4(c)); an ICMP
 * error the IPv6 side sends is no longer. */
#define ICMP_MSG_MAX (1280u - FL_IP6_HDR_LEN)
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

/* The fragment header of an IPv6 chain, or its IPv4 fields. */
struct frag {
	bool present;
	bool more;
	uint16_t offset8;   /* in 8-byte units */
	uint32_t id;        /* host order */
};

static bool ip4_frag(const struct rte_ipv4_hdr *ip, struct frag *f)
{
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	f->more = (fo & RTE_IPV4_HDR_MF_FLAG) != 0;
	f->offset8 = fo & RTE_IPV4_HDR_OFFSET_MASK;
	f->id = rte_be_to_cpu_16(ip->packet_id);
	f->present = f->more || f->offset8;
	return f->present;
}

/* An IPv4 header that asks for a source route: RFC 7915 4.1 says drop. */
static bool source_routed(const struct rte_ipv4_hdr *ip, unsigned ihl)
{
	const uint8_t *o = (const uint8_t *)ip + IP4_HDR_LEN, *end = (const uint8_t *)ip + ihl;
	while (o < end) {
		if (o[0] == 0)   /* end of options */
			break;
		if (o[0] == 1) {   /* no-op */
			o++;
			continue;
		}
		if (o[0] == IPOPT_LSRR || o[0] == IPOPT_SSRR)
			return true;
		if (o + 1 >= end || o[1] < 2)
			break;
		o += o[1];
	}
	return false;
}

/* The IPv6 header (and fragment header) for IPv4 header ip whose upper
 * layer has l4_len bytes; its length. */
static unsigned put6(uint8_t *out, const struct rte_ipv4_hdr *ip, unsigned l4_len, uint8_t proto6)
{
	struct frag f;
	const bool frag = ip4_frag(ip, &f);
	struct rte_ipv6_hdr h;
	h.vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)ip->type_of_service << 20);
	h.payload_len = rte_cpu_to_be_16((uint16_t)(l4_len + (frag ? FRAG6_HDR_LEN : 0)));
	h.proto = frag ? FL_IP6_NH_FRAGMENT : proto6;
	h.hop_limits = ip->time_to_live;
	struct fl_ip6 src = fl_ip6_mapped(ip->src_addr), dst = fl_ip6_mapped(ip->dst_addr);
	memcpy(h.src_addr, src.b, 16);
	memcpy(h.dst_addr, dst.b, 16);
	memcpy(out, &h, sizeof(h));
	if (!frag)
		return FL_IP6_HDR_LEN;
	uint8_t *fh = out + FL_IP6_HDR_LEN;
	uint16_t off_m = rte_cpu_to_be_16((uint16_t)(f.offset8 << 3 | (f.more ? 1 : 0)));
	uint32_t id = rte_cpu_to_be_32(f.id);
	fh[0] = proto6;
	fh[1] = 0;
	memcpy(fh + 2, &off_m, 2);
	memcpy(fh + 4, &id, 4);
	return FL_IP6_HDR_LEN + FRAG6_HDR_LEN;
}

/* The IPv4 header for IPv6 header ip (fragment header f) whose upper layer
 * has l4_len bytes. Without a fragment header DF is set (RFC 7915 5.1). */
static void put4(uint8_t *out, const struct rte_ipv6_hdr *ip, const struct frag *f, unsigned l4_len, uint8_t proto4)
{
	struct rte_ipv4_hdr h;
	memset(&h, 0, sizeof(h));
	h.version_ihl = 0x45;
	h.type_of_service = (uint8_t)(rte_be_to_cpu_32(ip->vtc_flow) >> 20);
	h.total_length = rte_cpu_to_be_16((uint16_t)(IP4_HDR_LEN + l4_len));
	if (f->present) {
		h.packet_id = rte_cpu_to_be_16((uint16_t)f->id);
		h.fragment_offset = rte_cpu_to_be_16((uint16_t)(f->offset8 | (f->more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	} else {
		h.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	}
	h.time_to_live = ip->hop_limits;
	h.next_proto_id = proto4;
	h.src_addr = fl_ip6_unmapped(ip->src_addr);
	h.dst_addr = fl_ip6_unmapped(ip->dst_addr);
	h.hdr_checksum = rte_ipv4_cksum(&h);
	memcpy(out, &h, sizeof(h));
}

/* Walk an IPv6 chain of len bytes, and find its fragment header. */
static int walk6(const uint8_t *ip, unsigned len, struct fl_ip6_walk *wk, struct frag *f)
{
	f->present = false;
	if (fl_ip6_walk(ip, len, wk) != 0)
		return -1;
	uint8_t nh = ip[6];
	for (unsigned off = FL_IP6_HDR_LEN; off < wk->l4_off;) {
		unsigned hl;
		if (nh == FL_IP6_NH_FRAGMENT) {
			uint16_t fo = (uint16_t)(ip[off + 2] << 8 | ip[off + 3]);
			uint32_t id;
			memcpy(&id, ip + off + 4, 4);
			*f = (struct frag){ .present = true, .more = fo & 1, .offset8 = fo >> 3, .id = rte_be_to_cpu_32(id) };
			hl = FRAG6_HDR_LEN;
		} else {
			hl = nh == FL_IP6_NH_AH ? (ip[off + 1] + 2u) * 4u : (ip[off + 1] + 1u) * 8u;
		}
		nh = ip[off];
		off += hl;
	}
	return 0;
}

/* Replace the first old_len bytes of L3 by new_len bytes (the caller then
 * writes them), moving the Ethernet header: false if there is no room. */
static bool resize_head(struct rte_mbuf *m, unsigned old_len, unsigned new_len)
{
	if (new_len > old_len) {
		uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)(new_len - old_len));
		if (!p)
			return false;
		memmove(p, p + (new_len - old_len), L2_LEN);
	} else if (new_len < old_len) {
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		memmove(p + (old_len - new_len), p, L2_LEN);
		rte_pktmbuf_adj(m, (uint16_t)(old_len - new_len));
	}
	return true;
}

static void set_ethertype(struct rte_mbuf *m, uint16_t type)
{
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type = rte_cpu_to_be_16(type);
}

/* Replace the old_len bytes after the Ethernet header by an IP header of
 * hl bytes and a message of n (an ICMP error, rebuilt whole): the new L3
 * start, or NULL when the mbuf has no room. */
static uint8_t *rewrite_l3(struct rte_mbuf *m, unsigned old_len, const uint8_t *hdr, unsigned hl, const uint8_t *msg,
			   unsigned n, uint16_t ethertype)
{
	const unsigned len = hl + n;
	if (len > old_len ? !rte_pktmbuf_append(m, (uint16_t)(len - old_len))
			  : len < old_len && rte_pktmbuf_trim(m, (uint16_t)(old_len - len)) != 0)
		return NULL;
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, L2_LEN);
	memcpy(l3, hdr, hl);
	memcpy(l3 + hl, msg, n);
	set_ethertype(m, ethertype);
	return l3;
}

/* RFC 7915 figure 3: an IPv4 parameter-problem pointer as IPv6's, or -1. */
static int pointer_4to6(uint8_t p)
{
	static const int8_t map[20] = { 0, 1, 4, 4, -1, -1, -1, -1, 7, 6, -1, -1, 8, 8, 8, 8, 24, 24, 24, 24 };
	return p < 20 ? map[p] : -1;
}

/* RFC 7915 figure 6: an IPv6 parameter-problem pointer as IPv4's, or -1. */
static int pointer_6to4(uint32_t p)
{
	if (p < 8) {
		static const int8_t map[8] = { 0, 1, -1, -1, 2, 2, 9, 8 };
		return map[p];
	}
	return p < 24 ? 12 : p < 40 ? 16 : -1;
}

/* RFC 7915 4.2: the ICMPv6 type, code and 32-bit field of an ICMPv4 error;
 * false for what has none. */
static bool icmp_type_4to6(const uint8_t *ic, uint8_t *type, uint8_t *code, uint32_t *rest)
{
	*rest = 0;
	switch (ic[0]) {
	case 3:   /* destination unreachable */
		switch (ic[1]) {
		case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
			*type = 1, *code = 0;   /* no route */
			return true;
		case 2:   /* protocol unreachable: parameter problem at next header */
			*type = 4, *code = 1, *rest = 6;
			return true;
		case 3:
			*type = 1, *code = 4;   /* port unreachable */
			return true;
		case 4: {   /* fragmentation needed: packet too big, 20 bytes more */
			uint16_t mtu = (uint16_t)(ic[6] << 8 | ic[7]);
			*type = 2, *code = 0, *rest = mtu ? mtu + 20u : 1280u;
			return true;
		}
		case 9: case 10: case 13: case 15:
			*type = 1, *code = 1;   /* administratively prohibited */
			return true;
		default:
			return false;
		}
	case 11:   /* time exceeded */
		*type = 3, *code = ic[1];
		return ic[1] <= 1;
	case 12: {   /* parameter problem */
		int p = ic[1] == 0 || ic[1] == 2 ? pointer_4to6(ic[4]) : -1;
		if (p < 0)
			return false;
		*type = 4, *code = 0, *rest = (uint32_t)p;
		return true;
	}
	default:
		return false;
	}
}

/* RFC 7915 5.2: the ICMPv4 type, code and 32-bit field of an ICMPv6 error. */
static bool icmp_type_6to4(const uint8_t *ic, uint8_t *type, uint8_t *code, uint32_t *rest)
{
	uint32_t field;
	memcpy(&field, ic + 4, 4);
	field = rte_be_to_cpu_32(field);
	*rest = 0;
	switch (ic[0]) {
	case 1:   /* destination unreachable */
		*type = 3;
		switch (ic[1]) {
		case 0: case 2: case 3:
			*code = 1;   /* host unreachable */
			return true;
		case 1:
			*code = 10;   /* administratively prohibited */
			return true;
		case 4:
			*code = 3;   /* port unreachable */
			return true;
		default:
			return false;
		}
	case 2: {   /* packet too big: fragmentation needed, 20 bytes less */
		uint32_t mtu = field > 20 ? field - 20 : 0;
		*type = 3, *code = 4, *rest = mtu < 68 ? 68 : mtu > 0xffff ? 0xffff : mtu;
		return true;
	}
	case 3:   /* time exceeded */
		*type = 11, *code = ic[1];
		return ic[1] <= 1;
	case 4:   /* parameter problem */
		if (ic[1] == 1) {   /* unrecognized next header */
			*type = 3, *code = 2;
			return true;
		}
		if (ic[1] == 0) {
			int p = pointer_6to4(field);
			if (p < 0)
				return false;
			*type = 12, *code = 0, *rest = (uint32_t)p << 24;
			return true;
		}
		return false;
	default:
		return false;
	}
}

static uint8_t proto_4to6(uint8_t p)
{
	return p == IPPROTO_ICMP ? FL_IP6_NH_ICMPV6 : p;
}

static uint8_t proto_6to4(uint8_t p)
{
	return p == FL_IP6_NH_ICMPV6 ? IPPROTO_ICMP : p;
}

/* An ICMPv4 error and the packet it quotes, as ICMPv6. */
static struct rte_ipv6_hdr *icmp_up(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned ihl, unsigned tot,
				    enum fl_drop *why)
{
	const uint8_t *ic = (const uint8_t *)ip + ihl;
	const unsigned iclen = tot - ihl;
	struct frag f;
	uint8_t type, code;
	uint32_t rest;
	*why = FL_DROP_UNTRANSLATABLE;
	if (ip4_frag(ip, &f) || iclen < ICMP_HDR_LEN + IP4_HDR_LEN || !icmp_type_4to6(ic, &type, &code, &rest))
		return NULL;
	const struct rte_ipv4_hdr *in = (const struct rte_ipv4_hdr *)(ic + ICMP_HDR_LEN);
	const unsigned in_ihl = (in->version_ihl & 0xf) * 4u;
	if ((in->version_ihl >> 4) != 4 || in_ihl < IP4_HDR_LEN || iclen < ICMP_HDR_LEN + in_ihl ||
	    rte_be_to_cpu_16(in->total_length) < in_ihl)
		return NULL;
	uint8_t msg[ICMP_MSG_MAX];
	msg[0] = type, msg[1] = code, msg[2] = msg[3] = 0;
	rest = rte_cpu_to_be_32(rest);
	memcpy(msg + 4, &rest, 4);
	unsigned n = ICMP_HDR_LEN;
	n += put6(msg + n, in, rte_be_to_cpu_16(in->total_length) - in_ihl, proto_4to6(in->next_proto_id));
	unsigned quoted = iclen - ICMP_HDR_LEN - in_ihl;
	if (quoted > sizeof(msg) - n)
		quoted = sizeof(msg) - n;
	memcpy(msg + n, (const uint8_t *)in + in_ihl, quoted);
	n += quoted;
	uint8_t hdr[FL_IP6_HDR_LEN];
	put6(hdr, ip, n, FL_IP6_NH_ICMPV6);
	*why = FL_DROP_NOMEM;
	uint8_t *l3 = rewrite_l3(m, tot, hdr, sizeof(hdr), msg, n, RTE_ETHER_TYPE_IPV6);
	if (!l3)
		return NULL;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;
	fl_ip6_l4_set_csum(ip6, FL_IP6_NH_ICMPV6, l3 + FL_IP6_HDR_LEN, n, 2);
	return ip6;
}

struct rte_ipv6_hdr *fl_xlat64_up(struct rte_mbuf *m, enum fl_drop *why)
{
	*why = FL_DROP_MALFORMED;
	if (!rte_pktmbuf_is_contiguous(m) || rte_pktmbuf_data_len(m) < L2_LEN + IP4_HDR_LEN)
		return NULL;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L2_LEN);
	const unsigned ihl = (ip->version_ihl & 0xf) * 4u, tot = rte_be_to_cpu_16(ip->total_length);
	if (ihl < IP4_HDR_LEN || tot < ihl || rte_pktmbuf_data_len(m) < L2_LEN + tot)
		return NULL;
	*why = FL_DROP_UNTRANSLATABLE;
	if (ihl > IP4_HDR_LEN && source_routed(ip, ihl))
		return NULL;
	if (ip->next_proto_id == IPPROTO_ICMP)
		return icmp_up(m, ip, ihl, tot, why);
	const unsigned l4_len = tot - ihl;
	struct frag f;
	const bool frag = ip4_frag(ip, &f);
	bool udp_sum = false;
	if (ip->next_proto_id == IPPROTO_UDP && !f.offset8 && l4_len >= sizeof(struct rte_udp_hdr) &&
	    ((const struct rte_udp_hdr *)((const uint8_t *)ip + ihl))->dgram_cksum == 0) {
		/* IPv6 wants a checksum; a fragment's covers bytes not here. */
		if (frag)
			return NULL;
		udp_sum = true;
	}
	uint8_t hdr[FL_IP6_HDR_LEN + FRAG6_HDR_LEN];
	const unsigned hl = put6(hdr, ip, l4_len, ip->next_proto_id);
	*why = FL_DROP_NOMEM;
	if (!resize_head(m, ihl, hl))
		return NULL;
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, L2_LEN);
	memcpy(l3, hdr, hl);
	set_ethertype(m, RTE_ETHER_TYPE_IPV6);
	if (udp_sum)
		fl_ip6_l4_set_csum((struct rte_ipv6_hdr *)l3, IPPROTO_UDP, l3 + hl, l4_len, 6);
	return (struct rte_ipv6_hdr *)l3;
}

/* An ICMPv6 error and the packet it quotes, as ICMPv4. */
static struct rte_ipv4_hdr *icmp_down(struct rte_mbuf *m, struct rte_ipv6_hdr *ip, unsigned l4_off, unsigned tot,
				      enum fl_drop *why)
{
	const uint8_t *ic = (const uint8_t *)ip + l4_off;
	const unsigned iclen = tot - l4_off;
	uint8_t type, code;
	uint32_t rest;
	*why = FL_DROP_UNTRANSLATABLE;
	if (iclen < ICMP_HDR_LEN + FL_IP6_HDR_LEN || !icmp_type_6to4(ic, &type, &code, &rest))
		return NULL;
	const uint8_t *in = ic + ICMP_HDR_LEN;
	const unsigned quoted_all = iclen - ICMP_HDR_LEN;
	struct fl_ip6_walk iw;
	struct frag inf;
	const struct rte_ipv6_hdr *in6 = (const struct rte_ipv6_hdr *)in;
	if ((in[0] >> 4) != 6 || walk6(in, quoted_all, &iw, &inf) != 0 || !fl_ip6_is_mapped(in6->src_addr) ||
	    !fl_ip6_is_mapped(in6->dst_addr))
		return NULL;
	const unsigned in_tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(in6->payload_len);
	if (in_tot < iw.l4_off)
		return NULL;
	uint8_t msg[ICMP_MSG_MAX];
	msg[0] = type, msg[1] = code, msg[2] = msg[3] = 0;
	if (type == 3 && code == 4) {   /* next-hop MTU in the low 16 bits */
		uint16_t mtu = rte_cpu_to_be_16((uint16_t)rest);
		msg[4] = msg[5] = 0;
		memcpy(msg + 6, &mtu, 2);
	} else {
		uint32_t r = rte_cpu_to_be_32(rest);
		memcpy(msg + 4, &r, 4);
	}
	unsigned n = ICMP_HDR_LEN;
	put4(msg + n, in6, &inf, in_tot - iw.l4_off, proto_6to4(iw.proto));
	n += IP4_HDR_LEN;
	unsigned quoted = quoted_all - iw.l4_off;
	if (quoted > sizeof(msg) - n)
		quoted = sizeof(msg) - n;
	memcpy(msg + n, in + iw.l4_off, quoted);
	n += quoted;
	uint16_t ck = (uint16_t)~rte_raw_cksum(msg, n);
	memcpy(msg + 2, &ck, 2);
	const struct frag none = { .present = false };
	uint8_t hdr[IP4_HDR_LEN];
	put4(hdr, ip, &none, n, IPPROTO_ICMP);
	*why = FL_DROP_NOMEM;
	return (struct rte_ipv4_hdr *)rewrite_l3(m, tot, hdr, sizeof(hdr), msg, n, RTE_ETHER_TYPE_IPV4);
}

struct rte_ipv4_hdr *fl_xlat64_down(struct rte_mbuf *m, enum fl_drop *why)
{
	*why = FL_DROP_MALFORMED;
	if (!rte_pktmbuf_is_contiguous(m) || rte_pktmbuf_data_len(m) < L2_LEN + FL_IP6_HDR_LEN)
		return NULL;
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, L2_LEN);
	const unsigned tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	struct fl_ip6_walk wk;
	struct frag f;
	if (rte_pktmbuf_data_len(m) < L2_LEN + tot || walk6((const uint8_t *)ip, tot, &wk, &f) != 0)
		return NULL;
	*why = FL_DROP_UNTRANSLATABLE;
	/* A routing header with segments left is not for a translator to
	 * skip (RFC 7915 5.1); nor is an address outside the mapped prefix. */
	if (wk.routed || !fl_ip6_is_mapped(ip->src_addr) || !fl_ip6_is_mapped(ip->dst_addr))
		return NULL;
	if (wk.proto == FL_IP6_NH_ICMPV6 && wk.frag == FL_IP6_WHOLE)
		return icmp_down(m, ip, wk.l4_off, tot, why);
	if (wk.proto == FL_IP6_NH_ICMPV6)
		return NULL;
	uint8_t hdr[IP4_HDR_LEN];
	put4(hdr, ip, &f, tot - wk.l4_off, wk.proto);
	resize_head(m, wk.l4_off, IP4_HDR_LEN);   /* shrinks: cannot fail */
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, L2_LEN);
	memcpy(l3, hdr, sizeof(hdr));
	set_ethertype(m, RTE_ETHER_TYPE_IPV4);
	return (struct rte_ipv4_hdr *)l3;
}
