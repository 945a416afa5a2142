/*
 * C unit tests of the IPVS sync protocol v1 (native/sync/sync_proto.c): the
 * exact bytes of a message, round trips with and without Fulcrum's options,
 * 4-byte alignment between conns, the 255-conn and length limits, and the
 * hostile inputs a backup must refuse without reading past the datagram.
 */
#include <stdlib.h>
#include <string.h>

#include "../../native/sync/sync_proto.h"
#include "tap.h"

#ifndef VARIANT
#define VARIANT ""
#endif

static uint32_t ip_be(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint32_t v;
	uint8_t bytes[4] = { a, b, c, d };
	memcpy(&v, bytes, 4);
	return v;
}

static uint16_t port_be(uint16_t p)
{
	uint16_t v;
	uint8_t bytes[2] = { (uint8_t)(p >> 8), (uint8_t)p };
	memcpy(&v, bytes, 2);
	return v;
}

static struct fl_sync_conn sample(unsigned i)
{
	struct fl_sync_conn c;
	memset(&c, 0, sizeof(c));
	c.caddr = ip_be(198, 18, 0, 10), c.vaddr = ip_be(198, 18, 0, 100), c.daddr = ip_be(198, 19, 0, 11);
	c.cport = port_be((uint16_t)(40000 + i)), c.vport = port_be(80), c.dport = port_be(8080);
	c.proto = 6;
	c.state = 1;
	c.flags = FL_IPVS_F_FULLNAT;
	c.timeout_s = 900;
	return c;
}

static struct fl_sync_conn got[300];
static unsigned n_got;

static void collect(const struct fl_sync_conn *c, void *arg)
{
	(void)arg;
	if (n_got < 300)
		got[n_got++] = *c;
}

static enum fl_sync_err parse(const uint8_t *m, size_t len, uint8_t syncid, unsigned *n, unsigned *skipped)
{
	n_got = 0;
	return fl_sync_msg_parse(m, len, syncid, collect, NULL, n, skipped);
}

/* A DR conn, no options: the layout IPVS's ip_vs_sync_conn writes. */
static const char *exact_bytes(void)
{
	uint8_t buf[256];
	struct fl_sync_builder b;
	struct fl_sync_conn c = sample(0);
	c.flags = FL_IPVS_F_DROUTE | FL_IPVS_F_NOOUTPUT;
	fl_sync_msg_start(&b, buf, sizeof(buf), 7);
	CHECK(fl_sync_msg_add(&b, &c) == 0, "add");
	size_t len = fl_sync_msg_finish(&b);
	static const uint8_t want[] = {
		0, 7, 0, 44, 1, 1, 0, 0,                  /* reserved, syncid 7, size 44, 1 conn, version 1, spare */
		0, 6, 0, 36,                              /* IPv4, TCP, version 0 + size 36 */
		0, 0, 0, 0x83, 0, 1,                      /* flags DROUTE|NOOUTPUT, state ESTABLISHED */
		0x9c, 0x40, 0, 80, 0x1f, 0x90,            /* cport 40000, vport 80, dport 8080 */
		0, 0, 0, 0, 0, 0, 0x03, 0x84,             /* fwmark 0, timeout 900 */
		198, 18, 0, 10, 198, 18, 0, 100, 198, 19, 0, 11,
	};
	CHECK(len == sizeof(want), "length %zu", len);
	CHECK(memcmp(buf, want, sizeof(want)) == 0, "bytes differ");
	return NULL;
}

static const char *round_trip_options(void)
{
	uint8_t buf[512];
	struct fl_sync_builder b;
	struct fl_sync_conn c = sample(1);
	c.has_local = 1, c.laddr = ip_be(198, 19, 0, 2), c.lport = port_be(4097);
	c.has_seq = 1;
	c.seq = (struct fl_sync_seq){ .c_isn1 = 0xfffffff0u, .s_isn1 = 123, .s_delta = -5, .c_delta = 108,
				      .mode = 2, .flags = 0x87, .d_isn1 = 9, .ts_delta = 0x80000001u,
				      .c_ts_off = 77, .mssind = 3, .c_wscale = 7, .s_wscale = 15 };
	struct fl_sync_conn plain = sample(2);
	fl_sync_msg_start(&b, buf, sizeof(buf), 1);
	CHECK(fl_sync_msg_add(&b, &c) == 0 && fl_sync_msg_add(&b, &plain) == 0, "add");
	size_t len = fl_sync_msg_finish(&b);
	/* 36 + 10 + 34 = 80 (aligned), then 36 */
	CHECK(len == 8 + 80 + 36, "length %zu", len);
	CHECK(buf[8 + 36] == FL_SYNC_OPT_LOCAL && buf[8 + 46] == FL_SYNC_OPT_TCPX, "option types");
	unsigned n, skipped;
	CHECK(parse(buf, len, 1, &n, &skipped) == FL_SYNC_OK && n == 2 && skipped == 0, "parse: %u", n);
	CHECK(got[0].has_local && got[0].laddr == c.laddr && got[0].lport == c.lport, "local");
	CHECK(got[0].has_seq && memcmp(&got[0].seq, &c.seq, sizeof(c.seq)) == 0, "seq state");
	CHECK(got[0].caddr == c.caddr && got[0].cport == c.cport && got[0].timeout_s == 900 && got[0].state == 1, "fields");
	CHECK(!got[1].has_local && !got[1].has_seq && got[1].cport == plain.cport, "second conn");
	return NULL;
}

