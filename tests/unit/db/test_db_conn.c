// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database stream decoding: MySQL and PostgreSQL messages, splits, holes, reordering, events. */
#include <stdlib.h>
#include <string.h>
#include "bulwark_abi.h"
#include "db/dbconn.h"
#include "unit.h"

/* ---- a recorder for decoded messages ------------------------------------- */

#define REC_MAX 64
#define REC_Q   512

struct rec {
	enum db_msg_kind kind;
	uint32_t flags;
	char user[DB_NAME_MAX], db[DB_NAME_MAX];
	char q[REC_Q];           /* query prefix, NUL terminated */
	size_t qlen;             /* full query_len */
	uint64_t wire, lost, off;
	uint32_t pid;
};

struct log {
	int n;
	struct rec r[REC_MAX];
};

static void rec_fn(void *ctx, const struct db_msg *m)
{
	struct log *l = ctx;
	struct rec *r;
	size_t n = m->query_len < REC_Q - 1 ? m->query_len : REC_Q - 1;

	if (l->n >= REC_MAX)
		return;
	r = &l->r[l->n++];
	memset(r, 0, sizeof(*r));
	r->kind = m->kind;
	r->flags = m->flags;
	strcpy(r->user, m->user);
	strcpy(r->db, m->db);
	if (m->query)
		memcpy(r->q, m->query, n);
	r->qlen = m->query_len;
	r->wire = m->wire_len;
	r->lost = m->lost;
	r->off = m->off;
	r->pid = m->cancel_pid;
}

/* A connection with its stream offsets and its log. */
struct t_conn {
	struct dbconn *c;
	uint64_t off[2];
	struct log log;
};

static struct t_conn *t_new(enum db_proto p, uint32_t flags)
{
	struct t_conn *t = calloc(1, sizeof(*t));

	t->c = dbconn_new(p, flags);
	return t;
}

static void t_free(struct t_conn *t)
{
	dbconn_free(t->c);
	free(t);
}

/* One syscall of n bytes of which the kernel copied len. */
static void t_send(struct t_conn *t, enum db_dir d, const void *p, size_t len, size_t total)
{
	dbconn_feed(t->c, d, t->off[d], p, len, total, rec_fn, &t->log);
	t->off[d] += total;
}

static void t_feed(struct t_conn *t, const void *p, size_t n)
{
	t_send(t, DB_C2S, p, n, n);
}

static bool same_logs(const struct log *a, const struct log *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->r[i].kind != b->r[i].kind || a->r[i].flags != b->r[i].flags ||
		    a->r[i].qlen != b->r[i].qlen || strcmp(a->r[i].q, b->r[i].q) ||
		    strcmp(a->r[i].user, b->r[i].user) || strcmp(a->r[i].db, b->r[i].db))
			return false;
	return true;
}

/* Feeds s split at every byte boundary, and one byte at a time; each
 * run must decode like the whole. */
static void check_splits(enum db_proto p, const uint8_t *s, size_t n, const struct log *want)
{
	for (size_t i = 0; i <= n; i++) {
		struct t_conn *t = t_new(p, 0);

		t_feed(t, s, i);
		t_feed(t, s + i, n - i);
		if (!same_logs(&t->log, want))
			UNIT_FAIL("split at %zu of %zu decodes differently (%d msgs, want %d)", i, n,
				  t->log.n, want->n);
		t_free(t);
	}
	struct t_conn *t = t_new(p, 0);

	for (size_t i = 0; i < n; i++)
		t_feed(t, s + i, 1);
	if (!same_logs(&t->log, want))
		UNIT_FAIL("byte-at-a-time decodes differently (%d msgs, want %d)", t->log.n, want->n);
	t_free(t);
}

/* ---- MySQL builders ------------------------------------------------------- */

#define CAPS_41 (0x0200u | 0x8000u | 0x0008u | 0x00080000u) /* PROTOCOL_41 SECURE_CONN CONNECT_WITH_DB PLUGIN_AUTH */
#define CAP_SSL 0x0800u
#define CAP_COMPRESS 0x0020u
#define CAP_QATTR (1u << 27)

static size_t my_pkt(uint8_t *b, uint8_t seq, const void *p, size_t n)
{
	b[0] = n;
	b[1] = n >> 8;
	b[2] = n >> 16;
	b[3] = seq;
	memcpy(b + 4, p, n);
	return 4 + n;
}

static size_t my_cmd(uint8_t *b, uint8_t cmd, const char *s)
{
	uint8_t pl[8192];
	size_t n = strlen(s);

	pl[0] = cmd;
	memcpy(pl + 1, s, n);
	return my_pkt(b, 0, pl, n + 1);
}

