/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Database capture, user side: --db-* options, records -> db events, status (kernel side: kernel/dbprobes.h). */
#ifndef BULWARK_DBCAPTURE_H
#define BULWARK_DBCAPTURE_H

#include <argp.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/event.h"

struct decoder;
struct jbuf;

#define DBCAP_MAX_ENDPOINTS  32     /* --db-port and --db-socket, each */
#define DBCAP_MAX_BINARIES   16     /* --db-binary */
#define DBCAP_DEFAULT_HOLD_MS 2000
#define DBCAP_DEFAULT_CONNS  4096   /* --db-max-conns */
#define DBCAP_MAX_TARGETS    6      /* entry points looked for in each server binary */
#define DBCAP_MAX_BINS       (DBCAP_MAX_BINARIES * 2)
#define DBCAP_MAX_PROBES     (DBCAP_MAX_BINS * DBCAP_MAX_TARGETS)

/* --db-uprobes */
#define DBCAP_UPROBES_TLS        0  /* the servers' TLS reads: decrypted streams */
#define DBCAP_UPROBES_STATEMENTS 1  /* the servers' statement and login functions */
#define DBCAP_UPROBES_NONE       2  /* none (also --db-binary none) */

struct dbcapture_port {
	uint16_t port;        /* TCP port */
	uint8_t system;       /* BW_DB_* */
};

struct dbcapture_socket {
	const char *path;     /* absolute Unix socket path */
	uint8_t system;       /* BW_DB_* */
};

/* Options of `bulwark run` for database capture (see dbcapture_argp). */
struct dbcapture_opts {
	struct dbcapture_port ports[DBCAP_MAX_ENDPOINTS];     /* --db-port, added to 3306/5432 */
	int nports;
	struct dbcapture_socket sockets[DBCAP_MAX_ENDPOINTS]; /* --db-socket, added to the defaults */
	int nsockets;
	const char *binaries[DBCAP_MAX_BINARIES]; /* --db-binary: servers to probe (replaces the search) */
	int nbinaries;
	int uprobes;          /* --db-uprobes: DBCAP_UPROBES_* */
	bool no_db;           /* --no-db: nothing loaded */
	bool all_statements;  /* --db-all-statements: report plain reads outside sessions too */
	bool client;          /* --db-side: capture in client processes */
	bool server;          /* --db-side: capture in server processes */
	uint32_t max_conns;   /* --db-max-conns: connections tracked in user space (LRU) */
	/* Hold and decide (db/dbhold.h) */
	uint32_t hold_ms;     /* --db-hold-ms: a hold's deadline */
	bool hold_resume;     /* --db-hold-timeout resume: a hold past its deadline resumes */
	bool no_hold;         /* --no-db-hold */
	uint32_t hold_kinds;  /* set by the daemon: kinds kill rules can match (0: hold nothing) */
};

/* argp child for `bulwark run`; its input is a struct dbcapture_opts (defaults set at init). */
extern const struct argp dbcapture_argp;

/* Where decoded database events go: the daemon's handle_event(). */
typedef void (*dbcapture_emit_fn)(void *ctx, struct bw_event *e);

struct dbcapture;

/* A capture context; dec attributes events to processes. 0 or -errno. */
int dbcapture_new(struct dbcapture **out, const struct dbcapture_opts *o, struct decoder *dec,
		  dbcapture_emit_fn emit, void *ctx);
void dbcapture_free(struct dbcapture *db);

/* Endpoints always captured (docs/capture.md): TCP ports; MySQL's Unix sockets (PostgreSQL's match by name). */
extern const struct dbcapture_port dbcapture_default_ports[];
extern const size_t dbcapture_ndefault_ports;
extern const char *const dbcapture_default_sockets[];
extern const size_t dbcapture_ndefault_sockets;

/* A server binary and the entry points found in it (filled by kernel/dbprobes.c). */
struct dbcapture_binary {
	char path[PATH_MAX];      /* resolved path */
	uint8_t system;           /* BW_DB_* of its entry points, 0 if none */
	char sym[DBCAP_MAX_TARGETS][160]; /* exact symbol per target, "" when missing */
	int err;                  /* -errno: unreadable, or -ENOENT: no supported entry point */
};

/* One uprobe (and its uretprobe) on one entry point of one binary, in every process. */
struct dbcapture_probe {
	int bin;                  /* index in binaries */
	int target;               /* index of the entry point: sym[target] of the binary */
	bool ret;                 /* with a uretprobe */
	int err;                  /* -errno of the attach, 0 = attached */
};

/*
 * What the kernel side found and attached: the status lists it, and
 * server_view tells the TLS verdicts whether a server-side view can come.
 */
struct dbcapture_probes {
	struct dbcapture_binary bins[DBCAP_MAX_BINS];
	int nbins;
	struct dbcapture_probe probes[DBCAP_MAX_PROBES];
	int nprobes;
	bool server_view[3];      /* TLS-read or statement uprobes attached, per BW_DB_* */
};

/* The report kernel/dbprobes.c fills at start (all empty until then). */
struct dbcapture_probes *dbcapture_probes(struct dbcapture *db);

/* True for ring-buffer records this module decodes (BW_EV_SOCK_*). */
bool dbcapture_owns(const void *data, size_t len);

/* The hold-and-decide state (db/dbhold.h): the daemon sets its ops and on. */
struct dbhold;
struct dbhold *dbcapture_hold(struct dbcapture *db);

/* Decodes one BW_EV_SOCK_* record; emits zero or more events. */
void dbcapture_record(struct dbcapture *db, const void *data, size_t len);

/* Periodic work (about once a second): overdue TLS verdicts. */
void dbcapture_tick(struct dbcapture *db, uint64_t now_ns);

/* Appends the "db" status object (attachments, counters) to b. */
void dbcapture_status_json(const struct dbcapture *db, struct jbuf *b);

/* Prints the "db" part of a status snapshot for people. */
void dbcapture_status_print(const char *status_json, FILE *out);

/* One line for the ready message: "db capture: 2 uprobes, ports 3306,5432". */
void dbcapture_summary(const struct dbcapture *db, char *buf, size_t n);

#endif /* BULWARK_DBCAPTURE_H */
