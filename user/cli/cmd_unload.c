// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark unload: the one deliberate way to remove the pinned enforcement; journaled and alerted. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/file.h>
#include "cli/cli.h"
#include "core/clock.h"
#include "core/json.h"
#include "journal/journal.h"
#include "kernel/pins.h"
#include "rules/alert.h"
#include "rules/rules.h"

struct unload_env {
	const char *pin_dir;   /* --pin-dir */
	const char *journal;   /* --journal */
	int timeout_s;         /* --timeout */
};

enum { OPT_PIN_DIR = 1000, OPT_TIMEOUT };

static const struct argp_option unload_options[] = {
	{ "pin-dir", OPT_PIN_DIR, "DIR", 0, "the daemon's --pin-dir (default " PINS_DEFAULT_DIR ")", 0 },
	{ "journal", 'j', "DIR", 0, "journal to record the unload in (default " JOURNAL_DEFAULT_DIR
				    "; skipped when it does not exist)", 0 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0, "how long a running daemon gets to stop (default 10)", 0 },
	{ 0 },
};

static error_t unload_parse(int key, char *arg, struct argp_state *state)
{
	struct unload_env *env = state->input;
	char *end;

	switch (key) {
	case OPT_PIN_DIR:
		if (arg[0] != '/')
			return cli_usage_error(state, "--pin-dir '%s': need an absolute path", arg);
		env->pin_dir = arg;
		break;
	case 'j': env->journal = arg; break;
	case OPT_TIMEOUT:
		env->timeout_s = (int)strtol(arg, &end, 10);
		if (*end || env->timeout_s < 1 || env->timeout_s > 600)
			return cli_usage_error(state, "--timeout '%s': need seconds from 1 to 600", arg);
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char unload_rule[] =
	"- rule: Enforcement unloaded\n"
	"  desc: bulwark unload removed every pinned program and map.\n"
	"  condition: evt.type = bulwark and guard.event = unload\n"
	"  output: \"%guard.detail\"\n"
	"  priority: CRITICAL\n"
	"  tags: [bulwark, self_protection]\n";

struct unload_alert {
	struct jbuf alert;
	char host[256];
};

static void on_unload_match(void *ctx, const struct rule *r, const struct bw_event *e)
{
	struct unload_alert *ua = ctx;

	jbuf_reset(&ua->alert);
	alert_to_json(&ua->alert, r, e, ua->host, NULL);
}

/*
 * With no daemon to tell, the unload records itself: the alert on stdout
 * and to syslog (authpriv), and the event and alert in the journal.
 */
static void record_unload(const struct unload_env *env, const char *detail)
{
	struct rules_source src = { "<unload rule>", unload_rule, sizeof(unload_rule) - 1 };
	struct journal_opts jo = { .dir = env->journal };
	struct unload_alert ua = { 0 };
	struct journal *j = NULL;
	struct rules *rs = NULL;
	struct jbuf line = { 0 };
	struct bw_event e;
	char err[512];

	event_reset(&e);
	e.time_ns = clock_realtime_ns();
	e.type = BW_EVT_BULWARK;
	e.type_name = (struct bw_str){ "bulwark", 7 };
	e.pid = (uint64_t)getpid();
	e.name = (struct bw_str){ "bulwark", 7 };
	e.uid = getuid();
	e.sessionid = BW_NO_SESSION;
	e.guard_event = (struct bw_str){ "unload", 6 };
	e.guard_detail = (struct bw_str){ detail, (uint32_t)strlen(detail) };
	event_set_present(&e, FLD_EVT_TIME);
	event_set_present(&e, FLD_EVT_TYPE);
	event_set_present(&e, FLD_PROC_PID);
	event_set_present(&e, FLD_PROC_NAME);
	event_set_present(&e, FLD_USER_UID);
	event_set_present(&e, FLD_GUARD_EVENT);
	event_set_present(&e, FLD_GUARD_DETAIL);
	gethostname(ua.host, sizeof(ua.host) - 1);
	if (!rules_load_sources(&src, 1, &rs, stderr))
		rules_eval(rs, &e, on_unload_match, &ua);
	if (ua.alert.len && jbuf_ok(&ua.alert))
		printf("%.*s\n", (int)ua.alert.len, ua.alert.p);
	openlog("bulwark", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_CRIT, "%s", detail);
	closelog();
	if (!access(env->journal, F_OK) && !journal_open(&jo, &j, err, sizeof(err))) {
		event_to_json(&line, &e);
		if (jbuf_ok(&line))
			journal_append(j, JREC_NOTE, &e, line.p, line.len);
		if (ua.alert.len && jbuf_ok(&ua.alert))
			journal_append(j, JREC_ALERT, &e, ua.alert.p, ua.alert.len);
		journal_close(j);
	} else if (!access(env->journal, F_OK)) {
		fprintf(stderr, "bulwark: unload: not journaled: %s\n", err);
	}
	jbuf_free(&line);
	jbuf_free(&ua.alert);
	rules_free(rs);
}

int cmd_unload(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark unload [--pin-dir DIR] [-j DIR] [--timeout SECONDS]\n"
		"\n"
		"Remove bulwark's pinned enforcement: every pinned program is detached and its\n"
		"maps (protected trees, quarantined sessions, the ring) are freed. This is the\n"
		"one deliberate way to turn kernel enforcement off; stopping the service\n"
		"(SIGTERM) leaves it in place. Needs root."
		"\v"
		"A running daemon on DIR is asked to stop: it alerts through its outputs,\n"
		"journals the unload and removes the pins. With no daemon, the unload alerts on\n"
		"stdout and syslog (authpriv) and journals itself in the --journal dir.\n"
		"\n"
		"Exit status: 0 when nothing is pinned any more (also when nothing was), 1 on\n"
		"failure, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark unload\n"
		"  bulwark unload --pin-dir /sys/fs/bpf/bulwark-test -j /tmp/j";
	static const struct argp argp = { unload_options, unload_parse, NULL, doc, 0, 0, 0 };
	struct unload_env env = { PINS_DEFAULT_DIR, JOURNAL_DEFAULT_DIR, 10 };
	struct bw_guard_state st = { 0 };
	char err[512], detail[1024];
	bool daemon_did = false;
	int rc, fd, nl = 0, nm = 0;

	rc = cli_parse(&argp, 0, argc, argv, &env, stdout, stderr);
	if (rc != CLI_GO_ON)
		return rc;
	if (geteuid() != 0) {
		fprintf(stderr, "bulwark: unload needs root (it removes pins in %s); run it as root, "
				"e.g. sudo bulwark unload\n", env.pin_dir);
		return CLI_FAIL;
	}
	fd = open(env.pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			printf("bulwark: nothing is pinned in %s\n", env.pin_dir);
			return 0;
		}
		fprintf(stderr, "bulwark: cannot open the pin dir %s: %s\n", env.pin_dir, strerror(errno));
		return CLI_FAIL;
	}
	pins_read_state(env.pin_dir, &st);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		/* a daemon owns the pins: it records the unload through its own outputs */
		close(fd);
		fd = -1;
		if (pins_request_unload(env.pin_dir, (uint32_t)getpid(), env.timeout_s * 1000, err,
					sizeof(err))) {
			fprintf(stderr, "bulwark: unload: %s; stop it (systemctl stop bulwark) and run "
					"bulwark unload again\n", err);
			return CLI_FAIL;
		}
		daemon_did = true;
	}
	if (!access(env.pin_dir, F_OK) &&
	    pins_remove(env.pin_dir, &nl, &nm, err, sizeof(err))) {
		fprintf(stderr, "bulwark: unload: %s\n", err);
		if (fd >= 0)
			close(fd);
		return CLI_FAIL;
	}
	if (fd >= 0)
		close(fd);
	snprintf(detail, sizeof(detail), "bulwark unload (pid %d, uid %d) removed the pinned "
		 "enforcement in %.200s%s: %d links and %d maps; nothing is enforced until bulwark "
		 "run starts again", (int)getpid(), (int)getuid(), env.pin_dir,
		 daemon_did ? " with its daemon" : "", nl, nm);
	if (!daemon_did)
		record_unload(&env, detail);
	fprintf(stderr, "bulwark: %s\n", detail);
	return 0;
}
