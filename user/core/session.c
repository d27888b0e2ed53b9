// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Session table: built from the events' audit session ids, with origin, leader and chain read from /proc. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/session.h"

int session_table_init(struct session_table *st, const char *proc_root, uint32_t nbuckets)
{
	char path[256];
	struct timespec rt, bt;
	uint32_t n = 1;

	memset(st, 0, sizeof(*st));
	while (n < nbuckets)
		n <<= 1;
	st->buckets = calloc(n, sizeof(*st->buckets));
	if (!st->buckets)
		return -ENOMEM;
	st->nbuckets = n;
	st->proc_root = proc_root ? proc_root : "/proc";
	snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id", st->proc_root);
	if (proc_read_small(path, st->boot_id, sizeof(st->boot_id)) > 0)
		st->boot_id[strcspn(st->boot_id, "\n")] = 0;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	st->boot_to_epoch_ns = ((uint64_t)rt.tv_sec - (uint64_t)bt.tv_sec) * 1000000000ull +
			       (uint64_t)rt.tv_nsec - (uint64_t)bt.tv_nsec;
	return 0;
}

void session_table_free(struct session_table *st)
{
	for (uint32_t i = 0; st->buckets && i < st->nbuckets; i++)
		for (struct session *s = st->buckets[i], *n; s; s = n) {
			n = s->next;
			free(s);
		}
	free(st->buckets);
	memset(st, 0, sizeof(*st));
}

static inline uint32_t sbucket(const struct session_table *st, uint32_t id)
{
	return (id * 2654435761u) & (st->nbuckets - 1);
}

struct session *session_get(struct session_table *st, uint32_t id)
{
	for (struct session *s = st->buckets[sbucket(st, id)]; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

/* ---- addresses ---- */

void session_format_addr(const uint8_t *addr, bool v6, uint16_t port, char *origin, char *ip, size_t cap)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char a[INET6_ADDRSTRLEN] = "";

	if (v6 && !memcmp(addr, mapped, sizeof(mapped))) {
		addr += 12; /* an IPv4 client of a dual-stack listener */
		v6 = false;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(ip, cap, "%s", a);
	snprintf(origin, cap, v6 ? "[%s]:%u" : "%s:%u", a, port);
}

/*
 * /proc/net/tcp{,6} lines: "sl local rem st tx:rx tr:when retr uid timeout inode".
 * Addresses are the kernel's 32-bit words printed in host order.
 */
int session_tcp_lookup(const char *text, bool v6, uint64_t ino, char *origin, char *ip, size_t cap)
{
	const char *line = strchr(text, '\n');

	for (; line && line[1]; line = strchr(line + 1, '\n')) {
		char rem[40], st[8];
		unsigned port;
		unsigned long long inode;
		uint8_t addr[16];
		size_t nw = v6 ? 4 : 1;

		if (sscanf(line + 1, " %*s %*s %39[0-9A-Fa-f]:%x %7s %*s %*s %*s %*s %*s %llu", rem, &port,
			   st, &inode) != 4)
			continue;
		if (inode != ino || strcmp(st, "01") || strlen(rem) != nw * 8)
			continue;
		for (size_t w = 0; w < nw; w++) {
			char word[9];
			uint32_t v;

			memcpy(word, rem + w * 8, 8);
			word[8] = 0;
			v = (uint32_t)strtoul(word, NULL, 16);
			memcpy(addr + w * 4, &v, 4);
		}
		session_format_addr(addr, v6, (uint16_t)port, origin, ip, cap);
		return 0;
	}
	return -ENOENT;
}

int session_ssh_connection(const char *val, char *origin, char *ip, size_t cap)
{
	char a[INET6_ADDRSTRLEN + 1];
	unsigned port;
	uint8_t addr[16];

	if (sscanf(val, "%46s %u", a, &port) != 2 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, a, addr) == 1)
		session_format_addr(addr, false, (uint16_t)port, origin, ip, cap);
	else if (inet_pton(AF_INET6, a, addr) == 1)
		session_format_addr(addr, true, (uint16_t)port, origin, ip, cap);
	else
		return -EINVAL;
	return 0;
}

/* ---- /proc readers ---- */

static int read_u32(const struct session_table *st, uint32_t pid, const char *file, uint32_t *v)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "%s/%u/%s", st->proc_root, pid, file);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	*v = (uint32_t)strtoul(buf, NULL, 10);
	return 0;
}

