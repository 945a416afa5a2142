/*
 * The IPv6 family's session table: its key hash and how its 128-byte record
 * holds its keys; the table itself is sess_table_impl.h, shared with IPv4
 * (session.c). See session6.h.
 */
#include "session6.h"

#include <rte_hash_crc.h>

static inline uint64_t fl_load64(const void *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* CRC32-C over the 40 key bytes, 8 at a time (the IPv4 key takes 2 steps). */
static inline uint32_t fl_fam_key_hash(const struct fl_flow_key6 *k, uint32_t seed)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = seed;
	for (unsigned i = 0; i < sizeof(*k); i += 8)
		h = rte_hash_crc_8byte(fl_load64(p + i), h);
	return h;
}

static inline void fl_fam_in_key(const struct fl_session6 *s, struct fl_flow_key6 *k)
{
	*k = fl_flow_key6_make(&s->caddr, &s->vaddr, s->cport, s->vport, s->proto);
}

static inline void fl_fam_out_key(const struct fl_session6 *s, struct fl_flow_key6 *k)
{
	*k = fl_flow_key6_make(&s->raddr, &s->laddr, s->rport, s->lport, s->proto);
}

static inline void fl_fam_set_in(struct fl_session6 *s, const struct fl_flow_key6 *k)
{
	s->caddr = k->saddr;
	s->vaddr = k->daddr;
	s->cport = k->sport;
	s->vport = k->dport;
}

static inline void fl_fam_set_out(struct fl_session6 *s, const struct fl_flow_key6 *k)
{
	s->raddr = k->saddr;
	s->laddr = k->daddr;
	s->rport = k->sport;
	s->lport = k->dport;
}

static inline void fl_fam_view(const struct fl_session6 *s, struct fl_sess6_view *v)
{
	*v = (struct fl_sess6_view){
		.caddr = s->caddr, .vaddr = s->vaddr,
		.raddr = s->raddr, .laddr = s->laddr,
		.cport = s->cport, .vport = s->vport,
		.rport = s->rport, .lport = s->lport,
		.proto = s->proto, .state = s->state,
		.flags = s->flags, .method = s->method,
		.server_id = s->server_id, .service_id = s->service_id,
		.deadline_ms = s->deadline_ms,
		.pkts = s->pkts,
	};
}

#define FL_ST(name) fl_sess6_##name
#define FL_ST_TABLE struct fl_sess6_table
#define FL_ST_REC struct fl_session6
#define FL_ST_KEY struct fl_flow_key6
#define FL_ST_VIEW struct fl_sess6_view
#include "sess_table_impl.h"
