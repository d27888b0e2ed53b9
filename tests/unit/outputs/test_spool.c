// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for the on-disk spool: order, bounds, restart recovery, torn writes, full disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "outputs/spool.h"
#include "unit.h"

static char *tmpdir(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "/tmp/bulwark-spool.XXXXXX");
	return mkdtemp(buf);
}

static void rm_rf(const char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd))
		(void)0;
}

static int count_segments(const char *d)
{
	DIR *dir = opendir(d);
	struct dirent *de;
	int n = 0;

	while (dir && (de = readdir(dir)))
		n += strstr(de->d_name, ".seg") != NULL;
	if (dir)
		closedir(dir);
	return n;
}

static int append_n(struct spool *s, int from, int to, size_t pad)
{
	char rec[4096], err[256];

	for (int i = from; i < to; i++) {
		int n = snprintf(rec, sizeof(rec), "{\"seq\":%d,\"pad\":\"%*s\"}", i, (int)pad, "");
		int rc = spool_append(s, rec, (size_t)n, err, sizeof(err));

		if (rc)
			return rc;
	}
	return 0;
}

/* Pops up to n records and checks they carry seq from, from+1, ... */
static int pop_expect(struct spool *s, int from, int n)
{
	struct jbuf b = { 0 };
	int got = 0;

	for (int i = 0; i < n; i++) {
		int seq = -1;

		if (spool_peek(s, &b))
			break;
		if (sscanf(b.p, "{\"seq\":%d", &seq) != 1 || seq != from + i)
			break;
		if (spool_pop(s))
			break;
		got++;
	}
	jbuf_free(&b);
	return got;
}

TEST(spool_fifo_order)
{
	char *d = tmpdir(), err[256];
	struct spool *s;
	struct spool_stats st;

	CHECK_EQ(spool_open(d, 64 << 20, &s, err, sizeof(err)), 0);
	CHECK(spool_empty(s));
	CHECK_EQ(append_n(s, 0, 1000, 10), 0);
	spool_get_stats(s, &st);
	CHECK_EQ(st.pending, 1000);
	CHECK_EQ(pop_expect(s, 0, 1000), 1000);
	CHECK(spool_empty(s));
	spool_get_stats(s, &st);
	CHECK_EQ(st.bytes, 0);
	CHECK_EQ(count_segments(d), 0);
	spool_close(s);
	rm_rf(d);
}

TEST(spool_cap_refuses_and_counts)
{
	char *d = tmpdir(), err[256];
	struct spool *s;
	struct spool_stats st;
	int i, rc = 0;

	CHECK_EQ(spool_open(d, 64 << 10, &s, err, sizeof(err)), 0);
	for (i = 0; i < 1000 && !rc; i++)
		rc = append_n(s, i, i + 1, 400);
	CHECK_EQ(rc, -ENOSPC);
	spool_get_stats(s, &st);
	CHECK(st.bytes <= 64 << 10);
	CHECK(st.bytes > 60 << 10);
	CHECK_EQ(st.refused, 1);
	{
		char rec[600], e2[256];

		memset(rec, 'x', sizeof(rec));
		CHECK_EQ(spool_append(s, rec, sizeof(rec), e2, sizeof(e2)), -ENOSPC);
		CHECK(strstr(e2, "spool full") != NULL);
	}
	/* the oldest are kept: delivery frees whole segments and makes room again */
	CHECK_EQ(pop_expect(s, 0, 50), 50);
	CHECK(count_segments(d) >= 2);
	CHECK_EQ(append_n(s, 5000, 5005, 400), 0);
	spool_close(s);
	rm_rf(d);
}

