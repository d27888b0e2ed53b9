// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Actions. A session kill has two halves: the kernel quarantine (any task
 * of the session dies at its next exec, fork or hooked syscall, so forking
 * cannot outrun us) and this /proc sweep, which signals every process of the
 * session through a pidfd (no pid-reuse races) and waits on the pidfds until
 * each is dead, repeating until a sweep finds nobody left.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include "actions/actions.h"
#include "core/clock.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define PF_KTHREAD 0x00200000
#define SWEEPS_MAX 50
#define WAIT_MS 200

const char *const actions_default_allow[] = {
	"/usr/sbin/mariadbd", "/usr/sbin/mysqld", "/usr/bin/mariadbd", "/usr/bin/mysqld",
	"/usr/lib/postgresql/*/bin/postgres", "/usr/pgsql-*/bin/postgres", "/usr/bin/postgres",
	NULL,
};

int actions_init(struct actions *a, actions_quarantine_fn quarantine, void *quarantine_ctx,
		 struct proctable *pt, bool no_kill, const char *const *allow, int nallow)
{
	memset(a, 0, sizeof(*a));
	a->quarantine = quarantine;
	a->quarantine_ctx = quarantine_ctx;
	a->pt = pt;
	a->no_kill = no_kill;
	a->self_pid = (uint32_t)getpid();
	for (int i = 0; actions_default_allow[i] && a->nallow < ACTIONS_MAX_ALLOW; i++)
		a->allow[a->nallow++] = strdup(actions_default_allow[i]);
	for (int i = 0; i < nallow && a->nallow < ACTIONS_MAX_ALLOW; i++)
		a->allow[a->nallow++] = strdup(allow[i]);
	for (int i = 0; i < a->nallow; i++)
		if (!a->allow[i])
			return -ENOMEM;
	return 0;
}

void actions_free(struct actions *a)
{
	for (int i = 0; i < a->nallow; i++)
		free(a->allow[i]);
	a->nallow = 0;
}

/* State letter and flags from /proc/PID/stat; false if gone. */
static bool proc_stat(uint32_t pid, char *state, unsigned long *flags, unsigned long *ppid)
{
	char path[64], buf[1024], *s;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0 || !(s = strrchr(buf, ')')))
		return false;
	/* ") S ppid pgrp session tty tpgid flags" */
	return sscanf(s + 2, "%c %lu %*d %*d %*d %*d %lu", state, ppid, flags) == 3;
}

bool actions_killable(struct actions *a, uint32_t pid, const char **why)
{
	char path[64], exe[PATH_MAX], state;
	unsigned long flags = 0, ppid = 0;
	ssize_t n;

	if (pid <= 1) {
		*why = "pid 1 is never killed";
		return false;
	}
	if (pid == a->self_pid) {
		*why = "bulwark itself";
		return false;
	}
	if (!proc_stat(pid, &state, &flags, &ppid)) {
		*why = "already gone";
		return false;
	}
	if ((flags & PF_KTHREAD) || pid == 2 || ppid == 2) {
		*why = "kernel thread";
		return false;
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		for (int i = 0; i < a->nallow; i++)
			if (!fnmatch(a->allow[i], exe, 0)) {
				*why = "allowlisted executable (database server)";
				return false;
			}
	}
	return true;
}

static int pidfd_open_(uint32_t pid)
{
	return (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
}

/*
 * SIGKILL to pid through a pidfd, so a recycled pid is never hit. Returns
 * the pidfd to wait on, or -1 when the process was gone already (ESRCH) or
 * the signal failed (counted in kill_errors).
 */
static int signal_pid(struct actions *a, uint32_t pid)
{
	int fd = pidfd_open_(pid);

	if (fd >= 0 && !syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0))
		return fd;
	int err = errno;

	if (err != ESRCH)
		a->kill_errors++;
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

/* Waits until every pidfd has exited or WAIT_MS passed. Returns how many still live. */
static int wait_dead(int *fds, int n)
{
	struct pollfd p[ACTIONS_MAX_PIDS];
	uint64_t deadline = clock_monotonic_ns() + WAIT_MS * 1000000ull;
	int live = n;

	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (live > 0) {
		int64_t left = (int64_t)(deadline - clock_monotonic_ns());

		if (left <= 0)
			break;
		if (poll(p, (nfds_t)n, (int)(left / 1000000) + 1) < 0 && errno != EINTR)
			break;
		live = 0;
		for (int i = 0; i < n; i++) {
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP)))
				p[i].fd = -1; /* exited */
			if (p[i].fd >= 0)
				live++;
		}
	}
	return live;
}

