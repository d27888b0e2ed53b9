// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The deletion family on syscall tracepoints: the fallback backend, for
 * kernels without fentry (our development VM). Attaching any of these puts
 * every syscall of the host on the tracing slow path, so the loader uses
 * them only when file_fentry.bpf.c cannot load.
 */
#include "lib/file.bpf.h"

SEC("tp/syscalls/sys_enter_unlink")
int tp_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_UNLINK, AT_FDCWD, (void *)ctx->args[0], 0, 0, 0);
}

SEC("tp/syscalls/sys_enter_unlinkat")
int tp_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_UNLINKAT, (int)ctx->args[0], (void *)ctx->args[1], 0, 0,
			  (__s64)ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_rmdir")
int tp_enter_rmdir(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_RMDIR, AT_FDCWD, (void *)ctx->args[0], 0, 0, 0);
}

SEC("tp/syscalls/sys_enter_rename")
int tp_enter_rename(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_RENAME, AT_FDCWD, (void *)ctx->args[0], AT_FDCWD,
			  (void *)ctx->args[1], 0);
}

SEC("tp/syscalls/sys_enter_renameat")
int tp_enter_renameat(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_RENAMEAT, (int)ctx->args[0], (void *)ctx->args[1],
			  (int)ctx->args[2], (void *)ctx->args[3], 0);
}

SEC("tp/syscalls/sys_enter_renameat2")
int tp_enter_renameat2(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_RENAMEAT2, (int)ctx->args[0], (void *)ctx->args[1],
			  (int)ctx->args[2], (void *)ctx->args[3], (__s64)ctx->args[4]);
}

SEC("tp/syscalls/sys_enter_truncate")
int tp_enter_truncate(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_TRUNCATE, AT_FDCWD, (void *)ctx->args[0], 0, 0,
			  (__s64)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_ftruncate")
int tp_enter_ftruncate(struct trace_event_raw_sys_enter *ctx)
{
	return file_enter(BW_EV_FTRUNCATE, (int)ctx->args[0], 0, 0, 0, (__s64)ctx->args[1]);
}

/* One exit program per syscall: attach only what we need (see DESIGN). */
#define FILE_EXIT(sc)                                                        \
	SEC("tp/syscalls/sys_exit_" #sc)                                     \
	int tp_exit_##sc(struct trace_event_raw_sys_exit *ctx)               \
	{                                                                    \
		return file_exit(ctx->ret);                                  \
	}

FILE_EXIT(unlink)
FILE_EXIT(unlinkat)
FILE_EXIT(rmdir)
FILE_EXIT(rename)
FILE_EXIT(renameat)
FILE_EXIT(renameat2)
FILE_EXIT(truncate)
FILE_EXIT(ftruncate)

/*
 * Opens and fallocate (issue 11). open/openat exits run for every open on
 * the host: open_exit() returns before any lookup while no open is kept.
 */
struct bw_open_how {  /* struct open_how (UAPI), first field only */
	__u64 flags;
};

SEC("tp/syscalls/sys_enter_open")
int tp_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(BW_EV_OPEN, AT_FDCWD, (void *)ctx->args[0], (__s64)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_openat")
int tp_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(BW_EV_OPENAT, (int)ctx->args[0], (void *)ctx->args[1], (__s64)ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_openat2")
int tp_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct bw_open_how how = {};

	if (bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]))
		return 0;
	return open_enter(BW_EV_OPENAT2, (int)ctx->args[0], (void *)ctx->args[1], (__s64)how.flags);
}

SEC("tp/syscalls/sys_enter_creat")
int tp_enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(BW_EV_CREAT, AT_FDCWD, (void *)ctx->args[0],
			  BW_O_CREAT | BW_O_WRONLY | BW_O_TRUNC);
}

SEC("tp/syscalls/sys_enter_fallocate")
int tp_enter_fallocate(struct trace_event_raw_sys_enter *ctx)
{
	return fallocate_enter((int)ctx->args[0], (__s64)ctx->args[1]);
}

#define OPEN_EXIT(sc)                                                        \
	SEC("tp/syscalls/sys_exit_" #sc)                                     \
	int tp_exit_##sc(struct trace_event_raw_sys_exit *ctx)               \
	{                                                                    \
		return open_exit(ctx->ret);                                  \
	}

OPEN_EXIT(open)
OPEN_EXIT(openat)
OPEN_EXIT(openat2)
OPEN_EXIT(creat)
FILE_EXIT(fallocate)
