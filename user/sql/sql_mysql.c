// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * SQL lexer and token-level statement classifier. All MySQL/MariaDB text
 * goes through it; PostgreSQL text only when libpg_query cannot parse it
 * (a statement cut by the capture bound, a syntax error) and for bodies.
 *
 * Why our own lexer: no library packaged in Debian parses MySQL's dialect
 * (its grammar lives inside the server), and the verdict needs only the
 * lexical rules to be exact: comments, versioned comments (which run),
 * quoting and statement boundaries. The grammar above that is a small
 * recursive descent over the statements that can destroy something; the
 * rest is "OTHER". It never allocates except to unquote dynamic SQL.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "sql/sql.h"

enum tk { T_END, T_WORD, T_QIDENT, T_STRING, T_NUM, T_PUNCT, T_SEMI };

struct tok {
	enum tk t;        /* token type */
	const char *raw;  /* first byte of the token, quotes included */
	const char *p;    /* word/number text, or literal body without quotes */
	uint32_t n;       /* bytes at p */
	char q;           /* quote of T_STRING/T_QIDENT ('$' = dollar quoting); T_PUNCT char */
	bool bs;          /* T_STRING: backslash escapes apply */
	bool hex;         /* T_STRING: X'..' hex literal (MySQL) */
};

struct lex {
	const char *p, *end;  /* what is left to lex */
	enum sql_dialect d;
	bool versioned;       /* MySQL: inside a versioned comment, whose text runs */
	bool alt;             /* the other backslash rule for '...' (see sql_lex_classify_alt) */
};

static const unsigned char ident_ch[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['_'] = 1, ['$'] = 1,
	[0x80 ... 0xff] = 1,
};

static const char *skip_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', end - p);

	return nl ? nl + 1 : end;
}

/* Position of the closing quote q (or end), from just after the opening one. */
static const char *quoted_end(const char *p, const char *end, char q, bool bs)
{
	while (p < end) {
		if (bs && *p == '\\') {
			p += 2;
			continue;
		}
		if (*p == q) {
			if (p + 1 < end && p[1] == q) {
				p += 2;
				continue;
			}
			return p;
		}
		p++;
	}
	return end;
}

/* Skips whitespace and comments; false at the end of input. */
static bool lex_skip(struct lex *l)
{
	const char *p = l->p, *end = l->end;

	for (;;) {
		while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
			p++;
		if (p >= end)
			break;
		if (l->d == SQL_MYSQL && *p == '#') {
			p = skip_line(p, end);
			continue;
		}
		/* MySQL needs "-- " (a space or control char after); PostgreSQL not */
		if (*p == '-' && end - p >= 2 && p[1] == '-' &&
		    (l->d == SQL_PG || end - p == 2 || (unsigned char)p[2] <= ' ')) {
			p = skip_line(p, end);
			continue;
		}
		if (*p == '/' && end - p >= 2 && p[1] == '*') {
			if (l->d == SQL_PG) {
				int depth = 1; /* PostgreSQL comments nest */

				p += 2;
				while (p < end && depth) {
					if (end - p >= 2 && p[0] == '/' && p[1] == '*')
						depth++, p += 2;
					else if (end - p >= 2 && p[0] == '*' && p[1] == '/')
						depth--, p += 2;
					else
						p++;
				}
				continue;
			}
			const char *v = p + 2;

			if (v < end && *v == 'M' && v + 1 < end && v[1] == '!')
				v++; /* MariaDB's "M!NNNNNN" form */
			if (v < end && *v == '!' && !l->versioned) {
				/*
				 * A versioned comment ("/" "*!NNNNN text" "*" "/")
				 * runs its text when the server is at least version
				 * NNNNN. We cannot know the version, so the text is
				 * always code.
				 */
				int k = 0;

				for (v++; v < end && k < 6 && *v >= '0' && *v <= '9'; v++, k++)
					;
				l->versioned = true;
				p = v;
				continue;
			}
			/* plain comments and optimizer hints ("+" after the star) */
			v = memmem(p + 2, end - p - 2, "*/", 2);
			p = v ? v + 2 : end;
			continue;
		}
		if (l->versioned && *p == '*' && end - p >= 2 && p[1] == '/') {
			l->versioned = false;
			p += 2;
			continue;
		}
		break;
	}
	l->p = p;
	return p < end;
}

