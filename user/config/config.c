// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The config file: libyaml document -> per-key values (checked for type) -> run option items. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "config/config.h"

enum kind {
	K_STR,      /* one scalar: --opt=VALUE */
	K_UINT,     /* one unsigned number: --opt=N */
	K_LIST,     /* a sequence of scalars (or one scalar): --opt=V per item */
	K_FLAG,     /* a boolean: --opt when true */
	K_NFLAG,    /* a boolean: --opt when false (db.enabled: false is --no-db) */
	K_OUTPUTS,  /* a sequence of output mappings */
	K_AGG,      /* the aggregation mapping, or false */
};

static const struct key {
	const char *name;   /* dotted */
	enum kind kind;
	const char *opt;    /* the run option it sets */
} keys[] = {
	{ "rules", K_LIST, "--rules" },
	{ "journal.dir", K_STR, "--journal" },
	{ "run_dir", K_STR, "--run-dir" },
	{ "events", K_FLAG, "--events" },
	{ "no_kill", K_FLAG, "--no-kill" },
	{ "watch", K_LIST, "--watch" },
	{ "protect", K_LIST, "--protect" },
	{ "protect_process_only", K_FLAG, "--protect-process-only" },
	{ "allow_exe", K_LIST, "--allow-exe" },
	{ "capture_all", K_FLAG, "--capture-all" },
	{ "ringbuf_mb", K_UINT, "--ringbuf-mb" },
	{ "pin_dir", K_STR, "--pin-dir" },
	{ "heartbeat", K_STR, "--heartbeat" },
	{ "verbose", K_FLAG, "--verbose" },
	{ "db.enabled", K_NFLAG, "--no-db" },
	{ "db.ports", K_LIST, "--db-port" },
	{ "db.sockets", K_LIST, "--db-socket" },
	{ "db.binaries", K_LIST, "--db-binary" },
	{ "db.uprobes", K_STR, "--db-uprobes" },
	{ "db.side", K_STR, "--db-side" },
	{ "db.max_conns", K_UINT, "--db-max-conns" },
	{ "db.all_statements", K_FLAG, "--db-all-statements" },
	{ "metrics.listen", K_STR, "--metrics" },
	{ "outputs", K_OUTPUTS, NULL },
	{ "aggregate", K_AGG, NULL },
};
#define NKEYS ((int)(sizeof(keys) / sizeof(keys[0])))

struct config_val {
	bool set;
	char **v;           /* the scalars as written */
	int n;
	const char *file;
	int line, col;
};

static const char *const kind_names[] = {
	[K_STR] = "a string", [K_UINT] = "a number", [K_LIST] = "a list of strings",
	[K_FLAG] = "true or false", [K_NFLAG] = "true or false",
	[K_OUTPUTS] = "a list of outputs (mappings with a type)",
	[K_AGG] = "a mapping (window, after) or false",
};

struct ld {
	struct config *c;
	struct config_diag *dg;
	yaml_document_t doc;
	const char *file;
};

