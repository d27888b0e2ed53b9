// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for outputs: spec parsing, fan-out and priorities, file/program/syslog sinks, aggregation, retries. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include "outputs/outputs.h"
#include "rules/rules.h"
#include "unit.h"

static char *tmpdir(void)
{
	static char buf[8][64];
	static int n;
	char *b = buf[n++ % 8];

	snprintf(b, 64, "/tmp/bulwark-outputs.XXXXXX");
	return mkdtemp(b);
}

static void rm_rf(const char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd))
		(void)0;
}

static int spec(struct outputs_config *c, const char *s, char *err, size_t n)
{
	return outputs_config_parse_spec(c, s, err, n);
}

/* A Falco-shaped alert like alert_to_json() writes. */
static void make_alert(struct jbuf *b, const char *rule, const char *prio, int seq, bool kill)
{
	jbuf_reset(b);
	jbuf_printf(b, "{\"time\":\"2026-12-01T10:00:%02d.123456789Z\",\"rule\":", seq % 60);
	json_put_str(b, rule, strlen(rule));
	jbuf_printf(b, ",\"priority\":\"%s\",\"output\":\"alert %d\",\"output_fields\":{\"seq\":%d,"
		       "\"session.id\":7},\"source\":\"syscall\",\"hostname\":\"db1\",\"tags\":[\"t\"],"
		       "\"action\":\"%s\",\"action_result\":null}", prio, seq, seq,
		    kill ? "kill_session" : "alert");
}

static void emit(struct outputs *o, const char *rule, const char *prio, int seq, bool kill)
{
	struct jbuf b = { 0 };
	struct outputs_alert a;

	make_alert(&b, rule, prio, seq, kill);
	a = (struct outputs_alert){ b.p, b.len, rule, rule_priority_from_name(prio), kill };
	outputs_emit(o, &a);
	jbuf_free(&b);
}

static int count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += !needle || strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* Waits until output i has delivered n alerts (or 5 s). */
static bool wait_delivered(struct outputs *o, int i, uint64_t n)
{
	struct output_stats s;

	for (int t = 0; t < 500; t++) {
		outputs_get_stats(o, i, &s);
		if (s.delivered >= n)
			return true;
		usleep(10000);
	}
	return false;
}

TEST(spec_defaults_are_stdout_only)
{
	struct outputs_config c;

	outputs_config_init(&c);
	CHECK_EQ(c.n, 1);
	CHECK_EQ(c.out[0].type, OUTPUT_STDOUT);
	CHECK(c.out[0].enabled);
	CHECK(c.aggregate.on);
	CHECK_EQ(c.aggregate.after, 10);
	outputs_config_free(&c);
}

TEST(spec_parses_each_type)
{
	struct outputs_config c;
	char err[512];

	outputs_config_init(&c);
	CHECK_EQ(spec(&c, "http:url=https://sidekick:2801/,min_priority=warning,header=X-Token: a\\,b,"
		     "ca=/etc/ssl/certs/ca-certificates.crt,timeout=2s,spool=/var/spool/bw,"
		     "spool_max=16M,retry_max=5m", err, sizeof(err)), 0);
	CHECK_EQ(c.n, 2);
	CHECK_EQ(c.out[1].type, OUTPUT_HTTP);
	CHECK_STREQ(c.out[1].name, "http");
	CHECK_STREQ(c.out[1].url, "https://sidekick:2801/");
	CHECK_EQ(c.out[1].min_priority, PRI_WARNING);
	CHECK_EQ(c.out[1].nheaders, 1);
	CHECK_STREQ(c.out[1].headers[0], "X-Token: a,b");
	CHECK_EQ(c.out[1].timeout_ms, 2000);
	CHECK_EQ(c.out[1].spool_max_bytes, 16 << 20);
	CHECK_EQ(c.out[1].retry_max_ms, 300000);
	CHECK_EQ(spec(&c, "syslog:transport=tls,host=logs.example,facility=auth,format=text", err,
		      sizeof(err)), 0);
	CHECK_EQ(c.out[2].transport, SYSLOG_TLS);
	CHECK_EQ(c.out[2].facility, 4);
	CHECK(c.out[2].text);
	CHECK_EQ(spec(&c, "syslog:transport=udp,host=10.0.0.1,port=1514", err, sizeof(err)), 0);
	CHECK_STREQ(c.out[3].name, "syslog2");
	CHECK_EQ(spec(&c, "file:path=/var/log/bulwark/alerts.json", err, sizeof(err)), 0);
	CHECK_EQ(spec(&c, "program:command=jq -c . | logger,keep_alive=false", err, sizeof(err)), 0);
	CHECK(!c.out[5].keep_alive);
	CHECK_EQ(spec(&c, "stdout:enabled=false", err, sizeof(err)), 0);
	CHECK_EQ(c.n, 6);
	CHECK(!c.out[0].enabled);
	CHECK_EQ(spec(&c, "aggregate:window=5m,after=3", err, sizeof(err)), 0);
	CHECK_EQ(c.aggregate.window_ns, 300ull * 1000000000ull);
	CHECK_EQ(c.aggregate.after, 3);
	CHECK_EQ(spec(&c, "aggregate:off", err, sizeof(err)), 0);
	CHECK(!c.aggregate.on);
	/* the same name updates its output */
	CHECK_EQ(spec(&c, "http:name=http,min_priority=critical", err, sizeof(err)), 0);
	CHECK_EQ(c.n, 6);
	CHECK_EQ(c.out[1].min_priority, PRI_CRITICAL);
	outputs_config_free(&c);
}

