// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Spool: segment files of checksummed records, a cursor rewritten in place, recovery at open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <zlib.h>
#include "outputs/spool.h"

#define CURSOR_MAGIC 0x43535742u /* "BWSC" */
#define REC_HDR 8u
/* Segments stay small enough that a delivered head segment frees its space soon. */
#define SEG_MAX_DEFAULT (1u << 20)

struct seg {
	uint64_t seq;          /* file name: %016llx.seg */
	uint64_t size;         /* bytes on disk */
};

struct spool {
	int dirfd;
	int cursor_fd;
	int read_fd;           /* segs[0], opened lazily */
	int write_fd;          /* segs[nsegs - 1], opened lazily */
	uint64_t max_bytes;
	uint64_t seg_max;
	struct seg *segs;      /* oldest first; segs[0] holds the cursor */
	size_t nsegs, capsegs;
	uint64_t next_seq;     /* name of the next segment */
	uint64_t read_off;     /* next record in segs[0] */
	uint64_t bytes;        /* sum of segs[].size */
	uint32_t peeked;       /* length of the record spool_peek() returned, 0 if none */
	struct spool_stats st;
};

static void seg_name(char *buf, size_t n, uint64_t seq)
{
	snprintf(buf, n, "%016llx.seg", (unsigned long long)seq);
}

