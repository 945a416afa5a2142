/*
 * libFuzzer harness of the fast path (npm run fuzz; a bounded slice in the
 * test suite: test/fuzz/fuzz.test.ts). Each input is one Ethernet frame,
 * fed to a worker's real packet routine (the same code a poll loop runs, as
 * the benchmark drives it) under a loaded config: FULLNAT TCP and UDP, DR,
 * NAT, TUN, persistence with Maglev, lblc, an all-ports service, MSS
 * clamping, two workers (inputs alternate between them, and each takes in
 * what the other redirected), and live sessions opened at start; and the
 * director as an IPv6 host (ND, echo, extension headers) with IPv6 FULLNAT
 * services (TCP and UDP, ICMPv6 errors about their sessions).
 * Built with AddressSanitizer and UndefinedBehaviorSanitizer
 * (scripts/fuzz.sh); the output port is net_null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "../../native/fastpath/dp.h"
#include "../../native/fastpath/neigh.h"
#include "../../native/fastpath/neigh6.h"

/* The addresses test/fuzz/seeds.ts builds its frames for. */
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define DIP IP4(198, 18, 0, 1)
#define VIP IP4(198, 18, 0, 100)
#define VIP_ALL IP4(198, 18, 0, 104)
#define LIP IP4(198, 18, 1, 1)
#define GW IP4(198, 18, 0, 254)
/* And the IPv6 ones (the director as an IPv6 host on 2001:2::/64). */
#define IP6(last) ((struct fl_ip6){ .b = { 0x20, 0x01, 0x00, 0x02, [14] = (last) >> 8, [15] = (last) & 0xff } })

static struct rte_mempool *pool;
static struct fl_worker *workers[2];
static uint64_t inputs;

static void die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, err);
	exit(1);
}

