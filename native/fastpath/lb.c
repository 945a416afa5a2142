/* Load balancing on the worker: classify, look sessions up in bulk,
 * schedule new flows (native/sched), forward by method (FULLNAT, NAT, DR,
 * TUN), keep IPVS's TCP states, and translate ICMP errors about sessions. */
#include <stdio.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "csum.h"
#include "lb.h"
#include "lport.h"
#include "../session/persist.h"

/* Connection counts per worker, indexed by stable server id: each worker
 * writes its own row; schedulers read the sum over rows (docs/schedulers.md). */
static inline void conn_count(struct fl_worker *w, uint32_t server_id, int active, int inactive)
{
	w->conns[server_id].active += (uint32_t)active;
	w->conns[server_id].inactive += (uint32_t)inactive;
}

/* Session ends: give back its place in the counts. */
static inline void conn_uncount(struct fl_worker *w, const struct fl_session *se)
{
	if (se->proto == IPPROTO_TCP && se->state == FL_TCP_S_ESTABLISHED)
		conn_count(w, se->server_id, -1, 0);
	else
		conn_count(w, se->server_id, 0, -1);
}

/* ---------- sessions: release and expiry ---------- */

static void release(struct fl_worker *w, struct fl_session *se)
{
	if (se->method == FL_FWD_FULLNAT) {
		int slot = fl_lip_slot(se->laddr);
		if (slot >= 0 && fl_lip_pool[slot][w->idx])
			fl_lport_put(fl_lip_pool[slot][w->idx], rte_be_to_cpu_16(se->lport));
	}
}

static void expire_cb(struct fl_session *se, void *arg)
{
	struct fl_worker *w = arg;
	fl_tpl_release(fl_tpl_tbl, se->tpl, w->now_ms, 0);
	conn_uncount(w, se);
	release(w, se);
	w->ctr->sessions_expired++;
}

static void kill_session(struct fl_worker *w, struct fl_session *se)
{
	fl_tpl_release(fl_tpl_tbl, se->tpl, w->now_ms, 0);
	conn_uncount(w, se);
	release(w, se);
	fl_sess_del(w->sess, se);
	w->ctr->sessions_expired++;
}

void fl_lb_expire(struct fl_worker *w, unsigned budget)
{
	fl_sess_expire(w->sess, w->now_ms, budget, expire_cb, w);
	w->ctr->sessions_active = fl_sess_count(w->sess);
}

/* ---------- scheduling (native/sched: the IPVS family and Maglev) ---------- */

static const struct fl_snap_server *server_by_id(const struct fl_snapshot *s, const struct fl_snap_service *svc,
						 uint32_t id)
{
	for (unsigned i = 0; i < svc->n_servers; i++)
		if (s->servers[svc->first_server + i].id == id)
			return &s->servers[svc->first_server + i];
	return NULL;
}

static struct fl_sched_mark *sched_mark(struct fl_worker *w, const struct fl_snapshot *s,
					const struct fl_snap_service *svc)
{
	struct fl_sched_mark *mk = &w->marks[svc->id];
	if (likely(mk->gen == s->gen && mk->st))
		return mk;
	/* New snapshot: new state, carrying the old one over as IPVS does on a
	 * destination change (rr position, wrr weight, lblc caches). */
	unsigned kind = fl_sched_table_kind(svc->sched);
	size_t sz = fl_sched_state_size(kind, svc->n_servers);
	struct fl_sched_state *st = rte_zmalloc_socket("fl_sched_st", sz ? sz : 64, 64, (int)rte_socket_id());
	struct fl_sched_dest *d = rte_malloc_socket("fl_sched_dests", sizeof(*d) * (svc->n_servers + 1), 64,
						    (int)rte_socket_id());
	if (!st || !d) {
		rte_free(st);
		rte_free(d);
		return NULL;
	}
	memcpy(d, svc->dests, sizeof(*d) * svc->n_servers);
	const struct fl_sched_state *prev = mk->st && mk->kind == kind ? mk->st : NULL;
	fl_sched_state_init(st, svc->sched, d, svc->n_servers, prev);
	rte_free(mk->st);
	rte_free(mk->dests);
	mk->st = st;
	mk->dests = d;
	mk->kind = (uint8_t)kind;
	mk->gen = s->gen;
	return mk;
}

