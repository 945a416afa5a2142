/* The IPv6 instance of session_open_impl.h. */
#include "lb_family6.h"
#include "session_open_impl.h"
