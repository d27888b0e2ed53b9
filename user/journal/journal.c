// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Journal writer: a lock-free queue in front of a thread that compresses and writes segments. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "journal/journal.h"
#include "journal/journal_format.h"
#include "journal/journal_int.h"
#include "core/clock.h"

static void wake_writer(struct journal *j)
{
	if (!atomic_exchange(&j->sleeping, 0))
		return;
	pthread_mutex_lock(&j->mu);
	j->kick = true;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->mu);
}

int journal_append_try(struct journal *j, enum journal_kind kind, const struct bw_event *e,
		       const char *json, size_t len)
{
	uint64_t head = j->p_head, tail, pos, room, total, stride, used;
	uint8_t *p;

	if (len > j->max_record) {
		relaxed_inc(&j->n_lost_big, 1);
		return -E2BIG;
	}
	stride = (JOURNAL_REC_HDR_LEN + len + 7) & ~7ull;
	pos = head & (j->ring_size - 1);
	room = j->ring_size - pos;
	total = stride <= room ? stride : room + stride;
	tail = atomic_load_explicit(&j->tail, memory_order_acquire);
	if (head + total - tail > j->ring_size)
		return -EAGAIN;
	if (stride > room) {
		journal_put_le32(j->ring + pos, WRAP_MARK);
		pos = 0;
	}
	p = j->ring + pos;
	journal_rec_header_write(p, &(struct journal_rec){
		.len = (uint32_t)len,
		.kind = kind,
		.type = e ? journal_type_code(e->type) : 0,
		.time_ns = e && e->time_ns ? e->time_ns : now_ns(),
		.session = e && event_has(e, FLD_SESSION_ID) ? e->sessionid : BW_NO_SESSION,
		.pid = e ? (uint32_t)e->pid : 0,
		.ppid = e ? (uint32_t)e->ppid : 0,
	});
	memcpy(p + JOURNAL_REC_HDR_LEN, json, len);
	head += total;
	j->p_head = head;
	relaxed_inc(&j->n_queued, 1);
	/* seq_cst store, then the load of sleeping: pairs with the writer's
	 * store of sleeping, then its load of head, so no wakeup is missed. */
	atomic_store(&j->head, head);
	used = head - tail;
	if ((kind == JREC_ALERT || used >= j->kick_bytes) && atomic_load(&j->sleeping))
		wake_writer(j);
	return 0;
}

void journal_append(struct journal *j, enum journal_kind kind, const struct bw_event *e,
		    const char *json, size_t len)
{
	if (journal_append_try(j, kind, e, json, len) == -EAGAIN)
		relaxed_inc(&j->n_lost_full, 1);
}

static void set_error(struct journal *j, int err, const char *what)
{
	pthread_mutex_lock(&j->err_mu);
	snprintf(j->last_error, sizeof(j->last_error), "journal: %s in %s: %s", what, j->dir, strerror(err));
	pthread_mutex_unlock(&j->err_mu);
}

static void enter_disk_full(struct journal *j)
{
	if (!atomic_exchange(&j->disk_full, 1))
		atomic_store(&j->disk_full_edge, 1);
}

static void block_reset(struct journal *j)
{
	j->raw_len = 0;
	memset(&j->bi, 0, sizeof(j->bi));
	j->bi.min_time_ns = UINT64_MAX;
	j->bi.flags = JOURNAL_BLK_F_RAW;
	j->blk_alert = false;
}

static void block_add(struct journal *j, const uint8_t *rec, uint32_t n)
{
	uint64_t t = journal_get_le64(rec + 8);
	uint8_t type = rec[5], kind = rec[4];

	if (!j->bi.nrec)
		j->blk_opened_ms = mono_ms();
	memcpy(j->raw + j->raw_len, rec, n);
	j->raw_len += n;
	j->bi.nrec++;
	if (t < j->bi.min_time_ns)
		j->bi.min_time_ns = t;
	if (t > j->bi.max_time_ns)
		j->bi.max_time_ns = t;
	j->bi.session_bloom |= journal_bloom_bit(journal_get_le64(rec + 16));
	j->bi.type_mask |= 1u << (type < 31 ? type : 31);
	j->bi.kind_mask |= (uint16_t)(1u << (kind < 15 ? kind : 15));
	if (kind == JREC_ALERT)
		j->blk_alert = true;
}

/*
 * Adds a JREC_NOTE saying how many records were lost since the last note
 * that reached the disk. Sets *lost to the loss total it reports. Returns
 * 1 if a note was added.
 */
