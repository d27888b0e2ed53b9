/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Process table: what user space knows about every live process (pid -> exe, cmdline, session). */
#ifndef BULWARK_PROCTABLE_H
#define BULWARK_PROCTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc {
	uint32_t pid;           /* tgid */
	uint32_t ppid;          /* parent tgid */
	uint32_t uid;           /* real uid */
	uint32_t loginuid;      /* audit login uid */
	uint32_t sessionid;     /* audit session id */
	char comm[16];          /* comm, NUL terminated */
	char *exe;              /* absolute exe path, NUL terminated ("" if unknown) */
	uint32_t exe_len, exe_cap;
	char *cmdline;          /* argv joined by ' ', NUL terminated */
	uint32_t cmd_len, cmd_cap;
	uint32_t argv0_len;     /* bytes of cmdline that are argv[0] (Falco's proc.exe) */
	uint32_t sid, pgid, gid;/* POSIX session, process group, real gid: as of the last exec */
	bool has_ids;           /* sid, pgid, gid, cwd were read (from /proc at exec or seeding) */
	uint64_t cap_prm, cap_eff, cap_inh; /* CapPrm, CapEff, CapInh: read with the ids */
	int8_t exe_upper;       /* exe in an overlayfs upper layer: 0 no, -1 unknown (on overlayfs) */
	char *cwd;              /* working directory at the last exec, NUL terminated */
	uint32_t cwd_len, cwd_cap;
	uint64_t start_ns;      /* first seen (fork, exec or /proc) in ns since the epoch */
	uint64_t exit_ns;       /* 0 while alive */
	struct proc *next;      /* hash chain / free list */
};

struct proctable {
	struct proc **buckets;  /* open hash on pid */
	uint32_t nbuckets;      /* power of two */
	uint32_t count;         /* entries in use */
	struct proc *free;      /* recycled entries, buffers kept */
	uint64_t proc_reads;    /* /proc lookups after a miss */
};

int proctable_init(struct proctable *pt, uint32_t nbuckets);
void proctable_free(struct proctable *pt);

/* Entry of pid, or NULL. */
struct proc *proctable_get(struct proctable *pt, uint32_t pid);

/* Entry of pid; created empty if missing (pid set, the rest zero). NULL on ENOMEM. */
struct proc *proctable_add(struct proctable *pt, uint32_t pid);

/* Fills an entry from /proc/PID. 0 or -errno (the process is gone). */
int proctable_read_proc(struct proctable *pt, uint32_t pid, struct proc **out);

/* Entry of pid, reading /proc once on a miss. */
struct proc *proctable_lookup(struct proctable *pt, uint32_t pid);

/* Seeds the table with every process in /proc. Returns how many. */
int proctable_seed(struct proctable *pt);

/* A new process: inherits exe and cmdline of the parent until it execs. */
struct proc *proctable_fork(struct proctable *pt, uint32_t pid, uint32_t ppid, uint64_t now_ns);

/* exec: argv is NUL separated, args_len bytes; joined by ' ' for cmdline. */
int proctable_exec(struct proctable *pt, struct proc *p, const char *exe, uint32_t exe_len,
		   const char *argv, uint32_t args_len);

/* Reads sid, pgid and gid of p from /proc/PID/stat and status (at exec:
 * setsid, setpgid and setgid come before it). 0 or -errno (gone). */
int proctable_read_ids(struct proc *p);

/*
 * The ancestors of p, parent first, at most max: follows ppid through the
 * table (no /proc reads), stops at pid 0 or 1's parent, an unknown pid
 * or a loop. Returns how many were stored in out.
 */
int proctable_ancestors(struct proctable *pt, const struct proc *p, const struct proc **out, int max);

/* Marks pid as exited; the entry is kept until proctable_gc() so late
 * events of the process still find it. */
void proctable_exit(struct proctable *pt, uint32_t pid, uint64_t now_ns);

/* Drops entries that exited more than keep_ns ago. Returns how many. */
int proctable_gc(struct proctable *pt, uint64_t now_ns, uint64_t keep_ns);

/* Reads a small /proc file into buf (NUL terminated); returns bytes or -errno. */
ssize_t proc_read_small(const char *path, char *buf, size_t cap);

/* Copies n bytes into a growable NUL-terminated buffer. 0 or -ENOMEM. */
int proc_set_str(char **buf, uint32_t *len, uint32_t *cap, const char *s, uint32_t n);

/* A PostgreSQL backend (its parent, the postmaster, runs the same executable); never the postmaster. */
bool proc_pg_backend(uint32_t pid);

#endif /* BULWARK_PROCTABLE_H */
