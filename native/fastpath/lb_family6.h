/* The IPv6 family of the LB stage templates (lb_impl.h, session_open_impl.h):
 * 128-byte sessions (session6.h) and the IPv6 method table (method6.h).
 * What IPv6 lacks so far is compiled out, and the config refuses it for
 * IPv6 services: TCP stream edits and SYN proxy (FL_LB_HAS_TCPX), session
 * sync. */
#include <rte_tcp.h>

#include "csum.h"
#include "lb6.h"
#include "method6.h"
#include "../session/persist.h"

#define FL_LB(name) fl_lb6_##name
#define FL_LB_PKT struct fl_lb6_pkt
#define FL_LB_REC struct fl_session6
#define FL_LB_KEY struct fl_flow_key6
#define FL_LB_ST(name) fl_sess6_##name
#define FL_LB_TBL(w) ((w)->sess6)
#define FL_LB_OPS struct fl_method6_ops
#define FL_LB_METHOD(m) fl_method6(m)
#define FL_LB_RELEASE_KEY fl_method6_release_key
#define FL_LB_IPHDR struct rte_ipv6_hdr
#define FL_LB_HOPS(ip) ((ip)->hop_limits)
#define FL_LB_IP_LEN(ip) (40u + rte_be_to_cpu_16((ip)->payload_len))
#define FL_LB_SVC_LOOKUP(s, k) fl_svc6_lookup(s, &(k)->daddr, (k)->dport, (k)->proto)
#define FL_LB_FOLD(a) fl_ip6_fold(&(a))
#define FL_LB_RS_ADDR(rs) ((rs)->ip6)
#define FL_LB_SYNC_NOTE(w, s, se, before) ((void)(before))
#define FL_LB_TIME_EXCEEDED(w, s, p) fl_icmp6_error(w, s, (p)->rx_port, (p)->m, 3 /* time exceeded */, 0, 0)
#define FL_LB_PORT_UNREACHABLE(w, s, p) \
	fl_icmp6_error(w, s, (p)->rx_port, (p)->m, 1 /* destination unreachable */, 4 /* port unreachable */, 0)
#define FL_LB_HAS_TCPX 0
#define FL_LB_LIP_MISS(w, s, p) fl_drop_pkt(w, (p)->m, FL_DROP_NO_SESSION)
/* Templates keyed by a digest of the client's prefix (persist.h). */
#define FL_LB_TPL_SVC(svc) ((svc)->id | FL_TPL_SVC_IPV6)
#define FL_LB_TPL_CLIENT(svc, k) fl_tpl_client6((k)->saddr.b, (svc)->persist_prefix6)