static const struct fl_snap_server *schedule(struct fl_worker *w, const struct fl_snapshot *s,
					     const struct fl_snap_service *svc, const struct fl_flow_key *k)
{
	if (svc->n_servers == 0)
		return NULL;
	struct fl_sched_mark *mk = sched_mark(w, s, svc);
	if (!mk)
		return NULL;
	struct fl_sched_conns_view view = {
		.base = fl_conns_all, .n_workers = fl_dp.conf.n_workers, .stride = FL_MAX_SERVER_IDS, .ids = svc->dest_ids,
	};
	if (svc->has_thresholds)
		for (unsigned i = 0; i < svc->n_servers; i++)
			if (mk->dests[i].u_threshold) {
				struct fl_sched_conns c = fl_sched_conns_sum(&view, i);
				fl_sched_update_overload(&mk->dests[i], &c);
			}
	fl_sched_state_set_clock(mk->st, (uint32_t)(w->now_ms / 1000));
	int i = fl_sched_pick(svc->sched, mk->st, mk->dests, svc->n_servers, &view, k->saddr, k->daddr, k->sport,
			      k->dport, k->proto);
	return i < 0 ? NULL : &s->servers[svc->first_server + (unsigned)i];
}

/* ---------- classification ---------- */

static inline unsigned lport_owner(uint16_t port_be)
{
	return fl_worker_of(rte_be_to_cpu_16(port_be));
}

static inline uint8_t *relay_hops(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, fl_relay_off, uint8_t *);
}

/* Hand m to worker `owner`; `hops` > 0 marks an ICMP error relayed in search
 * of its session (icmp_error_for_session). */
static bool redirect_hops(struct fl_worker *w, unsigned owner, struct rte_mbuf *m, unsigned port, uint8_t hops)
{
	m->port = (uint16_t)port;   /* the owner needs the RX port index */
	*relay_hops(m) = hops;
	if (rte_ring_sp_enqueue(w->redir_out[owner], m) != 0) {
		fl_drop_pkt(w, m, FL_DROP_REDIRECT_FULL);
		return true;
	}
	w->ctr->redirect_out++;
	return true;
}

static bool redirect(struct fl_worker *w, unsigned owner, struct rte_mbuf *m, unsigned port)
{
	return redirect_hops(w, owner, m, port, 0);
}

#define FL_ROLE_TRANSIT 3   /* destination is not ours (NAT replies) */

static void forward(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    uint8_t *l4, uint8_t proto, struct fl_session *se, uint8_t dir, unsigned rx_port);

static bool icmp_error_for_session(struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				   struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned ihl, uint8_t role,
				   bool redirected);

/* NAT keeps no per-port state to tell a reply's owner, but both directions
 * carry CIP:cport: NAT flows live on the worker this hash names. */
static inline unsigned client_owner(uint32_t cip, uint16_t cport)
{
	return fl_worker_of((cip ^ cport) * 2654435761u >> 16);
}

/* The worker a client's flow to VIP:vport lives on. The client hash names
 * it on a port without flow affinity (its RX queues say nothing: a
 * retransmitted SYN could otherwise open a second session elsewhere) and
 * for a NAT service (whose replies carry nothing else to go by); every
 * other flow stays on the worker the port's RSS gave it. */
