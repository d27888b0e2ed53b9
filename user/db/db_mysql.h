/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* MySQL/MariaDB client/server protocol decoder: framing, handshake and commands. */
#ifndef BULWARK_DB_MYSQL_H
#define BULWARK_DB_MYSQL_H

#include <stdbool.h>
#include <stdint.h>
#include "db/db_core.h"
#include "db/dbconn.h"

#define DB_MY_GREETING_MAX 128 /* bytes of the server greeting kept (capabilities sit early) */

/* Decoder state of one connection. */
struct db_mysql {
	uint8_t phase;          /* MY_* in db_mysql.c */
	uint8_t hdr_have;       /* bytes of the 4-byte packet header held */
	uint8_t hdr[4];         /* the header being assembled */
	uint8_t seq;            /* sequence id of the current packet */
	uint8_t cmd;            /* first payload byte of the current message */
	uint8_t want;           /* WANT_* in db_mysql.c: keep, skip or undecided */
	bool in_pkt;            /* inside a payload */
	bool more;              /* current packet is 0xffffff long: the message continues */
	bool msg;               /* a message is open */
	uint32_t left;          /* payload bytes left in the current packet */
	uint64_t msg_off;       /* stream offset of the message's first header */
	uint64_t wire;          /* payload bytes of the message so far */
	uint32_t caps;          /* client capabilities from the handshake response */
	uint32_t server_caps;   /* from the server greeting */
	bool caps_known;        /* the handshake response was seen */
	bool server_seen;       /* the greeting was parsed */
	bool s2c_done;          /* nothing more wanted from the server */
	uint8_t s2c_have;       /* bytes held in s2c_buf */
	uint8_t s2c_buf[4 + DB_MY_GREETING_MAX]; /* greeting header + payload start */
};

void db_mysql_init(struct db_mysql *m, bool midstream);
/* len bytes at stream offset off; aligned when p starts a captured chunk
 * whose syscall moved total bytes (>= len; the rest comes as a gap). */
void db_mysql_feed(struct db_mysql *m, struct db_core *k, enum db_dir d, uint64_t off,
		   const uint8_t *p, size_t len, bool aligned, uint64_t total);
/* n bytes at off were lost. */
void db_mysql_gap(struct db_mysql *m, struct db_core *k, enum db_dir d, uint64_t off, uint64_t n);
bool db_mysql_wants(const struct db_mysql *m, const struct db_core *k, enum db_dir d);
/* Client-to-server framing is known. */
bool db_mysql_synced(const struct db_mysql *m, const struct db_core *k);

#endif /* BULWARK_DB_MYSQL_H */
