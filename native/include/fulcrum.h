/*
 * Fulcrum native interface: the only C API the addon glue (native/addon/) may call.
 *
 * Threading contract:
 *  - Every fl_* function here runs on the control thread (the Node main thread,
 *    which is the DPDK main lcore), except where noted.
 *  - Workers never call back into the control thread; they read the published
 *    snapshot (native/cfg/) and write only their own counters (native/stats/).
 *
 * Byte order: IPv4 addresses and L4 ports in these structs are in HOST order.
 * The dataplane converts once when it builds a snapshot. IPv6 addresses are
 * 16 bytes as on the wire (struct fl_ip6, what inet_pton gives).
 */
#ifndef FULCRUM_H
#define FULCRUM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FL_MAX_PORTS        8
#define FL_MAX_WORKERS      16
#define FL_MAX_ADDRS        1024
#define FL_MAX_ROUTES       1024
#define FL_NAME_LEN         32
#define FL_DEVARGS_LEN      512
#define FL_ERR_LEN          512

/* ---------- dataplane (ports, workers, memory): fixed at start ---------- */

struct fl_port_conf {
	char name[FL_NAME_LEN];        /* logical name from config, e.g. "lan" */
	/* PCI address ("0000:03:00.0"), a vdev devargs string
	 * ("net_af_packet0,iface=veth0", "net_tap0", "net_pcap0,..."), or the
	 * literal "ring" for an in-process net_ring port (tests, benches):
	 * frames are injected with fl_ring_inject and read with fl_ring_drain. */
	char device[FL_DEVARGS_LEN];
	/* A vdev to attach instead when `device` (a vdev the addon attaches
	 * itself, "iface:" ports) fails to probe or cannot carry the port's MTU:
	 * net_af_packet under a refused net_af_xdp. "" = none. */
	char fallback[FL_DEVARGS_LEN];
	char twin[FL_NAME_LEN];        /* kernel twin iface (net_tap); "" = none */
	uint16_t mtu;                  /* 0 = leave the driver default */
};

struct fl_dp_conf {
	unsigned n_workers;
	unsigned worker_lcores[FL_MAX_WORKERS];
	unsigned n_ports;
	struct fl_port_conf ports[FL_MAX_PORTS];
	unsigned mbufs_per_socket;     /* one mempool per socket */
	unsigned rx_desc, tx_desc;
	unsigned burst;                /* RX burst size, <= 64 */
	unsigned tx_drain_us;          /* TX buffer drain timer */
	unsigned idle_sleep_us;        /* 0 = busy poll; >0 = the longest nap of the idle back-off (idle.c) */
	uint8_t rx_intr;               /* with idle_sleep_us > 0: sleep on Rx interrupts where every queue has one */
	unsigned neigh_timeout_s;      /* neighbour entry lifetime */
	uint32_t sessions_per_worker;  /* session table capacity, fixed at start */
	uint32_t sessions6_per_worker; /* the IPv6 table's; 0 = 65536 */
	uint32_t persist_templates;    /* persistence template slots (rounded up to a power of two); 0 = 65536 */
	uint32_t icmp_per_sec;         /* ICMP errors originated per second, shared by the workers; 0 = not limited */
	uint32_t icmp_burst;           /* ... and the burst each worker may send at once */
	uint8_t no_launch;             /* benchmarks: set up workers, do not run them */
	uint8_t ts_rewrite;            /* FULLNAT TCP: client TSvals onto the director's clock (native/tcp) */
};

/* ---------- network view (addresses, routes): RCU-published ---------- */

enum fl_addr_role { FL_ADDR_DIP = 0, FL_ADDR_VIP = 1, FL_ADDR_LIP = 2 };

struct fl_addr {
	uint32_t ip;                   /* host order */
	uint8_t prefix;                /* on-link prefix length */
	uint8_t role;                  /* enum fl_addr_role */
	uint16_t port;                 /* index into fl_dp_conf.ports */
	uint8_t standby;               /* a VIP/LIP held by the VRRP master elsewhere: not served, not answered */
};

struct fl_route {
	uint32_t prefix;               /* host order */
	uint8_t len;
	uint16_t port;                 /* egress port index */
	uint32_t gateway;              /* host order; 0 = directly connected */
};

/* The IPv6 family of the same view: its own arrays, so that IPv4's stay as
 * compact as they were. */
