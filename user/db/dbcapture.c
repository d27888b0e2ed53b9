// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database capture, user side: endpoints and uprobes in, BW_EV_SOCK_* records out as db events. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <ifaddrs.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bulwark_abi.h"
#include "db/dbcapture.h"
#include "db/dbconn.h"
#include "core/decode.h"
#include "core/json.h"
#include "sql/sql.h"

_Static_assert(offsetof(struct bw_sock_event, conn_id) == 72, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, kind) == 104, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, laddr) == 112, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, owner_pid) == 144, "bw_sock_event layout changed");
_Static_assert(offsetof(struct bw_sock_event, data) == 152, "bw_sock_event layout changed");
_Static_assert(sizeof(struct bw_sock_event) == 152 + BW_DATA_MAX, "bw_sock_event layout changed");
_Static_assert((int)DB_MYSQL == BW_DB_MYSQL && (int)DB_PG == BW_DB_PG, "db_proto != BW_DB_*");

#define TLS_VERDICT_NS  (2ull * 1000000000ull) /* wait this long for a server-side view */
#define IFADDR_TTL_NS   (10ull * 1000000000ull)
#define ORPHAN_ID       (1ull << 63)           /* server records of untracked sockets: | tid */
#define COM_INIT_DB      2
#define COM_STMT_PREPARE 22

/* Kernel-side config (bpf/db.bpf.c struct db_config). */
struct db_config_u {
	uint32_t match_pgsql;
	uint32_t report_reads;
};

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

#define NTARGETS_MAX 6

/* A server binary and the entry points found in it. */
struct dbc_binary {
	char path[PATH_MAX];      /* resolved path */
	dev_t dev;                /* its file, to match /proc/PID/exe */
	ino_t ino;
	uint8_t system;           /* BW_DB_* of its entry points, 0 if none */
	char sym[NTARGETS_MAX][160]; /* exact symbol per target, "" when missing */
	size_t off[NTARGETS_MAX]; /* its file offset */
	int err;                  /* -errno: unreadable, or -ENOENT: no supported entry point */
};

/* One uprobe (and its uretprobe) on one entry point of one binary, in every process. */
struct dbc_probe {
	int bin;                  /* index in binaries */
	int target;               /* index in targets */
	int err;                  /* -errno of the attach, 0 = attached */
	struct bpf_link *link;    /* the uprobe */
	struct bpf_link *retlink; /* the uretprobe, when the target has one */
};

#define DBC_MAX_BINS   (DBCAP_MAX_BINARIES * 2)
#define DBC_MAX_PROBES (DBC_MAX_BINS * NTARGETS_MAX)

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
	struct bpf_object *obj;   /* for attaching uprobes later */
	struct dbc_binary bins[DBC_MAX_BINS];
	int nbins;
	struct dbc_probe probes[DBC_MAX_PROBES];
	int nprobes;
	bool server_view[3];      /* TLS-read or statement uprobes attached, per BW_DB_* */
	bool filling;             /* feeding a filler: its message is not an event */
	bool started;             /* maps filled */
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

/* ---- options ------------------------------------------------------------ */

enum {
	OPT_DB_PORT = 0x2100, OPT_DB_SOCKET, OPT_DB_BINARY, OPT_DB_SIDE, OPT_DB_MAX, OPT_NO_DB,
	OPT_DB_ALL, OPT_DB_UPROBES,
};

