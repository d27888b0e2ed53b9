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
#include "lib/common.bpf.h"
#include "lib/path.bpf.h"
#include "lib/enforce.bpf.h"

#define EPERM 1

/* 0 to allow, -EPERM to deny; kills and reports like the tracepoint path. */
static __always_inline int lsm_check(const struct path *dir, __u32 type)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	__u32 bits, sid = t->sessionid;
	__u64 now;

	if (is_self() || sid == NO_SESSION)
		return 0;
	if (quarantined(t)) {
		kill_current(BW_KILL_QUARANTINE, type);
		return enforce_kill ? -EPERM : 0;
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
	return enforce_kill ? -EPERM : 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(lsm_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret ? ret : lsm_check(dir, BW_EV_UNLINKAT);
}

SEC("lsm/path_rmdir")
int BPF_PROG(lsm_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret ? ret : lsm_check(dir, BW_EV_RMDIR);
}

SEC("lsm/path_rename")
int BPF_PROG(lsm_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	int r;

	if (ret)
		return ret;
	r = lsm_check(old_dir, BW_EV_RENAMEAT2);
	return r ? r : lsm_check(new_dir, BW_EV_RENAMEAT2);
}

SEC("lsm/path_truncate")
int BPF_PROG(lsm_path_truncate, const struct path *path, int ret)
{
	return ret ? ret : lsm_check(path, BW_EV_TRUNCATE);
}

/*
 * open(O_TRUNC) truncates in do_open() without the truncate syscalls.
 * From 6.2 that truncation (and ftruncate) calls security_file_truncate;
 * the loader then uses this program and leaves lsm_file_open out.
 */
SEC("lsm/file_truncate")
int BPF_PROG(lsm_file_truncate, struct file *file, int ret)
{
	return ret ? ret : lsm_check(&file->f_path, BW_EV_TRUNCATE);
}

#define O_TRUNC       01000
#define FMODE_CREATED 0x100000  /* include/linux/fs.h of 5.10..6.1, where this program runs */

/*
 * Before 6.2 there is no file_truncate hook: an open with O_TRUNC of an
 * existing file below a protected tree is refused at file_open, which
 * runs before the truncation (f_flags still holds O_TRUNC there). A file
 * the open creates has nothing to lose and is let through.
 */
SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file, int ret)
{
	if (ret || !(file->f_flags & O_TRUNC) || (file->f_mode & FMODE_CREATED))
		return ret;
	return lsm_check(&file->f_path, BW_EV_TRUNCATE);
}
