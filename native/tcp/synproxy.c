/* SYN proxy (DPVS's synproxy, Linux's SYN cookies): the director answers a
 * SYN-proxy service's SYNs itself, with a SYN cookie as its ISN, and keeps
 * no state. Only the client's ACK that returns a valid cookie opens a
 * session; then the director opens the server's connection with a SYN of
 * its own (the options the cookie kept), holds the client's packets until
 * the server's SYN-ACK, and joins the two connections with a sequence delta
 * (s_delta) and a timestamp delta. A server that refuses gets the client a
 * RST. A flood of SYNs from forged sources costs one reply each and leaves
 * nothing behind, on the director or on the servers.
 *
 * The cookie is Linux's (syncookie.c); the client's window scale and SACK
 * ride in the low 6 bits of the SYN-ACK's TSval,
 * when the client sends timestamps (without them, as Linux, neither is
 * kept). The cookie arithmetic is syncookie.c. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "tcpx.h"
#include "tcp_opt.h"
#include "../fastpath/lb.h"

/* ---------------------------------------------------------------- cookie */

#define TSBITS 6
#define TSMASK ((1u << TSBITS) - 1)
#define TS_OPT_SACK (1u << 4)
/* The window scale the director's SYN-ACK offers a client that scales. */
#define FL_SP_WSCALE 7

/* ---------------------------------------------------------------- options */

struct syn_opts {
	uint16_t mss;         /* 0: none */
	uint8_t wscale;       /* FL_WSCALE_NONE: none */
	uint8_t sack, ts;
	uint32_t tsval, tsecr;
};

/* The options of a SYN or an ACK, as far as they are well formed. */
static void parse_opts(const struct rte_tcp_hdr *th, struct syn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->wscale = FL_WSCALE_NONE;
	/* Read only: the walk's pointer is not written through. */
	uint8_t *at = (uint8_t *)(uintptr_t)(th + 1);
	const uint8_t *p, *end = fl_tcp_opts_end(th);
	while ((p = fl_tcp_opt_next(&at, end))) {
		switch (p[0]) {
		case TCPOPT_MSS:
			if (p[1] == 4)
				o->mss = (uint16_t)(p[2] << 8 | p[3]);
			break;
		case TCPOPT_WSCALE:
			if (p[1] == 3)
				o->wscale = p[2] > 14 ? 14 : p[2];   /* RFC 7323: at most 14 */
			break;
		case TCPOPT_SACK_PERM:
			if (p[1] == 2)
				o->sack = 1;
			break;
		case TCPOPT_TS:
			if (p[1] == 10) {
				o->ts = 1;
				o->tsval = fl_tcp_get32(p + 2);
				o->tsecr = fl_tcp_get32(p + 6);
			}
			break;
		}
	}
}

/* Options of a SYN or SYN-ACK in Linux's order (MSS, SACK-permitted +
 * timestamps or NOP NOP timestamps, NOP window scale); returns the length. */
static unsigned put_syn_opts(uint8_t *p, uint16_t mss, bool sack, bool ts, uint32_t tsval, uint32_t tsecr,
			     uint8_t wscale)
{
	uint8_t *s = p;
	*p++ = TCPOPT_MSS, *p++ = 4, *p++ = (uint8_t)(mss >> 8), *p++ = (uint8_t)mss;
	if (ts) {
		if (sack)
			*p++ = TCPOPT_SACK_PERM, *p++ = 2;
		else
			*p++ = TCPOPT_NOP, *p++ = TCPOPT_NOP;
		*p++ = TCPOPT_TS, *p++ = 10;
		uint32_t v = rte_cpu_to_be_32(tsval), e = rte_cpu_to_be_32(tsecr);
		memcpy(p, &v, 4);
		memcpy(p + 4, &e, 4);
		p += 8;
	} else if (sack) {
		*p++ = TCPOPT_NOP, *p++ = TCPOPT_NOP, *p++ = TCPOPT_SACK_PERM, *p++ = 2;
	}
	if (wscale != FL_WSCALE_NONE)
		*p++ = TCPOPT_NOP, *p++ = TCPOPT_WSCALE, *p++ = 3, *p++ = wscale;
	return (unsigned)(p - s);
}

