// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The writer's segment files: the directory, creating and closing segments, writes, retention by size and age. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "journal/journal_format.h"
#include "journal/journal_int.h"

int journal_seg_write(struct journal *j, int fd, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = j->o.pwrite_fn ? j->o.pwrite_fn(j->o.pwrite_ctx, fd, (const char *)buf + done,
							    n - done, (off_t)(off + done))
					   : pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -ENOSPC;
		done += (size_t)w;
	}
	return 0;
}

void journal_seg_close(struct journal *j)
{
	if (j->seg_fd < 0)
		return;
	if (j->seg_dirty && !fdatasync(j->seg_fd))
		relaxed_inc(&j->fsyncs, 1);
	/* Drop whatever a failed write may have left past the good end. */
	if (ftruncate(j->seg_fd, (off_t)j->seg_off)) {
		/* The reader skips it anyway: it fails the CRC or is a torn tail. */
	}
	close(j->seg_fd);
	j->seg_fd = -1;
	j->seg_dirty = false;
}

/* Creates the next segment and writes its header. 0 or -errno. */
int journal_seg_open(struct journal *j)
{
	uint8_t hdr[JOURNAL_SEG_HDR_LEN];
	uint64_t t = now_ns();
	int fd, rc;

	journal_seg_name(j->seg_name, sizeof(j->seg_name), t, j->seg_seq + 1);
	fd = openat(j->dirfd, j->seg_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	journal_seg_header_write(hdr, t, j->seg_seq + 1, (uint32_t)getpid(), j->host);
	rc = journal_seg_write(j, fd, hdr, sizeof(hdr), 0);
	if (rc) {
		unlinkat(j->dirfd, j->seg_name, 0);
		close(fd);
		return rc;
	}
	/* Make the new name durable, so an fsynced alert is findable after a crash. */
	fsync(j->dirfd);
	j->seg_seq++;
	j->seg_fd = fd;
	j->seg_off = sizeof(hdr);
	j->seg_dirty = true;
	relaxed_inc(&j->segs_created, 1);
	return 0;
}

/*
 * Retention: delete the oldest segments while the total is over max_bytes,
 * and any segment last written more than max_age_s ago. The segment being
 * written is never deleted. A full disk does not delete anything early:
 * the trace may be what an incident needs, and filling the disk must not
 * become a way to erase it.
 */
void journal_seg_retention(struct journal *j)
{
	char **names;
	size_t n;
	uint64_t *sizes, total = 0, now_s = now_ns() / 1000000000ull;
	time_t *mtimes;

	j->next_retention_ms = mono_ms() + RETENTION_EVERY_MS;
	if (journal_list_segments(j->dir, &names, &n))
		return;
	sizes = calloc(n ? n : 1, sizeof(*sizes));
	mtimes = calloc(n ? n : 1, sizeof(*mtimes));
	if (!sizes || !mtimes)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (fstatat(j->dirfd, names[i], &st, 0))
			continue;
		sizes[i] = (uint64_t)st.st_size;
		mtimes[i] = st.st_mtime;
		total += sizes[i];
	}
	for (size_t i = 0; i < n; i++) {
		bool old = mtimes[i] && (uint64_t)mtimes[i] + j->o.max_age_s < now_s;

		if (j->seg_fd >= 0 && !strcmp(names[i], j->seg_name))
			continue;
		if ((total > j->o.max_bytes || old) && !unlinkat(j->dirfd, names[i], 0)) {
			total -= sizes[i];
			relaxed_inc(&j->segs_deleted, 1);
		}
	}
out:
	free(sizes);
	free(mtimes);
	journal_free_names(names, n);
}

/* mkdir -p with mode 0700 for what it creates. 0 or -errno; *failed names the part. */
int journal_seg_mkdirs(const char *dir, char *failed, size_t flen)
{
	char *p = strdup(dir);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = 0;
		if (mkdir(p, 0700) && errno != EEXIST) {
			rc = -errno;
			snprintf(failed, flen, "%s", p);
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

uint64_t journal_seg_max_seq(const char *dir)
{
	char **names;
	size_t n;
	uint64_t max = 0;

	if (journal_list_segments(dir, &names, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t q;

		if (journal_seg_name_seq(names[i], &q) && q > max)
			max = q;
	}
	journal_free_names(names, n);
	return max;
}
