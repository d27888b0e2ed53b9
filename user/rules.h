/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Rule engine: Falco-style YAML rules compiled to an allocation-free evaluator. */
#ifndef BULWARK_RULES_H
#define BULWARK_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "event.h"

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
 * "PATH:LINE:COL: message" (with a hint where one helps).
 * Returns 0 and *out, or the number of errors (> 0), or -errno.
 */
int rules_load(const char *const *paths, int npaths, struct rules **out, FILE *errf);
void rules_free(struct rules *rs);
int rules_count(const struct rules *rs);         /* enabled rules */

/* Called for each rule that fires on an event (threshold rules only when
 * the threshold is crossed). */
typedef void (*rules_match_fn)(void *ctx, const struct rule *r, const struct bw_event *e);

/* Evaluates every enabled rule against e. Does not allocate. */
void rules_eval(struct rules *rs, const struct bw_event *e, rules_match_fn fn, void *ctx);

const char *rule_name(const struct rule *r);
enum rule_action rule_action(const struct rule *r);
enum rule_priority rule_priority(const struct rule *r);
const char *rule_action_name(enum rule_action a);
const char *rule_priority_name(enum rule_priority p);

#endif /* BULWARK_RULES_H */
