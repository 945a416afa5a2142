/* Snapshot build and RCU publication: nothing else. The dataplane's publish
 * step (fastpath/publish.c) registers LIPs, prepares worker state and steers
 * before and after. Only the control thread writes here. */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "snapshot.h"
#include "../fastpath/method.h"
#include "../fastpath/method6.h"
#include "../port/port.h"

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

void fl_snap_free(struct fl_snapshot *s)
{
	if (!s)
		return;
	if (s->lpm)
		rte_lpm_free(s->lpm);
	fl_snap6_free(&s->v6);
	for (unsigned i = 0; s->services && i < s->n_services; i++)
		fl_sched_table_free(s->services[i].sched);
	rte_free(s->services);
	rte_free(s->dests);
	rte_free(s->dest_ids);
	rte_free(s->servers);
	rte_free(s->lip_slots);
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
			e->port = (uint8_t)a->port;
			e->standby = a->standby;
			e->role = a->role;
			e->prefix = a->prefix;
			s->addr_list[s->n_addrs++] = *e;
			return 0;
		}
	}
	snprintf(err, errlen, "too many addresses");
	return -1;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static int build_services(struct fl_snapshot *s, const struct fl_net_conf *net, const uint16_t *lip_slots, char *err,
			  size_t errlen)
{
	memset(s->svc_tbl, 0xff, sizeof(s->svc_tbl));   /* -1: empty */
	memset(s->v6.svc_tbl, 0xff, sizeof(s->v6.svc_tbl));
	memset(s->svc_by_id, 0xff, sizeof(s->svc_by_id));
	fl_timeouts_default(&s->timeouts);
	fl_timeouts_set_ipvsadm(&s->timeouts, net->timeout_tcp, net->timeout_tcpfin, net->timeout_udp);
	s->sloppy_tcp = net->sloppy_tcp != 0;
	if (net->n_services > FL_MAX_SERVICES) {
		snprintf(err, errlen, "too many services (max %d)", FL_MAX_SERVICES);
		return -1;
	}
	unsigned n_srv = 0, n_lip = 0;
	for (unsigned i = 0; i < net->n_services; i++) {
		n_srv += net->services[i].n_servers;
		n_lip += net->services[i].n_lips;
	}
	s->services = rte_zmalloc("fl_svcs", sizeof(*s->services) * (net->n_services + 1), 0);
	s->servers = rte_zmalloc("fl_srvs", sizeof(*s->servers) * (n_srv + 1), 0);
	s->lip_slots = rte_zmalloc("fl_lips", sizeof(*s->lip_slots) * (n_lip + 1), 0);
	s->dests = rte_zmalloc("fl_dests", sizeof(*s->dests) * (n_srv + 1), 0);
	s->dest_ids = rte_zmalloc("fl_dest_ids", sizeof(*s->dest_ids) * (n_srv + 1), 0);
	if (!s->services || !s->servers || !s->lip_slots || !s->dests || !s->dest_ids) {
		snprintf(err, errlen, "out of memory building services");
		return -1;
	}
	unsigned si = 0, li = 0, lo = 0;   /* lip_slots: li in, lo kept */
	for (unsigned i = 0; i < net->n_services; i++) {
		const struct fl_service_conf *c = &net->services[i];
		struct fl_snap_service *v = &s->services[i];
		s->n_services = i + 1;   /* so a failure frees what was built */
		if (c->id >= FL_MAX_SERVICE_IDS) {
			snprintf(err, errlen, "service id %u out of range", c->id);
			return -1;
		}
		if (c->family != 0 && c->family != 4 && c->family != 6) {
			snprintf(err, errlen, "service id %u: family %u", c->id, c->family);
			return -1;
		}
		const bool v6 = c->family == 6;
		/* NAT64: an IPv6 VIP, IPv4 servers and LIPs (nat64.c). */
		const bool nat64 = v6 && !fl_service_conf_rs6(c);
		if (c->server_family != 0 && c->server_family != c->family && !nat64) {
			snprintf(err, errlen, "service id %u: servers of family %u", c->id, c->server_family);
			return -1;
		}
		v->nat64 = nat64;
		if (nat64)
			s->nat64 = true;
		v->id = c->id;
		v->family = v6 ? 6 : 4;
		v->vip = v6 ? 0 : rte_cpu_to_be_32(c->vip);
		v->vip6 = c->vip6;
		v->port = rte_cpu_to_be_16(c->port);
		v->proto = c->proto;
		v->expire_nodest = c->expire_nodest;
		v->mss_clamp = c->mss_clamp;
		v->tcpx = c->tcpx;
		v->synproxy = c->synproxy;
		v->persist_ms = c->persist_timeout_s * 1000u;
		v->persist_mask = rte_cpu_to_be_32(c->persist_mask ? c->persist_mask : 0xffffffffu);
		v->persist_prefix6 = c->persist_prefix6 && c->persist_prefix6 <= 128 ? c->persist_prefix6 : 128;
		v->first_server = si;
		v->n_servers = c->n_servers;
		s->svc_by_id[c->id] = (int16_t)i;
		for (unsigned j = 0; j < c->n_servers; j++) {
			const struct fl_server_conf *rc = &c->servers[j];
			if (rc->id >= FL_MAX_SERVER_IDS) {
				snprintf(err, errlen, "server id %u out of range", rc->id);
				return -1;
			}
			struct fl_snap_server *r = &s->servers[si++];
			r->id = rc->id;
			r->ip = v6 && !nat64 ? 0 : rte_cpu_to_be_32(rc->ip);
			r->ip6 = nat64 ? fl_ip6_mapped(r->ip) : rc->ip6;
			r->port = rte_cpu_to_be_16(rc->port);
			r->method = rc->method;
			if (nat64 && rc->method != FL_FWD_FULLNAT) {
				snprintf(err, errlen, "server id %u: NAT64 is FULLNAT only", rc->id);
				return -1;
			}
			if (nat64)
				r->method = FL_FWD6_NAT64;
			r->weight = rc->weight;
			s->server_present[rc->id] = 1;
			struct fl_sched_dest *d = &s->dests[si - 1];
			d->id = rc->id;
			d->addr = v6 ? fl_ip6_fold(&r->ip6) : r->ip;
			d->port = r->port;
			d->weight = (int32_t)rc->weight;
			d->last_weight = 0;
			d->flags = FL_DEST_F_AVAILABLE;
			d->u_threshold = rc->u_threshold;
			d->l_threshold = rc->l_threshold;
			s->dest_ids[si - 1] = rc->id;
			if (rc->u_threshold)
				v->has_thresholds = 1;
			if (rc->method >= FL_FWD__COUNT) {
				snprintf(err, errlen, "server id %u: unknown method %u", rc->id, rc->method);
				return -1;
			}
			uint8_t mflags = fl_method(rc->method)->flags;
			if (mflags & FL_METHOD_F_REWRITES)
				v->has_rewrite = 1;
			if (mflags & FL_METHOD_F_TRANSIT_REPLIES) {
				v->transit_replies = 1;
				s->transit_replies = true;
			}
			if (rc->weight > v->max_weight)
				v->max_weight = rc->weight;
			v->gcd_weight = gcd(v->gcd_weight, rc->weight);
		}
		v->dests = &s->dests[v->first_server];
		v->dest_ids = &s->dest_ids[v->first_server];
		v->sched = fl_sched_build(c->sched, c->sched_flags, v->dests, v->n_servers,
					  c->mh_size ? c->mh_size : FL_SCHED_MH_DEFAULT_SIZE, err, errlen);
		if (!v->sched)
			return -1;
		/* A standby LIP (VRRP master elsewhere) opens no connection here:
		 * the real server's answer would go to the director holding it.
		 * Its pool stays, for the sessions a peer syncs over. */
		v->first_lip = lo;
		v->n_lips = 0;
		for (unsigned j = 0; j < c->n_lips; j++, li++) {
			bool standby;
			if (v6 && !nat64) {
				const struct fl_local_addr6 *la = fl_local6_lookup(&s->v6, &c->lips6[j]);
				standby = la && la->standby;
			} else {
				const struct fl_local_addr *la = fl_local_lookup(s, rte_cpu_to_be_32(c->lips[j]));
				standby = la && la->standby;
			}
			if (standby)
				continue;
			s->lip_slots[lo++] = lip_slots[li];
			v->n_lips++;
		}
		/* Each family's services in its own table, by its own key. */
		int16_t *tbl = v6 ? s->v6.svc_tbl : s->svc_tbl;
		const uint32_t mask = FL_SVC_TBL_SIZE - 1;
		uint32_t h = v6 ? fl_svc6_hash(&v->vip6, v->port, v->proto) : fl_svc_hash(v->vip, v->port, v->proto);
		for (unsigned k = 0;; k++) {
			int16_t *e = &tbl[(h + k) & mask];
			if (*e < 0) {
				*e = (int16_t)i;
				break;
			}
			const struct fl_snap_service *o = &s->services[*e];
			if (o->vip == v->vip && fl_ip6_eq(&o->vip6, &v->vip6) && o->port == v->port && o->proto == v->proto) {
				snprintf(err, errlen, "duplicate service (proto %u, port %u)", c->proto, c->port);
				return -1;
			}
		}
	}
	s->n_services = net->n_services;
	return 0;
}

