// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The condition parser: recursive descent over Falco's filter syntax
 * (tokens from rules_lex.c), building the node array with operands
 * prepared (sets, tries, folded needles, parsed integers), and macros
 * compiled once and shared.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

struct parser {
	struct rl_ctx *L;
	struct rules *rs;
	const struct rl_text *t;
	struct rs_lexer X;   /* the text and its current token */
	bool failed;         /* the current check failed: an error was reported (or a bad macro used) */
	bool had_error;      /* some check of the condition failed: it does not compile */
	bool fatal;          /* the structure is broken: no recovery to the next check */
	int nerrs;           /* errors reported in this condition */
	bool in_check;       /* errors now are local to one check: recoverable */
	bool skip_unknown;
	struct rl_needs needs;
	struct rl_fset fields;
	int depth;
	int32_t *stack;      /* children being collected, shared by all levels */
	int nstack, capstack;
};

static void lex(struct parser *P, bool value)
{
	rs_lex(&P->X, value);
}

static bool tok_is(const struct parser *P, const char *w)
{
	return rs_tok_is(&P->X, w);
}

static void perr(struct parser *P, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parser *P, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (P->failed)
		return;
	P->failed = true;
	if (!P->in_check)
		P->fatal = true;
	/* every error of a condition is reported, up to a bound against floods */
	if (++P->nerrs > 20)
		return;
	va_start(ap, fmt);
	rl_vdiag(P->L, rl_text_pos(P->L, P->t, off), false, fmt, ap);
	va_end(ap);
}

void rl_needs_merge(struct rl_needs *d, const struct rl_needs *s)
{
	if (!d->field[0] && s->field[0])
		memcpy(d->field, s->field, sizeof(d->field));
	if (!d->bad_macro)
		d->bad_macro = s->bad_macro;
	d->unknown |= s->unknown;
	d->unavail |= s->unavail;
	if (!d->host_field[0] && s->host_field[0])
		memcpy(d->host_field, s->host_field, sizeof(d->host_field));
	for (int i = 0; i < s->ntypes; i++) {
		bool have = false;
		for (int k = 0; k < d->ntypes; k++)
			have |= d->types[k] == s->types[i];
		if (!have && d->ntypes < RL_NEED_TYPES)
			d->types[d->ntypes++] = s->types[i];
	}
}

static void need_field(struct parser *P, const char *w, size_t wl)
{
	if (!P->needs.field[0])
		snprintf(P->needs.field, sizeof(P->needs.field), "%.*s", (int)(wl > 78 ? 78 : wl), w);
}

/* Token text for messages, shortened. */
static const char *tdesc(const struct parser *P, char *buf, size_t n)
{
	if (P->X.tk.t == T_EOF)
		return "the end";
	snprintf(buf, n, "'%.*s'", (int)(P->X.tk.len > 40 ? 40 : P->X.tk.len), P->X.s + P->X.tk.off);
	return buf;
}

/* The value of the current word or string token, unquoted (rs-owned). */
static char *tok_value(struct parser *P, size_t *len)
{
	char *out;

	if (P->X.tk.t != T_STR) {
		*len = P->X.tk.len;
		out = rs_strndup(P->rs, P->X.s + P->X.tk.off, P->X.tk.len);
	} else {
		out = rs_keep(P->rs, malloc(P->X.tk.len));
		if (out)
			*len = rs_tok_unquote(&P->X, out);
	}
	if (!out)
		P->L->oom = true, P->failed = true;
	return out;
}

/* ---- node building ---- */

static int new_node(struct parser *P, const struct rnode *tmpl)
{
	struct rules *rs = P->rs;
	uint16_t *d;

	if (rs->nnodes == rs->capnodes) {
		int cap = rs->capnodes ? rs->capnodes * 2 : 256;
		struct rnode *n = realloc(rs->nodes, (size_t)cap * sizeof(*n));
		if (!n) {
			P->L->oom = true;
			P->failed = true;
			return -1;
		}
		rs->nodes = n;
		d = realloc(rs->depth, (size_t)cap * sizeof(*d));
		if (!d) {
			P->L->oom = true;
			P->failed = true;
			return -1;
		}
		rs->depth = d;
		rs->capnodes = cap;
	}
	rs->nodes[rs->nnodes] = *tmpl;
	rs->depth[rs->nnodes] = 1;
	return rs->nnodes++;
}

static bool push(struct parser *P, int32_t v)
{
	if (P->nstack == P->capstack) {
		int cap = P->capstack ? P->capstack * 2 : 32;
		int32_t *n = realloc(P->stack, (size_t)cap * sizeof(*n));
		if (!n) {
			P->L->oom = true;
			P->failed = true;
			return false;
		}
		P->stack = n;
		P->capstack = cap;
	}
	P->stack[P->nstack++] = v;
	return true;
}

/* rs->depth[] holds a node's depth, and this bit for the root of a macro. */
#define DEPTH_SHARED 0x8000u
#define DEPTH_MASK 0x7fffu

/*
 * Whether child n of a new op node is merged into it. A macro's root is
 * not: it is shared, and copying its children into every user copied a
 * chain of N macros that each extend the previous one N^2/2 times.
 */
static bool flattens(const struct rules *rs, int n, enum rn_op op)
{
	return rs->nodes[n].op == op && op != RN_NOT && !(rs->depth[n] & DEPTH_SHARED);
}

/* Makes an AND/OR/NOT node of stack[from..]; nested nodes of the same op
 * are flattened so that "a and (b and c)" is one node with three children. */
