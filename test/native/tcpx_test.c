/*
 * C unit tests of native/tcp's pure parts: the SYN cookie (Linux's
 * arithmetic: round trip, age, forgery, MSS table), sequence adjustment
 * (PROXY delta and SYN proxy delta, SACK edges at even and odd offsets, the
 * 2^32 wrap, checksums kept incremental) and the PROXY headers' bytes.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "../../native/tcp/tcpx.h"
#include "tap.h"

#ifndef VARIANT
#define VARIANT ""
#endif

static const uint32_t CIP = 0x0a0012c6, VIP = 0x640012c6;   /* 198.18.0.10, 198.18.0.100 (network order) */
static const uint16_t CPORT = 0x409c, VPORT = 0x5000;         /* 40000, 80 */

static const char *cookie_round_trip(void)
{
	fl_syncookie_set_secret(0x0123456789abcdefull, 0xfedcba9876543210ull);
	for (unsigned mssind = 0; mssind < 4; mssind++) {
		uint32_t c = fl_syncookie_make(CIP, VIP, CPORT, VPORT, 1000 + mssind, mssind, 777);
		CHECK(fl_syncookie_check(CIP, VIP, CPORT, VPORT, 1000 + mssind, c, 777) == (int)mssind, "mss %u same minute", mssind);
		CHECK(fl_syncookie_check(CIP, VIP, CPORT, VPORT, 1000 + mssind, c, 778) == (int)mssind, "mss %u next minute", mssind);
		CHECK(fl_syncookie_check(CIP, VIP, CPORT, VPORT, 1000 + mssind, c, 779) == -1, "mss %u two minutes old", mssind);
	}
	return NULL;
}

static const char *cookie_forgeries(void)
{
	fl_syncookie_set_secret(1, 2);
	uint32_t c = fl_syncookie_make(CIP, VIP, CPORT, VPORT, 5000, 3, 42);
	unsigned accepted = 0;
	for (uint32_t d = 1; d <= 4096; d++)
		accepted += fl_syncookie_check(CIP, VIP, CPORT, VPORT, 5000, c + d * 0x9e3779b1u, 42) >= 0;
	/* A random 32-bit value passes with odds ~ 2 minutes * 4 MSS / 2^24. */
	CHECK(accepted <= 1, "%u of 4096 forged cookies accepted", accepted);
	CHECK(fl_syncookie_check(CIP, VIP, CPORT, (uint16_t)(CPORT + 1), 5000, c, 42) == -1, "another port");
	/* As Linux's: the client ISN is added in plain, so an ISN a few off
	 * lands outside the 4-entry MSS index. */
	CHECK(fl_syncookie_check(CIP, VIP, CPORT, VPORT, 5005, c, 42) == -1, "another ISN");
	fl_syncookie_set_secret(3, 4);
	CHECK(fl_syncookie_check(CIP, VIP, CPORT, VPORT, 5000, c, 42) == -1, "another key");
	return NULL;
}

static const char *cookie_mss_table(void)
{
	static const struct { uint16_t mss; uint16_t want; } t[] = {
		{ 100, 536 }, { 536, 536 }, { 1299, 536 }, { 1300, 1300 }, { 1439, 1300 }, { 1440, 1440 }, { 1460, 1460 }, { 9000, 1460 },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(fl_syncookie_mss(fl_syncookie_mssind(t[i].mss)) == t[i].want, "mss %u -> %u", t[i].mss,
		      fl_syncookie_mss(fl_syncookie_mssind(t[i].mss)));
	return NULL;
}

/* A TCP header with `optlen` option bytes (opts) in buf; its checksum over a
 * pseudo-header is computed in full, the reference for incremental edits. */
struct seg {
	struct rte_ipv4_hdr ip;
	uint8_t tcp[60];
};
static struct rte_tcp_hdr *mkseg(struct seg *s, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opts, unsigned optlen)
{
	memset(s, 0, sizeof(*s));
	s->ip.version_ihl = 0x45;
	s->ip.total_length = rte_cpu_to_be_16((uint16_t)(40 + optlen));
	s->ip.next_proto_id = IPPROTO_TCP;
	s->ip.src_addr = CIP;
	s->ip.dst_addr = VIP;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)s->tcp;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->tcp_flags = flags;
	th->data_off = (uint8_t)(((20 + optlen) / 4) << 4);
	if (optlen)
		memcpy(th + 1, opts, optlen);
	th->cksum = rte_ipv4_udptcp_cksum(&s->ip, th);
	return th;
}

