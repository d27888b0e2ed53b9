// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* finit_module: asks the kernel to load FILE as a module, as insmod does
 * (finit_module(2), no parameters). The test helper for bulwark's
 * "Kernel module loaded from a login session": the tests hand it a file
 * that is no module, so the kernel refuses it and nothing is loaded; the
 * attempt is what bulwark reports. (insmod itself checks the ELF first and
 * never makes the call for such a file.)
 *
 * USAGE: finit_module FILE
 * Exit: 0 when the kernel loaded it, 1 when it refused (errno printed), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	int fd;
	long r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "finit_module: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	r = syscall(SYS_finit_module, fd, "", 0);
	if (r < 0) {
		fprintf(stderr, "finit_module: %s: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