static inline unsigned vip_flow_owner(const struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				      uint32_t cip, uint16_t cport, uint32_t vip, uint16_t vport, uint8_t proto)
{
	if (fl_ports[port].sw_steer)
		return client_owner(cip, cport);
	if (s->has_nat) {
		const struct fl_snap_service *svc = fl_svc_lookup(s, vip, vport, proto);
		if (svc && svc->has_nat)
			return client_owner(cip, cport);
	}
	return w->idx;
}

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
	const struct fl_local_addr *local = fl_local_lookup(s, ip->dst_addr);
	uint8_t role;
	if (local) {
		role = local->role;
	} else if (s->has_nat) {
		/* Not ours, but maybe a NAT real server's reply to a client. */
		role = FL_ROLE_TRANSIT;
	} else {
		fl_drop_pkt(w, m, FL_DROP_NOT_FOR_US);
		return FL_PRE_DONE;
	}
	if (role == FL_ADDR_DIP || (proto != IPPROTO_TCP && proto != IPPROTO_UDP)) {
		if (proto == IPPROTO_ICMP && role != FL_ADDR_DIP &&
		    icmp_error_for_session(w, s, port, m, ip, ihl, role, redirected))
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
		unsigned owner = lport_owner(dport);
		if (owner != w->idx && !redirected) {
			redirect(w, owner, m, port);
			return FL_PRE_DONE;
		}
	} else if (fl_dp.conf.n_workers > 1 && !redirected && (s->has_nat || fl_ports[port].sw_steer)) {
		unsigned owner = role == FL_ROLE_TRANSIT ? client_owner(ip->dst_addr, dport)   /* NAT reply */
			: vip_flow_owner(w, s, port, ip->src_addr, sport, ip->dst_addr, dport, proto);
		if (owner != w->idx) {
			redirect(w, owner, m, port);
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

/* ---------- per-packet LB ---------- */

static inline uint8_t tcp_flags_of(const struct fl_lb_pkt *p)
{
	return ((const struct rte_tcp_hdr *)p->l4)->tcp_flags;
}

static struct fl_session *new_session(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p)
{
	const struct fl_snap_service *svc = fl_svc_lookup(s, p->key.daddr, p->key.dport, p->key.proto);
	if (!svc) {
		/* A VIP port with no service: the kernel owns it (it answers
		 * with RST or port unreachable, as a Linux director would). */
		if (fl_ports[p->rx_port].twin_id != FL_NO_PORT) {
			w->ctr->port[p->rx_port].to_kernel++;
			fl_to_kernel(w, p->rx_port, p->m);
		} else {
			fl_drop_pkt(w, p->m, FL_DROP_NO_SERVICE);
		}
		return NULL;
	}
	if (p->key.proto == IPPROTO_TCP && (tcp_flags_of(p) & (FL_TCPF_SYN | FL_TCPF_ACK | FL_TCPF_RST)) != FL_TCPF_SYN) {
		/* IPVS schedules TCP only on a SYN. */
		fl_drop_pkt(w, p->m, FL_DROP_NO_SESSION);
		return NULL;
	}
	const struct fl_snap_server *rs = NULL;
	uint32_t tref = 0;
	if (svc->persist_ms) {
		/* ipvsadm -p: the client's template picks the server, if any. */
		uint32_t client = p->key.saddr & svc->persist_mask, sid;
		tref = fl_tpl_get(fl_tpl_tbl, svc->id, client, w->now_ms, svc->persist_ms, &sid);
		if (tref && !(rs = server_by_id(s, svc, sid))) {
			fl_tpl_invalidate(fl_tpl_tbl, tref);
			fl_tpl_release(fl_tpl_tbl, tref, w->now_ms, svc->persist_ms);
			tref = 0;
		}
		if (!rs && (rs = schedule(w, s, svc, &p->key))) {
			sid = rs->id;
			tref = fl_tpl_put(fl_tpl_tbl, svc->id, client, w->now_ms, svc->persist_ms, &sid);
			if (sid != rs->id) {   /* another worker created it first */
				const struct fl_snap_server *won = server_by_id(s, svc, sid);
				if (won)
					rs = won;
			}
		}
	} else {
		rs = schedule(w, s, svc, &p->key);
	}
	if (!rs) {
		fl_icmp_error(w, s, p->rx_port, p->m, 3 /* destination unreachable */, 3 /* port unreachable */, 0);
		fl_drop_pkt(w, p->m, FL_DROP_NO_SERVER);
		return NULL;
	}
	/* An all-ports service (port 0) keeps the client's destination port. */
	uint16_t rport = rs->port ? rs->port : p->key.dport;
	/* File the session under the timeout of the state its first packet
	 * puts it in (lb_one applies that packet next), not NONE's: else the
	 * timer wheel would visit every new session again 2 s later. */
	bool input_only = rs->method == FL_FWD_DR || rs->method == FL_FWD_TUN;
	uint32_t first_ms = p->key.proto != IPPROTO_TCP ? s->timeouts.udp_ms
		: s->timeouts.tcp_ms[fl_tcp_next_state(FL_TCP_S_NONE, input_only ? FL_TCP_DIR_INPUT_ONLY : FL_TCP_DIR_INPUT,
						       tcp_flags_of(p))];
	struct fl_session *se;
	if (rs->method == FL_FWD_FULLNAT) {
		struct fl_sched_mark *mk = sched_mark(w, s, svc);
		uint32_t lip = 0;
		uint16_t lport = 0;
		bool got = false;
		for (uint32_t k = 0; k < svc->n_lips && !got; k++) {
			uint16_t slot = s->lip_slots[svc->first_lip + (mk->lip_rr++ % svc->n_lips)];
			struct fl_lport_pool *pool = fl_lip_pool[slot][w->idx];
			if (pool && fl_lport_get(pool, &lport)) {
				lip = fl_lip_ip[slot];
				got = true;
			}
		}
		if (!got) {
			fl_tpl_release(fl_tpl_tbl, tref, w->now_ms, svc->persist_ms);
			fl_drop_pkt(w, p->m, FL_DROP_NO_LPORT);
			return NULL;
		}
		struct fl_flow_key outk = fl_flow_key_make(rs->ip, lip, rport, rte_cpu_to_be_16(lport), p->key.proto);
		se = fl_sess_add(w->sess, &p->key, &outk, w->now_ms, first_ms);
		if (!se) {
			struct fl_session tmp = { .laddr = lip, .lport = rte_cpu_to_be_16(lport), .method = FL_FWD_FULLNAT };
			release(w, &tmp);
		}
	} else if (rs->method == FL_FWD_NAT) {
		/* The reply comes back RIP:rport -> CIP:cport. */
		struct fl_flow_key outk = fl_flow_key_make(rs->ip, p->key.saddr, rport, p->key.sport, p->key.proto);
		se = fl_sess_add(w->sess, &p->key, &outk, w->now_ms, first_ms);
	} else {
		/* DR and TUN: replies bypass the director (IPVS INPUT_ONLY). The
		 * service port is forced: the packet keeps VIP:vport. */
		se = fl_sess_add(w->sess, &p->key, NULL, w->now_ms, first_ms);
		if (se) {
			se->raddr = rs->ip;
			se->rport = p->key.dport;
		}
	}
	if (!se) {
		fl_tpl_release(fl_tpl_tbl, tref, w->now_ms, svc->persist_ms);
		fl_drop_pkt(w, p->m, FL_DROP_SESSION_FULL);
		return NULL;
	}
	se->tpl = tref;
	se->server_id = rs->id;
	se->service_id = svc->id;
	se->method = rs->method;
	conn_count(w, rs->id, 0, 1);   /* new connections start inactive, as in IPVS */
	w->traffic[rs->id].conns++;
	w->ctr->sessions_created++;
	if (svc->mss_clamp && p->key.proto == IPPROTO_TCP)
		clamp_mss((struct rte_tcp_hdr *)p->l4, rte_be_to_cpu_16(p->ip->total_length) - (unsigned)(p->l4 - (uint8_t *)p->ip),
			  svc->mss_clamp);
	return se;
}

/* Encapsulate in IPIP toward the real server (TUN), DIP -> RIP. */
static void tun_xmit(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		     uint32_t rip, unsigned rx_port)
{
	const struct fl_nexthop *nh = fl_route_lookup(s, rip);
	if (!nh)
		return fl_drop_pkt(w, m, FL_DROP_NO_ROUTE);
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	unsigned mtu = fl_ports[nh->port].mtu ? fl_ports[nh->port].mtu : 1500;
	if (tot + sizeof(struct rte_ipv4_hdr) > mtu) {
		/* Tell the client the path MTU left after encapsulation, as
		 * IPVS does; without DF the packet is dropped (counted). */
		if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))
			fl_icmp_error(w, s, rx_port, m, 3, 4 /* fragmentation needed */,
				      (uint16_t)(mtu - sizeof(struct rte_ipv4_hdr)));
		return fl_drop_pkt(w, m, FL_DROP_TOO_BIG);
	}
	uint32_t src = s->port_src[nh->port];
	uint8_t tos = ip->type_of_service;
	uint16_t df = ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	uint8_t *d = (uint8_t *)rte_pktmbuf_prepend(m, sizeof(struct rte_ipv4_hdr));
	if (!d)
		return fl_drop_pkt(w, m, FL_DROP_NOMEM);
	memmove(d, d + sizeof(struct rte_ipv4_hdr), sizeof(struct rte_ether_hdr));
	struct rte_ipv4_hdr *o = (struct rte_ipv4_hdr *)(d + sizeof(struct rte_ether_hdr));
	/* The header as five 32-bit words in memory order, summed in registers
	 * and stored once: built field by field and read back for its
	 * checksum, it stalled on store forwarding. */
	uint32_t hw[5] = {
		RTE_IPV4_VHL_DEF | (uint32_t)tos << 8 | (uint32_t)rte_cpu_to_be_16((uint16_t)(tot + 20)) << 16,
		(uint32_t)rte_cpu_to_be_16(w->ip_id++) | (uint32_t)df << 16,
		64 | (uint32_t)IPPROTO_IPIP << 8,      /* TTL, protocol, checksum 0 */
		src,
		rip,
	};
	hw[2] |= (uint32_t)(uint16_t)~cs_fold64((uint64_t)hw[0] + hw[1] + hw[2] + hw[3] + hw[4]) << 16;
	memcpy(o, hw, sizeof(hw));
	fl_ipv4_output_via(w, m, nh->port, nh->gateway ? nh->gateway : rip);
}

