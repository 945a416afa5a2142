/* LIP registry and per-worker local port pools (control side). */
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_random.h>

#include "dp.h"
#include "lport.h"

uint32_t fl_lip_ip[FL_MAX_LIPS];
struct fl_ip6 fl_lip_ip6[FL_MAX_LIPS];
uint8_t fl_lip_family[FL_MAX_LIPS];
unsigned fl_n_lips;
struct fl_lport_pool *fl_lip_pool[FL_MAX_LIPS][FL_MAX_WORKERS];

/* A new slot's port pools, one a worker; the caller sets its address. */
static int new_slot(char *err, size_t errlen)
{
	if (fl_n_lips >= FL_MAX_LIPS) {
		snprintf(err, errlen, "too many LIPs (max %d)", FL_MAX_LIPS);
		return -1;
	}
	unsigned nw = fl_dp.conf.n_workers ? fl_dp.conf.n_workers : 1;
	for (unsigned w = 0; w < nw; w++) {
		uint32_t cap = 1;
		while (cap < fl_lport_slice_size(w, nw))
			cap <<= 1;
		struct fl_lport_pool *p = rte_zmalloc("fl_lport", sizeof(*p) + sizeof(uint16_t) * cap, RTE_CACHE_LINE_SIZE);
		if (!p) {
			snprintf(err, errlen, "out of memory for LIP port pools");
			return -1;
		}
		p->mask = cap - 1;
		p->held_map = rte_zmalloc("fl_lport_held", (FL_LPORT_MAX + 1) / 8, RTE_CACHE_LINE_SIZE);
		if (!p->held_map) {
			rte_free(p);
			snprintf(err, errlen, "out of memory for LIP port pools");
			return -1;
		}
		/* The queue starts at a random port of the slice and wraps round.
		 * From a fixed first port, a restarted director would hand out the
		 * ports of its previous life again at once, while the real servers
		 * still hold those LIP:lport pairs in TIME_WAIT (60 s on Linux): a
		 * SYN into TIME_WAIT can draw a stale ACK, the client resets, and
		 * the connection only goes through on its SYN retransmission,
		 * a second later and counted twice. */
		uint32_t first = fl_lport_slice_first(w, nw), size = fl_lport_slice_size(w, nw);
		uint32_t start = size ? (uint32_t)rte_rand_max(size) : 0;
		for (uint32_t k = 0; k < size; k++)
			fl_lport_put(p, (uint16_t)(first + ((start + k) % size) * nw));
		fl_lip_pool[fl_n_lips][w] = p;
	}
	/* Workers learn of the slot through the snapshot published after this,
	 * whose release store orders these writes before it. */
	return (int)fl_n_lips++;
}

int fl_lip_register(uint32_t ip_be, char *err, size_t errlen)
{
	int slot = fl_lip_slot(ip_be);
	if (slot >= 0 || (slot = new_slot(err, errlen)) < 0)
		return slot;
	fl_lip_ip[slot] = ip_be;
	fl_lip_family[slot] = 4;
	return slot;
}

int fl_lip_register6(const struct fl_ip6 *ip, char *err, size_t errlen)
{
	int slot = fl_lip_slot6(ip);
	if (slot >= 0 || (slot = new_slot(err, errlen)) < 0)
		return slot;
	fl_lip_ip6[slot] = *ip;
	fl_lip_family[slot] = 6;
	return slot;
}

void fl_lips_teardown(void)
{
	for (unsigned i = 0; i < fl_n_lips; i++)
		for (unsigned w = 0; w < FL_MAX_WORKERS; w++) {
			if (fl_lip_pool[i][w])
				rte_free(fl_lip_pool[i][w]->held_map);
			rte_free(fl_lip_pool[i][w]);
			fl_lip_pool[i][w] = NULL;
		}
	memset(fl_lip_family, 0, sizeof(fl_lip_family));
	fl_n_lips = 0;
}
