// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * BPF-LSM deny path for protected trees: where the kernel allows BPF-LSM
 * programs, a deletion below a protected tree from a login session is
 * refused (-EPERM) before it happens, so nothing is lost. On kernels where
 * LSM programs cannot load (ours: EPERM), the loader probes, leaves these
 * unloaded and the tracepoint SIGKILL path in file.bpf.c enforces instead.
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
