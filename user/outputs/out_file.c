// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The stdout and file outputs: one JSON line per alert; files reopen after logrotate's rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include "outputs/outputs_int.h"

/* stdout is written by the event loop, as the --events stream is: lines never interleave. */
static int stdout_open(struct sink *s, char *err, size_t errlen)
{
	(void)s; (void)err; (void)errlen;
	return 0;
}

static int stdout_deliver(struct sink *s, const char *json, size_t len, char *err, size_t errlen)
{
	fwrite(json, 1, len, s->out);
	fputc('\n', s->out);
	if (fflush(s->out)) {
		snprintf(err, errlen, "stdout: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

static void stdout_close(struct sink *s)
{
	fflush(s->out);
}

const struct sink_ops sink_stdout_ops = {
	.open = stdout_open, .deliver = stdout_deliver, .close = stdout_close,
};

struct file_sink {
	int fd;
	atomic_bool reopen;       /* set by outputs_reopen() (SIGUSR1), taken by the worker */
};

static int file_open_fd(struct sink *s, struct file_sink *f, char *err, size_t errlen)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = open(s->cfg->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (f->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s: %s", s->cfg->path, strerror(e));
		return -e;
	}
	return 0;
}

static int file_open(struct sink *s, char *err, size_t errlen)
{
	struct file_sink *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	f->fd = -1;
	s->priv = f;
	/* a path that cannot be opened now is retried by deliver(), counted */
	(void)file_open_fd(s, f, err, errlen);
	return 0;
}

static int file_deliver(struct sink *s, const char *json, size_t len, char *err, size_t errlen)
{
	struct file_sink *f = s->priv;
	struct iovec iov[2] = { { (void *)json, len }, { "\n", 1 } };
	ssize_t w;
	off_t end;
	int rc;

	if (atomic_exchange(&f->reopen, false) || f->fd < 0) {
		rc = file_open_fd(s, f, err, errlen);
		if (rc)
			return rc;
	}
	end = lseek(f->fd, 0, SEEK_END);
	w = writev(f->fd, iov, 2);
	if (w == (ssize_t)len + 1)
		return 0;
	rc = w < 0 ? -errno : -ENOSPC;
	/* no half line stays behind to glue itself to the retry */
	if (w > 0 && end >= 0 && ftruncate(f->fd, end))
		(void)0;
	snprintf(err, errlen, "cannot write %s: %s", s->cfg->path, strerror(-rc));
	return rc;
}

static void file_reopen(struct sink *s)
{
	struct file_sink *f = s->priv;

	atomic_store(&f->reopen, true);
}

static void file_close(struct sink *s)
{
	struct file_sink *f = s->priv;

	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f);
	s->priv = NULL;
}

const struct sink_ops sink_file_ops = {
	.open = file_open, .deliver = file_deliver, .reopen = file_reopen, .close = file_close,
};
