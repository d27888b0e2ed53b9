/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Rule engine: Falco-style YAML rules compiled to an allocation-free evaluator. */
#ifndef BULWARK_RULES_H
#define BULWARK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/event.h"

enum rule_action {
	RULE_ALERT = 0,        /* "alert" (default) */
	RULE_KILL_PROCESS = 1, /* "kill_process" */
	RULE_KILL_SESSION = 2, /* "kill_session" */
};

enum rule_priority {   /* syslog order, as Falco */
	PRI_EMERGENCY = 0, PRI_ALERT, PRI_CRITICAL, PRI_ERROR,
	PRI_WARNING, PRI_NOTICE, PRI_INFORMATIONAL, PRI_DEBUG,
};

struct rules;  /* a compiled rule set, with its threshold state */
struct rule;   /* one compiled rule */

/*
 * Loads rule files in order; a PATH that is a directory loads its *.yaml
 * files sorted by name. Later files may append to or override lists,
 * macros and rules of earlier ones. Each error is printed to errf as
 * "PATH:LINE:COL: message" (with a hint where one helps); warnings are
 * printed as "PATH:LINE:COL: warning: message" and do not fail the load.
 * Returns 0 and *out, or the number of errors (> 0), or -errno.
 */
int rules_load(const char *const *paths, int npaths, struct rules **out, FILE *errf);
void rules_free(struct rules *rs);
int rules_count(const struct rules *rs);         /* enabled rules */

/* Rule text held in memory; name is used in messages as PATH. */
struct rules_source {
	const char *name;
	const char *text;
	size_t len;
};

/*
 * rules_load() that also writes one line per rule to report, Falco users'
 * porting view: "loads", "loads disabled: WHY" or "fails: ERROR", each
 * with the rule's PATH:LINE, then a summary per file.
 */
int rules_load_report(const char *const *paths, int npaths, struct rules **out, FILE *errf,
		      FILE *report);

/* rules_load() for texts instead of files (tests, embedded rules). */
int rules_load_sources(const struct rules_source *src, int n, struct rules **out, FILE *errf);

/* Called for each rule that fires on an event (threshold rules only when
 * the threshold is crossed). */
typedef void (*rules_match_fn)(void *ctx, const struct rule *r, const struct bw_event *e);

/*
 * Evaluates every enabled rule against e. Does not allocate. Only the
 * rules indexed under e's evt.type are tried. Updates threshold state, so
 * one rule set must not be evaluated from two threads at once.
 */
void rules_eval(struct rules *rs, const struct bw_event *e, rules_match_fn fn, void *ctx);

/* Forgets all threshold state and counters (e.g. between replayed files). */
void rules_reset_state(struct rules *rs);

/* The evt.type values (bit 1 << enum bw_evt) any enabled rule can match:
 * the kernel side may drop every other type early. */
uint64_t rules_type_mask(const struct rules *rs);
/* An enabled rule uses field f (enum bw_field) in its condition or output. */
bool rules_use_field(const struct rules *rs, int f);

struct rules_summary {
	int rules;     /* rules compiled, disabled ones included */
	int enabled;   /* of which enabled */
	int macros;
	int lists;
	int warnings;  /* warnings printed while loading */
};
void rules_get_summary(const struct rules *rs, struct rules_summary *s);

int rules_nrules(const struct rules *rs);                     /* all, disabled too */
const struct rule *rules_rule(const struct rules *rs, int i); /* 0 <= i < rules_nrules */
const struct rule *rules_find(const struct rules *rs, const char *name); /* NULL if none */

/* Whether r's condition holds for e, ignoring enabled and thresholds. */
bool rule_matches(const struct rules *rs, const struct rule *r, const struct bw_event *e);

/* Items of list name (after overrides), or -1 when there is no such list. */
int rules_list_items(const struct rules *rs, const char *name, const char *const **items);

/* Trees (absolute paths, globs allowed) an enabled rule's 'protect' key asks
 * the kernel to enforce; the count, 0 for none. */
int rule_protect(const struct rule *r, const char *const **paths);

const char *rule_name(const struct rule *r);
enum rule_action rule_action(const struct rule *r);
enum rule_priority rule_priority(const struct rule *r);
const char *rule_action_name(enum rule_action a);
const char *rule_priority_name(enum rule_priority p);  /* Falco case: "Critical" */
int rule_priority_from_name(const char *name);  /* any case, INFO too; -1 if unknown */
int rule_action_from_name(const char *name);    /* -1 if unknown */

const char *rule_desc(const struct rule *r);           /* "" when not given */
const char *rule_source(const struct rule *r);         /* "syscall" or "database" */
const char *rule_output_format(const struct rule *r);  /* output as written */

/* The compiled output, in order: literal text, or a field to print. */
struct rule_output_seg {
	int field;             /* enum bw_field, -1 for literal text, -2 for a Falco field
				  bulwark does not fill (prints <NA>) */
	const char *p;         /* literal bytes (field -1), else the field's name as written */
	uint32_t len;
	int idx;               /* proc.aname[N], evt.arg.NAME: see event_value(); -1 none */
};
int rule_output_segs(const struct rule *r, const struct rule_output_seg **segs); /* the count */
/* Fields for an alert's output_fields, in event order; returns the count. */
int rule_output_fields(const struct rule *r, const int **fields);
bool rule_enabled(const struct rule *r);
/* Why the rule loads disabled although enabled in its file (a field or an
 * event type bulwark does not capture), or NULL. */
const char *rule_why_disabled(const struct rule *r);
int rule_tags(const struct rule *r, const char *const **tags); /* returns the count */
/* False when r has no threshold; else its count, window and group-by field. */
bool rule_threshold(const struct rule *r, uint32_t *count, uint64_t *window_ns, int *by_field);
/* Times the condition matched, and times the rule fired (alerts). */
void rule_counters(const struct rule *r, uint64_t *matches, uint64_t *fired);

#endif /* BULWARK_RULES_H */
