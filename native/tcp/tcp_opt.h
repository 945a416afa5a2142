/* TCP option walking and in-place edits shared by the stream edits: one
 * bounded walk that stops at the first malformed option (the rest is passed
 * on as it came), and 16/32-bit field replacements that keep the checksum
 * incremental wherever the field sits. */
#ifndef FL_TCP_OPT_H
#define FL_TCP_OPT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "../fastpath/csum.h"

#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WSCALE    3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK      5
#define TCPOPT_TS        8

/* The first option of `kind` (whose length must be `len`, or >= 2 when len
 * is 0) in th's option space, or NULL. */
static inline uint8_t *fl_tcp_opt_find(struct rte_tcp_hdr *th, uint8_t kind, uint8_t len)
{
	unsigned hl = (th->data_off >> 4) * 4u;
	uint8_t *o = (uint8_t *)(th + 1), *end = (uint8_t *)th + hl;
	while (o < end) {
		if (*o == TCPOPT_EOL)
			return NULL;
		if (*o == TCPOPT_NOP) {
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2 || o + o[1] > end)
			return NULL;
		if (o[0] == kind && (len == 0 || o[1] == len))
			return o;
		o += o[1];
	}
	return NULL;
}

/* Whether p (inside th) sits at an odd offset of the TCP header: then a
 * field's bytes straddle the checksum's 16-bit words. */
static inline bool fl_tcp_odd(const struct rte_tcp_hdr *th, const uint8_t *p)
{
	return ((uintptr_t)(p - (const uint8_t *)th)) & 1;
}

/* Replace the 4 bytes at p with new_be; the checksum difference to add. */
static inline uint32_t fl_tcp_replace4(const struct rte_tcp_hdr *th, uint8_t *p, uint32_t new_be)
{
	uint32_t old;
	memcpy(&old, p, 4);
	memcpy(p, &new_be, 4);
	uint32_t d = cs_diff4(old, new_be);
	return fl_tcp_odd(th, p) ? rte_bswap16(cs_fold(d)) : d;
}

static inline uint32_t fl_tcp_get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

#endif
