// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database capture: BW_EV_SOCK_* records -> connections and decoder feeds; the capture context's life. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/dbcapture_int.h"
#include "core/decode.h"

_Static_assert(offsetof(struct bw_sock_event, conn_id) == 72, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, kind) == 104, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, laddr) == 112, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, owner_pid) == 144, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, data) == 152, "bw_sock_event layout changed");
_Static_assert(sizeof(struct bw_sock_event) == 152 + BW_DATA_MAX, "bw_sock_event layout changed");
_Static_assert((int)DB_MYSQL == BW_DB_MYSQL && (int)DB_PG == BW_DB_PG, "db_proto != BW_DB_*");

int dbcapture_new(struct dbcapture **out, const struct dbcapture_opts *o, struct decoder *dec,
		  dbcapture_emit_fn emit, void *ctx)
{
	struct dbcapture *db = calloc(1, sizeof(*db));
	uint32_t nb = 64;

	if (!db)
		return -ENOMEM;
	db->o = *o;
	if (!db->o.max_conns)
		db->o.max_conns = DBCAP_DEFAULT_CONNS;
	while (nb < db->o.max_conns * 2)
		nb <<= 1;
	db->nbuckets = nb;
	db->ids = calloc(nb, sizeof(*db->ids));
	db->tuples = calloc(nb, sizeof(*db->tuples));
	if (!db->ids || !db->tuples) {
		free(db->ids);
		free(db->tuples);
		free(db);
		return -ENOMEM;
	}
	db->dec = dec;
	db->emit = emit;
	db->ctx = ctx;
	db->hold.deadline_ns = (uint64_t)(db->o.hold_ms ? db->o.hold_ms : DBCAP_DEFAULT_HOLD_MS) * 1000000ull;
	db->hold.resume_on_timeout = db->o.hold_resume;
	*out = db;
	return 0;
}

struct dbhold *dbcapture_hold(struct dbcapture *db)
{
	return &db->hold;
}

/* A backend the kernel held (BW_SOCK_HOLD): decided now, or when its statements are classified. */
static void hold_record(struct dbcapture *db, const struct bw_sock_event *r)
{
	struct dbhold_entry e = { 0 };
	struct dbc_conn *cli = r->peer_conn_id ? dbc_conn_find(db, r->peer_conn_id) : NULL;

	/* the kernel's entry is the truth: gone means decided already */
	if (db->hold.ops.lookup && db->hold.ops.lookup(db->hold.ops.ctx, r->hdr.pid, &e))
		return;
	if (!db->hold.ops.lookup)
		e = (struct dbhold_entry){ r->hdr.pid, clock_monotonic_ns(), r->conn_id, r->peer_conn_id,
					   r->offset, r->total };
	dbhold_note(&db->hold, &e, cli && cli->side == BW_SIDE_CLIENT && cli->have_off[0] ?
				       cli->next_off[0] - cli->denied_bytes : 0);
}

struct dbcapture_probes *dbcapture_probes(struct dbcapture *db)
{
	return &db->pr;
}

/* Forgets c: pending messages and verdicts first, then the memory. */
static void conn_close(struct dbcapture *db, struct dbc_conn *c)
{
	db->cur = c;
	if (c->dc)
		dbconn_flush(c->dc, dbc_on_msg, db);
	if (c->dc_tls)
		dbconn_flush(c->dc_tls, dbc_on_msg, db);
	db->cur = NULL;
	if (c->tls_pending)
		dbc_tls_verdict(db, c);
	dbc_conn_forget(db, c);
}

/* The connection of a record, created if it is new (or was evicted: midstream). */
static struct dbc_conn *conn_get(struct dbcapture *db, uint64_t id, uint8_t system, uint8_t side,
				 bool midstream)
{
	struct dbc_conn *c = dbc_conn_find(db, id);

	if (c) {
		dbc_lru_touch(db, c);
		return c;
	}
	if (system != BW_DB_PG && system != BW_DB_MYSQL)
		return NULL;
	while (db->nconns >= db->o.max_conns && db->lru_tail) {
		db->c.evicted++;
		conn_close(db, db->lru_tail);
	}
	return dbc_conn_new(db, id, system, side, midstream);
}

/*
 * The kernel skipped whole plain-read messages between two records
 * (BW_SOCK_F_GAP_WHOLE): one filler message of the same length, header
 * only, keeps the decoder's framing; its body is skipped by length and it
 * makes no event (db->filling).
 */
