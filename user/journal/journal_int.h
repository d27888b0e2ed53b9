/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Journal folder only: the writer's state, shared by journal.c (queue, thread) and journal_seg.c (files). */
#ifndef BULWARK_JOURNAL_INT_H
#define BULWARK_JOURNAL_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <zlib.h>
#include "journal/journal.h"
#include "core/clock.h"

/*
 * The queue is a single-producer single-consumer byte ring. The daemon's
 * event loop is the only producer: journal_append copies a record (the
 * 32-byte record header, exactly as it goes to disk, then the JSON) at
 * head and publishes head; the writer thread copies records out at tail
 * into the open block and publishes tail. No lock is taken on the append
 * path. The producer wakes the writer (a mutex and a condition variable,
 * so a syscall) only for an alert or when the ring is a quarter full and
 * the writer sleeps; otherwise the writer wakes on its own every
 * flush_ms/2, which bounds how long a record waits to reach the file.
 * Records start 8-byte aligned; one that does not fit before the end of
 * the ring is preceded by a WRAP marker and starts again at offset 0.
 */
#define WRAP_MARK 0xffffffffu
#define NOTE_RESERVE 512u /* room kept in each block for a "records lost" note */
#define RETENTION_EVERY_MS 60000u

struct journal {
	/* Appending thread: read and written on every append. */
	_Alignas(64) uint64_t p_head;   /* producer's own copy of head */
	uint8_t *ring;
	uint64_t ring_size;             /* power of two */
	uint64_t kick_bytes;            /* wake a sleeping writer past this fill */
	uint32_t max_record;            /* longest JSON accepted */
	_Atomic uint64_t n_queued;      /* written by the producer only */
	_Atomic uint64_t n_lost_full;
	_Atomic uint64_t n_lost_big;

	/* Published positions, each on its own cache line. */
	_Alignas(64) _Atomic uint64_t head;
	_Alignas(64) _Atomic uint64_t tail;
	_Alignas(64) _Atomic int sleeping; /* the writer is (about to be) waiting on wake */
	_Atomic int disk_full_edge;        /* set on entering disk full; taken by the daemon */
	_Atomic int disk_full;

	/* Wakeups, sync and shutdown; cold. */
	pthread_mutex_t mu;
	pthread_cond_t wake;            /* writer waits here */
	pthread_cond_t done;            /* journal_sync waits here */
	bool kick, stop;
	uint64_t sync_req;              /* journal_sync calls so far */
	uint64_t sync_done;             /* the writer served requests up to this one */
	int sync_err;                   /* 0 or -EIO for the last sync */
	pthread_t thr;
	bool thr_started;

	/* Writer thread only (and open/close). */
	struct journal_opts o;
	char *dir;
	char host[64];
	int dirfd, lockfd;
	uint64_t w_tail;                /* writer's own copy of tail */
	uint8_t *raw;                   /* open block: records as they go to disk */
	uint32_t raw_len, raw_cap;
	struct journal_block_info bi;   /* index of the open block */
	bool blk_alert;                 /* the open block holds an alert: write and sync now */
	uint64_t blk_opened_ms;         /* monotonic time of the first record in the open block */
	uint8_t *out;                   /* block header + compressed payload */
	size_t out_cap;
	z_stream zs;
	bool zs_ready;
	int seg_fd;                     /* -1: none open (start, or after an I/O error) */
	uint64_t seg_off;               /* bytes of the segment known good */
	bool seg_dirty;                 /* written since the last fdatasync */
	char seg_name[64];
	uint64_t seg_seq;
	uint64_t lost_reported;         /* losses already told in a note on disk */
	uint64_t next_retention_ms;

	/* Counters for journal_get_stats (writer writes, anyone reads). */
	_Atomic uint64_t records, bytes, raw_bytes, blocks, fsyncs, write_errors, lost_write;
	_Atomic uint64_t segs_created, segs_deleted;
	pthread_mutex_t err_mu;
	char last_error[256];
};

static inline uint64_t now_ns(void)
{
	return clock_realtime_ns();
}

static inline uint64_t mono_ms(void)
{
	return clock_monotonic_ns() / 1000000;
}

static inline uint64_t relaxed_get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* Single-writer counters: a plain load and store, no locked instruction. */
static inline void relaxed_inc(_Atomic uint64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n, memory_order_relaxed);
}

/* ---- journal_seg.c ---- */

/* pwrite of all n bytes (through o.pwrite_fn when set). 0 or -errno (-ENOSPC for a 0-byte write). */
int journal_seg_write(struct journal *j, int fd, const void *buf, size_t n, uint64_t off);
/* Syncs and closes the open segment, cutting what a failed write left past its good end. */
void journal_seg_close(struct journal *j);
/* Creates the next segment and writes its header. 0 or -errno. */
int journal_seg_open(struct journal *j);
/* Deletes segments over the size budget or past the age limit (never the open one). */
void journal_seg_retention(struct journal *j);
/* mkdir -p with mode 0700; failed gets the path that could not be made. 0 or -errno. */
int journal_seg_mkdirs(const char *dir, char *failed, size_t flen);
/* The highest segment sequence number in dir, 0 when none. */
uint64_t journal_seg_max_seq(const char *dir);

#endif /* BULWARK_JOURNAL_INT_H */
