/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The command line: the command tables, the one (argp) parser every command uses, exit codes. */
#ifndef BULWARK_CLI_H
#define BULWARK_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes, the same for every command. */
enum cli_exit {
	CLI_OK = 0,    /* done */
	CLI_FAIL = 1,  /* the work failed: bad rules, no journal, no daemon... */
	CLI_USAGE = 2, /* bad command line: unknown option, bad value, missing argument */
};

/* cli_parse() result: parsed, the command goes on. */
#define CLI_GO_ON (-1)

/* Where rules come from without --rules: ./rules, then the installed set. */
#define CLI_RULES_LOCAL_DIR "rules"
#define CLI_RULES_SYSTEM_DIR "/usr/local/share/bulwark/rules"

/* One (sub)command, bpftool-style. */
struct cmd {
	const char *name;                 /* the word on the command line */
	int (*fn)(int argc, char **argv); /* argv[0] is the full name ("bulwark rules check") */
	const char *help;                 /* one line for the table's --help */
};

/*
 * Parses argv with argp, adding the options every command has (-h/--help,
 * --usage, -V/--version). argv[0] must be the command's full name: messages
 * start with it. Help goes to out, errors to err (getopt itself writes its
 * "unrecognized option" line to stderr). Returns CLI_GO_ON, or the exit code
 * the command returns at once: CLI_OK after --help or --version, CLI_USAGE
 * after a usage error (already printed, with a pointer to --help).
 * argp's doc: "USAGE: ..." and the description, then \v, notes and EXAMPLES.
 * An argp without args_doc takes no arguments.
 */
int cli_parse(const struct argp *argp, unsigned flags, int argc, char **argv, void *input,
	      FILE *out, FILE *err);

/* From a parser: prints "NAME: message" and the --help pointer; returns EINVAL for the parser to return. */
int cli_usage_error(const struct argp_state *state, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Runs the command of cmds named by the first argument, bpftool-style
 * (unambiguous prefixes work). doc is the group's argp doc; the table is
 * added to its --help. Returns the exit code.
 */
int cli_dispatch(const struct cmd *cmds, const char *doc, int argc, char **argv);

/* The rules used without --rules (./rules/ or the installed set), or NULL when neither exists. */
const char *cli_default_rules(void);

/* The commands; each returns its exit code. */
int cmd_run(int argc, char **argv);    /* cli/cmd_run.c */
int cmd_status(int argc, char **argv); /* cli/cmd_status.c */
int cmd_rules(int argc, char **argv);  /* cli/rules_cli.c */
int cmd_replay(int argc, char **argv); /* cli/rules_cli.c */
int cmd_dump(int argc, char **argv);   /* cli/dump.c */
int cmd_config(int argc, char **argv); /* cli/cmd_config.c */

struct config;
/*
 * Reads the config file at path (a missing file is an error only when
 * explicit), applies the -o overrides, and checks every value with the run
 * parser. Errors go to err as PATH:LINE:COL: message. 0, -EINVAL after
 * errors, or -ENOMEM. c is initialised here; free it with config_free().
 * (cli/cmd_run.c)
 */
int run_config_read(struct config *c, const char *path, bool explicit, const char *const *ov,
		    int nov, FILE *err);
int cmd_sessions(int argc, char **argv); /* cli/cmd_sessions.c */
int cmd_report(int argc, char **argv); /* cli/report.c */
int cmd_unload(int argc, char **argv); /* cli/cmd_unload.c */

#endif /* BULWARK_CLI_H */
