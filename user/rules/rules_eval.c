// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The evaluator of compiled conditions, which never allocates, and the
 * analyses over the node array that serve it: the cost order of "and"/"or"
 * operands and the evt.type values a node can match.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

/* ---- evaluation ---- */

/* Child i of node x. Indexed, not a pointer made up front: a rule set with
 * no and/or/not has no kidx array, and NULL + 0 is undefined behaviour. */
#define KID(i) (rs->kidx[x->kbegin + (i)])

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
		if (rs_fold((unsigned char)h[i]) != (unsigned char)nd[0])
			continue;
		for (k = 1; k < nn && rs_fold((unsigned char)h[i + k]) == (unsigned char)nd[k]; k++)
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

/* A string compare of x against s; rhs replaces the operand for val(). */
static bool cmp_str(const struct rules *rs, const struct rnode *x, struct bw_str s,
		    const struct bw_str *rhs)
{
	const char *vp = rhs ? rhs->p : x->v.s.p;
	uint32_t vl = rhs ? rhs->len : x->v.s.len;

	switch ((enum rn_op)x->op) {
	case RN_S_EQ:
		return s.len == vl && !memcmp(s.p, vp, s.len);
	case RN_S_NE:
		return !(s.len == vl && !memcmp(s.p, vp, s.len));
	case RN_S_CONTAINS:
		return !vl || memmem(s.p, s.len, vp, vl);
	case RN_S_ICONTAINS:
		if (rhs) { /* fold val()'s value now: it is not known at load time */
			char *f = rs->scratch + (size_t)RS_SLOT_FOLD * RS_SCRATCH;
			vl = vl > RS_SCRATCH ? RS_SCRATCH : vl;
			for (uint32_t i = 0; i < vl; i++)
				f[i] = (char)rs_fold((unsigned char)vp[i]);
			vp = f;
		}
		return icontains(s.p, s.len, vp, vl);
	case RN_S_STARTS:
		return s.len >= vl && !memcmp(s.p, vp, vl);
	case RN_S_ENDS:
		return s.len >= vl && !memcmp(s.p + s.len - vl, vp, vl);
	case RN_S_GLOB:
		return rules_glob_match(x->v.s.p, x->v.s.len, s.p, s.len);
	case RN_S_IGLOB: {
		char *f = rs->scratch + (size_t)RS_SLOT_FOLD * RS_SCRATCH;
		uint32_t n = s.len > RS_SCRATCH ? RS_SCRATCH : s.len;
		for (uint32_t i = 0; i < n; i++)
			f[i] = (char)rs_fold((unsigned char)s.p[i]);
		return rules_glob_match(x->v.s.p, x->v.s.len, f, n);
	}
	case RN_S_IN:
	case RN_S_INTERSECTS:
		return rs_set_has(x->v.set, s.p, s.len);
	case RN_S_PMATCH:
		return rs_trie_match(x->v.trie, s.p, s.len);
	case RN_S_REGEX: {
		regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)s.len };
		return !regexec(x->v.re, s.p, 1, &m, REG_STARTEND);
	}
	default:
		return false;
	}
}

static bool cmp_num(const struct rnode *x, uint64_t u, const uint64_t *rhs)
{
	uint64_t v = rhs ? *rhs : x->v.u;

	switch ((enum rn_op)x->op) {
	case RN_N_EQ: return u == v;
	case RN_N_NE: return u != v;
	case RN_N_LT: return x->sign ? (int64_t)u < (int64_t)v : u < v;
	case RN_N_LE: return x->sign ? (int64_t)u <= (int64_t)v : u <= v;
	case RN_N_GT: return x->sign ? (int64_t)u > (int64_t)v : u > v;
	case RN_N_GE: return x->sign ? (int64_t)u >= (int64_t)v : u >= v;
	case RN_N_IN: return num_in(x, u);
	default: return false;
	}
}

/* Applies transformers to a string value, into scratch slot out. false
 * when one cannot (b64 of something that is not base64), as in Falco. */
