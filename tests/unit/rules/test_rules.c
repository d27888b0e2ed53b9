// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rule engine: parser, compiler, every operator, macros/lists/overrides,
 * thresholds, error messages, outputs and the alert JSON shape. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "rules/alert.h"
#include "core/json.h"
#include "rules/rules.h"
#include "rules/rules_int.h"

static char errbuf[8192];

/* Loads YAML text named "t.yaml"; errors (and warnings) land in errbuf. */
static struct rules *load2(const char *a, const char *b, int *nerr)
{
	struct rules_source src[2] = { { "t.yaml", a, strlen(a) }, { "local.yaml", b, b ? strlen(b) : 0 } };
	struct rules *rs = NULL;
	size_t len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	int rc = rules_load_sources(src, b ? 2 : 1, &rs, f);

	fclose(f);
	snprintf(errbuf, sizeof(errbuf), "%s", text ? text : "");
	free(text);
	if (nerr)
		*nerr = rc;
	return rs;
}

static struct rules *load(const char *a)
{
	int n;
	struct rules *rs = load2(a, NULL, &n);

	if (n)
		printf("     (load errors: %s)\n", errbuf);
	return rs;
}

/* Error text of loading a. */
static const char *errors_of(const char *a)
{
	int n;
	struct rules *rs = load2(a, NULL, &n);

	rules_free(rs);
	return errbuf;
}

/* ---- events ---- */

static void set_s(struct bw_event *e, enum bw_field f, const char *s)
{
	struct bw_str v = { s, (uint32_t)strlen(s) };

	memcpy((char *)e + bw_fields[f].offset, &v, sizeof(v));
	event_set_present(e, f);
	if (f == FLD_FD_NAME)
		event_split_path(e);
}

static void set_u(struct bw_event *e, enum bw_field f, uint64_t u)
{
	if (bw_fields[f].kind == BW_K_BOOL)
		*(bool *)((char *)e + bw_fields[f].offset) = u;
	else
		memcpy((char *)e + bw_fields[f].offset, &u, sizeof(u));
	event_set_present(e, f);
}

static struct bw_event mk(const char *type, const char *name, uint64_t session)
{
	struct bw_event e;

	event_reset(&e);
	set_s(&e, FLD_EVT_TYPE, type);
	e.type = event_type_from_name(type, strlen(type));
	set_u(&e, FLD_EVT_TIME, 1790000000000000000ull);
	set_u(&e, FLD_PROC_PID, 100);
	set_s(&e, FLD_PROC_NAME, name);
	set_u(&e, FLD_USER_LOGINUID, 1000);
	set_u(&e, FLD_SESSION_ID, session);
	return e;
}

static struct bw_event mkfile(const char *type, const char *name, uint64_t session, const char *path)
{
	struct bw_event e = mk(type, name, session);

	set_s(&e, FLD_FD_NAME, path);
	return e;
}

static char fired[1024];

static void on_fire(void *ctx, const struct rule *r, const struct bw_event *e)
{
	(void)ctx, (void)e;
	if (fired[0])
		strncat(fired, ",", sizeof(fired) - strlen(fired) - 1);
	strncat(fired, rule_name(r), sizeof(fired) - strlen(fired) - 1);
}

static const char *run(struct rules *rs, const struct bw_event *e)
{
	fired[0] = 0;
	if (rs)
		rules_eval(rs, e, on_fire, NULL);
	return fired;
}

/* A one-rule set with this condition; the rule is named "r". */
static struct rules *cond(const char *c)
{
	char y[2048];

	snprintf(y, sizeof(y), "- rule: r\n  condition: %s\n  output: o\n  priority: INFO\n", c);
	return load(y);
}

/* Does condition c hold for e? */
static int holds(const char *c, const struct bw_event *e)
{
	struct rules *rs = cond(c);
	int r;

	if (!rs)
		return -1;
	r = rule_matches(rs, rules_rule(rs, 0), e);
	rules_free(rs);
	return r;
}

/* ---- loading ---- */

TEST(rules_load_summary_and_accessors)
{
	struct rules_summary s;
	const char *const *tags;
	struct rules *rs = load(
		"- list: shells\n  items: [bash, sh]\n"
		"- macro: spawned\n  condition: evt.type = execve\n"
		"- rule: Shell\n  desc: a shell\n  condition: spawned and proc.name in (shells)\n"
		"  output: shell %proc.name\n  priority: warning\n  tags: [a, b]\n  action: kill_session\n"
		"- rule: Off\n  condition: spawned\n  output: o\n  priority: debug\n  enabled: false\n");

	CHECK(rs != NULL);
	if (!rs)
		return;
	rules_get_summary(rs, &s);
	CHECK_EQ(s.rules, 2);
	CHECK_EQ(s.enabled, 1);
	CHECK_EQ(s.macros, 1);
	CHECK_EQ(s.lists, 1);
	CHECK_EQ(rules_count(rs), 1);
	CHECK_STREQ(rule_name(rules_rule(rs, 0)), "Shell");
	CHECK_STREQ(rule_desc(rules_rule(rs, 0)), "a shell");
	CHECK_EQ(rule_priority(rules_rule(rs, 0)), PRI_WARNING);
	CHECK_EQ(rule_action(rules_rule(rs, 0)), RULE_KILL_SESSION);
	CHECK_EQ(rule_tags(rules_rule(rs, 0), &tags), 2);
	CHECK_STREQ(tags[1], "b");
	CHECK_STREQ(rule_source(rules_rule(rs, 0)), "syscall");
	CHECK(!rule_enabled(rules_find(rs, "Off")));
	CHECK(rules_find(rs, "nope") == NULL);
	CHECK_EQ(rules_type_mask(rs), 1ull << BW_EVT_EXECVE);
	rules_free(rs);
}

TEST(rules_priorities_and_actions_by_name)
{
	CHECK_EQ(rule_priority_from_name("EMERGENCY"), PRI_EMERGENCY);
	CHECK_EQ(rule_priority_from_name("info"), PRI_INFORMATIONAL);
	CHECK_EQ(rule_priority_from_name("Informational"), PRI_INFORMATIONAL);
	CHECK_EQ(rule_priority_from_name("debug"), PRI_DEBUG);
	CHECK_EQ(rule_priority_from_name("urgent"), -1);
	CHECK_STREQ(rule_priority_name(PRI_CRITICAL), "Critical");
	CHECK_STREQ(rule_priority_name(PRI_INFORMATIONAL), "Informational");
	CHECK_EQ(rule_action_from_name("kill_process"), RULE_KILL_PROCESS);
	CHECK_EQ(rule_action_from_name("kill"), -1);
	CHECK_STREQ(rule_action_name(RULE_KILL_SESSION), "kill_session");
}

