// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Database capture, kernel side: which db.bpf.c programs load, the
 * endpoint and config maps, and the server uprobes (an ELF scan of the
 * server binaries, then one attach per entry point). Every libbpf call of
 * the database capture is here; user/db decodes what these programs send
 * and never touches the BPF object.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bulwark_abi.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/dbcapture.h"
#include "db/dbhold.h"
#include "db/discovery.h"
#include "kernel/dbprobes.h"
#define BW_HOLD_LOOKUP(k) 0  /* only bw_hold_key() is used here */
#include "bulwark_hold_words.h"

/* Kernel-side config (bpf/db.bpf.c struct db_config). */
struct db_config_u {
	uint32_t match_pgsql;
	uint32_t report_reads;
};

/* What only the kernel side keeps: files to match, offsets to attach at, links to destroy. */
struct dbprobes {
	struct dbcapture_probes *pr;           /* the report, in the dbcapture */
	dev_t dev[DBCAP_MAX_BINS];             /* each binary's file, to see it once */
	ino_t ino[DBCAP_MAX_BINS];
	size_t off[DBCAP_MAX_BINS][DBCAP_MAX_TARGETS]; /* file offset of each entry point */
	struct bpf_link *link[DBCAP_MAX_PROBES];    /* the uprobes */
	struct bpf_link *retlink[DBCAP_MAX_PROBES]; /* their uretprobes, when the target has one */
	int nlinks;                            /* entries used in link[], retlink[] */
	int held_fd, hold_cfg_fd, words_fd;    /* Hold and decide maps, -1 when absent */
	int deny_stat_fd;                      /* deny at send: its counters, -1 when off */
	pid_t watchdog;                        /* the hold watchdog process, 0 = none */
	bool hold_resume;                      /* --db-hold-timeout resume */
	/* discovered servers (db/discovery.c) and what of it is in the endpoint maps */
	const struct dbcapture_opts *o;        /* the fixed endpoints: never removed */
	int fports, fpaths;                    /* db_ports, db_paths */
	struct discovery disc;
	struct disc_endpoint *in_maps;         /* endpoints discovery put in the maps */
	int nin_maps;
	int not_in_maps;                       /* refused by a full map at the last sync */
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
enum dbp_kind { TGT_TLS = 1, TGT_STMT = 2, TGT_LOGIN = 4 };

static const struct dbp_target {
	uint8_t system;           /* BW_DB_* */
	const char *prog;         /* BPF program in db.bpf.c */
	const char *retprog;      /* its uretprobe, or NULL */
	const char *sym;          /* symbol, or its prefix */
	bool prefix;              /* match sym as a prefix (C++ mangling tails) */
	enum dbp_kind kind;       /* what it gives */
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
_Static_assert(NTARGETS <= DBCAP_MAX_TARGETS, "raise DBCAP_MAX_TARGETS");

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

/*
 * Whether BPF-LSM runs here: a trivial program on socket_sendmsg loads and
 * attaches (it returns 0, and is detached at once). Our development kernel
 * refuses (EPERM); Debian 11 has no bpf in lsm=.
 */
static bool lsm_usable(void)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po);
	char lsms[256] = "";
	int id, fd, lfd, maj = 0, min = 0;
	struct utsname u;
	FILE *f;

	/* the program's scan is a bpf_loop (5.17) */
	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2 || maj < 5 || (maj == 5 && min < 17))
		return false;
	f = fopen("/sys/kernel/security/lsm", "re");
	if (f) {
		if (!fgets(lsms, sizeof(lsms), f))
			lsms[0] = 0;
		fclose(f);
	}
	if (!strstr(lsms, "bpf"))
		return false;
	id = libbpf_find_vmlinux_btf_id("socket_sendmsg", BPF_LSM_MAC);
	if (id <= 0)
		return false;
	po.expected_attach_type = BPF_LSM_MAC;
	po.attach_btf_id = (uint32_t)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "bw_probe_db", "GPL", insns, 2, &po);
	if (fd < 0)
		return false;
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd >= 0)
		close(lfd);
	close(fd);
	return lfd >= 0;
}