static size_t my_handshake(uint8_t *b, uint32_t caps, const char *user, const char *db)
{
	uint8_t pl[512] = { 0 };
	size_t n = 32;

	pl[0] = caps, pl[1] = caps >> 8, pl[2] = caps >> 16, pl[3] = caps >> 24;
	pl[4] = 0xff, pl[5] = 0xff, pl[6] = 0xff; /* max packet */
	pl[8] = 45;                               /* charset */
	strcpy((char *)pl + n, user);
	n += strlen(user) + 1;
	pl[n++] = 20;                             /* auth response: 20 bytes */
	memset(pl + n, 0xab, 20);
	n += 20;
	if (db) {
		strcpy((char *)pl + n, db);
		n += strlen(db) + 1;
	}
	strcpy((char *)pl + n, "mysql_native_password");
	n += strlen("mysql_native_password") + 1;
	return my_pkt(b, 1, pl, n);
}

/* A connection through the handshake, log cleared. */
static struct t_conn *my_open(uint32_t caps)
{
	struct t_conn *t = t_new(DB_MYSQL, 0);
	uint8_t b[512];

	t_feed(t, b, my_handshake(b, caps, "app", "shop"));
	t->log.n = 0;
	return t;
}

TEST(mysql_session)
{
	struct t_conn *t = t_new(DB_MYSQL, 0);
	uint8_t b[4096], auth[21] = { 0 };
	size_t n;

	t_feed(t, b, my_handshake(b, CAPS_41, "alice", "shop"));
	t_feed(t, b, my_pkt(b, 3, auth, sizeof(auth)));    /* auth switch response: seq 3 */
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 1"));
	t_feed(t, b, my_cmd(b, 0x02, "billing"));
	t_feed(t, b, my_cmd(b, 0x16, "DELETE FROM t WHERE id = ?"));
	t_feed(t, b, my_pkt(b, 0, (uint8_t[]){ 0x0e }, 1)); /* COM_PING */
	t_feed(t, b, my_pkt(b, 0, (uint8_t[]){ 0x19, 1, 0, 0, 0 }, 5)); /* COM_STMT_CLOSE */
	n = my_pkt(b, 0, (uint8_t[]){ 0x11, 'b', 'o', 'b', 0, 3, 1, 2, 3, 'h', 'r', 0, 45, 0 }, 14);
	t_feed(t, b, n);                                   /* COM_CHANGE_USER */
	t_feed(t, b, my_cmd(b, 0x03, "DROP TABLE x"));
	t_feed(t, b, my_pkt(b, 0, (uint8_t[]){ 0x01 }, 1)); /* COM_QUIT */

	CHECK_EQ(t->log.n, 6);
	CHECK_EQ(t->log.r[0].kind, DBM_CONNECT);
	CHECK_STREQ(t->log.r[0].user, "alice");
	CHECK_STREQ(t->log.r[0].db, "shop");
	CHECK_EQ(t->log.r[1].kind, DBM_QUERY);
	CHECK_STREQ(t->log.r[1].q, "SELECT 1");
	CHECK_EQ(t->log.r[1].flags, 0);
	CHECK_EQ(t->log.r[2].kind, DBM_INIT_DB);
	CHECK_STREQ(t->log.r[2].db, "billing");
	CHECK_EQ(t->log.r[3].kind, DBM_QUERY);
	CHECK_EQ(t->log.r[3].flags, DBM_F_PREPARED);
	CHECK_STREQ(t->log.r[3].q, "DELETE FROM t WHERE id = ?");
	CHECK_STREQ(t->log.r[3].db, "billing");
	CHECK_EQ(t->log.r[4].kind, DBM_CONNECT);
	CHECK_EQ(t->log.r[4].flags, DBM_F_CHANGE_USER);
	CHECK_STREQ(t->log.r[4].user, "bob");
	CHECK_STREQ(t->log.r[4].db, "hr");
	CHECK_STREQ(t->log.r[5].q, "DROP TABLE x");
	CHECK_STREQ(t->log.r[5].user, "bob");
	CHECK(dbconn_wants(t->c, DB_C2S));
	t_free(t);
}

TEST(mysql_ssl_request)
{
	struct t_conn *t = t_new(DB_MYSQL, 0);
	uint8_t b[512] = { 0 }, pl[32] = { 0 };
	uint32_t caps = CAPS_41 | CAP_SSL;

	pl[0] = caps, pl[1] = caps >> 8, pl[2] = caps >> 16, pl[3] = caps >> 24;
	t_feed(t, b, my_pkt(b, 1, pl, 32));
	t_feed(t, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11); /* ClientHello */
	t_feed(t, b, my_cmd(b, 0x03, "DROP TABLE hidden"));
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_TLS);
	CHECK(!dbconn_wants(t->c, DB_C2S));
	t_free(t);
}

TEST(mysql_compressed)
{
	struct t_conn *t = t_new(DB_MYSQL, 0);
	uint8_t b[512];

	t_feed(t, b, my_handshake(b, CAPS_41 | CAP_COMPRESS, "app", NULL));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].kind, DBM_CONNECT);
	CHECK_EQ(t->log.r[1].kind, DBM_TLS);
	CHECK_EQ(t->log.r[1].flags, DBM_F_COMPRESSED);
	t_free(t);
}

