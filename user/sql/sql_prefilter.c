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

/*
 * The hold words (docs/database.md, Prevention): for a set of statement
 * kinds, the words of the prefilter's table above that can start one of
 * them, plus the words that run text the kernel cannot read ahead
 * (PostgreSQL DO and function bodies, EXECUTE of a string, PREPARE). The
 * kernel holds a PostgreSQL backend on any of them; the classifier then
 * decides. Every word here is also a prefilter word, so a text the
 * prefilter lets through fast is never held.
 */
static const struct {
	const char *word;
	uint32_t kinds;   /* 1u << enum sql_kind the word can start */
	bool pg, my;      /* dialects */
} hold_words[] = {
#define K(x) (1u << (x))
	{ "DROP", K(SQL_DROP) | K(SQL_DROP_TEMP_TABLE) | K(SQL_DROP_TABLE) | K(SQL_DROP_SCHEMA) |
		  K(SQL_DROP_DATABASE) | K(SQL_DROP_USER) | K(SQL_DROP_ROLE) | K(SQL_DROP_OWNED), true, true },
	{ "TRUNCATE", K(SQL_TRUNCATE), true, true },
	{ "DELETE", K(SQL_DELETE), true, true },
	{ "UPDATE", K(SQL_UPDATE), true, true },
	{ "ALTER", K(SQL_ALTER_TABLE) | K(SQL_ALTER_TABLE_DROP) | K(SQL_ALTER_SYSTEM) | K(SQL_TRUNCATE),
	  true, true },
	{ "SET", K(SQL_SET) | K(SQL_SET_SQL_LOG_BIN) | K(SQL_ALTER_SYSTEM), true, true },
	{ "RESET", K(SQL_SET) | K(SQL_RESET_MASTER) | K(SQL_ALTER_SYSTEM), true, true },
	/* MariaDB CREATE OR REPLACE drops what it replaces */
	{ "CREATE", K(SQL_DROP_TABLE) | K(SQL_DROP_DATABASE) | K(SQL_DROP_SCHEMA), false, true },
	{ "PURGE", K(SQL_PURGE_BINARY_LOGS), false, true },
	/* text run at run time: any kind */
	{ "DO", ~0u, true, false },
	{ "CREATE", ~0u, true, false },
	{ "EXECUTE", ~0u, true, true },
	{ "PREPARE", ~0u, true, true },
#undef K
};

int sql_hold_words(enum sql_dialect d, uint32_t kinds, const char **out, int max)
{
	int n = 0;

	if (!kinds)
		return 0;
	for (size_t i = 0; i < sizeof(hold_words) / sizeof(hold_words[0]); i++) {
		bool dup = false;

		if (!(hold_words[i].kinds & kinds) || !(d == SQL_PG ? hold_words[i].pg : hold_words[i].my))
			continue;
		for (int j = 0; j < n; j++)
			dup |= !strcmp(out[j], hold_words[i].word);
		if (!dup && n < max)
			out[n++] = hold_words[i].word;
	}
	return n;
}

/*
 * The deny pairs (BPF-LSM socket_sendmsg, docs/database.md, Prevention):
 * for statement kinds the kernel can tell from two adjacent words alone.
 * DELETE and UPDATE (destructive only without a WHERE), ALTER and SET
 * need the classifier: they are not denied at the client, only held at
 * the server (PostgreSQL).
 */
static const struct {
	const char *w1, *w2;  /* w2 NULL: the word alone */
	enum sql_kind kind;
} deny_pairs[] = {
	{ "DROP", "DATABASE", SQL_DROP_DATABASE }, { "DROP", "SCHEMA", SQL_DROP_DATABASE },
	{ "DROP", "SCHEMA", SQL_DROP_SCHEMA }, { "DROP", "DATABASE", SQL_DROP_SCHEMA },
	{ "DROP", "TABLE", SQL_DROP_TABLE }, { "DROP", "USER", SQL_DROP_USER },
	{ "DROP", "ROLE", SQL_DROP_ROLE }, { "DROP", "GROUP", SQL_DROP_ROLE },
	{ "DROP", "OWNED", SQL_DROP_OWNED }, { "TRUNCATE", NULL, SQL_TRUNCATE },
	{ "RESET", "MASTER", SQL_RESET_MASTER }, { "PURGE", "BINARY", SQL_PURGE_BINARY_LOGS },
	{ "PURGE", "MASTER", SQL_PURGE_BINARY_LOGS },
};

int sql_deny_pairs(uint32_t kinds, const char *(*out)[2], int max)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(deny_pairs) / sizeof(deny_pairs[0]); i++) {
		bool dup = false;

		if (!(kinds & (1u << deny_pairs[i].kind)))
			continue;
		for (int j = 0; j < n; j++)
			dup |= !strcmp(out[j][0], deny_pairs[i].w1) &&
			       (out[j][1] == deny_pairs[i].w2 ||
				(out[j][1] && deny_pairs[i].w2 && !strcmp(out[j][1], deny_pairs[i].w2)));
		if (!dup && n < max) {
			out[n][0] = deny_pairs[i].w1;
			out[n][1] = deny_pairs[i].w2;
			n++;
		}
	}
	return n;
}
