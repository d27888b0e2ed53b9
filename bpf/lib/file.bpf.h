/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The deletion family's one body (enter: filter, protect; exit: paths, record), shared by its backends. */
#ifndef BULWARK_FILE_BPF_H
#define BULWARK_FILE_BPF_H

#include "common.bpf.h"
#include "path.bpf.h"
#include "enforce.bpf.h"

/* UAPI values (fcntl.h, falloc.h) and include/linux/fs.h's f_mode bits */
#define BW_O_WRONLY  00000001
#define BW_O_RDWR    00000002
#define BW_O_CREAT   00000100
#define BW_O_TRUNC   00001000
#define BW_FMODE_WRITE   0x2
#define BW_FMODE_CREATED 0x100000  /* 1 << 20 since 4.19, unchanged through 6.18 */
#define BW_FALLOC_FL_PUNCH_HOLE     0x02
#define BW_FALLOC_FL_COLLAPSE_RANGE 0x08
#define BW_FALLOC_FL_ZERO_RANGE     0x10
#define BW_FALLOC_DESTROY (BW_FALLOC_FL_PUNCH_HOLE | BW_FALLOC_FL_COLLAPSE_RANGE | BW_FALLOC_FL_ZERO_RANGE)

/*
 * Backends: file.bpf.c (syscall tracepoints) and file_fentry.bpf.c
 * (fentry/fexit on the syscall functions). They differ only in where they
 * find the arguments; both call file_enter() and file_exit(), so the
 * events, fields and kills are the same. The loader attaches one of them.
 */

/* Arguments saved at sys_enter, joined at sys_exit by thread id. */
struct file_args {
	__u64 ts_ns;     /* time of sys_enter */
	__u32 type;      /* enum bw_event_type */
	__s32 dfd;       /* dirfd of the (old) name, or the fd for ftruncate */
	__u64 name;      /* user pointer to the (old) name */
	__s32 newdfd;    /* renames: dirfd of the new name */
	__u32 _pad;      /* always 0 */
	__u64 newname;   /* renames: user pointer to the new name */
	__s64 arg;       /* flags or length */
	__u32 flags;     /* BW_F_PROTECTED, BW_F_KILLED decided at sys_enter */
	__u32 probe_only; /* opens: kept only to judge the opened file at exit (symlinks) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct file_args);
} file_inflight SEC(".maps") __weak;

/* Calls that name their file by an fd (dfd), not by a name. */
#define FILE_BY_FD(type) ((type) == BW_EV_FTRUNCATE || (type) == BW_EV_FALLOCATE)
#define FILE_IS_OPEN(type) ((type) >= BW_EV_OPEN && (type) <= BW_EV_CREAT)

/*
 * Opens in flight (file_inflight entries of an open type), a hint only:
 * the open exit programs run for every open on the host, and skip their
 * map lookup while it is 0. A lost decrement only costs lookups.
 */
__u64 open_pending __weak = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_file_event);
} file_scratch SEC(".maps") __weak;

/*
 * Login sessions are always captured. Outside them (daemons, cron, the
 * database server itself) only names inside watched trees are, unless
 * capture_all is set: this keeps the cost on ordinary server workloads to
 * an inode walk with no copies.
 */