static int block_add_loss_note(struct journal *j, uint64_t *lost_out)
{
	uint64_t full = relaxed_get(&j->n_lost_full), big = relaxed_get(&j->n_lost_big);
	uint64_t wr = relaxed_get(&j->lost_write), lost = full + big + wr;
	uint8_t rec[NOTE_RESERVE];
	uint64_t t = now_ns();
	int n;

	*lost_out = lost;
	if (lost == j->lost_reported)
		return 0;
	n = snprintf((char *)rec + JOURNAL_REC_HDR_LEN, sizeof(rec) - JOURNAL_REC_HDR_LEN,
		     "{\"evt.time\":%llu,\"evt.type\":\"drop\",\"drop.count\":%llu,\"drop.reason\":"
		     "\"journal: records not written (totals: queue full %llu, too long %llu, "
		     "write failed %llu)\"}",
		     (unsigned long long)t, (unsigned long long)(lost - j->lost_reported),
		     (unsigned long long)full, (unsigned long long)big, (unsigned long long)wr);
	journal_rec_header_write(rec, &(struct journal_rec){
		.len = (uint32_t)n,
		.kind = JREC_NOTE,
		.type = journal_type_code(BW_EVT_DROP),
		.time_ns = t,
		.session = BW_NO_SESSION,
	});
	block_add(j, rec, JOURNAL_REC_HDR_LEN + (uint32_t)n);
	return 1;
}

/* A write failed with err: count it, and decide how to go on. */
static void write_failed(struct journal *j, int err, const char *what, uint32_t nrec)
{
	relaxed_inc(&j->write_errors, 1);
	relaxed_inc(&j->lost_write, nrec);
	set_error(j, err, what);
	if (err == ENOSPC || err == EDQUOT) {
		/* Keep the segment; the next block is tried at the same offset. */
		enter_disk_full(j);
		if (j->seg_fd >= 0 && ftruncate(j->seg_fd, (off_t)j->seg_off)) {
			/* Leftovers are overwritten by the next block or skipped by readers. */
		}
	} else {
		/* EIO and the like: do not trust this file any more; start a new one. */
		journal_seg_close(j);
	}
}

/* Compresses and writes the open block; fdatasyncs when sync is set. */
static void block_flush(struct journal *j, bool sync)
{
	uint64_t lost_noted = j->lost_reported;
	uint32_t nrec, clen;
	char what[160];
	int rc, note = 0;

	if (!j->bi.nrec)
		goto sync_only;
	note = block_add_loss_note(j, &lost_noted);
	nrec = j->bi.nrec - (uint32_t)note; /* the daemon's records, not our note */
	j->bi.raw_len = j->raw_len;
	deflateReset(&j->zs);
	j->zs.next_in = j->raw;
	j->zs.avail_in = j->raw_len;
	j->zs.next_out = j->out + JOURNAL_BLK_HDR_LEN;
	j->zs.avail_out = (uInt)(j->out_cap - JOURNAL_BLK_HDR_LEN);
	if (deflate(&j->zs, Z_FINISH) != Z_STREAM_END) { /* cannot happen: out_cap is deflateBound() */
		write_failed(j, EIO, "compressing a block failed", nrec);
		goto done;
	}
	clen = (uint32_t)j->zs.total_out;
	j->bi.comp_len = clen;
	j->bi.payload_crc = (uint32_t)crc32(0, j->out + JOURNAL_BLK_HDR_LEN, clen);
	journal_block_header_write(j->out, &j->bi);

	if (j->seg_fd >= 0 && j->seg_off > JOURNAL_SEG_HDR_LEN &&
	    j->seg_off + JOURNAL_BLK_HDR_LEN + clen > j->o.segment_bytes) {
		journal_seg_close(j);
		j->next_retention_ms = 0; /* run retention right after a rotation */
	}
	if (j->seg_fd < 0 && (rc = journal_seg_open(j))) {
		write_failed(j, -rc, "creating a segment failed", nrec);
		goto done;
	}
	rc = journal_seg_write(j, j->seg_fd, j->out, JOURNAL_BLK_HDR_LEN + clen, j->seg_off);
	if (rc) {
		snprintf(what, sizeof(what), "writing %s at byte %llu failed", j->seg_name,
			 (unsigned long long)j->seg_off);
		write_failed(j, -rc, what, nrec);
		goto done;
	}
	j->seg_off += JOURNAL_BLK_HDR_LEN + clen;
	j->seg_dirty = true;
	j->lost_reported = lost_noted;
	relaxed_inc(&j->records, nrec);
	relaxed_inc(&j->bytes, JOURNAL_BLK_HDR_LEN + clen);
	relaxed_inc(&j->raw_bytes, j->raw_len);
	relaxed_inc(&j->blocks, 1);
	atomic_store(&j->disk_full, 0);
done:
	block_reset(j);
sync_only:
	if (sync && j->seg_fd >= 0 && j->seg_dirty) {
		if (fdatasync(j->seg_fd)) {
			rc = errno;
			snprintf(what, sizeof(what), "fdatasync of %s failed", j->seg_name);
			/* After a failed fdatasync the page cache cannot be trusted: new file. */
			relaxed_inc(&j->write_errors, 1);
			set_error(j, rc, what);
			if (rc == ENOSPC || rc == EDQUOT)
				enter_disk_full(j);
			j->seg_dirty = false;
			journal_seg_close(j);
		} else {
			relaxed_inc(&j->fsyncs, 1);
			j->seg_dirty = false;
		}
	}
}