TEST(mysql_splits)
{
	uint8_t s[2048];
	size_t n = 0;
	struct t_conn *t = t_new(DB_MYSQL, 0);

	n += my_handshake(s + n, CAPS_41, "alice", "shop");
	n += my_cmd(s + n, 0x03, "SELECT 1; DROP TABLE t");
	n += my_cmd(s + n, 0x02, "hr");
	n += my_pkt(s + n, 0, (uint8_t[]){ 0x0e }, 1);
	n += my_cmd(s + n, 0x16, "UPDATE t SET a = 1");
	t_feed(t, s, n);
	CHECK_EQ(t->log.n, 4);
	check_splits(DB_MYSQL, s, n, &t->log);
	t_free(t);
}

TEST(mysql_query_attributes)
{
	struct t_conn *t = my_open(CAPS_41 | CAP_QATTR);
	uint8_t b[256], pl[128];
	size_t n = 0;

	/* no attributes: count 0, set count 1 */
	t_feed(t, b, my_pkt(b, 0, "\x03\x00\x01SELECT 1", 11));
	/* one attribute: count 1, sets 1, bitmap, bind flag, type STRING, name "n", value "v" */
	pl[n++] = 0x03;
	memcpy(pl + n, "\x01\x01\x00\x01\xfe\x00\x01n\x01v", 10);
	n += 10;
	memcpy(pl + n, "DROP TABLE a", 12);
	n += 12;
	t_feed(t, b, my_pkt(b, 0, pl, n));
	CHECK_EQ(t->log.n, 2);
	CHECK_STREQ(t->log.r[0].q, "SELECT 1");
	CHECK_STREQ(t->log.r[1].q, "DROP TABLE a");
	CHECK_EQ(t->log.r[1].wire, 12);
	t_free(t);

	/* without the capability the same bytes are text */
	t = my_open(CAPS_41);
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 2"));
	CHECK_STREQ(t->log.r[0].q, "SELECT 2");
	t_free(t);

	/* mid-stream: capabilities unknown, the prefix is recognised */
	t = t_new(DB_MYSQL, DBCONN_MIDSTREAM);
	t_feed(t, b, my_pkt(b, 0, pl, n));
	CHECK_EQ(t->log.n, 1);
	CHECK_STREQ(t->log.r[0].q, "DROP TABLE a");
	CHECK(t->log.r[0].flags & DBM_F_MIDSTREAM);
	CHECK_STREQ(t->log.r[0].user, "");
	t_free(t);
}

/* A COM_QUERY of text_len bytes ("SELECT '" + x... + "'") over 16 MiB packets. */
static uint8_t *my_big_query(size_t text_len, size_t *out)
{
	size_t pl = text_len + 1, n = 0, off = 0;
	uint8_t *payload = malloc(pl), *b = malloc(pl + 4 * (pl / 0xffffff + 2));
	uint8_t seq = 0;

	payload[0] = 0x03;
	memset(payload + 1, 'x', text_len);
	memcpy(payload + 1, "SELECT '", 8);
	payload[pl - 1] = '\'';
	for (;;) {
		size_t chunk = pl - off < 0xffffff ? pl - off : 0xffffff;

		n += my_pkt(b + n, seq++, payload + off, chunk);
		off += chunk;
		if (chunk < 0xffffff)
			break;
	}
	free(payload);
	*out = n;
	return b;
}

TEST(mysql_over_16mib)
{
	size_t n, text = 0xffffff + 100;
	uint8_t *s = my_big_query(text, &n), b[64];
	struct t_conn *t = my_open(CAPS_41);

	CHECK_EQ(n, 4 + 0xffffff + 4 + 101);
	for (size_t i = 0; i < n; i += 4096)
		t_feed(t, s + i, n - i < 4096 ? n - i : 4096);
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 1"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].kind, DBM_QUERY);
	CHECK_EQ(t->log.r[0].qlen, DB_QUERY_MAX);
	CHECK_EQ(t->log.r[0].wire, text);
	CHECK(t->log.r[0].flags & DBM_F_TRUNC);
	CHECK(!strncmp(t->log.r[0].q, "SELECT 'xxx", 11));
	CHECK_STREQ(t->log.r[1].q, "SELECT 1");
	t_free(t);

	/* exactly 0xffffff: a trailing empty packet ends it */
	s = realloc(s, 0);
	s = my_big_query(0xffffff - 1, &n);
	CHECK_EQ(n, 4 + 0xffffff + 4);
	t = my_open(CAPS_41);
	for (size_t i = 0; i < n; i += 65536)
		t_feed(t, s + i, n - i < 65536 ? n - i : 65536);
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 2"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].wire, 0xffffff - 1);
	CHECK_STREQ(t->log.r[1].q, "SELECT 2");
	t_free(t);

	/* as the kernel sends it: one write, 4096 bytes copied */
	t = my_open(CAPS_41);
	t_send(t, DB_C2S, s, 4096, n);
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 3"));
	CHECK_EQ(t->log.n, 3);
	CHECK_EQ(t->log.r[0].qlen, 4096 - 5);
	CHECK(t->log.r[0].flags & DBM_F_TRUNC);
	/* the second packet's header was in the hole: framing lost, then found */
	CHECK_EQ(t->log.r[1].kind, DBM_LOST);
	CHECK_STREQ(t->log.r[2].q, "SELECT 3");
	t_free(t);
	free(s);
}

