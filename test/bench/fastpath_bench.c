/* Fast-path benchmark (not a test): prebuilt 64-byte frames are fed into the
 * worker's processing routine on one lcore; output goes to a net_null port.
 * Every case pays the same mbuf allocation and frame copy, so the ratio to
 * the baseline (receive, swap MACs, transmit) is the figure to read. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "../../native/fastpath/dp.h"
#include "../../native/fastpath/neigh.h"
#include "../../native/fastpath/neigh6.h"
#include "../../native/session/session.h"
#include "../../native/session/session6.h"

#define FRAME_LEN 60   /* 64 on the wire with the FCS */
#define BURST 32

static struct rte_mempool *pool;
static struct fl_worker *w;
static double tsc_hz;

static const uint8_t my_mac[6] = { 0x02, 0xf1, 0, 0, 0, 0 };
static const uint8_t gw_mac[6] = { 0x02, 0xaa, 0, 0, 0, 0xfe };

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (a << 24) | (b << 16) | (c << 8) | d;
}

/* A 64-byte TCP frame from the gateway's MAC to ours; addresses and ports
 * in network byte order. */
static void build_tcp(uint8_t *f, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint8_t flags)
{
	memset(f, 0, FRAME_LEN);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	memcpy(eh->dst_addr.addr_bytes, my_mac, 6);
	memcpy(eh->src_addr.addr_bytes, gw_mac, 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(40);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = saddr;
	ip->dst_addr = daddr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = sport;
	th->dst_port = dport;
	th->sent_seq = rte_cpu_to_be_32(1);
	th->recv_ack = rte_cpu_to_be_32(flags & RTE_TCP_ACK_FLAG ? 1 : 0);
	th->data_off = 5 << 4;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
}

/* The same frame with a timestamp option (NOP NOP TS), as Linux clients
 * send: TS_FRAME_LEN bytes. */
#define TS_FRAME_LEN (FRAME_LEN + 12)
static void add_timestamps(uint8_t *f, uint32_t tsval)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint8_t *o = (uint8_t *)(th + 1);
	uint32_t v = rte_cpu_to_be_32(tsval);
	memmove(o + 12, o, FRAME_LEN - (size_t)(o - f));
	o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
	memcpy(o + 4, &v, 4);
	memset(o + 8, 0, 4);
	ip->total_length = rte_cpu_to_be_16(52);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->data_off = 8 << 4;
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
}

/* Client i: 198.19.x.y, source port 1024 + i % 60000, behind the gateway. */
static void build_to(uint8_t *f, unsigned flow, unsigned set, uint8_t flags, uint8_t vip_last)
{
	build_tcp(f, rte_cpu_to_be_32(ip4(198, 19, (uint8_t)(set * 40 + flow / 60000 / 256), (uint8_t)(flow / 60000))),
		  rte_cpu_to_be_32(ip4(198, 18, 0, vip_last)), rte_cpu_to_be_16((uint16_t)(1024 + flow % 60000)),
		  rte_cpu_to_be_16(80), flags);
}

/* A real server's reply on an established FULLNAT session: RIP:rport ->
 * LIP:lport, as the session table says (the director chose the LIP port). */
static void build_reply(uint8_t *f, const struct fl_sess_view *v)
{
	build_tcp(f, v->raddr, v->laddr, v->rport, v->lport, RTE_TCP_ACK_FLAG);
}

static void build(uint8_t *f, unsigned flow, unsigned set, uint8_t flags)
{
	build_to(f, flow, set, flags, 100);
}

/* IPv6: a TCP frame of FRAME6_LEN bytes (the smallest, 78 on the wire). */
#define FRAME6_LEN 74
static void ip6_set(uint8_t *b, uint16_t w0, uint16_t w1, uint32_t low)
{
	memset(b, 0, 16);
	b[0] = (uint8_t)(w0 >> 8), b[1] = (uint8_t)w0, b[2] = (uint8_t)(w1 >> 8), b[3] = (uint8_t)w1;
	uint32_t be = rte_cpu_to_be_32(low);
	memcpy(b + 12, &be, 4);
}

