// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Hold and decide: the hold test (include/bulwark_hold_words.h) as the
 * kernel runs it, the words for statement kinds (sql_hold_words) and
 * the outcome written into action_result. The kinds derived from rules
 * (daemon/hold_rules.c) are checked end to end: tests/e2e/test_prevent.sh.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "unit.h"
#include "db/dbhold.h"
#include "sql/sql.h"

/* the kernel's map, here a table of keys */
static __u64 set[32];  /* BW_HOLD_WORDS_MAX */
static int nset;
static int in_set(__u64 k)
{
	for (int i = 0; i < nset; i++)
		if (set[i] == k)
			return 1;
	return 0;
}
#define BW_HOLD_LOOKUP(k) in_set(k)
/* the deny pairs map */
static __u64 pairs[32][2];
static int npairs;
static int in_pairs(__u64 a, __u64 b)
{
	for (int i = 0; i < npairs; i++)
		if (pairs[i][0] == a && pairs[i][1] == b)
			return 1;
	return 0;
}
#define BW_PAIR_LOOKUP(c, a, b) in_pairs(a, b)
#include "bulwark_hold_words.h"
_Static_assert(BW_HOLD_WORDS_MAX == 32, "set[]");

static void set_words(uint32_t kinds)
{
	const char *w[BW_HOLD_WORDS_MAX];

	nset = sql_hold_words(SQL_PG, kinds, w, BW_HOLD_WORDS_MAX);
	for (int i = 0; i < nset; i++)
		set[i] = bw_hold_key(w[i], (__u32)strlen(w[i]));
}

/* bpf_loop as db_hold_flagged() calls it; n bytes (protocol bytes hold NULs) */
#define flagged(lit) flagged_n(lit, sizeof(lit) - 1)
static int flagged_n(const char *s, __u32 n)
{
	struct bw_hold_ctx c = { .p = s, .n = n };

	for (__u32 i = 0; i < BW_DATA_MAX + 1; i++)
		if (bw_hold_step(i, &c))
			break;
	return c.hit;
}

TEST(hold_words_follow_the_kinds)
{
	const char *w[BW_HOLD_WORDS_MAX];
	int n = sql_hold_words(SQL_PG, 1u << SQL_DROP_DATABASE, w, BW_HOLD_WORDS_MAX), drop = 0;

	for (int i = 0; i < n; i++) {
		drop += !strcmp(w[i], "DROP");
		CHECK(strcmp(w[i], "UPDATE") && strcmp(w[i], "DELETE"));
		/* every hold word is a prefilter word: prefilter-clean text is never held */
		CHECK(sql_prefilter(SQL_PG, w[i], strlen(w[i])));
	}
	CHECK_EQ(drop, 1);
	CHECK_EQ(sql_hold_words(SQL_PG, 0, w, BW_HOLD_WORDS_MAX), 0);
	n = sql_hold_words(SQL_PG, 1u << SQL_DELETE, w, BW_HOLD_WORDS_MAX);
	CHECK(n >= 2);
}

TEST(hold_scan_case_comments_strings_bodies)
{
	set_words((1u << SQL_DROP_TABLE) | (1u << SQL_TRUNCATE) | (1u << SQL_DELETE));
	CHECK(flagged("Q\0\0\0\x10" "drop table t"));
	CHECK(flagged("/* x */DrOp/**/TABLE t"));
	CHECK(flagged("SELECT 1; TRUNCATE t"));
	CHECK(flagged("DO $$BEGIN EXECUTE 'DR' || 'OP TABLE t'; END$$"));  /* DO, EXECUTE */
	CHECK(flagged("P\0\0\0\x20" "\0DELETE FROM t\0\0\0"));
	CHECK(flagged("select $x$drop$x$"));
	CHECK(!flagged("SELECT drop_log FROM t"));
	CHECK(!flagged("SELECT * FROM droplet WHERE x = 1"));
	CHECK(!flagged("UPDATE t SET a = 1 WHERE id = 2"));
	CHECK(!flagged("INSERT INTO t VALUES (1)"));
	CHECK(!flagged("BEGIN; SELECT abalance FROM pgbench_accounts WHERE aid = 1; END;"));
	CHECK_EQ(bw_hold_key("drop", 4), bw_hold_key("DROP", 4));
	CHECK_EQ(bw_hold_key("x", 1), 0);
	CHECK_EQ(bw_hold_key("TRUNCATES", 9), 0);
}

