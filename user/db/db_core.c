// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The decoders' shared core: emitting messages, the statement accumulator, names, losing and finding sync. */
#include <stdlib.h>
#include <string.h>
#include "db/db_core.h"

void db_set_name(char *dst, const void *p, size_t n)
{
	const char *z = memchr(p, 0, n);

	if (z)
		n = z - (const char *)p;
	if (n > DB_NAME_MAX - 1)
		n = DB_NAME_MAX - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

void db_emit(struct db_core *k, struct db_msg *m)
{
	m->user = k->user;
	m->db = k->db;
	if (k->midstream)
		m->flags |= DBM_F_MIDSTREAM;
	if (k->fn)
		k->fn(k->ctx, m);
}

void db_acc_reset(struct db_core *k)
{
	k->acc.len = 0;
	k->acc.trunc = k->acc.frozen = false;
	/* a buffer grown for one huge statement is not kept for the next */
	if (k->acc.cap > 16 * 1024) {
		free(k->acc.p);
		k->acc.p = NULL;
		k->acc.cap = 0;
	}
}

void db_acc_put(struct db_core *k, const void *p, size_t n, size_t cap)
{
	struct db_acc *a = &k->acc;

	if (a->frozen)
		return;
	if (a->len + n > cap) {
		n = a->len < cap ? cap - a->len : 0;
		a->trunc = a->frozen = true;
	}
	if (!n)
		return;
	if (a->len + n > a->cap) {
		size_t want = a->cap ? a->cap : 512;
		char *np;

		while (want < a->len + n)
			want *= 2;
		if (want > cap)
			want = cap;
		np = realloc(a->p, want);
		if (!np) {
			k->st.nomem++;
			a->trunc = a->frozen = true;
			return;
		}
		a->p = np;
		a->cap = want;
	}
	memcpy(a->p + a->len, p, n);
	a->len += n;
}

size_t db_resync(struct db_core *k, const uint8_t *p, size_t len, uint64_t total,
		 bool (*chain)(const uint8_t *p, size_t n, uint64_t total))
{
	for (size_t i = 0; i < len; i++) {
		if (chain(p + i, len - i, total - i)) {
			k->st.resyncs++;
			return i;
		}
	}
	return len;
}

void db_desync(struct db_core *k, uint64_t off, uint64_t lost)
{
	struct db_msg m = { .kind = DBM_LOST, .flags = DBM_F_DESYNC, .off = off, .lost = lost };

	k->st.desyncs++;
	db_emit(k, &m);
}
