/* The service thread: owns the neighbour tables (learn, resolve, age) of
 * each address family (fl_neigh_families: ARP here, ND in neigh6.c), sends
 * their requests and announcements. It is a control thread, not a worker
 * lcore; its frames leave through worker 0 (fl_svc_tx_ring). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp.h"
#include "neigh.h"
#include "neigh6.h"

struct fl_neigh *fl_neigh_tbl;
static struct rte_ring *msg_ring;
struct rte_ring *fl_svc_tx_ring;
static pthread_t svc_thread;
static volatile bool svc_running;
static bool svc_started;

void fl_neigh_learn(uint16_t port, uint32_t ip_be, const struct rte_ether_addr *mac, bool only_update)
{
	const struct fl_neigh *n = fl_neigh_find(port, ip_be);
	if (n) {
		if (fl_neigh_state_fresh(&n->st, mac))
			return;
	} else if (only_update) {
		return;
	}
	struct fl_neigh_msg msg = { .type = only_update ? FL_NMSG_UPDATE : FL_NMSG_LEARN, .family = 4, .port = port,
				    .ip = ip_be };
	memcpy(msg.mac, mac->addr_bytes, 6);
	fl_neigh_post(&msg);
}

void fl_neigh_resolve(uint16_t port, uint32_t ip_be)
{
	struct fl_neigh_msg msg = { .type = FL_NMSG_RESOLVE, .family = 4, .port = port, .ip = ip_be };
	fl_neigh_post(&msg);
}

bool fl_neigh_state_fresh(const struct fl_neigh_state *st, const struct rte_ether_addr *mac)
{
	uint64_t w = __atomic_load_n(&st->macw, __ATOMIC_RELAXED);
	uint64_t exp = __atomic_load_n(&st->expires_ms, __ATOMIC_RELAXED);
	uint64_t half = (uint64_t)fl_dp.conf.neigh_timeout_s * 500;
	return w == (fl_mac_to_word(mac->addr_bytes) | FL_NEIGH_VALID) && exp > fl_now_ms() + half;
}

void fl_neigh_state_reset(struct fl_neigh_state *st)
{
	st->macw = 0;
	st->expires_ms = 0;
	st->next_probe_ms = 0;
	st->probes = 0;
}

void fl_neigh_state_learn(struct fl_neigh_state *st, const uint8_t mac[6], uint64_t now)
{
	bool was_valid = st->macw & FL_NEIGH_VALID;
	__atomic_store_n(&st->expires_ms, now + (uint64_t)fl_dp.conf.neigh_timeout_s * 1000, __ATOMIC_RELAXED);
	__atomic_store_n(&st->macw, FL_NEIGH_VALID | fl_mac_to_word(mac), __ATOMIC_RELEASE);
	st->probes = 0;
	st->next_probe_ms = 0;
	/* Packets parked for it may wait on a worker asleep on its interrupts. */
	if (!was_valid)
		fl_neigh_kick_workers();
}

/* RESOLVE: ask at most once a second per neighbour. */
bool fl_neigh_state_ask(struct fl_neigh_state *st, uint64_t now)
{
	if ((st->macw & FL_NEIGH_VALID) || now < st->next_probe_ms)
		return false;
	st->next_probe_ms = now + 1000;
	st->probes++;
	return true;
}

/* Entries expire after neighbourTimeoutSec; in the last quarter of their life
 * they are re-probed (unicast) so busy next hops never lapse. */
bool fl_neigh_state_age(struct fl_neigh_state *st, uint64_t now, struct rte_ether_addr *mac)
{
	if (!(st->macw & FL_NEIGH_VALID))
		return false;
	if (now >= st->expires_ms) {
		__atomic_store_n(&st->macw, st->macw & ~FL_NEIGH_VALID, __ATOMIC_RELEASE);
		/* The refresh probes' rate limit must not hold back the
		 * first request after expiry. */
		st->next_probe_ms = 0;
		st->probes = 0;
		return false;
	}
	uint64_t quarter = (uint64_t)fl_dp.conf.neigh_timeout_s * 250;
	if (now + quarter < st->expires_ms || now < st->next_probe_ms)
		return false;
	fl_word_to_mac(st->macw, mac->addr_bytes);
	st->next_probe_ms = now + 1000;
	return true;
}

void fl_neigh_state_view(const struct fl_neigh_state *st, uint64_t now, struct fl_neigh_view *v)
{
	uint64_t w = __atomic_load_n(&st->macw, __ATOMIC_ACQUIRE);
	uint64_t exp = __atomic_load_n(&st->expires_ms, __ATOMIC_RELAXED);
	fl_word_to_mac(w, v->mac);
	v->valid = !!(w & FL_NEIGH_VALID);
	v->expires_in_ms = exp > now ? exp - now : 0;
}