TEST(mysql_truncated_syscall)
{
	struct t_conn *t = my_open(CAPS_41);
	char q[6000];
	uint8_t b[8192];
	size_t n;

	memset(q, ' ', sizeof(q) - 1);
	q[sizeof(q) - 1] = 0;
	memcpy(q, "DELETE FROM t", 13);
	memcpy(q + 5900, "WHERE id = 1", 12);
	n = my_cmd(b, 0x03, q);
	t_send(t, DB_C2S, b, 4096, n);       /* the kernel copied 4096 of it */
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 1"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].qlen, 4096 - 5);
	CHECK_EQ(t->log.r[0].wire, strlen(q));
	CHECK(t->log.r[0].flags & DBM_F_TRUNC);
	CHECK_STREQ(t->log.r[1].q, "SELECT 1");  /* framing kept through the hole */
	struct dbconn_stats st;

	dbconn_stats(t->c, &st);
	CHECK_EQ(st.gaps, 1);
	CHECK_EQ(st.desyncs, 0);
	t_free(t);
}

TEST(mysql_hostile_lengths)
{
	struct t_conn *t = my_open(CAPS_41);
	uint8_t *junk = malloc(1 << 20), b[64];

	/* a query claiming 16 MiB, then more packets: never finished */
	memset(junk, 'a', 1 << 20);
	junk[0] = 0xff, junk[1] = 0xff, junk[2] = 0xff, junk[3] = 0, junk[4] = 0x03;
	for (int i = 0; i < 8; i++)
		t_feed(t, junk, 1 << 20);
	CHECK_EQ(t->log.n, 0);
	t_free(t);

	/* seq 0 with an invalid command byte: framing is lost, then found */
	t = my_open(CAPS_41);
	t_feed(t, "\x05\x00\x00\x00\x00" "abcd", 9);
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 1"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].kind, DBM_LOST);
	CHECK(t->log.r[0].flags & DBM_F_DESYNC);
	CHECK_STREQ(t->log.r[1].q, "SELECT 1");
	CHECK(dbconn_synced(t->c));
	t_feed(t, "\x05\x00\x00\x00\x00" "abcd", 9);
	CHECK(!dbconn_synced(t->c));
	t_free(t);
	free(junk);
}

TEST(mysql_lost_chunk_and_resync)
{
	struct t_conn *t = my_open(CAPS_41);
	uint8_t b[8192], b2[64];
	size_t n = my_cmd(b, 0x03, "SELECT 'a long statement split over two sends'");

	/* first half arrives, the second half is lost for good */
	t_send(t, DB_C2S, b, 20, 20);
	t->off[DB_C2S] += n - 20;
	/* later sends arrive; the window fills, the hole is skipped */
	for (int i = 0; i < DB_REORDER_MAX + 1; i++)
		t_feed(t, b2, my_cmd(b2, 0x03, "SELECT 9"));
	dbconn_flush(t->c, rec_fn, &t->log);
	CHECK(t->log.n >= 2);
	CHECK_EQ(t->log.r[0].kind, DBM_QUERY); /* the cut statement, reported as such */
	CHECK(t->log.r[0].flags & DBM_F_TRUNC);
	CHECK(!strncmp(t->log.r[0].q, "SELECT 'a long", 14));
	CHECK_EQ(t->log.r[t->log.n - 1].kind, DBM_QUERY);
	CHECK_STREQ(t->log.r[t->log.n - 1].q, "SELECT 9");
	t_free(t);

	/* mid-stream join: the first chunk is a command */
	t = t_new(DB_MYSQL, DBCONN_MIDSTREAM);
	dbconn_feed(t->c, DB_C2S, 123456, b2, my_cmd(b2, 0x03, "DROP TABLE z"), 13 + 4, rec_fn, &t->log);
	CHECK_EQ(t->log.n, 1);
	CHECK_STREQ(t->log.r[0].q, "DROP TABLE z");
	CHECK(t->log.r[0].flags & DBM_F_MIDSTREAM);
	t_free(t);

	/* mid-stream join inside a statement: nothing until a boundary */
	t = t_new(DB_MYSQL, DBCONN_MIDSTREAM);
	dbconn_feed(t->c, DB_C2S, 5000, "'abc', 'def'), (1, 2)", 21, 21, rec_fn, &t->log);
	n = my_cmd(b2, 0x03, "SELECT 4");
	dbconn_feed(t->c, DB_C2S, 5021, b2, n, n, rec_fn, &t->log);
	CHECK_EQ(t->log.n, 1);
	CHECK_STREQ(t->log.r[0].q, "SELECT 4");
	t_free(t);
}