static void lex_quoted(struct lex *l, struct tok *t, const char *open, enum tk type,
		       char q, bool bs)
{
	const char *e = quoted_end(open + 1, l->end, q, bs);

	t->t = type;
	t->p = open + 1;
	t->n = e - (open + 1);
	t->q = q;
	t->bs = bs;
	l->p = e < l->end ? e + 1 : e;
}

/* PostgreSQL $tag$...$tag$; false when '$' does not open one. */
static bool lex_dollar(struct lex *l, struct tok *t)
{
	const char *p = l->p + 1, *end = l->end, *body, *e;
	size_t taglen;

	if (p < end && *p >= '0' && *p <= '9')
		return false; /* $1: a parameter */
	while (p < end && ident_ch[(unsigned char)*p] && *p != '$')
		p++;
	if (p >= end || *p != '$')
		return false;
	taglen = p + 1 - l->p;
	body = p + 1;
	for (e = body; e < end; e++) {
		e = memchr(e, '$', end - e);
		if (!e)
			break;
		if ((size_t)(end - e) >= taglen && !memcmp(e, l->p, taglen))
			break;
	}
	if (!e || e >= end)
		e = end;
	t->t = T_STRING;
	t->p = body;
	t->n = e - body;
	t->q = '$';
	t->bs = false;
	l->p = e < end ? e + taglen : end;
	return true;
}

static void lex_next(struct lex *l, struct tok *t)
{
	const char *p;
	unsigned char c;

	t->bs = false;
	t->hex = false;
	t->q = 0;
	if (!lex_skip(l)) {
		t->t = T_END;
		t->raw = t->p = l->end;
		t->n = 0;
		return;
	}
	p = l->p;
	c = *p;
	t->raw = p;
	if (c == '\'' || (c == '"' && l->d == SQL_MYSQL)) {
		lex_quoted(l, t, p, T_STRING, c, (l->d == SQL_MYSQL) != l->alt);
		return;
	}
	if ((c == '"' && l->d == SQL_PG) || (c == '`' && l->d == SQL_MYSQL)) {
		lex_quoted(l, t, p, T_QIDENT, c, false);
		return;
	}
	if (c == '$' && l->d == SQL_PG && lex_dollar(l, t))
		return;
	if (ident_ch[c] && !(c >= '0' && c <= '9') && c != '$') {
		const char *w = p;

		while (p < l->end && ident_ch[(unsigned char)*p])
			p++;
		/* E'..' (PostgreSQL escapes), X'..' (MySQL hex) */
		if (p - w == 1 && p < l->end && *p == '\'') {
			if (l->d == SQL_PG && (*w == 'E' || *w == 'e')) {
				lex_quoted(l, t, p, T_STRING, '\'', true);
				t->raw = w;
				return;
			}
			if (l->d == SQL_MYSQL && (*w == 'X' || *w == 'x')) {
				lex_quoted(l, t, p, T_STRING, '\'', false);
				t->raw = w;
				t->hex = true;
				return;
			}
		}
		t->t = T_WORD;
		t->p = w;
		t->n = p - w;
		l->p = p;
		return;
	}
	if (c >= '0' && c <= '9') {
		const char *w = p;

		while (p < l->end && (ident_ch[(unsigned char)*p] || *p == '.'))
			p++;
		t->t = T_NUM;
		t->p = w;
		t->n = p - w;
		l->p = p;
		return;
	}
	t->t = c == ';' ? T_SEMI : T_PUNCT;
	t->p = p;
	t->n = 1;
	t->q = c;
	l->p = p + 1;
}

size_t sql_unquote(const char *p, size_t n, char quote, bool bs, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o < cap; i++) {
		char ch = p[i];

		if (bs && ch == '\\' && i + 1 < n) {
			ch = p[++i];
			switch (ch) {
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'r': ch = '\r'; break;
			case 'b': ch = '\b'; break;
			case '0': ch = 0; break;
			case 'Z': ch = 26; break;
			}
		} else if (quote != '$' && ch == quote && i + 1 < n && p[i + 1] == quote) {
			i++;
		}
		out[o++] = ch;
	}
	return o;
}

/* ---- the classifier ------------------------------------------------------ */