void dbprobes_configure(struct bpf_object *obj, void *arg)
{
	const struct dbcapture_opts *o = arg;
	struct bpf_program *p;

#define SET_LOAD(list, on)                                                              \
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)                      \
		if ((p = bpf_object__find_program_by_name(obj, list[i])))                \
			bpf_program__set_autoload(p, (on))
	SET_LOAD(client_progs, !o->no_db && o->client);
	SET_LOAD(server_progs, !o->no_db && o->server);
	SET_LOAD(common_progs, !o->no_db);
#undef SET_LOAD
	/* Prevention at the client: BPF-LSM socket_sendmsg, only where it runs */
	if ((p = bpf_object__find_program_by_name(obj, "lsm_socket_sendmsg_db")))
		bpf_program__set_autoload(p, !o->no_db && o->client && !o->no_hold && lsm_usable());
	/* uprobes are attached in dbprobes_start, to binaries found at run time */
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
				const struct dbp_target *t = &targets[i];
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
static void scan_binary(struct dbprobes *k, const char *path, const struct stat *st, FILE *log)
{
	struct dbcapture_binary *b;
	char found[NTARGETS][160];
	size_t off[NTARGETS] = { 0 };
	int n;

	if (k->pr->nbins >= DBCAP_MAX_BINS)
		return;
	k->dev[k->pr->nbins] = st->st_dev;
	k->ino[k->pr->nbins] = st->st_ino;
	b = &k->pr->bins[k->pr->nbins++];
	memset(b, 0, sizeof(*b));
	snprintf(b->path, sizeof(b->path), "%s", path);
	n = elf_targets(path, found, off);
	if (n <= 0) {
		b->err = n < 0 ? n : -ENOENT;
		fprintf(log, "bulwark: database capture: %s: %s; its clients are seen on their side "
			     "only\n", path, n < 0 ? "cannot read its symbols" : "no supported query entry point");
		return;
	}
	for (size_t i = 0; i < NTARGETS; i++) {
		snprintf(b->sym[i], sizeof(b->sym[i]), "%.159s", found[i]);
		k->off[k->pr->nbins - 1][i] = off[i];
		if (found[i][0])
			b->system = targets[i].system;
	}
}

/* The default server binaries that exist here, or the --db-binary ones. */
static void scan_binaries(struct dbprobes *k, const struct dbcapture_opts *o, FILE *log)
{
	const char *const *list = o->nbinaries ? o->binaries : default_binaries;
	size_t n = o->nbinaries ? (size_t)o->nbinaries
				: sizeof(default_binaries) / sizeof(default_binaries[0]);

	for (size_t i = 0; i < n; i++) {
		glob_t g;

		if (glob(list[i], 0, NULL, &g)) {
			if (o->nbinaries)
				fprintf(log, "bulwark: database capture: --db-binary %s: no such file; "
					     "no uprobes there\n", list[i]);
			continue;
		}
		for (size_t m = 0; m < g.gl_pathc; m++) {
			char real[PATH_MAX];
			struct stat st;
			bool dup = false;

			if (!realpath(g.gl_pathv[m], real) || stat(real, &st) || !S_ISREG(st.st_mode))
				continue;
			/* mysqld is often a link to mariadbd: each file once */
			for (int j = 0; j < k->pr->nbins; j++)
				dup |= k->dev[j] == st.st_dev && k->ino[j] == st.st_ino;
			if (!dup)
				scan_binary(k, real, &st, log);
		}
		globfree(&g);
	}
}

/*
 * The program that serves name: name itself, or its 5.10 build
 * (name "_legacy", bpf/db_fentry_legacy.bpf.c) where the loader chose that.
 */
static struct bpf_program *serving_prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	char alt[96];

	if (p && bpf_program__fd(p) >= 0)
		return p;
	snprintf(alt, sizeof(alt), "%s_legacy", name);
	return bpf_object__find_program_by_name(obj, alt) ?: p;
}