TEST(rules_empty_file_and_comments_load)
{
	int n;
	struct rules *rs = load2("# nothing here\n", NULL, &n);

	CHECK_EQ(n, 0);
	CHECK(rs != NULL);
	CHECK_EQ(rules_count(rs), 0);
	rules_free(rs);
}

/* ---- operators ---- */

TEST(rules_string_operators)
{
	struct bw_event e = mkfile("unlinkat", "rm", 3, "/var/lib/postgresql/15/main/base/1/2");

	set_s(&e, FLD_PROC_CMDLINE, "rm -rf /var/lib/PostgreSQL");
	CHECK_EQ(holds("proc.name = rm", &e), 1);
	CHECK_EQ(holds("proc.name == rm", &e), 1);
	CHECK_EQ(holds("proc.name = 'rm'", &e), 1);
	CHECK_EQ(holds("proc.name = \"rm\"", &e), 1);
	CHECK_EQ(holds("proc.name = r", &e), 0);
	CHECK_EQ(holds("proc.name != rm", &e), 0);
	CHECK_EQ(holds("proc.name != mv", &e), 1);
	CHECK_EQ(holds("proc.cmdline contains -rf", &e), 1);
	CHECK_EQ(holds("proc.cmdline contains postgresql", &e), 0);
	CHECK_EQ(holds("proc.cmdline icontains POSTGRESQL", &e), 1);
	CHECK_EQ(holds("proc.cmdline icontains pOsTgReSqL", &e), 1);
	CHECK_EQ(holds("proc.cmdline icontains mysql", &e), 0);
	CHECK_EQ(holds("proc.cmdline startswith 'rm -'", &e), 1);
	CHECK_EQ(holds("proc.cmdline startswith rm-", &e), 0);
	CHECK_EQ(holds("proc.cmdline endswith PostgreSQL", &e), 1);
	CHECK_EQ(holds("proc.cmdline endswith postgresql", &e), 0);
	CHECK_EQ(holds("fd.name glob '/var/lib/postgresql/*/main/*'", &e), 1);
	CHECK_EQ(holds("fd.name glob '/var/lib/mysql/*'", &e), 0);
	CHECK_EQ(holds("fd.name glob '/var/lib/postgresql/1[0-9]/*'", &e), 1);
	CHECK_EQ(holds("fd.name glob '/var/lib/postgresql/1[!0-9]/*'", &e), 0);
	CHECK_EQ(holds("fd.name glob '/var/lib/postgresql/1?/main/base/1/2'", &e), 1);
	CHECK_EQ(holds("proc.name in (mv, rm, shred)", &e), 1);
	CHECK_EQ(holds("proc.name in (mv, shred)", &e), 0);
	CHECK_EQ(holds("proc.name in ()", &e), 0);
	CHECK_EQ(holds("fd.filename = 2", &e), 1);
	CHECK_EQ(holds("fd.directory = /var/lib/postgresql/15/main/base/1", &e), 1);
	/* in value position '=' needs no quotes */
	set_s(&e, FLD_PROC_CMDLINE, "dd if=/dev/zero of=/dev/sda bs=1M");
	CHECK_EQ(holds("proc.cmdline contains of=/dev/sd", &e), 1);
	CHECK_EQ(holds("proc.cmdline contains \"of=/dev/sd\"", &e), 1);
}

TEST(rules_numeric_and_bool_operators)
{
	struct bw_event e = mk("db_query", "postgres", 3);

	set_u(&e, FLD_EVT_RAWRES, (uint64_t)-13);
	set_u(&e, FLD_DB_HAS_WHERE, 0);
	CHECK_EQ(holds("proc.pid = 100", &e), 1);
	CHECK_EQ(holds("proc.pid != 100", &e), 0);
	CHECK_EQ(holds("proc.pid < 101", &e), 1);
	CHECK_EQ(holds("proc.pid < 100", &e), 0);
	CHECK_EQ(holds("proc.pid <= 100", &e), 1);
	CHECK_EQ(holds("proc.pid > 99", &e), 1);
	CHECK_EQ(holds("proc.pid > 100", &e), 0);
	CHECK_EQ(holds("proc.pid >= 100", &e), 1);
	CHECK_EQ(holds("proc.pid = 0x64", &e), 1);
	CHECK_EQ(holds("proc.pid = '100'", &e), 1);
	CHECK_EQ(holds("proc.pid in (1, 100, 5)", &e), 1);
	CHECK_EQ(holds("proc.pid in (1, 5)", &e), 0);
	CHECK_EQ(holds("evt.rawres < 0", &e), 1);
	CHECK_EQ(holds("evt.rawres = -13", &e), 1);
	CHECK_EQ(holds("evt.rawres > -14", &e), 1);
	CHECK_EQ(holds("evt.rawres in (-2, -13)", &e), 1);
	CHECK_EQ(holds("session.id != 4294967295", &e), 1);
	CHECK_EQ(holds("db.has_where = false", &e), 1);
	CHECK_EQ(holds("db.has_where = true", &e), 0);
	CHECK_EQ(holds("db.has_where != TRUE", &e), 1);
}

TEST(rules_logic_and_missing_fields)
{
	struct bw_event e = mk("execve", "bash", 3);

	CHECK_EQ(holds("proc.name = bash and proc.pid = 100", &e), 1);
	CHECK_EQ(holds("proc.name = bash and proc.pid = 1", &e), 0);
	CHECK_EQ(holds("proc.name = sh or proc.pid = 100", &e), 1);
	CHECK_EQ(holds("not proc.name = sh", &e), 1);
	CHECK_EQ(holds("not not proc.name = bash", &e), 1);
	CHECK_EQ(holds("proc.name = sh or proc.name = zsh or proc.name = bash", &e), 1);
	/* and binds tighter than or */
	CHECK_EQ(holds("proc.name = bash or proc.name = sh and proc.pid = 1", &e), 1);
	CHECK_EQ(holds("(proc.name = bash or proc.name = sh) and proc.pid = 1", &e), 0);
	CHECK_EQ(holds("((proc.name = bash))", &e), 1);
	/* a check on a field the event lacks is false, whatever the operator */
	CHECK_EQ(holds("fd.name = /x", &e), 0);
	CHECK_EQ(holds("fd.name != /x", &e), 0);
	CHECK_EQ(holds("not fd.name = /x", &e), 1);
	CHECK_EQ(holds("fd.name exists", &e), 0);
	CHECK_EQ(holds("proc.name exists", &e), 1);
	CHECK_EQ(holds("not fd.name exists", &e), 1);
	CHECK_EQ(holds("evt.arg > 0", &e), 0);
}

