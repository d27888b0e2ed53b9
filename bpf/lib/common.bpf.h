/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Maps, load-time settings and the extract -> store -> submit helpers every hook uses. */
#ifndef BULWARK_COMMON_BPF_H
#define BULWARK_COMMON_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "bulwark_abi.h"

#define AT_FDCWD -100
#define NO_SESSION 4294967295u

/*
 * The kernel function behind a syscall, for the fentry/fexit backends.
 * With the syscall wrappers (x86-64, arm64) it takes the user registers
 * (struct pt_regs *) and the PT_REGS_PARMn_CORE_SYSCALL macros read them.
 * 32-bit compat syscalls enter through other functions (__ia32_sys_*) and
 * are not seen by that backend.
 */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_FN(name) "__x64_sys_" #name
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_FN(name) "__arm64_sys_" #name
#else
#error "common.bpf.h: add this architecture's syscall function prefix"
#endif
#define SC_ARG1(regs) PT_REGS_PARM1_CORE_SYSCALL(regs)
#define SC_ARG2(regs) PT_REGS_PARM2_CORE_SYSCALL(regs)
#define SC_ARG3(regs) PT_REGS_PARM3_CORE_SYSCALL(regs)
#define SC_ARG4(regs) PT_REGS_PARM4_CORE_SYSCALL(regs)
#define SC_ARG5(regs) PT_REGS_PARM5_CORE_SYSCALL(regs)

/*
 * Maps are defined in this header and marked __weak so that every
 * .bpf.c that includes it refers to the same map once bpftool links the
 * objects into one.
 */

/* Events to user space. Sized at load time (rb_bytes). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rb SEC(".maps") __weak;

/* Per-CPU counters, index enum bw_stat. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps") __weak;

/*
 * Directories whose trees are watched even outside login sessions, by
 * (device, inode). Filled by user space from the rules. value: BW_WATCH_*.
 */
struct watch_key {
	__u64 ino;   /* inode number */
	__u32 dev;   /* super_block->s_dev */
	__u32 _pad;  /* always 0 */
};
#define BW_WATCH_CAPTURE 1u  /* report events below it */
#define BW_WATCH_PROTECT 2u  /* kill the caller at sys_enter (enforce.bpf.h) */
#define BW_WATCH_PROTECT_SESSION 4u /* ... and quarantine its session */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct watch_key);
	__type(value, __u32);
} watch_inodes SEC(".maps") __weak;

/*
 * Filesystems (super_block->s_dev) holding at least one key of
 * watch_inodes. A walk on any other filesystem skips to the top of its
 * mount at once: nothing there can be watched.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} watch_devs SEC(".maps") __weak;

/*
 * What lies above a mount's root, by the mount's unique id (never reused,
 * kernel 6.8+): the OR of BW_WATCH_* of the watched trees that contain its
 * mount point, 0 for none. Filled by user space from its mount table; a
 * mount not in it (another mount namespace, or mounted in the last 2 s)
 * is walked through as before.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u32);
} watch_mounts SEC(".maps") __weak;

/* The same directories as absolute path prefixes ("/var/lib/mysql/"), for
 * absolute names that do not start from a directory we can walk. */
#define BW_LPM_MAX 256
struct lpm_key {
	__u32 prefixlen;          /* in bits */
	char path[BW_LPM_MAX];    /* bytes */
};
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} watch_prefixes SEC(".maps") __weak;

/* The event ABI this object was built with; the loader refuses another (bulwark_abi.h). */
const volatile __u32 bw_abi_version __weak = BW_ABI_VERSION;

/*
 * The current task and its fields. Kernels from 5.11 give a BTF pointer
 * (bpf_get_current_task_btf) that the verifier lets us load from
 * directly. 5.10 has only bpf_get_current_task(): the files built for it
 * (*_nl.bpf.c, with BW_NO_BPF_LOOP) read every field with
 * BPF_CORE_READ, which works on either pointer.
 */
#ifdef BW_NO_BPF_LOOP
#define cur_task() ((struct task_struct *)bpf_get_current_task())
#define TASK_RD(t, a) BPF_CORE_READ(t, a)
#define TASK_RD2(t, a, b) BPF_CORE_READ(t, a, b)
#else
#define cur_task() ((struct task_struct *)bpf_get_current_task_btf())
#define TASK_RD(t, a) ((t)->a)
#define TASK_RD2(t, a, b) ((t)->a->b)
#endif