struct cls {
	struct lex lx;            /* lexer over the text */
	struct tok t;             /* current token */
	struct tok prev;          /* the token before it */
	enum sql_dialect d;
	enum sql_dialect nd;      /* dialect of dynamic SQL found in literals */
	int depth;                /* dynamic SQL and CTE nesting */
	int nest;                 /* stmt() recursion (EXPLAIN ANALYZE EXPLAIN ...) */
	bool dynamic;             /* statements here are dynamic SQL */
	struct sql_result *r;     /* where statements are merged */
};

/* The length test first: most comparisons end there, cheaply. */
#define KW(tk, s) ((tk)->t == T_WORD && (tk)->n == sizeof(s) - 1 && sql_ieq((tk)->p, (tk)->n, s))
#define IS_P(tk, ch) ((tk)->t == T_PUNCT && (tk)->q == (ch))

static void stmt(struct cls *c, struct sql_stmt *s);
static void body_scan(struct cls *c);

/* A keyword list entry; lists end with { NULL, 0 }. */
struct kw {
	const char *s;
	unsigned char n;
};
#define K(x) { x, sizeof(x) - 1 }

static bool kw_in(const struct tok *t, const struct kw *w)
{
	if (t->t != T_WORD)
		return false;
	for (; w->s; w++)
		if (w->n == t->n && sql_ieq(t->p, t->n, w->s))
			return true;
	return false;
}

static void cls_init(struct cls *c, enum sql_dialect d, const char *q, size_t len, int depth,
		     bool dynamic, bool alt, struct sql_result *r)
{
	c->lx = (struct lex){ .p = q, .end = q + len, .d = d, .alt = alt };
	c->d = d;
	c->nd = d;
	c->depth = depth;
	c->dynamic = dynamic;
	c->r = r;
	c->nest = 0;
	memset(&c->prev, 0, sizeof(c->prev));
	lex_next(&c->lx, &c->t);
}

static void adv(struct cls *c)
{
	c->prev = c->t;
	lex_next(&c->lx, &c->t);
}

static bool at_end(const struct cls *c)
{
	return c->t.t == T_END || c->t.t == T_SEMI;
}

static struct tok peek(const struct cls *c)
{
	struct lex l = c->lx;
	struct tok t;

	lex_next(&l, &t);
	return t;
}

static void skip_rest(struct cls *c)
{
	while (!at_end(c))
		adv(c);
}

/* Skips a balanced ( ... ) starting at '('; returns the closing token's start. */
static const char *skip_parens(struct cls *c)
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

static bool is_name(const struct cls *c, const struct tok *t)
{
	/* MySQL takes '...' and "..." where a name goes (users, ANSI_QUOTES) */
	return t->t == T_WORD || t->t == T_QIDENT || (c->d == SQL_MYSQL && t->t == T_STRING);
}

/* The name a token stands for: unquoted; PostgreSQL folds bare words to lower case. */
static size_t tok_name(const struct cls *c, const struct tok *t, char *buf, size_t cap)
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

	sql_obj_part(s, buf, tok_name(c, t, buf, sizeof(buf)));
}