/* ppid and start time (epoch ns) from /proc/PID/stat. */
static int read_stat(const struct session_table *st, uint32_t pid, uint32_t *ppid, uint64_t *start_ns,
		     char *comm, size_t commcap)
{
	char path[256], buf[1024], *s, *c;
	unsigned long long start = 0;
	unsigned long pp = 0;

	snprintf(path, sizeof(path), "%s/%u/stat", st->proc_root, pid);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0 || !(s = strrchr(buf, ')')) ||
	    !(c = strchr(buf, '(')))
		return -ENOENT;
	if (comm) {
		size_t n = (size_t)(s - c - 1) < commcap - 1 ? (size_t)(s - c - 1) : commcap - 1;

		memcpy(comm, c + 1, n);
		comm[n] = 0;
	}
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice threads itrealvalue starttime */
	if (sscanf(s + 2, "%*c %lu %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
		   &pp, &start) < 1)
		return -EINVAL;
	*ppid = (uint32_t)pp;
	if (start_ns) {
		long hz = sysconf(_SC_CLK_TCK);

		*start_ns = start ? st->boot_to_epoch_ns + start * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100)) : 0;
	}
	return 0;
}

static bool is_sshd(const char *comm, const char *exe)
{
	const char *b = strrchr(exe, '/');

	b = b ? b + 1 : exe;
	return !strcmp(comm, "sshd") || !strcmp(comm, "sshd-session") || !strcmp(b, "sshd") ||
	       !strcmp(b, "sshd-session");
}

/* The accepted TCP socket of an sshd process: its socket inodes matched in its netns's tcp tables. */
static int origin_from_sockets(struct session_table *st, uint32_t pid, struct session *s)
{
	char path[256], link[64], *text = NULL;
	DIR *d;
	struct dirent *de;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "%s/%u/fd", st->proc_root, pid);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	text = malloc(1 << 20);
	while (text && rc && (de = readdir(d))) {
		char fp[512];
		ssize_t n;
		unsigned long long ino;

		snprintf(fp, sizeof(fp), "%s/%s", path, de->d_name);
		n = readlink(fp, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		for (int v6 = 0; v6 < 2 && rc; v6++) {
			snprintf(fp, sizeof(fp), "%s/%u/net/tcp%s", st->proc_root, pid, v6 ? "6" : "");
			if (proc_read_small(fp, text, 1 << 20) > 0)
				rc = session_tcp_lookup(text, v6, ino, s->origin, s->origin_ip,
							sizeof(s->origin));
		}
	}
	free(text);
	closedir(d);
	return rc;
}

static int origin_from_environ(struct session_table *st, uint32_t pid, struct session *s)
{
	char path[256], *buf = malloc(65536);
	ssize_t n;
	int rc = -ENOENT;

	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%u/environ", st->proc_root, pid);
	n = proc_read_small(path, buf, 65536);
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (!strncmp(buf + i, "SSH_CONNECTION=", 15)) {
			rc = session_ssh_connection(buf + i + 15, s->origin, s->origin_ip, sizeof(s->origin));
			break;
		}
	free(buf);
	return rc;
}

static void read_tty(struct session_table *st, uint32_t pid, struct session *s)
{
	char path[256], link[64];
	ssize_t n;

	for (int fd = 0; fd < 3 && !s->tty[0]; fd++) {
		snprintf(path, sizeof(path), "%s/%u/fd/%d", st->proc_root, pid, fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 5)
			continue;
		link[n] = 0;
		if (!strncmp(link, "/dev/pts/", 9) || !strncmp(link, "/dev/tty", 8))
			snprintf(s->tty, sizeof(s->tty), "%.31s", link + 5);
	}
}

/* A transient unit of systemd-run: its cgroup is .../run-*.service or run-*.scope. */
static bool in_run_unit(const struct session_table *st, uint32_t pid)
{
	char path[256], buf[1024];

	snprintf(path, sizeof(path), "%s/%u/cgroup", st->proc_root, pid);
	return proc_read_small(path, buf, sizeof(buf)) > 0 && strstr(buf, "/run-");
}

