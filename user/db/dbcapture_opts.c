// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The --db-* options of `bulwark run`, and the endpoints captured whatever they say. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bulwark_abi.h"
#include "db/dbcapture.h"

enum {
	OPT_DB_PORT = 0x2100, OPT_DB_SOCKET, OPT_DB_BINARY, OPT_DB_SIDE, OPT_DB_MAX, OPT_NO_DB,
	OPT_DB_ALL, OPT_DB_UPROBES,
};

static const struct argp_option db_options[] = {
	{ "db-port", OPT_DB_PORT, "[pg:|mysql:]PORT", 0,
	  "also capture TCP connections to PORT (5432 postgresql and 3306 mysql always, and "
	  "every port a running server listens on: found by itself); for proxies and forwarded "
	  "ports; repeatable", 0 },
	{ "db-socket", OPT_DB_SOCKET, "[pg:|mysql:]PATH", 0,
	  "also capture connections to this Unix socket (the servers' own sockets are found by "
	  "themselves); repeatable (any .s.PGSQL.<port> is postgresql, other names mysql unless "
	  "prefixed)", 0 },
	{ "db-binary", OPT_DB_BINARY, "PATH|none", 0,
	  "server binary to put query uprobes on (postgres, mariadbd); repeatable; replaces the "
	  "default search; 'none' for no uprobes", 0 },
	{ "db-uprobes", OPT_DB_UPROBES, "tls|statements|none", 0,
	  "server uprobes: on the servers' TLS reads, to decode TLS connections (default); on their "
	  "statement functions, for every connection (costly); or none", 0 },
	{ "db-side", OPT_DB_SIDE, "client|server|both", 0,
	  "capture in client processes, server processes or both (default both)", 0 },
	{ "db-max-conns", OPT_DB_MAX, "N", 0,
	  "database connections tracked in user space; least recently active dropped first "
	  "(default 4096)", 0 },
	{ "db-all-statements", OPT_DB_ALL, NULL, 0,
	  "also report read-only SELECTs of processes outside login sessions (applications, "
	  "clients on other hosts); by default they are only counted", 0 },
	{ "no-db", OPT_NO_DB, NULL, 0, "no database capture at all", 0 },
	{ 0 },
};

/* "pg:", "mysql:" ... prefix: *sys set and the rest returned; NULL prefix leaves sys 0. */
static const char *system_prefix(const char *arg, uint8_t *sys)
{
	static const struct { const char *p; uint8_t sys; } names[] = {
		{ "pg:", BW_DB_PG }, { "postgres:", BW_DB_PG }, { "postgresql:", BW_DB_PG },
		{ "mysql:", BW_DB_MYSQL }, { "mariadb:", BW_DB_MYSQL },
	};

	*sys = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(arg, names[i].p, strlen(names[i].p))) {
			*sys = names[i].sys;
			return arg + strlen(names[i].p);
		}
	return arg;
}

static error_t db_parse(int key, char *arg, struct argp_state *state)
{
	struct dbcapture_opts *o = state->input;
	const char *rest, *base;
	unsigned long v;
	uint8_t sys;
	char *end;

	switch (key) {
	case ARGP_KEY_INIT:
		memset(o, 0, sizeof(*o));
		o->client = o->server = true;
		o->max_conns = DBCAP_DEFAULT_CONNS;
		break;
	case OPT_DB_PORT:
		rest = system_prefix(arg, &sys);
		errno = 0;
		v = strtoul(rest, &end, 10);
		if (errno || *end || !v || v > 65535)
			argp_error(state, "--db-port '%s': need [pg:|mysql:]PORT with PORT 1-65535", arg);
		if (!sys)
			sys = v == 3306 ? BW_DB_MYSQL : v == 5432 ? BW_DB_PG : 0;
		if (!sys)
			argp_error(state, "--db-port '%s': say which server listens there: pg:%lu or "
					  "mysql:%lu", arg, v, v);
		if (o->nports >= DBCAP_MAX_ENDPOINTS)
			argp_error(state, "at most %d --db-port", DBCAP_MAX_ENDPOINTS);
		o->ports[o->nports++] = (struct dbcapture_port){ (uint16_t)v, sys };
		break;
	case OPT_DB_SOCKET:
		rest = system_prefix(arg, &sys);
		if (rest[0] != '/' || strlen(rest) >= BW_UNIX_PATH_MAX)
			argp_error(state, "--db-socket '%s': need an absolute path shorter than %d bytes",
				   arg, BW_UNIX_PATH_MAX);
		if (!sys) {
			base = strrchr(rest, '/') + 1;
			sys = !strncmp(base, ".s.PGSQL.", 9) ? BW_DB_PG : BW_DB_MYSQL;
		}
		if (o->nsockets >= DBCAP_MAX_ENDPOINTS)
			argp_error(state, "at most %d --db-socket", DBCAP_MAX_ENDPOINTS);
		o->sockets[o->nsockets++] = (struct dbcapture_socket){ rest, sys };
		break;
	case OPT_DB_BINARY:
		if (!strcmp(arg, "none")) {
			o->uprobes = DBCAP_UPROBES_NONE;
			break;
		}
		if (o->nbinaries >= DBCAP_MAX_BINARIES)
			argp_error(state, "at most %d --db-binary", DBCAP_MAX_BINARIES);
		o->binaries[o->nbinaries++] = arg;
		break;
	case OPT_DB_SIDE:
		if (!strcmp(arg, "client"))
			o->client = true, o->server = false;
		else if (!strcmp(arg, "server"))
			o->client = false, o->server = true;
		else if (!strcmp(arg, "both"))
			o->client = o->server = true;
		else
			argp_error(state, "--db-side '%s': need client, server or both", arg);
		break;
	case OPT_DB_MAX:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || v < 16 || v > 1000000)
			argp_error(state, "--db-max-conns '%s': need a number from 16 to 1000000", arg);
		o->max_conns = (uint32_t)v;
		break;
	case OPT_NO_DB:
		o->no_db = true;
		break;
	case OPT_DB_ALL:
		o->all_statements = true;
		break;
	case OPT_DB_UPROBES:
		if (!strcmp(arg, "tls"))
			o->uprobes = DBCAP_UPROBES_TLS;
		else if (!strcmp(arg, "statements"))
			o->uprobes = DBCAP_UPROBES_STATEMENTS;
		else if (!strcmp(arg, "none"))
			o->uprobes = DBCAP_UPROBES_NONE;
		else
			argp_error(state, "--db-uprobes '%s': need tls, statements or none", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp dbcapture_argp = { db_options, db_parse, NULL, NULL, NULL, NULL, NULL };

const struct dbcapture_port dbcapture_default_ports[] = { { 5432, BW_DB_PG }, { 3306, BW_DB_MYSQL } };
const size_t dbcapture_ndefault_ports = sizeof(dbcapture_default_ports) / sizeof(dbcapture_default_ports[0]);

/* MySQL/MariaDB sockets of Debian and RHEL; PostgreSQL's are matched by name. */
const char *const dbcapture_default_sockets[] = {
	"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/var/lib/mysql/mysql.sock",
	"/tmp/mysql.sock",
};
const size_t dbcapture_ndefault_sockets =
	sizeof(dbcapture_default_sockets) / sizeof(dbcapture_default_sockets[0]);
