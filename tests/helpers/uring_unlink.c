// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* uring_unlink: unlinks every regular file of a directory through io_uring
 * (IORING_OP_UNLINKAT), which never enters the unlink syscalls: the test
 * helper for enforcement that must not depend on syscall tracepoints.
 *
 * USAGE: uring_unlink DIR
 * Prints "uring_unlink: N unlinked, M refused (first error: ...)".
 * Exit: 0 all unlinked, 1 some refused or an error, 2 this kernel has no
 * IORING_OP_UNLINKAT (5.11+) or no io_uring at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define URING_DEPTH 32

/* uring_supported: 0 when the kernel has io_uring with UNLINKAT, else -errno. */
static int uring_supported(struct io_uring *ring)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	int ok;

	if (!probe)
		return -EOPNOTSUPP;
	ok = io_uring_opcode_supported(probe, IORING_OP_UNLINKAT);
	io_uring_free_probe(probe);
	return ok ? 0 : -EOPNOTSUPP;
}

/* reap: waits for N completions, counting successes and refusals. */
static int reap(struct io_uring *ring, int n, int *done, int *refused, int *first_err)
{
	struct io_uring_cqe *cqe;
	int err;

	while (n-- > 0) {
		err = io_uring_wait_cqe(ring, &cqe);
		if (err < 0)
			return err;
		if (cqe->res == 0) {
			(*done)++;
		} else {
			(*refused)++;
			if (!*first_err)
				*first_err = -cqe->res;
		}
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* names must outlive their submission: one batch is kept at a time */
	char names[URING_DEPTH][NAME_MAX + 1];
	int done = 0, refused = 0, first_err = 0, queued = 0, err, dfd = -1, rc = 1;
	struct io_uring ring;
	struct dirent *de;
	DIR *dir = NULL;
	bool ring_up = false;

	if (argc != 2) {
		fprintf(stderr, "usage: uring_unlink DIR\n");
		return 1;
	}
	err = io_uring_queue_init(URING_DEPTH, &ring, 0);
	if (err < 0) {
		fprintf(stderr, "uring_unlink: io_uring_queue_init: %s; is io_uring disabled "
			"(sysctl kernel.io_uring_disabled)?\n", strerror(-err));
		return 2;
	}
	ring_up = true;
	if (uring_supported(&ring) < 0) {
		fprintf(stderr, "uring_unlink: this kernel has no IORING_OP_UNLINKAT (Linux 5.11+)\n");
		rc = 2;
		goto cleanup;
	}
	dir = opendir(argv[1]);
	if (!dir) {
		fprintf(stderr, "uring_unlink: cannot open directory %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	dfd = dirfd(dir);
	while ((de = readdir(dir))) {
		struct io_uring_sqe *sqe;

		if (de->d_type != DT_REG)
			continue;
		snprintf(names[queued], sizeof(names[queued]), "%s", de->d_name);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_unlinkat(sqe, dfd, names[queued], 0);
		if (++queued < URING_DEPTH)
			continue;
		err = io_uring_submit(&ring);
		if (err < 0 || (err = reap(&ring, queued, &done, &refused, &first_err)) < 0)
			goto ring_error;
		queued = 0;
	}
	if (queued) {
		err = io_uring_submit(&ring);
		if (err < 0 || (err = reap(&ring, queued, &done, &refused, &first_err)) < 0)
			goto ring_error;
	}
	printf("uring_unlink: %d unlinked, %d refused", done, refused);
	if (first_err)
		printf(" (first error: %s)", strerror(first_err));
	printf("\n");
	rc = refused ? 1 : 0;
	goto cleanup;
ring_error:
	fprintf(stderr, "uring_unlink: io_uring submit/wait in %s: %s\n", argv[1], strerror(-err));
cleanup:
	if (dir)
		closedir(dir);
	if (ring_up)
		io_uring_queue_exit(&ring);
	return rc;
}
