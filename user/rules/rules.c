// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The rule set: loading and building (outputs, sources, the evt.type
 * index), thresholds, and rules_eval, the hot path.
 *
 * rules_eval() looks only at the rules indexed under the event's
 * evt.type, evaluates their precompiled node trees, and counts threshold
 * matches in preallocated per-rule group tables. It allocates nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

static const char *const action_names[] = { "alert", "kill_process", "kill_session" };
static const char *const priority_names[] = { "Emergency", "Alert", "Critical", "Error", "Warning",
					      "Notice", "Informational", "Debug" };

const char *rule_action_name(enum rule_action a)
{
	return (unsigned)a <= RULE_KILL_SESSION ? action_names[a] : "alert";
}

const char *rule_priority_name(enum rule_priority p)
{
	return (unsigned)p <= PRI_DEBUG ? priority_names[p] : "Debug";
}

int rule_priority_from_name(const char *name)
{
	return rl_parse_priority(name, strlen(name));
}

int rule_action_from_name(const char *name)
{
	return rl_parse_action(name, strlen(name));
}

const char *rule_name(const struct rule *r) { return r->name; }
const char *rule_desc(const struct rule *r) { return r->desc; }
const char *rule_output_format(const struct rule *r) { return r->output_fmt; }
enum rule_action rule_action(const struct rule *r) { return r->action; }
enum rule_priority rule_priority(const struct rule *r) { return r->priority; }
bool rule_enabled(const struct rule *r) { return r->enabled; }
const char *rule_why_disabled(const struct rule *r) { return r->why_disabled; }
const char *rule_source(const struct rule *r)
{
	return r->source == RL_SRC_DATABASE ? "database" : "syscall";
}

int rule_output_segs(const struct rule *r, const struct rule_output_seg **segs)
{
	*segs = r->segs;
	return r->nsegs;
}

int rule_output_fields(const struct rule *r, const int **fields)
{
	*fields = r->ofields;
	return r->nofields;
}

int rule_tags(const struct rule *r, const char *const **tags)
{
	*tags = (const char *const *)r->tags;
	return r->ntags;
}

bool rule_threshold(const struct rule *r, uint32_t *count, uint64_t *window_ns, int *by_field)
{
	if (!r->th)
		return false;
	if (count)
		*count = r->th->cfg.count;
	if (window_ns)
		*window_ns = r->th->cfg.window_ns;
	if (by_field)
		*by_field = r->th->cfg.by;
	return true;
}

void rule_counters(const struct rule *r, uint64_t *matches, uint64_t *fired)
{
	if (matches)
		*matches = r->matches;
	if (fired)
		*fired = r->fired;
}

int rules_count(const struct rules *rs) { return rs ? rs->nenabled : 0; }
int rules_nrules(const struct rules *rs) { return rs ? rs->nrules : 0; }

const struct rule *rules_rule(const struct rules *rs, int i)
{
	return rs && i >= 0 && i < rs->nrules ? &rs->rules[i] : NULL;
}

const struct rule *rules_find(const struct rules *rs, const char *name)
{
	for (int i = 0; rs && i < rs->nrules; i++)
		if (!strcmp(rs->rules[i].name, name))
			return &rs->rules[i];
	return NULL;
}

void rules_get_summary(const struct rules *rs, struct rules_summary *s)
{
	memset(s, 0, sizeof(*s));
	if (!rs)
		return;
	s->rules = rs->nrules;
	s->enabled = rs->nenabled;
	s->macros = rs->nmacros;
	s->lists = rs->nlists;
	s->warnings = rs->nwarnings;
}

uint64_t rules_type_mask(const struct rules *rs)
{
	return rs ? rs->types : 0;
}

/* ---- memory owned by the compiled set ---- */

void *rs_keep(struct rules *rs, void *p)
{
	if (!p)
		return NULL;
	if (rs->nallocs == rs->capallocs) {
		int cap = rs->capallocs ? rs->capallocs * 2 : 64;
		void **n = realloc(rs->allocs, (size_t)cap * sizeof(*n));
		if (!n) {
			free(p);
			return NULL;
		}
		rs->allocs = n;
		rs->capallocs = cap;
	}
	rs->allocs[rs->nallocs++] = p;
	return p;
}

char *rs_strndup(struct rules *rs, const char *s, size_t n)
{
	return rs_keep(rs, strndup(s, n));
}

bool rs_keep_regex(struct rules *rs, void *re)
{
	if (rs->nregexes == rs->capregexes) {
		int cap = rs->capregexes ? rs->capregexes * 2 : 16;
		void **n = realloc(rs->regexes, (size_t)cap * sizeof(*n));
		if (!n) {
			regfree(re);
			free(re);
			return false;
		}
		rs->regexes = n;
		rs->capregexes = cap;
	}
	rs->regexes[rs->nregexes++] = re;
	return true;
}