/*
 * Where the session came from. An address only from sshd's own accepted
 * socket, or SSH_CONNECTION in a process sshd started: never guessed.
 */
static void resolve_origin(struct session_table *st, struct proctable *pt, struct session *s, uint32_t pid)
{
	char comm[16] = "", exe[256] = "", path[256];
	uint32_t ppid = 0;
	ssize_t n;

	if (is_sshd(s->leader_comm, s->leader_exe)) {
		if (!origin_from_sockets(st, s->leader_pid, s) || !origin_from_environ(st, pid, s))
			return;
		snprintf(s->origin, sizeof(s->origin), "unknown");
		return;
	}
	/* The leader's parent: sshd when the session began at the shell (pam_loginuid in a child). */
	if (!read_stat(st, s->leader_pid, &ppid, NULL, NULL, 0) && ppid) {
		struct proc *pp = proctable_get(pt, ppid);

		if (pp) {
			snprintf(comm, sizeof(comm), "%s", pp->comm);
			snprintf(exe, sizeof(exe), "%s", pp->exe ? pp->exe : "");
		} else {
			read_stat(st, ppid, &(uint32_t){ 0 }, NULL, comm, sizeof(comm));
			snprintf(path, sizeof(path), "%s/%u/exe", st->proc_root, ppid);
			n = readlink(path, exe, sizeof(exe) - 1);
			exe[n > 0 ? n : 0] = 0;
		}
		if (is_sshd(comm, exe) && (!origin_from_sockets(st, ppid, s) ||
					   !origin_from_environ(st, s->leader_pid, s)))
			return;
	}
	if (!strcmp(s->leader_comm, "login") || !strcmp(s->leader_comm, "agetty") ||
	    (!strncmp(s->tty, "tty", 3) && s->tty[3] >= '0' && s->tty[3] <= '9'))
		snprintf(s->origin, sizeof(s->origin), "console");
	else if (!strcasecmp(s->leader_comm, "cron") || !strcmp(comm, "cron"))
		snprintf(s->origin, sizeof(s->origin), "cron");
	else if (ppid == 1 && in_run_unit(st, s->leader_pid))
		snprintf(s->origin, sizeof(s->origin), "systemd-run");
	else
		snprintf(s->origin, sizeof(s->origin), "unknown");
}

struct session *session_open(struct session_table *st, struct proctable *pt, uint32_t id,
			     uint32_t pid, uint64_t now_ns)
{
	struct session *s;
	struct passwd *pw;
	uint32_t cur = pid, ppid, sid, b;
	char path[256];
	ssize_t n;

	if (id == BW_NO_SESSION)
		return NULL;
	s = session_get(st, id);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->start_ns = s->last_ns = now_ns;
	s->tty_tries = 8;
	s->origin_tries = 5;
	s->loginuid = BW_NO_SESSION;
	/* The leader: walk up while the parent is in the same session (bounded: no cycle can hang us). */
	for (int depth = 0; depth < 64 && cur > 1; depth++) {
		if (read_stat(st, cur, &ppid, NULL, NULL, 0) || ppid <= 1 ||
		    read_u32(st, ppid, "sessionid", &sid) || sid != id)
			break;
		cur = ppid;
	}
	s->leader_pid = cur;
	{
		struct proc *p = proctable_get(pt, cur);

		if (p) {
			snprintf(s->leader_comm, sizeof(s->leader_comm), "%s", p->comm);
			snprintf(s->leader_exe, sizeof(s->leader_exe), "%s", p->exe ? p->exe : "");
			s->loginuid = p->loginuid;
		}
	}
	if (!s->leader_comm[0])
		read_stat(st, cur, &ppid, NULL, s->leader_comm, sizeof(s->leader_comm));
	if (!s->leader_exe[0]) {
		snprintf(path, sizeof(path), "%s/%u/exe", st->proc_root, cur);
		n = readlink(path, s->leader_exe, sizeof(s->leader_exe) - 1);
		s->leader_exe[n > 0 ? n : 0] = 0;
	}
	{
		uint64_t start = 0;

		if (!read_stat(st, cur, &ppid, &start, NULL, 0) && start && start < s->start_ns)
			s->start_ns = start;
	}
	read_u32(st, cur, "loginuid", &s->loginuid);
	if (s->loginuid != BW_NO_SESSION && (pw = getpwuid(s->loginuid)))
		snprintf(s->loginname, sizeof(s->loginname), "%s", pw->pw_name);
	read_tty(st, pid, s);
	resolve_origin(st, pt, s, pid);
	b = sbucket(st, id);
	s->next = st->buckets[b];
	st->buckets[b] = s;
	st->count++;
	return s;
}

