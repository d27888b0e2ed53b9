// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark config: check the config file (PATH:LINE:COL errors, as rules check) and list its keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "config/config.h"
#include "rules/rules.h"

#define CHECK_MAX_OVERRIDES 64

struct check_env {
	const char *path;
	const char *ov[CHECK_MAX_OVERRIDES];
	int nov;
};

static const struct argp_option check_options[] = {
	{ "option", 'o', "KEY=VALUE", 0, "check with this override too, as run -o does; repeatable", 0 },
	{ 0 },
};

static error_t check_parse(int key, char *arg, struct argp_state *state)
{
	struct check_env *e = state->input;

	switch (key) {
	case 'o':
		if (e->nov >= CHECK_MAX_OVERRIDES)
			return cli_usage_error(state, "-o '%s': at most %d -o", arg, CHECK_MAX_OVERRIDES);
		e->ov[e->nov++] = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (e->path)
			return cli_usage_error(state, "'%s': check one config file at a time", arg);
		e->path = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int config_check(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark config check [-o KEY=VALUE]... [PATH]\n"
		"\n"
		"Check a config file: unknown keys (with the nearest known one), values of the\n"
		"wrong type and bad values, each printed as PATH:LINE:COL: message on stderr.\n"
		"The rule files it names are loaded and checked too. Prints a one-line\n"
		"summary when all is well."
		"\v"
		"Without PATH: " CONFIG_DEFAULT_PATH ". The keys are described in\n"
		"bulwark.yaml(5); 'bulwark config keys' lists them.\n"
		"\n"
		"Exit status: 0 when the file is valid, 1 when it has errors or cannot be\n"
		"read, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark config check\n"
		"  bulwark config check /etc/bulwark/bulwark.yaml\n"
		"  bulwark config check -o metrics.listen=9090 ./bulwark.yaml";
	static const struct argp argp = { check_options, check_parse, "[PATH]", doc, 0, 0, 0 };
	const char *rpaths[CONFIG_MAX_ITEMS];
	struct check_env e = { 0 };
	struct rules *rs = NULL;
	struct config c;
	int rc, nr = 0;

	rc = cli_parse(&argp, 0, argc, argv, &e, stdout, stderr);
	if (rc != CLI_GO_ON)
		return rc;
	if (!e.path)
		e.path = CONFIG_DEFAULT_PATH;
	rc = run_config_read(&c, e.path, true, e.ov, e.nov, stderr);
	if (rc) {
		if (rc == -ENOMEM)
			fprintf(stderr, "%s: out of memory\n", argv[0]);
		else if (c.path)
			fprintf(stderr, "%s: %s has errors (above)\n", argv[0], e.path);
		config_free(&c);
		return CLI_FAIL;
	}
	/* --rules=PATH items: the rules the daemon would load */
	for (int i = 0; i < c.nitems; i++)
		if (!strcmp(c.items[i].key, "rules"))
			rpaths[nr++] = strchr(c.items[i].arg, '=') + 1;
	if (nr) {
		rc = rules_load(rpaths, nr, &rs, stderr);
		if (rc) {
			fprintf(stderr, "%s: %s: the rules it names have %d error%s (above)\n", argv[0],
				e.path, rc > 0 ? rc : 1, rc == 1 ? "" : "s");
			config_free(&c);
			return CLI_FAIL;
		}
	}
	printf("%s: ok: %d key%s set, %d output%s", e.path, c.nset, c.nset == 1 ? "" : "s",
	       c.noutputs, c.noutputs == 1 ? "" : "s");
	if (nr)
		printf(", %d rules from %d path%s", rules_count(rs), nr, nr == 1 ? "" : "s");
	printf("\n");
	rules_free(rs);
	config_free(&c);
	return CLI_OK;
}

static int config_keys(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark config keys\n"
		"\n"
		"List the config file's keys: dotted name, type, and the run option each sets."
		"\v"
		"-o KEY=VALUE takes the same names. Details are in bulwark.yaml(5).\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark config keys";
	static const struct argp argp = { NULL, NULL, NULL, doc, 0, 0, 0 };
	int rc;

	rc = cli_parse(&argp, 0, argc, argv, NULL, stdout, stderr);
	if (rc != CLI_GO_ON)
		return rc;
	config_print_keys(stdout);
	return CLI_OK;
}

int cmd_config(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "check", config_check, "validate a config file; PATH:LINE:COL: message per error" },
		{ "keys", config_keys, "list the keys, their types and the run options they set" },
		{ 0 },
	};
	static const char doc[] =
		"USAGE: bulwark config COMMAND [OPTION...] [PATH]\n"
		"\n"
		"The config file (" CONFIG_DEFAULT_PATH "): check it, list its keys."
		"\v"
		"Run 'bulwark config COMMAND --help' for a command's options.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark config check /etc/bulwark/bulwark.yaml\n"
		"  bulwark config keys";

	return cli_dispatch(cmds, doc, argc, argv);
}