/* Apply diff to the checksum as the fast path does and compare with a full recomputation. */
static int csum_ok(struct seg *s, struct rte_tcp_hdr *th, uint32_t diff)
{
	uint32_t sum = (uint16_t)~th->cksum + diff;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	uint16_t inc = (uint16_t)~sum;
	th->cksum = 0;
	uint16_t full = rte_ipv4_udptcp_cksum(&s->ip, th);
	th->cksum = inc;
	return inc == full || (inc == 0xffff && full == 0) || (inc == 0 && full == 0xffff);
}

static uint32_t be32at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static const char *seqadj_proxy_delta(void)
{
	struct fl_tcpx x = { .c_isn1 = 0xfffffff0u, .c_delta = 40, .flags = FL_TCPX_F_HDR_SENT };
	struct seg s;
	/* client -> server: seq shifted across the wrap */
	struct rte_tcp_hdr *th = mkseg(&s, 0xfffffff0u + 8, 7, RTE_TCP_ACK_FLAG, NULL, 0);
	uint32_t d = fl_seqadj_c2s(&x, th, x.c_delta);
	CHECK(rte_be_to_cpu_32(th->sent_seq) == 0x00000020u, "seq %08x", rte_be_to_cpu_32(th->sent_seq));
	CHECK(csum_ok(&s, th, d), "checksum after c2s");
	/* server -> client: an ack of part of the header, then past it */
	th = mkseg(&s, 7, 0xfffffff0u + 20, RTE_TCP_ACK_FLAG, NULL, 0);
	d = fl_seqadj_s2c(&x, th);
	CHECK(rte_be_to_cpu_32(th->recv_ack) == 0xfffffff0u, "partial header ack -> %08x", rte_be_to_cpu_32(th->recv_ack));
	CHECK(!(x.flags & FL_TCPX_F_HDR_ACKED), "not acked yet");
	CHECK(csum_ok(&s, th, d), "checksum");
	th = mkseg(&s, 7, 0xfffffff0u + 40 + 100, RTE_TCP_ACK_FLAG, NULL, 0);
	d = fl_seqadj_s2c(&x, th);
	CHECK(rte_be_to_cpu_32(th->recv_ack) == 0xfffffff0u + 100, "ack -> %08x", rte_be_to_cpu_32(th->recv_ack));
	CHECK(x.flags & FL_TCPX_F_HDR_ACKED, "header acked");
	CHECK(csum_ok(&s, th, d), "checksum");
	return NULL;
}

static const char *seqadj_sack_offsets(void)
{
	struct fl_tcpx x = { .c_isn1 = 1000, .c_delta = 28, .flags = FL_TCPX_F_HDR_SENT };
	for (unsigned pad = 0; pad < 4; pad++) {
		uint8_t o[40] = { 0 };
		unsigned n = 0;
		for (unsigned i = 0; i < pad; i++)
			o[n++] = 1;
		o[n++] = 5, o[n++] = 18;
		unsigned at = n;
		uint32_t e[4] = { 1128, 1228, 1328, 1428 };
		for (unsigned i = 0; i < 4; i++) {
			uint32_t v = rte_cpu_to_be_32(e[i]);
			memcpy(o + n, &v, 4);
			n += 4;
		}
		while (n % 4)
			o[n++] = 1;
		struct seg s;
		struct rte_tcp_hdr *th = mkseg(&s, 5, 1128, RTE_TCP_ACK_FLAG, o, n);
		uint32_t d = fl_seqadj_s2c(&x, th);
		const uint8_t *opt = (const uint8_t *)(th + 1) + at;
		for (unsigned i = 0; i < 4; i++)
			CHECK(be32at(opt + 4 * i) == e[i] - 28, "pad %u edge %u: %u", pad, i, be32at(opt + 4 * i));
		CHECK(csum_ok(&s, th, d), "pad %u: checksum", pad);
	}
	return NULL;
}

