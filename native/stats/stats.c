/* Counter storage and the control-side snapshot of it. */
#include <string.h>
#include "stats.h"

struct fl_counters_slot fl_counters[FL_MAX_WORKERS + 1];
extern unsigned fl_dp_n_workers;

static const char *const drop_names[FL_DROP__MAX] = {
	[FL_DROP_MALFORMED] = "malformed",
	[FL_DROP_BAD_CSUM] = "bad_checksum",
	[FL_DROP_NOT_FOR_US] = "not_for_us",
	[FL_DROP_NO_ROUTE] = "no_route",
	[FL_DROP_NO_NEIGH] = "no_neighbour",
	[FL_DROP_UNSUPPORTED] = "unsupported",
	[FL_DROP_TTL] = "ttl_exceeded",
	[FL_DROP_FRAGMENT] = "fragment",
	[FL_DROP_NO_SERVICE] = "no_service",
	[FL_DROP_NO_SERVER] = "no_server",
	[FL_DROP_SESSION_FULL] = "session_table_full",
	[FL_DROP_NO_LPORT] = "lport_exhausted",
	[FL_DROP_NO_SESSION] = "no_session",
	[FL_DROP_REDIRECT_FULL] = "redirect_ring_full",
	[FL_DROP_KERNEL_FULL] = "kernel_queue_full",
	[FL_DROP_NO_TWIN] = "no_kernel_twin",
	[FL_DROP_TX_FULL] = "tx_full",
	[FL_DROP_NOMEM] = "no_mbuf",
	[FL_DROP_TOO_BIG] = "too_big",
	[FL_DROP_SYNPROXY] = "synproxy",
	[FL_DROP_STANDBY] = "standby",
	[FL_DROP_BAD_ND] = "bad_nd",
	[FL_DROP_UNTRANSLATABLE] = "untranslatable",
};

const char *fl_drop_name(unsigned reason)
{
	return reason < FL_DROP__MAX ? drop_names[reason] : "unknown";
}

static const char *const tcpx_event_names[FL_TCPX_EV__MAX] = {
	[FL_TCPX_EV_PROXY_SENT] = "proxy_header_sent",
	[FL_TCPX_EV_PROXY_RESENT] = "proxy_header_resent",
	[FL_TCPX_EV_TOA_ADDED] = "toa_added",
	[FL_TCPX_EV_TOA_NO_ROOM] = "toa_no_room",
	[FL_TCPX_EV_COOKIE_SENT] = "syncookie_sent",
	[FL_TCPX_EV_COOKIE_VALID] = "syncookie_valid",
	[FL_TCPX_EV_COOKIE_INVALID] = "syncookie_invalid",
	[FL_TCPX_EV_SP_JOINED] = "synproxy_joined",
	[FL_TCPX_EV_SP_REFUSED] = "synproxy_refused",
	[FL_TCPX_EV_SP_HOLD_FULL] = "synproxy_hold_full",
};

const char *fl_tcpx_event_name(unsigned ev)
{
	return ev < FL_TCPX_EV__MAX ? tcpx_event_names[ev] : NULL;
}

static const char *const sync_event_names[FL_SYNC_EV__MAX] = {
	[FL_SYNC_EV_QUEUED] = "queued",
	[FL_SYNC_EV_QUEUE_FULL] = "queue_full",
	[FL_SYNC_EV_INSTALLED] = "installed",
	[FL_SYNC_EV_UPDATED] = "updated",
	[FL_SYNC_EV_NO_SERVICE] = "refused_no_service",
	[FL_SYNC_EV_NO_SERVER] = "refused_no_server",
	[FL_SYNC_EV_METHOD] = "refused_method",
	[FL_SYNC_EV_LOCAL] = "refused_local_port",
	[FL_SYNC_EV_FULL] = "refused_table_full",
};

const char *fl_sync_event_name(unsigned ev)
{
	return ev < FL_SYNC_EV__MAX ? sync_event_names[ev] : NULL;
}

void fl_stats_reset(void)
{
	memset(fl_counters, 0, sizeof(fl_counters));
}

/* Each 64-bit counter is read with one relaxed atomic load: on x86-64 an
 * aligned 8-byte load never tears, and the writer never waits for us. */
static void copy_counters(struct fl_worker_counters *dst, const struct fl_worker_counters *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

unsigned fl_stats_read(struct fl_worker_counters *out, unsigned max)
{
	unsigned n = fl_dp_n_workers + 1;
	if (fl_dp_n_workers == 0)
		return 0;
	if (n > max)
		n = max;
	for (unsigned i = 0; i < n; i++)
		copy_counters(&out[i], &fl_counters[i].c);
	return n;
}
