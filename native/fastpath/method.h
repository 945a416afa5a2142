/*
 * Forwarding methods behind one table, as DPVS binds conn->packet_xmit once
 * per connection and VPP's lb has one node per encapsulation: a session's
 * one-byte `method` (enum fl_method) is the index into fl_methods[], and no
 * pointer is added to the 64-byte record.
 *
 * Adding a method: one file that fills a `const struct fl_method_ops`, one
 * entry in methods.c, and its enum fl_method value in fulcrum.h. The control
 * plane learns its name from the addon (fl_method_name).
 */
#ifndef FL_METHOD_H
#define FL_METHOD_H

#include <rte_ip.h>

#include "dp.h"
#include "lport.h"
#include "../session/session.h"

/* Replies bypass the director (IPVS INPUT_ONLY): no outbound key, and the
 * session keeps VIP:vport toward the real server. */
#define FL_METHOD_F_INPUT_ONLY      0x01u
/* Routes the packet, so it decrements the TTL (FULLNAT, NAT); the others
 * pass it on untouched, as IPVS does. */
#define FL_METHOD_F_REWRITES        0x02u
/* Replies are addressed to the client, not to one of ours: they arrive as
 * transit traffic, and only CIP:cport names their worker (NAT). */
#define FL_METHOD_F_TRANSIT_REPLIES 0x04u
/* Both directions pass the director and it owns the server side's TCP
 * connection (FULLNAT): the stream may be edited with sequence adjustment
 * (native/tcp: PROXY header, TOA). */
#define FL_METHOD_F_SEQ_ADJUST      0x08u

struct fl_sync_conn;

/* An ICMP error about a session: the quoted packet's tuple and the error's
 * own addresses, as the method rewrites them (network order). */
struct fl_icmp_xlat {
	uint32_t isrc, idst;
	uint16_t isport, idport;
	uint32_t osrc, odst;
};

/* Send a packet of session se on: from the client (xmit_in) or from the real
 * server (xmit_out). l4 is NULL for an ICMP error passed on as it is. */
typedef void (*fl_method_xmit_fn)(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m,
				  struct rte_ipv4_hdr *ip, uint8_t *l4, uint8_t proto, const struct fl_session *se,
				  unsigned rx_port);
typedef void (*fl_method_icmp_fn)(const struct fl_session *se, struct fl_icmp_xlat *x);

struct fl_method_ops {
	const char *name;            /* config/API name: "fullnat", "dr", "nat", "tun" */
	uint8_t flags;               /* FL_METHOD_F_* */
	uint8_t sync_fwd;            /* its forwarding code in IPVS sync messages (FL_IPVS_F_*, sync_proto.h) */
	/* A new session of flow `in` toward real server rs (rport_be: the
	 * port to use there): set *out, the key the replies will match, taking
	 * what the method needs (a LIP port). Returns 1 with *out set, 0 for
	 * INPUT_ONLY (no outbound key), or -1 with the drop reason in *why. */
	int (*open)(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
		    const struct fl_snap_server *rs, const struct fl_flow_key *in, uint16_t rport_be,
		    struct fl_flow_key *out, enum fl_drop *why);
	/* What open would set *out to, taking nothing (fulcrum explain). NULL:
	 * open itself takes nothing, so explain may call it. */
	int (*peek)(const struct fl_worker *w, const struct fl_snapshot *s, const struct fl_snap_service *svc,
		    const struct fl_snap_server *rs, const struct fl_flow_key *in, uint16_t rport_be,
		    struct fl_flow_key *out, enum fl_drop *why);
	fl_method_xmit_fn xmit_in;
	fl_method_xmit_fn xmit_out;  /* NULL for INPUT_ONLY */
	/* ICMP errors about a session, from the client's side (icmp_in) and
	 * the server's (icmp_out): how the quoted tuple and the error's
	 * addresses change. NULL: the error goes on to the real server as a
	 * packet of the session (xmit_in), untouched. */
	fl_method_icmp_fn icmp_in;
	fl_method_icmp_fn icmp_out;
	/* Give back what open took; NULL: nothing. Also called with a record
	 * that holds only the outbound key, when the session could not be
	 * added after open. */
	void (*release)(struct fl_worker *w, const struct fl_session *se);
	/* Session sync (native/sync). A method whose outbound key is its own
	 * (FULLNAT's LIP:lport) says so in what it sends (sync_local: *laddr,
	 * *lport_be from the session) and takes what a received one holds
	 * (adopt: 1 with *out set, or -1 when it cannot: not its LIP, the port
	 * taken). NULL: the outbound key follows from the flow (open, which
	 * then must take nothing). */
	void (*sync_local)(const struct fl_session *se, uint32_t *laddr, uint16_t *lport_be);
	int (*adopt)(struct fl_worker *w, const struct fl_sync_conn *c, const struct fl_snap_server *rs,
		     struct fl_flow_key *out);
};

extern const struct fl_method_ops *const fl_methods[FL_FWD__COUNT];

static inline const struct fl_method_ops *fl_method(unsigned m)
{
	return fl_methods[m];
}

/* Give back what method m's open (or adopt) took for outbound key *out when
 * no session came of it: release with a record holding that key alone. */
static inline void fl_method_release_key(struct fl_worker *w, uint8_t m, const struct fl_flow_key *out)
{
	const struct fl_method_ops *mo = fl_method(m);
	if (!mo->release)
		return;
	struct fl_session tmp = { .raddr = out->saddr, .laddr = out->daddr, .rport = out->sport, .lport = out->dport,
				  .method = m };
	mo->release(w, &tmp);
}

/* FULLNAT's open in every family (fullnat.c, fullnat6.c, nat64.c): a LIP
 * port of this worker's slice, taking the service's LIPs in turn. The LIP's
 * registry slot, or -1 with *why set when no port is left. */
static inline int fl_fullnat_lip_take(struct fl_worker *w, const struct fl_snapshot *s,
				      const struct fl_snap_service *svc, uint16_t *lport_be, enum fl_drop *why)
{
	uint16_t lport;
	int slot = fl_lip_take(&s->lip_slots[svc->first_lip], svc->n_lips, &w->sched[svc->id].lip_rr, w->idx, &lport);
	if (slot < 0)
		*why = FL_DROP_NO_LPORT;
	else
		*lport_be = rte_cpu_to_be_16(lport);
	return slot;
}

#endif
