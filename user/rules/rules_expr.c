// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Conditions: the lexer and recursive-descent parser for Falco's filter
 * syntax, the compiler to an array of nodes with precompiled operands
 * (hashed sets for "in", component tries for "pmatch", case-folded needles
 * for "icontains"), and the evaluator, which never allocates.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

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

/* ---- matching primitives ---- */

static inline unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* [...] at pat[*p] (just past '['); returns 1 match, 0 no match, -1 malformed. */
static int glob_class(const char *pat, size_t plen, size_t *p, unsigned char c)
{
	size_t i = *p;
	bool neg = false, hit = false, first = true;

	if (i < plen && (pat[i] == '!' || pat[i] == '^'))
		neg = true, i++;
	while (i < plen && (pat[i] != ']' || first)) {
		unsigned char lo = (unsigned char)pat[i], hi = lo;

		first = false;
		if (lo == '\\' && i + 1 < plen)
			lo = hi = (unsigned char)pat[++i];
		if (i + 2 < plen && pat[i + 1] == '-' && pat[i + 2] != ']') {
			hi = (unsigned char)pat[i + 2];
			i += 2;
		}
		if (c >= lo && c <= hi)
			hit = true;
		i++;
	}
	if (i >= plen)
		return -1;
	*p = i + 1;
	return hit != neg;
}

/*
 * fnmatch(3)-style match without flags: '*' matches any bytes including
 * '/', '?' one byte, [a-z] and [!a-z] classes, '\' escapes. One star
 * backtrack point suffices, so this is linear-ish and never recurses.
 */
bool rules_glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;

	while (i < slen) {
		if (p < plen) {
			char c = pat[p];
			if (c == '*') {
				star_p = p++;
				star_i = i;
				continue;
			}
			if (c == '?') {
				p++, i++;
				continue;
			}
			if (c == '[') {
				size_t q = p + 1;
				int r = glob_class(pat, plen, &q, (unsigned char)s[i]);
				if (r == 1) {
					p = q, i++;
					continue;
				}
				if (r == 0)
					goto backtrack;
				/* malformed class: '[' is literal */
			}
			if (c == '\\' && p + 1 < plen)
				c = pat[++p];
			if (c == s[i]) {
				p++, i++;
				continue;
			}
		}
backtrack:
		if (star_p == (size_t)-1)
			return false;
		p = star_p + 1;
		i = ++star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

/* ---- string sets for "in" ---- */

struct rstr_slot {
	uint64_t h;
	const char *p;   /* NULL: empty slot */
	uint32_t len;
};

struct rstrset {
	uint32_t mask;
	struct rstr_slot *slots;
};

static bool set_has(const struct rstrset *set, const char *p, size_t n)
{
	uint64_t h = hash_bytes(p, n);

	for (uint32_t i = (uint32_t)h & set->mask;; i = (i + 1) & set->mask) {
		const struct rstr_slot *s = &set->slots[i];
		if (!s->p)
			return false;
		if (s->h == h && s->len == n && !memcmp(s->p, p, n))
			return true;
	}
}

struct item {
	const char *s;
	size_t len;
	size_t off;          /* in the condition text, when inline */
	struct rl_pos pos;   /* in a list, when from_list */
	bool from_list;
};

static struct rstrset *set_build(struct rules *rs, const struct item *it, int n)
{
	struct rstrset *set = rs_keep(rs, calloc(1, sizeof(*set)));
	uint32_t size = 4;

	if (!set)
		return NULL;
	while (size < (uint32_t)n * 2 + 2)
		size *= 2;
	set->mask = size - 1;
	set->slots = rs_keep(rs, calloc(size, sizeof(*set->slots)));
	if (!set->slots)
		return NULL;
	for (int k = 0; k < n; k++) {
		uint64_t h = hash_bytes(it[k].s, it[k].len);
		char *copy;
		uint32_t i;

		if (set_has(set, it[k].s, it[k].len))
			continue;
		copy = rs_strndup(rs, it[k].s, it[k].len);
		if (!copy)
			return NULL;
		for (i = (uint32_t)h & set->mask; set->slots[i].p; i = (i + 1) & set->mask)
			;
		set->slots[i] = (struct rstr_slot){ h, copy, (uint32_t)it[k].len };
	}
	return set;
}

/* ---- path tries for "pmatch" ---- */

struct ptn;
struct ptk {             /* an edge: one path component */
	const char *c;
	uint32_t len;
	struct ptn *child;
};

struct ptn {
	bool term;           /* a list entry ends here: this prefix matches */
	uint32_t nex, nglob;
	struct ptk *ex;      /* exact components, sorted for binary search */
	struct ptk *glob;    /* components with * ? [ : tried one by one */
	uint32_t capex, capglob;
};

struct rptrie {
	struct ptn *root;
};

static int comp_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);
	return c ? c : (la < lb ? -1 : la > lb);
}

static struct ptn *trie_child(struct rules *rs, struct ptn *n, const char *c, size_t len)
{
	bool glob = memchr(c, '*', len) || memchr(c, '?', len) || memchr(c, '[', len);
	struct ptk **arr = glob ? &n->glob : &n->ex;
	uint32_t *cnt = glob ? &n->nglob : &n->nex, *cap = glob ? &n->capglob : &n->capex;
	uint32_t at = *cnt;
	struct ptn *child;

