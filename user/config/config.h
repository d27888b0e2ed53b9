/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The config file (/etc/bulwark/bulwark.yaml) and -o overrides, read into `bulwark run` options. */
#ifndef BULWARK_CONFIG_H
#define BULWARK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/bulwark/bulwark.yaml"
#define CONFIG_MAX_ITEMS 512
#define CONFIG_MAX_OUTPUTS 16

/*
 * The file does not get its own option struct: every key names one option
 * of `bulwark run` (journal.dir is --journal), and config_items() hands
 * them back as "--journal=/x" items that the run parser reads before the
 * command line. So the file, -o and the flags share one parser, one set of
 * checks and one set of messages, and a flag wins because it comes later.
 */
struct config_item {
	char *arg;          /* "--journal=/x" or "--no-kill": one run option */
	const char *key;    /* the config key it came from ("journal.dir") */
	const char *file;   /* where it was set: the config path, or "-o" */
	int line, col;      /* 1-based; 0 for -o */
};

struct config {
	char *path;                          /* the file read, NULL for none */
	struct config_item items[CONFIG_MAX_ITEMS];
	int nitems;
	/* outputs: as TYPE:key=value specs (outputs_config_parse_spec()'s input) */
	char *output_specs[CONFIG_MAX_OUTPUTS];
	int output_line[CONFIG_MAX_OUTPUTS], output_col[CONFIG_MAX_OUTPUTS];
	int noutputs;
	char *aggregate_spec;                /* "aggregate:window=60s,after=10", or NULL */
	int nset;                            /* keys set (file and -o) */
	/* private: values per key, before config_finish() turns them into items */
	struct config_val *vals;
};

/* What config_load() and config_override() report, one line per error. */
struct config_diag {
	FILE *err;          /* "PATH:LINE:COL: message" lines go here */
	int nerrors;
};

void config_init(struct config *c);
void config_free(struct config *c);

/*
 * Reads a YAML config file. Unknown keys (with a did-you-mean), values of
 * the wrong type and malformed YAML are reported to dg as PATH:LINE:COL.
 * Returns 0, -ENOENT when the file does not exist (nothing reported: the
 * caller decides whether that is an error), or -EINVAL after errors.
 */
int config_load(struct config *c, const char *path, struct config_diag *dg);

/* Applies one -o key=value (dotted key; lists as a,b,c). 0 or -EINVAL (reported). */
int config_override(struct config *c, const char *kv, struct config_diag *dg);

/* Turns the values into c->items, file order first. 0 or -ENOMEM. */
int config_finish(struct config *c);

/* Prints the keys the file takes, one per line with its type and option (for docs and tests). */
void config_print_keys(FILE *out);

#endif /* BULWARK_CONFIG_H */
