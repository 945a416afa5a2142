/* Port bring-up: one mempool per socket, RX queue per worker, TX queue per
 * worker plus one for the service thread, RSS where the device has it, and a
 * net_tap kernel twin per port for the exception path. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>

#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_dev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "port.h"
#include "steer.h"

struct fl_port fl_ports[FL_MAX_PORTS];
unsigned fl_nports;

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];

#define FL_RING_SIZE 4096

struct rte_mempool *fl_pool_for_socket(int socket)
{
	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES || !pools[socket])
		socket = 0;
	if (pools[socket])
		return pools[socket];
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (pools[s])
			return pools[s];
	return NULL;
}

static int create_pools(const struct fl_dp_conf *conf, char *err, size_t errlen)
{
	bool want[RTE_MAX_NUMA_NODES] = { false };
	want[rte_socket_id() < RTE_MAX_NUMA_NODES ? rte_socket_id() : 0] = true;
	for (unsigned i = 0; i < conf->n_workers; i++) {
		unsigned s = rte_lcore_to_socket_id(conf->worker_lcores[i]);
		want[s < RTE_MAX_NUMA_NODES ? s : 0] = true;
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (!want[s] || pools[s])
			continue;
		char name[RTE_MEMPOOL_NAMESIZE];
		snprintf(name, sizeof(name), "fl_pool_%d", s);
		pools[s] = rte_pktmbuf_pool_create(name, conf->mbufs_per_socket, 256, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE, s);
		if (!pools[s]) {
			size_t mb = ((size_t)conf->mbufs_per_socket *
				     (RTE_MBUF_DEFAULT_BUF_SIZE + 256)) >> 20;
			snprintf(err, errlen,
				 "cannot allocate %u mbufs (~%zu MB) on socket %d: %s; reserve more hugepages or lower dataplane.mbufsPerSocket",
				 conf->mbufs_per_socket, mb, s, rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

/* Most PMDs (PCI NICs, virtio, net_tap) fill each RX ring with mbufs when it
 * starts. What is left must carry the traffic: bursts, TX buffers, parked
 * packets, redirects. Too small a pool would otherwise show up as silent
 * RX stalls, not as an error. */
#define FL_MBUFS_PER_WORKER 512
static int check_pools(const struct fl_dp_conf *conf, char *err, size_t errlen)
{
	unsigned need = conf->n_workers * FL_MBUFS_PER_WORKER;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		if (!pools[s])
			continue;
		unsigned left = rte_mempool_avail_count(pools[s]);
		if (left < need) {
			snprintf(err, errlen,
				 "dataplane.mbufsPerSocket %u is too small: the ports' RX rings took %u mbufs on socket %d at start, "
				 "leaving %u, and %u workers need %u; raise it to at least %u",
				 conf->mbufs_per_socket, conf->mbufs_per_socket - left, s, left, conf->n_workers, need,
				 conf->mbufs_per_socket - left + 2 * need);
			return -1;
		}
	}
	return 0;
}

static int is_pci_addr(const char *dev)
{
	unsigned a, b, c, d;
	return sscanf(dev, "%x:%x:%x.%x", &a, &b, &c, &d) == 4 ||
	       sscanf(dev, "%x:%x.%x", &b, &c, &d) == 3;
}

/* The ethdev name of a device string: a PCI address as given, or a vdev's name
 * (its devargs up to the first comma). */
static void device_name(const char *dev, char *out, size_t len)
{
	size_t n = strcspn(dev, ",");
	if (n >= len)
		n = len - 1;
	memcpy(out, dev, n);
	out[n] = 0;
}


/* The AF_XDP sockets open in this process (XDP_OPTIONS answers only on
 * one), and whether each is bound zero-copy. */
#define FL_MAX_XSK_FDS 256
static unsigned xsk_fds(int *out, unsigned max, bool *zc)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < max) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d))
			continue;
		struct xdp_options o;
		socklen_t len = sizeof(o);
		if (getsockopt(fd, SOL_XDP, XDP_OPTIONS, &o, &len) != 0)
			continue;
		if (zc)
			zc[n] = (o.flags & XDP_OPTIONS_ZEROCOPY) != 0;
		out[n++] = fd;
	}
	closedir(d);
	return n;
}

