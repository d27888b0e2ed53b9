// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * MySQL/MariaDB statements the shared classifier (sql_parse.c) does not
 * know: SET (sql_log_bin, SET STATEMENT ... FOR), RESET MASTER, PURGE
 * BINARY LOGS, USE, PREPARE ... FROM, EXECUTE IMMEDIATE, MariaDB ANALYZE
 * stmt and CREATE OR REPLACE. The lexer is sql_lex.c.
 */
#include <stdio.h>
#include <string.h>
#include "sql/sql_lex.h"
#include "sql/sql_parse.h"

/* sql_log_bin's new value: true unless it is plainly ON. */
static bool log_bin_off(const struct tok *v, bool single)
{
	char buf[8];
	size_t n;

	if (!single)
		return true; /* an expression: cannot tell, assume the worst */
	if (v->t == T_NUM)
		return v->n == 1 && v->p[0] == '0';
	if (v->t == T_WORD)
		return !(KW(v, "ON") || KW(v, "TRUE") || KW(v, "DEFAULT"));
	if (v->t == T_STRING) {
		n = sql_unquote(v->p, v->n, v->q, v->bs, buf, sizeof(buf));
		return !(sql_ieq(buf, n, "ON") || sql_ieq(buf, n, "1") || sql_ieq(buf, n, "TRUE"));
	}
	return true;
}

static bool scope_word(const struct tok *t)
{
	return KW(t, "GLOBAL") || KW(t, "SESSION") || KW(t, "LOCAL") || KW(t, "PERSIST") ||
	       KW(t, "PERSIST_ONLY");
}

/*
 * MySQL SET: a list of assignments, each [scope] [@@[scope.]]name {=|:=}
 * expr, or @uservar = expr. MariaDB SET STATEMENT a=b FOR stmt also runs
 * stmt, which is classified as a statement of its own.
 */
static void st_set_mysql(struct cls *c, struct sql_stmt *s)
{
	bool stmt_for = false;

	s->kind = SQL_SET;
	adv(c);
	if (KW(&c->t, "NAMES") || KW(&c->t, "CHARACTER") || KW(&c->t, "CHARSET") ||
	    KW(&c->t, "PASSWORD") || KW(&c->t, "TRANSACTION") || KW(&c->t, "ROLE") ||
	    KW(&c->t, "DEFAULT") || KW(&c->t, "RESOURCE"))
		return;
	if (KW(&c->t, "STATEMENT")) {
		stmt_for = true;
		adv(c);
	}
	while (!at_end(c)) {
		struct tok name, v, n;
		bool sysvar = true, single;
		int depth = 0;

		while (scope_word(&c->t))
			adv(c);
		if (IS_P(&c->t, '@')) {
			adv(c);
			if (IS_P(&c->t, '@')) {
				adv(c);
				n = peek(c);
				if (scope_word(&c->t) && IS_P(&n, '.')) {
					adv(c);
					adv(c);
				}
			} else {
				sysvar = false;
			}
		}
		if (!is_name(c, &c->t))
			return;
		name = c->t;
		if (sysvar)
			sql_parse_qname(c, s);
		else
			adv(c);
		if (IS_P(&c->t, ':'))
			adv(c);
		if (IS_P(&c->t, '='))
			adv(c);
		v = c->t;
		n = peek(c);
		single = n.t == T_END || n.t == T_SEMI || IS_P(&n, ',') || (stmt_for && KW(&n, "FOR"));
		if (sysvar && name.t != T_STRING && sql_ieq(name.p, name.n, "SQL_LOG_BIN")) {
			s->kind = SQL_SET_SQL_LOG_BIN;
			if (log_bin_off(&v, single))
				s->destructive = true;
		}
		while (!at_end(c)) {
			if (IS_P(&c->t, '('))
				depth++;
			else if (IS_P(&c->t, ')') && depth)
				depth--;
			else if (depth == 0 && (IS_P(&c->t, ',') || (stmt_for && KW(&c->t, "FOR"))))
				break;
			adv(c);
		}
		if (stmt_for && KW(&c->t, "FOR")) {
			struct sql_stmt in;

			adv(c);
			sql_stmt_init(&in, c->dynamic);
			sql_parse_stmt(c, &in);
			sql_result_add(c->r, &in);
			return;
		}
		if (!IS_P(&c->t, ','))
			return;
		adv(c);
	}
}

