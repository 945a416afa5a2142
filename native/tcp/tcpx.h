/*
 * TCP stream edits: what a director changes inside a FULLNAT TCP stream so
 * that real servers learn the client's address (a PROXY protocol header
 * ahead of the client's bytes, or DPVS's TOA option), built on one
 * mechanism, per-session sequence adjustment, that a SYN proxy can use too.
 *
 * A method opts in with FL_METHOD_F_SEQ_ADJUST; a service asks for one edit
 * (its tcpx mode). Sessions that use it carry FL_SESS_F_TCPX and keep a
 * struct fl_tcpx in their record's extension (fl_sess_ext); every other
 * session pays one flag test on a line it has already loaded.
 *
 * Sequence spaces. The client numbers its bytes from c_isn1 (its ISN + 1);
 * the server sees c_delta more bytes (the PROXY header, placed at c_isn1), so
 * client byte x is server byte x + c_delta. The server numbers its bytes
 * from s_isn1; the client sees them shifted by s_delta (0 unless a SYN proxy
 * answered the handshake with its own ISN). Sequence numbers, acks and SACK
 * edges are mapped between the spaces; checksums are updated incrementally.
 */
#ifndef FL_TCPX_H
#define FL_TCPX_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "fulcrum.h"
#include "../session/session.h"

/* fl_tcpx.flags */
#define FL_TCPX_F_SYNACK   0x01   /* the server's SYN-ACK was seen: s_isn1 is valid */
#define FL_TCPX_F_HDR_SENT 0x02   /* the PROXY header went out at least once */
#define FL_TCPX_F_HDR_ACKED 0x04  /* the server acknowledged all of it */
#define FL_TCPX_F_SYNPROXY 0x08   /* opened by a SYN cookie: the director answered the handshake */
#define FL_TCPX_F_SP_WAIT  0x10   /* SYN sent to the server, its SYN-ACK not seen yet */
#define FL_TCPX_F_SP_TS    0x20   /* the client and the director agreed on timestamps */
#define FL_TCPX_F_SP_SACK  0x40   /* ... and on SACK */
#define FL_TCPX_F_TS_OWN   0x80   /* the client's TSvals go out on the director's clock (c_ts_off) */

/* Window scale "none" (as Linux's cookie encoding). */
#define FL_WSCALE_NONE 0x0f

/* Per-session state, in the record's extension (FL_SESS_EXT_BYTES). */
struct fl_tcpx {
	uint32_t c_isn1;      /* client space: the client's first data byte */
	uint32_t s_isn1;      /* server space: the server's first data byte */
	int32_t s_delta;      /* client-space seq = server-space seq + s_delta */
	uint16_t c_delta;     /* bytes inserted at c_isn1 (PROXY header length) */
	uint8_t mode;         /* enum fl_tcpx_mode */
	uint8_t flags;        /* FL_TCPX_F_* */
	/* SYN proxy (synproxy.c) */
	uint32_t d_isn1;      /* the director's ISN + 1, as the client acknowledges it */
	/* client-space TSval = server TSval + ts_delta; until the server's
	 * SYN-ACK, the TSval of the director's own SYN-ACK */
	uint32_t ts_delta;
	uint8_t mssind;       /* from the cookie: the client's MSS, as an index of Linux's table */
	uint8_t held;         /* client packets held until the server answers */
	uint8_t c_wscale;     /* the client's window scale, FL_WSCALE_NONE: none */
	uint8_t s_wscale;     /* the server's, from its SYN-ACK */
	/* Server-space TSval = client TSval + c_ts_off (FL_TCPX_F_TS_OWN):
	 * the director's wall-clock milliseconds at the SYN, so that a LIP:lport
	 * pair reused while a server holds it in TIME_WAIT (after a restart, or
	 * once a LIP's ports cycle within 60 s) always brings a newer TSval and
	 * passes PAWS, whatever random offset the client's kernel chose. */
	uint32_t c_ts_off;
};
_Static_assert(sizeof(struct fl_tcpx) <= FL_SESS_EXT_BYTES, "tcpx state must fit the session extension");

static inline struct fl_tcpx *fl_tcpx_of(const struct fl_sess_table *t, const struct fl_session *se)
{
	return (struct fl_tcpx *)fl_sess_ext(t, se);
}

/* Serial-number arithmetic (RFC 1982) on 32-bit sequence numbers. */
static inline bool fl_seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ---- per packet (stream.c) ---- */
struct fl_worker;
struct fl_snapshot;
struct fl_lb_pkt;
/* A new session of a service with a tcpx mode or a SYN proxy; c_isn1: the
 * client's first data byte (its SYN's seq + 1). */
struct fl_tcpx *fl_tcpx_open(struct fl_sess_table *t, struct fl_session *se, uint8_t mode, uint32_t c_isn1);
/* Edit packet p of session se (FL_SESS_F_TCPX) in direction dir before its
 * method sends it; p->ip and p->l4 may move (an option inserted). A PROXY
 * header segment may go out first, through the method. false: the packet
 * was consumed (held, answered or dropped by the SYN proxy). */
bool fl_tcpx_edit(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		  uint8_t dir);
/* The TCP flags IPVS's state machine should see for p: a SYN proxy's
 * session is opened by the client's ACK but is, for the server, a SYN. */
