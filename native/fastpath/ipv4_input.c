/* IPv4 input: validate the header (the port's checksum verdict when it gave
 * one), classify by destination (one of our addresses, or transit for a
 * method whose replies are addressed to the client), deliver locally what is
 * not the LB's, steer a flow to the worker that owns it, and fill the LB
 * stage's packet for the rest. */
#include <rte_tcp.h>
#include <rte_udp.h>

#include "csum.h"
#include "lb.h"
#include "lport.h"
#include "steering.h"

enum fl_pre_verdict fl_ipv4_pre(struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				struct rte_mbuf *m, struct fl_lb_pkt *out, bool redirected)
{
	const unsigned l2 = sizeof(struct rte_ether_hdr);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (unlikely(len < l2 + sizeof(struct rte_ipv4_hdr) || rte_pktmbuf_data_len(m) < l2 + sizeof(struct rte_ipv4_hdr))) {
		fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		return FL_PRE_DONE;
	}
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	unsigned ihl = (ip->version_ihl & 0x0f) * 4u;
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || tot < ihl || l2 + tot > len ||
		     rte_pktmbuf_data_len(m) < l2 + tot)) {
		fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		return FL_PRE_DONE;
	}
	if (!redirected) {
		/* The port's verdict when it checked the header itself. */
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (unlikely(ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			     (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ip_hdr_csum_ok(ip, ihl)))) {
			fl_drop_pkt(w, m, FL_DROP_BAD_CSUM);
			return FL_PRE_DONE;
		}
		if (len > l2 + tot)   /* Ethernet padding */
			rte_pktmbuf_trim(m, len - (l2 + tot));
	}
	uint8_t proto = ip->next_proto_id;
	if (unlikely((ip->dst_addr & rte_cpu_to_be_32(0xf0000000)) == rte_cpu_to_be_32(0xe0000000))) {
		/* Multicast (VRRP adverts, IPVS sync messages, IGMP queries): the
		 * kernel's daemons have joined the groups on the twin. */
		fl_ipv4_local(w, s, port, m, ip, ihl);
		return FL_PRE_DONE;
	}
	const struct fl_local_addr *local = fl_local_lookup(s, ip->dst_addr);
	uint8_t role;
	if (local) {
		if (unlikely(local->standby)) {
			/* The VRRP master serves it; its sessions wait here (sync). */
			fl_drop_pkt(w, m, FL_DROP_STANDBY);
			return FL_PRE_DONE;
		}
		role = local->role;
	} else if (s->transit_replies) {
		/* Not ours, but maybe a real server's reply to a client (NAT). */
		role = FL_ROLE_TRANSIT;
	} else {
		fl_drop_pkt(w, m, FL_DROP_NOT_FOR_US);
		return FL_PRE_DONE;
	}
	if (role == FL_ADDR_DIP || (proto != IPPROTO_TCP && proto != IPPROTO_UDP)) {
		if (proto == IPPROTO_ICMP && role != FL_ADDR_DIP &&
		    fl_icmp_xlat(w, s, port, m, ip, ihl, role, redirected))
			return FL_PRE_DONE;
		if (role == FL_ROLE_TRANSIT) {
			fl_drop_pkt(w, m, FL_DROP_NOT_FOR_US);
			return FL_PRE_DONE;
		}
		fl_ipv4_local(w, s, port, m, ip, ihl);
		return FL_PRE_DONE;
	}
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (frag & RTE_IPV4_HDR_OFFSET_MASK) {
		/* A non-first fragment carries no ports: it cannot be matched
		 * to a session without reassembly. */
		fl_drop_pkt(w, m, FL_DROP_FRAGMENT);
		return FL_PRE_DONE;
	}
	uint8_t *l4 = (uint8_t *)ip + ihl;
	unsigned l4len = tot - ihl;
	if (l4len < (proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr)) ||
	    (proto == IPPROTO_TCP && ((((struct rte_tcp_hdr *)l4)->data_off >> 4) * 4u < 20 ||
				      (((struct rte_tcp_hdr *)l4)->data_off >> 4) * 4u > l4len))) {
		fl_drop_pkt(w, m, FL_DROP_MALFORMED);
		return FL_PRE_DONE;
	}
	uint16_t sport = ((uint16_t *)l4)[0], dport = ((uint16_t *)l4)[1];
	if (role == FL_ADDR_LIP) {
		uint16_t hport = rte_be_to_cpu_16(dport);
		if (hport < FL_LPORT_MIN) {
			/* Below the FULLNAT range: the LIP's own services. */
			fl_ipv4_local(w, s, port, m, ip, ihl);
			return FL_PRE_DONE;
		}
		unsigned owner = fl_lport_owner(dport);
		if (owner != w->idx && !redirected) {
			fl_redirect(w, owner, m, port);
			return FL_PRE_DONE;
		}
	} else if (fl_dp.conf.n_workers > 1 && !redirected && (s->transit_replies || fl_ports[port].sw_steer)) {
		unsigned owner = role == FL_ROLE_TRANSIT ? fl_client_owner(ip->dst_addr, dport)   /* NAT reply */
			: fl_vip_flow_owner(w, s, port, ip->src_addr, sport, ip->dst_addr, dport, proto);
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
	fl_flow_key_set(&out->key, ip->src_addr, ip->dst_addr, sport, dport, proto);
	return FL_PRE_LB;
}
