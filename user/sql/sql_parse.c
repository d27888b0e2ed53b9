// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The token-level statement classifier shared by both dialects: a small
 * recursive descent over the lexer's tokens for the statements that can
 * destroy something (UPDATE, DELETE, DROP, TRUNCATE, ALTER TABLE, CREATE,
 * WITH, EXPLAIN ANALYZE), bodies and dynamic SQL; the rest is "OTHER".
 * All MySQL/MariaDB text goes through it; PostgreSQL text when libpg_query
 * cannot parse it, and bodies. Statements only one dialect has are in
 * sql_mysql.c and sql_pg.c, reached through struct sql_dialect_ops. It
 * never allocates except to unquote dynamic SQL.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "sql/sql_lex.h"
#include "sql/sql_parse.h"

static void cls_init(struct cls *c, const struct sql_dialect_ops *ops, enum sql_dialect d,
		     const char *q, size_t len, int depth, bool dynamic, bool alt, struct sql_result *r)
{
	c->lx = (struct lex){ .p = q, .end = q + len, .d = d, .alt = alt };
	c->d = d;
	c->ops = ops;
	c->nops = ops;
	c->depth = depth;
	c->dynamic = dynamic;
	c->r = r;
	c->nest = 0;
	memset(&c->prev, 0, sizeof(c->prev));
	sql_lex_next(&c->lx, &c->t);
}

/* Skips a balanced ( ... ) starting at '('; returns the closing token's start. */
const char *sql_parse_skip_parens(struct cls *c)
{
	int depth = 0;

	while (!at_end(c)) {
		if (IS_P(&c->t, '('))
			depth++;
		else if (IS_P(&c->t, ')') && --depth <= 0) {
			const char *e = c->t.raw;

			adv(c);
			return e;
		}
		adv(c);
	}
	return c->t.raw;
}

/* The name a token stands for: unquoted; PostgreSQL folds bare words to lower case. */
size_t sql_parse_tok_name(const struct cls *c, const struct tok *t, char *buf, size_t cap)
{
	size_t n = 0;

	if (t->t == T_WORD) {
		n = t->n < cap ? t->n : cap;
		for (size_t i = 0; i < n; i++)
			buf[i] = c->d == SQL_PG ? tolower((unsigned char)t->p[i]) : t->p[i];
		return n;
	}
	return sql_unquote(t->p, t->n, t->q, t->bs, buf, cap);
}

static void obj_tok(struct cls *c, struct sql_stmt *s, const struct tok *t)
{
	char buf[256];

	sql_obj_part(s, buf, sql_parse_tok_name(c, t, buf, sizeof(buf)));
}

/* name ('.' name)*: one object. */
bool sql_parse_qname(struct cls *c, struct sql_stmt *s)
{
	if (!is_name(c, &c->t))
		return false;
	sql_obj_begin(s);
	obj_tok(c, s, &c->t);
	adv(c);
	while (IS_P(&c->t, '.')) {
		adv(c);
		if (!is_name(c, &c->t)) {
			if (IS_P(&c->t, '*'))
				adv(c); /* DELETE t.* FROM ... */
			break;
		}
		obj_tok(c, s, &c->t);
		adv(c);
	}
	return true;
}

/* [ONLY] qname [*] {, ...} */
static void qname_list(struct cls *c, struct sql_stmt *s)
{
	do {
		if (IS_P(&c->t, ','))
			adv(c);
		if (c->d == SQL_PG && KW(&c->t, "ONLY"))
			adv(c);
		if (!sql_parse_qname(c, s))
			return;
		if (IS_P(&c->t, '*'))
			adv(c);
	} while (IS_P(&c->t, ','));
}

static void if_exists(struct cls *c)
{
	if (KW(&c->t, "IF")) {
		struct tok n = peek(c);

		if (KW(&n, "EXISTS")) {
			adv(c);
			adv(c);
		}
	}
}

