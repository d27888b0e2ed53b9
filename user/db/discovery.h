/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Database discovery: the TCP ports and Unix sockets that PostgreSQL, MariaDB and MySQL servers listen on, from /proc. */
#ifndef BULWARK_DISCOVERY_H
#define BULWARK_DISCOVERY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bulwark_abi.h"

struct jbuf;

#define DISC_PATH_MAX BW_UNIX_PATH_MAX  /* sun_path, the kernel's db_paths key */
#define DISC_MAX_ENDPOINTS 4096         /* kept per scan; more are counted, not kept */

/* One listening endpoint of one server. */
struct disc_endpoint {
	uint8_t system;             /* BW_DB_PG or BW_DB_MYSQL */
	char server[16];            /* the process's comm: "postgres", "mariadbd", "mysqld" */
	int pid;                    /* the process holding the listening socket */
	uint16_t port;              /* TCP port, 0 for a Unix socket */
	char path[DISC_PATH_MAX];   /* Unix socket path, "" for TCP */
};

/*
 * When to scan: at start, after an exec of a server binary (the server
 * binds a few seconds to minutes later, so a few rescans with growing
 * gaps), and every DISC_BACKSTOP_S as a backstop for servers whose exec
 * came before the daemon or was not seen.
 */
#define DISC_BACKSTOP_S 60
#define DISC_AFTER_EXEC_SCANS 7     /* at 1, 2, 4 ... 64 s after the exec */

struct discovery {
	char proc[256];             /* "/proc", or a test tree laid out like it */
	struct disc_endpoint *ep;   /* endpoints of the last scan, sorted, unique */
	int n;                      /* entries in ep */
	int dropped;                /* endpoints of the last scan beyond DISC_MAX_ENDPOINTS */
	int servers;                /* server processes seen by the last scan */
	uint64_t scans;             /* scans done */
	uint64_t last_scan_ns;      /* monotonic time of the last scan */
	uint64_t last_cost_ns;      /* how long it took */
	uint64_t next_ns;           /* monotonic time of the next scheduled scan */
	uint64_t exec_ns;           /* the last server exec seen, 0 none */
	int after_exec;             /* rescans after it still to come */
	int err;                    /* -errno of the last scan (/proc unreadable), 0 ok */
};

/* proc_root: "/proc" (NULL) or a tree for tests. 0 or -errno. */
int discovery_init(struct discovery *d, const char *proc_root);
void discovery_free(struct discovery *d);

/* BW_DB_* of a server process name (comm or executable basename), 0 if not a server. */
uint8_t discovery_server_kind(const char *name);

/*
 * Rescans. Returns 1 when the endpoints changed, 0 when not, -errno when
 * the proc tree cannot be read (the old list is kept).
 */
int discovery_scan(struct discovery *d, uint64_t now_ns);

/* An exec of exe (absolute path) was seen: schedules rescans if it is a server. */
void discovery_exec(struct discovery *d, const char *exe, size_t len, uint64_t now_ns);

/* A scan is due at now_ns (monotonic). */
bool discovery_due(const struct discovery *d, uint64_t now_ns);

/* Appends "discovery":{...,"instances":[...]} to a status object. */
void discovery_status_json(const struct discovery *d, struct jbuf *b);

#endif /* BULWARK_DISCOVERY_H */
