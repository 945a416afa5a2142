/* Neighbour (ARP) table: one writer (the service thread), lock-free readers
 * (workers). Keys are never removed, only invalidated, so a reader that
 * probes the table never races with a slot being reused for another IP. */
#ifndef FL_NEIGH_H
#define FL_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fulcrum.h"               /* FL_NEIGH_SIZE */
#define FL_NEIGH_VALID (1ull << 63)

/* What an entry of either family's table holds beside its key: the MAC word
 * workers read, and the service thread's resolution state. Its lifecycle
 * (learn, ask at most once a second, expire, re-probe in the last quarter of
 * its life) is the same for ARP and ND: fl_neigh_state_* below and in
 * neigh.c. */
struct fl_neigh_state {
	uint64_t macw;                  /* MAC in the low 48 bits | FL_NEIGH_VALID */
	uint64_t expires_ms;
	uint64_t next_probe_ms;         /* service thread only */
	uint8_t probes;                 /* service thread only */
};

struct fl_neigh {
	uint64_t key;                   /* port << 32 | ip (network order); 0 = empty */
	struct fl_neigh_state st;
};

extern struct fl_neigh *fl_neigh_tbl;

/* A MAC packed into the low 48 bits of a word, so readers load it in one go. */
static inline uint64_t fl_mac_to_word(const uint8_t mac[6])
{
	uint64_t w = 0;
	for (int i = 0; i < 6; i++)
		w |= (uint64_t)mac[i] << (8 * i);
	return w;
}

static inline void fl_word_to_mac(uint64_t w, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(w >> (8 * i));
}

static inline uint64_t fl_neigh_key(uint16_t port, uint32_t ip_be)
{
	return ((uint64_t)port << 32) | ip_be;
}

static inline uint32_t fl_neigh_slot(uint64_t key)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 51) & (FL_NEIGH_SIZE - 1);
}

static inline const struct fl_neigh *fl_neigh_find(uint16_t port, uint32_t ip_be)
{
	uint64_t key = fl_neigh_key(port, ip_be);
	uint32_t h = fl_neigh_slot(key);
	for (unsigned i = 0; i < FL_NEIGH_SIZE; i++) {
		const struct fl_neigh *n = &fl_neigh_tbl[(h + i) & (FL_NEIGH_SIZE - 1)];
		uint64_t k = __atomic_load_n(&n->key, __ATOMIC_ACQUIRE);
		if (k == key)
			return n;
		if (k == 0)
			return NULL;
	}
	return NULL;
}

/* Worker side: copy the MAC of a valid entry; false if absent or expired. */
static inline bool fl_neigh_state_mac(const struct fl_neigh_state *st, struct rte_ether_addr *mac)
{
	if (!st)
		return false;
	uint64_t w = __atomic_load_n(&st->macw, __ATOMIC_ACQUIRE);
	if (!(w & FL_NEIGH_VALID))
		return false;
	fl_word_to_mac(w, mac->addr_bytes);
	return true;
}

/* Worker side: whether the entry already holds this MAC with more than half
 * its life left, so learning it again needs no message (ARP or ND storms
 * must not flood the service ring). */
bool fl_neigh_state_fresh(const struct fl_neigh_state *st, const struct rte_ether_addr *mac);

/* Service thread: a new entry's state; the entry learned `mac` now (true if
 * it was not valid before: workers with parked packets are woken); whether
 * to ask now while resolving (then counted as asked); and ageing: expire, or
 * true with *mac when a unicast refresh probe is due. */
void fl_neigh_state_reset(struct fl_neigh_state *st);
void fl_neigh_state_learn(struct fl_neigh_state *st, const uint8_t mac[6], uint64_t now);
bool fl_neigh_state_ask(struct fl_neigh_state *st, uint64_t now);
bool fl_neigh_state_age(struct fl_neigh_state *st, uint64_t now, struct rte_ether_addr *mac);
/* The listing's view of an entry: MAC, validity, time left. */
struct fl_neigh_view;
void fl_neigh_state_view(const struct fl_neigh_state *st, uint64_t now, struct fl_neigh_view *v);

/* Copy the MAC of a resolved neighbour; false if unknown or expired. */
static inline bool fl_neigh_get(uint16_t port, uint32_t ip_be, struct rte_ether_addr *mac)
{
	const struct fl_neigh *n = fl_neigh_find(port, ip_be);
	return fl_neigh_state_mac(n ? &n->st : NULL, mac);
}

/* Messages from workers to the service thread. */
enum fl_neigh_msg_type { FL_NMSG_LEARN = 1, FL_NMSG_UPDATE = 2, FL_NMSG_RESOLVE = 3 };
struct fl_neigh_msg {
	uint8_t type;
	uint8_t mac[6];
	uint8_t family;                 /* 4: ARP (ip), 6: ND (ip6); index of fl_neigh_families */
	uint16_t port;
	uint16_t pad2;
	uint32_t ip;                    /* network order */
	uint8_t ip6[16];
	uint8_t src6[16];               /* ND RESOLVE: the prompting packet's source (RFC 4861 7.2.2) */
};

/* What the service thread does for one address family: ARP here, ND in
 * neigh6.c. Each loop it hands the family its messages, lets it age its
 * table, and on a new snapshot announce its addresses. */
struct fl_snapshot;
struct fl_neigh_family {
	void (*handle)(const struct fl_snapshot *s, const struct fl_neigh_msg *msg, uint64_t now);
	void (*age)(const struct fl_snapshot *s, uint64_t now);
	void (*announce)(const struct fl_snapshot *s);
	void (*reset)(void);            /* service start: forget what was announced */
};
extern const struct fl_neigh_family fl_neigh_arp, fl_neigh_nd;

/* Service thread: queue a frame it built (m->port unset) for worker 0 to
 * send on `port`; its counters. */
void fl_svc_send(unsigned port, struct rte_mbuf *m);
struct fl_worker_counters *fl_svc_counters(void);
/* Service thread: an mbuf for a frame it builds (NULL counted as no_mbuf). */
struct rte_mbuf *fl_svc_alloc(void);
/* Workers: hand the service thread a message (a full ring loses the hint). */
void fl_neigh_post(const struct fl_neigh_msg *msg);
/* Service thread: wake the workers that may have packets parked. */
void fl_neigh_kick_workers(void);

/* Worker side: non-blocking; a full ring just loses the hint. */
void fl_neigh_learn(uint16_t port, uint32_t ip_be, const struct rte_ether_addr *mac, bool only_update);
void fl_neigh_resolve(uint16_t port, uint32_t ip_be);

/* Frames built by the service thread (m->port = port index), sent by worker 0. */
extern struct rte_ring *fl_svc_tx_ring;

int fl_service_start(char *err, size_t errlen);
void fl_service_stop(void);


#endif
