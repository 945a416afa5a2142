/* The method table: enum fl_method -> its ops (one file each). */
#include "method.h"

extern const struct fl_method_ops fl_method_fullnat, fl_method_dr, fl_method_nat, fl_method_tun;

const struct fl_method_ops *const fl_methods[FL_FWD__COUNT] = {
	[FL_FWD_FULLNAT] = &fl_method_fullnat,
	[FL_FWD_DR] = &fl_method_dr,
	[FL_FWD_NAT] = &fl_method_nat,
	[FL_FWD_TUN] = &fl_method_tun,
};

const char *fl_method_name(unsigned method)
{
	return method < FL_FWD__COUNT ? fl_methods[method]->name : NULL;
}

int fl_method_edits_tcp(unsigned method)
{
	return method < FL_FWD__COUNT && (fl_methods[method]->flags & FL_METHOD_F_SEQ_ADJUST) != 0;
}