/* Moves every queued record into blocks; full blocks are written. */
static void drain(struct journal *j)
{
	uint64_t head = atomic_load_explicit(&j->head, memory_order_acquire);
	uint64_t published = j->w_tail;

	while (j->w_tail != head) {
		uint64_t pos = j->w_tail & (j->ring_size - 1);
		uint32_t len = journal_get_le32(j->ring + pos), n;

		if (len == WRAP_MARK) {
			j->w_tail += j->ring_size - pos;
			continue;
		}
		n = JOURNAL_REC_HDR_LEN + len;
		if (j->bi.nrec && j->raw_len + n > j->o.block_bytes)
			block_flush(j, false);
		block_add(j, j->ring + pos, n);
		j->w_tail += (n + 7) & ~7u;
		/* Hand space back to the producer now and then, not per record:
		 * each store pulls the producer's cache line over. */
		if (j->w_tail - published >= (64u << 10)) {
			atomic_store_explicit(&j->tail, j->w_tail, memory_order_release);
			published = j->w_tail;
		}
	}
	atomic_store_explicit(&j->tail, j->w_tail, memory_order_release);
}

static void *writer_main(void *arg)
{
	struct journal *j = arg;
	uint32_t half = j->o.flush_ms / 2 ? j->o.flush_ms / 2 : 1;
	uint64_t served = 0;

	for (;;) {
		uint64_t now, deadline, req, errs;
		bool stop;
		struct timespec ts;

		/* Read the requests first, then drain: whatever was appended
		 * before a close or sync request is in this drain. */
		pthread_mutex_lock(&j->mu);
		stop = j->stop;
		req = j->sync_req;
		pthread_mutex_unlock(&j->mu);
		drain(j);

		now = mono_ms();
		errs = relaxed_get(&j->write_errors);
		if (j->blk_alert || stop || req != served)
			block_flush(j, true);
		else if (j->bi.nrec && now >= j->blk_opened_ms + half)
			block_flush(j, false);
		if (req != served) {
			pthread_mutex_lock(&j->mu);
			j->sync_done = req;
			j->sync_err = relaxed_get(&j->write_errors) != errs ? -EIO : 0;
			pthread_cond_broadcast(&j->done);
			pthread_mutex_unlock(&j->mu);
			served = req;
		}
		if (now >= j->next_retention_ms)
			journal_seg_retention(j);
		if (stop)
			break;

		/* Sleep until the open block is due, or a kick. */
		deadline = j->bi.nrec ? j->blk_opened_ms + half : now + half;
		if (deadline > j->next_retention_ms)
			deadline = j->next_retention_ms;
		pthread_mutex_lock(&j->mu);
		atomic_store(&j->sleeping, 1);
		if (atomic_load(&j->head) == j->w_tail && !j->kick && !j->stop &&
		    j->sync_req == served && deadline > now) {
			clock_deadline(CLOCK_MONOTONIC, (deadline - now) * 1000000ull, &ts);
			pthread_cond_timedwait(&j->wake, &j->mu, &ts);
		}
		atomic_store(&j->sleeping, 0);
		j->kick = false;
		pthread_mutex_unlock(&j->mu);
	}
	journal_seg_close(j);
	return NULL;
}