/* Attaches target t of binary bin, in every process running it. */
static void probe_attach(struct dbprobes *k, struct bpf_object *obj, int bin, int t, FILE *log)
{
	struct dbcapture_binary *b = &k->pr->bins[bin];
	const struct dbp_target *tg = &targets[t];
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	LIBBPF_OPTS(bpf_uprobe_opts, ro, .retprobe = true);
	struct dbcapture_probe *pr;
	struct bpf_link **link, **retlink;
	struct bpf_program *p, *rp = NULL;

	if (k->pr->nprobes >= DBCAP_MAX_PROBES)
		return;
	link = &k->link[k->pr->nprobes];
	retlink = &k->retlink[k->pr->nprobes];
	k->nlinks = k->pr->nprobes + 1;
	pr = &k->pr->probes[k->pr->nprobes++];
	memset(pr, 0, sizeof(*pr));
	pr->bin = bin;
	pr->target = t;
	pr->ret = tg->retprog != NULL;
	p = serving_prog(obj, tg->prog);
	if (tg->retprog)
		rp = serving_prog(obj, tg->retprog);
	if (!p || (tg->retprog && !rp)) {
		pr->err = -ENOENT;
		return;
	}
	/* the offset was resolved at scan time (see elf_targets) */
	*link = bpf_program__attach_uprobe_opts(p, -1, b->path, k->off[bin][t], &uo);
	if (*link && rp)
		*retlink = bpf_program__attach_uprobe_opts(rp, -1, b->path, k->off[bin][t], &ro);
	if (!*link || (rp && !*retlink)) {
		pr->err = -errno;
		bpf_link__destroy(*link);
		*link = NULL;
		fprintf(log, "bulwark: database capture: cannot attach a uprobe to %s:%s: %s\n", b->path,
			b->sym[t], strerror(-pr->err));
		return;
	}
	if (tg->kind & (TGT_TLS | TGT_STMT))
		k->pr->server_view[tg->system] = true;
}

int dbprobes_start(struct dbprobes **out, struct bpf_object *obj, const struct dbcapture_opts *o,
		   struct dbcapture_probes *report, FILE *log)
{
	struct db_config_u cfg = { .match_pgsql = 1, .report_reads = o->all_statements };
	int fports, fpaths, fcfg, rc;
	uint32_t zero = 0, sys;
	struct dbprobes *k;

	*out = NULL;
	if (o->no_db)
		return 0;
	fports = map_fd(obj, "db_ports", log);
	fpaths = map_fd(obj, "db_paths", log);
	fcfg = map_fd(obj, "db_config", log);
	if (fports < 0 || fpaths < 0 || fcfg < 0)
		return -ENOENT;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->pr = report;
	k->held_fd = k->hold_cfg_fd = k->words_fd = k->deny_stat_fd = -1;
	*out = k;
	for (size_t i = 0; i < dbcapture_ndefault_ports; i++) {
		uint16_t port = dbcapture_default_ports[i].port;

		sys = dbcapture_default_ports[i].system;
		if (bpf_map_update_elem(fports, &port, &sys, BPF_ANY))
			goto map_err;
	}
	for (int i = 0; i < o->nports; i++) {
		sys = o->ports[i].system;
		if (bpf_map_update_elem(fports, &o->ports[i].port, &sys, BPF_ANY))
			goto map_err;
	}
	for (size_t i = 0; i < dbcapture_ndefault_sockets + (size_t)o->nsockets; i++) {
		char key[BW_UNIX_PATH_MAX] = { 0 };
		size_t nd = dbcapture_ndefault_sockets;
		const char *p = i < nd ? dbcapture_default_sockets[i] : o->sockets[i - nd].path;

		sys = i < nd ? BW_DB_MYSQL : o->sockets[i - nd].system;
		memcpy(key, p, strnlen(p, sizeof(key) - 1));
		if (bpf_map_update_elem(fpaths, key, &sys, BPF_ANY))
			goto map_err;
	}
	if (o->server && o->uprobes != DBCAP_UPROBES_NONE)
		scan_binaries(k, o, log);
	for (int i = 0; i < report->nbins; i++)
		for (int t = 0; t < (int)NTARGETS; t++)
			if (report->bins[i].sym[t][0] &&
			    (targets[t].kind & (o->uprobes == DBCAP_UPROBES_STATEMENTS ?
						TGT_STMT | TGT_LOGIN : TGT_TLS)))
				probe_attach(k, obj, i, t, log);
	if (bpf_map_update_elem(fcfg, &zero, &cfg, BPF_ANY))
		goto map_err;
	/* the servers running now, on whatever ports and sockets they listen */
	k->o = o;
	k->fports = fports;
	k->fpaths = fpaths;
	discovery_init(&k->disc, NULL);
	dbprobes_tick(k, clock_monotonic_ns());
	return 0;
map_err:
	rc = -errno;
	fprintf(log, "bulwark: database capture: cannot fill the endpoint maps: %s\n",
		strerror(-rc));
	return rc;
}