/* Waits on every pidfd signalled so far; returns how many still live. */
static int wait_all(struct actions *a, int npids)
{
	int fds[ACTIONS_MAX_PIDS], n = 0;

	for (int i = 0; i < npids; i++)
		if (a->pidfds[i] >= 0)
			fds[n++] = a->pidfds[i];
	return n ? wait_dead(fds, n) : 0;
}

/* The process behind a pidfd has exited (it may be a zombie still). */
static bool pidfd_exited(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

/* Audit session of pid from /proc, or 4294967295 ("no session") if gone. */
static uint32_t proc_sessionid(uint32_t pid)
{
	char path[64], buf[32];

	snprintf(path, sizeof(path), "/proc/%u/sessionid", pid);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0)
		return BW_NO_SESSION;
	return (uint32_t)strtoul(buf, NULL, 10);
}

/* A live process: not gone, not a zombie waiting to be reaped. */
static bool proc_live(uint32_t pid)
{
	char state;
	unsigned long flags, ppid;

	return proc_stat(pid, &state, &flags, &ppid) && state != 'Z' && state != 'X';
}

static void put_spared(struct jbuf *out, bool *first, uint32_t pid, const char *why)
{
	jbuf_printf(out, "%s{\"pid\":%u,\"reason\":\"%s\"}", *first ? "" : ",", pid, why);
	*first = false;
}

/* a->pidfds[] values that are not pidfds */
#define TAKEN_SPARED -1 /* allowlisted, pid 1, a kernel thread: left alive on purpose */
#define TAKEN_DRY -2    /* --no-kill: would have been signalled */
#define TAKEN_FAILED -3 /* the signal could not be sent (counted in kill_errors) */

/* The latest record of pid, or -1. */
static int find_taken(const struct actions *a, int npids, uint32_t pid)
{
	for (int i = npids - 1; i >= 0; i--)
		if (a->pids[i] == pid)
			return i;
	return -1;
}

/*
 * Signals (unless dry) one member of session sid and records it. Returns
 * true when it was signalled (or would be, dry). The pidfd is opened first,
 * so the checks that follow are about the very process that gets the
 * signal, even if its pid is recycled meanwhile. A pid that is gone, or not
 * in sid (any more), is not recorded: a later sweep that meets a live
 * member under that number must not take it for dealt with. A recorded
 * pid whose process has exited is taken again: the number names a new
 * process now.
 */
static bool take(struct actions *a, uint32_t sid, uint32_t pid, int *npids, bool dry,
		 struct jbuf *spared, bool *first_spared)
{
	const char *why = NULL;
	int fd, i = find_taken(a, *npids, pid);

	if (i >= 0 && (a->pidfds[i] < 0 || !pidfd_exited(a->pidfds[i])))
		return false; /* signalled and not dead yet, spared, dry or failed */
	if (*npids >= ACTIONS_MAX_PIDS)
		return false; /* the final check reports it as a survivor */
	fd = pidfd_open_(pid);
	if (fd < 0) {
		if (errno != ESRCH)
			a->kill_errors++;
		return false;
	}
	if (proc_sessionid(pid) != sid) {
		close(fd);
		return false; /* gone, or never a member */
	}
	if (!actions_killable(a, pid, &why)) {
		close(fd);
		if (!strcmp(why, "already gone"))
			return false;
		put_spared(spared, first_spared, pid, why);
		fd = TAKEN_SPARED;
	} else if (dry) {
		close(fd);
		fd = TAKEN_DRY;
	} else if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0)) {
		int err = errno;

		close(fd);
		if (err == ESRCH)
			return false;
		a->kill_errors++;
		fd = TAKEN_FAILED;
	}
	a->pids[*npids] = pid;
	a->pidfds[(*npids)++] = fd;
	return fd >= 0 || fd == TAKEN_DRY;
}

