// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Benchmark workloads: create+unlink, fork+exec and open loops; prints ns per iteration. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static int unlink_loop(long n, const char *dir)
{
	char path[4096];

	if (chdir(dir)) {
		fprintf(stderr, "loops: cannot enter %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "f%ld", i & 1023);
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 || close(fd) || unlink(path)) {
			fprintf(stderr, "loops: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	return 0;
}

/* unlink of a missing file: one cheap syscall and one event per iteration */
static int enoent_loop(long n, const char *dir)
{
	if (chdir(dir))
		return 1;
	for (long i = 0; i < n; i++)
		if (unlink("bulwark-bench-missing") == 0 || errno != ENOENT)
			return 1;
	return 0;
}

/*
 * open+close of one existing file: with flags 0 the ordinary read open
 * every process makes (bulwark's one flag test), with O_WRONLY|O_TRUNC
 * the open that destroys (captured in login sessions).
 */
static int open_loop(long n, const char *dir, int flags)
{
	int fd;

	if (chdir(dir)) {
		fprintf(stderr, "loops: cannot enter %s: %s\n", dir, strerror(errno));
		return 1;
	}
	fd = open("bulwark-bench-open", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd))
		return 1;
	for (long i = 0; i < n; i++) {
		fd = open("bulwark-bench-open", flags | O_CLOEXEC);
		if (fd < 0 || close(fd)) {
			fprintf(stderr, "loops: open: %s\n", strerror(errno));
			return 1;
		}
	}
	return unlink("bulwark-bench-open") ? 1 : 0;
}

/* getpid: the cheapest syscall, what a syscall tracepoint's slow path costs every thread */
static int getpid_loop(long n)
{
	for (long i = 0; i < n; i++)
		if (syscall(SYS_getpid) <= 0)
			return 1;
	return 0;
}

static int forkexec_loop(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		int st;

		if (p < 0)
			return 1;
		if (!p) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	return 0;
}

/* CPU time of this process and its waited-for children, ns: what the loop itself spent,
 * without a monitor's daemon or other load sharing the machine */
static unsigned long long cpu_ns(void)
{
	struct timespec ts;
	struct rusage ru;
	unsigned long long ns;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
	if (!getrusage(RUSAGE_CHILDREN, &ru))
		ns += ((unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
		       (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)) * 1000ull;
	return ns;
}

int main(int argc, char **argv)
{
	unsigned long long t0, c0;
	long n;
	int rc;

	if (argc < 3 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: loops unlink N DIR | loops enoent N DIR | loops forkexec N | "
				"loops getpid N\n"
				"       loops open N DIR | loops trunc N DIR  (open+close, open(O_TRUNC)+close)\n"
				"Prints nanoseconds per iteration on stdout (LOOPS_CPU=1: wall, then CPU time).\n");
		return argc < 3 ? 2 : 0;
	}
	n = strtol(argv[2], NULL, 10);
	c0 = cpu_ns();
	t0 = now_ns();
	if (!strcmp(argv[1], "unlink") && argc > 3)
		rc = unlink_loop(n, argv[3]);
	else if (!strcmp(argv[1], "enoent") && argc > 3)
		rc = enoent_loop(n, argv[3]);
	else if (!strcmp(argv[1], "open") && argc > 3)
		rc = open_loop(n, argv[3], O_RDONLY);
	else if (!strcmp(argv[1], "trunc") && argc > 3)
		rc = open_loop(n, argv[3], O_WRONLY | O_TRUNC);
	else if (!strcmp(argv[1], "forkexec"))
		rc = forkexec_loop(n);
	else if (!strcmp(argv[1], "getpid"))
		rc = getpid_loop(n);
	else
		rc = 2;
	if (!rc && getenv("LOOPS_CPU"))  /* LOOPS_CPU=1: "wall-ns cpu-ns" per iteration */
		printf("%.1f %.1f\n", (double)(now_ns() - t0) / (double)n, (double)(cpu_ns() - c0) / (double)n);
	else if (!rc)
		printf("%.1f\n", (double)(now_ns() - t0) / (double)n);
	return rc;
}
