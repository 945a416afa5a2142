/* Fast-path internals shared by the worker loop and its packet handlers. */
#ifndef FL_DP_H
#define FL_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "fulcrum.h"
#include "../port/port.h"
#include "../cfg/snapshot.h"
#include "../stats/stats.h"

#define FL_MAX_BURST     64
#define FL_TXBUF_SIZE    64
#define FL_PENDING_MAX   256     /* packets parked per worker awaiting ARP */
#define FL_PENDING_MS    3000    /* how long a parked packet may wait */

struct fl_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[FL_TXBUF_SIZE];
};

/* A packet parked until its next hop resolves (pending.c). */
struct fl_pending {
	struct rte_mbuf *m;
	uint64_t deadline_ms;
	uint64_t next_ask_ms;        /* ask the service thread again (ARP/ND retry) */
	union {
		uint32_t nexthop;        /* family 4: network order */
		struct fl_ip6 nexthop6;  /* family 6 */
	};
	uint16_t port;
	uint8_t family;              /* 4 or 6: index of the neighbour family (pending.c) */
};

/* A worker's reference to its scheduler state of one service (by service
 * id): the state it adopted, for which snapshot, and its turn among the
 * service's LIPs. The state itself is prepared by the control side beside
 * each snapshot (struct fl_wsched, publish.c). */
struct fl_wsched;
struct fl_sched_ref {
	uint64_t gen;                /* snapshot `cur` was adopted from */
	struct fl_wsched *cur;
	uint32_t lip_rr;
};

struct fl_sess_table;
struct fl_sess6_table;
struct fl_session_info;

/* Control -> worker request to copy sessions (API listing). */
struct fl_sess_mailbox {
	uint32_t req;                /* control bumps it to ask (release) */
	uint32_t ack;                /* worker sets it = req when done (release) */
	uint32_t cursor;
	uint32_t max;
	uint32_t count;
	uint8_t done;
	struct fl_session_info *out;
};

struct fl_explain_query;
struct fl_explain_result;
struct fl_explain_dest;
/* Control -> worker request to work out a query (fulcrum explain). */
struct fl_explain_mailbox {
	uint32_t req, ack;           /* as fl_sess_mailbox */
	uint8_t session_only;        /* only look the session up */
	const struct fl_explain_query *q;
	struct fl_explain_result *out;
	struct fl_explain_dest *dests;
	unsigned max_dests;
	void *scratch;               /* the control side's memory for the copies */
	size_t scratch_len;
};

/* Per real-server traffic counters, one row per worker, by stable id. */
struct fl_server_traffic {
	uint64_t conns, pkts_in, pkts_out, bytes_in, bytes_out;
};

/* A worker's Rx-interrupt sleep (idle.c). */
#define FL_IDLE_MAX_QUEUES (2 * FL_MAX_PORTS)   /* each port and its twin */
#define FL_IDLE_WAIT_MS    10                   /* timers: expiry, parked packets */
struct fl_idle {
	bool intr;                   /* every RX queue it polls has an interrupt: it sleeps in epoll */
	uint32_t sleeping;           /* in epoll now: producers kick the eventfd */
	int epfd;                    /* its epoll: the RX queues' interrupt fds and efd */
	int efd;                     /* eventfd producers write to wake it */
	unsigned nq;
	uint16_t q[FL_IDLE_MAX_QUEUES];          /* DPDK port ids; the queue is the worker's */
	bool woke, worked;           /* the last wait ended early; work found since (idle.c futile_wake) */
};

struct fl_worker {
	unsigned idx;                /* worker index = RX/TX queue id = RCU thread id */
	unsigned lcore;
	struct fl_worker_counters *ctr;
	struct fl_txbuf tx[FL_MAX_PORTS];     /* toward the wire */
	struct fl_txbuf ktx[FL_MAX_PORTS];    /* toward each port's kernel twin */
	uint64_t last_drain_tsc;
	uint64_t now_ms;
	unsigned n_pending;                   /* of pending[], at the end */
	struct fl_sess_table *sess;           /* written by this worker only */
	struct fl_sess6_table *sess6;         /* the IPv6 family's (session6.h) */
	struct fl_sess_mem { void *map; size_t len; } sess_mem[2];   /* mappings without hugepages (worker_state.c) */
	struct fl_sched_ref *sched;           /* FL_MAX_SERVICE_IDS entries */
	struct rte_ring *redir_out[FL_MAX_WORKERS];   /* to worker j (SP/SC; steering.c) */
	struct rte_ring *redir_in[FL_MAX_WORKERS];    /* from worker j */
	uint16_t ip_id;                       /* IPIP outer header ids */
	uint64_t icmp_milli;                  /* ICMP error tokens, in thousandths (icmp_send.c) */
	uint64_t icmp_refill_ms;
	struct fl_sched_conns *conns;         /* by server id; written by this worker only */
	struct fl_server_traffic *traffic;    /* by server id; written by this worker only */
	struct fl_rs_hop *rs_hop;             /* by server id: next hop cache (ipv4_output.c) */
	struct fl_sess_mailbox mbox;
	struct fl_explain_mailbox xbox;
	struct fl_idle idle;
	/* Cold and large (its entries hold either family's next hop): last, so
	 * its size never moves the fields every packet reads. */
	struct fl_pending pending[FL_PENDING_MAX];
} __rte_cache_aligned;

