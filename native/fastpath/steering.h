/*
 * Steering: which worker owns a packet's flow, and the hand-off to it.
 * Return traffic must reach the worker whose table holds the session:
 *  - FULLNAT replies name it by their LIP port (each worker owns a slice);
 *  - NAT flows, and every client flow on a port whose RX queues say nothing
 *    about flows (no RSS), live on the worker a hash of CIP:cport names;
 *  - any other flow stays where the port's RSS put it.
 * A worker that receives a packet it does not own hands it over on the
 * single-producer, single-consumer ring to the owner (worker.c polls them).
 */
#ifndef FL_STEERING_H
#define FL_STEERING_H

#include <rte_ring.h>

#include "dp.h"

/* Offset of the mbuf field that counts how many workers a relayed ICMP
 * error has visited (0 on any other redirect). */
extern int fl_relay_off;

static inline uint8_t *fl_relay_hops(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, fl_relay_off, uint8_t *);
}

/* The worker that owns a FULLNAT LIP port (lport.h). */
static inline unsigned fl_lport_owner(uint16_t port_be)
{
	return fl_worker_of(rte_be_to_cpu_16(port_be));
}

/* NAT keeps no per-port state to tell a reply's owner, but both directions
 * carry CIP:cport: NAT flows live on the worker this hash names. */
static inline unsigned fl_client_owner(uint32_t cip, uint16_t cport)
{
	return fl_worker_of((cip ^ cport) * 2654435761u >> 16);
}

/* The worker a client's flow to VIP:vport lives on. The client hash names
 * it on a port without flow affinity (its RX queues say nothing: a
 * retransmitted SYN could otherwise open a second session elsewhere) and
 * for a service whose replies carry nothing else to go by (NAT); every
 * other flow stays on the worker the port's RSS gave it. */
static inline unsigned fl_vip_flow_owner(const struct fl_worker *w, const struct fl_snapshot *s, unsigned port,
					 uint32_t cip, uint16_t cport, uint32_t vip, uint16_t vport, uint8_t proto)
{
	if (fl_ports[port].sw_steer)
		return fl_client_owner(cip, cport);
	if (s->transit_replies) {
		const struct fl_snap_service *svc = fl_svc_lookup(s, vip, vport, proto);
		if (svc && svc->transit_replies)
			return fl_client_owner(cip, cport);
	}
	return w->idx;
}

/* Hand m to worker `owner`; `hops` > 0 marks an ICMP error relayed in search
 * of its session (icmp_xlat.c). Always consumes m (a full ring is a counted
 * drop); returns true. */
bool fl_redirect_hops(struct fl_worker *w, unsigned owner, struct rte_mbuf *m, unsigned port, uint8_t hops);

static inline bool fl_redirect(struct fl_worker *w, unsigned owner, struct rte_mbuf *m, unsigned port)
{
	return fl_redirect_hops(w, owner, m, port, 0);
}

/* The rings between every pair of workers and the relay field (control
 * thread, at start and stop), and a worker's view of its rings. */
int fl_redirect_init(unsigned n_workers, char *err, size_t errlen);
void fl_redirect_bind(struct fl_worker *w);
void fl_redirect_free(void);

#endif
