/*
 * TCP connection state tracking as done by Linux IPVS
 * (net/netfilter/ipvs/ip_vs_proto_tcp.c), plus the per-state timeouts that
 * `ipvsadm --set tcp tcpfin udp` adjusts.
 *
 * The state numbering and names are IPVS's, so `fulcrumadm -Lnc` can print
 * exactly what `ipvsadm -Lnc` prints.
 */
#ifndef FL_TCP_STATE_H
#define FL_TCP_STATE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum fl_tcp_state {
	FL_TCP_S_NONE = 0,
	FL_TCP_S_ESTABLISHED,
	FL_TCP_S_SYN_SENT,
	FL_TCP_S_SYN_RECV,
	FL_TCP_S_FIN_WAIT,
	FL_TCP_S_TIME_WAIT,
	FL_TCP_S_CLOSE,
	FL_TCP_S_CLOSE_WAIT,
	FL_TCP_S_LAST_ACK,
	FL_TCP_S_LISTEN,
	FL_TCP_S_SYNACK,
	FL_TCP_S_LAST
};

/* Which half of IPVS's table applies. INPUT_ONLY is used while the director
 * has not seen the server's side of the connection (DR/TUN, where replies
 * bypass us, or NAT before the first reply). */
enum fl_tcp_dir {
	FL_TCP_DIR_INPUT = 0,      /* client -> server */
	FL_TCP_DIR_OUTPUT = 1,     /* server -> client */
	FL_TCP_DIR_INPUT_ONLY = 2,
};

/* TCP header flag bits (byte 13 of the TCP header). */
#define FL_TCPF_FIN 0x01
#define FL_TCPF_SYN 0x02
#define FL_TCPF_RST 0x04
#define FL_TCPF_ACK 0x10

/* Next state for a packet with `tcp_flags` seen in direction `dir`.
 * Event priority is IPVS's: rst > syn > fin > ack; a segment carrying none
 * of them moves the connection to CLOSE, as in IPVS. An out-of-range `cur`
 * also yields CLOSE. */
enum fl_tcp_state fl_tcp_next_state(enum fl_tcp_state cur, enum fl_tcp_dir dir,
				    uint8_t tcp_flags);

/* IPVS state name ("NONE", "ESTABLISHED", ...); "ERR!" if out of range. */
const char *fl_tcp_state_name(unsigned state);

/* Per-state idle timeouts in milliseconds. */
struct fl_timeouts {
	uint32_t tcp_ms[FL_TCP_S_LAST];
	uint32_t udp_ms;
};

/* IPVS defaults: NONE 2 s, ESTABLISHED 900 s, SYN_SENT 120 s, SYN_RECV 60 s,
 * FIN_WAIT 120 s, TIME_WAIT 120 s, CLOSE 10 s, CLOSE_WAIT 60 s,
 * LAST_ACK 30 s, LISTEN 120 s, SYNACK 120 s; UDP 300 s. */
void fl_timeouts_default(struct fl_timeouts *to);

/* `ipvsadm --set tcp tcpfin udp` (seconds): tcp sets ESTABLISHED, tcpfin
 * sets FIN_WAIT, udp sets UDP. A zero argument leaves that value unchanged,
 * as in IPVS. Values are capped at UINT32_MAX ms (~49 days). */
void fl_timeouts_set_ipvsadm(struct fl_timeouts *to, uint32_t tcp_s,
			     uint32_t tcpfin_s, uint32_t udp_s);

/* The triple `ipvsadm -L --timeout` prints, in seconds. */
void fl_timeouts_get_ipvsadm(const struct fl_timeouts *to, uint32_t *tcp_s,
			     uint32_t *tcpfin_s, uint32_t *udp_s);

#ifdef __cplusplus
}
#endif
#endif