static int group_node(struct parser *P, enum rn_op op, int from)
{
	struct rules *rs = P->rs;
	struct rnode t = { .op = (uint8_t)op };
	int need = 0, n;
	uint16_t depth = 0;

	for (int i = from; i < P->nstack; i++) {
		const struct rnode *c = &rs->nodes[P->stack[i]];
		need += flattens(rs, P->stack[i], op) ? (int)c->kcount : 1;
	}
	if (rs->nkidx + need > rs->capkidx) {
		int cap = rs->capkidx ? rs->capkidx * 2 : 256;
		int32_t *n;
		while (cap < rs->nkidx + need)
			cap *= 2;
		n = realloc(rs->kidx, (size_t)cap * sizeof(*n));
		if (!n) {
			P->L->oom = true;
			P->failed = true;
			return -1;
		}
		rs->kidx = n;
		rs->capkidx = cap;
	}
	t.kbegin = (uint32_t)rs->nkidx;
	for (int i = from; i < P->nstack; i++) {
		const struct rnode *c = &rs->nodes[P->stack[i]];
		if (flattens(rs, P->stack[i], op)) {
			for (uint32_t k = 0; k < c->kcount; k++)
				rs->kidx[rs->nkidx++] = rs->kidx[c->kbegin + k];
		} else {
			rs->kidx[rs->nkidx++] = P->stack[i];
		}
	}
	t.kcount = (uint32_t)need;
	P->nstack = from;
	for (uint32_t k = 0; k < t.kcount; k++)
		if ((rs->depth[rs->kidx[t.kbegin + k]] & DEPTH_MASK) > depth)
			depth = rs->depth[rs->kidx[t.kbegin + k]] & DEPTH_MASK;
	/* evaluation recurses once per level, macro bodies included */
	if (++depth > RULES_MAX_NEST) {
		perr(P, P->X.tk.off, "condition nests more than %d levels deep, counting the "
		     "macros it uses; simplify it or its macros", RULES_MAX_NEST);
		return -1;
	}
	n = new_node(P, &t);
	if (n >= 0)
		rs->depth[n] = (uint16_t)depth;
	return n;
}

/* ---- parser ---- */

static int parse_or(struct parser *P);

static const char *const str_ops[] = { "contains", "icontains", "startswith", "endswith", "glob",
				       "pmatch", "regex", "iglob", "bcontains", "bstartswith",
				       "bendswith" };
#define NSTR_OPS (sizeof(str_ops) / sizeof(str_ops[0]))
static const char *const xf_names[] = { NULL, "tolower", "toupper", "b64", "basename" };

static const char *kind_desc(enum bw_kind k)
{
	return k == BW_K_STR ? "a string" : k == BW_K_BOOL ? "true/false" : "a number";
}

static void collect_list(struct parser *P, struct rl_list *l, struct rs_item **items, int *n,
			 int *cap, size_t ref_off, int depth);

/*
 * Lists expand into every condition that names them, and lists may name
 * lists: 31 lists that each name the one before twice expand to 2^31
 * items from 1 KB of YAML. Items and list visits are counted over the
 * whole load against RULES_MAX_ITEMS; past it, an error at ref_off.
 */
static bool expand_step(struct parser *P, size_t ref_off)
{
	if (++P->L->expanded <= RULES_MAX_ITEMS)
		return true;
	if (!P->L->expand_reported)
		perr(P, ref_off, "lists expand to more than %d items in this rule set (lists that "
		     "name other lists are expanded where they are used); use smaller lists",
		     RULES_MAX_ITEMS);
	else
		P->failed = true;
	P->L->expand_reported = true;
	return false;
}

static bool add_item(struct parser *P, struct rs_item **items, int *n, int *cap, struct rs_item it,
		     size_t ref_off)
{
	if (!expand_step(P, ref_off))
		return false;
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 16;
		struct rs_item *ni = realloc(*items, (size_t)c * sizeof(*ni));
		if (!ni) {
			P->L->oom = true;
			P->failed = true;
			return false;
		}
		*items = ni;
		*cap = c;
	}
	(*items)[(*n)++] = it;
	return true;
}

static void collect_list(struct parser *P, struct rl_list *l, struct rs_item **items, int *n,
			 int *cap, size_t ref_off, int depth)
{
	if (l->state == RL_BUSY) {
		perr(P, ref_off, "list '%s' includes itself", l->name);
		return;
	}
	if (depth > RULES_MAX_MACRO_DEPTH) {
		perr(P, ref_off, "lists nest more than %d deep here (list '%s' names a list that "
		     "names a list...); flatten them", RULES_MAX_MACRO_DEPTH, l->name);
		return;
	}
	if (!expand_step(P, ref_off))
		return;
	l->used = true;
	l->state = RL_BUSY;
	for (int i = 0; i < l->nitems && !P->failed; i++) {
		const struct rl_item *ri = &l->items[i];
		struct rl_list *sub = rl_find_list(P->L, ri->s, ri->len);
		if (sub)
			collect_list(P, sub, items, n, cap, ref_off, depth + 1);
		else if (ri->len >= 2 && (ri->s[0] == '"' || ri->s[0] == '\'') &&
			 ri->s[ri->len - 1] == ri->s[0])
			/* a quoted item ('"(systemd)"'): Falco pastes items into the
			 * condition, where the quotes delimit a string */
			add_item(P, items, n, cap, (struct rs_item){ ri->s + 1, ri->len - 2, 0, ri->pos,
								     true }, ref_off);
		else
			add_item(P, items, n, cap, (struct rs_item){ ri->s, ri->len, 0, ri->pos, true },
				 ref_off);
	}
	l->state = RL_NEW;
}

static void list_names(struct rl_ctx *L, const char **names, int max, int *n)
{
	*n = 0;
	for (int i = 0; i < L->nlists && *n < max; i++)
		names[(*n)++] = L->lists[i].name;
}

/* "(a, b, list_name, 'c d')" or a bare list name. */
/* The list when the operand is exactly one list name, bare or in parentheses. */
static struct rl_list *only_list(struct parser *P, size_t *word_off)
{
	struct rs_lexer save = P->X;
	struct rl_list *l = NULL;
	bool paren = P->X.tk.t == T_LP;

	if (paren)
		lex(P, true);
	*word_off = P->X.tk.off;
	if (P->X.tk.t == T_WORD)
		l = rl_find_list(P->L, P->X.s + P->X.tk.off, P->X.tk.len);
	if (l && paren) {
		lex(P, true);
		if (P->X.tk.t != T_RP)
			l = NULL;
	}
	if (!l)
		P->X = save;
	return l;
}

/*
 * "(a, b, list_name, 'c d')" or a bare list name. When the operand is one
 * list whose compiled form the caller can reuse (*whole already has a set
 * or trie of the kind it wants), nothing is expanded: *whole is set and
 * *n is 0. Otherwise *whole is that single list, or NULL.
 */
static bool parse_items(struct parser *P, const char *opname, struct rs_item **items, int *n,
			struct rl_list **whole, bool (*reusable)(const struct rl_list *))
{
	int cap = 0;
	struct rl_list *l;
	char buf[64];
	size_t off;