static bool transform(const uint8_t *xf, int nxf, struct bw_str *s, char *out)
{
	for (int k = 0; k < nxf; k++) {
		uint32_t n = s->len > RS_SCRATCH ? RS_SCRATCH : s->len, w = 0;
		const char *p = s->p;

		switch (xf[k]) {
		case XF_TOLOWER:
		case XF_TOUPPER:
			for (uint32_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)p[i];
				out[i] = (char)(xf[k] == XF_TOLOWER ? tolower(c) : toupper(c));
			}
			*s = (struct bw_str){ out, n };
			break;
		case XF_BASENAME: {
			uint32_t cut = 0;
			for (uint32_t i = 0; i < s->len; i++)
				if (p[i] == '/')
					cut = i + 1;
			*s = (struct bw_str){ p + cut, s->len - cut };
			break;
		}
		case XF_B64: {
			uint32_t acc = 0;
			int bits = 0;
			for (uint32_t i = 0; i < n; i++) {
				unsigned char c = (unsigned char)p[i];
				int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 :
					c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
				if (c == '=')
					break;
				if (v < 0)
					return false;
				acc = acc << 6 | (uint32_t)v;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					out[w++] = (char)(acc >> bits & 0xff);
				}
			}
			*s = (struct bw_str){ out, w };
			break;
		}
		default:
			break;
		}
	}
	return true;
}

/* The value of a field operand, transformed; false when absent. */
static bool operand(const struct rules *rs, const struct bw_event *e, int field, int idx,
		    const uint8_t *xf, int nxf, int slot, struct bw_value *v)
{
	char *buf = rs->scratch + (size_t)slot * RS_SCRATCH;

	if (!event_value(e, field, idx, v, buf, RS_SCRATCH))
		return false;
	if (nxf && v->kind == BW_K_STR) {
		/* values made up in buf are moved out of the way of the transformer's output */
		if (v->s.p == buf) {
			char *alt = rs->scratch + (size_t)RS_SLOT_FOLD * RS_SCRATCH;
			memcpy(alt, buf, v->s.len);
			v->s.p = alt;
		}
		return transform(xf, nxf, &v->s, buf);
	}
	return true;
}

static bool cmp_value(const struct rules *rs, const struct rnode *x, const struct bw_value *v,
		      const struct bw_value *r)
{
	if (v->kind == BW_K_STR)
		return cmp_str(rs, x, v->s, r ? &r->s : NULL);
	{
		uint64_t u = v->kind == BW_K_S64 ? (uint64_t)v->i : v->u, ru = 0;
		if (r)
			ru = r->kind == BW_K_S64 ? (uint64_t)r->i : r->u;
		return cmp_num(x, u, r ? &ru : NULL);
	}
}

/*
 * The slow path: derived and indexed fields, audit ids, transformers,
 * val(), ancestors. proc.aname (no [N]) matches when any ancestor does;
 * a list field (proc.anames) takes "in" as every value in the set and
 * "intersects" as any, as in Falco.
 */
static bool eval_slow(const struct rules *rs, const struct rnode *x, const struct bw_event *e)
{
	struct bw_value v, r;
	const struct bw_value *rp = NULL;

	if (x->rhs) {
		if (!operand(rs, e, x->rhs->field, x->rhs->idx, x->rhs->xf, x->rhs->nxf, RS_SLOT_RHS, &r))
			return false;
		rp = &r;
	}
	if (x->many) {
		bool any = false;
		uint32_t n = e->nanc;
		if (x->op == RN_EXISTS)
			return n > 0;
		for (uint32_t lvl = 1; lvl <= n; lvl++) {
			int f = x->many == 2 ? FLD_PROC_ANAME : x->field;
			bool hit;
			if (!operand(rs, e, f, (int)lvl, x->xf, x->nxf, RS_SLOT_LHS, &v))
				continue;
			hit = cmp_value(rs, x, &v, rp);
			if (x->many == 2 && x->op == RN_S_IN && !hit)
				return false;   /* "in": every ancestor in the set */
			if (hit && !(x->many == 2 && x->op == RN_S_IN))
				return true;
			any = true;
		}
		return x->many == 2 && x->op == RN_S_IN && any;
	}
	if (x->op == RN_EXISTS)
		return operand(rs, e, x->field, x->idx, x->xf, x->nxf, RS_SLOT_LHS, &v);
	if (!operand(rs, e, x->field, x->idx, x->xf, x->nxf, RS_SLOT_LHS, &v))
		return false;
	return cmp_value(rs, x, &v, rp);
}

/*
 * A check on a field the event does not carry is false, whatever the
 * operator ("!=" too), as in Falco; "not" of such a check is true.
 */