static void publish(void)
{
	static struct fl_net_conf net;
	static struct fl_server_conf rs[8][3];
	static struct fl_service_conf svc[12];
	static uint32_t lips[1] = { LIP };
	static struct fl_ip6 lips6[1];
	static struct fl_server_conf rs6[2][3];
	static struct fl_server_conf rs64[2][3];
	lips6[0] = IP6(0x2);
	char err[FL_ERR_LEN];
	net.addrs[net.n_addrs++] = (struct fl_addr){ DIP, 16, FL_ADDR_DIP, 0, 0 };
	net.addrs[net.n_addrs++] = (struct fl_addr){ VIP, 32, FL_ADDR_VIP, 0, 0 };
	net.addrs[net.n_addrs++] = (struct fl_addr){ VIP_ALL, 32, FL_ADDR_VIP, 0, 0 };
	net.addrs[net.n_addrs++] = (struct fl_addr){ LIP, 16, FL_ADDR_LIP, 0, 0 };
	net.routes[net.n_routes++] = (struct fl_route){ IP4(198, 18, 0, 0), 16, 0, 0 };
	net.routes[net.n_routes++] = (struct fl_route){ 0, 0, 0, GW };
	net.addrs6[net.n_addrs6++] = (struct fl_addr6){ IP6(0x1), 64, FL_ADDR_DIP, 0, 0 };
	net.addrs6[net.n_addrs6++] = (struct fl_addr6){ IP6(0x100), 128, FL_ADDR_VIP, 0, 0 };
	net.addrs6[net.n_addrs6++] = (struct fl_addr6){ IP6(0x200), 128, FL_ADDR_VIP, 0, 1 };   /* standby */
	net.addrs6[net.n_addrs6++] = (struct fl_addr6){ IP6(0x2), 64, FL_ADDR_LIP, 0, 0 };
	net.routes6[net.n_routes6++] = (struct fl_route6){ IP6(0), 64, 0, { { 0 } } };
	net.routes6[net.n_routes6++] = (struct fl_route6){ { { 0 } }, 0, 0, IP6(0xfe) };
	/* port, proto, method, scheduler, rport */
	static const struct { uint16_t port; uint8_t proto, method, sched; uint16_t rport; } plan[8] = {
		{ 80, IPPROTO_TCP, FL_FWD_FULLNAT, FL_SCHED_RR, 8080 },
		{ 53, IPPROTO_UDP, FL_FWD_FULLNAT, FL_SCHED_WLC, 5353 },
		{ 81, IPPROTO_TCP, FL_FWD_DR, FL_SCHED_SH, 81 },
		{ 82, IPPROTO_TCP, FL_FWD_NAT, FL_SCHED_WRR, 8082 },
		{ 83, IPPROTO_TCP, FL_FWD_TUN, FL_SCHED_LC, 83 },
		{ 84, IPPROTO_TCP, FL_FWD_FULLNAT, FL_SCHED_MH, 8084 },
		{ 85, IPPROTO_UDP, FL_FWD_NAT, FL_SCHED_LBLC, 8085 },
		{ 0, IPPROTO_TCP, FL_FWD_FULLNAT, FL_SCHED_TWOS, 0 },
	};
	for (unsigned i = 0; i < 8; i++) {
		for (unsigned j = 0; j < 3; j++)
			rs[i][j] = (struct fl_server_conf){ .id = 10 * i + j, .ip = IP4(198, 18, 2, 11 + j), .port = plan[i].rport,
							    .method = plan[i].method, .weight = 1 + j, .u_threshold = i == 4 ? 50 : 0 };
		svc[i] = (struct fl_service_conf){
			.id = i, .proto = plan[i].proto, .vip = plan[i].port ? VIP : VIP_ALL, .port = plan[i].port,
			.sched = plan[i].sched, .n_servers = 3, .servers = rs[i], .n_lips = 1, .lips = lips,
			.mss_clamp = i == 0 ? 1360 : 0, .expire_nodest = i == 3,
			.persist_timeout_s = i == 5 || i == 7 ? 300 : 0, .persist_mask = 0xffffff00u,
			.sched_flags = i == 5 ? FL_SCHED_F_MH_FALLBACK | FL_SCHED_F_MH_PORT : 0,
			/* TCP stream edits: a PROXY header on :80, TOA behind a
			 * SYN proxy on :84, PROXY v2 on the all-ports service. */
			.tcpx = i == 0 ? FL_TCPX_PROXY_V1 : i == 5 ? FL_TCPX_TOA : i == 7 ? FL_TCPX_PROXY_V2 : FL_TCPX_NONE,
			.synproxy = i == 5,
		};
	}
	/* IPv6 FULLNAT: TCP :80 (rr) and UDP :53 (sh) on the IPv6 VIP, servers
	 * 2001:2::11-13 on-link. */
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned j = 0; j < 3; j++) {
			rs6[i][j] = (struct fl_server_conf){ .id = 100 + 10 * i + j, .port = i ? 5353 : 8080,
							     .method = FL_FWD_FULLNAT, .weight = 1 + j };
			rs6[i][j].ip6 = IP6(0x11 + j);
		}
		svc[8 + i] = (struct fl_service_conf){ .id = 8 + i, .proto = i ? IPPROTO_UDP : IPPROTO_TCP, .family = 6,
						       .vip6 = IP6(0x100), .port = i ? 53 : 80, .sched = i ? FL_SCHED_SH : FL_SCHED_RR,
						       .n_servers = 3, .servers = rs6[i], .n_lips = 1, .lips6 = lips6 };
	}
	/* NAT64: TCP :8080 (rr) and UDP :8053 (wlc) on the IPv6 VIP, to the
	 * IPv4 servers 198.18.2.11-13 from the IPv4 LIP. */
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned j = 0; j < 3; j++)
			rs64[i][j] = (struct fl_server_conf){ .id = 200 + 10 * i + j, .ip = IP4(198, 18, 2, 11 + j),
							      .port = i ? 53 : 80, .method = FL_FWD_FULLNAT, .weight = 1 };
		svc[10 + i] = (struct fl_service_conf){ .id = 10 + i, .proto = i ? IPPROTO_UDP : IPPROTO_TCP, .family = 6,
							.server_family = 4, .vip6 = IP6(0x100), .port = i ? 8053 : 8080,
							.sched = i ? FL_SCHED_WLC : FL_SCHED_RR, .n_servers = 3, .servers = rs64[i],
							.n_lips = 1, .lips = lips };
	}
	net.n_services = 12;
	net.services = svc;
	net.timeout_tcp = 900;
	if (fl_net_publish(&net, err, sizeof(err)))
		die("publish", err);
}

