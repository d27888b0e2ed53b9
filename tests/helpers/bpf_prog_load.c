// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bpf_prog_load: loads the smallest BPF program (a socket filter that returns
 * 0) with bpf(BPF_PROG_LOAD) and closes it: the test helper for bulwark's
 * report of program loads (Falco's "BPF Program Not Profiled").
 *
 * USAGE: bpf_prog_load
 * Exit: 0 when the kernel loaded it, 1 when it refused (errno printed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	if (argc > 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (unsigned long)"GPL";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		fprintf(stderr, "bpf_prog_load: BPF_PROG_LOAD: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}
