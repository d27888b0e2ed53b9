// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rule files: reading YAML with libyaml into lists, macros and rules, with
 * appends and overrides (diagnostics are in rules_diag.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/clock.h"
#include "rules/rules_int.h"

static size_t mark_byte(const struct rl_file *f, const yaml_mark_t *m)
{
	size_t ls;

	if (!f->nlines)
		return 0;
	if (m->line >= (size_t)f->nlines)
		return f->len;
	ls = f->lines[m->line];
	return rl_utf8_advance(f->buf, ls, f->len, m->column);
}

/* ---- small helpers ---- */

int rl_parse_priority(const char *s, size_t len)
{
	static const struct { const char *n; int p; } tab[] = {
		{ "emergency", PRI_EMERGENCY }, { "alert", PRI_ALERT }, { "critical", PRI_CRITICAL },
		{ "error", PRI_ERROR }, { "warning", PRI_WARNING }, { "notice", PRI_NOTICE },
		{ "informational", PRI_INFORMATIONAL }, { "info", PRI_INFORMATIONAL },
		{ "debug", PRI_DEBUG },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].n) == len && !strncasecmp(tab[i].n, s, len))
			return tab[i].p;
	return -1;
}

int rl_parse_action(const char *s, size_t len)
{
	for (int a = RULE_ALERT; a <= RULE_KILL_SESSION; a++)
		if (strlen(rule_action_name(a)) == len && !memcmp(rule_action_name(a), s, len))
			return a;
	return -1;
}

