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
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bulwark_abi.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/dbcapture.h"
#include "db/discovery.h"
#include "kernel/dbprobes.h"

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

void dbprobes_free(struct dbprobes *k)
{
	if (!k)
		return;
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
