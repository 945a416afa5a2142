/* Control-side readers of the LB's counters (API, metrics): per real server
 * (summed over the workers' rows), persistence templates, LIP ports. */
#include <string.h>

#include "../fastpath/lb.h"
#include "../fastpath/lport.h"
#include "../session/persist.h"

unsigned fl_server_stats_read(struct fl_server_stats *out, unsigned max)
{
	const struct fl_snapshot *s = fl_snap_current;   /* the control thread is its writer */
	if (!s || !fl_conns_all)
		return 0;
	unsigned n = 0, nw = fl_dp.conf.n_workers;
	for (unsigned i = 0; i < s->n_services; i++) {
		const struct fl_snap_service *v = &s->services[i];
		for (unsigned j = 0; j < v->n_servers && n < max; j++) {
			uint32_t id = s->servers[v->first_server + j].id;
			struct fl_server_stats *o = &out[n++];
			memset(o, 0, sizeof(*o));
			o->id = id;
			for (unsigned k = 0; k < nw; k++) {
				const struct fl_sched_conns *c = &fl_conns_all[(size_t)k * FL_MAX_SERVER_IDS + id];
				const struct fl_server_traffic *t = &fl_traffic_all[(size_t)k * FL_MAX_SERVER_IDS + id];
				o->active += __atomic_load_n(&c->active, __ATOMIC_RELAXED);
				o->inactive += __atomic_load_n(&c->inactive, __ATOMIC_RELAXED);
				o->conns += __atomic_load_n(&t->conns, __ATOMIC_RELAXED);
				o->pkts_in += __atomic_load_n(&t->pkts_in, __ATOMIC_RELAXED);
				o->pkts_out += __atomic_load_n(&t->pkts_out, __ATOMIC_RELAXED);
				o->bytes_in += __atomic_load_n(&t->bytes_in, __ATOMIC_RELAXED);
				o->bytes_out += __atomic_load_n(&t->bytes_out, __ATOMIC_RELAXED);
			}
		}
	}
	return n;
}

void fl_persist_stats_read(struct fl_persist_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!fl_tpl_tbl)
		return;
	out->slots = fl_tpl_tbl->mask + 1;
	out->full = __atomic_load_n(&fl_tpl_tbl->full_drops, __ATOMIC_RELAXED);
	out->reclaimed = __atomic_load_n(&fl_tpl_tbl->reclaimed, __ATOMIC_RELAXED);
}

unsigned fl_templates_read(uint32_t *cursor, struct fl_template_info *out, unsigned max, int *done)
{
	*done = 1;
	if (!fl_tpl_tbl)
		return 0;
	struct fl_tpl_entry e[64];
	uint64_t now = fl_now_ms();
	unsigned n = 0;
	while (n < max) {
		unsigned want = max - n < 64 ? max - n : 64;
		unsigned k = fl_tpl_list(fl_tpl_tbl, now, cursor, e, want);
		/* IPv6 templates hold a digest, not an address (persist.h). */
		unsigned kept = 0;
		for (unsigned i = 0; i < k; i++)
			if (!(e[i].service_id & FL_TPL_SVC_IPV6))
				e[kept++] = e[i];
		k = kept;
		for (unsigned i = 0; i < k; i++)
			out[n++] = (struct fl_template_info){
				.service_id = e[i].service_id, .client = e[i].client, .server_id = e[i].server_id,
				.expires_in_ms = e[i].expires_ms > now ? (uint32_t)(e[i].expires_ms - now) : 0,
				.refcnt = e[i].refcnt,
			};
		if (*cursor > fl_tpl_tbl->mask)
			break;
	}
	*done = *cursor > fl_tpl_tbl->mask;
	return n;
}

unsigned fl_lip_stats_read(struct fl_lip_stats *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < fl_n_lips; i++)
		for (unsigned w = 0; w < fl_dp.conf.n_workers && n < max; w++) {
			const struct fl_lport_pool *p = fl_lip_pool[i][w];
			if (!p)
				continue;
			out[n].family = fl_lip_family[i];
			out[n].ip = fl_lip_ip[i];
			out[n].ip6 = fl_lip_ip6[i];
			out[n].worker = (uint16_t)w;
			/* Held ports (synced sessions) are queued but not free. */
			uint32_t queued = __atomic_load_n(&p->count, __ATOMIC_RELAXED);
			uint32_t held = __atomic_load_n(&p->held, __ATOMIC_RELAXED);
			out[n].free = queued > held ? queued - held : 0;
			out[n].capacity = fl_lport_slice_size(w, fl_dp.conf.n_workers);
			n++;
		}
	return n;
}