/* name ('.' name)*: one object. */
static bool qname(struct cls *c, struct sql_stmt *s)
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
		if (!qname(c, s))
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
		n = tok_name(c, &c->t, buf, sizeof(buf) - 1);
		adv(c);
		if (c->d == SQL_MYSQL && IS_P(&c->t, '@')) {
			adv(c);
			if (is_name(c, &c->t) || c->t.t == T_NUM) {
				buf[n++] = '@';
				n += tok_name(c, &c->t, buf + n, sizeof(buf) - n);
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
	qname(c, s);
	/* MySQL multi-table: more targets after ',' or JOIN, up to SET */
	while (!at_end(c) && !(depth == 0 && KW(&c->t, "SET"))) {
		if (IS_P(&c->t, '(')) {
			depth++;
		} else if (IS_P(&c->t, ')')) {
			if (depth)
				depth--;
		} else if (depth == 0 && (IS_P(&c->t, ',') || KW(&c->t, "JOIN"))) {
			adv(c);
			qname(c, s);
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
	qname(c, s);
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

/* PostgreSQL ALTER SYSTEM SET name ... | RESET name | RESET ALL */
static void st_alter_system(struct cls *c, struct sql_stmt *s)
{
	s->kind = SQL_ALTER_SYSTEM;
	adv(c);
	if (!KW(&c->t, "SET") && !KW(&c->t, "RESET"))
		return;
	adv(c);
	if (KW(&c->t, "ALL")) {
		sql_obj_begin(s);
		sql_obj_part(s, "all", 3);
		s->destructive = true; /* also resets the archive settings */
		return;
	}
	if (is_name(c, &c->t)) {
		struct tok name = c->t;

		if (name.t == T_WORD && sql_pg_wal_setting(name.p, name.n))
			s->destructive = true;
		qname(c, s);
	}
}

static void st_alter(struct cls *c, struct sql_stmt *s)
{
	adv(c);
	while (c->d == SQL_MYSQL && (KW(&c->t, "ONLINE") || KW(&c->t, "OFFLINE") || KW(&c->t, "IGNORE")))
		adv(c);
	if (KW(&c->t, "TABLE"))
		st_alter_table(c, s);
	else if (c->d == SQL_PG && KW(&c->t, "SYSTEM"))
		st_alter_system(c, s);
}

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
			qname(c, s);
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
			stmt(c, &in);
			sql_result_add(c->r, &in);
			return;
		}
		if (!IS_P(&c->t, ','))
			return;
		adv(c);
	}
}

/* PostgreSQL SET [SESSION|LOCAL] name {TO|=} value, RESET name */
static void st_set_pg(struct cls *c, struct sql_stmt *s)
{
	s->kind = SQL_SET;
	adv(c);
	if (KW(&c->t, "SESSION") || KW(&c->t, "LOCAL")) {
		struct tok n = peek(c);

		if (n.t == T_WORD || n.t == T_QIDENT)
			adv(c);
	}
	if (!is_name(c, &c->t) || KW(&c->t, "ALL"))
		return;
	if (c->t.t == T_WORD && sql_pg_wal_setting(c->t.p, c->t.n))
		s->destructive = true;
	qname(c, s);
}

static void st_reset(struct cls *c, struct sql_stmt *s)
{
	if (c->d == SQL_PG) {
		st_set_pg(c, s);
		return;
	}
	adv(c);
	/* RESET MASTER; MySQL 8.4 RESET BINARY LOGS AND GTIDS */
	if (KW(&c->t, "MASTER") || KW(&c->t, "BINARY"))
		s->kind = SQL_RESET_MASTER;
}

static void st_purge(struct cls *c, struct sql_stmt *s)
{
	adv(c);
	if (KW(&c->t, "BINARY") || KW(&c->t, "MASTER"))
		s->kind = SQL_PURGE_BINARY_LOGS;
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
static void nested_text(struct cls *c, const struct tok *t)
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
	if (sql_prefilter(c->nd, buf, n))
		sql_lex_classify(c->nd, buf, n, c->depth + 1, true, c->r);
	free(buf);
}

static bool text_tok(const struct tok *t)
{
	return t->t == T_STRING || (t->t == T_NUM && t->n > 2 && t->p[0] == '0' && (t->p[1] | 32) == 'x');
}

static void st_prepare(struct cls *c, struct sql_stmt *s)
{
	adv(c);
	if (KW(&c->t, "TRANSACTION"))
		return; /* PostgreSQL two-phase commit */
	if (is_name(c, &c->t))
		adv(c);
	if (c->d == SQL_PG) {
		/* PREPARE name [(types)] AS statement: it runs at EXECUTE */
		if (IS_P(&c->t, '('))
			skip_parens(c);
		if (KW(&c->t, "AS")) {
			adv(c);
			s->dynamic = true;
			stmt(c, s);
		}
		return;
	}
	if (!KW(&c->t, "FROM"))
		return;
	adv(c);
	if (c->t.t == T_WORD && c->t.p[0] == '_')
		adv(c); /* charset introducer: _utf8mb4'...' */
	if (text_tok(&c->t))
		nested_text(c, &c->t);
}

static void st_execute(struct cls *c, struct sql_stmt *s)
{
	(void)s;
	adv(c);
	if (c->d != SQL_MYSQL || !KW(&c->t, "IMMEDIATE"))
		return; /* EXECUTE name: the text went by at PREPARE */
	adv(c);
	if (c->t.t == T_WORD && c->t.p[0] == '_')
		adv(c);
	if (text_tok(&c->t))
		nested_text(c, &c->t);
}

/* EXPLAIN/DESCRIBE (and MariaDB ANALYZE) run the statement only with ANALYZE. */
static void st_explain(struct cls *c, struct sql_stmt *s)
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
		stmt(c, s);
}

