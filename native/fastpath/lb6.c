/* The IPv6 instance of lb_impl.h. */
#include "lb_family6.h"
#include "lb_impl.h"
