/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* io_uring requests that destroy files, seen at submission, judged and reported as their syscalls. */
#ifndef BULWARK_URING_BPF_H
#define BULWARK_URING_BPF_H

#include "file.bpf.h"

/*
 * io_uring's UNLINKAT, RENAMEAT, OPENAT(2), FALLOCATE and FTRUNCATE never
 * enter the syscalls the capture backends hook. tp_btf/io_uring_submit_req
 * fires in the submitting task (or its SQPOLL thread) for every request,
 * after the request was prepared: its names are already kernel strings
 * (struct filename) in the request. Each request is judged as its
 * syscall would be and reported as that syscall's event, flagged
 * BW_F_IO_URING; evt.res is 0 (the submission, not the result).
 *
 * What enforcement can promise here: the SIGKILL at submission kills the
 * submitter and, with it, the ring (the kernel cancels the ring's queued
 * requests when its task exits). Requests an io-wq worker has already
 * started still finish: the files those touch are lost. io_submit_sqes()
 * does not look at signals between the requests of one io_uring_enter,
 * so the whole batch is submitted; each request is reported, the first
 * one kills. With BPF-LSM the LSM hooks deny every one of them instead.
 */

/* IORING_OP_* (UAPI, never renumbered) */
#define BW_IORING_OP_FALLOCATE 17
#define BW_IORING_OP_OPENAT    18
#define BW_IORING_OP_OPENAT2   28
#define BW_IORING_OP_RENAMEAT  35
#define BW_IORING_OP_UNLINKAT  36
#define BW_IORING_OP_FTRUNCATE 55

/* One request, as the syscall it stands for. Kernel pointers to names. */
struct uring_req {
	__u32 type;           /* enum bw_event_type */
	int dfd;              /* dirfd of name, or the fd of fd-based requests */
	const char *name;     /* kernel string, NULL for fd-based requests */
	int newdfd;           /* renames */
	const char *newname;  /* renames: kernel string */
	__s64 arg;            /* flags, mode or length */
	struct file *file;    /* fd-based requests, where the kernel resolved it at submission */
};

/* The file of an fd-based request. */
static __always_inline struct file *uring_file(struct uring_req *r)
{
	return r->file ? r->file : fd_to_file(r->dfd);
}

/*
 * Resolves a kernel-space name relative to dfd into s->out, as
 * path_resolve_at() does for user-space names. Returns the length.
 */
static __noinline int uring_resolve(int dfd, const char *kname, struct path_scratch *s, __u32 *flags,
				    __u32 trunc_flag)
{
	struct dentry *d;
	struct vfsmount *m;
	long n;
	int off, dlen, total;

	if (!kname)
		return 0;
	n = bpf_probe_read_kernel_str(s->out, BW_PATH_MAX, kname);
	if (n <= 0) {
		stat_inc(BW_STAT_READ_ERR);
		*flags |= trunc_flag;
		return 0;
	}
	if (n >= BW_PATH_MAX)
		*flags |= trunc_flag;
	n -= 1;
	if (s->out[0] == '/')
		return (int)n;
	if (!start_dir(dfd, &d, &m)) {
		*flags |= BW_F_PATH_REL;
		return (int)n;
	}
	off = path_walk(d, m, s->walk, flags, trunc_flag);
	dlen = BW_PATH_MAX - off;
	if (dlen == 1) {  /* the root needs no extra '/' */
		dlen = 0;
		off = BW_PATH_MAX;
	}
	s->walk[BW_PATH_MAX] = '/';
	bpf_probe_read_kernel(&s->walk[BW_PATH_MAX + 1], n & PATH_MASK, s->out);
	total = dlen + 1 + (int)n;
	if (total > PATH_MASK) {
		total = PATH_MASK;
		*flags |= trunc_flag;
	}
	bpf_probe_read_kernel(s->out, total & PATH_MASK, &s->walk[off & PATH_MASK]);
	return total;
}

