/*
 * The IPv6 family's session table: 128-byte records, 40-byte keys
 * (session6.h). The table is sess_table_impl.h, shared with IPv4
 * (session.c).
 */
#include "session6.h"

#define FL_ST(name) fl_sess6_##name
#define FL_ST_TABLE struct fl_sess6_table
#define FL_ST_REC struct fl_session6
#define FL_ST_KEY struct fl_flow_key6
#define FL_ST_VIEW struct fl_sess6_view
#include "sess_table_impl.h"
