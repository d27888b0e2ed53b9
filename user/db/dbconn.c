// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database connection streams: in-order reassembly of captured chunks, dispatch, and events. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bulwark_abi.h"
#include "db/db_mysql.h"
#include "db/db_pg.h"
#include "db/db_core.h"
#include "db/dbconn.h"

/* A chunk that arrived before the bytes in front of it. */
struct db_held {
	uint64_t off;            /* stream offset of data[0] */
	uint64_t total;          /* bytes the syscall moved */
	uint32_t len;            /* bytes in data[] */
	uint8_t data[];
};

/* One direction of a connection. */
struct db_dirstate {
	uint64_t next;           /* stream offset expected next */
	bool started;            /* a chunk was seen */
	uint8_t nheld;           /* chunks in held[], sorted by offset */
	struct db_held **held;   /* DB_REORDER_MAX slots, allocated when first needed */
};

struct dbconn {
	struct db_core k;        /* user, db, accumulator, counters */
	enum db_proto proto;
	struct db_dirstate dir[2];
	union {
		struct db_mysql my;
		struct db_pg pg;
	} u;                     /* decoder state */
};

struct dbconn *dbconn_new(enum db_proto p, uint32_t flags)
{
	struct dbconn *c;

	if (p != DB_MYSQL && p != DB_PG)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->proto = p;
	c->k.flags = flags;
	c->k.midstream = flags & DBCONN_MIDSTREAM;
	if (p == DB_MYSQL)
		db_mysql_init(&c->u.my, c->k.midstream);
	else
		db_pg_init(&c->u.pg, c->k.midstream);
	return c;
}

void dbconn_free(struct dbconn *c)
{
	if (!c)
		return;
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < c->dir[d].nheld; i++)
			free(c->dir[d].held[i]);
		free(c->dir[d].held);
	}
	free(c->k.acc.p);
	free(c);
}

static void decode(struct dbconn *c, enum db_dir d, uint64_t off, const uint8_t *p, size_t len,
		   bool aligned, uint64_t total)
{
	if (c->proto == DB_MYSQL)
		db_mysql_feed(&c->u.my, &c->k, d, off, p, len, aligned, total);
	else
		db_pg_feed(&c->u.pg, &c->k, d, off, p, len, aligned, total);
}

static void lost(struct dbconn *c, enum db_dir d, uint64_t off, uint64_t n)
{
	if (!n)
		return;
	c->k.st.gaps++;
	c->k.st.bytes_lost += n;
	if (c->proto == DB_MYSQL)
		db_mysql_gap(&c->u.my, &c->k, d, off, n);
	else
		db_pg_gap(&c->u.pg, &c->k, d, off, n);
}

/* In-order (or overlapping) chunk: the part not seen yet goes to the decoder. */
static void deliver(struct dbconn *c, enum db_dir d, uint64_t off, const uint8_t *p, size_t len,
		    uint64_t total)
{
	struct db_dirstate *ds = &c->dir[d];
	uint64_t end = off + total;
	bool aligned = true;

	if (end <= ds->next) {
		c->k.st.dups++;
		return;
	}
	if (off < ds->next) {
		/* seen in part already: a retransmitted or overlapping capture */
		uint64_t skip = ds->next - off;

		c->k.st.dups++;
		aligned = false;
		if (skip >= len) {
			lost(c, d, ds->next, end - ds->next);
			ds->next = end;
			return;
		}
		p += skip, len -= skip, total -= skip, off = ds->next;
	}
	ds->next = end;
	if (c->k.opaque) {
		c->k.st.opaque_bytes += total;
		return;
	}
	decode(c, d, off, p, len, aligned, total);
	if (total > len && !c->k.opaque)
		lost(c, d, off + len, total - len);
}

/* Delivers held chunks that have become contiguous. */
static void drain(struct dbconn *c, enum db_dir d)
{
	struct db_dirstate *ds = &c->dir[d];

	while (ds->nheld && ds->held[0]->off <= ds->next) {
		struct db_held *h = ds->held[0];

		memmove(ds->held, ds->held + 1, --ds->nheld * sizeof(*ds->held));
		deliver(c, d, h->off, h->data, h->len, h->total);
		free(h);
	}
}

/* Gives up on the bytes in front of the first held chunk. */
static void skip_hole(struct dbconn *c, enum db_dir d)
{
	struct db_dirstate *ds = &c->dir[d];

	if (!ds->nheld)
		return;
	lost(c, d, ds->next, ds->held[0]->off - ds->next);
	ds->next = ds->held[0]->off;
	drain(c, d);
}

static void hold(struct dbconn *c, enum db_dir d, uint64_t off, const uint8_t *p, size_t len,
		 uint64_t total)
{
	struct db_dirstate *ds = &c->dir[d];
	struct db_held *h;
	int i;

	if (!ds->held) {
		ds->held = calloc(DB_REORDER_MAX, sizeof(*ds->held));
		if (!ds->held) {
			c->k.st.nomem++;
			return; /* the hole it leaves is skipped when the window fills */
		}
	}
	if (ds->nheld == DB_REORDER_MAX) {
		/* the window is full: the missing bytes are not coming */
		skip_hole(c, d);
		if (off <= ds->next) {
			deliver(c, d, off, p, len, total);
			drain(c, d);
			return;
		}
		if (ds->nheld == DB_REORDER_MAX)
			skip_hole(c, d);
	}
	if (len > DB_CHUNK_MAX)
		len = DB_CHUNK_MAX; /* the rest becomes part of the chunk's lost tail */
	h = malloc(sizeof(*h) + len);
	if (!h) {
		c->k.st.nomem++;
		return;
	}
	h->off = off;
	h->total = total;
	h->len = len;
	memcpy(h->data, p, len);
	for (i = ds->nheld; i > 0 && ds->held[i - 1]->off > off; i--)
		ds->held[i] = ds->held[i - 1];
	ds->held[i] = h;
	ds->nheld++;
	c->k.st.reordered++;
}

