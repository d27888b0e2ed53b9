// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Statement kinds and ranks; building results: objects, verdicts, merging, the nesting budget. */
#include <string.h>
#include "sql/sql.h"

static const char *const kind_names[SQL_KIND_MAX] = {
	[SQL_OTHER] = "OTHER",
	[SQL_SELECT] = "SELECT",
	[SQL_INSERT] = "INSERT",
	[SQL_UPDATE] = "UPDATE",
	[SQL_DELETE] = "DELETE",
	[SQL_USE] = "USE",
	[SQL_SET] = "SET",
	[SQL_ALTER_TABLE] = "ALTER TABLE",
	[SQL_ALTER_TABLE_DROP] = "ALTER TABLE DROP",
	[SQL_DROP] = "DROP",
	[SQL_DROP_TEMP_TABLE] = "DROP TEMPORARY TABLE",
	[SQL_DROP_TABLE] = "DROP TABLE",
	[SQL_DROP_SCHEMA] = "DROP SCHEMA",
	[SQL_DROP_DATABASE] = "DROP DATABASE",
	[SQL_DROP_USER] = "DROP USER",
	[SQL_DROP_ROLE] = "DROP ROLE",
	[SQL_DROP_OWNED] = "DROP OWNED",
	[SQL_TRUNCATE] = "TRUNCATE",
	[SQL_SET_SQL_LOG_BIN] = "SET sql_log_bin",
	[SQL_RESET_MASTER] = "RESET MASTER",
	[SQL_PURGE_BINARY_LOGS] = "PURGE BINARY LOGS",
	[SQL_ALTER_SYSTEM] = "ALTER SYSTEM",
};

/*
 * Which statement of a multi-statement string is reported: destructive
 * ones beat the rest, then this rank (loss of data first, then loss of
 * the audit trail, then the rest). Ties go to the earlier statement.
 */
static const unsigned char kind_rank[SQL_KIND_MAX] = {
	[SQL_DROP_DATABASE] = 40,
	[SQL_DROP_SCHEMA] = 39,
	[SQL_DROP_TABLE] = 38,
	[SQL_DROP_OWNED] = 37,
	[SQL_TRUNCATE] = 36,
	[SQL_DELETE] = 35,
	[SQL_UPDATE] = 34,
	[SQL_ALTER_TABLE_DROP] = 33,
	[SQL_DROP_USER] = 32,
	[SQL_DROP_ROLE] = 31,
	[SQL_RESET_MASTER] = 30,
	[SQL_PURGE_BINARY_LOGS] = 29,
	[SQL_SET_SQL_LOG_BIN] = 28,
	[SQL_ALTER_SYSTEM] = 27,
	[SQL_DROP] = 26,
	[SQL_SET] = 25,
	[SQL_DROP_TEMP_TABLE] = 24,
	[SQL_ALTER_TABLE] = 23,
	[SQL_USE] = 22,
	[SQL_OTHER] = 21,
	[SQL_INSERT] = 20,
	[SQL_SELECT] = 19,
};

const char *sql_kind_name(enum sql_kind k)
{
	return (unsigned)k < SQL_KIND_MAX ? kind_names[k] : "OTHER";
}

/*
 * Settings whose change stops WAL archiving or makes the WAL useless for
 * recovery. They can only be changed through ALTER SYSTEM (plus a reload or
 * restart); a SET of them fails on the server but is still an attempt.
 */
bool sql_pg_wal_setting(const char *name, size_t n)
{
	static const char *const names[] = {
		"ARCHIVE_MODE", "ARCHIVE_COMMAND", "ARCHIVE_LIBRARY", "WAL_LEVEL",
		"FSYNC", "FULL_PAGE_WRITES", NULL,
	};

	for (int i = 0; names[i]; i++)
		if (sql_ieq(name, n, names[i]))
			return true;
	return false;
}

void sql_stmt_init(struct sql_stmt *s, bool dynamic)
{
	s->kind = SQL_OTHER;
	s->destructive = false;
	s->has_where = false;
	s->const_where = false;
	s->dynamic = dynamic;
	s->objs_trunc = false;
	s->obj_open = false;
	s->objects_len = 0;
	s->objects[0] = 0;
}