/* Users and roles: name, MySQL name@host; objects as "name@host". */
static void user_list(struct cls *c, struct sql_stmt *s)
{
	do {
		char buf[256];
		size_t n;

		if (IS_P(&c->t, ','))
			adv(c);
		if (!is_name(c, &c->t))
			return;
		n = sql_parse_tok_name(c, &c->t, buf, sizeof(buf) - 1);
		adv(c);
		if (c->d == SQL_MYSQL && IS_P(&c->t, '@')) {
			adv(c);
			if (is_name(c, &c->t) || c->t.t == T_NUM) {
				buf[n++] = '@';
				n += sql_parse_tok_name(c, &c->t, buf + n, sizeof(buf) - n);
				adv(c);
			}
		}
		sql_obj_begin(s);
		sql_obj_part(s, buf, n);
		if (KW(&c->t, "CASCADE") || KW(&c->t, "RESTRICT"))
			adv(c);
	} while (IS_P(&c->t, ','));
}

/* Words in a WHERE that are not column references. */
static bool pred_word(const struct tok *t)
{
	static const struct kw w[] = {
		K("AND"), K("OR"), K("NOT"), K("XOR"), K("IS"), K("NULL"), K("TRUE"), K("FALSE"),
		K("UNKNOWN"), K("IN"), K("BETWEEN"), K("LIKE"), K("ILIKE"), K("SIMILAR"), K("TO"),
		K("REGEXP"), K("RLIKE"), K("ESCAPE"), K("DIV"), K("MOD"), K("ANY"), K("ALL"),
		K("SOME"), K("EXISTS"), K("SELECT"),
		{ NULL, 0 },
	};

	return kw_in(t, w);
}

/*
 * The rest of an UPDATE/DELETE: a WHERE (or, MySQL, a LIMIT) at the top
 * level bounds it. A WHERE that names no column at all (WHERE 1=1, WHERE
 * TRUE) does not, and is noted as const_where.
 */
static void scan_where(struct cls *c, struct sql_stmt *s)
{
	int depth = 0;
	bool in_where = false, limit = false;

	while (!at_end(c)) {
		const struct tok *t = &c->t;

		if (IS_P(t, '(')) {
			depth++;
		} else if (IS_P(t, ')')) {
			if (depth)
				depth--;
		} else if (depth == 0 && KW(t, "WHERE")) {
			if (!s->has_where)
				s->const_where = true;
			s->has_where = true;
			in_where = true;
			adv(c);
			continue;
		} else if (depth == 0 && (KW(t, "ORDER") || KW(t, "LIMIT") || KW(t, "RETURNING"))) {
			in_where = false;
			if (c->d == SQL_MYSQL && KW(t, "LIMIT"))
				s->has_where = limit = true;
		}
		if (in_where && s->const_where) {
			if (t->t == T_QIDENT || IS_P(t, '?') || IS_P(t, '$') || IS_P(t, '@')) {
				s->const_where = false;
			} else if (t->t == T_WORD && !pred_word(t)) {
				struct tok n = peek(c);

				if (!IS_P(&n, '('))
					s->const_where = false; /* a column, not a function */
			}
		}
		adv(c);
	}
	if (limit)
		s->const_where = false;
}

static void st_update(struct cls *c, struct sql_stmt *s)
{
	int depth = 0;

	s->kind = SQL_UPDATE;
	adv(c);
	while (KW(&c->t, "LOW_PRIORITY") || KW(&c->t, "IGNORE") || KW(&c->t, "ONLY"))
		adv(c);
	sql_parse_qname(c, s);
	/* MySQL multi-table: more targets after ',' or JOIN, up to SET */
	while (!at_end(c) && !(depth == 0 && KW(&c->t, "SET"))) {
		if (IS_P(&c->t, '(')) {
			depth++;
		} else if (IS_P(&c->t, ')')) {
			if (depth)
				depth--;
		} else if (depth == 0 && (IS_P(&c->t, ',') || KW(&c->t, "JOIN"))) {
			adv(c);
			sql_parse_qname(c, s);
			continue;
		}
		adv(c);
	}
	scan_where(c, s);
}