	for (uint32_t i = 0; i < *cnt; i++) {
		int c2 = comp_cmp(c, len, (*arr)[i].c, (*arr)[i].len);
		if (!c2)
			return (*arr)[i].child;
		if (!glob && c2 < 0 && at == *cnt)
			at = i;
	}
	if (*cnt == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 4;
		struct ptk *na = malloc(nc * sizeof(*na));
		if (!na || !rs_keep(rs, na))
			return NULL;
		if (*cnt)
			memcpy(na, *arr, *cnt * sizeof(*na));
		*arr = na;   /* the old array stays owned by rs and is freed with it */
		*cap = nc;
	}
	child = rs_keep(rs, calloc(1, sizeof(*child)));
	if (!child)
		return NULL;
	memmove(&(*arr)[at + 1], &(*arr)[at], (*cnt - at) * sizeof(**arr));
	(*arr)[at] = (struct ptk){ rs_strndup(rs, c, len), (uint32_t)len, child };
	if (!(*arr)[at].c)
		return NULL;
	(*cnt)++;
	return child;
}

static struct rptrie *trie_build(struct rules *rs, const struct item *it, int n)
{
	struct rptrie *t = rs_keep(rs, calloc(1, sizeof(*t)));

	if (!t || !(t->root = rs_keep(rs, calloc(1, sizeof(*t->root)))))
		return NULL;
	for (int k = 0; k < n; k++) {
		struct ptn *cur = t->root;
		const char *s = it[k].s, *end = s + it[k].len;

		while (s < end && cur) {
			const char *c;
			if (*s == '/') {
				s++;
				continue;
			}
			c = s;
			while (s < end && *s != '/')
				s++;
			cur = trie_child(rs, cur, c, (size_t)(s - c));
		}
		if (!cur)
			return NULL;
		cur->term = true;
	}
	return t;
}

struct comp {
	const char *p;
	uint32_t len;
};

