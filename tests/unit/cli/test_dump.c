// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark dump: filters, --text timeline and process tree, hostile bytes, time parsing, exit codes. */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "journal/journal.h"
#include "core/json.h"

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* 2026-11-24T19:20:00Z */
#define T0 1795548000000000000ull
#define SEC 1000000000ull

/* ---- a recorded incident ---- */

static char jdir[64];
static char *lines[64];     /* JSON of each record, in append order */
static int nlines;

struct evspec {
	enum bw_evt type;
	uint64_t t, sess, pid, ppid, loginuid;
	const char *login, *cmd, *path, *newpath, *query;
	int64_t res;
};

static void add(struct journal *j, struct evspec s)
{
	struct bw_event e;
	struct jbuf b = { 0 };
	enum bw_field fl[16];
	int nf = 0;

	event_reset(&e);
	e.type = s.type;
	e.type_name = (struct bw_str){ event_type_name(s.type), (uint32_t)strlen(event_type_name(s.type)) };
	e.time_ns = s.t;
	e.pid = s.pid;
	e.ppid = s.ppid;
	e.sessionid = s.sess;
	e.loginuid = s.loginuid;
	e.res = s.res;
	fl[nf++] = FLD_EVT_TIME, fl[nf++] = FLD_EVT_TYPE, fl[nf++] = FLD_EVT_RAWRES, fl[nf++] = FLD_PROC_PID;
	fl[nf++] = FLD_PROC_PPID, fl[nf++] = FLD_SESSION_ID, fl[nf++] = FLD_USER_LOGINUID;
	if (s.login)
		e.login_name = (struct bw_str){ s.login, (uint32_t)strlen(s.login) }, fl[nf++] = FLD_USER_LOGINNAME;
	if (s.cmd)
		e.cmdline = (struct bw_str){ s.cmd, (uint32_t)strlen(s.cmd) }, fl[nf++] = FLD_PROC_CMDLINE;
	if (s.path)
		e.path = (struct bw_str){ s.path, (uint32_t)strlen(s.path) }, fl[nf++] = FLD_FD_NAME;
	if (s.newpath)
		e.newpath = (struct bw_str){ s.newpath, (uint32_t)strlen(s.newpath) }, fl[nf++] = FLD_FD_NEWNAME;
	if (s.query) {
		e.db_query = (struct bw_str){ s.query, (uint32_t)strlen(s.query) }, fl[nf++] = FLD_DB_QUERY;
		e.db_user = BW_STR("app"), fl[nf++] = FLD_DB_USER;
		e.db_name = BW_STR("appdb"), fl[nf++] = FLD_DB_NAME;
	}
	for (int i = 0; i < nf; i++)
		event_set_present(&e, fl[i]);
	event_to_json(&b, &e);
	journal_append(j, JREC_EVENT, &e, b.p, b.len);
	lines[nlines++] = strndup(b.p, b.len);
	jbuf_free(&b);
}

static const char alert_json[] =
	"{\"time\":\"2026-11-24T19:20:03.000000000Z\",\"rule\":\"Mass deletion\",\"priority\":\"Critical\","
	"\"output\":\"alice deleted 3 files under /var/lib/postgresql\",\"output_fields\":{\"user.loginname\":"
	"\"alice\",\"proc.pid\":101,\"session.id\":7},\"source\":\"syscall\",\"hostname\":\"db1\",\"tags\":[],"
	"\"action\":\"kill_session\",\"action_result\":{\"killed\":2}}";

#define HOSTILE "/tmp/\x1b[31mred\n\xff\xe2\x80\xae" "evil"