static const char *seqadj_synproxy_delta(void)
{
	/* The server's ISN 5000, the client knows the director's 900000. */
	struct fl_tcpx x = { .c_isn1 = 100, .s_isn1 = 5001, .s_delta = (int32_t)(900000 - 5000) };
	struct seg s;
	struct rte_tcp_hdr *th = mkseg(&s, 5001, 150, RTE_TCP_ACK_FLAG, NULL, 0);
	uint32_t d = fl_seqadj_s2c(&x, th);
	CHECK(rte_be_to_cpu_32(th->sent_seq) == 900001, "s2c seq %u", rte_be_to_cpu_32(th->sent_seq));
	CHECK(rte_be_to_cpu_32(th->recv_ack) == 150, "s2c ack untouched");
	CHECK(csum_ok(&s, th, d), "checksum s2c");
	uint8_t o[12] = { 1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint32_t a = rte_cpu_to_be_32(900101), b = rte_cpu_to_be_32(900201);
	memcpy(o + 4, &a, 4);
	memcpy(o + 8, &b, 4);
	th = mkseg(&s, 150, 900001, RTE_TCP_ACK_FLAG, o, sizeof(o));
	d = fl_seqadj_c2s(&x, th, 0);
	CHECK(rte_be_to_cpu_32(th->recv_ack) == 5001, "c2s ack %u", rte_be_to_cpu_32(th->recv_ack));
	CHECK(be32at((const uint8_t *)(th + 1) + 4) == 5101 && be32at((const uint8_t *)(th + 1) + 8) == 5201, "c2s SACK");
	CHECK(csum_ok(&s, th, d), "checksum c2s");
	return NULL;
}

static const char *proxy_headers(void)
{
	uint8_t b[FL_PROXY_HDR_MAX];
	unsigned n = fl_proxy_header(FL_TCPX_PROXY_V1, CIP, CPORT, VIP, VPORT, b);
	const char *v1 = "PROXY TCP4 198.18.0.10 198.18.0.100 40000 80\r\n";
	CHECK(n == strlen(v1) && memcmp(b, v1, n) == 0, "v1: %.*s", (int)n, b);
	n = fl_proxy_header(FL_TCPX_PROXY_V1, 0xffffffffu, 0xffff, 0xffffffffu, 0xffff, b);
	CHECK(n == strlen("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n") && n <= FL_PROXY_HDR_MAX, "v1 longest %u", n);
	n = fl_proxy_header(FL_TCPX_PROXY_V2, CIP, CPORT, VIP, VPORT, b);
	static const uint8_t v2[28] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,
					198, 18, 0, 10, 198, 18, 0, 100, 0x9c, 0x40, 0x00, 0x50 };
	CHECK(n == 28 && memcmp(b, v2, 28) == 0, "v2 bytes");
	CHECK(fl_proxy_header(FL_TCPX_TOA, CIP, CPORT, VIP, VPORT, b) == 0, "no header for TOA");
	uint8_t t[FL_TOA_LEN];
	fl_toa_option(CIP, CPORT, t);
	static const uint8_t toa[8] = { 254, 8, 0x9c, 0x40, 198, 18, 0, 10 };
	CHECK(memcmp(t, toa, 8) == 0, "TOA bytes");
	return NULL;
}

static const struct fl_tap_case tests[] = {
	{ "syncookie round trip and age", cookie_round_trip },
	{ "syncookie forgeries", cookie_forgeries },
	{ "syncookie MSS table", cookie_mss_table },
	{ "seqadj PROXY delta across the wrap", seqadj_proxy_delta },
	{ "seqadj SACK edges at every offset", seqadj_sack_offsets },
	{ "seqadj SYN proxy delta", seqadj_synproxy_delta },
	{ "PROXY v1 v2 and TOA bytes", proxy_headers },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), VARIANT);
}