struct fl_ip6 {
	uint8_t b[16];
};

/* IPv4-mapped IPv6 (::ffff:a.b.c.d), the form a NAT64 session keeps its
 * IPv4 side in (fastpath/nat64.c): the address for a (network order), the
 * test for one, and its IPv4 address. */
static inline struct fl_ip6 fl_ip6_mapped(uint32_t a_be)
{
	struct fl_ip6 r;
	memset(r.b, 0, 10);
	r.b[10] = r.b[11] = 0xff;
	memcpy(&r.b[12], &a_be, 4);
	return r;
}

static inline int fl_ip6_is_mapped(const uint8_t *b16)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(b16, pfx, 12) == 0;
}

static inline uint32_t fl_ip6_unmapped(const uint8_t *b16)
{
	uint32_t a;
	memcpy(&a, b16 + 12, 4);
	return a;
}

struct fl_addr6 {
	struct fl_ip6 ip;
	uint8_t prefix;                /* on-link prefix length, 0..128 */
	uint8_t role;                  /* enum fl_addr_role */
	uint16_t port;
	uint8_t standby;
};

struct fl_route6 {
	struct fl_ip6 prefix;
	uint8_t len;                   /* 0..128; 0 = the default route */
	uint16_t port;
	struct fl_ip6 gateway;         /* :: = directly connected */
};

/* ---------- services (virtual servers) and real servers ---------- */

#define FL_MAX_SERVICES     1024
#define FL_SVC_TBL_SIZE     4096    /* each family's service hash table in a snapshot: power of two, > 2 * FL_MAX_SERVICES */
#define FL_MAX_SERVICE_IDS  4096    /* service ids are stable, < this */
#define FL_MAX_SERVER_IDS   65536   /* real-server ids are stable, < this */
#define FL_MAX_LIPS         128

/* Forwarding methods: the index into the dataplane's method table
 * (native/fastpath/methods.c), whose entries give their names. */
enum fl_method { FL_FWD_FULLNAT = 0, FL_FWD_DR = 1, FL_FWD_NAT = 2, FL_FWD_TUN = 3, FL_FWD__COUNT };
/* The method's name ("fullnat", "dr", ...), or NULL past the last. */
const char *fl_method_name(unsigned method);
/* Whether the method's TCP streams can be edited (PROXY header, TOA). */
int fl_method_edits_tcp(unsigned method);
/* Whether IPv6 services may use the method (native/fastpath/methods6.c). */
int fl_method_has_ipv6(unsigned method);

/* What a FULLNAT TCP service does to its streams so that real servers learn
 * the client's address (native/tcp/tcpx.h). */
enum fl_tcpx_mode {
	FL_TCPX_NONE = 0,
	FL_TCPX_PROXY_V1,     /* HAProxy PROXY protocol, version 1 (text) */
	FL_TCPX_PROXY_V2,     /* version 2 (binary) */
	FL_TCPX_TOA,          /* TCP option 254 with CIP:cport (DPVS, Alibaba FULLNAT kernels) */
	FL_TCPX__COUNT
};
/* "none", "proxy-v1", "proxy-v2", "toa"; NULL past the last. */
const char *fl_tcpx_mode_name(unsigned mode);

struct fl_server_conf {
	uint32_t id;                   /* stable across snapshots */
	uint32_t ip;                   /* host order; a family-4 service's */
	struct fl_ip6 ip6;             /* a family-6 service's */
	uint16_t port;
	uint8_t method;                /* enum fl_method */
	uint32_t weight;               /* 0 = quiesced: no new sessions */
	uint32_t u_threshold, l_threshold;   /* ipvsadm -x / -y; 0 = none */
};

