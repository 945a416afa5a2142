/* ICMP errors about a session (IPVS ip_vs_in_icmp / ip_vs_out_icmp): find
 * the session the quoted packet belongs to (on another worker if need be),
 * let its method say how the quoted tuple and the error's addresses change,
 * and fix the checksums. */
#include <rte_icmp.h>

#include "csum.h"
#include "lb.h"
#include "method.h"
#include "nat64.h"
#include "steering.h"
#include "../tcp/tcpx.h"

bool fl_icmp_xlat(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		  struct rte_ipv4_hdr *ip, unsigned ihl, uint8_t role, bool redirected)
{
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return false;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (tot < ihl + sizeof(*ic) + sizeof(struct rte_ipv4_hdr) + 8)
		return false;
	if (ic->icmp_type != 3 /* destination unreachable */ && ic->icmp_type != 11 /* time exceeded */ &&
	    ic->icmp_type != 4 /* source quench */ && ic->icmp_type != 12 /* parameter problem */)
		return false;
	struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)(ic + 1);
	unsigned iihl = (in->version_ihl & 0x0f) * 4u;
	if ((in->version_ihl >> 4) != 4 || iihl < 20 || tot < ihl + sizeof(*ic) + iihl + 8)
		return false;
	if (in->next_proto_id != IPPROTO_TCP && in->next_proto_id != IPPROTO_UDP)
		return false;
	uint16_t *iports = (uint16_t *)((uint8_t *)in + iihl);
	/* The quoted packet went the other way: swap it into our key. */
	struct fl_flow_key key = fl_flow_key_make(in->dst_addr, in->src_addr, iports[1], iports[0], in->next_proto_id);
	const unsigned nw = fl_dp.conf.n_workers;
	/* Workers this error has visited looking for its session (relay). */
	unsigned hops = redirected ? *fl_relay_hops(m) : 0;
	if (!redirected && nw > 1) {
		unsigned owner = w->idx;
		if (role == FL_ADDR_LIP)
			owner = fl_lport_owner(iports[0]);          /* about LIP:lport -> RIP */
		else if (role == FL_ROLE_TRANSIT)
			owner = fl_client_owner(in->src_addr, iports[0]);   /* NAT: about CIP -> RIP */
		else   /* about VIP:vport -> CIP:cport, the flow's own reply */
			owner = fl_vip_flow_owner(w, s, port, in->dst_addr, iports[1], in->src_addr, iports[0],
					       in->next_proto_id);
		if (owner != w->idx)
			return fl_redirect(w, owner, m, port);
		/* Unless a hash named its worker above, a VIP flow stays where the
		 * port's RSS put it by the flow's own hash; the error (ICMP, no
		 * ports) hashed otherwise, so a miss here may be another's. */
		if (role == FL_ADDR_VIP)
			hops = 1;
	}
	uint8_t dir;
	struct fl_session *se = fl_sess_lookup(w->sess, &key, &dir);
	if (!se) {
		/* Not here: ask the next worker, until each has looked once (IPVS
		 * has one table; PMTU discovery toward the real server depends on
		 * these errors arriving). */
		if (hops > 0 && hops < nw)
			return fl_redirect_hops(w, (w->idx + 1) % nw, m, port, (uint8_t)(hops + 1));
		/* About a LIP port, it may be a NAT64 session's. */
		return role == FL_ADDR_LIP && s->nat64 && fl_nat64_icmp(w, s, port, m, &key);
	}
	if (ip->time_to_live <= 1) {
		fl_drop_pkt(w, m, FL_DROP_TTL);
		return true;
	}
	const struct fl_method_ops *mo = fl_method(se->method);
	fl_method_icmp_fn xlat = dir == FL_DIR_IN ? mo->icmp_in : mo->icmp_out;
	if (!xlat) {
		/* The client's side of an INPUT_ONLY session: hand the error to
		 * the real server that sent the quoted packet. */
		fl_lb_xmit(w, s, m, ip, NULL, 0, se, dir, port);
		return true;
	}
	unsigned quoted = tot - ihl - sizeof(*ic) - iihl;   /* bytes of inner L4 present */
	struct fl_icmp_xlat x = {
		.isrc = in->src_addr, .idst = in->dst_addr, .isport = iports[0], .idport = iports[1],
		.osrc = ip->src_addr, .odst = ip->dst_addr,
	};
	xlat(se, &x);
	uint32_t isrc = x.isrc, idst = x.idst, osrc = x.osrc, odst = x.odst;
	uint16_t isport = x.isport, idport = x.idport;
	/* Inner L4 checksum, when quoted in full enough to hold it. */
	bool has_ck = in->next_proto_id == IPPROTO_TCP ? quoted >= 18 : quoted >= 8;
	if (has_ck) {
		uint16_t *ck = l4_csum_ptr(in->next_proto_id, (uint8_t *)iports);
		if (!(in->next_proto_id == IPPROTO_UDP && *ck == 0)) {
			uint16_t c = *ck;
			c = cs_replace4(c, in->src_addr, isrc);
			c = cs_replace4(c, in->dst_addr, idst);
			c = cs_replace2(c, iports[0], isport);
			c = cs_replace2(c, iports[1], idport);
			*ck = c;
		}
	}
	if (in->next_proto_id == IPPROTO_TCP && (se->flags & FL_SESS_F_TCPX)) {
		/* A stream the director edits: the quoted seq goes back to the
		 * numbers the receiving end knows (it checks them). */
		uint32_t old, nw;
		memcpy(&old, iports + 2, 4);
		nw = rte_cpu_to_be_32(fl_tcpx_quoted_seq(w->sess, se, dir, rte_be_to_cpu_32(old)));
		if (has_ck) {
			uint16_t *ck = l4_csum_ptr(IPPROTO_TCP, (uint8_t *)iports);
			*ck = cs_replace4(*ck, old, nw);
		}
		memcpy(iports + 2, &nw, 4);
	}
	iports[0] = isport;
	iports[1] = idport;
	in->src_addr = isrc;
	in->dst_addr = idst;
	in->hdr_checksum = 0;
	in->hdr_checksum = rte_ipv4_cksum(in);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, tot - ihl);
	ip->src_addr = osrc;
	ip->dst_addr = odst;
	ip->time_to_live--;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	fl_ipv4_output(w, s, m, odst);
	return true;
}

