// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Journal writer and reader: format, damage tolerance, rotation, retention, queue, alerts, disk full. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "unit.h"
#include "journal/journal.h"
#include "journal/journal_format.h"
#include "core/json.h"

/* ---- helpers ---- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static char *mktmp(void)
{
	static char dirs[32][64];
	static int n;
	char *d = dirs[n++ % 32];

	snprintf(d, 64, "/tmp/bw-journal-test-XXXXXX");
	return mkdtemp(d);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends a synthetic event whose JSON carries its index in proc.cmdline. */
static void put_event(struct journal *j, int i, enum journal_kind kind, uint64_t sess)
{
	struct bw_event e;
	struct jbuf b = { 0 };
	char cmd[64];

	event_reset(&e);
	e.type = i % 3 ? BW_EVT_UNLINKAT : BW_EVT_EXECVE;
	e.type_name = (struct bw_str){ event_type_name(e.type), (uint32_t)strlen(event_type_name(e.type)) };
	e.time_ns = 1790000000000000000ull + (uint64_t)i * 1000;
	e.pid = 1000 + (uint64_t)i % 50;
	e.ppid = 999;
	e.sessionid = sess;
	snprintf(cmd, sizeof(cmd), "cmd-%d", i);
	e.cmdline = (struct bw_str){ cmd, (uint32_t)strlen(cmd) };
	e.path = BW_STR("/var/lib/postgresql/15/main/base/16384/2619");
	for (int f = 0; f < FLD_MAX; f++)
		if (f == FLD_EVT_TIME || f == FLD_EVT_TYPE || f == FLD_PROC_PID || f == FLD_PROC_PPID ||
		    f == FLD_SESSION_ID || f == FLD_PROC_CMDLINE || f == FLD_FD_NAME)
			event_set_present(&e, f);
	event_to_json(&b, &e);
	journal_append(j, kind, &e, b.p, b.len);
	jbuf_free(&b);
}

struct collect {
	int n;
	int idx[20000];           /* index parsed from cmd-N */
	enum journal_kind kind[20000];
	int notes;
	uint64_t note_lost;
};

static int collect_rec(void *ctx, const struct journal_rec *r)
{
	struct collect *c = ctx;
	const char *p = memmem(r->json, r->len, "cmd-", 4);

	if (r->kind == JREC_NOTE) {
		const char *q = memmem(r->json, r->len, "\"drop.count\":", 13);

		c->notes++;
		if (q)
			c->note_lost += strtoull(q + 13, NULL, 10);
		return 0;
	}
	if (c->n < 20000) {
		c->idx[c->n] = p ? atoi(p + 4) : -1;
		c->kind[c->n] = r->kind;
	}
	c->n++;
	return 0;
}

static struct journal_scan scan_all(const char *dir, struct collect *c, FILE *warn)
{
	struct journal_scan s = { .on_rec = collect_rec, .ctx = c, .warn = warn };
	char err[512];

	memset(c, 0, sizeof(*c));
	if (journal_scan_dir(&s, dir, err, sizeof(err)))
		printf("     scan: %s\n", err);
	return s;
}

static struct journal *open_j(const char *dir, struct journal_opts *o)
{
	struct journal *j = NULL;
	char err[512];

	o->dir = dir;
	if (journal_open(o, &j, err, sizeof(err)))
		printf("     open: %s\n", err);
	return j;
}

static char *first_segment(const char *dir)
{
	static char path[512];
	char **names;
	size_t n;

	if (journal_list_segments(dir, &names, &n) || !n)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	journal_free_names(names, n);
	return path;
}

static size_t read_file(const char *path, uint8_t **buf)
{
	FILE *f = fopen(path, "rb");
	long n;

	*buf = NULL;
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*buf = malloc((size_t)n + 1);
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	return (size_t)n;
}

static void write_file(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	fwrite(buf, 1, n, f);
	fclose(f);
}

/* Offsets of the block headers of a clean segment file. */
static int block_offsets(const uint8_t *buf, size_t n, size_t *offs, int max)
{
	size_t off = JOURNAL_SEG_HDR_LEN;
	int k = 0;
	struct journal_block_info bi;

	while (off + JOURNAL_BLK_HDR_LEN <= n && k < max && !journal_block_header_parse(buf + off, &bi)) {
		offs[k++] = off;
		off += JOURNAL_BLK_HDR_LEN + bi.comp_len;
	}
	return k;
}

