/* The IPv4 family of the LB stage templates (lb_impl.h, session_open_impl.h):
 * 64-byte sessions, the method table of method.h, and everything IPv4 has
 * that IPv6 does not have yet (TCP stream edits, SYN proxy, session sync). */
#include <rte_tcp.h>

#include "csum.h"
#include "lb.h"
#include "method.h"
#include "nat64.h"
#include "../session/persist.h"
#include "../sync/sync.h"
#include "../tcp/tcpx.h"

#define FL_LB(name) fl_lb_##name
#define FL_LB_PKT struct fl_lb_pkt
#define FL_LB_REC struct fl_session
#define FL_LB_KEY struct fl_flow_key
#define FL_LB_ST(name) fl_sess_##name
#define FL_LB_TBL(w) ((w)->sess)
#define FL_LB_OPS struct fl_method_ops
#define FL_LB_METHOD(m) fl_method(m)
#define FL_LB_RELEASE_KEY fl_method_release_key
#define FL_LB_IPHDR struct rte_ipv4_hdr
#define FL_LB_HOPS(ip) ((ip)->time_to_live)
#define FL_LB_IP_LEN(ip) ((unsigned)rte_be_to_cpu_16((ip)->total_length))
#define FL_LB_SVC_LOOKUP(s, k) fl_svc_lookup(s, (k)->daddr, (k)->dport, (k)->proto)
#define FL_LB_FOLD(a) (a)
#define FL_LB_RS_ADDR(rs) ((rs)->ip)
#define FL_LB_SYNC_NOTE(w, s, se, before) fl_sync_note(w, s, se, before)
#define FL_LB_TIME_EXCEEDED(w, s, p) fl_icmp_error(w, s, (p)->rx_port, (p)->m, 11 /* time exceeded */, 0, 0)
#define FL_LB_PORT_UNREACHABLE(w, s, p) \
	fl_icmp_error(w, s, (p)->rx_port, (p)->m, 3 /* destination unreachable */, 3 /* port unreachable */, 0)
#define FL_LB_HAS_TCPX 1
/* A LIP port no IPv4 session holds may be a NAT64 session's (nat64.h). */
#define FL_LB_LIP_MISS(w, s, p) \
	((s)->nat64 ? fl_nat64_reply(w, s, p) : fl_drop_pkt(w, (p)->m, FL_DROP_NO_SESSION))
#define FL_LB_TPL_SVC(svc) ((svc)->id)
#define FL_LB_TPL_CLIENT(svc, k) ((k)->saddr & (svc)->persist_mask)
