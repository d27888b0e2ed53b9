// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark: the command table. Each subcommand lives in its own module. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"

static const struct cmd cmds[] = {
	{ "run", cmd_run, "stream alerts (and events) from the kernel; the monitor" },
	{ "rules", cmd_rules, "check rule files: bulwark rules check PATH..." },
	{ "replay", cmd_replay, "run rules over recorded JSON events, no root needed" },
	{ "dump", cmd_dump, "print events and alerts recorded in the journal" },
	{ "status", cmd_status, "show what is attached, counters and drops" },
	{ 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: bulwark COMMAND [OPTIONS]\n\n"
		   "eBPF monitor for insider activity on database hosts.\n\nCommands:\n");
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->help);
	fprintf(f, "\nRun 'bulwark COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("bulwark %s\n", BULWARK_VERSION);
		return 0;
	}
	for (const struct cmd *c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "bulwark: unknown command '%s'; run 'bulwark --help' for the list\n", argv[1]);
	return 2;
}