/* ---- Hold and decide (db/dbhold.h; docs/database.md, Prevention) ---- */

struct held_u {  /* bpf/lib/db.bpf.h struct db_held */
	uint64_t since_ns, conn_id, peer_conn_id, offset;
	uint32_t total, _pad;
};

static void entry_of(uint32_t pid, const struct held_u *v, struct dbhold_entry *out)
{
	*out = (struct dbhold_entry){ pid, v->since_ns, v->conn_id, v->peer_conn_id, v->offset,
				      v->total };
}

static int held_lookup(void *ctx, uint32_t pid, struct dbhold_entry *out)
{
	struct dbprobes *k = ctx;
	struct held_u v;

	if (k->held_fd < 0 || bpf_map_lookup_elem(k->held_fd, &pid, &v))
		return -ENOENT;
	entry_of(pid, &v, out);
	return 0;
}

static int held_find(void *ctx, uint64_t conn_id, struct dbhold_entry *out)
{
	struct dbprobes *k = ctx;
	uint32_t key, next, *prev = NULL;
	struct held_u v;

	if (k->held_fd < 0 || !conn_id)
		return -ENOENT;
	while (!bpf_map_get_next_key(k->held_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(k->held_fd, &key, &v) &&
		    (v.conn_id == conn_id || v.peer_conn_id == conn_id)) {
			entry_of(key, &v, out);
			return 0;
		}
	}
	return -ENOENT;
}

static int held_release(void *ctx, uint32_t pid)
{
	struct dbprobes *k = ctx;

	if (k->held_fd < 0 || bpf_map_delete_elem(k->held_fd, &pid))
		return -ENOENT;
	return 0;
}

/* Closes every descriptor above stderr but a and b. */
static void close_except(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0u, 0);
}

/*
 * The watchdog: a child process that outlives a daemon which crashes or
 * is killed. Every 50 ms it decides holds older than the deadline plus
 * one second (the daemon decides them first; this is the backstop); when
 * its parent is gone it turns holding off, decides every hold and exits.
 * It keeps the maps (and, inherited, the programs) alive only that long.
 */
static void hold_watchdog(struct dbprobes *k, pid_t parent, uint64_t deadline_ns, bool resume)
{
	struct timespec tick = { 0, 50 * 1000000 };
	uint32_t zero = 0, off[2] = { 0, 0 };

	prctl(PR_SET_NAME, "bulwark-holdwd", 0, 0, 0);
	/*
	 * Keep only the two maps it works on: an inherited journal or pin-dir
	 * lock would make a daemon restarted right after a crash find its
	 * journal "in use by another bulwark process" until this child exits.
	 */
	close_except(k->held_fd, k->hold_cfg_fd);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		bool orphan = getppid() != parent;
		uint32_t key, next, *prev = NULL;
		struct held_u v;

		if (orphan)
			bpf_map_update_elem(k->hold_cfg_fd, &zero, off, BPF_ANY);
		while (!bpf_map_get_next_key(k->held_fd, prev, &next)) {
			struct timespec now;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(k->held_fd, &key, &v))
				continue;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (!orphan && (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec -
					       v.since_ns < deadline_ns + 1000000000ull)
				continue;
			/* the entry first, as decide() in dbhold.c: the one that deletes it decides */
			if (!bpf_map_delete_elem(k->held_fd, &key)) {
				if (resume)
					dbhold_resume_pid(key);
				else
					dbhold_end_pid(key);
			}
			prev = NULL;  /* the walk restarts after a delete */
		}
		if (orphan)
			_exit(0);
		nanosleep(&tick, NULL);
	}
}

