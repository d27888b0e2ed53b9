// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark run: its options, read into a struct daemon_opts for daemon_run(). */
#include <stdlib.h>
#include "cli/cli.h"
#include "daemon/daemon.h"
#include "db/dbcapture.h"
#include "journal/journal.h"
#include "outputs/outputs.h"

static const char run_doc[] =
	"USAGE: bulwark run [-r PATH]... [-j DIR] [-e] [-n] [-w DIR]... [-d DIR] [-v]\n"
	"                   [--protect DIR]... [--allow-exe PATH]... [--capture-all]\n"
	"                   [--ringbuf-mb MB] [--output SPEC]... [--db-... OPTIONS]\n"
	"\n"
	"The monitor: stream alerts (and, with --events, every event) as JSON lines on\n"
	"stdout. Needs root.\n"
	"\v"
	"Loads the rules, then the BPF programs; prints a line containing 'ready' on\n"
	"stderr once every program is attached (and sends READY=1 to $NOTIFY_SOCKET),\n"
	"then runs until SIGINT or SIGTERM. SIGHUP reloads the rules; if the new rules\n"
	"fail to load, the old ones stay and the reason is printed on stderr.\n"
	"\n"
	"Exit status: 0 after a clean stop, 1 when it cannot start (not root, no BTF,\n"
	"bad rules, an unwritable journal, programs refused by the kernel), 2 for bad\n"
	"usage.\n"
	"\n"
	"EXAMPLES:\n"
	"  bulwark run --rules /etc/bulwark/rules.d\n"
	"  bulwark run -r rules/ --events --no-kill | jq .\n"
	"  bulwark run -j /tmp/j -w /srv/pgdata --events";

enum { OPT_CAPTURE_ALL = 1000, OPT_RINGBUF, OPT_PROTECT, OPT_ALLOW_EXE, OPT_PROTECT_PROCESS, OPT_OUTPUT };

