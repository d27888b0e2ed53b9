// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: the journal reader behind `bulwark dump`, through the
 * public API of journal/journal.h only. At start a real segment is written
 * with the journal writer (many small blocks) and read once to learn which
 * records each block holds. Each input is a list of damages (5 bytes each:
 * a little-endian offset and an XOR mask, or a truncation when the mask is
 * 0) applied to a copy of the segment after its header. The check: every
 * block none of whose bytes was touched delivers all its records, unchanged
 * and in order, whatever happened to the blocks around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "journal/journal.h"
/* the segment layout, to damage blocks but not the segment header */
#include "journal/journal_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define NREC 400
#define MAXBLK 256

struct blk {                 /* one block of the clean segment */
	uint64_t off, end;       /* its bytes: header and payload */
	int first, n;            /* its records: recs[first .. first+n) */
};

static char dir[64], seg[256], work[256];
static uint8_t *clean;
static size_t clean_len;
static struct blk blks[MAXBLK];
static int nblk;
static char *recs[NREC];
static uint32_t rlen[NREC];
static int nrecs;

static int learn(void *ctx, const struct journal_rec *r)
{
	(void)ctx;
	if (nrecs == NREC || !(recs[nrecs] = malloc(r->len ? r->len : 1)))
		abort();
	memcpy(recs[nrecs], r->json, r->len);
	rlen[nrecs] = r->len;
	if (!nblk || blks[nblk - 1].off != r->block_off) {
		if (nblk == MAXBLK)
			abort();
		blks[nblk++] = (struct blk){ .off = r->block_off, .first = nrecs };
	}
	blks[nblk - 1].n++;
	nrecs++;
	return 0;
}

static void write_clean(void)
{
	struct journal_opts o = { .dir = dir, .block_bytes = 2048, .hostname = "fuzz" };
	struct journal *j;
	char err[256], line[300];
	char **names;
	size_t n;

	if (journal_open(&o, &j, err, sizeof(err)))
		abort();
	for (int i = 0; i < NREC; i++) {
		struct bw_event e;
		int l;

		event_reset(&e);
		e.time_ns = 1795548000000000000ull + (uint64_t)i * 1000;
		e.sessionid = (uint64_t)(i % 7);
		e.pid = (uint64_t)(100 + i);
		e.type = i % 3 ? BW_EVT_UNLINKAT : BW_EVT_EXECVE;
		event_set_present(&e, FLD_EVT_TIME);
		event_set_present(&e, FLD_SESSION_ID);
		event_set_present(&e, FLD_PROC_PID);
		l = snprintf(line, sizeof(line), "{\"evt.time\":%llu,\"evt.type\":\"%s\",\"proc.pid\":%d,"
			     "\"fd.name\":\"/srv/pgdata/base/%d/%0*d\"}", (unsigned long long)e.time_ns,
			     i % 3 ? "unlinkat" : "execve", 100 + i, i, i % 90, 0);
		journal_append(j, i % 50 == 49 ? JREC_ALERT : JREC_EVENT, &e, line, (size_t)l);
	}
	journal_close(j);
	if (journal_list_segments(dir, &names, &n) || n != 1)
		abort();
	snprintf(seg, sizeof(seg), "%s/%s", dir, names[0]);
	journal_free_names(names, n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct journal_scan s = { .on_rec = learn };
	struct stat st;
	FILE *f;

	(void)argc, (void)argv;
	snprintf(dir, sizeof(dir), "/dev/shm/bw-fuzz-journal-%d", (int)getpid());
	snprintf(work, sizeof(work), "%s-work.bwj", dir);
	write_clean();
	if (journal_scan_file(&s, seg) || nrecs != NREC || nblk < 8 || stat(seg, &st))
		abort(); /* the clean segment must read back whole, in several blocks */
	clean_len = (size_t)st.st_size;
	if (!(clean = malloc(clean_len)) || !(f = fopen(seg, "rb")) ||
	    fread(clean, 1, clean_len, f) != clean_len)
		abort();
	fclose(f);
	for (int b = 0; b < nblk; b++)
		blks[b].end = b + 1 < nblk ? blks[b + 1].off : clean_len;
	unlink(seg);
	rmdir(dir);
	return 0;
}

struct check {
	const bool *damaged;
	int *next;              /* per block: index of the next record expected */
};

static int on_rec(void *ctx, const struct journal_rec *r)
{
	struct check *c = ctx;

	for (int b = 0; b < nblk; b++) {
		int k;

		if (blks[b].off != r->block_off)
			continue;
		if (c->damaged[b])
			return 0; /* anything may come out of a damaged block */
		k = blks[b].first + c->next[b]++;
		if (c->next[b] > blks[b].n || r->len != rlen[k] || memcmp(r->json, recs[k], r->len))
			abort(); /* an undamaged block gave a record that is not its own */
		return 0;
	}
	return 0; /* an offset inside a damaged region: a resync found something */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(clean_len);
	size_t len = clean_len;
	bool damaged[MAXBLK] = { 0 };
	int next[MAXBLK] = { 0 };
	struct check c = { damaged, next };
	struct journal_scan s = { .on_rec = on_rec, .ctx = &c };
	int fd;

	if (!buf)
		abort();
	memcpy(buf, clean, clean_len);
	for (size_t i = 0; i + 5 <= size && i < 5 * 16; i += 5) {
		uint32_t off = JOURNAL_SEG_HDR_LEN +
			       journal_get_le32(data + i) % (uint32_t)(clean_len - JOURNAL_SEG_HDR_LEN);
		if (data[i + 4])
			buf[off] ^= data[i + 4];
		else if (off < len)
			len = off; /* a torn tail */
		for (int b = 0; b < nblk; b++)
			if (data[i + 4] ? (off >= blks[b].off && off < blks[b].end) : blks[b].end > off)
				damaged[b] = true;
	}
	fd = open(work, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	if (journal_scan_file(&s, work) < 0)
		abort();
	for (int b = 0; b < nblk; b++)
		if (!damaged[b] && next[b] != blks[b].n)
			abort(); /* an undamaged block lost records */
	unlink(work);
	free(buf);
	return 0;
}