TEST(rules_evt_type_compares_names)
{
	struct bw_event e = mkfile("unlinkat", "rm", 3, "/x");

	CHECK_EQ(holds("evt.type = unlinkat", &e), 1);
	CHECK_EQ(holds("evt.type != unlinkat", &e), 0);
	CHECK_EQ(holds("evt.type in (unlink, unlinkat, rmdir)", &e), 1);
	CHECK_EQ(holds("evt.type in (execve)", &e), 0);
	CHECK_EQ(holds("evt.type startswith unlink", &e), 1);
}

TEST(rules_pmatch_is_a_path_prefix_match)
{
	struct bw_event e = mk("unlinkat", "rm", 3);
	static const char *const c = "fd.name pmatch (/a/b, /var/lib/postgresql/*/main/pg_wal, /srv/x/)";
	struct rules *rs = cond(c);
	static const struct { const char *p; int want; } cases[] = {
		{ "/a/b", 1 }, { "/a/b/", 1 }, { "/a/b/c/d", 1 }, { "/a/bc", 0 }, { "/a", 0 },
		{ "/a/c/b", 0 }, { "/var/lib/postgresql/15/main/pg_wal/000000010000000000000001", 1 },
		{ "/var/lib/postgresql/15/main/base/1", 0 }, { "/var/lib/postgresql/main/pg_wal", 0 },
		{ "/srv/x", 1 }, { "/srv/x/y", 1 }, { "/srv/xy", 0 },
		/* lexical normalisation: no escape through . .. or // */
		{ "/a//b/c", 1 }, { "/a/./b/c", 1 }, { "/tmp/../a/b/c", 1 }, { "/a/b/../c", 0 },
		{ "/var/lib/postgresql/15/main/./pg_wal/x", 1 }, { "a/b", 1 }, { "", 0 },
	};

	CHECK(rs != NULL);
	for (size_t i = 0; rs && i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_s(&e, FLD_FD_NAME, cases[i].p);
		if (rule_matches(rs, rules_rule(rs, 0), &e) != cases[i].want)
			UNIT_FAIL("pmatch %s: expected %d", cases[i].p, cases[i].want);
	}
	rules_free(rs);
	set_s(&e, FLD_FD_NAME, "/anything");
	CHECK_EQ(holds("fd.name pmatch (/)", &e), 1);
}

TEST(rules_glob_matcher)
{
#define G(p, s) rules_glob_match(p, strlen(p), s, strlen(s))
	CHECK(G("*", ""));
	CHECK(G("*", "abc/def"));
	CHECK(G("a*c", "abc"));
	CHECK(G("a*c", "ac"));
	CHECK(!G("a*c", "ab"));
	CHECK(G("*.log", "/var/log/syslog.log"));
	CHECK(G("*bin.[0-9]*", "mysql-bin.000001"));
	CHECK(!G("*bin.[0-9]*", "mysql-bin.index"));
	CHECK(G("a\\*b", "a*b"));
	CHECK(!G("a\\*b", "axb"));
	CHECK(G("[]]", "]"));
	CHECK(G("[a-c]x", "bx"));
	CHECK(!G("[!a-c]x", "bx"));
	CHECK(G("a[b", "a[b"));  /* unterminated class: literal */
	CHECK(G("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaab"));
	CHECK(!G("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaa"));
#undef G
}

/* ---- macros, lists, overrides ---- */

TEST(rules_macros_and_nested_lists)
{
	struct rules *rs = load(
		"- list: pg\n  items: [postgres, postmaster]\n"
		"- list: my\n  items: [mysqld, mariadbd]\n"
		"- list: db_procs\n  items: [pg, my, 'pg_ctl']\n"
		"- macro: db\n  condition: proc.name in (db_procs)\n"
		"- macro: del\n  condition: evt.type in (unlink, unlinkat)\n"
		"- macro: db_del\n  condition: del and db\n"
		"- rule: r\n  condition: db_del and not proc.name = pg_ctl\n  output: o\n  priority: INFO\n");
	struct bw_event e = mkfile("unlinkat", "mariadbd", 3, "/x");

	CHECK(rs != NULL);
	CHECK_STREQ(run(rs, &e), "r");
	e = mkfile("unlinkat", "pg_ctl", 3, "/x");
	CHECK_STREQ(run(rs, &e), "");
	e = mkfile("unlinkat", "rm", 3, "/x");
	CHECK_STREQ(run(rs, &e), "");
	e = mk("execve", "postgres", 3);
	CHECK_STREQ(run(rs, &e), "");
	rules_free(rs);
}

static const char base_yaml[] =
	"- list: dirs\n  items: [/data]\n"
	"- macro: del\n  condition: evt.type = unlinkat\n"
	"- rule: Delete\n  desc: one\n  condition: del and fd.name pmatch (dirs)\n"
	"  output: deleted %fd.name\n  priority: WARNING\n  tags: [a]\n";

TEST(rules_override_append_and_replace)
{
	int n;
	struct rules *rs = load2(base_yaml,
		"- list: dirs\n  items: [/srv]\n  override:\n    items: append\n"
		"- rule: Delete\n  condition: and not proc.name = backup\n  output: by %proc.name\n"
		"  priority: critical\n  tags: [b]\n  desc: two\n"
		"  override: {condition: append, output: append, priority: replace, tags: append, desc: replace}\n",
		&n);
	struct bw_event e = mkfile("unlinkat", "rm", 3, "/srv/a");
	const char *const *tags;
	const struct rule *r;

	CHECK_EQ(n, 0);
	if (!rs) {
		printf("     %s\n", errbuf);
		return;
	}
	r = rules_find(rs, "Delete");
	CHECK_STREQ(run(rs, &e), "Delete");
	e = mkfile("unlinkat", "rm", 3, "/data/a");
	CHECK_STREQ(run(rs, &e), "Delete");
	e = mkfile("unlinkat", "backup", 3, "/data/a");
	CHECK_STREQ(run(rs, &e), "");
	CHECK_STREQ(rule_output_format(r), "deleted %fd.name by %proc.name");
	CHECK_EQ(rule_priority(r), PRI_CRITICAL);
	CHECK_STREQ(rule_desc(r), "two");
	CHECK_EQ(rule_tags(r, &tags), 2);
	rules_free(rs);

	/* replace */
	rs = load2(base_yaml,
		   "- list: dirs\n  items: [/srv]\n  override: {items: replace}\n"
		   "- macro: del\n  condition: evt.type = rmdir\n  override: {condition: replace}\n", &n);
	CHECK_EQ(n, 0);
	e = mkfile("unlinkat", "rm", 3, "/srv/a");
	CHECK_STREQ(run(rs, &e), "");
	e = mkfile("rmdir", "rm", 3, "/srv/a");
	CHECK_STREQ(run(rs, &e), "Delete");
	e = mkfile("rmdir", "rm", 3, "/data/a");
	CHECK_STREQ(run(rs, &e), "");
	rules_free(rs);
}

