/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Database connection streams: reassembly of captured chunks, decoders, events. */
#ifndef BULWARK_DBCONN_H
#define BULWARK_DBCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/event.h"
#include "sql/sql.h"

enum db_proto { DB_MYSQL = 1, DB_PG = 2 };
enum db_dir { DB_C2S = 0, DB_S2C = 1 };

/* Bounds. Every buffer a connection holds is bounded by these. */
#define DB_QUERY_MAX     (64 * 1024) /* statement bytes kept; the rest is skipped by length */
#define DB_NAME_MAX      128         /* user and database names kept, NUL included */
#define DB_REORDER_MAX   8           /* out-of-order chunks held per direction */
#define DB_CHUNK_MAX     (64 * 1024) /* bytes of one chunk held for reordering */

/* dbconn_new() flags */
#define DBCONN_MIDSTREAM (1u << 0)   /* the connection's start was not seen */

enum db_msg_kind {
	DBM_CONNECT = 1, /* handshake/startup (or MySQL COM_CHANGE_USER): user, db */
	DBM_QUERY,       /* a statement: query, query_len */
	DBM_INIT_DB,     /* MySQL COM_INIT_DB: db is the new schema */
	DBM_TLS,         /* the rest of the connection is encrypted; decoding stops */
	DBM_CANCEL,      /* PostgreSQL CancelRequest for backend cancel_pid */
	DBM_LOST,        /* bytes were lost and the framing with them (DBM_F_DESYNC) */
};

/* db_msg.flags */
#define DBM_F_TRUNC       (1u << 0) /* query is a prefix: bytes lost or over DB_QUERY_MAX */
#define DBM_F_PREPARED    (1u << 1) /* from COM_STMT_PREPARE / Parse: runs at execute */
#define DBM_F_MIDSTREAM   (1u << 2) /* state before this is unknown: user/db may be "" */
#define DBM_F_GSS         (1u << 3) /* DBM_TLS: GSSAPI encryption, not TLS */
#define DBM_F_COMPRESSED  (1u << 4) /* DBM_TLS: MySQL compression, not inspected */
#define DBM_F_DESYNC      (1u << 5) /* DBM_LOST: framing lost; looking for a boundary */
#define DBM_F_CHANGE_USER (1u << 6) /* DBM_CONNECT from MySQL COM_CHANGE_USER */
#define DBM_F_MALFORMED   (1u << 7) /* the message did not parse; query holds raw bytes */
#define DBM_F_SSL_REFUSED (1u << 8) /* DBM_CONNECT: TLS was asked for and refused */

/*
 * One decoded message. Pointers are valid only during the callback.
 * user and db are NUL terminated ("" when unknown); query is not.
 */
struct db_msg {
	enum db_msg_kind kind;
	uint32_t flags;          /* DBM_F_* */
	const char *user;        /* database user */
	const char *db;          /* current database (MySQL: schema) */
	const char *query;       /* DBM_QUERY: statement text */
	size_t query_len;        /* bytes at query */
	uint64_t wire_len;       /* DBM_QUERY: bytes of the text on the wire (>= query_len) */
	uint64_t off;            /* stream offset (C2S) where the message started */
	uint64_t lost;           /* DBM_LOST: bytes lost */
	uint32_t cancel_pid;     /* DBM_CANCEL */
};

typedef void (*db_msg_fn)(void *ctx, const struct db_msg *m);

/* Counters of one connection; the daemon sums them for `bulwark status`. */
struct dbconn_stats {
	uint64_t bytes;          /* bytes fed */
	uint64_t msgs;           /* messages framed (all kinds) */
	uint64_t queries;        /* DBM_QUERY emitted */
	uint64_t truncated;      /* of which DBM_F_TRUNC */
	uint64_t gaps;           /* holes in the stream (truncated syscalls, lost chunks) */
	uint64_t bytes_lost;     /* bytes in those holes */
	uint64_t desyncs;        /* times framing was lost */
	uint64_t resyncs;        /* times a boundary was found again */
	uint64_t unsynced_bytes; /* bytes skipped while looking for a boundary */
	uint64_t reordered;      /* chunks that arrived early and were held */
	uint64_t dups;           /* chunks (or parts) that arrived twice or too late */
	uint64_t malformed;      /* messages that did not parse */
	uint64_t opaque_bytes;   /* bytes after TLS/compression, not decoded */
	uint64_t nomem;          /* allocation failures (data dropped, counted as lost) */
};

struct dbconn;

/* A connection; flags DBCONN_*. NULL on allocation failure. */
struct dbconn *dbconn_new(enum db_proto p, uint32_t flags);
void dbconn_free(struct dbconn *c);

/*
 * Feeds one captured chunk: len bytes at data, which were the first bytes
 * of a send/recv of total bytes (len < total when the capture was cut),
 * starting at stream offset off in direction d. Chunks may come in any
 * order within DB_REORDER_MAX; holes are skipped by length where the
 * framing allows, else the decoder looks for the next message boundary.
 * Calls fn for each message, synchronously. Returns 0 or -EINVAL.
 */
int dbconn_feed(struct dbconn *c, enum db_dir d, uint64_t off, const void *data, size_t len,
		size_t total, db_msg_fn fn, void *ctx);

/* Gives up waiting for missing chunks (call on close or after a timeout):
 * whatever is held is decoded, holes counted as lost. */
void dbconn_flush(struct dbconn *c, db_msg_fn fn, void *ctx);

/* False once nothing more in direction d can be decoded or is needed
 * (after TLS; server replies once the handshake is past). */
bool dbconn_wants(const struct dbconn *c, enum db_dir d);

/* True while client-to-server framing is known: not lost (or joined
 * mid-stream and not found yet), not encrypted. */
bool dbconn_synced(const struct dbconn *c);

void dbconn_stats(const struct dbconn *c, struct dbconn_stats *st);

/*
 * Turns a message into an event: evt.type db_query/db_connect/db_tls (or
 * drop for DBM_LOST with DBM_F_DESYNC), db.system, db.user, db.name, and
 * for statements db.query, db.stmt, db.objects, db.has_where,
 * db.destructive, and BW_F_DATA_TRUNC in evt.flags when the text was cut.
 * Fills only those fields; the caller sets the process fields, db.peer and
 * db.side. r is scratch for the classification; strings in e point into m
 * and r. A USE statement updates the connection's db.name.
 * Returns 0, or -ENOENT when the message makes no event.
 */
int dbconn_event(struct dbconn *c, const struct db_msg *m, struct sql_result *r,
		 struct bw_event *e);

#endif /* BULWARK_DBCONN_H */
