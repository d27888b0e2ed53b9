/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* sql folder only: the token classifier's cursor, and the hooks of each dialect's own statements. */
#ifndef BULWARK_SQL_PARSE_H
#define BULWARK_SQL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include "sql/sql.h"
#include "sql/sql_lex.h"

struct sql_dialect_ops;

struct cls {
	struct lex lx;            /* lexer over the text */
	struct tok t;             /* current token */
	struct tok prev;          /* the token before it */
	enum sql_dialect d;       /* dialect of the text (names, quoting) */
	const struct sql_dialect_ops *ops;  /* its own statements */
	const struct sql_dialect_ops *nops; /* those of dynamic SQL found in literals */
	int depth;                /* dynamic SQL and CTE nesting */
	int nest;                 /* stmt() recursion (EXPLAIN ANALYZE EXPLAIN ...) */
	bool dynamic;             /* statements here are dynamic SQL */
	struct sql_result *r;     /* where statements are merged */
};

/* The length test first: most comparisons end there, cheaply. */
#define KW(tk, s) ((tk)->t == T_WORD && (tk)->n == sizeof(s) - 1 && sql_ieq((tk)->p, (tk)->n, s))
#define IS_P(tk, ch) ((tk)->t == T_PUNCT && (tk)->q == (ch))

/*
 * What one dialect adds to the shared classifier (sql_parse.c). The
 * callbacks see the cursor at the statement's first word and return true
 * when they took the statement.
 */
struct sql_dialect_ops {
	enum sql_dialect d;
	/* statements only this dialect has (SET, RESET, PREPARE, ...) */
	bool (*statement)(struct cls *c, struct sql_stmt *s);
	/* CREATE forms of its own, after CREATE [OR REPLACE] and the modifiers */
	bool (*create)(struct cls *c, struct sql_stmt *s, bool replace);
};

extern const struct sql_dialect_ops sql_mysql_ops;  /* sql_mysql.c */
extern const struct sql_dialect_ops sql_pg_ops;     /* sql_pg.c: the lexer path of PostgreSQL */

/* A keyword list entry; lists end with { NULL, 0 }. */
struct kw {
	const char *s;
	unsigned char n;
};
#define K(x) { x, sizeof(x) - 1 }

static inline bool kw_in(const struct tok *t, const struct kw *w)
{
	if (t->t != T_WORD)
		return false;
	for (; w->s; w++)
		if (w->n == t->n && sql_ieq(t->p, t->n, w->s))
			return true;
	return false;
}

static inline void adv(struct cls *c)
{
	c->prev = c->t;
	sql_lex_next(&c->lx, &c->t);
}

static inline bool at_end(const struct cls *c)
{
	return c->t.t == T_END || c->t.t == T_SEMI;
}

static inline struct tok peek(const struct cls *c)
{
	struct lex l = c->lx;
	struct tok t;

	sql_lex_next(&l, &t);
	return t;
}

static inline void skip_rest(struct cls *c)
{
	while (!at_end(c))
		adv(c);
}

static inline bool is_name(const struct cls *c, const struct tok *t)
{
	/* MySQL takes '...' and "..." where a name goes (users, ANSI_QUOTES) */
	return t->t == T_WORD || t->t == T_QIDENT || (c->d == SQL_MYSQL && t->t == T_STRING);
}

/* Skips a balanced ( ... ) starting at '('; returns the closing token's start. */
const char *sql_parse_skip_parens(struct cls *c);
/* The name a token stands for: unquoted; PostgreSQL folds bare words to lower case. */
size_t sql_parse_tok_name(const struct cls *c, const struct tok *t, char *buf, size_t cap);
/* name ('.' name)*: one object of s. */
bool sql_parse_qname(struct cls *c, struct sql_stmt *s);
/* A literal that can hold statement text (a string, MySQL 0x...). */
bool sql_parse_text_tok(const struct tok *t);
/* Classifies text handed to PREPARE/EXECUTE IMMEDIATE/DO as SQL of its own. */
void sql_parse_nested_text(struct cls *c, const struct tok *t);
/* EXPLAIN/DESCRIBE (and MariaDB ANALYZE) run the statement only with ANALYZE. */
void sql_parse_explain(struct cls *c, struct sql_stmt *s);
/* Classifies one statement at the cursor; consumes it up to ';' or the end. */
void sql_parse_stmt(struct cls *c, struct sql_stmt *s);
/* The first statement-starting word anywhere in the rest of this piece (bodies). */
void sql_parse_body_scan(struct cls *c);

/* Every statement of q, with ops's statements; depth > 0 for dynamic SQL. */
void sql_parse_text(const struct sql_dialect_ops *ops, const char *q, size_t len, int depth,
		    bool dynamic, struct sql_result *r);
/* sql_parse_text() with the other rule for backslashes in '...' strings. */
void sql_parse_text_alt(const struct sql_dialect_ops *ops, const char *q, size_t len,
			struct sql_result *r);
/* Scans q for statements at any position (routine bodies, blocks). */
void sql_parse_body(const struct sql_dialect_ops *ops, const char *q, size_t len, int depth,
		    struct sql_result *r);
/* Classifies the contents of every string literal in q, lexed as lexd, as SQL of nops (depth+1). */
void sql_parse_literals(enum sql_dialect lexd, const struct sql_dialect_ops *nops, const char *q,
			size_t len, int depth, struct sql_result *r);
/* Kind of the first statement from its first word (the prefilter path). */
enum sql_kind sql_parse_first_kind(enum sql_dialect d, const char *q, size_t len);

#endif /* BULWARK_SQL_PARSE_H */