/* Write a bare IPv4 + TCP header (with `optlen` bytes of options already at
 * th + 1) and compute both checksums. */
static void finish_segment(struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *th, unsigned optlen, uint32_t src,
			   uint32_t dst, uint8_t ttl, uint16_t id)
{
	ip->version_ihl = 0x45;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*th) + optlen));
	ip->packet_id = id;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip_set_csum(ip);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_urp = 0;
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
}

/* ---------------------------------------------------------------- the SYN */

void fl_synproxy_syn(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p)
{
	struct rte_mbuf *m = p->m;
	const struct rte_tcp_hdr *cth = (const struct rte_tcp_hdr *)p->l4;
	struct syn_opts o;
	parse_opts(cth, &o);
	unsigned mssind = fl_syncookie_mssind(o.mss ? o.mss : 536);
	uint32_t minute = (uint32_t)(w->now_ms / 60000);
	uint32_t isn = rte_be_to_cpu_32(cth->sent_seq);
	uint32_t cookie = fl_syncookie_make(p->key.saddr, p->key.daddr, p->key.sport, p->key.dport, isn, mssind, minute);
	/* Without timestamps there is nowhere to keep window scale and SACK. */
	uint8_t ws = o.ts ? o.wscale : FL_WSCALE_NONE;
	bool sack = o.ts && o.sack;
	uint32_t now = (uint32_t)w->now_ms, tsval = 0;
	if (o.ts) {
		tsval = (now & ~TSMASK) | (ws & 0xf) | (sack ? TS_OPT_SACK : 0);
		if ((int32_t)(tsval - now) > 0)
			tsval -= 1u << TSBITS;
	}
	uint16_t mss = (uint16_t)(s->min_mtu - sizeof(struct rte_ipv4_hdr) - sizeof(struct rte_tcp_hdr));
	uint32_t cip = p->key.saddr, vip = p->key.daddr;
	uint16_t cport = p->key.sport, vport = p->key.dport;

	/* The reply is written over the SYN: Ethernet (filled in on output),
	 * then a fresh IPv4 header and the SYN-ACK. */
	size_t l2 = (size_t)((uint8_t *)p->ip - rte_pktmbuf_mtod(m, uint8_t *));
	if (l2 > RTE_ETHER_HDR_LEN)
		rte_pktmbuf_adj(m, (uint16_t)(l2 - RTE_ETHER_HDR_LEN));
	uint8_t opts[40];
	unsigned optlen = put_syn_opts(opts, mss, sack, o.ts, tsval, o.tsval, ws == FL_WSCALE_NONE ? ws : FL_SP_WSCALE);
	uint16_t want = (uint16_t)(RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + optlen);
	if (rte_pktmbuf_data_len(m) > want)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - want));
	else if (rte_pktmbuf_data_len(m) < want && !rte_pktmbuf_append(m, (uint16_t)(want - rte_pktmbuf_data_len(m))))
		return fl_drop_pkt(w, m, FL_DROP_NOMEM);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = vport;
	th->dst_port = cport;
	th->sent_seq = rte_cpu_to_be_32(cookie);
	th->recv_ack = rte_cpu_to_be_32(isn + 1);
	th->tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	memcpy(th + 1, opts, optlen);
	finish_segment(ip, th, optlen, vip, cip, 64, 0);
	w->ctr->tcpx[FL_TCPX_EV_COOKIE_SENT]++;
	fl_ipv4_output(w, s, m, cip);
}

/* ---------------------------------------------------------------- the ACK */