TEST(spec_errors_are_clear)
{
	static const struct { const char *spec, *want; } bad[] = {
		{ "http:urll=http://x/", "unknown key 'urll' for http (known: name, enabled" },
		{ "http:url=ftp://x/", "url 'ftp://x/': need an http:// or https:// URL" },
		{ "syslog:port=99999", "port '99999': need a port number from 1 to 65535" },
		{ "syslog:transport=sctp", "need unix, udp, tcp or tls" },
		{ "file:path=relative.json", "need an absolute path" },
		{ "stdout:spool=/x", "unknown key 'spool' for stdout" },
		{ "http:min_priority=loud", "min_priority 'loud': need a priority" },
		{ "http:timeout=soon", "timeout 'soon': need a duration" },
		{ "http:queue=0", "queue '0'" },
		{ "pager:to=me", "unknown output type 'pager'" },
		{ "http:url", "'url' is not key=value" },
		{ "aggregate:window=10ms", "need a duration from 1s to 24h" },
		{ "aggregate:by=session.id", "unknown key 'by' for aggregate" },
		{ "file:name=stdout,path=/x", "name 'stdout' is already a stdout output" },
		{ "syslog:facility=local9", "facility 'local9': need a facility name" },
	};
	struct outputs_config c;
	char err[512];

	outputs_config_init(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (spec(&c, bad[i].spec, err, sizeof(err)) != -EINVAL || !strstr(err, bad[i].want) ||
		    !strstr(err, bad[i].spec))
			UNIT_FAIL("spec '%s': got '%s', want '%s'", bad[i].spec, err, bad[i].want);
	}
	CHECK_EQ(c.n, 1);
	outputs_config_free(&c);
}

TEST(check_wants_required_keys)
{
	struct outputs_config c;
	char err[512];

	outputs_config_init(&c);
	CHECK_EQ(spec(&c, "http:min_priority=error", err, sizeof(err)), 0);
	CHECK_EQ(outputs_config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "output http: an http output needs url=") != NULL);
	outputs_config_free(&c);
	outputs_config_init(&c);
	CHECK_EQ(spec(&c, "syslog:transport=tcp", err, sizeof(err)), 0);
	CHECK_EQ(outputs_config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "needs host=") != NULL);
	outputs_config_free(&c);
	outputs_config_init(&c);
	CHECK_EQ(spec(&c, "http:url=https://x/,cert=/nonexistent.pem,key=/nonexistent.key", err,
		      sizeof(err)), 0);
	CHECK_EQ(outputs_config_check(&c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "cannot read /nonexistent.pem") != NULL);
	outputs_config_free(&c);
}

TEST(file_output_priorities_and_reopen)
{
	char *d = tmpdir(), s[512], err[512], path[300], old[300];
	struct outputs_config c;
	struct outputs *o;
	struct output_stats st;

	snprintf(path, sizeof(path), "%s/alerts.json", d);
	snprintf(old, sizeof(old), "%s/alerts.json.1", d);
	outputs_config_init(&c);
	c.out[0].enabled = false;
	snprintf(s, sizeof(s), "file:path=%s,min_priority=warning", path);
	CHECK_EQ(spec(&c, s, err, sizeof(err)), 0);
	CHECK_EQ(outputs_open(&c, stdout, stderr, &o, err, sizeof(err)), 0);
	CHECK_EQ(outputs_count(o), 1);
	emit(o, "r1", "Critical", 1, false);
	emit(o, "r1", "Notice", 2, false);  /* below warning: not written */
	emit(o, "r1", "Warning", 3, false);
	CHECK(wait_delivered(o, 0, 2));
	/* logrotate: rename, then SIGUSR1 */
	CHECK_EQ(rename(path, old), 0);
	outputs_reopen(o);
	emit(o, "r1", "Error", 4, false);
	CHECK(wait_delivered(o, 0, 3));
	outputs_get_stats(o, 0, &st);
	CHECK_EQ(st.filtered, 1);
	CHECK_EQ(st.dropped, 0);
	outputs_close(o, 1000);
	CHECK_EQ(count_lines(old, NULL), 2);
	CHECK_EQ(count_lines(path, NULL), 1);
	CHECK_EQ(count_lines(path, "\"seq\":4"), 1);
	outputs_config_free(&c);
	rm_rf(d);
}

