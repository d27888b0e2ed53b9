// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Falco compatibility of the rule engine: Falco's field meanings, its
 * operators, transformers, exceptions, rules loaded disabled for what
 * bulwark cannot see, every error in one pass, and --falco-report. */
#include <unistd.h>
#include "unit.h"
#include "core/json.h"
#include "rules/alert.h"
#include "rules/rules.h"

static char errbuf[16384];

static struct rules *load_n(const char *a, const char *b, int *nerr, FILE *report)
{
	struct rules_source src[2] = { { "t.yaml", a, strlen(a) }, { "l.yaml", b, b ? strlen(b) : 0 } };
	struct rules *rs = NULL;
	size_t len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	int rc;

	(void)report;
	rc = rules_load_sources(src, b ? 2 : 1, &rs, f);
	fclose(f);
	snprintf(errbuf, sizeof(errbuf), "%s", text ? text : "");
	free(text);
	*nerr = rc;
	return rs;
}

/* An event from its JSON line, as replay reads it (scratch is static). */
static struct bw_event ev(const char *json)
{
	static char scratch[8][4096];
	static int next;
	struct bw_event e;
	char err[128];

	if (json_parse_event(json, strlen(json), scratch[next++ % 8], &e, err, sizeof(err)))
		printf("     (bad event %s: %s)\n", json, err);
	return e;
}

/* Whether condition c holds for e: 1, 0, or -1 when it does not load. */
static int holds(const char *c, const struct bw_event *e)
{
	char y[4096];
	int n, r;
	struct rules *rs;

	snprintf(y, sizeof(y), "- rule: r\n  desc: d\n  condition: >\n    %s\n  output: o\n  priority: INFO\n", c);
	rs = load_n(y, NULL, &n, NULL);
	if (!rs) {
		printf("     (load errors: %s)\n", errbuf);
		return -1;
	}
	r = rule_matches(rs, rules_find(rs, "r"), e);
	rules_free(rs);
	return r;
}

#define EXEC "{\"evt.type\":\"execve\",\"evt.num\":3,\"evt.rawres\":0,\"proc.pid\":50,\"proc.ppid\":40," \
	"\"proc.name\":\"bash\",\"proc.exe\":\"-bash\",\"proc.exepath\":\"/usr/bin/bash\"," \
	"\"proc.cmdline\":\"-bash -c echo hi\",\"proc.pname\":\"sshd\",\"proc.pexepath\":\"/usr/sbin/sshd\"," \
	"\"proc.apid[2]\":30,\"proc.aname[2]\":\"sshd\",\"proc.apid[3]\":1,\"proc.aname[3]\":\"systemd\"," \
	"\"user.uid\":1000,\"user.loginuid\":-1,\"session.id\":4294967295,\"session.tty\":\"pts/2\"," \
	"\"proc.sid\":50,\"proc.vpgid\":50}"

TEST(falco_field_meanings)
{
	struct bw_event e = ev(EXEC);
	struct bw_event d = ev("{\"evt.type\":\"unlinkat\",\"evt.rawres\":-2,\"fd.name\":\"/a/b\",\"evt.arg\":512}");

	CHECK_EQ(holds("proc.exe = -bash and proc.exepath = /usr/bin/bash", &e), 1);
	CHECK_EQ(holds("proc.args = \"-c echo hi\"", &e), 1);
	CHECK_EQ(holds("user.loginuid = -1 and user.loginuid < 0", &e), 1);
	CHECK_EQ(holds("evt.res = SUCCESS and evt.rawres = 0 and evt.failed = false", &e), 1);
	CHECK_EQ(holds("evt.res = ENOENT and evt.rawres = -2 and evt.failed = true", &d), 1);
	CHECK_EQ(holds("evt.dir = < and evt.num = 3 and not evt.num = 0", &e), 1);
	CHECK_EQ(holds("container.id = host and container.name = host", &e), 1);
	CHECK_EQ(holds("container.image.repository exists or k8s.ns.name = x", &e), 0);
	CHECK_EQ(holds("not container.image.repository in (a)", &e), 1);
	CHECK_EQ(holds("proc.tty = 34818 and proc.is_sid_leader = true and proc.is_vpgid_leader = true", &e), 1);
	CHECK_EQ(holds("proc.vpid = 50", &e), 1);
	CHECK_EQ(holds("evt.arg.flags = AT_REMOVEDIR and evt.rawarg.flags = 512 and evt.arg.name = /a/b", &d), 1);
	CHECK_EQ(holds("fs.path.name = /a/b and not fs.path.source exists", &d), 1);
	CHECK_EQ(holds("evt.arg.exe = -bash and evt.arg.ptid = 40 and evt.rawarg.pid = 50", &e), 1);
	CHECK_EQ(holds("evt.arg.flags exists", &e), 0); /* execve has no flags bulwark fills */
}