/* A journal of n events in many small blocks, in one segment. */
static char *small_blocks_journal(int n)
{
	char *dir = mktmp();
	struct journal_opts o = { .block_bytes = 2048 };
	struct journal *j = open_j(dir, &o);

	for (int i = 0; i < n; i++)
		put_event(j, i, JREC_EVENT, 7);
	journal_close(j);
	return dir;
}

/* ---- format ---- */

TEST(journal_block_encode_decode)
{
	char *dir = mktmp();
	struct journal_opts o = { 0 };
	struct journal *j = open_j(dir, &o);
	struct journal_block_info bi;
	struct journal_stats st;
	uint8_t *buf, *raw;
	size_t n, off;
	uLongf rl;

	CHECK(j);
	for (int i = 0; i < 10; i++)
		put_event(j, i, i == 5 ? JREC_ALERT : JREC_EVENT, 7 + (uint64_t)(i & 1));
	CHECK_EQ(journal_sync(j, 5000), 0);
	journal_get_stats(j, &st);
	CHECK_EQ(st.records, 10);
	CHECK_EQ(st.lost, 0);
	journal_close(j);

	n = read_file(first_segment(dir), &buf);
	CHECK(n > JOURNAL_SEG_HDR_LEN + JOURNAL_BLK_HDR_LEN);
	CHECK(!memcmp(buf, "BWJ1", 4));
	CHECK_EQ(journal_get_le16(buf + 4), 1);
	CHECK_EQ(journal_get_le32(buf + 124), (uint32_t)crc32(0, buf, 124));
	off = JOURNAL_SEG_HDR_LEN;
	CHECK_EQ(journal_block_header_parse(buf + off, &bi), 0);
	CHECK(!memcmp(buf + off, "BWB1", 4));
	CHECK_EQ(bi.nrec, 10);
	CHECK_EQ(bi.min_time_ns, 1790000000000000000ull);
	CHECK_EQ(bi.max_time_ns, 1790000000000009000ull);
	CHECK(bi.kind_mask & (1u << JREC_ALERT));
	CHECK(bi.kind_mask & (1u << JREC_EVENT));
	CHECK(bi.type_mask & (1u << journal_type_code(BW_EVT_EXECVE)));
	CHECK(bi.type_mask & (1u << journal_type_code(BW_EVT_UNLINKAT)));
	CHECK(!(bi.type_mask & (1u << journal_type_code(BW_EVT_RMDIR))));
	CHECK(journal_bloom_may_have(bi.session_bloom, 7));
	CHECK(journal_bloom_may_have(bi.session_bloom, 8));
	CHECK_EQ(bi.payload_crc, (uint32_t)crc32(0, buf + off + 64, bi.comp_len));
	/* The payload is raw deflate (flag RAW) of 32-byte headers + JSON. */
	CHECK_EQ(bi.flags, JOURNAL_BLK_F_RAW);
	raw = malloc(bi.raw_len);
	rl = bi.raw_len;
	{
		z_stream zs = { 0 };
		CHECK_EQ(inflateInit2(&zs, -15), Z_OK);
		zs.next_in = buf + off + 64;
		zs.avail_in = bi.comp_len;
		zs.next_out = raw;
		zs.avail_out = (uInt)rl;
		CHECK_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
		rl = zs.total_out;
		inflateEnd(&zs);
	}
	CHECK_EQ(rl, bi.raw_len);
	CHECK_EQ(raw[4], JREC_EVENT);
	CHECK_EQ(raw[5], journal_type_code(BW_EVT_EXECVE));
	CHECK_EQ(journal_get_le64(raw + 8), 1790000000000000000ull);
	CHECK_EQ(journal_get_le64(raw + 16), 7);
	CHECK_EQ(journal_get_le32(raw + 24), 1000);
	CHECK_EQ(journal_get_le32(raw + 28), 999);
	CHECK(!memcmp(raw + 32, "{\"evt.time\":1790000000000000000,", 32));
	/* A block of an earlier build (a zlib stream, flags 0) still reads back. */
	{
		uLongf zl = compressBound(bi.raw_len);
		uint8_t *old = malloc(off + 64 + zl);
		struct collect *c = calloc(1, sizeof(*c));
		char path[512];
		FILE *f;

		CHECK(old && c);
		CHECK_EQ(compress(old + off + 64, &zl, raw, bi.raw_len), Z_OK);
		memcpy(old, buf, off);
		bi.flags = 0;
		bi.comp_len = (uint32_t)zl;
		bi.payload_crc = (uint32_t)crc32(0, old + off + 64, (uInt)zl);
		journal_block_header_write(old + off, &bi);
		snprintf(path, sizeof(path), "%s", first_segment(dir));
		f = fopen(path, "w");
		CHECK(f && fwrite(old, 1, off + 64 + zl, f) == off + 64 + zl);
		fclose(f);
		scan_all(dir, c, stderr);
		CHECK_EQ(c->n, 10);
		free(c);
		free(old);
	}
	/* A header with one bit flipped is refused. */
	buf[off + 9] ^= 1;
	CHECK_EQ(journal_block_header_parse(buf + off, &bi), -EINVAL);
	free(raw);
	free(buf);
	rm_rf(dir);
}