static void build_tcp6(uint8_t *f, const uint8_t *saddr, const uint8_t *daddr, uint16_t sport, uint16_t dport, uint8_t flags)
{
	memset(f, 0, FRAME6_LEN);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	memcpy(eh->dst_addr.addr_bytes, my_mac, 6);
	memcpy(eh->src_addr.addr_bytes, gw_mac, 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eh + 1);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(20);
	ip->proto = IPPROTO_TCP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, saddr, 16);
	memcpy(ip->dst_addr, daddr, 16);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = sport;
	th->dst_port = dport;
	th->sent_seq = rte_cpu_to_be_32(1);
	th->recv_ack = rte_cpu_to_be_32(flags & RTE_TCP_ACK_FLAG ? 1 : 0);
	th->data_off = 5 << 4;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	th->cksum = rte_ipv6_udptcp_cksum(ip, th);
}

/* IPv6 client i: 2001:2:9::<i>, source port 1024 + i % 60000, to the IPv6 VIP
 * 2001:2::100 behind the gateway, as the IPv4 clients are. */
static void build6(uint8_t *f, unsigned flow, uint8_t flags)
{
	uint8_t src[16], dst[16];
	ip6_set(src, 0x2001, 2, 0x90000 + flow / 60000);
	src[4] = 0, src[5] = 9;
	ip6_set(dst, 0x2001, 2, 0x100);
	build_tcp6(f, src, dst, rte_cpu_to_be_16((uint16_t)(1024 + flow % 60000)), rte_cpu_to_be_16(80), flags);
}

typedef void (*process_fn)(struct fl_worker *, unsigned, struct rte_mbuf **, uint16_t);

static uint64_t tx_total(void)
{
	return w->ctr->port[0].tx_pkts;
}

/* Feed `count` packets of flows order[0..nflows) (cycled), built on the fly
 * from per-flow templates. Returns seconds. */
static double run_frames(process_fn fn, const uint8_t *tmpl, size_t stride, uint16_t len, const uint32_t *order,
			 unsigned nflows, uint64_t count);

static double run(process_fn fn, uint8_t (*tmpl)[FRAME_LEN], const uint32_t *order, unsigned nflows, uint64_t count)
{
	return run_frames(fn, (const uint8_t *)tmpl, FRAME_LEN, FRAME_LEN, order, nflows, count);
}

/* Frames of `len` bytes, one template every `stride` bytes. */
static double run_frames(process_fn fn, const uint8_t *tmpl, size_t stride, uint16_t len, const uint32_t *order,
			 unsigned nflows, uint64_t count)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t t0 = rte_rdtsc();
	unsigned k = 0;
	for (uint64_t done = 0; done < count; done += BURST) {
		if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0) {
			fprintf(stderr, "bench: mbuf pool exhausted\n");
			exit(1);
		}
		for (unsigned i = 0; i < BURST; i++) {
			char *d = rte_pktmbuf_append(pkts[i], len);
			rte_memcpy(d, tmpl + (size_t)order[k] * stride, len);
			if (++k == nflows)
				k = 0;
		}
		fn(w, 0, pkts, BURST);
		if ((done & 1023) == 0)
			fl_bench_flush(w);
	}
	fl_bench_flush(w);
	return (double)(rte_rdtsc() - t0) / tsc_hz;
}

/* Memory floor: the MAC swap plus the random cache-line reads a per-flow
 * lookup makes with 1M flows, and no LB work at all. One line is the least
 * any per-flow state costs; two lines (an index line, then the record it
 * names) is the session table's pattern. Read in bursts with prefetch, as
 * fl_sess_lookup_bulk does. */
static uint8_t *floor_idx, *floor_rec;
static uint32_t floor_nidx, floor_nrec;
static unsigned floor_lines;
static volatile uint32_t floor_sink;