static void fill(struct dbcapture *db, struct dbc_conn *c, struct dbconn *dc, uint64_t off,
		 uint64_t n)
{
	uint8_t h[5];

	db->filling = true;
	while (n) {
		uint64_t m = n;

		if (c->system == BW_DB_PG) {
			if (m > 0x40000000)
				m = 0x40000000;  /* the decoder's (and server's) largest message */
			if (m < 6)
				break;
			h[0] = 'Q';
			h[1] = (uint8_t)((m - 1) >> 24);
			h[2] = (uint8_t)((m - 1) >> 16);
			h[3] = (uint8_t)((m - 1) >> 8);
			h[4] = (uint8_t)(m - 1);
		} else {
			if (m > 0xfffffe + 4)
				m = 0xfffffe + 4;  /* below the 0xffffff continuation length */
			if (m < 6)
				break;
			h[0] = (uint8_t)(m - 4);
			h[1] = (uint8_t)((m - 4) >> 8);
			h[2] = (uint8_t)((m - 4) >> 16);
			h[3] = 0;  /* sequence 0 */
			h[4] = 3;  /* COM_QUERY */
		}
		dbconn_feed(dc, DB_C2S, off, h, sizeof(h), (size_t)m, dbc_on_msg, db);
		db->c.fills++;
		db->c.fill_bytes += m - sizeof(h);  /* what the decoder counts as lost */
		off += m;
		n -= m;
	}
	db->filling = false;
}

static bool record_ok(const struct bw_sock_event *r, size_t len)
{
	if (len < offsetof(struct bw_sock_event, data) || r->hdr.size > len ||
	    r->hdr.size < offsetof(struct bw_sock_event, data) ||
	    offsetof(struct bw_sock_event, data) + (size_t)r->data_len > r->hdr.size ||
	    r->data_len > BW_DATA_MAX || !r->kind || r->kind > BW_SOCK_DENIED)
		return false;
	if (r->kind == BW_SOCK_CLOSE)
		return true;
	return r->system == BW_DB_PG || r->system == BW_DB_MYSQL;
}

/* A DATA record: the wire stream, or a TLS connection's decrypted one (server side). */
static void data_record(struct dbcapture *db, struct dbc_conn *c, const struct bw_sock_event *r)
{
	int d = (r->arg & BW_SOCK_F_DECRYPTED) && c->side == BW_SIDE_SERVER;
	struct dbconn *dc = d ? c->dc_tls : c->dc;
	struct dbc_conn *cli;

	if (d) {
		db->c.decrypted++;
		if (!dc)
			dc = c->dc_tls = dbconn_new((enum db_proto)c->system, 0);
		if (!dc) {
			db->c.nomem++;
			return;
		}
		/* the server saw this TLS connection's statements in the clear */
		c->server_view = true;
		if ((cli = dbc_client_of(db, c)))
			cli->server_view = true;
	}
	db->cur = c;
	if ((r->arg & BW_SOCK_F_GAP_WHOLE) && c->have_off[d] && r->offset > c->next_off[d])
		fill(db, c, dc, c->next_off[d], r->offset - c->next_off[d]);
	dbconn_feed(dc, DB_C2S, r->offset, r->data, r->data_len, r->total, dbc_on_msg, db);
	db->cur = NULL;
	if (!c->have_off[d] || r->offset + r->total > c->next_off[d])
		c->next_off[d] = r->offset + r->total;
	c->have_off[d] = true;
}

bool dbcapture_owns(const void *data, size_t len)
{
	const struct bw_event_hdr *h = data;

	return len >= sizeof(*h) && (h->type == BW_EV_SOCK_DATA || h->type == BW_EV_SOCK_CLOSE);
}

/* The server-side connection of a QUERY/LOGIN record; untracked sockets get one per thread. */
static struct dbc_conn *server_conn(struct dbcapture *db, const struct bw_sock_event *r)
{
	struct dbc_conn *c, *cli;
	bool orphan = !r->conn_id;

	c = conn_get(db, orphan ? ORPHAN_ID | r->hdr.tid : r->conn_id, r->system, BW_SIDE_SERVER,
		     !orphan && !dbc_conn_find(db, r->conn_id));
	if (!c)
		return NULL;
	if (!orphan)
		dbc_conn_endpoints(db, c, r);
	if (r->peer_conn_id && !c->peer) {
		cli = dbc_conn_find(db, r->peer_conn_id);
		if (cli && cli->side == BW_SIDE_CLIENT)
			dbc_conn_join(c, cli);
	}
	dbc_ident_from_hdr(&c->who, &r->hdr);
	/* a statement uprobe fired for it: its TLS is covered */
	if (r->kind == BW_SOCK_QUERY) {
		c->server_view = true;
		if ((cli = dbc_client_of(db, c)))
			cli->server_view = true;
	}
	return c;
}

/* A statement seen by a server uprobe. */
static void server_statement(struct dbcapture *db, const struct bw_sock_event *r)
{
	struct dbc_conn *c = server_conn(db, r), *cli;
	struct db_msg m = { .kind = DBM_QUERY };

	if (!c)
		return;
	if (dbc_client_reports(db, c)) {
		db->c.server_dups++;
		return;
	}
	cli = dbc_client_of(db, c);
	if (!c->user[0] && cli && cli->user[0])
		memcpy(c->user, cli->user, sizeof(c->user));
	if (!c->db[0] && cli && cli->db[0])
		memcpy(c->db, cli->db, sizeof(c->db));
	if (r->system == BW_DB_MYSQL && r->arg == COM_INIT_DB) {
		m.kind = DBM_INIT_DB;
		snprintf(c->db, sizeof(c->db), "%.*s", (int)r->data_len, r->data);
	}
	if (r->system == BW_DB_MYSQL && r->arg == COM_STMT_PREPARE)
		m.flags |= DBM_F_PREPARED;
	if (r->hdr.flags & BW_F_DATA_TRUNC)
		m.flags |= DBM_F_TRUNC;
	m.user = c->user;
	m.db = c->db;
	m.query = r->data;
	m.query_len = r->data_len;
	m.wire_len = r->total > r->data_len ? r->total : r->data_len;
	sql_result_reset(&db->sr);
	dbc_emit_msg(db, c, dbc_server_who(db, c, &c->who), &m);
	if (m.kind == DBM_QUERY && (db->sr.flags & SQL_R_USE))
		snprintf(c->db, sizeof(c->db), "%s", db->sr.use_db);
}