bool fl_synproxy_check(struct fl_worker *w, const struct fl_lb_pkt *p, struct fl_sp_cookie *c)
{
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)p->l4;
	if ((th->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG)) != RTE_TCP_ACK_FLAG)
		return false;
	uint32_t cookie = rte_be_to_cpu_32(th->recv_ack) - 1, isn = rte_be_to_cpu_32(th->sent_seq) - 1;
	int mssind = fl_syncookie_check(p->key.saddr, p->key.daddr, p->key.sport, p->key.dport, isn, cookie,
					(uint32_t)(w->now_ms / 60000));
	if (mssind < 0)
		return false;
	struct syn_opts o;
	parse_opts(th, &o);
	c->mss = fl_syncookie_mss(mssind);
	c->ts = o.ts;
	c->tsecr = o.tsecr;
	c->wscale = FL_WSCALE_NONE;
	c->sack = 0;
	if (o.ts) {
		uint32_t bits = o.tsecr & TSMASK;
		c->wscale = (uint8_t)(bits & 0xf);
		c->sack = (bits & TS_OPT_SACK) != 0;
	}
	return true;
}

void fl_synproxy_open(struct fl_tcpx *x, const struct rte_tcp_hdr *ack, const struct fl_sp_cookie *c)
{
	x->flags |= FL_TCPX_F_SYNPROXY | FL_TCPX_F_SP_WAIT | (c->ts ? FL_TCPX_F_SP_TS : 0) |
		    (c->sack ? FL_TCPX_F_SP_SACK : 0);
	x->d_isn1 = rte_be_to_cpu_32(ack->recv_ack);
	x->ts_delta = c->tsecr;
	x->mssind = (uint8_t)fl_syncookie_mssind(c->mss);
	x->c_wscale = c->wscale;
	x->s_wscale = FL_WSCALE_NONE;
	x->held = 0;
}

/* ---------------------------------------------------------------- holding */

/* Client packets held until the server answers, per worker, oldest first. */
#define SP_HOLD_MAX 256
#define SP_HOLD_PER_SESSION 8
struct sp_hold {
	struct rte_mbuf *m;
	const struct fl_session *se;
	uint16_t rx_port;
	uint16_t l3;                 /* offset of the IPv4 header */
};
static struct sp_hold sp_held[FL_MAX_WORKERS][SP_HOLD_MAX];
static unsigned sp_n[FL_MAX_WORKERS];

static bool hold(struct fl_worker *w, struct fl_lb_pkt *p, const struct fl_session *se, struct fl_tcpx *x)
{
	unsigned *n = &sp_n[w->idx];
	if (*n == SP_HOLD_MAX || x->held == SP_HOLD_PER_SESSION)
		return false;
	sp_held[w->idx][(*n)++] = (struct sp_hold){
		.m = p->m, .se = se, .rx_port = p->rx_port,
		.l3 = (uint16_t)((uint8_t *)p->ip - rte_pktmbuf_mtod(p->m, uint8_t *)),
	};
	x->held++;
	return true;
}

/* Take this session's held packets out in order; send them on (send) or
 * free them. */
static void unhold(struct fl_worker *w, const struct fl_snapshot *s, struct fl_session *se, bool send)
{
	struct sp_hold *h = sp_held[w->idx];
	unsigned n = sp_n[w->idx], k = 0;
	struct sp_hold mine[SP_HOLD_PER_SESSION];
	unsigned nm = 0;
	for (unsigned i = 0; i < n; i++) {
		if (h[i].se == se && nm < SP_HOLD_PER_SESSION)
			mine[nm++] = h[i];
		else
			h[k++] = h[i];
	}
	sp_n[w->idx] = k;
	fl_tcpx_of(w->sess, se)->held = 0;
	for (unsigned i = 0; i < nm; i++) {
		if (!send) {
			rte_pktmbuf_free(mine[i].m);
			continue;
		}
		struct fl_lb_pkt hp = { .m = mine[i].m, .rx_port = mine[i].rx_port };
		hp.ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(hp.m, uint8_t *) + mine[i].l3);
		hp.l4 = (uint8_t *)hp.ip + (hp.ip->version_ihl & 0xf) * 4u;
		if (fl_tcpx_edit(w, s, &hp, se, FL_DIR_IN))
			fl_lb_xmit(w, s, hp.m, hp.ip, hp.l4, IPPROTO_TCP, se, FL_DIR_IN, hp.rx_port);
	}
}