struct fl_service_conf {
	uint32_t id;                   /* stable across snapshots */
	uint8_t proto;                 /* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t family;                /* 6, or 4 (0 too): which of vip/vip6, ip/ip6 and lips/lips6 hold it */
	uint8_t server_family;         /* 0: the family's; 4 under family 6: NAT64 (servers' ip, lips) */
	uint32_t vip;                  /* host order */
	struct fl_ip6 vip6;
	uint16_t port;
	uint8_t sched;                 /* enum fl_sched_kind (native/sched/sched.h) */
	uint32_t sched_flags;          /* FL_SCHED_F_* */
	uint32_t mh_size;              /* Maglev table size (prime); 0 = 65537 */
	uint8_t expire_nodest;         /* IPVS expire_nodest_conn */
	uint16_t mss_clamp;            /* 0 = off */
	uint8_t tcpx;                  /* enum fl_tcpx_mode; TCP services of seq-adjusting methods */
	uint8_t synproxy;              /* answer SYNs with SYN cookies (native/tcp/synproxy.c) */
	uint32_t persist_timeout_s;    /* ipvsadm -p; 0 = not persistent */
	uint32_t persist_mask;         /* ipvsadm -M, host order */
	uint8_t persist_prefix6;       /* ipvsadm -M of an IPv6 service: a prefix length, 1..128; 0 = 128 */
	unsigned n_servers;
	const struct fl_server_conf *servers;
	unsigned n_lips;
	const uint32_t *lips;          /* host order; each a role=lip address */
	const struct fl_ip6 *lips6;    /* a family-6 service's (n_lips of them) */
};

/* Whether a service's servers and LIPs are IPv6 (ip6, lips6): NAT64 has
 * IPv4 ones under an IPv6 VIP. */
static inline int fl_service_conf_rs6(const struct fl_service_conf *c)
{
	return c->server_family ? c->server_family == 6 : c->family == 6;
}

struct fl_net_conf {
	unsigned n_addrs;
	struct fl_addr addrs[FL_MAX_ADDRS];
	unsigned n_routes;
	struct fl_route routes[FL_MAX_ROUTES];
	unsigned n_addrs6;
	struct fl_addr6 addrs6[FL_MAX_ADDRS];
	unsigned n_routes6;
	struct fl_route6 routes6[FL_MAX_ROUTES];
	unsigned n_services;
	const struct fl_service_conf *services;
	/* ipvsadm --set tcp tcpfin udp, seconds; 0 keeps the IPVS default. */
	uint32_t timeout_tcp, timeout_tcpfin, timeout_udp;
	/* IPVS's net.ipv4.vs.sloppy_tcp: any TCP packet of a flow without a
	 * session may open one, not only a SYN (a flow an ECMP router moved
	 * here from another director). */
	uint8_t sloppy_tcp;
};

/* ---------- lifecycle ---------- */

/* rte_eal_init in this process. argv[0] is a program name. 0 or -1 + err. */
int fl_eal_init(int argc, char **argv, char *err, size_t errlen);
/* The address window for the EAL's memory (native/eal/va_window.c): its
 * size for this many hugepage sizes and NUMA nodes (and for this host), and
 * the lowest free one of that size at or above `from` in a /proc/<pid>/maps
 * listing, GB-aligned; 0 if there is none below 2^47. */
uint64_t fl_va_window_size(unsigned page_sizes, unsigned nodes);
uint64_t fl_va_window_size_here(void);
uint64_t fl_va_window_find(FILE *maps, uint64_t from, uint64_t size);
/* Create mempools, probe/configure ports and twins, launch workers. */
int fl_dp_start(const struct fl_dp_conf *conf, char *err, size_t errlen);
/* Build a new snapshot with this network view and publish it (RCU). Blocks
 * the caller for at most one grace period while the old snapshot drains. */
int fl_net_publish(const struct fl_net_conf *net, char *err, size_t errlen);
/* Stop workers and the service thread, close ports and twins. Idempotent. */
void fl_dp_stop(void);
/* The last DPDK log line containing `needle` (any line if NULL), so errors
 * can say why a driver refused. 0 if found. */
int fl_log_find(const char *needle, char *out, size_t len);
/* A position in the DPDK log, and the first line logged after it that
 * contains none of the `skip` substrings (NULL-terminated list): the line a
 * driver gave for refusing, not the generic lines that follow it. */
long fl_log_mark(void);
int fl_log_since(long mark, const char *const *skip, char *out, size_t len);
/* Release EAL memory (stop the dataplane first: fl_dp_stop); after this no
 * fl_* call is valid. */
void fl_eal_cleanup(void);

/* ---------- introspection ---------- */