/* An odd-sized conn (an optional option of 3 bytes) is padded to 4. */
static const char *alignment(void)
{
	uint8_t buf[256];
	struct fl_sync_builder b;
	struct fl_sync_conn c = sample(3);
	fl_sync_msg_start(&b, buf, sizeof(buf), 0);
	fl_sync_msg_add(&b, &c);
	fl_sync_msg_add(&b, &c);
	size_t len = fl_sync_msg_finish(&b);
	/* Grow the first conn by an optional 3-byte option (type 0x85). */
	uint8_t m[256];
	memcpy(m, buf, 8 + 36);
	m[8 + 36] = 0x85, m[8 + 37] = 1, m[8 + 38] = 0xaa;      /* size 39, padded to 40 */
	m[8 + 39] = 0;
	memcpy(m + 8 + 40, buf + 8 + 36, 36);
	m[8 + 3] = 39;
	size_t mlen = len + 4;
	m[2] = (uint8_t)(mlen >> 8), m[3] = (uint8_t)mlen;
	unsigned n, skipped;
	CHECK(parse(m, mlen, 0, &n, &skipped) == FL_SYNC_OK && n == 2, "parse: %u", n);
	CHECK(got[1].cport == c.cport && got[1].daddr == c.daddr, "second conn found after the padding");
	/* A mandatory unknown option refuses the conn, as IPVS does. */
	m[8 + 36] = 0x05;
	CHECK(parse(m, mlen, 0, &n, &skipped) == FL_SYNC_E_CONN && n == 0, "mandatory unknown option");
	return NULL;
}

static const char *limits(void)
{
	static uint8_t buf[65536];
	struct fl_sync_builder b;
	struct fl_sync_conn c = sample(0);
	fl_sync_msg_start(&b, buf, sizeof(buf), 0);
	unsigned added = 0;
	while (fl_sync_msg_add(&b, &c) == 0)
		added++;
	CHECK(added == FL_SYNC_MAX_CONNS, "nr_conns is a byte: %u", added);
	fl_sync_msg_start(&b, buf, 8 + 36 * 3 + 10, 0);
	added = 0;
	while (fl_sync_msg_add(&b, &c) == 0)
		added++;
	CHECK(added == 3, "length limit: %u", added);
	CHECK(fl_sync_msg_finish(&b) == 8 + 36 * 3, "finish");
	struct fl_sync_builder e;
	fl_sync_msg_start(&e, buf, 100, 0);
	CHECK(fl_sync_msg_finish(&e) == 0, "empty message");
	return NULL;
}

static const char *hostile(void)
{
	uint8_t buf[256], m[256];
	struct fl_sync_builder b;
	struct fl_sync_conn c = sample(0);
	fl_sync_msg_start(&b, buf, sizeof(buf), 3);
	fl_sync_msg_add(&b, &c);
	size_t len = fl_sync_msg_finish(&b);
	unsigned n, skipped;
	CHECK(parse(buf, len - 1, 0, &n, &skipped) == FL_SYNC_E_SHORT, "size != datagram");
	CHECK(parse(buf, 4, 0, &n, &skipped) == FL_SYNC_E_SHORT, "shorter than a header");
	CHECK(parse(buf, len, 4, &n, &skipped) == FL_SYNC_E_SYNCID, "other sync id");
	CHECK(parse(buf, len, 0, &n, &skipped) == FL_SYNC_OK && n == 1, "sync id 0 takes any");
	memcpy(m, buf, len);
	m[0] = 1;   /* a version 0 message has a conn count here */
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_E_VERSION, "version 0");
	memcpy(m, buf, len);
	m[4] = 2;   /* claims two conns, holds one */
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_E_CONN && n == 1, "conn count past the end");
	memcpy(m, buf, len);
	m[8 + 3] = 200;   /* conn size past the message */
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_E_CONN && n == 0, "conn size past the end");
	memcpy(m, buf, len);
	m[8 + 2] = 0x10;  /* conn version 1 */
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_E_CONN, "conn version");
	memcpy(m, buf, len);
	m[8] = 1;         /* IPv6 type bit: skipped, not misread */
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_OK && n == 0 && skipped == 1, "IPv6 conn skipped");
	/* Options: zero length, length past the conn, wrong length of ours. */
	struct fl_sync_conn o = sample(0);
	o.has_local = 1;
	fl_sync_msg_start(&b, buf, sizeof(buf), 0);
	fl_sync_msg_add(&b, &o);
	len = fl_sync_msg_finish(&b);
	memcpy(m, buf, len);
	m[8 + 37] = 0;
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_E_CONN, "zero-length option");
	memcpy(m, buf, len);
	m[8 + 37] = 9;
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_E_CONN, "option past the conn");
	memcpy(m, buf, len);
	m[8 + 37] = 4;
	m[8 + 3] = 36 + 6;
	CHECK(parse(m, len, 0, &n, &skipped) == FL_SYNC_E_CONN, "our option with a wrong length");
	/* Random bytes never read past the buffer (the sanitizer variant checks). */
	srand(7);
	for (unsigned t = 0; t < 20000; t++) {
		size_t l = 8 + (size_t)(rand() % 120);
		uint8_t *r = malloc(l);
		for (size_t k = 0; k < l; k++)
			r[k] = (uint8_t)rand();
		r[0] = 0, r[5] = 1, r[2] = (uint8_t)(l >> 8), r[3] = (uint8_t)l;
		parse(r, l, 0, &n, &skipped);
		free(r);
	}
	return NULL;
}

int main(void)
{
	static const struct fl_tap_case cases[] = {
		{ "exact bytes of a DR conn", exact_bytes },
		{ "round trip with the FULLNAT and TCP edit options", round_trip_options },
		{ "conns are 32-bit aligned, unknown options by IPVS rules", alignment },
		{ "255 conns and the length limit", limits },
		{ "hostile messages are refused within the datagram", hostile },
	};
	return fl_tap_run(cases, sizeof(cases) / sizeof(cases[0]), VARIANT);
}
