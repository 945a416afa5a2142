/*
 * The tiny harness of the C unit tests: each case returns NULL on success or
 * a reason; the runner prints one TAP-style line per case
 *   ok N - name            /   not ok N - name: reason
 * (test/lib/ctest.ts turns them into node:test subtests) and exits 1 if any
 * case failed. Names must not contain ": ", which starts the reason.
 */
#ifndef FL_TEST_TAP_H
#define FL_TEST_TAP_H

#include <stdio.h>

static char fl_tap_msg[512];

/* Fail the current case with "line N: <printf-style reason>". */
#define CHECK(cond, ...)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			int off_ = snprintf(fl_tap_msg, sizeof(fl_tap_msg), "line %d: ", \
					    __LINE__);                            \
			snprintf(fl_tap_msg + off_, sizeof(fl_tap_msg) - (size_t)off_, \
				 __VA_ARGS__);                                    \
			return fl_tap_msg;                                        \
		}                                                                 \
	} while (0)

struct fl_tap_case {
	const char *name;
	const char *(*fn)(void);
};

/* Run the cases; `prefix` is put before every name (e.g. a build variant). */
static inline int fl_tap_run(const struct fl_tap_case *cases, unsigned n, const char *prefix)
{
	unsigned failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		const char *err = cases[i].fn();
		if (err == NULL) {
			printf("ok %u - %s%s\n", i + 1, prefix, cases[i].name);
		} else {
			printf("not ok %u - %s%s: %s\n", i + 1, prefix, cases[i].name, err);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

#endif
