// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The one command-line parser (argp) of every command, and the bpftool-style command tables. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "core/version.h"

enum { OPT_USAGE = 0x3000 };

/* The options every command has; group -1 lists them last in --help. */
static const struct argp_option common_options[] = {
	{ "help", 'h', NULL, 0, "print this help and exit", -1 },
	{ NULL, '?', NULL, OPTION_ALIAS, NULL, -1 },
	{ "usage", OPT_USAGE, NULL, 0, "print every option in one usage line and exit", -1 },
	{ "version", 'V', NULL, 0, "print the version and exit", -1 },
	{ 0 },
};

struct cli_ctx {
	void *input;      /* the command's parser input */
	bool takes_args;  /* the command has an args_doc */
	bool done;        /* --help, --usage or --version printed */
	FILE *out;        /* help and version */
	FILE *err;        /* argp's error reports, kept until the parse ends */
};

int cli_usage_error(const struct argp_state *state, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	argp_error(state, "%s", msg);
	return EINVAL;
}

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	struct cli_ctx *c = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = c->input;
		state->out_stream = c->out;
		state->err_stream = c->err;
		return 0;
	case 'h':
	case '?':
		/* the doc carries the USAGE line: argp's own "Usage: CMD [OPTION...]" would repeat it */
		argp_state_help(state, state->out_stream,
				ARGP_HELP_PRE_DOC | ARGP_HELP_LONG | ARGP_HELP_POST_DOC);
		c->done = true;
		return ECANCELED; /* stop here: no "missing FILE" after --help */
	case OPT_USAGE:
		argp_state_help(state, state->out_stream, ARGP_HELP_USAGE);
		c->done = true;
		return ECANCELED;
	case 'V':
		fprintf(state->out_stream, "bulwark %s\n", BULWARK_VERSION);
		c->done = true;
		return ECANCELED;
	case ARGP_KEY_ARG:
		if (!c->takes_args)
			return cli_usage_error(state, "unexpected argument '%s': '%s' takes options only",
					       arg, state->name);
		return ARGP_ERR_UNKNOWN;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/*
 * argp reports an error as "NAME: message" and a "Try `NAME --help'..."
 * line. Parsers of lower layers (the database options) report with
 * argp_error() and go on, so one bad value can be reported twice: only the
 * first report, up to the next line that starts with "NAME: ", is printed.
 */
static size_t first_report(const char *s, size_t n, const char *name)
{
	char pat[160];
	const char *t;

	snprintf(pat, sizeof(pat), "\n%s: ", name);
	t = n > 1 ? memmem(s + 1, n - 1, pat, strlen(pat)) : NULL;
	return t ? (size_t)(t + 1 - s) : n;
}

int cli_parse(const struct argp *argp, unsigned flags, int argc, char **argv, void *input,
	      FILE *out, FILE *err)
{
	struct argp inner = *argp;
	struct argp_child children[2] = { { &inner, 0, NULL, 0 }, { 0 } };
	struct argp top = { common_options, common_parse, argp->args_doc, argp->doc, children,
			    NULL, NULL };
	struct cli_ctx c = { .input = input, .takes_args = argp->args_doc != NULL, .out = out };
	char *msg = NULL;
	size_t len = 0;
	int rc, ret;

	/* the doc is printed once, from the top */
	inner.doc = NULL;
	inner.args_doc = NULL;
	c.err = open_memstream(&msg, &len);
	if (!c.err) {
		fprintf(err, "%s: out of memory reading the command line\n", argv[0]);
		return CLI_FAIL;
	}
	rc = argp_parse(&top, argc, argv, flags | ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &c);
	fclose(c.err);
	if (c.done) {
		ret = CLI_OK;
	} else if (len) {
		fwrite(msg, 1, first_report(msg, len, argv[0]), err);
		ret = CLI_USAGE;
	} else if (rc) {
		fprintf(err, "%s: cannot read the command line: %s; see '%s --help'\n", argv[0],
			strerror(rc), argv[0]);
		ret = rc == ENOMEM ? CLI_FAIL : CLI_USAGE;
	} else {
		ret = CLI_GO_ON;
	}
	free(msg);
	return ret;
}