static void diag(struct config_diag *dg, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void diag(struct config_diag *dg, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;

	dg->nerrors++;
	if (!dg->err)
		return;
	if (line > 0)
		fprintf(dg->err, "%s:%d:%d: ", file, line, col);
	else
		fprintf(dg->err, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(dg->err, fmt, ap);
	va_end(ap);
	fputc('\n', dg->err);
}

#define NDIAG(L, node, ...) \
	diag((L)->dg, (L)->file, (int)(node)->start_mark.line + 1, \
	     (int)(node)->start_mark.column + 1, __VA_ARGS__)

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
}

static void val_clear(struct config_val *v)
{
	for (int i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

void config_free(struct config *c)
{
	if (c->vals)
		for (int i = 0; i < NKEYS; i++)
			val_clear(&c->vals[i]);
	free(c->vals);
	for (int i = 0; i < c->nitems; i++)
		free(c->items[i].arg);
	for (int i = 0; i < c->noutputs; i++)
		free(c->output_specs[i]);
	free(c->aggregate_spec);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static int ensure_vals(struct config *c)
{
	if (!c->vals)
		c->vals = calloc(NKEYS, sizeof(*c->vals));
	return c->vals ? 0 : -ENOMEM;
}

static int val_add(struct config_val *v, const char *s, size_t n)
{
	char **nv = realloc(v->v, (size_t)(v->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	v->v = nv;
	v->v[v->n] = strndup(s, n);
	if (!v->v[v->n])
		return -ENOMEM;
	v->n++;
	return 0;
}

/* ---- did you mean ---- */

static int edit_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b), d[64][64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++)
		for (int j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The key (or section) nearest to name, when it is a plausible typo; else NULL. */
static const char *nearest_key(const char *name, char *buf, size_t n)
{
	int best = 99;

	*buf = 0;
	for (int i = 0; i < NKEYS; i++) {
		char cand[64];
		const char *dot = strchr(keys[i].name, '.');
		int dist;

		/* the key itself, and its section */
		for (int pass = 0; pass < 2; pass++) {
			if (pass == 0)
				snprintf(cand, sizeof(cand), "%s", keys[i].name);
			else if (dot)
				snprintf(cand, sizeof(cand), "%.*s", (int)(dot - keys[i].name), keys[i].name);
			else
				continue;
			dist = edit_distance(name, cand);
			if (dist < best) {
				best = dist;
				snprintf(buf, n, "%s", cand);
			}
		}
	}
	return *buf && best <= 2 + (int)strlen(name) / 6 ? buf : NULL;
}

static void unknown_key(struct ld *L, const yaml_node_t *node, const char *name)
{
	char near[64];

	if (nearest_key(name, near, sizeof(near)))
		NDIAG(L, node, "unknown key '%s'; did you mean '%s'? (see bulwark.yaml(5))", name, near);
	else
		NDIAG(L, node, "unknown key '%s'; the keys are listed in bulwark.yaml(5) and "
		      "'bulwark config keys'", name);
}

/* ---- values ---- */

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* YAML 1.1 booleans as libyaml leaves them: plain scalars. */
static int parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };

	for (int i = 0; yes[i]; i++)
		if (!strcasecmp(s, yes[i]))
			return *b = true, 0;
	for (int i = 0; no[i]; i++)
		if (!strcasecmp(s, no[i]))
			return *b = false, 0;
	return -EINVAL;
}

static bool is_uint(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Checks one scalar for a key's kind; returns 0 or reports. */
static int check_scalar(struct ld *L, const struct key *k, const yaml_node_t *n)
{
	const char *s = scalar(n);
	bool b;

	if ((k->kind == K_FLAG || k->kind == K_NFLAG) && parse_bool(s, &b)) {
		NDIAG(L, n, "%s: '%s' is not a boolean; need true or false", k->name, s);
		return -EINVAL;
	}
	if (k->kind == K_UINT && !is_uint(s)) {
		NDIAG(L, n, "%s: '%s' is not a number; need an unsigned integer", k->name, s);
		return -EINVAL;
	}
	if (!*s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		NDIAG(L, n, "%s: no value; need %s (or remove the key)", k->name, kind_names[k->kind]);
		return -EINVAL;
	}
	return 0;
}

/* "a,b" with \, and \\ escaped: outputs_config_parse_spec()'s value syntax. */
static int spec_put(char **spec, size_t *len, const char *s)
{
	size_t n = strlen(s), need = *len + 2 * n + 2;
	char *p = realloc(*spec, need);

	if (!p)
		return -ENOMEM;
	*spec = p;
	for (; *s; s++) {
		if (*s == ',' || *s == '\\')
			p[(*len)++] = '\\';
		p[(*len)++] = *s;
	}
	p[*len] = 0;
	return 0;
}

static int spec_pair(char **spec, size_t *len, const char *k, const char *v)
{
	int rc = 0;

	/* the separator is raw: spec_put() would escape it */
	if (*len && (*spec)[*len - 1] != ':') {
		rc = spec_put(spec, len, "");
		if (!rc) {
			(*spec)[(*len)++] = ',';
			(*spec)[*len] = 0;
		}
	}
	if (!rc)
		rc = spec_put(spec, len, k);
	if (!rc)
		rc = spec_put(spec, len, "=");
	if (!rc)
		rc = spec_put(spec, len, v);
	return rc;
}

/*
 * One output mapping -> "TYPE:key=value,..." for outputs_config_parse_spec().
 * The keys are the spec's keys (url, min_priority, spool...), checked by the
 * outputs module; here only the shape: a type, scalar values, and header
 * lists (headers: [...] becomes repeated header=).
 */
static int load_output(struct ld *L, const yaml_node_t *m)
{
	char *spec = NULL;
	size_t len = 0;
	const char *type = NULL;
	int rc = 0, errs = L->dg->nerrors;

	if (m->type != YAML_MAPPING_NODE) {
		NDIAG(L, m, "outputs: each output is a mapping with a type (stdout, file, syslog, "
		      "http, program)");
		return -EINVAL;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);

		if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), "type")) {
			if (v->type != YAML_SCALAR_NODE)
				NDIAG(L, v, "outputs: type: need stdout, file, syslog, http or program");
			else
				type = scalar(v);
		}
	}
	if (!type) {
		NDIAG(L, m, "outputs: this output has no type; add type: stdout, file, syslog, http "
		      "or program");
		return -EINVAL;
	}
	if (spec_put(&spec, &len, type) || spec_put(&spec, &len, ":"))
		goto nomem;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
		const char *kn;

		if (k->type != YAML_SCALAR_NODE) {
			NDIAG(L, k, "outputs: keys are plain names");
			continue;
		}
		kn = scalar(k);
		if (!strcmp(kn, "type"))
			continue;
		if (v->type == YAML_SEQUENCE_NODE && !strcmp(kn, "headers")) {
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++) {
				yaml_node_t *h = yaml_document_get_node(&L->doc, *it);

				if (h->type != YAML_SCALAR_NODE)
					NDIAG(L, h, "outputs: headers: each header is a string "
					      "\"Name: value\"");
				else if (spec_pair(&spec, &len, "header", scalar(h)))
					goto nomem;
			}
			continue;
		}
		if (v->type != YAML_SCALAR_NODE) {
			NDIAG(L, v, "outputs: %s: need a single value%s", kn,
			      !strcmp(kn, "header") ? " (several headers go in headers: [...])" : "");
			continue;
		}
		if (spec_pair(&spec, &len, kn, scalar(v)))
			goto nomem;
	}
	if (L->dg->nerrors > errs) {
		free(spec);
		return -EINVAL;
	}
	if (len && spec[len - 1] == ':')
		spec[--len] = 0;
	if (L->c->noutputs >= CONFIG_MAX_OUTPUTS) {
		NDIAG(L, m, "outputs: at most %d outputs", CONFIG_MAX_OUTPUTS);
		free(spec);
		return -EINVAL;
	}
	L->c->output_line[L->c->noutputs] = (int)m->start_mark.line + 1;
	L->c->output_col[L->c->noutputs] = (int)m->start_mark.column + 1;
	L->c->output_specs[L->c->noutputs++] = spec;
	return rc;