static int open_ring_port(struct fl_port *p, unsigned idx, unsigned nw, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	for (unsigned q = 0; q < nw; q++) {
		snprintf(name, sizeof(name), "flr_%u_rx%u", idx, q);
		p->rx_rings[q] = rte_ring_create(name, FL_RING_SIZE, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!p->rx_rings[q])
			goto fail;
	}
	for (unsigned q = 0; q < nw; q++) {
		snprintf(name, sizeof(name), "flr_%u_tx%u", idx, q);
		p->tx_rings[q] = rte_ring_create(name, FL_RING_SIZE, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!p->tx_rings[q])
			goto fail;
	}
	char devname[64];
	snprintf(devname, sizeof(devname), "net_ring_fl%u", idx);
	int id = rte_eth_from_rings(devname, p->rx_rings, nw, p->tx_rings, nw, rte_socket_id());
	if (id < 0)
		goto fail;
	p->id = (uint16_t)id;
	p->is_ring = true;
	return 0;
fail:
	snprintf(err, errlen, "port %s: cannot create ring port: %s", p->name, rte_strerror(rte_errno));
	return -1;
}

/* Rx interrupts serve only the idle sleep (idle.c): asked for when it may use them. */
static bool wants_rx_intr(const struct fl_dp_conf *conf)
{
	return conf->rx_intr && conf->idle_sleep_us;
}

static int setup_queues(uint16_t id, const char *what, uint16_t nrx, uint16_t ntx,
			const struct fl_dp_conf *conf, bool *rss_out, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read device info: %s", what, rte_strerror(-rc));
		return -1;
	}
	if (info.max_rx_queues < nrx || info.max_tx_queues < ntx) {
		snprintf(err, errlen,
			 "%s: driver %s offers %u RX / %u TX queues, %u / %u needed for %u workers",
			 what, info.driver_name, info.max_rx_queues, info.max_tx_queues, nrx, ntx,
			 conf->n_workers);
		return -1;
	}
	struct rte_eth_conf ec;
	memset(&ec, 0, sizeof(ec));
	bool rss = false;
	if (nrx > 1 && info.flow_type_rss_offloads) {
		/* A symmetric key keeps both directions of a tuple on one queue
		 * where the NIC hashes with Toeplitz (NAT relies on it). */
		static uint8_t sym_key[40];
		for (unsigned i = 0; i < sizeof(sym_key); i += 2) {
			sym_key[i] = 0x6d;
			sym_key[i + 1] = 0x5a;
		}
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
						  info.flow_type_rss_offloads;
		if (info.hash_key_size == sizeof(sym_key)) {
			ec.rx_adv_conf.rss_conf.rss_key = sym_key;
			ec.rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_key);
		}
		rss = true;
	}
	/* Rx interrupts for the idle sleep (idle.c); a PMD without them ignores
	 * the request or refuses it, and then the port runs without. */
	ec.intr_conf.rxq = wants_rx_intr(conf);
	rc = rte_eth_dev_configure(id, nrx, ntx, &ec);
	if (rc != 0 && ec.intr_conf.rxq) {
		ec.intr_conf.rxq = 0;
		rc = rte_eth_dev_configure(id, nrx, ntx, &ec);
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: configure failed: %s", what, rte_strerror(-rc));
		return -1;
	}
	uint16_t nb_rxd = conf->rx_desc, nb_txd = conf->tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);
	int sock = rte_eth_dev_socket_id(id);
	for (uint16_t q = 0; q < nrx; q++) {
		unsigned lc = q < conf->n_workers ? conf->worker_lcores[q] : rte_get_main_lcore();
		int s = sock >= 0 ? sock : (int)rte_lcore_to_socket_id(lc);
		rc = rte_eth_rx_queue_setup(id, q, nb_rxd, s, NULL, fl_pool_for_socket(s));
		if (rc != 0) {
			snprintf(err, errlen, "%s: RX queue %u setup failed: %s", what, q, rte_strerror(-rc));
			return -1;
		}
	}
	for (uint16_t q = 0; q < ntx; q++) {
		rc = rte_eth_tx_queue_setup(id, q, nb_txd, sock >= 0 ? sock : 0, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "%s: TX queue %u setup failed: %s", what, q, rte_strerror(-rc));
			return -1;
		}
	}
	if (rss_out)
		*rss_out = rss;
	return 0;
}

/* Whether every RX queue of a started device has an interrupt event fd
 * (the PMD set them up because the configure asked: net_tap, virtio, ...). */
static bool rx_intr_ready(uint16_t id, uint16_t nrx, const struct fl_dp_conf *conf)
{
	if (!wants_rx_intr(conf) || nrx == 0)
		return false;
	for (uint16_t q = 0; q < nrx; q++)
		if (rte_eth_dev_rx_intr_ctl_q_get_fd(id, q) < 0)
			return false;
	return true;
}

