// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The damage-tolerant journal reader used by `bulwark dump`: scans segments, skips what is damaged. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "journal/journal.h"
#include "journal/journal_format.h"

/* Per-file reader state. */
struct rd {
	struct journal_scan *s;
	const char *path;
	const char *base;  /* file name for messages */
	int fd;
	uint64_t size;
	uint8_t *comp;     /* compressed payload buffer */
	size_t comp_cap;
	uint8_t *raw;      /* inflated payload buffer */
	size_t raw_cap;
	z_stream zs;
	bool zs_ready;
};

static int grow(uint8_t **p, size_t *cap, size_t need)
{
	uint8_t *np;

	if (need <= *cap)
		return 0;
	np = realloc(*p, need);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = need;
	return 0;
}

static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static void damage(struct rd *r, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void damage(struct rd *r, uint64_t off, const char *fmt, ...)
{
	struct journal_scan *s = r->s;
	va_list ap;

	if (!s->damaged++)
		snprintf(s->first_damage, sizeof(s->first_damage), "%s:%llu", r->base,
			 (unsigned long long)off);
	if (!s->warn)
		return;
	fprintf(s->warn, "dump: warning: %s: byte %llu: ", r->path, (unsigned long long)off);
	va_start(ap, fmt);
	vfprintf(s->warn, fmt, ap);
	va_end(ap);
	fputc('\n', s->warn);
}

/* The next offset >= from holding a valid block header, or r->size if none. */
static uint64_t resync(struct rd *r, uint64_t from)
{
	enum { WIN = 1 << 20 };
	uint8_t *win = malloc(WIN), hdr[JOURNAL_BLK_HDR_LEN];
	uint64_t off = from, found = r->size;
	struct journal_block_info bi;

	if (!win)
		return r->size;
	while (off + JOURNAL_BLK_HDR_LEN <= r->size) {
		ssize_t n = pread_full(r->fd, win, WIN, off);
		const uint8_t *p = win, *end;

		if (n < 4)
			break;
		end = win + n;
		while ((p = memmem(p, (size_t)(end - p), JOURNAL_BLK_MAGIC, 4))) {
			uint64_t at = off + (uint64_t)(p - win);

			if (at + JOURNAL_BLK_HDR_LEN <= r->size &&
			    pread_full(r->fd, hdr, sizeof(hdr), at) == sizeof(hdr) &&
			    journal_block_header_parse(hdr, &bi) != -EINVAL) {
				found = at;
				goto out;
			}
			p++;
		}
		if (n < WIN)
			break;
		off += (uint64_t)n - 3; /* the magic may straddle two windows */
	}
out:
	free(win);
	return found;
}

static void damage_resync(struct rd *r, uint64_t off, const char *why, uint64_t *next)
{
	uint64_t n = resync(r, off + 1);

	if (n < r->size)
		damage(r, off, "%s; skipped %llu bytes, resuming at the next block at byte %llu", why,
		       (unsigned long long)(n - off), (unsigned long long)n);
	else
		damage(r, off, "%s; no valid block after it (%llu bytes skipped)", why,
		       (unsigned long long)(r->size - off));
	*next = n;
}

/*
 * Inflates one block whose header is valid and checks its payload and
 * records. Returns 1 when the block is good (records in r->raw), 0 when
 * it is damaged (already reported), -ENOMEM.
 */
static int load_block(struct rd *r, uint64_t off, const struct journal_block_info *bi)
{
	const uint8_t *p, *end;
	int zrc;

	if (grow(&r->comp, &r->comp_cap, bi->comp_len + 1u) || grow(&r->raw, &r->raw_cap, bi->raw_len + 1u))
		return -ENOMEM;
	if (pread_full(r->fd, r->comp, bi->comp_len, off + JOURNAL_BLK_HDR_LEN) != (ssize_t)bi->comp_len) {
		damage(r, off, "block payload cannot be read (%s); skipped", strerror(errno ? errno : EIO));
		return 0;
	}
	if ((uint32_t)crc32(0, r->comp, bi->comp_len) != bi->payload_crc) {
		damage(r, off, "block checksum mismatch (CRC32 of %u compressed bytes); skipped %u records",
		       bi->comp_len, bi->nrec);
		return 0;
	}
	/* blocks of earlier builds are zlib streams; raw deflate since JOURNAL_BLK_F_RAW */
	if (!r->zs_ready) {
		memset(&r->zs, 0, sizeof(r->zs));
		if (inflateInit2(&r->zs, bi->flags & JOURNAL_BLK_F_RAW ? -15 : 15) != Z_OK)
			return -ENOMEM;
		r->zs_ready = true;
	} else if (inflateReset2(&r->zs, bi->flags & JOURNAL_BLK_F_RAW ? -15 : 15) != Z_OK) {
		return -ENOMEM;
	}
	r->zs.next_in = r->comp;
	r->zs.avail_in = bi->comp_len;
	r->zs.next_out = r->raw;
	r->zs.avail_out = bi->raw_len + 1u; /* one spare byte detects an overlong stream */
	zrc = inflate(&r->zs, Z_FINISH);
	if (zrc != Z_STREAM_END || r->zs.total_out != bi->raw_len) {
		damage(r, off, "block does not decompress (zlib: %s, %lu of %u bytes); skipped %u records",
		       zrc == Z_STREAM_END ? "wrong length" : r->zs.msg ? r->zs.msg : zError(zrc),
		       r->zs.total_out, bi->raw_len, bi->nrec);
		return 0;
	}
	p = r->raw;
	end = r->raw + bi->raw_len;
	for (uint32_t i = 0; i < bi->nrec; i++) {
		uint32_t len;

		if (end - p < JOURNAL_REC_HDR_LEN || (len = journal_get_le32(p)) > (size_t)(end - p) - JOURNAL_REC_HDR_LEN) {
			damage(r, off, "record %u of %u overruns its block; skipped the block", i, bi->nrec);
			return 0;
		}
		p += JOURNAL_REC_HDR_LEN + len;
	}
	if (p != end) {
		damage(r, off, "block has %zu bytes after its %u records; skipped the block",
		       (size_t)(end - p), bi->nrec);
		return 0;
	}
	return 1;
}

static int emit_block(struct rd *r, uint64_t off, const struct journal_block_info *bi)
{
	const uint8_t *p = r->raw;
	struct journal_rec rec = { .path = r->path, .block_off = off };

	for (uint32_t i = 0; i < bi->nrec; i++) {
		int rc;

		journal_rec_header_parse(p, &rec);
		rec.json = (const char *)p + JOURNAL_REC_HDR_LEN;
		p += JOURNAL_REC_HDR_LEN + rec.len;
		r->s->records++;
		rc = r->s->on_rec ? r->s->on_rec(r->s->ctx, &rec) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

static int scan_fd(struct rd *r)
{
	uint8_t hdr[JOURNAL_SEG_HDR_LEN];
	uint64_t off = 0;
	int rc = 0, hrc = 0;

	if (r->size < JOURNAL_SEG_HDR_LEN || pread_full(r->fd, hdr, sizeof(hdr), 0) != sizeof(hdr) ||
	    (hrc = journal_seg_header_check(hdr)) == -EINVAL) {
		if (r->size == 0)
			return 0; /* created, nothing written yet */
		damage_resync(r, 0, "no valid segment header (expected \"" JOURNAL_SEG_MAGIC "\")", &off);
	} else if (hrc == -EPROTO) {
		damage(r, 0, "segment format version %u is newer than this bulwark reads (%u); skipped "
			     "the file; use a newer bulwark", journal_get_le16(hdr + 4), JOURNAL_VERSION);
		return 0;
	} else {
		off = JOURNAL_SEG_HDR_LEN;
	}
	while (off < r->size) {
		uint8_t bh[JOURNAL_BLK_HDR_LEN];
		struct journal_block_info bi;
		uint64_t total;
		int prc;

		if (r->size - off < JOURNAL_BLK_HDR_LEN) {
			damage(r, off, "incomplete block header (%llu bytes at the end: torn tail after a "
				       "crash, or still being written); skipped",
			       (unsigned long long)(r->size - off));
			break;
		}
		if (pread_full(r->fd, bh, sizeof(bh), off) != sizeof(bh)) {
			damage(r, off, "cannot read (%s); skipped the rest of the file", strerror(errno ? errno : EIO));
			break;
		}
		prc = journal_block_header_parse(bh, &bi);
		if (prc == -EINVAL) {
			damage_resync(r, off, "bad block header (magic, checksum or length)", &off);
			continue;
		}
		total = JOURNAL_BLK_HDR_LEN + (uint64_t)bi.comp_len;
		if (off + total > r->size) {
			uint64_t n = resync(r, off + 1);

			if (n >= r->size) {
				damage(r, off, "incomplete block (%llu of %llu bytes: torn tail after a crash, or "
					       "still being written); skipped %u records",
				       (unsigned long long)(r->size - off), (unsigned long long)total, bi.nrec);
				break;
			}
			damage(r, off, "block length runs past a later block; skipped to byte %llu",
			       (unsigned long long)n);
			off = n;
			continue;
		}
		if (prc == -EPROTO) {
			damage(r, off, "block format version %u is newer than this bulwark reads (%u); skipped",
			       journal_get_le16(bh + 4), JOURNAL_VERSION);
			off += total;
			continue;
		}
		r->s->blocks++;
		if (r->s->want_block && !r->s->want_block(r->s->ctx, &bi)) {
			r->s->blocks_skipped++;
			off += total;
			continue;
		}
		rc = load_block(r, off, &bi);
		if (rc < 0)
			return rc;
		if (rc == 1 && (rc = emit_block(r, off, &bi)))
			return rc;
		rc = 0;
		off += total;
	}
	return rc;
}

int journal_scan_file(struct journal_scan *s, const char *path)
{
	struct rd r = { .s = s, .path = path, .fd = -1 };
	struct stat st;
	const char *slash = strrchr(path, '/');
	int rc;

	r.base = slash ? slash + 1 : path;
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return -errno;
	if (fstat(r.fd, &st)) {
		rc = -errno;
		goto out;
	}
	/* A snapshot of the size: a live writer may add blocks behind us. */
	r.size = (uint64_t)st.st_size;
	s->segments++;
	rc = scan_fd(&r);
out:
	if (r.zs_ready)
		inflateEnd(&r.zs);
	free(r.comp);
	free(r.raw);
	close(r.fd);
	return rc;
}

int journal_scan_dir(struct journal_scan *s, const char *dir, char *err, size_t errlen)
{
	char **names = NULL, *path = NULL;
	size_t n = 0;
	int rc;

	rc = journal_list_segments(dir, &names, &n);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "journal directory %s does not exist; pass --journal DIR "
				      "(the daemon's --journal, default " JOURNAL_DEFAULT_DIR ")", dir);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "cannot read journal directory %s: %s%s", dir, strerror(-rc),
			 rc == -EACCES ? "; run as root or as the user that runs bulwark" : "");
		return rc;
	}
	if (!n) {
		snprintf(err, errlen, "no journal segments (seg-*.bwj) in %s; is this the directory "
				      "the daemon writes (bulwark run --journal DIR)?", dir);
		rc = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		free(path);
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			path = NULL;
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		rc = journal_scan_file(s, path);
		if (rc == -ENOENT) { /* deleted by retention while we read */
			rc = 0;
			continue;
		}
		if (rc < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
			goto out;
		}
		if (rc)
			goto out;
	}
out:
	free(path);
	journal_free_names(names, n);
	return rc;
}
