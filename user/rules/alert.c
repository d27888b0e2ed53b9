// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Alerts: the formatted output text and the Falco-shaped JSON object. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "rules/alert.h"

void alert_format_time(char *buf, size_t n, uint64_t ns)
{
	clock_format_utc(buf, n, ns);
}

/* JSON-escaped bytes without the surrounding quotes. */
static void put_escaped(struct jbuf *b, const char *p, size_t n)
{
	size_t at = b->len;

	json_put_str(b, p, n);
	if (!jbuf_ok(b) || b->len < at + 2)
		return;
	memmove(b->p + at, b->p + at + 1, b->len - at - 2);
	b->len -= 2;
	b->p[b->len] = 0;
}

/* Output text; escape is set when it is being written inside a JSON string. */
static void format_output(struct jbuf *b, const struct rule *r, const struct bw_event *e,
			  bool escape)
{
	const struct rule_output_seg *segs;
	int nsegs = rule_output_segs(r, &segs);

	for (int i = 0; i < nsegs; i++) {
		const struct rule_output_seg *s = &segs[i];
		struct bw_value v;
		char tbuf[40], vbuf[1024];

		if (s->field == -1) {
			if (escape)
				put_escaped(b, s->p, s->len);
			else
				jbuf_put(b, s->p, s->len);
			continue;
		}
		if (s->field < 0 || !event_value(e, s->field, s->idx, &v, vbuf, sizeof(vbuf))) {
			jbuf_puts(b, "<NA>");
			continue;
		}
		switch (v.kind) {
		case BW_K_STR:
			if (escape)
				put_escaped(b, v.s.p, v.s.len);
			else
				jbuf_put(b, v.s.p, v.s.len);
			break;
		case BW_K_U64:
			if (s->field == FLD_EVT_TIME) {
				alert_format_time(tbuf, sizeof(tbuf), v.u);
				jbuf_puts(b, tbuf);
			} else {
				json_put_u64(b, v.u);
			}
			break;
		case BW_K_S64:
			json_put_s64(b, v.i);
			break;
		case BW_K_BOOL:
			jbuf_puts(b, v.u ? "true" : "false");
			break;
		}
	}
}

/*
 * The kill outcome, copied out of action_result into output_fields and
 * the end of output, so that routers which keep only Falco's keys (as
 * Falcosidekick, which drops action and action_result) still show it.
 * action_result is actions.c's own flat object whose "status" is one
 * plain word, so a scan for the keys is enough.
 */
struct outcome {
	char status[32];       /* "" when action_result has none */
	long long killed;      /* killed, or would_kill with --no-kill */
	const char *count_key; /* "killed", "would_kill", or NULL */
};

static void action_outcome(const char *res, struct outcome *o)
{
	const char *p;
	size_t n = 0;

	memset(o, 0, sizeof(*o));
	if (!res)
		return;
	p = strstr(res, "\"status\":\"");
	if (p)
		for (p += 10; p[n] && p[n] != '"' && n + 1 < sizeof(o->status); n++)
			o->status[n] = p[n];
	o->status[n] = 0;
	if ((p = strstr(res, "\"killed\":")))
		o->count_key = "killed", o->killed = strtoll(p + 9, NULL, 10);
	else if ((p = strstr(res, "\"would_kill\":")))
		o->count_key = "would_kill", o->killed = strtoll(p + 13, NULL, 10);
}

void alert_format_output(struct jbuf *b, const struct rule *r, const struct bw_event *e)
{
	format_output(b, r, e, false);
}

