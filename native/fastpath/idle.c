/* Idle-aware polling: what a worker does when its queues are empty. It
 * spins for FL_IDLE_SPIN_US after its last work (a burst that is merely
 * late pays nothing; a count of loops would spin for milliseconds on ports
 * whose polls are system calls, such as the net_tap twins), then naps, each nap twice as long as the one before, from
 * 1 us up to dataplane.idleSleepUs, so an idle director costs a few wakeups a
 * millisecond and a loaded one never sleeps. Naps are nanosleep with the
 * thread's timer slack at 1 us: Linux's default slack (50 us) would round
 * every short nap up to the longest.
 *
 * Rx interrupts (l3fwd-power's rte_eth_dev_rx_intr_enable and an epoll
 * wait) would let a worker sleep until a packet arrives; none of the PMDs
 * Fulcrum drives here has them (net_af_packet, net_ring), so the back-off is
 * the scheme everywhere for now. */
#include <sys/prctl.h>
#include <time.h>

#include "dp.h"

void fl_idle_init(void)
{
	prctl(PR_SET_TIMERSLACK, 1000UL);   /* ns */
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
