// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Process table seeded from /proc and kept by fork/exec/exit events. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "core/proctable.h"

#define OVERLAYFS_MAGIC 0x794c7630

int proctable_init(struct proctable *pt, uint32_t nbuckets)
{
	uint32_t n = 1;

	memset(pt, 0, sizeof(*pt));
	while (n < nbuckets)
		n <<= 1;
	pt->buckets = calloc(n, sizeof(*pt->buckets));
	if (!pt->buckets)
		return -ENOMEM;
	pt->nbuckets = n;
	return 0;
}

static void proc_release(struct proc *p)
{
	free(p->exe);
	free(p->cmdline);
	free(p->cwd);
	free(p);
}

void proctable_free(struct proctable *pt)
{
	struct proc *p, *n;

	for (uint32_t i = 0; pt->buckets && i < pt->nbuckets; i++)
		for (p = pt->buckets[i]; p; p = n) {
			n = p->next;
			proc_release(p);
		}
	for (p = pt->free; p; p = n) {
		n = p->next;
		proc_release(p);
	}
	free(pt->buckets);
	memset(pt, 0, sizeof(*pt));
}

static inline uint32_t bucket(const struct proctable *pt, uint32_t pid)
{
	return (pid * 2654435761u) & (pt->nbuckets - 1);
}