TEST(mysql_handshake_in_a_hole)
{
	struct t_conn *t = t_new(DB_MYSQL, 0);
	uint8_t b[512];
	size_t n = my_handshake(b, CAPS_41, "alice", "shop");

	t_send(t, DB_C2S, b, 4, n); /* only the header was copied */
	t_feed(t, b, my_cmd(b, 0x03, "DROP TABLE t"));
	CHECK_EQ(t->log.n, 1);
	CHECK_STREQ(t->log.r[0].q, "DROP TABLE t");
	CHECK_STREQ(t->log.r[0].user, "");
	t_free(t);
}

TEST(mysql_reorder)
{
	uint8_t s[1024];
	size_t n = 0, cut[4];
	struct t_conn *t = t_new(DB_MYSQL, 0), *u;

	n += my_handshake(s + n, CAPS_41, "alice", "shop");
	cut[0] = n;
	n += my_cmd(s + n, 0x03, "SELECT 1");
	cut[1] = n;
	n += my_cmd(s + n, 0x03, "TRUNCATE t");
	cut[2] = n;
	n += my_cmd(s + n, 0x03, "SELECT 3");
	cut[3] = n;
	t_feed(t, s, n);
	/* chunks 3, 1, 0, 2 */
	u = t_new(DB_MYSQL, 0);
	dbconn_feed(u->c, DB_C2S, cut[2], s + cut[2], cut[3] - cut[2], cut[3] - cut[2], rec_fn, &u->log);
	dbconn_feed(u->c, DB_C2S, cut[0], s + cut[0], cut[1] - cut[0], cut[1] - cut[0], rec_fn, &u->log);
	CHECK_EQ(u->log.n, 0);
	dbconn_feed(u->c, DB_C2S, 0, s, cut[0], cut[0], rec_fn, &u->log);
	CHECK_EQ(u->log.n, 2);
	dbconn_feed(u->c, DB_C2S, cut[1], s + cut[1], cut[2] - cut[1], cut[2] - cut[1], rec_fn, &u->log);
	CHECK(same_logs(&t->log, &u->log));
	/* a duplicate is ignored */
	dbconn_feed(u->c, DB_C2S, cut[0], s + cut[0], cut[1] - cut[0], cut[1] - cut[0], rec_fn, &u->log);
	CHECK(same_logs(&t->log, &u->log));
	t_free(t);
	t_free(u);
}

