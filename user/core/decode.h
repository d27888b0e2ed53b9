/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Decoder: raw ring-buffer records -> struct bw_event, with process and user attribution. */
#ifndef BULWARK_DECODE_H
#define BULWARK_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "bulwark_abi.h"
#include "core/event.h"
#include "core/proctable.h"

#define USERCACHE_SIZE 1024

struct usercache_ent {
	uint32_t uid;        /* key */
	bool used;           /* slot in use */
	bool found;          /* the name exists */
	char name[33];       /* user name */
};

struct decoder {
	struct proctable pt;         /* live processes */
	int64_t boot_to_epoch_ns;    /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	char path[BW_PATH_MAX * 2];  /* normalised fd.name */
	char newpath[BW_PATH_MAX * 2];/* normalised fd.newname */
	struct usercache_ent users[USERCACHE_SIZE];
	struct usercache_ent groups[USERCACHE_SIZE]; /* the same for group names */
	uint64_t nevents;            /* events decoded: evt.num */
	uint64_t bad_records;        /* records too short or of unknown type */
	char ctl_path[BW_PATH_MAX];  /* signals/guard: the path argument */
	char guard_buf[64];          /* guard.target text */
	char cmd_buf[40];            /* evt.arg.cmd text */
	char arg_names[256];         /* evt.arg.flags / evt.arg.mode of the current event */
	bool want_env;               /* a loaded rule uses proc.env: read it at each exec */
	char env[4096];              /* proc.env of the current exec */
};

int decode_init(struct decoder *d);
void decode_free(struct decoder *d);

/* Re-reads the boot->epoch offset (call about once a second). */
void decode_sync_clock(struct decoder *d);

/*
 * Decodes one record into e. The strings of e point into d and the
 * process table: valid until the next call. Returns 0, or -EINVAL for a
 * malformed record (counted in bad_records).
 */
int decode_record(struct decoder *d, const void *data, size_t len, struct bw_event *e);

/* Fills the proc.*, user.* and session fields of e from the table entry of pid. */
void decode_attribute(struct decoder *d, struct bw_event *e, uint32_t pid);

/* Lexically normalises an absolute path: "//", "/./", "/../". Returns the new length. */
size_t path_normalize(char *p, size_t n);

/*
 * Names of open flags (open_flags) or of a fallocate mode into buf:
 * "O_WRONLY|O_CREAT|O_TRUNC", "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE".
 * Returns the length.
 */
size_t decode_flag_names(uint64_t v, bool open_flags, bool created, char *buf, size_t n);

/* Name of gid, or NULL. Cached. */
const char *decode_group_name(struct decoder *d, uint32_t gid);

/* Name of uid, or NULL. Cached. */
const char *decode_user_name(struct decoder *d, uint32_t uid);

#endif /* BULWARK_DECODE_H */