struct fl_port_info {
	char name[FL_NAME_LEN];
	char driver[FL_NAME_LEN];
	char twin[FL_NAME_LEN];
	uint16_t port_id, twin_port_id;   /* DPDK port ids; twin = UINT16_MAX if none */
	uint8_t mac[6];
	uint16_t mtu;
	uint16_t n_rxq, n_txq;
	uint8_t rss;                      /* 1 if RSS spreads over the worker queues */
	uint8_t sw_steer;                 /* 1 if client flows are steered in software (no RSS) */
	uint8_t steering;                 /* 0 none (1 worker), 1 software redirect, 2 rte_flow */
	uint8_t link_up;
	uint16_t xsk, xsk_zerocopy;       /* AF_XDP sockets the port opened, and how many of them are zero-copy */
	char fallback_reason[256];        /* why `device` was refused for the fallback; "" if it was not */
	uint8_t rx_intr, twin_rx_intr;    /* its RX queues (its twin's) have interrupts armed for idle sleep */
};
unsigned fl_port_count(void);
int fl_port_info(unsigned idx, struct fl_port_info *out);


/* ---------- counters ---------- */

/* Drop reasons. Names (fl_drop_name) are the API/metrics label values. */
enum fl_drop {
	FL_DROP_MALFORMED = 0,   /* truncated L2/L3/L4, bad IHL, bad total length */
	FL_DROP_BAD_CSUM,        /* IPv4 header checksum wrong */
	FL_DROP_NOT_FOR_US,      /* destination is none of our addresses */
	FL_DROP_NO_ROUTE,        /* no route to the next hop */
	FL_DROP_NO_NEIGH,        /* next hop unresolved (queue full or timed out) */
	FL_DROP_UNSUPPORTED,     /* ethertype/protocol we neither handle nor punt */
	FL_DROP_TTL,             /* TTL expired (ICMP time exceeded sent) */
	FL_DROP_FRAGMENT,        /* fragment we cannot attribute to a session */
	FL_DROP_NO_SERVICE,      /* to a VIP but no service/port matches */
	FL_DROP_NO_SERVER,       /* service has no available real server */
	FL_DROP_SESSION_FULL,    /* session table full: new flow refused */
	FL_DROP_NO_LPORT,        /* FULLNAT local ports exhausted (DPVS sa_miss) */
	FL_DROP_NO_SESSION,      /* packet for a LIP port with no session */
	FL_DROP_REDIRECT_FULL,   /* redirect ring to the owning worker full */
	FL_DROP_KERNEL_FULL,     /* exception path (twin) queue full */
	FL_DROP_NO_TWIN,         /* exception packet but port has no twin */
	FL_DROP_TX_FULL,         /* NIC TX queue refused the burst */
	FL_DROP_NOMEM,           /* mbuf allocation failed */
	FL_DROP_TOO_BIG,         /* TUN: encapsulated packet exceeds the MTU */
	FL_DROP_SYNPROXY,        /* SYN proxy refused it: ACK without a valid cookie, SYN in an answered
				  * handshake, nothing more can be held, an unexpected server reply */
	FL_DROP_STANDBY,         /* to a VIP or LIP this director holds as VRRP backup */
	FL_DROP_BAD_ND,          /* neighbour discovery message RFC 4861 says to discard
				  * (hop limit not 255, bad code, length or options) */
	FL_DROP_UNTRANSLATABLE,  /* NAT64: what RFC 7915 says a translator drops (an IPv4 source
				  * route, an ICMP type with no counterpart, a UDP fragment without
				  * a checksum) */
	FL_DROP__MAX
};
const char *fl_drop_name(unsigned reason);

/* TCP stream edits counted by each worker (native/tcp). */
enum fl_tcpx_event {
	FL_TCPX_EV_PROXY_SENT = 0,   /* PROXY headers sent ahead of a client's stream */
	FL_TCPX_EV_PROXY_RESENT,     /* sent again: the server had not acknowledged it */
	FL_TCPX_EV_TOA_ADDED,        /* TOA options added */
	FL_TCPX_EV_TOA_NO_ROOM,      /* not added: no option space left, or over the MTU */
	FL_TCPX_EV_COOKIE_SENT,      /* SYN proxy: SYN-ACKs with a SYN cookie sent */
	FL_TCPX_EV_COOKIE_VALID,     /* ACKs returning a valid cookie: sessions opened */
	FL_TCPX_EV_COOKIE_INVALID,   /* ACKs with no session and no valid cookie: dropped */
	FL_TCPX_EV_SP_JOINED,        /* the server answered: client and server joined */
	FL_TCPX_EV_SP_REFUSED,       /* the server refused (RST): the client got a RST */
	FL_TCPX_EV_SP_HOLD_FULL,     /* client packets dropped: none more can be held for the server */
	FL_TCPX_EV__MAX
};
const char *fl_tcpx_event_name(unsigned ev);