TEST(mysql_server_greeting)
{
	struct t_conn *t = t_new(DB_MYSQL, 0);
	uint8_t g[128] = { 10 }, b[256];
	size_t n = 1;
	uint32_t caps = 0xf7fe & ~CAP_COMPRESS;

	memcpy(g + n, "5.5.5-10.11.6-MariaDB", 22);
	n += 22 + 4 + 8 + 1;
	g[n++] = caps, g[n++] = caps >> 8, g[n++] = 45, g[n++] = 2, g[n++] = 0;
	g[n++] = 0x81, g[n++] = 0x01; /* upper caps: no compression, no attributes */
	n += 11;
	CHECK(dbconn_wants(t->c, DB_S2C));
	t_send(t, DB_S2C, b, my_pkt(b, 0, g, n), my_pkt(b, 0, g, n));
	CHECK(!dbconn_wants(t->c, DB_S2C));
	/* the client asks for compression the server does not have: plain */
	t_feed(t, b, my_handshake(b, CAPS_41 | CAP_COMPRESS, "app", NULL));
	t_feed(t, b, my_cmd(b, 0x03, "SELECT 1"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[1].kind, DBM_QUERY);
	t_free(t);
}

/* ---- PostgreSQL builders -------------------------------------------------- */

static size_t pg_msg(uint8_t *b, char type, const void *p, size_t n)
{
	uint32_t len = n + 4;

	b[0] = type;
	b[1] = len >> 24, b[2] = len >> 16, b[3] = len >> 8, b[4] = len;
	if (n)
		memcpy(b + 5, p, n);
	return 5 + n;
}

static size_t pg_query(uint8_t *b, const char *q)
{
	return pg_msg(b, 'Q', q, strlen(q) + 1);
}

static size_t pg_untyped(uint8_t *b, uint32_t code, const void *p, size_t n)
{
	uint32_t len = n + 8;

	b[0] = len >> 24, b[1] = len >> 16, b[2] = len >> 8, b[3] = len;
	b[4] = code >> 24, b[5] = code >> 16, b[6] = code >> 8, b[7] = code;
	if (n)
		memcpy(b + 8, p, n);
	return 8 + n;
}

static size_t pg_startup(uint8_t *b, const char *user, const char *db)
{
	char p[256];
	size_t n = 0;

	n += sprintf(p + n, "user") + 1;
	n += sprintf(p + n, "%s", user) + 1;
	if (db) {
		n += sprintf(p + n, "database") + 1;
		n += sprintf(p + n, "%s", db) + 1;
	}
	n += sprintf(p + n, "application_name") + 1;
	n += sprintf(p + n, "psql") + 1;
	p[n++] = 0;
	return pg_untyped(b, 196608, p, n);
}

/* Parse/Bind/Describe/Execute/Sync as libpq pipelines them. */
static size_t pg_extended(uint8_t *b, const char *q)
{
	uint8_t p[1024];
	size_t n = 0, k = 0;

	k = 0;
	p[k++] = 0;                      /* unnamed statement */
	memcpy(p + k, q, strlen(q) + 1);
	k += strlen(q) + 1;
	p[k++] = 0, p[k++] = 0;          /* no parameter types */
	n += pg_msg(b + n, 'P', p, k);
	n += pg_msg(b + n, 'B', "\0\0\0\0\0\0\0\0", 8);
	n += pg_msg(b + n, 'D', "P\0", 2);
	n += pg_msg(b + n, 'E', "\0\0\0\0\0", 5);
	n += pg_msg(b + n, 'S', NULL, 0);
	return n;
}

static struct t_conn *pg_open(void)
{
	struct t_conn *t = t_new(DB_PG, 0);
	uint8_t b[512];

	t_feed(t, b, pg_startup(b, "app", "shop"));
	t->log.n = 0;
	return t;
}

TEST(pg_session)
{
	struct t_conn *t = t_new(DB_PG, 0);
	uint8_t b[2048];

	t_feed(t, b, pg_startup(b, "alice", "shop"));
	t_feed(t, b, pg_msg(b, 'p', "secret\0", 7));  /* password: framed past, not kept */
	t_feed(t, b, pg_query(b, "SELECT 1"));
	t_feed(t, b, pg_extended(b, "DELETE FROM t WHERE id = $1"));
	t_feed(t, b, pg_msg(b, 'H', NULL, 0));
	t_feed(t, b, pg_msg(b, 'F', "\0\0\0\1\0\0\0\0\0\0", 10));
	t_feed(t, b, pg_msg(b, 'd', "1\t2\n", 4));
	t_feed(t, b, pg_msg(b, 'c', NULL, 0));
	t_feed(t, b, pg_msg(b, 'f', "no\0", 3));
	t_feed(t, b, pg_msg(b, 'C', "S\0", 2));
	t_feed(t, b, pg_query(b, "DROP TABLE t"));
	t_feed(t, b, pg_msg(b, 'X', NULL, 0));
	CHECK_EQ(t->log.n, 4);
	CHECK_EQ(t->log.r[0].kind, DBM_CONNECT);
	CHECK_STREQ(t->log.r[0].user, "alice");
	CHECK_STREQ(t->log.r[0].db, "shop");
	CHECK_STREQ(t->log.r[1].q, "SELECT 1");
	CHECK_EQ(t->log.r[1].flags, 0);
	CHECK_STREQ(t->log.r[2].q, "DELETE FROM t WHERE id = $1");
	CHECK_EQ(t->log.r[2].flags, DBM_F_PREPARED);
	CHECK_STREQ(t->log.r[3].q, "DROP TABLE t");
	CHECK(!dbconn_wants(t->c, DB_S2C));
	t_free(t);

	/* no database parameter: the server uses the user name */
	t = t_new(DB_PG, 0);
	t_feed(t, b, pg_startup(b, "bob", NULL));
	CHECK_STREQ(t->log.r[0].db, "bob");
	t_free(t);
}

TEST(pg_encryption_requests)
{
	uint8_t b[512], req[8];
	const char hello[] = "\x16\x03\x01\x00\xf4\x01\x00\x00\xf0\x03\x03";
	struct t_conn *t;

	pg_untyped(req, 80877103, NULL, 0);
	/* SSLRequest, server says 'S' */
	t = t_new(DB_PG, 0);
	t_feed(t, req, 8);
	t_send(t, DB_S2C, "S", 1, 1);
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_TLS);
	CHECK(!dbconn_wants(t->c, DB_C2S));
	t_free(t);
	/* SSLRequest, server side unseen: the ClientHello tells */
	t = t_new(DB_PG, 0);
	t_feed(t, req, 8);
	t_feed(t, hello, sizeof(hello) - 1);
	t_feed(t, b, pg_query(b, "DROP TABLE hidden"));
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_TLS);
	t_free(t);
	/* SSLRequest refused: startup in the clear */
	t = t_new(DB_PG, 0);
	t_feed(t, req, 8);
	t_send(t, DB_S2C, "N", 1, 1);
	t_feed(t, b, pg_startup(b, "alice", "shop"));
	t_feed(t, b, pg_query(b, "SELECT 1"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].kind, DBM_CONNECT);
	CHECK_EQ(t->log.r[0].flags, DBM_F_SSL_REFUSED);
	CHECK_STREQ(t->log.r[1].q, "SELECT 1");
	t_free(t);
	/* refused, server side unseen */
	t = t_new(DB_PG, 0);
	t_feed(t, req, 8);
	t_feed(t, b, pg_startup(b, "alice", "shop"));
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_CONNECT);
	t_free(t);
	/* GSSENCRequest refused, then SSLRequest accepted */
	t = t_new(DB_PG, 0);
	t_feed(t, b, pg_untyped(b, 80877104, NULL, 0));
	t_send(t, DB_S2C, "N", 1, 1);
	t_feed(t, req, 8);
	t_send(t, DB_S2C, "S", 1, 1);
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_TLS);
	CHECK_EQ(t->log.r[0].flags, 0);
	t_free(t);
	/* GSSENCRequest accepted, server side unseen: the GSS token tells */
	t = t_new(DB_PG, 0);
	t_feed(t, b, pg_untyped(b, 80877104, NULL, 0));
	t_feed(t, "\x00\x00\x02\x10\x60\x82\x02\x0c\x06\x09", 10);
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_TLS);
	CHECK_EQ(t->log.r[0].flags, DBM_F_GSS);
	t_free(t);
	/* direct TLS, no request */
	t = t_new(DB_PG, 0);
	t_feed(t, hello, sizeof(hello) - 1);
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_TLS);
	t_free(t);
}

