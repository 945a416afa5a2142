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

/* Per-session state, in the record's extension (FL_SESS_EXT_BYTES). */
struct fl_tcpx {
	uint32_t c_isn1;      /* client space: the client's first data byte */
	uint32_t s_isn1;      /* server space: the server's first data byte */
	int32_t s_delta;      /* client-space seq = server-space seq + s_delta */
	uint16_t c_delta;     /* bytes inserted at c_isn1 (PROXY header length) */
	uint8_t mode;         /* enum fl_tcpx_mode */
	uint8_t flags;        /* FL_TCPX_F_* */
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
/* A new session of a service with a tcpx mode, from the client's SYN. */
void fl_tcpx_open(struct fl_sess_table *t, struct fl_session *se, uint8_t mode, const struct rte_tcp_hdr *syn);
/* Edit packet p of session se (FL_SESS_F_TCPX) in direction dir before its
 * method sends it; p->ip and p->l4 may move (an option inserted). A PROXY
 * header segment may go out first, through the method. */
void fl_tcpx_edit(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, const struct fl_session *se,
		  uint8_t dir);

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
