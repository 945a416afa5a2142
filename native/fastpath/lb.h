/* Load balancing on the fast path: session lookup in bursts, scheduling of
 * new flows, FULLNAT translation both ways, ICMP errors for sessions, and the
 * software redirect of replies to the worker that owns their LIP port. */
#ifndef FL_LB_H
#define FL_LB_H

#include <rte_ip.h>

#include "dp.h"
#include "../session/session.h"

/* A packet on its way through the LB pipeline of one RX burst. */
struct fl_lb_pkt {
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	uint8_t *l4;
	uint16_t rx_port;
	uint8_t role;                /* enum fl_addr_role of the destination */
	uint8_t pad;
	struct fl_flow_key key;      /* the packet's own 5-tuple */
};

enum fl_pre_verdict { FL_PRE_DONE = 0, FL_PRE_LB = 1 };

/* Validate an IPv4 packet and either consume it (local delivery, drops,
 * redirect, ICMP errors) or fill `out` for the LB stage. */
enum fl_pre_verdict fl_ipv4_pre(struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
				struct rte_mbuf *m, struct fl_lb_pkt *out, bool redirected);
/* Bulk session lookup, then per-packet scheduling and translation. */
void fl_lb_burst(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *pk, unsigned n);
/* Expire at most `budget` sessions. */
void fl_lb_expire(struct fl_worker *w, unsigned budget);
/* Drain the redirect rings other workers fill for this one. */
unsigned fl_lb_redirect_poll(struct fl_worker *w, const struct fl_snapshot *s);

/* Answer the API's session-listing request, if any (worker loop). */
void fl_lb_mailbox(struct fl_worker *w);

/* Shared by all workers; allocated by fl_redirect_init (lb_state.c). */
extern struct fl_sched_conns *fl_conns_all;        /* [worker][server id] */
extern struct fl_server_traffic *fl_traffic_all;   /* [worker][server id] */
extern struct fl_tpl_table *fl_tpl_tbl;            /* persistence templates */
/* Offset of the mbuf field that counts how many workers a relayed ICMP
 * error has visited (0 on any other redirect); lb.c. */
extern int fl_relay_off;

int fl_lb_worker_init(struct fl_worker *w, char *err, size_t errlen);
void fl_lb_worker_free(struct fl_worker *w);
int fl_redirect_init(unsigned n_workers, char *err, size_t errlen);
void fl_redirect_free(void);

#endif
