/*
 * No heap calls on a worker: the dataplane runs on ring ports with two real
 * worker lcores, and every heap call the dataplane's own code makes (DPDK's
 * rte_*alloc/rte_free and libc's malloc family) goes through a wrapper
 * (-Wl,--wrap, CMakeLists.txt) that counts the calls made on a worker lcore.
 * New flows are scheduled under a first snapshot and again after each of
 * two more publishes, for every scheduler with per-worker state (rr, wrr,
 * lblc, lblcr) and one without (wlc), with FULLNAT; the count must stay 0.
 * Prints TAP lines (test/lib/ctest.ts); run by test/native/worker-alloc.test.ts.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_tcp.h>

#include "fulcrum.h"
#include "../../native/sched/sched.h"
#include "tap.h"

/* ---------- counting wrappers ---------- */

static atomic_uint worker_heap_calls;
static unsigned worker_lcores[2];

static void count_if_worker(void)
{
	unsigned lc = rte_lcore_id();
	if (lc == worker_lcores[0] || lc == worker_lcores[1])
		atomic_fetch_add(&worker_heap_calls, 1);
}

#define WRAP(ret, name, params, args)            \
	ret __real_##name params;                \
	ret __wrap_##name params;                \
	ret __wrap_##name params                 \
	{                                        \
		count_if_worker();               \
		return __real_##name args;       \
	}
WRAP(void *, rte_malloc, (const char *t, size_t s, unsigned a), (t, s, a))
WRAP(void *, rte_zmalloc, (const char *t, size_t s, unsigned a), (t, s, a))
WRAP(void *, rte_calloc, (const char *t, size_t n, size_t s, unsigned a), (t, n, s, a))
WRAP(void *, rte_realloc, (void *p, size_t s, unsigned a), (p, s, a))
WRAP(void *, rte_malloc_socket, (const char *t, size_t s, unsigned a, int k), (t, s, a, k))
WRAP(void *, rte_zmalloc_socket, (const char *t, size_t s, unsigned a, int k), (t, s, a, k))
WRAP(void *, rte_calloc_socket, (const char *t, size_t n, size_t s, unsigned a, int k), (t, n, s, a, k))
WRAP(void *, malloc, (size_t s), (s))
WRAP(void *, calloc, (size_t n, size_t s), (n, s))
WRAP(void *, realloc, (void *p, size_t s), (p, s))
void __real_rte_free(void *p);
void __wrap_rte_free(void *p);
void __wrap_rte_free(void *p)
{
	count_if_worker();
	__real_rte_free(p);
}
void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
	count_if_worker();
	__real_free(p);
}

/* ---------- the dataplane under test ---------- */

#define VIP 0xc6120064u   /* 198.18.0.100 */
#define DIP 0xc6120001u   /* 198.18.0.1 */
#define LIP 0xc6130001u   /* 198.19.0.1 */
#define RS0 0xc6130a01u   /* 198.19.10.1 */
#define N_SCHED 5
static const char *const scheds[N_SCHED] = { "rr", "wrr", "lblc", "lblcr", "wlc" };

static struct fl_server_conf servers[N_SCHED][3];
static struct fl_service_conf services[N_SCHED];
static uint32_t lips[1] = { LIP };
static struct fl_net_conf net;

static int publish(unsigned round, char *err, size_t errlen)
{
	memset(&net, 0, sizeof(net));
	net.addrs[net.n_addrs++] = (struct fl_addr){ .ip = DIP, .prefix = 16, .role = FL_ADDR_DIP, .port = 0 };
	net.addrs[net.n_addrs++] = (struct fl_addr){ .ip = VIP, .prefix = 32, .role = FL_ADDR_VIP, .port = 0 };
	net.addrs[net.n_addrs++] = (struct fl_addr){ .ip = LIP, .prefix = 32, .role = FL_ADDR_LIP, .port = 0 };
	net.routes[net.n_routes++] = (struct fl_route){ .prefix = 0xc6120000u, .len = 15, .port = 0 };
	for (unsigned i = 0; i < N_SCHED; i++) {
		for (unsigned j = 0; j < 3; j++)
			servers[i][j] = (struct fl_server_conf){
				.id = 10 * i + j, .ip = RS0 + 16 * i + j, .port = 8080, .method = FL_FWD_FULLNAT,
				/* each round changes the weights: a new snapshot of every service */
				.weight = 1 + (j + round) % 3,
			};
		services[i] = (struct fl_service_conf){
			.id = i, .proto = IPPROTO_TCP, .vip = VIP, .port = (uint16_t)(80 + i),
			.sched = (uint8_t)fl_sched_from_name(scheds[i]), .n_servers = 3, .servers = servers[i],
			.n_lips = 1, .lips = lips,
		};
	}
	net.n_services = N_SCHED;
	net.services = services;
	return fl_net_publish(&net, err, errlen);
}