static int open_twin(struct fl_port *p, unsigned idx, const struct fl_dp_conf *conf, char *err, size_t errlen)
{
	char devargs[256], name[64], what[96];
	snprintf(name, sizeof(name), "net_tap_fl%u", idx);
	snprintf(devargs, sizeof(devargs), "%s,iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, name, p->twin,
		 RTE_ETHER_ADDR_BYTES(&p->mac));
	snprintf(what, sizeof(what), "port %s twin %s", p->name, p->twin);
	int rc = rte_dev_probe(devargs);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot create kernel twin (net_tap; needs root and /dev/net/tun): %s",
			 what, rte_strerror(-rc));
		return -1;
	}
	uint16_t id;
	if (rte_eth_dev_get_port_by_name(name, &id) != 0) {
		snprintf(err, errlen, "%s: twin probed but not found", what);
		return -1;
	}
	p->twin_id = id;
	if (setup_queues(id, what, conf->n_workers, conf->n_workers, conf, NULL, err, errlen))
		return -1;
	if (p->mtu)
		rte_eth_dev_set_mtu(id, p->mtu);
	rc = rte_eth_dev_start(id);
	if (rc != 0) {
		snprintf(err, errlen, "%s: start failed: %s", what, rte_strerror(-rc));
		return -1;
	}
	p->twin_started = true;
	p->twin_rx_intr = rx_intr_ready(id, conf->n_workers, conf);
	return 0;
}

/* Queues (one RX and one TX per worker), MTU, start. The AF_XDP sockets the
 * queue setup opens (the af_xdp PMD binds one per RX queue there) are the
 * port's: counted, with how many the kernel bound zero-copy. */
static int start_device(struct fl_port *p, const struct fl_dp_conf *conf, char *err, size_t errlen)
{
	char what[64];
	snprintf(what, sizeof(what), "port %s", p->name);
	p->nb_rxq = conf->n_workers;
	p->nb_txq = conf->n_workers;
	int before[FL_MAX_XSK_FDS], after[FL_MAX_XSK_FDS];
	unsigned nb = xsk_fds(before, FL_MAX_XSK_FDS, NULL);
	if (setup_queues(p->id, what, p->nb_rxq, p->nb_txq, conf, &p->rss, err, errlen))
		return -1;
	bool zc[FL_MAX_XSK_FDS];
	unsigned na = xsk_fds(after, FL_MAX_XSK_FDS, zc);
	for (unsigned a = 0; a < na; a++) {
		bool old = false;
		for (unsigned b = 0; b < nb && !old; b++)
			old = before[b] == after[a];
		if (!old) {
			p->xsk++;
			p->xsk_zerocopy += zc[a];
		}
	}
	p->sw_steer = !p->is_ring && !p->rss && p->nb_rxq > 1;
	if (p->mtu && !p->is_ring) {
		int rc = rte_eth_dev_set_mtu(p->id, p->mtu);
		if (rc != 0 && rc != -ENOTSUP)
			fprintf(stderr, "fulcrum: port %s: cannot set MTU %u: %s\n", p->name, p->mtu,
				rte_strerror(-rc));
	}
	int rc = rte_eth_dev_start(p->id);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: start failed: %s", p->name, rte_strerror(-rc));
		return -1;
	}
	p->started = true;
	p->rx_intr = rx_intr_ready(p->id, p->nb_rxq, conf);
	return 0;
}

/* Attach a vdev the addon owns (EAL was not given it with --vdev). On
 * failure `why` holds the driver's own reason from the DPDK log. */
static int attach_vdev(const char *dev, uint16_t *id, char *why, size_t whylen)
{
	char name[FL_DEVARGS_LEN];
	device_name(dev, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, id) == 0)
		return 0;
	static const char *const generic[] = { "Failed to init internals", "failed to initialize",
					       "probe failed", "Failed to probe", NULL };
	long mark = fl_log_mark();
	int rc = rte_dev_probe(dev);
	if (rc == 0 && rte_eth_dev_get_port_by_name(name, id) == 0)
		return 0;
	if (fl_log_since(mark, generic, why, whylen) != 0)
		snprintf(why, whylen, "%s", rte_strerror(rc ? -rc : ENODEV));
	return -1;
}

