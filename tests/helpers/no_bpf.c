// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* no_bpf: runs a command whose bpf() calls all fail with one errno (a seccomp
 * filter), as on a kernel built without CONFIG_BPF_SYSCALL (ENOSYS) or in a
 * container that forbids BPF (EPERM): the test helper for bulwark's
 * "BPF unavailable" errors, on any kernel.
 *
 * USAGE: no_bpf ENOSYS|EPERM CMD [ARG]...
 * Exit: CMD's, or 2 when the filter cannot be installed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define NO_BPF_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NO_BPF_ARCH AUDIT_ARCH_AARCH64
#else
#error "no_bpf: add this architecture's AUDIT_ARCH"
#endif

int main(int argc, char **argv)
{
	int err;

	if (argc < 3 || (strcmp(argv[1], "ENOSYS") && strcmp(argv[1], "EPERM"))) {
		fprintf(stderr, "usage: no_bpf ENOSYS|EPERM CMD [ARG]...\n");
		return 2;
	}
	err = !strcmp(argv[1], "ENOSYS") ? ENOSYS : EPERM;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NO_BPF_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "no_bpf: cannot install the seccomp filter: %s\n", strerror(errno));
		return 2;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "no_bpf: cannot run %s: %s\n", argv[2], strerror(errno));
	return 2;
}