/* A SYN from 198.18.1.x:port to VIP:80+svc. */
static uint16_t build_syn(uint8_t *f, unsigned client, unsigned svc)
{
	memset(f, 0, 64);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	static const uint8_t me[6] = { 0x02, 0xf1, 0, 0, 0, 0 }, peer[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
	memcpy(eh->dst_addr.addr_bytes, me, 6);
	memcpy(eh->src_addr.addr_bytes, peer, 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(40);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0xc6120100u + client % 200);
	ip->dst_addr = rte_cpu_to_be_32(VIP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16((uint16_t)(20000 + client));
	th->dst_port = rte_cpu_to_be_16((uint16_t)(80 + svc));
	th->sent_seq = rte_cpu_to_be_32(client);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_SYN_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return 54;
}

static uint64_t sessions_created(void)
{
	static struct fl_worker_counters c[FL_MAX_WORKERS + 1];
	unsigned n = fl_stats_read(c, FL_MAX_WORKERS + 1);
	uint64_t sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += c[i].sessions_created;
	return sum;
}

/* New flows to every service, on both workers' queues; returns how many
 * sessions they created, once the workers are done. */
static uint64_t new_flows(unsigned first_client, unsigned per_service)
{
	static uint8_t frames[64][64];
	const uint8_t *ptrs[64];
	uint16_t lens[64];
	uint64_t before = sessions_created();
	unsigned n = 0, total = per_service * N_SCHED;
	for (unsigned k = 0; k < total; k++) {
		lens[n] = build_syn(frames[n], first_client + k, k % N_SCHED);
		ptrs[n] = frames[n];
		if (++n == 64 || k + 1 == total) {
			fl_ring_inject(0, k & 1, ptrs, lens, n);
			n = 0;
			usleep(2000);
		}
	}
	for (int t = 0; t < 200 && sessions_created() - before < total; t++)
		usleep(10000);
	return sessions_created() - before;
}

static const char *test_no_worker_heap_calls(void)
{
	char err[FL_ERR_LEN];
	char *argv[] = { "worker_alloc_test", "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "--no-telemetry",
			 "--lcores=0@(0-1),1@1,2@1", "--main-lcore=0", "--log-level=lib.eal:error", NULL };
	CHECK(fl_eal_init(10, argv, err, sizeof(err)) == 0, "EAL: %s", err);
	struct fl_dp_conf conf = { .n_workers = 2, .worker_lcores = { 1, 2 }, .n_ports = 1, .mbufs_per_socket = 4096,
				   .rx_desc = 512, .tx_desc = 512, .burst = 32, .sessions_per_worker = 16384,
				   .persist_templates = 1024 };
	snprintf(conf.ports[0].name, sizeof(conf.ports[0].name), "p0");
	snprintf(conf.ports[0].device, sizeof(conf.ports[0].device), "ring");
	worker_lcores[0] = 1;
	worker_lcores[1] = 2;
	CHECK(fl_dp_start(&conf, err, sizeof(err)) == 0, "start: %s", err);
	CHECK(publish(0, err, sizeof(err)) == 0, "publish: %s", err);
	uint64_t got = new_flows(0, 40);
	CHECK(got == 40 * N_SCHED, "first snapshot: %llu sessions of %u", (unsigned long long)got, 40 * N_SCHED);
	for (unsigned round = 1; round <= 2; round++) {
		CHECK(publish(round, err, sizeof(err)) == 0, "publish %u: %s", round, err);
		got = new_flows(1000 * round, 40);
		CHECK(got == 40 * N_SCHED, "after publish %u: %llu sessions of %u", round, (unsigned long long)got,
		      40 * N_SCHED);
	}
	unsigned calls = atomic_load(&worker_heap_calls);
	fl_dp_stop();
	fl_eal_cleanup();
	CHECK(calls == 0, "%u heap calls on worker lcores", calls);
	return NULL;
}

static const struct fl_tap_case tests[] = {
	{ "no heap call on a worker lcore across three publishes (rr wrr lblc lblcr wlc)", test_no_worker_heap_calls },
};

int main(void)
{
	return fl_tap_run(tests, sizeof(tests) / sizeof(tests[0]), "");
}
