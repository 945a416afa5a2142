/* Where the EAL's memory goes in the address space.
 *
 * DPDK reserves its memseg lists (up to RTE_MAX_MEM_MB_PER_TYPE for each
 * hugepage size and NUMA node) from a hint at 4 GB. When anything already
 * sits in that window the kernel ignores the hint and the lists land near the
 * top of the 47-bit space. With IOVA as VA, an IOMMU narrower than that
 * (QEMU's emulated VT-d has 39 bits) then refuses the DMA map, and every
 * vfio port fails to probe ("DMA remapping failed, error 22"). Inside Node
 * the window is often taken: V8 puts heap pages at random addresses, and
 * about one process in six has one between 4 and 68 GB. So the lowest free
 * window of the size DPDK will reserve is looked up in /proc/self/maps just
 * before rte_eal_init and handed to it as --base-virtaddr. */
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_config.h>

#include "fulcrum.h"

#define GB (UINT64_C(1) << 30)
#define USER_VA_END (UINT64_C(1) << 47)

/* Entries of `dir` whose names start with `prefix` followed by a digit. */
static unsigned count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	unsigned n = 0;
	size_t len = strlen(prefix);
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strncmp(e->d_name, prefix, len) == 0 && e->d_name[len] >= '0' && e->d_name[len] <= '9')
			n++;
	closedir(d);
	return n;
}

uint64_t fl_va_window_size(unsigned page_sizes, unsigned nodes)
{
	/* DPDK makes lists for every page size the kernel offers (free pages or
	 * not) on every node; each list is aligned to its page size, which is at
	 * most 1 GB, and a few small reservations come first. */
	uint64_t types = (uint64_t)(page_sizes ? page_sizes : 1) * (nodes ? nodes : 1);
	uint64_t lists = (uint64_t)types * RTE_MAX_MEM_MB_PER_TYPE << 20;
	uint64_t cap = (uint64_t)RTE_MAX_MEM_MB << 20;
	return (lists < cap ? lists : cap) + types * 2 * GB + 4 * GB;
}

uint64_t fl_va_window_size_here(void)
{
	return fl_va_window_size(count_entries("/sys/kernel/mm/hugepages", "hugepages-"),
				 count_entries("/sys/devices/system/node", "node"));
}

uint64_t fl_va_window_find(FILE *maps, uint64_t from, uint64_t size)
{
	/* /proc/self/maps lists mappings in ascending order. */
	uint64_t at = RTE_ALIGN_CEIL(from, GB);
	char line[512];
	bool line_start = true;
	while (fgets(line, sizeof(line), maps)) {
		/* Only the start of a line holds a range; a long path wraps. */
		bool first = line_start;
		line_start = strchr(line, '\n') != NULL;
		uint64_t start, end;
		if (!first || sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) != 2)
			continue;
		if (end <= at)
			continue;
		if (start >= at + size)
			break;
		at = RTE_ALIGN_CEIL(end, GB);
	}
	return at + size <= USER_VA_END ? at : 0;
}