static void make_incident(void)
{
	struct journal_opts o = { .block_bytes = 512 }; /* many blocks, so the index is used */
	struct journal *j;
	struct bw_event ae;
	char err[256];

	snprintf(jdir, sizeof(jdir), "/tmp/bw-dump-test-XXXXXX");
	mkdtemp(jdir);
	o.dir = jdir;
	if (journal_open(&o, &j, err, sizeof(err))) {
		printf("     open: %s\n", err);
		return;
	}
	/* session 7: alice's shell starts rm, which starts shred */
	add(j, (struct evspec){ BW_EVT_EXECVE, T0, 7, 100, 99, 1001, "alice", "-bash", 0, 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_FORK, T0 + 1 * SEC, 7, 101, 100, 1001, "alice", "-bash", 0, 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_EXECVE, T0 + 1 * SEC + 100000000, 7, 101, 100, 1001, "alice",
				"rm -rf /var/lib/postgresql/15/main", 0, 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_UNLINKAT, T0 + 2 * SEC, 7, 101, 100, 1001, "alice", "rm -rf",
				"/var/lib/postgresql/15/main/PG_VERSION", 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_FORK, T0 + 2 * SEC + 400000000, 7, 102, 101, 1001, "alice", "rm", 0, 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_EXECVE, T0 + 2 * SEC + 500000000, 7, 102, 101, 1001, "alice",
				"shred -u /var/lib/postgresql/15/main/global/pg_control", 0, 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_UNLINKAT, T0 + 3 * SEC, 7, 101, 100, 1001, "alice", "rm -rf", HOSTILE, 0, 0,
				-13 });
	event_reset(&ae);
	ae.type = BW_EVT_UNLINKAT;
	ae.time_ns = T0 + 3 * SEC + 1;
	ae.sessionid = 7;
	ae.pid = 101;
	ae.ppid = 100;
	event_set_present(&ae, FLD_SESSION_ID);
	journal_append(j, JREC_ALERT, &ae, alert_json, sizeof(alert_json) - 1);
	lines[nlines++] = strdup(alert_json);
	add(j, (struct evspec){ BW_EVT_RENAME, T0 + 3 * SEC + 500000000, 7, 101, 100, 1001, "alice", "rm",
				"/srv/a", "/srv/b", 0, 0 });
	add(j, (struct evspec){ BW_EVT_EXIT, T0 + 4 * SEC, 7, 102, 101, 1001, "alice", "shred", 0, 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_EXIT, T0 + 5 * SEC, 7, 101, 100, 1001, "alice", "rm", 0, 0, 0, 0 });
	/* session 8: bob, and a database statement */
	add(j, (struct evspec){ BW_EVT_EXECVE, T0 + 6 * SEC, 8, 200, 199, 1002, "bob", "psql -h db1 appdb", 0, 0, 0, 0 });
	add(j, (struct evspec){ BW_EVT_DB_QUERY, T0 + 10 * SEC, 8, 300, 1, 1002, "bob", "postgres: app appdb", 0, 0,
				"DROP TABLE accounts", 0 });
	/* no session: a daemon */
	add(j, (struct evspec){ BW_EVT_UNLINK, T0 + 60 * SEC, BW_NO_SESSION, 400, 1, 4294967295u, 0, "logrotate",
				"/var/log/old.log", 0, 0, 0 });
	journal_close(j);
}

/* ---- running dump ---- */

static char *out_s, *err_s;
static size_t out_n, err_n;

static int dump(const char *first, ...)
{
	char *argv[32] = { "dump", "--journal", jdir };
	int argc = 3, rc;
	va_list ap;
	FILE *o, *e;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	free(out_s), free(err_s);
	o = open_memstream(&out_s, &out_n);
	e = open_memstream(&err_s, &err_n);
	rc = journal_dump_main(argc, argv, o, e);
	fclose(o);
	fclose(e);
	return rc;
}

/*
 * dump() with file descriptor 2 caught too: getopt writes its own
 * "unrecognized option" line to stderr, not to the stream dump was given.
 */