/* ---- outputs ---- */

static bool field_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_';
}

static int field_suggest(struct rl_ctx *L, struct rl_pos pos, const char *w, size_t n)
{
	/* Falco fields bulwark does not fill print <NA>; compile_output handles them */
	const char *names[FLD_MAX], *near;

	for (int i = 0; i < FLD_MAX; i++)
		names[i] = bw_fields[i].name;
	near = rl_nearest(w, n, names, FLD_MAX);
	if (near)
		rl_error(L, pos, "unknown field '%%%.*s' in output; did you mean '%%%s'?", (int)n, w, near);
	else
		rl_error(L, pos, "unknown field '%%%.*s' in output; 'bulwark rules fields' lists them",
			 (int)n, w);
	return -1;
}

/*
 * "%field" runs over [A-Za-z0-9._]; trailing dots are dropped when that
 * makes a known field, so "deleted %fd.name." works. "%{field}" delimits
 * explicitly and "%%" is a literal '%'. Unknown fields are load errors.
 */
static int compile_output(struct rl_ctx *L, struct rules *rs, struct rule *r,
			  const struct rl_text *t)
{
	const char *s;
	size_t n = t->len, i = 0, lit = 0;
	struct rl_fset used = { 0 };
	int cap = 8, bad = 0, idx;

	rl_fset_add(&used, FLD_EVT_TIME);
	rl_fset_add(&used, FLD_EVT_TYPE);
	rl_fset_add(&used, FLD_PROC_PID);
	rl_fset_add(&used, FLD_PROC_NAME);
	rl_fset_add(&used, FLD_USER_LOGINUID);
	rl_fset_add(&used, FLD_SESSION_ID);

	/* a folded YAML scalar (output: >) ends with a newline; Falco trims it */
	while (n && (t->s[n - 1] == '\n' || t->s[n - 1] == ' ' || t->s[n - 1] == '\t'))
		n--;
	r->output_fmt = rs_strndup(rs, t->s, n);
	r->segs = rs_keep(rs, malloc((size_t)cap * sizeof(*r->segs)));
	if (!r->output_fmt || !r->segs)
		return -ENOMEM;
	s = r->output_fmt;

#define PUSH_SEG(f, p_, l_)                                                           \
	do {                                                                          \
		if (r->nsegs == cap) {                                                \
			struct rule_output_seg *ns = rs_keep(rs, malloc((size_t)cap * 2 * sizeof(*ns))); \
			if (!ns)                                                      \
				return -ENOMEM;                                       \
			memcpy(ns, r->segs, (size_t)cap * sizeof(*ns));               \
			r->segs = ns;                                                 \
			cap *= 2;                                                     \
		}                                                                     \
		r->segs[r->nsegs++] = (struct rule_output_seg){ (f), (p_), (uint32_t)(l_), idx }; \
	} while (0)

	while (i < n) {
		size_t j, nl;
		int f;

		if (s[i] != '%' || i + 1 >= n) {
			i++;
			continue;
		}
		idx = -1;
		if (s[i + 1] == '%') {
			PUSH_SEG(-1, s + lit, i + 1 - lit);
			i += 2;
			lit = i;
			continue;
		}
		if (s[i + 1] == '{') {
			j = i + 2;
			while (j < n && s[j] != '}')
				j++;
			if (j >= n) {
				rl_error(L, rl_text_pos(L, t, i), "'%%{' without a closing '}' in output");
				return -1;
			}
			f = event_field_parse(s + i + 2, j - i - 2, &idx);
			if (f < 0 && rl_falco_field_class(s + i + 2, j - i - 2))
				f = -2;
			if (f == -1) {
				bad |= field_suggest(L, rl_text_pos(L, t, i), s + i + 2, j - i - 2);
				i = j + 1;
				continue;
			}
			if (i > lit)
				PUSH_SEG(-1, s + lit, i - lit);
			PUSH_SEG(f, s + i + 2, j - i - 2);
			if (f >= 0 && idx < 0 && !(bw_fields[f].flags & BW_FF_DERIVED))
				rl_fset_add(&used, f);
			i = j + 1;
			lit = i;
			continue;
		}
		j = i + 1;
		while (j < n && field_char(s[j]))
			j++;
		/* an argument: proc.aname[2], container.mount.dest[/var/run/docker.sock] */
		if (j < n && s[j] == '[' && memchr(s + j, ']', n - j))
			j = (size_t)((const char *)memchr(s + j, ']', n - j) - s) + 1;
		nl = j - i - 1;
		if (!nl) {
			i++;
			continue; /* a lone '%' is literal */
		}
		f = event_field_parse(s + i + 1, nl, &idx);
		while (f < 0 && nl > 1 && s[i + nl] == '.')
			f = event_field_parse(s + i + 1, --nl, &idx);
		if (f < 0) {
			nl = j - i - 1;
			while (nl > 1 && s[i + nl] == '.')
				nl--;
			if (rl_falco_field_class(s + i + 1, nl)) {
				f = -2;
			} else {
				bad |= field_suggest(L, rl_text_pos(L, t, i), s + i + 1, j - i - 1);
				i = j;
				continue;
			}
		}
		if (i > lit)
			PUSH_SEG(-1, s + lit, i - lit);
		PUSH_SEG(f, s + i + 1, nl);
		if (f >= 0 && idx < 0 && !(bw_fields[f].flags & BW_FF_DERIVED))
			rl_fset_add(&used, f);
		i = i + 1 + nl;
		lit = i;
	}
	if (n > lit)
		PUSH_SEG(-1, s + lit, n - lit);
#undef PUSH_SEG
	r->ofields = rs_keep(rs, malloc(FLD_MAX * sizeof(*r->ofields)));
	if (!r->ofields)
		return -ENOMEM;
	/* fd.directory / fd.filename are derived; they appear only when named */
	for (int f = 0; f < FLD_MAX; f++)
		if (rl_fset_has(&used, f))
			r->ofields[r->nofields++] = f;
	return bad;
}

