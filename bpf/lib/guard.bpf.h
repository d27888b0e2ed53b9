/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Signals and attempts on bulwark: one enter/exit body (decide, respond, report) shared by the backends. */
#ifndef BULWARK_GUARD_BPF_H
#define BULWARK_GUARD_BPF_H

#include "common.bpf.h"
#include "enforce.bpf.h"

/*
 * Backends: guard.bpf.c holds both the syscall tracepoint programs
 * (tp_*_guard) and the fentry/fexit ones (fentry_guard_*): the loader
 * attaches one set. guard_lsm.bpf.c adds the BPF-LSM denials where the
 * kernel has them. Everything here reads the task with BPF_CORE_READ
 * (the files are built with BW_NO_BPF_LOOP) so one build runs from 5.10
 * on: these syscalls are rare, a helper call per field costs nothing.
 *
 * Who is "bulwark": the daemon (self_tgid and its threads in guard_pids)
 * and any process running bulwark's own executable (guard_exe_*: `bulwark
 * unload`, `status`). Everything else that touches bulwark's objects is an
 * attempt; from a login session it is killed and its session quarantined
 * at syscall entry, before the daemon hears of it.
 */

#define BW_KIND_MAP  1ull  /* guard_ids key: (kind << 32) | kernel object id */
#define BW_KIND_LINK 2ull
#define BW_KIND_SB   3ull  /* (3 << 32) | s_dev of a bpffs holding the pins */

/* The pinned state a restarted daemon reads to report the gap (bulwark_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_guard_state);
} guard_state SEC(".maps") __weak;

/* The daemon's pid and thread ids (filled by it): the targets signals and ptrace must not reach. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} guard_pids SEC(".maps") __weak;

/* bulwark's maps, links and pin filesystems by kernel id; value BW_GUARD_*. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, __u64);
	__type(value, __u32);
} guard_ids SEC(".maps") __weak;

/* Path prefixes: the pin dir (BW_GUARD_PINS) and bpffs/tracefs mount points (BW_GUARD_FS). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} guard_paths SEC(".maps") __weak;

/* Arguments saved at entry, joined at exit by thread id. */
struct guard_args {
	__u64 ts_ns;      /* entry time */
	__u32 type;       /* enum bw_event_type */
	__s32 target;     /* pid/tid argument */
	__u32 arg;        /* signal, request, cmd, flags */
	__u32 obj_id;     /* bpf object id */
	__u32 guard;      /* BW_GUARD_* */
	__u32 flags;      /* BW_F_* decided at entry */
	__u32 target_tgid;/* the target's tgid when known */
	__u32 _pad;       /* always 0 */
	__u64 uptr;       /* user pointer to the path argument, 0 = none */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct guard_args);
} guard_inflight SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_ctl_event);
} guard_scratch SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lpm_key);
} guard_key SEC(".maps") __weak;

/* bulwark's executable, by (s_dev, inode): set by the loader (rodata). */
const volatile __u64 guard_exe_ino __weak = 0;
const volatile __u32 guard_exe_dev __weak = 0;

/*
 * The daemon's executable as the kernel sees it (mm->exe_file), learned
 * from the daemon's own bpf() calls: on overlayfs, stat() of the file in
 * user space gives the overlay's inode while exe_file is the real one.
 */
__u64 guard_self_ino __weak = 0;
__u32 guard_self_dev __weak = 0;

static __always_inline void guard_learn_self(void)
{
	struct inode *ino;

	if (guard_self_ino)
		return;
	ino = BPF_CORE_READ(cur_task(), mm, exe_file, f_inode);
	if (!ino)
		return;
	guard_self_dev = BPF_CORE_READ(ino, i_sb, s_dev);
	guard_self_ino = BPF_CORE_READ(ino, i_ino);
}

/* The current task is bulwark: the daemon, or bulwark's executable (unload, status). */
static __always_inline bool guard_is_bulwark(struct task_struct *t)
{
	struct inode *ino;
	__u64 i;
	__u32 d;

	if (is_self())
		return true;
	if (!guard_exe_ino && !guard_self_ino)
		return false;
	ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
	if (!ino)
		return false;
	i = BPF_CORE_READ(ino, i_ino);
	d = BPF_CORE_READ(ino, i_sb, s_dev);
	return (i == guard_exe_ino && d == guard_exe_dev) ||
	       (guard_self_ino && i == guard_self_ino && d == guard_self_dev);
}

static __always_inline bool guard_is_daemon_pid(__u32 pid)
{
	return pid && bpf_map_lookup_elem(&guard_pids, &pid) != NULL;
}