static void feed(struct fl_worker *w, const uint8_t *data, size_t size)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (!m)
		return;
	char *d = rte_pktmbuf_append(m, (uint16_t)size);
	if (!d) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(d, data, size);
	fl_bench_rx(w, 0, &m, 1);
}

/* A SYN then an ACK of client flow i to VIP:vport: live sessions for the
 * inputs to run into. */
static void open_flow(unsigned i, uint16_t vport)
{
	uint8_t f[64] = { 0x02, 0xf1, 0, 0, 0, 0, 0x02, 0xaa, 0, 0, 0, 0xfe, 0x08, 0x00 };
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	for (int k = 0; k < 2; k++) {
		memset(f + 14, 0, sizeof(f) - 14);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16(40);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(IP4(198, 19, 0, 10 + i));
		ip->dst_addr = rte_cpu_to_be_32(VIP);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->src_port = rte_cpu_to_be_16((uint16_t)(40000 + i));
		th->dst_port = rte_cpu_to_be_16(vport);
		th->sent_seq = rte_cpu_to_be_32(1000 + (uint32_t)k);
		th->data_off = 5 << 4;
		th->tcp_flags = k ? RTE_TCP_ACK_FLAG : RTE_TCP_SYN_FLAG;
		th->rx_win = rte_cpu_to_be_16(65535);
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
		feed(workers[i & 1], f, 54);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char *eal[] = { "fastpath_fuzz", "--no-huge", "-m", "512", "--no-pci", "--no-telemetry", "--no-shconf",
			"--lcores", "0@0,1@0,2@0", "--vdev", "net_null0,copy=0", "--log-level", "lib.eal:crit",
			"--log-level", "pmd.net.null:crit" };
	char err[FL_ERR_LEN];
	if (fl_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal, err, sizeof(err)))
		die("EAL", err);
	static struct fl_dp_conf c;
	c.n_workers = 2;
	c.worker_lcores[0] = 1;
	c.worker_lcores[1] = 2;
	c.n_ports = 1;
	snprintf(c.ports[0].name, sizeof(c.ports[0].name), "fuzz");
	snprintf(c.ports[0].device, sizeof(c.ports[0].device), "net_null0");
	c.mbufs_per_socket = 16384;
	c.burst = 32;
	c.sessions_per_worker = 16384;
	c.persist_templates = 1024;
	c.no_launch = 1;
	c.ts_rewrite = 1;   /* the product default: clients' timestamps owned */
	if (fl_dp_start(&c, err, sizeof(err)))
		die("start", err);
	publish();
	struct rte_ether_addr mac = { { 0x02, 0xaa, 0, 0, 0, 0xfe } };
	fl_neigh_learn(0, rte_cpu_to_be_32(GW), &mac, false);
	for (unsigned j = 0; j < 3; j++) {
		mac.addr_bytes[5] = (uint8_t)(0x11 + j);
		fl_neigh_learn(0, rte_cpu_to_be_32(IP4(198, 18, 2, 11 + j)), &mac, false);
	}
	for (unsigned j = 0; j < 3; j++) {
		struct fl_ip6 a = IP6(0x11 + j);
		mac.addr_bytes[5] = (uint8_t)(0x61 + j);
		fl_neigh6_learn(0, &a, &mac, false);
	}
	struct fl_ip6 gw6 = IP6(0xfe);
	mac.addr_bytes[5] = 0xfe;
	fl_neigh6_learn(0, &gw6, &mac, false);
	usleep(100000);   /* the service thread files the neighbours */
	workers[0] = &fl_dp.workers[0];
	workers[1] = &fl_dp.workers[1];
	pool = fl_pool_for_socket(0);
	static const uint16_t vports[] = { 80, 81, 82, 83, 84, 8000 };
	for (unsigned i = 0; i < 48; i++)
		open_flow(i, vports[i % 6]);
	for (unsigned k = 0; k < 2; k++) {
		fl_bench_redirect(workers[k]);
		fl_bench_flush(workers[k]);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2000)   /* one mbuf's data room */
		return -1;
	struct fl_worker *w = workers[inputs & 1];
	feed(w, data, size);
	fl_bench_redirect(workers[(inputs + 1) & 1]);
	if ((++inputs & 63) == 0) {
		fl_bench_flush(workers[0]);
		fl_bench_flush(workers[1]);
	}
	return 0;
}
