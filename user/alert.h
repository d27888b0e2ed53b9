/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Alerts in Falco's JSON output shape, plus bulwark's action fields. */
#ifndef BULWARK_ALERT_H
#define BULWARK_ALERT_H

#include "event.h"
#include "json.h"
#include "rules.h"

/*
 * Appends one alert object (no newline):
 * {"time":"2026-11-24T19:20:00.123456789Z","rule":..,"priority":"Critical",
 *  "output":"<formatted>","output_fields":{<fields named in output and the
 *  identity fields>},"source":"syscall"|"database","hostname":..,"tags":[..],
 *  "action":"kill_session","action_result":<action_result_json or null>}
 * action_result_json is a JSON value written as is (NULL -> null).
 */
void alert_to_json(struct jbuf *b, const struct rule *r, const struct bw_event *e,
		   const char *hostname, const char *action_result_json);

#endif /* BULWARK_ALERT_H */