static bool grow(struct rl_ctx *L, void **p, int *cap, int need, size_t size)
{
	void *n;
	int c;

	if (need <= *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	n = realloc(*p, (size_t)c * size);
	if (!n) {
		L->oom = true;
		return false;
	}
	*p = n;
	*cap = c;
	return true;
}

/* ---- YAML documents ---- */

struct yctx {
	struct rl_ctx *L;
	int file;
	yaml_document_t *doc;
};

static struct rl_pos npos(const struct yctx *y, const yaml_node_t *n)
{
	return (struct rl_pos){ y->file, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
}

static yaml_node_t *node(const struct yctx *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

/*
 * YAML aliases let a small file name one big scalar or sequence many
 * times, and each use is copied; the copies are counted against
 * RULES_MAX_HELD (32 bytes of overhead per string), so such a file gets
 * an error, not gigabytes.
 */
static bool hold(struct yctx *y, size_t n, const yaml_node_t *v)
{
	struct rl_ctx *L = y->L;

	L->held += n + 32;
	if (L->held <= RULES_MAX_HELD)
		return true;
	if (!L->held_reported)
		rl_error(L, npos(y, v), "the rule files hold more than %u MiB of text once YAML "
			 "aliases (*name) are expanded; use fewer aliases of large values",
			 RULES_MAX_HELD >> 20);
	L->held_reported = true;
	return false;
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static bool want_scalar(struct yctx *y, const yaml_node_t *v, const char *key, const char *what)
{
	if (v->type == YAML_SCALAR_NODE)
		return true;
	rl_error(y->L, npos(y, v), "'%s' must be %s, not %s", key, what, kind_name(v));
	return false;
}

static bool get_bool(struct yctx *y, const yaml_node_t *v, const char *key, bool *out)
{
	static const char *const t[] = { "true", "yes", "on" }, *const f[] = { "false", "no", "off" };

	if (!want_scalar(y, v, key, "true or false"))
		return false;
	for (int i = 0; i < 3; i++) {
		if (!strcasecmp(sval(v), t[i]))
			return *out = true, true;
		if (!strcasecmp(sval(v), f[i]))
			return *out = false, true;
	}
	rl_error(y->L, npos(y, v), "'%s' must be true or false, not '%s'", key, sval(v));
	return false;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static void text_free(struct rl_text *t)
{
	free(t->s);
	free(t->spans);
	memset(t, 0, sizeof(*t));
}

void rl_text_free(struct rl_text *t)
{
	text_free(t);
}

/* Appends bytes with their spans (src == NULL: text bulwark made up). */
static bool text_add(struct rl_ctx *L, struct rl_text *t, const char *p, size_t n,
		     const struct rl_span *src, int nsrc)
{
	struct rl_span *ns;
	char *s;

	if (t->len + n > RULES_MAX_TEXT_LEN) {
		rl_error(L, (struct rl_pos){ -1, 0, 0 }, "a condition with its exceptions would be "
			 "longer than %d bytes; move parts into macros", RULES_MAX_TEXT_LEN);
		return false;
	}
	s = realloc(t->s, t->len + n + 1);
	if (!s)
		goto oom;
	t->s = s;
	ns = realloc(t->spans, (size_t)(t->nspans + (nsrc ? nsrc : 1)) * sizeof(*ns));
	if (!ns)
		goto oom;
	t->spans = ns;
	memcpy(t->s + t->len, p, n);
	if (src) {
		for (int i = 0; i < nsrc; i++) {
			t->spans[t->nspans] = src[i];
			t->spans[t->nspans++].off += (uint32_t)t->len;
		}
	} else {
		t->spans[t->nspans++] = (struct rl_span){ .off = (uint32_t)t->len, .len = (uint32_t)n,
							  .file = -1 };
	}
	t->len += n;
	t->s[t->len] = 0;
	return true;
oom:
	L->oom = true;
	return false;
}

bool rl_text_lit(struct rl_ctx *L, struct rl_text *t, const char *s)
{
	return text_add(L, t, s, strlen(s), NULL, 0);
}

bool rl_text_cat(struct rl_ctx *L, struct rl_text *t, const struct rl_text *src)
{
	return text_add(L, t, src->s ? src->s : "", src->len, src->spans, src->nspans);
}

/* Appends a scalar to a text; sep is inserted first when the text is not empty. */
static bool text_append(struct yctx *y, struct rl_text *t, const yaml_node_t *v, const char *sep)
{
	const struct rl_file *f = &y->L->files[y->file];
	size_t add = slen(v), sl = t->len ? strlen(sep) : 0;
	struct rl_span *ns;
	char *s;

	if (t->len + sl + add > RULES_MAX_TEXT_LEN) {
		rl_error(y->L, npos(y, v), "this text would be %zu bytes long%s; a condition or "
			 "output may have at most %d: move parts into macros", t->len + sl + add,
			 t->len ? " with what earlier entries gave" : "", RULES_MAX_TEXT_LEN);
		return false;
	}
	if (!hold(y, add, v))
		return false;
	s = realloc(t->s, t->len + sl + add + 1);
	if (!s)
		goto oom;
	t->s = s;
	ns = realloc(t->spans, (size_t)(t->nspans + 2) * sizeof(*ns));
	if (!ns)
		goto oom;
	t->spans = ns;
	if (sl) {
		memcpy(t->s + t->len, sep, sl);
		t->spans[t->nspans++] = (struct rl_span){ .off = (uint32_t)t->len, .len = (uint32_t)sl,
							  .file = -1 };
		t->len += sl;
	}
	memcpy(t->s + t->len, sval(v), add);
	t->spans[t->nspans++] = (struct rl_span){
		.off = (uint32_t)t->len, .len = (uint32_t)add, .file = y->file,
		.src = mark_byte(f, &v->start_mark), .src_end = mark_byte(f, &v->end_mark),
		.style = v->data.scalar.style,
	};
	t->len += add;
	t->s[t->len] = 0;
	return true;
oom:
	y->L->oom = true;
	return false;
}

/* Keys of one entry, gathered so that every check can see all of them. */
#define MAXKEYS 24
struct entry {
	const char *kind;               /* "rule", "macro", "list" */
	const char *name;
	yaml_node_t *name_node;
	struct rl_pos pos;              /* of the "- rule:" line */
	int n;
	const char *keys[MAXKEYS];
	yaml_node_t *knode[MAXKEYS];
	yaml_node_t *vals[MAXKEYS];
	/* override: key -> "append" / "replace" */
	int no;
	const char *okeys[MAXKEYS];
	bool oappend[MAXKEYS];
	yaml_node_t *onode[MAXKEYS];
	bool has_override, append;
};

static yaml_node_t *eget(const struct entry *e, const char *key)
{
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->keys[i], key))
			return e->vals[i];
	return NULL;
}

/* 1 append, 0 replace, -1 key not under override */
static int omode(const struct entry *e, const char *key)
{
	for (int i = 0; i < e->no; i++)
		if (!strcmp(e->okeys[i], key))
			return e->oappend[i];
	return -1;
}

static bool check_keys(struct yctx *y, const struct entry *e, const char *const *known, int nk)
{
	bool ok = true;

	for (int i = 0; i < e->n; i++) {
		bool found = false;
		const char *near;

		for (int k = 0; k < nk; k++)
			found |= !strcmp(e->keys[i], known[k]);
		if (found)
			continue;
		ok = false;
		near = rl_nearest(e->keys[i], strlen(e->keys[i]), known, nk);
		if (near)
			rl_error(y->L, npos(y, e->knode[i]), "unknown key '%s' in %s '%s'; did you mean '%s'?",
				 e->keys[i], e->kind, e->name, near);
		else
			rl_error(y->L, npos(y, e->knode[i]), "unknown key '%s' in %s '%s'",
				 e->keys[i], e->kind, e->name);
	}
	return ok;
}

/* Reads "override:" and "append:"; checks that override names only keys
 * that the entry gives and that may be overridden that way. */
static bool read_modes(struct yctx *y, struct entry *e, const char *const *app, int napp,
		       const char *const *rep, int nrep)
{
	yaml_node_t *ov = eget(e, "override"), *ap = eget(e, "append");
	bool ok = true;

	if (ap) {
		if (!get_bool(y, ap, "append", &e->append))
			return false;
	}
	if (!ov)
		return true;
	if (ov->type != YAML_MAPPING_NODE) {
		rl_error(y->L, npos(y, ov), "'override' must be a mapping such as "
			 "{condition: append}, not %s", kind_name(ov));
		return false;
	}
	if (ap && e->append) {
		rl_error(y->L, npos(y, ap), "use either 'override' or 'append: true', not both");
		return false;
	}
	e->has_override = true;
	for (yaml_node_pair_t *p = ov->data.mapping.pairs.start; p < ov->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(y, p->key), *v = node(y, p->value);
		bool can_app = false, can_rep = false, is_app;

		if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
			rl_error(y->L, npos(y, k), "'override' entries must be KEY: append or KEY: replace");
			ok = false;
			continue;
		}
		if (!strcmp(sval(v), "append")) {
			is_app = true;
		} else if (!strcmp(sval(v), "replace")) {
			is_app = false;
		} else {
			rl_error(y->L, npos(y, v), "override mode for '%s' must be append or replace, not '%s'",
				 sval(k), sval(v));
			ok = false;
			continue;
		}
		for (int i = 0; i < napp; i++)
			can_app |= !strcmp(sval(k), app[i]);
		for (int i = 0; i < nrep; i++)
			can_rep |= !strcmp(sval(k), rep[i]);
		if (!can_app && !can_rep) {
			rl_error(y->L, npos(y, k), "'%s' of a %s cannot be overridden", sval(k), e->kind);
			ok = false;
			continue;
		}
		if (is_app && !can_app) {
			rl_error(y->L, npos(y, v), "'%s' of a %s can only be replaced, not appended to",
				 sval(k), e->kind);
			ok = false;
			continue;
		}
		if (!eget(e, sval(k))) {
			rl_error(y->L, npos(y, k), "'override' names '%s' but the entry has no '%s' key",
				 sval(k), sval(k));
			ok = false;
			continue;
		}
		if (e->no < MAXKEYS) {
			e->okeys[e->no] = sval(k);
			e->oappend[e->no] = is_app;
			e->onode[e->no++] = k;
		}
	}
	/* every other key of an override entry must say how it applies */
	for (int i = 0; i < e->n && ok; i++) {
		const char *k = e->keys[i];
		if (!strcmp(k, e->kind) || !strcmp(k, "override"))
			continue;
		if (omode(e, k) < 0) {
			rl_error(y->L, npos(y, e->knode[i]),
				 "'%s' in an override entry must also be listed under 'override' "
				 "(as append or replace)", k);
			ok = false;
		}
	}
	return ok;
}

static void where_defined(const struct rl_ctx *L, struct rl_pos p, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%d", rl_file_name(L, p.file), p.line);
}

static bool add_items(struct yctx *y, struct rl_list *l, yaml_node_t *items)
{
	if (items->type != YAML_SEQUENCE_NODE) {
		rl_error(y->L, npos(y, items), "'items' of list '%s' must be a list, not %s",
			 l->name, kind_name(items));
		return false;
	}
	for (yaml_node_item_t *it = items->data.sequence.items.start;
	     it < items->data.sequence.items.top; it++) {
		yaml_node_t *v = node(y, *it);
		struct rl_item *ri;

		if (v->type != YAML_SCALAR_NODE) {
			rl_error(y->L, npos(y, v), "items of list '%s' must be strings, not %s",
				 l->name, kind_name(v));
			continue;
		}
		if (!hold(y, slen(v), v) ||
		    !grow(y->L, (void **)&l->items, &l->cap, l->nitems + 1, sizeof(*l->items)))
			return false;
		ri = &l->items[l->nitems];
		ri->s = strndup(sval(v), slen(v));
		if (!ri->s) {
			y->L->oom = true;
			return false;
		}
		ri->len = slen(v);
		ri->pos = npos(y, v);
		l->nitems++;
	}
	return true;
}

enum def_mode { DEF_ERROR, DEF_MODIFY, DEF_NEW };

/*
 * What a list or macro entry does, checked the same way for both: with
 * override or append it modifies an earlier definition, which must exist;
 * without, it defines a new one, which must not. key is the value's key
 * ("items", "condition"); earlier is where the name was defined, if it was.
 */
static enum def_mode def_mode(struct yctx *y, const struct entry *e, const char *kind,
			      const char *key, const struct rl_pos *earlier, const yaml_node_t *value)
{
	struct rl_ctx *L = y->L;
	char where[512];

	if (e->has_override || e->append) {
		if (!earlier) {
			rl_error(L, e->pos, "cannot override %s '%s': no earlier file defines it", kind,
				 e->name);
			return DEF_ERROR;
		}
		if (!value) {
			rl_error(L, e->pos, "%s '%s' has 'append: true' but no '%s'", kind, e->name, key);
			return DEF_ERROR;
		}
		return DEF_MODIFY;
	}
	if (earlier) {
		where_defined(L, *earlier, where, sizeof(where));
		rl_error(L, e->pos, "%s '%s' is already defined at %s; add "
			 "'override: {%s: append}' or 'override: {%s: replace}' to change it",
			 kind, e->name, where, key, key);
		return DEF_ERROR;
	}
	if (!value) {
		rl_error(L, e->pos, "%s '%s' has no '%s'", kind, e->name, key);
		return DEF_ERROR;
	}
	return DEF_NEW;
}

/* A zeroed new slot at the end of *arr (not yet counted); NULL when out of memory. */
static void *def_slot(struct rl_ctx *L, void **arr, int *cap, int n, size_t size, char **name,
		      const struct entry *e)
{
	char *p;

	if (!grow(L, arr, cap, n + 1, size))
		return NULL;
	p = (char *)*arr + (size_t)n * size;
	memset(p, 0, size);
	*name = strdup(e->name);
	if (!*name) {
		L->oom = true;
		return NULL;
	}
	return p;
}

static void do_list(struct yctx *y, struct entry *e)
{
	static const char *const known[] = { "list", "items", "override", "append" };
	static const char *const app[] = { "items" }, *const rep[] = { "items" };
	struct rl_ctx *L = y->L;
	struct rl_list *l = rl_find_list(L, e->name, strlen(e->name));
	yaml_node_t *items = eget(e, "items");
	char *name;

	if (!check_keys(y, e, known, 4) || !read_modes(y, e, app, 1, rep, 1))
		return;
	switch (def_mode(y, e, "list", "items", l ? &l->pos : NULL, items)) {
	case DEF_ERROR:
		return;
	case DEF_MODIFY:
		if (!e->append && omode(e, "items") == 0) {
			for (int i = 0; i < l->nitems; i++)
				free(l->items[i].s);
			l->nitems = 0;
		}
		add_items(y, l, items);
		return;
	case DEF_NEW:
		l = def_slot(L, (void **)&L->lists, &L->caplists, L->nlists, sizeof(*L->lists), &name, e);
		if (!l)
			return;
		l->name = name;
		l->pos = e->pos;
		L->nlists++;
		if (!rl_index_add(L, &L->ilists, L->lists, sizeof(*L->lists), L->nlists - 1))
			return;
		add_items(y, l, items);
	}
}

static void do_macro(struct yctx *y, struct entry *e)
{
	static const char *const known[] = { "macro", "condition", "override", "append" };
	static const char *const app[] = { "condition" }, *const rep[] = { "condition" };
	struct rl_ctx *L = y->L;
	struct rl_macro *m = rl_find_macro(L, e->name, strlen(e->name));
	yaml_node_t *c = eget(e, "condition");
	char *name;

	if (!check_keys(y, e, known, 4) || !read_modes(y, e, app, 1, rep, 1))
		return;
	if (c && !want_scalar(y, c, "condition", "a string"))
		return;
	switch (def_mode(y, e, "macro", "condition", m ? &m->pos : NULL, c)) {
	case DEF_ERROR:
		return;
	case DEF_MODIFY:
		if (!e->append && omode(e, "condition") == 0)
			text_free(&m->cond);
		if (!text_append(y, &m->cond, c, " "))
			m->state = RL_BAD;
		return;
	case DEF_NEW:
		m = def_slot(L, (void **)&L->macros, &L->capmacros, L->nmacros, sizeof(*L->macros),
			     &name, e);
		if (!m)
			return;
		m->name = name;
		m->pos = e->pos;
		L->nmacros++;
		if (!rl_index_add(L, &L->imacros, L->macros, sizeof(*L->macros), L->nmacros - 1))
			return;
		if (!text_append(y, &m->cond, c, " "))
			m->state = RL_BAD;
	}
}

/* Reads a YAML sequence of scalars into a growable string array. */
static bool read_strlist(struct yctx *y, yaml_node_t *v, const char *key, char ***arr, int *n,
			 bool append)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		rl_error(y->L, npos(y, v), "'%s' must be a list of strings, not %s", key, kind_name(v));
		return false;
	}
	if (!append) {
		for (int i = 0; i < *n; i++)
			free((*arr)[i]);
		*n = 0;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *t = node(y, *it);
		char **nt;

		if (t->type != YAML_SCALAR_NODE) {
			rl_error(y->L, npos(y, t), "'%s' must be a list of strings", key);
			return false;
		}
		if (!hold(y, slen(t), t))
			return false;
		nt = realloc(*arr, (size_t)(*n + 1) * sizeof(*nt));
		if (!nt)
			goto oom;
		*arr = nt;
		(*arr)[*n] = strdup(sval(t));
		if (!(*arr)[*n])
			goto oom;
		(*n)++;
	}
	return true;
oom:
	y->L->oom = true;
	return false;
}

