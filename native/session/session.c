/*
 * The IPv4 family's session table: 64-byte records, 16-byte keys
 * (session.h). The table is sess_table_impl.h, shared with IPv6
 * (session6.c).
 */
#include "session.h"

#define FL_ST(name) fl_sess_##name
#define FL_ST_TABLE struct fl_sess_table
#define FL_ST_REC struct fl_session
#define FL_ST_KEY struct fl_flow_key
#define FL_ST_VIEW struct fl_sess_view
#include "sess_table_impl.h"