struct proc *proctable_get(struct proctable *pt, uint32_t pid)
{
	for (struct proc *p = pt->buckets[bucket(pt, pid)]; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

int proc_set_str(char **buf, uint32_t *len, uint32_t *cap, const char *s, uint32_t n)
{
	if (n + 1 > *cap) {
		uint32_t c = *cap ? *cap : 64;
		char *nb;

		while (c < n + 1)
			c *= 2;
		nb = realloc(*buf, c);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = c;
	}
	if (n)
		memcpy(*buf, s, n);
	(*buf)[n] = 0;
	*len = n;
	return 0;
}

struct proc *proctable_add(struct proctable *pt, uint32_t pid)
{
	struct proc *p = proctable_get(pt, pid);
	uint32_t b;

	if (p)
		return p;
	if (pt->free) {
		p = pt->free;
		pt->free = p->next;
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
	}
	/* keep the string buffers of a recycled entry: no allocation in steady state */
	p->pid = pid;
	p->ppid = p->uid = 0;
	p->loginuid = p->sessionid = 4294967295u;
	p->comm[0] = 0;
	p->start_ns = p->exit_ns = 0;
	p->argv0_len = p->sid = p->pgid = p->gid = 0;
	p->has_ids = false;
	p->exe_upper = -1;
	proc_set_str(&p->cwd, &p->cwd_len, &p->cwd_cap, "", 0);
	proc_set_str(&p->exe, &p->exe_len, &p->exe_cap, "", 0);
	proc_set_str(&p->cmdline, &p->cmd_len, &p->cmd_cap, "", 0);
	b = bucket(pt, pid);
	p->next = pt->buckets[b];
	pt->buckets[b] = p;
	pt->count++;
	return p;
}

static void proctable_remove(struct proctable *pt, struct proc **link)
{
	struct proc *p = *link;

	*link = p->next;
	p->next = pt->free;
	pt->free = p;
	pt->count--;
}

ssize_t proc_read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < cap - 1 && (n = read(fd, buf + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = 0;
	return total;
}

int proctable_read_proc(struct proctable *pt, uint32_t pid, struct proc **out)
{
	char path[64], buf[4096], *s;
	struct proc *p;
	ssize_t n;
	unsigned long v;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = proc_read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	s = strrchr(buf, ')');
	if (!s)
		return -EINVAL;
	p = proctable_add(pt, pid);
	if (!p)
		return -ENOMEM;
	pt->proc_reads++;
	/* "pid (comm) S ppid ..." */
	if (sscanf(s + 2, "%*c %lu", &v) == 1)
		p->ppid = (uint32_t)v;
	{
		char *c = strchr(buf, '(');
		size_t cl = c ? (size_t)(s - c - 1) : 0;

		if (cl >= sizeof(p->comm))
			cl = sizeof(p->comm) - 1;
		memcpy(p->comm, c ? c + 1 : "", cl);
		p->comm[cl] = 0;
	}
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	if (proc_read_small(path, buf, sizeof(buf)) > 0 && (s = strstr(buf, "\nUid:")))
		p->uid = (uint32_t)strtoul(s + 5, NULL, 10);
	proctable_read_ids(p);
	snprintf(path, sizeof(path), "/proc/%u/loginuid", pid);
	if (proc_read_small(path, buf, sizeof(buf)) > 0)
		p->loginuid = (uint32_t)strtoul(buf, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%u/sessionid", pid);
	if (proc_read_small(path, buf, sizeof(buf)) > 0)
		p->sessionid = (uint32_t)strtoul(buf, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0)
		proc_set_str(&p->exe, &p->exe_len, &p->exe_cap, buf, (uint32_t)n);
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = proc_read_small(path, buf, sizeof(buf));
	if (n > 0) {
		while (n > 0 && buf[n - 1] == 0)
			n--;
		p->argv0_len = (uint32_t)strnlen(buf, (size_t)n);
		for (ssize_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		proc_set_str(&p->cmdline, &p->cmd_len, &p->cmd_cap, buf, (uint32_t)n);
	}
	if (out)
		*out = p;
	return 0;
}

struct proc *proctable_lookup(struct proctable *pt, uint32_t pid)
{
	struct proc *p = proctable_get(pt, pid);

	if (!p && pid && proctable_read_proc(pt, pid, &p))
		p = NULL;
	return p;
}

int proctable_seed(struct proctable *pt)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid)
			continue;
		if (!proctable_read_proc(pt, (uint32_t)pid, NULL))
			n++;
	}
	closedir(d);
	pt->proc_reads = 0;
	return n;
}

struct proc *proctable_fork(struct proctable *pt, uint32_t pid, uint32_t ppid, uint64_t now_ns)
{
	struct proc *parent = proctable_get(pt, ppid), *p;

	p = proctable_add(pt, pid);
	if (!p)
		return NULL;
	/* adding may not move the parent: entries are individually allocated */
	p->ppid = ppid;
	p->start_ns = now_ns;
	p->exit_ns = 0;
	if (parent) {
		memcpy(p->comm, parent->comm, sizeof(p->comm));
		proc_set_str(&p->exe, &p->exe_len, &p->exe_cap, parent->exe, parent->exe_len);
		proc_set_str(&p->cmdline, &p->cmd_len, &p->cmd_cap, parent->cmdline, parent->cmd_len);
		p->argv0_len = parent->argv0_len;
		p->sid = parent->sid;
		p->pgid = parent->pgid;
		p->gid = parent->gid;
		p->has_ids = parent->has_ids;
		p->cap_prm = parent->cap_prm;
		p->cap_eff = parent->cap_eff;
		p->cap_inh = parent->cap_inh;
		p->exe_upper = parent->exe_upper;
		proc_set_str(&p->cwd, &p->cwd_len, &p->cwd_cap, parent->cwd, parent->cwd_len);
	}
	return p;
}

int proctable_exec(struct proctable *pt, struct proc *p, const char *exe, uint32_t exe_len,
		   const char *argv, uint32_t args_len)
{
	int err;

	(void)pt;
	err = proc_set_str(&p->exe, &p->exe_len, &p->exe_cap, exe, exe_len);
	if (err)
		return err;
	while (args_len && !argv[args_len - 1])
		args_len--;
	err = proc_set_str(&p->cmdline, &p->cmd_len, &p->cmd_cap, argv, args_len);
	if (err)
		return err;
	p->argv0_len = (uint32_t)strnlen(argv, args_len);
	for (uint32_t i = 0; i < args_len; i++)
		if (!p->cmdline[i])
			p->cmdline[i] = ' ';
	return 0;
}

int proctable_read_ids(struct proc *p)
{
	char path[64], buf[4096], *s;
	unsigned long pgid, sid;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", p->pid);
	n = proc_read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	s = strrchr(buf, ')');
	/* "pid (comm) S ppid pgrp session ..." */
	if (!s || sscanf(s + 2, "%*c %*u %lu %lu", &pgid, &sid) != 2)
		return -EINVAL;
	p->pgid = (uint32_t)pgid;
	p->sid = (uint32_t)sid;
	snprintf(path, sizeof(path), "/proc/%u/status", p->pid);
	if (proc_read_small(path, buf, sizeof(buf)) > 0) {
		if ((s = strstr(buf, "\nGid:")))
			p->gid = (uint32_t)strtoul(s + 5, NULL, 10);
		if ((s = strstr(buf, "\nCapInh:")))
			p->cap_inh = strtoull(s + 8, NULL, 16);
		if ((s = strstr(buf, "\nCapPrm:")))
			p->cap_prm = strtoull(s + 8, NULL, 16);
		if ((s = strstr(buf, "\nCapEff:")))
			p->cap_eff = strtoull(s + 8, NULL, 16);
	}
	snprintf(path, sizeof(path), "/proc/%u/cwd", p->pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	proc_set_str(&p->cwd, &p->cwd_len, &p->cwd_cap, buf, n > 0 ? (uint32_t)n : 0);
	{
		struct statfs fs;
		/* off overlayfs there is no upper layer; on it, which layer is not known */
		snprintf(path, sizeof(path), "/proc/%u/exe", p->pid);
		p->exe_upper = statfs(path, &fs) ? -1 : fs.f_type == OVERLAYFS_MAGIC ? -1 : 0;
	}
	p->has_ids = true;
	return 0;
}

int proctable_ancestors(struct proctable *pt, const struct proc *p, const struct proc **out, int max)
{
	int n = 0;

	while (n < max && p->ppid && p->ppid != p->pid) {
		const struct proc *a = proctable_get(pt, p->ppid);
		if (!a)
			break;
		for (int i = 0; i < n; i++)
			if (out[i] == a)
				return n; /* a loop: pids were reused while an entry was stale */
		out[n++] = a;
		p = a;
	}
	return n;
}

void proctable_exit(struct proctable *pt, uint32_t pid, uint64_t now_ns)
{
	struct proc *p = proctable_get(pt, pid);

	if (p)
		p->exit_ns = now_ns ? now_ns : 1;
}

int proctable_gc(struct proctable *pt, uint64_t now_ns, uint64_t keep_ns)
{
	int n = 0;

	for (uint32_t i = 0; i < pt->nbuckets; i++) {
		struct proc **link = &pt->buckets[i];

		while (*link) {
			struct proc *p = *link;

			if (p->exit_ns && now_ns > p->exit_ns + keep_ns) {
				proctable_remove(pt, link);
				n++;
			} else {
				link = &p->next;
			}
		}
	}
	return n;
}

/*
 * A PostgreSQL backend: a postgres process whose parent runs the same
 * executable (the postmaster). Never true of the postmaster itself. Used
 * by the actions (remote connections) and the database hold, which
 * signal backends only.
 */
bool proc_pg_backend(uint32_t pid)
{
	char path[64], exe[PATH_MAX], pexe[PATH_MAX], buf[1024], *s;
	unsigned long ppid;
	ssize_t n, m;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (proc_read_small(path, buf, sizeof(buf)) <= 0 || !(s = strrchr(buf, ')')) ||
	    sscanf(s + 2, "%*c %lu", &ppid) != 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	snprintf(path, sizeof(path), "/proc/%lu/exe", ppid);
	m = readlink(path, pexe, sizeof(pexe) - 1);
	if (n <= 0 || m <= 0)
		return false;
	exe[n] = 0;
	pexe[m] = 0;
	return !strcmp(exe, pexe) && strstr(exe, "postgres");
}
