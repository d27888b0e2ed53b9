/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* In-kernel response: quarantined sessions and protected trees, killed synchronously. */
#ifndef BULWARK_ENFORCE_BPF_H
#define BULWARK_ENFORCE_BPF_H

#include "common.bpf.h"

#define SIGKILL 9
#define BW_KILL_QUARANTINE 1 /* the session is quarantined */
#define BW_KILL_PROTECT 2    /* a deletion-family syscall below a protected tree */

/*
 * Sessions being killed. User space adds a session when a kill_session
 * decision is made (and the kernel adds one itself when a protected tree
 * is hit by a rule whose action is kill_session). Any task of a
 * quarantined session is killed at its next exec, fork or hooked syscall,
 * so a session cannot outrun the kill by forking. value: time added.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} quarantine SEC(".maps") __weak;

/* Executables never killed by the kernel path (the database servers), by
 * the (s_dev, inode) of the file. Filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct watch_key);
	__type(value, __u32);
} allow_exe SEC(".maps") __weak;

__u32 protect_count __weak = 0;                /* protected trees in watch_*; run time */
const volatile __u32 enforce_kill __weak = 1;   /* 0 with --no-kill: report only */

extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				__u64 value) __ksym __weak;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

static __always_inline bool quarantined(struct task_struct *t)
{
	__u32 sid = TASK_RD(t, sessionid);

	return sid != NO_SESSION && bpf_map_lookup_elem(&quarantine, &sid);
}

/* The current task's executable is on the allowlist. */
static __always_inline bool exe_allowed(struct task_struct *t)
{
	struct watch_key k = {};
	struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);

	if (!ino)
		return true; /* kernel threads: never ours to kill */
	k.ino = BPF_CORE_READ(ino, i_ino);
	k.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	return bpf_map_lookup_elem(&allow_exe, &k) != NULL;
}

/* Reports a kernel kill; the kill itself was sent by the caller. */
static __always_inline void report_kill(struct task_struct *t, __u32 reason, __u32 sc_type)
{
	struct bw_kill_event e;

	fill_hdr(&e.hdr, t, BW_EV_KILL);
	e.hdr.size = sizeof(e);
	e.hdr.flags = enforce_kill ? BW_F_KILLED : 0;
	e.reason = reason;
	e.syscall_type = sc_type;
	submit(&e, sizeof(e));
}

/* SIGKILL to the current process (every thread); counted and reported. */
static __always_inline void kill_current(__u32 reason, __u32 sc_type)
{
	struct task_struct *t = cur_task();

	if (enforce_kill) {
		bpf_send_signal(SIGKILL);
		stat_inc(BW_STAT_KILLS);
	}
	report_kill(t, reason, sc_type);
}

/* How many generations above a killed task die with it (a shell, the shell that ran it...). */
#define BW_KILL_ANCESTORS 4

/*
 * Kills the ancestors of t that are in t's session (6.13+: needs
 * bpf_send_signal_task; a no-op before). A quarantined task killed alone
 * wakes the shell waiting for it, and the shell's next builtins (echo >
 * file, read, :>) need no exec or fork, so the quarantine never meets it:
 * it runs on until user space's signal lands. Seen as a script writing a
 * file after its child's exec was killed. Never pid 1, bulwark or an
 * allowlisted executable; the walk stops at the first ancestor outside
 * the session.
 */
static __always_inline void kill_session_ancestors(struct task_struct *t)
{
	struct task_struct *p, *next;
	__u32 sid = t->sessionid;

	if (!enforce_kill || !bpf_send_signal_task || !bpf_task_acquire || !bpf_task_release)
		return;
	p = bpf_task_acquire(t->real_parent);
	for (int i = 0; i < BW_KILL_ANCESTORS && p; i++) {
		if (p->sessionid != sid || p->tgid <= 1 || p->tgid == self_tgid || exe_allowed(p))
			break;
		bpf_send_signal_task(p, SIGKILL, PIDTYPE_TGID, 0);
		stat_inc(BW_STAT_KILLS);
		next = bpf_task_acquire(p->real_parent);
		bpf_task_release(p);
		p = next;
	}
	if (p)
		bpf_task_release(p);
}

#endif /* BULWARK_ENFORCE_BPF_H */
