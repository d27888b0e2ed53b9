// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The kernel quarantine map, written for user space's session kills. */
#include <errno.h>
#include <time.h>
#include <bpf/bpf.h>
#include "kernel/quarantine.h"
#include "core/clock.h"

void quarantine_init(struct quarantine *q, int map_fd)
{
	q->map_fd = map_fd;
}

int quarantine_session(void *ctx, uint32_t sid)
{
	struct quarantine *q = ctx;
	uint64_t v;

	if (!q || q->map_fd < 0)
		return -ENOENT;
	v = clock_boottime_ns();
	return bpf_map_update_elem(q->map_fd, &sid, &v, BPF_ANY) ? -errno : 0;
}
