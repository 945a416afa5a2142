/* Idle-aware polling: what a worker does when its queues are empty. It
 * spins for FL_IDLE_SPIN_US after its last work (a burst that is merely
 * late pays nothing; a count of loops would spin for milliseconds on ports
 * whose polls are system calls, such as the net_tap twins), then sleeps in
 * one of two ways:
 *
 *  - Rx interrupts, where every queue the worker polls has one (net_tap,
 *    virtio, most PCI NICs; not af_packet, af_xdp or net_ring in DPDK
 *    22.11): as DPDK's l3fwd-power does, it arms the queues' interrupts
 *    (rte_eth_dev_rx_intr_enable), then waits in an epoll of its own
 *    (arm_interrupts says why not DPDK's) until a packet arrives. Work that comes by ring rather than by wire (another
 *    worker's redirects, the service thread's frames, sync installs, the
 *    API's mailboxes) wakes it through its eventfd (fl_idle_kick); timers
 *    (session expiry, parked packets) bound the wait to FL_IDLE_WAIT_MS.
 *  - Elsewhere a back-off: naps, each twice as long as the one before, from
 *    1 us up to dataplane.idleSleepUs, so an idle director costs a few
 *    wakeups a millisecond and a loaded one never sleeps. Naps are
 *    nanosleep with the thread's timer slack at 1 us: Linux's default slack
 *    (50 us) would round every short nap up to the longest. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <stdio.h>
#include <string.h>

#include "dp.h"
#include "neigh.h"
#include "../sync/sync.h"

/* Whether fd is an eventfd (a PCI device's interrupt under VFIO: its count
 * must be read, or a level-triggered epoll would report it forever) rather
 * than a queue's own fd that becomes readable with packets (net_tap). */
static bool is_eventfd(int fd)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool yes = false;
	while (!yes && fgets(buf, sizeof(buf), f))
		yes = strncmp(buf, "eventfd-count:", 14) == 0;
	fclose(f);
	return yes;
}

