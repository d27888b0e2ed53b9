// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Classifier and decoder throughput on one core: statements per second
 * for a SELECT-only mix (pgbench -S, sysbench point selects: the
 * prefilter path), a TPC-B-like mix (UPDATEs: libpg_query parses them),
 * a destructive mix, and the whole path from captured chunk to event.
 *   build/bench/sql_bench [SECONDS-PER-CASE]   (default 1)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "db/dbconn.h"
#include "sql/sql.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const pg_select[] = {
	"SELECT abalance FROM pgbench_accounts WHERE aid = 48213;",
	"SELECT abalance FROM pgbench_accounts WHERE aid = $1",
	NULL,
};
static const char *const my_select[] = {
	"SELECT c FROM sbtest1 WHERE id=5012",
	"SELECT c FROM sbtest7 WHERE id BETWEEN 1001 AND 1100 ORDER BY c",
	NULL,
};
static const char *const pg_tpcb[] = {
	"BEGIN;",
	"UPDATE pgbench_accounts SET abalance = abalance + -4021 WHERE aid = 48213;",
	"SELECT abalance FROM pgbench_accounts WHERE aid = 48213;",
	"UPDATE pgbench_tellers SET tbalance = tbalance + -4021 WHERE tid = 7;",
	"UPDATE pgbench_branches SET bbalance = bbalance + -4021 WHERE bid = 1;",
	"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 48213, -4021, CURRENT_TIMESTAMP);",
	"END;",
	NULL,
};
static const char *const my_tpcb[] = {
	"BEGIN",
	"UPDATE sbtest1 SET k=k+1 WHERE id=5012",
	"UPDATE sbtest1 SET c='83868641912-28773972837' WHERE id=5013",
	"DELETE FROM sbtest1 WHERE id=5014",
	"INSERT INTO sbtest1 (id, k, c, pad) VALUES (5014, 4990, '5014', 'x')",
	"COMMIT",
	NULL,
};
static const char *const pg_bad[] = {
	"DROP TABLE orders",
	"DELETE FROM orders",
	"TRUNCATE orders, items CASCADE",
	"SELECT 1; DROP TABLE t",
	"DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$",
	"ALTER SYSTEM SET archive_command = '/bin/true'",
	NULL,
};
static const char *const my_bad[] = {
	"DROP TABLE orders",
	"DELETE FROM orders",
	"/*!50000 DROP DATABASE shop */",
	"SELECT 1; DROP TABLE t",
	"PREPARE s FROM 'DROP TABLE t'",
	"SET sql_log_bin = 0",
	NULL,
};

/* parse: skip the prefilter (PostgreSQL only), to show what it saves */
static void bench_classify(const char *name, enum sql_dialect d, const char *const *mix,
			   double secs, bool parse)
{
	struct sql_result r;
	size_t lens[16];
	int n = 0;
	long count = 0, destructive = 0;
	double t0 = now(), t;

	while (mix[n]) {
		lens[n] = strlen(mix[n]);
		n++;
	}
	do {
		for (int k = 0; k < 64; k++)
			for (int i = 0; i < n; i++) {
				if (parse) {
					sql_result_reset(&r);
					sql_pg_classify(mix[i], lens[i], 0, false, &r);
				} else {
					sql_classify(d, mix[i], lens[i], 0, &r);
				}
				destructive += r.destructive;
				count++;
			}
		t = now() - t0;
	} while (t < secs);
	printf("%-42s %10.0f stmts/s %8.0f ns/stmt  (%ld%% destructive)\n", name, count / t,
	       t * 1e9 / count, destructive * 100 / count);
}

struct sink {
	struct dbconn *c;
	struct sql_result r;
	struct bw_event e;
	long events;
};

static void on_msg(void *ctx, const struct db_msg *m)
{
	struct sink *s = ctx;

	event_reset(&s->e);
	if (!dbconn_event(s->c, m, &s->r, &s->e))
		s->events++;
}

/* One Query message per chunk through dbconn_feed and dbconn_event. */
static void bench_stream(const char *name, enum db_proto p, const char *const *mix, double secs)
{
	struct sink s = { .c = dbconn_new(p, DBCONN_MIDSTREAM) };
	uint8_t msgs[16][512];
	size_t lens[16];
	int n = 0;
	uint64_t off = 0;
	double t0 = now(), t;

	for (; mix[n]; n++) {
		size_t q = strlen(mix[n]);

		if (p == DB_PG) {
			uint32_t len = q + 5;

			msgs[n][0] = 'Q';
			msgs[n][1] = len >> 24, msgs[n][2] = len >> 16, msgs[n][3] = len >> 8;
			msgs[n][4] = len;
			memcpy(msgs[n] + 5, mix[n], q + 1);
			lens[n] = q + 6;
		} else {
			msgs[n][0] = (q + 1) & 0xff, msgs[n][1] = (q + 1) >> 8, msgs[n][2] = 0;
			msgs[n][3] = 0, msgs[n][4] = 0x03;
			memcpy(msgs[n] + 5, mix[n], q);
			lens[n] = q + 5;
		}
	}
	do {
		for (int k = 0; k < 64; k++)
			for (int i = 0; i < n; i++) {
				dbconn_feed(s.c, DB_C2S, off, msgs[i], lens[i], lens[i], on_msg, &s);
				off += lens[i];
			}
		t = now() - t0;
	} while (t < secs);
	printf("%-42s %10.0f stmts/s %8.0f ns/stmt\n", name, s.events / t, t * 1e9 / s.events);
	dbconn_free(s.c);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;

	if (secs <= 0)
		secs = 1.0;
	printf("== classifier (sql_classify), one core\n");
	bench_classify("pg   select-only (pgbench -S)", SQL_PG, pg_select, secs, false);
	bench_classify("pg   select-only, parsed (no prefilter)", SQL_PG, pg_select, secs, true);
	bench_classify("pg   tpcb-like (pgbench default)", SQL_PG, pg_tpcb, secs, false);
	bench_classify("pg   destructive mix", SQL_PG, pg_bad, secs, false);
	bench_classify("mysql select-only (sysbench point select)", SQL_MYSQL, my_select, secs, false);
	bench_classify("mysql read-write (sysbench oltp_write)", SQL_MYSQL, my_tpcb, secs, false);
	bench_classify("mysql destructive mix", SQL_MYSQL, my_bad, secs, false);
	printf("== chunk -> decoder -> classifier -> event (dbconn_feed + dbconn_event)\n");
	bench_stream("pg   select-only, one Query per chunk", DB_PG, pg_select, secs);
	bench_stream("pg   tpcb-like, one Query per chunk", DB_PG, pg_tpcb, secs);
	bench_stream("mysql select-only, one COM_QUERY per chunk", DB_MYSQL, my_select, secs);
	return 0;
}
