// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The io_uring programs again for Debian 11's 5.10 (BW_NO_BPF_LOOP: no
 * bpf_loop, no bpf_get_current_task_btf). Its io_uring is the 5.15 one
 * backported (IORING_OP_UNLINKAT and RENAMEAT included), and its
 * io_uring_submit_sqe passes (ctx, req, opcode, user_data, flags,
 * force_nonblock, sq_thread), after the request was prepared, as later
 * kernels do. The loader uses these only where file_uring.bpf.c is refused.
 */
#define BW_NO_BPF_LOOP 1
#define BW_NL_UNIT uring
#include "lib/uring.bpf.h"

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(tp_btf_nl_io_uring_submit_sqe, void *ring, struct io_kiocb *req, __u8 opcode,
	     __u64 user_data, __u32 flags, bool force_nonblock, bool sq_thread)
{
	return uring_submit(req, 1);
}

URING_CREATE_PROG(tp_btf_nl_io_uring_create)