static bool read_tags(struct yctx *y, yaml_node_t *v, struct rl_rule *r, bool append)
{
	return read_strlist(y, v, "tags", &r->tags, &r->ntags, append);
}

static bool read_threshold(struct yctx *y, yaml_node_t *v, struct rl_rule *r)
{
	static const char *const known[] = { "count", "window", "by", "max_groups" };
	struct rl_threshold th = { .by = FLD_SESSION_ID };
	bool have_count = false, have_window = false, have_groups = false;
	uint64_t u;

	if (v->type != YAML_MAPPING_NODE) {
		rl_error(y->L, npos(y, v), "'threshold' must be a mapping such as "
			 "{count: 100, window: 10s, by: session.id}, not %s", kind_name(v));
		return false;
	}
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(y, p->key), *val = node(y, p->value);
		const char *near;

		if (k->type != YAML_SCALAR_NODE || val->type != YAML_SCALAR_NODE) {
			rl_error(y->L, npos(y, k), "'threshold' keys and values must be scalars");
			return false;
		}
		if (!strcmp(sval(k), "count")) {
			if (!parse_uint(sval(val), 65536, &u) || !u) {
				rl_error(y->L, npos(y, val), "threshold 'count' must be an integer "
					 "from 1 to 65536, not '%s'", sval(val));
				return false;
			}
			th.count = (uint32_t)u;
			have_count = true;
		} else if (!strcmp(sval(k), "window")) {
			/* the grammar of `dump --since`; a bare number is seconds, as before */
			if (clock_parse_duration(sval(val), slen(val), CLOCK_NS_PER_SEC, &th.window_ns) ||
			    !th.window_ns) {
				rl_error(y->L, npos(y, val), "threshold 'window' must be a duration such as "
					 "10s, 500ms, 5m or 1h, not '%s'", sval(val));
				return false;
			}
			have_window = true;
		} else if (!strcmp(sval(k), "by")) {
			int f = event_field_lookup(sval(val), slen(val));
			if (f < 0) {
				const char *names[FLD_MAX];
				for (int i = 0; i < FLD_MAX; i++)
					names[i] = bw_fields[i].name;
				near = rl_nearest(sval(val), slen(val), names, FLD_MAX);
				if (near)
					rl_error(y->L, npos(y, val), "unknown field '%s' in threshold 'by'; "
						 "did you mean '%s'?", sval(val), near);
				else
					rl_error(y->L, npos(y, val), "unknown field '%s' in threshold 'by'",
						 sval(val));
				return false;
			}
			th.by = f;
		} else if (!strcmp(sval(k), "max_groups")) {
			if (!parse_uint(sval(val), 1u << 20, &u) || !u) {
				rl_error(y->L, npos(y, val), "threshold 'max_groups' must be an integer "
					 "from 1 to 1048576, not '%s'", sval(val));
				return false;
			}
			th.max_groups = (uint32_t)u;
			have_groups = true;
		} else {
			near = rl_nearest(sval(k), slen(k), known, 4);
			if (near)
				rl_error(y->L, npos(y, k), "unknown threshold key '%s'; did you mean '%s'?",
					 sval(k), near);
			else
				rl_error(y->L, npos(y, k), "unknown threshold key '%s'; use count, window, "
					 "by and max_groups", sval(k));
			return false;
		}
	}
	if (!have_count || !have_window) {
		rl_error(y->L, npos(y, v), "'threshold' needs both 'count' and 'window'");
		return false;
	}
	if (!have_groups) {
		/* bound the ring memory: about 2 MiB of timestamps per rule */
		uint64_t g = (256u * 1024u) / th.count;
		th.max_groups = (uint32_t)(g < 16 ? 16 : g > 4096 ? 4096 : g);
	}
	/* the tables are allocated at load: count * max_groups timestamps of 8 bytes */
	if ((uint64_t)th.count * th.max_groups > RULES_MAX_TH_SLOTS) {
		rl_error(y->L, npos(y, v), "this threshold needs %llu MiB (count %u x max_groups %u "
			 "timestamps of 8 bytes); at most %u MiB per rule: lower count or max_groups",
			 (unsigned long long)th.count * th.max_groups * 8 >> 20, th.count, th.max_groups,
			 RULES_MAX_TH_SLOTS * 8 >> 20);
		return false;
	}
	r->th = th;
	r->has_threshold = true;
	r->th_pos = npos(y, v);
	return true;
}

