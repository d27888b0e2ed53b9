// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The SQL lexer, for MySQL/MariaDB and PostgreSQL text: comments ('#' and
 * '-- ' for MySQL), versioned comments (whose text runs), optimizer hints,
 * quoting with the dialect's escapes, dollar quoting, statement ends.
 *
 * Why our own lexer: no library packaged in Debian parses MySQL's dialect
 * (its grammar lives inside the server), and the verdict needs only the
 * lexical rules to be exact. PostgreSQL text goes through libpg_query
 * (sql_pg.c); it is lexed here only when that cannot parse it, and for
 * bodies and literals.
 */
#include <ctype.h>
#include <string.h>
#include "sql/sql_lex.h"

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

void sql_lex_next(struct lex *l, struct tok *t)
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