struct fl_dp_state {
	struct fl_dp_conf conf;
	volatile bool running;
	uint64_t tsc_hz, drain_tsc, tsc_per_ms;
	uint64_t idle_spin_tsc;      /* FL_IDLE_SPIN_US in TSC cycles */
	uint64_t wall_off_ms;        /* wall-clock ms = now_ms + wall_off_ms (TCP timestamps, native/tcp) */
	uint64_t worker_mod;         /* fastmod constant for n_workers (fl_worker_of) */
	struct fl_worker *workers;   /* n_workers entries, hugepage memory */
};

extern struct fl_dp_state fl_dp;
extern unsigned fl_dp_n_workers;

/* x % n_workers without a division, once or twice per packet (LIP port
 * owner, NAT client owner): Lemire's fastmod, exact for every 32-bit x. */
static inline unsigned fl_worker_of(uint32_t x)
{
	return (unsigned)(((__uint128_t)(fl_dp.worker_mod * x) * fl_dp.conf.n_workers) >> 64);
}

static inline uint64_t fl_now_ms(void)
{
	return rte_rdtsc() / fl_dp.tsc_per_ms;
}

/* ---- TX buffering (drained when full or on the drain timer) ---- */
void fl_tx_flush(struct fl_worker *w, unsigned port);
void fl_ktx_flush(struct fl_worker *w, unsigned port);

static inline void fl_tx(struct fl_worker *w, unsigned port, struct rte_mbuf *m)
{
	struct fl_txbuf *b = &w->tx[port];
	b->pkts[b->n++] = m;
	if (b->n == FL_TXBUF_SIZE)
		fl_tx_flush(w, port);
}

/* Hand a packet to the kernel twin of `port` (exception path). */
static inline void fl_to_kernel(struct fl_worker *w, unsigned port, struct rte_mbuf *m)
{
	if (fl_ports[port].twin_id == FL_NO_PORT) {
		fl_drop(w->ctr, FL_DROP_NO_TWIN);
		rte_pktmbuf_free(m);
		return;
	}
	struct fl_txbuf *b = &w->ktx[port];
	b->pkts[b->n++] = m;
	if (b->n == FL_TXBUF_SIZE)
		fl_ktx_flush(w, port);
}

static inline void fl_drop_pkt(struct fl_worker *w, struct rte_mbuf *m, enum fl_drop why)
{
	fl_drop(w->ctr, why);
	rte_pktmbuf_free(m);
}

/* ---- handlers ---- */
/* Local delivery of a validated IPv4 packet: echo in the fast path, the rest
 * to the kernel twin. */
void fl_ipv4_local(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   struct rte_ipv4_hdr *ip, unsigned ihl);
void fl_arp_input(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m);
/* Route an IPv4 packet whose L3 header starts after a 14-byte Ethernet header
 * toward dst (network order): fills in the Ethernet header and transmits, or
 * parks it until the next hop resolves. */
void fl_ipv4_output(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, uint32_t dst);
/* Send to a given next hop on a given port (DR: the real server itself). */
void fl_ipv4_output_via(struct fl_worker *w, struct rte_mbuf *m, uint16_t port, uint32_t hop);
/* Whether a packet to dst is too big for its egress port: then it is
 * refused, with fragmentation-needed to its sender when DF is set (IPVS
 * ip_vs_*_xmit). Cheap in the common case: only packets larger than the
 * smallest port MTU look their route up. */
bool fl_ipv4_too_big_slow(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m,
			  struct rte_ipv4_hdr *ip, uint32_t dst, unsigned rx_port);

static inline bool fl_ipv4_too_big(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m,
				   struct rte_ipv4_hdr *ip, uint32_t dst, unsigned rx_port)
{
	if (likely(rte_be_to_cpu_16(ip->total_length) <= s->min_mtu))
		return false;
	return fl_ipv4_too_big_slow(w, s, m, ip, dst, rx_port);
}

/* Next hop of a real server, as this worker last looked it up: valid while
 * the snapshot generation and the server's address are the same. */
struct fl_rs_hop {
	uint32_t gen;                /* low bits of the snapshot generation */
	uint32_t rip;                /* an IPv4 server's; 0 for IPv6 (its id fixes its address) */
	uint32_t neigh;              /* neighbour table slot (entries never move) */
	uint16_t port;
	uint8_t ok;                  /* the neighbour entry exists */
	uint8_t family6;             /* the slot is in the IPv6 neighbour table */
};