static void st_delete(struct cls *c, struct sql_stmt *s)
{
	s->kind = SQL_DELETE;
	adv(c);
	while (KW(&c->t, "LOW_PRIORITY") || KW(&c->t, "QUICK") || KW(&c->t, "IGNORE"))
		adv(c);
	if (KW(&c->t, "FROM"))
		adv(c);
	qname_list(c, s); /* DELETE FROM t, or MySQL DELETE t1, t2 FROM ... */
	scan_where(c, s);
}

static void st_drop(struct cls *c, struct sql_stmt *s)
{
	bool temp = false;

	adv(c);
	if (c->d == SQL_MYSQL && KW(&c->t, "TEMPORARY")) {
		temp = true;
		adv(c);
	}
	if (KW(&c->t, "TABLE")) {
		s->kind = temp ? SQL_DROP_TEMP_TABLE : SQL_DROP_TABLE;
	} else if (temp) {
		s->kind = SQL_DROP; /* MariaDB DROP TEMPORARY SEQUENCE */
		return;
	} else if (KW(&c->t, "DATABASE")) {
		s->kind = SQL_DROP_DATABASE;
	} else if (KW(&c->t, "SCHEMA")) {
		s->kind = SQL_DROP_SCHEMA;
	} else if (KW(&c->t, "USER") || KW(&c->t, "ROLE") ||
		   (c->d == SQL_PG && KW(&c->t, "GROUP"))) {
		s->kind = KW(&c->t, "USER") ? SQL_DROP_USER : SQL_DROP_ROLE;
		adv(c);
		if_exists(c);
		user_list(c, s);
		return;
	} else if (c->d == SQL_PG && KW(&c->t, "OWNED")) {
		s->kind = SQL_DROP_OWNED;
		adv(c);
		if (KW(&c->t, "BY"))
			adv(c);
		user_list(c, s);
		return;
	} else {
		/* PostgreSQL CASCADE also drops what depends on the object:
		 * columns of a dropped type, tables of a dropped extension. */
		s->kind = SQL_DROP;
		while (!at_end(c)) {
			if (c->d == SQL_PG && KW(&c->t, "CASCADE"))
				s->destructive = true;
			adv(c);
		}
		return;
	}
	adv(c);
	if_exists(c);
	qname_list(c, s);
}

static void st_truncate(struct cls *c, struct sql_stmt *s)
{
	s->kind = SQL_TRUNCATE;
	adv(c);
	if (KW(&c->t, "TABLE"))
		adv(c);
	qname_list(c, s);
}

static void raise_kind(struct sql_stmt *s, enum sql_kind k)
{
	/* TRUNCATE PARTITION outranks DROP COLUMN outranks plain ALTER TABLE */
	if (k == SQL_TRUNCATE || s->kind == SQL_ALTER_TABLE)
		s->kind = k;
}

static void st_alter_table(struct cls *c, struct sql_stmt *s)
{
	static const struct kw not_data[] = {
		K("INDEX"), K("KEY"), K("FOREIGN"), K("PRIMARY"), K("CONSTRAINT"), K("CHECK"),
		K("DEFAULT"), K("NOT"), K("SYSTEM"), K("PERIOD"), K("UNIQUE"), K("FULLTEXT"),
		K("SPATIAL"), K("EXPRESSION"), K("IDENTITY"),
		{ NULL, 0 },
	};
	int depth = 0;

	s->kind = SQL_ALTER_TABLE;
	adv(c);
	if_exists(c);
	if (c->d == SQL_PG && KW(&c->t, "ONLY"))
		adv(c);
	sql_parse_qname(c, s);
	while (!at_end(c)) {
		if (IS_P(&c->t, '(')) {
			depth++;
		} else if (IS_P(&c->t, ')')) {
			if (depth)
				depth--;
		} else if (depth == 0 && KW(&c->t, "DROP")) {
			struct tok n = peek(c);
			/* DROP [COLUMN] c, DROP PARTITION p */
			if (is_name(c, &n) && !kw_in(&n, not_data))
				raise_kind(s, SQL_ALTER_TABLE_DROP);
		} else if (depth == 0 && c->d == SQL_MYSQL && KW(&c->t, "TRUNCATE")) {
			raise_kind(s, SQL_TRUNCATE);
		} else if (depth == 0 && c->d == SQL_MYSQL && KW(&c->t, "ENGINE")) {
			adv(c);
			if (IS_P(&c->t, '='))
				adv(c);
			/* BLACKHOLE keeps no rows: converting to it discards them all */
			if (KW(&c->t, "BLACKHOLE"))
				raise_kind(s, SQL_ALTER_TABLE_DROP);
			continue;
		}
		adv(c);
	}
}