/* ---- thresholds ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static struct rthresh *th_new(struct rules *rs, const struct rl_threshold *cfg)
{
	struct rthresh *th = rs_keep(rs, calloc(1, sizeof(*th)));
	uint32_t size = 8;

	if (!th)
		return NULL;
	th->cfg = *cfg;
	while (size < cfg->max_groups * 2)
		size *= 2;
	th->tmask = size - 1;
	th->ring = rs_keep(rs, calloc((size_t)cfg->max_groups * cfg->count, sizeof(*th->ring)));
	th->groups = rs_keep(rs, calloc(cfg->max_groups, sizeof(*th->groups)));
	th->table = rs_keep(rs, malloc(size * sizeof(*th->table)));
	if (!th->ring || !th->groups || !th->table)
		return NULL;
	memset(th->table, 0xff, size * sizeof(*th->table));
	th->lru_head = th->lru_tail = -1;
	return th;
}

static void th_clear(struct rthresh *th)
{
	memset(th->table, 0xff, (th->tmask + 1) * sizeof(*th->table));
	memset(th->groups, 0, th->cfg.max_groups * sizeof(*th->groups));
	th->ngroups = 0;
	th->lru_head = th->lru_tail = -1;
}

static uint32_t th_home(const struct rthresh *th, uint64_t key, uint8_t tag)
{
	return (uint32_t)mix64(key ^ ((uint64_t)tag << 56)) & th->tmask;
}

static void lru_unlink(struct rthresh *th, int32_t g)
{
	struct rgroup *x = &th->groups[g];

	if (x->prev >= 0)
		th->groups[x->prev].next = x->next;
	else
		th->lru_head = x->next;
	if (x->next >= 0)
		th->groups[x->next].prev = x->prev;
	else
		th->lru_tail = x->prev;
}

static void lru_push_front(struct rthresh *th, int32_t g)
{
	struct rgroup *x = &th->groups[g];

	x->prev = -1;
	x->next = th->lru_head;
	if (th->lru_head >= 0)
		th->groups[th->lru_head].prev = g;
	th->lru_head = g;
	if (th->lru_tail < 0)
		th->lru_tail = g;
}

/* Linear-probing delete with backward shift: no tombstones to pile up. */
static void table_remove(struct rthresh *th, int32_t g)
{
	const struct rgroup *x = &th->groups[g];
	uint32_t i = th_home(th, x->key, x->tag), j;

	while (th->table[i] != g)
		i = (i + 1) & th->tmask;
	j = i;
	for (;;) {
		uint32_t k;
		j = (j + 1) & th->tmask;
		if (th->table[j] < 0)
			break;
		k = th_home(th, th->groups[th->table[j]].key, th->groups[th->table[j]].tag);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		th->table[i] = th->table[j];
		i = j;
	}
	th->table[i] = -1;
}