TEST(journal_reads_back_in_order)
{
	char *dir = small_blocks_journal(3000);
	struct collect *c = calloc(1, sizeof(*c));
	struct journal_scan s = scan_all(dir, c, stderr);
	bool ordered = true;

	CHECK_EQ(c->n, 3000);
	CHECK(s.blocks > 10);
	CHECK_EQ(s.damaged, 0);
	for (int i = 0; i < c->n; i++)
		ordered &= c->idx[i] == i;
	CHECK(ordered);
	free(c);
	rm_rf(dir);
}

TEST(journal_type_codes_are_stable)
{
	/* Written files depend on these: never change them. */
	CHECK_EQ(journal_type_code(BW_EVT_EXECVE), 1);
	CHECK_EQ(journal_type_code(BW_EVT_UNLINKAT), 5);
	CHECK_EQ(journal_type_code(BW_EVT_DB_QUERY), 12);
	CHECK_EQ(journal_type_code(BW_EVT_DROP), 16);
	CHECK_STREQ(journal_type_code_name(3), "exit");
	CHECK(!journal_type_code_name(0));
	CHECK(!journal_type_code_name(200));
	for (int t = 1; t < BW_EVT_MAX; t++)
		if (journal_type_code(t))
			CHECK_STREQ(journal_type_code_name(journal_type_code(t)), event_type_name(t));
}

/* ---- damage ---- */

static void damaged_case(int which, size_t where, const char *expect_warning)
{
	char *dir = small_blocks_journal(2000), *path = first_segment(dir);
	struct collect *c = calloc(1, sizeof(*c));
	struct journal_block_info bi;
	size_t offs[4096], n;
	uint8_t *buf;
	char *warns = NULL;
	size_t wlen = 0;
	FILE *w = open_memstream(&warns, &wlen);
	struct journal_scan s;
	int nb, lost;

	n = read_file(path, &buf);
	nb = block_offsets(buf, n, offs, 4096);
	CHECK(nb > 20);
	journal_block_header_parse(buf + offs[which], &bi);
	lost = (int)bi.nrec;
	buf[offs[which] + where] ^= 0x5a;
	write_file(path, buf, n);

	s = scan_all(dir, c, w);
	fclose(w);
	CHECK_EQ(s.damaged, 1);
	CHECK_EQ(c->n, 2000 - lost);
	CHECK(warns && strstr(warns, path));
	CHECK(warns && strstr(warns, expect_warning));
	{
		char at[64];

		snprintf(at, sizeof(at), "byte %zu:", offs[which]);
		CHECK(warns && strstr(warns, at));
	}
	/* The blocks after the damage are all there, in order. */
	CHECK_EQ(c->idx[c->n - 1], 1999);
	free(warns);
	free(buf);
	free(c);
	rm_rf(dir);
}

TEST(journal_crc_mismatch_in_middle_block_is_skipped)
{
	damaged_case(10, JOURNAL_BLK_HDR_LEN + 20, "checksum mismatch");
}

TEST(journal_corrupt_header_in_middle_resyncs)
{
	damaged_case(10, 17, "bad block header");
}

TEST(journal_corrupt_magic_resyncs)
{
	damaged_case(3, 0, "resuming at the next block");
}

