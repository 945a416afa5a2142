/* The IPv6 family of a snapshot: local addresses and routes (rte_lpm6),
 * beside IPv4's so that neither family's lookups pay for the other's. */
#ifndef FL_SNAPSHOT6_H
#define FL_SNAPSHOT6_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <rte_lpm6.h>

#include "fulcrum.h"

#define FL_ADDR6_TBL_SIZE 4096   /* power of two, > 2 * FL_MAX_ADDRS */

struct fl_local_addr6 {
	struct fl_ip6 ip;
	uint8_t used;
	uint8_t port;
	uint8_t standby;            /* as fl_local_addr.standby: not served, not answered */
	uint8_t role;
	uint8_t prefix;
};

struct fl_nexthop6 {
	struct fl_ip6 gateway;      /* :: = destination is on-link */
	uint16_t port;
};

struct fl_snap6 {
	struct fl_local_addr6 addrs[FL_ADDR6_TBL_SIZE];   /* open addressing, linear probe */
	unsigned n_addrs;
	struct fl_local_addr6 addr_list[FL_MAX_ADDRS];    /* for unsolicited adverts */
	/* Source of the solicitations and errors each port sends: its first
	 * IPv6 DIP, else its first IPv6 address; has_src false when none. */
	struct fl_ip6 port_src[FL_MAX_PORTS];
	bool has_src[FL_MAX_PORTS];
	struct rte_lpm6 *lpm;
	struct fl_nexthop6 nh[FL_MAX_ROUTES];
	unsigned n_routes;
	int default_nh;             /* ::/0 (rte_lpm6 takes depths 1..128), or -1 */
	/* Family-6 services: open addressing on (vip6, port, proto) into the
	 * snapshot's one services[] array (-1: empty). */
	int16_t svc_tbl[FL_SVC_TBL_SIZE];
};

static inline bool fl_ip6_eq(const struct fl_ip6 *a, const struct fl_ip6 *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a->b, 8);
	memcpy(&a1, a->b + 8, 8);
	memcpy(&b0, b->b, 8);
	memcpy(&b1, b->b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

static inline bool fl_ip6_is_zero(const struct fl_ip6 *a)
{
	static const struct fl_ip6 zero;
	return fl_ip6_eq(a, &zero);
}

/* The 32 bits IPVS's hashing schedulers take of an IPv6 address: its four
 * words XORed (ip_vs_sh_hashkey and the others' addr_fold). */
static inline uint32_t fl_ip6_fold(const struct fl_ip6 *a)
{
	uint32_t w[4];
	memcpy(w, a->b, 16);
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

static inline uint32_t fl_addr6_hash(const struct fl_ip6 *a)
{
	uint64_t x, y;
	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	return (uint32_t)(((x * 0x9E3779B97F4A7C15ull) ^ (y * 0xC2B2AE3D27D4EB4Full)) >> 52);
}

static inline const struct fl_local_addr6 *fl_local6_lookup(const struct fl_snap6 *s, const struct fl_ip6 *ip)
{
	uint32_t h = fl_addr6_hash(ip) & (FL_ADDR6_TBL_SIZE - 1);
	for (unsigned i = 0; i < FL_ADDR6_TBL_SIZE; i++) {
		const struct fl_local_addr6 *a = &s->addrs[(h + i) & (FL_ADDR6_TBL_SIZE - 1)];
		if (!a->used)
			return NULL;
		if (fl_ip6_eq(&a->ip, ip))
			return a;
	}
	return NULL;
}

static inline const struct fl_nexthop6 *fl_route6_lookup(const struct fl_snap6 *s, const struct fl_ip6 *dst)
{
	uint32_t idx;
	if (s->lpm && rte_lpm6_lookup(s->lpm, dst->b, &idx) == 0)
		return &s->nh[idx];
	return s->default_nh >= 0 ? &s->nh[s->default_nh] : NULL;
}

static inline uint32_t fl_svc6_hash(const struct fl_ip6 *vip, uint16_t port, uint8_t proto)
{
	return fl_addr6_hash(vip) ^ (((uint32_t)port << 4 ^ proto) * 2654435761u >> 20);
}

/* Build the IPv6 part from the view (gen names its route table); -1 with a
 * message in err on bad input. fl_snap6_free releases what it holds. */
int fl_snap6_build(struct fl_snap6 *s, const struct fl_net_conf *net, uint64_t gen, unsigned n_ports, char *err,
		   size_t errlen);
void fl_snap6_free(struct fl_snap6 *s);

#endif
