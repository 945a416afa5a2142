/* Snapshot build and publication. Only the control thread writes here. */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "snapshot.h"

struct fl_snapshot *fl_snap_current;
struct rte_rcu_qsbr *fl_rcu;
static uint64_t next_gen = 1;

int fl_rcu_init(unsigned n_threads, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(n_threads);
	fl_rcu = rte_zmalloc("fl_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (!fl_rcu || rte_rcu_qsbr_init(fl_rcu, n_threads) != 0) {
		snprintf(err, errlen, "cannot set up RCU for %u threads", n_threads);
		return -1;
	}
	return 0;
}

static void snap_free(struct fl_snapshot *s)
{
	if (!s)
		return;
	if (s->lpm)
		rte_lpm_free(s->lpm);
	rte_free(s);
}

static int add_local(struct fl_snapshot *s, const struct fl_addr *a, char *err, size_t errlen)
{
	uint32_t ip = rte_cpu_to_be_32(a->ip);
	if (ip == 0) {
		snprintf(err, errlen, "address 0.0.0.0 is not usable");
		return -1;
	}
	uint32_t h = fl_addr_hash(ip) & (FL_ADDR_TBL_SIZE - 1);
	for (unsigned i = 0; i < FL_ADDR_TBL_SIZE; i++) {
		struct fl_local_addr *e = &s->addrs[(h + i) & (FL_ADDR_TBL_SIZE - 1)];
		if (e->ip == ip) {
			snprintf(err, errlen, "address %u.%u.%u.%u is configured twice", a->ip >> 24,
				 (a->ip >> 16) & 255, (a->ip >> 8) & 255, a->ip & 255);
			return -1;
		}
		if (e->ip == 0) {
			e->ip = ip;
			e->port = a->port;
			e->role = a->role;
			e->prefix = a->prefix;
			s->addr_list[s->n_addrs++] = *e;
			return 0;
		}
	}
	snprintf(err, errlen, "too many addresses");
	return -1;
}

int fl_net_publish(const struct fl_net_conf *net, char *err, size_t errlen)
{
	extern unsigned fl_nports;
	if (net->n_addrs > FL_MAX_ADDRS || net->n_routes > FL_MAX_ROUTES) {
		snprintf(err, errlen, "too many addresses or routes");
		return -1;
	}
	struct fl_snapshot *s = rte_zmalloc("fl_snapshot", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (!s) {
		snprintf(err, errlen, "out of memory building snapshot");
		return -1;
	}
	s->gen = next_gen++;
	s->default_nh = -1;
	for (unsigned i = 0; i < net->n_addrs; i++) {
		if (net->addrs[i].port >= fl_nports) {
			snprintf(err, errlen, "address on unknown port index %u", net->addrs[i].port);
			goto fail;
		}
		if (add_local(s, &net->addrs[i], err, errlen))
			goto fail;
	}
	/* ARP/ICMP source per port: the first DIP, else the first address. */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < s->n_addrs; i++) {
			const struct fl_local_addr *a = &s->addr_list[i];
			if (!s->port_src[a->port] && (pass == 1 || a->role == FL_ADDR_DIP))
				s->port_src[a->port] = a->ip;
		}
	if (net->n_routes) {
		char name[RTE_LPM_NAMESIZE];
		snprintf(name, sizeof(name), "fl_lpm_%lu", (unsigned long)s->gen);
		struct rte_lpm_config lc = {
			.max_rules = net->n_routes + 16,
			.number_tbl8s = 256,
			.flags = 0,
		};
		s->lpm = rte_lpm_create(name, SOCKET_ID_ANY, &lc);
		if (!s->lpm) {
			snprintf(err, errlen, "cannot create route table: %s", rte_strerror(rte_errno));
			goto fail;
		}
		for (unsigned i = 0; i < net->n_routes; i++) {
			const struct fl_route *r = &net->routes[i];
			if (r->port >= fl_nports || r->len > 32) {
				snprintf(err, errlen, "route %u: bad port or prefix length", i);
				goto fail;
			}
			s->nh[i].gateway = rte_cpu_to_be_32(r->gateway);
			s->nh[i].port = r->port;
			if (r->len == 0) {
				/* rte_lpm takes depths 1..32: the default route is kept aside. */
				s->default_nh = (int)i;
				continue;
			}
			uint32_t mask = r->len ? ~0u << (32 - r->len) : 0;
			if (rte_lpm_add(s->lpm, r->prefix & mask, r->len, i) != 0) {
				snprintf(err, errlen, "route %u: cannot add to route table", i);
				goto fail;
			}
		}
		s->n_routes = net->n_routes;
	}
	struct fl_snapshot *old = fl_snap_current;
	__atomic_store_n(&fl_snap_current, s, __ATOMIC_RELEASE);
	/* Wait until every worker has passed a quiescent point: none can still
	 * hold the old pointer. */
	if (fl_rcu)
		rte_rcu_qsbr_synchronize(fl_rcu, RTE_QSBR_THRID_INVALID);
	snap_free(old);
	return 0;
fail:
	snap_free(s);
	return -1;
}

void fl_snap_teardown(void)
{
	snap_free(fl_snap_current);
	fl_snap_current = NULL;
	rte_free(fl_rcu);
	fl_rcu = NULL;
}
