// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The deletion family on fentry/fexit of the syscall functions: the backend
 * of kernels with BPF trampolines (Debian 11, 12, 13). Unlike a syscall
 * tracepoint it puts no other syscall on a slow path: only these functions
 * get a trampoline. Same body as file.bpf.c (lib/file.bpf.h): fentry runs
 * where sys_enter does, fexit where sys_exit does, so a kill at entry
 * still lets the one syscall finish, exactly as on the tracepoint path.
 */
#include "lib/file.bpf.h"

SEC("fentry/" SYSCALL_FN(unlink))
int BPF_PROG(fentry_unlink, struct pt_regs *regs)
{
	return file_enter(BW_EV_UNLINK, AT_FDCWD, (void *)SC_ARG1(regs), 0, 0, 0);
}

SEC("fentry/" SYSCALL_FN(unlinkat))
int BPF_PROG(fentry_unlinkat, struct pt_regs *regs)
{
	return file_enter(BW_EV_UNLINKAT, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), 0, 0,
			  (__s64)SC_ARG3(regs));
}

SEC("fentry/" SYSCALL_FN(rmdir))
int BPF_PROG(fentry_rmdir, struct pt_regs *regs)
{
	return file_enter(BW_EV_RMDIR, AT_FDCWD, (void *)SC_ARG1(regs), 0, 0, 0);
}

SEC("fentry/" SYSCALL_FN(rename))
int BPF_PROG(fentry_rename, struct pt_regs *regs)
{
	return file_enter(BW_EV_RENAME, AT_FDCWD, (void *)SC_ARG1(regs), AT_FDCWD,
			  (void *)SC_ARG2(regs), 0);
}

SEC("fentry/" SYSCALL_FN(renameat))
int BPF_PROG(fentry_renameat, struct pt_regs *regs)
{
	return file_enter(BW_EV_RENAMEAT, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), (int)SC_ARG3(regs),
			  (void *)SC_ARG4(regs), 0);
}

SEC("fentry/" SYSCALL_FN(renameat2))
int BPF_PROG(fentry_renameat2, struct pt_regs *regs)
{
	return file_enter(BW_EV_RENAMEAT2, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), (int)SC_ARG3(regs),
			  (void *)SC_ARG4(regs), (__s64)SC_ARG5(regs));
}

SEC("fentry/" SYSCALL_FN(truncate))
int BPF_PROG(fentry_truncate, struct pt_regs *regs)
{
	return file_enter(BW_EV_TRUNCATE, AT_FDCWD, (void *)SC_ARG1(regs), 0, 0, (__s64)SC_ARG2(regs));
}

SEC("fentry/" SYSCALL_FN(ftruncate))
int BPF_PROG(fentry_ftruncate, struct pt_regs *regs)
{
	return file_enter(BW_EV_FTRUNCATE, (int)SC_ARG1(regs), 0, 0, 0, (__s64)SC_ARG2(regs));
}

/* fexit sees the arguments and the return value; the body needs only the latter. */
#define FILE_FEXIT(sc)                                                       \
	SEC("fexit/" SYSCALL_FN(sc))                                         \
	int BPF_PROG(fexit_##sc, struct pt_regs *regs, long ret)             \
	{                                                                    \
		return file_exit(ret);                                       \
	}

FILE_FEXIT(unlink)
FILE_FEXIT(unlinkat)
FILE_FEXIT(rmdir)
FILE_FEXIT(rename)
FILE_FEXIT(renameat)
FILE_FEXIT(renameat2)
FILE_FEXIT(truncate)
FILE_FEXIT(ftruncate)