TEST(pg_cancel)
{
	struct t_conn *t = t_new(DB_PG, 0);
	uint8_t b[64];

	t_feed(t, b, pg_untyped(b, 80877102, "\x00\x00\x30\x39\x01\x02\x03\x04", 8));
	CHECK_EQ(t->log.n, 1);
	CHECK_EQ(t->log.r[0].kind, DBM_CANCEL);
	CHECK_EQ(t->log.r[0].pid, 12345);
	t_free(t);
}

TEST(pg_splits)
{
	uint8_t s[2048];
	size_t n = 0;
	struct t_conn *t = t_new(DB_PG, 0);

	n += pg_untyped(s + n, 80877103, NULL, 0);
	n += pg_startup(s + n, "alice", "shop");
	n += pg_msg(s + n, 'p', "pw\0", 3);
	n += pg_query(s + n, "SELECT 1; DROP TABLE t");
	n += pg_extended(s + n, "UPDATE t SET a = 1");
	n += pg_query(s + n, "BEGIN");
	t_feed(t, s, n);
	CHECK_EQ(t->log.n, 4);
	check_splits(DB_PG, s, n, &t->log);
	t_free(t);
}

TEST(pg_hostile_and_holes)
{
	struct t_conn *t = pg_open();
	uint8_t b[8192];
	char q[6000];
	size_t n;

	/* 2 GiB claimed: framing lost at once, found again at the next send */
	t_feed(t, "Q\x7f\xff\xff\xff" "DROP", 9);
	t_feed(t, b, pg_query(b, "SELECT 1"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].kind, DBM_LOST);
	CHECK_STREQ(t->log.r[1].q, "SELECT 1");
	t->log.n = 0;
	/* 1 GiB claimed (the server's limit): kept up to the bound, skipped by length */
	t_feed(t, "Q\x40\x00\x00\x00" "DELETE FROM t", 18);
	CHECK_EQ(t->log.n, 0);
	t_free(t);

	/* a send cut by the capture bound: prefix reported, framing kept */
	t = pg_open();
	memset(q, 'x', sizeof(q) - 1);
	q[sizeof(q) - 1] = 0;
	memcpy(q, "UPDATE t SET a = '", 18);
	n = pg_query(b, q);
	t_send(t, DB_C2S, b, 4096, n);
	t_feed(t, b, pg_query(b, "SELECT 2"));
	CHECK_EQ(t->log.n, 2);
	CHECK_EQ(t->log.r[0].qlen, 4096 - 5);
	CHECK(t->log.r[0].flags & DBM_F_TRUNC);
	CHECK_STREQ(t->log.r[1].q, "SELECT 2");
	t_free(t);

	/* a pipelined send cut inside its second message: framing lost */
	t = pg_open();
	n = pg_query(b, "SELECT 1");
	n += pg_query(b + n, q);
	n += pg_query(b + n, "DROP TABLE lost");
	t_send(t, DB_C2S, b, 4096, n);
	n = pg_extended(b, "SELECT 5");
	t_feed(t, b, n);
	CHECK_EQ(t->log.n, 4);
	CHECK_STREQ(t->log.r[0].q, "SELECT 1");
	CHECK(t->log.r[1].flags & DBM_F_TRUNC);
	CHECK_EQ(t->log.r[2].kind, DBM_LOST);
	CHECK_STREQ(t->log.r[3].q, "SELECT 5");
	t_free(t);

	/* joined mid-stream inside a message */
	t = t_new(DB_PG, DBCONN_MIDSTREAM);
	dbconn_feed(t->c, DB_C2S, 7777, "xx'); SELECT", 12, 12, rec_fn, &t->log);
	n = pg_extended(b, "TRUNCATE t");
	dbconn_feed(t->c, DB_C2S, 7789, b, n, n, rec_fn, &t->log);
	CHECK_EQ(t->log.n, 1);
	CHECK_STREQ(t->log.r[0].q, "TRUNCATE t");
	CHECK(t->log.r[0].flags & DBM_F_MIDSTREAM);
	t_free(t);
}

/* ---- events --------------------------------------------------------------- */