TEST(falco_ancestry)
{
	struct bw_event e = ev(EXEC);

	CHECK_EQ(holds("proc.aname[0] = bash and proc.aname[1] = sshd and proc.aname[2] = sshd", &e), 1);
	CHECK_EQ(holds("proc.aname[3] = systemd and proc.apid[3] = 1 and not proc.aname[4] exists", &e), 1);
	CHECK_EQ(holds("proc.aname = systemd", &e), 1);       /* any ancestor */
	CHECK_EQ(holds("proc.aname = bash", &e), 0);          /* not itself */
	CHECK_EQ(holds("proc.anames intersects (systemd, cron)", &e), 1);
	CHECK_EQ(holds("proc.anames in (sshd, systemd)", &e), 1);  /* every one in the set */
	CHECK_EQ(holds("proc.anames in (sshd)", &e), 0);
	CHECK_EQ(holds("proc.apid in (30, 31)", &e), 1);
}

TEST(falco_operators)
{
	struct bw_event e = ev(EXEC);

	CHECK_EQ(holds("proc.name regex \"ba.h\"", &e), 1);
	CHECK_EQ(holds("proc.name regex \"ba\"", &e), 0);     /* whole value, as RE2 full match */
	CHECK_EQ(holds("proc.exepath regex \"/usr/(s?bin)/[a-z]+\"", &e), 1);
	CHECK_EQ(holds("proc.cmdline iglob \"*ECHO*\"", &e), 1);
	CHECK_EQ(holds("proc.cmdline glob \"*ECHO*\"", &e), 0);
	CHECK_EQ(holds("proc.cmdline bcontains 6563686f", &e), 1);   /* "echo" */
	CHECK_EQ(holds("proc.cmdline bstartswith 2d62", &e), 1);     /* "-b" */
	CHECK_EQ(holds("proc.cmdline bstartswith 62", &e), 0);
	CHECK_EQ(holds("proc.name intersects (zsh, bash)", &e), 1);
	CHECK_EQ(holds("proc.pid intersects (49, 50)", &e), 1);
}

TEST(falco_transformers)
{
	struct bw_event e = ev("{\"evt.type\":\"execve\",\"proc.name\":\"MiXed\",\"proc.pname\":\"mixed\","
			       "\"proc.exepath\":\"/opt/x/MiXed\",\"proc.exe\":\"MiXed\","
			       "\"proc.cmdline\":\"MiXed aGVsbG8=\"}");

	CHECK_EQ(holds("tolower(proc.name) = mixed and toupper(proc.name) = MIXED", &e), 1);
	CHECK_EQ(holds("basename(proc.exepath) = MiXed", &e), 1);
	CHECK_EQ(holds("b64(proc.args) = hello", &e), 1);
	CHECK_EQ(holds("tolower(basename(proc.exepath)) = mixed", &e), 1);
	CHECK_EQ(holds("tolower(proc.name) = val(proc.pname)", &e), 1);
	CHECK_EQ(holds("proc.name = val(proc.pname)", &e), 0);
	CHECK_EQ(holds("proc.name icontains val(proc.pname)", &e), 1);
	CHECK_EQ(holds("proc.exepath endswith val(proc.name)", &e), 1);
}

