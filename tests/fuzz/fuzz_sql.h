/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Shared body of the classifier fuzz targets: classify, then check the result's invariants. */
#ifndef BULWARK_FUZZ_SQL_H
#define BULWARK_FUZZ_SQL_H

#include <stdlib.h>
#include <string.h>
#include "sql/sql.h"

static int fuzz_sql(enum sql_dialect d, const uint8_t *data, size_t size)
{
	struct sql_result r;

	if (sql_classify(d, (const char *)data, size, 0, &r))
		abort();
	if (r.kind >= SQL_KIND_MAX || r.objects_len != strlen(r.objects) ||
	    r.objects_len >= SQL_OBJECTS_MAX || strlen(r.use_db) >= SQL_NAME_MAX ||
	    !sql_kind_name(r.kind))
		abort();
	if (r.destructive && !(r.kinds & (1u << r.kind)))
		abort();
	/* the prefilter may only skip text the full classifier finds harmless */
	if (r.flags & SQL_R_FAST) {
		struct sql_result full;

		sql_result_reset(&full);
		if (d == SQL_PG)
			sql_pg_classify((const char *)data, size, 0, false, &full);
		else
			sql_lex_classify(d, (const char *)data, size, 0, false, &full);
		if (full.destructive || (full.flags & SQL_R_USE))
			abort();
	}
	return 0;
}

#endif /* BULWARK_FUZZ_SQL_H */
