/* Source hashing and destination hashing (ip_vs_sh.c, ip_vs_dh.c): a table
 * of 256 buckets built on the control side; no per-worker state. */
#include "sched_impl.h"

static int64_t htab_slots(unsigned n, uint32_t mh_size, char *err, size_t errlen)
{
	(void)n, (void)mh_size, (void)err, (void)errlen;
	return FL_HTAB_SIZE;
}

/* ip_vs_sh.c ip_vs_sh_reassign(): buckets in order, each dest fills
 * `weight` consecutive buckets (at least one), wrapping. */
static int sh_build(struct fl_sched_table *t, const struct fl_sched_dest *dests, unsigned n,
		    char *err, size_t errlen)
{
	(void)err, (void)errlen;
	unsigned p = 0;
	int d_count = 0;
	for (unsigned i = 0; i < FL_HTAB_SIZE; i++) {
		if (n == 0) {
			t->slots[i] = -1;
			continue;
		}
		t->slots[i] = (int32_t)p;
		if (++d_count >= dests[p].weight) {
			p = (p + 1) % n;
			d_count = 0;
		}
	}
	return 0;
}

/* ip_vs_dh.c ip_vs_dh_reassign(): one bucket per dest, round robin, weight
 * ignored. */
static int dh_build(struct fl_sched_table *t, const struct fl_sched_dest *dests, unsigned n,
		    char *err, size_t errlen)
{
	(void)dests, (void)err, (void)errlen;
	for (unsigned i = 0; i < FL_HTAB_SIZE; i++)
		t->slots[i] = n ? (int32_t)(i % n) : -1;
	return 0;
}

/* ip_vs_sh.c ip_vs_sh_hashkey(): (offset + hash_32(ntohs(port) +
 * ntohl(addr), 8)) & 255 */
static inline unsigned sh_hashkey(uint32_t addr, uint16_t port, unsigned offset)
{
	return (offset + hash_32((uint32_t)ntohs_(port) + ntohl_(addr), FL_HTAB_BITS)) &
	       FL_HTAB_MASK;
}

/* ip_vs_sh.c ip_vs_sh_get() / ip_vs_sh_get_fallback() */
static int pick_sh(const struct fl_sched_table *t, const struct fl_sched_dest *dests,
		   unsigned n, uint32_t saddr, uint16_t sport, uint8_t proto)
{
	uint16_t port = (t->flags & FL_SCHED_F_SH_PORT) && l4_has_ports(proto) ? sport : 0;
	unsigned ihash = sh_hashkey(saddr, port, 0);
	int dest = t->slots[ihash];

	if (dest < 0 || (unsigned)dest >= n)
		return -1;
	if (!unavailable(&dests[dest]))
		return dest;
	if (!(t->flags & FL_SCHED_F_SH_FALLBACK))
		return -1;
	for (unsigned offset = 0; offset < FL_HTAB_SIZE; offset++) {
		unsigned roffset = (offset + ihash) % FL_HTAB_SIZE;
		dest = t->slots[sh_hashkey(saddr, port, roffset)];
		if (dest < 0)
			break;
		if (!unavailable(&dests[dest]))
			return dest;
	}
	return -1;
}

/* ip_vs_dh.c ip_vs_dh_schedule(): bucket hash_32(ntohl(daddr), 8); NULL if
 * that dest is unavailable, overloaded or has weight <= 0 (no fallback). */
static int pick_dh(const struct fl_sched_table *t, const struct fl_sched_dest *dests,
		   unsigned n, uint32_t daddr)
{
	int dest = t->slots[hash_32(ntohl_(daddr), FL_HTAB_BITS)];
	if (dest < 0 || (unsigned)dest >= n || unavailable(&dests[dest]))
		return -1;
	return dest;
}

static uint32_t sh_key_slot(const struct fl_sched_table *t, uint32_t saddr, uint32_t daddr, uint16_t sport, uint8_t proto)
{
	(void)daddr;
	uint16_t port = (t->flags & FL_SCHED_F_SH_PORT) && l4_has_ports(proto) ? sport : 0;
	return sh_hashkey(saddr, port, 0);
}

static uint32_t dh_key_slot(const struct fl_sched_table *t, uint32_t saddr, uint32_t daddr, uint16_t sport, uint8_t proto)
{
	(void)t, (void)saddr, (void)sport, (void)proto;
	return hash_32(ntohl_(daddr), FL_HTAB_BITS);
}

static int sh_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_sh(t, dests, n, saddr, sport, proto);
}

static int dh_pick(FL_SCHED_PICK_PARAMS)
{
	FL_SCHED_PICK_UNUSED;
	return pick_dh(t, dests, n, daddr);
}

const struct fl_sched_ops fl_sched_sh_ops = {
	.name = "sh", .slots = htab_slots, .build = sh_build, .pick = sh_pick, .key_slot = sh_key_slot,
};
const struct fl_sched_ops fl_sched_dh_ops = {
	.name = "dh", .slots = htab_slots, .build = dh_build, .pick = dh_pick, .key_slot = dh_key_slot,
};