static __always_inline bool file_wanted(struct file_args *a)
{
	struct task_struct *t = cur_task();
	struct path_scratch *s;

	if (capture_all || TASK_RD(t, sessionid) != NO_SESSION)
		return true;
	if (!watch_count)
		return false;
	s = path_scratch_get();
	if (!s)
		return false;
	if (FILE_BY_FD(a->type)) {
		struct file *f = fd_to_file(a->dfd);

		return f && watch_ancestry(BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
	}
	if (watch_name(a->dfd, (const char *)a->name, s))
		return true;
	return a->newname && watch_name(a->newdfd, (const char *)a->newname, s);
}

/*
 * The kernel's answer to a login-session task (sid) acting on a file whose
 * nearest watched ancestor has the BW_WATCH_* bits: below a protected tree
 * and not an allowlisted executable, SIGKILL now (and quarantine the
 * session for a protect_session tree). Returns the BW_F_* bits to record.
 */
static __always_inline __u32 protect_verdict(struct task_struct *t, __u32 sid, __u32 bits, __u32 type)
{
	__u64 now;

	if (!(bits & (BW_WATCH_PROTECT | BW_WATCH_PROTECT_SESSION)) || exe_allowed(t))
		return 0;
	if ((bits & BW_WATCH_PROTECT_SESSION) && enforce_kill) {
		now = bpf_ktime_get_boot_ns();
		bpf_map_update_elem(&quarantine, &sid, &now, BPF_ANY);
	}
	kill_current(BW_KILL_PROTECT, type);
	return BW_F_PROTECTED | (enforce_kill ? BW_F_KILLED : 0) |
	       ((bits & BW_WATCH_PROTECT_SESSION) ? BW_F_SESSION_KILL : 0);
}

/*
 * A deletion-family syscall from a login session below a protected tree,
 * by an executable not on the allowlist: SIGKILL now. The kill lands when
 * the syscall returns to user space, so the one file in flight is lost and
 * nothing after it. Returns the BW_F_* bits to record.
 */
static __always_inline __u32 file_protect(struct task_struct *t, struct file_args *a)
{
	struct path_scratch *s;
	__u32 bits, sid = TASK_RD(t, sessionid);

	if (!protect_count || sid == NO_SESSION)
		return 0;
	s = path_scratch_get();
	if (!s)
		return 0;
	if (FILE_BY_FD(a->type)) {
		struct file *f = fd_to_file(a->dfd);

		bits = f ? watch_ancestry(BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt)) : 0;
	} else {
		bits = watch_name(a->dfd, (const char *)a->name, s);
		if (!bits)
			bits = watch_resolved(a->dfd, (const char *)a->name, s);
		/* renaming something INTO a protected tree (overwriting) counts too */
		if (a->newname) {
			bits |= watch_name(a->newdfd, (const char *)a->newname, s);
			if (!bits)
				bits = watch_resolved(a->newdfd, (const char *)a->newname, s);
		}
	}
	return protect_verdict(t, sid, bits, a->type);
}

static __always_inline int file_enter(__u32 type, int dfd, const void *name, int newdfd,
				      const void *newname, __s64 arg)
{
	struct file_args a = {
		.type = type, .dfd = dfd, .name = (__u64)name,
		.newdfd = newdfd, .newname = (__u64)newname, .arg = arg,
	};
	struct task_struct *t = cur_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (is_self())
		return 0;
	if (quarantined(t)) {
		kill_current(BW_KILL_QUARANTINE, type);
		a.flags = BW_F_KILLED;
	} else {
		a.flags = file_protect(t, &a);
	}
	if (!a.flags && !file_wanted(&a))
		return 0;
	a.ts_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&file_inflight, &tid, &a, BPF_ANY))
		stat_inc(BW_STAT_INFLIGHT_FULL);
	return 0;
}

/* Saves a for the exit program; an open counts in open_pending. */
static __always_inline void file_keep(struct file_args *a)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	a->ts_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&file_inflight, &tid, a, BPF_ANY))
		stat_inc(BW_STAT_INFLIGHT_FULL);
	else if (FILE_IS_OPEN(a->type))
		__sync_fetch_and_add(&open_pending, 1);
}

/*
 * open, openat, openat2, creat. Only O_TRUNC and opens for writing can
 * destroy data, so every other open returns at the first test, on the
 * flags it was given: that one test is what an ordinary open pays.
 *   - O_TRUNC: as the deletion family (login sessions always, elsewhere
 *     only below watched trees); the event says whether the open created
 *     the file (BW_F_CREATED: nothing was truncated).
 *   - for writing, without O_TRUNC (dd conv=notrunc, a script writing
 *     zeros): from a login session below a watched or protected tree only.
 *     Services write their files all day and are never looked at.
 * Below a protected tree a login session's open for writing is killed at
 * entry: an O_TRUNC open still truncates its one file, a plain write open
 * returns an fd the task never gets to use.
 */