void fl_synproxy_release(struct fl_worker *w, struct fl_session *se)
{
	if (fl_tcpx_of(w->sess, se)->held)
		unhold(w, NULL, se, false);
}

/* ---------------------------------------------------------------- joining */

/* The director's SYN to the server, made from the client's packet p (at
 * c_isn1): the client's ISN and the options its cookie kept. */
static void send_syn(struct fl_worker *w, const struct fl_snapshot *s, const struct fl_lb_pkt *p,
		     const struct fl_session *se, const struct fl_tcpx *x)
{
	struct syn_opts o;
	parse_opts((const struct rte_tcp_hdr *)p->l4, &o);
	struct rte_mbuf *m = rte_pktmbuf_alloc(fl_pool_for_socket((int)rte_socket_id()));
	uint8_t opts[40];
	bool ts = x->flags & FL_TCPX_F_SP_TS;
	/* The client's TSval, on the director's clock when it owns them. */
	uint32_t tsval = o.tsval + ((x->flags & FL_TCPX_F_TS_OWN) ? x->c_ts_off : 0);
	unsigned optlen = put_syn_opts(opts, fl_syncookie_mss(x->mssind), x->flags & FL_TCPX_F_SP_SACK, ts, ts ? tsval : 0, 0,
				       x->c_wscale);
	uint16_t len = (uint16_t)(RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + optlen);
	uint8_t *d = m ? (uint8_t *)rte_pktmbuf_append(m, len) : NULL;
	if (!d) {
		if (m)
			rte_pktmbuf_free(m);
		fl_drop(w->ctr, FL_DROP_NOMEM);
		return;
	}
	memcpy(d, rte_pktmbuf_mtod(p->m, uint8_t *), RTE_ETHER_HDR_LEN);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = se->cport;
	th->dst_port = se->vport;
	th->sent_seq = rte_cpu_to_be_32(x->c_isn1 - 1);
	th->recv_ack = 0;
	th->tcp_flags = RTE_TCP_SYN_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	memcpy(th + 1, opts, optlen);
	finish_segment(ip, th, optlen, se->caddr, se->vaddr, p->ip->time_to_live, p->ip->packet_id);
	fl_lb_xmit(w, s, m, ip, (uint8_t *)th, IPPROTO_TCP, se, FL_DIR_IN, p->rx_port);
}

bool fl_synproxy_c2s(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		     struct fl_tcpx *x)
{
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)p->l4;
	if (th->tcp_flags & RTE_TCP_RST_FLAG) {
		/* The client gives up: so does the server's half-open side. */
		unhold(w, s, se, false);
		x->flags &= (uint8_t)~FL_TCPX_F_SP_WAIT;
		return true;
	}
	if (th->tcp_flags & RTE_TCP_SYN_FLAG) {
		/* A SYN inside a handshake the director already answered. */
		fl_drop_pkt(w, p->m, FL_DROP_SYNPROXY);
		return false;
	}
	bool first = x->held == 0;
	if (!hold(w, p, se, x)) {
		w->ctr->tcpx[FL_TCPX_EV_SP_HOLD_FULL]++;
		fl_drop_pkt(w, p->m, FL_DROP_SYNPROXY);
		return false;
	}
	/* The first packet opens the server side; a third one means the
	 * client is retransmitting, so the SYN (or its answer) may be lost. */
	if (first || x->held > 2)
		send_syn(w, s, p, se, x);
	return false;
}