/* BW_GUARD_* of a path argument (user memory), from guard_paths. */
static __always_inline __u32 guard_path_bits(__u64 uptr, __u32 want)
{
	__u32 zero = 0, *v;
	struct lpm_key *k = bpf_map_lookup_elem(&guard_key, &zero);
	long n;

	if (!k || !uptr)
		return 0;
	n = bpf_probe_read_user_str(k->path, sizeof(k->path), (const void *)uptr);
	if (n <= 1 || k->path[0] != '/')
		return 0;
	k->prefixlen = (__u32)(n - 1) * 8;
	v = bpf_map_lookup_elem(&guard_paths, k);
	return v ? (*v & want) : 0;
}

/* BW_GUARD_* of the map or link behind fd of the current task (bpf commands). */
static __always_inline __u32 guard_fd_bits(int fd, __u64 kind, __u32 *id_out)
{
	struct task_struct *t = cur_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **arr, *f = NULL;
	void *priv;
	__u64 key;
	__u32 id, *v;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	arr = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]) || !f)
		return 0;
	priv = BPF_CORE_READ(f, private_data);
	if (!priv)
		return 0;
	/*
	 * No check that f is a map or link file: for another file the id read
	 * is garbage, and the kernel fails the command anyway (EINVAL), so a
	 * rare false match can only report a command that did nothing.
	 */
	if (kind == BW_KIND_MAP)
		id = BPF_CORE_READ((struct bpf_map *)priv, id);
	else
		id = BPF_CORE_READ((struct bpf_link *)priv, id);
	key = kind << 32 | id;
	v = bpf_map_lookup_elem(&guard_ids, &key);
	if (!v)
		return 0;
	*id_out = id;
	return *v;
}

#ifndef BW_BPF_CMDS
#define BW_BPF_CMDS
/* bpf(2) commands (uapi values) that change or open bulwark's objects. */
#define BWC_MAP_UPDATE_ELEM 2
#define BWC_MAP_DELETE_ELEM 3
#define BWC_PROG_LOAD 5
#define BWC_OBJ_GET 7
#define BWC_MAP_LOOKUP_AND_DELETE_ELEM 21
#define BWC_MAP_FREEZE 22
#define BWC_MAP_LOOKUP_AND_DELETE_BATCH 25
#define BWC_MAP_UPDATE_BATCH 26
#define BWC_MAP_DELETE_BATCH 27
#define BWC_LINK_UPDATE 29
#define BWC_LINK_DETACH 34
#endif

/* BW_GUARD_* of a bpf(cmd, attr) call; attr is in user memory (syscall entry) or kernel (LSM). */
static __always_inline __u32 guard_bpf_bits(int cmd, const void *attr, bool user, __u32 *id,
					    __u64 *uptr)
{
	__u32 fd = 0;
	__u64 path = 0;
	long off;

	switch (cmd) {
	case BWC_MAP_UPDATE_ELEM:
	case BWC_MAP_DELETE_ELEM:
	case BWC_MAP_LOOKUP_AND_DELETE_ELEM:
	case BWC_MAP_FREEZE:
		off = 0; /* map_fd */
		break;
	case BWC_MAP_LOOKUP_AND_DELETE_BATCH:
	case BWC_MAP_UPDATE_BATCH:
	case BWC_MAP_DELETE_BATCH:
		off = 36; /* batch.map_fd, after four u64 and count */
		break;
	case BWC_LINK_UPDATE:
	case BWC_LINK_DETACH:
		off = 0; /* link_fd */
		break;
	case BWC_OBJ_GET:
		if (user)
			bpf_probe_read_user(&path, sizeof(path), attr);
		else
			bpf_probe_read_kernel(&path, sizeof(path), attr);
		*uptr = path;
		return guard_path_bits(path, BW_GUARD_PINS);
	default:
		return 0;
	}
	if (user)
		bpf_probe_read_user(&fd, sizeof(fd), attr + off);
	else
		bpf_probe_read_kernel(&fd, sizeof(fd), attr + off);
	if (cmd == BWC_LINK_UPDATE || cmd == BWC_LINK_DETACH)
		return guard_fd_bits((int)fd, BW_KIND_LINK, id) & BW_GUARD_LINKS;
	return guard_fd_bits((int)fd, BW_KIND_MAP, id) & BW_GUARD_MAPS;
}