static void obj_put(struct sql_stmt *s, const char *p, size_t n)
{
	size_t room = SQL_OBJECTS_MAX - 1 - s->objects_len;

	if (n > room) {
		n = room;
		s->objs_trunc = true;
	}
	memcpy(s->objects + s->objects_len, p, n);
	s->objects_len += n;
	s->objects[s->objects_len] = 0;
}

void sql_obj_begin(struct sql_stmt *s)
{
	if (s->objects_len)
		obj_put(s, ",", 1);
	s->obj_open = false;
}

void sql_obj_part(struct sql_stmt *s, const char *p, size_t n)
{
	size_t at;

	if (s->obj_open)
		obj_put(s, ".", 1);
	at = s->objects_len;
	obj_put(s, p, n);
	/* a quoted name may hold a NUL; event strings may not */
	for (char *c = memchr(s->objects + at, 0, s->objects_len - at); c;
	     c = memchr(c, 0, s->objects + s->objects_len - c))
		*c = '?';
	s->obj_open = true;
}

static unsigned rank(enum sql_kind k, bool destructive)
{
	return (destructive ? 100u : 0u) + kind_rank[k];
}

void sql_result_reset(struct sql_result *r)
{
	r->kind = SQL_OTHER;
	r->destructive = false;
	r->has_where = false;
	r->nstmts = 0;
	r->flags = 0;
	r->kinds = 0;
	r->objects_len = 0;
	r->objects[0] = 0;
	r->use_db[0] = 0;
	r->budget = SQL_NESTED_MAX;
}

/*
 * Every literal of a DO body or PREPARE text is SQL of its own: without a
 * budget, one statement holding thousands of literals would cost the
 * daemon milliseconds. 1024 covers every literal of a 4 KiB capture.
 */
bool sql_nested_ok(struct sql_result *r)
{
	if (!r->budget) {
		r->flags |= SQL_R_PARTIAL;
		return false;
	}
	r->budget--;
	return true;
}

void sql_result_add(struct sql_result *r, struct sql_stmt *s)
{
	switch (s->kind) {
	case SQL_DROP_DATABASE: case SQL_DROP_SCHEMA: case SQL_DROP_TABLE:
	case SQL_DROP_USER: case SQL_DROP_ROLE: case SQL_DROP_OWNED:
	case SQL_TRUNCATE: case SQL_ALTER_TABLE_DROP: case SQL_RESET_MASTER:
	case SQL_PURGE_BINARY_LOGS:
		s->destructive = true;
		break;
	case SQL_UPDATE: case SQL_DELETE:
		/* no WHERE/LIMIT, or a WHERE that names no column (WHERE 1=1) */
		s->destructive = !s->has_where || s->const_where;
		break;
	case SQL_SET: case SQL_SET_SQL_LOG_BIN: case SQL_ALTER_SYSTEM: case SQL_DROP:
		break; /* decided by the parser */
	default:
		s->destructive = false;
	}
	if (r->nstmts < UINT16_MAX)
		r->nstmts++;
	r->kinds |= 1u << s->kind;
	if (r->nstmts > 1 && rank(s->kind, s->destructive) <= rank(r->kind, r->destructive))
		return;
	r->kind = s->kind;
	r->destructive = s->destructive;
	r->has_where = s->has_where;
	r->flags &= ~(SQL_R_DYNAMIC | SQL_R_OBJS_TRUNC | SQL_R_CONST_WHERE);
	r->flags |= (s->dynamic ? SQL_R_DYNAMIC : 0) | (s->objs_trunc ? SQL_R_OBJS_TRUNC : 0) |
		    (s->has_where && s->const_where ? SQL_R_CONST_WHERE : 0);
	memcpy(r->objects, s->objects, s->objects_len + 1);
	r->objects_len = s->objects_len;
}

void sql_result_use(struct sql_result *r, const char *p, size_t n)
{
	const char *z = memchr(p, 0, n);

	if (z)
		n = z - p;
	if (n > SQL_NAME_MAX - 1)
		n = SQL_NAME_MAX - 1;
	memcpy(r->use_db, p, n);
	r->use_db[n] = 0;
	r->flags |= SQL_R_USE;
}
