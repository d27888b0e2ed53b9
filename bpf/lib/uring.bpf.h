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
};

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
		struct file *f = fd_to_file(r->dfd);

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
		struct file *f = fd_to_file(r->dfd);

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

#endif /* BULWARK_URING_BPF_H */