/* data: the fd, and in bit 32 whether a wakeup must read it (an eventfd). */
static bool watch(struct fl_idle *id, int fd, bool drain)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint32_t)fd | (drain ? 1ull << 32 : 0) };
	return epoll_ctl(id->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

/* Put every RX queue the worker polls, and its kick eventfd, in an epoll of
 * its own, level-triggered (DPDK's per-thread epoll is edge-triggered, and
 * on net_tap it lost wakeups here: a sleep then ran to its timeout). False
 * (back-off) unless every queue has an interrupt. */
static bool arm_interrupts(struct fl_worker *w)
{
	struct fl_idle *id = &w->idle;
	id->nq = 0;
	id->epfd = epoll_create1(EPOLL_CLOEXEC);
	id->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (id->epfd < 0 || id->efd < 0 || !watch(id, id->efd, true))
		return false;
	for (unsigned p = 0; p < fl_nports; p++) {
		uint16_t ids[2] = { fl_ports[p].id, fl_ports[p].twin_id };
		bool intr[2] = { fl_ports[p].rx_intr, fl_ports[p].twin_rx_intr };
		for (unsigned k = 0; k < 2; k++) {
			if (ids[k] == FL_NO_PORT)
				continue;
			if (!intr[k] || id->nq == FL_IDLE_MAX_QUEUES)
				return false;
			int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(ids[k], (uint16_t)w->idx);
			if (fd < 0 || !watch(id, fd, is_eventfd(fd)))
				return false;
			id->q[id->nq++] = ids[k];
		}
	}
	return id->nq > 0;
}

static void disarm(struct fl_idle *id)
{
	if (id->epfd >= 0)
		close(id->epfd);
	if (id->efd >= 0)
		close(id->efd);
	id->epfd = id->efd = -1;
}

void fl_idle_init(struct fl_worker *w)
{
	prctl(PR_SET_TIMERSLACK, 1000UL);   /* ns */
	w->idle.efd = w->idle.epfd = -1;
	bool on = fl_dp.conf.rx_intr && arm_interrupts(w);
	if (!on)
		disarm(&w->idle);
	/* Producers read `intr` to decide whether to kick (release: efd first). */
	__atomic_store_n(&w->idle.intr, on, __ATOMIC_RELEASE);
}

void fl_idle_fini(struct fl_worker *w)
{
	__atomic_store_n(&w->idle.intr, false, __ATOMIC_RELEASE);
	disarm(&w->idle);
}

unsigned fl_idle_nap(unsigned last_us, unsigned max_us)
{
	unsigned us = last_us ? last_us * 2 : 1;
	if (us > max_us)
		us = max_us;
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
	return us;
}

/* Whether anything waits for the worker on a ring or in a mailbox. */
static bool ring_work(const struct fl_worker *w)
{
	for (unsigned j = 0; j < fl_dp.conf.n_workers; j++)
		if (w->redir_in[j] && !rte_ring_empty(w->redir_in[j]))
			return true;
	if (w->idx == 0 && fl_svc_tx_ring && !rte_ring_empty(fl_svc_tx_ring))
		return true;
	if (__atomic_load_n(&w->mbox.req, __ATOMIC_ACQUIRE) != w->mbox.ack ||
	    __atomic_load_n(&w->xbox.req, __ATOMIC_ACQUIRE) != w->xbox.ack)
		return true;
	return fl_sync_pending(w->idx);
}

/* A wake whose poll found nothing: the queue is readable, but the PMD will
 * not read it yet. net_tap reads a queue only after a SIGIO it has not seen
 * (its rx trigger), and a packet that lands while a burst ends is marked
 * seen unread until the next SIGIO; a busy poller waits for that signal
 * too. A level-triggered epoll would report such a queue without end, so
 * the wait after a futile wake is a nap instead. */
static bool futile_wake(const struct fl_idle *id)
{
	return id->woke && !id->worked;
}

bool fl_idle_wait(struct fl_worker *w)
{
	struct fl_idle *id = &w->idle;
	if (futile_wake(id)) {
		w->ctr->idle_naps++;
		w->ctr->idle_nap_us += fl_idle_nap(fl_dp.conf.idle_sleep_us / 2, fl_dp.conf.idle_sleep_us);
		id->woke = false;
		return false;
	}
	id->worked = false;
	for (unsigned i = 0; i < id->nq; i++)
		rte_eth_dev_rx_intr_enable(id->q[i], (uint16_t)w->idx);
	/* Dekker with fl_idle_kick: sleeping is visible before the rings are
	 * looked at, so a producer either sees it (and kicks) or its item is
	 * seen here. */
	__atomic_store_n(&id->sleeping, 1, __ATOMIC_SEQ_CST);
	bool woke = false;
	if (!ring_work(w)) {
		struct epoll_event ev[FL_IDLE_MAX_QUEUES + 1];
		int n = epoll_wait(id->epfd, ev, FL_IDLE_MAX_QUEUES + 1, FL_IDLE_WAIT_MS);
		woke = n > 0;
		uint64_t v;
		/* The kick, or a device's interrupt eventfd: reset its count (a
		 * failed read means someone else already did). */
		for (int i = 0; i < n; i++)
			if (ev[i].data.u64 >> 32)
				(void)!read((int)(uint32_t)ev[i].data.u64, &v, sizeof(v));
	}
	__atomic_store_n(&id->sleeping, 0, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < id->nq; i++)
		rte_eth_dev_rx_intr_disable(id->q[i], (uint16_t)w->idx);
	id->woke = woke;
	return woke;
}

void fl_idle_kick_slow(struct fl_worker *w)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->idle.sleeping, __ATOMIC_RELAXED)) {
		uint64_t one = 1;
		/* Cannot fail short of the counter's overflow (then it is awake anyway). */
		if (write(w->idle.efd, &one, sizeof(one)) < 0)
			return;
	}
}