TEST(program_output_gets_each_alert_and_restarts)
{
	char *d = tmpdir(), s[512], err[512], path[300];
	struct outputs_config c;
	struct outputs *o;
	struct output_stats st;

	snprintf(path, sizeof(path), "%s/got", d);
	outputs_config_init(&c);
	c.out[0].enabled = false;
	/* reads one line and exits: every later alert finds it dead and starts it again */
	snprintf(s, sizeof(s), "program:command=read l; echo \"$l\" >> %s,retry_min=20ms", path);
	CHECK_EQ(spec(&c, s, err, sizeof(err)), 0);
	CHECK_EQ(outputs_open(&c, stdout, stderr, &o, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		emit(o, "r", "Critical", i, false);
		CHECK(wait_delivered(o, 0, (uint64_t)i + 1));
		for (int t = 0; t < 200 && count_lines(path, NULL) < i + 1; t++)
			usleep(10000);
		usleep(100000); /* let it exit */
	}
	outputs_get_stats(o, 0, &st);
	outputs_close(o, 1000);
	CHECK_EQ(count_lines(path, NULL), 3);
	for (int i = 0; i < 3; i++) {
		char want[32];

		snprintf(want, sizeof(want), "\"seq\":%d,", i);
		CHECK_EQ(count_lines(path, want), 1);
	}
	CHECK_EQ(st.dropped, 0);
	outputs_config_free(&c);
	rm_rf(d);
}

TEST(syslog_unix_rfc5424)
{
	char *d = tmpdir(), s[512], err[512], msg[8192];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct outputs_config c;
	struct outputs *o;
	struct pollfd pf;
	ssize_t n;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log", d);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	outputs_config_init(&c);
	c.out[0].enabled = false;
	snprintf(s, sizeof(s), "syslog:path=%s,facility=auth", sa.sun_path);
	CHECK_EQ(spec(&c, s, err, sizeof(err)), 0);
	CHECK_EQ(outputs_open(&c, stdout, stderr, &o, err, sizeof(err)), 0);
	emit(o, "Mass \"deletion\"", "Critical", 5, true);
	pf = (struct pollfd){ fd, POLLIN, 0 };
	CHECK_EQ(poll(&pf, 1, 3000), 1);
	n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	CHECK(n > 0);
	msg[n > 0 ? n : 0] = 0;
	/* auth (4) * 8 + critical (2) = 34; six digits of fraction */
	CHECK(!strncmp(msg, "<34>1 2026-12-01T10:00:05.123456Z db1 bulwark ", 46));
	CHECK(strstr(msg, " alert [bulwark@32473 rule=\"Mass \\\"deletion\\\"\" priority=\"Critical\" "
			  "action=\"kill_session\"] {\"time\"") != NULL);
	outputs_close(o, 1000);
	close(fd);
	outputs_config_free(&c);
	rm_rf(d);
}

TEST(syslog_tcp_octet_counting)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char s[512], err[512], buf[16384];
	struct outputs_config c;
	struct outputs *o;
	size_t got = 0;
	int ls, cs;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(ls, 1), 0);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	outputs_config_init(&c);
	c.out[0].enabled = false;
	snprintf(s, sizeof(s), "syslog:transport=tcp,host=127.0.0.1,port=%d", ntohs(sa.sin_port));
	CHECK_EQ(spec(&c, s, err, sizeof(err)), 0);
	CHECK_EQ(outputs_open(&c, stdout, stderr, &o, err, sizeof(err)), 0);
	emit(o, "r", "Warning", 1, false);
	emit(o, "r", "Warning", 2, false);
	cs = accept(ls, NULL, NULL);
	CHECK(cs >= 0);
	CHECK(wait_delivered(o, 0, 2));
	outputs_close(o, 1000);
	for (ssize_t n; (n = recv(cs, buf + got, sizeof(buf) - 1 - got, 0)) > 0;)
		got += (size_t)n;
	buf[got] = 0;
	/* two frames: "LEN <132>1 ..." with LEN the exact byte count of the message */
	{
		char *p = buf;

		for (int i = 0; i < 2; i++) {
			char *end;
			unsigned long len = strtoul(p, &end, 10);

			CHECK(*end == ' ');
			CHECK(!strncmp(end + 1, "<132>1 ", 7)); /* local0 * 8 + warning */
			CHECK(end[len] == '}');
			p = end + 1 + len;
		}
		CHECK(*p == 0);
	}
	close(cs);
	close(ls);
	outputs_config_free(&c);
}

