/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The deletion family's fentry/fexit programs; FE_NAME/FX_NAME name them (two builds, see below). */
#ifndef BULWARK_FILE_FENTRY_BPF_H
#define BULWARK_FILE_FENTRY_BPF_H

#include "file.bpf.h"

/*
 * Included by file_fentry.bpf.c (fentry_*, fexit_*) and by
 * file_fentry_nl.bpf.c (fentry_nl_*, fexit_nl_*: without bpf_loop, for
 * 5.10). FE_PROG expands the name before BPF_PROG pastes it.
 */
#define FE_PROG(name, args...) BPF_PROG(name, ##args)


SEC("fentry/" SYSCALL_FN(unlink))
int FE_PROG(FE_NAME(unlink), struct pt_regs *regs)
{
	return file_enter(BW_EV_UNLINK, AT_FDCWD, (void *)SC_ARG1(regs), 0, 0, 0);
}

SEC("fentry/" SYSCALL_FN(unlinkat))
int FE_PROG(FE_NAME(unlinkat), struct pt_regs *regs)
{
	return file_enter(BW_EV_UNLINKAT, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), 0, 0,
			  (__s64)SC_ARG3(regs));
}

SEC("fentry/" SYSCALL_FN(rmdir))
int FE_PROG(FE_NAME(rmdir), struct pt_regs *regs)
{
	return file_enter(BW_EV_RMDIR, AT_FDCWD, (void *)SC_ARG1(regs), 0, 0, 0);
}

SEC("fentry/" SYSCALL_FN(rename))
int FE_PROG(FE_NAME(rename), struct pt_regs *regs)
{
	return file_enter(BW_EV_RENAME, AT_FDCWD, (void *)SC_ARG1(regs), AT_FDCWD,
			  (void *)SC_ARG2(regs), 0);
}

SEC("fentry/" SYSCALL_FN(renameat))
int FE_PROG(FE_NAME(renameat), struct pt_regs *regs)
{
	return file_enter(BW_EV_RENAMEAT, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), (int)SC_ARG3(regs),
			  (void *)SC_ARG4(regs), 0);
}

SEC("fentry/" SYSCALL_FN(renameat2))
int FE_PROG(FE_NAME(renameat2), struct pt_regs *regs)
{
	return file_enter(BW_EV_RENAMEAT2, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), (int)SC_ARG3(regs),
			  (void *)SC_ARG4(regs), (__s64)SC_ARG5(regs));
}

SEC("fentry/" SYSCALL_FN(truncate))
int FE_PROG(FE_NAME(truncate), struct pt_regs *regs)
{
	return file_enter(BW_EV_TRUNCATE, AT_FDCWD, (void *)SC_ARG1(regs), 0, 0, (__s64)SC_ARG2(regs));
}

SEC("fentry/" SYSCALL_FN(ftruncate))
int FE_PROG(FE_NAME(ftruncate), struct pt_regs *regs)
{
	return file_enter(BW_EV_FTRUNCATE, (int)SC_ARG1(regs), 0, 0, 0, (__s64)SC_ARG2(regs));
}

/* fexit sees the arguments and the return value; the body needs only the latter. */
#define FILE_FEXIT(sc)                                                       \
	SEC("fexit/" SYSCALL_FN(sc))                                         \
	int FE_PROG(FX_NAME(sc), struct pt_regs *regs, long ret)             \
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

/* Opens and fallocate (issue 11); see open_enter() in file.bpf.h. */
struct bw_open_how {  /* struct open_how (UAPI), first field only */
	__u64 flags;
};

SEC("fentry/" SYSCALL_FN(open))
int FE_PROG(FE_NAME(open), struct pt_regs *regs)
{
	return open_enter(BW_EV_OPEN, AT_FDCWD, (void *)SC_ARG1(regs), (__s64)SC_ARG2(regs));
}

SEC("fentry/" SYSCALL_FN(openat))
int FE_PROG(FE_NAME(openat), struct pt_regs *regs)
{
	return open_enter(BW_EV_OPENAT, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), (__s64)SC_ARG3(regs));
}

SEC("fentry/" SYSCALL_FN(openat2))
int FE_PROG(FE_NAME(openat2), struct pt_regs *regs)
{
	struct bw_open_how how = {};

	if (bpf_probe_read_user(&how, sizeof(how), (void *)SC_ARG3(regs)))
		return 0;
	return open_enter(BW_EV_OPENAT2, (int)SC_ARG1(regs), (void *)SC_ARG2(regs), (__s64)how.flags);
}

SEC("fentry/" SYSCALL_FN(creat))
int FE_PROG(FE_NAME(creat), struct pt_regs *regs)
{
	return open_enter(BW_EV_CREAT, AT_FDCWD, (void *)SC_ARG1(regs),
			  BW_O_CREAT | BW_O_WRONLY | BW_O_TRUNC);
}

SEC("fentry/" SYSCALL_FN(fallocate))
int FE_PROG(FE_NAME(fallocate), struct pt_regs *regs)
{
	return fallocate_enter((int)SC_ARG1(regs), (__s64)SC_ARG2(regs));
}

#define OPEN_FEXIT(sc)                                                       \
	SEC("fexit/" SYSCALL_FN(sc))                                         \
	int FE_PROG(FX_NAME(sc), struct pt_regs *regs, long ret)             \
	{                                                                    \
		return open_exit(ret);                                       \
	}

OPEN_FEXIT(open)
OPEN_FEXIT(openat)
OPEN_FEXIT(openat2)
OPEN_FEXIT(creat)
FILE_FEXIT(fallocate)

#endif /* BULWARK_FILE_FENTRY_BPF_H */