/* The deny pairs for the kill rules' kinds, and the switch: BPF-LSM at the client. */
static void deny_start(struct dbprobes *k, struct bpf_object *obj, const struct dbcapture_opts *o,
		       struct dbhold *h, FILE *log)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "lsm_socket_sendmsg_db");
	struct bpf_map *pm = bpf_object__find_map_by_name(obj, "db_deny_pairs");
	struct bpf_map *cm = bpf_object__find_map_by_name(obj, "db_deny_cfg");
	const char *pairs[32][2];
	uint32_t zero = 0, on[2] = { 1, 0 };
	uint8_t one = 1;
	int n, pfd, cfd;

	(void)k;
	if (!p || !bpf_program__autoload(p) || bpf_program__fd(p) < 0 || !pm || !cm)
		return;
	pfd = bpf_map__fd(pm);
	cfd = bpf_map__fd(cm);
	n = dbhold_deny_pairs(o->hold_kinds, pairs, 32);
	if (!n)
		return;
	for (int i = 0; i < n; i++) {
		uint64_t key[2] = { bw_hold_key(pairs[i][0], (uint32_t)strlen(pairs[i][0])),
				    pairs[i][1] ? bw_hold_key(pairs[i][1], (uint32_t)strlen(pairs[i][1])) : 0 };

		if (bpf_map_update_elem(pfd, key, &one, BPF_ANY))
			goto err;
	}
	if (bpf_map_update_elem(cfd, &zero, on, BPF_ANY))
		goto err;
	h->deny = true;
	if ((pm = bpf_object__find_map_by_name(obj, "db_deny_stat")))
		k->deny_stat_fd = bpf_map__fd(pm);
	fprintf(log, "bulwark: database deny: on (BPF-LSM): login sessions' sends holding");
	for (int i = 0; i < n; i++)
		fprintf(log, "%s%s%s%s", i ? ", " : " ", pairs[i][0], pairs[i][1] ? " " : "",
			pairs[i][1] ? pairs[i][1] : "");
	fprintf(log, " are refused before the server sees them\n");
	return;
err:
	fprintf(log, "bulwark: database deny: cannot fill its maps: %s; sends are not refused\n",
		strerror(errno));
}

int dbprobes_hold_start(struct dbprobes *k, struct bpf_object *obj, const struct dbcapture_opts *o,
			bool no_kill, struct dbhold *h, FILE *log)
{
	const char *words[BW_HOLD_WORDS_MAX];
	uint32_t zero = 0, cfg[2] = { 1, 0 };
	uint8_t one = 1;
	int n;
	pid_t parent = getpid(), pid;

	h->on = false;
	h->deny = false;
	if (k && !o->no_hold && !no_kill && o->client && o->hold_kinds)
		deny_start(k, obj, o, h, log);
	if (!k || o->no_hold || no_kill || !o->server || !o->hold_kinds)
		return 0;
	k->held_fd = map_fd(obj, "db_held", log);
	k->hold_cfg_fd = map_fd(obj, "db_hold_cfg", log);
	k->words_fd = map_fd(obj, "db_hold_words", log);
	if (k->held_fd < 0 || k->hold_cfg_fd < 0 || k->words_fd < 0)
		return -ENOENT;
	n = dbhold_words(o->hold_kinds, words, BW_HOLD_WORDS_MAX);
	for (int i = 0; i < n; i++) {
		uint64_t key = bw_hold_key(words[i], (uint32_t)strlen(words[i]));

		if (bpf_map_update_elem(k->words_fd, &key, &one, BPF_ANY))
			goto map_err;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(log, "bulwark: database hold: cannot start its watchdog (fork: %s); "
			     "PostgreSQL backends are not held\n", strerror(errno));
		return -errno;
	}
	if (pid == 0)
		hold_watchdog(k, parent, h->deadline_ns, h->resume_on_timeout);
	k->watchdog = pid;
	k->hold_resume = h->resume_on_timeout;
	if (bpf_map_update_elem(k->hold_cfg_fd, &zero, cfg, BPF_ANY))
		goto map_err;
	h->ops = (struct dbhold_ops){ held_find, held_lookup, held_release, k };
	h->on = true;
	fprintf(log, "bulwark: database hold: on: PostgreSQL backends that receive");
	for (int i = 0; i < n; i++)
		fprintf(log, "%s%s", i ? (i == n - 1 ? " or " : ", ") : " ", words[i]);
	fprintf(log, " are held for a decision, at most %llu ms, then %s (--db-hold-ms, "
		     "--db-hold-timeout)\n", (unsigned long long)(h->deadline_ns / 1000000),
		h->resume_on_timeout ? "resumed" : "ended");
	return 0;
map_err:
	n = -errno;
	fprintf(log, "bulwark: database hold: cannot fill its maps: %s; PostgreSQL backends are "
		     "not held\n", strerror(-n));
	return n;
}

