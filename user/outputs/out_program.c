// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The program output: each alert as one line on a command's stdin, as Falco's program_output. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "outputs/outputs_int.h"

extern char **environ;

struct program_sink {
	pid_t pid;       /* the running command, 0 if none */
	int fd;          /* its stdin */
	uint64_t starts; /* times it was started */
};

/* Closes the pipe and waits up to grace_ms for the command to exit, then SIGTERM. */
static void reap(struct program_sink *p, uint32_t grace_ms)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pid <= 0)
		return;
	for (uint32_t t = 0;; t += 10) {
		if (waitpid(p->pid, NULL, WNOHANG) != 0)
			break;
		if (t >= grace_ms) {
			kill(p->pid, SIGTERM);
			waitpid(p->pid, NULL, 0);
			break;
		}
		usleep(10000);
	}
	p->pid = 0;
}

static int spawn(struct sink *s, struct program_sink *p, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	char *argv[] = { "sh", "-c", s->cfg->command, NULL };
	int pfd[2], rc;

	if (pipe2(pfd, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "cannot make a pipe for '%s': %s", s->cfg->command, strerror(-rc));
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
	posix_spawnattr_init(&at);
	/* the worker blocks every signal; the command must not inherit that mask */
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	{
		sigset_t def;

		sigemptyset(&def);
		sigaddset(&def, SIGPIPE);
		posix_spawnattr_setsigdefault(&at, &def);
	}
	rc = posix_spawn(&p->pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pfd[0]);
	if (rc) {
		close(pfd[1]);
		p->pid = 0;
		snprintf(err, errlen, "cannot run /bin/sh -c '%s': %s", s->cfg->command, strerror(rc));
		return -rc;
	}
	p->fd = pfd[1];
	p->starts++;
	return 0;
}

static int program_open(struct sink *s, char *err, size_t errlen)
{
	struct program_sink *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->fd = -1;
	s->priv = p;
	return 0;
}

/* Writes all of buf within the timeout; the pipe is non-blocking so a stuck command cannot hang us. */
static int write_all(int fd, const char *buf, size_t n, uint32_t timeout_ms)
{
	uint64_t deadline = outputs_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		uint64_t now = outputs_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd pf = { fd, POLLOUT, 0 };
		poll(&pf, 1, (int)((deadline - now) / 1000000ull) + 1);
	}
	return 0;
}

static int program_deliver(struct sink *s, const char *json, size_t len, char *err, size_t errlen)
{
	struct program_sink *p = s->priv;
	char *line;
	int rc, status = 0;

	/* a long-lived command that died since the last alert is started again */
	if (p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == p->pid) {
		p->pid = 0;
		reap(p, 0);
	}
	if (!p->pid) {
		rc = spawn(s, p, err, errlen);
		if (rc)
			return rc;
		fcntl(p->fd, F_SETFL, O_NONBLOCK);
	}
	line = malloc(len + 1);
	if (!line) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(line, json, len);
	line[len] = '\n';
	rc = write_all(p->fd, line, len + 1, s->cfg->timeout_ms);
	free(line);
	if (rc) {
		snprintf(err, errlen, "'%s' %s: %s", s->cfg->command,
			 rc == -EPIPE ? "exited before reading the alert" : "did not read the alert",
			 strerror(-rc));
		reap(p, 0);
		return rc;
	}
	if (!s->cfg->keep_alive) {
		/* one process per alert: it has the alert once it exits 0 */
		close(p->fd);
		p->fd = -1;
		rc = waitpid(p->pid, &status, 0) == p->pid ? 0 : -errno;
		p->pid = 0;
		if (rc || !WIFEXITED(status) || WEXITSTATUS(status)) {
			snprintf(err, errlen, "'%s' failed (exit status %d)", s->cfg->command,
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			return -EIO;
		}
	}
	return 0;
}

static void program_close(struct sink *s)
{
	struct program_sink *p = s->priv;

	if (!p)
		return;
	/* EOF lets the command finish its last alert; one that ignores EOF is not waited for long */
	reap(p, 2000);
	free(p);
	s->priv = NULL;
}

const struct sink_ops sink_program_ops = {
	.open = program_open, .deliver = program_deliver, .close = program_close,
};
