// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The name index of a load: lists, macros and rules by name, hashed. */
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

/*
 * Names are looked up for every word of every condition and for every
 * entry read, so the lookups are hashed: a linear search made loading
 * quadratic in the number of rules (60,000 rules took 12.5 s).
 * Every entry type starts with its char *name, which is what we compare.
 */
static uint64_t name_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 32);
}

static const char *entry_name(const void *arr, size_t size, int i)
{
	return *(char *const *)((const char *)arr + (size_t)i * size);
}

static int idx_find(const struct rl_index *x, const void *arr, size_t size, const char *name,
		    size_t len)
{
	if (!x->slots)
		return -1;
	for (uint32_t i = (uint32_t)name_hash(name, len) & x->mask;; i = (i + 1) & x->mask) {
		const char *e;

		if (x->slots[i] < 0)
			return -1;
		e = entry_name(arr, size, x->slots[i]);
		if (strlen(e) == len && !memcmp(e, name, len))
			return x->slots[i];
	}
}

static void idx_place(struct rl_index *x, const char *name, int at)
{
	uint32_t i = (uint32_t)name_hash(name, strlen(name)) & x->mask;

	while (x->slots[i] >= 0)
		i = (i + 1) & x->mask;
	x->slots[i] = at;
}

/* Indexes entry at (its name set); false when out of memory. */
bool rl_index_add(struct rl_ctx *L, struct rl_index *x, const void *arr, size_t size, int at)
{
	if ((uint32_t)(x->n + 1) * 2 > (x->slots ? x->mask + 1 : 0)) {
		uint32_t cap = x->slots ? (x->mask + 1) * 2 : 64;
		int32_t *old = x->slots;
		uint32_t oldcap = old ? x->mask + 1 : 0;

		x->slots = malloc(cap * sizeof(*x->slots));
		if (!x->slots) {
			x->slots = old;
			L->oom = true;
			return false;
		}
		memset(x->slots, 0xff, cap * sizeof(*x->slots));
		x->mask = cap - 1;
		for (uint32_t i = 0; i < oldcap; i++)
			if (old[i] >= 0)
				idx_place(x, entry_name(arr, size, old[i]), old[i]);
		free(old);
	}
	idx_place(x, entry_name(arr, size, at), at);
	x->n++;
	return true;
}

struct rl_list *rl_find_list(struct rl_ctx *L, const char *name, size_t len)
{
	int i = idx_find(&L->ilists, L->lists, sizeof(*L->lists), name, len);
	return i < 0 ? NULL : &L->lists[i];
}

struct rl_macro *rl_find_macro(struct rl_ctx *L, const char *name, size_t len)
{
	int i = idx_find(&L->imacros, L->macros, sizeof(*L->macros), name, len);
	return i < 0 ? NULL : &L->macros[i];
}

struct rl_rule *rl_find_rule(struct rl_ctx *L, const char *name, size_t len)
{
	int i = idx_find(&L->irules, L->rules, sizeof(*L->rules), name, len);
	return i < 0 ? NULL : &L->rules[i];
}