/* MariaDB ANALYZE stmt runs stmt; ANALYZE TABLE does not. */
static void st_analyze(struct cls *c, struct sql_stmt *s)
{
	struct tok n = peek(c);

	if (c->d == SQL_MYSQL && (KW(&n, "SELECT") || KW(&n, "UPDATE") || KW(&n, "DELETE") ||
				   KW(&n, "INSERT") || KW(&n, "REPLACE") || KW(&n, "FORMAT")))
		st_explain(c, s);
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
		sql_lex_classify(c->d, b, e - b, c->depth + 1, c->dynamic, c->r);
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
			skip_parens(c);
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
	stmt(c, s);
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
	qname(c, s);
}

static void st_use(struct cls *c, struct sql_stmt *s)
{
	char buf[SQL_NAME_MAX];

	s->kind = SQL_USE;
	adv(c);
	if (!is_name(c, &c->t))
		return;
	sql_result_use(c->r, buf, tok_name(c, &c->t, buf, sizeof(buf)));
	qname(c, s);
}

/* Hands a PostgreSQL body literal (DO, CREATE FUNCTION) in language lang to sql_pg_body(). */
static void pg_body(struct cls *c, const struct tok *body, const struct tok *lang)
{
	char *buf;
	size_t n;

	if (body->t != T_STRING || c->depth + 1 > SQL_DEPTH_MAX)
		return;
	buf = malloc(body->n + 1);
	if (!buf)
		return;
	n = sql_unquote(body->p, body->n, body->q, body->bs, buf, body->n);
	sql_pg_body(buf, n, lang->t == T_END ? NULL : lang->p, lang->t == T_END ? 0 : lang->n,
		    c->depth + 1, c->r);
	free(buf);
}

/* PostgreSQL DO [LANGUAGE l] 'body' [LANGUAGE l] */
static void st_do_pg(struct cls *c)
{
	struct tok body = { .t = T_END }, lang = { .t = T_END };

	adv(c);
	while (!at_end(c)) {
		if (KW(&c->t, "LANGUAGE")) {
			adv(c);
			lang = c->t;
		} else if (c->t.t == T_STRING) {
			body = c->t;
		}
		adv(c);
	}
	pg_body(c, &body, &lang);
}

