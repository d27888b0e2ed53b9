/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The kernel quarantine: sessions being killed, whose tasks die at their next exec, fork or deletion. */
#ifndef BULWARK_QUARANTINE_H
#define BULWARK_QUARANTINE_H

#include <stdint.h>

struct quarantine {
	int map_fd; /* the pinned quarantine map; -1: no kernel half */
};

void quarantine_init(struct quarantine *q, int map_fd);

/*
 * Adds session sid to the quarantine, stamped with the boot-time clock the
 * BPF side uses. ctx is a struct quarantine; the signature is the one
 * actions_init() takes, so actions/ never calls libbpf. 0 or -errno.
 */
int quarantine_session(void *ctx, uint32_t sid);

#endif /* BULWARK_QUARANTINE_H */
