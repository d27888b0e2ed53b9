// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The fentry/fexit deletion-family programs again, built for kernels
 * without bpf_loop (5.10, Debian 11): bounded-loop path walks and no
 * bpf_get_current_task_btf (lib/common.bpf.h, lib/path.bpf.h). The
 * loader uses them only where file_fentry.bpf.c is refused.
 */
#define BW_NO_BPF_LOOP 1
#define BW_NL_UNIT file
#define FE_NAME(sc) fentry_nl_##sc
#define FX_NAME(sc) fexit_nl_##sc
#include "lib/file_fentry.bpf.h"
