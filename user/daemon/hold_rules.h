/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What the kill rules ask of the database hold: the statement kinds to hold, and whether a statement must not run. */
#ifndef BULWARK_HOLD_RULES_H
#define BULWARK_HOLD_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include "core/event.h"
#include "rules/rules.h"

/*
 * The statement kinds (1u << enum sql_kind) that an enabled kill rule on
 * db_query can match, found by asking each such rule about probe events,
 * one per kind and situation (a client in a login session, its server
 * side, a client on another host; destructive or not). A kill rule on
 * statements that none of them satisfies (its condition is on other
 * fields, such as db.user alone) gives every kind. SELECT, INSERT and
 * OTHER are never held.
 */
uint32_t hold_rules_kinds(const struct rules *rs);

/* Whether an enabled kill rule of rs matches e (thresholds aside). */
bool hold_rules_kill(const struct rules *rs, const struct bw_event *e);

#endif /* BULWARK_HOLD_RULES_H */
