/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The on-disk trace: append-only segments of zlib blocks with CRC32. */
#ifndef BULWARK_JOURNAL_H
#define BULWARK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "core/event.h"

#define JOURNAL_DEFAULT_DIR "/var/lib/bulwark/journal"

enum journal_kind {
	JREC_EVENT = 1,  /* one event JSON line */
	JREC_ALERT = 2,  /* one alert JSON line; flushed and fsynced at once */
	JREC_NOTE = 3,   /* daemon notes: start, stop, drops, reloads */
};

/* Defaults for the fields of struct journal_opts left at 0 (docs/journal.md). */
#define JOURNAL_DEF_SEGMENT_BYTES (64ull << 20)
#define JOURNAL_DEF_MAX_BYTES     (1ull << 30)
#define JOURNAL_DEF_MAX_AGE_S     (30ull * 86400)
#define JOURNAL_DEF_BLOCK_BYTES   (128u << 10)
#define JOURNAL_DEF_QUEUE_BYTES   (8u << 20)
#define JOURNAL_DEF_FLUSH_MS      1000u
#define JOURNAL_DEF_LEVEL         1
#define JOURNAL_MAX_RECORD        (1u << 20)  /* longer JSON lines are counted lost */

/*
 * Test hook: replaces pwrite(2) for segment and block writes. Returns what
 * pwrite returns (set errno on -1). Only tests set it; NULL means pwrite.
 */
typedef ssize_t (*journal_pwrite_fn)(void *ctx, int fd, const void *buf, size_t n, off_t off);

struct journal_opts {
	const char *dir;          /* journal directory; created if missing */
	uint64_t segment_bytes;   /* rotate a segment after this many bytes; 0: 64 MiB */
	uint64_t max_bytes;       /* retention: total size of all segments; 0: 1 GiB */
	uint64_t max_age_s;       /* retention: delete segments older than this; 0: 30 days */
	uint32_t block_bytes;     /* uncompressed bytes per block; 0: 128 KiB */
	uint32_t queue_bytes;     /* in-memory queue, rounded up to a power of two; 0: 8 MiB */
	uint32_t flush_ms;        /* a record reaches the file within about this long; 0: 1000 */
	int level;                /* zlib level 1..9; 0: 1 */
	const char *hostname;     /* host name for segment headers; NULL: gethostname() */
	journal_pwrite_fn pwrite_fn; /* test only, see above */
	void *pwrite_ctx;         /* passed to pwrite_fn */
};

struct journal_stats {
	uint64_t records;         /* records written to disk */
	uint64_t bytes;           /* compressed bytes written */
	uint64_t lost;            /* records that could not be queued or written */
	uint64_t write_errors;    /* failed writes (ENOSPC, EIO...) */
	bool disk_full;           /* the last write failed with ENOSPC */
	/* Added fields: the parts of lost, and what the writer did. */
	uint64_t queued;          /* records accepted by journal_append */
	uint64_t lost_queue_full; /* the queue was full (writer behind) */
	uint64_t lost_too_big;    /* JSON longer than JOURNAL_MAX_RECORD */
	uint64_t lost_write;      /* records in blocks that failed to be written */
	uint64_t raw_bytes;       /* uncompressed record bytes written */
	uint64_t blocks;          /* blocks written */
	uint64_t fsyncs;          /* fdatasync calls (alerts, rotation, sync, close) */
	uint64_t segments_created;
	uint64_t segments_deleted;/* by retention */
	char last_error[256];     /* last write error, "" if none: what, which file, errno text */
};

struct journal;

/* Opens (creates) the journal; errors go to err. 0 or -errno. */
int journal_open(const struct journal_opts *o, struct journal **out, char *err, size_t errlen);

/*
 * Queues a record for the writer thread. Never blocks on I/O; a record
 * that cannot be queued is counted in lost. e supplies the index fields
 * (time, session, pid, type) that dump filters on; json is the line.
 * e may be NULL (notes): the record then gets the current time and no
 * session. Call from one thread only (the daemon's event loop).
 */
void journal_append(struct journal *j, enum journal_kind kind, const struct bw_event *e,
		    const char *json, size_t len);

/*
 * As journal_append, but a full queue returns -EAGAIN and is NOT counted
 * as lost (the caller retries; the benchmark uses this). -E2BIG (counted
 * lost) for a line over JOURNAL_MAX_RECORD. 0 when queued.
 */
int journal_append_try(struct journal *j, enum journal_kind kind, const struct bw_event *e,
		       const char *json, size_t len);

void journal_get_stats(struct journal *j, struct journal_stats *st);

/*
 * True once each time the journal goes from writing fine to "disk full"
 * (ENOSPC or EDQUOT on a write). The daemon polls it from its loop (at
 * least once a second is plenty) and raises ONE alert per true. The
 * journal keeps trying: every later block is attempted, and when one
 * succeeds the state clears and a "drop" note with the count of records
 * lost is written first.
 */
