// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The deletion family on fentry/fexit of the syscall functions: the backend
 * of kernels with BPF trampolines (Debian 11, 12, 13). Unlike a syscall
 * tracepoint it puts no other syscall on a slow path: only these functions
 * get a trampoline. Same body as file.bpf.c (lib/file.bpf.h): fentry runs
 * where sys_enter does, fexit where sys_exit does, so a kill at entry
 * still lets the one syscall finish, exactly as on the tracepoint path.
 */
#define FE_NAME(sc) fentry_##sc
#define FX_NAME(sc) fexit_##sc
#include "lib/file_fentry.bpf.h"
