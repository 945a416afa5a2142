/*
 * The EAL's memory window (native/eal/va_window.c): the lookup over maps
 * listings, the size DPDK will reserve, and a live rte_eal_init through
 * fl_eal_init with a page already sitting at DPDK's default base (4 GB), as
 * V8's randomly placed heap pages often do inside Node. Without the window
 * the memseg lists land near 2^47, past a 39-bit IOMMU (QEMU's VT-d), and
 * every vfio port then fails its DMA map. Prints TAP lines
 * (test/lib/ctest.ts); run by test/native/eal-va.test.ts.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_config.h>
#include <rte_memory.h>

#include "fulcrum.h"
#include "tap.h"

#define GB (UINT64_C(1) << 30)
/* The narrowest IOMMU address width in use: QEMU's intel-iommu default. */
#define IOMMU_39_BITS (UINT64_C(1) << 39)

static uint64_t find_in(const char *listing, uint64_t from, uint64_t size)
{
	FILE *f = fmemopen((void *)listing, strlen(listing), "r");
	uint64_t at = fl_va_window_find(f, from, size);
	fclose(f);
	return at;
}

static const char *free_window_is_the_default_base(void)
{
	const char *maps = "55d0c0000000-55d0c0200000 r-xp 00000000 08:01 1 /usr/bin/node\n"
			   "7f0000000000-7f0000100000 rw-p 00000000 00:00 0\n";
	CHECK(find_in(maps, 4 * GB, 68 * GB) == 4 * GB, "got 0x%" PRIx64, find_in(maps, 4 * GB, 68 * GB));
	CHECK(find_in("", 4 * GB, 68 * GB) == 4 * GB, "empty listing");
	return NULL;
}

static const char *a_page_in_the_window_moves_it_past_the_page(void)
{
	/* A 256 KB V8 page at 0x377940000 (seen in a Node process). */
	const char *maps = "377940000-377980000 rw-p 00000000 00:00 0\n"
			   "7f0000000000-7f0000100000 rw-p 00000000 00:00 0\n";
	uint64_t at = find_in(maps, 4 * GB, 68 * GB);
	CHECK(at == 0x380000000, "got 0x%" PRIx64 ", want the next GB above the page", at);
	/* Two pages: the window must clear both. */
	const char *two = "377940000-377980000 rw-p 00000000 00:00 0\n"
			  "ed3d40000-ed3d80000 rw-p 00000000 00:00 0\n";
	at = find_in(two, 4 * GB, 68 * GB);
	CHECK(at == 0xf00000000, "got 0x%" PRIx64 ", want the next GB above the second page", at);
	return NULL;
}

static const char *a_mapping_ending_at_the_base_or_below_it_is_no_obstacle(void)
{
	const char *maps = "ffff0000-100000000 rw-p 00000000 00:00 0\n"
			   "1100000000-1100001000 rw-p 00000000 00:00 0\n";
	CHECK(find_in(maps, 4 * GB, 64 * GB) == 4 * GB, "got 0x%" PRIx64, find_in(maps, 4 * GB, 64 * GB));
	/* One byte more and the second mapping is in the way. */
	CHECK(find_in(maps, 4 * GB, 64 * GB + 1) == 69 * GB, "got 0x%" PRIx64, find_in(maps, 4 * GB, 64 * GB + 1));
	return NULL;
}

static const char *a_long_path_that_wraps_is_not_read_as_a_range(void)
{
	char maps[2048];
	int n = snprintf(maps, sizeof(maps), "7f0000000000-7f0000001000 r--p 00000000 08:01 2 /");
	/* A path longer than the reader's line buffer whose wrapped tail looks like a range. */
	for (int i = 0; i < 600; i++)
		maps[n++] = 'a';
	n += snprintf(maps + n, sizeof(maps) - (size_t)n, "200000000-300000000\n");
	CHECK(find_in(maps, 4 * GB, 16 * GB) == 4 * GB, "got 0x%" PRIx64, find_in(maps, 4 * GB, 16 * GB));
	return NULL;
}

static const char *no_room_below_2_47_is_0(void)
{
	const char *maps = "100000000-7ff800000000 rw-p 00000000 00:00 0\n";
	CHECK(find_in(maps, 4 * GB, 64 * GB) == 0, "got 0x%" PRIx64, find_in(maps, 4 * GB, 64 * GB));
	CHECK(find_in("", 4 * GB, UINT64_C(1) << 47) == 0, "a window larger than the user space");
	return NULL;
}