/* Session sync events counted by each worker (native/sync). */
enum fl_sync_event {
	FL_SYNC_EV_QUEUED = 0,       /* master: sessions handed to the sync thread */
	FL_SYNC_EV_QUEUE_FULL,       /* master: not handed over, the worker's sync ring was full */
	FL_SYNC_EV_INSTALLED,        /* backup: sessions created from a peer's message */
	FL_SYNC_EV_UPDATED,          /* backup: existing sessions refreshed (state, timeout) */
	FL_SYNC_EV_NO_SERVICE,       /* backup: refused, no such service here */
	FL_SYNC_EV_NO_SERVER,        /* backup: refused, the service has no such real server */
	FL_SYNC_EV_METHOD,           /* backup: refused, the server's method differs from the peer's */
	FL_SYNC_EV_LOCAL,            /* backup: refused, the LIP:lport is not ours or already held */
	FL_SYNC_EV_FULL,             /* backup: refused, the session table is full */
	FL_SYNC_EV__MAX
};
const char *fl_sync_event_name(unsigned ev);

struct fl_port_counters {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t to_kernel, from_kernel;          /* exception path */
};

/* One worker's counters (or the service thread's, index n_workers). */
struct fl_worker_counters {
	struct fl_port_counters port[FL_MAX_PORTS];
	uint64_t drops[FL_DROP__MAX];
	uint64_t arp_replies, arp_requests_sent, garp_sent, icmp_echo_replies;
	uint64_t icmp_errors_sent, neigh_queued;
	uint64_t icmp_errors_limited;             /* not sent: over the rate limit */
	uint64_t nd_adverts_sent;                 /* IPv6 neighbour adverts answering a solicitation */
	uint64_t nd_solicits_sent;                /* ... solicitations sent to resolve or refresh a neighbour */
	uint64_t nd_unsolicited_sent;             /* ... unsolicited adverts (start, takeover) */
	uint64_t icmp6_echo_replies;
	uint64_t redirect_out, redirect_in;       /* software steering to the owner */
	uint64_t sessions_created, sessions_expired, sessions_active;
	uint64_t sessions_capacity;
	uint64_t tcpx[FL_TCPX_EV__MAX];           /* TCP stream edits */
	uint64_t sync[FL_SYNC_EV__MAX];           /* session sync */
	uint64_t loops, busy_loops;               /* poll-loop busy ratio */
	uint64_t idle_naps, idle_nap_us;          /* idle back-off: naps taken, microseconds asked */
	uint64_t idle_waits, idle_wakeups;        /* Rx-interrupt sleeps; those a packet or kick ended */
	uint64_t rx_intr;                         /* 1 if the worker sleeps on Rx interrupts (idle.c) */
};

/* Copy a consistent-enough snapshot (each 64-bit counter read once) of every
 * worker's counters into out[0..n_workers-1] and the service thread's into
 * out[n_workers]. Returns the number of entries written. */
unsigned fl_stats_read(struct fl_worker_counters *out, unsigned max);
unsigned fl_worker_count(void);
unsigned fl_worker_lcore(unsigned idx);

/* Per real server (stable id) counters, summed over workers when read. */
struct fl_server_stats {
	uint32_t id;
	uint32_t active, inactive;                /* IPVS ActiveConn / InActConn */
	uint64_t conns, pkts_in, pkts_out, bytes_in, bytes_out;
};
/* One entry per real server of the current snapshot. Returns the count. */
unsigned fl_server_stats_read(struct fl_server_stats *out, unsigned max);

/* FULLNAT local ports: free/capacity of each LIP's slice on each worker. */
struct fl_lip_stats {
	uint8_t family;                           /* 4: ip, 6: ip6 */
	uint32_t ip;                              /* network order */
	struct fl_ip6 ip6;
	uint16_t worker;
	uint32_t free, capacity;
};
unsigned fl_lip_stats_read(struct fl_lip_stats *out, unsigned max);