TEST(spool_restart_resumes_at_cursor)
{
	char *d = tmpdir(), err[256];
	struct spool *s;
	struct spool_stats st;

	CHECK_EQ(spool_open(d, 1 << 20, &s, err, sizeof(err)), 0);
	CHECK_EQ(append_n(s, 0, 300, 100), 0);
	CHECK_EQ(pop_expect(s, 0, 120), 120);
	spool_close(s);
	CHECK_EQ(spool_open(d, 1 << 20, &s, err, sizeof(err)), 0);
	spool_get_stats(s, &st);
	CHECK_EQ(st.pending, 180);
	CHECK_EQ(st.corrupt, 0);
	/* new records go after the old ones, none delivered twice */
	CHECK_EQ(append_n(s, 300, 310, 100), 0);
	CHECK_EQ(pop_expect(s, 120, 190), 190);
	CHECK(spool_empty(s));
	spool_close(s);
	CHECK_EQ(spool_open(d, 1 << 20, &s, err, sizeof(err)), 0);
	CHECK(spool_empty(s));
	spool_close(s);
	rm_rf(d);
}

TEST(spool_torn_tail_is_cut)
{
	char *d = tmpdir(), err[256], path[600];
	struct spool *s;
	struct spool_stats st;
	DIR *dir;
	struct dirent *de;
	int fd;

	CHECK_EQ(spool_open(d, 1 << 20, &s, err, sizeof(err)), 0);
	CHECK_EQ(append_n(s, 0, 5, 10), 0);
	spool_close(s);
	/* a crash in the middle of a write: a header promising more than is there */
	dir = opendir(d);
	path[0] = 0;
	while ((de = readdir(dir)))
		if (strstr(de->d_name, ".seg"))
			snprintf(path, sizeof(path), "%s/%s", d, de->d_name);
	closedir(dir);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "\x40\x00\x00\x00\x01\x02\x03\x04{\"seq\":5", 16), 16);
	close(fd);
	CHECK_EQ(spool_open(d, 1 << 20, &s, err, sizeof(err)), 0);
	spool_get_stats(s, &st);
	CHECK_EQ(st.pending, 5);
	CHECK_EQ(st.corrupt, 1);
	CHECK_EQ(append_n(s, 5, 6, 10), 0);
	CHECK_EQ(pop_expect(s, 0, 6), 6);
	spool_close(s);
	rm_rf(d);
}

TEST(spool_rejects_bad_sizes)
{
	char *d = tmpdir(), err[256];
	struct spool *s;
	char *big = calloc(1, SPOOL_MAX_RECORD + 1);

	CHECK_EQ(spool_open(d, 64 << 20, &s, err, sizeof(err)), 0);
	CHECK_EQ(spool_append(s, "", 0, err, sizeof(err)), -EFBIG);
	CHECK_EQ(spool_append(s, big, SPOOL_MAX_RECORD + 1, err, sizeof(err)), -EFBIG);
	CHECK(spool_empty(s));
	spool_close(s);
	free(big);
	rm_rf(d);
}

TEST(spool_unusable_directory_is_a_clear_error)
{
	char err[256];
	struct spool *s;

	CHECK(spool_open("/proc/no/such/spool", 1 << 20, &s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/proc/no/such/spool") != NULL);
	CHECK(strstr(err, "spool=") != NULL);
}

/* A full disk, without root: RLIMIT_FSIZE makes writes fail (EFBIG) as ENOSPC would. */
TEST(spool_full_disk_counted)
{
	char *d = tmpdir(), err[256];
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = { 20000, 20000 };
		struct spool *s;
		struct spool_stats st;
		int rc = 0, i;

		signal(SIGXFSZ, SIG_IGN);
		if (spool_open(d, 64 << 20, &s, err, sizeof(err)))
			_exit(10);
		setrlimit(RLIMIT_FSIZE, &rl);
		for (i = 0; i < 1000 && !rc; i++)
			rc = append_n(s, i, i + 1, 300);
		if (rc != -ENOSPC)
			_exit(11);
		spool_get_stats(s, &st);
		if (st.refused != 1 || st.pending != (uint64_t)(i - 1))
			_exit(12);
		/* what was written before the disk filled is intact */
		if (pop_expect(s, 0, i - 1) != i - 1)
			_exit(13);
		spool_close(s);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	rm_rf(d);
}

int main(void)
{
	return unit_main();
}