/*
 * Holding off, the watchdog stopped, then every backend still held is
 * decided by the deadline's rule: called before the programs are detached.
 */
static void hold_stop(struct dbprobes *k)
{
	uint32_t zero = 0, off[2] = { 0, 0 }, key, next;
	uint64_t st[4] = { 0 };
	struct held_u v;

	for (uint32_t i = 0; k->deny_stat_fd >= 0 && i < 4; i++)
		bpf_map_lookup_elem(k->deny_stat_fd, &i, &st[i]);
	if (k->deny_stat_fd >= 0)
		fprintf(stderr, "bulwark: database deny: %llu sends checked, %llu not a tracked "
				"client past its handshake, %llu unreadable, %llu refused\n",
			(unsigned long long)st[0], (unsigned long long)st[1],
			(unsigned long long)st[2], (unsigned long long)st[3]);

	if (k->hold_cfg_fd >= 0)
		bpf_map_update_elem(k->hold_cfg_fd, &zero, off, BPF_ANY);
	if (k->watchdog > 0) {
		kill(k->watchdog, SIGTERM);
		waitpid(k->watchdog, NULL, 0);
		k->watchdog = 0;
	}
	while (k->held_fd >= 0 && !bpf_map_get_next_key(k->held_fd, NULL, &next)) {
		key = next;
		if (!bpf_map_lookup_elem(k->held_fd, &key, &v) && !bpf_map_delete_elem(k->held_fd, &key)) {
			if (k->hold_resume)
				dbhold_resume_pid(key);
			else
				dbhold_end_pid(key);
		} else {
			bpf_map_delete_elem(k->held_fd, &key);
		}
	}
}

void dbprobes_hold_reload(struct dbprobes *k, const struct dbcapture_opts *o, struct dbhold *h,
			  FILE *log)
{
	const char *words[BW_HOLD_WORDS_MAX];
	uint64_t key, next;
	uint8_t one = 1;
	int n;

	if (!k || k->words_fd < 0 || !h->on) {
		if (k && !h->on && o->hold_kinds && !o->no_hold)
			fprintf(log, "bulwark: database hold: the new kill rules would hold PostgreSQL "
				     "backends, but holding was off at start; restart bulwark to hold\n");
		return;
	}
	while (!bpf_map_get_next_key(k->words_fd, NULL, &next)) {
		key = next;
		bpf_map_delete_elem(k->words_fd, &key);
	}
	n = dbhold_words(o->hold_kinds, words, BW_HOLD_WORDS_MAX);
	for (int i = 0; i < n; i++) {
		key = bw_hold_key(words[i], (uint32_t)strlen(words[i]));
		bpf_map_update_elem(k->words_fd, &key, &one, BPF_ANY);
	}
	fprintf(log, "bulwark: database hold: %d hold word%s after the reload\n", n, n == 1 ? "" : "s");
}

void dbprobes_hold_stop(struct dbprobes *k)
{
	if (k)
		hold_stop(k);
}