/* BW_WATCH_* bits for a kernel-space name (watch_name, then watch_resolved for sessions). */
static __noinline __u32 uring_watch(int dfd, const char *kname, struct path_scratch *s, int resolve)
{
	struct dentry *d;
	struct vfsmount *m;
	__u32 bits, flags = 0, *v;
	long n;
	int len;

	if (!kname)
		return 0;
	n = bpf_probe_read_kernel_str(s->key.path, sizeof(s->key.path), kname);
	if (n <= 0)
		return 0;
	if (s->key.path[0] == '/') {
		s->key.prefixlen = (__u32)(n - 1) * 8;
		v = bpf_map_lookup_elem(&watch_prefixes, &s->key);
		return v ? *v : 0;
	}
	if (!start_dir(dfd, &d, &m))
		return 0;
	bits = watch_ancestry(d, m);
	if (bits || !resolve)
		return bits;
	len = uring_resolve(dfd, kname, s, &flags, BW_F_PATH_TRUNC);
	if (len <= 0 || len >= BW_LPM_MAX || (flags & BW_F_PATH_REL))
		return 0;
	bpf_probe_read_kernel(s->key.path, len & (BW_LPM_MAX - 1), s->out);
	s->key.prefixlen = (__u32)len * 8;
	v = bpf_map_lookup_elem(&watch_prefixes, &s->key);
	return v ? *v : 0;
}

/* BW_WATCH_* bits of the request's target(s). */
static __always_inline __u32 uring_bits(struct uring_req *r, struct path_scratch *s, int resolve)
{
	__u32 bits;

	if (!r->name) {
		struct file *f = uring_file(r);

		return f ? watch_ancestry(BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt)) : 0;
	}
	bits = uring_watch(r->dfd, r->name, s, resolve);
	if (r->newname)
		bits |= uring_watch(r->newdfd, r->newname, s, resolve);
	return bits;
}

/* The event for a request, as file_exit() builds it for a syscall. */
static __always_inline void uring_report(struct uring_req *r, __u32 flags)
{
	__u32 zero = 0;
	struct bw_file_event *e;
	struct path_scratch *s;
	int len = 0, nlen;

	e = bpf_map_lookup_elem(&file_scratch, &zero);
	s = path_scratch_get();
	if (!e || !s)
		return;
	fill_hdr(&e->hdr, cur_task(), r->type);
	e->hdr.flags = flags | BW_F_IO_URING;
	e->res = 0;
	e->arg = r->arg;
	e->_pad0 = 0;
	e->newpath_len = 0;
	if (!r->name) {
		struct file *f = uring_file(r);

		if (f)
			len = path_of_file(f, s, &e->hdr.flags, BW_F_PATH_TRUNC);
	} else {
		len = uring_resolve(r->dfd, r->name, s, &e->hdr.flags, BW_F_PATH_TRUNC);
	}
	len &= PATH_MASK;
	bpf_probe_read_kernel(e->data, len, s->out);
	e->path_len = len;
	if (r->newname) {
		nlen = uring_resolve(r->newdfd, r->newname, s, &e->hdr.flags, BW_F_NEWPATH_TRUNC);
		nlen &= PATH_MASK;
		bpf_probe_read_kernel(&e->data[len], nlen, s->out);
		e->newpath_len = nlen;
		len += nlen;
	}
	if (e->hdr.flags & (BW_F_PATH_TRUNC | BW_F_NEWPATH_TRUNC))
		stat_inc(BW_STAT_PATH_TRUNC);
	if (len > 2 * PATH_MASK)  /* cannot happen; bounds the size for the verifier */
		len = 2 * PATH_MASK;
	e->hdr.size = offsetof(struct bw_file_event, data) + len;
	submit(e, offsetof(struct bw_file_event, data) + len);
}

/* Judges one request as its syscall: quarantine, protected trees, then capture. */
static __always_inline int uring_handle(struct uring_req *r)
{
	struct task_struct *t = cur_task();
	struct path_scratch *s;
	__u32 sid = TASK_RD(t, sessionid), bits = 0, flags = 0;
	int write_only = FILE_IS_OPEN(r->type) && !(r->arg & BW_O_TRUNC);

	if (is_self() || (write_only && sid == NO_SESSION))
		return 0;
	if (quarantined(t)) {
		kill_current(BW_KILL_QUARANTINE, r->type);
		uring_report(r, BW_F_KILLED);
		return 0;
	}
	if (watch_count) {
		s = path_scratch_get();
		if (!s)
			return 0;
		bits = uring_bits(r, s, sid != NO_SESSION && protect_count);
	}
	if (sid != NO_SESSION)
		flags = protect_verdict(t, sid, bits, r->type);
	if (!flags && !bits && (write_only || (sid == NO_SESSION && !capture_all)))
		return 0;
	uring_report(r, flags);
	return 0;
}

/*
 * A submitted request, as the syscall it stands for; 0: not one that
 * destroys. The op-specific data starts the request in every layout:
 * io_kiocb.cmd (5.19+), the anonymous union of per-op structs before
 * (5.10's io_uring, Debian 11's backport of 5.15's). The fd of fd-based
 * requests is cqe.fd from 5.19; before, the file was resolved already.
 */