int dbconn_feed(struct dbconn *c, enum db_dir d, uint64_t off, const void *data, size_t len,
		size_t total, db_msg_fn fn, void *ctx)
{
	struct db_dirstate *ds;

	if (!c || (d != DB_C2S && d != DB_S2C) || (!data && len))
		return -EINVAL;
	if (total < len)
		total = len;
	ds = &c->dir[d];
	c->k.fn = fn;
	c->k.ctx = ctx;
	c->k.st.bytes += len;
	if (!ds->started) {
		ds->started = true;
		/* mid-stream: offsets start wherever we joined */
		if (c->k.flags & DBCONN_MIDSTREAM)
			ds->next = off;
	}
	if (c->k.opaque) {
		c->k.st.opaque_bytes += total;
	} else if (!dbconn_wants(c, d)) {
		/* server replies past the handshake: not even held */
	} else if (off > ds->next) {
		hold(c, d, off, data, len, total);
	} else {
		deliver(c, d, off, data, len, total);
		drain(c, d);
	}
	if (ds->held && !ds->nheld) {
		free(ds->held);
		ds->held = NULL;
	}
	c->k.fn = NULL;
	return 0;
}

void dbconn_flush(struct dbconn *c, db_msg_fn fn, void *ctx)
{
	if (!c)
		return;
	c->k.fn = fn;
	c->k.ctx = ctx;
	for (int d = 0; d < 2; d++) {
		while (c->dir[d].nheld)
			skip_hole(c, d);
		free(c->dir[d].held);
		c->dir[d].held = NULL;
	}
	c->k.fn = NULL;
}

bool dbconn_wants(const struct dbconn *c, enum db_dir d)
{
	if (c->proto == DB_MYSQL)
		return db_mysql_wants(&c->u.my, &c->k, d);
	return db_pg_wants(&c->u.pg, &c->k, d);
}

bool dbconn_synced(const struct dbconn *c)
{
	if (c->proto == DB_MYSQL)
		return db_mysql_synced(&c->u.my, &c->k);
	return db_pg_synced(&c->u.pg, &c->k);
}

void dbconn_stats(const struct dbconn *c, struct dbconn_stats *st)
{
	*st = c->k.st;
}

static struct bw_str str(const char *s)
{
	return (struct bw_str){ s, (uint32_t)strlen(s) };
}

static void set(struct bw_event *e, enum bw_field f)
{
	event_set_present(e, f);
}

int dbconn_event(struct dbconn *c, const struct db_msg *m, struct sql_result *r,
		 struct bw_event *e)
{
	enum bw_evt type;

	switch (m->kind) {
	case DBM_QUERY:
	case DBM_INIT_DB:
		type = BW_EVT_DB_QUERY;
		break;
	case DBM_CONNECT:
		type = BW_EVT_DB_CONNECT;
		break;
	case DBM_TLS:
		type = BW_EVT_DB_TLS;
		break;
	case DBM_LOST:
		if (!(m->flags & DBM_F_DESYNC))
			return -ENOENT;
		e->type = BW_EVT_DROP;
		e->type_name = str(event_type_name(e->type));
		e->drop_count = 1;
		e->drop_reason = str("database stream lost sync: statements may be missing");
		set(e, FLD_EVT_TYPE);
		set(e, FLD_DROP_COUNT);
		set(e, FLD_DROP_REASON);
		return 0;
	default:
		return -ENOENT;
	}
	e->type = type;
	e->type_name = str(event_type_name(type));
	set(e, FLD_EVT_TYPE);
	e->db_system = str(c->proto == DB_MYSQL ? "mysql" : "postgresql");
	set(e, FLD_DB_SYSTEM);
	if (type == BW_EVT_DB_QUERY) {
		if (m->kind == DBM_INIT_DB) {
			sql_result_reset(r);
			r->kind = SQL_USE;
			db_set_name(r->objects, m->db, strlen(m->db));
			r->objects_len = strlen(r->objects);
		} else {
			sql_classify(c->proto == DB_MYSQL ? SQL_MYSQL : SQL_PG, m->query, m->query_len,
				     m->flags & DBM_F_TRUNC ? SQL_IN_TRUNC : 0, r);
			/* USE x changes the schema for what follows */
			if (r->flags & SQL_R_USE)
				db_set_name(c->k.db, r->use_db, strlen(r->use_db));
			e->db_query = (struct bw_str){ m->query, (uint32_t)m->query_len };
			set(e, FLD_DB_QUERY);
		}
		e->db_stmt = str(sql_kind_name(r->kind));
		e->db_objects = (struct bw_str){ r->objects, r->objects_len };
		e->db_has_where = r->has_where;
		e->db_destructive = r->destructive;
		set(e, FLD_DB_STMT);
		set(e, FLD_DB_OBJECTS);
		set(e, FLD_DB_HAS_WHERE);
		set(e, FLD_DB_DESTRUCTIVE);
	}
	if (m->flags & DBM_F_TRUNC) {
		e->flags |= BW_F_DATA_TRUNC;
		set(e, FLD_EVT_FLAGS);
	}
	e->db_user = str(m->user);
	e->db_name = str(m->db); /* k->db, after any USE above */
	set(e, FLD_DB_USER);
	set(e, FLD_DB_NAME);
	return 0;
}
