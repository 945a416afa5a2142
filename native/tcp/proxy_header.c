/* The PROXY protocol header (HAProxy's proxy-protocol.txt) for a TCP over
 * IPv4 connection: version 1 is one text line, version 2 a 16-byte binary
 * preamble and the two address/port pairs. Built once per session, when it
 * opens (its length is the session's sequence delta) and each time the
 * header goes out again. */
#include <string.h>

#include <rte_byteorder.h>

#include "tcpx.h"

static const uint8_t V2_SIG[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
#define V2_CMD_PROXY   0x21   /* version 2, command PROXY */
#define V2_FAM_TCP4    0x11   /* AF_INET, STREAM */
#define V2_LEN_INET    12     /* two IPv4 addresses and two ports */

static uint8_t *put_dec(uint8_t *p, unsigned v)
{
	char tmp[10];
	unsigned n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = (uint8_t)tmp[--n];
	return p;
}

static uint8_t *put_ip(uint8_t *p, uint32_t ip_be)
{
	const uint8_t *b = (const uint8_t *)&ip_be;
	for (int i = 0; i < 4; i++) {
		p = put_dec(p, b[i]);
		if (i < 3)
			*p++ = '.';
	}
	return p;
}

static uint8_t *put_str(uint8_t *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

unsigned fl_proxy_header(uint8_t mode, uint32_t cip, uint16_t cport, uint32_t vip, uint16_t vport, uint8_t *buf)
{
	uint8_t *p = buf;
	switch (mode) {
	case FL_TCPX_PROXY_V1:
		p = put_str(p, "PROXY TCP4 ");
		p = put_ip(p, cip);
		*p++ = ' ';
		p = put_ip(p, vip);
		*p++ = ' ';
		p = put_dec(p, rte_be_to_cpu_16(cport));
		*p++ = ' ';
		p = put_dec(p, rte_be_to_cpu_16(vport));
		p = put_str(p, "\r\n");
		return (unsigned)(p - buf);
	case FL_TCPX_PROXY_V2: {
		memcpy(p, V2_SIG, sizeof(V2_SIG));
		p += sizeof(V2_SIG);
		*p++ = V2_CMD_PROXY;
		*p++ = V2_FAM_TCP4;
		uint16_t len = rte_cpu_to_be_16(V2_LEN_INET);
		memcpy(p, &len, 2);
		p += 2;
		memcpy(p, &cip, 4);
		memcpy(p + 4, &vip, 4);
		memcpy(p + 8, &cport, 2);
		memcpy(p + 10, &vport, 2);
		return (unsigned)(p + 12 - buf);
	}
	default:
		return 0;
	}
}