static const struct argp_option db_options[] = {
	{ "db-port", OPT_DB_PORT, "[pg:|mysql:]PORT", 0,
	  "also capture TCP connections to PORT (5432 postgresql and 3306 mysql always); "
	  "repeatable", 0 },
	{ "db-socket", OPT_DB_SOCKET, "[pg:|mysql:]PATH", 0,
	  "also capture connections to this Unix socket; repeatable (any .s.PGSQL.<port> is "
	  "postgresql, other names mysql unless prefixed)", 0 },
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

static const uint16_t default_ports[][2] = { { 5432, BW_DB_PG }, { 3306, BW_DB_MYSQL } };

/* MySQL/MariaDB sockets of Debian and RHEL; PostgreSQL's are matched by name. */
static const char *const default_sockets[] = {
	"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/var/lib/mysql/mysql.sock",
	"/tmp/mysql.sock",
};

/* Where server binaries live when no --db-binary is given. */
static const char *const default_binaries[] = {
	"/usr/lib/postgresql/*/bin/postgres", "/usr/pgsql-*/bin/postgres",
	"/usr/local/pgsql/bin/postgres", "/usr/sbin/mariadbd", "/usr/sbin/mysqld",
	"/usr/libexec/mysqld", "/usr/libexec/mariadbd",
};

/*
 * Entry points in the server binaries.
 *
 * TLS reads (--db-uprobes tls, the default): be_tls_read and vio_ssl_read
 * return what a TLS connection's client sent, decrypted. Only TLS
 * connections call them, so plaintext traffic pays nothing; the decrypted
 * stream is decoded like a plaintext one (user, database, statements).
 *
 * Statements (--db-uprobes statements): pg_parse_query sees every
 * statement of the simple and extended protocol (Parse) as the server is
 * about to parse it; dispatch_command is MariaDB's command switch (MySQL 8
 * changed its signature: not matched). The login points give user and
 * database. A trap on every statement of every connection: costly, but it
 * also sees connections opened before the daemon started.
 */
enum dbc_kind { TGT_TLS = 1, TGT_STMT = 2, TGT_LOGIN = 4 };

static const struct dbc_target {
	uint8_t system;           /* BW_DB_* */
	const char *prog;         /* BPF program in db.bpf.c */
	const char *retprog;      /* its uretprobe, or NULL */
	const char *sym;          /* symbol, or its prefix */
	bool prefix;              /* match sym as a prefix (C++ mangling tails) */
	enum dbc_kind kind;       /* what it gives */
} targets[] = {
	{ BW_DB_PG, "uprobe_tls_read", "uretprobe_tls_read", "be_tls_read", false, TGT_TLS },
	{ BW_DB_MYSQL, "uprobe_tls_read", "uretprobe_tls_read", "vio_ssl_read", false, TGT_TLS },
	{ BW_DB_PG, "uprobe_pg_parse_query", NULL, "pg_parse_query", false, TGT_STMT },
	{ BW_DB_PG, "uprobe_InitPostgres", NULL, "InitPostgres", false, TGT_LOGIN },
	{ BW_DB_MYSQL, "uprobe_dispatch_command", NULL,
	  "_Z16dispatch_command19enum_server_commandP3THDPcj", true, TGT_STMT },
	{ BW_DB_MYSQL, "uprobe_mysql_change_db", NULL,
	  "_Z15mysql_change_dbP3THDPK25st_mysql_const_lex_string", true, TGT_LOGIN },
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* Programs of db.bpf.c, by what they serve. */
static const char *const client_progs[] = {
	"tp_enter_connect", "tp_exit_connect", "tp_btf_sock_send_length",
};
static const char *const server_progs[] = {
	"tp_exit_accept", "tp_exit_accept4", "tp_btf_sock_recv_length", "uprobe_pg_parse_query",
	"uprobe_InitPostgres", "uprobe_dispatch_command", "uprobe_mysql_change_db",
	"uprobe_tls_read", "uretprobe_tls_read",
};
static const char *const common_progs[] = {
	"tp_enter_close", "tp_btf_inet_sock_set_state", "tp_btf_sched_process_fork_db",
	"tp_btf_sched_process_exit_db",
};

static const char *system_name(uint8_t sys)
{
	return sys == BW_DB_PG ? "postgresql" : sys == BW_DB_MYSQL ? "mysql" : "unknown";
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- setup -------------------------------------------------------------- */

int dbcapture_new(struct dbcapture **out, const struct dbcapture_opts *o, struct decoder *dec,
		  dbcapture_emit_fn emit, void *ctx)
{
	struct dbcapture *db = calloc(1, sizeof(*db));
	uint32_t nb = 64;

	if (!db)
		return -ENOMEM;
	db->o = *o;
	if (!db->o.max_conns)
		db->o.max_conns = DBCAP_DEFAULT_CONNS;
	while (nb < db->o.max_conns * 2)
		nb <<= 1;
	db->nbuckets = nb;
	db->ids = calloc(nb, sizeof(*db->ids));
	db->tuples = calloc(nb, sizeof(*db->tuples));
	if (!db->ids || !db->tuples) {
		free(db->ids);
		free(db->tuples);
		free(db);
		return -ENOMEM;
	}
	db->dec = dec;
	db->emit = emit;
	db->ctx = ctx;
	*out = db;
	return 0;
}

void dbcapture_configure(struct bpf_object *obj, void *arg)
{
	struct dbcapture *db = arg;
	struct bpf_program *p;

#define SET_LOAD(list, on)                                                              \
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)                      \
		if ((p = bpf_object__find_program_by_name(obj, list[i])))                \
			bpf_program__set_autoload(p, (on))
	SET_LOAD(client_progs, !db->o.no_db && db->o.client);
	SET_LOAD(server_progs, !db->o.no_db && db->o.server);
	SET_LOAD(common_progs, !db->o.no_db);
#undef SET_LOAD
	/* uprobes are attached in dbcapture_start, to binaries found at run time */
	for (size_t i = 0; i < NTARGETS; i++) {
		if ((p = bpf_object__find_program_by_name(obj, targets[i].prog)))
			bpf_program__set_autoattach(p, false);
		if (targets[i].retprog && (p = bpf_object__find_program_by_name(obj, targets[i].retprog)))
			bpf_program__set_autoattach(p, false);
	}
}

static int map_fd(struct bpf_object *obj, const char *name, FILE *log)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
	int fd = m ? bpf_map__fd(m) : -1;

	if (fd < 0)
		fprintf(log, "bulwark: database capture: the BPF object has no map '%s'; "
			     "rebuild bulwark (make clean all)\n", name);
	return fd < 0 ? -ENOENT : fd;
}

/* Symbols of targets found in the ELF file at path: found[i] gets the exact name. */
/*
 * Symbols of targets in the ELF file at path: found[i] gets the exact
 * name and off[i] its file offset, what a uprobe is attached at. Resolved
 * once here: libbpf's func_name lookup re-reads the whole symbol table on
 * every attach, tens of milliseconds for postgres, too slow for a
 * per-connection attach.
 */
static int elf_targets(const char *path, char found[NTARGETS][160], size_t off[NTARGETS])
{
	Elf_Scn *scn = NULL;
	Elf *e;
	int fd, n = 0;

	for (size_t i = 0; i < NTARGETS; i++)
		found[i][0] = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		close(fd);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t k = 0; d && k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, (int)k, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    !s.st_value || !(name = elf_strptr(e, sh.sh_link, s.st_name)))
				continue;
			for (size_t i = 0; i < NTARGETS; i++) {
				const struct dbc_target *t = &targets[i];
				Elf_Scn *ts;
				GElf_Shdr tsh;

				if (found[i][0] || strlen(name) >= sizeof(found[i]))
					continue;
				if (t->prefix ? strncmp(name, t->sym, strlen(t->sym)) : strcmp(name, t->sym))
					continue;
				/* virtual address -> file offset, through the symbol's section */
				ts = elf_getscn(e, s.st_shndx);
				if (!ts || !gelf_getshdr(ts, &tsh))
					continue;
				snprintf(found[i], sizeof(found[i]), "%s", name);
				off[i] = s.st_value - tsh.sh_addr + tsh.sh_offset;
				n++;
			}
		}
	}
	elf_end(e);
	close(fd);
	return n;
}

/* Records one binary and the entry points found in it. */
static void scan_binary(struct dbcapture *db, const char *path, const struct stat *st, FILE *log)
{
	struct dbc_binary *b;
	char found[NTARGETS][160];
	size_t off[NTARGETS] = { 0 };
	int n;

	if (db->nbins >= DBC_MAX_BINS)
		return;
	b = &db->bins[db->nbins++];
	memset(b, 0, sizeof(*b));
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->dev = st->st_dev;
	b->ino = st->st_ino;
	n = elf_targets(path, found, off);
	if (n <= 0) {
		b->err = n < 0 ? n : -ENOENT;
		fprintf(log, "bulwark: database capture: %s: %s; its clients are seen on their side "
			     "only\n", path, n < 0 ? "cannot read its symbols" : "no supported query entry point");
		return;
	}
	for (size_t i = 0; i < NTARGETS; i++) {
		snprintf(b->sym[i], sizeof(b->sym[i]), "%.159s", found[i]);
		b->off[i] = off[i];
		if (found[i][0])
			b->system = targets[i].system;
	}
}

/* The default server binaries that exist here, or the --db-binary ones. */
static void scan_binaries(struct dbcapture *db, FILE *log)
{
	const char *const *list = db->o.nbinaries ? db->o.binaries : default_binaries;
	size_t n = db->o.nbinaries ? (size_t)db->o.nbinaries
				   : sizeof(default_binaries) / sizeof(default_binaries[0]);

	for (size_t i = 0; i < n; i++) {
		glob_t g;

		if (glob(list[i], 0, NULL, &g)) {
			if (db->o.nbinaries)
				fprintf(log, "bulwark: database capture: --db-binary %s: no such file; "
					     "no uprobes there\n", list[i]);
			continue;
		}
		for (size_t k = 0; k < g.gl_pathc; k++) {
			char real[PATH_MAX];
			struct stat st;
			bool dup = false;

			if (!realpath(g.gl_pathv[k], real) || stat(real, &st) || !S_ISREG(st.st_mode))
				continue;
			/* mysqld is often a link to mariadbd: each file once */
			for (int j = 0; j < db->nbins; j++)
				dup |= db->bins[j].dev == st.st_dev && db->bins[j].ino == st.st_ino;
			if (!dup)
				scan_binary(db, real, &st, log);
		}
		globfree(&g);
	}
}

