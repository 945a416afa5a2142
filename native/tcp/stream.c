/* The TCP stream edits of one packet of a FL_SESS_F_TCPX session, between
 * the LB stage (lb.c: state and counts done) and the session's method.
 *
 * PROXY header. It goes to the server as a segment of its own at c_isn1,
 * made by the director from the client's packet that completes the
 * handshake, so the server has it without waiting for client data (a
 * server-speaks-first protocol works); from then on the client's bytes
 * shift by its length. Until the server has acknowledged all of it, every
 * client segment at c_isn1 (the handshake ACK again, after a retransmitted
 * SYN-ACK; the client's first data segment, sent or retransmitted) is
 * preceded by the header again: a lost header is recovered by the client's
 * and the server's own retransmissions, and the director keeps no timer. A
 * separate segment also keeps the client's full-sized first segment within
 * the MTU.
 *
 * SYN proxy (synproxy.c): until the server answers, the client's packets
 * are held there; once joined, timestamps and windows are mapped too.
 *
 * TOA. Added to the client's SYN and to each packet that acknowledges no
 * more than the server's SYN, as DPVS does: the real server's module reads
 * it from the ACK that completes the handshake. No room (40 bytes of options
 * used, or the MTU reached): the packet goes on without it, counted. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "tcpx.h"
#include "tcp_opt.h"
#include "../fastpath/csum.h"
#include "../fastpath/lb.h"

static const char *const tcpx_mode_names[FL_TCPX__COUNT] = {
	[FL_TCPX_NONE] = "none",
	[FL_TCPX_PROXY_V1] = "proxy-v1",
	[FL_TCPX_PROXY_V2] = "proxy-v2",
	[FL_TCPX_TOA] = "toa",
};

const char *fl_tcpx_mode_name(unsigned mode)
{
	return mode < FL_TCPX__COUNT ? tcpx_mode_names[mode] : NULL;
}

struct fl_tcpx *fl_tcpx_open(struct fl_sess_table *t, struct fl_session *se, uint8_t mode, uint32_t c_isn1)
{
	struct fl_tcpx *x = fl_tcpx_of(t, se);
	uint8_t hdr[FL_PROXY_HDR_MAX];
	memset(x, 0, sizeof(*x));
	x->mode = mode;
	x->c_isn1 = c_isn1;
	x->c_delta = (uint16_t)fl_proxy_header(mode, se->caddr, se->cport, se->vaddr, se->vport, hdr);
	se->flags |= FL_SESS_F_TCPX;
	return x;
}

uint32_t fl_tcpx_quoted_seq(const struct fl_sess_table *t, const struct fl_session *se, uint8_t dir, uint32_t seq)
{
	const struct fl_tcpx *x = fl_tcpx_of(t, se);
	/* From the client's side: the server's bytes, in client numbers; from
	 * the server's side: the client's bytes, in server numbers. */
	return dir == FL_DIR_IN ? seq - (uint32_t)x->s_delta : fl_seqadj_ack_s2c(x, seq);
}

void fl_tcpx_release(struct fl_worker *w, struct fl_session *se)
{
	if (fl_tcpx_of(w->sess, se)->flags & FL_TCPX_F_SYNPROXY)
		fl_synproxy_release(w, se);
}

/* Insert the TOA option after th's options: the headers in front of it move
 * 8 bytes into the headroom. */
static void add_toa(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, const struct fl_session *se)
{
	struct rte_mbuf *m = p->m;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)p->l4;
	unsigned thl = (th->data_off >> 4) * 4u;
	uint16_t tot = rte_be_to_cpu_16(p->ip->total_length);
	if (thl + FL_TOA_LEN > 60 || (unsigned)tot + FL_TOA_LEN > s->min_mtu || m->nb_segs != 1 ||
	    rte_pktmbuf_headroom(m) < FL_TOA_LEN) {
		w->ctr->tcpx[FL_TCPX_EV_TOA_NO_ROOM]++;
		return;
	}
	uint8_t *start = rte_pktmbuf_mtod(m, uint8_t *);
	size_t front = (size_t)(p->l4 - start) + thl;
	uint8_t *nstart = (uint8_t *)rte_pktmbuf_prepend(m, FL_TOA_LEN);
	memmove(nstart, start, front);
	p->ip = (struct rte_ipv4_hdr *)((uint8_t *)p->ip - FL_TOA_LEN);
	p->l4 -= FL_TOA_LEN;
	th = (struct rte_tcp_hdr *)p->l4;

	uint8_t opt[FL_TOA_LEN];
	fl_toa_option(se->caddr, se->cport, opt);
	memcpy(p->l4 + thl, opt, FL_TOA_LEN);
	uint32_t o1, o2;
	memcpy(&o1, opt, 4);
	memcpy(&o2, opt + 4, 4);

	uint16_t old_len = rte_cpu_to_be_16((uint16_t)(tot - (p->l4 - (uint8_t *)p->ip))), new_len;
	uint16_t old_tot = p->ip->total_length;
	p->ip->total_length = rte_cpu_to_be_16((uint16_t)(tot + FL_TOA_LEN));
	p->ip->hdr_checksum = cs_replace2(p->ip->hdr_checksum, old_tot, p->ip->total_length);
	new_len = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(old_len) + FL_TOA_LEN));
	uint16_t old_off, new_off;
	memcpy(&old_off, &th->data_off, 2);   /* data offset and flags: one checksum word */
	th->data_off = (uint8_t)(th->data_off + ((FL_TOA_LEN / 4) << 4));
	memcpy(&new_off, &th->data_off, 2);
	/* The pseudo-header's TCP length, the offset word and the new words. */
	th->cksum = cs_apply(th->cksum, cs_diff2(old_len, new_len) + cs_diff2(old_off, new_off) + cs_diff4(0, o1) +
					    cs_diff4(0, o2));
	w->ctr->tcpx[FL_TCPX_EV_TOA_ADDED]++;
}

