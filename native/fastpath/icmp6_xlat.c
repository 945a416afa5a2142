/* ICMPv6 errors about a session (IPVS ip_vs_in_icmp_v6 / ip_vs_out_icmp_v6),
 * as icmp_xlat.c does for IPv4: find the session the quoted packet belongs
 * to (on another worker if need be), let its method say how the quoted tuple
 * and the error's addresses change, and fix the checksums. Packet-too-big
 * included: path MTU discovery through the director depends on it. */
#include <string.h>

#include "csum6.h"
#include "ipv6_ext.h"
#include "lb6.h"
#include "method6.h"
#include "steering.h"

#define ICMP6_HDR_LEN 8u

static bool is_error(uint8_t type)
{
	return type == 1 /* destination unreachable */ || type == 2 /* packet too big */ ||
	       type == 3 /* time exceeded */ || type == 4 /* parameter problem */;
}

bool fl_icmp6_xlat(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk, uint8_t role, bool redirected)
{
	unsigned tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	if (wk->frag != FL_IP6_WHOLE || tot < wk->l4_off + ICMP6_HDR_LEN + FL_IP6_HDR_LEN + 4)
		return false;
	uint8_t *ic = (uint8_t *)ip + wk->l4_off;
	if (!is_error(ic[0]))
		return false;
	/* The quoted packet: its header chain as far as it was quoted. */
	struct rte_ipv6_hdr *in = (struct rte_ipv6_hdr *)(ic + ICMP6_HDR_LEN);
	unsigned quoted = tot - wk->l4_off - ICMP6_HDR_LEN;
	struct fl_ip6_walk iw;
	if ((rte_be_to_cpu_32(in->vtc_flow) >> 28) != 6 || fl_ip6_walk((const uint8_t *)in, quoted, &iw) != 0 ||
	    iw.frag == FL_IP6_LATER_FRAG || (iw.proto != IPPROTO_TCP && iw.proto != IPPROTO_UDP) ||
	    quoted < iw.l4_off + 4u)
		return false;
	uint16_t *iports = (uint16_t *)((uint8_t *)in + iw.l4_off);
	struct fl_ip6 isrc, idst;
	memcpy(isrc.b, in->src_addr, 16);
	memcpy(idst.b, in->dst_addr, 16);
	/* The quoted packet went the other way: swap it into our key. */
	struct fl_flow_key6 key = fl_flow_key6_make(&idst, &isrc, iports[1], iports[0], iw.proto);
	const unsigned nw = fl_dp.conf.n_workers;
	unsigned hops = redirected ? *fl_relay_hops(m) : 0;
	if (!redirected && nw > 1) {
		/* About LIP:lport -> RIP, its port names the worker; about
		 * VIP:vport -> CIP:cport, the client hash where it names one. */
		unsigned owner = role == FL_ADDR_LIP ? fl_lport_owner(iports[0])
			: role == FL_ROLE_TRANSIT ? fl_client_owner(fl_ip6_fold(&isrc), iports[0])   /* NAT: about CIP -> RIP */
			: fl_ports[port].sw_steer ? fl_client_owner(fl_ip6_fold(&idst), iports[1]) : w->idx;
		if (owner != w->idx)
			return fl_redirect(w, owner, m, port);
		if (role == FL_ADDR_VIP && !fl_ports[port].sw_steer)
			hops = 1;   /* RSS put the flow somewhere by its own hash: look in turn */
	}
	uint8_t dir;
	struct fl_session6 *se = fl_sess6_lookup(w->sess6, &key, &dir);
	if (!se) {
		if (hops > 0 && hops < nw)
			return fl_redirect_hops(w, (w->idx + 1) % nw, m, port, (uint8_t)(hops + 1));
		return false;
	}
	if (ip->hop_limits <= 1) {
		fl_drop_pkt(w, m, FL_DROP_TTL);
		return true;
	}
	const struct fl_method6_ops *mo = fl_method6(se->method);
	fl_method6_icmp_fn xlat = !mo ? NULL : dir == FL_DIR_IN ? mo->icmp_in : mo->icmp_out;
	if (!xlat) {
		/* The client's side of an INPUT_ONLY session: the error goes to
		 * the real server that sent the quoted packet. */
		fl_lb6_xmit(w, s, m, ip, NULL, 0, se, dir, port);
		return true;
	}
	struct fl_icmp6_xlat x = { .isrc = isrc, .idst = idst, .isport = iports[0], .idport = iports[1] };
	memcpy(x.osrc.b, ip->src_addr, 16);
	memcpy(x.odst.b, ip->dst_addr, 16);
	xlat(se, &x);
	/* The inner L4 checksum, when quoted: its pseudo header holds the
	 * inner addresses, so it changes with them and the ports. */
	unsigned il4 = quoted - iw.l4_off;
	if (iw.proto == IPPROTO_TCP ? il4 >= 18 : il4 >= 8) {
		uint16_t *ck = l4_csum_ptr(iw.proto, (uint8_t *)iports);
		uint16_t c = cs_apply(*ck, fl_ip6_addr_diff(in->src_addr, x.isrc.b) + fl_ip6_addr_diff(in->dst_addr, x.idst.b) +
					       cs_diff2(iports[0], x.isport) + cs_diff2(iports[1], x.idport));
		*ck = iw.proto == IPPROTO_UDP && c == 0 ? 0xffff : c;
	}
	iports[0] = x.isport;
	iports[1] = x.idport;
	memcpy(in->src_addr, x.isrc.b, 16);
	memcpy(in->dst_addr, x.idst.b, 16);
	memcpy(ip->src_addr, x.osrc.b, 16);
	memcpy(ip->dst_addr, x.odst.b, 16);
	ip->hop_limits--;
	/* The message's checksum covers the new outer pseudo header and the
	 * rewritten quote: summed afresh. */
	fl_ip6_l4_set_csum(ip, FL_IP6_NH_ICMPV6, ic, tot - wk->l4_off, 2);
	fl_ipv6_output_any(w, s, m, &x.odst);   /* to a NAT64 session's server: as ICMPv4 */
	return true;
}