/* Persistence templates (ipvsadm -p), shared by the workers. */
struct fl_persist_stats {
	uint32_t slots;                           /* table size */
	uint64_t full;                            /* new clients that found no free slot: no persistence */
	uint64_t reclaimed;                       /* expired clients' slots given to new ones */
};
void fl_persist_stats_read(struct fl_persist_stats *out);

/* One live persistence template (network-order client address: the
 * client masked by the service's netmask). */
struct fl_template_info {
	uint32_t service_id, client, server_id;
	uint32_t expires_in_ms;                   /* 0 once only its sessions keep it */
	uint32_t refcnt;                          /* sessions it controls */
};
/* Copy up to `max` live templates from *cursor (0 to start), advancing it;
 * *done is set once the whole table was scanned. Returns the count. */
unsigned fl_templates_read(uint32_t *cursor, struct fl_template_info *out, unsigned max, int *done);

/* ---------- session sync (native/sync: IPVS sync protocol v1) ---------- */

/* What the sync daemons do, as ipvsadm --start-daemon sets them and the
 * IPVS sysctls sync_threshold, sync_period and sync_refresh_period. */
struct fl_sync_conf {
	uint8_t master, backup;        /* which daemons run */
	uint8_t master_syncid, backup_syncid;   /* backup 0: accept any */
	uint32_t threshold, period;    /* sync when pkts % period == threshold (period 0: pkts == threshold) */
	uint32_t refresh_period_s;     /* 0: off; else resync only after this long (IPVS semantics) */
	uint16_t max_len;              /* largest message, bytes (the UDP payload) */
};
/* Control thread: apply a sync configuration (workers see it at once). */
int fl_sync_configure(const struct fl_sync_conf *conf, char *err, size_t errlen);

/* Control thread: drain the workers' sync rings into IPVS v1 messages in
 * buf (cap bytes), one after the other; lens[i] is message i's length.
 * *lag_ms gets the age of the oldest record taken (0 if none). Returns the
 * number of messages. */
unsigned fl_sync_collect(uint8_t *buf, size_t cap, uint16_t *lens, unsigned max_msgs, uint32_t *lag_ms);

/* Control thread: hand a received message's sessions to the workers that
 * own them (its errors are counted, never fatal). Returns the conns handed
 * over, or -1 with the reason (fl_sync_err_name) in *reason. */
int fl_sync_apply(const uint8_t *msg, size_t len, unsigned *reason);

/* The sync thread's own counters (the control side). */
struct fl_sync_stats {
	uint64_t msgs_sent, conns_sent;
	uint64_t msgs_received, conns_received, conns_skipped;   /* skipped: IPv6 conns */
	uint64_t conns_invalid;        /* a TCP state IPVS does not have */
	uint64_t msgs_refused[8];      /* by fl_sync_err (index 0 unused) */
	uint64_t worker_ring_full;     /* received conns a busy worker could not take */
	uint32_t last_lag_ms;
};
void fl_sync_stats_read(struct fl_sync_stats *out);
const char *fl_sync_err_name(unsigned e);

/* One session as listed by the API (network order addresses and ports). */
struct fl_session_info {
	uint8_t family;                           /* 4: caddr..laddr; 6: caddr6..laddr6 */
	uint32_t caddr, vaddr, raddr, laddr;
	struct fl_ip6 caddr6, vaddr6, raddr6, laddr6;
	uint16_t cport, vport, rport, lport;
	uint8_t proto, state, method, worker;
	uint32_t server_id, service_id;
	uint32_t expires_in_ms;
	uint32_t pkts;                            /* both directions */
};
/* Ask worker `worker` to copy up to `max` sessions from *cursor (0 to start):
 * its IPv4 table's, then its IPv6 table's (the cursor runs over both);
 * the worker answers between two bursts, so listing never stalls forwarding.
 * Waits at most timeout_ms. Returns the count (>= 0), *cursor advanced and
 * *done set at the end of the table; -1 on timeout or a bad worker. */
int fl_sessions_read(unsigned worker, uint32_t *cursor, struct fl_session_info *out, unsigned max,
		     int *done, unsigned timeout_ms);

/* fulcrum explain: what the fast path would do with a client's packet now,
 * worked out by the worker that owns the flow, between two bursts, on
 * copies: nothing in the dataplane changes (network order throughout). */