static int by_start(const void *x, const void *y)
{
	const struct actions_member *a = x, *b = y;

	return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

/*
 * The fast first pass: the process table already knows the session, so
 * it is signalled without reading all of /proc. The offending process goes
 * first (it is the one doing damage); the rest go oldest first, so a
 * parent is signalled before its children and never sees one die and runs
 * on. The /proc sweeps that follow catch what the table has not seen yet.
 * Returns how many were signalled.
 */
static int table_pass(struct actions *a, uint32_t sid, uint32_t first, int *npids, bool dry,
		      struct jbuf *spared, bool *first_spared)
{
	int n = 0, taken = 0;

	if (first && take(a, sid, first, npids, dry, spared, first_spared))
		taken++;
	if (!a->pt)
		return taken;
	for (uint32_t b = 0; b < a->pt->nbuckets; b++)
		for (struct proc *p = a->pt->buckets[b]; p && n < ACTIONS_MAX_PIDS; p = p->next)
			if (p->sessionid == sid && !p->exit_ns && p->pid != first)
				a->members[n++] = (struct actions_member){ p->pid, p->start_ns };
	qsort(a->members, (size_t)n, sizeof(a->members[0]), by_start);
	for (int i = 0; i < n; i++)
		if (take(a, sid, a->members[i].pid, npids, dry, spared, first_spared))
			taken++;
	return taken;
}

/*
 * Calls fn for every live member of audit session sid found in /proc and
 * returns the sum of what fn returned, or -errno when /proc cannot be read.
 */
static int session_members(uint32_t sid, int (*fn)(uint32_t pid, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid || pid > UINT32_MAX || proc_sessionid((uint32_t)pid) != sid ||
		    !proc_live((uint32_t)pid))
			continue;
		n += fn((uint32_t)pid, arg);
	}
	closedir(d);
	return n;
}

struct sweep_ctx {
	struct actions *a;
	uint32_t sid;
	int *npids;
	bool dry;
	struct jbuf *spared, *survivors;
	bool *first_spared;
};

/* 1 when pid was signalled (now or before) and is not dead yet. */
static int sweep_one(uint32_t pid, void *arg)
{
	struct sweep_ctx *c = arg;
	int i = find_taken(c->a, *c->npids, pid);

	if (i >= 0 && c->a->pidfds[i] >= 0 && !pidfd_exited(c->a->pidfds[i]))
		return 1; /* signalled, not dead yet */
	/* new, or a new process under a number seen before */
	return take(c->a, c->sid, pid, c->npids, c->dry, c->spared, c->first_spared) ? 1 : 0;
}

/*
 * One sweep of /proc for the live members of sid. Signals each new one
 * (unless dry) and records it. Returns how many live members it saw that
 * were signalled (now or before) and are not dead yet.
 */
static int sweep(struct actions *a, uint32_t sid, int *npids, bool dry, struct jbuf *spared,
		 bool *first_spared)
{
	struct sweep_ctx c = { a, sid, npids, dry, spared, NULL, first_spared };

	return session_members(sid, sweep_one, &c);
}

/* 1 when pid is a survivor: not spared on purpose; listed in survivors. */
static int confirm_one(uint32_t pid, void *arg)
{
	struct sweep_ctx *c = arg;
	int i = find_taken(c->a, *c->npids, pid);

	if (i >= 0 && c->a->pidfds[i] == TAKEN_SPARED)
		return 0;
	jbuf_printf(c->survivors, "%s%u", c->survivors->len ? "," : "", pid);
	return 1;
}

/*
 * The last word, after the sweeps: one more pass over /proc that lists
 * every live member of sid not spared on purpose. The kill is reported as
 * "killed" only when this finds nobody. Returns how many it found.
 */
static int confirm(struct actions *a, uint32_t sid, int npids, struct jbuf *survivors)
{
	struct sweep_ctx c = { a, sid, &npids, false, NULL, survivors, NULL };

	return session_members(sid, confirm_one, &c);
}

/*
 * Kills every process of audit session sid (never 4294967295) and appends
 * the members of the result object; first is the process that did it.
 * Returns how many were killed.
 *
 * Order matters. The kernel quarantine kills a member at its next exec,
 * fork or deletion, and a member killed alone wakes its parent: a shell
 * waiting for that child runs on, and its next builtins (echo > file, :>,
 * read) need no exec or fork, so nothing stops it until our signal lands.
 * Quarantining first and signalling the table's members afterwards gave
 * the shell that window (about 30 to 200 us, seen in the e2e tests as a
 * script writing its marker after rm was caught). So every member the
 * table knows is signalled first, parents before children; only then is
 * the session quarantined, to catch what forks meanwhile, and /proc swept.
 */