static void st_alter(struct cls *c, struct sql_stmt *s)
{
	adv(c);
	while (c->d == SQL_MYSQL && (KW(&c->t, "ONLINE") || KW(&c->t, "OFFLINE") || KW(&c->t, "IGNORE")))
		adv(c);
	if (KW(&c->t, "TABLE"))
		st_alter_table(c, s);
}

/* Decodes a hex literal body ("44524F50") into out; returns bytes written. */
static size_t unhex(const char *p, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		int hi = isxdigit((unsigned char)p[i]), lo = isxdigit((unsigned char)p[i + 1]);

		if (!hi || !lo)
			break;
		hi = p[i] <= '9' ? p[i] - '0' : (p[i] | 32) - 'a' + 10;
		lo = p[i + 1] <= '9' ? p[i + 1] - '0' : (p[i + 1] | 32) - 'a' + 10;
		out[o++] = (char)(hi << 4 | lo);
	}
	return o;
}

/* Classifies text handed to PREPARE/EXECUTE IMMEDIATE/DO as SQL of its own. */
void sql_parse_nested_text(struct cls *c, const struct tok *t)
{
	char *buf;
	size_t n;

	if (c->depth + 1 > SQL_DEPTH_MAX || !t->n || !sql_nested_ok(c->r))
		return;
	buf = malloc(t->n);
	if (!buf)
		return;
	if (t->hex)
		n = unhex(t->p, t->n, buf);
	else if (t->t == T_NUM) /* 0x44524F50 */
		n = t->n > 2 ? unhex(t->p + 2, t->n - 2, buf) : 0;
	else
		n = sql_unquote(t->p, t->n, t->q, t->bs, buf, t->n);
	/* literals are mostly fragments ('DROP TABLE ' || name) that no parser
	 * takes: the lexer reads them, for PostgreSQL too, and cheaply */
	if (sql_prefilter(c->nops->d, buf, n))
		sql_parse_text(c->nops, buf, n, c->depth + 1, true, c->r);
	free(buf);
}

bool sql_parse_text_tok(const struct tok *t)
{
	return t->t == T_STRING || (t->t == T_NUM && t->n > 2 && t->p[0] == '0' && (t->p[1] | 32) == 'x');
}

/* EXPLAIN/DESCRIBE (and MariaDB ANALYZE) run the statement only with ANALYZE. */
void sql_parse_explain(struct cls *c, struct sql_stmt *s)
{
	bool analyze = KW(&c->t, "ANALYZE");

	adv(c);
	if (c->d == SQL_PG && IS_P(&c->t, '(')) {
		adv(c);
		while (!at_end(c) && !IS_P(&c->t, ')')) {
			if (KW(&c->t, "ANALYZE")) {
				struct tok n = peek(c);

				analyze = !(KW(&n, "FALSE") || KW(&n, "OFF") ||
					    (n.t == T_NUM && n.n == 1 && n.p[0] == '0'));
			}
			adv(c);
		}
		if (!at_end(c))
			adv(c);
	}
	while (KW(&c->t, "ANALYZE") || KW(&c->t, "ANALYSE") || KW(&c->t, "VERBOSE") ||
	       KW(&c->t, "EXTENDED") || KW(&c->t, "PARTITIONS") || KW(&c->t, "FORMAT")) {
		if (KW(&c->t, "ANALYZE") || KW(&c->t, "ANALYSE"))
			analyze = true;
		if (KW(&c->t, "FORMAT")) {
			adv(c);
			if (IS_P(&c->t, '='))
				adv(c);
		}
		adv(c);
	}
	if (analyze)
		sql_parse_stmt(c, s);
}

