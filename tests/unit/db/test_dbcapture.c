// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* dbcapture: kernel records (built here) -> db events, joins, dedupe, filters, bounds. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bulwark_abi.h"
#include "db/dbcapture.h"
#include "core/decode.h"
#include "core/json.h"
#include "unit.h"

#define MAXEV 32

/* What a test needs of an emitted event, copied (the event's strings are transient). */
struct got {
	char type[32], query[256], user[64], name[64], peer[160], side[16], stmt[32];
	uint64_t pid, sessionid;
	bool destructive;
};

static struct got got[MAXEV];
static int ngot;

static void cp(char *dst, size_t n, const struct bw_str *s)
{
	snprintf(dst, n, "%.*s", s->p ? (int)s->len : 0, s->p ? s->p : "");
}

static void on_event(void *ctx, struct bw_event *e)
{
	struct got *g = &got[ngot < MAXEV ? ngot++ : MAXEV - 1];

	(void)ctx;
	memset(g, 0, sizeof(*g));
	cp(g->type, sizeof(g->type), &e->type_name);
	cp(g->query, sizeof(g->query), &e->db_query);
	cp(g->user, sizeof(g->user), &e->db_user);
	cp(g->name, sizeof(g->name), &e->db_name);
	cp(g->peer, sizeof(g->peer), &e->db_peer);
	cp(g->side, sizeof(g->side), &e->db_side);
	cp(g->stmt, sizeof(g->stmt), &e->db_stmt);
	g->pid = e->pid;
	g->sessionid = e->sessionid;
	g->destructive = e->db_destructive;
}

static struct decoder dec;

static struct dbcapture *cap_new(uint32_t max_conns)
{
	struct dbcapture_opts o = { .client = true, .server = true, .max_conns = max_conns };
	struct dbcapture *db = NULL;

	ngot = 0;
	decode_free(&dec);
	decode_init(&dec);
	if (dbcapture_new(&db, &o, &dec, on_event, NULL))
		return NULL;
	return db;
}

static struct bw_sock_event rec;

/* A record of kind from process pid (session sid); data appended with rec_data(). */
static struct bw_sock_event *rec_new(uint8_t kind, uint64_t conn, uint8_t sys, uint8_t side,
				     uint32_t pid, uint32_t sid)
{
	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = kind == BW_SOCK_CLOSE ? BW_EV_SOCK_CLOSE : BW_EV_SOCK_DATA;
	rec.hdr.pid = rec.hdr.tid = pid;
	rec.hdr.sessionid = sid;
	rec.hdr.loginuid = sid == 4294967295u ? sid : 1000;
	rec.hdr.ts_ns = 1000;
	snprintf(rec.hdr.comm, sizeof(rec.hdr.comm), "%s", side == BW_SIDE_CLIENT ? "psql" : "postgres");
	rec.kind = kind;
	rec.conn_id = conn;
	rec.system = sys;
	rec.side = side;
	rec.owner_pid = pid;
	return &rec;
}

static void rec_data(const void *p, size_t n)
{
	memcpy(rec.data + rec.data_len, p, n);
	rec.data_len += (uint16_t)n;
	rec.total = rec.data_len;
}

static void rec_inet(const char *l, uint16_t lp, const char *r, uint16_t rp)
{
	rec.family = AF_INET;
	inet_pton(AF_INET, l, rec.laddr);
	inet_pton(AF_INET, r, rec.raddr);
	rec.lport = lp;
	rec.rport = rp;
}

static void feed(struct dbcapture *db)
{
	rec.hdr.size = (uint32_t)(offsetof(struct bw_sock_event, data) + rec.data_len);
	dbcapture_record(db, &rec, rec.hdr.size);
}

/* PostgreSQL startup message for user/database. */
static void pg_startup(const char *user, const char *name)
{
	char b[256];
	size_t n = 8;
	uint32_t v;

	n += (size_t)sprintf(b + n, "user%c%s%cdatabase%c%s%c", 0, user, 0, 0, name, 0);
	b[n++] = 0;
	v = htonl((uint32_t)n);
	memcpy(b, &v, 4);
	v = htonl(196608);
	memcpy(b + 4, &v, 4);
	rec_data(b, n);
}

/* PostgreSQL simple query message. */
static void pg_query(const char *q)
{
	char b[1024];
	uint32_t v = htonl((uint32_t)(strlen(q) + 5));

	b[0] = 'Q';
	memcpy(b + 1, &v, 4);
	memcpy(b + 5, q, strlen(q) + 1);
	rec_data(b, strlen(q) + 6);
}