TEST(rules_legacy_append_and_enable_switch)
{
	int n;
	struct rules *rs = load2(base_yaml,
		"- list: dirs\n  items: [/srv]\n  append: true\n"
		"- macro: del\n  condition: or evt.type = rmdir\n  append: true\n"
		"- rule: Delete\n  condition: and proc.name != ok\n  append: true\n", &n);
	struct bw_event e = mkfile("rmdir", "rm", 3, "/srv/a");

	CHECK_EQ(n, 0);
	CHECK_STREQ(run(rs, &e), "Delete");
	e = mkfile("rmdir", "ok", 3, "/srv/a");
	CHECK_STREQ(run(rs, &e), "");
	rules_free(rs);

	rs = load2(base_yaml, "- rule: Delete\n  enabled: false\n", &n);
	CHECK_EQ(n, 0);
	CHECK_EQ(rules_count(rs), 0);
	e = mkfile("unlinkat", "rm", 3, "/data/a");
	CHECK_STREQ(run(rs, &e), "");
	rules_free(rs);
}

/* ---- sources and the index ---- */

TEST(rules_source_is_inferred_and_indexes_types)
{
	struct rules *rs = load(
		"- rule: Drop\n  condition: db.stmt = 'DROP TABLE'\n  output: o\n  priority: CRITICAL\n"
		"- rule: Exec\n  condition: evt.type = execve and proc.name = x\n  output: o\n  priority: INFO\n"
		"- rule: NotExec\n  condition: evt.type != execve and proc.name = x\n  output: o\n  priority: INFO\n");
	struct bw_event e = mk("db_query", "postgres", 3);
	uint64_t m, f;

	CHECK(rs != NULL);
	if (!rs)
		return;
	CHECK_STREQ(rule_source(rules_find(rs, "Drop")), "database");
	CHECK_STREQ(rule_source(rules_find(rs, "Exec")), "syscall");
	set_s(&e, FLD_DB_STMT, "DROP TABLE");
	CHECK_STREQ(run(rs, &e), "Drop");
	/* a rule is only tried for the evt.type values it can match */
	e = mk("unlinkat", "x", 3);
	CHECK_STREQ(run(rs, &e), "NotExec");
	rule_counters(rules_find(rs, "Exec"), &m, &f);
	CHECK_EQ(m, 0);
	CHECK_EQ(f, 0);
	rule_counters(rules_find(rs, "NotExec"), &m, &f);
	CHECK_EQ(m, 1);
	CHECK_EQ(f, 1);
	/* database rules never see syscall events, and the other way round */
	CHECK_EQ(rules_type_mask(rs) & RULES_DB_TYPES, RULES_DB_TYPES);
	rules_free(rs);
}

/* ---- thresholds ---- */

static const char mass_yaml[] =
	"- rule: Mass\n  condition: evt.type = unlinkat\n  output: o\n  priority: CRITICAL\n"
	"  threshold: {count: 3, window: 10s, by: session.id}\n";

static struct bw_event at(uint64_t session, uint64_t pid, double sec)
{
	struct bw_event e = mkfile("unlinkat", "rm", session, "/x");

	set_u(&e, FLD_PROC_PID, pid);
	set_u(&e, FLD_EVT_TIME, 1790000000000000000ull + (uint64_t)(sec * 1e9));
	return e;
}

TEST(rules_threshold_sliding_window)
{
	struct rules *rs = load(mass_yaml);
	struct bw_event e;
	uint32_t c;
	uint64_t w;
	int by;

	CHECK(rs != NULL);
	if (!rs)
		return;
	CHECK(rule_threshold(rules_rule(rs, 0), &c, &w, &by));
	CHECK_EQ(c, 3);
	CHECK_EQ(w, 10000000000ull);
	CHECK_EQ(by, FLD_SESSION_ID);
	e = at(5, 1, 0);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 1);
	CHECK_STREQ(run(rs, &e), "");
	/* 0, 1 and 10.5 are not within one 10 s window; 1, 10.5, 10.9 are */
	e = at(5, 1, 10.5);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 10.9);
	CHECK_STREQ(run(rs, &e), "Mass");
	/* quiet for one window after firing: nothing counted before 20.9 */
	e = at(5, 1, 11);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 12);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 20.8);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 21);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 21.1);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 21.2);
	CHECK_STREQ(run(rs, &e), "Mass");
	rules_free(rs);
}

TEST(rules_threshold_groups_by_session_and_never_by_no_session)
{
	struct rules *rs = load(mass_yaml);
	struct bw_event e;

	CHECK(rs != NULL);
	if (!rs)
		return;
	/* two sessions interleaved: each needs its own three */
	for (int i = 0; i < 2; i++) {
		e = at(5, 1, i);
		CHECK_STREQ(run(rs, &e), "");
		e = at(6, 2, i);
		CHECK_STREQ(run(rs, &e), "");
	}
	e = at(6, 9, 2);  /* another process, same session: counts for the session */
	CHECK_STREQ(run(rs, &e), "Mass");
	/* session 4294967295 is every daemon on the host: grouped by proc.pid */
	for (int pid = 10; pid < 20; pid++) {
		e = at(BW_NO_SESSION, (uint64_t)pid, 3);
		CHECK_STREQ(run(rs, &e), "");
	}
	e = at(BW_NO_SESSION, 10, 3.1);
	CHECK_STREQ(run(rs, &e), "");
	e = at(BW_NO_SESSION, 10, 3.2);
	CHECK_STREQ(run(rs, &e), "Mass");
	/* pid fallback keys do not collide with a session of the same number */
	e = at(10, 77, 3.3);
	CHECK_STREQ(run(rs, &e), "");
	rules_reset_state(rs);
	e = at(6, 9, 4);
	CHECK_STREQ(run(rs, &e), "");
	rules_free(rs);
}

TEST(rules_threshold_lru_bounds_groups)
{
	struct rules *rs = load(
		"- rule: M\n  condition: evt.type = unlinkat\n  output: o\n  priority: INFO\n"
		"  threshold: {count: 2, window: 1m, by: proc.name, max_groups: 2}\n");
	struct bw_event a = mkfile("unlinkat", "a", 1, "/x"), b = mkfile("unlinkat", "b", 1, "/x"),
			c = mkfile("unlinkat", "c", 1, "/x");

	CHECK(rs != NULL);
	if (!rs)
		return;
	CHECK_STREQ(run(rs, &a), "");
	CHECK_STREQ(run(rs, &b), "");
	CHECK_STREQ(run(rs, &c), "");    /* evicts a, the least recently active */
	CHECK_STREQ(run(rs, &a), "");    /* a starts over */
	CHECK_STREQ(run(rs, &a), "M");
	CHECK_STREQ(run(rs, &c), "M");   /* c survived: b was evicted by a */
	CHECK_STREQ(run(rs, &b), "");
	rules_free(rs);
}

