/* Packets parked while their next hop resolves, for either address family:
 * each family says how to look a hop up, how to ask for it, and which
 * EtherType its frames carry. */
#include <string.h>

#include <rte_ip.h>

#include "dp.h"
#include "neigh.h"
#include "neigh6.h"

struct pending_family {
	uint16_t ether_type;
	bool (*get)(const struct fl_pending *p, struct rte_ether_addr *mac);
	void (*resolve)(const struct fl_pending *p);
};

static bool get4(const struct fl_pending *p, struct rte_ether_addr *mac)
{
	return fl_neigh_get(p->port, p->nexthop, mac);
}

static void resolve4(const struct fl_pending *p)
{
	fl_neigh_resolve(p->port, p->nexthop);
}

static bool get6(const struct fl_pending *p, struct rte_ether_addr *mac)
{
	return fl_neigh6_get(p->port, &p->nexthop6, mac);
}

static void resolve6(const struct fl_pending *p)
{
	/* The parked packet's IPv6 header follows its (unfilled) Ethernet one. */
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(p->m, const struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
	struct fl_ip6 src;
	memcpy(src.b, ip->src_addr, 16);
	fl_neigh6_resolve(p->port, &p->nexthop6, &src);
}

static const struct pending_family families[] = {
	[4] = { RTE_ETHER_TYPE_IPV4, get4, resolve4 },
	[6] = { RTE_ETHER_TYPE_IPV6, get6, resolve6 },
};

static void release(struct fl_worker *w, const struct fl_pending *p, const struct rte_ether_addr *mac)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(p->m, struct rte_ether_hdr *);
	eh->dst_addr = *mac;
	eh->src_addr = fl_ports[p->port].mac;
	eh->ether_type = rte_cpu_to_be_16(families[p->family].ether_type);
	fl_tx(w, p->port, p->m);
}

void fl_pending_park(struct fl_worker *w, struct rte_mbuf *m, const struct fl_pending *p)
{
	/* Ask even when the queue is full; the family may read the packet. */
	struct fl_pending ask = *p;
	ask.m = m;
	families[p->family].resolve(&ask);
	if (w->n_pending == FL_PENDING_MAX)
		return fl_drop_pkt(w, m, FL_DROP_NO_NEIGH);
	struct fl_pending *q = &w->pending[w->n_pending++];
	*q = *p;
	q->m = m;
	q->deadline_ms = w->now_ms + FL_PENDING_MS;
	q->next_ask_ms = w->now_ms + 1000;
	w->ctr->neigh_queued++;
}

/* Release parked packets whose next hop resolved; drop the ones that waited
 * too long. Order among packets to one next hop is kept. */
void fl_pending_run(struct fl_worker *w, const struct fl_snapshot *s)
{
	(void)s;
	unsigned keep = 0;
	for (unsigned i = 0; i < w->n_pending; i++) {
		struct fl_pending *p = &w->pending[i];
		const struct pending_family *f = &families[p->family];
		struct rte_ether_addr mac;
		if (f->get(p, &mac)) {
			release(w, p, &mac);
		} else if (w->now_ms >= p->deadline_ms) {
			fl_drop_pkt(w, p->m, FL_DROP_NO_NEIGH);
		} else {
			/* Still unresolved: ask again once a second, so a lost
			 * request is retried as Linux does (the service thread
			 * rate-limits per neighbour anyway). */
			if (w->now_ms >= p->next_ask_ms) {
				f->resolve(p);
				p->next_ask_ms = w->now_ms + 1000;
			}
			w->pending[keep++] = *p;
		}
	}
	w->n_pending = keep;
}
