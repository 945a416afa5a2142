/*
 * TCP state machine. The transition table and default timeouts follow Linux
 * IPVS, net/netfilter/ipvs/ip_vs_proto_tcp.c (tcp_states[], the non-secure
 * table, and tcp_timeouts[]), so sessions age exactly as they would on an
 * LVS director.
 */
#include "tcp_state.h"

#define sNO FL_TCP_S_NONE
#define sES FL_TCP_S_ESTABLISHED
#define sSS FL_TCP_S_SYN_SENT
#define sSR FL_TCP_S_SYN_RECV
#define sFW FL_TCP_S_FIN_WAIT
#define sTW FL_TCP_S_TIME_WAIT
#define sCL FL_TCP_S_CLOSE
#define sCW FL_TCP_S_CLOSE_WAIT
#define sLA FL_TCP_S_LAST_ACK
#define sLI FL_TCP_S_LISTEN
#define sSA FL_TCP_S_SYNACK

enum { EV_SYN = 0, EV_FIN = 1, EV_ACK = 2, EV_RST = 3, EV_COUNT = 4 };

/* [direction][event][current state] -> next state. uint8_t keeps the whole
 * table in two cache lines. */
static const uint8_t fl_tcp_states[3][EV_COUNT][FL_TCP_S_LAST] = {
	[FL_TCP_DIR_INPUT] = {
/*	        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
/*syn*/	{ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR },
/*fin*/	{ sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW },
/*ack*/	{ sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES },
/*rst*/	{ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR },
	},
	[FL_TCP_DIR_OUTPUT] = {
/*	        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
/*syn*/	{ sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR },
/*fin*/	{ sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW },
/*ack*/	{ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES },
/*rst*/	{ sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL },
	},
	[FL_TCP_DIR_INPUT_ONLY] = {
/*	        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
/*syn*/	{ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR },
/*fin*/	{ sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW },
/*ack*/	{ sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES },
/*rst*/	{ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL },
	},
};

/* tcp_flags byte -> event, rst > syn > fin > ack as in IPVS tcp_state_idx();
 * -1 when none is set. */
static inline int fl_tcp_event(uint8_t f)
{
	if (f & FL_TCPF_RST)
		return EV_RST;
	if (f & FL_TCPF_SYN)
		return EV_SYN;
	if (f & FL_TCPF_FIN)
		return EV_FIN;
	if (f & FL_TCPF_ACK)
		return EV_ACK;
	return -1;
}

enum fl_tcp_state fl_tcp_next_state(enum fl_tcp_state cur, enum fl_tcp_dir dir,
				    uint8_t tcp_flags)
{
	int ev = fl_tcp_event(tcp_flags);

	if (ev < 0 || (unsigned)cur >= FL_TCP_S_LAST || (unsigned)dir > 2)
		return FL_TCP_S_CLOSE;
	return (enum fl_tcp_state)fl_tcp_states[dir][ev][cur];
}

static const char *const fl_tcp_state_names[FL_TCP_S_LAST] = {
	[FL_TCP_S_NONE] = "NONE",
	[FL_TCP_S_ESTABLISHED] = "ESTABLISHED",
	[FL_TCP_S_SYN_SENT] = "SYN_SENT",
	[FL_TCP_S_SYN_RECV] = "SYN_RECV",
	[FL_TCP_S_FIN_WAIT] = "FIN_WAIT",
	[FL_TCP_S_TIME_WAIT] = "TIME_WAIT",
	[FL_TCP_S_CLOSE] = "CLOSE",
	[FL_TCP_S_CLOSE_WAIT] = "CLOSE_WAIT",
	[FL_TCP_S_LAST_ACK] = "LAST_ACK",
	[FL_TCP_S_LISTEN] = "LISTEN",
	[FL_TCP_S_SYNACK] = "SYNACK",
};

const char *fl_tcp_state_name(unsigned state)
{
	return state < FL_TCP_S_LAST ? fl_tcp_state_names[state] : "ERR!";
}

void fl_timeouts_default(struct fl_timeouts *to)
{
	static const uint32_t sec[FL_TCP_S_LAST] = {
		[FL_TCP_S_NONE] = 2,
		[FL_TCP_S_ESTABLISHED] = 15 * 60,
		[FL_TCP_S_SYN_SENT] = 2 * 60,
		[FL_TCP_S_SYN_RECV] = 60,
		[FL_TCP_S_FIN_WAIT] = 2 * 60,
		[FL_TCP_S_TIME_WAIT] = 2 * 60,
		[FL_TCP_S_CLOSE] = 10,
		[FL_TCP_S_CLOSE_WAIT] = 60,
		[FL_TCP_S_LAST_ACK] = 30,
		[FL_TCP_S_LISTEN] = 2 * 60,
		[FL_TCP_S_SYNACK] = 120,
	};
	for (unsigned i = 0; i < FL_TCP_S_LAST; i++)
		to->tcp_ms[i] = sec[i] * 1000u;
	to->udp_ms = 300u * 1000u;
}

static uint32_t fl_sec_to_ms(uint32_t s)
{
	uint64_t ms = (uint64_t)s * 1000u;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

void fl_timeouts_set_ipvsadm(struct fl_timeouts *to, uint32_t tcp_s,
			     uint32_t tcpfin_s, uint32_t udp_s)
{
	if (tcp_s)
		to->tcp_ms[FL_TCP_S_ESTABLISHED] = fl_sec_to_ms(tcp_s);
	if (tcpfin_s)
		to->tcp_ms[FL_TCP_S_FIN_WAIT] = fl_sec_to_ms(tcpfin_s);
	if (udp_s)
		to->udp_ms = fl_sec_to_ms(udp_s);
}

void fl_timeouts_get_ipvsadm(const struct fl_timeouts *to, uint32_t *tcp_s,
			     uint32_t *tcpfin_s, uint32_t *udp_s)
{
	*tcp_s = to->tcp_ms[FL_TCP_S_ESTABLISHED] / 1000u;
	*tcpfin_s = to->tcp_ms[FL_TCP_S_FIN_WAIT] / 1000u;
	*udp_s = to->udp_ms / 1000u;
}
