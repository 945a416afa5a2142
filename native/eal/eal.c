/* EAL bring-up inside the Node process: the calling thread (Node's main
 * thread) becomes the main lcore and runs the control plane only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "fulcrum.h"

static int eal_up;

int fl_eal_init(int argc, char **argv, char *err, size_t errlen)
{
	if (eal_up) {
		snprintf(err, errlen, "EAL already initialised");
		return -1;
	}
	/* rte_eal_init may permute argv; it gets a private copy from the glue. */
	int rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		snprintf(err, errlen, "EAL init failed: %s (%s)", rte_strerror(rte_errno),
			 rte_errno == ENOMEM ? "not enough hugepage memory" :
			 rte_errno == EINVAL ? "bad EAL arguments, e.g. an lcore that does not exist" :
			 rte_errno == EALREADY ? "already initialised" : "see the EAL log above");
		return -1;
	}
	eal_up = 1;
	return 0;
}

void fl_eal_cleanup(void)
{
	if (eal_up) {
		fl_dp_stop();
		rte_eal_cleanup();
		eal_up = 0;
	}
}