/* Attaches target t of binary bin, in every process running it. */
static void probe_attach(struct dbcapture *db, int bin, int t, FILE *log)
{
	struct dbc_binary *b = &db->bins[bin];
	const struct dbc_target *tg = &targets[t];
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	LIBBPF_OPTS(bpf_uprobe_opts, ro, .retprobe = true);
	struct dbc_probe *pr;
	struct bpf_program *p, *rp = NULL;

	if (db->nprobes >= DBC_MAX_PROBES)
		return;
	pr = &db->probes[db->nprobes++];
	memset(pr, 0, sizeof(*pr));
	pr->bin = bin;
	pr->target = t;
	p = bpf_object__find_program_by_name(db->obj, tg->prog);
	if (tg->retprog)
		rp = bpf_object__find_program_by_name(db->obj, tg->retprog);
	if (!p || (tg->retprog && !rp)) {
		pr->err = -ENOENT;
		return;
	}
	/* the offset was resolved at scan time (see elf_targets) */
	pr->link = bpf_program__attach_uprobe_opts(p, -1, b->path, b->off[t], &uo);
	if (pr->link && rp)
		pr->retlink = bpf_program__attach_uprobe_opts(rp, -1, b->path, b->off[t], &ro);
	if (!pr->link || (rp && !pr->retlink)) {
		pr->err = -errno;
		bpf_link__destroy(pr->link);
		pr->link = NULL;
		fprintf(log, "bulwark: database capture: cannot attach a uprobe to %s:%s: %s\n", b->path,
			b->sym[t], strerror(-pr->err));
		return;
	}
	if (tg->kind & (TGT_TLS | TGT_STMT))
		db->server_view[tg->system] = true;
}

int dbcapture_start(struct dbcapture *db, struct bpf_object *obj, FILE *log)
{
	struct db_config_u cfg = { .match_pgsql = 1, .report_reads = db->o.all_statements };
	int fports, fpaths, fcfg;
	uint32_t zero = 0, sys;

	if (db->o.no_db)
		return 0;
	fports = map_fd(obj, "db_ports", log);
	fpaths = map_fd(obj, "db_paths", log);
	fcfg = map_fd(obj, "db_config", log);
	if (fports < 0 || fpaths < 0 || fcfg < 0)
		return -ENOENT;
	db->obj = obj;
	for (size_t i = 0; i < sizeof(default_ports) / sizeof(default_ports[0]); i++) {
		uint16_t port = default_ports[i][0];

		sys = default_ports[i][1];
		if (bpf_map_update_elem(fports, &port, &sys, BPF_ANY))
			goto map_err;
	}
	for (int i = 0; i < db->o.nports; i++) {
		sys = db->o.ports[i].system;
		if (bpf_map_update_elem(fports, &db->o.ports[i].port, &sys, BPF_ANY))
			goto map_err;
	}
	for (size_t i = 0; i < sizeof(default_sockets) / sizeof(default_sockets[0]) +
			       (size_t)db->o.nsockets; i++) {
		char key[BW_UNIX_PATH_MAX] = { 0 };
		size_t nd = sizeof(default_sockets) / sizeof(default_sockets[0]);
		const char *p = i < nd ? default_sockets[i] : db->o.sockets[i - nd].path;

		sys = i < nd ? BW_DB_MYSQL : db->o.sockets[i - nd].system;
		memcpy(key, p, strnlen(p, sizeof(key) - 1));
		if (bpf_map_update_elem(fpaths, key, &sys, BPF_ANY))
			goto map_err;
	}
	if (db->o.server && db->o.uprobes != DBCAP_UPROBES_NONE)
		scan_binaries(db, log);
	for (int i = 0; i < db->nbins; i++)
		for (int t = 0; t < (int)NTARGETS; t++)
			if (db->bins[i].sym[t][0] &&
			    (targets[t].kind & (db->o.uprobes == DBCAP_UPROBES_STATEMENTS ?
						TGT_STMT | TGT_LOGIN : TGT_TLS)))
				probe_attach(db, i, t, log);
	if (bpf_map_update_elem(fcfg, &zero, &cfg, BPF_ANY))
		goto map_err;
	db->started = true;
	return 0;
map_err:
	fprintf(log, "bulwark: database capture: cannot fill the endpoint maps: %s\n",
		strerror(errno));
	return -errno;
}

/* ---- connections -------------------------------------------------------- */

static uint32_t hash64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

static uint32_t tuple_hash(const struct dbc_conn *c)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ c->caddr[i] ^ ((uint64_t)c->saddr[i] << 8)) * 1099511628211ull;
	h ^= ((uint64_t)c->cport << 16) | c->sport;
	return hash64(h);
}

static bool same_tuple(const struct dbc_conn *a, const struct dbc_conn *b)
{
	return a->cport == b->cport && a->sport == b->sport && !memcmp(a->caddr, b->caddr, 16) &&
	       !memcmp(a->saddr, b->saddr, 16);
}

static struct dbc_conn *conn_find(struct dbcapture *db, uint64_t id)
{
	struct dbc_conn *c = db->ids[hash64(id) & (db->nbuckets - 1)];

	while (c && c->id != id)
		c = c->hnext;
	return c;
}

static void lru_unlink(struct dbcapture *db, struct dbc_conn *c)
{
	if (!c->lprev && db->lru_head != c)
		return;  /* not in the list (a new connection) */
	if (c->lprev)
		c->lprev->lnext = c->lnext;
	else
		db->lru_head = c->lnext;
	if (c->lnext)
		c->lnext->lprev = c->lprev;
	else
		db->lru_tail = c->lprev;
	c->lprev = c->lnext = NULL;
}

static void lru_touch(struct dbcapture *db, struct dbc_conn *c)
{
	if (db->lru_head == c)
		return;
	lru_unlink(db, c);
	c->lnext = db->lru_head;
	if (db->lru_head)
		db->lru_head->lprev = c;
	db->lru_head = c;
	if (!db->lru_tail)
		db->lru_tail = c;
}

static void stats_add(struct dbconn_stats *a, const struct dbconn_stats *b)
{
	const uint64_t *s = (const uint64_t *)b;
	uint64_t *d = (uint64_t *)a;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static void on_msg(void *ctx, const struct db_msg *m);
static void tls_verdict(struct dbcapture *db, struct dbc_conn *c);

/* Forgets c: pending messages and verdicts first, then the memory. */
static void conn_free(struct dbcapture *db, struct dbc_conn *c)
{
	struct dbc_conn **pp;
	struct dbconn_stats st;

	db->cur = c;
	if (c->dc)
		dbconn_flush(c->dc, on_msg, db);
	if (c->dc_tls)
		dbconn_flush(c->dc_tls, on_msg, db);
	db->cur = NULL;
	if (c->tls_pending)
		tls_verdict(db, c);
	for (pp = &db->ids[hash64(c->id) & (db->nbuckets - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	if (c->has_tuple)
		for (pp = &db->tuples[tuple_hash(c) & (db->nbuckets - 1)]; *pp; pp = &(*pp)->tnext)
			if (*pp == c) {
				*pp = c->tnext;
				break;
			}
	lru_unlink(db, c);
	if (c->dc) {
		dbconn_stats(c->dc, &st);
		stats_add(&db->closed_st, &st);
		dbconn_free(c->dc);
	}
	if (c->dc_tls) {
		dbconn_stats(c->dc_tls, &st);
		stats_add(&db->closed_st, &st);
		dbconn_free(c->dc_tls);
	}
	db->nconns--;
	free(c);
}

static void ident_from_hdr(struct dbc_ident *w, const struct bw_event_hdr *h)
{
	w->pid = h->pid;
	w->tid = h->tid;
	w->ppid = h->ppid;
	w->uid = h->uid;
	w->loginuid = h->loginuid;
	w->sessionid = h->sessionid;
	w->cgroup = h->cgroup_id;
	memcpy(w->comm, h->comm, BW_COMM_LEN);
	w->comm[BW_COMM_LEN] = 0;
}

/* IPv4 as v4-mapped IPv6, so a v4 client and a dual-stack server compare equal. */
static void addr16(uint8_t out[16], uint8_t family, const uint8_t *a)
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
	} else {
		memcpy(out, a, 16);
	}
}

static bool is_v4mapped(const uint8_t a[16])
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, 12);
}