nomem:
	free(spec);
	return -ENOMEM;
}

static int load_aggregate(struct ld *L, const yaml_node_t *v)
{
	char *spec = NULL;
	size_t len = 0;
	bool b;

	if (v->type == YAML_SCALAR_NODE && !parse_bool(scalar(v), &b)) {
		free(L->c->aggregate_spec);
		L->c->aggregate_spec = strdup(b ? "aggregate:on" : "aggregate:off");
		return L->c->aggregate_spec ? 0 : -ENOMEM;
	}
	if (v->type != YAML_MAPPING_NODE) {
		NDIAG(L, v, "aggregate: need a mapping (window: 60s, after: 10) or false");
		return -EINVAL;
	}
	if (spec_put(&spec, &len, "aggregate:"))
		return -ENOMEM;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		yaml_node_t *x = yaml_document_get_node(&L->doc, p->value);

		if (k->type != YAML_SCALAR_NODE || x->type != YAML_SCALAR_NODE ||
		    (strcmp(scalar(k), "window") && strcmp(scalar(k), "after"))) {
			NDIAG(L, k, "aggregate: the keys are window (a duration, 60s) and after (a "
			      "number of alerts)");
			free(spec);
			return -EINVAL;
		}
		if (spec_pair(&spec, &len, scalar(k), scalar(x))) {
			free(spec);
			return -ENOMEM;
		}
	}
	free(L->c->aggregate_spec);
	L->c->aggregate_spec = spec;
	return 0;
}

