/* DR over IPv6: only the Ethernet header changes, to the real server's MAC
 * on the director's own segment (its neighbour entry); the IPv6 packet is
 * untouched, hop limit included, and the server replies to the client
 * directly. */
#include "method6.h"

static void dr6_in(struct fl_worker *w, const struct fl_snapshot *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		   uint8_t *l4, uint8_t proto, const struct fl_session6 *se, unsigned rx_port)
{
	if (fl_ipv6_too_big(w, s, m, ip, &se->raddr, rx_port))
		return;
	/* The server itself is the next hop, on the port its route names (the
	 * config keeps DR servers on-link). */
	fl_ipv6_output_rs(w, s, m, se->server_id, &se->raddr, true);
}

const struct fl_method6_ops fl_method6_dr = {
	.name = "dr",
	.flags = FL_METHOD_F_INPUT_ONLY,
	.xmit_in = dr6_in,
};