static int32_t th_group(struct rthresh *th, uint64_t key, uint8_t tag)
{
	uint32_t i = th_home(th, key, tag);
	int32_t g;

	for (; th->table[i] >= 0; i = (i + 1) & th->tmask) {
		g = th->table[i];
		if (th->groups[g].key == key && th->groups[g].tag == tag) {
			lru_unlink(th, g);
			lru_push_front(th, g);
			return g;
		}
	}
	if (th->ngroups < th->cfg.max_groups) {
		g = (int32_t)th->ngroups++;
	} else {
		/* full: forget the least recently active group */
		g = th->lru_tail;
		lru_unlink(th, g);
		table_remove(th, g);
		th->evictions++;
		i = th_home(th, key, tag);
		while (th->table[i] >= 0)
			i = (i + 1) & th->tmask;
	}
	th->groups[g] = (struct rgroup){ .key = key, .tag = tag, .used = true };
	th->table[i] = g;
	lru_push_front(th, g);
	return g;
}

enum { TH_VALUE = 0, TH_PID = 1, TH_HASH = 2 };

/*
 * The group of an event. Audit id 4294967295 ("unset") in session.id or
 * user.loginuid is not one session or one user but every daemon and cron
 * job on the host, so such events, and events without the field, are
 * grouped by proc.pid instead.
 */
static void th_key(const struct rthresh *th, const struct bw_event *e, uint64_t *key, uint8_t *tag)
{
	int by = th->cfg.by;
	const struct bw_field_info *fi = &bw_fields[by];
	const char *base = (const char *)e;
	uint64_t u;

	if (!event_has(e, by))
		goto pid;
	switch (fi->kind) {
	case BW_K_STR: {
		struct bw_str s;
		uint64_t h = 0xcbf29ce484222325ull;
		memcpy(&s, base + fi->offset, sizeof(s));
		for (uint32_t i = 0; i < s.len; i++) {
			h ^= (unsigned char)s.p[i];
			h *= 0x100000001b3ull;
		}
		*key = h;
		*tag = TH_HASH;
		return;
	}
	case BW_K_BOOL:
		u = *(const bool *)(base + fi->offset);
		break;
	default:
		memcpy(&u, base + fi->offset, sizeof(u));
		break;
	}
	if ((by == FLD_SESSION_ID || by == FLD_USER_LOGINUID) && u == BW_NO_SESSION)
		goto pid;
	*key = u;
	*tag = TH_VALUE;
	return;
pid:
	*key = event_has(e, FLD_PROC_PID) ? e->pid : 0;
	*tag = TH_PID;
}

/*
 * One more match for the event's group at time t. Fires on the match
 * that makes count matches within the window (t - window, t]; then the
 * group is quiet for one window: matches before t + window are not
 * counted, after it counting starts from zero. Times never run backwards
 * within a group (ring-buffer reordering across CPUs is clamped).
 */
static bool th_hit(struct rthresh *th, const struct bw_event *e, uint64_t t)
{
	uint32_t cnt = th->cfg.count;
	struct rgroup *g;
	uint64_t *ring, key;
	uint8_t tag;
	int32_t gi;

	th_key(th, e, &key, &tag);
	gi = th_group(th, key, tag);
	g = &th->groups[gi];
	ring = th->ring + (size_t)gi * cnt;
	if (t < g->last)
		t = g->last;
	g->last = t;
	if (t < g->quiet_until)
		return false;
	if (g->n < cnt) {
		ring[(g->head + g->n) % cnt] = t;
		g->n++;
	} else {
		ring[g->head] = t;
		g->head = (g->head + 1) % cnt;
	}
	if (g->n == cnt && t - ring[g->head] < th->cfg.window_ns) {
		g->n = 0;
		g->head = 0;
		g->quiet_until = t > UINT64_MAX - th->cfg.window_ns ? UINT64_MAX : t + th->cfg.window_ns;
		return true;
	}
	return false;
}

void rules_reset_state(struct rules *rs)
{
	for (int i = 0; rs && i < rs->nrules; i++) {
		rs->rules[i].matches = rs->rules[i].fired = 0;
		if (rs->rules[i].th) {
			th_clear(rs->rules[i].th);
			rs->rules[i].th->evictions = 0;
		}
	}
	if (rs)
		rs->last_time = 0;
}

/* ---- evaluation ---- */

void rules_eval(struct rules *rs, const struct bw_event *e, rules_match_fn fn, void *ctx)
{
	unsigned t = (unsigned)e->type < BW_EVT_MAX ? (unsigned)e->type : 0;
	const uint16_t *list = rs->by_type[t];
	int n = rs->nby_type[t];
	uint64_t now;

	if (event_has(e, FLD_EVT_TIME) && e->time_ns > rs->last_time)
		rs->last_time = e->time_ns;
	now = event_has(e, FLD_EVT_TIME) ? e->time_ns : rs->last_time;
	for (int i = 0; i < n; i++) {
		struct rule *r = &rs->rules[list[i]];

		if (!rs_eval_node(rs, r->root, e))
			continue;
		r->matches++;
		if (r->th && !th_hit(r->th, e, now))
			continue;
		r->fired++;
		if (fn)
			fn(ctx, r, e);
	}
}

