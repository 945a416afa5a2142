/* IPv6 neighbour table (RFC 4861 neighbour discovery), the same contract as
 * IPv4's (neigh.h): the service thread writes, workers read without locks,
 * and a slot once keyed is never keyed again (only invalidated), so a
 * reader comparing a key never sees it change under it. */
#ifndef FL_NEIGH6_H
#define FL_NEIGH6_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>

#include "fulcrum.h"
#include "neigh.h"
#include "../cfg/snapshot6.h"

struct fl_neigh6 {
	struct fl_ip6 ip;
	uint16_t port;
	uint8_t used;                   /* set (release) after ip and port */
	struct fl_neigh_state st;
};

extern struct fl_neigh6 *fl_neigh6_tbl;

static inline uint32_t fl_neigh6_slot(uint16_t port, const struct fl_ip6 *ip)
{
	return (fl_addr6_hash(ip) ^ (uint32_t)port * 0x9E37u) & (FL_NEIGH6_SIZE - 1);
}

static inline const struct fl_neigh6 *fl_neigh6_find(uint16_t port, const struct fl_ip6 *ip)
{
	uint32_t h = fl_neigh6_slot(port, ip);
	for (unsigned i = 0; i < FL_NEIGH6_SIZE; i++) {
		const struct fl_neigh6 *n = &fl_neigh6_tbl[(h + i) & (FL_NEIGH6_SIZE - 1)];
		if (!__atomic_load_n(&n->used, __ATOMIC_ACQUIRE))
			return NULL;
		if (n->port == port && fl_ip6_eq(&n->ip, ip))
			return n;
	}
	return NULL;
}

static inline bool fl_neigh6_get(uint16_t port, const struct fl_ip6 *ip, struct rte_ether_addr *mac)
{
	const struct fl_neigh6 *n = fl_neigh6_find(port, ip);
	return fl_neigh_state_mac(n ? &n->st : NULL, mac);
}

/* Worker side, as fl_neigh_learn / fl_neigh_resolve; `src`: the source of
 * the packet waiting for ip, which the solicitation comes from when it is
 * one of the port's addresses (RFC 4861 7.2.2, as Linux's ndisc_solicit). */
void fl_neigh6_learn(uint16_t port, const struct fl_ip6 *ip, const struct rte_ether_addr *mac, bool only_update);
void fl_neigh6_resolve(uint16_t port, const struct fl_ip6 *ip, const struct fl_ip6 *src);

/* Service start/stop (neigh.c calls them) and the API's listing. */
int fl_neigh6_init(char *err, size_t errlen);
void fl_neigh6_fini(void);
unsigned fl_neigh6_list(struct fl_neigh_view *out, unsigned max);

#endif