/* RESET MASTER; MySQL 8.4 RESET BINARY LOGS AND GTIDS */
static void st_reset_mysql(struct cls *c, struct sql_stmt *s)
{
	adv(c);
	if (KW(&c->t, "MASTER") || KW(&c->t, "BINARY"))
		s->kind = SQL_RESET_MASTER;
}

static void st_purge(struct cls *c, struct sql_stmt *s)
{
	adv(c);
	if (KW(&c->t, "BINARY") || KW(&c->t, "MASTER"))
		s->kind = SQL_PURGE_BINARY_LOGS;
}

/* PREPARE name FROM 'text' (or 0x..., or a charset-introduced literal) */
static void st_prepare_mysql(struct cls *c, struct sql_stmt *s)
{
	(void)s;
	adv(c);
	if (KW(&c->t, "TRANSACTION"))
		return;
	if (is_name(c, &c->t))
		adv(c);
	if (!KW(&c->t, "FROM"))
		return;
	adv(c);
	if (c->t.t == T_WORD && c->t.p[0] == '_')
		adv(c); /* charset introducer: _utf8mb4'...' */
	if (sql_parse_text_tok(&c->t))
		sql_parse_nested_text(c, &c->t);
}

/* EXECUTE IMMEDIATE 'text' runs text; EXECUTE name ran its text at PREPARE */
static void st_execute_mysql(struct cls *c)
{
	adv(c);
	if (!KW(&c->t, "IMMEDIATE"))
		return;
	adv(c);
	if (c->t.t == T_WORD && c->t.p[0] == '_')
		adv(c);
	if (sql_parse_text_tok(&c->t))
		sql_parse_nested_text(c, &c->t);
}

/* MariaDB ANALYZE stmt runs stmt; ANALYZE TABLE does not. */
static void st_analyze(struct cls *c, struct sql_stmt *s)
{
	struct tok n = peek(c);

	if ((KW(&n, "SELECT") || KW(&n, "UPDATE") || KW(&n, "DELETE") ||
			  KW(&n, "INSERT") || KW(&n, "REPLACE") || KW(&n, "FORMAT")))
		sql_parse_explain(c, s);
}

static void st_use(struct cls *c, struct sql_stmt *s)
{
	char buf[SQL_NAME_MAX];

	s->kind = SQL_USE;
	adv(c);
	if (!is_name(c, &c->t))
		return;
	sql_result_use(c->r, buf, sql_parse_tok_name(c, &c->t, buf, sizeof(buf)));
	sql_parse_qname(c, s);
}

static bool my_statement(struct cls *c, struct sql_stmt *s)
{
	const struct tok *t = &c->t;

	if (KW(t, "SET"))
		st_set_mysql(c, s);
	else if (KW(t, "RESET"))
		st_reset_mysql(c, s);
	else if (KW(t, "PURGE"))
		st_purge(c, s);
	else if (KW(t, "USE"))
		st_use(c, s);
	else if (KW(t, "PREPARE"))
		st_prepare_mysql(c, s);
	else if (KW(t, "EXECUTE"))
		st_execute_mysql(c);
	else if (KW(t, "ANALYZE"))
		st_analyze(c, s);
	else
		return false;
	return true;
}

/* MariaDB CREATE OR REPLACE TABLE/DATABASE/SCHEMA drops what is there first. */
static bool my_create(struct cls *c, struct sql_stmt *s, bool replace)
{
	if (!replace || !(KW(&c->t, "TABLE") || KW(&c->t, "DATABASE") || KW(&c->t, "SCHEMA")))
		return false;
	s->kind = KW(&c->t, "TABLE") ? SQL_DROP_TABLE :
		  KW(&c->t, "DATABASE") ? SQL_DROP_DATABASE : SQL_DROP_SCHEMA;
	adv(c);
	sql_parse_qname(c, s);
	return true;
}

const struct sql_dialect_ops sql_mysql_ops = {
	.d = SQL_MYSQL,
	.statement = my_statement,
	.create = my_create,
};