TEST(journal_torn_tail_is_skipped)
{
	char *dir = small_blocks_journal(2000), *path = first_segment(dir);
	struct collect *c = calloc(1, sizeof(*c));
	size_t offs[4096], n;
	uint8_t *buf;
	struct journal_block_info bi;
	char *warns = NULL;
	size_t wlen = 0;
	FILE *w = open_memstream(&warns, &wlen);
	struct journal_scan s;
	int nb;

	n = read_file(path, &buf);
	nb = block_offsets(buf, n, offs, 4096);
	journal_block_header_parse(buf + offs[nb - 1], &bi);
	/* A crash in the middle of the last block write. */
	write_file(path, buf, offs[nb - 1] + JOURNAL_BLK_HDR_LEN + bi.comp_len / 2);
	s = scan_all(dir, c, w);
	fclose(w);
	CHECK_EQ(s.damaged, 1);
	CHECK_EQ(c->n, 2000 - (int)bi.nrec);
	CHECK(warns && strstr(warns, "torn tail"));
	free(warns);

	/* Torn inside the block header itself. */
	write_file(path, buf, offs[nb - 1] + 10);
	warns = NULL;
	w = open_memstream(&warns, &wlen);
	s = scan_all(dir, c, w);
	fclose(w);
	CHECK_EQ(s.damaged, 1);
	CHECK_EQ(c->n, 2000 - (int)bi.nrec);
	CHECK(warns && strstr(warns, "incomplete block header"));
	free(warns);
	free(buf);
	free(c);
	rm_rf(dir);
}

TEST(journal_garbage_between_blocks_and_bad_segment_header)
{
	char *dir = small_blocks_journal(1000), *path = first_segment(dir);
	struct collect *c = calloc(1, sizeof(*c));
	size_t offs[4096], n;
	uint8_t *buf, *nb;
	struct journal_scan s;

	n = read_file(path, &buf);
	block_offsets(buf, n, offs, 4096);
	/* 1000 bytes of junk, including a fake magic, spliced before block 5;
	 * and the segment header smashed. */
	nb = malloc(n + 1000);
	memcpy(nb, buf, offs[5]);
	for (int i = 0; i < 1000; i++)
		nb[offs[5] + i] = (uint8_t)(i * 7);
	memcpy(nb + offs[5] + 100, "BWB1", 4);
	memcpy(nb + offs[5] + 1000, buf + offs[5], n - offs[5]);
	memset(nb, 'x', 8);
	write_file(path, nb, n + 1000);
	s = scan_all(dir, c, NULL);
	CHECK_EQ(s.damaged, 2);
	CHECK_EQ(c->n, 1000);
	free(nb);
	free(buf);
	free(c);
	rm_rf(dir);
}

TEST(journal_newer_block_version_is_skipped_by_length)
{
	char *dir = small_blocks_journal(1000), *path = first_segment(dir);
	struct collect *c = calloc(1, sizeof(*c));
	struct journal_block_info bi;
	size_t offs[4096], n;
	uint8_t *buf;
	char *warns = NULL;
	size_t wlen = 0;
	FILE *w = open_memstream(&warns, &wlen);
	struct journal_scan s;

	n = read_file(path, &buf);
	block_offsets(buf, n, offs, 4096);
	journal_block_header_parse(buf + offs[2], &bi);
	journal_put_le16(buf + offs[2] + 4, 2);
	journal_put_le32(buf + offs[2] + 60, (uint32_t)crc32(0, buf + offs[2], 60));
	write_file(path, buf, n);
	CHECK_EQ(journal_block_header_parse(buf + offs[2], &bi), -EPROTO);
	s = scan_all(dir, c, w);
	fclose(w);
	CHECK_EQ(s.damaged, 1);
	CHECK_EQ(c->n, 1000 - (int)bi.nrec);
	CHECK(warns && strstr(warns, "block format version 2 is newer than this bulwark reads (1)"));
	free(warns);
	free(buf);
	free(c);
	rm_rf(dir);
}

/* ---- rotation and retention ---- */