TEST(rules_threshold_count_one_is_a_rate_limit)
{
	struct rules *rs = load(
		"- rule: M\n  condition: evt.type = unlinkat\n  output: o\n  priority: INFO\n"
		"  threshold: {count: 1, window: 500ms}\n");
	struct bw_event e;

	CHECK(rs != NULL);
	if (!rs)
		return;
	e = at(5, 1, 0);
	CHECK_STREQ(run(rs, &e), "M");
	e = at(5, 1, 0.4);
	CHECK_STREQ(run(rs, &e), "");
	e = at(5, 1, 0.5);
	CHECK_STREQ(run(rs, &e), "M");
	rules_free(rs);
}

/* ---- error messages ---- */

#define RULE_HDR "- rule: r\n  desc: d\n"
#define RULE_TAIL "  output: o\n  priority: INFO\n"

TEST(rules_error_unknown_field_with_hint_plain_scalar)
{
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve and proc.nmae = bash\n" RULE_TAIL),
		    "t.yaml:3:36: unknown field 'proc.nmae'; did you mean 'proc.name'?\n");
}

TEST(rules_error_columns_in_block_and_quoted_scalars)
{
	CHECK_STREQ(errors_of(RULE_HDR "  condition: >\n    evt.type = execve\n    and proc.pid contains 1\n"
				 RULE_TAIL),
		    "t.yaml:5:18: operator 'contains' needs a string field, but 'proc.pid' is a number\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: |\n    evt.type = unlinkat and\n      fd.name > 3\n"
				 RULE_TAIL),
		    "t.yaml:5:15: operator '>' needs a numeric field, but 'fd.name' is a string\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: \"evt.type = execve and fd.name > 3\"\n" RULE_TAIL),
		    "t.yaml:3:45: operator '>' needs a numeric field, but 'fd.name' is a string\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: 'proc.name = ''x'' and prc.pid = 1'\n" RULE_TAIL),
		    "t.yaml:3:37: unknown field 'prc.pid'; did you mean 'proc.pid'?\n");
	/* a plain scalar folded over two lines */
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n    and proc.name = bash and nope\n"
				 RULE_TAIL),
		    "t.yaml:4:30: undefined macro 'nope'\n");
}

TEST(rules_error_syntax)
{
	CHECK_STREQ(errors_of(RULE_HDR "  condition: (proc.name = a\n" RULE_TAIL),
		    "t.yaml:3:14: '(' is never closed; expected ')'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name = a)\n" RULE_TAIL),
		    "t.yaml:3:27: unexpected ')' with no matching '('\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name = a proc.pid = 1\n" RULE_TAIL),
		    "t.yaml:3:28: unexpected 'proc.pid' after a complete condition; missing 'and' or 'or'?\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name = a and\n" RULE_TAIL),
		    "t.yaml:3:31: condition ends too early; expected a field, macro, 'not' or '('\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name bash\n" RULE_TAIL),
		    "t.yaml:3:24: expected an operator after 'proc.name' (=, !=, <, <=, >, >=, in, "
		    "intersects, contains, icontains, startswith, endswith, glob, iglob, pmatch, regex, "
		    "bcontains, bstartswith, bendswith, exists), got 'bash'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name =\n" RULE_TAIL),
		    "t.yaml:3:25: expected a value after '=', got the end\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name in (a, b\n" RULE_TAIL),
		    "t.yaml:3:27: '(' is never closed; expected ')'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name = \"abc\n" RULE_TAIL),
		    "t.yaml:3:26: unterminated string\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve and proc.name regex 'a(.*'\n"
			      RULE_TAIL),
		    "t.yaml:3:52: bad regular expression 'a(.*': Unmatched ( or \\( (regex takes POSIX "
		    "extended syntax, matched against the whole value)\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.pid = abc\n" RULE_TAIL),
		    "t.yaml:3:25: 'proc.pid' needs a non-negative integer, not 'abc'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = unlnkat\n" RULE_TAIL),
		    "t.yaml:3:25: unknown event type 'unlnkat'; did you mean 'unlinkat'?\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: fd.name pmatch (relative/path)\n" RULE_TAIL),
		    "t.yaml:3:30: pmatch needs absolute paths; 'relative/path' is not one\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.pid = 1 and ! proc.name = a\n" RULE_TAIL),
		    "t.yaml:3:31: unexpected '!'; use 'not' to negate\n");
}

TEST(rules_error_macros_and_lists)
{
	CHECK_STREQ(errors_of("- macro: spawned_shell\n  condition: evt.type = execve\n"
			      RULE_HDR "  condition: spawned_shel\n" RULE_TAIL),
		    "t.yaml:5:14: undefined macro 'spawned_shel'; did you mean 'spawned_shell'?\n");
	CHECK_STREQ(errors_of("- macro: a\n  condition: b\n- macro: b\n  condition: evt.type = execve and a\n"),
		    "t.yaml:4:36: macro 'a' refers to itself\n");
	/* an error inside a macro is reported once, where the macro is */
	CHECK_STREQ(errors_of("- macro: m\n  condition: proc.pid contains 1\n"
			      RULE_HDR "  condition: m\n" RULE_TAIL
			      "- rule: r2\n  condition: m\n" RULE_TAIL),
		    "t.yaml:2:23: operator 'contains' needs a string field, but 'proc.pid' is a number\n");
	/* a list item that is wrong for the field points at the list item */
	CHECK_STREQ(errors_of("- list: pids\n  items: [1, two]\n"
			      RULE_HDR "  condition: proc.pid in (pids)\n" RULE_TAIL),
		    "t.yaml:2:14: 'proc.pid' needs a non-negative integer, not 'two'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: proc.name in nolist\n" RULE_TAIL),
		    "t.yaml:3:27: 'in' needs a list in parentheses, e.g. (a, b), or a list name; "
		    "'nolist' is not a defined list\n");
	CHECK_STREQ(errors_of("- list: a\n  items: [b]\n- list: b\n  items: [a]\n"
			      RULE_HDR "  condition: proc.name in (a)\n" RULE_TAIL),
		    "t.yaml:7:28: list 'a' includes itself\n");
}

