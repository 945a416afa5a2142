/* IPVS sync protocol version 1: building and parsing messages (sync_proto.h). */
#include <string.h>

#include "sync_proto.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Addresses and ports are kept in network order: copied as bytes. */
static void put_raw(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
}

size_t fl_sync_conn_size(const struct fl_sync_conn *c)
{
	return FL_SYNC_CONN_V4 + (c->has_local ? 2 + FL_SYNC_OPT_LOCAL_LEN : 0) +
	       (c->has_seq ? 2 + FL_SYNC_OPT_TCPX_LEN : 0);
}

void fl_sync_msg_start(struct fl_sync_builder *b, uint8_t *buf, size_t cap, uint8_t syncid)
{
	b->buf = buf, b->cap = cap, b->len = FL_SYNC_MSG_HDR, b->n = 0;
	memset(buf, 0, FL_SYNC_MSG_HDR);
	buf[1] = syncid;
	buf[5] = FL_SYNC_VERSION;
}

static uint8_t *put_seq(uint8_t *p, const struct fl_sync_seq *q)
{
	put32(p, q->c_isn1), put32(p + 4, q->s_isn1), put32(p + 8, (uint32_t)q->s_delta);
	put16(p + 12, q->c_delta);
	p[14] = q->mode, p[15] = q->flags;
	put32(p + 16, q->d_isn1), put32(p + 20, q->ts_delta), put32(p + 24, q->c_ts_off);
	p[28] = q->mssind, p[29] = q->c_wscale, p[30] = q->s_wscale, p[31] = 0;
	return p + FL_SYNC_OPT_TCPX_LEN;
}

static void get_seq(const uint8_t *p, struct fl_sync_seq *q)
{
	q->c_isn1 = get32(p), q->s_isn1 = get32(p + 4), q->s_delta = (int32_t)get32(p + 8);
	q->c_delta = get16(p + 12);
	q->mode = p[14], q->flags = p[15];
	q->d_isn1 = get32(p + 16), q->ts_delta = get32(p + 20), q->c_ts_off = get32(p + 24);
	q->mssind = p[28], q->c_wscale = p[29], q->s_wscale = p[30], q->pad = 0;
}

int fl_sync_msg_add(struct fl_sync_builder *b, const struct fl_sync_conn *c)
{
	size_t size = fl_sync_conn_size(c);
	size_t at = (b->len + 3) & ~(size_t)3;   /* each conn starts 32-bit aligned */
	if (b->n >= FL_SYNC_MAX_CONNS || at + size > b->cap)
		return -1;
	memset(b->buf + b->len, 0, at - b->len);
	uint8_t *p = b->buf + at;
	p[0] = 0;                                /* IPv4 */
	p[1] = c->proto;
	put16(p + 2, (uint16_t)size);            /* version 0 of the conn format */
	put32(p + 4, c->flags);
	put16(p + 8, c->state);
	put_raw(p + 10, &c->cport, 2), put_raw(p + 12, &c->vport, 2), put_raw(p + 14, &c->dport, 2);
	put32(p + 16, 0);                        /* fwmark */
	put32(p + 20, c->timeout_s);
	put_raw(p + 24, &c->caddr, 4), put_raw(p + 28, &c->vaddr, 4), put_raw(p + 32, &c->daddr, 4);
	p += FL_SYNC_CONN_V4;
	if (c->has_local) {
		p[0] = FL_SYNC_OPT_LOCAL, p[1] = FL_SYNC_OPT_LOCAL_LEN;
		put_raw(p + 2, &c->laddr, 4), put_raw(p + 6, &c->lport, 2);
		p[8] = p[9] = 0;
		p += 2 + FL_SYNC_OPT_LOCAL_LEN;
	}
	if (c->has_seq) {
		p[0] = FL_SYNC_OPT_TCPX, p[1] = FL_SYNC_OPT_TCPX_LEN;
		put_seq(p + 2, &c->seq);
	}
	b->len = at + size;
	b->n++;
	return 0;
}

size_t fl_sync_msg_finish(struct fl_sync_builder *b)
{
	if (!b->n)
		return 0;
	put16(b->buf + 2, (uint16_t)b->len);
	b->buf[4] = (uint8_t)b->n;
	return b->len;
}