bool journal_take_disk_full_edge(struct journal *j);

/*
 * Writes and fdatasyncs everything appended so far. Call from the thread
 * that appends. 0, -ETIMEDOUT after timeout_ms, or -EIO if the writes
 * failed (see stats.last_error).
 */
int journal_sync(struct journal *j, int timeout_ms);

/* Flushes everything queued, fsyncs and closes. */
void journal_close(struct journal *j);

/* Index of one block, from its header: what dump uses to skip it unread. */
struct journal_block_info {
	uint32_t nrec;          /* records in the block */
	uint32_t raw_len;       /* uncompressed payload bytes */
	uint32_t comp_len;      /* compressed payload bytes after the header */
	uint32_t type_mask;     /* bit n set: a record with type code n (bit 31: code >= 31) */
	uint16_t kind_mask;     /* bit n set: a record of enum journal_kind n */
	uint16_t flags;         /* JOURNAL_BLK_F_*: RAW, the payload has no zlib wrapper */
	uint64_t min_time_ns;   /* smallest record time */
	uint64_t max_time_ns;   /* largest record time */
	uint64_t session_bloom; /* 64-bit Bloom filter of session ids, two bits each */
	uint32_t payload_crc;   /* CRC32 (zlib crc32) of the comp_len payload bytes */
};

/* One record as read back. json is not NUL terminated and has no newline. */
struct journal_rec {
	enum journal_kind kind;
	uint8_t type;           /* stable type code, see journal_type_code() */
	uint64_t time_ns;       /* evt.time of the event (of the triggering event for alerts) */
	uint64_t session;       /* session.id, BW_NO_SESSION when none */
	uint32_t pid, ppid;     /* proc.pid, proc.ppid; 0 when unknown */
	const char *json;
	uint32_t len;
	const char *path;       /* segment file it came from */
	uint64_t block_off;     /* byte offset of its block in that file */
};

/*
 * Stable on-disk type codes: the enum bw_evt values may be reordered, the
 * codes never are. 0 means "not in the table": readers look at the JSON.
 */
uint8_t journal_type_code(enum bw_evt t);
const char *journal_type_code_name(uint8_t code); /* NULL for 0 or unknown */

/* Session Bloom filter: add a session / test whether a block may hold it. */
uint64_t journal_bloom_bit(uint64_t session);
bool journal_bloom_may_have(uint64_t bloom, uint64_t session);

/* Return false to skip the block without reading its payload. */
typedef bool (*journal_block_fn)(void *ctx, const struct journal_block_info *bi);
/* Return non-zero to stop the scan with that value. */
typedef int (*journal_rec_fn)(void *ctx, const struct journal_rec *r);

/*
 * One read pass over segment files. Damaged data (bad header, CRC
 * mismatch, zlib error, torn tail) is skipped with a warning on warn
 * naming the file and byte offset; reading resumes at the next valid
 * block header. The counters say what was seen.
 */
struct journal_scan {
	journal_block_fn want_block; /* NULL: read every block */
	journal_rec_fn on_rec;       /* called per record, in file order */
	void *ctx;
	FILE *warn;                  /* warnings; NULL: silent */
	uint64_t segments;           /* files read */
	uint64_t blocks;             /* valid block headers seen */
	uint64_t blocks_skipped;     /* skipped by want_block */
	uint64_t records;            /* records handed to on_rec */
	uint64_t damaged;            /* damaged regions skipped */
	char first_damage[256];      /* "seg-...bwj:8192" of the first one */
};

/* Reads one segment file. 0, on_rec's non-zero value, or -errno (cannot open). */
int journal_scan_file(struct journal_scan *s, const char *path);

/*
 * Reads every segment of dir in name (= start time) order. -ENOENT when
 * dir is missing or holds no segment; err says which and what to do.
 */
int journal_scan_dir(struct journal_scan *s, const char *dir, char *err, size_t errlen);

/* Sorted segment file names (not paths) of dir; free with journal_free_names. */
int journal_list_segments(const char *dir, char ***names, size_t *n);
void journal_free_names(char **names, size_t n);

/* ---- bulwark dump (user/dump.c) ---- */

/* bulwark dump with explicit streams, for tests; returns the exit code. */
int journal_dump_main(int argc, char **argv, FILE *out, FILE *errf);

/*
 * Parses a --since/--until value: RFC 3339 (2026-11-24T19:20:00Z, with
 * fraction or offset), "2026-11-24 19:20:00" (local time unless Z or an
 * offset is given), a date alone, "@EPOCH[.frac]", "now", or a duration
 * ago (30s, 10m, 2h, 1d, 1w, combined as 1h30m). 0 or -EINVAL with err.
 */
int journal_parse_time(const char *s, uint64_t now_ns, uint64_t *out, char *err, size_t errlen);

#endif /* BULWARK_JOURNAL_H */