/* Send a packet of session se on, per its forwarding method. */
/* The egress MTU for dst: a packet that does not fit is refused, with
 * fragmentation-needed to its sender when DF is set (IPVS ip_vs_*_xmit).
 * Cheap in the common case: only packets larger than the smallest port MTU
 * look their route up. */
static bool too_big(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    uint32_t dst, unsigned rx_port)
{
	unsigned tot = rte_be_to_cpu_16(ip->total_length);
	if (likely(tot <= s->min_mtu))
		return false;
	const struct fl_nexthop *nh = fl_route_lookup(s, dst);
	unsigned mtu = nh && fl_ports[nh->port].mtu ? fl_ports[nh->port].mtu : 1500;
	if (tot <= mtu)
		return false;
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))
		fl_icmp_error(w, s, rx_port, m, 3, 4 /* fragmentation needed */, (uint16_t)mtu);
	fl_drop_pkt(w, m, FL_DROP_TOO_BIG);
	return true;
}

static void forward(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    uint8_t *l4, uint8_t proto, struct fl_session *se, uint8_t dir, unsigned rx_port)
{
	if (se->method != FL_FWD_TUN &&
	    too_big(w, s, m, ip, dir == FL_DIR_IN ? se->raddr : se->caddr, rx_port))
		return;
	switch (se->method) {
	case FL_FWD_FULLNAT:
		if (dir == FL_DIR_IN) {
			rewrite(ip, l4, proto, se->laddr, se->raddr, se->lport, se->rport);
			return fl_ipv4_output_rs(w, s, m, se->server_id, se->raddr, false);
		}
		rewrite(ip, l4, proto, se->vaddr, se->caddr, se->vport, se->cport);
		return fl_ipv4_output(w, s, m, se->caddr);
	case FL_FWD_NAT:
		if (dir == FL_DIR_IN) {
			rewrite(ip, l4, proto, ip->src_addr, se->raddr, ((uint16_t *)l4)[0], se->rport);
			return fl_ipv4_output_rs(w, s, m, se->server_id, se->raddr, false);
		}
		rewrite(ip, l4, proto, se->vaddr, ip->dst_addr, se->vport, ((uint16_t *)l4)[1]);
		return fl_ipv4_output(w, s, m, se->caddr);
	case FL_FWD_DR: {
		/* Only the Ethernet header changes: to the real server's MAC on
		 * the director's own segment. The IP packet is untouched. */
		return fl_ipv4_output_rs(w, s, m, se->server_id, se->raddr, true);
	}
	default:
		return tun_xmit(w, s, m, ip, se->raddr, rx_port);
	}
}