static int kill_session(struct actions *a, uint32_t sid, uint32_t first, struct jbuf *out)
{
	struct jbuf spared = { 0 }, survivors = { 0 };
	bool first_spared = true, dry = a->no_kill, quarantined = false;
	uint64_t t0 = clock_monotonic_ns(), now = 0, dead_ns = 0;
	int npids = 0, killed = 0, sweeps = 0, left = 0, alive = 0, taken;

	/* events queued behind the one that killed the session: one /proc sweep is enough */
	for (unsigned i = 0; i < sizeof(a->recent) / sizeof(a->recent[0]); i++) {
		struct actions_recent *r = &a->recent[i];

		if (r->done_ns && r->sid == sid && t0 - r->done_ns < ACTIONS_RESWEEP_NS) {
			jbuf_printf(out, "\"status\":\"%s\",\"target\":\"session\",\"session.id\":%u,"
					 "\"%s\":%d,\"swept_us_ago\":%llu}",
				    dry ? "dry_run_already_reported" : "already_killed", sid,
				    dry ? "would_kill" : "killed", r->killed,
				    (unsigned long long)((t0 - r->done_ns) / 1000));
			return 0;
		}
	}

	taken = table_pass(a, sid, first, &npids, dry, &spared, &first_spared);
	if (!dry && a->quarantine)
		quarantined = !a->quarantine(a->quarantine_ctx, sid);
	/* wait for what the table knew before reading /proc */
	if (taken && !dry) {
		left = wait_all(a, npids);
		dead_ns = clock_monotonic_ns();
	}
	for (sweeps = 1; sweeps <= SWEEPS_MAX; sweeps++) {
		int seen = sweep(a, sid, &npids, dry, &spared, &first_spared);

		if (seen <= 0 || dry)
			break;
		left = wait_all(a, npids);
		dead_ns = clock_monotonic_ns(); /* the last signalled process is dead (or timed out) */
	}
	if (!dry)
		alive = confirm(a, sid, npids, &survivors);
	now = clock_monotonic_ns();
	for (int i = 0; i < npids; i++) {
		if (a->pidfds[i] >= 0 || a->pidfds[i] == TAKEN_DRY)
			killed++;
		if (a->pidfds[i] >= 0)
			close(a->pidfds[i]);
	}
	a->kills += dry ? 0 : (uint64_t)killed;
	a->last_session_ns = now - t0;
	a->recent[a->nrecent++ % (sizeof(a->recent) / sizeof(a->recent[0]))] =
		(struct actions_recent){ sid, killed, now };
	jbuf_printf(out, "\"status\":\"%s\",\"target\":\"session\",\"session.id\":%u,\"%s\":%d,\"pids\":[",
		    dry ? "dry_run" : left || alive ? "partial" : "killed", sid,
		    dry ? "would_kill" : "killed", killed);
	for (int i = 0, n = 0; i < npids; i++)
		if (a->pidfds[i] >= 0 || a->pidfds[i] == TAKEN_DRY)
			jbuf_printf(out, "%s%u", n++ ? "," : "", a->pids[i]);
	/* dead_us: decision to the last process dead; elapsed_us adds the final
	 * /proc check that confirmed nobody was left (or found who was) */
	jbuf_printf(out, "],\"spared\":[%s],\"still_alive\":%d,", spared.p ? spared.p : "",
		    alive > 0 ? alive : 0);
	if (alive > 0)
		jbuf_printf(out, "\"survivors\":[%s],", survivors.p);
	jbuf_printf(out, "\"sweeps\":%d,\"dead_us\":%llu,\"elapsed_us\":%llu,\"quarantined\":%s}",
		    sweeps, (unsigned long long)(((dead_ns ? dead_ns : now) - t0) / 1000),
		    (unsigned long long)((now - t0) / 1000), quarantined ? "true" : "false");
	jbuf_free(&spared);
	jbuf_free(&survivors);
	return killed;
}

static void kill_process(struct actions *a, uint32_t pid, const char *why_fallback,
			 struct jbuf *out)
{
	uint64_t t0 = clock_monotonic_ns();
	const char *why = NULL;
	int fd, left = 1;