static void detach_vdev(struct fl_port *p, const char *dev)
{
	char name[FL_DEVARGS_LEN];
	device_name(dev, name, sizeof(name));
	if (p->id != FL_NO_PORT) {
		if (p->started)
			rte_eth_dev_stop(p->id);
		rte_eth_dev_close(p->id);
	}
	rte_eal_hotplug_remove("vdev", name);
	p->id = FL_NO_PORT;
	p->started = false;
	p->rx_intr = false;
	p->xsk = p->xsk_zerocopy = 0;
}

/* An "iface:" port: the preferred driver (net_af_xdp) if it attaches, takes
 * the port's MTU and sets up its queues, else the fallback (net_af_packet),
 * with the reason kept for the API and the start-up log. */
static int open_with_fallback(struct fl_port *p, unsigned idx, const struct fl_port_conf *pc,
			      const struct fl_dp_conf *conf, char *err, size_t errlen)
{
	(void)idx;
	char why[sizeof(p->fallback_reason)] = "";
	if (attach_vdev(pc->device, &p->id, why, sizeof(why)) == 0) {
		struct rte_eth_dev_info info;
		if (p->mtu && rte_eth_dev_info_get(p->id, &info) == 0 && p->mtu > info.max_mtu) {
			snprintf(why, sizeof(why), "MTU %u is above the driver's limit of %u", p->mtu, info.max_mtu);
		} else if (start_device(p, conf, why, sizeof(why)) == 0) {
			return 0;
		}
		detach_vdev(p, pc->device);
	}
	snprintf(p->fallback_reason, sizeof(p->fallback_reason), "%s", why[0] ? why : "refused");
	char why2[256] = "";
	if (attach_vdev(pc->fallback, &p->id, why2, sizeof(why2)) != 0) {
		snprintf(err, errlen, "port %s: neither %s (%s) nor %s (%s) attached", pc->name, pc->device,
			 p->fallback_reason, pc->fallback, why2);
		return -1;
	}
	return 0;
}

int fl_ports_open(const struct fl_dp_conf *conf, char *err, size_t errlen)
{
	if (create_pools(conf, err, errlen))
		return -1;
	unsigned nw = conf->n_workers;
	for (unsigned i = 0; i < conf->n_ports; i++) {
		const struct fl_port_conf *pc = &conf->ports[i];
		struct fl_port *p = &fl_ports[i];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", pc->name);
		snprintf(p->twin, sizeof(p->twin), "%s", pc->twin);
		p->twin_id = FL_NO_PORT;
		p->id = FL_NO_PORT;
		p->mtu = pc->mtu;
		fl_nports = i + 1;
		if (strcmp(pc->device, "ring") == 0) {
			if (open_ring_port(p, i, nw, err, errlen))
				return -1;
		} else if (pc->fallback[0]) {
			if (open_with_fallback(p, i, pc, conf, err, errlen))
				return -1;
		} else {
			char devname[FL_DEVARGS_LEN];
			device_name(pc->device, devname, sizeof(devname));
			uint16_t id;
			if (rte_eth_dev_get_port_by_name(devname, &id) != 0) {
				char why[256] = "";
				fl_log_find(devname, why, sizeof(why));
				snprintf(err, errlen, "port %s: device %s not found (%s)%s%s", pc->name, pc->device,
					 is_pci_addr(devname) ? "not bound to a DPDK driver or not allowed with -a"
							      : "vdev failed to probe; check its devargs",
					 why[0] ? ": " : "", why);
				return -1;
			}
			p->id = id;
		}
		if (!p->started && start_device(p, conf, err, errlen))
			return -1;
		rte_eth_promiscuous_enable(p->id);
		if (p->is_ring) {
			/* net_ring has no address of its own: use a stable, locally
			 * administered one so fixtures can predict it. */
			struct rte_ether_addr mac = { .addr_bytes = { 0x02, 0xf1, 0x00, 0x00, 0x00, (uint8_t)i } };
			p->mac = mac;
		} else {
			rte_eth_macaddr_get(p->id, &p->mac);
		}
		if (!p->mtu) {
			uint16_t m = 1500;
			if (rte_eth_dev_get_mtu(p->id, &m) == 0)
				p->mtu = m;
			else
				p->mtu = 1500;
		}
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(p->id, &info) == 0)
			snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
		if (p->twin[0] && open_twin(p, i, conf, err, errlen))
			return -1;
	}
	return check_pools(conf, err, errlen);
}