/* Lookup of one component among a node's exact children. */
static const struct ptn *trie_exact(const struct ptn *n, const char *c, uint32_t len)
{
	int lo = 0, hi = (int)n->nex - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int r = comp_cmp(c, len, n->ex[mid].c, n->ex[mid].len);
		if (!r)
			return n->ex[mid].child;
		if (r < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Walks a path that has no ".", ".." or empty components straight from
 * the string: no splitting, and most paths stop at the first component. */
static bool trie_walk_str(const struct ptn *n, const char *p, const char *end)
{
	const struct ptn *x;
	const char *c;

	if (n->term)
		return true;
	while (p < end && *p == '/')
		p++;
	if (p == end)
		return false;
	c = p;
	while (p < end && *p != '/')
		p++;
	x = trie_exact(n, c, (uint32_t)(p - c));
	if (x && trie_walk_str(x, p, end))
		return true;
	for (uint32_t g = 0; g < n->nglob; g++)
		if (rules_glob_match(n->glob[g].c, n->glob[g].len, c, (size_t)(p - c)) &&
		    trie_walk_str(n->glob[g].child, p, end))
			return true;
	return false;
}

static bool trie_walk(const struct ptn *n, const struct comp *cs, int i, int nc)
{
	int lo, hi;

	if (n->term)
		return true;
	if (i == nc)
		return false;
	lo = 0, hi = (int)n->nex - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = comp_cmp(cs[i].p, cs[i].len, n->ex[mid].c, n->ex[mid].len);
		if (!c) {
			if (trie_walk(n->ex[mid].child, cs, i + 1, nc))
				return true;
			break;
		}
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	for (uint32_t g = 0; g < n->nglob; g++)
		if (rules_glob_match(n->glob[g].c, n->glob[g].len, cs[i].p, cs[i].len) &&
		    trie_walk(n->glob[g].child, cs, i + 1, nc))
			return true;
	return false;
}

#define PMATCH_MAX_COMPS 512

/*
 * Splits a path into components, dropping empty ones and "." and
 * resolving ".." lexically, so "/var/lib/postgresql/./15//main" and
 * "/tmp/../var/lib/postgresql/15" cannot slip past a prefix. Components
 * past PMATCH_MAX_COMPS are ignored: the trie is never that deep.
 */
static bool trie_match(const struct rptrie *t, const char *p, size_t n)
{
	struct comp cs[PMATCH_MAX_COMPS];
	const char *end = p + n, *q;
	int nc = 0;

	/* the decoder sends normalised paths: the fast walk is the common case */
	for (q = p; (q = memchr(q, '/', (size_t)(end - q))); q++)
		if (q + 1 < end && (q[1] == '.' || q[1] == '/'))
			break;
	if (!q)
		return trie_walk_str(t->root, p, end);

	while (p < end) {
		const char *c;
		if (*p == '/') {
			p++;
			continue;
		}
		c = p;
		while (p < end && *p != '/')
			p++;
		if (p - c == 1 && c[0] == '.')
			continue;
		if (p - c == 2 && c[0] == '.' && c[1] == '.') {
			if (nc)
				nc--;
			continue;
		}
		if (nc < PMATCH_MAX_COMPS)
			cs[nc++] = (struct comp){ c, (uint32_t)(p - c) };
	}
	return trie_walk(t->root, cs, 0, nc);
}

/* ---- evaluation ---- */

static inline bool ev_has(const struct bw_event *e, unsigned f)
{
	return (e->present[f >> 6] >> (f & 63)) & 1;
}

static bool icontains(const char *h, size_t hn, const char *nd, size_t nn)
{
	if (!nn)
		return true;
	if (nn > hn)
		return false;
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t k;
		if (fold((unsigned char)h[i]) != (unsigned char)nd[0])
			continue;
		for (k = 1; k < nn && fold((unsigned char)h[i + k]) == (unsigned char)nd[k]; k++)
			;
		if (k == nn)
			return true;
	}
	return false;
}

static bool num_in(const struct rnode *x, uint64_t v)
{
	int lo = 0, hi = (int)x->v.nums.n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		uint64_t m = x->v.nums.v[mid];
		bool lt = x->sign ? (int64_t)v < (int64_t)m : v < m;
		if (v == m)
			return true;
		if (lt)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return false;
}

/*
 * A check on a field the event does not carry is false, whatever the
 * operator ("!=" too), as in Falco; "not" of such a check is true.
 */
bool rs_eval_node(const struct rules *rs, int n, const struct bw_event *e)
{
	const struct rnode *x = &rs->nodes[n];
	const int32_t *k = rs->kidx + x->kbegin;
	const char *base = (const char *)e;
	struct bw_str s;
	uint64_t u;

	switch ((enum rn_op)x->op) {
	case RN_TRUE:
		return true;
	case RN_FALSE:
		return false;
	case RN_AND:
		for (uint32_t i = 0; i < x->kcount; i++)
			if (!rs_eval_node(rs, k[i], e))
				return false;
		return true;
	case RN_OR:
		for (uint32_t i = 0; i < x->kcount; i++)
			if (rs_eval_node(rs, k[i], e))
				return true;
		return false;
	case RN_NOT:
		return !rs_eval_node(rs, k[0], e);
	case RN_EXISTS:
		return ev_has(e, x->field);
	case RN_TYPE_IN:
		return (unsigned)e->type < 64 && ((x->v.mask >> e->type) & 1);
	default:
		break;
	}
	if (!ev_has(e, x->field))
		return false;
	if (x->kind == BW_K_STR) {
		memcpy(&s, base + x->off, sizeof(s));
		if (!s.p)
			s = (struct bw_str){ "", 0 };
		switch ((enum rn_op)x->op) {
		case RN_S_EQ:
			return s.len == x->v.s.len && !memcmp(s.p, x->v.s.p, s.len);
		case RN_S_NE:
			return !(s.len == x->v.s.len && !memcmp(s.p, x->v.s.p, s.len));
		case RN_S_CONTAINS:
			return !x->v.s.len || memmem(s.p, s.len, x->v.s.p, x->v.s.len);
		case RN_S_ICONTAINS:
			return icontains(s.p, s.len, x->v.s.p, x->v.s.len);
		case RN_S_STARTS:
			return s.len >= x->v.s.len && !memcmp(s.p, x->v.s.p, x->v.s.len);
		case RN_S_ENDS:
			return s.len >= x->v.s.len &&
			       !memcmp(s.p + s.len - x->v.s.len, x->v.s.p, x->v.s.len);
		case RN_S_GLOB:
			return rules_glob_match(x->v.s.p, x->v.s.len, s.p, s.len);
		case RN_S_IN:
			return set_has(x->v.set, s.p, s.len);
		case RN_S_PMATCH:
			return trie_match(x->v.trie, s.p, s.len);
		default:
			return false;
		}
	}
	if (x->kind == BW_K_BOOL)
		u = *(const bool *)(base + x->off);
	else
		memcpy(&u, base + x->off, sizeof(u));
	switch ((enum rn_op)x->op) {
	case RN_N_EQ: return u == x->v.u;
	case RN_N_NE: return u != x->v.u;
	case RN_N_LT: return x->sign ? (int64_t)u < (int64_t)x->v.u : u < x->v.u;
	case RN_N_LE: return x->sign ? (int64_t)u <= (int64_t)x->v.u : u <= x->v.u;
	case RN_N_GT: return x->sign ? (int64_t)u > (int64_t)x->v.u : u > x->v.u;
	case RN_N_GE: return x->sign ? (int64_t)u >= (int64_t)x->v.u : u >= x->v.u;
	case RN_N_IN: return num_in(x, u);
	default: return false;
	}
}

/* Rough cost of evaluating a node, for ordering "and"/"or" operands. */
static uint32_t op_cost(const struct rnode *x)
{
	switch ((enum rn_op)x->op) {
	case RN_TRUE: case RN_FALSE: case RN_EXISTS: case RN_TYPE_IN:
		return 1;
	case RN_N_EQ: case RN_N_NE: case RN_N_LT: case RN_N_LE: case RN_N_GT: case RN_N_GE:
		return 2;
	case RN_S_EQ: case RN_S_NE: case RN_N_IN:
		return 3;
	case RN_S_STARTS: case RN_S_ENDS:
		return 4;
	case RN_S_IN:
		return 8;
	case RN_S_CONTAINS: case RN_S_ICONTAINS:
		return 12;
	case RN_S_GLOB:
		return 16;
	case RN_S_PMATCH:
		return 20;
	default:
		return 0;
	}
}

static int kid_cmp(const void *a, const void *b, void *ctx)
{
	const int32_t *sort_cost = ctx;
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	if (sort_cost[x] != sort_cost[y])
		return sort_cost[x] < sort_cost[y] ? -1 : 1;
	return x < y ? -1 : x > y;  /* stable: keep the written order */
}

/*
 * Evaluation has no side effects, so the operands of "and" and "or" may
 * run in any order: cheapest first, so that "login_session and <three
 * pmatch lists>" costs one integer compare for daemon events. Children
 * always have lower indices than their parent, so one pass computes costs.
 */
int rs_order_by_cost(struct rules *rs)
{
	int32_t *cost = malloc((size_t)(rs->nnodes ? rs->nnodes : 1) * sizeof(*cost));

	if (!cost)
		return -ENOMEM;
	for (int n = 0; n < rs->nnodes; n++) {
		struct rnode *x = &rs->nodes[n];
		int32_t *k = rs->kidx + x->kbegin;
		uint32_t c = op_cost(x);

		if (x->op == RN_AND || x->op == RN_OR || x->op == RN_NOT) {
			for (uint32_t i = 0; i < x->kcount; i++)
				c += (uint32_t)cost[k[i]];
			if (x->op != RN_NOT)
				qsort_r(k, x->kcount, sizeof(*k), kid_cmp, cost);
		}
		cost[n] = (int32_t)(c > 1000000 ? 1000000 : c);
	}
	free(cost);
	return 0;
}

/* The evt.type values a node can possibly match; the rule index keys on it. */
uint64_t rs_node_types(const struct rules *rs, int n)
{
	const struct rnode *x = &rs->nodes[n];
	const int32_t *k = rs->kidx + x->kbegin;
	uint64_t m;

	switch ((enum rn_op)x->op) {
	case RN_FALSE:
		return 0;
	case RN_TYPE_IN:
		return x->v.mask & RULES_ALL_TYPES;
	case RN_AND:
		m = RULES_ALL_TYPES;
		for (uint32_t i = 0; i < x->kcount; i++)
			m &= rs_node_types(rs, k[i]);
		return m;
	case RN_OR:
		m = 0;
		for (uint32_t i = 0; i < x->kcount; i++)
			m |= rs_node_types(rs, k[i]);
		return m;
	case RN_NOT:
		if (rs->nodes[k[0]].op == RN_TYPE_IN)
			return ~rs->nodes[k[0]].v.mask & RULES_ALL_TYPES;
		if (rs->nodes[k[0]].op == RN_FALSE)
			return RULES_ALL_TYPES;
		return RULES_ALL_TYPES;
	default:
		return RULES_ALL_TYPES;
	}
}

/* ---- lexer ---- */

enum tok_t { T_EOF, T_LP, T_RP, T_COMMA, T_OP, T_WORD, T_STR, T_BAD };

struct tok {
	enum tok_t t;
	size_t off, len;     /* raw bytes in the text */
};

struct parser {
	struct rl_ctx *L;
	struct rules *rs;
	const struct rl_text *t;
	const char *s;
	size_t n, pos;
	struct tok tk;       /* current token */
	bool failed;         /* stop: an error was reported (or a bad macro used) */
	bool skip_unknown, unknown;
	uint64_t fields;
	int depth;
	int32_t *stack;      /* children being collected, shared by all levels */
	int nstack, capstack;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* In value position a bare word runs to whitespace, '(' ')' or ',', so
 * values such as of=/dev/sda or a<b need no quotes. */
static void lex(struct parser *P, bool value)
{
	const char *s = P->s;
	size_t i = P->pos;

	while (i < P->n && is_space(s[i]))
		i++;
	P->tk.off = i;
	if (i >= P->n) {
		P->tk.t = T_EOF;
		P->tk.len = 0;
		P->pos = i;
		return;
	}
	switch (s[i]) {
	case '(': P->tk.t = T_LP; i++; goto done;
	case ')': P->tk.t = T_RP; i++; goto done;
	case ',': P->tk.t = T_COMMA; i++; goto done;
	case '"':
	case '\'': {
		char q = s[i++];
		while (i < P->n && s[i] != q) {
			if (s[i] == '\\' && i + 1 < P->n)
				i++;
			i++;
		}
		if (i >= P->n) {
			P->tk.t = T_BAD;
			goto done;
		}
		i++;
		P->tk.t = T_STR;
		goto done;
	}
	}
	if (!value && strchr("=<>!", s[i])) {
		P->tk.t = T_OP;
		if (s[i] == '!' && (i + 1 >= P->n || s[i + 1] != '=')) {
			P->tk.t = T_BAD;
			i++;
			goto done;
		}
		i++;
		if (i < P->n && s[i] == '=')
			i++;
		goto done;
	}
	while (i < P->n && !is_space(s[i]) && !strchr("(),", s[i]) &&
	       (value || !strchr("=<>!\"'", s[i])))
		i++;
	P->tk.t = T_WORD;
done:
	P->tk.len = i - P->tk.off;
	P->pos = i;
}

static bool tok_is(const struct parser *P, const char *w)
{
	return P->tk.t == T_WORD && P->tk.len == strlen(w) && !memcmp(P->s + P->tk.off, w, P->tk.len);
}

static void perr(struct parser *P, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parser *P, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (P->failed)
		return;
	P->failed = true;
	va_start(ap, fmt);
	rl_vdiag(P->L, rl_text_pos(P->L, P->t, off), false, fmt, ap);
	va_end(ap);
}

/* Token text for messages, shortened. */
static const char *tdesc(const struct parser *P, char *buf, size_t n)
{
	if (P->tk.t == T_EOF)
		return "the end";
	snprintf(buf, n, "'%.*s'", (int)(P->tk.len > 40 ? 40 : P->tk.len), P->s + P->tk.off);
	return buf;
}

/* The value of the current word or string token, unquoted (rs-owned). */
static char *tok_value(struct parser *P, size_t *len)
{
	const char *s = P->s + P->tk.off;
	size_t n = P->tk.len, o = 0;
	char *out;

	if (P->tk.t != T_STR) {
		*len = n;
		out = rs_strndup(P->rs, s, n);
		goto done;
	}
	out = rs_keep(P->rs, malloc(n));
	if (!out)
		goto done;
	/* \" \' \\ are escapes; any other backslash stays, for glob patterns */
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] == '\\' && i + 2 < n && (s[i + 1] == '"' || s[i + 1] == '\'' || s[i + 1] == '\\'))
			i++;
		out[o++] = s[i];
	}
	out[o] = 0;
	*len = o;
