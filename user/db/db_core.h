/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* db folder only: the protocol-independent state of a connection and the helpers every decoder uses. */
#ifndef BULWARK_DB_CORE_H
#define BULWARK_DB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "db/dbconn.h"

/* Bytes of the message being framed, kept up to DB_QUERY_MAX (+ slack). */
struct db_acc {
	char *p;                 /* kept bytes, NULL until needed */
	uint32_t len, cap;       /* used, allocated */
	bool trunc;              /* bytes were lost or over the bound */
	bool frozen;             /* after a hole: keep nothing more */
};

/* The protocol-independent part of a connection, handed to decoders. */
struct db_core {
	char user[DB_NAME_MAX];  /* from the handshake */
	char db[DB_NAME_MAX];    /* current database/schema */
	struct db_acc acc;       /* message being assembled */
	struct dbconn_stats st;  /* counters */
	db_msg_fn fn;            /* set for the duration of a feed */
	void *ctx;
	uint32_t flags;          /* DBCONN_* */
	bool opaque;             /* encrypted or compressed: nothing more to decode */
	bool midstream;          /* state unknown until a handshake is seen */
};

/* Emits m with user/db filled in from k. */
void db_emit(struct db_core *k, struct db_msg *m);
/* Appends to the accumulator, up to cap bytes in all (then trunc). */
void db_acc_put(struct db_core *k, const void *p, size_t n, size_t cap);
void db_acc_reset(struct db_core *k);
/* Copies a name (not NUL terminated, n bytes) into dst[DB_NAME_MAX]. */
void db_set_name(char *dst, const void *p, size_t n);
/*
 * Lost sync: the first position in p (len bytes of a send of total) where
 * chain(p + i, len - i, total - i) finds messages ending exactly where the
 * send ends; len when there is none.
 */
size_t db_resync(struct db_core *k, const uint8_t *p, size_t len, uint64_t total,
		 bool (*chain)(const uint8_t *p, size_t n, uint64_t total));
/* Enters the lost-sync state bookkeeping and emits DBM_LOST once. */
void db_desync(struct db_core *k, uint64_t off, uint64_t lost);

#endif /* BULWARK_DB_CORE_H */