static __always_inline int uring_from_req(struct io_kiocb *req, struct uring_req *r)
{
	void *cmd = bpf_core_field_exists(struct io_kiocb, cmd) ?
			    (void *)req + bpf_core_field_offset(struct io_kiocb, cmd) : (void *)req;
	__u8 op = BPF_CORE_READ(req, opcode);

	switch (op) {
	case BW_IORING_OP_UNLINKAT: {
		struct io_unlink *u = cmd;

		r->type = BW_EV_UNLINKAT;
		r->dfd = BPF_CORE_READ(u, dfd);
		r->name = BPF_CORE_READ(u, filename, name);
		r->arg = BPF_CORE_READ(u, flags);
		return 1;
	}
	case BW_IORING_OP_RENAMEAT: {
		struct io_rename *n = cmd;

		r->type = BW_EV_RENAMEAT2;
		r->dfd = BPF_CORE_READ(n, old_dfd);
		r->name = BPF_CORE_READ(n, oldpath, name);
		r->newdfd = BPF_CORE_READ(n, new_dfd);
		r->newname = BPF_CORE_READ(n, newpath, name);
		r->arg = BPF_CORE_READ(n, flags);
		return 1;
	}
	case BW_IORING_OP_OPENAT:
	case BW_IORING_OP_OPENAT2: {
		struct io_open *o = cmd;

		r->arg = (__s64)BPF_CORE_READ(o, how.flags);
		/* the one cheap test, as for the open syscalls */
		if (!(r->arg & (BW_O_TRUNC | BW_O_WRONLY | BW_O_RDWR)))
			return 0;
		r->type = op == BW_IORING_OP_OPENAT ? BW_EV_OPENAT : BW_EV_OPENAT2;
		r->dfd = BPF_CORE_READ(o, dfd);
		r->name = BPF_CORE_READ(o, filename, name);
		return 1;
	}
	case BW_IORING_OP_FALLOCATE:
	case BW_IORING_OP_FTRUNCATE: {
		struct io_sync *y = cmd;  /* io_ftrunc: file, len, as io_sync starts */

		if (op == BW_IORING_OP_FALLOCATE) {
			r->arg = BPF_CORE_READ(y, mode);
			if (!(r->arg & BW_FALLOC_DESTROY))
				return 0;
			r->type = BW_EV_FALLOCATE;
		} else {
			r->type = BW_EV_FTRUNCATE;
			r->arg = BPF_CORE_READ(y, len);
		}
		if (bpf_core_field_exists(struct io_kiocb, cqe))
			r->dfd = BPF_CORE_READ(req, cqe.fd);  /* req->file is assigned at issue */
		else
			r->file = BPF_CORE_READ(req, file);
		return 1;
	}
	default:
		return 0;
	}
}

/*
 * io_uring_submit_sqe is older than the request it is handed: 5.11-5.14
 * pass (ctx, opcode, ...), 5.15 and Debian 11's 5.10 (ctx, req, ...),
 * 5.19-6.3 (req, ...). A build for one shape attached to another would
 * read the wrong argument as the request. The request names the task
 * that submitted it (req->task, until 6.13's tctx), the current one
 * here: anything else is not a request, and nothing is done.
 */
struct io_kiocb___task {
	struct task_struct *task;
} __attribute__((preserve_access_index));

static __always_inline int uring_req_is_ours(struct io_kiocb *req)
{
	struct io_kiocb___task *rt = (void *)req;
	struct task_struct *t = NULL;

	if (bpf_core_field_exists(rt->task))
		t = BPF_CORE_READ(rt, task);
	return t && t == cur_task();
}

/* One submitted request: decoded, then judged as its syscall. */
static __always_inline int uring_submit(struct io_kiocb *req, int check)
{
	struct uring_req r = {};

	if (check && !uring_req_is_ours(req))
		return 0;
	if (!uring_from_req(req, &r))
		return 0;
	return uring_handle(&r);
}

/*
 * A ring created by a login session: rare, and what a person reaches for
 * to act unseen by syscall monitors. res = the ring's fd, arg = SQ entries.
 */
static __always_inline int uring_create(int fd, __u32 sq_entries)
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

/* io_uring_create: the same arguments on every kernel with io_uring. */
#define URING_CREATE_PROG(name)                                                                 \
	SEC("tp_btf/io_uring_create")                                                             \
	int BPF_PROG(name, int fd, void *ring, __u32 sq_entries, __u32 cq_entries, __u32 flags)   \
	{                                                                                         \
		return uring_create(fd, sq_entries);                                              \
	}

#endif /* BULWARK_URING_BPF_H */
