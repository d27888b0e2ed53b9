/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A bounded on-disk FIFO of alerts for an output whose receiver is down. */
#ifndef BULWARK_SPOOL_H
#define BULWARK_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/json.h"

/*
 * Layout of the directory: segment files NNNNNNNNNNNNNNNN.seg (hex, in
 * order) of records [u32 length][u32 crc32][bytes], and a 24-byte file
 * "cursor" (magic, crc, segment, offset) naming the next record to
 * deliver. The cursor is rewritten in place after every delivered record,
 * so a restart resumes where delivery stopped: nothing is delivered twice
 * unless the daemon dies between a delivery and that one pwrite(). Records
 * reach the page cache, not the platters: a daemon crash loses nothing, a
 * power cut may lose the last seconds.
 *
 * The cap counts every byte of the segment files, delivered records of the
 * oldest segment included, so it bounds the disk used. A record that does
 * not fit (cap reached, disk full) is refused and counted: the oldest
 * alerts are kept, as they say how an incident began.
 *
 * Not thread-safe: one spool belongs to one worker thread.
 */
struct spool;

struct spool_stats {
	uint64_t appended;     /* records written since open */
	uint64_t delivered;    /* records popped since open */
	uint64_t refused;      /* appends refused: cap reached or disk full */
	uint64_t corrupt;      /* damaged records skipped at recovery */
	uint64_t pending;      /* records waiting */
	uint64_t bytes;        /* size of the segment files */
};

#define SPOOL_MAX_RECORD (1u << 20)

/* Opens (creating) dir and recovers what a previous run left there. */
int spool_open(const char *dir, uint64_t max_bytes, struct spool **out, char *err, size_t errlen);
void spool_close(struct spool *s);

/* Appends one record. Returns 0, -ENOSPC (cap reached, or the disk is
 * full: err says which), -EFBIG (record over SPOOL_MAX_RECORD) or -errno. */
int spool_append(struct spool *s, const void *p, size_t len, char *err, size_t errlen);

/* The oldest record into b (reset first). 0, -ENOENT when empty, -errno. */
int spool_peek(struct spool *s, struct jbuf *b);

/* The record spool_peek() returned was delivered: forget it for good. */
int spool_pop(struct spool *s);

bool spool_empty(const struct spool *s);
void spool_get_stats(const struct spool *s, struct spool_stats *st);

#endif /* BULWARK_SPOOL_H */