static inline uint8_t fl_tcpx_state_flags(const struct fl_sess_table *t, const struct fl_session *se, uint8_t dir,
					  uint8_t tcp_flags)
{
	const struct fl_tcpx *x = fl_tcpx_of(t, se);
	if (!(x->flags & FL_TCPX_F_SP_WAIT))
		return tcp_flags;
	if (dir == FL_DIR_IN)
		return RTE_TCP_SYN_FLAG;   /* still SYN_RECV for the server */
	/* The server's SYN-ACK: for the client the connection is established. */
	return (tcp_flags & RTE_TCP_RST_FLAG) ? tcp_flags : RTE_TCP_ACK_FLAG;
}
/* The TSval of a client's SYN (or cookie ACK) th, if it sends timestamps
 * (a client that does not has none for the director to own). */
bool fl_tcpx_client_tsval(const struct rte_tcp_hdr *th, uint32_t *tsval);
/* Take over the client's timestamps (dataplane ts_rewrite): the one of
 * tsval, and the later ones, reach the server from now_ms on, the
 * director's wall clock. */
void fl_tcpx_own_timestamps(struct fl_tcpx *x, uint32_t tsval, uint32_t now_ms);
/* The seq of a TCP header quoted by an ICMP error about session se: the
 * packet the director sent, in the numbers of the side the error goes to
 * (dir: the direction the error matched in), so its TCP accepts it. */
uint32_t fl_tcpx_quoted_seq(const struct fl_sess_table *t, const struct fl_session *se, uint8_t dir, uint32_t seq);
/* The session ends: what it holds goes (SYN proxy's held packets). */
void fl_tcpx_release(struct fl_worker *w, struct fl_session *se);

/* ---- SYN proxy (synproxy.c) ---- */
/* A SYN to a SYN-proxy service: answered with a SYN cookie; consumed. */
void fl_synproxy_syn(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p);
/* What a valid cookie ACK tells about the client's SYN. */
struct fl_sp_cookie {
	uint16_t mss;
	uint8_t wscale;       /* FL_WSCALE_NONE: none */
	uint8_t sack, ts;
	uint32_t tsecr;       /* the director's TSval the client echoes */
};
/* Whether the ACK p (no session) carries a valid cookie; fills *c. */
bool fl_synproxy_check(struct fl_worker *w, const struct fl_lb_pkt *p, struct fl_sp_cookie *c);
/* The session the valid cookie ACK opened: remember the handshake. */
void fl_synproxy_open(struct fl_tcpx *x, const struct rte_tcp_hdr *ack, const struct fl_sp_cookie *c);
/* Per-packet steps of a SYN proxy session (stream.c calls them). */
bool fl_synproxy_c2s(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		     struct fl_tcpx *x);
bool fl_synproxy_s2c(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		     struct fl_tcpx *x);
/* Windows of an established SYN proxy session (timestamps: stream.c). */
uint32_t fl_synproxy_opts_c2s(const struct fl_tcpx *x, struct rte_tcp_hdr *th);
uint32_t fl_synproxy_opts_s2c(const struct fl_tcpx *x, struct rte_tcp_hdr *th);
void fl_synproxy_release(struct fl_worker *w, struct fl_session *se);
/* Linux's syncookie arithmetic (syncookie.c). */
unsigned fl_syncookie_mssind(uint16_t mss);   /* the largest table MSS <= mss (index 0 below) */
uint16_t fl_syncookie_mss(unsigned mssind);
uint32_t fl_syncookie_make(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t isn,
			   uint32_t mssind, uint32_t minute);
int fl_syncookie_check(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t isn,
		       uint32_t cookie, uint32_t minute);
void fl_syncookie_set_secret(uint64_t k0, uint64_t k1);

/* ---- sequence adjustment (seqadj.c): pure edits of one TCP header ----
 * tcp_len: bytes of TCP header and payload present. Both return the
 * checksum difference to apply (cs_apply) and never read past the header. */
uint32_t fl_seqadj_c2s(const struct fl_tcpx *x, struct rte_tcp_hdr *th, uint32_t seq_delta);
uint32_t fl_seqadj_s2c(struct fl_tcpx *x, struct rte_tcp_hdr *th);
/* A server-space ack as the client must see it. */
uint32_t fl_seqadj_ack_s2c(const struct fl_tcpx *x, uint32_t ack);

/* ---- the PROXY protocol header (proxy_header.c) ----
 * Written to buf (FL_PROXY_HDR_MAX bytes) for a TCP over IPv4 connection
 * from cip:cport to vip:vport (network order). Returns its length, or 0 for
 * a mode that has no header. */
#define FL_PROXY_HDR_MAX 108   /* the v1 maximum, "PROXY UNKNOWN ...\r\n" included */
unsigned fl_proxy_header(uint8_t mode, uint32_t cip, uint16_t cport, uint32_t vip, uint16_t vport, uint8_t *buf);

/* ---- TOA (toa.c) ----
 * The option's 8 bytes: kind 254, length 8, the client's port and address
 * (network order), as DPVS's struct tcpopt_ip4_addr. */
#define FL_TOA_KIND 254
#define FL_TOA_LEN  8
void fl_toa_option(uint32_t cip, uint16_t cport, uint8_t out[FL_TOA_LEN]);

#endif