/* Notes a signal to the daemon in the pinned state: who stopped it, for the next daemon. */
static __always_inline void guard_note_signal(struct task_struct *t, __u32 sig)
{
	__u32 zero = 0;
	struct bw_guard_state *st = bpf_map_lookup_elem(&guard_state, &zero);

	if (!st || !sig)
		return;
	st->last_sig = sig;
	st->last_sig_ns = bpf_ktime_get_boot_ns();
	st->last_sig_pid = BPF_CORE_READ(t, tgid);
	st->last_sig_uid = BPF_CORE_READ(t, cred, uid.val);
	st->last_sig_loginuid = BPF_CORE_READ(t, loginuid.val);
	st->last_sig_session = BPF_CORE_READ(t, sessionid);
	BPF_CORE_READ_STR_INTO(&st->last_sig_comm, t, comm);
}

/*
 * Syscall entry: what it touches of bulwark, the kill and quarantine of a
 * login session that tries, and the arguments for the exit. target_tgid
 * is the tgid argument where the syscall has one (tgkill, kill), else 0.
 */
static __always_inline int guard_enter(__u32 type, __s32 target, __u32 target_tgid, __u32 arg,
				       __u32 guard, __u32 obj_id, __u64 uptr)
{
	struct task_struct *t = cur_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), sid;
	struct guard_args a = {};
	__u64 now;

	if (is_self())
		return 0;
	sid = BPF_CORE_READ(t, sessionid);
	if (type <= BW_EV_SIG_TGQUEUE || type == BW_EV_PTRACE) {
		if (guard_is_daemon_pid(target_tgid) || (target > 0 && guard_is_daemon_pid((__u32)target)))
			guard |= BW_GUARD_DAEMON;
	}
	if (guard && guard_is_bulwark(t))
		return 0;
	/* signals and ptrace outside login sessions: only those aimed at bulwark (kill(pid, 0) is common) */
	if (!guard && sid == NO_SESSION && !capture_all && type != BW_EV_BPF)
		return 0;
	if (type <= BW_EV_SIG_TGQUEUE && (guard & BW_GUARD_DAEMON))
		guard_note_signal(t, arg);
	if (guard) {
		stat_inc(BW_STAT_GUARD);
		if (sid != NO_SESSION && enforce_kill) {
			now = bpf_ktime_get_boot_ns();
			bpf_map_update_elem(&quarantine, &sid, &now, BPF_ANY);
			kill_current(BW_KILL_GUARD_REASON, type);
			a.flags = BW_F_KILLED | BW_F_SESSION_KILL;
		}
	}
	a.ts_ns = bpf_ktime_get_boot_ns();
	a.type = type;
	a.target = target;
	a.target_tgid = target_tgid;
	a.arg = arg;
	a.obj_id = obj_id;
	a.guard = guard;
	a.uptr = uptr;
	if (bpf_map_update_elem(&guard_inflight, &tid, &a, BPF_ANY))
		stat_inc(BW_STAT_INFLIGHT_FULL);
	return 0;
}

/* Syscall exit: the record, with the result. */
static __always_inline int guard_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct bw_ctl_event *e;
	struct guard_args *a;
	long n = 0;

	a = bpf_map_lookup_elem(&guard_inflight, &tid);
	if (!a)
		return 0;
	e = bpf_map_lookup_elem(&guard_scratch, &zero);
	if (!e)
		goto out;
	fill_hdr(&e->hdr, cur_task(), a->type);
	e->hdr.ts_ns = a->ts_ns;
	e->hdr.flags = a->flags;
	e->res = ret;
	e->target = a->target;
	e->arg = a->arg;
	e->obj_id = a->obj_id;
	e->guard = a->guard;
	if (ret == -1 /* -EPERM */ && (a->guard & BW_GUARD_DENIED))
		e->guard |= BW_GUARD_DENIED;
	e->target_tgid = a->target_tgid;
	e->_pad0 = 0;
	__builtin_memset(e->target_comm, 0, sizeof(e->target_comm));
	if (a->uptr) {
		n = bpf_probe_read_user_str(e->data, sizeof(e->data), (const void *)a->uptr);
		if (n > 0)
			n--; /* the NUL */
		else
			n = 0;
	}
	n &= BW_PATH_MAX - 1;
	e->path_len = (__u16)n;
	e->hdr.size = offsetof(struct bw_ctl_event, data) + n;
	submit(e, offsetof(struct bw_ctl_event, data) + n);
out:
	bpf_map_delete_elem(&guard_inflight, &tid);
	return 0;
}

/* Marks the call in flight as refused by BPF-LSM (the exit then reports BW_GUARD_DENIED). */
static __always_inline void guard_mark_denied(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct guard_args *a = bpf_map_lookup_elem(&guard_inflight, &tid);

	stat_inc(BW_STAT_GUARD_DENIED);
	if (a)
		a->guard |= BW_GUARD_DENIED;
}

#endif /* BULWARK_GUARD_BPF_H */