/* Send toward real server `server_id` at `rip`: routed (FULLNAT, NAT) or,
 * with `direct`, to the RIP's own MAC on the route's port (DR). Same as
 * fl_ipv4_output(_via), but the route and neighbour lookups of every packet
 * become a compare and one load of the neighbour's MAC word. */
void fl_ipv4_output_rs(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, uint32_t server_id,
		       uint32_t rip, bool direct);
/* The same for an IPv6 server (ipv6_output.c). */
void fl_ipv6_output_rs(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, uint32_t server_id,
		       const struct fl_ip6 *rip, bool direct);
void fl_pending_run(struct fl_worker *w, const struct fl_snapshot *s);
/* Park m (its Ethernet header still to fill) for hop p->family/nexthop on
 * p->port, asking the service thread to resolve it; dropped when full. */
void fl_pending_park(struct fl_worker *w, struct rte_mbuf *m, const struct fl_pending *p);

/* Route an IPv6 packet (after a 14-byte Ethernet header) toward dst, as
 * fl_ipv4_output; hop: the next hop on port (ipv6_output.c). */
void fl_ipv6_output(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, const struct fl_ip6 *dst);
/* The same for what the director answers or translates, which may be for a
 * NAT64 server (an IPv4-mapped address): that leaves as IPv4 (nat64.c). The
 * forwarding path never sends there and keeps fl_ipv6_output. */
void fl_ipv6_output_any(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, const struct fl_ip6 *dst);
void fl_ipv6_output_via(struct fl_worker *w, struct rte_mbuf *m, uint16_t port, const struct fl_ip6 *hop);
/* Send an answer to `to`, a packet's source that arrived on rx_port: routed,
 * or on that port when `to` is link-local. */
void fl_ipv6_reply(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, unsigned rx_port,
		   const struct fl_ip6 *to);
/* IPv6 local delivery (ipv6_local.c); its input is lb6.h's fl_ipv6_pre. */
struct fl_ip6_walk;
void fl_ipv6_local(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m,
		   struct rte_ipv6_hdr *ip, const struct fl_ip6_walk *wk);

/* Free the published snapshot and the worker state beside it (publish.c;
 * dataplane stop, workers stopped). */
void fl_publish_teardown(void);

/* Idle-aware polling (idle.c): how long a worker spins after its last work
 * before its first nap; the nap after one of last_us (0: the first), at most
 * max_us. */
#define FL_IDLE_SPIN_US 50
void fl_idle_init(struct fl_worker *w);   /* on the worker's thread, before its loop */
void fl_idle_fini(struct fl_worker *w);
unsigned fl_idle_nap(unsigned last_us, unsigned max_us);
/* Arm the interrupts and sleep until a packet, a kick or FL_IDLE_WAIT_MS;
 * whether something woke it before the timeout. */
bool fl_idle_wait(struct fl_worker *w);
void fl_idle_kick_slow(struct fl_worker *w);
/* After putting work on a ring or in a mailbox of w: wake it if it sleeps in epoll. */
static inline void fl_idle_kick(struct fl_worker *w)
{
	if (__atomic_load_n(&w->idle.intr, __ATOMIC_ACQUIRE))
		fl_idle_kick_slow(w);
}

/* Benchmark entry points (worker.c). */
void fl_bench_rx(struct fl_worker *w, unsigned port, struct rte_mbuf **pkts, uint16_t n);
void fl_bench_macswap(struct fl_worker *w, unsigned port, struct rte_mbuf **pkts, uint16_t n);
void fl_bench_flush(struct fl_worker *w);
/* Take in what other workers redirected to w, and release parked packets. */
void fl_bench_redirect(struct fl_worker *w);

/* Whether the rate limit lets one more ICMP error out (icmp_send.c): the
 * bucket both families share; `exempt` for what PMTU discovery needs. */
bool fl_icmp_error_allowed(struct fl_worker *w, bool exempt);

/* ICMPv6 error the director originates (RFC 4443: destination unreachable,
 * packet too big with `info` the MTU, time exceeded), quoting `orig` (which
 * stays owned by the caller); icmp6_send.c. */
void fl_icmp6_error(struct fl_worker *w, const struct fl_snapshot *s, unsigned rx_port,
		    struct rte_mbuf *orig, uint8_t type, uint8_t code, uint32_t info);

/* ICMP error the director originates (time exceeded, port unreachable,
 * fragmentation needed), quoting `orig` (which stays owned by the caller). */
void fl_icmp_error(struct fl_worker *w, const struct fl_snapshot *s, unsigned rx_port,
		   struct rte_mbuf *orig, uint8_t type, uint8_t code, uint16_t mtu);

#endif