/* ---- exceptions: (Falco's): rows of values that exempt events from a rule ---- */

static const char *const exc_comps[] = { "=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects",
	"contains", "icontains", "startswith", "endswith", "glob", "iglob", "pmatch", "regex",
	"bcontains", "bstartswith", "bendswith" };

static bool comp_takes_list(const char *c)
{
	return !strcmp(c, "in") || !strcmp(c, "intersects") || !strcmp(c, "pmatch");
}

static void exc_free(struct rl_exc *x)
{
	free(x->name);
	for (int i = 0; i < x->nfields; i++) {
		text_free(&x->fields[i]);
		free(x->comps[i]);
	}
	free(x->fields);
	free(x->comps);
	for (int i = 0; i < x->nrows; i++)
		text_free(&x->rows[i]);
	free(x->rows);
	memset(x, 0, sizeof(*x));
}

/* A value of a row: the YAML scalar as it stands when it is one word, else quoted. */
static bool exc_value(struct yctx *y, struct rl_text *t, const yaml_node_t *v)
{
	const char *s = sval(v);
	size_t n = slen(v);
	bool word = n > 0;
	char *q;
	size_t w = 0;
	bool ok;

	for (size_t i = 0; i < n && word; i++)
		word = !strchr(" \t\n(),\"'", s[i]);
	if (word)
		return text_append(y, t, v, "");
	q = malloc(2 * n + 3);
	if (!q) {
		y->L->oom = true;
		return false;
	}
	q[w++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			q[w++] = '\\';
		q[w++] = s[i];
	}
	q[w++] = '"';
	q[w] = 0;
	ok = rl_text_lit(y->L, t, q);
	free(q);
	return ok;
}

