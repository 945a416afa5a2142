/*
 * Session sync beside the fast path, as IPVS's sync daemon: a master's
 * workers hand a record of each session worth syncing to a ring of their
 * own (no lock, no system call per packet); the control thread drains the
 * rings into IPVS v1 messages (sync_proto.h), which the control plane sends.
 * A backup's control thread parses what it receives and hands each session
 * to the worker that owns it, by the fast path's own ownership rules
 * (steering.h); that worker installs it between two bursts.
 */
#ifndef FL_SYNC_H
#define FL_SYNC_H

#include <stdint.h>

#include "../fastpath/dp.h"
#include "../session/session.h"

/* Read by the workers on every TCP state update: one byte, usually 0. */
extern volatile uint8_t fl_sync_master_on;

void fl_sync_note_slow(struct fl_worker *w, const struct fl_snapshot *s, struct fl_session *se, uint8_t before);

/* After a packet updated session se (its state was `before`): queue it for
 * the backups if IPVS's rules say so. */
static inline void fl_sync_note(struct fl_worker *w, const struct fl_snapshot *s, struct fl_session *se,
				uint8_t before)
{
	if (unlikely(fl_sync_master_on))
		fl_sync_note_slow(w, s, se, before);
}

/* Worker: install the sessions the control thread handed to it. */
unsigned fl_sync_poll(struct fl_worker *w, const struct fl_snapshot *s);
/* Whether installs wait on the worker's ring (its idle sleep looks first). */
bool fl_sync_pending(unsigned worker);

/* Control thread, at start and stop. */
int fl_sync_init(unsigned n_workers, char *err, size_t errlen);
void fl_sync_free(void);

#endif