TEST(falco_exceptions_and_append)
{
	static const char base[] =
		"- rule: r\n  desc: d\n  condition: evt.type = unlinkat\n  output: o\n  priority: INFO\n"
		"  exceptions:\n"
		"    - name: pd\n      fields: [proc.name, fd.directory]\n      comps: [=, startswith]\n"
		"      values: [[logrotate, /var/log]]\n"
		"    - name: one\n      fields: proc.name\n      values: [a, b]\n";
	static const char local[] =
		"- rule: r\n  exceptions:\n    - name: pd\n      values: [[tar, /srv]]\n"
		"    - name: p\n      fields: [fd.name]\n      comps: [pmatch]\n      values: [[[/tmp, /cache]]]\n"
		"  override: {exceptions: append}\n";
	struct bw_event x = ev("{\"evt.type\":\"unlinkat\",\"proc.name\":\"logrotate\",\"fd.name\":\"/var/log/x.1\"}");
	struct bw_event y = ev("{\"evt.type\":\"unlinkat\",\"proc.name\":\"logrotate\",\"fd.name\":\"/srv/x\"}");
	struct bw_event z = ev("{\"evt.type\":\"unlinkat\",\"proc.name\":\"tar\",\"fd.name\":\"/srv/x\"}");
	struct bw_event w = ev("{\"evt.type\":\"unlinkat\",\"proc.name\":\"rm\",\"fd.name\":\"/tmp/q/r\"}");
	struct bw_event v = ev("{\"evt.type\":\"unlinkat\",\"proc.name\":\"b\",\"fd.name\":\"/x\"}");
	int n;
	struct rules *rs = load_n(base, local, &n, NULL);
	const struct rule *r;

	CHECK_EQ(n, 0);
	CHECK(rs != NULL);
	if (!rs)
		return;
	r = rules_find(rs, "r");
	CHECK(!rule_matches(rs, r, &x));
	CHECK(rule_matches(rs, r, &y));
	CHECK(!rule_matches(rs, r, &z));  /* appended row */
	CHECK(!rule_matches(rs, r, &w));  /* appended exception, pmatch of a list */
	CHECK(!rule_matches(rs, r, &v));  /* single field: values are its values */
	rules_free(rs);
}

TEST(falco_exception_errors)
{
	int n;
	struct rules *rs = load_n("- rule: r\n  desc: d\n  condition: evt.type = unlinkat\n  output: o\n"
				  "  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, fd.nmae]\n"
				  "      values: [[a, b], [c]]\n", NULL, &n, NULL);

	CHECK(rs == NULL);
	CHECK(strstr(errbuf, "t.yaml:9:24: exception 'e' has 2 fields, so each row of 'values' must be a "
			     "list of 2 values") != NULL);
	CHECK(strstr(errbuf, "t.yaml:8:27: unknown field 'fd.nmae'; did you mean 'fd.name'?") != NULL);
	rules_free(rs);
}

TEST(falco_disabled_with_one_warning)
{
	int n;
	struct rules *rs = load_n(
		"- rule: a\n  desc: d\n  condition: evt.type = execve and fd.sport = 22\n  output: o\n  priority: INFO\n"
		"- rule: b\n  desc: d\n  condition: evt.type in (connect, accept)\n  output: o\n  priority: INFO\n"
		"- rule: c\n  desc: d\n  condition: (evt.type = open and evt.is_open_write = true) or evt.type = execve\n"
		"  output: o %fd.rport\n  priority: INFO\n"
		"- rule: d\n  desc: d\n  condition: evt.type in (execve, mprotect)\n  output: o\n  priority: INFO\n",
		NULL, &n, NULL);

	CHECK_EQ(n, 0);
	CHECK(rs != NULL);
	if (!rs)
		return;
	CHECK(!rule_enabled(rules_find(rs, "a")));
	CHECK_STREQ(rule_why_disabled(rules_find(rs, "a")), "needs field 'fd.sport', which bulwark does not capture");
	CHECK(!rule_enabled(rules_find(rs, "b")));
	CHECK_STREQ(rule_why_disabled(rules_find(rs, "b")), "needs event types connect, accept, which bulwark does not capture");
	CHECK(rule_enabled(rules_find(rs, "c")));
	CHECK(rule_enabled(rules_find(rs, "d")));
	CHECK(strstr(errbuf, "t.yaml:1:3: warning: rule 'a' loads disabled: needs field 'fd.sport'") != NULL);
	CHECK(strstr(errbuf, "t.yaml:16:3: warning: rule 'd': bulwark does not capture event type mprotect; "
			     "the rule sees only execve") != NULL);
	rules_free(rs);
}