/* One row of values: "(f1 c1 v1 and f2 c2 v2)". */
static bool exc_row(struct yctx *y, struct rl_exc *x, yaml_node_t *row)
{
	struct rl_ctx *L = y->L;
	struct rl_text t = { 0 };
	int n = x->single ? 1 : row->type == YAML_SEQUENCE_NODE ?
		(int)(row->data.sequence.items.top - row->data.sequence.items.start) : -1;

	if (x->single ? row->type == YAML_MAPPING_NODE : n != x->nfields) {
		rl_error(L, npos(y, row), "exception '%s' has %d field%s, so each row of 'values' must "
			 "be a list of %d value%s", x->name, x->nfields, x->nfields == 1 ? "" : "s",
			 x->nfields, x->nfields == 1 ? "" : "s");
		return false;
	}
	if (!rl_text_lit(L, &t, "("))
		goto fail;
	for (int i = 0; i < x->nfields; i++) {
		yaml_node_t *v = x->single ? row : node(y, row->data.sequence.items.start[i]);
		if ((i && !rl_text_lit(L, &t, " and ")) || !rl_text_cat(L, &t, &x->fields[i]) ||
		    !rl_text_lit(L, &t, " ") || !rl_text_lit(L, &t, x->comps[i]) ||
		    !rl_text_lit(L, &t, " "))
			goto fail;
		if (comp_takes_list(x->comps[i])) {
			if (!rl_text_lit(L, &t, "("))
				goto fail;
			if (v->type == YAML_SEQUENCE_NODE) {
				for (yaml_node_item_t *it = v->data.sequence.items.start;
				     it < v->data.sequence.items.top; it++) {
					yaml_node_t *iv = node(y, *it);
					if (!want_scalar(y, iv, "values", "a value") ||
					    (it > v->data.sequence.items.start && !rl_text_lit(L, &t, ", ")) ||
					    !exc_value(y, &t, iv))
						goto fail;
				}
			} else if (!want_scalar(y, v, "values", "a value or a list") ||
				   !exc_value(y, &t, v)) {
				goto fail;
			}
			if (!rl_text_lit(L, &t, ")"))
				goto fail;
		} else if (!want_scalar(y, v, "values", "a value") || !exc_value(y, &t, v)) {
			goto fail;
		}
	}
	if (!rl_text_lit(L, &t, ")") || !grow(L, (void **)&x->rows, &(int){ x->nrows }, x->nrows + 1,
					       sizeof(*x->rows)))
		goto fail;
	x->rows[x->nrows++] = t;
	return true;
fail:
	text_free(&t);
	return false;
}

static bool exc_values(struct yctx *y, struct rl_exc *x, yaml_node_t *vals)
{
	bool ok = true;

	if (!vals)
		return true;
	if (vals->type != YAML_SEQUENCE_NODE) {
		rl_error(y->L, npos(y, vals), "'values' of exception '%s' must be a list of rows",
			 x->name);
		return false;
	}
	for (yaml_node_item_t *it = vals->data.sequence.items.start; it < vals->data.sequence.items.top;
	     it++)
		ok &= exc_row(y, x, node(y, *it));
	return ok;
}

static yaml_node_t *mget(struct yctx *y, yaml_node_t *m, const char *key)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(y, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp(sval(k), key))
			return node(y, p->value);
	}
	return NULL;
}

/* Reads one "- name: ... fields: ... comps: ... values: ..." item (without values) into x. */
static bool exc_read(struct yctx *y, yaml_node_t *m, struct rl_exc *x)
{
	static const char *const keys[] = { "name", "fields", "comps", "values" };
	struct rl_ctx *L = y->L;
	yaml_node_t *nm, *fl, *cp;
	int n;

	memset(x, 0, sizeof(*x));
	if (m->type != YAML_MAPPING_NODE) {
		rl_error(L, npos(y, m), "each exception must be a mapping with name, fields and values, "
			 "not %s", kind_name(m));
		return false;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(y, p->key);
		bool known = false;
		for (int i = 0; i < 4; i++)
			known |= k->type == YAML_SCALAR_NODE && !strcmp(sval(k), keys[i]);
		if (!known) {
			rl_error(L, npos(y, k), "unknown key '%s' in an exception; use name, fields, comps "
				 "and values", k->type == YAML_SCALAR_NODE ? sval(k) : "?");
			return false;
		}
	}
	nm = mget(y, m, "name");
	if (!nm || nm->type != YAML_SCALAR_NODE || !slen(nm)) {
		rl_error(L, npos(y, m), "an exception needs a 'name'");
		return false;
	}
	x->name = strdup(sval(nm));
	x->pos = npos(y, m);
	if (!x->name)
		goto oom;
	fl = mget(y, m, "fields");
	if (!fl) /* an append of values to an exception defined earlier */
		return true;
	x->single = fl->type == YAML_SCALAR_NODE;
	n = x->single ? 1 : fl->type == YAML_SEQUENCE_NODE ?
		(int)(fl->data.sequence.items.top - fl->data.sequence.items.start) : 0;
	if (n <= 0) {
		rl_error(L, npos(y, fl), "'fields' of exception '%s' must be a field or a list of fields",
			 x->name);
		return false;
	}
	x->fields = calloc((size_t)n, sizeof(*x->fields));
	x->comps = calloc((size_t)n, sizeof(*x->comps));
	if (!x->fields || !x->comps)
		goto oom;
	x->nfields = n;
	cp = mget(y, m, "comps");
	if (cp && (x->single ? cp->type != YAML_SCALAR_NODE :
		   cp->type != YAML_SEQUENCE_NODE ||
		   (int)(cp->data.sequence.items.top - cp->data.sequence.items.start) != n)) {
		rl_error(L, npos(y, cp), "'comps' of exception '%s' must give one operator per field "
			 "(%d)", x->name, n);
		return false;
	}
	for (int i = 0; i < n; i++) {
		yaml_node_t *f = x->single ? fl : node(y, fl->data.sequence.items.start[i]);
		yaml_node_t *c = !cp ? NULL : x->single ? cp : node(y, cp->data.sequence.items.start[i]);
		const char *comp = c && c->type == YAML_SCALAR_NODE ? sval(c) : x->single ? "in" : "=";
		bool known = false;

		if (!want_scalar(y, f, "fields", "a field name") || !text_append(y, &x->fields[i], f, ""))
			return false;
		if (c && !want_scalar(y, c, "comps", "an operator"))
			return false;
		for (size_t k = 0; k < sizeof(exc_comps) / sizeof(exc_comps[0]); k++)
			known |= !strcmp(comp, exc_comps[k]);
		if (!known) {
			rl_error(L, npos(y, c), "unknown operator '%s' in 'comps' of exception '%s'; use "
				 "=, !=, <, <=, >, >=, in, intersects, contains, icontains, startswith, "
				 "endswith, glob, iglob, pmatch, regex, bcontains, bstartswith or bendswith",
				 comp, x->name);
			return false;
		}
		if (!(x->comps[i] = strdup(comp)))
			goto oom;
	}
	return true;
oom:
	L->oom = true;
	return false;
}

/* exceptions: of a rule; append adds rows to exceptions of the same name
 * (Falco's override: {exceptions: append}), replace starts over. */
