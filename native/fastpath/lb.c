/* The IPv4 instance of lb_impl.h. */
#include "lb_family4.h"
#include "lb_impl.h"