/* User and database a server backend logged in with (or MySQL's new schema). */
static void server_login(struct dbcapture *db, const struct bw_sock_event *r)
{
	struct dbc_conn *c = server_conn(db, r), *cli;
	const char *user = r->data, *name;
	size_t ulen = strnlen(r->data, r->data_len);

	if (!c)
		return;
	name = ulen < r->data_len ? r->data + ulen + 1 : "";
	if (ulen)
		snprintf(c->user, sizeof(c->user), "%.*s", (int)ulen, user);
	if (name < r->data + r->data_len && *name)
		snprintf(c->db, sizeof(c->db), "%.*s",
			 (int)strnlen(name, (size_t)(r->data + r->data_len - name)), name);
	cli = dbc_client_of(db, c);
	if (!c->connect_emitted && !(cli && cli->connect_emitted)) {
		struct db_msg m = { .kind = DBM_CONNECT, .user = c->user, .db = c->db };

		dbc_emit_msg(db, c, dbc_server_who(db, c, &c->who), &m);
		c->connect_emitted = true;
	}
}

void dbcapture_record(struct dbcapture *db, const void *data, size_t len)
{
	const struct bw_sock_event *r = data;
	struct dbc_conn *c;

	db->c.records++;
	if (!record_ok(r, len)) {
		db->c.bad_records++;
		return;
	}
	db->rec = r;
	switch (r->kind) {
	case BW_SOCK_CONNECT:
	case BW_SOCK_ACCEPT:
		c = conn_get(db, r->conn_id, r->system, r->side, false);
		if (!c)
			break;
		dbc_ident_from_hdr(&c->who, &r->hdr);
		dbc_conn_endpoints(db, c, r);
		if (r->peer_conn_id && !c->peer) {
			struct dbc_conn *cli = dbc_conn_find(db, r->peer_conn_id);

			if (cli && cli->side == BW_SIDE_CLIENT)
				dbc_conn_join(c, cli);
		}
		break;
	case BW_SOCK_DENIED:  /* refused bytes: decoded like sent ones, their events say so */
	case BW_SOCK_DATA:
		c = conn_get(db, r->conn_id, r->system, r->side, !dbc_conn_find(db, r->conn_id));
		if (!c)
			break;
		if (r->peer_conn_id && !c->peer) {
			struct dbc_conn *cli = dbc_conn_find(db, r->peer_conn_id);

			if (cli && cli->side == BW_SIDE_CLIENT)
				dbc_conn_join(c, cli);
		}
		/* the client side is about whoever sent; the server side keeps the client */
		dbc_ident_from_hdr(&c->who, &r->hdr);
		data_record(db, c, r);
		/* its statements are classified: holds on the connection they cleared resume */
		/* refused bytes never reach the server: its offsets lag the client's by them */
		if (r->kind == BW_SOCK_DENIED)
			c->denied_bytes += r->total;
		if (db->hold.on && !(r->arg & BW_SOCK_F_DECRYPTED))
			dbhold_progress(&db->hold, c->id, c->next_off[0] - c->denied_bytes);
		break;
	case BW_SOCK_QUERY:
		server_statement(db, r);
		break;
	case BW_SOCK_LOGIN:
		server_login(db, r);
		break;
	case BW_SOCK_HOLD:
		hold_record(db, r);
		break;
	case BW_SOCK_CLOSE:
		c = dbc_conn_find(db, r->conn_id);
		if (c)
			conn_close(db, c);
		break;
	}
	db->rec = NULL;
}

void dbcapture_tick(struct dbcapture *db, uint64_t now_ns)
{
	uint64_t now = clock_monotonic_ns();
	struct bw_sock_event none;

	memset(&none, 0, offsetof(struct bw_sock_event, data));
	none.hdr.ts_ns = (uint64_t)((int64_t)now_ns - db->dec->boot_to_epoch_ns);
	for (struct dbc_conn *c = db->lru_head; c; c = c->lnext)
		if (c->tls_pending && now >= c->tls_due_ns) {
			db->rec = &none;
			dbc_tls_verdict(db, c);
			db->rec = NULL;
		}
}

void dbcapture_free(struct dbcapture *db)
{
	struct bw_sock_event none;

	if (!db)
		return;
	memset(&none, 0, offsetof(struct bw_sock_event, data));
	db->rec = &none;
	while (db->lru_head)
		conn_close(db, db->lru_head);
	free(db->ids);
	free(db->tuples);
	free(db->ifaddrs);
	free(db);
}

