// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark: the command table. Each subcommand lives in its own module. */
#include "cli/cli.h"

static const struct cmd cmds[] = {
	{ "run", cmd_run, "the monitor: stream alerts (and events) from the kernel" },
	{ "rules", cmd_rules, "check, list and explain rule files" },
	{ "replay", cmd_replay, "run rules over recorded JSON events, no root needed" },
	{ "dump", cmd_dump, "print events and alerts recorded in the journal" },
	{ "config", cmd_config, "check the config file and list its keys" },
	{ "sessions", cmd_sessions, "the live login sessions: who, from where, since when, what they did" },
	{ "report", cmd_report, "one self-contained HTML report of a session for responders" },
	{ "status", cmd_status, "show what the daemon attached, its counters and drops" },
	{ "unload", cmd_unload, "remove the pinned kernel enforcement (the only way; SIGTERM keeps it)" },
	{ 0 },
};

static const char doc[] =
	"USAGE: bulwark COMMAND [OPTION...] [ARG...]\n"
	"\n"
	"eBPF monitor for insider activity on database hosts."
	"\v"
	"Every command takes --help. A command may be shortened to a prefix that\n"
	"names only it. Exit status, for every command: 0 ok, 1 failure, 2 bad usage.\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo bulwark run --rules rules/ --no-kill\n"
	"  bulwark rules check rules/\n"
	"  bulwark config check /etc/bulwark/bulwark.yaml\n"
	"  bulwark dump --session 7 --text\n"
	"  bulwark run --help";

int main(int argc, char **argv)
{
	/* argp exits with this on a usage error when run without ARGP_NO_EXIT (cli_parse passes it) */
	argp_err_exit_status = CLI_USAGE;
	/* messages name the command, not the path bulwark was started by */
	argv[0] = "bulwark";
	return cli_dispatch(cmds, doc, argc, argv);
}