static const struct argp_option run_options[] = {
	{ "rules", 'r', "PATH", 0, "rule file or directory of *.yaml; repeatable, loaded in order "
				   "(default: ./rules if present, else " CLI_RULES_SYSTEM_DIR ")", 0 },
	{ "journal", 'j', "DIR", 0, "journal directory (default " JOURNAL_DEFAULT_DIR ")", 0 },
	{ "events", 'e', NULL, 0, "stream every event, not only alerts", 0 },
	{ "no-kill", 'n', NULL, 0, "never kill: kill actions become alerts saying what would have "
				   "been killed", 0 },
	{ "watch", 'w', "DIR", 0, "also capture file events below DIR from processes outside login "
				 "sessions; repeatable", 0 },
	{ "protect", OPT_PROTECT, "DIR", 0, "enforce in the kernel: a deletion-family syscall below DIR "
					   "from a login session kills it (and quarantines the session) "
					   "before the syscall returns; repeatable", 0 },
	{ "protect-process-only", OPT_PROTECT_PROCESS, NULL, 0, "--protect kills the offending "
							      "process, not its session", 0 },
	{ "allow-exe", OPT_ALLOW_EXE, "PATH", 0, "never kill this executable (glob); the database "
					      "servers are always allowed; repeatable", 0 },
	{ "capture-all", OPT_CAPTURE_ALL, NULL, 0, "capture file events of every process (costly on "
						   "busy servers)", 0 },
	{ "run-dir", 'd', "DIR", 0, "where the status file goes (default " DAEMON_DEFAULT_RUN_DIR ")", 0 },
	{ "ringbuf-mb", OPT_RINGBUF, "MB", 0, "ring buffer size in MiB, a power of two (default 16)", 0 },
	{ "output", OPT_OUTPUT, "SPEC", 0, "also send alerts to TYPE:key=value,... (file, syslog, "
					   "http, program; see docs/outputs.md); repeatable", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{ 0 },
};

static error_t run_parse(int key, char *arg, struct argp_state *state)
{
	struct daemon_opts *o = state->input;
	char *end;
	unsigned long v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->db;
		break;
	case 'r':
		if (o->nrule_paths >= DAEMON_MAX_RULE_PATHS)
			return cli_usage_error(state, "--rules '%s': at most %d --rules; name a directory "
					       "instead of its files", arg, DAEMON_MAX_RULE_PATHS);
		o->rule_paths[o->nrule_paths++] = arg;
		break;
	case 'j': o->journal_dir = arg; break;
	case 'e': o->events = true; break;
	case 'n': o->no_kill = true; break;
	case 'v': o->verbose = true; break;
	case 'w':
		if (o->nwatch >= DAEMON_MAX_WATCH)
			return cli_usage_error(state, "--watch '%s': at most %d --watch; watch a common "
					       "parent instead", arg, DAEMON_MAX_WATCH);
		o->watch[o->nwatch++] = arg;
		break;
	case OPT_PROTECT:
		if (o->nprotect >= DAEMON_MAX_WATCH)
			return cli_usage_error(state, "--protect '%s': at most %d --protect; protect a "
					       "common parent instead", arg, DAEMON_MAX_WATCH);
		o->protect[o->nprotect++] = arg;
		break;
	case OPT_PROTECT_PROCESS: o->protect_session = false; break;
	case OPT_ALLOW_EXE:
		if (o->nallow_exe >= ACTIONS_MAX_ALLOW - 8)
			return cli_usage_error(state, "--allow-exe '%s': at most %d --allow-exe; use a glob",
					       arg, ACTIONS_MAX_ALLOW - 8);
		o->allow_exe[o->nallow_exe++] = arg;
		break;
	case OPT_CAPTURE_ALL: o->capture_all = true; break;
	case OPT_OUTPUT: {
		char err[256];

		if (outputs_config_parse_spec(&o->outputs, arg, err, sizeof(err)))
			return cli_usage_error(state, "--output '%s': %s", arg, err);
		break;
	}
	case 'd': o->run_dir = arg; break;
	case OPT_RINGBUF:
		v = strtoul(arg, &end, 10);
		if (*end || !v || v > 1024 || (v & (v - 1)))
			return cli_usage_error(state, "--ringbuf-mb '%s': need a power of two from 1 "
					       "to 1024", arg);
		o->ringbuf_mb = (uint32_t)v;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ &dbcapture_argp, 0, "Database capture:", 0 }, { 0 },
	};
	static const struct argp argp = { run_options, run_parse, NULL, run_doc, children, 0, 0 };
	struct daemon_opts o = {
		.journal_dir = JOURNAL_DEFAULT_DIR,
		.run_dir = DAEMON_DEFAULT_RUN_DIR,
		.ringbuf_mb = 16,
		.protect_session = true,
	};
	const char *def;
	char err[256];
	int rc;

	outputs_config_init(&o.outputs);
	rc = cli_parse(&argp, 0, argc, argv, &o, stdout, stderr);
	if (rc == CLI_GO_ON && outputs_config_check(&o.outputs, err, sizeof(err))) {
		fprintf(stderr, "%s: --output: %s\n", argv[0], err);
		rc = CLI_USAGE;
	}
	if (rc != CLI_GO_ON) {
		outputs_config_free(&o.outputs);
		return rc;
	}
	if (!o.nrule_paths) {
		def = cli_default_rules();
		if (!def) {
			fprintf(stderr, "%s: no --rules given, and neither ./" CLI_RULES_LOCAL_DIR
				" nor " CLI_RULES_SYSTEM_DIR " exists; pass --rules PATH (a rule "
				"file or a directory of them)\n", argv[0]);
			outputs_config_free(&o.outputs);
			return CLI_USAGE;
		}
		o.rule_paths[o.nrule_paths++] = def;
	}
	return daemon_run(&o);
}
