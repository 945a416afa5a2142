/* IPv6 input: validate the fixed header and the extension header chain,
 * hand neighbour discovery to nd.c and other multicast to the kernel twin
 * (MLD, router adverts: its daemons joined the groups), steer a flow to the
 * worker that owns it, fill the LB stage's packet for TCP and UDP to a VIP
 * or LIP, and deliver the rest of what is addressed to us. */
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp.h"
#include "ipv6_ext.h"
#include "lb6.h"
#include "lport.h"
#include "nd.h"
#include "steering.h"

static bool is_nd(const struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk, unsigned len)
{
	if (wk->proto != FL_IP6_NH_ICMPV6 || wk->frag != FL_IP6_WHOLE || wk->l4_off >= len)
		return false;
	uint8_t type = ((const uint8_t *)ip)[wk->l4_off];
	return type == FL_ND_NS || type == FL_ND_NA;
}

/* A TCP or UDP packet to a VIP or LIP: its flow's worker, and its LB entry. */
static enum fl_pre_verdict lb_pre(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
				  struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk, unsigned tot, uint8_t role,
				  struct fl_lb6_pkt *out, bool redirected)
{
	if (wk->frag == FL_IP6_LATER_FRAG) {
		/* No ports: it cannot be matched to a session without reassembly. */
		fl_drop_pkt(w, m, FL_DROP_FRAGMENT);
		return FL_PRE_DONE;
	}
	uint8_t proto = wk->proto;
	uint8_t *l4 = (uint8_t *)ip + wk->l4_off;
	unsigned l4len = tot - wk->l4_off;
	/* A UDP checksum of 0 is not allowed in IPv6 (RFC 8200 8.1). */
	if (l4len < (proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr)) ||
	    (proto == IPPROTO_TCP && ((((struct rte_tcp_hdr *)l4)->data_off >> 4) * 4u < 20 ||
				      (((struct rte_tcp_hdr *)l4)->data_off >> 4) * 4u > l4len)) ||
	    (proto == IPPROTO_UDP && ((struct rte_udp_hdr *)l4)->dgram_cksum == 0)) {
		fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		return FL_PRE_DONE;
	}
	uint16_t sport = ((uint16_t *)l4)[0], dport = ((uint16_t *)l4)[1];
	struct fl_ip6 src;
	memcpy(src.b, ip->src_addr, 16);
	if (role == FL_ADDR_LIP) {
		if (rte_be_to_cpu_16(dport) < FL_LPORT_MIN) {
			/* Below the FULLNAT range: the LIP's own services. */
			fl_ipv6_local(w, s, port, m, ip, wk);
			return FL_PRE_DONE;
		}
		unsigned owner = fl_lport_owner(dport);
		if (owner != w->idx && !redirected) {
			fl_redirect(w, owner, m, port);
			return FL_PRE_DONE;
		}
	}
	struct fl_ip6 dst;
	memcpy(dst.b, ip->dst_addr, 16);
	if (role != FL_ADDR_LIP && fl_dp.conf.n_workers > 1 && !redirected && (s->transit_replies || fl_ports[port].sw_steer)) {
		/* As for IPv4 (steering.h): a NAT reply lives on its client's
		 * hash, and so does a client flow on a port without flow
		 * affinity or to a service whose replies are transit (NAT). */
		unsigned owner = w->idx;
		if (role == FL_ROLE_TRANSIT) {
			owner = fl_client_owner(fl_ip6_fold(&dst), dport);
		} else {
			const struct fl_snap_service *svc = fl_ports[port].sw_steer ? NULL : fl_svc6_lookup(s, &dst, dport, proto);
			if (fl_ports[port].sw_steer || (svc && svc->transit_replies))
				owner = fl_client_owner(fl_ip6_fold(&src), sport);
		}
		if (owner != w->idx) {
			fl_redirect(w, owner, m, port);
			return FL_PRE_DONE;
		}
	}
	out->m = m;
	out->ip = ip;
	out->l4 = l4;
	out->rx_port = (uint16_t)port;
	out->role = role;
	out->key = fl_flow_key6_make(&src, &dst, sport, dport, proto);
	return FL_PRE_LB;
}