bool rule_matches(const struct rules *rs, const struct rule *r, const struct bw_event *e)
{
	return rs_eval_node(rs, r->root, e);
}

/* ---- building ---- */

void rules_free(struct rules *rs)
{
	if (!rs)
		return;
	for (int i = 0; i < rs->nallocs; i++)
		free(rs->allocs[i]);
	free(rs->allocs);
	for (int i = 0; i < rs->nregexes; i++) {
		regfree(rs->regexes[i]);
		free(rs->regexes[i]);
	}
	free(rs->regexes);
	free(rs->scratch);
	for (int t = 0; t < BW_EVT_MAX; t++)
		free(rs->by_type[t]);
	free(rs->nodes);
	free(rs->depth);
	free(rs->kidx);
	free(rs->rules);
	free(rs);
}

bool rules_use_field(const struct rules *rs, int f)
{
	for (int i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		if (!r->enabled)
			continue;
		if (rl_fset_has(&r->fields, f))
			return true;
		for (int k = 0; k < r->nsegs; k++)
			if (r->segs[k].field == f)
				return true;
	}
	return false;
}

static bool uses_db_fields(const struct rl_fset *fields)
{
	for (int f = 0; f < FLD_MAX; f++)
		if (rl_fset_has(fields, f) && !strncmp(bw_fields[f].name, "db.", 3))
			return true;
	return false;
}

/*
 * protect: [list names or absolute paths] -> the trees the kernel enforces
 * for this rule. Only kill rules may protect: the kernel's answer is a kill.
 */
static int build_protect(struct rl_ctx *L, struct rules *rs, struct rl_rule *d, struct rule *r)
{
	int n = 0;

	if (!d->nprotect)
		return 0;
	if (d->action == RULE_ALERT) {
		rl_error(L, d->protect_pos, "rule '%s' has 'protect' but its action is alert; the "
			 "kernel enforces protected trees by killing, so use 'action: kill_process' or "
			 "'action: kill_session'", d->name);
		return -1;
	}
	for (int i = 0; i < d->nprotect; i++) {
		if (d->protect[i][0] == '/') {
			n++;
			continue;
		}
		struct rl_list *l = rl_find_list(L, d->protect[i], strlen(d->protect[i]));
		if (!l) {
			rl_error(L, d->protect_pos, "rule '%s': 'protect' names '%s', which is neither an "
				 "absolute path nor a list", d->name, d->protect[i]);
			return -1;
		}
		n += l->nitems;
	}
	r->protect = rs_keep(rs, calloc((size_t)n + 1, sizeof(*r->protect)));
	if (!r->protect)
		return -ENOMEM;
	for (int i = 0; i < d->nprotect; i++) {
		struct rl_list *l;

		if (d->protect[i][0] == '/') {
			if (!(r->protect[r->nprotect++] = rs_strndup(rs, d->protect[i], strlen(d->protect[i]))))
				return -ENOMEM;
			continue;
		}
		l = rl_find_list(L, d->protect[i], strlen(d->protect[i]));
		for (int k = 0; k < l->nitems; k++)
			if (!(r->protect[r->nprotect++] = rs_strndup(rs, l->items[k].s, l->items[k].len)))
				return -ENOMEM;
	}
	return 0;
}

/*
 * The condition a rule is compiled from: its own, and "and not (...)" of
 * its exceptions' rows (Falco's exceptions: are exactly that).
 */
static int rule_cond_text(struct rl_ctx *L, const struct rl_rule *d, struct rl_text *t)
{
	bool any = false;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < d->nexc; i++)
		any |= d->exc[i].nrows > 0;
	if (!any)
		return rl_text_cat(L, t, &d->cond) ? 0 : -1;
	if (!rl_text_lit(L, t, "(") || !rl_text_cat(L, t, &d->cond) || !rl_text_lit(L, t, ") and not ("))
		return -1;
	any = false;
	for (int i = 0; i < d->nexc; i++)
		for (int k = 0; k < d->exc[i].nrows; k++) {
			if (any && !rl_text_lit(L, t, " or "))
				return -1;
			if (!rl_text_cat(L, t, &d->exc[i].rows[k]))
				return -1;
			any = true;
		}
	return rl_text_lit(L, t, ")") ? 0 : -1;
}

static void type_names(const uint64_t mask, char *buf, size_t cap)
{
	size_t w = 0;

	buf[0] = 0;
	for (int t = 1; t < BW_EVT_MAX; t++)
		if (mask >> t & 1) {
			int k = snprintf(buf + w, cap - w, "%s%s", w ? ", " : "", event_type_name(t));
			if (k < 0 || (size_t)k >= cap - w)
				break;
			w += (size_t)k;
		}
}