/* ---- command tables ---- */

struct dispatch {
	int argi; /* argv index of the command word, 0 for none */
};

static error_t dispatch_parse(int key, char *arg, struct argp_state *state)
{
	struct dispatch *d = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_ARG:
		/* the command word: everything after it is the command's */
		d->argi = state->next - 1;
		state->next = state->argc;
		return 0;
	case ARGP_KEY_NO_ARGS:
		return cli_usage_error(state, "no command given; name one of the commands "
					      "'%s --help' lists", state->name);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The command named w: an exact name, or the one name w is a prefix of. */
static const struct cmd *find_cmd(const struct cmd *cmds, const char *w, int *nprefix)
{
	const struct cmd *hit = NULL;

	*nprefix = 0;
	for (const struct cmd *c = cmds; c->name; c++) {
		if (!strcmp(c->name, w))
			return c;
		if (!strncmp(c->name, w, strlen(w))) {
			hit = c;
			++*nprefix;
		}
	}
	return *nprefix == 1 ? hit : NULL;
}

static void list_cmds(FILE *f, const struct cmd *cmds, const char *prefix)
{
	bool first = true;

	for (const struct cmd *c = cmds; c->name; c++)
		if (!prefix || !strncmp(c->name, prefix, strlen(prefix))) {
			fprintf(f, "%s%s", first ? "" : ", ", c->name);
			first = false;
		}
}

int cli_dispatch(const struct cmd *cmds, const char *doc, int argc, char **argv)
{
	const char *post = strchr(doc, '\v');
	struct argp argp = { NULL, dispatch_parse, "COMMAND [ARG...]", NULL, NULL, NULL, NULL };
	struct dispatch d = { 0 };
	const struct cmd *c;
	char full[4096], name[128];
	int n, rc, nprefix;

	/* the table goes into --help, after the description */
	n = snprintf(full, sizeof(full), "%.*s\n\nCommands:\n",
		     (int)(post ? post - doc : (long)strlen(doc)), doc);
	for (c = cmds; c->name && n > 0 && (size_t)n < sizeof(full); c++)
		n += snprintf(full + n, sizeof(full) - (size_t)n, "  %-8s %s\n", c->name, c->help);
	if (post && n > 0 && (size_t)n < sizeof(full))
		snprintf(full + n, sizeof(full) - (size_t)n, "%s", post);
	argp.doc = full;

	rc = cli_parse(&argp, ARGP_IN_ORDER, argc, argv, &d, stdout, stderr);
	if (rc != CLI_GO_ON)
		return rc;
	c = find_cmd(cmds, argv[d.argi], &nprefix);
	if (!c) {
		fprintf(stderr, "%s: %s command '%s'; the commands are ", argv[0],
			nprefix ? "ambiguous" : "unknown", argv[d.argi]);
		list_cmds(stderr, cmds, nprefix ? argv[d.argi] : NULL);
		if (nprefix)
			fprintf(stderr, " (type more of the name)\n");
		else
			fprintf(stderr, " (see '%s --help')\n", argv[0]);
		return CLI_USAGE;
	}
	snprintf(name, sizeof(name), "%s %s", argv[0], c->name);
	argv[d.argi] = name;
	return c->fn(argc - d.argi, argv + d.argi);
}

const char *cli_default_rules(void)
{
	struct stat st;

	if (!stat(CLI_RULES_LOCAL_DIR, &st) && S_ISDIR(st.st_mode))
		return CLI_RULES_LOCAL_DIR "/";
	if (!stat(CLI_RULES_SYSTEM_DIR, &st) && S_ISDIR(st.st_mode))
		return CLI_RULES_SYSTEM_DIR;
	return NULL;
}