static int fmt_addr(char *buf, size_t n, const uint8_t a[16], uint16_t port)
{
	char s[INET6_ADDRSTRLEN];

	if (is_v4mapped(a)) {
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
		return snprintf(buf, n, "%s:%u", s, port);
	}
	inet_ntop(AF_INET6, a, s, sizeof(s));
	return snprintf(buf, n, "[%s]:%u", s, port);
}

/* Joins a server-side connection to the client-side one of the same socket pair. */
static void conn_join(struct dbc_conn *srv, struct dbc_conn *cli)
{
	srv->peer = cli->id;
	cli->peer = srv->id;
}

/* Sets addresses, db.peer and the tuple link from a CONNECT/ACCEPT/QUERY record. */
static void conn_endpoints(struct dbcapture *db, struct dbc_conn *c, const struct bw_sock_event *r)
{
	uint32_t b;
	struct dbc_conn *o;
	int n;

	if (c->peer_len || !r->family)
		return;
	c->family = r->family;
	if (r->family == AF_UNIX) {
		if (!r->data_len || r->kind == BW_SOCK_QUERY || r->kind == BW_SOCK_LOGIN)
			return;
		n = snprintf(c->peer_str, sizeof(c->peer_str), "unix:%.*s",
			     (int)(r->data_len < BW_UNIX_PATH_MAX ? r->data_len : BW_UNIX_PATH_MAX),
			     r->data);
		c->peer_len = (uint32_t)(n < (int)sizeof(c->peer_str) ? n : (int)sizeof(c->peer_str) - 1);
		return;
	}
	if (r->family != AF_INET && r->family != AF_INET6)
		return;
	/* the client end is local on the client side, remote on the server side */
	if (c->side == BW_SIDE_CLIENT) {
		addr16(c->caddr, r->family, r->laddr);
		addr16(c->saddr, r->family, r->raddr);
		c->cport = r->lport;
		c->sport = r->rport;
	} else {
		addr16(c->caddr, r->family, r->raddr);
		addr16(c->saddr, r->family, r->laddr);
		c->cport = r->rport;
		c->sport = r->lport;
	}
	n = fmt_addr(c->peer_str, sizeof(c->peer_str), c->caddr, c->cport);
	c->peer_len = (uint32_t)(n < (int)sizeof(c->peer_str) ? n : (int)sizeof(c->peer_str) - 1);
	/* loopback TCP: the other side's record may have come first */
	b = tuple_hash(c) & (db->nbuckets - 1);
	for (o = db->tuples[b]; o; o = o->tnext)
		if (o->side != c->side && !o->peer && same_tuple(o, c)) {
			if (c->side == BW_SIDE_SERVER)
				conn_join(c, o);
			else
				conn_join(o, c);
			break;
		}
	c->tnext = db->tuples[b];
	db->tuples[b] = c;
	c->has_tuple = true;
}

