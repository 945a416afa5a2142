/* ICMPv6 errors the director originates (RFC 4443): destination unreachable,
 * packet too big, time exceeded; under the rate limit IPv4's errors share
 * (icmp_send.c), packet-too-big exempt as Linux's icmpv6 ratemask has it. */
#include <string.h>

#include "csum6.h"
#include "dp.h"
#include "ipv6_ext.h"

#define ICMP6_HDR_LEN   8u
#define ICMP6_MIN_MTU   1280u   /* an error never exceeds the IPv6 minimum MTU (RFC 4443 2.4(c)) */
#define ICMP6_PTB       2
#define ICMP6_INFO_MASK 0x80    /* types 128-255 are informational */

/* RFC 4443 2.4(e), as Linux's icmp6_send(): no error about an ICMPv6 error,
 * nor about a packet to a multicast address (but packet-too-big), nor from
 * the unspecified or a multicast address. */
static bool eligible(const struct rte_ipv6_hdr *ip, unsigned tot, uint8_t type)
{
	static const uint8_t unspecified[16];
	if (ip->src_addr[0] == 0xff || memcmp(ip->src_addr, unspecified, 16) == 0)
		return false;
	if (ip->dst_addr[0] == 0xff && type != ICMP6_PTB)
		return false;
	struct fl_ip6_walk wk;
	if (fl_ip6_walk((const uint8_t *)ip, tot, &wk) != 0)
		return false;
	if (wk.proto != FL_IP6_NH_ICMPV6)
		return true;
	/* A later fragment of ICMPv6 may be an error's: as Linux, do not guess. */
	if (wk.frag == FL_IP6_LATER_FRAG || wk.l4_off >= tot)
		return false;
	return (((const uint8_t *)ip)[wk.l4_off] & ICMP6_INFO_MASK) != 0;
}

void fl_icmp6_error(struct fl_worker *w, const struct fl_snapshot *s, unsigned rx_port, struct rte_mbuf *orig,
		    uint8_t type, uint8_t code, uint32_t info)
{
	const unsigned l2 = sizeof(struct rte_ether_hdr);
	const struct rte_ipv6_hdr *oip = rte_pktmbuf_mtod_offset(orig, const struct rte_ipv6_hdr *, l2);
	unsigned otot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(oip->payload_len);
	if (rte_pktmbuf_data_len(orig) < l2 + otot || !eligible(oip, otot, type))
		return;
	if (!fl_icmp_error_allowed(w, type == ICMP6_PTB))
		return;
	struct fl_ip6 dst, src;
	memcpy(dst.b, oip->src_addr, 16);
	memcpy(src.b, oip->dst_addr, 16);
	/* From the address the packet was sent to when it is ours (RFC 4443
	 * 2.2), else from the port's own. A NAT64 server's packet, translated
	 * up, went to our IPv4 LIP: the error is from there, and leaves as
	 * ICMPv4 (fl_ipv6_reply). */
	if (!fl_ip6_is_mapped(oip->dst_addr) && (oip->dst_addr[0] == 0xff || !fl_local6_lookup(&s->v6, &src))) {
		if (!s->v6.has_src[rx_port])
			return fl_drop(w->ctr, FL_DROP_NO_ROUTE);
		src = s->v6.port_src[rx_port];
	}
	unsigned quote = otot;
	if (quote > ICMP6_MIN_MTU - FL_IP6_HDR_LEN - ICMP6_HDR_LEN)
		quote = ICMP6_MIN_MTU - FL_IP6_HDR_LEN - ICMP6_HDR_LEN;
	struct rte_mbuf *m = rte_pktmbuf_alloc(fl_pool_for_socket((int)rte_socket_id()));
	if (!m)
		return fl_drop(w->ctr, FL_DROP_NOMEM);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + FL_IP6_HDR_LEN + ICMP6_HDR_LEN + quote));
	if (!p) {
		rte_pktmbuf_free(m);
		return fl_drop(w->ctr, FL_DROP_NOMEM);
	}
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + l2);
	uint8_t *ic = (uint8_t *)(ip + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(ICMP6_HDR_LEN + quote));
	ip->proto = FL_IP6_NH_ICMPV6;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, src.b, 16);
	memcpy(ip->dst_addr, dst.b, 16);
	ic[0] = type;
	ic[1] = code;
	/* Bytes 4-7: the MTU for packet-too-big, a pointer for a parameter
	 * problem, else unused. */
	uint32_t info_be = rte_cpu_to_be_32(info);
	memcpy(ic + 4, &info_be, 4);
	memcpy(ic + ICMP6_HDR_LEN, oip, quote);
	fl_ip6_l4_set_csum(ip, FL_IP6_NH_ICMPV6, ic, ICMP6_HDR_LEN + quote, 2);
	w->ctr->icmp_errors_sent++;
	fl_ipv6_reply(w, s, m, rx_port, &dst);
}