TEST(aggregation_holds_counts_and_summarises)
{
	char *d = tmpdir(), s[512], err[512], path[300];
	struct outputs_config c;
	struct outputs *o;
	uint64_t held, sums;

	snprintf(path, sizeof(path), "%s/a.json", d);
	outputs_config_init(&c);
	c.out[0].enabled = false;
	snprintf(s, sizeof(s), "file:path=%s", path);
	CHECK_EQ(spec(&c, s, err, sizeof(err)), 0);
	CHECK_EQ(spec(&c, "aggregate:after=3", err, sizeof(err)), 0);
	c.aggregate.window_ns = 200000000ull; /* 200 ms: shorter than the parser allows */
	CHECK_EQ(outputs_open(&c, stdout, stderr, &o, err, sizeof(err)), 0);
	for (int i = 0; i < 20; i++)
		emit(o, "noisy", "Warning", i, false);
	emit(o, "killer", "Critical", 100, true);
	emit(o, "killer", "Critical", 101, true);
	for (int i = 0; i < 5; i++)
		emit(o, "killer", "Critical", 102 + i, true); /* kills are never held */
	emit(o, "other", "Notice", 200, false);
	usleep(250000);
	outputs_tick(o);
	emit(o, "noisy", "Warning", 300, false); /* a new window */
	outputs_get_aggregate_stats(o, &held, &sums);
	CHECK_EQ(held, 17);
	CHECK_EQ(sums, 1);
	CHECK(wait_delivered(o, 0, 3 + 7 + 1 + 1 + 1));
	outputs_close(o, 1000);
	CHECK_EQ(count_lines(path, "\"rule\":\"noisy\""), 5);
	CHECK_EQ(count_lines(path, "\"rule\":\"killer\""), 7);
	CHECK_EQ(count_lines(path, "\"aggregate\":{\"count\":17,"), 1);
	CHECK_EQ(count_lines(path, "\"bulwark.aggregated\":17,\"bulwark.first_time\":"
				   "\"2026-12-01T10:00:03.123456789Z\",\"bulwark.last_time\":"
				   "\"2026-12-01T10:00:19.123456789Z\""), 1);
	CHECK_EQ(count_lines(path, "alert 19 [aggregated: 17 more alerts of this rule from"), 1);
	/* the summary carries the first held alert whole */
	CHECK_EQ(count_lines(path, "\"first\":{\"time\":\"2026-12-01T10:00:03.123456789Z\""), 1);
	outputs_config_free(&c);
	rm_rf(d);
}

TEST(unreachable_receivers_are_counted_retries)
{
	char *d = tmpdir(), s[512], err[512];
	struct outputs_config c;
	struct outputs *o;
	struct output_stats h, y;

	outputs_config_init(&c);
	c.out[0].enabled = false;
	snprintf(s, sizeof(s), "http:url=http://127.0.0.1:1/,retry_min=20ms,retry_max=50ms,spool=%s/h",
		 d);
	CHECK_EQ(spec(&c, s, err, sizeof(err)), 0);
	CHECK_EQ(spec(&c, "syslog:transport=tcp,host=nosuch.invalid,retry_min=20ms,timeout=500ms",
		      err, sizeof(err)), 0);
	CHECK_EQ(outputs_open(&c, stdout, stderr, &o, err, sizeof(err)), 0);
	for (int i = 0; i < 5; i++)
		emit(o, "r", "Critical", i, false);
	usleep(300000);
	outputs_get_stats(o, 0, &h);
	outputs_get_stats(o, 1, &y);
	outputs_close(o, 100);
	CHECK(h.failed_attempts >= 2);
	CHECK_EQ(h.spooled, 5);
	CHECK_EQ(h.spool_pending, 5);
	CHECK(!h.up);
	CHECK(strstr(h.last_error, "POST http://127.0.0.1:1/") != NULL);
	CHECK(y.failed_attempts >= 1);
	CHECK(strstr(y.last_error, "cannot resolve nosuch.invalid") != NULL);
	CHECK_EQ(y.dropped, 0);
	outputs_config_free(&c);
	rm_rf(d);
}

TEST(status_json_names_every_output)
{
	struct outputs_config c;
	struct outputs *o;
	struct jbuf b = { 0 };
	char err[512];
	FILE *devnull = fopen("/dev/null", "w");

	outputs_config_init(&c);
	CHECK_EQ(outputs_open(&c, devnull, stderr, &o, err, sizeof(err)), 0);
	emit(o, "r", "Critical", 1, false);
	outputs_status_json(o, &b);
	CHECK(strstr(b.p, "\"outputs\":{\"sinks\":[{\"name\":\"stdout\",\"type\":\"stdout\",\"up\":true,"
			  "\"sent\":1,\"delivered\":1,") != NULL);
	outputs_close(o, 100);
	jbuf_free(&b);
	fclose(devnull);
	outputs_config_free(&c);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return unit_main();
}