static const struct got *find(const char *type, const char *query)
{
	for (int i = 0; i < ngot; i++)
		if (!strcmp(got[i].type, type) && (!query || !strcmp(got[i].query, query)))
			return &got[i];
	return NULL;
}

static int count(const char *type)
{
	int n = 0;

	for (int i = 0; i < ngot; i++)
		n += !strcmp(got[i].type, type);
	return n;
}

/* Value of "key": in the status JSON. */
static long long status_val(struct dbcapture *db, const char *key)
{
	struct jbuf b = { 0 };
	char pat[64];
	const char *p;
	long long v = -1;

	dbcapture_status_json(db, &b);
	jbuf_putc(&b, 0);
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(b.p, pat);
	if (p)
		v = strtoll(p + strlen(pat), NULL, 10);
	jbuf_free(&b);
	return v;
}

TEST(dbcapture_client_unix_plaintext)
{
	struct dbcapture *db = cap_new(64);
	const struct got *g;
	uint32_t pid = (uint32_t)getpid();
	uint64_t off;

	rec_new(BW_SOCK_CONNECT, 1, BW_DB_PG, BW_SIDE_CLIENT, pid, 77);
	rec.family = AF_UNIX;
	rec_data("/run/postgresql/.s.PGSQL.5432", 29);
	feed(db);
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, pid, 77);
	pg_startup("alice", "shop");
	feed(db);
	off = rec.data_len;
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, pid, 77);
	rec.offset = off;
	pg_query("DROP TABLE t");
	feed(db);
	g = find("db_connect", NULL);
	CHECK(g != NULL);
	if (g) {
		CHECK_STREQ(g->user, "alice");
		CHECK_STREQ(g->name, "shop");
		CHECK_STREQ(g->peer, "unix:/run/postgresql/.s.PGSQL.5432");
		CHECK_STREQ(g->side, "client");
	}
	g = find("db_query", "DROP TABLE t");
	CHECK(g != NULL);
	if (g) {
		CHECK_STREQ(g->stmt, "DROP TABLE");
		CHECK(g->destructive);
		CHECK_EQ(g->sessionid, 77);
		CHECK_EQ(g->pid, pid);
		CHECK_STREQ(g->user, "alice");
	}
	rec_new(BW_SOCK_CLOSE, 1, 0, 0, pid, 77);
	feed(db);
	CHECK_EQ(status_val(db, "conns"), 0);
	dbcapture_free(db);
}