TEST(journal_rotates_by_size)
{
	char *dir = mktmp();
	struct journal_opts o = { .block_bytes = 4096, .segment_bytes = 16384 };
	struct journal *j = open_j(dir, &o);
	struct collect *c = calloc(1, sizeof(*c));
	struct journal_scan s;
	char **names;
	size_t n;
	bool ordered = true;

	for (int i = 0; i < 5000; i++)
		put_event(j, i, JREC_EVENT, 7);
	journal_close(j);
	CHECK_EQ(journal_list_segments(dir, &names, &n), 0);
	CHECK(n > 3);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		stat(p, &st);
		CHECK(st.st_size <= 16384 + 4096);
		CHECK((st.st_mode & 0777) == 0600);
	}
	journal_free_names(names, n);
	s = scan_all(dir, c, stderr);
	CHECK_EQ(c->n, 5000);
	CHECK_EQ(s.damaged, 0);
	for (int i = 0; i < c->n; i++)
		ordered &= c->idx[i] == i;
	CHECK(ordered);
	free(c);
	rm_rf(dir);
}

TEST(journal_retention_by_total_size)
{
	char *dir = mktmp();
	struct journal_opts o = { .block_bytes = 4096, .segment_bytes = 16384, .max_bytes = 65536 };
	struct journal *j = open_j(dir, &o);
	struct journal_stats st;
	struct collect *c = calloc(1, sizeof(*c));
	char **names;
	size_t n;
	uint64_t total = 0;

	for (int i = 0; i < 20000; i++) {
		put_event(j, i, JREC_EVENT, 7);
		if (i % 2000 == 0)
			journal_sync(j, 5000);
	}
	journal_sync(j, 5000);
	journal_get_stats(j, &st);
	journal_close(j);
	CHECK(st.segments_deleted > 0);
	CHECK_EQ(journal_list_segments(dir, &names, &n), 0);
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		stat(p, &sb);
		total += (uint64_t)sb.st_size;
	}
	journal_free_names(names, n);
	/* Bounded: the limit plus at most the segment being written. */
	CHECK(total <= 65536 + 16384 + 4096);
	/* What is left is the newest part, intact. */
	scan_all(dir, c, stderr);
	CHECK(c->n > 0);
	CHECK_EQ(c->idx[c->n - 1], 19999);
	free(c);
	rm_rf(dir);
}

TEST(journal_retention_by_age)
{
	char *dir = small_blocks_journal(100), *old = strdup(first_segment(dir));
	struct journal_opts o = { .max_age_s = 30 * 86400 };
	struct timespec ts[2];
	struct journal *j;
	char **names;
	size_t n;
	bool old_left = false;

	/* Last written 31 days ago. */
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 31 * 86400;
	ts[1] = ts[0];
	CHECK_EQ(utimensat(AT_FDCWD, old, ts, 0), 0);
	j = open_j(dir, &o);
	put_event(j, 1, JREC_EVENT, 7);
	journal_close(j);
	CHECK_EQ(journal_list_segments(dir, &names, &n), 0);
	CHECK_EQ(n, 1);
	for (size_t i = 0; i < n; i++)
		old_left |= !strcmp(names[i], strrchr(old, '/') + 1);
	CHECK(!old_left);
	journal_free_names(names, n);

	/* A 29-day-old segment stays. */
	free(old);
	old = strdup(first_segment(dir));
	ts[0].tv_sec += 2 * 86400;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, old, ts, 0);
	j = open_j(dir, &o);
	journal_close(j);
	CHECK_EQ(journal_list_segments(dir, &names, &n), 0);
	CHECK_EQ(n, 2);
	journal_free_names(names, n);
	free(old);
	rm_rf(dir);
}

/* ---- queue ---- */

struct gate {
	atomic_int closed;  /* writes wait while set */
	atomic_int calls;
	atomic_int enospc;  /* fail writes with ENOSPC (after writing half once) */
	atomic_int partial_done;
};

static ssize_t gated_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct gate *g = ctx;

	g->calls++;
	while (g->closed)
		usleep(1000);
	if (g->enospc) {
		/* First failure: a partial write, as a real full disk does. */
		if (!g->partial_done && n > 64) {
			g->partial_done = 1;
			return pwrite(fd, buf, n / 2, off);
		}
		errno = ENOSPC;
		return -1;
	}
	return pwrite(fd, buf, n, off);
}