static void needed_types(const struct rl_needs *n, char *buf, size_t cap)
{
	size_t w = 0;

	buf[0] = 0;
	for (int i = 0; i < n->ntypes; i++) {
		int k = snprintf(buf + w, cap - w, "%s%s", i ? ", " : "", n->types[i]);
		if (k < 0 || (size_t)k >= cap - w)
			break;
		w += (size_t)k;
	}
}

/* Disables r for what bulwark cannot see, with one warning that says so. */
static int disable_for(struct rl_ctx *L, struct rules *rs, const struct rl_rule *d, struct rule *r,
		       const char *why)
{
	r->why_disabled = rs_strndup(rs, why, strlen(why));
	if (!r->why_disabled)
		return -ENOMEM;
	if (r->enabled)
		rl_warn(L, d->pos, "rule '%s' loads disabled: %s", d->name, why);
	r->enabled = false;
	return 0;
}

static int build_rule(struct rl_ctx *L, struct rules *rs, struct rl_rule *d, struct rule *r)
{
	const uint64_t syscall_types = RULES_ALL_TYPES & ~RULES_DB_TYPES;
	struct rl_needs needs = { 0 };
	struct rl_text cond;
	char why[400], tn[200];
	const char *unav;
	int rc;

	memset(r, 0, sizeof(*r));
	r->name = rs_strndup(rs, d->name, strlen(d->name));
	r->desc = rs_strndup(rs, d->desc ? d->desc : "", d->desc ? strlen(d->desc) : 0);
	if (!r->name || !r->desc)
		return -ENOMEM;
	r->priority = d->priority < 0 ? PRI_DEBUG : d->priority;
	r->action = d->action;
	r->enabled = d->enabled;
	if (d->ntags) {
		r->tags = rs_keep(rs, calloc((size_t)d->ntags, sizeof(*r->tags)));
		if (!r->tags)
			return -ENOMEM;
		for (int i = 0; i < d->ntags; i++)
			if (!(r->tags[i] = rs_strndup(rs, d->tags[i], strlen(d->tags[i]))))
				return -ENOMEM;
		r->ntags = d->ntags;
	}
	if (d->bad_source) {
		/* another source's fields (ka.*, ct.*): not bulwark's, so not compiled */
		r->root = rs_false_node(L, rs);
		r->source = RL_SRC_SYSCALL;
		snprintf(why, sizeof(why), "source '%s' comes from a Falco plugin, which bulwark does "
			 "not have (its sources are syscall and database)", d->bad_source);
		if (r->root < 0 || disable_for(L, rs, d, r, why))
			return -ENOMEM;
		return d->has_output ? 0 : -1;
	}
	if (rule_cond_text(L, d, &cond)) {
		rl_text_free(&cond);
		return L->oom ? -ENOMEM : -1;
	}
	rc = rs_compile_cond(L, rs, &cond, d->skip_unknown, &needs, &r->root, &r->fields);
	rl_text_free(&cond);
	if (rc < 0)
		d->bad_macro = needs.bad_macro;
	/* a rule missing its output or priority was reported while reading;
	 * its condition is still checked so that every error shows at once */
	if (d->has_output) {
		int orc = compile_output(L, rs, r, &d->output);
		if (orc == -ENOMEM)
			return orc;
		rc |= orc;
	} else {
		rc = -1;
	}
	if (rc)
		return rc < 0 ? -1 : rc;
	r->source = d->source >= 0 ? d->source
				   : uses_db_fields(&r->fields) ? RL_SRC_DATABASE : RL_SRC_SYSCALL;
	if (d->source == RL_SRC_SYSCALL && uses_db_fields(&r->fields)) {
		rl_error(L, d->source_pos, "rule '%s' reads db.* fields, which only database events "
			 "carry; use 'source: database' or leave 'source' out", d->name);
		return -1;
	}
	r->types = rs_node_types(rs, r->root) &
		   (r->source == RL_SRC_DATABASE ? RULES_DB_TYPES : syscall_types);
	needed_types(&needs, tn, sizeof(tn));
	if (needs.unavail && (unav = rs_unavail_in(rs, r->root, r->types))) {
		snprintf(why, sizeof(why), "needs field '%s', which bulwark does not capture", unav);
		if (disable_for(L, rs, d, r, why))
			return -ENOMEM;
	} else if (needs.field[0]) {
		snprintf(why, sizeof(why), needs.unknown ? "unknown field '%s' (skip-if-unknown-filter: "
			 "true; Falco would drop the rule)" : "needs field '%s', which bulwark does not "
			 "capture", needs.field);
		if (disable_for(L, rs, d, r, why))
			return -ENOMEM;
	} else if (!r->types && needs.ntypes) {
		snprintf(why, sizeof(why), "needs event type%s %s, which bulwark does not capture",
			 needs.ntypes > 1 ? "s" : "", tn);
		if (disable_for(L, rs, d, r, why))
			return -ENOMEM;
	} else if (needs.ntypes && r->enabled) {
		type_names(r->types, why, sizeof(why));
		rl_warn(L, d->pos, "rule '%s': bulwark does not capture event type%s %s; the rule "
			"sees only %s", d->name, needs.ntypes > 1 ? "s" : "", tn, why);
	} else if (!r->types && needs.host_field[0]) {
		rl_warn(L, d->pos, "rule '%s' can never match on a host: it needs '%s', which Falco "
			"leaves absent for host processes, and bulwark reports every process as the "
			"host's", d->name, needs.host_field);
	} else if (!r->types) {
		rl_warn(L, d->pos, "rule '%s' can never match: its evt.type condition excludes every "
			"%s event", d->name, r->source == RL_SRC_DATABASE ? "database" : "syscall");
	} else if (r->source == RL_SRC_SYSCALL && r->types == syscall_types && r->enabled) {
		rl_warn(L, d->pos, "rule '%s' has no evt.type condition, so it is evaluated for every "
			"event; add one (e.g. evt.type in (unlinkat, execve)) to keep it cheap", d->name);
	}
	if (d->has_threshold) {
		L->th_slots += (uint64_t)d->th.count * d->th.max_groups;
		if (L->th_slots > RULES_MAX_TH_TOTAL) {
			rl_error(L, d->th_pos, "the thresholds of the rules up to '%s' need more than %u MiB "
				 "of tables (count x max_groups x 8 bytes each); lower count or max_groups",
				 d->name, RULES_MAX_TH_TOTAL * 8 >> 20);
			return -1;
		}
		r->th = th_new(rs, &d->th);
		if (!r->th)
			return -ENOMEM;
	}
	return build_protect(L, rs, d, r);
}

