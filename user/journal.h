/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The on-disk trace: append-only segments of zlib blocks with CRC32. */
#ifndef BULWARK_JOURNAL_H
#define BULWARK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"

#define JOURNAL_DEFAULT_DIR "/var/lib/bulwark/journal"

enum journal_kind {
	JREC_EVENT = 1,  /* one event JSON line */
	JREC_ALERT = 2,  /* one alert JSON line; flushed and fsynced at once */
	JREC_NOTE = 3,   /* daemon notes: start, stop, drops, reloads */
};

struct journal_opts {
	const char *dir;          /* journal directory; created if missing */
	uint64_t segment_bytes;   /* rotate a segment after this many bytes */
	uint64_t max_bytes;       /* retention: total size of all segments */
	uint64_t max_age_s;       /* retention: delete segments older than this */
};

struct journal_stats {
	uint64_t records;         /* records written to disk */
	uint64_t bytes;           /* compressed bytes written */
	uint64_t lost;            /* records that could not be queued or written */
	uint64_t write_errors;    /* failed writes (ENOSPC, EIO...) */
	bool disk_full;           /* the last write failed with ENOSPC */
};

struct journal;

/* Opens (creates) the journal; errors go to err. 0 or -errno. */
int journal_open(const struct journal_opts *o, struct journal **out, char *err, size_t errlen);

/*
 * Queues a record for the writer thread. Never blocks on I/O; a record
 * that cannot be queued is counted in lost. e supplies the index fields
 * (time, session, pid, type) that dump filters on; json is the line.
 */
void journal_append(struct journal *j, enum journal_kind kind, const struct bw_event *e,
		    const char *json, size_t len);

void journal_get_stats(struct journal *j, struct journal_stats *st);

/* Flushes everything queued, fsyncs and closes. */
void journal_close(struct journal *j);

#endif /* BULWARK_JOURNAL_H */
