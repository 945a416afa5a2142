/* Immutable configuration snapshots, published to workers with one atomic
 * pointer store and reclaimed after an RCU (rte_rcu_qsbr) grace period. */
#ifndef FL_SNAPSHOT_H
#define FL_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_lpm.h>
#include <rte_rcu_qsbr.h>

#include "fulcrum.h"
#include "snapshot6.h"
#include "../session/tcp_state.h"
#include "../sched/sched.h"

#define FL_ADDR_TBL_SIZE 4096   /* power of two, > 2 * FL_MAX_ADDRS */

struct fl_local_addr {
	uint32_t ip;                /* network order; 0 = empty slot */
	uint8_t port;
	uint8_t standby;            /* fl_addr.standby: its packets are dropped, its ARP unanswered */
	uint8_t role;
	uint8_t prefix;
};

struct fl_nexthop {
	uint32_t gateway;           /* network order; 0 = destination is on-link */
	uint16_t port;
};


struct fl_snap_server {
	uint32_t id;
	uint32_t ip;                /* network order; a family-4 service's, or a NAT64 one's */
	uint16_t port;              /* network order */
	uint8_t method;
	uint8_t pad;
	uint32_t weight;
	struct fl_ip6 ip6;          /* a family-6 service's (NAT64: ip, IPv4-mapped) */
};

struct fl_snap_service {
	uint32_t id;
	uint32_t vip;               /* network order */
	uint16_t port;              /* network order */
	uint8_t proto;
	uint8_t expire_nodest;
	uint8_t family;             /* 4: vip and servers' ip; 6: vip6 and ip6 */
	struct fl_ip6 vip6;
	uint16_t mss_clamp;
	uint8_t tcpx;               /* enum fl_tcpx_mode */
	uint8_t synproxy;           /* answer SYNs with cookies */
	uint32_t first_server, n_servers;   /* into servers[] */
	uint32_t max_weight, gcd_weight;    /* wrr stepping, as IPVS */
	uint32_t first_lip, n_lips;         /* into lip_slots[] */
	uint8_t transit_replies;            /* a server whose method has transit replies (NAT):
					     * its flows live on the client hash's worker */
	uint8_t has_thresholds;             /* some server has -x/-y */
	uint8_t has_rewrite;                /* a server whose method rewrites (decrements TTL) */
	uint8_t nat64;                      /* family 6 with IPv4 servers and LIPs (nat64.c) */
	uint32_t persist_ms;                /* 0 = not persistent */
	uint32_t persist_mask;              /* network order */
	uint8_t persist_prefix6;            /* an IPv6 service's -M: prefix length 1..128 */
	struct fl_sched_table *sched;       /* built on the control thread */
	struct fl_sched_dest *dests;        /* n_servers, same order as servers[] */
	uint32_t *dest_ids;                 /* stable ids: index of the conns counters */
	/* Each worker's scheduler state, prepared by the dataplane's publish
	 * step (n_workers entries; fastpath/publish.c owns them). */
	struct fl_wsched **wsched;
};

/* One worker's scheduler state for one service, made by the control side
 * beside the snapshot, so a worker never allocates. The worker adopts it on
 * its first pick in this snapshot (carrying its previous state over) and
 * from then on it is the worker's, until it adopts a newer one and retires
 * this one; the control side frees what was retired or never adopted. */
struct fl_wsched {
	uint8_t adopted, retired;           /* set by the worker (release), read by the control thread */
	uint8_t kind;                       /* enum fl_sched_kind */
	struct fl_sched_dest *dests;        /* the worker's copy: it keeps their OVERLOAD flags */
	struct fl_sched_state *st;
};

struct fl_snapshot {
	uint64_t gen;
	/* Local addresses: open addressing keyed by IP (linear probe). */
	struct fl_local_addr addrs[FL_ADDR_TBL_SIZE];
	unsigned n_addrs;
	struct fl_local_addr addr_list[FL_MAX_ADDRS];   /* for GARP and ARP source */
	/* First DIP (else any address) of each port: source of ARP requests and
	 * of ICMP errors the director originates. Network order. */
	uint32_t port_src[FL_MAX_PORTS];
	struct rte_lpm *lpm;        /* next-hop index into nh[] */
	/* A bit per /16: set where a route other than the default may match.
	 * Replies to clients all over the Internet then take the default route
	 * without reading rte_lpm's 64 MB first-level table, a cache miss per
	 * packet when the clients are many. */
	uint64_t routed16[65536 / 64];
	struct fl_nexthop nh[FL_MAX_ROUTES];
	unsigned n_routes;
	int default_nh;             /* index into nh[] of 0.0.0.0/0, or -1 */

	/* Services: open addressing on (vip, port, proto) into services[]. */
	int16_t svc_tbl[FL_SVC_TBL_SIZE];
	unsigned n_services;
	struct fl_snap_service *services;
	struct fl_snap_server *servers;
	struct fl_sched_dest *dests;        /* parallel to servers[] */
	uint32_t *dest_ids;
	uint16_t *lip_slots;        /* slots in the global LIP registry */
	/* Indexed by stable id: is the real server configured, and where is the
	 * service (index into services[], -1 if gone) a session belongs to? */
	uint8_t server_present[FL_MAX_SERVER_IDS];
	int16_t svc_by_id[FL_MAX_SERVICE_IDS];
	struct fl_timeouts timeouts;
	bool sloppy_tcp;            /* fl_net_conf.sloppy_tcp */
	bool transit_replies;       /* some service has them: a packet not for us may be a reply */
	bool nat64;                 /* some service is NAT64: a LIP port may hold an IPv6 session */
	unsigned min_mtu;           /* smallest port MTU: packets up to it fit anywhere */
	struct fl_snap6 v6;         /* the IPv6 family's addresses and routes */
};

