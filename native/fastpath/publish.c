/*
 * The dataplane's publish step (fl_net_publish): register the LIPs the new
 * view names, build the snapshot (cfg/), prepare each worker's scheduler
 * state beside it, publish it (RCU), free what no worker can reach any more,
 * and steer LIP ports in hardware where the port can. Control thread only.
 *
 * Scheduler state ownership (struct fl_wsched): a state belongs to its
 * snapshot until a worker adopts it; then to that worker until it retires
 * it by adopting a newer one. Once a snapshot has been replaced and a grace
 * period has passed, no worker can adopt from it, so its states that were
 * not adopted are freed with it and the adopted ones move to `owned`, freed
 * as soon as their worker retires them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dp.h"
#include "lport.h"
#include "../port/steer.h"

static struct fl_wsched **owned;
static unsigned n_owned, cap_owned;

static void wsched_free(struct fl_wsched *ws)
{
	rte_free(ws);
}

/* Free the worker-owned states their workers have retired. */
static void owned_sweep(void)
{
	unsigned keep = 0;
	for (unsigned i = 0; i < n_owned; i++) {
		if (__atomic_load_n(&owned[i]->retired, __ATOMIC_ACQUIRE))
			wsched_free(owned[i]);
		else
			owned[keep++] = owned[i];
	}
	n_owned = keep;
}

static int owned_add(struct fl_wsched *ws)
{
	if (n_owned == cap_owned) {
		unsigned cap = cap_owned ? cap_owned * 2 : 64;
		struct fl_wsched **o = realloc(owned, sizeof(*o) * cap);
		if (!o)
			return -1;
		owned = o;
		cap_owned = cap;
	}
	owned[n_owned++] = ws;
	return 0;
}

/* One worker's state for one service, in one allocation on its socket. */
static struct fl_wsched *wsched_new(const struct fl_snap_service *v, unsigned worker)
{
	unsigned kind = fl_sched_table_kind(v->sched);
	size_t dsz = sizeof(struct fl_sched_dest) * (v->n_servers + 1);
	size_t ssz = fl_sched_state_size(kind, v->n_servers);
	size_t head = RTE_ALIGN_CEIL(sizeof(struct fl_wsched), 64);
	size_t dpad = RTE_ALIGN_CEIL(dsz, 64);
	unsigned lcore = fl_dp.workers ? fl_dp.workers[worker].lcore : rte_get_main_lcore();
	uint8_t *p = rte_zmalloc_socket("fl_wsched", head + dpad + ssz, 64, (int)rte_lcore_to_socket_id(lcore));
	if (!p)
		return NULL;
	struct fl_wsched *ws = (struct fl_wsched *)p;
	ws->kind = (uint8_t)kind;
	ws->dests = (struct fl_sched_dest *)(p + head);
	ws->st = (struct fl_sched_state *)(p + head + dpad);
	memcpy(ws->dests, v->dests, sizeof(*ws->dests) * v->n_servers);
	return ws;
}

/* Release the worker state of a snapshot that no worker can reach: the
 * states never adopted are freed, the adopted ones are their workers'.
 * With `all` (dataplane stopped), everything is freed. */
static void wsched_release(struct fl_snapshot *s, bool all)
{
	for (unsigned i = 0; s && i < s->n_services; i++) {
		struct fl_snap_service *v = &s->services[i];
		if (!v->wsched)
			continue;
		for (unsigned w = 0; w < fl_dp.conf.n_workers; w++) {
			struct fl_wsched *ws = v->wsched[w];
			if (!ws)
				continue;
			bool adopted = __atomic_load_n(&ws->adopted, __ATOMIC_ACQUIRE);
			bool retired = __atomic_load_n(&ws->retired, __ATOMIC_ACQUIRE);
			if (all || !adopted || retired)
				wsched_free(ws);
			else if (owned_add(ws) != 0)
				continue;   /* no room to track it: leak it rather than free it under its worker */
		}
		rte_free(v->wsched);
		v->wsched = NULL;
	}
}

static int wsched_prepare(struct fl_snapshot *s, char *err, size_t errlen)
{
	const unsigned nw = fl_dp.conf.n_workers;
	for (unsigned i = 0; i < s->n_services; i++) {
		struct fl_snap_service *v = &s->services[i];
		v->wsched = rte_zmalloc("fl_wsched_refs", sizeof(*v->wsched) * nw, 0);
		if (!v->wsched)
			goto nomem;
		for (unsigned w = 0; w < nw; w++)
			if (!(v->wsched[w] = wsched_new(v, w)))
				goto nomem;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory preparing the workers' scheduler state");
	return -1;
}

int fl_net_publish(const struct fl_net_conf *net, char *err, size_t errlen)
{
	unsigned n_lip = 0;
	for (unsigned i = 0; i < net->n_services; i++)
		n_lip += net->services[i].n_lips;
	uint16_t *slots = calloc(n_lip + 1, sizeof(*slots));
	if (!slots) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The LIP registry is the dataplane's: slots are never reused, so a
	 * session's port can always be given back. */
	unsigned k = 0;
	for (unsigned i = 0; i < net->n_services; i++)
		for (unsigned j = 0; j < net->services[i].n_lips; j++) {
			const struct fl_service_conf *c = &net->services[i];
			int slot = fl_service_conf_rs6(c) ? fl_lip_register6(&c->lips6[j], err, errlen)
						  : fl_lip_register(rte_cpu_to_be_32(c->lips[j]), err, errlen);
			if (slot < 0) {
				free(slots);
				return -1;
			}
			slots[k++] = (uint16_t)slot;
		}
	struct fl_snapshot *s = fl_snap_build(net, slots, err, errlen);
	free(slots);
	if (!s)
		return -1;
	if (wsched_prepare(s, err, errlen)) {
		wsched_release(s, true);
		fl_snap_free(s);
		return -1;
	}
	struct fl_snapshot *old = fl_snap_publish(s);
	wsched_release(old, false);
	fl_snap_free(old);
	owned_sweep();
	/* LIPs on ports that can steer in hardware get rte_flow rules; the
	 * others keep the software redirect. */
	uint32_t lips[FL_MAX_ADDRS];
	uint16_t ports[FL_MAX_ADDRS];
	unsigned n = 0;
	for (unsigned i = 0; i < s->n_addrs; i++)
		if (s->addr_list[i].role == FL_ADDR_LIP) {
			lips[n] = s->addr_list[i].ip;
			ports[n++] = s->addr_list[i].port;
		}
	fl_steer_lips(lips, ports, n, fl_dp.conf.n_workers);
	return 0;
}

void fl_publish_teardown(void)
{
	wsched_release(fl_snap_current, true);
	for (unsigned i = 0; i < n_owned; i++)
		wsched_free(owned[i]);
	free(owned);
	owned = NULL;
	n_owned = cap_owned = 0;
	fl_snap_teardown();
}
