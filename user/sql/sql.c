// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The SQL classifier's entry: prefilter fast path, then libpg_query or the token classifier. */
#include <errno.h>
#include <string.h>
#include "sql/sql.h"
#include "sql/sql_parse.h"

int sql_classify(enum sql_dialect d, const char *q, size_t len, uint32_t in_flags,
		 struct sql_result *r)
{
	if (!r)
		return -EINVAL;
	sql_result_reset(r);
	if ((d != SQL_MYSQL && d != SQL_PG) || (!q && len))
		return -EINVAL;
	if (!sql_prefilter(d, q, len)) {
		/* Cheap path: the kind of the first statement, nothing parsed. */
		struct sql_stmt s;

		sql_stmt_init(&s, false);
		s.kind = sql_parse_first_kind(d, q, len);
		sql_result_add(r, &s);
		r->flags |= SQL_R_FAST;
	} else if (d == SQL_PG) {
		sql_pg_classify(q, len, 0, false, r);
	} else {
		sql_parse_text(&sql_mysql_ops, q, len, 0, false, r);
	}
	if (!r->destructive && !(r->flags & SQL_R_FAST) && memchr(q, '\\', len)) {
		/* the session may read backslashes the other way: see sql_parse_text_alt() */
		struct sql_result alt;

		sql_result_reset(&alt);
		sql_parse_text_alt(d == SQL_PG ? &sql_pg_ops : &sql_mysql_ops, q, len, &alt);
		if (alt.destructive) {
			uint32_t keep = r->flags & ~(SQL_R_DYNAMIC | SQL_R_OBJS_TRUNC | SQL_R_CONST_WHERE);

			alt.kinds |= r->kinds;
			*r = alt;
			r->flags |= keep | SQL_R_ALT_QUOTES;
		}
	}
	if (in_flags & SQL_IN_TRUNC)
		r->flags |= SQL_R_TRUNC;
	return 0;
}

void sql_lex_classify(enum sql_dialect d, const char *q, size_t len, int depth, bool dynamic,
		      struct sql_result *r)
{
	sql_parse_text(d == SQL_PG ? &sql_pg_ops : &sql_mysql_ops, q, len, depth, dynamic, r);
}
