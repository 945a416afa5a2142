/*
 * IPVS connection sync, protocol version 1, on the wire (the kernel's
 * ip_vs_sync.c; tshark's "ipvs" dissector decodes it on UDP 8848).
 *
 *   message: reserved(0) syncid size(be16, whole message) nr_conns version(1) spare(be16)
 *   conn:    type(0 = IPv4) protocol ver_size(be16: version << 12 | size)
 *            flags(be32) state(be16) cport vport dport(be16) fwmark(be32)
 *            timeout(be32, seconds) caddr vaddr daddr   = 36 bytes
 *            then options {type, len, data}; the next conn starts at the
 *            next multiple of 4.
 *
 * IPVS has no field for what only a FULLNAT director has. Those go in
 * options of their own whose type has IPVS_OPT_F_PARAM (0x80) set: IPVS's
 * receiver skips such an option, where it refuses an unknown mandatory one.
 *   0x90 FULLNAT local address: LIP(4) lport(be16) reserved(2)
 *   0x91 TCP stream edit state (native/tcp): struct fl_sync_seq, be fields
 * Pure code (no DPDK), so native tests and the fuzzer can drive it.
 */
#ifndef FL_SYNC_PROTO_H
#define FL_SYNC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FL_SYNC_VERSION       1
#define FL_SYNC_MSG_HDR       8
#define FL_SYNC_CONN_V4       36
#define FL_SYNC_MAX_CONNS     255       /* nr_conns is one byte */
#define FL_SYNC_DEFAULT_PORT  8848
#define FL_SYNC_DEFAULT_GROUP 0xe0000051u   /* 224.0.0.81, host order */

/* IPVS option types (IPVS_OPT_*) and ours (IPVS_OPT_F_PARAM set). */
#define FL_SYNC_OPT_SEQ_DATA  1
#define FL_SYNC_OPT_F_PARAM   0x80
#define FL_SYNC_OPT_LOCAL     0x90
#define FL_SYNC_OPT_TCPX      0x91
#define FL_SYNC_OPT_LOCAL_LEN 8
#define FL_SYNC_OPT_TCPX_LEN  32

/* IPVS connection flags (include/uapi/linux/ip_vs.h) that go on the wire. */
#define FL_IPVS_F_FWD_MASK  0x0007u
#define FL_IPVS_F_MASQ      0x0000u
#define FL_IPVS_F_TUNNEL    0x0002u
#define FL_IPVS_F_DROUTE    0x0003u
#define FL_IPVS_F_FULLNAT   0x0005u   /* DPVS's DPVS_FWD_MODE_FNAT */
#define FL_IPVS_F_NOOUTPUT  0x0080u
#define FL_IPVS_F_INACTIVE  0x0100u

/* Sequence adjustment and timestamp state of an edited FULLNAT stream. */
struct fl_sync_seq {
	uint32_t c_isn1, s_isn1;
	int32_t s_delta;
	uint16_t c_delta;
	uint8_t mode, flags;
	uint32_t d_isn1, ts_delta, c_ts_off;
	uint8_t mssind, c_wscale, s_wscale, pad;
};

/* One connection, decoded (addresses and ports in network order). Also the
 * element of the worker -> control rings (sync.c). */
struct fl_sync_conn {
	uint32_t caddr, vaddr, daddr, laddr;
	uint16_t cport, vport, dport, lport;
	uint8_t proto;
	uint8_t has_local;        /* laddr/lport present (option 0x90) */
	uint8_t has_seq;          /* seq present (option 0x91) */
	uint8_t pad;
	uint16_t state;           /* IPVS TCP state numbers (= enum fl_tcp_state) */
	uint16_t pad2;
	uint32_t flags;           /* FL_IPVS_F_* */
	uint32_t timeout_s;
	uint32_t stamp_ms;        /* when the worker queued it (lag); not on the wire */
	struct fl_sync_seq seq;
};

/* Bytes conn c takes in a message, options included, before padding. */
size_t fl_sync_conn_size(const struct fl_sync_conn *c);

/* Message building: start a message in buf (cap bytes), add conns while
 * they fit, finish it. fl_sync_msg_add returns 0, or -1 when c does not fit
 * (cap, or 255 conns): finish and start another. */
struct fl_sync_builder {
	uint8_t *buf;
	size_t cap, len;
	unsigned n;
};
void fl_sync_msg_start(struct fl_sync_builder *b, uint8_t *buf, size_t cap, uint8_t syncid);
int fl_sync_msg_add(struct fl_sync_builder *b, const struct fl_sync_conn *c);
/* Sets size and nr_conns; returns the message length (0 if empty). */
size_t fl_sync_msg_finish(struct fl_sync_builder *b);

/* Why a message or a conn was refused (counted by reason). */
enum fl_sync_err {
	FL_SYNC_OK = 0,
	FL_SYNC_E_SHORT,          /* shorter than a header, or size != datagram length */
	FL_SYNC_E_VERSION,        /* not version 1 (a version 0 sender, or garbage) */
	FL_SYNC_E_SYNCID,         /* another sync id than ours */
	FL_SYNC_E_CONN,           /* a conn runs past the message, or a bad size or option */
	FL_SYNC_E__MAX
};
const char *fl_sync_err_name(unsigned e);

/* Parse message msg (len bytes) as a backup with sync id `syncid` (0: any).
 * Calls cb for each IPv4 conn, skips IPv6 ones (counted in *n_skipped) and
 * stops at the first malformed one. Returns FL_SYNC_OK or the reason it
 * stopped; *n_conns gets the conns delivered. */
typedef void (*fl_sync_conn_cb)(const struct fl_sync_conn *c, void *arg);
enum fl_sync_err fl_sync_msg_parse(const uint8_t *msg, size_t len, uint8_t syncid, fl_sync_conn_cb cb, void *arg,
				   unsigned *n_conns, unsigned *n_skipped);

#ifdef __cplusplus
}
#endif
#endif