void dbprobes_free(struct dbprobes *k)
{
	if (!k)
		return;
	hold_stop(k);
	discovery_free(&k->disc);
	free(k->in_maps);
	/* the report may be gone already (the dbcapture is freed first) */
	for (int i = 0; i < k->nlinks; i++) {
		bpf_link__destroy(k->retlink[i]);
		bpf_link__destroy(k->link[i]);
	}
	free(k);
}

/* An endpoint that is always in the maps (the defaults, --db-port, --db-socket). */
static bool fixed_endpoint(const struct dbprobes *k, const struct disc_endpoint *e)
{
	const struct dbcapture_opts *o = k->o;

	if (e->port) {
		for (size_t i = 0; i < dbcapture_ndefault_ports; i++)
			if (dbcapture_default_ports[i].port == e->port)
				return true;
		for (int i = 0; i < o->nports; i++)
			if (o->ports[i].port == e->port)
				return true;
		return false;
	}
	for (size_t i = 0; i < dbcapture_ndefault_sockets; i++)
		if (!strcmp(dbcapture_default_sockets[i], e->path))
			return true;
	for (int i = 0; i < o->nsockets; i++)
		if (!strcmp(o->sockets[i].path, e->path))
			return true;
	return false;
}

static bool same_endpoint(const struct disc_endpoint *a, const struct disc_endpoint *b)
{
	return a->port == b->port && (a->port || !strcmp(a->path, b->path));
}

static int endpoint_map(const struct dbprobes *k, const struct disc_endpoint *e, bool add)
{
	char key[BW_UNIX_PATH_MAX] = { 0 };
	uint32_t sys = e->system;
	int rc;

	if (e->port)
		rc = add ? bpf_map_update_elem(k->fports, &e->port, &sys, BPF_ANY)
			 : bpf_map_delete_elem(k->fports, &e->port);
	else {
		memcpy(key, e->path, strnlen(e->path, sizeof(key) - 1));
		rc = add ? bpf_map_update_elem(k->fpaths, key, &sys, BPF_ANY)
			 : bpf_map_delete_elem(k->fpaths, key);
	}
	return rc ? -errno : 0;
}

/*
 * The maps get what the last scan found: new endpoints added, those of
 * servers that stopped removed, the fixed ones left alone. A full map
 * (a server on hundreds of ports) keeps what fits; the rest is counted.
 */
static void sync_endpoints(struct dbprobes *k)
{
	const struct discovery *d = &k->disc;
	struct disc_endpoint *now = NULL;
	int n = 0;

	for (int i = 0; i < k->nin_maps; i++) {
		bool live = false;

		for (int j = 0; j < d->n && !live; j++)
			live = same_endpoint(&k->in_maps[i], &d->ep[j]);
		if (!live && !fixed_endpoint(k, &k->in_maps[i]))
			endpoint_map(k, &k->in_maps[i], false);
	}
	if (d->n)
		now = calloc((size_t)d->n, sizeof(*now));
	k->not_in_maps = 0;
	for (int j = 0; j < d->n; j++) {
		if (fixed_endpoint(k, &d->ep[j]))
			continue;
		if (endpoint_map(k, &d->ep[j], true)) {
			k->not_in_maps++;
			continue;
		}
		if (now)
			now[n++] = d->ep[j];
	}
	free(k->in_maps);
	k->in_maps = now;
	k->nin_maps = n;
}

void dbprobes_tick(struct dbprobes *k, uint64_t now_ns)
{
	if (!k || !k->o || !discovery_due(&k->disc, now_ns))
		return;
	if (discovery_scan(&k->disc, now_ns) > 0)
		sync_endpoints(k);
}

void dbprobes_exec(struct dbprobes *k, const char *exe, size_t len, uint64_t now_ns)
{
	if (k && k->o)
		discovery_exec(&k->disc, exe, len, now_ns);
}

void dbprobes_status_json(const struct dbprobes *k, struct jbuf *b)
{
	if (!k || !k->o)
		return;
	jbuf_printf(b, ",\"db_endpoints_not_in_maps\":%d,", k->not_in_maps);
	discovery_status_json(&k->disc, b);
}
