// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The prefilter: one pass for whole words that can start something worth classifying. */
#include <string.h>
#include "sql/sql.h"

/*
 * The prefilter. A statement can only be destructive (or change db.name)
 * if one of these words appears in it, anywhere: in code, in a comment
 * (MySQL versioned comments run) or in a string (dynamic SQL). It is a
 * single pass over the bytes with no lexing, so it also fires on words
 * inside ordinary strings and comments; those texts are then classified in
 * full, which is correct, just slower. The words match whole words only:
 * "drop_log" does not match DROP. Wrappers that can run a statement
 * (EXPLAIN ANALYZE, BEGIN NOT ATOMIC, CREATE PROCEDURE, PREPARE FROM
 * 'text') need no word of their own: the statement they run has one.
 */
static const char *const pg_words[] = {
	"DROP", "TRUNCATE", "DELETE", "UPDATE", "ALTER", "SET", "RESET", "CREATE",
	"DO", "EXECUTE", "PREPARE", NULL,
};
/* PREPARE/EXECUTE: their text may be a hex literal (0x44524F50...). */
static const char *const my_words[] = {
	"DROP", "TRUNCATE", "DELETE", "UPDATE", "ALTER", "SET", "RESET", "CREATE",
	"PURGE", "USE", "PREPARE", "EXECUTE", NULL,
};

/*
 * 1: identifier character (a word never starts or ends next to one). '$'
 * is one in identifiers, but also closes a dollar quote ($x$DROP ...), so
 * here it separates words: a$drop becomes a candidate, which costs a parse
 * and nothing else.
 */
static const unsigned char word_char[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['_'] = 1,
	[0x80 ... 0xff] = 1,
};

bool sql_prefilter(enum sql_dialect d, const char *q, size_t len)
{
	const char *const *words = d == SQL_PG ? pg_words : my_words;
	const unsigned char *p = (const unsigned char *)q, *end = p + len;

	while (p < end) {
		const unsigned char *w;

		if (!word_char[*p]) {
			/* MySQL runs versioned comments ("/" "*!NNNNN"): look inside */
			if (d == SQL_MYSQL && *p == '/' && end - p >= 3 && p[1] == '*' &&
			    (p[2] == '!' || (p[2] == 'M' && end - p >= 4 && p[3] == '!')))
				return true;
			p++;
			continue;
		}
		w = p;
		while (p < end && word_char[*p])
			p++;
		if (p - w < 2 || p - w > 8)
			continue;
		for (int i = 0; words[i]; i++)
			if (sql_ieq((const char *)w, p - w, words[i]))
				return true;
	}
	return false;
}
