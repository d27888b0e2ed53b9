// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Journal format helpers and the damage-tolerant reader used by `bulwark dump`. */
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

/*
 * Stable type codes written in record headers. They equal the enum bw_evt
 * values of today, but are a separate table on purpose: the enum is free to
 * change, the file format is not. Append only; never reuse a code.
 */
static const char *const type_codes[] = {
	[0] = NULL, /* not in this table: look at the JSON "evt.type" */
	[1] = "execve", [2] = "fork", [3] = "exit", [4] = "unlink", [5] = "unlinkat",
	[6] = "rmdir", [7] = "rename", [8] = "renameat", [9] = "renameat2",
	[10] = "truncate", [11] = "ftruncate", [12] = "db_query", [13] = "db_connect",
	[14] = "db_tls", [15] = "kill", [16] = "drop",
};
#define NCODES (sizeof(type_codes) / sizeof(type_codes[0]))

uint8_t journal_type_code(enum bw_evt t)
{
	/* Filled on first use; racing first uses write the same bytes. */
	static uint8_t map[BW_EVT_MAX];
	static volatile int ready;

	if ((unsigned)t >= BW_EVT_MAX)
		return 0;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < BW_EVT_MAX; i++) {
			const char *n = event_type_name(i);

			map[i] = 0;
			for (unsigned c = 1; c < NCODES; c++)
				if (!strcmp(n, type_codes[c]))
					map[i] = (uint8_t)c;
		}
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	return map[t];
}

const char *journal_type_code_name(uint8_t code)
{
	return code < NCODES ? type_codes[code] : NULL;
}

uint64_t journal_bloom_bit(uint64_t session)
{
	uint64_t h = session * 0x9E3779B97F4A7C15ull;

	return 1ull << (h >> 58) | 1ull << ((h >> 52) & 63);
}

bool journal_bloom_may_have(uint64_t bloom, uint64_t session)
{
	uint64_t b = journal_bloom_bit(session);

	return (bloom & b) == b;
}

void journal_block_header_write(uint8_t *p, const struct journal_block_info *bi)
{
	memcpy(p, JOURNAL_BLK_MAGIC, 4);
	journal_put_le16(p + 4, JOURNAL_VERSION);
	journal_put_le16(p + 6, JOURNAL_BLK_HDR_LEN);
	journal_put_le32(p + 8, bi->nrec);
	journal_put_le32(p + 12, bi->raw_len);
	journal_put_le32(p + 16, bi->comp_len);
	journal_put_le32(p + 20, bi->type_mask);
	journal_put_le64(p + 24, bi->min_time_ns);
	journal_put_le64(p + 32, bi->max_time_ns);
	journal_put_le64(p + 40, bi->session_bloom);
	journal_put_le16(p + 48, bi->kind_mask);
	journal_put_le16(p + 50, bi->flags);
	journal_put_le32(p + 52, 0);
	journal_put_le32(p + 56, bi->payload_crc);
	journal_put_le32(p + 60, (uint32_t)crc32(0, p, 60));
}

int journal_block_header_parse(const uint8_t *p, struct journal_block_info *bi)
{
	if (memcmp(p, JOURNAL_BLK_MAGIC, 4) || journal_get_le32(p + 60) != (uint32_t)crc32(0, p, 60))
		return -EINVAL;
	bi->nrec = journal_get_le32(p + 8);
	bi->raw_len = journal_get_le32(p + 12);
	bi->comp_len = journal_get_le32(p + 16);
	bi->type_mask = journal_get_le32(p + 20);
	bi->min_time_ns = journal_get_le64(p + 24);
	bi->max_time_ns = journal_get_le64(p + 32);
	bi->session_bloom = journal_get_le64(p + 40);
	bi->kind_mask = journal_get_le16(p + 48);
	bi->flags = journal_get_le16(p + 50);
	bi->payload_crc = journal_get_le32(p + 56);
	if (journal_get_le16(p + 6) != JOURNAL_BLK_HDR_LEN || bi->comp_len > JOURNAL_MAX_BLOCK_RAW)
		return -EINVAL;
	/* Newer blocks keep this header, so they can be skipped by comp_len. */
	if (journal_get_le16(p + 4) > JOURNAL_VERSION)
		return -EPROTO;
	if (bi->raw_len > JOURNAL_MAX_BLOCK_RAW || (uint64_t)bi->nrec * JOURNAL_REC_HDR_LEN > bi->raw_len)
		return -EINVAL;
	return 0;
}

void journal_seg_header_write(uint8_t *p, uint64_t created_ns, uint64_t seq, uint32_t pid,
			      const char *host)
{
	size_t hl = host ? strnlen(host, 63) : 0;

	memset(p, 0, JOURNAL_SEG_HDR_LEN);
	memcpy(p, JOURNAL_SEG_MAGIC, 4);
	journal_put_le16(p + 4, JOURNAL_VERSION);
	journal_put_le16(p + 6, JOURNAL_SEG_HDR_LEN);
	journal_put_le64(p + 8, created_ns);
	journal_put_le64(p + 16, seq);
	journal_put_le32(p + 24, pid);
	if (hl)
		memcpy(p + 32, host, hl);
	journal_put_le32(p + 124, (uint32_t)crc32(0, p, 124));
}

static bool is_segment_name(const char *n)
{
	size_t l = strlen(n);

	return l > 8 && !strncmp(n, "seg-", 4) && !strcmp(n + l - 4, ".bwj");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void journal_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int journal_list_segments(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_segment_name(de->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		if (!(v[cnt] = strdup(de->d_name))) {
			rc = -ENOMEM;
			goto out;
		}
		cnt++;
	}
	/* Names carry a zero-padded start time, so name order is time order. */
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_names);
out:
	closedir(d);
	if (rc) {
		journal_free_names(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

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
	if (!r->zs_ready) {
		memset(&r->zs, 0, sizeof(r->zs));
		if (inflateInit(&r->zs) != Z_OK)
			return -ENOMEM;
		r->zs_ready = true;
	} else {
		inflateReset(&r->zs);
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

		rec.len = journal_get_le32(p);
		rec.kind = p[4];
		rec.type = p[5];
		rec.time_ns = journal_get_le64(p + 8);
		rec.session = journal_get_le64(p + 16);
		rec.pid = journal_get_le32(p + 24);
		rec.ppid = journal_get_le32(p + 28);
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
	int rc = 0;

	if (r->size < JOURNAL_SEG_HDR_LEN || pread_full(r->fd, hdr, sizeof(hdr), 0) != sizeof(hdr) ||
	    memcmp(hdr, JOURNAL_SEG_MAGIC, 4) || journal_get_le32(hdr + 124) != (uint32_t)crc32(0, hdr, 124) ||
	    journal_get_le16(hdr + 6) != JOURNAL_SEG_HDR_LEN) {
		if (r->size == 0)
			return 0; /* created, nothing written yet */
		damage_resync(r, 0, "no valid segment header (expected \"" JOURNAL_SEG_MAGIC "\")", &off);
	} else if (journal_get_le16(hdr + 4) > JOURNAL_VERSION) {
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