static void *floor_alloc(size_t bytes, bool huge)
{
	if (huge)
		return rte_malloc("bench_floor", bytes, 64);
	/* as the session table without hugepages: anonymous, on THP */
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void floor_free(void *p, size_t bytes, bool huge)
{
	if (huge)
		rte_free(p);
	else
		munmap(p, bytes);
}

static void floor_rx(struct fl_worker *wk, unsigned port, struct rte_mbuf **pkts, uint16_t n)
{
	const uint8_t *line[BURST];
	uint32_t sum = 0;
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		uint32_t saddr, ports;
		memcpy(&saddr, d + 26, 4);   /* IPv4 source */
		memcpy(&ports, d + 34, 4);   /* TCP ports */
		uint32_t h = (uint32_t)((((uint64_t)saddr << 32 | ports) * 0x9e3779b97f4a7c15ull) >> 32);
		line[i] = floor_lines == 1 ? floor_rec + (((uint64_t)h * floor_nrec) >> 32) * 64
					   : floor_idx + (((uint64_t)h * floor_nidx) >> 32) * 64;
		rte_prefetch0(line[i]);
	}
	if (floor_lines == 2)
		for (uint16_t i = 0; i < n; i++) {
			uint32_t r;
			memcpy(&r, line[i], 4);
			line[i] = floor_rec + (size_t)r * 64;
			rte_prefetch0(line[i]);
		}
	for (uint16_t i = 0; i < n; i++)
		sum += line[i][8];
	floor_sink += sum;
	fl_bench_macswap(wk, port, pkts, n);
}

/* The two-line memory floor (index + record) of this run, in Mpps, and its
 * flow count: each case with as many flows is also printed as a ratio to
 * it, the least its lookup pattern can cost. 0 until measured. */
static double floor2_mpps;
static unsigned floor2_flows;

static void report(const char *name, unsigned flows, uint64_t count, double secs, double base_mpps, uint64_t forwarded)
{
	double mpps = (double)count / secs / 1e6;
	char vs_floor[16] = "";
	if (floor2_mpps > 0 && flows == floor2_flows && strncmp(name, "floor", 5) != 0)
		snprintf(vs_floor, sizeof(vs_floor), "%.0f%%", 100.0 * mpps / floor2_mpps);
	printf("%-28s %9u %9.2f %9.1f %8.0f%% %9s   forwarded %lu/%lu\n", name, flows, mpps, secs * 1e9 / (double)count,
	       base_mpps > 0 ? 100.0 * mpps / base_mpps : 100.0, vs_floor, (unsigned long)forwarded, (unsigned long)count);
}

static uint32_t *shuffled(unsigned n)
{
	uint32_t *o = malloc(sizeof(*o) * n);
	for (unsigned i = 0; i < n; i++)
		o[i] = i;
	uint64_t x = 88172645463325252ull;
	for (unsigned i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned j = (unsigned)(x % (i + 1));
		uint32_t t = o[i];
		o[i] = o[j];
		o[j] = t;
	}
	return o;
}

