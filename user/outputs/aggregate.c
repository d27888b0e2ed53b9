// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Alert aggregation: a noisy non-kill rule becomes a few alerts and one summary per window. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/json.h"
#include "outputs/outputs_int.h"

#define AGG_BUCKETS 256
/* Past this many distinct rule names, new names pass unaggregated: memory stays bounded. */
#define AGG_MAX_RULES 4096

struct agg_rule {
	char *name;
	uint64_t hash;
	uint64_t start_ns;      /* window start (monotonic), 0 when no window is open */
	uint32_t count;         /* alerts in this window, passed and held */
	uint64_t held;          /* alerts held back in this window */
	int priority;
	struct jbuf first;      /* first held alert */
	struct jbuf last;       /* last held alert */
	struct agg_rule *next;
};

struct aggregator {
	struct outputs_aggregate cfg;
	struct agg_rule *tab[AGG_BUCKETS];
	size_t nrules;
	uint64_t held_total;    /* alerts held back since start */
	uint64_t summaries;     /* summaries emitted */
	struct jbuf out;        /* the summary being built */
	char *scratch;
	size_t scratch_cap;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int aggregate_new(const struct outputs_aggregate *cfg, struct aggregator **out)
{
	struct aggregator *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	*out = g;
	return 0;
}

void aggregate_free(struct aggregator *g)
{
	if (!g)
		return;
	for (int i = 0; i < AGG_BUCKETS; i++)
		for (struct agg_rule *r = g->tab[i], *n; r; r = n) {
			n = r->next;
			free(r->name);
			jbuf_free(&r->first);
			jbuf_free(&r->last);
			free(r);
		}
	jbuf_free(&g->out);
	free(g->scratch);
	free(g);
}

static struct agg_rule *find_rule(struct aggregator *g, const char *name, bool add)
{
	uint64_t h = hash_str(name);
	struct agg_rule **b = &g->tab[h % AGG_BUCKETS], *r;

	for (r = *b; r; r = r->next)
		if (r->hash == h && !strcmp(r->name, name))
			return r;
	if (!add || g->nrules >= AGG_MAX_RULES)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name))) {
		free(r);
		return NULL;
	}
	r->hash = h;
	r->next = *b;
	*b = r;
	g->nrules++;
	return r;
}

struct sum_ctx {
	struct aggregator *g;
	struct agg_rule *r;
	bool first_key;
	char first_time[48], last_time[48];
};

/* Picks "time" out of an alert object. */
static int time_kv(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	char *dst = ctx;

	if (kl == 4 && !memcmp(k, "time", 4) && v->type == JV_STR) {
		size_t n = v->len < 47 ? v->len : 47;

		memcpy(dst, v->p, n);
		dst[n] = 0;
		return 1;
	}
	return 0;
}

static void put_raw_value(struct jbuf *b, const struct json_val *v)
{
	switch (v->type) {
	case JV_STR: json_put_str(b, v->p, v->len); break;
	case JV_NUM: case JV_RAW: jbuf_put(b, v->p, v->len); break;
	case JV_BOOL: jbuf_puts(b, v->b ? "true" : "false"); break;
	case JV_NULL: jbuf_puts(b, "null"); break;
	}
}

/* Copies the last held alert key by key, extending output and output_fields. */
static int sum_kv(void *vctx, const char *k, size_t kl, const struct json_val *v)
{
	struct sum_ctx *c = vctx;
	struct jbuf *b = &c->g->out;
	char key[128];
	char win[32];
	uint64_t ws = c->g->cfg.window_ns / 1000000000ull;

	if (kl >= sizeof(key))
		return 0;
	memcpy(key, k, kl);
	key[kl] = 0;
	if (!c->first_key)
		jbuf_putc(b, ',');
	c->first_key = false;
	json_put_key(b, key);
	snprintf(win, sizeof(win), "%llus", (unsigned long long)ws);
	if (!strcmp(key, "output") && v->type == JV_STR) {
		struct jbuf t = { 0 };

		jbuf_put(&t, v->p, v->len);
		jbuf_printf(&t, " [aggregated: %llu more alerts of this rule from %s to %s, window %s]",
			    (unsigned long long)c->r->held, c->first_time, c->last_time, win);
		if (jbuf_ok(&t))
			json_put_str(b, t.p, t.len);
		else
			put_raw_value(b, v);
		jbuf_free(&t);
		return 0;
	}
	if (!strcmp(key, "output_fields") && v->type == JV_RAW && v->len >= 2 && v->p[0] == '{') {
		bool empty = true;

		for (size_t i = 1; i + 1 < v->len; i++)
			if (v->p[i] != ' ' && v->p[i] != '\n' && v->p[i] != '\t')
				empty = false;
		jbuf_put(b, v->p, v->len - 1); /* without its closing brace */
		jbuf_printf(b, "%s\"bulwark.aggregated\":%llu,\"bulwark.first_time\":", empty ? "" : ",",
			    (unsigned long long)c->r->held);
		json_put_str(b, c->first_time, strlen(c->first_time));
		jbuf_puts(b, ",\"bulwark.last_time\":");
		json_put_str(b, c->last_time, strlen(c->last_time));
		jbuf_putc(b, '}');
		return 0;
	}
	put_raw_value(b, v);
	return 0;
}