done:
	if (!out)
		P->L->oom = true, P->failed = true;
	return out;
}

/* ---- node building ---- */

static int new_node(struct parser *P, const struct rnode *tmpl)
{
	struct rules *rs = P->rs;

	if (rs->nnodes == rs->capnodes) {
		int cap = rs->capnodes ? rs->capnodes * 2 : 256;
		struct rnode *n = realloc(rs->nodes, (size_t)cap * sizeof(*n));
		if (!n) {
			P->L->oom = true;
			P->failed = true;
			return -1;
		}
		rs->nodes = n;
		rs->capnodes = cap;
	}
	rs->nodes[rs->nnodes] = *tmpl;
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

/* Makes an AND/OR/NOT node of stack[from..]; nested nodes of the same op
 * are flattened so that "a and (b and c)" is one node with three children. */
static int group_node(struct parser *P, enum rn_op op, int from)
{
	struct rules *rs = P->rs;
	struct rnode t = { .op = (uint8_t)op };
	int need = 0;

	for (int i = from; i < P->nstack; i++) {
		const struct rnode *c = &rs->nodes[P->stack[i]];
		need += (c->op == op && op != RN_NOT) ? (int)c->kcount : 1;
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
		if (c->op == op && op != RN_NOT) {
			for (uint32_t k = 0; k < c->kcount; k++)
				rs->kidx[rs->nkidx++] = rs->kidx[c->kbegin + k];
		} else {
			rs->kidx[rs->nkidx++] = P->stack[i];
		}
	}
	t.kcount = (uint32_t)need;
	P->nstack = from;
	return new_node(P, &t);
}

/* ---- parser ---- */

static int parse_or(struct parser *P);

static const char *const str_ops[] = { "contains", "icontains", "startswith", "endswith", "glob",
				       "pmatch" };
static const char *const unsupported_ops[] = { "bcontains", "bstartswith", "bendswith", "regex",
					       "intersects", "iglob", "val" };

static const char *kind_desc(enum bw_kind k)
{
	return k == BW_K_STR ? "a string" : k == BW_K_BOOL ? "true/false" : "a number";
}

static void collect_list(struct parser *P, struct rl_list *l, struct item **items, int *n,
			 int *cap, size_t ref_off);

static bool add_item(struct parser *P, struct item **items, int *n, int *cap, struct item it)
{
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 16;
		struct item *ni = realloc(*items, (size_t)c * sizeof(*ni));
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

static void collect_list(struct parser *P, struct rl_list *l, struct item **items, int *n,
			 int *cap, size_t ref_off)
{
	if (l->state == RL_BUSY) {
		perr(P, ref_off, "list '%s' includes itself", l->name);
		return;
	}
	l->used = true;
	l->state = RL_BUSY;
	for (int i = 0; i < l->nitems && !P->failed; i++) {
		const struct rl_item *ri = &l->items[i];
		struct rl_list *sub = rl_find_list(P->L, ri->s, ri->len);
		if (sub)
			collect_list(P, sub, items, n, cap, ref_off);
		else
			add_item(P, items, n, cap, (struct item){ ri->s, ri->len, 0, ri->pos, true });
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
static bool parse_items(struct parser *P, const char *opname, struct item **items, int *n)
{
	int cap = 0;
	struct rl_list *l;
	char buf[64];

	*items = NULL;
	*n = 0;
	lex(P, true);
	if (P->tk.t == T_WORD && (l = rl_find_list(P->L, P->s + P->tk.off, P->tk.len))) {
		collect_list(P, l, items, n, &cap, P->tk.off);
		lex(P, false);
		return !P->failed;
	}
	if (P->tk.t != T_LP) {
		if (P->tk.t == T_WORD)
			perr(P, P->tk.off, "'%s' needs a list in parentheses, e.g. (a, b), or a list "
			     "name; '%.*s' is not a defined list", opname, (int)P->tk.len,
			     P->s + P->tk.off);
		else
			perr(P, P->tk.off, "'%s' needs a list in parentheses, e.g. (a, b); got %s",
			     opname, tdesc(P, buf, sizeof(buf)));
		return false;
	}
	size_t lp = P->tk.off;
	lex(P, true);
	while (P->tk.t != T_RP) {
		if (P->tk.t == T_WORD || P->tk.t == T_STR) {
			size_t len;
			const char *v;
			size_t off = P->tk.off;
			if (P->tk.t == T_WORD && (l = rl_find_list(P->L, P->s + off, P->tk.len))) {
				collect_list(P, l, items, n, &cap, off);
			} else {
				if (P->tk.t == T_WORD && memchr(P->s + off, '_', P->tk.len)) {
					const char *names[256];
					int nn;
					const char *near;
					list_names(P->L, names, 256, &nn);
					near = rl_nearest(P->s + off, P->tk.len, names, nn);
					if (near)
						rl_warn(P->L, rl_text_pos(P->L, P->t, off),
							"'%.*s' is not a defined list, so it is matched as "
							"a literal value; did you mean list '%s'?",
							(int)P->tk.len, P->s + off, near);
				}
				v = tok_value(P, &len);
				if (!v)
					return false;
				add_item(P, items, n, &cap, (struct item){ v, len, off, { -1, 0, 0 }, false });
			}
			if (P->failed)
				return false;
			lex(P, true);
			if (P->tk.t == T_COMMA) {
				lex(P, true);
				continue;
			}
			if (P->tk.t == T_EOF) {
				perr(P, lp, "'(' is never closed; expected ')'");
				return false;
			}
			if (P->tk.t != T_RP) {
				perr(P, P->tk.off, "expected ',' or ')' in the list of '%s', got %s", opname,
				     tdesc(P, buf, sizeof(buf)));
				return false;
			}
			break;
		}
		if (P->tk.t == T_EOF)
			perr(P, lp, "'(' is never closed; expected ')'");
		else if (P->tk.t == T_BAD)
			perr(P, P->tk.off, "unterminated string");
		else
			perr(P, P->tk.off, "expected a value in the list of '%s', got %s", opname,
			     tdesc(P, buf, sizeof(buf)));
		return false;
	}
	lex(P, false);
	return true;
}

static void item_err(struct parser *P, const struct item *it, const char *fmt, const char *a,
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

static bool evt_type_mask(struct parser *P, const struct item *it, int n, uint64_t *mask)
{
	const char *names[BW_EVT_MAX];

	for (int i = 0; i < BW_EVT_MAX; i++)
		names[i] = event_type_name(i);
	*mask = 0;
	for (int i = 0; i < n; i++) {
		enum bw_evt t = event_type_from_name(it[i].s, it[i].len);
		char w[128];
		if (t == BW_EVT_UNKNOWN && !(it[i].len == 7 && !memcmp(it[i].s, "unknown", 7))) {
			const char *near = rl_nearest(it[i].s, it[i].len, names + 1, BW_EVT_MAX - 1);
			snprintf(w, sizeof(w), "%.*s", (int)(it[i].len > 60 ? 60 : it[i].len), it[i].s);
			if (near)
				item_err(P, &it[i], "unknown event type '%s'; did you mean '%s'?", w, near);
			else
				item_err(P, &it[i], "unknown event type '%s'%s", w,
					 "; see 'bulwark rules fields' for the evt.type values");
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

static int parse_check(struct parser *P, int field, size_t foff)
{
	const struct bw_field_info *fi = &bw_fields[field];
	struct rnode t = { .field = (uint8_t)field, .kind = (uint8_t)fi->kind,
			   .off = (uint32_t)fi->offset, .sign = fi->kind == BW_K_S64 };
	struct item *items = NULL, one;
	int nitems = 0, node = -1;
	size_t ooff, olen;
	char opname[16], buf[64];
	bool is_str_op = false, is_order = false, is_in = false, is_pmatch = false, ne = false;

	(void)foff;
	P->fields |= 1ull << field;
	lex(P, false);
	ooff = P->tk.off;
	olen = P->tk.len;
	snprintf(opname, sizeof(opname), "%.*s", (int)(olen > 15 ? 15 : olen), P->s + ooff);
	if (P->tk.t == T_OP) {
		if (!strcmp(opname, "=") || !strcmp(opname, "=="))
			t.op = fi->kind == BW_K_STR ? RN_S_EQ : RN_N_EQ;
		else if (!strcmp(opname, "!="))
			t.op = fi->kind == BW_K_STR ? RN_S_NE : RN_N_NE, ne = true;
		else if (!strcmp(opname, "<"))
			t.op = RN_N_LT, is_order = true;
		else if (!strcmp(opname, "<="))
			t.op = RN_N_LE, is_order = true;
		else if (!strcmp(opname, ">"))
			t.op = RN_N_GT, is_order = true;
		else if (!strcmp(opname, ">="))
			t.op = RN_N_GE, is_order = true;
		else {
			perr(P, ooff, "unknown operator '%s'", opname);
			return -1;
		}
	} else if (tok_is(P, "exists")) {
		t.op = RN_EXISTS;
		lex(P, false);
		return new_node(P, &t);
	} else if (tok_is(P, "in")) {
		is_in = true;
		t.op = fi->kind == BW_K_STR ? RN_S_IN : RN_N_IN;
	} else if (P->tk.t == T_WORD) {
		static const uint8_t ops[] = { RN_S_CONTAINS, RN_S_ICONTAINS, RN_S_STARTS, RN_S_ENDS,
					       RN_S_GLOB, RN_S_PMATCH };
		for (int i = 0; i < 6; i++)
			if (tok_is(P, str_ops[i]))
				t.op = ops[i], is_str_op = true;
		if (!is_str_op) {
			for (int i = 0; i < 7; i++)
				if (tok_is(P, unsupported_ops[i])) {
					perr(P, ooff, "operator '%s' is not supported; use =, in, contains, "
					     "startswith, endswith, glob or pmatch", opname);
					return -1;
				}
			perr(P, ooff, "expected an operator after '%s' (=, !=, <, <=, >, >=, in, "
			     "contains, icontains, startswith, endswith, glob, pmatch, exists), got %s",
			     fi->name, tdesc(P, buf, sizeof(buf)));
			return -1;
		}
		is_pmatch = t.op == RN_S_PMATCH;
	} else {
		perr(P, ooff, "expected an operator after '%s' (=, !=, <, <=, >, >=, in, contains, "
		     "icontains, startswith, endswith, glob, pmatch, exists), got %s", fi->name,
		     tdesc(P, buf, sizeof(buf)));
		return -1;
	}
	if (is_str_op && fi->kind != BW_K_STR) {
		perr(P, ooff, "operator '%s' needs a string field, but '%s' is %s", opname, fi->name,
		     kind_desc(fi->kind));
		return -1;
	}
	if (is_order && fi->kind != BW_K_U64 && fi->kind != BW_K_S64) {
		perr(P, ooff, "operator '%s' needs a numeric field, but '%s' is %s", opname, fi->name,
		     kind_desc(fi->kind));
		return -1;
	}
	if (is_in || is_pmatch) {
		if (!parse_items(P, opname, &items, &nitems))
			goto out;
	} else {
		lex(P, true);
		if (P->tk.t != T_WORD && P->tk.t != T_STR) {
			if (P->tk.t == T_BAD)
				perr(P, P->tk.off, "unterminated string");
			else
				perr(P, P->tk.off, "expected a value after '%s', got %s", opname,
				     tdesc(P, buf, sizeof(buf)));
			goto out;
		}
		one.off = P->tk.off;
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
	if (field == FLD_EVT_TYPE && (t.op == RN_S_EQ || t.op == RN_S_NE || t.op == RN_S_IN)) {
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
	if (fi->kind == BW_K_STR) {
		if (is_in) {
			t.v.set = set_build(P->rs, items, nitems);
			if (!t.v.set)
				goto oom;
		} else if (is_pmatch) {
			for (int i = 0; i < nitems; i++)
				if (!nitems || items[i].len == 0 || items[i].s[0] != '/') {
					item_err(P, &items[i], "pmatch needs absolute paths; '%s'%s is not one",
						 items[i].s, "");
					goto out;
				}
			t.v.trie = trie_build(P->rs, items, nitems);
			if (!t.v.trie)
				goto oom;
		} else {
			char *v = (char *)items[0].s;
			if (t.op == RN_S_ICONTAINS)
				for (size_t i = 0; i < items[0].len; i++)
					v[i] = (char)fold((unsigned char)v[i]);
			t.v.s.p = v;
			t.v.s.len = (uint32_t)items[0].len;
		}
		node = new_node(P, &t);
		goto out;
	}
	/* numeric and bool fields */
	{
		uint64_t *vals = rs_keep(P->rs, malloc((size_t)nitems * sizeof(*vals)));
		if (!vals)
			goto oom;
		for (int i = 0; i < nitems; i++) {
			bool ok = fi->kind == BW_K_BOOL ? bool_value(items[i].s, items[i].len, &vals[i])
							: parse_int(items[i].s, items[i].len, t.sign, &vals[i]);
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
				goto out;
			}
		}
		if (is_in) {
			qsort(vals, (size_t)nitems, sizeof(*vals), t.sign ? s64_cmp : u64_cmp);
			t.v.nums.v = vals;
			t.v.nums.n = (uint32_t)nitems;
		} else {
			t.v.u = vals[0];
		}
		node = new_node(P, &t);
	}
	goto out;
oom:
	P->L->oom = true;
	P->failed = true;
out:
	free(items);
	return P->failed ? -1 : node;
}

static int parse_primary(struct parser *P)
{
	char buf[64];
	const char *w = P->s + P->tk.off;
	size_t wl = P->tk.len, woff = P->tk.off;
	struct rl_macro *m;
	int f;

	if (++P->depth > 200) {
		perr(P, P->tk.off, "condition nests too deeply");
		return -1;
	}
	if (P->tk.t == T_LP) {
		size_t lp = P->tk.off;
		int n;
		lex(P, false);
		n = parse_or(P);
		if (n < 0)
			return -1;
		if (P->tk.t != T_RP) {
			if (P->tk.t == T_EOF)
				perr(P, lp, "'(' is never closed; expected ')'");
			else
				perr(P, P->tk.off, "expected ')' or 'and'/'or', got %s",
				     tdesc(P, buf, sizeof(buf)));
			return -1;
		}
		lex(P, false);
		P->depth--;
		return n;
	}
	if (P->tk.t == T_WORD && (tok_is(P, "and") || tok_is(P, "or"))) {
		perr(P, woff, "expected a condition before '%.*s'", (int)wl, w);
		return -1;
	}
	if (P->tk.t == T_EOF) {
		perr(P, woff, P->t->len && woff ? "condition ends too early; expected a field, "
			      "macro, 'not' or '('" : "condition is empty");
		return -1;
	}
	if (P->tk.t == T_BAD) {
		perr(P, woff, w[0] == '!' ? "unexpected '!'; use 'not' to negate" :
			      "unterminated string");
		return -1;
	}
	if (P->tk.t != T_WORD) {
		perr(P, woff, "expected a field, macro, 'not' or '(', got %s",
		     tdesc(P, buf, sizeof(buf)));
		return -1;
	}
	f = event_field_lookup(w, wl);
	if (f >= 0) {
		int n = parse_check(P, f, woff);
		P->depth--;
		return n;
	}
	m = rl_find_macro(P->L, w, wl);
	if (m) {
		if (m->state == RL_NEW)
			rs_compile_macro(P->L, P->rs, m);
		if (m->state == RL_BUSY) {
			perr(P, woff, "macro '%s' refers to itself", m->name);
			return -1;
		}
		if (m->state == RL_BAD) {
			P->failed = true; /* reported where the macro is defined */
			return -1;
		}
		m->used = true;
		P->fields |= m->fields;
		lex(P, false);
		P->depth--;
		return m->root;
	}
	/* unknown word: a misspelt field if an operator follows, else a macro */
	{
		size_t save = P->pos;
		bool op_follows;
		const char *near;
		lex(P, false);
		op_follows = P->tk.t == T_OP || P->tk.t == T_BAD;
		for (int i = 0; i < 6; i++)
			op_follows |= tok_is(P, str_ops[i]);
		op_follows |= tok_is(P, "in") || tok_is(P, "exists");
		P->pos = save;
		if (op_follows || memchr(w, '.', wl)) {
			const char *names[FLD_MAX];
			if (P->skip_unknown) {
				P->unknown = true;
				P->failed = true;
				return -1;
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
			else
				perr(P, woff, "undefined macro '%.*s'", (int)wl, w);
			free(names);
		}
		return -1;
	}
}

static int parse_not(struct parser *P)
{
	if (tok_is(P, "not")) {
		int from = P->nstack, n;
		lex(P, false);
		n = parse_not(P);
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
			bool skip_unknown, bool *unknown, uint64_t *fields)
{
	struct parser P = { .L = L, .rs = rs, .t = t, .s = t->s ? t->s : "", .n = t->len,
			    .skip_unknown = skip_unknown };
	char buf[64];
	int n;

	lex(&P, false);
	n = parse_or(&P);
	if (n >= 0 && P.tk.t != T_EOF) {
		if (P.tk.t == T_RP)
			perr(&P, P.tk.off, "unexpected ')' with no matching '('");
		else
			perr(&P, P.tk.off, "unexpected %s after a complete condition; "
			     "missing 'and' or 'or'?", tdesc(&P, buf, sizeof(buf)));
	}
	free(P.stack);
	if (unknown)
		*unknown = P.unknown;
	*fields = P.fields;
	return P.failed ? -1 : n;
}

int rs_compile_macro(struct rl_ctx *L, struct rules *rs, struct rl_macro *m)
{
	int n;

	if (m->state == RL_OK || m->state == RL_BAD)
		return m->state == RL_OK ? 0 : -1;
	m->state = RL_BUSY;
	n = compile_text(L, rs, &m->cond, false, NULL, &m->fields);
	if (n < 0) {
		m->state = RL_BAD;
		return -1;
	}
	m->root = n;
	m->state = RL_OK;
	return 0;
}

int rs_compile_cond(struct rl_ctx *L, struct rules *rs, const struct rl_text *t,
		    bool skip_unknown, bool *unknown_field, int *root, uint64_t *fields)
{
	int n = compile_text(L, rs, t, skip_unknown, unknown_field, fields);

	if (n < 0)
		return -1;
	*root = n;
	return 0;
}