static void journal_free(struct journal *j)
{
	if (!j)
		return;
	if (j->seg_fd >= 0)
		close(j->seg_fd);
	if (j->lockfd >= 0)
		close(j->lockfd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	if (j->zs_ready)
		deflateEnd(&j->zs);
	pthread_mutex_destroy(&j->mu);
	pthread_mutex_destroy(&j->err_mu);
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->done);
	free(j->ring);
	free(j->raw);
	free(j->out);
	free(j->dir);
	free(j);
}

/* Fills the options left at 0 with their defaults; sizes the queue ring. */
static void set_defaults(struct journal *j, const struct journal_opts *o)
{
	uint64_t qsize;

	if (!j->o.segment_bytes)
		j->o.segment_bytes = JOURNAL_DEF_SEGMENT_BYTES;
	if (!j->o.max_bytes)
		j->o.max_bytes = JOURNAL_DEF_MAX_BYTES;
	if (!j->o.max_age_s)
		j->o.max_age_s = JOURNAL_DEF_MAX_AGE_S;
	if (!j->o.block_bytes)
		j->o.block_bytes = JOURNAL_DEF_BLOCK_BYTES;
	if (j->o.block_bytes > JOURNAL_MAX_BLOCK_RAW / 4)
		j->o.block_bytes = JOURNAL_MAX_BLOCK_RAW / 4;
	if (!j->o.queue_bytes)
		j->o.queue_bytes = JOURNAL_DEF_QUEUE_BYTES;
	if (!j->o.flush_ms)
		j->o.flush_ms = JOURNAL_DEF_FLUSH_MS;
	if (!j->o.level)
		j->o.level = JOURNAL_DEF_LEVEL;
	for (qsize = 4096; qsize < j->o.queue_bytes && qsize < (1ull << 31); qsize <<= 1)
		;
	j->ring_size = qsize;
	j->kick_bytes = qsize / 4;
	j->max_record = qsize / 4 - JOURNAL_REC_HDR_LEN < JOURNAL_MAX_RECORD
				? (uint32_t)(qsize / 4 - JOURNAL_REC_HDR_LEN) : JOURNAL_MAX_RECORD;
	if (o->hostname)
		snprintf(j->host, sizeof(j->host), "%s", o->hostname);
	else if (gethostname(j->host, sizeof(j->host) - 1))
		snprintf(j->host, sizeof(j->host), "unknown");
}

/*
 * Creates and opens the directory, then takes its lock. The journal holds
 * commands and SQL: keep it private to the daemon's user. 0 or -errno, with err set.
 */
static int open_dir(struct journal *j, char *err, size_t errlen, const char *hint)
{
	char failed[4096];
	int rc;

	rc = journal_seg_mkdirs(j->dir, failed, sizeof(failed));
	if (rc) {
		snprintf(err, errlen, "journal: cannot create %s: %s%s", failed, strerror(-rc), hint);
		return rc;
	}
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "journal: cannot open directory %s: %s%s", j->dir, strerror(-rc), hint);
		return rc;
	}
	j->lockfd = openat(j->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lockfd < 0 && errno != ENOSPC && errno != EDQUOT) {
		rc = -errno;
		snprintf(err, errlen, "journal: cannot write in %s: %s%s", j->dir, strerror(-rc), hint);
		return rc;
	}
	if (j->lockfd >= 0 && flock(j->lockfd, LOCK_EX | LOCK_NB)) {
		rc = -errno;
		snprintf(err, errlen, "journal: %s is in use by another bulwark process (%s); stop it, or "
				      "pass --journal DIR with another directory", j->dir, strerror(-rc));
		return rc;
	}
	return 0;
}

