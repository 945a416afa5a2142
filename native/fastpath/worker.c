/* The worker poll loop (l3fwd-style): report quiescence, load the snapshot
 * once, poll every port's RX queue, every twin's and the redirect rings from
 * the other workers, dispatch, and drain TX buffers when full or when the
 * drain timer fires. */
#include <unistd.h>

#include <rte_ether.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "neigh.h"
#include "lb.h"
#include "lb6.h"
#include "../sync/sync.h"

void fl_tx_flush(struct fl_worker *w, unsigned port)
{
	struct fl_txbuf *b = &w->tx[port];
	if (!b->n)
		return;
	uint64_t bytes = 0;
	for (unsigned i = 0; i < b->n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	uint16_t sent = rte_eth_tx_burst(fl_ports[port].id, (uint16_t)w->idx, b->pkts, b->n);
	for (unsigned i = sent; i < b->n; i++) {
		bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		fl_drop_pkt(w, b->pkts[i], FL_DROP_TX_FULL);
	}
	w->ctr->port[port].tx_pkts += sent;
	w->ctr->port[port].tx_bytes += bytes;
	b->n = 0;
}

void fl_ktx_flush(struct fl_worker *w, unsigned port)
{
	struct fl_txbuf *b = &w->ktx[port];
	if (!b->n)
		return;
	uint16_t sent = rte_eth_tx_burst(fl_ports[port].twin_id, (uint16_t)w->idx, b->pkts, b->n);
	for (unsigned i = sent; i < b->n; i++)
		fl_drop_pkt(w, b->pkts[i], FL_DROP_KERNEL_FULL);
	b->n = 0;
}

static void flush_all(struct fl_worker *w)
{
	for (unsigned p = 0; p < fl_nports; p++) {
		fl_tx_flush(w, p);
		fl_ktx_flush(w, p);
	}
}

static void rx_port(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf **pkts, uint16_t n)
{
	struct fl_lb_pkt lb[FL_MAX_BURST];
	struct fl_lb6_pkt lb6[FL_MAX_BURST];
	unsigned nlb = 0, nlb6 = 0;
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	}
	w->ctr->port[port].rx_pkts += n;
	w->ctr->port[port].rx_bytes += bytes;
	/* Stage 1: validate and classify; what is not for the LB is handled
	 * here and now. Stage 2 looks the LB candidates up in one bulk call. */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod_offset(pkts[i + 1], void *, 64));
		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr))) {
			fl_drop_pkt(w, m, FL_DROP_MALFORMED);
			continue;
		}
		uint16_t et = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->ether_type;
		if (likely(et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))) {
			if (fl_ipv4_pre(w, s, port, m, &lb[nlb], false) == FL_PRE_LB)
				nlb++;
		} else if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			fl_arp_input(w, s, port, m);
		} else if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
			if (fl_ipv6_pre(w, s, port, m, &lb6[nlb6], false) == FL_PRE_LB)
				nlb6++;
		} else {
			fl_drop_pkt(w, m, FL_DROP_UNSUPPORTED);
		}
	}
	if (nlb)
		fl_lb_burst(w, s, lb, nlb);
	if (nlb6)
		fl_lb6_burst(w, s, lb6, nlb6);
}

/* Both families' sessions whose time has come, a bounded number a loop. */
static inline void expire(struct fl_worker *w)
{
	w->ctr->sessions_active = fl_lb_expire(w, 64) + fl_lb6_expire(w, 64);
}

/* Packets other workers handed over (steering.h): already validated, so
 * input skips the checks that only hold on the wire. */
static unsigned redirect_poll(struct fl_worker *w, const struct fl_snapshot *s)
{
	struct rte_mbuf *pkts[FL_MAX_BURST];
	struct fl_lb_pkt lb[FL_MAX_BURST];
	struct fl_lb6_pkt lb6[FL_MAX_BURST];
	unsigned total = 0;
	for (unsigned j = 0; j < fl_dp.conf.n_workers; j++) {
		if (!w->redir_in[j])
			continue;
		unsigned n = rte_ring_sc_dequeue_burst(w->redir_in[j], (void **)pkts, FL_MAX_BURST, NULL);
		if (!n)
			continue;
		w->ctr->redirect_in += n;
		unsigned nlb = 0, nlb6 = 0;
		for (unsigned i = 0; i < n; i++) {
			/* Only IP packets are handed over; the sender saw the ethertype. */
			const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
			if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
				if (fl_ipv6_pre(w, s, pkts[i]->port, pkts[i], &lb6[nlb6], true) == FL_PRE_LB)
					nlb6++;
			} else if (fl_ipv4_pre(w, s, pkts[i]->port, pkts[i], &lb[nlb], true) == FL_PRE_LB) {
				nlb++;
			}
		}
		if (nlb)
			fl_lb_burst(w, s, lb, nlb);
		if (nlb6)
			fl_lb6_burst(w, s, lb6, nlb6);
		total += n;
	}
	return total;
}

/* Benchmarks drive the worker's processing routine directly, on the
 * calling lcore, with packets they built (dataplane started with no_launch). */