static const char *const err_names[FL_SYNC_E__MAX] = {
	[FL_SYNC_OK] = "ok",
	[FL_SYNC_E_SHORT] = "bad_length",
	[FL_SYNC_E_VERSION] = "bad_version",
	[FL_SYNC_E_SYNCID] = "other_syncid",
	[FL_SYNC_E_CONN] = "bad_conn",
};

const char *fl_sync_err_name(unsigned e)
{
	return e < FL_SYNC_E__MAX ? err_names[e] : NULL;
}

/* The options of one conn, [p, end): ours are read, IPVS's optional ones
 * skipped, and an unknown mandatory one refuses the conn, as IPVS does. */
static int parse_options(const uint8_t *p, const uint8_t *end, struct fl_sync_conn *c)
{
	while (p < end) {
		if (end - p < 2)
			return -1;
		uint8_t type = p[0], len = p[1];
		p += 2;
		if (!len || len > end - p)
			return -1;
		if (type == FL_SYNC_OPT_LOCAL) {
			if (len != FL_SYNC_OPT_LOCAL_LEN)
				return -1;
			memcpy(&c->laddr, p, 4), memcpy(&c->lport, p + 4, 2);
			c->has_local = 1;
		} else if (type == FL_SYNC_OPT_TCPX) {
			if (len != FL_SYNC_OPT_TCPX_LEN)
				return -1;
			get_seq(p, &c->seq);
			c->has_seq = 1;
		} else if (type == FL_SYNC_OPT_SEQ_DATA) {
			/* IPVS's own sequence data: NAT with an FTP helper, which
			 * no Fulcrum method has; accepted and not used. */
		} else if (!(type & FL_SYNC_OPT_F_PARAM)) {
			return -1;
		}
		p += len;
	}
	return 0;
}

enum fl_sync_err fl_sync_msg_parse(const uint8_t *msg, size_t len, uint8_t syncid, fl_sync_conn_cb cb, void *arg,
				   unsigned *n_conns, unsigned *n_skipped)
{
	*n_conns = 0;
	*n_skipped = 0;
	if (len < FL_SYNC_MSG_HDR || get16(msg + 2) != len)
		return FL_SYNC_E_SHORT;
	if (msg[0] != 0 || msg[5] != FL_SYNC_VERSION)
		return FL_SYNC_E_VERSION;   /* reserved != 0 is how a version 0 message starts */
	if (syncid && msg[1] != syncid)
		return FL_SYNC_E_SYNCID;
	unsigned nr = msg[4];
	const uint8_t *p = msg + FL_SYNC_MSG_HDR, *end = msg + len;
	for (unsigned i = 0; i < nr; i++) {
		if (end - p < 4)
			return FL_SYNC_E_CONN;
		uint16_t vs = get16(p + 2);
		size_t size = vs & 0x0fff;
		if (vs >> 12 || size < 4 || size > (size_t)(end - p))
			return FL_SYNC_E_CONN;
		if (p[0] & 1) {
			(*n_skipped)++;    /* IPv6 */
		} else {
			if (size < FL_SYNC_CONN_V4)
				return FL_SYNC_E_CONN;
			struct fl_sync_conn c;
			memset(&c, 0, sizeof(c));
			c.proto = p[1];
			c.flags = get32(p + 4);
			c.state = get16(p + 8);
			memcpy(&c.cport, p + 10, 2), memcpy(&c.vport, p + 12, 2), memcpy(&c.dport, p + 14, 2);
			c.timeout_s = get32(p + 20);
			memcpy(&c.caddr, p + 24, 4), memcpy(&c.vaddr, p + 28, 4), memcpy(&c.daddr, p + 32, 4);
			if (parse_options(p + FL_SYNC_CONN_V4, p + size, &c) < 0)
				return FL_SYNC_E_CONN;
			cb(&c, arg);
			(*n_conns)++;
		}
		size_t step = (size + 3) & ~(size_t)3;
		p = step > (size_t)(end - p) ? end : p + step;
	}
	return FL_SYNC_OK;
}