TEST(journal_queue_full_counts_lost_and_never_blocks)
{
	char *dir = mktmp();
	struct gate g = { 0 };
	struct journal_opts o = { .queue_bytes = 4096, .block_bytes = 1024, .pwrite_fn = gated_pwrite,
				  .pwrite_ctx = &g };
	struct journal *j = open_j(dir, &o);
	struct journal_stats st;
	struct collect *c = calloc(1, sizeof(*c));
	double t0, dt;

	g.closed = 1; /* the disk "hangs": the writer blocks in its first block write */
	t0 = mono();
	for (int i = 0; i < 20000; i++)
		put_event(j, i, JREC_EVENT, 7);
	dt = mono() - t0;
	journal_get_stats(j, &st);
	CHECK(dt < 1.0);
	CHECK(st.lost_queue_full > 15000);
	CHECK_EQ(st.lost, st.lost_queue_full);
	CHECK_EQ(st.queued + st.lost_queue_full, 20000);
	g.closed = 0;
	journal_close(j);
	/* Every record is either on disk or counted, and the loss is on disk too. */
	scan_all(dir, c, stderr);
	CHECK_EQ((uint64_t)c->n + st.lost_queue_full, 20000);
	CHECK(c->notes >= 1);
	CHECK_EQ(c->note_lost, st.lost_queue_full);
	free(c);
	rm_rf(dir);
}

TEST(journal_too_long_record_is_counted)
{
	char *dir = mktmp();
	struct journal_opts o = { .queue_bytes = 65536 };
	struct journal *j = open_j(dir, &o);
	struct journal_stats st;
	char *big = malloc(40000);

	memset(big, 'a', 40000);
	CHECK_EQ(journal_append_try(j, JREC_EVENT, NULL, big, 40000), -E2BIG);
	journal_append(j, JREC_EVENT, NULL, big, 40000);
	journal_get_stats(j, &st);
	CHECK_EQ(st.lost_too_big, 2);
	CHECK_EQ(st.lost, 2);
	journal_close(j);
	free(big);
	rm_rf(dir);
}

/* ---- alerts ---- */

struct find_alert {
	int alerts;
};

static int find_alert_rec(void *ctx, const struct journal_rec *r)
{
	struct find_alert *f = ctx;

	if (r->kind == JREC_ALERT && memmem(r->json, r->len, "Mass deletion", 13))
		f->alerts++;
	return 0;
}

TEST(journal_alert_is_on_disk_at_once)
{
	char *dir = mktmp();
	struct journal_opts o = { .flush_ms = 60000 }; /* only the alert may cause a write */
	struct journal *j = open_j(dir, &o);
	static const char alert[] = "{\"time\":\"2026-11-24T19:20:00Z\",\"rule\":\"Mass deletion\"}";
	struct journal_stats st;
	struct bw_event e;
	double t0 = mono(), dt = 0;
	int found = 0;

	for (int i = 0; i < 100; i++)
		put_event(j, i, JREC_EVENT, 7);
	event_reset(&e);
	e.time_ns = 1790000000000005000ull;
	e.type = BW_EVT_UNLINKAT;
	journal_append(j, JREC_ALERT, &e, alert, sizeof(alert) - 1);
	while (!found && (dt = mono() - t0) < 2.0) {
		struct find_alert f = { 0 };
		struct journal_scan s = { .on_rec = find_alert_rec, .ctx = &f };
		char err[256];

		journal_scan_dir(&s, dir, err, sizeof(err));
		found = f.alerts;
		if (!found)
			usleep(2000);
	}
	CHECK_EQ(found, 1);
	CHECK(dt < 0.5);
	/* the block is readable once written; its fdatasync is counted right after */
	for (journal_get_stats(j, &st); st.fsyncs < 1 && mono() - t0 < 0.5; journal_get_stats(j, &st))
		usleep(1000);
	CHECK(st.fsyncs >= 1);
	CHECK_EQ(st.records, 101);
	journal_close(j);
	rm_rf(dir);
}

TEST(journal_flushes_within_flush_interval)
{
	char *dir = mktmp();
	struct journal_opts o = { .flush_ms = 200 };
	struct journal *j = open_j(dir, &o);
	struct collect *c = calloc(1, sizeof(*c));
	double t0 = mono();

	put_event(j, 1, JREC_EVENT, 7);
	while (mono() - t0 < 2.0) {
		scan_all(dir, c, NULL);
		if (c->n)
			break;
		usleep(10000);
	}
	CHECK_EQ(c->n, 1);
	CHECK(mono() - t0 < 0.5);
	journal_close(j);
	free(c);
	rm_rf(dir);
}