enum fl_pre_verdict fl_ipv6_pre(struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				struct rte_mbuf *m, struct fl_lb6_pkt *out, bool redirected)
{
	const unsigned l2 = sizeof(struct rte_ether_hdr);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (unlikely(len < l2 + FL_IP6_HDR_LEN || rte_pktmbuf_data_len(m) < l2 + FL_IP6_HDR_LEN)) {
		fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		return FL_PRE_DONE;
	}
	struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, l2);
	unsigned tot = FL_IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	/* Payload length 0 is a jumbogram's (RFC 2675): not on Ethernet. The
	 * whole packet must sit in the first segment, as IPv4's must. */
	if (unlikely((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || tot == FL_IP6_HDR_LEN || l2 + tot > len ||
		     rte_pktmbuf_data_len(m) < l2 + tot || ip->src_addr[0] == 0xff)) {
		fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		return FL_PRE_DONE;
	}
	if (len > l2 + tot)   /* Ethernet padding */
		rte_pktmbuf_trim(m, len - (l2 + tot));
	struct fl_ip6_walk wk;
	if (unlikely(fl_ip6_walk((const uint8_t *)ip, tot, &wk) != 0)) {
		fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		return FL_PRE_DONE;
	}
	if (ip->dst_addr[0] == 0xff) {
		if (is_nd(ip, &wk, tot))
			fl_nd_input(w, s, port, m, ip, &wk);
		else {
			w->ctr->port[port].to_kernel++;
			fl_to_kernel(w, port, m);
		}
		return FL_PRE_DONE;
	}
	struct fl_ip6 dst;
	memcpy(dst.b, ip->dst_addr, 16);
	const struct fl_local_addr6 *local = fl_local6_lookup(&s->v6, &dst);
	if (!local) {
		/* A solicitation for an address we do not hold (a unicast
		 * refresh probe of the twin's link-local) is still ND's. */
		if (is_nd(ip, &wk, tot)) {
			fl_nd_input(w, s, port, m, ip, &wk);
			return FL_PRE_DONE;
		}
		/* Not ours, but maybe a real server's reply to a client (NAT),
		 * or an error about one. */
		if (s->transit_replies && !wk.routed) {
			if (wk.proto == IPPROTO_TCP || wk.proto == IPPROTO_UDP)
				return lb_pre(w, s, port, m, ip, &wk, tot, FL_ROLE_TRANSIT, out, redirected);
			if (wk.proto == FL_IP6_NH_ICMPV6 && fl_icmp6_xlat(w, s, port, m, ip, &wk, FL_ROLE_TRANSIT, redirected))
				return FL_PRE_DONE;
		}
		fl_drop_pkt(w, m, FL_DROP_NOT_FOR_US);
		return FL_PRE_DONE;
	}
	if (unlikely(local->standby)) {
		fl_drop_pkt(w, m, FL_DROP_STANDBY);
		return FL_PRE_DONE;
	}
	/* A routing header with segments left names a further destination:
	 * the kernel's to judge (it refuses type 0, RFC 5095). */
	if (local->role != FL_ADDR_DIP && (wk.proto == IPPROTO_TCP || wk.proto == IPPROTO_UDP) && !wk.routed)
		return lb_pre(w, s, port, m, ip, &wk, tot, local->role, out, redirected);
	if (local->role != FL_ADDR_DIP && wk.proto == FL_IP6_NH_ICMPV6 && fl_icmp6_xlat(w, s, port, m, ip, &wk, local->role, redirected))
		return FL_PRE_DONE;
	fl_ipv6_local(w, s, port, m, ip, &wk);
	return FL_PRE_DONE;
}