TEST(rules_error_literal_close_to_a_list_is_a_warning)
{
	int n;
	struct rules *rs = load2("- list: db_procs\n  items: [postgres]\n"
				 RULE_HDR "  condition: evt.type = execve and proc.name in (db_proc)\n"
				 RULE_TAIL, NULL, &n);

	CHECK_EQ(n, 0);
	CHECK(rs != NULL);
	CHECK_STREQ(errbuf, "t.yaml:5:50: warning: 'db_proc' is not a defined list, so it is matched "
			    "as a literal value; did you mean list 'db_procs'?\n");
	rules_free(rs);
}

TEST(rules_error_entries_and_keys)
{
	CHECK_STREQ(errors_of("- rule: r\n  condition: evt.type = execve\n"),
		    "t.yaml:1:3: rule 'r' has no 'output'\n"
		    "t.yaml:1:3: rule 'r' has no 'priority'\n");
	CHECK_STREQ(errors_of("- rule: r\n  output: o\n  priority: INFO\n"),
		    "t.yaml:1:3: rule 'r' has no 'condition'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL
			      RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL),
		    "t.yaml:6:3: rule 'r' is already defined at t.yaml:1; add 'override:' "
		    "(e.g. {condition: append}) to change it, or give the new rule another name\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n  output: o\n  priority: urgent\n"),
		    "t.yaml:5:13: unknown priority 'urgent' in rule 'r'; use EMERGENCY, ALERT, CRITICAL, "
		    "ERROR, WARNING, NOTICE, INFORMATIONAL or DEBUG\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL "  action: kil_session\n"),
		    "t.yaml:6:11: unknown action 'kil_session' in rule 'r'; did you mean 'kill_session'? "
		    "(use alert, kill_process or kill_session)\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL "  enable: false\n"),
		    "t.yaml:6:3: unknown key 'enable' in rule 'r'; did you mean 'enabled'?\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL "  enabled: maybe\n"),
		    "t.yaml:6:12: 'enabled' must be true or false, not 'maybe'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n  output: '%proc.nam ran'\n"
			      "  priority: INFO\n"),
		    "t.yaml:4:12: unknown field '%proc.nam' in output; did you mean '%proc.name'?\n");
	CHECK_STREQ(errors_of("- rule: x\n  condition: evt.type = execve\n  override: {condition: append}\n"),
		    "t.yaml:1:3: cannot override rule 'x': no earlier file defines it\n");
	CHECK_STREQ(errors_of("- list: l\n  items: [a]\n- list: l\n  items: [b]\n"),
		    "t.yaml:3:3: list 'l' is already defined at t.yaml:1; add 'override: {items: append}' "
		    "or 'override: {items: replace}' to change it\n");
	/* lists and macros share their definition checks */
	CHECK_STREQ(errors_of("- macro: m\n  condition: evt.type = execve\n- macro: m\n  condition: x\n"),
		    "t.yaml:3:3: macro 'm' is already defined at t.yaml:1; add 'override: {condition: "
		    "append}' or 'override: {condition: replace}' to change it\n");
	CHECK_STREQ(errors_of("- macro: m\n  condition: x\n  override: {condition: append}\n"),
		    "t.yaml:1:3: cannot override macro 'm': no earlier file defines it\n");
	CHECK_STREQ(errors_of("- list: l\n  items: [a]\n- list: l\n  append: true\n"),
		    "t.yaml:3:3: list 'l' has 'append: true' but no 'items'\n");
	CHECK_STREQ(errors_of("- list: l\n"), "t.yaml:1:3: list 'l' has no 'items'\n");
	CHECK_STREQ(errors_of("- macro: m\n"), "t.yaml:1:3: macro 'm' has no 'condition'\n");
	CHECK_STREQ(errors_of("- macro: m\n  condition: evt.type = execve\n"
			      "- macro: m\n  condition: x\n  override: {condition: append}\n  append: true\n"),
		    "t.yaml:6:11: use either 'override' or 'append: true', not both\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL
			      "- rule: r\n  condition: and proc.pid = 1\n  priority: ERROR\n"
			      "  override: {condition: append}\n"),
		    "t.yaml:8:3: 'priority' in an override entry must also be listed under 'override' "
		    "(as append or replace)\n");
	CHECK_STREQ(errors_of("- rule: r\n  exceptions: [{name: x}]\n  condition: evt.type = execve\n"
			      RULE_TAIL),
		    "t.yaml:2:16: exception 'x' of rule 'r' has no 'fields' (only an exception defined "
		    "earlier can be given values alone)\n");
	CHECK_STREQ(errors_of("- rules: r\n"), "t.yaml:1:3: entry has no 'rule', 'macro' or 'list' key\n");
	CHECK_STREQ(errors_of("rule: x\n"), "t.yaml:1:1: a rule file must be a list of '- rule:', "
		    "'- macro:' and '- list:' entries, not a mapping\n");
	CHECK_STREQ(errors_of("- rule: r\n  condition: [a\n"),
		    "t.yaml:3:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence\n");
}

TEST(rules_error_thresholds)
{
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL
			      "  threshold: {count: 0, window: 10s}\n"),
		    "t.yaml:6:22: threshold 'count' must be an integer from 1 to 65536, not '0'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL
			      "  threshold: {count: 5, window: 10 seconds}\n"),
		    "t.yaml:6:33: threshold 'window' must be a duration such as 10s, 500ms, 5m or 1h, "
		    "not '10 seconds'\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL
			      "  threshold: {count: 5, window: 10s, by: session.di}\n"),
		    "t.yaml:6:42: unknown field 'session.di' in threshold 'by'; did you mean 'session.id'?\n");
	CHECK_STREQ(errors_of(RULE_HDR "  condition: evt.type = execve\n" RULE_TAIL
			      "  threshold: {count: 5}\n"),
		    "t.yaml:6:14: 'threshold' needs both 'count' and 'window'\n");
}

TEST(rules_errors_are_sorted_and_counted)
{
	int n;
	struct rules *rs = load2(RULE_HDR "  condition: proc.nme = a\n" RULE_TAIL
				 "- rule: s\n  condition: evt.type = execve\n  output: o\n  priority: bad\n",
				 "- rule: q\n  condition: x.y = 1\n" RULE_TAIL, &n);

	CHECK(rs == NULL);
	CHECK_EQ(n, 3);
	CHECK_STREQ(errbuf,
		    "t.yaml:3:14: unknown field 'proc.nme'; did you mean 'proc.name'?\n"
		    "t.yaml:9:13: unknown priority 'bad' in rule 's'; use EMERGENCY, ALERT, CRITICAL, ERROR, "
		    "WARNING, NOTICE, INFORMATIONAL or DEBUG\n"
		    "local.yaml:2:14: unknown field 'x.y'; 'bulwark rules fields' lists them\n");
}

