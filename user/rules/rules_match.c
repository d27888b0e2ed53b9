// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Match primitives for compiled conditions: fnmatch-style globs, hashed
 * string sets for "in" and component tries for "pmatch". Built once at
 * load time; the lookups never allocate.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

/* ---- matching primitives ---- */

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

bool rs_set_has(const struct rstrset *set, const char *p, size_t n)
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

struct rstrset *rs_set_build(struct rules *rs, const struct rs_item *it, int n)
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

		if (rs_set_has(set, it[k].s, it[k].len))
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

/* Where component c is, or would go, in a sorted edge array: binary search. */
static uint32_t edge_find(const struct ptk *arr, uint32_t cnt, const char *c, size_t len,
			  bool *found)
{
	uint32_t lo = 0, hi = cnt;

	*found = false;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = comp_cmp(c, len, arr[mid].c, arr[mid].len);
		if (!r) {
			*found = true;
			return mid;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static struct ptn *trie_child(struct rules *rs, struct ptn *n, const char *c, size_t len)
{
	bool glob = memchr(c, '*', len) || memchr(c, '?', len) || memchr(c, '[', len), found;
	struct ptk **arr = glob ? &n->glob : &n->ex;
	uint32_t *cnt = glob ? &n->nglob : &n->nex, *cap = glob ? &n->capglob : &n->capex;
	uint32_t at = edge_find(*arr, *cnt, c, len, &found);
	struct ptn *child;

	if (found)
		return (*arr)[at].child;
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
	/* items come sorted (trie_build), so at == *cnt and nothing moves */
	memmove(&(*arr)[at + 1], &(*arr)[at], (*cnt - at) * sizeof(**arr));
	(*arr)[at] = (struct ptk){ rs_strndup(rs, c, len), (uint32_t)len, child };
	if (!(*arr)[at].c)
		return NULL;
	(*cnt)++;
	return child;
}

/* Next component of [*s, end): skips slashes; false at the end. */
static bool next_comp(const char **s, const char *end, const char **c, size_t *len)
{
	while (*s < end && **s == '/')
		(*s)++;
	if (*s == end)
		return false;
	*c = *s;
	while (*s < end && **s != '/')
		(*s)++;
	*len = (size_t)(*s - *c);
	return true;
}

/* Paths in component order, the order of every node's edge arrays. */
static int path_cmp(const void *a, const void *b)
{
	const struct rs_item *x = a, *y = b;
	const char *p = x->s, *pe = x->s + x->len, *q = y->s, *qe = y->s + y->len;

	for (;;) {
		const char *c1, *c2;
		size_t l1, l2;
		bool m1 = next_comp(&p, pe, &c1, &l1), m2 = next_comp(&q, qe, &c2, &l2);
		int r;

		if (!m1 || !m2)
			return m1 - m2;
		r = comp_cmp(c1, l1, c2, l2);
		if (r)
			return r;
	}
}

/*
 * The items are sorted first, so each new edge is appended to its sorted
 * array: inserting in list order moved half an array per item, and a
 * pmatch list of 100,000 paths under one directory took 17 s.
 */
struct rptrie *rs_trie_build(struct rules *rs, const struct rs_item *items, int n)
{
	struct rptrie *t = rs_keep(rs, calloc(1, sizeof(*t)));
	struct rs_item *it = malloc((size_t)(n ? n : 1) * sizeof(*it));

	if (!it || !t || !(t->root = rs_keep(rs, calloc(1, sizeof(*t->root)))))
		goto fail;
	memcpy(it, items, (size_t)n * sizeof(*it));
	qsort(it, (size_t)n, sizeof(*it), path_cmp);
	for (int k = 0; k < n; k++) {
		struct ptn *cur = t->root;
		const char *s = it[k].s, *end = s + it[k].len, *c;
		size_t len;

		while (cur && next_comp(&s, end, &c, &len))
			cur = trie_child(rs, cur, c, len);
		if (!cur)
			goto fail;
		cur->term = true;
	}
	free(it);
	return t;
fail:
	free(it);
	return NULL;
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
bool rs_trie_match(const struct rptrie *t, const char *p, size_t n)
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