/* Every error of a condition, and of a rule whose macro failed, in one pass. */
TEST(falco_every_error_in_one_pass)
{
	int n;
	struct rules *rs = load_n(
		"- macro: m\n  condition: proc.nmae = x\n"
		"- rule: r\n  desc: d\n  condition: m and proc.pid = abc and fd.nam = y and evt.type = unlnkat\n"
		"  output: o\n  priority: INFO\n", NULL, &n, NULL);

	CHECK(rs == NULL);
	CHECK_EQ(n, 4);
	CHECK_STREQ(errbuf,
		    "t.yaml:2:14: unknown field 'proc.nmae'; did you mean 'proc.name'?\n"
		    "t.yaml:5:31: 'proc.pid' needs a non-negative integer, not 'abc'\n"
		    "t.yaml:5:39: unknown field 'fd.nam'; did you mean 'fd.name'?\n"
		    "t.yaml:5:65: unknown event type 'unlnkat'; did you mean 'unlinkat'?\n");
	rules_free(rs);
}

TEST(falco_versions_and_sources)
{
	int n;
	struct rules *rs = load_n(
		"- required_engine_version: 0.99.0\n"
		"- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n"
		"    - name: k8saudit\n      version: 0.1.0\n"
		"- rule: k\n  desc: d\n  condition: ka.verb = create\n  output: o\n  priority: INFO\n"
		"  source: k8s_audit\n", NULL, &n, NULL);

	CHECK_EQ(n, 0);
	CHECK(rs != NULL);
	CHECK(strstr(errbuf, "t.yaml:1:28: warning: this file requires Falco engine version 0.99.0") != NULL);
	CHECK(strstr(errbuf, "warning: this file requires Falco plugin 'k8saudit'") != NULL);
	CHECK(strstr(errbuf, "container") == NULL);
	if (rs) {
		CHECK(!rule_enabled(rules_find(rs, "k")));
		CHECK(strstr(rule_why_disabled(rules_find(rs, "k")), "k8s_audit") != NULL);
	}
	rules_free(rs);
}

TEST(falco_output_fields)
{
	int n;
	struct jbuf b = { 0 };
	struct bw_event e = ev(EXEC);
	struct rules *rs = load_n("- rule: r\n  desc: d\n  condition: evt.type = execve\n"
				  "  output: \"%proc.aname[2] %evt.res %proc.exe %container.image.repository %fd.rport\"\n"
				  "  priority: INFO\n", NULL, &n, NULL);

	CHECK_EQ(n, 0);
	if (!rs)
		return;
	alert_format_output(&b, rules_find(rs, "r"), &e);
	CHECK_STREQ(b.p, "sshd SUCCESS -bash <NA> <NA>");
	jbuf_reset(&b);
	alert_to_json(&b, rules_find(rs, "r"), &e, "h", NULL);
	CHECK(strstr(b.p, "\"user.loginuid\":-1") != NULL);
	CHECK(strstr(b.p, "\"proc.aname[2]\":\"sshd\"") != NULL);
	CHECK(strstr(b.p, "\"evt.res\":\"SUCCESS\"") != NULL);
	CHECK(strstr(b.p, "\"fd.rport\":null") != NULL);
	jbuf_free(&b);
	rules_free(rs);
}

TEST(falco_report_lines)
{
	const char *paths[1] = { "build/tests/falco_report.yaml" };
	FILE *f = fopen(paths[0], "w");
	char *text = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&text, &len);
	struct rules *rs = NULL;

	CHECK(f != NULL);
	if (!f)
		return;
	fputs("- rule: ok\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: INFO\n"
	      "- rule: off\n  desc: d\n  condition: evt.type = execve and proc.aenv contains X\n  output: o\n  priority: INFO\n", f);
	fclose(f);
	CHECK_EQ(rules_load_report(paths, 1, &rs, NULL, rep), 0);
	fclose(rep);
	CHECK_STREQ(text, "build/tests/falco_report.yaml:1: ok: loads\n"
			  "build/tests/falco_report.yaml:6: off: loads disabled: needs field 'proc.aenv', which "
			  "bulwark does not capture\n"
			  "build/tests/falco_report.yaml: 2 rules: 1 load enabled, 1 load disabled, 0 fail\n");
	free(text);
	rules_free(rs);
	unlink(paths[0]);
}

int main(void)
{
	return unit_main();
}