	if (!actions_killable(a, pid, &why)) {
		jbuf_printf(out, "\"status\":\"spared\",\"target\":\"process\",\"proc.pid\":%u,"
				 "\"reason\":\"%s\"}", pid, why);
		return;
	}
	if (a->no_kill) {
		jbuf_printf(out, "\"status\":\"dry_run\",\"target\":\"process\",\"proc.pid\":%u,"
				 "\"would_kill\":1%s%s%s}", pid, why_fallback ? ",\"note\":\"" : "",
			    why_fallback ? why_fallback : "", why_fallback ? "\"" : "");
		return;
	}
	fd = signal_pid(a, pid);
	if (fd >= 0) {
		left = wait_dead(&fd, 1);
		a->kills++;
		close(fd);
	}
	jbuf_printf(out, "\"status\":\"%s\",\"target\":\"process\",\"proc.pid\":%u,\"killed\":%d,"
			 "\"elapsed_us\":%llu%s%s%s}",
		    fd < 0 ? (errno == ESRCH ? "gone" : "failed") : left ? "partial" : "killed", pid,
		    fd >= 0 && !left,
		    (unsigned long long)((clock_monotonic_ns() - t0) / 1000), why_fallback ? ",\"note\":\"" : "",
		    why_fallback ? why_fallback : "", why_fallback ? "\"" : "");
}

/*
 * Remote database clients (no local process to kill): the one connection
 * the statement came on is ended, the server is not touched. The event
 * names the server process (proc.pid) and the client's address (db.peer).
 */
static bool remote_db_event(const struct bw_event *e)
{
	return e->type == BW_EVT_DB_QUERY && event_has(e, FLD_DB_PEER) && event_has(e, FLD_DB_SIDE) &&
	       e->db_side.len == 6 && !memcmp(e->db_side.p, "server", 6) &&
	       !(e->db_peer.len >= 5 && !memcmp(e->db_peer.p, "unix:", 5)) &&
	       (!event_has(e, FLD_SESSION_ID) || e->sessionid == BW_NO_SESSION);
}

/* "1.2.3.4:5678" or "[::1]:5678" -> address words as /proc/net/tcp prints them, port. */
static bool parse_peer(const struct bw_str *peer, int *family, uint32_t w[4], unsigned *port)
{
	char buf[128], *colon;
	unsigned char a[16];

	if (peer->len >= sizeof(buf))
		return false;
	memcpy(buf, peer->p, peer->len);
	buf[peer->len] = 0;
	colon = strrchr(buf, ':');
	if (!colon)
		return false;
	*colon = 0;
	*port = (unsigned)strtoul(colon + 1, NULL, 10);
	if (buf[0] == '[') {
		size_t n = strlen(buf);

		if (n < 2 || buf[n - 1] != ']')
			return false;
		buf[n - 1] = 0;
		if (inet_pton(AF_INET6, buf + 1, a) != 1)
			return false;
		*family = AF_INET6;
		memcpy(w, a, 16);
		return true;
	}
	if (inet_pton(AF_INET, buf, a) != 1)
		return false;
	*family = AF_INET;
	memcpy(w, a, 4);
	return true;
}

/* Inode of pid's TCP socket whose remote end is the peer (its own network namespace). */
static unsigned long peer_socket_inode(uint32_t pid, const struct bw_str *peer)
{
	uint32_t want[4] = { 0 }, got[4];
	unsigned port, rport;
	unsigned long inode = 0;
	char path[64], line[512];
	int family;
	FILE *f;

	if (!parse_peer(peer, &family, want, &port))
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, family == AF_INET ? "tcp" : "tcp6");
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!inode && fgets(line, sizeof(line), f)) {
		char rem[40];
		unsigned long ino;

		/* "sl local rem st tx:rx tr:when retr uid timeout inode" */
		if (sscanf(line, " %*d: %*s %39[0-9A-Fa-f]:%x %*x %*s %*s %*s %*u %*d %lu", rem, &rport,
			   &ino) != 3 || rport != port)
			continue;
		if (family == AF_INET) {
			got[0] = (uint32_t)strtoul(rem, NULL, 16);
			if (got[0] == want[0])
				inode = ino;
		} else if (strlen(rem) == 32) {
			for (int i = 0; i < 4; i++) {
				char word[9];

				memcpy(word, rem + 8 * i, 8);
				word[8] = 0;
				got[i] = (uint32_t)strtoul(word, NULL, 16);
			}
			if (!memcmp(got, want, 16))
				inode = ino;
		}
	}
	fclose(f);
	return inode;
}

