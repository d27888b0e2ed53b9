// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * io_uring (issue 11): requests that destroy files, from the submission
 * tracepoint, and rings created by login sessions. These are not syscall
 * tracepoints, so they cost nothing outside io_uring and load beside any
 * capture backend (kernels with io_uring_submit_req(req): the name since 6.4;
 * 6.1 calls it io_uring_submit_sqe and is left to BPF-LSM). Without
 * them only BPF-LSM sees io_uring (lsm.bpf.c).
 */
#include "lib/uring.bpf.h"

/* The request's op-specific data (io_kiocb.cmd), as the io_uring/fs.c struct of the op. */
#define REQ_CMD(req) ((void *)(req) + bpf_core_field_offset(struct io_kiocb, cmd))

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(tp_btf_io_uring_submit_req, struct io_kiocb *req)
{
	struct uring_req r = {};
	__u8 op = BPF_CORE_READ(req, opcode);

	switch (op) {
	case BW_IORING_OP_UNLINKAT: {
		struct io_unlink *u = REQ_CMD(req);

		r.type = BW_EV_UNLINKAT;
		r.dfd = BPF_CORE_READ(u, dfd);
		r.name = BPF_CORE_READ(u, filename, name);
		r.arg = BPF_CORE_READ(u, flags);
		break;
	}
	case BW_IORING_OP_RENAMEAT: {
		struct io_rename *n = REQ_CMD(req);

		r.type = BW_EV_RENAMEAT2;
		r.dfd = BPF_CORE_READ(n, old_dfd);
		r.name = BPF_CORE_READ(n, oldpath, name);
		r.newdfd = BPF_CORE_READ(n, new_dfd);
		r.newname = BPF_CORE_READ(n, newpath, name);
		r.arg = BPF_CORE_READ(n, flags);
		break;
	}
	case BW_IORING_OP_OPENAT:
	case BW_IORING_OP_OPENAT2: {
		struct io_open *o = REQ_CMD(req);

		r.arg = (__s64)BPF_CORE_READ(o, how.flags);
		/* the one cheap test, as for the open syscalls */
		if (!(r.arg & (BW_O_TRUNC | BW_O_WRONLY | BW_O_RDWR)))
			return 0;
		r.type = op == BW_IORING_OP_OPENAT ? BW_EV_OPENAT : BW_EV_OPENAT2;
		r.dfd = BPF_CORE_READ(o, dfd);
		r.name = BPF_CORE_READ(o, filename, name);
		break;
	}
	case BW_IORING_OP_FALLOCATE: {
		struct io_sync *y = REQ_CMD(req);

		r.arg = BPF_CORE_READ(y, mode);
		if (!(r.arg & BW_FALLOC_DESTROY))
			return 0;
		r.type = BW_EV_FALLOCATE;
		r.dfd = BPF_CORE_READ(req, cqe.fd);  /* req->file is assigned at issue */
		break;
	}
	case BW_IORING_OP_FTRUNCATE: {
		struct io_sync *y = REQ_CMD(req);  /* io_ftrunc: file, len, as io_sync starts */

		r.type = BW_EV_FTRUNCATE;
		r.dfd = BPF_CORE_READ(req, cqe.fd);
		r.arg = BPF_CORE_READ(y, len);
		break;
	}
	default:
		return 0;
	}
	return uring_handle(&r);
}

/*
 * A ring created by a login session: rare, and what a person reaches for
 * to act unseen by syscall monitors. res = the ring's fd, arg = SQ entries.
 */
SEC("tp_btf/io_uring_create")
int BPF_PROG(tp_btf_io_uring_create, int fd, void *ring, __u32 sq_entries, __u32 cq_entries,
	     __u32 flags)
{
	struct task_struct *t = cur_task();
	struct bw_file_event *e;
	__u32 zero = 0;

	if ((TASK_RD(t, sessionid) == NO_SESSION && !capture_all) || is_self())
		return 0;
	e = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!e)
		return 0;
	fill_hdr(&e->hdr, t, BW_EV_IO_URING_SETUP);
	if (quarantined(t)) {
		kill_current(BW_KILL_QUARANTINE, BW_EV_IO_URING_SETUP);
		e->hdr.flags = BW_F_KILLED;
	}
	e->res = fd;
	e->arg = sq_entries;
	e->path_len = e->newpath_len = 0;
	e->_pad0 = 0;
	e->hdr.size = offsetof(struct bw_file_event, data);
	submit(e, offsetof(struct bw_file_event, data));
	return 0;
}