void fl_bench_rx(struct fl_worker *w, unsigned port, struct rte_mbuf **pkts, uint16_t n)
{
	const struct fl_snapshot *s = fl_snap_get();
	w->now_ms = rte_rdtsc() / fl_dp.tsc_per_ms;
	rx_port(w, s, port, pkts, n);
}

void fl_bench_macswap(struct fl_worker *w, unsigned port, struct rte_mbuf **pkts, uint16_t n)
{
	w->ctr->port[port].rx_pkts += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		struct rte_ether_addr t = eh->dst_addr;
		eh->dst_addr = eh->src_addr;
		eh->src_addr = t;
		fl_tx(w, port, pkts[i]);
	}
}

void fl_bench_redirect(struct fl_worker *w)
{
	const struct fl_snapshot *s = fl_snap_get();
	w->now_ms = rte_rdtsc() / fl_dp.tsc_per_ms;
	redirect_poll(w, s);
	if (w->n_pending)
		fl_pending_run(w, s);
}

void fl_bench_flush(struct fl_worker *w)
{
	flush_all(w);
	expire(w);
}

/* Whatever the kernel sends on a twin leaves through its DPDK port as is. */
static void rx_twin(struct fl_worker *w, unsigned port, struct rte_mbuf **pkts, uint16_t n)
{
	w->ctr->port[port].from_kernel += n;
	for (uint16_t i = 0; i < n; i++)
		fl_tx(w, port, pkts[i]);
}

int fl_worker_main(void *arg)
{
	struct fl_worker *w = arg;
	const unsigned burst = fl_dp.conf.burst;
	const unsigned nports = fl_nports;
	struct rte_mbuf *pkts[FL_MAX_BURST];
	uint64_t last_work_tsc = rte_rdtsc();
	unsigned nap_us = 0;
	const unsigned nap_max = fl_dp.conf.idle_sleep_us;

	if (nap_max)
		fl_idle_init(w);
	w->ctr->rx_intr = w->idle.intr;
	rte_rcu_qsbr_thread_register(fl_rcu, w->idx);
	rte_rcu_qsbr_thread_online(fl_rcu, w->idx);
	w->last_drain_tsc = rte_rdtsc();
	while (likely(fl_dp.running)) {
		rte_rcu_qsbr_quiescent(fl_rcu, w->idx);
		const struct fl_snapshot *s = fl_snap_get();
		uint64_t tsc = rte_rdtsc();
		w->now_ms = tsc / fl_dp.tsc_per_ms;
		unsigned got = 0;
		if (likely(s)) {
			for (unsigned p = 0; p < nports; p++) {
				uint16_t n = rte_eth_rx_burst(fl_ports[p].id, (uint16_t)w->idx, pkts, (uint16_t)burst);
				if (n) {
					rx_port(w, s, p, pkts, n);
					got += n;
				}
				if (fl_ports[p].twin_id != FL_NO_PORT) {
					n = rte_eth_rx_burst(fl_ports[p].twin_id, (uint16_t)w->idx, pkts, (uint16_t)burst);
					if (n) {
						rx_twin(w, p, pkts, n);
						got += n;
					}
				}
			}
			if (fl_dp.conf.n_workers > 1)
				got += redirect_poll(w, s);
			if (w->n_pending)
				fl_pending_run(w, s);
			expire(w);
			fl_lb_mailbox(w);
			fl_lb_explain(w, s);
			got += fl_sync_poll(w, s);
			if (w->idx == 0) {
				uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(fl_svc_tx_ring, (void **)pkts, burst, NULL);
				for (uint16_t i = 0; i < n; i++)
					fl_tx(w, pkts[i]->port, pkts[i]);
				got += n;
			}
		}
		if (tsc - w->last_drain_tsc >= fl_dp.drain_tsc) {
			flush_all(w);
			w->last_drain_tsc = tsc;
		}
		w->ctr->loops++;
		if (got) {
			w->ctr->busy_loops++;
			w->idle.worked = true;
			last_work_tsc = tsc;
			nap_us = 0;
		} else if (nap_max && tsc - last_work_tsc > fl_dp.idle_spin_tsc) {
			/* Idle: nap, offline so that a publisher's grace period does
			 * not wait on us, each nap twice as long as the last up to
			 * nap_max (idle.c); the first packet resets it. */
			flush_all(w);
			rte_rcu_qsbr_thread_offline(fl_rcu, w->idx);
			if (w->idle.intr) {
				w->ctr->idle_wakeups += fl_idle_wait(w);
				w->ctr->idle_waits++;
			} else {
				nap_us = fl_idle_nap(nap_us, nap_max);
				w->ctr->idle_naps++;
				w->ctr->idle_nap_us += nap_us;
			}
			rte_rcu_qsbr_thread_online(fl_rcu, w->idx);
		}
	}
	flush_all(w);
	if (nap_max)
		fl_idle_fini(w);
	for (unsigned i = 0; i < w->n_pending; i++)
		rte_pktmbuf_free(w->pending[i].m);
	w->n_pending = 0;
	rte_rcu_qsbr_thread_offline(fl_rcu, w->idx);
	rte_rcu_qsbr_thread_unregister(fl_rcu, w->idx);
	return 0;
}