static __always_inline int open_enter(__u32 type, int dfd, const void *name, __s64 flags)
{
	struct file_args a = { .type = type, .dfd = dfd, .name = (__u64)name, .arg = flags };
	struct task_struct *t;
	struct path_scratch *s;
	__u32 sid, bits = 0;

	if (!(flags & (BW_O_TRUNC | BW_O_WRONLY | BW_O_RDWR)))
		return 0;
	t = cur_task();
	sid = TASK_RD(t, sessionid);
	if ((!(flags & BW_O_TRUNC) && (sid == NO_SESSION || !watch_count)) || is_self())
		return 0;
	if (quarantined(t)) {
		kill_current(BW_KILL_QUARANTINE, type);
		a.flags = BW_F_KILLED;
		file_keep(&a);
		return 0;
	}
	/* the walk only when its answer matters: a session's O_TRUNC is kept anyway */
	if (watch_count && ((sid != NO_SESSION && protect_count) || !(flags & BW_O_TRUNC) ||
			    (sid == NO_SESSION && !capture_all))) {
		s = path_scratch_get();
		if (!s)
			return 0;
		bits = watch_name(dfd, name, s);
		if (!bits && sid != NO_SESSION && protect_count)
			bits = watch_resolved(dfd, name, s);
	}
	if (sid != NO_SESSION)
		a.flags = protect_verdict(t, sid, bits, type);
	if (!a.flags && !bits && !(flags & BW_O_TRUNC && (sid != NO_SESSION || capture_all))) {
		if (sid == NO_SESSION || !protect_count)
			return 0;
		a.probe_only = 1;  /* reported only if the file opened is protected */
	}
	file_keep(&a);
	return 0;
}

/* fallocate: only the modes that destroy data (punch hole, collapse or zero a range). */
static __always_inline int fallocate_enter(int fd, __s64 mode)
{
	if (!(mode & BW_FALLOC_DESTROY))
		return 0;
	return file_enter(BW_EV_FALLOCATE, fd, 0, 0, 0, mode);
}

static __always_inline int file_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct task_struct *t = cur_task();
	struct bw_file_event *e;
	struct path_scratch *s;
	struct file_args *a;
	int len = 0, nlen;

	a = bpf_map_lookup_elem(&file_inflight, &tid);
	if (!a)
		return 0;
	if (FILE_IS_OPEN(a->type))
		__sync_fetch_and_add(&open_pending, -1);
	e = bpf_map_lookup_elem(&file_scratch, &zero);
	s = path_scratch_get();
	if (!e || !s)
		goto out;
	fill_hdr(&e->hdr, t, a->type);
	e->hdr.ts_ns = a->ts_ns;
	e->hdr.flags = a->flags;
	e->res = ret;
	e->arg = a->arg;
	e->_pad0 = 0;
	e->newpath_len = 0;
	if (FILE_IS_OPEN(a->type) && ret >= 0) {
		struct file *of = fd_to_file((int)ret);
		__u32 sid = TASK_RD(t, sessionid);

		if (!of)
			goto out;
		/* the open made a new file: nothing was truncated */
		if (BPF_CORE_READ(of, f_mode) & BW_FMODE_CREATED)
			e->hdr.flags |= BW_F_CREATED;
		/*
		 * The name judged at entry may be a symlink into a protected
		 * tree (ln -s /protected/f /tmp/x; : > /tmp/x): judge the file
		 * that was opened. The SIGKILL lands before the task can write.
		 */
		if (!(e->hdr.flags & BW_F_KILLED) && protect_count && sid != NO_SESSION)
			e->hdr.flags |= protect_verdict(t, sid,
							watch_ancestry(BPF_CORE_READ(of, f_path.dentry),
								       BPF_CORE_READ(of, f_path.mnt)),
							a->type);
		if (a->probe_only && !(e->hdr.flags & BW_F_PROTECTED))
			goto out;
		/* the file opened, symlinks resolved: what a rule wants to see */
		len = path_of_file(of, s, &e->hdr.flags, BW_F_PATH_TRUNC);
	} else if (FILE_IS_OPEN(a->type) && a->probe_only) {
		goto out;
	} else if (FILE_BY_FD(a->type)) {
		struct file *f = fd_to_file(a->dfd);

		if (f)
			len = path_of_file(f, s, &e->hdr.flags, BW_F_PATH_TRUNC);
	} else {
		len = path_resolve_at(a->dfd, (const char *)a->name, s, &e->hdr.flags,
				      BW_F_PATH_TRUNC);
	}
	len &= PATH_MASK;
	bpf_probe_read_kernel(e->data, len, s->out);
	e->path_len = len;

	if (a->newname) {
		nlen = path_resolve_at(a->newdfd, (const char *)a->newname, s, &e->hdr.flags,
				       BW_F_NEWPATH_TRUNC);
		nlen &= PATH_MASK;
		bpf_probe_read_kernel(&e->data[len], nlen, s->out);
		e->newpath_len = nlen;
		len += nlen;
	}
	if (e->hdr.flags & (BW_F_PATH_TRUNC | BW_F_NEWPATH_TRUNC))
		stat_inc(BW_STAT_PATH_TRUNC);
	if (len > 2 * PATH_MASK)  /* cannot happen; bounds the size for the verifier */
		len = 2 * PATH_MASK;
	e->hdr.size = offsetof(struct bw_file_event, data) + len;
	submit(e, offsetof(struct bw_file_event, data) + len);
