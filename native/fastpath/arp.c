/* ARP: answer for our addresses on the port they live on, learn neighbours,
 * and let the kernel twin see replies so its own neighbour cache fills for
 * the exception path (it never sees requests, so it never answers twice). */
#include <rte_arp.h>

#include "dp.h"
#include "neigh.h"

void fl_arp_input(struct fl_worker *w, const struct fl_snapshot *s, unsigned port, struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
		return fl_drop_pkt(w, m, FL_DROP_MALFORMED);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(eh + 1);
	if (ah->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4)
		return fl_drop_pkt(w, m, FL_DROP_MALFORMED);

	uint16_t op = rte_be_to_cpu_16(ah->arp_opcode);
	uint32_t sip = ah->arp_data.arp_sip, tip = ah->arp_data.arp_tip;
	const struct fl_local_addr *target = fl_local_lookup(s, tip);
	bool ours = target && target->port == port && !target->standby;
	bool gratuitous = sip == tip;

	if (sip != 0 && !rte_is_multicast_ether_addr(&ah->arp_data.arp_sha)) {
		/* Like Linux: create entries only from ARP aimed at us; a
		 * gratuitous or foreign ARP only refreshes an existing entry. */
		fl_neigh_learn((uint16_t)port, sip, &ah->arp_data.arp_sha, !ours || gratuitous);
	}

	if (op == RTE_ARP_OP_REQUEST && ours && !gratuitous) {
		/* Turn the request into the reply in place. */
		struct fl_port *p = &fl_ports[port];
		eh->dst_addr = eh->src_addr;
		eh->src_addr = p->mac;
		ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		ah->arp_data.arp_tha = ah->arp_data.arp_sha;
		ah->arp_data.arp_tip = sip;
		ah->arp_data.arp_sha = p->mac;
		ah->arp_data.arp_sip = tip;
		/* Drop any Ethernet padding so the reply is exactly 42 bytes. */
		uint32_t want = sizeof(*eh) + sizeof(*ah);
		if (rte_pktmbuf_pkt_len(m) > want)
			rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - want);
		w->ctr->arp_replies++;
		fl_tx(w, port, m);
		return;
	}
	if (op == RTE_ARP_OP_REPLY && ours) {
		/* Learned above; the kernel twin learns from it too. */
		if (fl_ports[port].twin_id != FL_NO_PORT)
			fl_to_kernel(w, port, m);
		else
			rte_pktmbuf_free(m);
		return;
	}
	if (gratuitous && fl_ports[port].twin_id != FL_NO_PORT) {
		fl_to_kernel(w, port, m);
		return;
	}
	fl_drop_pkt(w, m, FL_DROP_NOT_FOR_US);
}