void fl_neigh_post(const struct fl_neigh_msg *msg)
{
	rte_ring_mp_enqueue_elem(msg_ring, (void *)(uintptr_t)msg, sizeof(*msg));
}

static struct fl_neigh *slot_for(uint16_t port, uint32_t ip, bool create)
{
	uint64_t key = fl_neigh_key(port, ip);
	uint32_t h = fl_neigh_slot(key);
	for (unsigned i = 0; i < FL_NEIGH_SIZE; i++) {
		struct fl_neigh *n = &fl_neigh_tbl[(h + i) & (FL_NEIGH_SIZE - 1)];
		if (n->key == key)
			return n;
		if (n->key == 0) {
			if (!create)
				return NULL;
			fl_neigh_state_reset(&n->st);
			__atomic_store_n(&n->key, key, __ATOMIC_RELEASE);
			return n;
		}
	}
	return NULL;
}

struct fl_worker_counters *fl_svc_counters(void)
{
	return &fl_counters[fl_dp.conf.n_workers].c;
}
#define svc_ctr fl_svc_counters

struct rte_mbuf *fl_svc_alloc(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fl_pool_for_socket((int)rte_socket_id()));
	if (!m)
		fl_drop(svc_ctr(), FL_DROP_NOMEM);
	return m;
}

void fl_svc_send(unsigned port, struct rte_mbuf *m)
{
	/* Worker 0 transmits it: the service thread owns no TX queue, so
	 * devices whose RX and TX queues come in pairs (af_packet) need no
	 * unpolled RX queue. */
	m->port = (uint16_t)port;
	if (rte_ring_sp_enqueue(fl_svc_tx_ring, m) != 0) {
		fl_drop(svc_ctr(), FL_DROP_TX_FULL);
		rte_pktmbuf_free(m);
	} else if (fl_dp.workers) {
		fl_idle_kick(&fl_dp.workers[0]);
	}
}

void fl_neigh_kick_workers(void)
{
	if (fl_dp.workers)
		for (unsigned i = 0; i < fl_dp.conf.n_workers; i++)
			fl_idle_kick(&fl_dp.workers[i]);
}

/* Build and send one ARP frame on `port` from the service thread's queue. */
static void send_arp(unsigned port, uint16_t op, const struct rte_ether_addr *eth_dst,
		     uint32_t sip, const struct rte_ether_addr *tha, uint32_t tip)
{
	struct fl_port *p = &fl_ports[port];
	struct rte_mbuf *m = fl_svc_alloc();
	if (!m)
		return;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);
	eh->dst_addr = *eth_dst;
	eh->src_addr = p->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = p->mac;
	ah->arp_data.arp_sip = sip;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tip;
	fl_svc_send(port, m);
}

static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct rte_ether_addr zero_mac;

static void send_request(const struct fl_snapshot *s, unsigned port, uint32_t tip, const struct rte_ether_addr *dst)
{
	if (!s->port_src[port])
		return;   /* no address on this port: we cannot ask */
	send_arp(port, RTE_ARP_OP_REQUEST, dst, s->port_src[port], &zero_mac, tip);
	svc_ctr()->arp_requests_sent++;
}

static void handle_msg(const struct fl_snapshot *s, const struct fl_neigh_msg *msg, uint64_t now)
{
	if (msg->type == FL_NMSG_LEARN || msg->type == FL_NMSG_UPDATE) {
		struct fl_neigh *n = slot_for(msg->port, msg->ip, msg->type == FL_NMSG_LEARN);
		if (n)
			fl_neigh_state_learn(&n->st, msg->mac, now);
		return;
	}
	struct fl_neigh *n = slot_for(msg->port, msg->ip, true);
	if (n && s && fl_neigh_state_ask(&n->st, now))
		send_request(s, msg->port, msg->ip, &bcast);
}

static void age(const struct fl_snapshot *s, uint64_t now)
{
	for (unsigned i = 0; i < FL_NEIGH_SIZE; i++) {
		struct fl_neigh *n = &fl_neigh_tbl[i];
		struct rte_ether_addr mac;
		if (n->key && fl_neigh_state_age(&n->st, now, &mac) && s) {
			uint16_t port = (uint16_t)(n->key >> 32);
			if (port < fl_nports)
				send_request(s, port, (uint32_t)n->key, &mac);
		}
	}
}

/* Gratuitous ARP for every address that the previous snapshot lacked or
 * held on standby: a director that becomes VRRP master for its VIPs and
 * LIPs tells the switch and the neighbours at once. */
static struct fl_local_addr announced[FL_MAX_ADDRS];
static unsigned n_announced;