/* From just inside a CTE's '(' to past its ')': classified as a statement of its own. */
static void cte_body(struct cls *c)
{
	const char *b = c->t.raw, *e;
	int depth = 1;

	while (!at_end(c)) {
		if (IS_P(&c->t, '('))
			depth++;
		else if (IS_P(&c->t, ')') && --depth == 0)
			break;
		adv(c);
	}
	e = c->t.raw;
	if (!at_end(c))
		adv(c);
	/* nesting counts as depth so that WITH inside WITH stays bounded */
	if (c->depth + 1 <= SQL_DEPTH_MAX && sql_nested_ok(c->r))
		sql_parse_text(c->ops, b, e - b, c->depth + 1, c->dynamic, c->r);
}

/* WITH ctes: each CTE body is a statement of its own (writable CTEs). */
static void st_with(struct cls *c, struct sql_stmt *s)
{
	adv(c);
	if (KW(&c->t, "RECURSIVE"))
		adv(c);
	while (is_name(c, &c->t)) {
		adv(c);
		if (IS_P(&c->t, '('))
			sql_parse_skip_parens(c);
		if (!KW(&c->t, "AS"))
			break;
		adv(c);
		if (KW(&c->t, "NOT"))
			adv(c);
		if (KW(&c->t, "MATERIALIZED"))
			adv(c);
		if (!IS_P(&c->t, '('))
			break;
		adv(c);
		cte_body(c);
		if (!IS_P(&c->t, ','))
			break;
		adv(c);
	}
	sql_parse_stmt(c, s);
}

static void st_insert(struct cls *c, struct sql_stmt *s)
{
	s->kind = SQL_INSERT;
	adv(c);
	while (KW(&c->t, "LOW_PRIORITY") || KW(&c->t, "DELAYED") || KW(&c->t, "HIGH_PRIORITY") ||
	       KW(&c->t, "IGNORE"))
		adv(c);
	if (KW(&c->t, "INTO"))
		adv(c);
	sql_parse_qname(c, s);
}

static void st_create(struct cls *c, struct sql_stmt *s)
{
	bool replace = false;

	adv(c);
	if (KW(&c->t, "OR")) {
		adv(c);
		if (KW(&c->t, "REPLACE")) {
			replace = true;
			adv(c);
		}
	}
	for (;;) {
		/* MySQL: ALGORITHM=x DEFINER=u@h SQL SECURITY x AGGREGATE; PG: TEMP... */
		if (KW(&c->t, "ALGORITHM") || KW(&c->t, "DEFINER")) {
			adv(c);
			if (IS_P(&c->t, '='))
				adv(c);
			adv(c);
			if (IS_P(&c->t, '(')) /* CURRENT_USER() */
				sql_parse_skip_parens(c);
			if (IS_P(&c->t, '@')) {
				adv(c);
				adv(c);
			}
		} else if (KW(&c->t, "SQL")) {
			adv(c);
			if (KW(&c->t, "SECURITY")) {
				adv(c);
				adv(c);
			}
		} else if (KW(&c->t, "AGGREGATE") || KW(&c->t, "TEMPORARY") || KW(&c->t, "TEMP") ||
			   KW(&c->t, "UNLOGGED") || KW(&c->t, "CONSTRAINT")) {
			adv(c);
		} else {
			break;
		}
	}
	if (c->ops->create(c, s, replace))
		return;
	if (KW(&c->t, "PROCEDURE") || KW(&c->t, "FUNCTION") || KW(&c->t, "TRIGGER") ||
	    KW(&c->t, "EVENT") || KW(&c->t, "RULE")) {
		/*
		 * A stored body runs later (or, for an event, on its own
		 * schedule after the session is gone): what it would
		 * destroy is reported now, flagged dynamic.
		 */
		adv(c);
		sql_parse_body_scan(c);
	}
}

