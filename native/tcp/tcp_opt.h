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

/* The option walk, one step: the next option at or after *at (NOPs
 * skipped), with *at moved past it; NULL at EOL, at `end`, or at a malformed
 * option (a length below 2 or past the header: the rest is passed on as it
 * came). Start with *at = th + 1 and end = fl_tcp_opts_end(th). */
static inline uint8_t *fl_tcp_opt_next(uint8_t **at, const uint8_t *end)
{
	uint8_t *o = *at;
	while (o < end && *o == TCPOPT_NOP)
		o++;
	if (o >= end || *o == TCPOPT_EOL || o + 1 >= end || o[1] < 2 || o + o[1] > end)
		return NULL;
	*at = o + o[1];
	return o;
}

static inline const uint8_t *fl_tcp_opts_end(const struct rte_tcp_hdr *th)
{
	return (const uint8_t *)th + (th->data_off >> 4) * 4u;
}

/* The first option of `kind` (whose length must be `len`, or >= 2 when len
 * is 0) in th's option space, or NULL. */
static inline uint8_t *fl_tcp_opt_find(struct rte_tcp_hdr *th, uint8_t kind, uint8_t len)
{
	uint8_t *at = (uint8_t *)(th + 1), *o;
	const uint8_t *end = fl_tcp_opts_end(th);
	while ((o = fl_tcp_opt_next(&at, end)))
		if (o[0] == kind && (len == 0 || o[1] == len))
			return o;
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