static void read_exceptions(struct yctx *y, yaml_node_t *v, struct rl_rule *r, bool append)
{
	struct rl_ctx *L = y->L;

	if (v->type != YAML_SEQUENCE_NODE) {
		rl_error(L, npos(y, v), "'exceptions' must be a list of exceptions, not %s", kind_name(v));
		return;
	}
	if (!append) {
		for (int i = 0; i < r->nexc; i++)
			exc_free(&r->exc[i]);
		r->nexc = 0;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *m = node(y, *it);
		struct rl_exc x, *have = NULL;

		if (!exc_read(y, m, &x)) {
			exc_free(&x);
			continue;
		}
		for (int i = 0; i < r->nexc && !have; i++)
			if (!strcmp(r->exc[i].name, x.name))
				have = &r->exc[i];
		if (have && x.nfields) {
			rl_error(L, x.pos, "exception '%s' is already defined for rule '%s'; to add "
				 "values, give only name and values", x.name, r->name);
			exc_free(&x);
			continue;
		}
		if (!have && !x.nfields) {
			rl_error(L, x.pos, "exception '%s' of rule '%s' has no 'fields' (only an "
				 "exception defined earlier can be given values alone)", x.name, r->name);
			exc_free(&x);
			continue;
		}
		if (!have) {
			if (!grow(L, (void **)&r->exc, &(int){ r->nexc }, r->nexc + 1, sizeof(*r->exc))) {
				exc_free(&x);
				return;
			}
			r->exc[r->nexc] = x;
			have = &r->exc[r->nexc++];
		} else {
			exc_free(&x);
		}
		exc_values(y, have, mget(y, m, "values"));
	}
}

/* Applies the keys that new definitions and overrides share. */
static void rule_keys(struct yctx *y, struct entry *e, struct rl_rule *r, bool is_new)
{
	struct rl_ctx *L = y->L;
	yaml_node_t *v;
	bool b;

	if ((v = eget(e, "desc")) && want_scalar(y, v, "desc", "a string") && hold(y, slen(v), v)) {
		if (!is_new && omode(e, "desc") == 1 && r->desc && *r->desc) {
			char *n;
			if (asprintf(&n, "%s %s", r->desc, sval(v)) < 0) {
				L->oom = true;
				return;
			}
			free(r->desc);
			r->desc = n;
		} else {
			free(r->desc);
			r->desc = strdup(sval(v));
		}
	}
	if ((v = eget(e, "condition")) && want_scalar(y, v, "condition", "a string")) {
		if (is_new || (!e->append && omode(e, "condition") == 0))
			text_free(&r->cond);
		if (!text_append(y, &r->cond, v, " "))
			r->bad_text = true;
		r->has_cond = true;
	}
	if ((v = eget(e, "output")) && want_scalar(y, v, "output", "a string")) {
		if (is_new || omode(e, "output") == 0)
			text_free(&r->output);
		if (!text_append(y, &r->output, v, " "))
			r->bad_text = true;
		r->has_output = true;
	}
	if ((v = eget(e, "priority")) && want_scalar(y, v, "priority", "a priority name")) {
		int p = rl_parse_priority(sval(v), slen(v));
		if (p < 0)
			rl_error(L, npos(y, v), "unknown priority '%s' in rule '%s'; use EMERGENCY, ALERT, "
				 "CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL or DEBUG", sval(v), r->name);
		else
			r->priority = p;
	}
	if ((v = eget(e, "action")) && want_scalar(y, v, "action", "an action name")) {
		int a = rl_parse_action(sval(v), slen(v));
		static const char *const acts[] = { "alert", "kill_process", "kill_session" };
		const char *near = rl_nearest(sval(v), slen(v), acts, 3);
		if (a >= 0)
			r->action = a;
		else if (near)
			rl_error(L, npos(y, v), "unknown action '%s' in rule '%s'; did you mean '%s'? "
				 "(use alert, kill_process or kill_session)", sval(v), r->name, near);
		else
			rl_error(L, npos(y, v), "unknown action '%s' in rule '%s'; use alert, "
				 "kill_process or kill_session", sval(v), r->name);
	}
	if ((v = eget(e, "source")) && want_scalar(y, v, "source", "syscall or database")) {
		if (!strcmp(sval(v), "syscall"))
			r->source = RL_SRC_SYSCALL;
		else if (!strcmp(sval(v), "database"))
			r->source = RL_SRC_DATABASE;
		else if (rl_nearest(sval(v), slen(v), (const char *const[]){ "syscall", "database" }, 2))
			rl_error(L, npos(y, v), "unknown source '%s' in rule '%s'; use syscall or database",
				 sval(v), r->name);
		else {
			/* a Falco plugin's source (k8s_audit, aws_cloudtrail...): the rule loads
			 * disabled, with a warning, so that a Falco rule file still loads */
			free(r->bad_source);
			r->bad_source = strdup(sval(v));
			if (!r->bad_source)
				L->oom = true;
		}
		r->source_pos = npos(y, v);
	}
	if ((v = eget(e, "enabled")) && get_bool(y, v, "enabled", &b))
		r->enabled = b;
	if ((v = eget(e, "skip-if-unknown-filter")) && get_bool(y, v, "skip-if-unknown-filter", &b))
		r->skip_unknown = b;
	if ((v = eget(e, "tags")))
		read_tags(y, v, r, !is_new && omode(e, "tags") == 1);
	if ((v = eget(e, "threshold")))
		read_threshold(y, v, r);
	if ((v = eget(e, "exceptions")))
		read_exceptions(y, v, r, !is_new && (e->append || omode(e, "exceptions") == 1));
	if ((v = eget(e, "protect"))) {
		r->protect_pos = npos(y, v);
		read_strlist(y, v, "protect", &r->protect, &r->nprotect, false);
	}
}