struct fl_snapshot *fl_snap_build(const struct fl_net_conf *net, const uint16_t *lip_slots, char *err,
				  size_t errlen)
{
	if (net->n_addrs > FL_MAX_ADDRS || net->n_routes > FL_MAX_ROUTES) {
		snprintf(err, errlen, "too many addresses or routes");
		return NULL;
	}
	struct fl_snapshot *s = rte_zmalloc("fl_snapshot", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (!s) {
		snprintf(err, errlen, "out of memory building snapshot");
		return NULL;
	}
	s->gen = next_gen++;
	s->default_nh = -1;
	s->min_mtu = 65535;
	for (unsigned i = 0; i < fl_nports; i++)
		if (fl_ports[i].mtu && fl_ports[i].mtu < s->min_mtu)
			s->min_mtu = fl_ports[i].mtu;
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
			if (!s->port_src[a->port] && !a->standby && (pass == 1 || a->role == FL_ADDR_DIP))
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
			/* the /16s it covers, or the one it lies in */
			uint32_t first = (r->prefix & mask) >> 16;
			uint32_t n16 = r->len <= 16 ? 1u << (16 - r->len) : 1;
			for (uint32_t k = first; k < first + n16; k++)
				s->routed16[k >> 6] |= UINT64_C(1) << (k & 63);
		}
		s->n_routes = net->n_routes;
	}
	if (fl_snap6_build(&s->v6, net, s->gen, fl_nports, err, errlen))
		goto fail;
	if (build_services(s, net, lip_slots, err, errlen))
		goto fail;
	return s;
fail:
	fl_snap_free(s);
	return NULL;
}

struct fl_snapshot *fl_snap_publish(struct fl_snapshot *s)
{
	struct fl_snapshot *old = fl_snap_current;
	__atomic_store_n(&fl_snap_current, s, __ATOMIC_RELEASE);
	/* Wait until every worker has passed a quiescent point: none can still
	 * hold the old pointer. */
	if (fl_rcu)
		rte_rcu_qsbr_synchronize(fl_rcu, RTE_QSBR_THRID_INVALID);
	return old;
}

void fl_snap_teardown(void)
{
	fl_snap_free(fl_snap_current);
	fl_snap_current = NULL;
	rte_free(fl_rcu);
	fl_rcu = NULL;
}