	*items = NULL;
	*n = 0;
	*whole = NULL;
	lex(P, true);
	if ((l = only_list(P, &off))) {
		*whole = l;
		if (!reusable || !reusable(l))
			collect_list(P, l, items, n, &cap, off, 1);
		else
			l->used = true;
		lex(P, false);
		return !P->failed;
	}
	if (P->X.tk.t != T_LP) {
		if (P->X.tk.t == T_WORD)
			perr(P, P->X.tk.off, "'%s' needs a list in parentheses, e.g. (a, b), or a list "
			     "name; '%.*s' is not a defined list", opname, (int)P->X.tk.len,
			     P->X.s + P->X.tk.off);
		else
			perr(P, P->X.tk.off, "'%s' needs a list in parentheses, e.g. (a, b); got %s",
			     opname, tdesc(P, buf, sizeof(buf)));
		return false;
	}
	size_t lp = P->X.tk.off;
	lex(P, true);
	while (P->X.tk.t != T_RP) {
		if (P->X.tk.t == T_WORD || P->X.tk.t == T_STR) {
			size_t len;
			const char *v;
			size_t off = P->X.tk.off;
			if (P->X.tk.t == T_WORD && (l = rl_find_list(P->L, P->X.s + off, P->X.tk.len))) {
				collect_list(P, l, items, n, &cap, off, 1);
			} else {
				if (P->X.tk.t == T_WORD && memchr(P->X.s + off, '_', P->X.tk.len)) {
					const char *names[256];
					int nn;
					const char *near;
					list_names(P->L, names, 256, &nn);
					near = rl_nearest(P->X.s + off, P->X.tk.len, names, nn);
					if (near)
						rl_warn(P->L, rl_text_pos(P->L, P->t, off),
							"'%.*s' is not a defined list, so it is matched as "
							"a literal value; did you mean list '%s'?",
							(int)P->X.tk.len, P->X.s + off, near);
				}
				v = tok_value(P, &len);
				if (!v)
					return false;
				add_item(P, items, n, &cap, (struct rs_item){ v, len, off, { -1, 0, 0 }, false },
					 off);
			}
			if (P->failed)
				return false;
			lex(P, true);
			if (P->X.tk.t == T_COMMA) {
				lex(P, true);
				continue;
			}
			if (P->X.tk.t == T_EOF) {
				perr(P, lp, "'(' is never closed; expected ')'");
				return false;
			}
			if (P->X.tk.t != T_RP) {
				perr(P, P->X.tk.off, "expected ',' or ')' in the list of '%s', got %s", opname,
				     tdesc(P, buf, sizeof(buf)));
				return false;
			}
			break;
		}
		if (P->X.tk.t == T_EOF)
			perr(P, lp, "'(' is never closed; expected ')'");
		else if (P->X.tk.t == T_BAD)
			perr(P, P->X.tk.off, "unterminated string");
		else
			perr(P, P->X.tk.off, "expected a value in the list of '%s', got %s", opname,
			     tdesc(P, buf, sizeof(buf)));
		return false;
	}
	lex(P, false);
	return true;
}

static void item_err(struct parser *P, const struct rs_item *it, const char *fmt, const char *a,
		     const char *b)
{
	if (P->failed)
		return;
	if (it->from_list) {
		P->failed = true;
		rl_error(P->L, it->pos, fmt, a, b);
	} else {
		perr(P, it->off, fmt, a, b);
	}
}

