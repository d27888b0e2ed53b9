// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* SQL classifier: a table of statements with their expected kind, objects and verdict. */
#include <errno.h>
#include <string.h>
#include "sql/sql.h"
#include "unit.h"

struct want {
	enum sql_dialect d;
	const char *q;
	const char *kind;       /* db.stmt */
	const char *objects;    /* NULL: not checked */
	int has_where;          /* -1: not checked */
	bool destructive;
};

#define MY SQL_MYSQL
#define PG SQL_PG

static const struct want table[] = {
	/* ---- MySQL: the destructive kinds ---- */
	{ MY, "DROP TABLE t", "DROP TABLE", "t", -1, true },
	{ MY, "drop table if exists `db`.`t`, t2", "DROP TABLE", "db.t,t2", -1, true },
	{ MY, "dRoP tAbLe X", "DROP TABLE", "X", -1, true },
	{ MY, "DROP DATABASE shop", "DROP DATABASE", "shop", -1, true },
	{ MY, "DROP SCHEMA IF EXISTS shop", "DROP SCHEMA", "shop", -1, true },
	{ MY, "DROP USER 'bob'@'%', alice@localhost", "DROP USER", "bob@%,alice@localhost", -1, true },
	{ MY, "DROP ROLE r1", "DROP ROLE", "r1", -1, true },
	{ MY, "TRUNCATE TABLE shop.orders", "TRUNCATE", "shop.orders", -1, true },
	{ MY, "truncate orders", "TRUNCATE", "orders", -1, true },
	{ MY, "DELETE FROM orders", "DELETE", "orders", 0, true },
	{ MY, "DELETE FROM t WHERE id=1", "DELETE", "t", 1, false },
	{ MY, "DELETE LOW_PRIORITY QUICK FROM t LIMIT 100", "DELETE", "t", 1, false },
	{ MY, "DELETE t1, t2 FROM t1 JOIN t2 ON t1.id = t2.id", "DELETE", "t1,t2", 0, true },
	{ MY, "DELETE FROM t WHERE 1=1", "DELETE", "t", 1, true },
	{ MY, "DELETE FROM t WHERE TRUE", "DELETE", "t", 1, true },
	{ MY, "DELETE FROM t WHERE id IN (SELECT id FROM u)", "DELETE", "t", 1, false },
	{ MY, "UPDATE accounts SET balance = 0", "UPDATE", "accounts", 0, true },
	{ MY, "UPDATE t SET a=1 LIMIT 10", "UPDATE", "t", 1, false },
	{ MY, "UPDATE t SET a=1 WHERE id = ?", "UPDATE", "t", 1, false },
	{ MY, "UPDATE t1 JOIN t2 ON t1.a = t2.a SET t1.b = 1", "UPDATE", "t1,t2", 0, true },
	{ MY, "UPDATE t SET a = (SELECT max(x) FROM u WHERE u.id = 3)", "UPDATE", "t", 0, true },
	{ MY, "ALTER TABLE t DROP COLUMN c", "ALTER TABLE DROP", "t", -1, true },
	{ MY, "ALTER TABLE t DROP c, ADD d INT", "ALTER TABLE DROP", "t", -1, true },
	{ MY, "ALTER TABLE t DROP PARTITION p2020", "ALTER TABLE DROP", "t", -1, true },
	{ MY, "ALTER TABLE t DROP INDEX i", "ALTER TABLE", "t", -1, false },
	{ MY, "ALTER TABLE t DROP PRIMARY KEY, DROP FOREIGN KEY fk", "ALTER TABLE", "t", -1, false },
	{ MY, "ALTER TABLE t ADD COLUMN c INT", "ALTER TABLE", "t", -1, false },
	{ MY, "ALTER TABLE t ENGINE = BLACKHOLE", "ALTER TABLE DROP", "t", -1, true },
	{ MY, "ALTER TABLE t TRUNCATE PARTITION p1", "TRUNCATE", "t", -1, true },
	{ MY, "SET sql_log_bin=0", "SET sql_log_bin", "sql_log_bin", -1, true },
	{ MY, "SET SESSION sql_log_bin = OFF", "SET sql_log_bin", "sql_log_bin", -1, true },
	{ MY, "SET @@sql_log_bin=0", "SET sql_log_bin", "sql_log_bin", -1, true },
	{ MY, "SET @@session.sql_log_bin := 'OFF'", "SET sql_log_bin", "sql_log_bin", -1, true },
	{ MY, "set autocommit=1, sql_log_bin = 0", "SET sql_log_bin", "autocommit,sql_log_bin", -1, true },
	{ MY, "SET sql_log_bin = 1", "SET sql_log_bin", "sql_log_bin", -1, false },
	{ MY, "SET sql_log_bin = ON", "SET sql_log_bin", "sql_log_bin", -1, false },
	{ MY, "SET sql_log_bin = @saved", "SET sql_log_bin", "sql_log_bin", -1, true },
	{ MY, "SET @sql_log_bin = 0", "SET", "", -1, false },
	{ MY, "SET NAMES utf8mb4", "SET", "", -1, false },
	{ MY, "SET autocommit = 0", "SET", "autocommit", -1, false },
	{ MY, "SET STATEMENT sql_log_bin=0 FOR DELETE FROM t WHERE id = 3", "SET sql_log_bin", "sql_log_bin", -1, true },
	{ MY, "RESET MASTER", "RESET MASTER", "", -1, true },
	{ MY, "reset binary logs and gtids", "RESET MASTER", "", -1, true },
	{ MY, "RESET SLAVE", "OTHER", "", -1, false },
	{ MY, "PURGE BINARY LOGS TO 'mysql-bin.000010'", "PURGE BINARY LOGS", "", -1, true },
	{ MY, "PURGE MASTER LOGS BEFORE NOW()", "PURGE BINARY LOGS", "", -1, true },
	{ MY, "DROP TEMPORARY TABLE IF EXISTS tmp1", "DROP TEMPORARY TABLE", "tmp1", -1, false },
	{ MY, "DROP VIEW v", "DROP", "", -1, false },
	{ MY, "DROP INDEX i ON t", "DROP", "", -1, false },
	{ MY, "CREATE OR REPLACE TABLE t (id INT)", "DROP TABLE", "t", -1, true },
	{ MY, "CREATE OR REPLACE DATABASE shop", "DROP DATABASE", "shop", -1, true },
	/* ---- MySQL: hiding tricks ---- */
	{ MY, "SELECT 1; DROP TABLE t", "DROP TABLE", "t", -1, true },
	{ MY, "SELECT 1;DROP TABLE t;SELECT 2", "DROP TABLE", "t", -1, true },
	{ MY, "/*!50000 DROP TABLE t */", "DROP TABLE", "t", -1, true },
	{ MY, "/*!DROP*/ TABLE t", "DROP TABLE", "t", -1, true },
	{ MY, "/*!50000DROP TABLE t*/", "DROP TABLE", "t", -1, true },
	{ MY, "/*M!100100 DROP DATABASE d */", "DROP DATABASE", "d", -1, true },
	{ MY, "SELECT 1 /*!, 2 */; /*!40101 DROP */ TABLE t", "DROP TABLE", "t", -1, true },
	{ MY, "DROP /* hi */ TABLE /* there */ t", "DROP TABLE", "t", -1, true },
	{ MY, "/*+ MAX_EXECUTION_TIME(1) */ SELECT 1", "SELECT", NULL, -1, false },
	{ MY, "PREPARE s FROM 'DROP TABLE t'", "DROP TABLE", "t", -1, true },
	{ MY, "PREPARE s FROM \"TRUNCATE t\"", "TRUNCATE", "t", -1, true },
	{ MY, "PREPARE s FROM 'DROP TABLE \\'x\\''", "DROP TABLE", NULL, -1, true },
	{ MY, "PREPARE s FROM X'44524F50205441424C452074'", "DROP TABLE", "t", -1, true },
	{ MY, "PREPARE s FROM 0x44524F50205441424C452074", "DROP TABLE", "t", -1, true },
	{ MY, "EXECUTE IMMEDIATE 'DELETE FROM t'", "DELETE", "t", 0, true },
	{ MY, "PREPARE s FROM 'SELECT 1'", "OTHER", NULL, -1, false },
	{ MY, "EXPLAIN ANALYZE DELETE FROM t", "DELETE", "t", 0, true },
	{ MY, "EXPLAIN DELETE FROM t", "OTHER", NULL, -1, false },
	{ MY, "ANALYZE DELETE FROM t", "DELETE", "t", 0, true },
	{ MY, "ANALYZE TABLE t", "OTHER", NULL, -1, false },
	{ MY, "BEGIN NOT ATOMIC DROP TABLE t; END", "DROP TABLE", "t", -1, true },
	{ MY, "CREATE PROCEDURE p() BEGIN DELETE FROM t; END", "DELETE", "t", 0, true },
	{ MY, "CREATE DEFINER=`root`@`%` EVENT e ON SCHEDULE AT NOW() DO DROP DATABASE prod", "DROP DATABASE", "prod", -1, true },
	{ MY, "CREATE TRIGGER trg BEFORE DELETE ON t FOR EACH ROW SET NEW.a = 1", "SET", NULL, -1, false },
	{ MY, "CREATE PROCEDURE p() BEGIN IF x THEN TRUNCATE t; END IF; END", "TRUNCATE", "t", -1, true },
	{ MY, "WITH x AS (SELECT 1) DELETE FROM t", "DELETE", "t", 0, true },
	{ MY, "# DROP TABLE x\nSELECT 1", "SELECT", NULL, -1, false },
	{ MY, "-- DROP TABLE x\nSELECT 1", "SELECT", NULL, -1, false },
	{ MY, "--DROP TABLE x\nSELECT 1", "OTHER", NULL, -1, false }, /* "- -DROP": a syntax error */
	/* ---- MySQL: benign look-alikes ---- */
	{ MY, "SELECT 'DROP TABLE x'", "SELECT", NULL, -1, false },
	{ MY, "SELECT \"DROP TABLE x\"", "SELECT", NULL, -1, false },
	{ MY, "/* DROP TABLE x */ SELECT 1", "SELECT", NULL, -1, false },
	{ MY, "INSERT INTO drop_log VALUES (1)", "INSERT", NULL, -1, false },
	{ MY, "INSERT INTO t (a) VALUES ('; DROP TABLE t; --')", "INSERT", "t", -1, false },
	{ MY, "SELECT `drop`, `table` FROM `delete`", "SELECT", NULL, -1, false },
	{ MY, "SELECT 'it''s; DROP TABLE x'", "SELECT", NULL, -1, false },
	/* a backslash before a quote: one string with escapes, a DROP without
	 * (sql_mode NO_BACKSLASH_ESCAPES): reported */
	{ MY, "SELECT 'a\\'; DROP TABLE x; -- '", "DROP TABLE", "x", -1, true },
	{ MY, "SELECT * FROM t FOR UPDATE", "SELECT", NULL, -1, false },
	{ MY, "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1", "INSERT", "t", -1, false },
	{ MY, "USE shop", "USE", "shop", -1, false },
	{ MY, "GRANT DELETE, DROP ON shop.* TO bob", "OTHER", NULL, -1, false },
	{ MY, "SHOW CREATE TABLE t", "OTHER", NULL, -1, false },
	{ MY, "", "OTHER", "", -1, false },
	{ MY, "SELECT 1", "SELECT", NULL, -1, false },
	{ MY, "BEGIN", "OTHER", NULL, -1, false },
	/* ---- PostgreSQL ---- */
	{ PG, "DROP TABLE t", "DROP TABLE", "t", -1, true },
	{ PG, "DROP TABLE IF EXISTS public.t, \"Odd\" CASCADE", "DROP TABLE", "public.t,Odd", -1, true },
	{ PG, "drop table Foo", "DROP TABLE", "foo", -1, true },
	{ PG, "DROP DATABASE shop WITH (FORCE)", "DROP DATABASE", "shop", -1, true },
	{ PG, "DROP SCHEMA s CASCADE", "DROP SCHEMA", "s", -1, true },
	{ PG, "DROP USER bob", "DROP USER", "bob", -1, true },
	{ PG, "DROP ROLE IF EXISTS a, b", "DROP ROLE", "a,b", -1, true },
	{ PG, "DROP OWNED BY bob", "DROP OWNED", "bob", -1, true },
	{ PG, "TRUNCATE a, s.b RESTART IDENTITY", "TRUNCATE", "a,s.b", -1, true },
	{ PG, "DELETE FROM t", "DELETE", "t", 0, true },
	{ PG, "DELETE FROM t WHERE id = $1", "DELETE", "t", 1, false },
	{ PG, "DELETE FROM t WHERE 1 = 1", "DELETE", "t", 1, true },
	{ PG, "DELETE FROM t WHERE CURRENT OF c", "DELETE", "t", 1, false },
	{ PG, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 5", "UPDATE", "pgbench_accounts", 1, false },
	{ PG, "UPDATE s.t SET a = 1", "UPDATE", "s.t", 0, true },
	{ PG, "ALTER TABLE t DROP COLUMN c", "ALTER TABLE DROP", "t", -1, true },
	{ PG, "ALTER TABLE t DROP CONSTRAINT k", "ALTER TABLE", "t", -1, false },
	{ PG, "ALTER TABLE t ALTER COLUMN c DROP DEFAULT", "ALTER TABLE", "t", -1, false },
	{ PG, "ALTER SYSTEM SET archive_command = '/bin/true'", "ALTER SYSTEM", "archive_command", -1, true },
	{ PG, "ALTER SYSTEM SET archive_mode TO off", "ALTER SYSTEM", "archive_mode", -1, true },
	{ PG, "ALTER SYSTEM SET wal_level = minimal", "ALTER SYSTEM", "wal_level", -1, true },
	{ PG, "ALTER SYSTEM RESET archive_library", "ALTER SYSTEM", "archive_library", -1, true },
	{ PG, "ALTER SYSTEM RESET ALL", "ALTER SYSTEM", "all", -1, true },
	{ PG, "ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM", "work_mem", -1, false },
	{ PG, "SET archive_command = ''", "SET", "archive_command", -1, true },
	{ PG, "SET search_path TO app", "SET", "search_path", -1, false },
	{ PG, "RESET ALL", "SET", "all", -1, false },
	{ PG, "DROP VIEW v", "DROP", "v", -1, false },
	{ PG, "DROP TYPE mood CASCADE", "DROP", "mood", -1, true },
	/* ---- PostgreSQL: hiding tricks ---- */
	{ PG, "SELECT 1; DROP TABLE t", "DROP TABLE", "t", -1, true },
	{ PG, "/* a /* nested */ comment */ DROP TABLE t", "DROP TABLE", "t", -1, true },
	{ PG, "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", "DROP TABLE", "t", -1, true },
	{ PG, "DO $$ BEGIN DELETE FROM t; END $$", "DELETE", "t", 0, true },
	{ PG, "DO $x$ BEGIN IF true THEN EXECUTE format('DROP TABLE %I', 'a'); END IF; END $x$", "DROP TABLE", NULL, -1, true },
	{ PG, "DO LANGUAGE plpgsql 'BEGIN EXECUTE ''TRUNCATE t''; END'", "TRUNCATE", "t", -1, true },
	{ PG, "DO $$ garbage that is not plpgsql; DROP TABLE t; $$", "DROP TABLE", "t", -1, true },
	{ PG, "DO $$ BEGIN RAISE NOTICE 'hello'; END $$", "OTHER", NULL, -1, false },
	{ PG, "CREATE OR REPLACE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM t'", "DELETE", "t", 0, true },
	{ PG, "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END", "DELETE", "t", 0, true },
	{ PG, "CREATE FUNCTION f() RETURNS void AS $$ plpy.execute(\"DROP TABLE t\") $$ LANGUAGE plpython3u", "DROP TABLE", "t", -1, true },
	{ PG, "CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u", "DELETE", "u", 0, true },
	{ PG, "PREPARE p AS DELETE FROM t", "DELETE", "t", 0, true },
	{ PG, "EXPLAIN ANALYZE DELETE FROM t", "DELETE", "t", 0, true },
	{ PG, "EXPLAIN (ANALYZE false) DELETE FROM t", "OTHER", NULL, -1, false },
	{ PG, "EXPLAIN DELETE FROM t", "OTHER", NULL, -1, false },
	{ PG, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE", "t", 0, true },
	/* parse errors: the lexer takes over */
	{ PG, "DELETE FROM t WHERE id IN (1, 2, 3", "DELETE", "t", 1, false },
	{ PG, "DROP TABLE t; SELEC oops", "DROP TABLE", "t", -1, true },
	{ PG, "DROP TABLE", "DROP TABLE", "", -1, true },
	/* ---- PostgreSQL: benign look-alikes ---- */
	{ PG, "SELECT 'DROP TABLE x'", "SELECT", NULL, -1, false },
	{ PG, "SELECT $$DROP TABLE x$$", "SELECT", NULL, -1, false },
	/* standard_conforming_strings = off reads 'x\' , $$' as one string */
	{ PG, "SELECT 'x\\' , $$'; DROP TABLE t; --$$", "DROP TABLE", "t", -1, true },
	{ PG, "SELECT E'it\\'s', 'DROP TABLE x'", "SELECT", NULL, -1, false },
	{ PG, "-- DROP TABLE x\nSELECT 1", "SELECT", NULL, -1, false },
	{ PG, "--DROP TABLE x\nSELECT 1", "SELECT", NULL, -1, false },
	{ PG, "INSERT INTO drop_log VALUES (1)", "INSERT", NULL, -1, false },
	{ PG, "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1", "INSERT", "t", -1, false },
	{ PG, "SELECT * FROM t FOR UPDATE", "SELECT", NULL, -1, false },
	{ PG, "SELECT abalance FROM pgbench_accounts WHERE aid = $1", "SELECT", NULL, -1, false },
	{ PG, "BEGIN", "OTHER", NULL, -1, false },
	{ PG, "COMMENT ON TABLE t IS 'DROP TABLE t'", "OTHER", NULL, -1, false },
	{ PG, "DROP GROUP g", "DROP ROLE", "g", -1, true },
	/* ---- several statements: the worst one is reported ---- */
	{ MY, "DELETE FROM t WHERE id = 1; DELETE FROM u", "DELETE", "u", 0, true },
	{ MY, "DROP TABLE a; DROP DATABASE b; TRUNCATE c", "DROP DATABASE", "b", -1, true },
	{ PG, "UPDATE a SET x = 1 WHERE id = 2; SELECT 1", "UPDATE", "a", 1, false },
};

TEST(sql_table)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct want *w = &table[i];
		struct sql_result r;
		int rc = sql_classify(w->d, w->q, strlen(w->q), 0, &r);

		if (rc) {
			UNIT_FAIL("[%zu] %s: rc %d", i, w->q, rc);
			continue;
		}
		if (strcmp(sql_kind_name(r.kind), w->kind))
			UNIT_FAIL("[%zu] %s: kind \"%s\", want \"%s\"", i, w->q, sql_kind_name(r.kind), w->kind);
		if (w->objects && strcmp(r.objects, w->objects))
			UNIT_FAIL("[%zu] %s: objects \"%s\", want \"%s\"", i, w->q, r.objects, w->objects);
		if (w->has_where >= 0 && r.has_where != (w->has_where == 1))
			UNIT_FAIL("[%zu] %s: has_where %d, want %d", i, w->q, r.has_where, w->has_where);
		if (r.destructive != w->destructive)
			UNIT_FAIL("[%zu] %s: destructive %d, want %d", i, w->q, r.destructive, w->destructive);
	}
}

