/* DR (direct routing, ipvsadm -g): only the Ethernet header changes, to the
 * real server's MAC on the director's own segment; the IP packet is
 * untouched and the reply goes from the server to the client directly. */
#include "method.h"
#include "../sync/sync_proto.h"

static void dr_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		  uint8_t *l4, uint8_t proto, const struct fl_session *se, unsigned rx_port)
{
	if (fl_ipv4_too_big(w, s, m, ip, se->raddr, rx_port))
		return;
	fl_ipv4_output_rs(w, s, m, se->server_id, se->raddr, true);
}

const struct fl_method_ops fl_method_dr = {
	.name = "dr",
	.flags = FL_METHOD_F_INPUT_ONLY,
	.sync_fwd = FL_IPVS_F_DROUTE,
	.xmit_in = dr_in,
};