static bool parse_int(const char *s, size_t n, bool sign, uint64_t *out)
{
	char buf[32], *end;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	if (sign) {
		long long v = strtoll(buf, &end, 0);
		if (errno || *end)
			return false;
		*out = (uint64_t)v;
	} else {
		unsigned long long v;
		if (buf[0] == '-')
			return false;
		v = strtoull(buf, &end, 0);
		if (errno || *end)
			return false;
		*out = v;
	}
	return true;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int s64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Falco's names for events bulwark reports under another name: execveat
 * is reported as execve (the README's capture table), procexit is
 * bulwark's exit.
 */
static enum bw_evt type_alias(const char *s, size_t n)
{
	if (n == 8 && !memcmp(s, "execveat", 8))
		return BW_EVT_EXECVE;
	if (n == 8 && !memcmp(s, "procexit", 8))
		return BW_EVT_EXIT;
	return BW_EVT_UNKNOWN;
}

/*
 * evt.type names to a mask. A syscall bulwark does not hook is accepted
 * (as Falco accepts types its driver lacks) and matches nothing; it is
 * noted in P->needs, so the rule is disabled when nothing else is left,
 * or warned about.
 */
static bool evt_type_mask(struct parser *P, const struct rs_item *it, int n, uint64_t *mask)
{
	const char *names[BW_EVT_MAX];

	for (int i = 0; i < BW_EVT_MAX; i++)
		names[i] = event_type_name(i);
	*mask = 0;
	for (int i = 0; i < n; i++) {
		enum bw_evt t = event_type_from_name(it[i].s, it[i].len);
		const char *sys;
		char w[128];

		if (t == BW_EVT_UNKNOWN)
			t = type_alias(it[i].s, it[i].len);
		if (t == BW_EVT_UNKNOWN && (sys = rl_syscall_known(it[i].s, it[i].len))) {
			struct rl_needs one = { .types = { sys }, .ntypes = 1 };
			rl_needs_merge(&P->needs, &one);
			continue;
		}
		if (t == BW_EVT_UNKNOWN && !(it[i].len == 7 && !memcmp(it[i].s, "unknown", 7))) {
			const char *near = rl_nearest(it[i].s, it[i].len, names + 1, BW_EVT_MAX - 1);
			snprintf(w, sizeof(w), "%.*s", (int)(it[i].len > 60 ? 60 : it[i].len), it[i].s);
			if (near)
				item_err(P, &it[i], "unknown event type '%s'; did you mean '%s'?", w, near);
			else
				item_err(P, &it[i], "unknown event type '%s'%s", w,
					 "; it is neither a Linux syscall nor a bulwark event (see 'bulwark rules fields')");
			return false;
		}
		*mask |= 1ull << t;
	}
	return true;
}

static bool bool_value(const char *s, size_t n, uint64_t *u)
{
	if (n == 4 && !strncasecmp(s, "true", 4))
		return *u = 1, true;
	if (n == 5 && !strncasecmp(s, "false", 5))
		return *u = 0, true;
	return false;
}

enum { OP_STR = 1, OP_ORDER = 2, OP_IN = 4, OP_PMATCH = 8, OP_NE = 16, OP_HEX = 32, OP_REGEX = 64,
       OP_EXISTS = 128 };

/* The field operand of a check, as the operator sees it. */
struct fdesc {
	const char *name;    /* as written, for messages */
	enum bw_kind kind;   /* after transformers */
	bool list;           /* a list field (proc.anames): exists, in, intersects */
};

#define OP_LIST "=, !=, <, <=, >, >=, in, intersects, contains, icontains, startswith, " \
	"endswith, glob, iglob, pmatch, regex, bcontains, bstartswith, bendswith, exists"

/*
 * The operator after a field: sets t->op, its class bits in *cls and its
 * text in opname (16 bytes). 0, 1 for "exists" (t is complete), or -1
 * after an error, including an operator the field's kind does not take.
 */
static int parse_op(struct parser *P, const struct fdesc *fd, struct rnode *t, char *opname,
		    unsigned *cls)
{
	static const uint8_t ops[] = { RN_S_CONTAINS, RN_S_ICONTAINS, RN_S_STARTS, RN_S_ENDS,
				       RN_S_GLOB, RN_S_PMATCH, RN_S_REGEX, RN_S_IGLOB,
				       RN_S_CONTAINS, RN_S_STARTS, RN_S_ENDS };
	size_t ooff, olen;
	char buf[64];
	bool str = fd->kind == BW_K_STR;

	*cls = 0;
	/* parse_fref left the operator as the current token */
	ooff = P->X.tk.off;
	olen = P->X.tk.len;
	snprintf(opname, 16, "%.*s", (int)(olen > 15 ? 15 : olen), P->X.s + ooff);
	if (P->X.tk.t == T_OP) {
		if (!strcmp(opname, "=") || !strcmp(opname, "=="))
			t->op = str ? RN_S_EQ : RN_N_EQ;
		else if (!strcmp(opname, "!="))
			t->op = str ? RN_S_NE : RN_N_NE, *cls |= OP_NE;
		else if (!strcmp(opname, "<"))
			t->op = RN_N_LT, *cls |= OP_ORDER;
		else if (!strcmp(opname, "<="))
			t->op = RN_N_LE, *cls |= OP_ORDER;
		else if (!strcmp(opname, ">"))
			t->op = RN_N_GT, *cls |= OP_ORDER;
		else if (!strcmp(opname, ">="))
			t->op = RN_N_GE, *cls |= OP_ORDER;
		else {
			perr(P, ooff, "unknown operator '%s'", opname);
			return -1;
		}
	} else if (tok_is(P, "exists")) {
		t->op = RN_EXISTS;
		*cls |= OP_EXISTS;
	} else if (tok_is(P, "in")) {
		*cls |= OP_IN;
		t->op = str ? RN_S_IN : RN_N_IN;
	} else if (tok_is(P, "intersects")) {
		*cls |= OP_IN;
		t->op = str ? RN_S_INTERSECTS : RN_N_IN;
	} else if (P->X.tk.t == T_WORD) {
		for (size_t i = 0; i < NSTR_OPS; i++)
			if (tok_is(P, str_ops[i])) {
				t->op = ops[i], *cls |= OP_STR;
				if (i >= 8)
					*cls |= OP_HEX;
				if (t->op == RN_S_REGEX)
					*cls |= OP_REGEX;
			}
		if (!(*cls & OP_STR)) {
			perr(P, ooff, "expected an operator after '%s' (" OP_LIST "), got %s", fd->name,
			     tdesc(P, buf, sizeof(buf)));
			return -1;
		}
		if (t->op == RN_S_PMATCH)
			*cls |= OP_PMATCH;
	} else {
		perr(P, ooff, "expected an operator after '%s' (" OP_LIST "), got %s", fd->name,
		     tdesc(P, buf, sizeof(buf)));
		return -1;
	}
	if (fd->list && !(*cls & (OP_IN | OP_EXISTS))) {
		perr(P, ooff, "'%s' is a list field: it takes only exists, in (every value in the "
		     "list) and intersects (any value in it), not '%s'", fd->name, opname);
		return -1;
	}
	if ((*cls & OP_STR) && !str) {
		perr(P, ooff, "operator '%s' needs a string field, but '%s' is %s", opname, fd->name,
		     kind_desc(fd->kind));
		return -1;
	}
	if ((*cls & OP_ORDER) && fd->kind != BW_K_U64 && fd->kind != BW_K_S64) {
		perr(P, ooff, "operator '%s' needs a numeric field, but '%s' is %s", opname, fd->name,
		     kind_desc(fd->kind));
		return -1;
	}
	if (*cls & OP_EXISTS) {
		lex(P, false);
		return 1;
	}
	return 0;
}

/* The node of a check on a numeric or bool field: integers parsed (and
 * sorted for "in") now, so evaluation only compares. */
static int numeric_node(struct parser *P, const struct bw_field_info *fi, struct rnode *t,
			const struct rs_item *items, int nitems, bool is_in)
{
	uint64_t *vals = rs_keep(P->rs, malloc((size_t)nitems * sizeof(*vals)));

	if (!vals) {
		P->L->oom = true;
		P->failed = true;
		return -1;
	}
	for (int i = 0; i < nitems; i++) {
		bool ok = fi->kind == BW_K_BOOL ? bool_value(items[i].s, items[i].len, &vals[i])
						: parse_int(items[i].s, items[i].len, t->sign, &vals[i]);
		if (!ok) {
			char w[80];
			snprintf(w, sizeof(w), "%.*s", (int)(items[i].len > 60 ? 60 : items[i].len),
				 items[i].s);
			if (fi->kind == BW_K_BOOL)
				item_err(P, &items[i], "'%s' is true or false, not '%s'", fi->name, w);
			else if (fi->kind == BW_K_U64)
				item_err(P, &items[i], "'%s' needs a non-negative integer, not '%s'",
					 fi->name, w);
			else
				item_err(P, &items[i], "'%s' needs an integer, not '%s'", fi->name, w);
			return -1;
		}
		if ((fi->flags & BW_FF_AUDIT) && vals[i] == BW_NO_SESSION) {
			struct rl_pos pos = items[i].from_list ? items[i].pos :
					    rl_text_pos(P->L, P->t, items[i].off);
			rl_warn(P->L, pos, "'%s' is -1 when unset, as in Falco; 4294967295 is read as -1",
				fi->name);
			vals[i] = (uint64_t)-1;
		}
	}
	if (is_in) {
		qsort(vals, (size_t)nitems, sizeof(*vals), t->sign ? s64_cmp : u64_cmp);
		t->v.nums.v = vals;
		t->v.nums.n = (uint32_t)nitems;
	} else {
		t->v.u = vals[0];
	}
	return new_node(P, t);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)rs_fold((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The node of a check on a string field: a hashed set for "in", a trie
 * for "pmatch" (either kept on the list when it is the whole operand),
 * a compiled regex for "regex", else the value itself, case-folded for
 * "icontains" and "iglob", decoded from hex for the b* operators. */
static int string_node(struct parser *P, struct rnode *t, struct rs_item *items, int nitems,
		       bool is_in, bool is_pmatch, struct rl_list *whole, unsigned cls)
{
	if (is_in) {
		if (!(t->v.set = rs_set_build(P->rs, items, nitems)))
			goto oom;
		if (whole)
			whole->set = t->v.set;
	} else if (is_pmatch) {
		for (int i = 0; i < nitems; i++)
			if (items[i].len == 0 || items[i].s[0] != '/') {
				item_err(P, &items[i], "pmatch needs absolute paths; '%s'%s is not one",
					 items[i].s, "");
				return -1;
			}
		if (!(t->v.trie = rs_trie_build(P->rs, items, nitems)))
			goto oom;
		if (whole)
			whole->trie = t->v.trie;
	} else if (cls & OP_REGEX) {
		regex_t *re = malloc(sizeof(*re));
		char *pat, msg[160];
		int rc;

		/* Falco matches the whole value (RE2 full match): anchor both ends */
		if (!re || asprintf(&pat, "^(%.*s)$", (int)items[0].len, items[0].s) < 0) {
			free(re);
			goto oom;
		}
		rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
		free(pat);
		if (rc) {
			regerror(rc, re, msg, sizeof(msg));
			free(re);
			item_err(P, &items[0], "bad regular expression '%s': %s (regex takes POSIX "
				 "extended syntax, matched against the whole value)", items[0].s, msg);
			return -1;
		}
		if (!rs_keep_regex(P->rs, re))
			goto oom;
		t->v.re = re;
	} else {
		char *v = (char *)items[0].s;
		size_t n = items[0].len;
		if (t->op == RN_S_ICONTAINS || t->op == RN_S_IGLOB)
			for (size_t i = 0; i < n; i++)
				v[i] = (char)rs_fold((unsigned char)v[i]);
		if (cls & OP_HEX) {
			if (n % 2) {
				item_err(P, &items[0], "'%s' is not hex bytes (an even number of 0-9a-f "
					 "digits, e.g. cafebabe)%s", v, "");
				return -1;
			}
			for (size_t i = 0; i < n / 2; i++) {
				int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
				if (hi < 0 || lo < 0) {
					item_err(P, &items[0], "'%s' is not hex bytes (an even number of "
						 "0-9a-f digits, e.g. cafebabe)%s", v, "");
					return -1;
				}
				v[i] = (char)(hi << 4 | lo);
			}
			n /= 2;
		}
		t->v.s.p = v;
		t->v.s.len = (uint32_t)n;
	}
	return new_node(P, t);
oom:
	P->L->oom = true;
	P->failed = true;
	return -1;
}

static bool has_set(const struct rl_list *l) { return l->set; }
static bool has_trie(const struct rl_list *l) { return l->trie; }

/* A field operand: FIELD, or a transformer around one: tolower(basename(fd.name)). */
struct fref {
	int field;
	int idx;
	int nxf;
	uint8_t xf[RN_MAX_XF];   /* innermost first: the order they apply */
	size_t off, len;         /* the field's name in the text */
	int cls;                 /* RL_FALCO_*: a Falco field bulwark does not fill, 0 otherwise */
	bool unknown;            /* not a field at all (reported unless skip_unknown) */
};

static int xf_lookup(const struct parser *P)
{
	for (int i = 1; i < (int)(sizeof(xf_names) / sizeof(xf_names[0])); i++)
		if (tok_is(P, xf_names[i]))
			return i;
	return 0;
}

/* Whether the current word is followed by '(' (a transformer or val() call). */
static bool call_follows(struct parser *P)
{
	size_t i = P->X.pos;

	return P->X.tk.t == T_WORD && i < P->X.n && P->X.s[i] == '(';
}

/*
 * Parses a field operand at the current token; on return the token after
 * it is current. false after an error (reported) or when the name is not
 * a field (fr->unknown, not reported: the caller decides).
 */
static bool parse_fref(struct parser *P, struct fref *fr, int depth)
{
	int xf = call_follows(P) ? xf_lookup(P) : 0;

	if (xf) {
		size_t lp;
		if (depth >= RN_MAX_XF) {
			perr(P, P->X.tk.off, "at most %d transformers may be applied to one field",
			     RN_MAX_XF);
			return false;
		}
		lex(P, false); /* ( */
		lp = P->X.tk.off;
		lex(P, false);
		if (!parse_fref(P, fr, depth + 1))
			return false;
		if (P->X.tk.t != T_RP) {
			perr(P, P->X.tk.t == T_EOF ? lp : P->X.tk.off, "'%s(' needs one field and a "
			     "closing ')'", xf_names[xf]);
			return false;
		}
		if (fr->field >= 0 && (bw_fields[fr->field].flags & BW_FF_LIST)) {
			perr(P, fr->off, "'%s' cannot be applied to the list field '%.*s'", xf_names[xf],
			     (int)fr->len, P->X.s + fr->off);
			return false;
		}
		fr->xf[fr->nxf++] = (uint8_t)xf;
		lex(P, false);
		return true;
	}
	if (P->X.tk.t != T_WORD) {
		char buf[64];
		perr(P, P->X.tk.off, "expected a field, got %s", tdesc(P, buf, sizeof(buf)));
		return false;
	}
	fr->off = P->X.tk.off;
	fr->len = P->X.tk.len;
	fr->field = event_field_parse(P->X.s + fr->off, fr->len, &fr->idx);
	if (fr->field < 0) {
		fr->cls = rl_falco_field_class(P->X.s + fr->off, fr->len);
		fr->unknown = !fr->cls;
		if (fr->unknown && depth == 0)
			return false;   /* maybe a macro: the caller looks */
		if (fr->unknown) {
			perr(P, fr->off, "unknown field '%.*s'; 'bulwark rules fields' lists them",
			     (int)fr->len, P->X.s + fr->off);
			return false;
		}
	}
	lex(P, false);
	return true;
}

static enum bw_kind fref_kind(const struct fref *fr)
{
	if (fr->nxf)
		return BW_K_STR;
	if (fr->field == FLD_EVT_RAWARGNAMED)
		return event_arg_kind(fr->idx);
	return bw_fields[fr->field].kind;
}

/* Skips the rest of a check from its start: to the next 'and'/'or' or
 * unmatched ')' outside parentheses, or the end. false when the text is
 * broken there (an unterminated string). */
static bool skip_check(struct parser *P, size_t from)
{
	int depth = 0;

	P->X.pos = from;
	lex(P, true);
	for (;;) {
		if (P->X.tk.t == T_EOF)
			return true;
		if (P->X.tk.t == T_BAD)
			return false;
		if (P->X.tk.t == T_LP)
			depth++;
		if (P->X.tk.t == T_RP && --depth < 0)
			return true;
		if (depth == 0 && (tok_is(P, "and") || tok_is(P, "or")))
			return true;
		lex(P, true);
	}
}

/* A node that stands for a check that was skipped: the condition is not
 * evaluated (an error, or a rule loaded disabled). */
static int placeholder(struct parser *P)
{
	struct rnode f = { .op = RN_FALSE };
	return new_node(P, &f);
}

/* A check on a Falco field bulwark does not fill (its name at off, len). */
static int unavail_node(struct parser *P, size_t off, size_t len)
{
	struct rnode u = { .op = RN_UNAVAIL };

	u.v.s.p = rs_strndup(P->rs, P->X.s + off, len);
	u.v.s.len = (uint32_t)len;
	if (!u.v.s.p) {
		P->L->oom = true;
		P->failed = true;
		return -1;
	}
	P->needs.unavail = true;
	return new_node(P, &u);
}

static int parse_check(struct parser *P, const struct fref *fr)
{
	struct rl_list *whole = NULL;
	const struct bw_field_info *fi = &bw_fields[fr->field];
	enum bw_kind kind = fref_kind(fr);
	char fname[96];
	struct fdesc fd = { fname, kind, (fi->flags & BW_FF_LIST) != 0 };
	struct rnode t = { .field = (uint8_t)fr->field, .kind = (uint8_t)kind,
			   .off = (uint32_t)fi->offset, .sign = kind == BW_K_S64,
			   .idx = (int8_t)fr->idx, .nxf = (uint8_t)fr->nxf };
	struct rs_item *items = NULL, one;
	int nitems = 0, node = -1;
	char opname[16], buf[64];
	bool is_in, is_pmatch, ne;
	unsigned cls;
	int rc;

	snprintf(fname, sizeof(fname), "%.*s", (int)(fr->len > 90 ? 90 : fr->len), P->X.s + fr->off);
	memcpy(t.xf, fr->xf, sizeof(t.xf));
	if (fr->field >= FLD_PROC_ANAME && fr->field <= FLD_PROC_AEXEPATH && fr->idx < 0)
		t.many = 1;
	if (fi->flags & BW_FF_LIST)
		t.many = 2;
	t.slow = (fi->flags & (BW_FF_DERIVED | BW_FF_AUDIT)) || fr->nxf || t.many;
	rl_fset_add(&P->fields, fr->field);
	rc = parse_op(P, &fd, &t, opname, &cls);
	if (rc)
		return rc < 0 ? -1 : new_node(P, &t);
	is_in = cls & OP_IN;
	is_pmatch = cls & OP_PMATCH;
	ne = cls & OP_NE;
	if (is_in || is_pmatch) {
		bool (*reuse)(const struct rl_list *) = kind != BW_K_STR || fr->field == FLD_EVT_TYPE ?
			NULL : is_pmatch ? has_trie : has_set;
		if (!parse_items(P, opname, &items, &nitems, &whole, reuse))
			goto out;
		if (whole && reuse && reuse(whole)) {
			if (is_pmatch)
				t.v.trie = whole->trie;
			else
				t.v.set = whole->set;
			node = new_node(P, &t);
			goto out;
		}
	} else {
		lex(P, true);
		if (P->X.tk.t == T_WORD && call_follows(P) && tok_is(P, "val")) {
			/* val(field): compare with another field of the same event */
			struct fref rf = { .field = -1, .idx = -1 };
			struct rref *r;
			size_t lp;
			lex(P, false);
			lp = P->X.tk.off;
			lex(P, false);
			if (!parse_fref(P, &rf, 1))
				goto out;
			if (rf.cls) {
				size_t o = rf.off, l = rf.len;
				if (!skip_check(P, fr->off))
					goto out;
				node = rf.cls == RL_FALCO_UNAVAILABLE ? unavail_node(P, o, l) : placeholder(P);
				goto out;
			}
			if (P->X.tk.t != T_RP) {
				perr(P, P->X.tk.t == T_EOF ? lp : P->X.tk.off, "'val(' needs one field "
				     "and a closing ')'");
				goto out;
			}
			if ((fref_kind(&rf) == BW_K_STR) != (kind == BW_K_STR) ||
			    (bw_fields[rf.field].flags & BW_FF_LIST) || t.many == 2) {
				perr(P, rf.off, "val(%.*s) is %s, but '%s' is %s; compare fields of the "
				     "same kind", (int)rf.len, P->X.s + rf.off,
				     kind_desc(fref_kind(&rf)), fname, kind_desc(kind));
				goto out;
			}
			if (cls & (OP_REGEX | OP_HEX) || t.op == RN_S_GLOB || t.op == RN_S_IGLOB) {
				perr(P, rf.off - 4, "val() can be compared with =, !=, <, <=, >, >=, "
				     "contains, icontains, startswith and endswith, not '%s'", opname);
				goto out;
			}
			r = rs_keep(P->rs, calloc(1, sizeof(*r)));
			if (!r) {
				P->L->oom = true;
				P->failed = true;
				goto out;
			}
			r->field = (uint8_t)rf.field;
			r->idx = (int8_t)rf.idx;
			r->nxf = (uint8_t)rf.nxf;
			memcpy(r->xf, rf.xf, sizeof(r->xf));
			rl_fset_add(&P->fields, rf.field);
			t.rhs = r;
			t.slow = 1;
			lex(P, false);
			node = new_node(P, &t);
			goto out;
		}
		if (P->X.tk.t != T_WORD && P->X.tk.t != T_STR) {
			if (P->X.tk.t == T_BAD)
				perr(P, P->X.tk.off, "unterminated string");
			else
				perr(P, P->X.tk.off, "expected a value after '%s', got %s", opname,
				     tdesc(P, buf, sizeof(buf)));
			goto out;
		}
		one.off = P->X.tk.off;
		one.from_list = false;
		one.s = tok_value(P, &one.len);
		if (!one.s)
			goto out;
		items = malloc(sizeof(*items));
		if (!items) {
			P->L->oom = true;
			P->failed = true;
			goto out;
		}
		items[0] = one;
		nitems = 1;
		lex(P, false);
	}

	/* evt.type =, != and in compare the enum: cheap, and what the index keys on */
	if (fr->field == FLD_EVT_TYPE && !fr->nxf &&
	    (t.op == RN_S_EQ || t.op == RN_S_NE || t.op == RN_S_IN || t.op == RN_S_INTERSECTS)) {
		struct rnode m = { .op = RN_TYPE_IN };
		if (!evt_type_mask(P, items, nitems, &m.v.mask))
			goto out;
		node = new_node(P, &m);
		if (node >= 0 && ne) {
			int from = P->nstack;
			if (push(P, node))
				node = group_node(P, RN_NOT, from);
		}
		goto out;
	}
	if ((is_in || is_pmatch) && !nitems) {
		struct rnode f = { .op = RN_FALSE };
		node = new_node(P, &f);
		goto out;
	}
	if (kind == BW_K_STR) {
		node = string_node(P, &t, items, nitems, is_in, is_pmatch, whole, cls);
		goto out;
	}
	node = numeric_node(P, fi, &t, items, nitems, is_in);
out:
	free(items);
	return P->failed ? -1 : node;
}

/* An unknown word where a check or macro goes: a misspelt field if an
 * operator follows, else an undefined macro; reports which, returns -1. */
static int unknown_word(struct parser *P, const char *w, size_t wl, size_t woff)
{
	size_t save = P->X.pos;
	bool op_follows;
	const char *near;

	lex(P, false);
	op_follows = P->X.tk.t == T_OP || P->X.tk.t == T_BAD;
	for (size_t i = 0; i < NSTR_OPS; i++)
		op_follows |= tok_is(P, str_ops[i]);
	op_follows |= tok_is(P, "in") || tok_is(P, "exists") || tok_is(P, "intersects");
	P->X.pos = save;
	if (op_follows || memchr(w, '.', wl)) {
		const char *names[FLD_MAX];
		if (P->skip_unknown) {
			/* Falco drops such a rule; bulwark loads it disabled and says why */
			P->needs.unknown = true;
			need_field(P, w, wl);
			if (!skip_check(P, woff))
				return -1;
			return placeholder(P);
		}
		for (int i = 0; i < FLD_MAX; i++)
			names[i] = bw_fields[i].name;
		near = rl_nearest(w, wl, names, FLD_MAX);
		if (near)
			perr(P, woff, "unknown field '%.*s'; did you mean '%s'?", (int)wl, w, near);
		else
			perr(P, woff, "unknown field '%.*s'; 'bulwark rules fields' lists them",
			     (int)wl, w);
		return -1;
	}
	{
		const char **names = malloc((size_t)(P->L->nmacros + 1) * sizeof(*names));
		if (!names) {
			P->L->oom = true;
			P->failed = true;
			return -1;
		}
		for (int i = 0; i < P->L->nmacros; i++)
			names[i] = P->L->macros[i].name;
		near = rl_nearest(w, wl, names, P->L->nmacros);
		if (near)
			perr(P, woff, "undefined macro '%.*s'; did you mean '%s'?", (int)wl, w, near);
		else if (call_follows(P))
			perr(P, woff, "unknown function '%.*s('; the transformers are tolower, toupper, "
			     "b64, basename, and val() on the right of a comparison", (int)wl, w);
		else
			perr(P, woff, "undefined macro '%.*s'", (int)wl, w);
		free(names);
	}
	return -1;
}

/* A check, a Falco field bulwark does not fill, or a macro, at a word. */
static int parse_word(struct parser *P)
{
	const char *w = P->X.s + P->X.tk.off;
	size_t wl = P->X.tk.len, woff = P->X.tk.off;
	struct fref fr = { .field = -1, .idx = -1 };
	struct rl_macro *m;

	if (parse_fref(P, &fr, 0)) {
		if (fr.field >= 0)
			return parse_check(P, &fr);
		/* a Falco field: absent on a host (container.image...), or not captured */
		if (!skip_check(P, woff))
			return -1;
		if (fr.cls == RL_FALCO_UNAVAILABLE)
			return unavail_node(P, fr.off, fr.len);
		if (!P->needs.host_field[0])
			snprintf(P->needs.host_field, sizeof(P->needs.host_field), "%.*s",
				 (int)(fr.len > 78 ? 78 : fr.len), P->X.s + fr.off);
		return placeholder(P);
	}
	if (P->failed || !fr.unknown)
		return -1;
	m = rl_find_macro(P->L, w, wl);
	if (!m)
		return unknown_word(P, w, wl, woff);
	/* a macro compiles where it is first used: the recursion is bounded */
	if (m->state == RL_NEW && P->L->macro_depth >= RULES_MAX_MACRO_DEPTH) {
		perr(P, woff, "macro '%s' is used inside more than %d macros that are being "
		     "compiled (a macro that uses a macro that uses...); define each macro "
		     "before the macros that use it, or flatten the chain", m->name, RULES_MAX_MACRO_DEPTH);
		return -1;
	}
	if (m->state == RL_NEW)
		rs_compile_macro(P->L, P->rs, m);
	if (m->state == RL_BUSY) {
		perr(P, woff, "macro '%s' refers to itself", m->name);
		return -1;
	}
	m->used = true;
	if (m->state == RL_BAD) {
		/* reported where the macro is defined; the rest of this condition is
		 * still checked, so that its own errors show too */
		if (!P->needs.bad_macro)
			P->needs.bad_macro = m->name;
		P->failed = true;
		P->nerrs++;
		return -1;
	}
	rl_fset_or(&P->fields, &m->fields);
	rl_needs_merge(&P->needs, &m->needs);
	lex(P, false);
	return m->root;
}

/* One more level of recursion: parentheses and 'not' nest at most RULES_MAX_NEST deep. */
static bool enter(struct parser *P)
{
	if (++P->depth <= RULES_MAX_NEST)
		return true;
	perr(P, P->X.tk.off, "condition nests more than %d levels of parentheses and 'not' "
	     "here; simplify it", RULES_MAX_NEST);
	return false;
}

static int parse_primary(struct parser *P)
{
	char buf[64];
	const char *w = P->X.s + P->X.tk.off;
	size_t wl = P->X.tk.len, woff = P->X.tk.off;
	int n;

	if (!enter(P))
		return -1;
	if (P->X.tk.t == T_LP) {
		size_t lp = P->X.tk.off;
		lex(P, false);
		n = parse_or(P);
		if (n < 0)
			return -1;
		if (P->X.tk.t != T_RP) {
			if (P->X.tk.t == T_EOF)
				perr(P, lp, "'(' is never closed; expected ')'");
			else
				perr(P, P->X.tk.off, "expected ')' or 'and'/'or', got %s",
				     tdesc(P, buf, sizeof(buf)));
			return -1;
		}
		lex(P, false);
		P->depth--;
		return n;
	}
	if (P->X.tk.t == T_WORD && (tok_is(P, "and") || tok_is(P, "or"))) {
		perr(P, woff, "expected a condition before '%.*s'", (int)wl, w);
		return -1;
	}
	if (P->X.tk.t == T_EOF) {
		perr(P, woff, P->t->len && woff ? "condition ends too early; expected a field, "
			      "macro, 'not' or '('" : "condition is empty");
		return -1;
	}
	if (P->X.tk.t == T_BAD) {
		perr(P, woff, w[0] == '!' ? "unexpected '!'; use 'not' to negate" :
			      "unterminated string");
		return -1;
	}
	if (P->X.tk.t != T_WORD) {
		perr(P, woff, "expected a field, macro, 'not' or '(', got %s",
		     tdesc(P, buf, sizeof(buf)));
		return -1;
	}
	P->in_check = true;
	n = parse_word(P);
	P->in_check = false;
	if (n < 0 && P->failed && !P->fatal && !P->L->oom) {
		/* recover at the next 'and'/'or': every error of a condition in one pass */
		if (!skip_check(P, woff)) {
			perr(P, woff, "unterminated string");
			return -1;
		}
		P->failed = false;
		P->had_error = true;
		n = placeholder(P);
	}
	if (n >= 0)
		P->depth--;
	return n;
}

static int parse_not(struct parser *P)
{
	if (tok_is(P, "not")) {
		int from = P->nstack, n;
		if (!enter(P))
			return -1;
		lex(P, false);
		n = parse_not(P);
		P->depth--;
		if (n < 0 || !push(P, n))
			return -1;
		/* not not x == x */
		if (P->rs->nodes[n].op == RN_NOT) {
			P->nstack = from;
			return P->rs->kidx[P->rs->nodes[n].kbegin];
		}
		return group_node(P, RN_NOT, from);
	}
	return parse_primary(P);
}

static int parse_and(struct parser *P)
{
	int from = P->nstack, n = parse_not(P);

	if (n < 0)
		return -1;
	if (!tok_is(P, "and"))
		return n;
	if (!push(P, n))
		return -1;
	while (tok_is(P, "and")) {
		lex(P, false);
		n = parse_not(P);
		if (n < 0 || !push(P, n))
			return -1;
	}
	return group_node(P, RN_AND, from);
}

static int parse_or(struct parser *P)
{
	int from = P->nstack, n = parse_and(P);

	if (n < 0)
		return -1;
	if (!tok_is(P, "or"))
		return n;
	if (!push(P, n))
		return -1;
	while (tok_is(P, "or")) {
		lex(P, false);
		n = parse_and(P);
		if (n < 0 || !push(P, n))
			return -1;
	}
	return group_node(P, RN_OR, from);
}

static int compile_text(struct rl_ctx *L, struct rules *rs, const struct rl_text *t,
			bool skip_unknown, struct rl_needs *needs, struct rl_fset *fields)
{
	struct parser P = { .L = L, .rs = rs, .t = t, .X = { .s = t->s ? t->s : "", .n = t->len },
			    .skip_unknown = skip_unknown };
	char buf[64];
	int n;

	lex(&P, false);
	n = parse_or(&P);
	if (n >= 0 && P.X.tk.t != T_EOF) {
		if (P.X.tk.t == T_RP)
			perr(&P, P.X.tk.off, "unexpected ')' with no matching '('");
		else
			perr(&P, P.X.tk.off, "unexpected %s after a complete condition; "
			     "missing 'and' or 'or'?", tdesc(&P, buf, sizeof(buf)));
	}
	free(P.stack);
	if (needs)
		*needs = P.needs;
	*fields = P.fields;
	return P.failed || P.had_error ? -1 : n;
}

int rs_compile_macro(struct rl_ctx *L, struct rules *rs, struct rl_macro *m)
{
	int n;

	if (m->state == RL_OK || m->state == RL_BAD)
		return m->state == RL_OK ? 0 : -1;
	m->state = RL_BUSY;
	L->macro_depth++;
	n = compile_text(L, rs, &m->cond, false, &m->needs, &m->fields);
	L->macro_depth--;
	if (n < 0) {
		m->state = RL_BAD;
		return -1;
	}
	m->root = n;
	rs->depth[n] |= DEPTH_SHARED;
	m->state = RL_OK;
	return 0;
}

int rs_compile_cond(struct rl_ctx *L, struct rules *rs, const struct rl_text *t,
		    bool skip_unknown, struct rl_needs *needs, int *root, struct rl_fset *fields)
{
	int n = compile_text(L, rs, t, skip_unknown, needs, fields);

	if (n < 0)
		return -1;
	*root = n;
	return 0;
}


int rs_false_node(struct rl_ctx *L, struct rules *rs)
{
	struct parser P = { .L = L, .rs = rs };

	return placeholder(&P);
}
