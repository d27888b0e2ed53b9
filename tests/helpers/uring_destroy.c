// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* uring_destroy: destroys files through io_uring only (never the unlink, rename or open syscalls),
 * with many requests in flight: the test client for bulwark's io_uring coverage.
 *
 * USAGE: uring_destroy unlink DIR [DEPTH]   unlink every regular file of DIR, DEPTH per submission
 *        uring_destroy rename DIR [DEPTH]   rename every regular file F of DIR to F.gone
 *        uring_destroy trunc FILE...        openat(O_WRONLY|O_TRUNC) each FILE
 *        uring_destroy setup                create a ring and close it
 * DEPTH defaults to 256: the whole batch is in flight in one io_uring_enter.
 * Prints "uring_destroy: N done, M refused (first error: ...)".
 * Exit: 0 all done, 1 some refused or an error, 2 no io_uring or no such opcode here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 4096

struct batch {
	struct io_uring ring;
	int depth;                /* requests per submission */
	int queued;               /* in the current batch */
	int done, refused, first_err;
	char (*names)[2][NAME_MAX + 8]; /* must outlive their submission */
};

/* Waits for every request of the batch. 0 or -errno. */
static int batch_flush(struct batch *b)
{
	struct io_uring_cqe *cqe;
	int err;

	if (!b->queued)
		return 0;
	err = io_uring_submit(&b->ring);
	if (err < 0)
		return err;
	while (b->queued > 0) {
		err = io_uring_wait_cqe(&b->ring, &cqe);
		if (err < 0)
			return err;
		if (cqe->res >= 0) {
			b->done++;
			if (cqe->res > 0 && (cqe->user_data & 1))  /* an open: its fd */
				close(cqe->res);
		} else {
			b->refused++;
			if (!b->first_err)
				b->first_err = -cqe->res;
		}
		io_uring_cqe_seen(&b->ring, cqe);
		b->queued--;
	}
	return 0;
}

static int need_op(struct io_uring *ring, int op, const char *name)
{
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);
	int ok = p && io_uring_opcode_supported(p, op);

	if (p)
		io_uring_free_probe(p);
	if (!ok)
		fprintf(stderr, "uring_destroy: this kernel has no %s\n", name);
	return ok ? 0 : -EOPNOTSUPP;
}

/* unlink or rename every regular file of dir. 0 or -errno. */
static int over_dir(struct batch *b, const char *dir, int rename)
{
	struct io_uring_sqe *sqe;
	struct dirent *de;
	DIR *d = opendir(dir);
	int dfd, err = 0;

	if (!d) {
		fprintf(stderr, "uring_destroy: cannot open directory %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		if (de->d_type != DT_REG)
			continue;
		snprintf(b->names[b->queued][0], sizeof(b->names[0][0]), "%s", de->d_name);
		snprintf(b->names[b->queued][1], sizeof(b->names[0][1]), "%s.gone", de->d_name);
		sqe = io_uring_get_sqe(&b->ring);
		if (rename)
			io_uring_prep_renameat(sqe, dfd, b->names[b->queued][0], dfd,
					       b->names[b->queued][1], 0);
		else
			io_uring_prep_unlinkat(sqe, dfd, b->names[b->queued][0], 0);
		sqe->user_data = 0;
		if (++b->queued < b->depth)
			continue;
		err = batch_flush(b);
		if (err)
			break;
	}
	if (!err)
		err = batch_flush(b);
	closedir(d);
	return err;
}

int main(int argc, char **argv)
{
	struct batch b = { .depth = 256 };
	const char *cmd = argc > 1 ? argv[1] : "";
	int err, rc = 1;

	if (argc < 2 || (strcmp(cmd, "setup") && argc < 3)) {
		fprintf(stderr, "usage: uring_destroy unlink|rename DIR [DEPTH] | trunc FILE... | setup\n");
		return 1;
	}
	if ((!strcmp(cmd, "unlink") || !strcmp(cmd, "rename")) && argc > 3)
		b.depth = atoi(argv[3]);
	if (b.depth < 1 || b.depth > MAX_DEPTH) {
		fprintf(stderr, "uring_destroy: DEPTH must be 1..%d\n", MAX_DEPTH);
		return 1;
	}
	b.names = calloc((size_t)b.depth, sizeof(*b.names));
	if (!b.names)
		return 1;
	err = io_uring_queue_init((unsigned)b.depth, &b.ring, 0);
	if (err < 0) {
		fprintf(stderr, "uring_destroy: io_uring_queue_init: %s; is io_uring disabled "
			"(sysctl kernel.io_uring_disabled)?\n", strerror(-err));
		free(b.names);
		return 2;
	}
	if (!strcmp(cmd, "setup")) {
		rc = 0;
		printf("uring_destroy: ring created\n");
		goto out;
	} else if (!strcmp(cmd, "unlink") || !strcmp(cmd, "rename")) {
		int ren = !strcmp(cmd, "rename");

		if (need_op(&b.ring, ren ? IORING_OP_RENAMEAT : IORING_OP_UNLINKAT,
			    ren ? "IORING_OP_RENAMEAT" : "IORING_OP_UNLINKAT")) {
			rc = 2;
			goto out;
		}
		err = over_dir(&b, argv[2], ren);
	} else if (!strcmp(cmd, "trunc")) {
		if (need_op(&b.ring, IORING_OP_OPENAT, "IORING_OP_OPENAT")) {
			rc = 2;
			goto out;
		}
		err = 0;
		for (int i = 2; i < argc && !err; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&b.ring);

			io_uring_prep_openat(sqe, AT_FDCWD, argv[i], O_WRONLY | O_TRUNC, 0);
			sqe->user_data = 1;
			if (++b.queued >= b.depth)
				err = batch_flush(&b);
		}
		if (!err)
			err = batch_flush(&b);
	} else {
		fprintf(stderr, "uring_destroy: unknown command '%s' (unlink, rename, trunc, setup)\n", cmd);
		goto out;
	}
	if (err) {
		fprintf(stderr, "uring_destroy: %s %s: %s\n", cmd, argv[2], strerror(-err));
		goto out;
	}
	printf("uring_destroy: %d done, %d refused", b.done, b.refused);
	if (b.first_err)
		printf(" (first error: %s)", strerror(b.first_err));
	printf("\n");
	rc = b.refused ? 1 : 0;
out:
	io_uring_queue_exit(&b.ring);
	free(b.names);
	return rc;
}
