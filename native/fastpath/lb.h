/*
 * The load-balancing stages of one RX burst. IPv4 input (ipv4_input.c)
 * validates and classifies, and fills an fl_lb_pkt for each packet that is
 * the LB's; lb.c looks their sessions up in bulk, opens new ones
 * (session_open.c: persistence, scheduling, the method's open), keeps IPVS's
 * TCP states and counts, and hands each packet to its session's method
 * (method.h). ICMP errors about sessions are translated in icmp_xlat.c.
 * lb.c and session_open.c are the IPv4 instances of templates shared with
 * IPv6 (lb_impl.h, session_open_impl.h; lb6.h is IPv6's side).
 */
#ifndef FL_LB_H
#define FL_LB_H

#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp.h"
#include "../session/session.h"

/* A packet on its way through the LB pipeline of one RX burst. */
struct fl_lb_pkt {
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	uint8_t *l4;
	uint16_t rx_port;
	uint8_t role;                /* enum fl_addr_role of the destination, or FL_ROLE_TRANSIT */
	uint8_t pad;
	struct fl_flow_key key;      /* the packet's own 5-tuple */
};

/* The TCP flags of a packet's TCP header at l4 (either family). */
static inline uint8_t fl_lb_tcp_flags(const uint8_t *l4)
{
	return ((const struct rte_tcp_hdr *)l4)->tcp_flags;
}

/* Destination is none of ours: a reply of a method with transit replies (NAT). */
#define FL_ROLE_TRANSIT 3

enum fl_pre_verdict { FL_PRE_DONE = 0, FL_PRE_LB = 1 };

/* Validate an IPv4 packet and either consume it (local delivery, drops,
 * redirect, ICMP errors) or fill `out` for the LB stage (ipv4_input.c). */
enum fl_pre_verdict fl_ipv4_pre(struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				struct rte_mbuf *m, struct fl_lb_pkt *out, bool redirected);
/* Bulk session lookup, then per-packet scheduling and translation (lb.c). */
void fl_lb_burst(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *pk, unsigned n);
/* Expire at most `budget` sessions; returns how many are left (lb.c). */
unsigned fl_lb_expire(struct fl_worker *w, unsigned budget);
/* Send a packet of session se on by its method, in direction dir (lb.c). */
void fl_lb_xmit(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		uint8_t *l4, uint8_t proto, const struct fl_session *se, uint8_t dir, unsigned rx_port);
/* A new session for the first packet of a flow to a VIP, or NULL with the
 * packet consumed (session_open.c). */
struct fl_session *fl_lb_session_open(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p);
/* An ICMP error to a VIP, LIP or transit address: translated and sent on
 * if it quotes a session (true: consumed), else false (icmp_xlat.c). */
bool fl_icmp_xlat(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		  struct rte_ipv4_hdr *ip, unsigned ihl, uint8_t role, bool redirected);

/* Answer the API's session-listing request, if any (mailbox.c). */
void fl_lb_mailbox(struct fl_worker *w);
/* Answer a pending explain request (explain.c). */
void fl_lb_explain(struct fl_worker *w, const struct fl_snapshot *s);

/* Shared by all workers; allocated by fl_lb_shared_init (lb_shared.c). */
extern struct fl_sched_conns *fl_conns_all;        /* [worker][server id] */
extern struct fl_server_traffic *fl_traffic_all;   /* [worker][server id] */
extern struct fl_tpl_table *fl_tpl_tbl;            /* persistence templates */
int fl_lb_shared_init(unsigned n_workers, char *err, size_t errlen);
void fl_lb_shared_free(void);

/* A worker's own LB memory: session table, scheduler references, next-hop
 * cache (worker_state.c; control thread, at start and stop). */
int fl_worker_state_init(struct fl_worker *w, char *err, size_t errlen);
void fl_worker_state_free(struct fl_worker *w);

/* Connection counts per worker, indexed by stable server id: each worker
 * writes its own row; schedulers read the sum over rows (docs/schedulers.md). */
static inline void fl_conn_count(struct fl_worker *w, uint32_t server_id, int active, int inactive)
{
	w->conns[server_id].active += (uint32_t)active;
	w->conns[server_id].inactive += (uint32_t)inactive;
}

#endif