static void lb_one(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		   uint8_t dir)
{
	if (!se && p->role != FL_ADDR_VIP) {
		/* Only a VIP opens sessions: anything else without one is
		 * dropped before it could draw an ICMP error to a forged source. */
		return fl_drop_pkt(w, p->m, p->role == FL_ROLE_TRANSIT ? FL_DROP_NOT_FOR_US : FL_DROP_NO_SESSION);
	}
	/* FULLNAT and NAT route the packet and decrement the TTL; DR and TUN
	 * pass it on untouched, as IPVS does. */
	bool rewrites = se ? (se->method == FL_FWD_FULLNAT || se->method == FL_FWD_NAT) : true;
	if (!se && p->ip->time_to_live <= 1 && p->role == FL_ADDR_VIP) {
		const struct fl_snap_service *svc = fl_svc_lookup(s, p->key.daddr, p->key.dport, p->key.proto);
		rewrites = !svc || svc->has_rewrite;
	}
	if (p->ip->time_to_live <= 1 && rewrites) {
		fl_icmp_error(w, s, p->rx_port, p->m, 11 /* time exceeded */, 0, 0);
		return fl_drop_pkt(w, p->m, FL_DROP_TTL);
	}
	if (se && dir == FL_DIR_IN && p->key.proto == IPPROTO_TCP &&
	    (tcp_flags_of(p) & (FL_TCPF_SYN | FL_TCPF_ACK)) == FL_TCPF_SYN &&
	    (se->state == FL_TCP_S_TIME_WAIT || se->state == FL_TCP_S_CLOSE || se->state == FL_TCP_S_FIN_WAIT ||
	     se->state == FL_TCP_S_LAST_ACK || se->state == FL_TCP_S_CLOSE_WAIT)) {
		/* A new connection reusing the client port of a closing one:
		 * schedule afresh, as IPVS's conn_reuse_mode does. */
		kill_session(w, se);
		se = NULL;
	}
	if (!se) {
		if (p->role == FL_ROLE_TRANSIT)
			return fl_drop_pkt(w, p->m, FL_DROP_NOT_FOR_US);
		if (p->role != FL_ADDR_VIP)
			return fl_drop_pkt(w, p->m, FL_DROP_NO_SESSION);
		se = new_session(w, s, p);
		if (!se)
			return;
		dir = FL_DIR_IN;
	}
	if (unlikely(!s->server_present[se->server_id])) {
		/* Its real server was removed: drop, and with expire_nodest_conn
		 * end the session now (IPVS semantics). */
		const struct fl_snap_service *svc = fl_svc_by_id(s, se->service_id);
		if (svc && svc->expire_nodest)
			kill_session(w, se);
		return fl_drop_pkt(w, p->m, FL_DROP_NO_SERVER);
	}
	if (p->key.proto == IPPROTO_TCP) {
		uint8_t fl = tcp_flags_of(p);
		uint8_t before = se->state;
		uint8_t after = (uint8_t)fl_sess_tcp_update(w->sess, se, dir, fl, w->now_ms, &s->timeouts);
		/* IPVS moves a connection between ActiveConn and InActConn as it
		 * enters or leaves ESTABLISHED. */
		if (before != after && (before == FL_TCP_S_ESTABLISHED || after == FL_TCP_S_ESTABLISHED)) {
			int d = after == FL_TCP_S_ESTABLISHED ? 1 : -1;
			conn_count(w, se->server_id, d, -d);
		}
		if (dir == FL_DIR_OUT && (fl & (FL_TCPF_SYN | FL_TCPF_ACK)) == (FL_TCPF_SYN | FL_TCPF_ACK)) {
			const struct fl_snap_service *svc = fl_svc_by_id(s, se->service_id);
			if (svc && svc->mss_clamp)
				clamp_mss((struct rte_tcp_hdr *)p->l4,
					  rte_be_to_cpu_16(p->ip->total_length) - (unsigned)(p->l4 - (uint8_t *)p->ip),
					  svc->mss_clamp);
		}
	} else {
		fl_sess_udp_update(w->sess, se, dir, w->now_ms, &s->timeouts);
	}
	struct fl_server_traffic *tr = &w->traffic[se->server_id];
	uint32_t bytes = rte_be_to_cpu_16(p->ip->total_length);
	if (dir == FL_DIR_IN) {
		tr->pkts_in++;
		tr->bytes_in += bytes;
	} else {
		tr->pkts_out++;
		tr->bytes_out += bytes;
	}
	forward(w, s, p->m, p->ip, p->l4, p->key.proto, se, dir, p->rx_port);
}