/* One line of the --falco-report for rule d: built (r, or NULL) or not. */
static void report_rule(struct rl_ctx *L, const struct rl_rule *d, const struct rule *r,
			int first_err)
{
	const char *file = rl_file_name(L, d->pos.file);

	if (!L->report)
		return;
	fprintf(L->report, "%s:%d: %s: ", file, d->pos.line, d->name);
	if (r && r->enabled)
		fprintf(L->report, "loads\n");
	else if (r && r->why_disabled)
		fprintf(L->report, "loads disabled: %s\n", r->why_disabled);
	else if (r)
		fprintf(L->report, "loads disabled: enabled: false in the rule file\n");
	else if (first_err >= 0 && first_err < L->ndiags)
		fprintf(L->report, "fails: %s\n", L->diags[first_err].msg);
	else if (d->bad_macro)
		fprintf(L->report, "fails: macro '%s' has errors (reported at the macro)\n",
			d->bad_macro);
	else
		fprintf(L->report, "fails: see the errors above\n");
}

/* Per file: rules that load enabled, load disabled, fail. */
static void report_summary(struct rl_ctx *L, const int *state)
{
	for (int f = 0; L->report && f < L->nfiles; f++) {
		int n[3] = { 0 };
		for (int i = 0; i < L->nrules; i++)
			if (L->rules[i].pos.file == f)
				n[state[i]]++;
		fprintf(L->report, "%s: %d rules: %d load enabled, %d load disabled, %d fail\n",
			rl_file_name(L, f), n[0] + n[1] + n[2], n[0], n[1], n[2]);
	}
}