void fl_ports_close(void)
{
	fl_steer_flush();
	for (unsigned i = 0; i < fl_nports; i++) {
		struct fl_port *p = &fl_ports[i];
		if (p->twin_id != FL_NO_PORT) {
			if (p->twin_started)
				rte_eth_dev_stop(p->twin_id);
			rte_eth_dev_close(p->twin_id);
			char name[64];
			snprintf(name, sizeof(name), "net_tap_fl%u", i);
			/* Removing the vdev deletes the kernel interface too. */
			rte_eal_hotplug_remove("vdev", name);
			p->twin_id = FL_NO_PORT;
		}
		if (p->id != FL_NO_PORT) {
			if (p->started)
				rte_eth_dev_stop(p->id);
			rte_eth_dev_close(p->id);
			p->id = FL_NO_PORT;
		}
		for (unsigned q = 0; q < FL_MAX_WORKERS; q++) {
			rte_ring_free(p->rx_rings[q]);
			p->rx_rings[q] = NULL;
		}
		for (unsigned q = 0; q < FL_MAX_WORKERS + 1; q++) {
			rte_ring_free(p->tx_rings[q]);
			p->tx_rings[q] = NULL;
		}
	}
	fl_nports = 0;
}

unsigned fl_port_count(void)
{
	return fl_nports;
}

int fl_port_info(unsigned idx, struct fl_port_info *out)
{
	if (idx >= fl_nports)
		return -1;
	const struct fl_port *p = &fl_ports[idx];
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", p->name);
	snprintf(out->driver, sizeof(out->driver), "%s", p->is_ring ? "net_ring" : p->driver);
	snprintf(out->twin, sizeof(out->twin), "%s", p->twin);
	out->port_id = p->id;
	out->twin_port_id = p->twin_id;
	memcpy(out->mac, p->mac.addr_bytes, 6);
	out->mtu = p->mtu;
	out->n_rxq = p->nb_rxq;
	out->n_txq = p->nb_txq;
	out->rss = p->rss;
	out->sw_steer = p->sw_steer;
	out->steering = p->steering;
	out->xsk = p->xsk;
	out->xsk_zerocopy = p->xsk_zerocopy;
	snprintf(out->fallback_reason, sizeof(out->fallback_reason), "%s", p->fallback_reason);
	out->rx_intr = p->rx_intr;
	out->twin_rx_intr = p->twin_rx_intr;
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(p->id, &link) == 0)
		out->link_up = link.link_status == RTE_ETH_LINK_UP;
	return 0;
}

int fl_ring_inject(unsigned port, unsigned queue, const uint8_t *const *frames, const uint16_t *lens, unsigned n)
{
	if (port >= fl_nports || !fl_ports[port].is_ring || queue >= fl_ports[port].nb_rxq)
		return -1;
	struct rte_mempool *mp = fl_pool_for_socket((int)rte_socket_id());
	struct rte_mbuf *batch[64];
	unsigned done = 0;
	/* Up to 64 frames go onto the ring in one enqueue, so that frames
	 * injected together reach the worker in the same RX burst (tests of
	 * what a burst does to itself rely on it). */
	while (done < n) {
		unsigned k = 0;
		for (; k < 64 && done + k < n; k++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
			char *d = m ? rte_pktmbuf_append(m, lens[done + k]) : NULL;
			if (!d) {
				rte_pktmbuf_free(m);
				break;
			}
			memcpy(d, frames[done + k], lens[done + k]);
			m->port = fl_ports[port].id;
			batch[k] = m;
		}
		unsigned q = rte_ring_enqueue_burst(fl_ports[port].rx_rings[queue], (void **)batch, k, NULL);
		for (unsigned i = q; i < k; i++)
			rte_pktmbuf_free(batch[i]);
		done += q;
		if (q < k || k == 0)
			break;
	}
	return (int)done;
}

int fl_ring_drain(unsigned port, uint8_t **out, uint16_t cap, uint16_t *lens, uint16_t *txq, unsigned max)
{
	if (port >= fl_nports || !fl_ports[port].is_ring)
		return -1;
	unsigned got = 0;
	for (unsigned q = 0; q < fl_ports[port].nb_txq && got < max; q++) {
		void *obj;
		while (got < max && rte_ring_dequeue(fl_ports[port].tx_rings[q], &obj) == 0) {
			struct rte_mbuf *m = obj;
			uint32_t len = rte_pktmbuf_pkt_len(m);
			if (len > cap)
				len = cap;
			const void *src = rte_pktmbuf_read(m, 0, len, out[got]);
			if (src != out[got])
				memcpy(out[got], src, len);
			lens[got] = (uint16_t)len;
			txq[got] = (uint16_t)q;
			rte_pktmbuf_free(m);
			got++;
		}
	}
	return (int)got;
}