/* The connection of a record, created if it is new (or was evicted: midstream). */
static struct dbc_conn *conn_get(struct dbcapture *db, uint64_t id, uint8_t system, uint8_t side,
				 bool midstream)
{
	struct dbc_conn *c = conn_find(db, id);
	uint32_t b;

	if (c) {
		lru_touch(db, c);
		return c;
	}
	if (system != BW_DB_PG && system != BW_DB_MYSQL)
		return NULL;
	while (db->nconns >= db->o.max_conns && db->lru_tail) {
		db->c.evicted++;
		conn_free(db, db->lru_tail);
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->dc = dbconn_new((enum db_proto)system, midstream ? DBCONN_MIDSTREAM : 0);
	if (!c || !c->dc) {
		free(c);
		db->c.nomem++;
		return NULL;
	}
	c->id = id;
	c->system = system;
	c->side = side;
	b = hash64(id) & (db->nbuckets - 1);
	c->hnext = db->ids[b];
	db->ids[b] = c;
	db->nconns++;
	db->c.conns++;
	if (midstream)
		db->c.midstream++;
	lru_touch(db, c);
	return c;
}

/* ---- events ------------------------------------------------------------- */

static void set_str(struct bw_event *e, enum bw_field f, struct bw_str *dst, const char *s,
		    size_t n)
{
	*dst = (struct bw_str){ s, (uint32_t)n };
	event_set_present(e, f);
}

/*
 * Sends e: time of the current record, process fields of w (the client
 * process when one is known, else the server thread), db.peer and db.side
 * of c, then the process table's exe/cmdline and user names.
 */
static void emit_event(struct dbcapture *db, struct dbc_conn *c, const struct dbc_ident *w,
		       struct bw_event *e)
{
	static const enum bw_field hdr_fields[] = {
		FLD_EVT_TIME, FLD_EVT_FLAGS, FLD_PROC_PID, FLD_PROC_TID, FLD_PROC_PPID, FLD_PROC_NAME,
		FLD_PROC_CGROUP, FLD_USER_UID, FLD_USER_LOGINUID, FLD_SESSION_ID,
	};

	e->time_ns = db->rec->hdr.ts_ns + (uint64_t)db->dec->boot_to_epoch_ns;
	e->pid = w->pid;
	e->tid = w->tid;
	e->ppid = w->ppid;
	e->name = (struct bw_str){ w->comm, (uint32_t)strlen(w->comm) };
	e->cgroup = w->cgroup;
	e->uid = w->uid;
	e->loginuid = w->loginuid;
	e->sessionid = w->sessionid;
	for (size_t i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++)
		event_set_present(e, hdr_fields[i]);
	if (!e->type_name.p) {
		e->type_name.p = event_type_name(e->type);
		e->type_name.len = (uint32_t)strlen(e->type_name.p);
	}
	event_set_present(e, FLD_EVT_TYPE);
	if (c->peer_len)
		set_str(e, FLD_DB_PEER, &e->db_peer, c->peer_str, c->peer_len);
	if (c->side == BW_SIDE_CLIENT)
		set_str(e, FLD_DB_SIDE, &e->db_side, "client", 6);
	else
		set_str(e, FLD_DB_SIDE, &e->db_side, "server", 6);
	decode_attribute(db->dec, e, w->pid);
	db->c.events++;
	if (e->type == BW_EVT_DB_TLS)
		db->c.tls++;
	if (e->type == BW_EVT_DB_CONNECT)
		c->connect_emitted = true;
	db->emit(db->ctx, e);
}

static bool sel_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * A plain read, the same test as the kernel's db_plain_select(): one
 * SELECT, no '(', no ';' but a last one, no '/', '-', '#', '\\' or NUL.
 */
static bool dbc_plain_select(const char *p, size_t n)
{
	size_t b = 0;

	while (b < n && b < 8 && sel_space(p[b]))
		b++;
	if (b + 7 > n || strncasecmp(p + b, "select", 6))
		return false;
	b += 6;
	if (isalnum((unsigned char)p[b]) || p[b] == '_' || (unsigned char)p[b] >= 0x80)
		return false;
	for (int i = 0; i < 8 && n > b && sel_space(p[n - 1]); i++)
		n--;
	if (n > b && p[n - 1] == ';')
		n--;
	for (size_t i = b; i < n; i++)
		if (strchr("(;/-#\\", p[i]) || !p[i])
			return false;
	return true;
}

/* Turns m into an event of c (dbconn_event) and sends it. */
static void emit_msg(struct dbcapture *db, struct dbc_conn *c, const struct dbc_ident *w,
		     const struct db_msg *m)
{
	struct bw_event *e = &db->ev;

	/* the kernel's plain-read filter, for statements decoded from streams */
	if (m->kind == DBM_QUERY && !db->o.all_statements && w->sessionid == BW_NO_SESSION &&
	    !(m->flags & (DBM_F_TRUNC | DBM_F_PREPARED | DBM_F_MALFORMED)) &&
	    dbc_plain_select(m->query, m->query_len)) {
		db->c.reads++;
		return;
	}
	event_reset(e);
	db->sr.flags = 0;
	if (dbconn_event(c->dc, m, &db->sr, e))
		return;
	emit_event(db, c, w, e);
}

/* The client-side connection joined to server-side c, if any. */
static struct dbc_conn *client_of(struct dbcapture *db, struct dbc_conn *c)
{
	struct dbc_conn *o = c->peer ? conn_find(db, c->peer) : NULL;

	return o && o->side == BW_SIDE_CLIENT ? o : NULL;
}

/*
 * A local client whose own stream is being decoded reports its statements
 * with its process attached: the server side then stays quiet, so each
 * statement is one event. TLS, compression or lost framing on the client
 * side hand the reporting to the server side.
 */
static bool client_reports(struct dbcapture *db, struct dbc_conn *srv)
{
	struct dbc_conn *cli = client_of(db, srv);

	return cli && !cli->tls && dbconn_wants(cli->dc, DB_C2S);
}

/* Who a server-side event is about: the joined client process, else the server thread. */
static const struct dbc_ident *server_who(struct dbcapture *db, struct dbc_conn *srv,
					  struct dbc_ident *thread)
{
	struct dbc_conn *cli = client_of(db, srv);

	return cli && cli->who.pid ? &cli->who : thread;
}

/* Refreshes the cached local addresses (TCP endpoints on this host). */
static void local_addrs(struct dbcapture *db)
{
	struct ifaddrs *ifa, *i;
	uint64_t now = mono_ns();
	int n = 0;

	if (db->ifaddrs && now - db->ifaddrs_ns < IFADDR_TTL_NS)
		return;
	db->ifaddrs_ns = now;
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next)
		n += i->ifa_addr && (i->ifa_addr->sa_family == AF_INET ||
				     i->ifa_addr->sa_family == AF_INET6);
	free(db->ifaddrs);
	db->ifaddrs = calloc((size_t)n + 1, 16);
	db->nifaddrs = 0;
	for (i = ifa; i && db->ifaddrs; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			addr16(db->ifaddrs[db->nifaddrs++], AF_INET,
			       (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			addr16(db->ifaddrs[db->nifaddrs++], AF_INET6,
			       (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
}

/* The server end of client connection c is on this host. */
static bool server_is_local(struct dbcapture *db, struct dbc_conn *c)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	if (c->family == AF_UNIX)
		return true;
	if ((is_v4mapped(c->saddr) && c->saddr[12] == 127) || !memcmp(c->saddr, lo6, 16))
		return true;
	local_addrs(db);
	for (int i = 0; i < db->nifaddrs; i++)
		if (!memcmp(db->ifaddrs[i], c->saddr, 16))
			return true;
	return false;
}

/*
 * A client connection went encrypted. When its server is on this host,
 * probed and watched, the server side will report its statements: wait a
 * little for the two sides to be joined. Otherwise say at once that the
 * statements cannot be inspected.
 */
static void conn_tls(struct dbcapture *db, struct dbc_conn *c, const struct db_msg *m)
{
	bool can = db->server_view[c->system] && db->o.server &&
		   (c->side == BW_SIDE_SERVER || c->peer || server_is_local(db, c));

	c->tls = true;
	if (can || c->server_view) {
		c->tls_pending = true;
		c->tls_due_ns = mono_ns() + TLS_VERDICT_NS;
		c->tls_ts = db->rec->hdr.ts_ns;
		if (c->server_view)
			tls_verdict(db, c);
		return;
	}
	emit_msg(db, c, c->side == BW_SIDE_CLIENT ? &c->who : server_who(db, c, &c->who), m);
}

/* Decides a pending TLS connection: covered by the server side, or db_tls. */
static void tls_verdict(struct dbcapture *db, struct dbc_conn *c)
{
	struct db_msg m = { .kind = DBM_TLS, .user = c->user, .db = c->db };
	const struct bw_sock_event *saved = db->rec;
	struct bw_sock_event hdr_only;

	c->tls_pending = false;
	if (c->server_view) {
		db->c.tls_covered++;
		return;
	}
	/* the event keeps the time of the switch to TLS */
	memset(&hdr_only, 0, offsetof(struct bw_sock_event, data));
	hdr_only.hdr.ts_ns = c->tls_ts;
	db->rec = &hdr_only;
	emit_msg(db, c, c->side == BW_SIDE_CLIENT ? &c->who : server_who(db, c, &c->who), &m);
	db->rec = saved;
}

/* Messages decoded from a captured stream (either side). */
static void on_msg(void *ctx, const struct db_msg *m)
{
	struct dbcapture *db = ctx;
	struct dbc_conn *c = db->cur;

	if (!c || db->filling)
		return;
	if (m->kind == DBM_CONNECT) {
		if (m->user && m->user[0])
			snprintf(c->user, sizeof(c->user), "%s", m->user);
		if (m->db && m->db[0])
			snprintf(c->db, sizeof(c->db), "%s", m->db);
	} else if (m->kind == DBM_INIT_DB && m->db && m->db[0]) {
		snprintf(c->db, sizeof(c->db), "%s", m->db);
	}
	if (c->side == BW_SIDE_CLIENT) {
		if (m->kind == DBM_TLS) {
			conn_tls(db, c, m);
			return;
		}
		emit_msg(db, c, &c->who, m);
		if (m->kind == DBM_QUERY || m->kind == DBM_INIT_DB)
			c->stmts_reported = true;
		if (m->kind == DBM_QUERY && (db->sr.flags & SQL_R_USE))
			snprintf(c->db, sizeof(c->db), "%s", db->sr.use_db);
		return;
	}
	/*
	 * Server side: a plaintext stream (or a TLS connection's decrypted
	 * one) is decoded here when no local client reports it: clients on
	 * other hosts, TLS clients.
	 */
	if (m->kind == DBM_TLS) {
		if (client_of(db, c)) {
			c->tls = true;
			return;  /* the client side gives the TLS verdict */
		}
		conn_tls(db, c, m);
		return;
	}
	if (client_reports(db, c)) {
		if (m->kind == DBM_QUERY)
			db->c.server_dups++;
		return;
	}
	emit_msg(db, c, server_who(db, c, &c->who), m);
}

/* ---- records ------------------------------------------------------------ */

/*
 * The kernel skipped whole plain-read messages between two records
 * (BW_SOCK_F_GAP_WHOLE): one filler message of the same length, header
 * only, keeps the decoder's framing; its body is skipped by length and it
 * makes no event (db->filling).
 */
static void fill(struct dbcapture *db, struct dbc_conn *c, struct dbconn *dc, uint64_t off,
		 uint64_t n)
{
	uint8_t h[5];

	db->filling = true;
	while (n) {
		uint64_t m = n;

		if (c->system == BW_DB_PG) {
			if (m > 0x40000000)
				m = 0x40000000;  /* the decoder's (and server's) largest message */
			if (m < 6)
				break;
			h[0] = 'Q';
			h[1] = (uint8_t)((m - 1) >> 24);
			h[2] = (uint8_t)((m - 1) >> 16);
			h[3] = (uint8_t)((m - 1) >> 8);
			h[4] = (uint8_t)(m - 1);
		} else {
			if (m > 0xfffffe + 4)
				m = 0xfffffe + 4;  /* below the 0xffffff continuation length */
			if (m < 6)
				break;
			h[0] = (uint8_t)(m - 4);
			h[1] = (uint8_t)((m - 4) >> 8);
			h[2] = (uint8_t)((m - 4) >> 16);
			h[3] = 0;  /* sequence 0 */
			h[4] = 3;  /* COM_QUERY */
		}
		dbconn_feed(dc, DB_C2S, off, h, sizeof(h), (size_t)m, on_msg, db);
		db->c.fills++;
		db->c.fill_bytes += m - sizeof(h);  /* what the decoder counts as lost */
		off += m;
		n -= m;
	}
	db->filling = false;
}

static bool record_ok(const struct bw_sock_event *r, size_t len)
{
	if (len < offsetof(struct bw_sock_event, data) || r->hdr.size > len ||
	    r->hdr.size < offsetof(struct bw_sock_event, data) ||
	    offsetof(struct bw_sock_event, data) + (size_t)r->data_len > r->hdr.size ||
	    r->data_len > BW_DATA_MAX || !r->kind || r->kind > BW_SOCK_CLOSE)
		return false;
	if (r->kind == BW_SOCK_CLOSE)
		return true;
	return r->system == BW_DB_PG || r->system == BW_DB_MYSQL;
}

/* A DATA record: the wire stream, or a TLS connection's decrypted one (server side). */
static void data_record(struct dbcapture *db, struct dbc_conn *c, const struct bw_sock_event *r)
{
	int d = (r->arg & BW_SOCK_F_DECRYPTED) && c->side == BW_SIDE_SERVER;
	struct dbconn *dc = d ? c->dc_tls : c->dc;
	struct dbc_conn *cli;

	if (d) {
		db->c.decrypted++;
		if (!dc)
			dc = c->dc_tls = dbconn_new((enum db_proto)c->system, 0);
		if (!dc) {
			db->c.nomem++;
			return;
		}
		/* the server saw this TLS connection's statements in the clear */
		c->server_view = true;
		if ((cli = client_of(db, c)))
			cli->server_view = true;
	}
	db->cur = c;
	if ((r->arg & BW_SOCK_F_GAP_WHOLE) && c->have_off[d] && r->offset > c->next_off[d])
		fill(db, c, dc, c->next_off[d], r->offset - c->next_off[d]);
	dbconn_feed(dc, DB_C2S, r->offset, r->data, r->data_len, r->total, on_msg, db);
	db->cur = NULL;
	if (!c->have_off[d] || r->offset + r->total > c->next_off[d])
		c->next_off[d] = r->offset + r->total;
	c->have_off[d] = true;
}

bool dbcapture_owns(const void *data, size_t len)
{
	const struct bw_event_hdr *h = data;

	return len >= sizeof(*h) && (h->type == BW_EV_SOCK_DATA || h->type == BW_EV_SOCK_CLOSE);
}

/* The server-side connection of a QUERY/LOGIN record; untracked sockets get one per thread. */
static struct dbc_conn *server_conn(struct dbcapture *db, const struct bw_sock_event *r)
{
	struct dbc_conn *c, *cli;
	bool orphan = !r->conn_id;

	c = conn_get(db, orphan ? ORPHAN_ID | r->hdr.tid : r->conn_id, r->system, BW_SIDE_SERVER,
		     !orphan && !conn_find(db, r->conn_id));
	if (!c)
		return NULL;
	if (!orphan)
		conn_endpoints(db, c, r);
	if (r->peer_conn_id && !c->peer) {
		cli = conn_find(db, r->peer_conn_id);
		if (cli && cli->side == BW_SIDE_CLIENT)
			conn_join(c, cli);
	}
	ident_from_hdr(&c->who, &r->hdr);
	/* a statement uprobe fired for it: its TLS is covered */
	if (r->kind == BW_SOCK_QUERY) {
		c->server_view = true;
		if ((cli = client_of(db, c)))
			cli->server_view = true;
	}
	return c;
}

/* A statement seen by a server uprobe. */
static void server_statement(struct dbcapture *db, const struct bw_sock_event *r)
{
	struct dbc_conn *c = server_conn(db, r), *cli;
	struct db_msg m = { .kind = DBM_QUERY };

	if (!c)
		return;
	if (client_reports(db, c)) {
		db->c.server_dups++;
		return;
	}
	cli = client_of(db, c);
	if (!c->user[0] && cli && cli->user[0])
		memcpy(c->user, cli->user, sizeof(c->user));
	if (!c->db[0] && cli && cli->db[0])
		memcpy(c->db, cli->db, sizeof(c->db));
	if (r->system == BW_DB_MYSQL && r->arg == COM_INIT_DB) {
		m.kind = DBM_INIT_DB;
		snprintf(c->db, sizeof(c->db), "%.*s", (int)r->data_len, r->data);
	}
	if (r->system == BW_DB_MYSQL && r->arg == COM_STMT_PREPARE)
		m.flags |= DBM_F_PREPARED;
	if (r->hdr.flags & BW_F_DATA_TRUNC)
		m.flags |= DBM_F_TRUNC;
	m.user = c->user;
	m.db = c->db;
	m.query = r->data;
	m.query_len = r->data_len;
	m.wire_len = r->total > r->data_len ? r->total : r->data_len;
	sql_result_reset(&db->sr);
	emit_msg(db, c, server_who(db, c, &c->who), &m);
	if (m.kind == DBM_QUERY && (db->sr.flags & SQL_R_USE))
		snprintf(c->db, sizeof(c->db), "%s", db->sr.use_db);
}

/* User and database a server backend logged in with (or MySQL's new schema). */
static void server_login(struct dbcapture *db, const struct bw_sock_event *r)
{
	struct dbc_conn *c = server_conn(db, r), *cli;
	const char *user = r->data, *name;
	size_t ulen = strnlen(r->data, r->data_len);

	if (!c)
		return;
	name = ulen < r->data_len ? r->data + ulen + 1 : "";
	if (ulen)
		snprintf(c->user, sizeof(c->user), "%.*s", (int)ulen, user);
	if (name < r->data + r->data_len && *name)
		snprintf(c->db, sizeof(c->db), "%.*s",
			 (int)strnlen(name, (size_t)(r->data + r->data_len - name)), name);
	cli = client_of(db, c);
	if (!c->connect_emitted && !(cli && cli->connect_emitted)) {
		struct db_msg m = { .kind = DBM_CONNECT, .user = c->user, .db = c->db };

		emit_msg(db, c, server_who(db, c, &c->who), &m);
		c->connect_emitted = true;
	}
}

void dbcapture_record(struct dbcapture *db, const void *data, size_t len)
{
	const struct bw_sock_event *r = data;
	struct dbc_conn *c;

	db->c.records++;
	if (!record_ok(r, len)) {
		db->c.bad_records++;
		return;
	}
	db->rec = r;
	switch (r->kind) {
	case BW_SOCK_CONNECT:
	case BW_SOCK_ACCEPT:
		c = conn_get(db, r->conn_id, r->system, r->side, false);
		if (!c)
			break;
		ident_from_hdr(&c->who, &r->hdr);
		conn_endpoints(db, c, r);
		if (r->peer_conn_id && !c->peer) {
			struct dbc_conn *cli = conn_find(db, r->peer_conn_id);

			if (cli && cli->side == BW_SIDE_CLIENT)
				conn_join(c, cli);
		}
		break;
	case BW_SOCK_DATA:
		c = conn_get(db, r->conn_id, r->system, r->side, !conn_find(db, r->conn_id));
		if (!c)
			break;
		if (r->peer_conn_id && !c->peer) {
			struct dbc_conn *cli = conn_find(db, r->peer_conn_id);

			if (cli && cli->side == BW_SIDE_CLIENT)
				conn_join(c, cli);
		}
		/* the client side is about whoever sent; the server side keeps the client */
		ident_from_hdr(&c->who, &r->hdr);
		data_record(db, c, r);
		break;
	case BW_SOCK_QUERY:
		server_statement(db, r);
		break;
	case BW_SOCK_LOGIN:
		server_login(db, r);
		break;
	case BW_SOCK_CLOSE:
		c = conn_find(db, r->conn_id);
		if (c)
			conn_free(db, c);
		break;
	}
	db->rec = NULL;
}

void dbcapture_tick(struct dbcapture *db, uint64_t now_ns)
{
	uint64_t now = mono_ns();
	struct bw_sock_event none;

	memset(&none, 0, offsetof(struct bw_sock_event, data));
	none.hdr.ts_ns = (uint64_t)((int64_t)now_ns - db->dec->boot_to_epoch_ns);
	for (struct dbc_conn *c = db->lru_head; c; c = c->lnext)
		if (c->tls_pending && now >= c->tls_due_ns) {
			db->rec = &none;
			tls_verdict(db, c);
			db->rec = NULL;
		}
}

void dbcapture_free(struct dbcapture *db)
{
	struct bw_sock_event none;

	if (!db)
		return;
	memset(&none, 0, offsetof(struct bw_sock_event, data));
	db->rec = &none;
	while (db->lru_head)
		conn_free(db, db->lru_head);
	for (int i = 0; i < db->nprobes; i++) {
		bpf_link__destroy(db->probes[i].retlink);
		bpf_link__destroy(db->probes[i].link);
	}
	free(db->ids);
	free(db->tuples);
	free(db->ifaddrs);
	free(db);
}

/* ---- status ------------------------------------------------------------- */

static const char *const uprobe_modes[] = { "tls", "statements", "none" };

/* Where statements of system are seen, for status. */
static const char *seen_on(const struct dbcapture *db, uint8_t sys)
{
	if (!db->o.server)
		return "client streams";
	if (!db->server_view[sys])
		return "plaintext streams (TLS: db_tls)";
	if (db->o.uprobes == DBCAP_UPROBES_STATEMENTS)
		return "plaintext streams, server statement uprobes";
	return "plaintext streams, decrypted TLS streams";
}

void dbcapture_summary(const struct dbcapture *db, char *buf, size_t n)
{
	if (!db || db->o.no_db) {
		snprintf(buf, n, "db capture off");
		return;
	}
	snprintf(buf, n, "db capture %s%s%s, %s uprobes (postgresql %s, mysql %s)",
		 db->o.client ? "client" : "", db->o.client && db->o.server ? "+" : "",
		 db->o.server ? "server" : "", uprobe_modes[db->o.uprobes],
		 db->server_view[BW_DB_PG] ? "attached" : "not attached",
		 db->server_view[BW_DB_MYSQL] ? "attached" : "not attached");
}

void dbcapture_status_json(const struct dbcapture *db, struct jbuf *b)
{
	struct dbconn_stats st = db->closed_st, cs;
	int active = 0;

	jbuf_printf(b, "{\"enabled\":%s,\"client\":%s,\"server\":%s,\"uprobes\":\"%s\",\"ports\":[",
		    db->o.no_db ? "false" : "true", db->o.client ? "true" : "false",
		    db->o.server ? "true" : "false", uprobe_modes[db->o.uprobes]);
	for (size_t i = 0; i < sizeof(default_ports) / sizeof(default_ports[0]); i++)
		jbuf_printf(b, "%s\"%s:%u\"", i ? "," : "", system_name((uint8_t)default_ports[i][1]),
			    default_ports[i][0]);
	for (int i = 0; i < db->o.nports; i++)
		jbuf_printf(b, ",\"%s:%u\"", system_name(db->o.ports[i].system), db->o.ports[i].port);
	jbuf_puts(b, "],\"sockets\":[");
	for (size_t i = 0; i < sizeof(default_sockets) / sizeof(default_sockets[0]); i++) {
		jbuf_puts(b, i ? "," : "");
		json_put_str(b, default_sockets[i], strlen(default_sockets[i]));
	}
	jbuf_puts(b, ",\"*/.s.PGSQL.*\"");
	for (int i = 0; i < db->o.nsockets; i++) {
		jbuf_putc(b, ',');
		json_put_str(b, db->o.sockets[i].path, strlen(db->o.sockets[i].path));
	}
	/* binaries and the entry points found in them */
	jbuf_puts(b, "],\"binaries\":[");
	for (int i = 0; i < db->nbins; i++) {
		const struct dbc_binary *bn = &db->bins[i];

		jbuf_puts(b, i ? ",{\"binary\":" : "{\"binary\":");
		json_put_str(b, bn->path, strlen(bn->path));
		jbuf_printf(b, ",\"system\":\"%s\",\"functions\":[", system_name(bn->system));
		for (size_t k = 0, n = 0; k < NTARGETS; k++)
			if (bn->sym[k][0]) {
				jbuf_puts(b, n++ ? "," : "");
				json_put_str(b, bn->sym[k], strlen(bn->sym[k]));
			}
		jbuf_putc(b, ']');
		if (bn->err)
			jbuf_printf(b, ",\"error\":\"%s\"", bn->err == -ENOENT ?
				    "no supported entry point" : strerror(-bn->err));
		jbuf_putc(b, '}');
	}
	/* uprobes in place */
	jbuf_puts(b, "],\"probes\":[");
	for (int i = 0; i < db->nprobes; i++) {
		const struct dbc_probe *p = &db->probes[i];

		jbuf_puts(b, i ? ",{\"binary\":" : "{\"binary\":");
		json_put_str(b, db->bins[p->bin].path, strlen(db->bins[p->bin].path));
		jbuf_puts(b, ",\"function\":");
		json_put_str(b, db->bins[p->bin].sym[p->target], strlen(db->bins[p->bin].sym[p->target]));
		jbuf_printf(b, ",\"return\":%s,\"attached\":%s", targets[p->target].retprog ? "true" : "false",
			    p->err ? "false" : "true");
		if (p->err)
			jbuf_printf(b, ",\"error\":\"%s\"", strerror(-p->err));
		jbuf_putc(b, '}');
		active += !p->err;
	}
	for (struct dbc_conn *c = db->lru_head; c; c = c->lnext) {
		dbconn_stats(c->dc, &cs);
		stats_add(&st, &cs);
		if (c->dc_tls) {
			dbconn_stats(c->dc_tls, &cs);
			stats_add(&st, &cs);
		}
	}
	/* holes the kernel made on purpose (skipped reads) are not losses */
	st.gaps = st.gaps > db->c.fills ? st.gaps - db->c.fills : 0;
	st.bytes_lost = st.bytes_lost > db->c.fill_bytes ? st.bytes_lost - db->c.fill_bytes : 0;
	jbuf_printf(b, "],\"probes_attached\":%d,\"decrypted_records\":%llu,"
		       "\"statements\":{\"postgresql\":\"%s\",\"mysql\":\"%s\"},"
		       "\"conns\":%u,\"max_conns\":%u,\"conns_total\":%llu,\"evicted\":%llu,"
		       "\"midstream\":%llu,\"records\":%llu,\"bad_records\":%llu,\"events\":%llu,"
		       "\"server_dups\":%llu,\"tls\":%llu,\"tls_covered\":%llu,\"nomem\":%llu,"
		       "\"reads_not_reported\":%llu,\"all_statements\":%s,\"skipped_read_runs\":%llu,"
		       "\"gaps\":%llu,\"bytes_lost\":%llu,\"desyncs\":%llu,\"malformed\":%llu,"
		       "\"truncated\":%llu,\"opaque_bytes\":%llu}",
		    active, (unsigned long long)db->c.decrypted, seen_on(db, BW_DB_PG),
		    seen_on(db, BW_DB_MYSQL), db->nconns,
		    db->o.max_conns, (unsigned long long)db->c.conns,
		    (unsigned long long)db->c.evicted, (unsigned long long)db->c.midstream,
		    (unsigned long long)db->c.records, (unsigned long long)db->c.bad_records,
		    (unsigned long long)db->c.events, (unsigned long long)db->c.server_dups,
		    (unsigned long long)db->c.tls, (unsigned long long)db->c.tls_covered,
		    (unsigned long long)db->c.nomem, (unsigned long long)db->c.reads,
		    db->o.all_statements ? "true" : "false", (unsigned long long)db->c.fills,
		    (unsigned long long)st.gaps,
		    (unsigned long long)st.bytes_lost, (unsigned long long)st.desyncs,
		    (unsigned long long)st.malformed, (unsigned long long)st.truncated,
		    (unsigned long long)st.opaque_bytes);
}

/* Value text of "key": inside s (up to , } or ]), or "". */
static int json_val(const char *s, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	if (!p) {
		snprintf(out, n, "-");
		return 0;
	}
	p += strlen(pat);
	for (e = p; *e && *e != ',' && *e != '}' && *e != ']'; e++)
		;
	return snprintf(out, n, "%.*s", (int)(e - p), p);
}

void dbcapture_status_print(const char *js, FILE *out)
{
	static const char *const keys[] = {
		"enabled", "uprobes", "probes_attached", "decrypted_records",
		"conns", "max_conns", "conns_total", "evicted", "records", "bad_records",
		"events", "reads_not_reported", "skipped_read_runs", "all_statements", "server_dups",
		"tls", "tls_covered", "gaps", "desyncs", "malformed", "truncated", "nomem",
	};
	const char *s = strstr(js, "\"db\":{"), *u;
	char v[512];

	if (!s)
		return;
	fprintf(out, "database capture:\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_val(s, keys[i], v, sizeof(v));
		fprintf(out, "  %-22s %s\n", keys[i], v);
	}
	u = strstr(s, "\"statements\":{");
	if (u) {
		json_val(u, "postgresql", v, sizeof(v));
		fprintf(out, "  %-22s %s\n", "postgresql seen on", v);
		json_val(u, "mysql", v, sizeof(v));
		fprintf(out, "  %-22s %s\n", "mysql seen on", v);
	}
	/* binaries (up to "probes"), then the probes in place */
	for (u = strstr(s, "\"binaries\":["); u && (u = strstr(u, "{\"binary\":"));) {
		const char *pr = strstr(s, "\"probes\":[");
		char bin[PATH_MAX] = "", sys[16] = "", fns[1024] = "";

		if (pr && u > pr)
			break;
		if (sscanf(u, "{\"binary\":\"%4095[^\"]\",\"system\":\"%15[a-z]\",\"functions\":[%1023[^]]",
			   bin, sys, fns) >= 2)
			fprintf(out, "  binary %s (%s): %s\n", bin, sys, fns[0] ? fns : "no supported entry point");
		u++;
	}
	for (u = strstr(s, "\"probes\":["); u && (u = strstr(u, "{\"binary\":"));) {
		char bin[PATH_MAX] = "", fn[160] = "", ret[8] = "", att[8] = "";

		if (sscanf(u, "{\"binary\":\"%4095[^\"]\",\"function\":\"%159[^\"]\",\"return\":%7[a-z],"
			      "\"attached\":%7[a-z]", bin, fn, ret, att) == 4)
			fprintf(out, "  uprobe %s:%s%s %s\n", bin, fn, !strcmp(ret, "true") ? " (+return)" : "",
				!strcmp(att, "true") ? "attached" : "not attached");
		u++;
	}
}
