// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Database capture on fentry/fexit, BTF tracepoints and uprobes, for
 * kernels from 5.17 (bpf_loop, bpf_task_pt_regs, bpf_get_current_task_btf):
 * the programs are in lib/db_progs.bpf.h, shared with the 5.10 build
 * (db_fentry_legacy.bpf.c).
 */
#define DB_PROG(n) n
#include "lib/db_progs.bpf.h"
