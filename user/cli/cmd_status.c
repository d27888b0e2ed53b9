// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark status: its options; status_show() prints the daemon's status file. */
#include <stdbool.h>
#include "cli/cli.h"
#include "daemon/daemon.h"
#include "daemon/status.h"

struct status_env {
	const char *run_dir; /* --run-dir */
	bool json;           /* --json */
};

enum { OPT_JSON = 1000 };

static const struct argp_option status_options[] = {
	{ "run-dir", 'd', "DIR", 0, "the daemon's --run-dir (default " DAEMON_DEFAULT_RUN_DIR ")", 0 },
	{ "json", OPT_JSON, NULL, 0, "print the raw JSON snapshot", 0 },
	{ 0 },
};

static error_t status_parse(int key, char *arg, struct argp_state *state)
{
	struct status_env *env = state->input;

	switch (key) {
	case 'd': env->run_dir = arg; break;
	case OPT_JSON: env->json = true; break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark status [-d DIR] [--json]\n"
		"\n"
		"Show what the running daemon has attached, its counters and its drops, from\n"
		"the status file it rewrites every second (RUN_DIR/status.json)."
		"\v"
		"Exit status: 0, 1 when no daemon is running, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark status\n"
		"  bulwark status --json | jq .kernel\n"
		"  bulwark status -d /tmp/bw-run";
	static const struct argp argp = { status_options, status_parse, NULL, doc, 0, 0, 0 };
	struct status_env env = { DAEMON_DEFAULT_RUN_DIR, false };
	int rc;

	rc = cli_parse(&argp, 0, argc, argv, &env, stdout, stderr);
	if (rc != CLI_GO_ON)
		return rc;
	return status_show(env.run_dir, env.json);
}