struct fl_explain_query {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto;
};
/* One server of the matched service, as its scheduler sees it now. */
struct fl_explain_dest {
	uint32_t server_id;
	int32_t weight;
	uint32_t flags;                           /* FL_DEST_F_* (sched.h) */
	uint32_t active, inactive;                /* summed over the workers */
};
struct fl_explain_result {
	int8_t owner_known;                       /* 0: the port's RSS picks the worker */
	uint8_t worker;                           /* the worker that answered */
	uint8_t service_found, service_wildcard;  /* wildcard: a port-0 (all ports) service matched */
	uint32_t service_id;
	uint8_t has_session;
	struct fl_session_info session;
	uint8_t has_template;
	uint32_t tpl_server_id, tpl_expires_in_ms, tpl_refs;
	uint8_t sched_kind;
	int32_t sched_last_server_id;             /* rr/wrr: the last pick, -1 none */
	int64_t key_slot;                         /* sh/dh/mh: the key's slot, -1 without a table */
	uint32_t n_slots;
	int32_t slot_server_id;                   /* whose slot that is, -1 empty */
	int32_t pick_server_id;                   /* -1: no server available */
	uint8_t pick_from_template;
	uint8_t method;
	int16_t open_drop;                        /* -1, or the drop reason the method's open would give */
	uint8_t keyed;                            /* the method keys replies (not INPUT_ONLY) */
	uint32_t laddr;                           /* FULLNAT: the LIP and port open would take */
	uint16_t lport;
	uint16_t egress_port;
	uint32_t egress_hop;                      /* the next hop's address */
	uint8_t egress_ok, neigh_ok;
	uint8_t neigh_mac[6];
	uint32_t n_dests;                         /* servers of the service (dests[] holds up to max) */
};
/* Work out `q` on the worker that owns its flow (or, when the port's RSS
 * decides, the worker that holds its session, else worker 0). dests gets up
 * to max_dests servers. 0 on success; -1 (message in err) when the
 * dataplane is not running or a worker did not answer within timeout_ms. */
int fl_explain(const struct fl_explain_query *q, struct fl_explain_result *out, struct fl_explain_dest *dests,
	       unsigned max_dests, unsigned timeout_ms, char *err, size_t errlen);

/* fulcrum replay (dataplane started with no_launch): run one frame received
 * on `port` through the fast path on the calling thread, the ports being
 * rings the caller drains. 0, or -1 with a message. */
int fl_replay_frame(unsigned port, const uint8_t *data, uint16_t len, char *err, size_t errlen);
/* Learn a neighbour up front (a replay has no one to answer ARP); the
 * service thread files it a moment later. */
int fl_replay_neighbour(unsigned port, uint32_t ip_be, const uint8_t mac[6]);

/* The neighbour tables' sizes (ARP, ND; powers of two), and so the most
 * entries fl_neigh_list returns. */
#define FL_NEIGH_SIZE 8192
#define FL_NEIGH6_SIZE 8192
#define FL_NEIGH_LIST_MAX (FL_NEIGH_SIZE + FL_NEIGH6_SIZE)

/* Neighbour table entries (network-order IP), for the API; IPv6
 * neighbours have family 6 and ip6 set. */
struct fl_neigh_view {
	uint8_t family;                /* 4 or 6 */
	struct fl_ip6 ip6;
	uint32_t ip;
	uint16_t port;
	uint8_t mac[6];
	uint8_t valid;
	uint64_t expires_in_ms;
};
unsigned fl_neigh_list(struct fl_neigh_view *out, unsigned max);

/* ---------- test ports (device "ring") ---------- */
/* Copy frames into mbufs and put them on RX queue `queue` of ring port `port`.
 * Returns how many were enqueued. */
int fl_ring_inject(unsigned port, unsigned queue, const uint8_t *const *frames,
		   const uint16_t *lens, unsigned n);
/* Take up to `max` frames the dataplane transmitted on ring port `port` (all
 * TX queues). Each frame is written to out[i] (capacity cap bytes), with
 * lens[i] its length and txq[i] the TX queue (= worker index; the service
 * thread's frames leave through worker 0). Returns the count. */
int fl_ring_drain(unsigned port, uint8_t **out, uint16_t cap, uint16_t *lens,
		  uint16_t *txq, unsigned max);

#ifdef __cplusplus
}
#endif
#endif
