/* The IPv4 instance of session_open_impl.h. */
#include "lb_family4.h"
#include "session_open_impl.h"
