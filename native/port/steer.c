/* Return-traffic steering: where the NIC supports rte_flow, a rule per
 * (LIP, protocol, worker) sends replies whose destination port belongs to a
 * worker's slice (port & (workers - 1) == worker) straight to that worker's
 * RX queue. Elsewhere (af_packet, tap, ring, virtio, or a worker count that
 * is not a power of two, which a port mask cannot express) the fast path's
 * software redirect rings do the same job. */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_flow.h>

#include "port.h"
#include "steer.h"

struct steer_rule {
	uint32_t lip;              /* network order */
	uint16_t port;
	struct rte_flow *flows[2 * FL_MAX_WORKERS];
	unsigned n;
};

static struct steer_rule rules[FL_MAX_LIPS * FL_MAX_PORTS];
static unsigned n_rules;

static struct rte_flow *make_rule(uint16_t port_id, uint32_t lip, uint8_t proto, unsigned worker, unsigned nw,
				  bool validate_only, int *rc)
{
	struct rte_flow_attr attr = { .ingress = 1, .priority = 0 };
	struct rte_flow_item_ipv4 ip_spec = { .hdr.dst_addr = lip, .hdr.next_proto_id = proto };
	struct rte_flow_item_ipv4 ip_mask = { .hdr.dst_addr = RTE_BE32(0xffffffff), .hdr.next_proto_id = 0xff };
	struct rte_flow_item_tcp tcp_spec = { .hdr.dst_port = rte_cpu_to_be_16((uint16_t)worker) };
	struct rte_flow_item_tcp tcp_mask = { .hdr.dst_port = rte_cpu_to_be_16((uint16_t)(nw - 1)) };
	struct rte_flow_item_udp udp_spec = { .hdr.dst_port = rte_cpu_to_be_16((uint16_t)worker) };
	struct rte_flow_item_udp udp_mask = { .hdr.dst_port = rte_cpu_to_be_16((uint16_t)(nw - 1)) };
	struct rte_flow_item pattern[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip_spec, .mask = &ip_mask },
		proto == IPPROTO_TCP
			? (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_TCP, .spec = &tcp_spec, .mask = &tcp_mask }
			: (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &udp_spec, .mask = &udp_mask },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	struct rte_flow_action_queue queue = { .index = (uint16_t)worker };
	struct rte_flow_action actions[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &queue },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	struct rte_flow_error error;
	*rc = rte_flow_validate(port_id, &attr, pattern, actions, &error);
	if (*rc != 0 || validate_only)
		return NULL;
	return rte_flow_create(port_id, &attr, pattern, actions, &error);
}

void fl_steer_lips(const uint32_t *lips, const uint16_t *lip_ports, unsigned n_lips, unsigned n_workers)
{
	bool pow2 = n_workers > 1 && (n_workers & (n_workers - 1)) == 0;
	for (unsigned i = 0; i < n_lips; i++) {
		uint16_t p = lip_ports[i];
		if (p >= fl_nports || fl_ports[p].is_ring)
			continue;
		bool have = false;
		for (unsigned r = 0; r < n_rules && !have; r++)
			have = rules[r].lip == lips[i] && rules[r].port == p;
		if (have || n_rules >= sizeof(rules) / sizeof(rules[0]))
			continue;
		if (!pow2) {
			fl_ports[p].steering = FL_STEER_SOFTWARE;
			continue;
		}
		struct steer_rule *sr = &rules[n_rules];
		memset(sr, 0, sizeof(*sr));
		sr->lip = lips[i];
		sr->port = p;
		bool ok = true;
		int rc;
		make_rule(fl_ports[p].id, lips[i], IPPROTO_TCP, 0, n_workers, true, &rc);
		if (rc != 0)
			ok = false;
		for (unsigned w = 0; ok && w < n_workers; w++)
			for (int k = 0; k < 2 && ok; k++) {
				struct rte_flow *f = make_rule(fl_ports[p].id, lips[i], k ? IPPROTO_UDP : IPPROTO_TCP, w,
							      n_workers, false, &rc);
				if (!f)
					ok = false;
				else
					sr->flows[sr->n++] = f;
			}
		if (!ok) {
			/* Half a rule set would split a slice: all or nothing. */
			struct rte_flow_error error;
			for (unsigned k = 0; k < sr->n; k++)
				rte_flow_destroy(fl_ports[p].id, sr->flows[k], &error);
			fl_ports[p].steering = FL_STEER_SOFTWARE;
			continue;
		}
		fl_ports[p].steering = FL_STEER_RTE_FLOW;
		n_rules++;
	}
}

void fl_steer_flush(void)
{
	struct rte_flow_error error;
	for (unsigned r = 0; r < n_rules; r++)
		for (unsigned k = 0; k < rules[r].n; k++)
			rte_flow_destroy(fl_ports[rules[r].port].id, rules[r].flows[k], &error);
	n_rules = 0;
}