static void set_pairs(uint32_t kinds)
{
	const char *p[32][2];

	npairs = sql_deny_pairs(kinds, p, 32);
	for (int i = 0; i < npairs; i++) {
		pairs[i][0] = bw_hold_key(p[i][0], (__u32)strlen(p[i][0]));
		pairs[i][1] = p[i][1] ? bw_hold_key(p[i][1], (__u32)strlen(p[i][1])) : 0;
	}
}

#define denied(lit) denied_n(lit, sizeof(lit) - 1)
static int denied_n(const char *s, __u32 n)
{
	struct bw_pair_ctx c = { .p = s, .n = n };

	for (__u32 i = 0; i < BW_DATA_MAX + 1; i++)
		if (bw_pair_step(i, &c))
			break;
	return c.hit;
}

TEST(deny_pairs_comments_case_strings)
{
	set_pairs((1u << SQL_DROP_DATABASE) | (1u << SQL_DROP_TABLE) | (1u << SQL_TRUNCATE));
	CHECK(denied("Q\0\0\0\x10" "drop database x"));
	CHECK(denied("DROP /* hidden */ TABLE t"));
	CHECK(denied("DROP -- line\n SCHEMA s"));
	CHECK(denied("SELECT 1; TrUnCaTe t"));
	CHECK(denied("/*!50000 DROP TABLE t */"));       /* MySQL runs versioned comments */
	CHECK(denied("PREPARE s FROM 'DROP TABLE t'"));  /* dynamic SQL in a string */
	CHECK(denied("P\0\0\0\x20" "\0DROP TABLE t\0\0\0"));  /* extended protocol */
	CHECK(!denied("DROP INDEX i"));
	CHECK(!denied("DROP TEMPORARY TABLE t"));
	CHECK(!denied("SELECT 1 /* DROP TABLE t */"));
	CHECK(!denied("CREATE TABLE drop_table (id int)"));
	CHECK(!denied("SELECT drop; TABLE t"));
	CHECK(!denied("DELETE FROM t WHERE id = 1"));
	set_pairs(1u << SQL_DELETE);
	CHECK_EQ(npairs, 0);  /* DELETE needs the classifier: held at the server, never denied */
}

TEST(outcome_in_action_result)
{
	struct dbhold h = { 0 };
	struct bw_event e;
	struct jbuf b = { 0 };

	event_reset(&e);
	e.type = BW_EVT_DB_QUERY;
	e.db_system = (struct bw_str){ "mysql", 5 };
	event_set_present(&e, FLD_DB_SYSTEM);
	e.time_ns = 1;
	jbuf_puts(&b, "null");
	dbhold_outcome(&h, false, false, &e, &b);
	CHECK(strstr(b.p, "{\"statement\":\"unknown\",\"statement_source\":\"not_stopped\"") == b.p);
	jbuf_reset(&b);
	jbuf_puts(&b, "{\"status\":\"killed\"}");
	e.time_ns = 2;
	dbhold_outcome(&h, true, false, &e, &b);
	CHECK(strstr(b.p, "{\"status\":\"killed\",\"statement\":\"unknown\",\"statement_source\":"
			  "\"not_holdable\"") == b.p);
	CHECK(b.p[b.len - 1] == '}');
	jbuf_reset(&b);
	jbuf_puts(&b, "{}");
	e.time_ns = 3;
	dbhold_outcome(&h, true, true, &e, &b);
	CHECK(strstr(b.p, "\"statement_source\":\"dry_run\"") != NULL);
	jbuf_reset(&b);
	jbuf_puts(&b, "null");
	e.time_ns = 4;
	e.db_denied = true;
	dbhold_outcome(&h, false, false, &e, &b);
	CHECK(strstr(b.p, "\"statement\":\"prevented\",\"statement_source\":\"denied_at_send\"") != NULL);
	jbuf_free(&b);
}

int main(void)
{
	return unit_main();
}