/* The fd number pid holds socket:[inode] at, or -1. */
static int socket_fd_of(uint32_t pid, unsigned long inode)
{
	char dir[64], path[384], want[64], link[64];
	struct dirent *de;
	int fd = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir(dir);
	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, want))
			fd = atoi(de->d_name);
	}
	closedir(d);
	return fd;
}

/*
 * Ends one remote client's connection. PostgreSQL: SIGTERM to the backend
 * serving it, which is what pg_terminate_backend() does; the postmaster
 * and other backends carry on. MySQL/MariaDB (one process, a thread per
 * connection): the server's socket for that peer is fetched with
 * pidfd_getfd() and shut down, so the server thread sees the client gone
 * and cleans up; no signal reaches the server.
 */
static void drop_connection(struct actions *a, const struct bw_event *e, struct jbuf *out)
{
	uint32_t pid = (uint32_t)e->pid;
	unsigned long inode;
	int pfd, fd = -1, sfd, err = 0;
	const char *method;

	jbuf_puts(out, "\"target\":\"connection\",\"db.peer\":");
	json_put_str(out, e->db_peer.p, e->db_peer.len);
	jbuf_printf(out, ",\"server_pid\":%u,", pid);
	if (proc_pg_backend(pid)) {
		method = "SIGTERM to the PostgreSQL backend, as pg_terminate_backend()";
		if (!a->no_kill) {
			pfd = pidfd_open_(pid);
			if (pfd < 0 || syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0))
				err = errno;
			/* a backend held for a decision (db/dbhold.h) acts on SIGTERM once continued */
			if (pfd >= 0 && !err)
				syscall(SYS_pidfd_send_signal, pfd, SIGCONT, NULL, 0);
			if (pfd >= 0)
				close(pfd);
		}
	} else {
		method = "shutdown of the server's socket for this peer (pidfd_getfd)";
		inode = peer_socket_inode(pid, &e->db_peer);
		fd = inode ? socket_fd_of(pid, inode) : -1;
		if (fd < 0) {
			err = ENOENT;
		} else if (!a->no_kill) {
			pfd = pidfd_open_(pid);
			sfd = pfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pfd, fd, 0) : -1;
			if (sfd < 0 || shutdown(sfd, SHUT_RDWR))
				err = errno;
			if (sfd >= 0)
				close(sfd);
			if (pfd >= 0)
				close(pfd);
		}
	}
	if (err)
		jbuf_printf(out, "\"status\":\"failed\",\"method\":\"%s\",\"error\":\"%s\"}", method,
			    err == ENOENT ? "no socket for this peer in the server (connection already gone?)"
					  : strerror(err));
	else
		jbuf_printf(out, "\"status\":\"%s\",\"method\":\"%s\"}",
			    a->no_kill ? "dry_run" : "connection_dropped", method);
}

void actions_apply(struct actions *a, enum rule_action act, const struct bw_event *e,
		   struct jbuf *out)
{
	int64_t lag_ns = 0;

	if (act == RULE_ALERT) {
		jbuf_puts(out, "null");
		return;
	}
	/*
	 * How long after the event itself the response began: the delay of
	 * the ring buffer, the decoder and the rules, which the figures
	 * below (dead_us, elapsed_us) do not include.
	 */
	if (e->time_ns)
		lag_ns = (int64_t)(clock_realtime_ns() - e->time_ns);
	jbuf_printf(out, "{\"after_event_us\":%lld,", (long long)(lag_ns > 0 ? lag_ns / 1000 : 0));
	if (remote_db_event(e)) {
		drop_connection(a, e, out);
		return;
	}
	switch (act) {
	case RULE_ALERT:
		break;
	case RULE_KILL_PROCESS:
		kill_process(a, (uint32_t)e->pid, NULL, out);
		break;
	case RULE_KILL_SESSION:
		/* 4294967295 is "no session": never a session to kill */
		if (!event_has(e, FLD_SESSION_ID) || e->sessionid == BW_NO_SESSION)
			kill_process(a, (uint32_t)e->pid, "no login session: killed the process alone", out);
		else
			kill_session(a, (uint32_t)e->sessionid, (uint32_t)e->pid, out);
		break;
	}
}
