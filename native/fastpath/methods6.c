/* The IPv6 method table: enum fl_method -> its IPv6 ops (one file each),
 * NULL where IPv6 lacks the method (method6.h). */
#include "method6.h"

extern const struct fl_method6_ops fl_method6_fullnat, fl_method6_dr, fl_method6_nat, fl_method6_tun, fl_method6_nat64;

const struct fl_method6_ops *const fl_methods6[FL_FWD6__COUNT] = {
	[FL_FWD_FULLNAT] = &fl_method6_fullnat,
	[FL_FWD_DR] = &fl_method6_dr,
	[FL_FWD_NAT] = &fl_method6_nat,
	[FL_FWD_TUN] = &fl_method6_tun,
	[FL_FWD6_NAT64] = &fl_method6_nat64,
};

int fl_method_has_ipv6(unsigned method)
{
	return fl_method6(method) != NULL;
}
