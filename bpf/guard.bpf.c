// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Signals and attempts on bulwark, on both capture backends: syscall
 * tracepoints (tp_*_guard: the development VM) and fentry/fexit of the
 * syscall functions (fentry_guard_*, fexit_guard_*: kernels with
 * trampolines). The loader attaches one set, as for the deletion family.
 * Built with BW_NO_BPF_LOOP: every task field through BPF_CORE_READ, so
 * the same programs load on 5.10 (lib/guard.bpf.h).
 */
#define BW_NO_BPF_LOOP 1
#include "lib/guard.bpf.h"

/* The pid a pidfd refers to (its struct pid), in the initial namespace. */
static __always_inline __s32 pidfd_pid(int fd)
{
	struct task_struct *t = cur_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **arr, *f = NULL;
	struct pid *p;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	arr = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]) || !f)
		return 0;
	p = BPF_CORE_READ(f, private_data);
	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

/* The bodies, by syscall: arguments a0..a3 as the syscall received them. */
static __always_inline int g_kill(__u64 a0, __u64 a1)
{
	/* kill(pid, sig): pid > 0 is a process; 0, -1, < -1 are groups (target kept as given) */
	return guard_enter(BW_EV_SIG_KILL, (__s32)a0, (__s32)a0 > 0 ? (__u32)a0 : 0, (__u32)a1, 0, 0, 0);
}

static __always_inline int g_tkill(__u64 a0, __u64 a1)
{
	return guard_enter(BW_EV_SIG_TKILL, (__s32)a0, 0, (__u32)a1, 0, 0, 0);
}

static __always_inline int g_tgkill(__u64 a0, __u64 a1, __u64 a2)
{
	return guard_enter(BW_EV_SIG_TGKILL, (__s32)a1, (__u32)a0, (__u32)a2, 0, 0, 0);
}

static __always_inline int g_pidfd(__u64 a0, __u64 a1)
{
	__s32 pid = pidfd_pid((int)a0);

	return guard_enter(BW_EV_SIG_PIDFD, pid, pid > 0 ? (__u32)pid : 0, (__u32)a1, 0, 0, 0);
}

static __always_inline int g_sigqueue(__u64 a0, __u64 a1)
{
	return guard_enter(BW_EV_SIG_QUEUE, (__s32)a0, (__u32)a0, (__u32)a1, 0, 0, 0);
}

static __always_inline int g_tgsigqueue(__u64 a0, __u64 a1, __u64 a2)
{
	return guard_enter(BW_EV_SIG_TGQUEUE, (__s32)a1, (__u32)a0, (__u32)a2, 0, 0, 0);
}

static __always_inline int g_ptrace(__u64 a0, __u64 a1)
{
	return guard_enter(BW_EV_PTRACE, (__s32)a1, 0, (__u32)a0, 0, 0, 0);
}

static __always_inline int g_bpf(__u64 a0, __u64 a1)
{
	__u32 id = 0, bits;
	__u64 uptr = 0;

	if (is_self()) {
		guard_learn_self();
		return 0;
	}
	bits = guard_bpf_bits((int)a0, (const void *)a1, true, &id, &uptr);
	/* BPF_PROG_LOAD by anyone: rare, and how a program that overrides ours arrives */
	if (!bits && a0 != BWC_PROG_LOAD)
		return 0;
	return guard_enter(BW_EV_BPF, 0, 0, (__u32)a0, bits, id, uptr);
}

static __always_inline int g_umount(__u64 a0, __u64 a1)
{
	return guard_enter(BW_EV_UMOUNT2, 0, 0, (__u32)a1, guard_path_bits(a0, BW_GUARD_FS), 0, a0);
}

static __always_inline int g_init_module(__u64 a0, __u64 a1)
{
	(void)a0;
	return guard_enter(BW_EV_INIT_MODULE, 0, 0, (__u32)a1 /* len */, BW_GUARD_MODULE, 0, 0);
}

static __always_inline int g_finit_module(__u64 a0, __u64 a1, __u64 a2)
{
	(void)a1;
	return guard_enter(BW_EV_FINIT_MODULE, (__s32)a0 /* fd */, 0, (__u32)a2, BW_GUARD_MODULE, 0, 0);
}