static int dump_fd2(const char *first, const char *second)
{
	char path[] = "/tmp/bw-dump-fd2-XXXXXX", *all = NULL, got[4096];
	int fd = mkstemp(path), saved = dup(2), rc;
	ssize_t n;
	size_t len = 0;
	FILE *m;

	fflush(stderr);
	dup2(fd, 2);
	rc = dump(first, second, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	m = open_memstream(&all, &len);
	fprintf(m, "%s%s", got, err_s ? err_s : "");
	fclose(m);
	free(err_s);
	err_s = all;
	return rc;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* Whether the dump printed record i (by its exact JSON line). */
static bool printed(int i)
{
	size_t l = strlen(lines[i]);
	char *want = malloc(l + 3);
	bool r;

	if (!want)
		return false;
	want[0] = '\n';
	memcpy(want + 1, lines[i], l);
	want[l + 1] = '\n';
	want[l + 2] = 0;
	r = !strncmp(out_s, want + 1, l + 1) || strstr(out_s, want);
	free(want);
	return r;
}

/* ---- tests ---- */

TEST(dump_prints_every_record_exactly_in_order)
{
	size_t off = 0;
	bool same = true;

	CHECK_EQ(dump(NULL), 0);
	CHECK_EQ(count_lines(out_s), nlines);
	for (int i = 0; i < nlines && same; i++) {
		size_t l = strlen(lines[i]);

		same = out_n >= off + l + 1 && !memcmp(out_s + off, lines[i], l) && out_s[off + l] == '\n';
		off += l + 1;
	}
	CHECK(same);
	CHECK(strstr(err_s, "dump: 14 records (of 14 read in 1 segments)"));
}

TEST(dump_session_filter)
{
	CHECK_EQ(dump("--session", "7", NULL), 0);
	CHECK_EQ(count_lines(out_s), 11);
	CHECK(printed(0) && printed(7) && printed(10));
	CHECK(!printed(11) && !printed(13));
	CHECK_EQ(dump("--session", "8", NULL), 0);
	CHECK_EQ(count_lines(out_s), 2);
	CHECK_EQ(dump("--session", "9", NULL), 0);
	CHECK_EQ(count_lines(out_s), 0);
}

TEST(dump_pid_filter_follows_descendants)
{
	CHECK_EQ(dump("--pid", "101", NULL), 0);
	/* 101: fork, exec, 2 unlinkat, alert, rename, exit; child 102: fork, exec, exit */
	CHECK_EQ(count_lines(out_s), 10);
	CHECK(!printed(0));           /* the parent shell */
	CHECK(printed(4) && printed(5) && printed(9));
	CHECK(printed(7));            /* the alert raised on 101 */
	CHECK_EQ(dump("--pid", "102", NULL), 0);
	CHECK_EQ(count_lines(out_s), 3);
}

TEST(dump_since_until)
{
	CHECK_EQ(dump("--since", "2026-11-24T19:20:02Z", "--until", "2026-11-24T19:20:04Z", NULL), 0);
	/* unlinkat@2, fork@2.4, exec@2.5, unlinkat@3, alert, rename@3.5, exit@4 */
	CHECK_EQ(count_lines(out_s), 7);
	CHECK(printed(3) && printed(9) && !printed(2) && !printed(10));
	CHECK_EQ(dump("--since", "2026-11-24T20:20:05.5+01:00", NULL), 0);
	CHECK_EQ(count_lines(out_s), 3);
	CHECK_EQ(dump("--until", "@1795548000", NULL), 0);
	CHECK_EQ(count_lines(out_s), 1);
	/* Relative: the records are in the past, 1 day covers none of them in 2020s clocks
	 * only if now is far; use a window that surely holds them all. */
	CHECK_EQ(dump("--since", "3650d", NULL), 0);
	CHECK_EQ(count_lines(out_s), 14);
}

TEST(dump_type_and_alerts)
{
	CHECK_EQ(dump("--type", "execve,exit", NULL), 0);
	CHECK_EQ(count_lines(out_s), 6);
	CHECK_EQ(dump("--type", "rename", "--type", "db_query", NULL), 0);
	CHECK_EQ(count_lines(out_s), 2);
	CHECK_EQ(dump("--alerts", NULL), 0);
	CHECK_EQ(count_lines(out_s), 1);
	CHECK(printed(7));
	CHECK_EQ(dump("--alerts", "--session", "8", NULL), 0);
	CHECK_EQ(count_lines(out_s), 0);
	CHECK_EQ(dump("--type", "unlinkat", "--session", "7", NULL), 0);
	CHECK_EQ(count_lines(out_s), 3); /* 2 events + the alert raised on an unlinkat */
}

TEST(dump_text_timeline_escapes_hostile_bytes)
{
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_EQ(dump("--text", NULL), 0);
	CHECK(strstr(out_s, "TIME                          SESSION    USER         PID      EVENT      DETAIL\n"));
	CHECK(strstr(out_s, "2026-11-24T19:20:01.100+00:00 7          alice        101      execve     "
			    "rm -rf /var/lib/postgresql/15/main\n"));
	/* The hostile path is spelled out; no raw control, invalid or bidi byte reaches the terminal. */
	CHECK(strstr(out_s, "/tmp/\\x1b[31mred\\n\\xff\\u{202e}evil  [res=-13]\n"));
	CHECK(!strchr(out_s, '\x1b'));
	CHECK(!strchr(out_s, '\xff'));
	CHECK(!strstr(out_s, "\xe2\x80\xae"));
	CHECK(strstr(out_s, "unlinkat   /var/lib/postgresql/15/main/PG_VERSION\n"));
	CHECK(strstr(out_s, "rename     /srv/a -> /srv/b\n"));
	CHECK(strstr(out_s, "2026-11-24T19:20:03.000+00:00 7          alice        101      ALERT      "
			    "[Critical] Mass deletion: alice deleted 3 files under /var/lib/postgresql  "
			    "action=kill_session result={\"killed\":2}\n"));
	CHECK(strstr(out_s, "db_query   app@appdb: DROP TABLE accounts\n"));
	CHECK(strstr(out_s, "2026-11-24T19:21:00.000+00:00 -          -            400      unlink     /var/log/old.log\n"));
	CHECK(strstr(out_s, "exit       shred  (exit 0)\n"));
	/* Every timeline row has its columns at the same places. */
	{
		int bad = 0;

		for (char *l = out_s; l && *l; l = strchr(l, '\n') + 1) {
			if (strncmp(l, "2026", 4))
				continue;
			/* session at 30, user at 41, pid at 54, event at 63, detail at 74 */
			bad += l[29] != ' ' || l[30] == ' ' || l[40] != ' ' || l[41] == ' ' || l[53] != ' ' ||
			       l[54] == ' ' || l[62] != ' ' || l[63] == ' ' || l[73] != ' ' || l[74] == ' ';
		}
		CHECK_EQ(bad, 0);
	}
}

TEST(dump_text_session_has_process_tree)
{
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_EQ(dump("--session", "7", "--text", NULL), 0);
	CHECK(strstr(out_s, "# session 7: 2026-11-24T19:20:00.000+00:00 -> 2026-11-24T19:20:05.000+00:00, "
			    "10 events, 3 processes\n"));
	CHECK(strstr(out_s, "PID      PPID     START                         EXIT                          COMMAND\n"));
	CHECK(strstr(out_s, "100      99       2026-11-24T19:20:00.000+00:00 -                             -bash\n"));
	CHECK(strstr(out_s, "101      100      2026-11-24T19:20:01.000+00:00 2026-11-24T19:20:05.000+00:00 "
			    "  \\_ rm -rf /var/lib/postgresql/15/main\n"));
	CHECK(strstr(out_s, "102      101      2026-11-24T19:20:02.400+00:00 2026-11-24T19:20:04.000+00:00 "
			    "    \\_ shred -u /var/lib/postgresql/15/main/global/pg_control\n"));
	/* The tree comes first, then the timeline of the session. */
	CHECK(strstr(out_s, "# process tree") < strstr(out_s, "TIME "));
	CHECK_EQ(count_lines(strstr(out_s, "TIME ")), 12);
	CHECK(!strstr(out_s, "bob"));
	/* --pid gives that subtree. */
	CHECK_EQ(dump("--pid", "101", "--text", NULL), 0);
	CHECK(strstr(out_s, "# pid 101 and the processes it started"));
	CHECK(strstr(out_s, "101      100      2026-11-24T19:20:01.000+00:00 2026-11-24T19:20:05.000+00:00 "
			    "rm -rf /var/lib/postgresql/15/main\n"));
	CHECK(!strstr(out_s, "-bash\n"));
}

TEST(dump_damaged_block_warns_and_exits_0)
{
	char **names;
	size_t n;
	char path[512];
	FILE *f;
	int c;

	CHECK_EQ(journal_list_segments(jdir, &names, &n), 0);
	snprintf(path, sizeof(path), "%s/%s", jdir, names[0]);
	journal_free_names(names, n);
	/* Smash the CRC of the first block's payload (byte 128 + 64 + 3) on a copy. */
	f = fopen(path, "r+b");
	fseek(f, 128 + 64 + 3, SEEK_SET);
	c = fgetc(f);
	fseek(f, 128 + 64 + 3, SEEK_SET);
	fputc(c ^ 0xff, f);
	fclose(f);
	CHECK_EQ(dump(NULL), 0);
	CHECK(count_lines(out_s) > 0 && count_lines(out_s) < 14);
	CHECK(strstr(err_s, "dump: warning: "));
	CHECK(strstr(err_s, ": byte 128: block checksum mismatch"));
	CHECK(strstr(err_s, "1 damaged block skipped (first at seg-"));
	CHECK(strstr(err_s, ".bwj:128)"));
	/* Put it back for the other tests. */
	f = fopen(path, "r+b");
	fseek(f, 128 + 64 + 3, SEEK_SET);
	fputc(c, f);
	fclose(f);
}

TEST(dump_errors_and_exit_codes)
{
	char *argv[8] = { "dump", "--journal", "/nonexistent/bulwark-journal" };
	char empty[] = "/tmp/bw-dump-empty-XXXXXX";
	FILE *o, *e;
	int rc;

	free(out_s), free(err_s);
	o = open_memstream(&out_s, &out_n);
	e = open_memstream(&err_s, &err_n);
	rc = journal_dump_main(3, argv, o, e);
	fclose(o), fclose(e);
	CHECK_EQ(rc, 1);
	CHECK(strstr(err_s, "journal directory /nonexistent/bulwark-journal does not exist; pass --journal DIR"));

	mkdtemp(empty);
	argv[2] = empty;
	free(out_s), free(err_s);
	o = open_memstream(&out_s, &out_n);
	e = open_memstream(&err_s, &err_n);
	rc = journal_dump_main(3, argv, o, e);
	fclose(o), fclose(e);
	CHECK_EQ(rc, 1);
	CHECK(strstr(err_s, "no journal segments (seg-*.bwj) in /tmp/bw-dump-empty-"));
	rmdir(empty);

	CHECK_EQ(dump_fd2("--bogus", NULL), 2);
	CHECK(strstr(err_s, "dump: unrecognized option '--bogus'"));
	CHECK(strstr(err_s, "Try `dump --help'"));
	CHECK_EQ(dump("--since", "yesterday", NULL), 2);
	CHECK(strstr(err_s, "--since: cannot read the time 'yesterday'"));
	CHECK_EQ(dump("--type", "unlinkt", NULL), 2);
	CHECK(strstr(err_s, "unknown --type 'unlinkt'; known: execve, fork"));
	CHECK_EQ(dump("--session", "x7", NULL), 2);
	CHECK_EQ(dump_fd2("--pid", NULL), 2);
	CHECK(strstr(err_s, "option '--pid' requires an argument"));
	CHECK_EQ(dump("--since", "1h", "--until", "2h", NULL), 2);
	CHECK_EQ(dump("--help", NULL), 0);
	CHECK(strstr(out_s, "USAGE: bulwark dump"));
	CHECK(strstr(out_s, "EXAMPLES:"));
	CHECK_EQ(dump("-s", "7", "-a", NULL), 0);
	CHECK_EQ(count_lines(out_s), 1);
	CHECK_EQ(dump("--sess", "7", "--al", NULL), 0);
	CHECK_EQ(count_lines(out_s), 1);
	CHECK_EQ(dump("--session=7", "--alerts", NULL), 0);
	CHECK_EQ(count_lines(out_s), 1);
}

TEST(dump_parse_time)
{
	uint64_t t, now = T0 + 3600 * SEC;
	char err[256];

	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_EQ(journal_parse_time("2026-11-24T19:20:00Z", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0);
	CHECK_EQ(journal_parse_time("2026-11-24t19:20:00.25z", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0 + 250000000);
	CHECK_EQ(journal_parse_time("2026-11-24T19:20:00.123456789Z", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0 + 123456789);
	CHECK_EQ(journal_parse_time("2026-11-24T21:20:00+02:00", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0);
	CHECK_EQ(journal_parse_time("2026-11-24T14:20:00-0500", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0);
	CHECK_EQ(journal_parse_time("2026-11-24 19:20:00", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0); /* local = UTC here */
	CHECK_EQ(journal_parse_time("2026-11-24 19:20", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0);
	CHECK_EQ(journal_parse_time("2026-11-24", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0 - (19 * 3600 + 20 * 60) * SEC);
	CHECK_EQ(journal_parse_time("10m", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, now - 600 * SEC);
	CHECK_EQ(journal_parse_time("1h30m", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, now - 5400 * SEC);
	CHECK_EQ(journal_parse_time("2d", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, now - 2 * 86400 * SEC);
	CHECK_EQ(journal_parse_time("30s", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, now - 30 * SEC);
	CHECK_EQ(journal_parse_time("now", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, now);
	CHECK_EQ(journal_parse_time("@1795548000.5", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0 + 500000000);
	/* Local time with a DST zone: Europe/Berlin is UTC+1 in November. */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	CHECK_EQ(journal_parse_time("2026-11-24 20:20:00", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0);
	setenv("TZ", "UTC", 1);
	tzset();
	static const char *const bad[] = { "", "yesterday", "2026-13-01", "2026-02-30", "2026-11-24T25:00",
					   "2026-11-24T19:20:00+2", "10x", "2026/11/24", "@", "5", "-1h" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (journal_parse_time(bad[i], now, &t, err, sizeof(err)) != -EINVAL)
			UNIT_FAIL("'%s' was accepted", bad[i]);
	CHECK(strstr(err, "use RFC 3339"));
}

int main(void)
{
	int rc;

	make_incident();
	rc = unit_main();
	rm_rf(jdir);
	for (int i = 0; i < nlines; i++)
		free(lines[i]);
	free(out_s), free(err_s);
	return rc;
}