static int mkdir_p(const char *dir)
{
	char tmp[4096];
	size_t n = strlen(dir);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int add_seg(struct spool *s, uint64_t seq, uint64_t size)
{
	if (s->nsegs == s->capsegs) {
		size_t cap = s->capsegs ? s->capsegs * 2 : 16;
		struct seg *n = realloc(s->segs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->segs = n;
		s->capsegs = cap;
	}
	s->segs[s->nsegs++] = (struct seg){ seq, size };
	s->bytes += size;
	if (seq >= s->next_seq)
		s->next_seq = seq + 1;
	return 0;
}

static int write_cursor(struct spool *s)
{
	unsigned char buf[24];
	uint64_t seq = s->nsegs ? s->segs[0].seq : s->next_seq, off = s->nsegs ? s->read_off : 0;
	uint32_t magic = CURSOR_MAGIC, crc;

	memcpy(buf + 8, &seq, 8);
	memcpy(buf + 16, &off, 8);
	crc = (uint32_t)crc32(0, buf + 8, 16);
	memcpy(buf, &magic, 4);
	memcpy(buf + 4, &crc, 4);
	/* one small pwrite at offset 0: never torn across a page */
	if (pwrite(s->cursor_fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return -errno ? -errno : -EIO;
	return 0;
}

static bool read_cursor(struct spool *s, uint64_t *seq, uint64_t *off)
{
	unsigned char buf[24];
	uint32_t magic, crc;

	if (pread(s->cursor_fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return false;
	memcpy(&magic, buf, 4);
	memcpy(&crc, buf + 4, 4);
	if (magic != CURSOR_MAGIC || crc != (uint32_t)crc32(0, buf + 8, 16))
		return false;
	memcpy(seq, buf + 8, 8);
	memcpy(off, buf + 16, 8);
	return true;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Drops segs[0] (fully delivered). */
static void drop_head(struct spool *s)
{
	char name[32];

	seg_name(name, sizeof(name), s->segs[0].seq);
	unlinkat(s->dirfd, name, 0);
	s->bytes -= s->segs[0].size;
	close_fd(&s->read_fd);
	if (s->nsegs == 1)
		close_fd(&s->write_fd);
	memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
	s->nsegs--;
	s->read_off = 0;
}

static int open_seg(struct spool *s, uint64_t seq, int flags)
{
	char name[32];

	seg_name(name, sizeof(name), seq);
	return openat(s->dirfd, name, flags | O_CLOEXEC, 0640);
}

/*
 * Reads the record header at off of fd; 0 and *len when a whole valid
 * record is there, -EBADMSG when damaged or cut short.
 */
static int check_record(int fd, uint64_t off, uint64_t size, uint32_t *len, struct jbuf *b)
{
	unsigned char hdr[REC_HDR];
	uint32_t l, crc;

	if (size - off < REC_HDR || pread(fd, hdr, REC_HDR, (off_t)off) != REC_HDR)
		return -EBADMSG;
	memcpy(&l, hdr, 4);
	memcpy(&crc, hdr + 4, 4);
	if (!l || l > SPOOL_MAX_RECORD || size - off - REC_HDR < l)
		return -EBADMSG;
	jbuf_reset(b);
	if (b->cap < (size_t)l + 1) {
		char *p = realloc(b->p, (size_t)l + 1);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = (size_t)l + 1;
	}
	if (pread(fd, b->p, l, (off_t)(off + REC_HDR)) != (ssize_t)l)
		return -EBADMSG;
	if ((uint32_t)crc32(0, (const unsigned char *)b->p, l) != crc)
		return -EBADMSG;
	b->len = l;
	b->p[l] = 0;
	*len = l;
	return 0;
}

/* Counts the records from the cursor on; cuts each segment at its first damage. */
static int recover(struct spool *s)
{
	struct jbuf b = { 0 };
	int rc = 0;

	for (size_t i = 0; i < s->nsegs; i++) {
		uint64_t off = i == 0 ? s->read_off : 0;
		uint32_t len;
		int fd = open_seg(s, s->segs[i].seq, O_RDWR);

		if (fd < 0) {
			rc = -errno;
			break;
		}
		while (off < s->segs[i].size) {
			int e = check_record(fd, off, s->segs[i].size, &len, &b);

			if (e == -ENOMEM) {
				rc = e;
				break;
			}
			if (e) {
				/* a write cut short by a crash, or damage: keep what precedes it */
				s->st.corrupt++;
				if (!ftruncate(fd, (off_t)off)) {
					s->bytes -= s->segs[i].size - off;
					s->segs[i].size = off;
				}
				break;
			}
			off += REC_HDR + len;
			s->st.pending++;
		}
		close(fd);
		if (rc)
			break;
	}
	jbuf_free(&b);
	return rc;
}

int spool_open(const char *dir, uint64_t max_bytes, struct spool **out, char *err, size_t errlen)
{
	struct spool *s;
	struct dirent *de;
	DIR *d = NULL;
	uint64_t cseq = 0, coff = 0;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "spool %s: out of memory", dir);
		return -ENOMEM;
	}
	s->dirfd = s->cursor_fd = s->read_fd = s->write_fd = -1;
	s->max_bytes = max_bytes;
	s->seg_max = max_bytes / 8 < SEG_MAX_DEFAULT ? max_bytes / 8 : SEG_MAX_DEFAULT;
	if (s->seg_max < 4096)
		s->seg_max = 4096;
	rc = mkdir_p(dir);
	if (rc) {
		snprintf(err, errlen, "spool %s: cannot create the directory: %s; create it or choose "
			 "another spool= directory", dir, strerror(-rc));
		goto fail;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "spool %s: cannot open the directory: %s", dir, strerror(-rc));
		goto fail;
	}
	s->cursor_fd = openat(s->dirfd, "cursor", O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (s->cursor_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "spool %s: cannot open its cursor file: %s", dir, strerror(-rc));
		goto fail;
	}
	d = fdopendir(dup(s->dirfd));
	if (!d) {
		rc = -errno;
		snprintf(err, errlen, "spool %s: cannot list it: %s", dir, strerror(-rc));
		goto fail;
	}
	while ((de = readdir(d))) {
		unsigned long long seq;
		struct stat st;
		char tail[8];

		if (sscanf(de->d_name, "%16llx.%3s", &seq, tail) != 2 || strcmp(tail, "seg") ||
		    strlen(de->d_name) != 20)
			continue;
		if (fstatat(s->dirfd, de->d_name, &st, 0) || !S_ISREG(st.st_mode))
			continue;
		rc = add_seg(s, seq, (uint64_t)st.st_size);
		if (rc) {
			snprintf(err, errlen, "spool %s: out of memory", dir);
			goto fail;
		}
	}
	qsort(s->segs, s->nsegs, sizeof(*s->segs), cmp_seg);
	if (read_cursor(s, &cseq, &coff)) {
		if (cseq >= s->next_seq)
			s->next_seq = cseq + 1;
		/* segments before the cursor's were delivered */
		while (s->nsegs && s->segs[0].seq < cseq)
			drop_head(s);
		if (s->nsegs && s->segs[0].seq == cseq)
			s->read_off = coff <= s->segs[0].size ? coff : s->segs[0].size;
	}
	rc = recover(s);
	if (rc) {
		snprintf(err, errlen, "spool %s: cannot read its segments: %s", dir, strerror(-rc));
		goto fail;
	}
	while (s->nsegs && s->read_off >= s->segs[0].size && (s->nsegs > 1 || !s->st.pending))
		drop_head(s);
	s->st.bytes = s->bytes;
	closedir(d);
	*out = s;
	return 0;
fail:
	if (d)
		closedir(d);
	spool_close(s);
	return rc;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	close_fd(&s->read_fd);
	close_fd(&s->write_fd);
	close_fd(&s->cursor_fd);
	close_fd(&s->dirfd);
	free(s->segs);
	free(s);
}

int spool_append(struct spool *s, const void *p, size_t len, char *err, size_t errlen)
{
	uint32_t l = (uint32_t)len, crc;
	unsigned char hdr[REC_HDR];
	struct iovec iov[2];
	struct seg *t;
	ssize_t w;
	int e;

	if (!len || len > SPOOL_MAX_RECORD) {
		s->st.refused++;
		snprintf(err, errlen, "record of %zu bytes: the spool holds 1 to %u bytes", len,
			 SPOOL_MAX_RECORD);
		return -EFBIG;
	}
	if (s->bytes + REC_HDR + len > s->max_bytes) {
		s->st.refused++;
		snprintf(err, errlen, "spool full (%llu of %llu bytes); raise spool_max= or bring the "
			 "receiver back", (unsigned long long)s->bytes, (unsigned long long)s->max_bytes);
		return -ENOSPC;
	}
	t = s->nsegs ? &s->segs[s->nsegs - 1] : NULL;
	if (!t || (t->size && t->size + REC_HDR + len > s->seg_max)) {
		e = add_seg(s, s->next_seq, 0);
		if (e) {
			s->st.refused++;
			snprintf(err, errlen, "spool: out of memory");
			return e;
		}
		close_fd(&s->write_fd);
		t = &s->segs[s->nsegs - 1];
	}
	if (s->write_fd < 0) {
		s->write_fd = open_seg(s, t->seq, O_WRONLY | O_CREAT | O_APPEND);
		if (s->write_fd < 0) {
			e = -errno;
			s->st.refused++;
			snprintf(err, errlen, "spool: cannot open a segment: %s", strerror(-e));
			if (!t->size)
				s->nsegs--;
			return e == -EDQUOT ? -ENOSPC : e;
		}
	}
	crc = (uint32_t)crc32(0, p, l);
	memcpy(hdr, &l, 4);
	memcpy(hdr + 4, &crc, 4);
	iov[0] = (struct iovec){ hdr, REC_HDR };
	iov[1] = (struct iovec){ (void *)p, len };
	w = writev(s->write_fd, iov, 2);
	if (w != (ssize_t)(REC_HDR + len)) {
		e = w < 0 ? errno : ENOSPC;
		/* take a partial record back: recovery would cut it anyway */
		if (ftruncate(s->write_fd, (off_t)t->size))
			(void)0;
		s->st.refused++;
		snprintf(err, errlen, "spool: cannot write: %s", strerror(e));
		if (e == EFBIG || e == EDQUOT)
			e = ENOSPC;
		return -e;
	}
	t->size += REC_HDR + len;
	s->bytes += REC_HDR + len;
	s->st.appended++;
	s->st.pending++;
	s->st.bytes = s->bytes;
	return 0;
}

int spool_peek(struct spool *s, struct jbuf *b)
{
	uint32_t len;
	int e;

	s->peeked = 0;
	while (s->st.pending) {
		if (!s->nsegs)
			break;
		if (s->read_off >= s->segs[0].size) {
			if (s->nsegs == 1)
				break;
			drop_head(s);
			write_cursor(s);
			continue;
		}
		if (s->read_fd < 0) {
			s->read_fd = open_seg(s, s->segs[0].seq, O_RDONLY);
			if (s->read_fd < 0)
				return -errno;
		}
		e = check_record(s->read_fd, s->read_off, s->segs[0].size, &len, b);
		if (e == -ENOMEM)
			return e;
		if (e) {
			/* damaged since recovery: skip the rest of this segment */
			s->st.corrupt++;
			s->read_off = s->segs[0].size;
			continue;
		}
		s->peeked = len;
		return 0;
	}
	s->st.pending = 0;
	return -ENOENT;
}

int spool_pop(struct spool *s)
{
	if (!s->peeked)
		return -EINVAL;
	s->read_off += REC_HDR + s->peeked;
	s->peeked = 0;
	s->st.pending--;
	s->st.delivered++;
	/* a finished segment is deleted at once: its bytes count against the cap */
	if (s->read_off >= s->segs[0].size && (s->nsegs > 1 || !s->st.pending))
		drop_head(s);
	s->st.bytes = s->bytes;
	return write_cursor(s);
}

bool spool_empty(const struct spool *s)
{
	return s->st.pending == 0;
}

void spool_get_stats(const struct spool *s, struct spool_stats *st)
{
	*st = s->st;
}
