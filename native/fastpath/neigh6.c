/* The ND family of the service thread (neigh.c): the IPv6 neighbour table
 * with learning, resolution by multicast solicitation, ageing with unicast
 * refresh probes, and unsolicited adverts of new addresses, the same rules
 * as ARP's (one solicitation a second per neighbour while resolving). */
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "dp.h"
#include "nd.h"
#include "neigh6.h"

struct fl_neigh6 *fl_neigh6_tbl;

void fl_neigh6_learn(uint16_t port, const struct fl_ip6 *ip, const struct rte_ether_addr *mac, bool only_update)
{
	/* As fl_neigh_learn: a fresh entry with this MAC needs no message. */
	const struct fl_neigh6 *n = fl_neigh6_find(port, ip);
	if (n) {
		if (fl_neigh_state_fresh(&n->st, mac))
			return;
	} else if (only_update) {
		return;
	}
	struct fl_neigh_msg msg = { .type = only_update ? FL_NMSG_UPDATE : FL_NMSG_LEARN, .family = 6, .port = port };
	memcpy(msg.ip6, ip->b, 16);
	memcpy(msg.mac, mac->addr_bytes, 6);
	fl_neigh_post(&msg);
}

void fl_neigh6_resolve(uint16_t port, const struct fl_ip6 *ip, const struct fl_ip6 *src)
{
	struct fl_neigh_msg msg = { .type = FL_NMSG_RESOLVE, .family = 6, .port = port };
	memcpy(msg.ip6, ip->b, 16);
	memcpy(msg.src6, src->b, 16);
	fl_neigh_post(&msg);
}

/* Service thread only: the entry of (port, ip), keyed on first use. */
static struct fl_neigh6 *slot_for(uint16_t port, const struct fl_ip6 *ip, bool create)
{
	uint32_t h = fl_neigh6_slot(port, ip);
	for (unsigned i = 0; i < FL_NEIGH6_SIZE; i++) {
		struct fl_neigh6 *n = &fl_neigh6_tbl[(h + i) & (FL_NEIGH6_SIZE - 1)];
		if (n->used && n->port == port && fl_ip6_eq(&n->ip, ip))
			return n;
		if (!n->used) {
			if (!create)
				return NULL;
			n->ip = *ip;
			n->port = port;
			fl_neigh_state_reset(&n->st);
			__atomic_store_n(&n->used, 1, __ATOMIC_RELEASE);
			return n;
		}
	}
	return NULL;
}

/* A solicitation for target on port, from `from` when that is one of the
 * port's active addresses, else from the port's own source (its DIP). */
static void send_ns(const struct fl_snapshot *s, unsigned port, const struct fl_ip6 *target,
		    const struct rte_ether_addr *unicast_mac, const struct fl_ip6 *from)
{
	if (port >= fl_nports || !s->v6.has_src[port])
		return;   /* no IPv6 address on this port: we cannot ask */
	const struct fl_local_addr6 *a = from ? fl_local6_lookup(&s->v6, from) : NULL;
	const struct fl_ip6 *src = a && a->port == port && !a->standby ? from : &s->v6.port_src[port];
	struct rte_mbuf *m = fl_svc_alloc();
	if (!m)
		return;
	if (fl_nd_build_ns(m, port, src, target, unicast_mac) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	fl_svc_send(port, m);
	fl_svc_counters()->nd_solicits_sent++;
}

static void handle(const struct fl_snapshot *s, const struct fl_neigh_msg *msg, uint64_t now)
{
	struct fl_ip6 ip;
	memcpy(ip.b, msg->ip6, 16);
	if (msg->type == FL_NMSG_LEARN || msg->type == FL_NMSG_UPDATE) {
		struct fl_neigh6 *n = slot_for(msg->port, &ip, msg->type == FL_NMSG_LEARN);
		if (n)
			fl_neigh_state_learn(&n->st, msg->mac, now);
		return;
	}
	struct fl_neigh6 *n = slot_for(msg->port, &ip, true);
	struct fl_ip6 from;
	memcpy(from.b, msg->src6, 16);
	if (n && s && fl_neigh_state_ask(&n->st, now))
		send_ns(s, msg->port, &ip, NULL, &from);
}

static void age(const struct fl_snapshot *s, uint64_t now)
{
	for (unsigned i = 0; i < FL_NEIGH6_SIZE; i++) {
		struct fl_neigh6 *n = &fl_neigh6_tbl[i];
		struct rte_ether_addr mac;
		if (n->used && fl_neigh_state_age(&n->st, now, &mac) && s)
			send_ns(s, n->port, &n->ip, &mac, NULL);
	}
}

/* Unsolicited adverts (RFC 4861 7.2.6) of every address that the previous
 * snapshot lacked or held on standby, as ARP's gratuitous requests. */
static struct fl_local_addr6 announced[FL_MAX_ADDRS];
static unsigned n_announced;

static void announce(const struct fl_snapshot *s)
{
	const struct fl_snap6 *v6 = &s->v6;
	unsigned n_active = 0;
	for (unsigned i = 0; i < v6->n_addrs; i++) {
		const struct fl_local_addr6 *a = &v6->addr_list[i];
		if (a->standby)
			continue;
		bool seen = false;
		for (unsigned j = 0; j < n_announced && !seen; j++)
			seen = fl_ip6_eq(&announced[j].ip, &a->ip) && announced[j].port == a->port;
		if (seen)
			continue;
		struct rte_mbuf *m = fl_svc_alloc();
		if (!m)
			continue;
		struct rte_ether_addr mac;
		fl_ip6_mcast_mac(&fl_ip6_all_nodes, &mac);
		if (fl_nd_build_na(m, a->port, &fl_ip6_all_nodes, &mac, &a->ip, FL_ND_NA_ROUTER | FL_ND_NA_OVERRIDE)) {
			rte_pktmbuf_free(m);
			continue;
		}
		fl_svc_send(a->port, m);
		fl_svc_counters()->nd_unsolicited_sent++;
	}
	for (unsigned i = 0; i < v6->n_addrs; i++)
		if (!v6->addr_list[i].standby)
			announced[n_active++] = v6->addr_list[i];
	n_announced = n_active;
}

static void reset(void)
{
	n_announced = 0;
}

const struct fl_neigh_family fl_neigh_nd = { .handle = handle, .age = age, .announce = announce, .reset = reset };

int fl_neigh6_init(char *err, size_t errlen)
{
	fl_neigh6_tbl = rte_zmalloc("fl_neigh6", sizeof(struct fl_neigh6) * FL_NEIGH6_SIZE, RTE_CACHE_LINE_SIZE);
	if (!fl_neigh6_tbl) {
		snprintf(err, errlen, "cannot allocate the IPv6 neighbour table");
		return -1;
	}
	return 0;
}

void fl_neigh6_fini(void)
{
	rte_free(fl_neigh6_tbl);
	fl_neigh6_tbl = NULL;
}

unsigned fl_neigh6_list(struct fl_neigh_view *out, unsigned max)
{
	unsigned n = 0;
	if (!fl_neigh6_tbl)
		return 0;
	uint64_t now = fl_now_ms();
	for (unsigned i = 0; i < FL_NEIGH6_SIZE && n < max; i++) {
		const struct fl_neigh6 *e = &fl_neigh6_tbl[i];
		if (!__atomic_load_n(&e->used, __ATOMIC_ACQUIRE))
			continue;
		out[n] = (struct fl_neigh_view){ .family = 6, .ip6 = e->ip, .port = e->port };
		fl_neigh_state_view(&e->st, now, &out[n]);
		n++;
	}
	return n;
}
