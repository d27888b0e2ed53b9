// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Database discovery: finds the server processes of PostgreSQL, MariaDB
 * and MySQL by name, their sockets from /proc/PID/fd, and which of those
 * sockets listen, and where, from their network namespace's
 * /proc/PID/net/{tcp,tcp6,unix}. The daemon feeds the result to the
 * kernel's endpoint maps (kernel/dbprobes.c), so servers on any port or
 * socket path are captured with no --db-port/--db-socket.
 *
 * Why /proc and no kernel hook: a server binds its listening sockets once,
 * seconds to a minute after it starts, and keeps them; what changes them is
 * a server (re)start, which is an exec the daemon already sees for every
 * process. Rescans after such an exec, and a slow backstop rescan, find
 * them with no program on the listen path and nothing added to the event
 * ABI. A scan reads /proc/PID/stat of every process and, for the servers
 * only, their fd links and their namespace's socket tables.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/json.h"
#include "db/discovery.h"

#define NS_PER_S 1000000000ull
#define SO_ACCEPTCON 0x10000  /* /proc/net/unix Flags: a listening socket */
#define UNIX_STREAM 1

static const struct {
	const char *name;
	uint8_t system;
} server_names[] = {
	{ "postgres", BW_DB_PG }, { "postmaster", BW_DB_PG },
	{ "mariadbd", BW_DB_MYSQL }, { "mysqld", BW_DB_MYSQL },
};

uint8_t discovery_server_kind(const char *name)
{
	for (size_t i = 0; i < sizeof(server_names) / sizeof(server_names[0]); i++)
		if (!strcmp(name, server_names[i].name))
			return server_names[i].system;
	return 0;
}

int discovery_init(struct discovery *d, const char *proc_root)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->proc, sizeof(d->proc), "%s", proc_root ? proc_root : "/proc");
	return 0;
}

void discovery_free(struct discovery *d)
{
	free(d->ep);
	d->ep = NULL;
	d->n = 0;
}

/* A server process found by name. */
struct cand {
	int pid, ppid;
	uint8_t system;
	char comm[16];
	uint64_t netns;          /* inode of /proc/PID/ns/net, 0 if unknown */
};

/* A listening socket of one network namespace. */
struct lsock {
	uint64_t ino;
	uint16_t port;           /* 0: Unix */
	char path[DISC_PATH_MAX];
};

struct nstab {
	uint64_t netns;
	struct lsock *s;
	int n, cap;
};

/* The scan's working set, freed in one place. */
struct scan {
	struct cand *c;
	int nc, capc;
	struct nstab *ns;
	int nns;
	uint64_t *ino;           /* one server's socket inodes, sorted */
	int nino, capino;
	struct disc_endpoint *ep;
	int nep, capep, dropped;
};

static int grow(void **p, int *cap, int need, size_t size)
{
	void *np;
	int nc;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	np = realloc(*p, (size_t)nc * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

/* comm and ppid from /proc/PID/stat ("pid (comm) S ppid ..."); 0 or -errno. */
static int read_stat(const char *proc, int pid, char *comm, size_t cn, int *ppid)
{
	char path[320], buf[512], *l, *r;
	int len;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/stat", proc, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l || r[1] != ' ' || !r[2] || r[3] != ' ')
		return -EINVAL;
	len = (int)(r - l - 1);
	if (len >= (int)cn)
		len = (int)cn - 1;
	memcpy(comm, l + 1, (size_t)len);
	comm[len] = 0;
	*ppid = atoi(r + 4);
	return 0;
}

static uint64_t link_inode(const char *path, const char *prefix)
{
	char buf[128];
	size_t pl = strlen(prefix);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n <= (ssize_t)pl || strncmp(buf, prefix, pl))
		return 0;
	buf[n] = 0;
	return strtoull(buf + pl, NULL, 10);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* s->ino = the socket inodes of pid's open files, sorted. */
static int socket_inodes(struct scan *s, const char *proc, int pid)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	s->nino = 0;
	snprintf(path, sizeof(path), "%s/%d/fd", proc, pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		uint64_t ino;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%d/fd/%s", proc, pid, de->d_name);
		ino = link_inode(path, "socket:[");
		if (!ino)
			continue;
		if (grow((void **)&s->ino, &s->capino, s->nino + 1, sizeof(*s->ino))) {
			closedir(dir);
			return -ENOMEM;
		}
		s->ino[s->nino++] = ino;
	}
	closedir(dir);
	qsort(s->ino, (size_t)s->nino, sizeof(*s->ino), cmp_u64);
	return 0;
}

static int ns_add(struct nstab *t, uint64_t ino, uint16_t port, const char *path, size_t plen)
{
	struct lsock *l;

	if (grow((void **)&t->s, &t->cap, t->n + 1, sizeof(*t->s)))
		return -ENOMEM;
	l = &t->s[t->n++];
	l->ino = ino;
	l->port = port;
	if (plen >= sizeof(l->path))
		plen = sizeof(l->path) - 1;
	memcpy(l->path, path, plen);
	l->path[plen] = 0;
	return 0;
}

/* Listening TCP sockets of /proc/PID/net/tcp or tcp6 (state 0A). */
static int parse_tcp(struct nstab *t, const char *file)
{
	FILE *f = fopen(file, "re");
	char line[512];
	int err = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6 */
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned int port, st;
		unsigned long long ino;

		if (sscanf(line, " %*[0-9]: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*s %*s %*s %*u %*u %llu",
			   &port, &st, &ino) != 3 || st != 0x0A || !ino || port > 65535)
			continue;
		err = ns_add(t, ino, (uint16_t)port, "", 0);
	}
	fclose(f);
	return err;
}

