// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * io_uring (issue 11): requests that destroy files, from the submission
 * tracepoint, and rings created by login sessions. These are not syscall
 * tracepoints, so they cost nothing outside io_uring and load beside any
 * capture backend. The tracepoint is io_uring_submit_req(req) since 6.4
 * and io_uring_submit_sqe(req, force_nonblock) in 5.19-6.3 (Debian 12's
 * 6.1): one program each, the loader takes the one the kernel has.
 * 5.10 is file_uring_nl.bpf.c. Without them only BPF-LSM sees io_uring.
 */
#include "lib/uring.bpf.h"

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(tp_btf_io_uring_submit_req, struct io_kiocb *req)
{
	return uring_submit(req, 0);
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(tp_btf_io_uring_submit_sqe, struct io_kiocb *req, bool force_nonblock)
{
	return uring_submit(req, 1);
}

URING_CREATE_PROG(tp_btf_io_uring_create)
URING_CREATE_PROG(tp_btf_io_uring_create_sqe)