int journal_open(const struct journal_opts *o, struct journal **out, char *err, size_t errlen)
{
	const char *hint = "; pass --journal DIR with a writable directory";
	struct journal *j;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!o || !o->dir || !*o->dir) {
		snprintf(err, errlen, "journal: no directory given%s", hint);
		return -EINVAL;
	}
	if (o->level < 0 || o->level > 9) {
		snprintf(err, errlen, "journal: zlib level %d is out of range; use 1 (fast) to 9 (small)", o->level);
		return -EINVAL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		goto oom;
	j->seg_fd = j->dirfd = j->lockfd = -1;
	pthread_mutex_init(&j->mu, NULL);
	pthread_mutex_init(&j->err_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&j->done, NULL);

	j->o = *o;
	j->dir = strdup(o->dir);
	if (!j->dir)
		goto oom;
	j->o.dir = j->dir;
	set_defaults(j, o);

	rc = open_dir(j, err, errlen, hint);
	if (rc)
		goto fail;

	j->ring = aligned_alloc(64, j->ring_size);
	j->raw_cap = j->o.block_bytes + JOURNAL_REC_HDR_LEN + j->max_record + NOTE_RESERVE;
	j->raw = malloc(j->raw_cap);
	if (!j->ring || !j->raw)
		goto oom;
	/* raw deflate: the block's CRC32 covers it; the zlib wrapper's Adler-32
	 * over every uncompressed byte cost the daemon about 7% of its CPU */
	if (deflateInit2(&j->zs, j->o.level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		goto oom;
	j->zs_ready = true;
	j->out_cap = JOURNAL_BLK_HDR_LEN + deflateBound(&j->zs, j->raw_cap);
	j->out = malloc(j->out_cap);
	if (!j->out)
		goto oom;
	block_reset(j);

	/*
	 * Every open starts a new segment: the last one may end in a torn
	 * block, and appending behind it would bury good data after damage.
	 * Creating it here surfaces permission problems now, not later. A full
	 * disk is not fatal: the monitor must run, the journal retries.
	 */
	journal_type_code(BW_EVT_UNKNOWN); /* fill its table before two threads use it */
	j->seg_seq = journal_seg_max_seq(j->dir);
	rc = journal_seg_open(j);
	if (rc == -ENOSPC || rc == -EDQUOT) {
		relaxed_inc(&j->write_errors, 1);
		set_error(j, -rc, "creating the first segment failed");
		enter_disk_full(j);
	} else if (rc) {
		snprintf(err, errlen, "journal: cannot create a segment in %s: %s%s", j->dir, strerror(-rc), hint);
		goto fail;
	}
	rc = pthread_create(&j->thr, NULL, writer_main, j);
	if (rc) {
		rc = -rc;
		snprintf(err, errlen, "journal: cannot start the writer thread: %s", strerror(-rc));
		goto fail;
	}
	j->thr_started = true;
	*out = j;
	return 0;
oom:
	rc = -ENOMEM;
	snprintf(err, errlen, "journal: out of memory (queue of %u bytes); pass a smaller queue",
		 o->queue_bytes ? o->queue_bytes : JOURNAL_DEF_QUEUE_BYTES);
fail:
	journal_free(j);
	return rc;
}

void journal_get_stats(struct journal *j, struct journal_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->records = relaxed_get(&j->records);
	st->bytes = relaxed_get(&j->bytes);
	st->queued = relaxed_get(&j->n_queued);
	st->lost_queue_full = relaxed_get(&j->n_lost_full);
	st->lost_too_big = relaxed_get(&j->n_lost_big);
	st->lost_write = relaxed_get(&j->lost_write);
	st->lost = st->lost_queue_full + st->lost_too_big + st->lost_write;
	st->write_errors = relaxed_get(&j->write_errors);
	st->disk_full = atomic_load(&j->disk_full);
	st->raw_bytes = relaxed_get(&j->raw_bytes);
	st->blocks = relaxed_get(&j->blocks);
	st->fsyncs = relaxed_get(&j->fsyncs);
	st->segments_created = relaxed_get(&j->segs_created);
	st->segments_deleted = relaxed_get(&j->segs_deleted);
	pthread_mutex_lock(&j->err_mu);
	memcpy(st->last_error, j->last_error, sizeof(st->last_error));
	pthread_mutex_unlock(&j->err_mu);
}

bool journal_take_disk_full_edge(struct journal *j)
{
	return atomic_load_explicit(&j->disk_full_edge, memory_order_relaxed) &&
	       atomic_exchange(&j->disk_full_edge, 0);
}

int journal_sync(struct journal *j, int timeout_ms)
{
	struct timespec ts;
	uint64_t my;
	int rc = 0;

	clock_deadline(CLOCK_REALTIME, (uint64_t)timeout_ms * 1000000ull, &ts);
	pthread_mutex_lock(&j->mu);
	my = ++j->sync_req;
	j->kick = true;
	pthread_cond_signal(&j->wake);
	while (j->sync_done < my && !rc)
		rc = pthread_cond_timedwait(&j->done, &j->mu, &ts);
	rc = j->sync_done < my ? -ETIMEDOUT : j->sync_err;
	pthread_mutex_unlock(&j->mu);
	return rc;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->mu);
	if (j->thr_started)
		pthread_join(j->thr, NULL);
	journal_free(j);
}
