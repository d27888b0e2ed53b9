/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* SQL classifier: statement kind, objects named, WHERE presence and a destructive verdict. */
#ifndef BULWARK_SQL_H
#define BULWARK_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sql_dialect {
	SQL_MYSQL = 1, /* MySQL and MariaDB: project lexer and classifier (sql_lex.c, sql_parse.c, sql_mysql.c) */
	SQL_PG = 2,    /* PostgreSQL: libpg_query (sql_pg.c), the lexer path on parse errors */
};

/*
 * Statement kinds, reported as db.stmt by sql_kind_name(). The names are
 * part of the rule contract (docs/database.md); never rename one.
 */
enum sql_kind {
	SQL_OTHER = 0,          /* "OTHER": anything not listed, or nothing at all */
	SQL_SELECT,             /* "SELECT" (also WITH ... SELECT, VALUES, TABLE) */
	SQL_INSERT,             /* "INSERT" (also REPLACE) */
	SQL_UPDATE,             /* "UPDATE" */
	SQL_DELETE,             /* "DELETE" */
	SQL_USE,                /* "USE": MySQL USE db */
	SQL_SET,                /* "SET": SET/RESET of other variables */
	SQL_ALTER_TABLE,        /* "ALTER TABLE": without data loss */
	SQL_ALTER_TABLE_DROP,   /* "ALTER TABLE DROP": drops a column/partition, or ENGINE=BLACKHOLE */
	SQL_DROP,               /* "DROP": any other object (view, index, function...) */
	SQL_DROP_TEMP_TABLE,    /* "DROP TEMPORARY TABLE": MySQL, session tables only */
	SQL_DROP_TABLE,         /* "DROP TABLE" (also MariaDB CREATE OR REPLACE TABLE) */
	SQL_DROP_SCHEMA,        /* "DROP SCHEMA" */
	SQL_DROP_DATABASE,      /* "DROP DATABASE" (also MariaDB CREATE OR REPLACE DATABASE) */
	SQL_DROP_USER,          /* "DROP USER" */
	SQL_DROP_ROLE,          /* "DROP ROLE" (also PostgreSQL DROP GROUP) */
	SQL_DROP_OWNED,         /* "DROP OWNED": PostgreSQL, drops everything a role owns */
	SQL_TRUNCATE,           /* "TRUNCATE" (also ALTER TABLE ... TRUNCATE PARTITION) */
	SQL_SET_SQL_LOG_BIN,    /* "SET sql_log_bin": MySQL, switches the binary log */
	SQL_RESET_MASTER,       /* "RESET MASTER": MySQL, deletes every binary log */
	SQL_PURGE_BINARY_LOGS,  /* "PURGE BINARY LOGS": MySQL, also PURGE MASTER LOGS */
	SQL_ALTER_SYSTEM,       /* "ALTER SYSTEM": PostgreSQL server settings */
	SQL_KIND_MAX,
};

#define SQL_OBJECTS_MAX 512  /* bytes of db.objects kept, NUL included */
#define SQL_NAME_MAX    128  /* bytes of a USE target kept, NUL included */
#define SQL_DEPTH_MAX   4    /* nesting followed: dynamic SQL, bodies, CTEs */
#define SQL_NESTED_MAX  1024 /* nested texts classified per call (about 1 ms at most) */
#define SQL_PARSE_MAX   (256 * 1024) /* longer PostgreSQL text skips libpg_query */

/* sql_classify() input flags */
#define SQL_IN_TRUNC      (1u << 0) /* the text is a prefix of the statement */

/* sql_result.flags */
#define SQL_R_FAST        (1u << 0) /* no candidate keyword: the first statement's kind only */
#define SQL_R_PARSED      (1u << 1) /* PostgreSQL: libpg_query parsed the text */
#define SQL_R_FALLBACK    (1u << 2) /* PostgreSQL: parse error, the lexer classified it */
#define SQL_R_DYNAMIC     (1u << 3) /* the reported statement is in dynamic SQL or a body */
#define SQL_R_TRUNC       (1u << 4) /* the text was a prefix (SQL_IN_TRUNC) */
#define SQL_R_OBJS_TRUNC  (1u << 5) /* objects did not fit SQL_OBJECTS_MAX */
#define SQL_R_USE         (1u << 6) /* use_db holds the schema of the last USE */
#define SQL_R_CONST_WHERE (1u << 7) /* the reported UPDATE/DELETE has a WHERE naming no column */
#define SQL_R_ALT_QUOTES  (1u << 8) /* found only when backslashes are read the other way */
#define SQL_R_PARTIAL     (1u << 9) /* more than SQL_NESTED_MAX nested texts: the rest skipped */

/*
 * The classification of one query string, which may hold several
 * statements. kind, has_where and objects describe the most destructive
 * statement (destructive ones first, then by the rank in sql_result.c; the first
 * one wins a tie); kinds has a bit for every statement kind seen.
 */
