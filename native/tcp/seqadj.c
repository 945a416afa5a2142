/* Sequence adjustment: map one TCP header between the client's and the
 * server's sequence spaces (tcpx.h), SACK edges included. Timestamps are
 * each end's own clock and stay as they are, except behind a SYN proxy,
 * whose SYN-ACK carried the director's TSval (synproxy.c shifts those). */
#include "tcpx.h"
#include "tcp_opt.h"

typedef uint32_t (*edge_map_fn)(const struct fl_tcpx *x, uint32_t v);

/* Map every SACK edge of th's options through fn. A malformed option list
 * ends the walk: the rest is passed on as it came. */
static uint32_t map_sack(const struct fl_tcpx *x, struct rte_tcp_hdr *th, edge_map_fn fn)
{
	uint8_t *at = (uint8_t *)(th + 1), *o;
	const uint8_t *end = fl_tcp_opts_end(th);
	uint32_t diff = 0;
	while ((o = fl_tcp_opt_next(&at, end)))
		if (o[0] == TCPOPT_SACK && o[1] >= 10 && (o[1] - 2) % 8 == 0)
			for (uint8_t *e = o + 2; e < o + o[1]; e += 4)
				diff += fl_tcp_replace4(th, e, rte_cpu_to_be_32(fn(x, fl_tcp_get32(e))));
	return diff;
}

/* An ack (or SACK edge) the server sent, in client space: the inserted
 * bytes are acknowledged as nothing until all of them are, then the rest
 * shifts back by their length. */
uint32_t fl_seqadj_ack_s2c(const struct fl_tcpx *x, uint32_t ack)
{
	if (!x->c_delta || fl_seq_before(ack, x->c_isn1))
		return ack;
	if (fl_seq_before(ack, x->c_isn1 + x->c_delta))
		return x->c_isn1;
	return ack - x->c_delta;
}

/* A seq (or SACK edge) of the server's bytes, as the client numbers them. */
static uint32_t sseq_s2c(const struct fl_tcpx *x, uint32_t v)
{
	return v + (uint32_t)x->s_delta;
}

/* A client-space ack (or SACK edge) of the server's bytes, in server space. */
static uint32_t sseq_c2s(const struct fl_tcpx *x, uint32_t v)
{
	return v - (uint32_t)x->s_delta;
}

uint32_t fl_seqadj_c2s(const struct fl_tcpx *x, struct rte_tcp_hdr *th, uint32_t seq_delta)
{
	uint32_t diff = 0;
	if (seq_delta) {
		uint32_t seq = rte_be_to_cpu_32(th->sent_seq) + seq_delta;
		diff += fl_tcp_replace4(th, (uint8_t *)&th->sent_seq, rte_cpu_to_be_32(seq));
	}
	if (x->s_delta) {
		if (th->tcp_flags & RTE_TCP_ACK_FLAG)
			diff += fl_tcp_replace4(th, (uint8_t *)&th->recv_ack,
					    rte_cpu_to_be_32(sseq_c2s(x, rte_be_to_cpu_32(th->recv_ack))));
		diff += map_sack(x, th, sseq_c2s);
	}
	return diff;
}

uint32_t fl_seqadj_s2c(struct fl_tcpx *x, struct rte_tcp_hdr *th)
{
	uint32_t diff = 0;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	if ((th->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		x->s_isn1 = seq + 1;
		x->flags |= FL_TCPX_F_SYNACK;
	}
	if (x->s_delta)
		diff += fl_tcp_replace4(th, (uint8_t *)&th->sent_seq, rte_cpu_to_be_32(sseq_s2c(x, seq)));
	if (x->c_delta && (th->tcp_flags & RTE_TCP_ACK_FLAG)) {
		uint32_t ack = rte_be_to_cpu_32(th->recv_ack);
		if ((x->flags & FL_TCPX_F_HDR_SENT) && !fl_seq_before(ack, x->c_isn1 + x->c_delta))
			x->flags |= FL_TCPX_F_HDR_ACKED;
		uint32_t mapped = fl_seqadj_ack_s2c(x, ack);
		if (mapped != ack)
			diff += fl_tcp_replace4(th, (uint8_t *)&th->recv_ack, rte_cpu_to_be_32(mapped));
		diff += map_sack(x, th, fl_seqadj_ack_s2c);
	}
	return diff;
}
