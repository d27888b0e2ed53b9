/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* PostgreSQL protocol v3 decoder: startup, encryption requests, frontend messages. */
#ifndef BULWARK_DB_PG_H
#define BULWARK_DB_PG_H

#include <stdbool.h>
#include <stdint.h>
#include "db/db_core.h"
#include "db/dbconn.h"

#define DB_PG_NEG_MAX 2 /* encryption requests answered (GSSENCRequest, then SSLRequest) */

/* Decoder state of one connection. */
struct db_pg {
	uint8_t phase;          /* PG_* in db_pg.c */
	uint8_t hdr_have;       /* header bytes held */
	uint8_t hdr[8];         /* startup: length + code; typed: type + length */
	uint8_t type;           /* typed message type, 0 for startup-phase messages */
	uint8_t want;           /* keep the body or skip it */
	bool in_msg;            /* inside a body */
	uint32_t code;          /* startup-phase request code */
	uint32_t left;          /* body bytes left */
	uint64_t msg_off;       /* stream offset of the message */
	uint64_t wire;          /* body bytes so far */
	uint8_t nneg;           /* SSLRequest/GSSENCRequest sent */
	uint8_t neg[DB_PG_NEG_MAX];   /* 'S' SSL or 'G' GSS, per request */
	uint8_t answer[DB_PG_NEG_MAX]; /* the server's one-byte answers, 0 = not seen */
	uint8_t s2c_have;       /* answers seen */
	bool s2c_done;          /* nothing more wanted from the server */
	bool refused;           /* an encryption request was refused */
};

void db_pg_init(struct db_pg *g, bool midstream);
/* As db_mysql_feed(). */
void db_pg_feed(struct db_pg *g, struct db_core *k, enum db_dir d, uint64_t off,
		const uint8_t *p, size_t len, bool aligned, uint64_t total);
void db_pg_gap(struct db_pg *g, struct db_core *k, enum db_dir d, uint64_t off, uint64_t n);
bool db_pg_wants(const struct db_pg *g, const struct db_core *k, enum db_dir d);
/* Client-to-server framing is known. */
bool db_pg_synced(const struct db_pg *g, const struct db_core *k);

#endif /* BULWARK_DB_PG_H */