struct sql_result {
	enum sql_kind kind;          /* the reported statement's kind */
	bool destructive;            /* the reported statement is destructive */
	bool has_where;              /* UPDATE/DELETE: a WHERE or (MySQL) LIMIT was seen */
	uint16_t nstmts;             /* statements classified, nested ones included */
	uint32_t flags;              /* SQL_R_* */
	uint32_t kinds;              /* 1u << kind for every statement seen */
	uint32_t objects_len;        /* bytes in objects, NUL excluded */
	char objects[SQL_OBJECTS_MAX]; /* "schema.table,other", unquoted, NUL terminated */
	char use_db[SQL_NAME_MAX];   /* SQL_R_USE: target of the last USE */
	uint16_t budget;             /* internal: nested classifications left */
};

/*
 * Classifies len bytes of query text q (need not be NUL terminated; NUL
 * bytes end PostgreSQL text as they do for the server). Does not allocate
 * on the prefilter path; libpg_query and dynamic SQL allocate transiently.
 * Returns 0, or -EINVAL on bad arguments (r is then reset to OTHER).
 */
int sql_classify(enum sql_dialect d, const char *q, size_t len, uint32_t in_flags,
		 struct sql_result *r);

/* db.stmt text of a kind: "DROP TABLE", "OTHER", ... */
const char *sql_kind_name(enum sql_kind k);

/* True when q holds a keyword that can start a statement worth parsing. */
bool sql_prefilter(enum sql_dialect d, const char *q, size_t len);

/*
 * The hold words for statements of kinds (1u << enum sql_kind), a subset
 * of the prefilter's words, into out (at most max); returns the count.
 * The kernel holds a PostgreSQL backend that receives one of them.
 */
int sql_hold_words(enum sql_dialect d, uint32_t kinds, const char **out, int max);

/*
 * The deny pairs for statements of kinds: out[i] = { first word, second
 * word or NULL }, at most max; returns the count. The kernel refuses a
 * login session's send to a database that holds one (BPF-LSM).
 */
int sql_deny_pairs(uint32_t kinds, const char *(*out)[2], int max);

/* ---- for the sql folder only ------------------------------------------------ */

/* One statement under classification. */
struct sql_stmt {
	enum sql_kind kind;          /* what it is */
	bool destructive;            /* set by the parsers for SET/DROP; derived for the rest */
	bool has_where;              /* UPDATE/DELETE: WHERE or LIMIT seen */
	bool const_where;            /* that WHERE names no column */
	bool dynamic;                /* found inside dynamic SQL or a body */
	bool objs_trunc;             /* objects did not fit */
	bool obj_open;               /* an object is being built (parts get '.') */
	uint32_t objects_len;        /* bytes in objects */
	char objects[SQL_OBJECTS_MAX]; /* as sql_result.objects */
};

void sql_stmt_init(struct sql_stmt *s, bool dynamic);
/* Starts a new object (adds ',' after the previous one). */
void sql_obj_begin(struct sql_stmt *s);
/* Appends one name part to the current object ('.' between parts). */
void sql_obj_part(struct sql_stmt *s, const char *p, size_t n);
/* Derives the verdict and merges s into r if it ranks higher. */
void sql_result_add(struct sql_result *r, struct sql_stmt *s);
void sql_result_reset(struct sql_result *r);
/* Takes one nested classification from r's budget; false when none is left. */
bool sql_nested_ok(struct sql_result *r);
/* Records a USE target. */
void sql_result_use(struct sql_result *r, const char *p, size_t n);

/* PostgreSQL settings whose change disables WAL archiving or durability. */
bool sql_pg_wal_setting(const char *name, size_t n);

/* The token classifier with dialect d's statements (sql_parse.c), as the fuzz targets call it. */
void sql_lex_classify(enum sql_dialect d, const char *q, size_t len, int depth,
		      bool dynamic, struct sql_result *r);

/* libpg_query classification; falls back to the lexer on parse errors. */
void sql_pg_classify(const char *q, size_t len, int depth, bool dynamic,
		     struct sql_result *r);
/* A DO block or function body in language lang (NULL/"" = plpgsql). */
void sql_pg_body(const char *body, size_t n, const char *lang, size_t langn, int depth,
		 struct sql_result *r);

/*
 * Case-insensitive compare of n bytes of p with the upper-case keyword kw.
 * Inline: the prefilter and the classifier call it for every word, and a
 * call per word cost the prefilter path a quarter more instructions.
 */
static inline bool sql_ieq(const char *p, size_t n, const char *kw)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (!kw[i])
			return false;
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (c != (unsigned char)kw[i])
			return false;
	}
	return !kw[i];
}

#endif /* BULWARK_SQL_H */