/* Timestamps. The client's TSval goes out on the director's clock
 * (TS_OWN: + c_ts_off), and the server's echo of it comes back (- c_ts_off);
 * behind a SYN proxy the server's TSval comes in on the clock of the
 * director's SYN-ACK (+ ts_delta) and the client's echo of it goes back. */
#define TS_MAPPED (FL_TCPX_F_TS_OWN | FL_TCPX_F_SP_TS)

static uint32_t ts_c2s(const struct fl_tcpx *x, struct rte_tcp_hdr *th)
{
	uint8_t *ts;
	if (!(x->flags & TS_MAPPED) || !(ts = fl_tcp_opt_find(th, TCPOPT_TS, 10)))
		return 0;
	uint32_t diff = 0;
	if (x->flags & FL_TCPX_F_TS_OWN)
		diff += fl_tcp_replace4(th, ts + 2, rte_cpu_to_be_32(fl_tcp_get32(ts + 2) + x->c_ts_off));
	if (x->flags & FL_TCPX_F_SP_TS)
		diff += fl_tcp_replace4(th, ts + 6, rte_cpu_to_be_32(fl_tcp_get32(ts + 6) - x->ts_delta));
	return diff;
}

static uint32_t ts_s2c(const struct fl_tcpx *x, struct rte_tcp_hdr *th)
{
	uint8_t *ts;
	if (!(x->flags & TS_MAPPED) || !(ts = fl_tcp_opt_find(th, TCPOPT_TS, 10)))
		return 0;
	uint32_t diff = 0;
	if (x->flags & FL_TCPX_F_SP_TS)
		diff += fl_tcp_replace4(th, ts + 2, rte_cpu_to_be_32(fl_tcp_get32(ts + 2) + x->ts_delta));
	if ((x->flags & FL_TCPX_F_TS_OWN) && fl_tcp_get32(ts + 6))
		diff += fl_tcp_replace4(th, ts + 6, rte_cpu_to_be_32(fl_tcp_get32(ts + 6) - x->c_ts_off));
	return diff;
}

bool fl_tcpx_client_tsval(const struct rte_tcp_hdr *th, uint32_t *tsval)
{
	const uint8_t *ts = fl_tcp_opt_find((struct rte_tcp_hdr *)(uintptr_t)th, TCPOPT_TS, 10);
	if (ts)
		*tsval = fl_tcp_get32(ts + 2);
	return ts != NULL;
}

void fl_tcpx_own_timestamps(struct fl_tcpx *x, uint32_t tsval, uint32_t now_ms)
{
	x->c_ts_off = now_ms - tsval;
	x->flags |= FL_TCPX_F_TS_OWN;
}

/* A client segment in the server's numbers: seq shifted by seq_delta, acks,
 * SACK edges and (behind a SYN proxy) timestamps and windows mapped. */
static uint32_t map_c2s(const struct fl_tcpx *x, struct rte_tcp_hdr *th, uint32_t seq_delta)
{
	uint32_t diff = fl_seqadj_c2s(x, th, seq_delta);
	if (x->flags & FL_TCPX_F_SYNPROXY)
		diff += fl_synproxy_opts_c2s(x, th);
	return diff + ts_c2s(x, th);
}

/* The PROXY header as a segment of its own ahead of the client's packet p
 * (which is at c_isn1): p's headers with the header as payload, flags
 * ACK|PSH, seq c_isn1, and ack mapped as p's is. Sent on by the method. */