void alert_to_json(struct jbuf *b, const struct rule *r, const struct bw_event *e,
		   const char *hostname, const char *action_result_json)
{
	bool act = rule_action(r) != RULE_ALERT;
	struct outcome oc;
	const char *const *tags;
	const int *ofields;
	int nofields = rule_output_fields(r, &ofields), ntags = rule_tags(r, &tags);
	char tbuf[40];
	uint64_t ns;

	action_outcome(act ? action_result_json : NULL, &oc);
	if (event_has(e, FLD_EVT_TIME)) {
		ns = e->time_ns;
	} else {
		ns = clock_realtime_ns();
	}
	alert_format_time(tbuf, sizeof(tbuf), ns);
	jbuf_puts(b, "{\"time\":\"");
	jbuf_puts(b, tbuf);
	jbuf_puts(b, "\",\"rule\":");
	json_put_str(b, rule_name(r), strlen(rule_name(r)));
	jbuf_puts(b, ",\"priority\":\"");
	jbuf_puts(b, rule_priority_name(rule_priority(r)));
	jbuf_puts(b, "\",\"output\":\"");
	format_output(b, r, e, true);
	if (act) {
		jbuf_printf(b, " [action=%s", rule_action_name(rule_action(r)));
		if (oc.status[0])
			jbuf_printf(b, " status=%s", oc.status);
		if (oc.count_key)
			jbuf_printf(b, " %s=%lld", oc.count_key, oc.killed);
		jbuf_putc(b, ']');
	}
	jbuf_puts(b, "\",\"output_fields\":{");
	for (int i = 0; i < nofields; i++) {
		struct bw_value v;

		if (i)
			jbuf_putc(b, ',');
		json_put_key(b, bw_fields[ofields[i]].name);
		if (event_get(e, ofields[i], &v))
			json_put_value(b, &v);
		else
			jbuf_puts(b, "null");
	}
	/* Falco fields named in the output that are derived, indexed or not
	 * filled, under the name as written (proc.aname[2], container.image) */
	{
		const struct rule_output_seg *segs;
		int nsegs = rule_output_segs(r, &segs), nput = nofields;

		for (int i = 0; i < nsegs; i++) {
			const struct rule_output_seg *s = &segs[i];
			struct bw_value v;
			char vbuf[1024];
			bool dup = false;

			if (s->field == -1 || (s->field >= 0 && s->idx < 0 &&
					       !(bw_fields[s->field].flags & BW_FF_DERIVED)))
				continue;
			for (int k = 0; k < i && !dup; k++)
				dup = segs[k].field != -1 && segs[k].len == s->len &&
				      !memcmp(segs[k].p, s->p, s->len);
			if (dup)
				continue;
			if (nput++)
				jbuf_putc(b, ',');
			json_put_str(b, s->p, s->len);
			jbuf_putc(b, ':');
			if (s->field >= 0 && event_value(e, s->field, s->idx, &v, vbuf, sizeof(vbuf)))
				json_put_value(b, &v);
			else
				jbuf_puts(b, "null");
		}
		nofields = nput;
	}
	if (act) {
		jbuf_printf(b, "%s\"bulwark.action\":\"%s\"", nofields ? "," : "",
			    rule_action_name(rule_action(r)));
		if (oc.status[0]) {
			jbuf_puts(b, ",\"bulwark.status\":");
			json_put_str(b, oc.status, strlen(oc.status));
		}
		if (oc.count_key)
			jbuf_printf(b, ",\"bulwark.%s\":%lld", oc.count_key, oc.killed);
	}
	jbuf_puts(b, "},\"source\":\"");
	jbuf_puts(b, rule_source(r));
	jbuf_puts(b, "\",\"hostname\":");
	json_put_str(b, hostname ? hostname : "", hostname ? strlen(hostname) : 0);
	jbuf_puts(b, ",\"tags\":[");
	for (int i = 0; i < ntags; i++) {
		if (i)
			jbuf_putc(b, ',');
		json_put_str(b, tags[i], strlen(tags[i]));
	}
	jbuf_puts(b, "],\"action\":\"");
	jbuf_puts(b, rule_action_name(rule_action(r)));
	jbuf_puts(b, "\",\"action_result\":");
	jbuf_puts(b, action_result_json ? action_result_json : "null");
	jbuf_putc(b, '}');
}
