/* The IPv6 part of a snapshot: its local addresses and its routes. */
#include <arpa/inet.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_memory.h>

#include "snapshot6.h"

static const char *fmt6(const struct fl_ip6 *a, char *buf)
{
	return inet_ntop(AF_INET6, a->b, buf, INET6_ADDRSTRLEN);
}

static int add_local6(struct fl_snap6 *s, const struct fl_addr6 *a, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];
	/* Unspecified, multicast and loopback are never an interface's own. */
	static const struct fl_ip6 loopback = { .b = { [15] = 1 } };
	if (fl_ip6_is_zero(&a->ip) || a->ip.b[0] == 0xff || fl_ip6_eq(&a->ip, &loopback)) {
		snprintf(err, errlen, "address %s is not usable", fmt6(&a->ip, buf));
		return -1;
	}
	if (a->prefix > 128) {
		snprintf(err, errlen, "address %s: prefix length %u", fmt6(&a->ip, buf), a->prefix);
		return -1;
	}
	uint32_t h = fl_addr6_hash(&a->ip) & (FL_ADDR6_TBL_SIZE - 1);
	for (unsigned i = 0; i < FL_ADDR6_TBL_SIZE; i++) {
		struct fl_local_addr6 *e = &s->addrs[(h + i) & (FL_ADDR6_TBL_SIZE - 1)];
		if (e->used && fl_ip6_eq(&e->ip, &a->ip)) {
			snprintf(err, errlen, "address %s is configured twice", fmt6(&a->ip, buf));
			return -1;
		}
		if (!e->used) {
			*e = (struct fl_local_addr6){ .ip = a->ip, .used = 1, .port = (uint8_t)a->port,
						      .standby = a->standby, .role = a->role, .prefix = a->prefix };
			s->addr_list[s->n_addrs++] = *e;
			return 0;
		}
	}
	snprintf(err, errlen, "too many IPv6 addresses");
	return -1;
}

static void mask6(struct fl_ip6 *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
		a->b[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int fl_snap6_build(struct fl_snap6 *s, const struct fl_net_conf *net, uint64_t gen, unsigned n_ports, char *err,
		   size_t errlen)
{
	s->default_nh = -1;
	if (net->n_addrs6 > FL_MAX_ADDRS || net->n_routes6 > FL_MAX_ROUTES) {
		snprintf(err, errlen, "too many IPv6 addresses or routes");
		return -1;
	}
	for (unsigned i = 0; i < net->n_addrs6; i++) {
		if (net->addrs6[i].port >= n_ports) {
			snprintf(err, errlen, "IPv6 address on unknown port index %u", net->addrs6[i].port);
			return -1;
		}
		if (add_local6(s, &net->addrs6[i], err, errlen))
			return -1;
	}
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < s->n_addrs; i++) {
			const struct fl_local_addr6 *a = &s->addr_list[i];
			if (!s->has_src[a->port] && !a->standby && (pass == 1 || a->role == FL_ADDR_DIP)) {
				s->port_src[a->port] = a->ip;
				s->has_src[a->port] = true;
			}
		}
	if (!net->n_routes6)
		return 0;
	char name[RTE_LPM6_NAMESIZE];
	snprintf(name, sizeof(name), "fl_lpm6_%lu", (unsigned long)gen);
	struct rte_lpm6_config lc = { .max_rules = net->n_routes6 + 16, .number_tbl8s = 1u << 12, .flags = 0 };
	s->lpm = rte_lpm6_create(name, SOCKET_ID_ANY, &lc);
	if (!s->lpm) {
		snprintf(err, errlen, "cannot create the IPv6 route table: %s", rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned i = 0; i < net->n_routes6; i++) {
		const struct fl_route6 *r = &net->routes6[i];
		if (r->port >= n_ports || r->len > 128) {
			snprintf(err, errlen, "IPv6 route %u: bad port or prefix length", i);
			return -1;
		}
		s->nh[i] = (struct fl_nexthop6){ .gateway = r->gateway, .port = r->port };
		if (r->len == 0) {
			s->default_nh = (int)i;
			continue;
		}
		struct fl_ip6 p = r->prefix;
		mask6(&p, r->len);
		if (rte_lpm6_add(s->lpm, p.b, r->len, i) != 0) {
			snprintf(err, errlen, "IPv6 route %u: cannot add to the route table", i);
			return -1;
		}
	}
	s->n_routes = net->n_routes6;
	return 0;
}

void fl_snap6_free(struct fl_snap6 *s)
{
	if (s->lpm)
		rte_lpm6_free(s->lpm);
	s->lpm = NULL;
}
