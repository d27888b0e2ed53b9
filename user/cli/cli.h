/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Subcommand entry points; each returns the process exit code. */
#ifndef BULWARK_CLI_H
#define BULWARK_CLI_H

#define BULWARK_VERSION "0.1.0"

struct cmd {
	const char *name;                 /* argv[1] */
	int (*fn)(int argc, char **argv); /* argv[0] is the command name */
	const char *help;                 /* one line for bulwark --help */
};

int cmd_run(int argc, char **argv);    /* user/daemon.c */
int cmd_status(int argc, char **argv); /* user/status.c */
int cmd_rules(int argc, char **argv);  /* user/rules_cli.c */
int cmd_replay(int argc, char **argv); /* user/rules_cli.c */
int cmd_dump(int argc, char **argv);   /* user/dump.c */

#endif /* BULWARK_CLI_H */
