// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The evaluator of compiled conditions, which never allocates, and the
 * analyses over the node array that serve it: the cost order of "and"/"or"
 * operands and the evt.type values a node can match.
 */
#include <ctype.h>
#include <errno.h>
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
			return rs_set_has(x->v.set, s.p, s.len);
		case RN_S_PMATCH:
			return rs_trie_match(x->v.trie, s.p, s.len);
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
		uint32_t c = op_cost(x);

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