static void send_header(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_lb_pkt *p,
			const struct fl_session *se, struct fl_tcpx *x)
{
	uint8_t hdr[FL_PROXY_HDR_MAX];
	unsigned hlen = fl_proxy_header(x->mode, se->caddr, se->cport, se->vaddr, se->vport, hdr);
	const struct rte_tcp_hdr *oth = (const struct rte_tcp_hdr *)p->l4;
	unsigned thl = (oth->data_off >> 4) * 4u;
	size_t front = (size_t)(p->l4 - rte_pktmbuf_mtod(p->m, uint8_t *)) + thl;
	struct rte_mbuf *hm = rte_pktmbuf_alloc(fl_pool_for_socket((int)rte_socket_id()));
	uint8_t *d = hm ? (uint8_t *)rte_pktmbuf_append(hm, (uint16_t)(front + hlen)) : NULL;
	if (!d) {
		/* The client's segment goes on; its retransmission or the
		 * server's brings the header again. */
		if (hm)
			rte_pktmbuf_free(hm);
		fl_drop(w->ctr, FL_DROP_NOMEM);
		return;
	}
	memcpy(d, rte_pktmbuf_mtod(p->m, uint8_t *), front);
	memcpy(d + front, hdr, hlen);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + ((uint8_t *)p->ip - rte_pktmbuf_mtod(p->m, uint8_t *)));
	uint8_t *l4 = d + (p->l4 - rte_pktmbuf_mtod(p->m, uint8_t *));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(l4 - (uint8_t *)ip + thl + hlen));
	ip_set_csum(ip);
	th->sent_seq = rte_cpu_to_be_32(x->c_isn1);
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	map_c2s(x, th, 0);
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	w->ctr->tcpx[(x->flags & FL_TCPX_F_HDR_SENT) ? FL_TCPX_EV_PROXY_RESENT : FL_TCPX_EV_PROXY_SENT]++;
	x->flags |= FL_TCPX_F_HDR_SENT;
	fl_lb_xmit(w, s, hm, ip, l4, IPPROTO_TCP, se, FL_DIR_IN, p->rx_port);
}

bool fl_tcpx_edit(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		  uint8_t dir)
{
	struct fl_tcpx *x = fl_tcpx_of(w->sess, se);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)p->l4;
	if (unlikely(x->flags & FL_TCPX_F_SP_WAIT))
		return dir == FL_DIR_IN ? fl_synproxy_c2s(w, s, p, se, x) : fl_synproxy_s2c(w, s, p, se, x);
	const bool sp = x->flags & FL_TCPX_F_SYNPROXY;
	if (dir == FL_DIR_OUT) {
		uint32_t diff = fl_seqadj_s2c(x, th) + ts_s2c(x, th);
		if (sp)
			diff += fl_synproxy_opts_s2c(x, th);
		th->cksum = cs_apply(th->cksum, diff);
		return true;
	}
	uint8_t fl = th->tcp_flags;
	if (fl & RTE_TCP_SYN_FLAG) {
		if (sp) {
			/* The server's side was opened by the director's SYN. */
			fl_drop_pkt(w, p->m, FL_DROP_SYNPROXY);
			return false;
		}
		if (x->mode == FL_TCPX_TOA && !(fl & RTE_TCP_ACK_FLAG))
			add_toa(w, s, p, se);
		th = (struct rte_tcp_hdr *)p->l4;
		uint32_t diff = ts_c2s(x, th);
		if (diff)
			th->cksum = cs_apply(th->cksum, diff);
		return true;
	}
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t delta = x->c_delta;
	if (delta && !(x->flags & FL_TCPX_F_HDR_ACKED)) {
		if (fl & RTE_TCP_RST_FLAG) {
			/* Before the header went out the server expects c_isn1. */
			if (!(x->flags & FL_TCPX_F_HDR_SENT))
				delta = 0;
		} else if (seq == x->c_isn1 && (fl & RTE_TCP_ACK_FLAG) && (x->flags & FL_TCPX_F_SYNACK)) {
			send_header(w, s, p, se, x);
		}
	}
	if (x->mode == FL_TCPX_TOA && (fl & RTE_TCP_ACK_FLAG) && !(fl & RTE_TCP_RST_FLAG) &&
	    (x->flags & FL_TCPX_F_SYNACK) && rte_be_to_cpu_32(th->recv_ack) == x->s_isn1 + (uint32_t)x->s_delta) {
		add_toa(w, s, p, se);
		th = (struct rte_tcp_hdr *)p->l4;
	}
	uint32_t diff = map_c2s(x, th, delta);
	if (diff)
		th->cksum = cs_apply(th->cksum, diff);
	return true;
}
