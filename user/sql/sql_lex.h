/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* sql folder only: the SQL lexer of both dialects (comments, versioned comments, quoting, statement ends). */
#ifndef BULWARK_SQL_LEX_H
#define BULWARK_SQL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* The next token at l (T_END at the end of the text). */
void sql_lex_next(struct lex *l, struct tok *t);

/* Unquotes a literal body: doubled quotes, and backslash escapes when bs.
 * Writes at most cap bytes; returns the length written. */
size_t sql_unquote(const char *p, size_t n, char quote, bool bs, char *out, size_t cap);

#endif /* BULWARK_SQL_LEX_H */
