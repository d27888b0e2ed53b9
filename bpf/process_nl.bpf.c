// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The process lifecycle programs again, built for kernels without bpf_loop
 * and bpf_get_current_task_btf (5.10, Debian 11). The loader uses them
 * only where process.bpf.c is refused.
 */
#define BW_NO_BPF_LOOP 1
#define BW_NL_UNIT proc
#define PROC_NAME(ev) tp_btf_sched_process_##ev##_nl
#include "lib/process.bpf.h"