int main(int argc, char **argv)
{
	unsigned big = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000;
	uint64_t count = argc > 2 ? strtoull(argv[2], NULL, 10) : 8000000;
	/* Hugepages when the host has them (as the appliance runs): 2 MB pages
	 * keep a 1M-session table within TLB reach. BENCH_NO_HUGE=1 forces 4 KB. */
	bool huge = !getenv("BENCH_NO_HUGE") && getenv("BENCH_HUGE_MB");
	char *mem = huge ? getenv("BENCH_HUGE_MB") : "3072";
	char *eal[] = { "fastpath_bench", huge ? "--in-memory" : "--no-huge", "-m", mem, "--no-pci", "--no-telemetry",
			"--lcores", "0@0,1@0", "--vdev", "net_null0,copy=0", "--log-level", "lib.eal:error",
			"--log-level", "pmd.net.null:error", huge ? "--no-shconf" : "--no-shconf" };
	char err[FL_ERR_LEN];
	if (fl_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	static struct fl_dp_conf c;
	c.n_workers = 1;
	c.worker_lcores[0] = 1;
	c.n_ports = 1;
	snprintf(c.ports[0].name, sizeof(c.ports[0].name), "bench");
	snprintf(c.ports[0].device, sizeof(c.ports[0].device), "net_null0");
	c.mbufs_per_socket = 65535;
	c.burst = BURST;
	c.tx_drain_us = 100;
	c.sessions_per_worker = 6 * big + big / 4 + 4096;   /* fullnat, dr, nat, tun, proxy, timestamps */
	c.sessions6_per_worker = big + 4096;                 /* IPv6 fullnat */
	/* The product's default; BENCH_TS_PASS=1 measures without it. */
	c.ts_rewrite = getenv("BENCH_TS_PASS") ? 0 : 1;
	c.no_launch = 1;
	if (fl_dp_start(&c, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	/* Enough LIPs that the FULLNAT port space covers every flow of the
	 * plain FULLNAT case and of the PROXY-header one. */
	unsigned n_lips = (3 * big + 4096) / 60000 + 2;
	if (n_lips > FL_MAX_LIPS)
		n_lips = FL_MAX_LIPS;
	static struct fl_net_conf net;
	static uint32_t lips[FL_MAX_LIPS];
	static struct fl_server_conf rs[10];
	net.addrs[net.n_addrs++] = (struct fl_addr){ ip4(198, 18, 0, 1), 16, FL_ADDR_DIP, 0, 0 };
	net.addrs[net.n_addrs++] = (struct fl_addr){ ip4(198, 18, 0, 100), 32, FL_ADDR_VIP, 0, 0 };
	for (unsigned i = 0; i < n_lips; i++) {
		lips[i] = ip4(198, 18, 1, 1 + i);
		net.addrs[net.n_addrs++] = (struct fl_addr){ lips[i], 16, FL_ADDR_LIP, 0, 0 };
	}
	net.routes[net.n_routes++] = (struct fl_route){ ip4(198, 18, 0, 0), 16, 0, 0 };
	net.routes[net.n_routes++] = (struct fl_route){ 0, 0, 0, ip4(198, 18, 0, 254) };
	for (unsigned i = 0; i < 10; i++)
		rs[i] = (struct fl_server_conf){ .id = i, .ip = ip4(198, 18, 2, 11 + i), .port = 8080, .method = FL_FWD_FULLNAT, .weight = 1 };
	/* FULLNAT on .100; DR, NAT and TUN on .101-.103, ten servers each. */
	static struct fl_server_conf rs_m[3][10];
	static struct fl_service_conf svc[7];
	svc[0] = (struct fl_service_conf){ .id = 1, .proto = IPPROTO_TCP, .vip = ip4(198, 18, 0, 100), .port = 80,
					   .n_servers = 10, .servers = rs, .n_lips = n_lips, .lips = lips };
	const uint8_t methods[3] = { FL_FWD_DR, FL_FWD_NAT, FL_FWD_TUN };
	for (unsigned m = 0; m < 3; m++) {
		for (unsigned i = 0; i < 10; i++)
			rs_m[m][i] = (struct fl_server_conf){ .id = 10 + m * 10 + i, .ip = ip4(198, 18, 2, 11 + i),
							       .port = methods[m] == FL_FWD_NAT ? 8080 : 80,
							       .method = methods[m], .weight = 1 };
		svc[m + 1] = (struct fl_service_conf){ .id = 2 + m, .proto = IPPROTO_TCP, .vip = ip4(198, 18, 0, 101 + m),
						       .port = 80, .n_servers = 10, .servers = rs_m[m] };
		net.addrs[net.n_addrs++] = (struct fl_addr){ ip4(198, 18, 0, 101 + m), 32, FL_ADDR_VIP, 0, 0 };
	}
	/* TCP stream edits: a PROXY v2 service on .105 (sessions with a
	 * sequence delta) and a SYN proxy on .104 (SYNs answered with cookies). */
	static struct fl_server_conf rs_x[2][10];
	for (unsigned m = 0; m < 2; m++) {
		for (unsigned i = 0; i < 10; i++)
			rs_x[m][i] = (struct fl_server_conf){ .id = 40 + m * 10 + i, .ip = ip4(198, 18, 2, 11 + i), .port = 8080,
							       .method = FL_FWD_FULLNAT, .weight = 1 };
		svc[4 + m] = (struct fl_service_conf){ .id = 5 + m, .proto = IPPROTO_TCP, .vip = ip4(198, 18, 0, 104 + m),
						       .port = 80, .n_servers = 10, .servers = rs_x[m], .n_lips = n_lips,
						       .lips = lips, .synproxy = m == 0, .tcpx = m == 1 ? FL_TCPX_PROXY_V2 : 0 };
		net.addrs[net.n_addrs++] = (struct fl_addr){ ip4(198, 18, 0, 104 + m), 32, FL_ADDR_VIP, 0, 0 };
	}
	/* IPv6 FULLNAT: VIP 2001:2::100, DIP 2001:2::1/64, LIPs 2001:2::2:<i>/64,
	 * servers 2001:2::1:<11+i> on-link, clients behind the gateway 2001:2::fe. */
	static struct fl_server_conf rs6[10];
	static struct fl_ip6 lips6[FL_MAX_LIPS];
	unsigned n_lips6 = (big + 4096) / 60000 + 2;
	if (n_lips + n_lips6 > FL_MAX_LIPS)
		n_lips6 = FL_MAX_LIPS - n_lips;
	struct fl_addr6 a6 = { .prefix = 64, .role = FL_ADDR_DIP };
	ip6_set(a6.ip.b, 0x2001, 2, 1);
	net.addrs6[net.n_addrs6++] = a6;
	a6 = (struct fl_addr6){ .prefix = 128, .role = FL_ADDR_VIP };
	ip6_set(a6.ip.b, 0x2001, 2, 0x100);
	net.addrs6[net.n_addrs6++] = a6;
	for (unsigned i = 0; i < n_lips6; i++) {
		ip6_set(lips6[i].b, 0x2001, 2, 0x20000 + 1 + i);
		net.addrs6[net.n_addrs6++] = (struct fl_addr6){ .ip = lips6[i], .prefix = 64, .role = FL_ADDR_LIP };
	}
	struct fl_route6 r6 = { .len = 64 };
	ip6_set(r6.prefix.b, 0x2001, 2, 0);
	net.routes6[net.n_routes6++] = r6;
	r6 = (struct fl_route6){ .len = 0 };
	ip6_set(r6.gateway.b, 0x2001, 2, 0xfe);
	net.routes6[net.n_routes6++] = r6;
	for (unsigned i = 0; i < 10; i++) {
		rs6[i] = (struct fl_server_conf){ .id = 60 + i, .port = 8080, .method = FL_FWD_FULLNAT, .weight = 1 };
		ip6_set(rs6[i].ip6.b, 0x2001, 2, 0x10000 + 11 + i);
	}
	svc[6] = (struct fl_service_conf){ .id = 7, .proto = IPPROTO_TCP, .family = 6, .port = 80, .n_servers = 10,
					   .servers = rs6, .n_lips = n_lips6, .lips6 = lips6 };
	ip6_set(svc[6].vip6.b, 0x2001, 2, 0x100);
	net.n_services = 7;
	net.services = svc;
	if (fl_net_publish(&net, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	struct rte_ether_addr mac;
	memcpy(mac.addr_bytes, gw_mac, 6);
	fl_neigh_learn(0, rte_cpu_to_be_32(ip4(198, 18, 0, 254)), &mac, false);
	for (unsigned i = 0; i < 10; i++) {
		mac.addr_bytes[5] = (uint8_t)(0x10 + i);
		fl_neigh_learn(0, rte_cpu_to_be_32(rs[i].ip), &mac, false);
	}
	struct fl_ip6 gw6;
	ip6_set(gw6.b, 0x2001, 2, 0xfe);
	memcpy(mac.addr_bytes, gw_mac, 6);
	fl_neigh6_learn(0, &gw6, &mac, false);
	for (unsigned i = 0; i < 10; i++) {
		mac.addr_bytes[5] = (uint8_t)(0x60 + i);
		fl_neigh6_learn(0, &rs6[i].ip6, &mac, false);
	}
	usleep(200000);   /* the service thread files the neighbours */

	w = &fl_dp.workers[0];
	pool = fl_pool_for_socket(0);
	tsc_hz = (double)rte_get_tsc_hz();

	unsigned small = 1000;
	uint8_t (*syn_big)[FRAME_LEN] = malloc((size_t)big * FRAME_LEN);
	uint8_t (*ack_big)[FRAME_LEN] = malloc((size_t)big * FRAME_LEN);
	uint8_t (*syn_small)[FRAME_LEN] = malloc((size_t)small * FRAME_LEN);
	uint8_t (*ack_small)[FRAME_LEN] = malloc((size_t)small * FRAME_LEN);
	for (unsigned i = 0; i < big; i++) {
		build(syn_big[i], i, 0, RTE_TCP_SYN_FLAG);
		build(ack_big[i], i, 0, RTE_TCP_ACK_FLAG);
	}
	for (unsigned i = 0; i < small; i++) {
		build(syn_small[i], i, 1, RTE_TCP_SYN_FLAG);
		build(ack_small[i], i, 1, RTE_TCP_ACK_FLAG);
	}
	uint32_t *order_big = shuffled(big), *order_small = shuffled(small);

	printf("fulcrum fast-path benchmark: one lcore, %d-byte frames, %lu packets per case, %s\n", FRAME_LEN + 4,
	       (unsigned long)count, huge ? "2 MB hugepages" : "--no-huge: 4 KB pages, session table on transparent huge pages");
	printf("%-28s %9s %9s %9s %9s %9s\n", "case", "flows", "Mpps", "ns/pkt", "vs base", "vs floor");
	/* One baseline per flow count: with 1M flows the harness's own frame
	 * templates miss the cache too, so each case is compared with the
	 * baseline that visits the same number of flows. */
	uint64_t tx0 = tx_total();
	double secs = run(fl_bench_macswap, ack_big, order_big, big, count);
	double base = (double)count / secs / 1e6;
	report("baseline (rx, mac swap, tx)", big, count, secs, base, tx_total() - tx0);
	tx0 = tx_total();
	secs = run(fl_bench_macswap, ack_small, order_small, small, count);
	double base_small = (double)count / secs / 1e6;
	report("baseline (rx, mac swap, tx)", small, count, secs, base_small, tx_total() - tx0);

	/* The memory floor, sized as the session table: its index (one line
	 * per 3 sessions of capacity) and one record line per flow. */
	floor_nidx = c.sessions_per_worker / 3;
	floor_nrec = big;
	floor_idx = floor_alloc((size_t)floor_nidx * 64, huge);
	floor_rec = floor_alloc((size_t)floor_nrec * 64, huge);
	if (!floor_idx || !floor_rec) {
		fprintf(stderr, "bench: no memory for the floor tables\n");
		return 1;
	}
	memset(floor_rec, 0, (size_t)floor_nrec * 64);
	for (uint32_t i = 0; i < floor_nidx; i++) {
		uint32_t r = (uint32_t)(((uint64_t)(i * 2654435761u) * floor_nrec) >> 32);
		memcpy(floor_idx + (size_t)i * 64, &r, 4);
	}
	const char *floor_names[2] = { "floor: swap + 1 random line", "floor: swap + index + record" };
	for (floor_lines = 1; floor_lines <= 2; floor_lines++) {
		tx0 = tx_total();
		secs = run(floor_rx, ack_big, order_big, big, count);
		report(floor_names[floor_lines - 1], big, count, secs, base, tx_total() - tx0);
		if (floor_lines == 2) {
			floor2_mpps = (double)count / secs / 1e6;
			floor2_flows = big;
		}
	}
	floor_free(floor_idx, (size_t)floor_nidx * 64, huge);
	floor_free(floor_rec, (size_t)floor_nrec * 64, huge);

	/* New sessions: one SYN per flow, each creates a session and takes a
	 * LIP port. */
	tx0 = tx_total();
	uint64_t created0 = w->ctr->sessions_created;
	secs = run(fl_bench_rx, syn_big, order_big, big, big - big % BURST);
	uint64_t created = w->ctr->sessions_created - created0;
	report("fullnat new sessions (SYN)", big, big - big % BURST, secs, base, tx_total() - tx0);
	double new_rate = (double)created / secs / 1e6;

	tx0 = tx_total();
	secs = run(fl_bench_rx, ack_big, order_big, big, count);
	report("fullnat established", big, count, secs, base, tx_total() - tx0);

	/* Replies of the same 1M sessions, real server -> LIP port: the other
	 * key of each session. */
	{
		static struct fl_sess_view v[1024];
		unsigned n = 0;
		uint32_t cursor = 0;
		while (cursor < fl_sess_capacity(w->sess) && n < big) {
			unsigned k = fl_sess_copy_range(w->sess, &cursor, v, 1024);
			for (unsigned i = 0; i < k && n < big; i++)
				if (v[i].method == FL_FWD_FULLNAT)
					build_reply(ack_big[n++], &v[i]);
		}
		uint32_t *order_reply = shuffled(n);
		tx0 = tx_total();
		secs = run(fl_bench_rx, ack_big, order_reply, n, count);
		report("fullnat replies (rs -> lip)", n, count, secs, base, tx_total() - tx0);
		free(order_reply);
	}

	run(fl_bench_rx, syn_small, order_small, small, small - small % BURST + BURST);
	tx0 = tx_total();
	secs = run(fl_bench_rx, ack_small, order_small, small, count);
	report("fullnat established", small, count, secs, base_small, tx_total() - tx0);

	/* DR, NAT and TUN on established flows: their own 1M flows each. */
	const char *names[3] = { "dr established", "nat established", "tun established" };
	for (unsigned m = 0; m < 3; m++) {
		for (unsigned i = 0; i < big; i++) {
			build_to(syn_big[i], i, 2 + m, RTE_TCP_SYN_FLAG, (uint8_t)(101 + m));
			build_to(ack_big[i], i, 2 + m, RTE_TCP_ACK_FLAG, (uint8_t)(101 + m));
		}
		run(fl_bench_rx, syn_big, order_big, big, big - big % BURST);
		tx0 = tx_total();
		secs = run(fl_bench_rx, ack_big, order_big, big, count);
		report(names[m], big, count, secs, base, tx_total() - tx0);
		if (methods[m] == FL_FWD_DR) {
			for (unsigned i = 0; i < small; i++) {
				build_to(syn_small[i], i, 5, RTE_TCP_SYN_FLAG, (uint8_t)(101 + m));
				build_to(ack_small[i], i, 5, RTE_TCP_ACK_FLAG, (uint8_t)(101 + m));
			}
			run(fl_bench_rx, syn_small, order_small, small, small - small % BURST + BURST);
			tx0 = tx_total();
			secs = run(fl_bench_rx, ack_small, order_small, small, count);
			report(names[m], small, count, secs, base_small, tx_total() - tx0);
		}
	}

	/* Sessions with a sequence delta: every client packet has its seq
	 * shifted by the PROXY header's length (checksum updated), beside the
	 * plain FULLNAT established case above. */
	for (unsigned i = 0; i < big; i++) {
		build_to(syn_big[i], i, 6, RTE_TCP_SYN_FLAG, 105);
		build_to(ack_big[i], i, 6, RTE_TCP_ACK_FLAG, 105);
	}
	run(fl_bench_rx, syn_big, order_big, big, big - big % BURST);
	tx0 = tx_total();
	secs = run(fl_bench_rx, ack_big, order_big, big, count);
	report("fullnat+proxy established", big, count, secs, base, tx_total() - tx0);

	/* Clients that send timestamps (as Linux's do), on the plain FULLNAT
	 * service: with dataplane.rewriteTimestamps each session keeps an
	 * offset and every TSval is rewritten. */
	{
		const size_t stride = 80;
		uint8_t *syn_ts = malloc((size_t)big * stride), *ack_ts = malloc((size_t)big * stride);
		for (unsigned i = 0; i < big; i++) {
			build_to(syn_ts + (size_t)i * stride, i, 8, RTE_TCP_SYN_FLAG, 100);
			add_timestamps(syn_ts + (size_t)i * stride, 1000 + i);
			build_to(ack_ts + (size_t)i * stride, i, 8, RTE_TCP_ACK_FLAG, 100);
			add_timestamps(ack_ts + (size_t)i * stride, 2000 + i);
		}
		run_frames(fl_bench_rx, syn_ts, stride, TS_FRAME_LEN, order_big, big, big - big % BURST);
		tx0 = tx_total();
		secs = run_frames(fl_bench_rx, ack_ts, stride, TS_FRAME_LEN, order_big, big, count);
		report(c.ts_rewrite ? "fullnat est. +TS rewritten" : "fullnat est. +TS passed", big, count, secs, base, tx_total() - tx0);
		free(syn_ts);
		free(ack_ts);
	}

	/* IPv6 FULLNAT, its own 1M flows: new sessions, then established,
	 * beside the IPv4 rows above (78-byte frames, the smallest IPv6 TCP). */
	double new6_rate = 0;
	uint64_t created6 = 0;
	{
		const size_t stride = 80;
		uint8_t *syn6 = malloc((size_t)big * stride), *ack6 = malloc((size_t)big * stride);
		for (unsigned i = 0; i < big; i++) {
			build6(syn6 + (size_t)i * stride, i, RTE_TCP_SYN_FLAG);
			build6(ack6 + (size_t)i * stride, i, RTE_TCP_ACK_FLAG);
		}
		tx0 = tx_total();
		uint64_t c0 = w->ctr->sessions_created;
		secs = run_frames(fl_bench_rx, syn6, stride, FRAME6_LEN, order_big, big, big - big % BURST);
		created6 = w->ctr->sessions_created - c0;
		new6_rate = (double)created6 / secs / 1e6;
		report("ipv6 fullnat new sessions", big, big - big % BURST, secs, base, tx_total() - tx0);
		tx0 = tx_total();
		secs = run_frames(fl_bench_rx, ack6, stride, FRAME6_LEN, order_big, big, count);
		report("ipv6 fullnat established", big, count, secs, base, tx_total() - tx0);
		free(syn6);
		free(ack6);
	}

	/* SYN proxy: each SYN answered with a cookie SYN-ACK, no session. */
	for (unsigned i = 0; i < big; i++)
		build_to(syn_big[i], i, 7, RTE_TCP_SYN_FLAG, 104);
	tx0 = tx_total();
	uint64_t cookies0 = w->ctr->tcpx[FL_TCPX_EV_COOKIE_SENT];
	secs = run(fl_bench_rx, syn_big, order_big, big, big - big % BURST);
	uint64_t cookies = w->ctr->tcpx[FL_TCPX_EV_COOKIE_SENT] - cookies0;
	report("synproxy cookie answers", big, big - big % BURST, secs, base, tx_total() - tx0);
	double cookie_rate = (double)cookies / secs / 1e6;

	/* Route lookups toward clients all over the address space (replies
	 * of FULLNAT and NAT): rte_lpm alone reads a random entry of its 64 MB
	 * first-level table each time; the snapshot's /16 summary sends them
	 * to the default route first. Lookups only: nothing is sent. */
	{
		const struct fl_snapshot *sn = fl_snap_get();
		enum { N = 1 << 20 };
		uint32_t *dst = malloc(sizeof(*dst) * N);
		uint64_t x = 0x2545f4914f6cdd1dull, sum = 0;
		for (unsigned i = 0; i < N; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			dst[i] = (uint32_t)x;
		}
		uint64_t t0 = rte_rdtsc();
		for (unsigned r = 0; r < 8; r++)
			for (unsigned i = 0; i < N; i++) {
				uint32_t idx;
				sum += rte_lpm_lookup(sn->lpm, dst[i], &idx) == 0 ? idx : 1;
			}
		uint64_t t1 = rte_rdtsc();
		for (unsigned r = 0; r < 8; r++)
			for (unsigned i = 0; i < N; i++)
				sum += (uintptr_t)fl_route_lookup(sn, rte_cpu_to_be_32(dst[i])) & 1;
		uint64_t t2 = rte_rdtsc();
		printf("route lookup, 1M random destinations: rte_lpm %.1f ns, with the /16 summary %.1f ns (%lu)\n",
		       (double)(t1 - t0) * 1e9 / tsc_hz / (8.0 * N), (double)(t2 - t1) * 1e9 / tsc_hz / (8.0 * N),
		       (unsigned long)(sum & 1));
		free(dst);
	}
	printf("new sessions: %.2f M/s per core (%lu created); SYN-cookie answers: %.2f M/s per core (%lu sent)\n",
	       new_rate, (unsigned long)created, cookie_rate, (unsigned long)cookies);
	printf("ipv6 new sessions: %.2f M/s per core (%lu created)\n", new6_rate, (unsigned long)created6);
	printf("session memory: %.1f bytes per session, both keys included (capacity %u); IPv6 %.1f (capacity %u)\n",
	       fl_sess_bytes_per_session(c.sessions_per_worker), c.sessions_per_worker,
	       fl_sess6_bytes_per_session(c.sessions6_per_worker), c.sessions6_per_worker);
	printf("drops:");
	struct fl_worker_counters snap;
	fl_stats_read(&snap, 1);
	for (unsigned d = 0; d < FL_DROP__MAX; d++)
		if (snap.drops[d])
			printf(" %s=%lu", fl_drop_name(d), (unsigned long)snap.drops[d]);
	printf("\n");
	fl_dp_stop();
	fl_eal_cleanup();
	return 0;
}
