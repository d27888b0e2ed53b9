/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* db folder only: the capture context, its connections, and the calls between the dbcapture_*.c files. */
#ifndef BULWARK_DBCAPTURE_INT_H
#define BULWARK_DBCAPTURE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "bulwark_abi.h"
#include "db/dbcapture.h"
#include "db/dbconn.h"
#include "core/event.h"
#include "sql/sql.h"
#include "core/clock.h"
#include "db/dbhold.h"

#define TLS_VERDICT_NS  (2ull * 1000000000ull) /* wait this long for a server-side view */
#define IFADDR_TTL_NS   (10ull * 1000000000ull)
#define ORPHAN_ID       (1ull << 63)           /* server records of untracked sockets: | tid */
#define COM_INIT_DB      2
#define COM_STMT_PREPARE 22

/* Who did something: the header fields of one record. */
struct dbc_ident {
	uint32_t pid, tid, ppid, uid, loginuid, sessionid;
	uint64_t cgroup;
	char comm[BW_COMM_LEN + 1];
};

/* One tracked socket (a connection seen from one side). */
struct dbc_conn {
	uint64_t id;              /* kernel conn_id, or ORPHAN_ID | tid */
	uint8_t system;           /* BW_DB_* */
	uint8_t side;             /* BW_SIDE_* */
	uint8_t family;           /* AF_* */
	bool tls;                 /* the stream went encrypted */
	bool stmts_reported;      /* client: statements were reported from this side */
	bool server_view;         /* the server side saw this connection's statements decrypted */
	bool have_off[2];         /* next_off[] is known */
	uint64_t next_off[2];     /* end of the last chunk fed: [0] the wire, [1] decrypted */
	uint64_t denied_bytes;    /* client: bytes the kernel refused to send (BPF-LSM) */
	struct dbconn *dc_tls;    /* server: decoder of the decrypted stream */
	bool tls_pending;         /* client: db_tls verdict waits for a server-side view */
	bool connect_emitted;     /* a db_connect event went out */
	bool has_tuple;           /* linked in the tuple table */
	uint64_t tls_due_ns;      /* tls_pending: decide at this CLOCK_MONOTONIC time */
	uint64_t tls_ts;          /* tls_pending: record time of the TLS switch */
	uint64_t peer;            /* the other side's conn id, 0 = not joined */
	uint8_t caddr[16], saddr[16]; /* inet: client and server end, IPv6 or v4-mapped */
	uint16_t cport, sport;
	char peer_str[BW_UNIX_PATH_MAX + 16]; /* db.peer: the client end */
	uint32_t peer_len;
	char user[DB_NAME_MAX];   /* database user */
	char db[DB_NAME_MAX];     /* current database */
	struct dbc_ident who;     /* client: last sender; server: the serving thread */
	struct dbconn *dc;        /* stream decoder */
	struct dbc_conn *hnext;   /* id hash chain */
	struct dbc_conn *tnext;   /* tuple hash chain */
	struct dbc_conn *lprev, *lnext; /* LRU list, most recent first */
};

struct dbc_counters {
	uint64_t records;         /* BW_EV_SOCK_* records */
	uint64_t bad_records;     /* malformed: too short, bad lengths, unknown kind */
	uint64_t conns;           /* connections opened (both sides) */
	uint64_t evicted;         /* live connections dropped by the LRU bound */
	uint64_t midstream;       /* data for a connection we no longer knew */
	uint64_t events;          /* events emitted */
	uint64_t server_dups;     /* server-side statements left to the client-side view */
	uint64_t tls;             /* db_tls events */
	uint64_t tls_covered;     /* TLS connections whose statements the server side saw */
	uint64_t nomem;           /* allocations that failed (connection not decoded) */
	uint64_t reads;           /* plain reads outside login sessions, counted not reported */
	uint64_t fills;           /* holes of kernel-skipped reads filled for the decoder */
	uint64_t fill_bytes;      /* bytes in them past the filler headers */
	uint64_t decrypted;       /* decrypted-stream records (TLS read uretprobes) */
};