TEST(dbcapture_tls_client_server_statement_attributed)
{
	struct dbcapture *db = cap_new(64);
	static const unsigned char sslreq[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	static const unsigned char hello[8] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01 };
	const struct got *g;

	/* client psql (pid 500, session 9) on a Unix socket, TLS */
	rec_new(BW_SOCK_CONNECT, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	rec.family = AF_UNIX;
	rec_data("/tmp/.s.PGSQL.5432", 18);
	feed(db);
	rec_new(BW_SOCK_ACCEPT, 2, BW_DB_PG, BW_SIDE_SERVER, 600, 4294967295u);
	rec.family = AF_UNIX;
	rec.peer_conn_id = 1;
	rec_data("/tmp/.s.PGSQL.5432", 18);
	feed(db);
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	rec_data(sslreq, sizeof(sslreq));
	rec_data(hello, sizeof(hello));
	feed(db);
	/* the server's uprobe (in its backend) reads the statement after decryption */
	rec_new(BW_SOCK_LOGIN, 2, BW_DB_PG, BW_SIDE_SERVER, 601, 4294967295u);
	rec.peer_conn_id = 1;
	rec_data("alice\0shop\0", 11);
	feed(db);
	rec_new(BW_SOCK_QUERY, 2, BW_DB_PG, BW_SIDE_SERVER, 601, 4294967295u);
	rec.peer_conn_id = 1;
	rec_data("DROP TABLE t", 12);
	feed(db);
	CHECK_EQ(count("db_query"), 1);
	g = find("db_query", "DROP TABLE t");
	CHECK(g != NULL);
	if (g) {
		CHECK_STREQ(g->side, "server");
		CHECK_EQ(g->pid, 500);        /* the client process, not the backend */
		CHECK_EQ(g->sessionid, 9);
		CHECK_STREQ(g->user, "alice"); /* from InitPostgres */
		CHECK_STREQ(g->name, "shop");
		CHECK_STREQ(g->peer, "unix:/tmp/.s.PGSQL.5432");
	}
	dbcapture_free(db);
}

TEST(dbcapture_kernel_skipped_reads_keep_framing)
{
	struct dbcapture *db = cap_new(64);
	uint64_t off;

	rec_new(BW_SOCK_CONNECT, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
	rec.family = AF_UNIX;
	rec_data("/tmp/.s.PGSQL.5432", 18);
	feed(db);
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
	pg_startup("app", "shop");
	feed(db);
	off = rec.data_len;
	/* the kernel skipped 1234 bytes of whole plain reads, then this */
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
	rec.offset = off + 1234;
	rec.arg = BW_SOCK_F_GAP_WHOLE;
	pg_query("DROP TABLE t");
	feed(db);
	CHECK(find("db_query", "DROP TABLE t") != NULL);
	CHECK_EQ(count("db_query"), 1);
	CHECK_EQ(count("drop"), 0);
	CHECK_EQ(status_val(db, "desyncs"), 0);
	CHECK_EQ(status_val(db, "gaps"), 0);
	CHECK_EQ(status_val(db, "skipped_read_runs"), 1);
	/* a hole without the flag is a loss: the decoder resynchronises and says so */
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
	rec.offset = off + 1234 + 18 + 100;
	pg_query("TRUNCATE t");
	feed(db);
	rec_new(BW_SOCK_CLOSE, 1, 0, 0, 500, 4294967295u);
	feed(db);  /* gives up waiting for the missing bytes */
	CHECK_EQ(status_val(db, "gaps"), 1);
	CHECK_EQ(status_val(db, "bytes_lost"), 100);
	dbcapture_free(db);
}

TEST(dbcapture_plaintext_client_server_dup_dropped)
{
	struct dbcapture *db = cap_new(64);

	/* not covered (no probe seen by the kernel), but the server side still reports */
	rec_new(BW_SOCK_CONNECT, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	rec_inet("127.0.0.1", 40000, "127.0.0.1", 5432);
	feed(db);
	rec_new(BW_SOCK_ACCEPT, 2, BW_DB_PG, BW_SIDE_SERVER, 600, 4294967295u);
	rec_inet("127.0.0.1", 5432, "127.0.0.1", 40000);  /* joined by the 4-tuple */
	feed(db);
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	pg_startup("alice", "shop");
	pg_query("TRUNCATE t");
	feed(db);
	rec_new(BW_SOCK_QUERY, 2, BW_DB_PG, BW_SIDE_SERVER, 601, 4294967295u);
	rec_data("TRUNCATE t", 10);
	feed(db);
	CHECK_EQ(count("db_query"), 1);
	CHECK(find("db_query", "TRUNCATE t") && !strcmp(find("db_query", "TRUNCATE t")->side, "client"));
	CHECK_EQ(status_val(db, "server_dups"), 1);
	dbcapture_free(db);
}

TEST(dbcapture_remote_client_server_side)
{
	struct dbcapture *db = cap_new(64);
	const struct got *g;

	rec_new(BW_SOCK_ACCEPT, 7, BW_DB_PG, BW_SIDE_SERVER, 600, 4294967295u);
	rec_inet("10.0.0.1", 5432, "10.9.8.7", 51515);
	feed(db);
	rec_new(BW_SOCK_LOGIN, 7, BW_DB_PG, BW_SIDE_SERVER, 601, 4294967295u);
	rec_data("bob\0prod\0", 9);
	feed(db);
	rec_new(BW_SOCK_QUERY, 7, BW_DB_PG, BW_SIDE_SERVER, 601, 4294967295u);
	rec_data("DELETE FROM orders", 18);
	feed(db);
	g = find("db_connect", NULL);
	CHECK(g && !strcmp(g->user, "bob") && !strcmp(g->name, "prod"));
	g = find("db_query", "DELETE FROM orders");
	CHECK(g != NULL);
	if (g) {
		CHECK_STREQ(g->peer, "10.9.8.7:51515");
		CHECK_STREQ(g->side, "server");
		CHECK_STREQ(g->user, "bob");
		CHECK_STREQ(g->name, "prod");
		CHECK_EQ(g->pid, 601);
		CHECK_EQ(g->sessionid, 4294967295u);
		CHECK(g->destructive);
	}
	dbcapture_free(db);
}

TEST(dbcapture_plain_reads_outside_sessions)
{
	struct dbcapture *db = cap_new(64);
	static const char *const reads[] = {
		"SELECT 1", "  select a FROM t WHERE b = 'x';  ", "SELECT\n*\nFROM t;",
	};
	static const char *const reported[] = {
		"SELECT f(1)", "SELECT 1; DROP TABLE t", "SELECT 1 -- x", "SELECTED", "SELECT/**/1",
		"UPDATE t SET a = 1",
	};
	uint64_t off = 0;

	rec_new(BW_SOCK_CONNECT, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
	rec.family = AF_UNIX;
	rec_data("/tmp/.s.PGSQL.5432", 18);
	feed(db);
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
	pg_startup("app", "shop");
	feed(db);
	off = rec.data_len;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
		rec.offset = off;
		pg_query(reads[i]);
		off += rec.data_len;
		feed(db);
		CHECK(find("db_query", reads[i]) == NULL);
	}
	for (size_t i = 0; i < sizeof(reported) / sizeof(reported[0]); i++) {
		rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 4294967295u);
		rec.offset = off;
		pg_query(reported[i]);
		off += rec.data_len;
		feed(db);
		if (!find("db_query", reported[i]))
			UNIT_FAIL("'%s' was not reported", reported[i]);
	}
	CHECK_EQ(status_val(db, "reads_not_reported"), 3);
	/* the same read from a login session is reported */
	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 5);
	rec.offset = off;
	pg_query("SELECT 2");
	feed(db);
	CHECK(find("db_query", "SELECT 2") != NULL);
	dbcapture_free(db);
}

TEST(dbcapture_tls_without_server_view)
{
	struct dbcapture *db = cap_new(64);
	static const unsigned char sslreq[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
	static const unsigned char hello[8] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01 };
	const struct got *g;

	/* a server on another host: no uprobe can see it, so say so at once */
	rec_new(BW_SOCK_CONNECT, 3, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	rec_inet("10.0.0.2", 40001, "192.0.2.1", 5432);
	feed(db);
	rec_new(BW_SOCK_DATA, 3, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	rec_data(sslreq, sizeof(sslreq));
	feed(db);
	/* the server's 'S' is not captured: the ClientHello that follows tells */
	rec_new(BW_SOCK_DATA, 3, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	rec.offset = 8;
	rec_data(hello, sizeof(hello));
	feed(db);
	g = find("db_tls", NULL);
	CHECK(g != NULL);
	if (g) {
		CHECK_EQ(g->sessionid, 9);
		CHECK_STREQ(g->peer, "10.0.0.2:40001");
	}
	CHECK_EQ(status_val(db, "tls"), 1);
	dbcapture_free(db);
}

TEST(dbcapture_bad_records_counted)
{
	struct dbcapture *db = cap_new(64);

	rec_new(BW_SOCK_DATA, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);
	rec.data_len = 100;
	rec.hdr.size = offsetof(struct bw_sock_event, data) + 10;  /* shorter than data_len */
	dbcapture_record(db, &rec, rec.hdr.size);
	dbcapture_record(db, &rec, 20);                             /* truncated record */
	rec_new(BW_SOCK_DATA, 1, 9, BW_SIDE_CLIENT, 500, 9);        /* unknown system */
	feed(db);
	rec_new(42, 1, BW_DB_PG, BW_SIDE_CLIENT, 500, 9);            /* unknown kind */
	feed(db);
	CHECK_EQ(status_val(db, "bad_records"), 4);
	CHECK_EQ(ngot, 0);
	dbcapture_free(db);
}

TEST(dbcapture_lru_bound)
{
	struct dbcapture *db = cap_new(16);

	for (uint64_t id = 1; id <= 20; id++) {
		rec_new(BW_SOCK_CONNECT, id, BW_DB_MYSQL, BW_SIDE_CLIENT, 500, 9);
		rec.family = AF_UNIX;
		rec_data("/run/mysqld/mysqld.sock", 23);
		feed(db);
	}
	CHECK_EQ(status_val(db, "conns"), 16);
	CHECK_EQ(status_val(db, "evicted"), 4);
	/* data for an evicted connection is decoded midstream, not dropped */
	rec_new(BW_SOCK_DATA, 1, BW_DB_MYSQL, BW_SIDE_CLIENT, 500, 9);
	rec_data("\x0e\x00\x00\x00\x03" "DROP TABLE t2", 18);
	rec.offset = 300;
	feed(db);
	CHECK_EQ(status_val(db, "midstream"), 1);
	dbcapture_free(db);
}

int main(void)
{
	int rc = unit_main();

	decode_free(&dec);
	return rc;
}