static void announce(const struct fl_snapshot *s)
{
	unsigned n_active = 0;
	for (unsigned i = 0; i < s->n_addrs; i++) {
		const struct fl_local_addr *a = &s->addr_list[i];
		if (a->standby)
			continue;
		bool seen = false;
		for (unsigned j = 0; j < n_announced && !seen; j++)
			seen = announced[j].ip == a->ip && announced[j].port == a->port;
		if (seen)
			continue;
		send_arp(a->port, RTE_ARP_OP_REQUEST, &bcast, a->ip, &zero_mac, a->ip);
		svc_ctr()->garp_sent++;
	}
	for (unsigned i = 0; i < s->n_addrs; i++)
		if (!s->addr_list[i].standby)
			announced[n_active++] = s->addr_list[i];
	n_announced = n_active;
}

static void arp_reset(void)
{
	n_announced = 0;
}

const struct fl_neigh_family fl_neigh_arp = { .handle = handle_msg, .age = age, .announce = announce,
					      .reset = arp_reset };

/* By fl_neigh_msg.family. */
static const struct fl_neigh_family *const families[] = { [4] = &fl_neigh_arp, [6] = &fl_neigh_nd };
#define N_FAMILY_SLOTS (sizeof(families) / sizeof(families[0]))

static void *service_main(void *arg)
{
	(void)arg;
	unsigned id = fl_dp.conf.n_workers;
	rte_rcu_qsbr_thread_register(fl_rcu, id);
	uint64_t last_gen = 0, last_age = 0;
	while (svc_running) {
		rte_rcu_qsbr_thread_online(fl_rcu, id);
		const struct fl_snapshot *s = fl_snap_get();
		uint64_t now = fl_now_ms();
		if (s && s->gen != last_gen) {
			for (unsigned f = 0; f < N_FAMILY_SLOTS; f++)
				if (families[f])
					families[f]->announce(s);
			last_gen = s->gen;
		}
		struct fl_neigh_msg msgs[32];
		unsigned n;
		while ((n = rte_ring_sc_dequeue_burst_elem(msg_ring, msgs, sizeof(msgs[0]), 32, NULL)) > 0)
			for (unsigned i = 0; i < n; i++)
				if (msgs[i].family < N_FAMILY_SLOTS && families[msgs[i].family])
					families[msgs[i].family]->handle(s, &msgs[i], now);
		if (now - last_age >= 100) {
			for (unsigned f = 0; f < N_FAMILY_SLOTS; f++)
				if (families[f])
					families[f]->age(s, now);
			last_age = now;
		}
		svc_ctr()->loops++;
		/* Offline while asleep so a publisher's grace period never waits on us. */
		rte_rcu_qsbr_thread_offline(fl_rcu, id);
		usleep(500);
	}
	rte_rcu_qsbr_thread_unregister(fl_rcu, id);
	return NULL;
}

int fl_service_start(char *err, size_t errlen)
{
	fl_neigh_tbl = rte_zmalloc("fl_neigh", sizeof(struct fl_neigh) * FL_NEIGH_SIZE, RTE_CACHE_LINE_SIZE);
	msg_ring = rte_ring_create_elem("fl_neigh_msgs", sizeof(struct fl_neigh_msg), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
	fl_svc_tx_ring = rte_ring_create("fl_svc_tx", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!fl_neigh_tbl || !msg_ring || !fl_svc_tx_ring) {
		snprintf(err, errlen, "cannot allocate the neighbour table");
		return -1;
	}
	for (unsigned f = 0; f < N_FAMILY_SLOTS; f++)
		if (families[f])
			families[f]->reset();
	if (fl_neigh6_init(err, errlen))
		return -1;
	svc_running = true;
	if (rte_ctrl_thread_create(&svc_thread, "fl-service", NULL, service_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the service thread");
		svc_running = false;
		return -1;
	}
	svc_started = true;
	return 0;
}

void fl_service_stop(void)
{
	if (svc_started) {
		svc_running = false;
		pthread_join(svc_thread, NULL);
		svc_started = false;
	}
	rte_ring_free(msg_ring);
	msg_ring = NULL;
	if (fl_svc_tx_ring) {
		void *m;
		while (rte_ring_dequeue(fl_svc_tx_ring, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(fl_svc_tx_ring);
		fl_svc_tx_ring = NULL;
	}
	rte_free(fl_neigh_tbl);
	fl_neigh_tbl = NULL;
	fl_neigh6_fini();
}

unsigned fl_neigh_list(struct fl_neigh_view *out, unsigned max)
{
	unsigned n = 0;
	if (!fl_neigh_tbl)
		return 0;
	uint64_t now = fl_now_ms();
	for (unsigned i = 0; i < FL_NEIGH_SIZE && n < max; i++) {
		const struct fl_neigh *e = &fl_neigh_tbl[i];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (!k)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = 4;
		out[n].ip = (uint32_t)k;
		out[n].port = (uint16_t)(k >> 32);
		fl_neigh_state_view(&e->st, now, &out[n]);
		n++;
	}
	return n + fl_neigh6_list(out + n, max - n);
}