/* Listening stream Unix sockets with a path (not abstract) of /proc/PID/net/unix. */
static int parse_unix(struct nstab *t, const char *file)
{
	FILE *f = fopen(file, "re");
	char line[640];
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned int flags, type, st;
		unsigned long long ino;
		int off = 0;
		char *p;
		size_t n;

		if (sscanf(line, "%*[0-9A-Fa-f]: %*x %*x %x %x %x %llu %n", &flags, &type, &st, &ino,
			   &off) != 4 || !off || !(flags & SO_ACCEPTCON) || type != UNIX_STREAM)
			continue;
		p = line + off;
		n = strcspn(p, "\n");
		if (!n || p[0] != '/')
			continue; /* unnamed or abstract (@name) */
		err = ns_add(t, ino, 0, p, n);
	}
	fclose(f);
	return err;
}

/* The listening sockets of pid's network namespace, parsed once per namespace. */
static struct nstab *ns_table(struct scan *s, const char *proc, const struct cand *c)
{
	char path[320];
	struct nstab *t, *nt;

	for (int i = 0; i < s->nns; i++)
		if (c->netns && s->ns[i].netns == c->netns)
			return &s->ns[i];
	nt = realloc(s->ns, (size_t)(s->nns + 1) * sizeof(*nt));
	if (!nt)
		return NULL;
	s->ns = nt;
	t = &s->ns[s->nns++];
	memset(t, 0, sizeof(*t));
	t->netns = c->netns;
	snprintf(path, sizeof(path), "%s/%d/net/tcp", proc, c->pid);
	if (parse_tcp(t, path))
		return t;
	snprintf(path, sizeof(path), "%s/%d/net/tcp6", proc, c->pid);
	if (parse_tcp(t, path))
		return t;
	snprintf(path, sizeof(path), "%s/%d/net/unix", proc, c->pid);
	parse_unix(t, path);
	return t;
}

static int ep_cmp(const void *a, const void *b)
{
	const struct disc_endpoint *x = a, *y = b;

	if (x->system != y->system)
		return x->system - y->system;
	if (x->port != y->port)
		return x->port - y->port;
	return strcmp(x->path, y->path);
}

/* The endpoints of one server process. */
static int server_endpoints(struct scan *s, const char *proc, const struct cand *c)
{
	struct nstab *t;

	if (socket_inodes(s, proc, c->pid) || !s->nino)
		return 0; /* gone, or not ours to read: nothing to add */
	t = ns_table(s, proc, c);
	if (!t)
		return -ENOMEM;
	for (int i = 0; i < t->n; i++) {
		struct disc_endpoint *e;

		if (!bsearch(&t->s[i].ino, s->ino, (size_t)s->nino, sizeof(*s->ino), cmp_u64))
			continue;
		if (s->nep >= DISC_MAX_ENDPOINTS) {
			s->dropped++;
			continue;
		}
		if (grow((void **)&s->ep, &s->capep, s->nep + 1, sizeof(*s->ep)))
			return -ENOMEM;
		e = &s->ep[s->nep++];
		memset(e, 0, sizeof(*e));
		e->system = c->system;
		e->pid = c->pid;
		e->port = t->s[i].port;
		memcpy(e->server, c->comm, sizeof(e->server));
		memcpy(e->path, t->s[i].path, sizeof(e->path));
	}
	return 0;
}

static bool parent_is_server(const struct scan *s, const struct cand *c)
{
	for (int i = 0; i < s->nc; i++)
		if (s->c[i].pid == c->ppid && s->c[i].system == c->system)
			return true;
	return false;
}

