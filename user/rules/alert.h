/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Alerts in Falco's JSON output shape, plus bulwark's action fields. */
#ifndef BULWARK_ALERT_H
#define BULWARK_ALERT_H

#include "core/event.h"
#include "core/json.h"
#include "rules/rules.h"

/*
 * Appends one alert object (no newline):
 * {"time":"2026-11-24T19:20:00.123456789Z","rule":..,"priority":"Critical",
 *  "output":"<formatted>","output_fields":{<fields named in output and the
 *  identity fields>},"source":"syscall"|"database","hostname":..,"tags":[..],
 *  "action":"kill_session","action_result":<action_result_json or null>}
 * action_result_json is a JSON value written as is (NULL -> null).
 * time is evt.time (now, if the event has none). output_fields holds the
 * fields named in the output plus evt.time, evt.type, proc.pid, proc.name,
 * user.loginuid and session.id, in event JSON key order; a field the event
 * does not carry is null. For a kill rule the outcome is repeated where
 * every router keeps it: output_fields gains bulwark.action,
 * bulwark.status and bulwark.killed (bulwark.would_kill with --no-kill),
 * and output ends with " [action=kill_session status=killed killed=3]".
 * Allocates only when b has to grow.
 */
void alert_to_json(struct jbuf *b, const struct rule *r, const struct bw_event *e,
		   const char *hostname, const char *action_result_json);

/*
 * Appends r's output text for e, unquoted: %field is replaced by the
 * value (strings as is, numbers in decimal, evt.time as RFC 3339), and a
 * field the event does not carry prints as <NA>.
 */
void alert_format_output(struct jbuf *b, const struct rule *r, const struct bw_event *e);

/* Writes ns since the epoch as "2026-11-24T19:20:00.123456789Z" (31 bytes + NUL). */
void alert_format_time(char *buf, size_t n, uint64_t ns);

#endif /* BULWARK_ALERT_H */