bool rs_eval_node(const struct rules *rs, int n, const struct bw_event *e)
{
	const struct rnode *x = &rs->nodes[n];
	const char *base = (const char *)e;
	struct bw_str s;
	uint64_t u;

	switch ((enum rn_op)x->op) {
	case RN_TRUE:
		return true;
	case RN_FALSE:
	case RN_UNAVAIL:
		return false;
	case RN_AND:
		for (uint32_t i = 0; i < x->kcount; i++)
			if (!rs_eval_node(rs, KID(i), e))
				return false;
		return true;
	case RN_OR:
		for (uint32_t i = 0; i < x->kcount; i++)
			if (rs_eval_node(rs, KID(i), e))
				return true;
		return false;
	case RN_NOT:
		return !rs_eval_node(rs, KID(0), e);
	case RN_TYPE_IN:
		return (unsigned)e->type < 64 && ((x->v.mask >> e->type) & 1);
	default:
		break;
	}
	if (x->slow)
		return eval_slow(rs, x, e);
	if (x->op == RN_EXISTS)
		return ev_has(e, x->field);
	if (!ev_has(e, x->field))
		return false;
	if (x->kind == BW_K_STR) {
		memcpy(&s, base + x->off, sizeof(s));
		if (!s.p)
			s = (struct bw_str){ "", 0 };
		return cmp_str(rs, x, s, NULL);
	}
	if (x->kind == BW_K_BOOL)
		u = *(const bool *)(base + x->off);
	else
		memcpy(&u, base + x->off, sizeof(u));
	return cmp_num(x, u, NULL);
}

/* Rough cost of evaluating a node, for ordering "and"/"or" operands. */
static uint32_t op_cost(const struct rnode *x)
{
	switch ((enum rn_op)x->op) {
	case RN_TRUE: case RN_FALSE: case RN_EXISTS: case RN_TYPE_IN: case RN_UNAVAIL:
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
	case RN_S_GLOB: case RN_S_IGLOB: case RN_S_INTERSECTS:
		return 16;
	case RN_S_PMATCH:
		return 20;
	case RN_S_REGEX:
		return 40;
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
		uint32_t c = op_cost(x) + (x->slow ? 8 : 0);

		if (x->op == RN_AND || x->op == RN_OR || x->op == RN_NOT) {
			for (uint32_t i = 0; i < x->kcount; i++)
				c += (uint32_t)cost[KID(i)];
			if (x->op != RN_NOT)
				qsort_r(rs->kidx + x->kbegin, x->kcount, sizeof(*rs->kidx), kid_cmp,
					cost);
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
	uint64_t m;

	switch ((enum rn_op)x->op) {
	case RN_FALSE:
		return 0;
	case RN_TYPE_IN:
		return x->v.mask & RULES_ALL_TYPES;
	case RN_AND:
		m = RULES_ALL_TYPES;
		for (uint32_t i = 0; i < x->kcount; i++)
			m &= rs_node_types(rs, KID(i));
		return m;
	case RN_OR:
		m = 0;
		for (uint32_t i = 0; i < x->kcount; i++)
			m |= rs_node_types(rs, KID(i));
		return m;
	case RN_NOT:
		if (rs->nodes[KID(0)].op == RN_TYPE_IN)
			return ~rs->nodes[KID(0)].v.mask & RULES_ALL_TYPES;
		if (rs->nodes[KID(0)].op == RN_FALSE)
			return RULES_ALL_TYPES;
		return RULES_ALL_TYPES;
	default:
		return RULES_ALL_TYPES;
	}
}


const char *rs_unavail_in(const struct rules *rs, int n, uint64_t types)
{
	const struct rnode *x = &rs->nodes[n];
	const char *name;

	if (!types)
		return NULL;
	switch ((enum rn_op)x->op) {
	case RN_UNAVAIL:
		return x->v.s.p;
	case RN_AND:
		/* a sibling's evt.type limits when this conjunction is decided at all */
		types &= rs_node_types(rs, n);
		/* fall through */
	case RN_OR:
	case RN_NOT:
		for (uint32_t i = 0; i < x->kcount; i++)
			if ((name = rs_unavail_in(rs, KID(i), types)))
				return name;
		return NULL;
	default:
		return NULL;
	}
}