out:
	bpf_map_delete_elem(&file_inflight, &tid);
	return 0;
}

/* The exit of an open: nothing to do, not even a lookup, while no open is kept. */
static __always_inline int open_exit(long ret)
{
	if (!open_pending)
		return 0;
	return file_exit(ret);
}

/*
 * A deletion BPF-LSM refused (or, with --no-kill, reported) that no
 * capture program has in flight: it came through io_uring, open(O_TRUNC)
 * or another way the syscall hooks do not see. Reported here as the
 * syscall event it stands for, with res -EPERM and the same BW_F_* bits,
 * so the same rules fire and the session is swept as on the syscall
 * path. A deletion the capture has in flight is reported at its exit.
 */
static __always_inline void file_report_lsm(__u32 type, struct dentry *d, struct vfsmount *m,
					    struct dentry *nd, struct vfsmount *nm, __u32 flags,
					    __s64 arg)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct bw_file_event *e;
	struct path_scratch *s;
	struct file_args *a;
	int len, nlen;

	a = bpf_map_lookup_elem(&file_inflight, &tid);
	if (a) {
		/* the exit reports it, with the verdict the name alone did not give
		 * (a symlink into the tree, an open judged on the file) */
		a->flags |= flags;
		a->probe_only = 0;
		return;
	}
	e = bpf_map_lookup_elem(&file_scratch, &zero);
	s = path_scratch_get();
	if (!e || !s)
		return;
	fill_hdr(&e->hdr, cur_task(), type);
	e->hdr.flags = flags;
	e->res = enforce_kill ? -1 /* -EPERM */ : 0;
	e->arg = arg;
	e->_pad0 = 0;
	e->newpath_len = 0;
	len = path_of_dentry(d, m, s, &e->hdr.flags, BW_F_PATH_TRUNC) & PATH_MASK;
	bpf_probe_read_kernel(e->data, len, s->out);
	e->path_len = len;
	if (nd) {
		nlen = path_of_dentry(nd, nm, s, &e->hdr.flags, BW_F_NEWPATH_TRUNC) & PATH_MASK;
		bpf_probe_read_kernel(&e->data[len], nlen, s->out);
		e->newpath_len = nlen;
		len += nlen;
	}
	if (e->hdr.flags & (BW_F_PATH_TRUNC | BW_F_NEWPATH_TRUNC))
		stat_inc(BW_STAT_PATH_TRUNC);
	if (len > 2 * PATH_MASK)  /* cannot happen; bounds the size for the verifier */
		len = 2 * PATH_MASK;
	e->hdr.size = offsetof(struct bw_file_event, data) + len;
	submit(e, offsetof(struct bw_file_event, data) + len);
}

#endif /* BULWARK_FILE_BPF_H */