int session_seed(struct session_table *st, struct proctable *pt, uint64_t now_ns)
{
	int n = 0;

	for (uint32_t i = 0; i < pt->nbuckets; i++)
		for (struct proc *p = pt->buckets[i]; p; p = p->next)
			if (p->sessionid != BW_NO_SESSION && !session_get(st, p->sessionid) &&
			    session_open(st, pt, p->sessionid, p->pid, now_ns))
				n++;
	return n;
}

size_t session_via(struct proctable *pt, const struct session *s, uint32_t pid, char *out, size_t cap)
{
	const char *names[SESSION_VIA_DEPTH];
	int k = 0;
	bool cut = false;
	size_t o = 0;
	uint32_t cur = pid;

	/* Up from the event's process to the leader, in the table (no /proc on the hot path). */
	for (int depth = 0; depth < 64 && cur; depth++) {
		struct proc *p = proctable_get(pt, cur);

		if (!p || cur == s->leader_pid)
			break;
		if (k < SESSION_VIA_DEPTH - 1)
			names[k++] = p->comm;
		else
			cut = true;
		if (p->ppid == cur)
			break;
		cur = p->ppid;
	}
	out[0] = 0;
	o = (size_t)snprintf(out, cap, "%s", s->leader_comm[0] ? s->leader_comm : "?");
	if (cut && o < cap)
		o += (size_t)snprintf(out + o, cap - o, " -> ...");
	while (k-- > 0 && o < cap) {
		/* one name per process; consecutive equal names (threads of a pipeline) kept: each is a process */
		o += (size_t)snprintf(out + o, cap - o, " -> %s", names[k]);
	}
	return o < cap ? o : cap - 1;
}

static void set_s(struct bw_event *e, enum bw_field f, struct bw_str *dst, const char *s)
{
	*dst = (struct bw_str){ s, (uint32_t)strlen(s) };
	event_set_present(e, f);
}

void session_annotate(struct session_table *st, struct proctable *pt, struct bw_event *e)
{
	struct session *s;

	if (!event_has(e, FLD_SESSION_ID) || e->sessionid == BW_NO_SESSION)
		return;
	s = session_get(st, (uint32_t)e->sessionid);
	if (!s)
		s = session_open(st, pt, (uint32_t)e->sessionid, (uint32_t)e->pid, e->time_ns);
	if (!s)
		return;
	if (e->time_ns > s->last_ns)
		s->last_ns = e->time_ns;
	switch (e->type) {
	case BW_EVT_EXECVE:
		s->execs++;
		if (!s->tty[0] && s->tty_tries) {
			s->tty_tries--;
			read_tty(st, (uint32_t)e->pid, s);
		}
		if (!strcmp(s->origin, "unknown") && s->origin_tries && is_sshd(s->leader_comm, s->leader_exe)) {
			s->origin_tries--;
			resolve_origin(st, pt, s, (uint32_t)e->pid);
		}
		break;
	case BW_EVT_UNLINK: case BW_EVT_UNLINKAT: case BW_EVT_RMDIR:
	case BW_EVT_TRUNCATE: case BW_EVT_FTRUNCATE:
		if (e->res == 0)
			s->deletions++;
		break;
	case BW_EVT_DB_QUERY:
		if (e->db_destructive)
			s->destructive++;
		break;
	case BW_EVT_EXIT:
		if (e->pid == s->leader_pid && !s->end_ns) {
			s->end_ns = e->time_ns;
			if (!s->end[0])
				snprintf(s->end, sizeof(s->end), "logout");
		}
		break;
	default:
		break;
	}
	e->session_loginuid = s->loginuid;
	event_set_present(e, FLD_SESSION_LOGINUID);
	if (s->loginname[0])
		set_s(e, FLD_SESSION_LOGINNAME, &e->session_loginname, s->loginname);
	e->session_start = s->start_ns;
	event_set_present(e, FLD_SESSION_START);
	if (s->tty[0])
		set_s(e, FLD_SESSION_TTY, &e->session_tty, s->tty);
	set_s(e, FLD_SESSION_ORIGIN, &e->session_origin, s->origin);
	if (s->origin_ip[0])
		set_s(e, FLD_SESSION_ORIGIN_IP, &e->session_origin_ip, s->origin_ip);
	e->session_leader = s->leader_pid;
	event_set_present(e, FLD_SESSION_LEADER);
	set_s(e, FLD_SESSION_LEADER_EXE, &e->session_leader_exe, s->leader_exe);
	session_via(pt, s, (uint32_t)e->pid, st->via, sizeof(st->via));
	set_s(e, FLD_SESSION_VIA, &e->session_via, st->via);
	if (st->boot_id[0])
		set_s(e, FLD_SESSION_BOOT, &e->session_boot, st->boot_id);
}