static int build(struct rl_ctx *L, struct rules **out, FILE *errf)
{
	struct rules *rs = calloc(1, sizeof(*rs));
	int rc = 0, nr = 0, *state = NULL;

	*out = NULL;
	if (!rs || L->oom)
		goto oom;
	rs->rules = calloc((size_t)(L->nrules ? L->nrules : 1), sizeof(*rs->rules));
	rs->scratch = malloc((size_t)RS_SCRATCH * RS_SLOTS);
	state = calloc((size_t)(L->nrules ? L->nrules : 1), sizeof(*state));
	if (!rs->rules || !rs->scratch || !state)
		goto oom;
	for (int i = 0; i < L->nmacros; i++)
		rs_compile_macro(L, rs, &L->macros[i]);
	for (int i = 0; i < L->nrules; i++) {
		struct rl_rule *d = &L->rules[i];
		int before = L->ndiags, first = d->read_errors ? d->first_error : -1;
		int nerr = L->nerrors;

		if (!d->has_cond || d->bad_text) {
			state[i] = 2;
			report_rule(L, d, NULL, first);
			continue; /* reported while reading */
		}
		rc = build_rule(L, rs, d, &rs->rules[nr]);
		if (rc == -ENOMEM || L->oom)
			goto oom;
		if (first < 0 && L->nerrors > nerr)
			for (int k = before; k < L->ndiags && first < 0; k++)
				if (!L->diags[k].warning)
					first = k;
		if (rc == 0 && !d->read_errors) {
			state[i] = rs->rules[nr].enabled ? 0 : 1;
			report_rule(L, d, &rs->rules[nr], -1);
		} else {
			state[i] = 2;
			report_rule(L, d, NULL, first);
		}
		if (rc == 0)
			nr++;
	}
	report_summary(L, state);
	free(state);
	state = NULL;
	rs->nrules = nr;
	if (nr > 65535)
		rl_error(L, (struct rl_pos){ -1, 0, 0 }, "%d rules; at most 65535 are supported", nr);
	rs->nmacros = L->nmacros;
	rs->nlists = L->nlists;
	rs->lists = rs_keep(rs, calloc((size_t)L->nlists + 1, sizeof(*rs->lists)));
	if (!rs->lists)
		goto oom;
	for (int i = 0; i < L->nlists; i++) {
		struct rs_list *o = &rs->lists[i];

		o->name = rs_strndup(rs, L->lists[i].name, strlen(L->lists[i].name));
		o->items = rs_keep(rs, calloc((size_t)L->lists[i].nitems + 1, sizeof(*o->items)));
		if (!o->name || !o->items)
			goto oom;
		for (int k = 0; k < L->lists[i].nitems; k++)
			if (!(o->items[o->nitems++] = rs_strndup(rs, L->lists[i].items[k].s,
								 L->lists[i].items[k].len)))
				goto oom;
	}
	rs->nwarnings = L->nwarnings;
	if (L->nerrors) {
		rc = L->nerrors;
		rl_print_diags(L, errf);
		rules_free(rs);
		return rc;
	}
	if (rs_order_by_cost(rs))
		goto oom;
	/* the index: enabled rules per evt.type, in file order */
	for (int t = 0; t < BW_EVT_MAX; t++) {
		int k = 0;
		rs->by_type[t] = malloc((size_t)(nr ? nr : 1) * sizeof(uint16_t));
		if (!rs->by_type[t])
			goto oom;
		for (int i = 0; i < nr; i++)
			if (rs->rules[i].enabled && (rs->rules[i].types >> t & 1))
				rs->by_type[t][k++] = (uint16_t)i;
		rs->nby_type[t] = k;
	}
	for (int i = 0; i < nr; i++)
		if (rs->rules[i].enabled) {
			rs->nenabled++;
			rs->types |= rs->rules[i].types;
		}
	rl_print_diags(L, errf);
	*out = rs;
	return 0;
oom:
	if (errf)
		fprintf(errf, "bulwark: out of memory while loading rules\n");
	free(state);
	rules_free(rs);
	return -ENOMEM;
}

int rules_load(const char *const *paths, int npaths, struct rules **out, FILE *errf)
{
	return rules_load_report(paths, npaths, out, errf, NULL);
}

int rules_load_report(const char *const *paths, int npaths, struct rules **out, FILE *errf,
		      FILE *report)
{
	struct rl_ctx L = { .report = report };
	int rc;

	*out = NULL;
	if (npaths <= 0)
		rl_error(&L, (struct rl_pos){ -1, 0, 0 }, "no rule files given");
	for (int i = 0; i < npaths && !L.oom; i++)
		rl_read_path(&L, paths[i]);
	rc = build(&L, out, errf);
	rl_ctx_free(&L);
	return rc;
}

int rules_load_sources(const struct rules_source *src, int n, struct rules **out, FILE *errf)
{
	struct rl_ctx L = { 0 };
	int rc;

	*out = NULL;
	for (int i = 0; i < n && !L.oom; i++) {
		int fi = rl_add_file(&L, src[i].name, src[i].text, src[i].len);
		if (fi >= 0)
			rl_parse_file(&L, fi);
	}
	rc = build(&L, out, errf);
	rl_ctx_free(&L);
	return rc;
}

int rules_list_items(const struct rules *rs, const char *name, const char *const **items)
{
	for (int i = 0; rs && i < rs->nlists; i++)
		if (rs->lists[i].name && !strcmp(rs->lists[i].name, name)) {
			*items = (const char *const *)rs->lists[i].items;
			return rs->lists[i].nitems;
		}
	*items = NULL;
	return -1;
}

int rule_protect(const struct rule *r, const char *const **paths)
{
	*paths = (const char *const *)r->protect;
	return r->protect && r->enabled ? r->nprotect : 0;
}