static void do_rule(struct yctx *y, struct entry *e)
{
	static const char *const known[] = {
		"rule", "desc", "condition", "output", "priority", "tags", "enabled", "source",
		"action", "threshold", "override", "append", "skip-if-unknown-filter", "warn_evttypes",
		"protect", "exceptions", "capture", "capture_duration",
	};
	static const char *const app[] = { "condition", "output", "desc", "tags", "exceptions" };
	static const char *const rep[] = { "condition", "output", "desc", "tags", "priority",
					    "enabled", "action", "threshold", "source", "protect",
					    "exceptions" };
	struct rl_ctx *L = y->L;
	struct rl_rule *r = rl_find_rule(L, e->name, strlen(e->name));
	char where[512];

	if (!check_keys(y, e, known, sizeof(known) / sizeof(known[0])) ||
	    !read_modes(y, e, app, 5, rep, 11))
		return;
	if (e->append) {
		if (!r) {
			rl_error(L, e->pos, "cannot append to rule '%s': no earlier file defines it",
				 e->name);
			return;
		}
		for (int i = 0; i < e->n; i++)
			if (strcmp(e->keys[i], "rule") && strcmp(e->keys[i], "append") &&
			    strcmp(e->keys[i], "condition") && strcmp(e->keys[i], "exceptions")) {
				rl_error(L, npos(y, e->knode[i]), "with 'append: true' only 'condition' "
					 "can be given; use 'override: {%s: replace}' to change '%s'",
					 e->keys[i], e->keys[i]);
				return;
			}
		if (!eget(e, "condition") && !eget(e, "exceptions")) {
			rl_error(L, e->pos, "rule '%s' has 'append: true' but no 'condition'", e->name);
			return;
		}
		rule_keys(y, e, r, false);
		return;
	}
	if (e->has_override) {
		if (!r) {
			rl_error(L, e->pos, "cannot override rule '%s': no earlier file defines it",
				 e->name);
			return;
		}
		rule_keys(y, e, r, false);
		return;
	}
	/* "- rule: X / enabled: false" switches an existing rule, as in Falco */
	if (r && e->n == 2 && eget(e, "enabled")) {
		rule_keys(y, e, r, false);
		return;
	}
	if (r) {
		where_defined(L, r->pos, where, sizeof(where));
		rl_error(L, e->pos, "rule '%s' is already defined at %s; add 'override:' "
			 "(e.g. {condition: append}) to change it, or give the new rule another name",
			 e->name, where);
		return;
	}
	if (e->n == 2 && eget(e, "enabled")) {
		rl_error(L, e->pos, "cannot enable or disable rule '%s': no earlier file defines it",
			 e->name);
		return;
	}
	if (!grow(L, (void **)&L->rules, &L->caprules, L->nrules + 1, sizeof(*L->rules)))
		return;
	r = &L->rules[L->nrules];
	memset(r, 0, sizeof(*r));
	r->name = strdup(e->name);
	if (!r->name) {
		L->oom = true;
		return;
	}
	r->pos = e->pos;
	r->priority = -1;
	r->source = -1;
	r->enabled = true;
	L->nrules++;
	if (!rl_index_add(L, &L->irules, L->rules, sizeof(*L->rules), L->nrules - 1))
		return;
	rule_keys(y, e, r, true);
	if (!r->has_cond)
		rl_error(L, e->pos, "rule '%s' has no 'condition'", e->name);
	if (!r->has_output)
		rl_error(L, e->pos, "rule '%s' has no 'output'", e->name);
	if (r->priority < 0 && !eget(e, "priority"))
		rl_error(L, e->pos, "rule '%s' has no 'priority'", e->name);
}

/* The version of Falco's rule engine whose language bulwark implements:
 * what the upstream rule files ask for (required_engine_version). */
#define RULES_FALCO_ENGINE "0.57.0"

static bool semver(const char *s, unsigned v[3])
{
	int n;

	v[0] = v[1] = v[2] = 0;
	/* an old integer version ("8") is from before semver: always satisfied */
	n = sscanf(s, "%u.%u.%u", &v[0], &v[1], &v[2]);
	if (n == 1 && !strchr(s, '.')) {
		v[0] = 0;
		v[1] = 0;
		v[2] = 0;
	}
	return n >= 1;
}

static void required_versions(struct yctx *y, struct entry *e)
{
	struct rl_ctx *L = y->L;
	yaml_node_t *v;
	unsigned want[3], have[3];

	if ((v = eget(e, "required_engine_version")) && want_scalar(y, v, "required_engine_version",
								   "a version such as 0.57.0")) {
		if (!semver(sval(v), want)) {
			rl_error(L, npos(y, v), "required_engine_version '%s' is not a version such as 0.57.0",
				 sval(v));
		} else {
			bool ok;
			semver(RULES_FALCO_ENGINE, have);
			ok = want[0] != have[0] ? want[0] < have[0] : want[1] != have[1] ?
			     want[1] < have[1] : want[2] <= have[2];
			if (!ok)
				rl_warn(L, npos(y, v), "this file requires Falco engine version %s; bulwark "
					"implements the rule language of %s, so rules using newer "
					"constructs will fail with errors", sval(v), RULES_FALCO_ENGINE);
			if (L->report)
				fprintf(L->report, "%s:%d: required_engine_version %s: %s (bulwark "
					"implements %s)\n", rl_file_name(L, y->file), npos(y, v).line,
					sval(v), ok ? "satisfied" : "newer", RULES_FALCO_ENGINE);
		}
	}
	if ((v = eget(e, "required_plugin_versions"))) {
		if (v->type != YAML_SEQUENCE_NODE) {
			rl_error(L, npos(y, v), "required_plugin_versions must be a list of {name, version}");
			return;
		}
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
		     it++) {
			yaml_node_t *p = node(y, *it), *nm, *ver;
			const char *name;

			if (p->type != YAML_MAPPING_NODE || !(nm = mget(y, p, "name")) ||
			    nm->type != YAML_SCALAR_NODE) {
				rl_error(L, npos(y, p), "each required plugin needs a name and a version");
				continue;
			}
			name = sval(nm);
			ver = mget(y, p, "version");
			if (!strcmp(name, "container")) {
				/* its fields are built in, with the host's values */
				if (L->report)
					fprintf(L->report, "%s:%d: plugin container %s: built in (container.id "
						"and container.name are host, other container.* fields absent)\n",
						rl_file_name(L, y->file), npos(y, p).line,
						ver && ver->type == YAML_SCALAR_NODE ? sval(ver) : "");
				continue;
			}
			rl_warn(L, npos(y, p), "this file requires Falco plugin '%s', which bulwark does "
				"not have; rules of its source load disabled", name);
			if (L->report)
				fprintf(L->report, "%s:%d: plugin %s: not available\n",
					rl_file_name(L, y->file), npos(y, p).line, name);
		}
	}
}