TEST(rules_error_positions_of_appended_conditions)
{
	int n;
	struct rules *rs = load2(base_yaml, "- rule: Delete\n  condition: and proc.nam = x\n"
				 "  override: {condition: append}\n", &n);

	CHECK(rs == NULL);
	CHECK_STREQ(errbuf, "local.yaml:2:18: unknown field 'proc.nam'; did you mean 'proc.name'?\n");
}

/* Falco drops such a rule silently; bulwark loads it disabled and says why. */
TEST(rules_skip_if_unknown_filter_loads_disabled)
{
	int n;
	struct rules *rs = load2("- rule: r\n  condition: evt.type = execve and no.such_field = x\n"
				 RULE_TAIL "  skip-if-unknown-filter: true\n"
				 "- rule: s\n  condition: evt.type = execve\n" RULE_TAIL, NULL, &n);

	CHECK_EQ(n, 0);
	CHECK_EQ(rules_nrules(rs), 2);
	CHECK(!rule_enabled(rules_find(rs, "r")));
	CHECK(strstr(rule_why_disabled(rules_find(rs, "r")), "no.such_field") != NULL);
	CHECK(rule_enabled(rules_find(rs, "s")));
	rules_free(rs);
}

TEST(rules_warning_for_rules_without_evt_type)
{
	int n;
	struct rules *rs = load2(RULE_HDR "  condition: proc.name = rm\n" RULE_TAIL, NULL, &n);

	CHECK_EQ(n, 0);
	CHECK_STREQ(errbuf, "t.yaml:1:3: warning: rule 'r' has no evt.type condition, so it is evaluated "
			    "for every event; add one (e.g. evt.type in (unlinkat, execve)) to keep it cheap\n");
	rules_free(rs);
}

TEST(rules_error_missing_file_and_empty_dir)
{
	const char *p[] = { "/nonexistent/rules.yaml" };
	struct rules *rs;
	char *text = NULL, dir[] = "/tmp/bw-rules-XXXXXX";
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = rules_load(p, 1, &rs, f);

	CHECK_EQ(rc, 1);
	CHECK(mkdtemp(dir) != NULL);
	p[0] = dir;
	rc = rules_load(p, 1, &rs, f);
	CHECK_EQ(rc, 1);
	fclose(f);
	{
		char want[512];
		snprintf(want, sizeof(want), "/nonexistent/rules.yaml: cannot read rule file: No such file "
			 "or directory\n%s: no *.yaml rule files in this directory\n", dir);
		CHECK_STREQ(text, want);
	}
	rmdir(dir);
	free(text);
}

TEST(rules_directory_loads_in_name_order)
{
	char dir[] = "/tmp/bw-rules-XXXXXX", p1[300], p2[300];
	const char *paths[1] = { dir };
	struct rules *rs = NULL;
	FILE *f;
	int rc;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p1, sizeof(p1), "%s/10-base.yaml", dir);
	snprintf(p2, sizeof(p2), "%s/20-local.yaml", dir);
	/* written in the "wrong" order: 20 overrides 10 only if 10 loads first */
	f = fopen(p2, "w");
	fputs("- list: l\n  items: [b]\n  override: {items: append}\n", f);
	fclose(f);
	f = fopen(p1, "w");
	fputs("- list: l\n  items: [a]\n"
	      "- rule: r\n  condition: evt.type = execve and proc.name in (l)\n" RULE_TAIL, f);
	fclose(f);
	rc = rules_load(paths, 1, &rs, stderr);
	CHECK_EQ(rc, 0);
	if (rs) {
		struct bw_event e = mk("execve", "b", 1);
		CHECK_STREQ(run(rs, &e), "r");
	}
	rules_free(rs);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
}

/* ---- outputs and alerts ---- */

TEST(rules_output_formatting)
{
	struct rules *rs = load("- rule: r\n  condition: evt.type = unlinkat\n"
				"  output: \"%proc.name deleted %fd.name. %{fd.filename}! 100%% by %user.loginname, "
				"at %evt.time res=%evt.rawres pid=%proc.pid%\"\n  priority: INFO\n");
	struct bw_event e = mkfile("unlinkat", "rm", 3, "/data/f");
	struct jbuf b = { 0 };

	CHECK(rs != NULL);
	if (!rs)
		return;
	set_u(&e, FLD_EVT_RAWRES, (uint64_t)-2);
	alert_format_output(&b, rules_rule(rs, 0), &e);
	CHECK_STREQ(b.p, "rm deleted /data/f. f! 100% by <NA>, at 2026-09-21T14:13:20.000000000Z "
			 "res=-2 pid=100%");
	jbuf_free(&b);
	rules_free(rs);
}

static int count_kv(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	(void)k, (void)kl, (void)v;
	++*(int *)ctx;
	return 0;
}

TEST(rules_alert_json_shape)
{
	struct rules *rs = load("- rule: Data deleted\n  condition: evt.type = unlinkat\n"
				"  output: \"deleted %fd.name by \\\"%proc.name\\\" (%proc.cmdline)\"\n"
				"  priority: critical\n  tags: [database, T1485]\n  action: kill_session\n");
	struct bw_event e = mkfile("unlinkat", "rm", 3, "/var/lib/postgresql/15/main/base/1/\xff");
	struct jbuf b = { 0 };
	char scratch[4096], err[128];
	int rc, keys = 0;

	CHECK(rs != NULL);
	if (!rs)
		return;
	set_u(&e, FLD_EVT_TIME, 1790000000123456789ull);
	set_s(&e, FLD_PROC_CMDLINE, "rm -rf \"x\"");
	alert_to_json(&b, rules_rule(rs, 0), &e, "db1", "{\"killed\":3}");
	CHECK_STREQ(b.p,
		    "{\"time\":\"2026-09-21T14:13:20.123456789Z\",\"rule\":\"Data deleted\","
		    "\"priority\":\"Critical\",\"output\":\"deleted /var/lib/postgresql/15/main/base/1/\\udcff "
		    "by \\\"rm\\\" (rm -rf \\\"x\\\") [action=kill_session killed=3]\",\"output_fields\":{\"evt.time\":1790000000123456789,"
		    "\"evt.type\":\"unlinkat\",\"proc.pid\":100,\"proc.name\":\"rm\",\"proc.cmdline\":"
		    "\"rm -rf \\\"x\\\"\",\"user.loginuid\":1000,\"session.id\":3,\"fd.name\":"
		    "\"/var/lib/postgresql/15/main/base/1/\\udcff\",\"bulwark.action\":\"kill_session\","
		    "\"bulwark.killed\":3},\"source\":\"syscall\",\"hostname\":\"db1\","
		    "\"tags\":[\"database\",\"T1485\"],\"action\":\"kill_session\",\"action_result\":{\"killed\":3}}");
	/* valid JSON that our own reader accepts */
	rc = json_parse_object(b.p, b.len, scratch, count_kv, &keys, err, sizeof(err));
	CHECK_EQ(rc, 0);
	jbuf_reset(&b);
	alert_to_json(&b, rules_rule(rs, 0), &e, NULL, NULL);
	CHECK(strstr(b.p, "\"hostname\":\"\"") != NULL);
	CHECK(strstr(b.p, "\"action_result\":null}") != NULL);
	jbuf_free(&b);
	rules_free(rs);
}