/* ---- disk full ---- */

TEST(journal_disk_full_counts_raises_once_and_recovers)
{
	char *dir = mktmp();
	struct gate g = { 0 };
	struct journal_opts o = { .pwrite_fn = gated_pwrite, .pwrite_ctx = &g };
	struct journal *j = open_j(dir, &o);
	struct collect *c = calloc(1, sizeof(*c));
	struct journal_stats st;
	struct journal_scan s;
	bool b_absent = true;

	for (int i = 0; i < 100; i++)
		put_event(j, i, JREC_EVENT, 7);
	CHECK_EQ(journal_sync(j, 5000), 0);
	CHECK(!journal_take_disk_full_edge(j));

	g.enospc = 1;
	for (int i = 100; i < 200; i++)
		put_event(j, i, JREC_EVENT, 7);
	CHECK_EQ(journal_sync(j, 5000), -EIO);
	journal_get_stats(j, &st);
	CHECK(st.disk_full);
	CHECK(st.write_errors >= 1);
	CHECK_EQ(st.lost_write, 100);
	CHECK(strstr(st.last_error, "No space left on device"));
	CHECK(strstr(st.last_error, dir));
	CHECK(journal_take_disk_full_edge(j));  /* one alert ... */
	CHECK(!journal_take_disk_full_edge(j)); /* ... not two */
	for (int i = 200; i < 300; i++)
		put_event(j, i, JREC_EVENT, 7);
	CHECK_EQ(journal_sync(j, 5000), -EIO);
	CHECK(!journal_take_disk_full_edge(j)); /* still full: no new edge */

	g.enospc = 0; /* space is back */
	for (int i = 300; i < 400; i++)
		put_event(j, i, JREC_EVENT, 7);
	CHECK_EQ(journal_sync(j, 5000), 0);
	journal_get_stats(j, &st);
	CHECK(!st.disk_full);
	CHECK_EQ(st.lost_write, 200);
	CHECK_EQ(st.records, 200);

	g.enospc = 1; /* full again: a new edge */
	put_event(j, 400, JREC_EVENT, 7);
	journal_sync(j, 5000);
	CHECK(journal_take_disk_full_edge(j));
	g.enospc = 0;
	journal_close(j);

	/* Nothing written before was damaged; the gap is on record. */
	s = scan_all(dir, c, stderr);
	CHECK_EQ(s.damaged, 0);
	CHECK_EQ(c->n, 200);
	for (int i = 0; i < c->n; i++)
		b_absent &= c->idx[i] < 100 || c->idx[i] >= 300;
	CHECK(b_absent);
	CHECK_EQ(c->idx[0], 0);
	CHECK_EQ(c->idx[199], 399);
	CHECK(c->notes >= 1);
	CHECK_EQ(c->note_lost, 200);
	free(c);
	rm_rf(dir);
}

/* ---- open errors ---- */

TEST(journal_open_errors_are_clear)
{
	char *dir = mktmp(), file[512], bad[600], err[512];
	struct journal_opts o = { 0 };
	struct journal *j = NULL, *j2 = NULL;

	snprintf(file, sizeof(file), "%s/plainfile", dir);
	write_file(file, (const uint8_t *)"x", 1);
	snprintf(bad, sizeof(bad), "%s/journal", file);
	o.dir = bad;
	CHECK(journal_open(&o, &j, err, sizeof(err)) < 0);
	CHECK(!j);
	CHECK(strstr(err, "journal: cannot create"));
	CHECK(strstr(err, file));
	CHECK(strstr(err, "Not a directory"));
	CHECK(strstr(err, "pass --journal DIR"));

	/* Two writers on one directory would interleave segments: refused. */
	o.dir = dir;
	CHECK_EQ(journal_open(&o, &j, err, sizeof(err)), 0);
	CHECK(journal_open(&o, &j2, err, sizeof(err)) < 0);
	CHECK(strstr(err, "in use by another bulwark"));
	journal_close(j);
	rm_rf(dir);
}

int main(void)
{
	return unit_main();
}