/* Statement kinds that wrap no further statement and destroy nothing. */
static bool benign_word(const struct tok *t)
{
	static const struct kw w[] = {
		K("SHOW"), K("GRANT"), K("REVOKE"), K("FLUSH"), K("LOCK"), K("UNLOCK"), K("COMMIT"),
		K("ROLLBACK"), K("START"), K("KILL"), K("CALL"), K("LOAD"), K("HANDLER"),
		K("RENAME"), K("OPTIMIZE"), K("CHECK"), K("REPAIR"), K("CHECKSUM"), K("CACHE"),
		K("INSTALL"), K("UNINSTALL"), K("XA"), K("SAVEPOINT"), K("RELEASE"), K("SIGNAL"),
		K("RESIGNAL"), K("HELP"), K("BINLOG"), K("CHANGE"), K("STOP"), K("SHUTDOWN"),
		K("RESTART"), K("CLONE"), K("IMPORT"), K("GET"), K("DEALLOCATE"), K("LISTEN"),
		K("NOTIFY"), K("UNLISTEN"), K("VACUUM"), K("COPY"), K("COMMENT"), K("SECURITY"),
		K("CHECKPOINT"), K("CLUSTER"), K("DISCARD"), K("FETCH"), K("MOVE"), K("CLOSE"),
		K("ABORT"), K("REINDEX"), K("REFRESH"), K("BACKUP"), K("DESC"), K("REASSIGN"),
		{ NULL, 0 },
	};

	return kw_in(t, w);
}

/* Classifies one statement at the cursor; consumes it up to ';' or the end. */
void sql_parse_stmt(struct cls *c, struct sql_stmt *s)
{
	const struct tok *t = &c->t;

	if (++c->nest > 32) {
		/* only hostile text nests wrappers this deep */
		skip_rest(c);
		c->nest--;
		return;
	}
	if (IS_P(t, '(')) {
		s->kind = SQL_SELECT;
	} else if (t->t != T_WORD) {
		/* nothing we know */
	} else if (c->ops->statement(c, s)) {
		/* one of the dialect's own (sql_mysql.c, sql_pg.c) */
	} else if (KW(t, "SELECT") || KW(t, "VALUES") || KW(t, "TABLE")) {
		s->kind = SQL_SELECT;
	} else if (KW(t, "WITH")) {
		st_with(c, s);
	} else if (KW(t, "INSERT") || KW(t, "REPLACE")) {
		st_insert(c, s);
	} else if (KW(t, "UPDATE")) {
		st_update(c, s);
	} else if (KW(t, "DELETE")) {
		st_delete(c, s);
	} else if (KW(t, "DROP")) {
		st_drop(c, s);
	} else if (KW(t, "TRUNCATE")) {
		st_truncate(c, s);
	} else if (KW(t, "ALTER")) {
		st_alter(c, s);
	} else if (KW(t, "EXPLAIN") || KW(t, "DESCRIBE") || (KW(t, "DESC") && c->d == SQL_MYSQL)) {
		sql_parse_explain(c, s);
	} else if (KW(t, "CREATE")) {
		st_create(c, s);
	} else if (KW(t, "BEGIN") || KW(t, "START") || KW(t, "END")) {
		struct tok n = peek(c);

		/* MariaDB BEGIN NOT ATOMIC ... END runs a compound statement now */
		if (c->d == SQL_MYSQL && KW(t, "BEGIN") && KW(&n, "NOT"))
			sql_parse_body_scan(c);
	} else if (!benign_word(t)) {
		/* IF/WHILE/label/DECLARE...: pieces of a compound statement */
		sql_parse_body_scan(c);
	}
	skip_rest(c);
	c->nest--;
}

/* Words that start a statement inside a body worth classifying. */
static bool body_word(const struct tok *t)
{
	static const struct kw w[] = {
		K("DROP"), K("TRUNCATE"), K("DELETE"), K("UPDATE"), K("ALTER"), K("SET"), K("RESET"),
		K("PURGE"), K("PREPARE"), K("EXECUTE"), K("CREATE"),
		{ NULL, 0 },
	};

	return kw_in(t, w);
}