static void emit_summary(struct aggregator *g, struct agg_rule *r, aggregate_emit_fn fn, void *ctx)
{
	struct sum_ctx c = { .g = g, .r = r, .first_key = true };
	size_t need = r->last.len + r->first.len + 64;
	char err[128];

	if (!r->held)
		return;
	if (g->scratch_cap < need) {
		char *p = realloc(g->scratch, need);

		if (!p)
			goto reset;
		g->scratch = p;
		g->scratch_cap = need;
	}
	json_parse_object(r->first.p, r->first.len, g->scratch, time_kv, c.first_time, err,
			  sizeof(err));
	json_parse_object(r->last.p, r->last.len, g->scratch, time_kv, c.last_time, err,
			  sizeof(err));
	jbuf_reset(&g->out);
	jbuf_putc(&g->out, '{');
	if (json_parse_object(r->last.p, r->last.len, g->scratch, sum_kv, &c, err, sizeof(err)))
		goto reset;
	jbuf_printf(&g->out, ",\"aggregate\":{\"count\":%llu,\"window_s\":%llu,\"first\":",
		    (unsigned long long)r->held,
		    (unsigned long long)(g->cfg.window_ns / 1000000000ull));
	jbuf_put(&g->out, r->first.p, r->first.len);
	jbuf_puts(&g->out, "}}");
	if (jbuf_ok(&g->out)) {
		g->summaries++;
		fn(ctx, g->out.p, g->out.len, r->priority);
	}
reset:
	r->held = 0;
	jbuf_reset(&r->first);
	jbuf_reset(&r->last);
}

bool aggregate_offer(struct aggregator *g, const struct outputs_alert *a, uint64_t now,
		     aggregate_emit_fn fn, void *ctx)
{
	struct agg_rule *r;

	if (!g->cfg.on || a->kill || !a->rule)
		return false;
	r = find_rule(g, a->rule, true);
	if (!r)
		return false;
	if (r->start_ns && now - r->start_ns >= g->cfg.window_ns) {
		emit_summary(g, r, fn, ctx);
		r->start_ns = 0;
	}
	if (!r->start_ns) {
		r->start_ns = now;
		r->count = 0;
	}
	if (r->count < UINT32_MAX)
		r->count++;
	if (r->count <= g->cfg.after)
		return false;
	r->priority = a->priority;
	jbuf_reset(&r->last);
	jbuf_put(&r->last, a->json, a->len);
	if (!r->held)
		jbuf_put(&r->first, a->json, a->len);
	if (!jbuf_ok(&r->last) || !jbuf_ok(&r->first)) {
		/* no memory to keep it: send it rather than lose it */
		jbuf_reset(&r->last);
		return false;
	}
	r->held++;
	g->held_total++;
	return true;
}

void aggregate_flush(struct aggregator *g, uint64_t now, bool all, aggregate_emit_fn fn, void *ctx)
{
	for (int i = 0; i < AGG_BUCKETS; i++)
		for (struct agg_rule *r = g->tab[i]; r; r = r->next) {
			if (!r->start_ns || (!all && now - r->start_ns < g->cfg.window_ns))
				continue;
			emit_summary(g, r, fn, ctx);
			r->start_ns = 0;
		}
}

void aggregate_stats(const struct aggregator *g, uint64_t *held, uint64_t *summaries)
{
	*held = g->held_total;
	*summaries = g->summaries;
}