/* The kill outcome also rides in output_fields and output: routers drop action_result. */
TEST(rules_alert_outcome_in_fields)
{
	struct rules *rs = load("- rule: k\n  condition: evt.type = unlinkat\n  output: \"x\"\n"
				"  priority: critical\n  action: kill_session\n"
				"- rule: a\n  condition: evt.type = unlinkat\n  output: \"y\"\n"
				"  priority: critical\n");
	struct bw_event e = mkfile("unlinkat", "rm", 3, "/x");
	struct jbuf b = { 0 };

	CHECK(rs != NULL);
	if (!rs)
		return;
	alert_to_json(&b, rules_rule(rs, 0), &e, "h",
		      "{\"after_event_us\":1,\"status\":\"killed\",\"target\":\"session\","
		      "\"session.id\":3,\"killed\":4,\"pids\":[1,2]}");
	CHECK(strstr(b.p, "\"output\":\"x [action=kill_session status=killed killed=4]\"") != NULL);
	CHECK(strstr(b.p, "\"bulwark.action\":\"kill_session\",\"bulwark.status\":\"killed\","
			  "\"bulwark.killed\":4},") != NULL);
	jbuf_reset(&b);
	alert_to_json(&b, rules_rule(rs, 0), &e, "h",
		      "{\"after_event_us\":1,\"status\":\"dry_run\",\"target\":\"process\","
		      "\"proc.pid\":5,\"would_kill\":1}");
	CHECK(strstr(b.p, "x [action=kill_session status=dry_run would_kill=1]") != NULL);
	CHECK(strstr(b.p, "\"bulwark.status\":\"dry_run\",\"bulwark.would_kill\":1}") != NULL);
	/* alert rules are left as they were */
	jbuf_reset(&b);
	alert_to_json(&b, rules_rule(rs, 1), &e, "h", NULL);
	CHECK(strstr(b.p, "\"output\":\"y\"") != NULL);
	CHECK(strstr(b.p, "bulwark.") == NULL);
	jbuf_free(&b);
	rules_free(rs);
}

TEST(rules_alert_json_parses)
{
	struct rules *rs = load("- rule: r\n  condition: evt.type = unlinkat\n  output: \"%fd.name\"\n"
				"  priority: INFO\n");
	struct bw_event e = mkfile("unlinkat", "rm", 3, "/x\n\"\\");
	struct jbuf b = { 0 };
	char scratch[4096], err[128];
	int keys = 0;

	CHECK(rs != NULL);
	if (!rs)
		return;
	alert_to_json(&b, rules_rule(rs, 0), &e, "h", NULL);
	CHECK_EQ(json_parse_object(b.p, b.len, scratch, count_kv, &keys, err, sizeof(err)), 0);
	CHECK_EQ(keys, 10);
	jbuf_free(&b);
	rules_free(rs);
}

/* ---- the shipped rules ---- */

TEST(rules_default_rules_load_cleanly)
{
	const char *p[] = { "rules/" };
	struct rules *rs = NULL;
	struct rules_summary s;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = rules_load(p, 1, &rs, f);

	fclose(f);
	CHECK_EQ(rc, 0);
	CHECK_STREQ(text ? text : "", "");
	rules_get_summary(rs, &s);
	CHECK(s.enabled >= 10);
	/* no shipped rule runs on every event */
	for (int i = 0; rs && i < rules_nrules(rs); i++) {
		const struct rule *r = rules_rule(rs, i);
		if (r->types == (RULES_ALL_TYPES & ~RULES_DB_TYPES))
			UNIT_FAIL("%s runs on every event type", rule_name(r));
	}
	rules_free(rs);
	free(text);
}

/* Counting allocator: the test binary's malloc family wraps glibc's, so any
 * allocation made while counting is on, by us or by libc, is seen. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t a, size_t b);
extern void *__libc_realloc(void *p, size_t n);
static volatile int counting_allocs, nallocs; /* volatile: GCC assumes malloc touches no globals */

void *malloc(size_t n)
{
	nallocs += counting_allocs;
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	nallocs += counting_allocs;
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	nallocs += counting_allocs;
	return __libc_realloc(p, n);
}

TEST(rules_eval_does_not_allocate)
{
	struct rules *rs = load(
		"- list: l\n  items: [a, b, c]\n"
		"- rule: r\n  condition: evt.type = unlinkat and (proc.name in (l) or fd.name pmatch (/x/y) or "
		"fd.name glob '*z*' or proc.cmdline icontains ABC or proc.pid in (1, 2))\n"
		"  output: o\n  priority: INFO\n  threshold: {count: 3, window: 1h, max_groups: 64}\n");
	const char *p[] = { "rules/" };
	struct rules *def = NULL;
	struct bw_event e = mkfile("unlinkat", "a", 3, "/x/y/../../x/y/z"), d;

	CHECK(rs != NULL);
	CHECK_EQ(rules_load(p, 1, &def, NULL), 0);
	if (!rs || !def)
		return;
	counting_allocs = 1;   /* the counter works (volatile: no elision) */
	{
		void *volatile q = malloc(16);
		free(q);
	}
	counting_allocs = 0;
	CHECK_EQ(nallocs, 1);
	nallocs = 0;
	counting_allocs = 1;
	for (int i = 0; i < 100000; i++) {
		/* new groups, evictions, firings */
		set_u(&e, FLD_SESSION_ID, (uint64_t)(i % 5000));
		set_u(&e, FLD_EVT_TIME, 1790000000000000000ull + (uint64_t)i);
		rules_eval(rs, &e, NULL, NULL);
		d = mkfile(i & 1 ? "unlinkat" : "rename", "rm", (uint64_t)(i % 7), "/var/lib/postgresql/15/main/base/1");
		set_s(&d, FLD_FD_NEWNAME, "/tmp/x");
		set_s(&d, FLD_PROC_CMDLINE, "rm -rf --no-preserve-root /");
		rules_eval(def, &d, NULL, NULL);
		d = mk("execve", "rm", 5);
		set_s(&d, FLD_PROC_CMDLINE, "rm -rf --no-preserve-root /");
		rules_eval(def, &d, NULL, NULL);
	}
	counting_allocs = 0;
	CHECK_EQ(nallocs, 0);
	rules_free(rs);
	rules_free(def);
}

int main(void)
{
	return unit_main();
}