static int load_value(struct ld *L, int ki, const yaml_node_t *v)
{
	const struct key *k = &keys[ki];
	struct config_val *cv = &L->c->vals[ki];
	int rc = 0;

	if (k->kind == K_OUTPUTS) {
		if (v->type != YAML_SEQUENCE_NODE) {
			NDIAG(L, v, "outputs: need a list of outputs, each a mapping with a type");
			return -EINVAL;
		}
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top && rc != -ENOMEM; it++)
			rc = load_output(L, yaml_document_get_node(&L->doc, *it));
		L->c->nset++;
		return rc == -ENOMEM ? rc : 0;
	}
	if (k->kind == K_AGG) {
		L->c->nset++;
		return load_aggregate(L, v);
	}
	if (v->type == YAML_MAPPING_NODE || (v->type == YAML_SEQUENCE_NODE && k->kind != K_LIST)) {
		NDIAG(L, v, "%s: wrong type: need %s, not a %s", k->name, kind_names[k->kind],
		      v->type == YAML_MAPPING_NODE ? "mapping" : "list");
		return -EINVAL;
	}
	val_clear(cv);
	cv->set = true;
	cv->file = L->file;
	cv->line = (int)v->start_mark.line + 1;
	cv->col = (int)v->start_mark.column + 1;
	L->c->nset++;
	if (v->type == YAML_SCALAR_NODE) {
		if (check_scalar(L, k, v))
			return -EINVAL;
		return val_add(cv, scalar(v), v->data.scalar.length);
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *x = yaml_document_get_node(&L->doc, *it);

		if (x->type != YAML_SCALAR_NODE) {
			NDIAG(L, x, "%s: wrong type: each item is a string, not a %s", k->name,
			      x->type == YAML_MAPPING_NODE ? "mapping" : "list");
			continue;
		}
		if (check_scalar(L, k, x))
			continue;
		if ((rc = val_add(cv, scalar(x), x->data.scalar.length)))
			return rc;
	}
	return 0;
}

static int find_key(const char *name)
{
	for (int i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return i;
	return -1;
}

static bool is_section(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < NKEYS; i++)
		if (!strncmp(keys[i].name, name, n) && keys[i].name[n] == '.')
			return true;
	return false;
}

static int load_mapping(struct ld *L, const yaml_node_t *m, const char *prefix)
{
	char name[128];
	int rc;

	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
		int ki;

		if (k->type != YAML_SCALAR_NODE) {
			NDIAG(L, k, "keys are plain names, not lists or mappings");
			continue;
		}
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", scalar(k));
		ki = find_key(name);
		if (ki >= 0) {
			if ((rc = load_value(L, ki, v)) == -ENOMEM)
				return rc;
		} else if (is_section(name)) {
			if (v->type != YAML_MAPPING_NODE) {
				NDIAG(L, v, "%s: wrong type: need a mapping (%s:, then indented keys)",
				      name, name);
				continue;
			}
			if ((rc = load_mapping(L, v, name)) == -ENOMEM)
				return rc;
		} else {
			unknown_key(L, k, name);
		}
	}
	return 0;
}