/* PostgreSQL CREATE FUNCTION/PROCEDURE ... AS 'body' LANGUAGE l, or BEGIN ATOMIC */
static void create_func_pg(struct cls *c)
{
	struct tok body = { .t = T_END }, lang = { .t = T_END };

	while (!at_end(c)) {
		if (KW(&c->t, "LANGUAGE")) {
			adv(c);
			lang = c->t;
		} else if (KW(&c->t, "AS")) {
			adv(c);
			if (c->t.t == T_STRING)
				body = c->t;
		} else if (KW(&c->t, "BEGIN")) {
			body_scan(c);
			return;
		}
		adv(c);
	}
	pg_body(c, &body, &lang);
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
				skip_parens(c);
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
	if (c->d == SQL_MYSQL && replace &&
	    (KW(&c->t, "TABLE") || KW(&c->t, "DATABASE") || KW(&c->t, "SCHEMA"))) {
		/* MariaDB CREATE OR REPLACE drops what is there first */
		s->kind = KW(&c->t, "TABLE") ? SQL_DROP_TABLE :
			  KW(&c->t, "DATABASE") ? SQL_DROP_DATABASE : SQL_DROP_SCHEMA;
		adv(c);
		qname(c, s);
		return;
	}
	if (c->d == SQL_PG && (KW(&c->t, "FUNCTION") || KW(&c->t, "PROCEDURE"))) {
		create_func_pg(c);
		return;
	}
	if (KW(&c->t, "PROCEDURE") || KW(&c->t, "FUNCTION") || KW(&c->t, "TRIGGER") ||
	    KW(&c->t, "EVENT") || KW(&c->t, "RULE")) {
		/*
		 * A stored body runs later (or, for an event, on its own
		 * schedule after the session is gone): what it would
		 * destroy is reported now, flagged dynamic.
		 */
		if (c->d == SQL_PG && KW(&c->t, "TRIGGER"))
			return;
		adv(c);
		body_scan(c);
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
static void stmt(struct cls *c, struct sql_stmt *s)
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
	} else if (KW(t, "SET")) {
		if (c->d == SQL_PG)
			st_set_pg(c, s);
		else
			st_set_mysql(c, s);
	} else if (KW(t, "RESET")) {
		st_reset(c, s);
	} else if (KW(t, "PURGE") && c->d == SQL_MYSQL) {
		st_purge(c, s);
	} else if (KW(t, "USE") && c->d == SQL_MYSQL) {
		st_use(c, s);
	} else if (KW(t, "PREPARE")) {
		st_prepare(c, s);
	} else if (KW(t, "EXECUTE")) {
		st_execute(c, s);
	} else if (KW(t, "EXPLAIN") || KW(t, "DESCRIBE") || (KW(t, "DESC") && c->d == SQL_MYSQL)) {
		st_explain(c, s);
	} else if (KW(t, "ANALYZE")) {
		st_analyze(c, s);
	} else if (KW(t, "CREATE")) {
		st_create(c, s);
	} else if (KW(t, "DO") && c->d == SQL_PG) {
		st_do_pg(c);
	} else if (KW(t, "BEGIN") || KW(t, "START") || KW(t, "END")) {
		struct tok n = peek(c);

		/* MariaDB BEGIN NOT ATOMIC ... END runs a compound statement now */
		if (c->d == SQL_MYSQL && KW(t, "BEGIN") && KW(&n, "NOT"))
			body_scan(c);
	} else if (!benign_word(t)) {
		/* IF/WHILE/label/DECLARE...: pieces of a compound statement */
		body_scan(c);
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
static void body_scan(struct cls *c)
{
	while (!at_end(c)) {
		if (c->t.t == T_WORD && body_word(&c->t) && !body_excluded(c)) {
			struct sql_stmt in;

			sql_stmt_init(&in, true);
			stmt(c, &in);
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
		stmt(c, &s);
		sql_result_add(c->r, &s);
	}
}

void sql_lex_classify(enum sql_dialect d, const char *q, size_t len, int depth, bool dynamic,
		      struct sql_result *r)
{
	struct cls c;

	cls_init(&c, d, q, len, depth, dynamic, false, r);
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
void sql_lex_classify_alt(enum sql_dialect d, const char *q, size_t len, struct sql_result *r)
{
	struct cls c;

	cls_init(&c, d, q, len, 0, false, true, r);
	classify_all(&c);
}

void sql_lex_body(enum sql_dialect d, const char *q, size_t len, int depth, struct sql_result *r)
{
	struct cls c;

	cls_init(&c, d, q, len, depth, true, false, r);
	for (;;) {
		while (c.t.t == T_SEMI)
			adv(&c);
		if (c.t.t == T_END)
			break;
		c.prev.t = T_SEMI;
		body_scan(&c);
		skip_rest(&c);
	}
}

void sql_lex_literals(enum sql_dialect lexd, enum sql_dialect sqld, const char *q, size_t len,
		      int depth, struct sql_result *r)
{
	struct cls c;

	cls_init(&c, lexd, q, len, depth, true, false, r);
	c.nd = sqld;
	for (; c.t.t != T_END; adv(&c))
		if (c.t.t == T_STRING && c.t.n >= 4)
			nested_text(&c, &c.t);
}

enum sql_kind sql_lex_first_kind(enum sql_dialect d, const char *q, size_t len)
{
	struct lex l = { .p = q, .end = q + len, .d = d };
	struct tok t;
	bool paren = false;

	for (lex_next(&l, &t); IS_P(&t, '('); lex_next(&l, &t))
		paren = true;
	if (paren || KW(&t, "SELECT") || KW(&t, "VALUES") || KW(&t, "TABLE") || KW(&t, "WITH"))
		return SQL_SELECT;
	if (KW(&t, "INSERT") || KW(&t, "REPLACE"))
		return SQL_INSERT;
	return SQL_OTHER;
}