static void do_entry(struct yctx *y, yaml_node_t *m)
{
	static const char *const kinds[] = { "rule", "macro", "list" };
	struct entry e = { 0 };
	yaml_node_t *nv;

	if (m->type != YAML_MAPPING_NODE) {
		rl_error(y->L, npos(y, m), "each entry must be a mapping with a 'rule', 'macro' or "
			 "'list' key, not %s", kind_name(m));
		return;
	}
	e.pos = npos(y, m);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(y, p->key);

		if (k->type != YAML_SCALAR_NODE) {
			rl_error(y->L, npos(y, k), "keys must be plain names, not %s", kind_name(k));
			return;
		}
		for (int i = 0; i < e.n; i++)
			if (!strcmp(e.keys[i], sval(k))) {
				rl_error(y->L, npos(y, k), "key '%s' appears twice in this entry", sval(k));
				return;
			}
		if (e.n == MAXKEYS) {
			rl_error(y->L, npos(y, k), "too many keys in this entry");
			return;
		}
		e.keys[e.n] = sval(k);
		e.knode[e.n] = k;
		e.vals[e.n++] = node(y, p->value);
	}
	for (int i = 0; i < 3 && !e.kind; i++)
		if (eget(&e, kinds[i]))
			e.kind = kinds[i];
	if (!e.kind) {
		if (eget(&e, "required_engine_version") || eget(&e, "required_plugin_versions")) {
			required_versions(y, &e);
			return;
		}
		rl_error(y->L, e.pos, "entry has no 'rule', 'macro' or 'list' key");
		return;
	}
	nv = eget(&e, e.kind);
	e.name_node = nv;
	if (nv->type != YAML_SCALAR_NODE || !slen(nv)) {
		rl_error(y->L, npos(y, nv), "the %s name must be a non-empty string", e.kind);
		return;
	}
	e.name = sval(nv);
	if (e.kind[0] == 'r') {
		/* errors of a rule's entries are counted on it, for the --falco-report */
		int nerr = y->L->nerrors, first = y->L->ndiags;
		struct rl_rule *r;

		do_rule(y, &e);
		r = rl_find_rule(y->L, e.name, strlen(e.name));
		if (r && y->L->nerrors > nerr) {
			if (!r->read_errors)
				r->first_error = first;
			r->read_errors += y->L->nerrors - nerr;
		}
	} else if (e.kind[0] == 'm') {
		do_macro(y, &e);
	} else {
		do_list(y, &e);
	}
}


/*
 * A "\0" escape in a double-quoted scalar puts a NUL byte into its value.
 * Rule files are text: names, conditions and outputs are C strings
 * through libyaml, printf and the kernel's path lookups, and a value that
 * is cut short at a NUL matches something else than it says. So a NUL is
 * refused, for every scalar of the document before any is used. (Event
 * JSON is different: its strings are exact bytes, lengths kept, \u0000
 * included; a rule value never matches such a string, which is right.)
 */
static bool has_nul(struct yctx *y)
{
	bool found = false;

	for (yaml_node_t *n = y->doc->nodes.start; n < y->doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && memchr(sval(n), 0, slen(n))) {
			rl_error(y->L, npos(y, n), "a NUL byte (\\0) in a string; rule files are text, "
				 "so write the value without it");
			found = true;
		}
	return found;
}

/*
 * libyaml has no nesting limit, and its scanner checks every open flow
 * level on every token: 600 KB of '[' kept `rules check` busy for more
 * than ten minutes. A first pass over the events stops at the first level
 * past RULES_MAX_YAML_DEPTH, after a bounded amount of work; rule files
 * nest about four deep. Syntax errors are left to the loader to report.
 */
static bool depth_ok(struct rl_ctx *L, int file)
{
	const struct rl_file *f = &L->files[file];
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0;
	bool ok = true, done = false;

	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)f->buf, f->len);
	while (!done && yaml_parser_parse(&parser, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > RULES_MAX_YAML_DEPTH) {
				rl_error(L, (struct rl_pos){ file, (int)ev.start_mark.line + 1,
							     (int)ev.start_mark.column + 1 },
					 "YAML nests more than %d levels deep here; a rule file needs "
					 "about 4", RULES_MAX_YAML_DEPTH);
				ok = false;
				done = true;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		done |= ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return ok;
}

void rl_parse_file(struct rl_ctx *L, int file)
{
	struct rl_file *f = &L->files[file];
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yctx y = { L, file, &doc };

	if (!depth_ok(L, file))
		return;
	if (!yaml_parser_initialize(&parser)) {
		L->oom = true;
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)f->buf, f->len);
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			struct rl_pos p = { file, (int)parser.problem_mark.line + 1,
					    (int)parser.problem_mark.column + 1 };
			if (parser.context)
				rl_error(L, p, "YAML syntax error: %s %s", parser.problem, parser.context);
			else
				rl_error(L, p, "YAML syntax error: %s",
					 parser.problem ? parser.problem : "cannot parse");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break; /* end of stream; an empty file is fine */
		}
		if (has_nul(&y)) {
			/* reported; nothing of this document is used */
		} else if (root->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = root->data.sequence.items.start;
			     it < root->data.sequence.items.top && !L->oom; it++)
				do_entry(&y, node(&y, *it));
		} else if (!(root->type == YAML_SCALAR_NODE && !slen(root))) {
			rl_error(L, npos(&y, root), "a rule file must be a list of '- rule:', '- macro:' "
				 "and '- list:' entries, not %s", kind_name(root));
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
}

void rl_ctx_free(struct rl_ctx *L)
{
	for (int i = 0; i < L->nfiles; i++) {
		free(L->files[i].path);
		free(L->files[i].buf);
		free(L->files[i].lines);
	}
	free(L->files);
	for (int i = 0; i < L->ndiags; i++)
		free(L->diags[i].msg);
	free(L->diags);
	for (int i = 0; i < L->nlists; i++) {
		for (int k = 0; k < L->lists[i].nitems; k++)
			free(L->lists[i].items[k].s);
		free(L->lists[i].items);
		free(L->lists[i].name);
	}
	free(L->lists);
	for (int i = 0; i < L->nmacros; i++) {
		free(L->macros[i].name);
		text_free(&L->macros[i].cond);
	}
	free(L->macros);
	for (int i = 0; i < L->nrules; i++) {
		struct rl_rule *r = &L->rules[i];
		free(r->name);
		free(r->desc);
		text_free(&r->cond);
		text_free(&r->output);
		for (int k = 0; k < r->ntags; k++)
			free(r->tags[k]);
		free(r->tags);
		for (int k = 0; k < r->nprotect; k++)
			free(r->protect[k]);
		free(r->protect);
		for (int k = 0; k < r->nexc; k++)
			exc_free(&r->exc[k]);
		free(r->exc);
		free(r->bad_source);
	}
	free(L->rules);
	free(L->ilists.slots);
	free(L->imacros.slots);
	free(L->irules.slots);
	memset(L, 0, sizeof(*L));
}
