/* Steering: the redirect rings between workers (steering.h). */
#include <stdio.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>

#include "steering.h"

int fl_relay_off = -1;
static struct rte_ring *redir[FL_MAX_WORKERS][FL_MAX_WORKERS];

bool fl_redirect_hops(struct fl_worker *w, unsigned owner, struct rte_mbuf *m, unsigned port, uint8_t hops)
{
	m->port = (uint16_t)port;   /* the owner needs the RX port index */
	*fl_relay_hops(m) = hops;
	if (rte_ring_sp_enqueue(w->redir_out[owner], m) != 0) {
		fl_drop_pkt(w, m, FL_DROP_REDIRECT_FULL);
		return true;
	}
	w->ctr->redirect_out++;
	fl_idle_kick(&fl_dp.workers[owner]);
	return true;
}

int fl_redirect_init(unsigned n_workers, char *err, size_t errlen)
{
	static const struct rte_mbuf_dynfield relay = { .name = "fulcrum_icmp_relay", .size = 1, .align = 1 };
	fl_relay_off = rte_mbuf_dynfield_register(&relay);
	if (fl_relay_off < 0) {
		snprintf(err, errlen, "cannot register the mbuf field of ICMP relays: %s", rte_strerror(rte_errno));
		return -1;
	}
	for (unsigned a = 0; a < n_workers; a++)
		for (unsigned b = 0; b < n_workers; b++) {
			if (a == b)
				continue;
			char name[RTE_RING_NAMESIZE];
			snprintf(name, sizeof(name), "fl_redir_%u_%u", a, b);
			redir[a][b] = rte_ring_create(name, 2048, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!redir[a][b]) {
				snprintf(err, errlen, "cannot create redirect ring %u->%u", a, b);
				return -1;
			}
		}
	return 0;
}

void fl_redirect_bind(struct fl_worker *w)
{
	for (unsigned j = 0; j < fl_dp.conf.n_workers; j++) {
		w->redir_out[j] = j == w->idx ? NULL : redir[w->idx][j];
		w->redir_in[j] = j == w->idx ? NULL : redir[j][w->idx];
	}
}

void fl_redirect_free(void)
{
	for (unsigned a = 0; a < FL_MAX_WORKERS; a++)
		for (unsigned b = 0; b < FL_MAX_WORKERS; b++)
			if (redir[a][b]) {
				void *m;
				while (rte_ring_dequeue(redir[a][b], &m) == 0)
					rte_pktmbuf_free(m);
				rte_ring_free(redir[a][b]);
				redir[a][b] = NULL;
			}
}