/* The service a session belongs to, by its stable id; NULL once removed. */
static inline const struct fl_snap_service *fl_svc_by_id(const struct fl_snapshot *s, uint32_t id)
{
	if (id >= FL_MAX_SERVICE_IDS || s->svc_by_id[id] < 0)
		return NULL;
	return &s->services[s->svc_by_id[id]];
}

static inline uint32_t fl_svc_hash(uint32_t vip, uint16_t port, uint8_t proto)
{
	return ((vip ^ ((uint32_t)port << 16) ^ proto) * 2654435761u) >> 20;
}

static inline const struct fl_snap_service *fl_svc_lookup_exact(const struct fl_snapshot *s, uint32_t vip,
								uint16_t port, uint8_t proto)
{
	uint32_t h = fl_svc_hash(vip, port, proto) & (FL_SVC_TBL_SIZE - 1);
	for (unsigned i = 0; i < FL_SVC_TBL_SIZE; i++) {
		int16_t idx = s->svc_tbl[(h + i) & (FL_SVC_TBL_SIZE - 1)];
		if (idx < 0)
			return NULL;
		const struct fl_snap_service *v = &s->services[idx];
		if (v->vip == vip && v->port == port && v->proto == proto)
			return v;
	}
	return NULL;
}

/* Current snapshot; workers load it once per poll loop. */
extern struct fl_snapshot *fl_snap_current;
extern struct rte_rcu_qsbr *fl_rcu;

static inline const struct fl_snapshot *fl_snap_get(void)
{
	return __atomic_load_n(&fl_snap_current, __ATOMIC_ACQUIRE);
}

static inline uint32_t fl_addr_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> 20;   /* 12 bits for a 4096 table */
}

static inline const struct fl_local_addr *fl_local_lookup(const struct fl_snapshot *s, uint32_t ip_be)
{
	uint32_t h = fl_addr_hash(ip_be) & (FL_ADDR_TBL_SIZE - 1);
	for (unsigned i = 0; i < FL_ADDR_TBL_SIZE; i++) {
		const struct fl_local_addr *a = &s->addrs[(h + i) & (FL_ADDR_TBL_SIZE - 1)];
		if (a->ip == ip_be)
			return a;
		if (a->ip == 0)
			return NULL;
	}
	return NULL;
}

/* Route lookup: returns the next hop, or NULL for no route. */
static inline const struct fl_nexthop *fl_route_lookup(const struct fl_snapshot *s, uint32_t dst_be)
{
	uint32_t idx, dst = rte_be_to_cpu_32(dst_be);
	if ((s->routed16[dst >> 22] >> (dst >> 16 & 63) & 1) && rte_lpm_lookup(s->lpm, dst, &idx) == 0)
		return &s->nh[idx];
	return s->default_nh >= 0 ? &s->nh[s->default_nh] : NULL;
}

int fl_rcu_init(unsigned n_threads, char *err, size_t errlen);

/* Build a snapshot of a network view. lip_slots: the dataplane's registry
 * slot of each service's LIPs, in the order of net's services and their
 * lips. NULL with a message in err on bad input or no memory. */
struct fl_snapshot *fl_snap_build(const struct fl_net_conf *net, const uint16_t *lip_slots, char *err,
				  size_t errlen);
void fl_snap_free(struct fl_snapshot *s);
/* Make s the current snapshot; returns the one it replaced, once no worker
 * can hold it any more (after an RCU grace period), for the caller to free. */
struct fl_snapshot *fl_snap_publish(struct fl_snapshot *s);
/* Free the current snapshot and the RCU state (dataplane stop). */
void fl_snap_teardown(void);

/* A service by (vip, port, proto), else the VIP's all-ports (port 0)
 * service, as IPVS looks them up. */
static inline const struct fl_snap_service *fl_svc_lookup(const struct fl_snapshot *s, uint32_t vip,
							  uint16_t port, uint8_t proto)
{
	const struct fl_snap_service *v = fl_svc_lookup_exact(s, vip, port, proto);
	return v || port == 0 ? v : fl_svc_lookup_exact(s, vip, 0, proto);
}

/* The family-6 service (vip, port, proto), else the VIP's all-ports one. */
static inline const struct fl_snap_service *fl_svc6_lookup_exact(const struct fl_snapshot *s, const struct fl_ip6 *vip,
								 uint16_t port, uint8_t proto)
{
	uint32_t h = fl_svc6_hash(vip, port, proto) & (FL_SVC_TBL_SIZE - 1);
	for (unsigned i = 0; i < FL_SVC_TBL_SIZE; i++) {
		int16_t idx = s->v6.svc_tbl[(h + i) & (FL_SVC_TBL_SIZE - 1)];
		if (idx < 0)
			return NULL;
		const struct fl_snap_service *v = &s->services[idx];
		if (v->port == port && v->proto == proto && fl_ip6_eq(&v->vip6, vip))
			return v;
	}
	return NULL;
}

static inline const struct fl_snap_service *fl_svc6_lookup(const struct fl_snapshot *s, const struct fl_ip6 *vip,
							   uint16_t port, uint8_t proto)
{
	const struct fl_snap_service *v = fl_svc6_lookup_exact(s, vip, port, proto);
	return v || port == 0 ? v : fl_svc6_lookup_exact(s, vip, 0, proto);
}

#endif