static const char *the_size_covers_every_list_dpdk_makes(void)
{
	uint64_t per_type = (uint64_t)RTE_MAX_MEM_MB_PER_TYPE << 20;
	uint64_t one = fl_va_window_size(1, 1);
	CHECK(one >= per_type + GB && one < per_type + 16 * GB, "1 size, 1 node: %" PRIu64 " GB", one / GB);
	uint64_t four = fl_va_window_size(2, 2);
	CHECK(four >= 4 * per_type + 4 * GB, "2 sizes, 2 nodes: %" PRIu64 " GB", four / GB);
	/* DPDK stops at RTE_MAX_MEM_MB in all. */
	uint64_t many = fl_va_window_size(2, 32);
	CHECK(many < 2 * ((uint64_t)RTE_MAX_MEM_MB << 20), "2 sizes, 32 nodes: %" PRIu64 " GB", many / GB);
	CHECK(fl_va_window_size(0, 0) == one, "no sysfs counts as one size on one node");
	return NULL;
}

/* Where a V8 heap page sat in one Node process: inside the lists DPDK makes at 4 GB. */
static uint64_t block_at = 0x377940000;
static const size_t block_len = 256 << 10;
struct lists_seen { unsigned n, outside, over_block; uint64_t lo, hi; };

static int each_list(const struct rte_memseg_list *msl, void *arg)
{
	struct lists_seen *s = arg;
	uint64_t b = (uintptr_t)msl->base_va, e = b + msl->len;
	s->n++;
	s->lo = s->n == 1 || b < s->lo ? b : s->lo;
	s->hi = e > s->hi ? e : s->hi;
	if (e > IOMMU_39_BITS)
		s->outside++;
	if (b < block_at + block_len && e > block_at)
		s->over_block++;
	return 0;
}

static int hugepages_free_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long free_pages = 0, kb = 2048;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Free: %ld", &free_pages);
		sscanf(line, "Hugepagesize: %ld", &kb);
	}
	if (f)
		fclose(f);
	return (int)(free_pages * kb / 1024);
}

static const char *eal_memory_clears_a_page_at_the_default_base(void)
{
	void *p = mmap((void *)(uintptr_t)block_at, block_len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(p == (void *)(uintptr_t)block_at, "could not place the page at 0x%" PRIx64 ": %p", block_at, p);
	/* Hugepages when the host has them (CI reserves some), else normal memory. */
	int huge = hugepages_free_mb() >= 64;
	char *argv[] = {"eal_va_test", huge ? "--in-memory" : "--no-huge", "--no-shconf", "-m", "64", "--no-pci",
			"--no-telemetry", "-l", "0", "--log-level=lib.eal:error", NULL};
	char err[FL_ERR_LEN] = "";
	CHECK(fl_eal_init((int)(sizeof(argv) / sizeof(*argv)) - 1, argv, err, sizeof(err)) == 0, "%s", err);
	struct lists_seen s = {0};
	rte_memseg_list_walk(each_list, &s);
	printf("# %s: %u memseg lists at 0x%" PRIx64 "-0x%" PRIx64 "\n", huge ? "hugepages" : "no hugepages", s.n, s.lo, s.hi);
	CHECK(s.n > 0, "no memseg list");
	CHECK(s.over_block == 0, "a list over the page");
	CHECK(s.outside == 0, "%u of %u lists end above 2^39 (0x%" PRIx64 "-0x%" PRIx64 ")", s.outside, s.n, s.lo, s.hi);
	fl_eal_cleanup();
	return NULL;
}

int main(void)
{
	static const struct fl_tap_case cases[] = {
		{"a free window is the default base", free_window_is_the_default_base},
		{"a page in the window moves it past the page", a_page_in_the_window_moves_it_past_the_page},
		{"a mapping ending at the base is no obstacle", a_mapping_ending_at_the_base_or_below_it_is_no_obstacle},
		{"a long path that wraps is not read as a range", a_long_path_that_wraps_is_not_read_as_a_range},
		{"no room below 2^47 is 0", no_room_below_2_47_is_0},
		{"the size covers every list DPDK makes", the_size_covers_every_list_dpdk_makes},
		{"EAL memory clears a page in its default window, below 2^39", eal_memory_clears_a_page_at_the_default_base},
	};
	return fl_tap_run(cases, sizeof(cases) / sizeof(*cases), "");
}
