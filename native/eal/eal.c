/* EAL bring-up inside the Node process: the calling thread (Node's main
 * thread) becomes the main lcore and runs the control plane only. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "fulcrum.h"

static int eal_up;
static FILE *dpdk_log;

/* DPDK logs into an anonymous file rather than the daemon's stderr, so an
 * operator sees one line per problem; the line that explains a failure is
 * looked up there and folded into the error (FULCRUM_DPDK_LOG=stderr keeps
 * DPDK's own output on stderr for debugging). */
static void capture_logs(void)
{
	const char *mode = getenv("FULCRUM_DPDK_LOG");
	if (mode && strcmp(mode, "stderr") == 0)
		return;
	dpdk_log = tmpfile();
	if (dpdk_log)
		rte_openlog_stream(dpdk_log);
}

int fl_log_find(const char *needle, char *out, size_t len)
{
	if (!dpdk_log || !len)
		return -1;
	fflush(dpdk_log);
	long end = ftell(dpdk_log);
	rewind(dpdk_log);
	char line[512];
	int found = -1;
	while (fgets(line, sizeof(line), dpdk_log)) {
		if (needle && !strstr(line, needle))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, len, "%s", line);
		found = 0;
	}
	fseek(dpdk_log, end, SEEK_SET);
	return found;
}

long fl_log_mark(void)
{
	if (!dpdk_log)
		return -1;
	fflush(dpdk_log);
	return ftell(dpdk_log);
}

int fl_log_since(long mark, const char *const *skip, char *out, size_t len)
{
	if (!dpdk_log || mark < 0 || !len)
		return -1;
	fflush(dpdk_log);
	long end = ftell(dpdk_log);
	fseek(dpdk_log, mark, SEEK_SET);
	char line[512];
	int found = -1;
	while (found && ftell(dpdk_log) < end && fgets(line, sizeof(line), dpdk_log)) {
		bool generic = false;
		for (const char *const *s = skip; s && *s && !generic; s++)
			generic = strstr(line, *s) != NULL;
		if (generic)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(out, len, "%s", line);
		found = 0;
	}
	fseek(dpdk_log, end, SEEK_SET);
	return found;
}

static bool has_arg(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], name, strlen(name)) == 0)
			return true;
	return false;
}

/* The lowest free window for the EAL's memory from DPDK's own default
 * base (4 GB), read from this process's maps (va_window.c says why). */
static uint64_t eal_window(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	if (!maps)
		return 0;
	uint64_t base = fl_va_window_find(maps, UINT64_C(1) << 32, fl_va_window_size_here());
	fclose(maps);
	return base;
}

int fl_eal_init(int argc, char **argv, char *err, size_t errlen)
{
	if (eal_up) {
		snprintf(err, errlen, "EAL already initialised");
		return -1;
	}
	capture_logs();
	/* rte_eal_init may permute argv and keeps pointers into it: the glue's
	 * copy, or this one with the window added, lives for the process. */
	static char base_arg[64];
	uint64_t base = has_arg(argc, argv, "--base-virtaddr") ? 0 : eal_window();
	if (base) {
		char **with_base = malloc(sizeof(*argv) * ((size_t)argc + 2));
		if (with_base) {
			snprintf(base_arg, sizeof(base_arg), "--base-virtaddr=0x%" PRIx64, base);
			memcpy(with_base, argv, sizeof(*argv) * (size_t)argc);
			with_base[argc++] = base_arg;
			with_base[argc] = NULL;
			argv = with_base;
		}
	}
	int rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		char why[256] = "";
		fl_log_find("EAL: ", why, sizeof(why));
		snprintf(err, errlen, "EAL init failed: %s (%s)%s%s", rte_strerror(rte_errno),
			 rte_errno == ENOMEM ? "not enough hugepage memory" :
			 rte_errno == EINVAL ? "bad EAL arguments, e.g. an lcore that does not exist" :
			 rte_errno == EALREADY ? "already initialised" : "see the DPDK log",
			 why[0] ? ": " : "", why);
		return -1;
	}
	eal_up = 1;
	return 0;
}

void fl_eal_cleanup(void)
{
	if (eal_up) {
		rte_eal_cleanup();
		eal_up = 0;
	}
}
