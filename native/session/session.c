/*
 * The IPv4 family's session table: its key hash and how its 64-byte record
 * holds its keys; the table itself is sess_table_impl.h, shared with IPv6
 * (session6.c). See session.h for the design.
 */
#include "session.h"

#include <rte_hash_crc.h>

static inline uint64_t fl_load64(const void *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t fl_fam_key_hash(const struct fl_flow_key *k, uint32_t seed)
{
	uint32_t h = rte_hash_crc_8byte(fl_load64(k), seed);
	return rte_hash_crc_8byte(fl_load64((const uint8_t *)k + 8), h);
}

static inline void fl_fam_in_key(const struct fl_session *s, struct fl_flow_key *k)
{
	*k = fl_flow_key_make(s->caddr, s->vaddr, s->cport, s->vport, s->proto);
}

static inline void fl_fam_out_key(const struct fl_session *s, struct fl_flow_key *k)
{
	*k = fl_flow_key_make(s->raddr, s->laddr, s->rport, s->lport, s->proto);
}

static inline void fl_fam_set_in(struct fl_session *s, const struct fl_flow_key *k)
{
	s->caddr = k->saddr;
	s->vaddr = k->daddr;
	s->cport = k->sport;
	s->vport = k->dport;
}

static inline void fl_fam_set_out(struct fl_session *s, const struct fl_flow_key *k)
{
	s->raddr = k->saddr;
	s->laddr = k->daddr;
	s->rport = k->sport;
	s->lport = k->dport;
}

static inline void fl_fam_view(const struct fl_session *s, struct fl_sess_view *v)
{
	*v = (struct fl_sess_view){
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

#define FL_ST(name) fl_sess_##name
#define FL_ST_TABLE struct fl_sess_table
#define FL_ST_REC struct fl_session
#define FL_ST_KEY struct fl_flow_key
#define FL_ST_VIEW struct fl_sess_view
#include "sess_table_impl.h"