TEST(sql_flags)
{
	struct sql_result r;

	sql_classify(SQL_PG, "SELECT 1", 8, 0, &r);
	CHECK(r.flags & SQL_R_FAST);
	CHECK(!(r.flags & SQL_R_PARSED));
	sql_classify(SQL_PG, "DROP TABLE t; SELECT 2", 22, SQL_IN_TRUNC, &r);
	CHECK(r.flags & SQL_R_PARSED);
	CHECK(r.flags & SQL_R_TRUNC);
	CHECK_EQ(r.nstmts, 2);
	CHECK_EQ(r.kinds, (1u << SQL_DROP_TABLE) | (1u << SQL_SELECT));
	sql_classify(SQL_PG, "DROP TABLE t x y", 16, 0, &r);
	CHECK(r.flags & SQL_R_FALLBACK);
	CHECK_EQ(r.kind, SQL_DROP_TABLE);
	sql_classify(SQL_MYSQL, "PREPARE s FROM 'DELETE FROM t'", 30, 0, &r);
	CHECK(r.flags & SQL_R_DYNAMIC);
	sql_classify(SQL_MYSQL, "DELETE FROM t WHERE 1", 21, 0, &r);
	CHECK(r.flags & SQL_R_CONST_WHERE);
	CHECK(r.destructive);
	sql_classify(SQL_MYSQL, "USE `my db`; SELECT 1", 21, 0, &r);
	CHECK(r.flags & SQL_R_USE);
	CHECK_STREQ(r.use_db, "my db");
	{
		/* a DO body of 1100 literals: 1024 are classified, the rest noted */
		static char q[32768];
		size_t n = sprintf(q, "DO $$ BEGIN ");

		for (int i = 0; i < 1100; i++)
			n += sprintf(q + n, "PERFORM 'DELETE x'; ");
		sprintf(q + n, "EXECUTE 'DROP TABLE t'; END $$");
		sql_classify(SQL_PG, q, strlen(q), 0, &r);
		CHECK(r.flags & SQL_R_PARTIAL);
	}
	sql_classify(SQL_MYSQL, "DROP TABLE `a\0b`", 17, 0, &r);
	CHECK_STREQ(r.objects, "a?b"); /* event strings hold no NUL */
	CHECK_EQ(sql_classify(SQL_MYSQL, NULL, 3, 0, &r), -EINVAL);
	CHECK_EQ(sql_classify((enum sql_dialect)9, "x", 1, 0, &r), -EINVAL);
	CHECK_EQ(sql_classify(SQL_MYSQL, NULL, 0, 0, &r), 0);
}

int main(void)
{
	return unit_main();
}
