/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Process lifecycle programs: exec (exe + argv), fork (new processes), exit (last thread). */
#ifndef BULWARK_PROCESS_BPF_H
#define BULWARK_PROCESS_BPF_H

#include "common.bpf.h"
#include "path.bpf.h"
#include "enforce.bpf.h"

/*
 * Included by process.bpf.c (tp_btf_sched_process_*) and process_nl.bpf.c
 * (tp_btf_sched_process_*_nl: without bpf_loop and the BTF task helper,
 * for 5.10). PROC_PROG expands the name before BPF_PROG pastes it.
 */
#define PROC_PROG(name, args...) BPF_PROG(name, ##args)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_exec_event);
} exec_scratch SEC(".maps") __weak;

SEC("tp_btf/sched_process_exec")
int PROC_PROG(PROC_NAME(exec), struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct bw_exec_event *e;
	struct path_scratch *s;
	__u32 zero = 0;
	unsigned long as, ae;
	int elen = 0, alen;
	struct file *f;

	if (is_self())
		return 0;
	/* a quarantined session runs nothing new: killed before the new image starts,
	 * with the shell that waits for it (6.13+; see kill_session_ancestors) */
	if (quarantined(p)) {
		kill_current(BW_KILL_QUARANTINE, BW_EV_EXEC);
#ifndef BW_NO_BPF_LOOP
		kill_session_ancestors(p);
#endif
	}
	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	s = path_scratch_get();
	if (!e || !s)
		return 0;
	fill_hdr(&e->hdr, p, BW_EV_EXEC);

	/* exe: the file actually executed, symlinks resolved */
	f = BPF_CORE_READ(bprm, file);
	if (f)
		elen = path_of_file(f, s, &e->hdr.flags, BW_F_PATH_TRUNC);
	elen &= PATH_MASK;
	bpf_probe_read_kernel(e->data, elen, s->out);
	e->exe_len = elen;

	/* argv from the new mm: NUL separated, bounded by BW_ARGS_MAX - 1 */
	as = BPF_CORE_READ(p, mm, arg_start);
	ae = BPF_CORE_READ(p, mm, arg_end);
	alen = ae > as ? (int)(ae - as) : 0;
	if (alen > PATH_MASK) {
		alen = PATH_MASK;
		e->hdr.flags |= BW_F_ARGS_TRUNC;
		stat_inc(BW_STAT_ARGS_TRUNC);
	}
	alen &= PATH_MASK;
	if (bpf_probe_read_user(&e->data[elen], alen, (void *)as)) {
		stat_inc(BW_STAT_READ_ERR);
		alen = 0;
	}
	e->args_len = alen;
	e->_pad0 = 0;
	e->hdr.size = offsetof(struct bw_exec_event, data) + elen + alen;
	submit(e, offsetof(struct bw_exec_event, data) + elen + alen);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int PROC_PROG(PROC_NAME(fork), struct task_struct *parent, struct task_struct *child)
{
	struct bw_proc_event e;

	if (is_self())
		return 0;
	/* a quarantined session cannot outrun the kill by forking: both die */
	if (quarantined(parent)) {
#ifndef BW_NO_BPF_LOOP
		/*
		 * Weak kfunc: 0 on kernels < 6.13, where the child is killed at
		 * its first exec or hooked syscall instead. Left out of the 5.10
		 * build: it cannot have it, and libbpf 1.1's linker fails on an
		 * extern kfunc referenced from two objects.
		 */
		if (enforce_kill && bpf_send_signal_task) {
			bpf_send_signal_task(child, SIGKILL, PIDTYPE_TGID, 0);
			stat_inc(BW_STAT_KILLS);
		}
#endif
		kill_current(BW_KILL_QUARANTINE, BW_EV_FORK);
#ifndef BW_NO_BPF_LOOP
		kill_session_ancestors(parent);
#endif
	}
	/* new processes only: threads share the process table entry */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	fill_hdr(&e.hdr, child, BW_EV_FORK);
	/* the child's real_parent may not be visible yet: the forking task is */
	e.hdr.ppid = BPF_CORE_READ(parent, tgid);
	e.hdr.size = sizeof(e);
	e.child_pid = BPF_CORE_READ(child, tgid);
	e.exit_code = 0;
	submit(&e, sizeof(e));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int PROC_PROG(PROC_NAME(exit), struct task_struct *p)
{
	struct bw_proc_event e;

	/* the process is gone when its last thread exits */
	if (is_self() || BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	fill_hdr(&e.hdr, p, BW_EV_EXIT);
	e.hdr.size = sizeof(e);
	e.child_pid = 0;
	e.exit_code = BPF_CORE_READ(p, exit_code);
	submit(&e, sizeof(e));
	return 0;
}

#endif /* BULWARK_PROCESS_BPF_H */