struct ev_ctx {
	struct dbconn *c;
	int n;
	struct bw_event e[8];
	struct sql_result r[8];
	char q[8][128];
	char db[8][DB_NAME_MAX];
};

static void ev_fn(void *ctx, const struct db_msg *m)
{
	struct ev_ctx *x = ctx;
	struct bw_event *e = &x->e[x->n];

	if (x->n >= 8)
		return;
	event_reset(e);
	if (dbconn_event(x->c, m, &x->r[x->n], e))
		return;
	/* strings point into the message: copy what the test reads */
	if (e->db_query.p) {
		snprintf(x->q[x->n], sizeof(x->q[0]), "%.*s", (int)e->db_query.len, e->db_query.p);
		e->db_query.p = x->q[x->n];
	}
	if (e->db_name.p) {
		memcpy(x->db[x->n], e->db_name.p, e->db_name.len);
		e->db_name.p = x->db[x->n];
	}
	x->n++;
}

static bool str_is(struct bw_str s, const char *want)
{
	return s.len == strlen(want) && !memcmp(s.p, want, s.len);
}

TEST(db_events)
{
	struct ev_ctx x = { .c = dbconn_new(DB_MYSQL, 0) };
	uint8_t b[8192];
	char q[5000];
	size_t n;

	n = my_handshake(b, CAPS_41, "alice", "shop");
	dbconn_feed(x.c, DB_C2S, 0, b, n, n, ev_fn, &x);
	uint64_t off = n;

	n = my_cmd(b, 0x03, "USE billing; DROP TABLE invoices");
	dbconn_feed(x.c, DB_C2S, off, b, n, n, ev_fn, &x);
	off += n;
	memset(q, ' ', sizeof(q) - 1);
	q[sizeof(q) - 1] = 0;
	memcpy(q, "DELETE FROM t", 13);
	n = my_cmd(b, 0x03, q);
	dbconn_feed(x.c, DB_C2S, off, b, 4096, n, ev_fn, &x);
	off += n;
	n = my_cmd(b, 0x02, "hr");
	dbconn_feed(x.c, DB_C2S, off, b, n, n, ev_fn, &x);

	CHECK_EQ(x.n, 4);
	CHECK_EQ(x.e[0].type, BW_EVT_DB_CONNECT);
	CHECK(str_is(x.e[0].type_name, "db_connect"));
	CHECK(str_is(x.e[0].db_system, "mysql"));
	CHECK(str_is(x.e[0].db_user, "alice"));
	CHECK(event_has(&x.e[0], FLD_DB_USER));
	CHECK(!event_has(&x.e[0], FLD_DB_STMT));
	CHECK_EQ(x.e[1].type, BW_EVT_DB_QUERY);
	CHECK(str_is(x.e[1].db_stmt, "DROP TABLE"));
	CHECK(str_is(x.e[1].db_objects, "invoices"));
	CHECK(str_is(x.e[1].db_name, "billing"));
	CHECK(x.e[1].db_destructive);
	CHECK(event_has(&x.e[1], FLD_DB_DESTRUCTIVE));
	CHECK(str_is(x.e[1].db_query, "USE billing; DROP TABLE invoices"));
	CHECK(str_is(x.e[2].db_stmt, "DELETE"));
	CHECK(x.e[2].db_destructive);           /* no WHERE in what was seen */
	CHECK(!x.e[2].db_has_where);
	CHECK(x.e[2].flags & BW_F_DATA_TRUNC);
	CHECK(event_has(&x.e[2], FLD_EVT_FLAGS));
	CHECK(str_is(x.e[3].db_stmt, "USE"));
	CHECK(str_is(x.e[3].db_objects, "hr"));
	CHECK(str_is(x.e[3].db_name, "hr"));
	dbconn_free(x.c);

	/* PostgreSQL: TLS and lost sync */
	memset(&x, 0, sizeof(x));
	x.c = dbconn_new(DB_PG, 0);
	n = pg_untyped(b, 80877103, NULL, 0);
	dbconn_feed(x.c, DB_C2S, 0, b, n, n, ev_fn, &x);
	dbconn_feed(x.c, DB_S2C, 0, "S", 1, 1, ev_fn, &x);
	CHECK_EQ(x.n, 1);
	CHECK_EQ(x.e[0].type, BW_EVT_DB_TLS);
	CHECK(str_is(x.e[0].db_system, "postgresql"));
	dbconn_free(x.c);

	memset(&x, 0, sizeof(x));
	x.c = dbconn_new(DB_PG, 0);
	n = pg_startup(b, "u", "d");
	dbconn_feed(x.c, DB_C2S, 0, b, n, n, ev_fn, &x);
	dbconn_feed(x.c, DB_C2S, n, "Z\0\0\0\4", 5, 5, ev_fn, &x);
	CHECK_EQ(x.n, 2);
	CHECK_EQ(x.e[1].type, BW_EVT_DROP);
	CHECK(event_has(&x.e[1], FLD_DROP_REASON));
	dbconn_free(x.c);
}

int main(void)
{
	return unit_main();
}
