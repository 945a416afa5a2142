/* rte_flow steering of FULLNAT replies to the worker owning their port. */
#ifndef FL_STEER_H
#define FL_STEER_H

#include <stdint.h>

enum fl_steering { FL_STEER_NONE = 0, FL_STEER_SOFTWARE = 1, FL_STEER_RTE_FLOW = 2 };

/* Control thread, after a publish: install rules for LIPs not yet steered
 * (lip_ports[i] = the port index the LIP lives on). */
void fl_steer_lips(const uint32_t *lips, const uint16_t *lip_ports, unsigned n_lips, unsigned n_workers);
void fl_steer_flush(void);

#endif
