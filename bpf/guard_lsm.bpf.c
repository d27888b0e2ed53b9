// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * BPF-LSM denials for attempts on bulwark (Debian 12 and 13): a signal or
 * a ptrace attach to the daemon, a bpf() command that detaches its links,
 * changes its maps or opens its pins, and unmounting the bpffs that holds
 * its pins. The capture programs (guard.bpf.c) report the attempt at
 * syscall exit with -EPERM. pid 1 may still signal the daemon:
 * `systemctl stop bulwark` is the service's ordinary stop, which leaves
 * the pinned enforcement in place (and is reported as a signal).
 * Unlinking the pins is refused by the protected-tree LSM hooks
 * (lsm.bpf.c): the pin dir is a protected tree.
 */
#define BW_NO_BPF_LOOP 1
#include "lib/guard.bpf.h"

#define EPERM 1
#define PTRACE_MODE_ATTACH 0x02

static __always_inline bool lsm_guard_skip(void)
{
	return guard_is_bulwark(cur_task());
}

SEC("lsm/task_kill")
int BPF_PROG(lsm_task_kill_g, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	if (ret || !sig || !guard_is_daemon_pid(BPF_CORE_READ(p, tgid)))
		return ret;
	if (lsm_guard_skip() || (bpf_get_current_pid_tgid() >> 32) == 1)
		return 0;
	guard_mark_denied();
	return enforce_kill ? -EPERM : 0;
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(lsm_ptrace_access_check_g, struct task_struct *child, unsigned int mode, int ret)
{
	/* attach only: reading /proc/PID/cmdline or exe (ps, bulwark's own seeding) stays allowed */
	if (ret || !(mode & PTRACE_MODE_ATTACH) || !guard_is_daemon_pid(BPF_CORE_READ(child, tgid)))
		return ret;
	if (lsm_guard_skip())
		return 0;
	guard_mark_denied();
	return enforce_kill ? -EPERM : 0;
}

SEC("lsm/bpf")
int BPF_PROG(lsm_bpf_g, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	__u32 id = 0;
	__u64 uptr = 0;

	if (ret)
		return ret;
	if (is_self()) {
		guard_learn_self();
		return 0;
	}
	if (!guard_bpf_bits(cmd, attr, false, &id, &uptr) || lsm_guard_skip())
		return 0;
	guard_mark_denied();
	return enforce_kill ? -EPERM : 0;
}

SEC("lsm/sb_umount")
int BPF_PROG(lsm_sb_umount_g, struct vfsmount *mnt, int flags, int ret)
{
	__u64 key;
	__u32 *v;

	if (ret)
		return ret;
	key = BW_KIND_SB << 32 | BPF_CORE_READ(mnt, mnt_sb, s_dev);
	v = bpf_map_lookup_elem(&guard_ids, &key);
	if (!v || lsm_guard_skip())
		return 0;
	guard_mark_denied();
	return enforce_kill ? -EPERM : 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
