/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Database capture, kernel side: program autoload, endpoint maps, ELF scan of server binaries, uprobes. */
#ifndef BULWARK_DBPROBES_H
#define BULWARK_DBPROBES_H

#include <stdint.h>
#include <stdio.h>
#include "db/dbcapture.h"

struct bpf_object;
struct dbprobes;

/* loader_opts.configure: before load, turns off what the options turn off. arg: the struct dbcapture_opts. */
void dbprobes_configure(struct bpf_object *obj, void *arg);

/*
 * After load: fills the endpoint maps and attaches the server uprobes
 * (binaries that are missing are skipped and shown in status); what was
 * found and attached goes to report (dbcapture_probes()). Tells log what
 * is wrong. *out is NULL with --no-db. 0 or -errno (a map the kernel refused).
 */
int dbprobes_start(struct dbprobes **out, struct bpf_object *obj, const struct dbcapture_opts *o,
		   struct dbcapture_probes *report, FILE *log);

/* Detaches the uprobes. NULL is fine. */
void dbprobes_free(struct dbprobes *k);

struct jbuf;

/*
 * Database discovery (db/discovery.c) into the endpoint maps: a rescan
 * when one is due (after a server's exec, and every minute), called about
 * once a second with the monotonic time. Safe with k NULL.
 */
void dbprobes_tick(struct dbprobes *k, uint64_t now_ns);

/* An exec of exe was seen (any process): schedules rescans if it is a database server. */
void dbprobes_exec(struct dbprobes *k, const char *exe, size_t len, uint64_t now_ns);

/* Appends ',"db_endpoints_not_in_maps":N,"discovery":{...}' to a status object; nothing when off. */
void dbprobes_status_json(const struct dbprobes *k, struct jbuf *b);

#endif /* BULWARK_DBPROBES_H */
