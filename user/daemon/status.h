/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The status file the daemon keeps current, and `bulwark status` that prints it. */
#ifndef BULWARK_STATUS_H
#define BULWARK_STATUS_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;

/* Writes RUN_DIR/status.json atomically. kstats may be NULL (not read yet). */
void status_write(struct daemon *d, const uint64_t *kstats);
void status_remove(struct daemon *d);

/*
 * bulwark status with parsed options (cli/cmd_status.c reads them): prints
 * RUN_DIR/status.json, raw with json, else as a summary. Returns the exit
 * code: 0, or 1 when no daemon is running.
 */
int status_show(const char *run_dir, bool json);

#endif /* BULWARK_STATUS_H */