/* Is the word at the cursor a clause of something else (ON DELETE, FOR UPDATE)? */
static bool body_excluded(const struct cls *c)
{
	static const struct kw w[] = {
		K("ON"), K("BEFORE"), K("AFTER"), K("FOR"), K("OF"), K("OR"), K("KEY"), K("GRANT"),
		K("REVOKE"), K("TO"), K("CHARACTER"),
		{ NULL, 0 },
	};
	const struct tok *p = &c->prev;

	if (p->t == T_PUNCT)
		return p->q == ',' || p->q == '.' || p->q == '(' || p->q == '=';
	if (c->d == SQL_PG && KW(p, "DO") && KW(&c->t, "UPDATE"))
		return true; /* ON CONFLICT DO UPDATE */
	return kw_in(p, w);
}

/*
 * Statements anywhere in the rest of this piece: compound statements
 * (IF x THEN DELETE ...), routine and trigger bodies, rules. The text
 * between two ';' holds at most one such statement.
 */
void sql_parse_body_scan(struct cls *c)
{
	while (!at_end(c)) {
		if (c->t.t == T_WORD && body_word(&c->t) && !body_excluded(c)) {
			struct sql_stmt in;

			sql_stmt_init(&in, true);
			sql_parse_stmt(c, &in);
			sql_result_add(c->r, &in);
			return;
		}
		adv(c);
	}
}

/* Every statement of the text at the cursor. */
static void classify_all(struct cls *c)
{
	struct sql_stmt s;

	for (;;) {
		while (c->t.t == T_SEMI)
			adv(c);
		if (c->t.t == T_END)
			break;
		sql_stmt_init(&s, c->dynamic);
		sql_parse_stmt(c, &s);
		sql_result_add(c->r, &s);
	}
}

void sql_parse_text(const struct sql_dialect_ops *ops, const char *q, size_t len, int depth,
		    bool dynamic, struct sql_result *r)
{
	struct cls c;

	cls_init(&c, ops, ops->d, q, len, depth, dynamic, false, r);
	classify_all(&c);
}

/*
 * Whether a backslash escapes a quote depends on the session: MySQL's
 * sql_mode NO_BACKSLASH_ESCAPES turns it off, PostgreSQL's
 * standard_conforming_strings = off turns it on, and a client can set
 * either. 'a\'; DROP TABLE t; -- ' is one string under one rule and a
 * DROP under the other, so text with a backslash is also read the other
 * way (sql_classify() does it when the first reading found nothing).
 */
void sql_parse_text_alt(const struct sql_dialect_ops *ops, const char *q, size_t len,
			struct sql_result *r)
{
	struct cls c;

	cls_init(&c, ops, ops->d, q, len, 0, false, true, r);
	classify_all(&c);
}

void sql_parse_body(const struct sql_dialect_ops *ops, const char *q, size_t len, int depth,
		    struct sql_result *r)
{
	struct cls c;

	cls_init(&c, ops, ops->d, q, len, depth, true, false, r);
	for (;;) {
		while (c.t.t == T_SEMI)
			adv(&c);
		if (c.t.t == T_END)
			break;
		c.prev.t = T_SEMI;
		sql_parse_body_scan(&c);
		skip_rest(&c);
	}
}

void sql_parse_literals(enum sql_dialect lexd, const struct sql_dialect_ops *nops, const char *q,
			size_t len, int depth, struct sql_result *r)
{
	struct cls c;

	cls_init(&c, nops, lexd, q, len, depth, true, false, r);
	for (; c.t.t != T_END; adv(&c))
		if (c.t.t == T_STRING && c.t.n >= 4)
			sql_parse_nested_text(&c, &c.t);
}

enum sql_kind sql_parse_first_kind(enum sql_dialect d, const char *q, size_t len)
{
	struct lex l = { .p = q, .end = q + len, .d = d };
	struct tok t;
	bool paren = false;

	for (sql_lex_next(&l, &t); IS_P(&t, '('); sql_lex_next(&l, &t))
		paren = true;
	if (paren || KW(&t, "SELECT") || KW(&t, "VALUES") || KW(&t, "TABLE") || KW(&t, "WITH"))
		return SQL_SELECT;
	if (KW(&t, "INSERT") || KW(&t, "REPLACE"))
		return SQL_INSERT;
	return SQL_OTHER;
}