struct dbcapture {
	struct dbcapture_opts o;
	struct decoder *dec;
	dbcapture_emit_fn emit;
	void *ctx;
	struct dbc_conn **ids;    /* hash on id */
	struct dbc_conn **tuples; /* hash on (client end, server end), inet only */
	uint32_t nbuckets;        /* power of two, for both */
	uint32_t nconns;
	struct dbc_conn *lru_head, *lru_tail;
	struct dbcapture_probes pr; /* what kernel/dbprobes.c found and attached */
	struct dbhold hold;       /* held PostgreSQL backends (Prevention) */
	bool filling;             /* feeding a filler: its message is not an event */
	struct dbconn_stats closed_st; /* dbconn counters of freed connections */
	struct dbc_counters c;
	/* per record */
	struct dbc_conn *cur;     /* connection being fed */
	const struct bw_sock_event *rec;
	struct bw_event ev;       /* the event being built */
	struct sql_result sr;     /* classifier scratch */
	/* local addresses, for "is this TCP endpoint on this host" */
	uint8_t (*ifaddrs)[16];
	int nifaddrs;
	uint64_t ifaddrs_ns;
};

/* ---- dbcapture_conns.c: the connection table (by id and by TCP pair) and its LRU ---- */

struct dbc_conn *dbc_conn_find(struct dbcapture *db, uint64_t id);
/* A new connection, in the table and at the LRU head; NULL (counted) when out of memory. */
struct dbc_conn *dbc_conn_new(struct dbcapture *db, uint64_t id, uint8_t system, uint8_t side,
			      bool midstream);
/* Marks c the most recently active. */
void dbc_lru_touch(struct dbcapture *db, struct dbc_conn *c);
/* Takes c out of the table, keeps its decoders' counters, frees it. */
void dbc_conn_forget(struct dbcapture *db, struct dbc_conn *c);
/* Sets addresses, db.peer and the tuple link from a CONNECT/ACCEPT/QUERY record. */
void dbc_conn_endpoints(struct dbcapture *db, struct dbc_conn *c, const struct bw_sock_event *r);
/* Joins a server-side connection to the client-side one of the same socket pair. */
void dbc_conn_join(struct dbc_conn *srv, struct dbc_conn *cli);
void dbc_ident_from_hdr(struct dbc_ident *w, const struct bw_event_hdr *h);
/* IPv4 as v4-mapped IPv6, so a v4 client and a dual-stack server compare equal. */
void dbc_addr16(uint8_t out[16], uint8_t family, const uint8_t *a);
bool dbc_is_v4mapped(const uint8_t a[16]);
void dbc_stats_add(struct dbconn_stats *a, const struct dbconn_stats *b);

/* ---- dbcapture_emit.c: decoded messages -> events; TLS verdicts ---- */

/* dbconn callback for messages decoded from a captured stream (either side); ctx is the dbcapture. */
void dbc_on_msg(void *ctx, const struct db_msg *m);
/* Turns m into an event of c (dbconn_event) and sends it, unless it is a plain read not reported. */
void dbc_emit_msg(struct dbcapture *db, struct dbc_conn *c, const struct dbc_ident *w,
		  const struct db_msg *m);
/* Decides a pending TLS connection: covered by the server side, or db_tls. */
void dbc_tls_verdict(struct dbcapture *db, struct dbc_conn *c);
/* The client-side connection joined to server-side c, if any. */
struct dbc_conn *dbc_client_of(struct dbcapture *db, struct dbc_conn *c);
/* A local client reports srv's statements itself (the server side stays quiet). */
bool dbc_client_reports(struct dbcapture *db, struct dbc_conn *srv);
/* Who a server-side event is about: the joined client process, else the server thread. */
const struct dbc_ident *dbc_server_who(struct dbcapture *db, struct dbc_conn *srv,
				       struct dbc_ident *thread);

#endif /* BULWARK_DBCAPTURE_INT_H */