void fl_lb_burst(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *pk, unsigned n)
{
	const struct fl_flow_key *keys[FL_MAX_BURST];
	struct fl_session *se[FL_MAX_BURST];
	uint8_t dir[FL_MAX_BURST];
	for (unsigned i = 0; i < n; i++)
		keys[i] = &pk[i].key;
	fl_sess_lookup_bulk(w->sess, keys, n, se, dir);
	for (unsigned i = 0; i < n; i++) {
		/* The lookups ran before any packet of the burst: an earlier one
		 * may have created this packet's session (a SYN and its
		 * retransmission) or ended it (expire_nodest, port reuse), and
		 * an ended record must not be used, or released twice. */
		if (!se[i] || unlikely(!fl_sess_still(se[i], dir[i], keys[i])))
			se[i] = fl_sess_lookup(w->sess, keys[i], &dir[i]);
		lb_one(w, s, &pk[i], se[i], se[i] ? dir[i] : FL_DIR_IN);
	}
}

/* ---------- ICMP errors about a session (IPVS ip_vs_in_icmp/ip_vs_out_icmp) ---------- */

static bool icmp_error_for_session(struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				   struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned ihl, uint8_t role,
				   bool redirected)
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
	unsigned hops = redirected ? *relay_hops(m) : 0;
	if (!redirected && nw > 1) {
		unsigned owner = w->idx;
		if (role == FL_ADDR_LIP)
			owner = lport_owner(iports[0]);          /* about LIP:lport -> RIP */
		else if (role == FL_ROLE_TRANSIT)
			owner = client_owner(in->src_addr, iports[0]);   /* NAT: about CIP -> RIP */
		else   /* about VIP:vport -> CIP:cport, the flow's own reply */
			owner = vip_flow_owner(w, s, port, in->dst_addr, iports[1], in->src_addr, iports[0],
					       in->next_proto_id);
		if (owner != w->idx)
			return redirect(w, owner, m, port);
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
			return redirect_hops(w, (w->idx + 1) % nw, m, port, (uint8_t)(hops + 1));
		return false;
	}
	if (ip->time_to_live <= 1) {
		fl_drop_pkt(w, m, FL_DROP_TTL);
		return true;
	}
	if (se->method == FL_FWD_DR || se->method == FL_FWD_TUN) {
		/* The client's side of an INPUT_ONLY session: hand the error to
		 * the real server that sent the quoted packet. */
		forward(w, s, m, ip, NULL, 0, se, dir, port);
		return true;
	}
	unsigned quoted = tot - ihl - sizeof(*ic) - iihl;   /* bytes of inner L4 present */
	uint32_t isrc = in->src_addr, idst = in->dst_addr, osrc = ip->src_addr, odst = ip->dst_addr;
	uint16_t isport = iports[0], idport = iports[1];
	if (se->method == FL_FWD_FULLNAT && dir == FL_DIR_IN) {
		/* From the client side, about VIP:vport -> CIP:cport that we sent:
		 * restore what the real server sent, RIP:rport -> LIP:lport. */
		isrc = se->raddr, isport = se->rport, idst = se->laddr, idport = se->lport;
		osrc = se->laddr, odst = se->raddr;
	} else if (se->method == FL_FWD_FULLNAT) {
		/* From the server side, about LIP:lport -> RIP:rport: restore
		 * CIP:cport -> VIP:vport for the client. */
		isrc = se->caddr, isport = se->cport, idst = se->vaddr, idport = se->vport;
		osrc = se->vaddr, odst = se->caddr;
	} else if (dir == FL_DIR_IN) {
		/* NAT, client side, about VIP:vport -> CIP:cport: the server
		 * sent it from RIP:rport. */
		isrc = se->raddr, isport = se->rport;
		odst = se->raddr;
	} else {
		/* NAT, server side, about CIP:cport -> RIP:rport: the client
		 * sent it to VIP:vport. */
		idst = se->vaddr, idport = se->vport;
		osrc = se->vaddr;
	}
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