void session_note_alert(struct session_table *st, const struct bw_event *e, const char *rule, bool killed)
{
	struct session *s;

	if (e->sessionid == BW_NO_SESSION || !(s = session_get(st, (uint32_t)e->sessionid)))
		return;
	s->alerts++;
	if (killed) {
		s->kills++;
		snprintf(s->end, sizeof(s->end), "killed by rule %.80s", rule);
	}
}

void session_tick(struct session_table *st, struct proctable *pt, uint64_t now_ns, uint64_t keep_ns)
{
	for (uint32_t i = 0; i < st->nbuckets; i++) {
		struct session **link = &st->buckets[i];

		while (*link) {
			struct session *s = *link;
			char path[256];

			if (!s->end_ns) {
				/* a leader gone without an exit event we saw (seeded, or lost): ended */
				snprintf(path, sizeof(path), "%s/%u", st->proc_root, s->leader_pid);
				if (access(path, F_OK)) {
					s->end_ns = now_ns;
					if (!s->end[0])
						snprintf(s->end, sizeof(s->end), "logout");
				} else if (!strcmp(s->origin, "unknown") && s->origin_tries) {
					s->origin_tries--;
					resolve_origin(st, pt, s, s->leader_pid);
				}
			}
			if (s->end_ns && now_ns > s->end_ns + keep_ns && now_ns > s->last_ns + keep_ns) {
				*link = s->next;
				free(s);
				st->count--;
			} else {
				link = &s->next;
			}
		}
	}
}

static void put_kv_str(struct jbuf *b, const char *k, const char *v)
{
	jbuf_putc(b, ',');
	json_put_key(b, k);
	json_put_str(b, v, strlen(v));
}

void session_table_json(const struct session_table *st, struct jbuf *b, uint64_t now_ns)
{
	jbuf_puts(b, "{\"boot_id\":");
	json_put_str(b, st->boot_id, strlen(st->boot_id));
	jbuf_printf(b, ",\"time\":%" PRIu64 ",\"sessions\":%u}\n", now_ns, st->count);
	for (uint32_t i = 0; i < st->nbuckets; i++)
		for (const struct session *s = st->buckets[i]; s; s = s->next) {
			jbuf_printf(b, "{\"session.id\":%u,\"session.loginuid\":%u", s->id, s->loginuid);
			put_kv_str(b, "session.boot", st->boot_id);
			put_kv_str(b, "session.loginname", s->loginname);
			jbuf_printf(b, ",\"session.start\":%" PRIu64 ",\"last\":%" PRIu64 ",\"end\":%" PRIu64,
				    s->start_ns, s->last_ns, s->end_ns);
			put_kv_str(b, "how_ended", s->end);
			put_kv_str(b, "session.tty", s->tty);
			put_kv_str(b, "session.origin", s->origin);
			put_kv_str(b, "session.origin_ip", s->origin_ip);
			jbuf_printf(b, ",\"session.leader\":%u", s->leader_pid);
			put_kv_str(b, "session.leader_exe", s->leader_exe);
			jbuf_printf(b, ",\"execs\":%" PRIu64 ",\"deletions\":%" PRIu64 ",\"destructive\":%" PRIu64
				    ",\"alerts\":%" PRIu64 ",\"kills\":%" PRIu64 "}\n",
				    s->execs, s->deletions, s->destructive, s->alerts, s->kills);
		}
}