/* --- syscall tracepoints --- */
#define TP_ARG(i) (__u64)ctx->args[i]
#define TP_PAIR(sc, body)                                                      \
	SEC("tp/syscalls/sys_enter_" #sc)                                      \
	int tp_enter_##sc##_g(struct trace_event_raw_sys_enter *ctx)           \
	{                                                                      \
		return body;                                                   \
	}                                                                      \
	SEC("tp/syscalls/sys_exit_" #sc)                                       \
	int tp_exit_##sc##_g(struct trace_event_raw_sys_exit *ctx)             \
	{                                                                      \
		return guard_exit(ctx->ret);                                   \
	}

TP_PAIR(kill, g_kill(TP_ARG(0), TP_ARG(1)))
TP_PAIR(tkill, g_tkill(TP_ARG(0), TP_ARG(1)))
TP_PAIR(tgkill, g_tgkill(TP_ARG(0), TP_ARG(1), TP_ARG(2)))
TP_PAIR(pidfd_send_signal, g_pidfd(TP_ARG(0), TP_ARG(1)))
TP_PAIR(rt_sigqueueinfo, g_sigqueue(TP_ARG(0), TP_ARG(1)))
TP_PAIR(rt_tgsigqueueinfo, g_tgsigqueue(TP_ARG(0), TP_ARG(1), TP_ARG(2)))
TP_PAIR(ptrace, g_ptrace(TP_ARG(0), TP_ARG(1)))
TP_PAIR(bpf, g_bpf(TP_ARG(0), TP_ARG(1)))
TP_PAIR(umount, g_umount(TP_ARG(0), TP_ARG(1)))
TP_PAIR(init_module, g_init_module(TP_ARG(0), TP_ARG(1)))
TP_PAIR(finit_module, g_finit_module(TP_ARG(0), TP_ARG(1), TP_ARG(2)))

/* --- fentry/fexit of the syscall functions --- */
#define FE_PAIR(sc, body)                                                      \
	SEC("fentry/" SYSCALL_FN(sc))                                          \
	int BPF_PROG(fentry_guard_##sc, struct pt_regs *regs)                  \
	{                                                                      \
		return body;                                                   \
	}                                                                      \
	SEC("fexit/" SYSCALL_FN(sc))                                           \
	int BPF_PROG(fexit_guard_##sc, struct pt_regs *regs, long ret)         \
	{                                                                      \
		return guard_exit(ret);                                        \
	}
#define FE_ARG1 (__u64)SC_ARG1(regs)
#define FE_ARG2 (__u64)SC_ARG2(regs)
#define FE_ARG3 (__u64)SC_ARG3(regs)

FE_PAIR(kill, g_kill(FE_ARG1, FE_ARG2))
FE_PAIR(tkill, g_tkill(FE_ARG1, FE_ARG2))
FE_PAIR(tgkill, g_tgkill(FE_ARG1, FE_ARG2, FE_ARG3))
FE_PAIR(pidfd_send_signal, g_pidfd(FE_ARG1, FE_ARG2))
FE_PAIR(rt_sigqueueinfo, g_sigqueue(FE_ARG1, FE_ARG2))
FE_PAIR(rt_tgsigqueueinfo, g_tgsigqueue(FE_ARG1, FE_ARG2, FE_ARG3))
FE_PAIR(ptrace, g_ptrace(FE_ARG1, FE_ARG2))
FE_PAIR(bpf, g_bpf(FE_ARG1, FE_ARG2))
FE_PAIR(umount, g_umount(FE_ARG1, FE_ARG2))
FE_PAIR(init_module, g_init_module(FE_ARG1, FE_ARG2))
FE_PAIR(finit_module, g_finit_module(FE_ARG1, FE_ARG2, FE_ARG3))

/*
 * --- fentry/fexit again, for kernels whose BTF cannot type the argument.
 * In 5.10's BTF the compilation units of bpf(), ptrace(), umount(),
 * init_module() and finit_module() know struct pt_regs only as a forward
 * declaration, and the verifier refuses to read an argument typed so
 * ("invalid bpf_context access off=0 size=8"): the programs above are
 * refused there, and the syscall tracepoints would put every syscall of
 * the host on the tracing slow path. These read no argument: the syscall's
 * registers are the task's user registers, at the top of its kernel stack
 * (stack_user_regs(), common.bpf.h), and the syscall number saved there
 * (orig_ax) proves the place before any value is used.
 * The exit reads only the return value, which BTF types.
 */
#if defined(__TARGET_ARCH_x86)
static __always_inline bool sr_args(__u64 nr, __u64 *a0, __u64 *a1, __u64 *a2)
{
	struct pt_regs *regs = stack_user_regs();

	if (!regs)
		return false;
	if (BPF_CORE_READ(regs, orig_ax) != nr) {
		stat_inc(BW_STAT_READ_ERR);
		return false;
	}
	*a0 = BPF_CORE_READ(regs, di);
	*a1 = BPF_CORE_READ(regs, si);
	*a2 = BPF_CORE_READ(regs, dx);
	return true;
}

#define SR_PAIR(sc, nr, body)                                                  \
	SEC("fentry/" SYSCALL_FN(sc))                                          \
	int fentry_sr_guard_##sc(unsigned long long *ctx)                      \
	{                                                                      \
		__u64 a0, a1, a2;                                              \
                                                                               \
		if (!sr_args(nr, &a0, &a1, &a2))                               \
			return 0;                                              \
		return body;                                                   \
	}                                                                      \
	SEC("fexit/" SYSCALL_FN(sc))                                           \
	int fexit_sr_guard_##sc(unsigned long long *ctx)                       \
	{                                                                      \
		return guard_exit((long)ctx[1]);                               \
	}

/* x86-64 syscall numbers (the UAPI table, never renumbered) */
SR_PAIR(ptrace, 101, g_ptrace(a0, a1))
SR_PAIR(bpf, 321, g_bpf(a0, a1))
SR_PAIR(umount, 166, g_umount(a0, a1))
SR_PAIR(init_module, 175, g_init_module(a0, a1))
SR_PAIR(finit_module, 313, g_finit_module(a0, a1, a2))
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";
