// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The database capture programs of db_fentry.bpf.c again, built for
 * kernels without bpf_loop, bpf_task_pt_regs and bpf_get_current_task_btf
 * (5.10, Debian 11): bounded loops over global-function steps, the user
 * registers from the top of the kernel stack, CO-RE reads of the current
 * task (lib/db.bpf.h, DB_LOOP and db_user_regs). The loader uses them only
 * where the helpers the others call are missing.
 */
#define BW_NO_BPF_LOOP 1
#define BW_NL_UNIT db
#define DB_PROG(n) n##_legacy
#include "lib/db_progs.bpf.h"
