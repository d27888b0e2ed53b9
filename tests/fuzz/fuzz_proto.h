/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Shared body of fuzz_mysql_proto.c and fuzz_pg_proto.c: the input is cut
 * into captured chunks the way the kernel delivers them (any split,
 * truncated captures, a chunk arriving late, server bytes in between),
 * decoded, and every message turned into an event and classified.
 * Byte 0 picks the modes, byte 1 seeds the cuts; the rest is the stream.
 */
#ifndef BULWARK_FUZZ_PROTO_H
#define BULWARK_FUZZ_PROTO_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "db/dbconn.h"

#define MODE_MIDSTREAM 0x01 /* joined mid-stream */
#define MODE_S2C       0x02 /* some chunks are server to client */
#define MODE_TRUNC     0x04 /* some captures are cut (len < total) */
#define MODE_REORDER   0x08 /* some chunks arrive one late */
#define MODE_EVENTS    0x10 /* make events (runs the classifier) */
#define MODE_BIG       0x20 /* chunk sizes up to 8 KiB */

struct fuzz_ctx {
	struct dbconn *c;
	int events;
	uint64_t hash;  /* of every message seen, in order */
	bool lost;      /* a DBM_LOST was seen */
};

static uint64_t fuzz_hash(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
	return h;
}

static uint32_t fuzz_rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void fuzz_msg(void *ctx, const struct db_msg *m)
{
	struct fuzz_ctx *x = ctx;
	struct sql_result r;
	struct bw_event e;

	if (!m->user || !m->db || strlen(m->user) >= DB_NAME_MAX || strlen(m->db) >= DB_NAME_MAX)
		abort();
	if (m->kind == DBM_QUERY && (m->query_len > DB_QUERY_MAX || (m->query_len && !m->query)))
		abort();
	if (m->kind == DBM_QUERY && m->query_len)
		(void)*(volatile const char *)(m->query + m->query_len - 1);
	x->lost |= m->kind == DBM_LOST;
	x->hash = fuzz_hash(x->hash, &m->kind, sizeof(m->kind));
	x->hash = fuzz_hash(x->hash, &m->flags, sizeof(m->flags));
	x->hash = fuzz_hash(x->hash, m->user, strlen(m->user) + 1);
	x->hash = fuzz_hash(x->hash, m->db, strlen(m->db) + 1);
	if (m->query_len)
		x->hash = fuzz_hash(x->hash, m->query, m->query_len);
	if (!x->events)
		return;
	event_reset(&e);
	if (dbconn_event(x->c, m, &r, &e) == 0 && e.type == BW_EVT_DB_QUERY) {
		if (r.kind >= SQL_KIND_MAX || r.objects_len != strlen(r.objects) ||
		    r.objects_len >= SQL_OBJECTS_MAX)
			abort();
	}
}

static int fuzz_proto(enum db_proto proto, const uint8_t *data, size_t size)
{
	struct fuzz_ctx x;
	uint64_t off[2] = { 0, 0 };
	const uint8_t *held = NULL;
	size_t held_n = 0, held_len = 0;
	uint64_t held_off = 0;
	uint32_t seed;
	uint8_t mode;
	size_t i = 0;

	if (size < 2)
		return 0;
	mode = data[0];
	seed = data[1] * 2654435761u + 1;
	data += 2, size -= 2;
	x.c = dbconn_new(proto, mode & MODE_MIDSTREAM ? DBCONN_MIDSTREAM : 0);
	x.events = mode & MODE_EVENTS;
	x.hash = 0;
	x.lost = false;
	if (!x.c)
		return 0;
	if (mode & MODE_MIDSTREAM)
		off[DB_C2S] = 1000 + seed % 5000;
	while (i < size) {
		size_t n = 1 + fuzz_rnd(&seed) % (mode & MODE_BIG ? 8192 : 300), len;
		enum db_dir d = DB_C2S;

		if (n > size - i)
			n = size - i;
		len = n;
		if ((mode & MODE_S2C) && fuzz_rnd(&seed) % 8 == 0)
			d = DB_S2C;
		if ((mode & MODE_TRUNC) && fuzz_rnd(&seed) % 8 == 0)
			len = fuzz_rnd(&seed) % (n + 1);
		if (d == DB_C2S && (mode & MODE_REORDER) && !held && fuzz_rnd(&seed) % 8 == 0) {
			held = data + i, held_n = n, held_len = len, held_off = off[d];
		} else {
			dbconn_feed(x.c, d, off[d], data + i, len, n, fuzz_msg, &x);
			if (held && d == DB_C2S) {
				dbconn_feed(x.c, d, held_off, held, held_len, held_n, fuzz_msg, &x);
				held = NULL;
			}
		}
		off[d] += n;
		i += n;
	}
	if (held)
		dbconn_feed(x.c, DB_C2S, held_off, held, held_len, held_n, fuzz_msg, &x);
	dbconn_flush(x.c, fuzz_msg, &x);
	(void)dbconn_wants(x.c, DB_C2S);
	(void)dbconn_synced(x.c);
	dbconn_free(x.c);
	/*
	 * Cuts alone must not change what is decoded: with nothing lost,
	 * reordered or joined mid-stream, the same stream fed in one piece
	 * gives the same messages (resynchronisation may legitimately
	 * depend on where sends end, so runs that lost framing are skipped).
	 */
	if (!(mode & (MODE_MIDSTREAM | MODE_S2C | MODE_TRUNC | MODE_REORDER)) && !x.lost) {
		struct fuzz_ctx y = { .c = dbconn_new(proto, 0), .events = x.events };

		if (!y.c)
			return 0;
		dbconn_feed(y.c, DB_C2S, 0, data, size, size, fuzz_msg, &y);
		dbconn_flush(y.c, fuzz_msg, &y);
		dbconn_free(y.c);
		if (!y.lost && y.hash != x.hash)
			abort();
	}
	return 0;
}

#endif /* BULWARK_FUZZ_PROTO_H */