/* Load-time settings (skel->rodata). */
const volatile __u32 self_tgid __weak = 0;      /* the daemon: never reported */
const volatile __u32 capture_all __weak = 0;    /* 1: report file events of every process */
/* Entries in the watch_* maps; set by user space at run time (a reload may change them). */
__u32 watch_count __weak = 0;

/*
 * Zeroes a bpf_loop() context so that the verifier does not know what it
 * holds. Before 6.7 a callback was verified as if called once from the
 * caller's state, and a later entry that differed only in imprecise
 * scalars was pruned as already seen. With a context zeroed by plain
 * stores (known zeros), a branch on a value carried from an earlier step
 * ("the previous word was DROP") was never explored, and the kernel
 * removed it as dead code: measured on Debian 12's 6.1, where the deny
 * scan never matched "DROP" "DATABASE" while 6.12 did. A helper's write
 * leaves the bytes unknown; a failed read (of NULL) zero-fills them.
 * Pointer fields are set after it.
 */
#define BW_LOOP_CTX_ZERO(c) bpf_probe_read_kernel((c), sizeof(*(c)), NULL)

/*
 * The current syscall's user registers where bpf_task_pt_regs (5.15) is
 * missing or the argument cannot be read: what the kernel's
 * task_pt_regs() computes, the top of the task's kernel stack minus one
 * struct pt_regs. THREAD_SIZE is 16 KiB on x86-64 and arm64 (4 KiB
 * pages) unless KASAN doubles it; Debian's kernels have no KASAN. Callers
 * check the syscall number saved there before they trust a value.
 */
#define BW_THREAD_SIZE 16384
static __always_inline struct pt_regs *stack_user_regs(void)
{
	void *stack = BPF_CORE_READ(cur_task(), stack);

	return stack ? (struct pt_regs *)(stack + BW_THREAD_SIZE) - 1 : NULL;
}

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* Fills the common header from a task (the current one or a fork child). */
static __always_inline void fill_hdr(struct bw_event_hdr *h, struct task_struct *t,
				     __u32 type)
{
	/* t is a BTF pointer (but on 5.10): direct loads, no helper call per field */
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->type = type;
	h->pid = TASK_RD(t, tgid);
	h->tid = TASK_RD(t, pid);
	h->ppid = TASK_RD2(t, real_parent, tgid);
	h->uid = TASK_RD2(t, cred, uid.val);
	h->loginuid = TASK_RD(t, loginuid.val);
	h->sessionid = TASK_RD(t, sessionid);
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->flags = 0;
	h->_pad0 = 0;
	BPF_CORE_READ_STR_INTO(&h->comm, t, comm);
}

/*
 * Adaptive wakeups: waking the consumer for every record costs an IPI and a
 * context switch per event, which more than doubled the cost of a busy
 * unlink loop. The first record after a quiet period (WAKE_GAP_NS) wakes
 * user space at once; within a burst, at most one wakeup per WAKE_GAP_NS
 * or when WAKE_BYTES are waiting. The rest gets no wakeup: user space
 * consumes after every 5 ms poll timeout (daemon.c), which bounds its
 * delay, so a gap longer than that timeout adds no latency. A wakeup is a
 * self-IPI (irq_work) and then a cross-CPU one: under virtualisation each
 * is a VM exit, measured at several microseconds per event on the
 * development VM (bench/bench_progs.sh). 20 ms caps them at 50 a second.
 */
#define WAKE_GAP_NS 20000000ull
#define WAKE_BYTES (256 << 10)
__u64 last_wake_ns __weak = 0;

static __always_inline __u64 wake_flags(void)
{
	__u64 now = bpf_ktime_get_boot_ns();

	if (now - last_wake_ns > WAKE_GAP_NS || bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > WAKE_BYTES) {
		last_wake_ns = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* Sends size bytes of rec. A full ring buffer is counted, never silent. */
static __always_inline void submit(void *rec, __u64 size)
{
	if (bpf_ringbuf_output(&rb, rec, size, wake_flags()))
		stat_inc(BW_STAT_RB_DROPS);
	else
		stat_inc(BW_STAT_EVENTS);
}

static __always_inline bool is_self(void)
{
	return self_tgid && (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

#endif /* BULWARK_COMMON_BPF_H */