bool fl_synproxy_s2c(struct fl_worker *w, const struct fl_snapshot *s, struct fl_lb_pkt *p, struct fl_session *se,
		     struct fl_tcpx *x)
{
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)p->l4;
	uint8_t fl = th->tcp_flags;
	if (fl & RTE_TCP_RST_FLAG) {
		/* Refused: the client, which believes it is connected, gets a RST
		 * at the sequence number it expects. */
		unhold(w, s, se, false);
		x->flags &= (uint8_t)~FL_TCPX_F_SP_WAIT;
		th->sent_seq = rte_cpu_to_be_32(x->d_isn1);
		th->recv_ack = 0;
		th->tcp_flags = RTE_TCP_RST_FLAG;
		th->cksum = 0;
		th->cksum = rte_ipv4_udptcp_cksum(p->ip, th);
		w->ctr->tcpx[FL_TCPX_EV_SP_REFUSED]++;
		return true;
	}
	if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) != (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) ||
	    rte_be_to_cpu_32(th->recv_ack) != x->c_isn1) {
		fl_drop_pkt(w, p->m, FL_DROP_SYNPROXY);
		return false;
	}
	uint32_t sisn = rte_be_to_cpu_32(th->sent_seq);
	struct syn_opts o;
	parse_opts(th, &o);
	x->s_isn1 = sisn + 1;
	x->s_delta = (int32_t)((x->d_isn1 - 1) - sisn);
	x->s_wscale = o.wscale;
	if ((x->flags & FL_TCPX_F_SP_TS) && o.ts)
		x->ts_delta -= o.tsval;
	else
		x->flags &= (uint8_t)~FL_TCPX_F_SP_TS;
	x->flags = (uint8_t)((x->flags & ~FL_TCPX_F_SP_WAIT) | FL_TCPX_F_SYNACK);
	rte_pktmbuf_free(p->m);
	w->ctr->tcpx[FL_TCPX_EV_SP_JOINED]++;
	/* The client's ACK (held first) completes the server's handshake. */
	unhold(w, s, se, true);
	return false;
}

/* ---------------------------------------------------------------- joined */

static inline unsigned client_scale(const struct fl_tcpx *x)
{
	return x->c_wscale == FL_WSCALE_NONE ? 0 : x->c_wscale;
}

/* The window the server advertised, as the client scales it (the
 * director's SYN-ACK offered FL_SP_WSCALE to a client that scales). */
static uint32_t window_s2c(const struct fl_tcpx *x, struct rte_tcp_hdr *th)
{
	unsigned d = x->c_wscale == FL_WSCALE_NONE ? 0 : FL_SP_WSCALE;
	unsigned sv = (x->s_wscale == FL_WSCALE_NONE || x->c_wscale == FL_WSCALE_NONE) ? 0 : x->s_wscale;
	if (d == sv)
		return 0;
	uint64_t real = (uint64_t)rte_be_to_cpu_16(th->rx_win) << sv;
	uint64_t v = real >> d;
	uint16_t nw = rte_cpu_to_be_16((uint16_t)(v > 65535 ? 65535 : v)), old = th->rx_win;
	th->rx_win = nw;
	return cs_diff2(old, nw);
}

/* A client that scales, and a server that declined to: the server reads
 * the client's windows unscaled. */
static uint32_t window_c2s(const struct fl_tcpx *x, struct rte_tcp_hdr *th)
{
	if (x->s_wscale != FL_WSCALE_NONE || x->c_wscale == FL_WSCALE_NONE)
		return 0;
	uint64_t v = (uint64_t)rte_be_to_cpu_16(th->rx_win) << client_scale(x);
	uint16_t nw = rte_cpu_to_be_16((uint16_t)(v > 65535 ? 65535 : v)), old = th->rx_win;
	th->rx_win = nw;
	return cs_diff2(old, nw);
}

uint32_t fl_synproxy_opts_c2s(const struct fl_tcpx *x, struct rte_tcp_hdr *th)
{
	return window_c2s(x, th);
}

uint32_t fl_synproxy_opts_s2c(const struct fl_tcpx *x, struct rte_tcp_hdr *th)
{
	return window_s2c(x, th);
}
