/* fulcrum replay: one captured frame through the real fast path, on the
 * calling thread. The dataplane was started with no_launch (no worker runs
 * on its own), so this is the only code touching the workers: the frame is
 * received by worker 0 as a poll loop receives it, then every worker takes
 * in what others handed it (twice: a hand-off can answer a hand-off),
 * releases what waited for a neighbour, and flushes its transmit buffers
 * (the ports are rings: the caller drains them). */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dp.h"
#include "neigh.h"
#include "../port/port.h"

int fl_replay_frame(unsigned port, const uint8_t *data, uint16_t len, char *err, size_t errlen)
{
	if (!fl_dp.running || !fl_dp.workers || !fl_dp.conf.no_launch) {
		snprintf(err, errlen, "replay needs a dataplane started with noLaunch");
		return -1;
	}
	if (port >= fl_nports) {
		snprintf(err, errlen, "no port %u", port);
		return -1;
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(fl_pool_for_socket(0));
	if (!m) {
		snprintf(err, errlen, "out of mbufs");
		return -1;
	}
	char *d = rte_pktmbuf_append(m, len);
	if (!d) {
		rte_pktmbuf_free(m);
		snprintf(err, errlen, "a frame of %u bytes does not fit an mbuf", len);
		return -1;
	}
	memcpy(d, data, len);
	fl_bench_rx(&fl_dp.workers[0], port, &m, 1);
	for (int round = 0; round < 2; round++)
		for (unsigned k = 0; k < fl_dp.conf.n_workers; k++)
			fl_bench_redirect(&fl_dp.workers[k]);
	for (unsigned k = 0; k < fl_dp.conf.n_workers; k++)
		fl_bench_flush(&fl_dp.workers[k]);
	return 0;
}

int fl_replay_neighbour(unsigned port, uint32_t ip_be, const uint8_t mac[6])
{
	if (port >= fl_nports)
		return -1;
	struct rte_ether_addr a;
	memcpy(a.addr_bytes, mac, 6);
	fl_neigh_learn((uint16_t)port, ip_be, &a, false);
	return 0;
}
