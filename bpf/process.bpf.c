// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Process lifecycle: exec (exe + argv), fork (new processes), exit (last thread). */
#define PROC_NAME(ev) tp_btf_sched_process_##ev
#include "lib/process.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