int discovery_scan(struct discovery *d, uint64_t now_ns)
{
	uint64_t t0 = clock_monotonic_ns();
	struct scan s = { 0 };
	struct dirent *de;
	int err = 0, changed, nu = 0;
	DIR *dir = opendir(d->proc);

	if (!dir) {
		d->err = -errno;
		goto schedule;
	}
	/* the server processes, by name */
	while ((de = readdir(dir))) {
		char comm[16], path[320];
		int pid, ppid = 0;
		uint8_t sys;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (read_stat(d->proc, pid, comm, sizeof(comm), &ppid))
			continue;
		sys = discovery_server_kind(comm);
		if (!sys)
			continue;
		if (grow((void **)&s.c, &s.capc, s.nc + 1, sizeof(*s.c))) {
			err = -ENOMEM;
			break;
		}
		snprintf(path, sizeof(path), "%s/%d/ns/net", d->proc, pid);
		s.c[s.nc] = (struct cand){ .pid = pid, .ppid = ppid, .system = sys,
					   .netns = link_inode(path, "net:[") };
		memcpy(s.c[s.nc].comm, comm, sizeof(comm));
		s.nc++;
	}
	closedir(dir);
	/*
	 * PostgreSQL's backends and workers are children of the postmaster
	 * and close its listening sockets: only processes whose parent is not
	 * a server of the same kind are looked into, a few per host.
	 */
	for (int i = 0; !err && i < s.nc; i++)
		if (!parent_is_server(&s, &s.c[i]))
			err = server_endpoints(&s, d->proc, &s.c[i]);
	if (err) {
		d->err = err;
		goto out;
	}
	/* one entry per endpoint: IPv4 and IPv6 listeners share a port */
	qsort(s.ep, (size_t)s.nep, sizeof(*s.ep), ep_cmp);
	for (int i = 0; i < s.nep; i++)
		if (!nu || ep_cmp(&s.ep[nu - 1], &s.ep[i]))
			s.ep[nu++] = s.ep[i];
	changed = nu != d->n;
	for (int i = 0; !changed && i < nu; i++)
		changed = ep_cmp(&s.ep[i], &d->ep[i]) || s.ep[i].pid != d->ep[i].pid;
	free(d->ep);
	d->ep = s.ep;
	s.ep = NULL;
	d->n = nu;
	d->dropped = s.dropped;
	d->servers = s.nc;
	d->err = 0;
	err = changed;
out:
	free(s.c);
	for (int i = 0; i < s.nns; i++)
		free(s.ns[i].s);
	free(s.ns);
	free(s.ino);
	free(s.ep);
schedule:
	d->scans++;
	d->last_scan_ns = now_ns;
	d->last_cost_ns = clock_monotonic_ns() - t0;
	/* the rescans after a server exec: 1, 2, 4 ... 64 s after it; then the backstop */
	if (d->after_exec > 0) {
		d->after_exec--;
		d->next_ns = d->exec_ns + (1ull << (DISC_AFTER_EXEC_SCANS - d->after_exec)) * NS_PER_S;
	}
	if (!d->after_exec || d->next_ns > now_ns + DISC_BACKSTOP_S * NS_PER_S)
		d->next_ns = now_ns + DISC_BACKSTOP_S * NS_PER_S;
	return d->err ? d->err : err;
}

void discovery_exec(struct discovery *d, const char *exe, size_t len, uint64_t now_ns)
{
	char name[32];
	const char *b = exe;

	for (size_t i = 0; i < len; i++)
		if (exe[i] == '/')
			b = exe + i + 1;
	if ((size_t)(exe + len - b) >= sizeof(name))
		return;
	snprintf(name, sizeof(name), "%.*s", (int)(exe + len - b), b);
	if (!discovery_server_kind(name))
		return;
	d->exec_ns = now_ns;
	d->after_exec = DISC_AFTER_EXEC_SCANS;
	d->next_ns = now_ns + NS_PER_S;
}

bool discovery_due(const struct discovery *d, uint64_t now_ns)
{
	return now_ns >= d->next_ns;
}

void discovery_status_json(const struct discovery *d, struct jbuf *b)
{
	jbuf_printf(b, "\"discovery\":{\"scans\":%llu,\"servers\":%d,\"endpoints\":%d,"
		       "\"endpoints_not_kept\":%d,\"last_scan_ms\":%.3f,\"error\":",
		    (unsigned long long)d->scans, d->servers, d->n, d->dropped,
		    (double)d->last_cost_ns / 1e6);
	if (d->err)
		json_put_str(b, strerror(-d->err), strlen(strerror(-d->err)));
	else
		jbuf_puts(b, "null");
	jbuf_puts(b, ",\"instances\":[");
	for (int i = 0; i < d->n; i++) {
		const struct disc_endpoint *e = &d->ep[i];

		jbuf_printf(b, "%s{\"system\":\"%s\",\"server\":", i ? "," : "",
			    e->system == BW_DB_PG ? "postgresql" : "mysql");
		json_put_str(b, e->server, strlen(e->server));
		jbuf_printf(b, ",\"pid\":%d,", e->pid);
		if (e->port) {
			jbuf_printf(b, "\"port\":%u}", e->port);
		} else {
			jbuf_puts(b, "\"socket\":");
			json_put_str(b, e->path, strlen(e->path));
			jbuf_putc(b, '}');
		}
	}
	jbuf_puts(b, "]}");
}
