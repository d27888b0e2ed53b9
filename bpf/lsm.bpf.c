// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * BPF-LSM deny path for protected trees: where the kernel allows BPF-LSM
 * programs, a deletion below a protected tree from a login session is
 * refused (-EPERM) before it happens, so nothing is lost, whichever way it
 * came in (syscalls, io_uring, open(O_TRUNC)). On kernels where LSM
 * programs cannot load (ours: EPERM) or BPF-LSM is not in lsm= (Debian
 * 11), the loader probes, leaves these unloaded and the SIGKILL at syscall
 * entry of the capture backend (lib/file.bpf.h) enforces instead.
 */
#include "lib/file.bpf.h"

#define EPERM 1
#define AT_REMOVEDIR 0x200

/*
 * The verdict for a target below dir: 0 to allow, else the BW_F_* bits
 * to report (the SIGKILL is sent, the session quarantined, as on the
 * syscall path in lib/file.bpf.h).
 */
static __always_inline __u32 lsm_decide(const struct path *dir, __u32 type)
{
	struct task_struct *t = cur_task();
	__u32 bits, sid = TASK_RD(t, sessionid);
	__u64 now;

	if (is_self() || sid == NO_SESSION)
		return 0;
	if (quarantined(t)) {
		kill_current(BW_KILL_QUARANTINE, type);
		return enforce_kill ? BW_F_KILLED : 0;
	}
	if (!protect_count)
		return 0;
	bits = watch_ancestry(BPF_CORE_READ(dir, dentry), BPF_CORE_READ(dir, mnt));
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

/* Denies (unless --no-kill) what lsm_decide flagged, reporting it if no capture has it. */
static __always_inline int lsm_deny(__u32 flags, __u32 type, struct dentry *d, struct vfsmount *m,
				    struct dentry *nd, struct vfsmount *nm, __s64 arg)
{
	if (!flags)
		return 0;
	file_report_lsm(type, d, m, nd, nm, flags, arg);
	return enforce_kill ? -EPERM : 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(lsm_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return lsm_deny(lsm_decide(dir, BW_EV_UNLINKAT), BW_EV_UNLINKAT, dentry,
			BPF_CORE_READ(dir, mnt), NULL, NULL, 0);
}

SEC("lsm/path_rmdir")
int BPF_PROG(lsm_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return lsm_deny(lsm_decide(dir, BW_EV_RMDIR), BW_EV_UNLINKAT, dentry,
			BPF_CORE_READ(dir, mnt), NULL, NULL, AT_REMOVEDIR);
}

SEC("lsm/path_rename")
int BPF_PROG(lsm_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	__u32 f;

	if (ret)
		return ret;
	f = lsm_decide(old_dir, BW_EV_RENAMEAT2);
	if (!f)
		f = lsm_decide(new_dir, BW_EV_RENAMEAT2);
	return lsm_deny(f, BW_EV_RENAMEAT2, old_dentry, BPF_CORE_READ(old_dir, mnt), new_dentry,
			BPF_CORE_READ(new_dir, mnt), flags);
}

/* truncate(2); before 6.2 also ftruncate and open(O_TRUNC) (handle_truncate calls it). */
SEC("lsm/path_truncate")
int BPF_PROG(lsm_path_truncate, const struct path *path, int ret)
{
	if (ret)
		return ret;
	return lsm_deny(lsm_decide(path, BW_EV_TRUNCATE), BW_EV_TRUNCATE, BPF_CORE_READ(path, dentry),
			BPF_CORE_READ(path, mnt), NULL, NULL, 0);
}

/*
 * From 6.2, ftruncate and the truncation of open(O_TRUNC) call
 * security_file_truncate instead of path_truncate. The loader loads this
 * where the hook exists; before 6.2 lsm_path_truncate covers both.
 */
SEC("lsm/file_truncate")
int BPF_PROG(lsm_file_truncate, struct file *file, int ret)
{
	if (ret)
		return ret;
	return lsm_deny(lsm_decide(&file->f_path, BW_EV_TRUNCATE), BW_EV_TRUNCATE,
			BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), NULL, NULL, 0);
}

/*
 * Opens for writing below a protected tree (issue 11): dd conv=notrunc, a
 * script writing zeros over a file, and open(O_TRUNC), whose truncation
 * comes after this hook. Denied whichever way the open came in (syscalls,
 * io_uring), before the file is opened; reported as openat with the open
 * flags, as the capture backends report the syscall. O_TRUNC is still in
 * f_flags here: do_dentry_open() clears it only after the open.
 */
SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file, int ret)
{
	__u32 fl;

	if (ret)
		return ret;
	fl = BPF_CORE_READ(file, f_flags);
	if (!(BPF_CORE_READ(file, f_mode) & BW_FMODE_WRITE) && !(fl & BW_O_TRUNC))
		return 0;
	return lsm_deny(lsm_decide(&file->f_path, BW_EV_OPENAT), BW_EV_OPENAT,
			BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), NULL, NULL, fl);
}
