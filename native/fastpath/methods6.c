/* The IPv6 method table: enum fl_method -> its IPv6 ops, NULL where IPv6
 * lacks the method so far (method6.h). */
#include "method6.h"

extern const struct fl_method6_ops fl_method6_fullnat;

const struct fl_method6_ops *const fl_methods6[FL_FWD__COUNT] = {
	[FL_FWD_FULLNAT] = &fl_method6_fullnat,
};

int fl_method_has_ipv6(unsigned method)
{
	return fl_method6(method) != NULL;
}
