/* Ports: mempools, ethdev/queue setup, kernel twins (exception path), ring test ports. */
#ifndef FL_PORT_H
#define FL_PORT_H

#include <stdbool.h>
#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "fulcrum.h"

#define FL_NO_PORT UINT16_MAX

struct fl_port {
	char name[FL_NAME_LEN];
	char driver[FL_NAME_LEN];
	char twin[FL_NAME_LEN];
	uint16_t id;                 /* DPDK port id */
	uint16_t twin_id;            /* DPDK port id of the net_tap twin, or FL_NO_PORT */
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint16_t nb_rxq, nb_txq;     /* one RX and one TX queue per worker */
	bool rss;
	bool is_ring;
	/* Several RX queues but no hardware RSS (af_packet's kernel fanout,
	 * which in DPDK 22.11 also rolls packets over to another queue when
	 * one is busy): no per-flow affinity, so the fast path steers client
	 * flows to an owner worker itself (lb.c client_owner). */
	bool sw_steer;
	bool started, twin_started;
	bool rx_intr, twin_rx_intr;  /* every RX queue has an interrupt (dataplane.rxInterrupts; idle.c) */
	uint16_t xsk, xsk_zerocopy;  /* AF_XDP sockets opened by its queue setup; zero-copy ones */
	char fallback_reason[256];   /* why its preferred driver was refused ("iface:" ports) */
	uint8_t steering;            /* enum fl_steering: how replies reach their owner */
	struct rte_ring *rx_rings[FL_MAX_WORKERS];
	struct rte_ring *tx_rings[FL_MAX_WORKERS + 1];
};

extern struct fl_port fl_ports[FL_MAX_PORTS];
extern unsigned fl_nports;

/* One pool per NUMA socket; index by rte_socket_id() of the lcore. */
struct rte_mempool *fl_pool_for_socket(int socket);

int fl_ports_open(const struct fl_dp_conf *conf, char *err, size_t errlen);
void fl_ports_close(void);

#endif