int config_load(struct config *c, const char *path, struct config_diag *dg)
{
	struct ld L = { .c = c, .dg = dg };
	yaml_parser_t parser;
	yaml_node_t *root;
	FILE *f;
	int rc = 0, errs = dg->nerrors;

	if (ensure_vals(c))
		return -ENOMEM;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	free(c->path);
	c->path = strdup(path);
	if (!c->path) {
		fclose(f);
		return -ENOMEM;
	}
	L.file = c->path;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &L.doc)) {
		diag(dg, path, (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
		     "not valid YAML: %s%s%s", parser.problem ? parser.problem : "parse error",
		     parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&L.doc);
	if (!root) {
		/* an empty file: every default */
	} else if (root->type == YAML_SCALAR_NODE && !*scalar(root)) {
	} else if (root->type != YAML_MAPPING_NODE) {
		NDIAG(&L, root, "the config file is a mapping of keys (journal:, rules:, outputs: ...)");
	} else {
		rc = load_mapping(&L, root, "");
	}
	yaml_document_delete(&L.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc)
		return rc;
	return dg->nerrors > errs ? -EINVAL : 0;
}

int config_override(struct config *c, const char *kv, struct config_diag *dg)
{
	const char *eq = strchr(kv, '=');
	char name[128], near[64];
	struct config_val *cv;
	const struct key *k;
	const char *s, *e;
	int ki, rc;
	bool b;

	if (ensure_vals(c))
		return -ENOMEM;
	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(name)) {
		diag(dg, "-o", 0, 0, "'%s': need KEY=VALUE, such as -o journal.dir=/srv/journal", kv);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
	ki = find_key(name);
	if (ki < 0) {
		if (nearest_key(name, near, sizeof(near)))
			diag(dg, "-o", 0, 0, "unknown key '%s'; did you mean '%s'?", name, near);
		else
			diag(dg, "-o", 0, 0, "unknown key '%s'; the keys are listed in bulwark.yaml(5)",
			     name);
		return -EINVAL;
	}
	k = &keys[ki];
	if (k->kind == K_OUTPUTS || k->kind == K_AGG) {
		diag(dg, "-o", 0, 0, "%s: set it in the config file; -o takes single values", name);
		return -EINVAL;
	}
	s = eq + 1;
	if ((k->kind == K_FLAG || k->kind == K_NFLAG) && parse_bool(s, &b)) {
		diag(dg, "-o", 0, 0, "%s: '%s' is not a boolean; need true or false", name, s);
		return -EINVAL;
	}
	if (k->kind == K_UINT && !is_uint(s)) {
		diag(dg, "-o", 0, 0, "%s: '%s' is not a number; need an unsigned integer", name, s);
		return -EINVAL;
	}
	cv = &c->vals[ki];
	val_clear(cv);
	cv->set = true;
	cv->file = "-o";
	c->nset++;
	/* an override replaces the file's value; a list is written a,b,c */
	if (k->kind != K_LIST)
		return val_add(cv, s, strlen(s));
	while (*s) {
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		if (e > s && (rc = val_add(cv, s, (size_t)(e - s))))
			return rc;
		s = *e ? e + 1 : e;
	}
	return 0;
}

static int add_item(struct config *c, const struct key *k, const struct config_val *v,
		    const char *arg)
{
	struct config_item *it;

	if (c->nitems >= CONFIG_MAX_ITEMS)
		return -E2BIG;
	it = &c->items[c->nitems];
	it->arg = strdup(arg);
	if (!it->arg)
		return -ENOMEM;
	it->key = k->name;
	it->file = v->file;
	it->line = v->line;
	it->col = v->col;
	c->nitems++;
	return 0;
}

int config_finish(struct config *c)
{
	char buf[8192];
	bool b;
	int rc;

	for (int i = 0; i < c->nitems; i++)
		free(c->items[i].arg);
	c->nitems = 0;
	if (!c->vals)
		return 0;
	for (int i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const struct config_val *v = &c->vals[i];

		if (!v->set || !k->opt)
			continue;
		for (int j = 0; j < v->n; j++) {
			if (k->kind == K_FLAG || k->kind == K_NFLAG) {
				parse_bool(v->v[j], &b);
				if (b != (k->kind == K_FLAG))
					continue;
				snprintf(buf, sizeof(buf), "%s", k->opt);
			} else {
				snprintf(buf, sizeof(buf), "%s=%s", k->opt, v->v[j]);
			}
			if ((rc = add_item(c, k, v, buf)))
				return rc;
		}
	}
	return 0;
}

void config_print_keys(FILE *out)
{
	for (int i = 0; i < NKEYS; i++)
		fprintf(out, "%-22s %-40s %s\n", keys[i].name, kind_names[keys[i].kind],
			keys[i].opt ? keys[i].opt : "(outputs)");
}
