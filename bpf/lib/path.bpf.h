/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Absolute paths built in the kernel: dentry walks for dirfd/cwd-relative names. */
#ifndef BULWARK_PATH_BPF_H
#define BULWARK_PATH_BPF_H

#include "common.bpf.h"

/*
 * Index masks that keep the verifier convinced every variable-offset
 * access stays inside a scratch buffer: buffers are 2 * BW_PATH_MAX bytes,
 * offsets are masked to BW_PATH_MAX - 1 and sizes to BW_PATH_MAX - 1 (or
 * NAME_MAX), so offset + size never reaches the end.
 */
#define PATH_MASK (BW_PATH_MAX - 1)
#define NAME_MASK 255

/*
 * Walks run as bpf_loop() steps, verified once (5.17+). Kernels without
 * bpf_loop refuse any program that even names a loop callback, so the
 * files built for them (BW_NO_BPF_LOOP) walk with a bounded loop the
 * verifier unrolls instead; WALK_LOOP() picks one.
 */
#ifdef BW_NO_BPF_LOOP
#define WALK_LOOP(n, step, ctx)                                              \
	do {                                                                 \
		for (int __i = 0; __i < (n); __i++)                          \
			if (step(__i, ctx))                                  \
				break;                                       \
	} while (0)
#else
#define WALK_LOOP(n, step, ctx) bpf_loop((n), (step), (ctx), 0)
#endif

/* The struct file behind fd in the current task, or NULL. */
static __always_inline struct file *fd_to_file(int fd)
{
	struct task_struct *t = cur_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **arr;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	arr = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]))
		return NULL;
	return f;
}

/* The directory a dirfd-relative name starts from: the fd's path or the cwd. */
static __always_inline bool start_dir(int dfd, struct dentry **d, struct vfsmount **m)
{
	struct task_struct *t = cur_task();
	struct file *f;

	struct fs_struct *fs;
	struct path p = {};

	/* the whole struct path in one read: one helper call, not four */
	if (dfd == AT_FDCWD) {
		fs = TASK_RD(t, fs);
		if (!fs || bpf_core_read(&p, bpf_core_type_size(struct path), &fs->pwd))
			return false;
	} else {
		f = fd_to_file(dfd);
		if (!f || bpf_core_read(&p, bpf_core_type_size(struct path), &f->f_path))
			return false;
	}
	*d = p.dentry;
	*m = p.mnt;
	return *d && *m;
}

/* State of one dentry walk, carried across bpf_loop() steps. */
struct walk_ctx {
	struct dentry *dentry;     /* current component */
	struct vfsmount *vfsmnt;   /* its mount */
	struct mount *mnt;         /* container of vfsmnt */
	struct dentry *mnt_root;   /* vfsmnt's root, read once per mount */
	int off;                   /* path starts at walk[off] */
	int done;                  /* reached the root */
	__u32 watch;               /* watch_ancestry: BW_WATCH_* found */
	__u32 dev;                 /* watch_ancestry: the mount's s_dev */
	__u32 dev_watched;         /* watch_ancestry: dev is in watch_devs */
	__u32 _pad;
};

/*
 * d_parent, d_name (hash, len, name) and d_inode of a dentry. They lie
 * together in struct dentry on every kernel we support, so one read
 * fetches all three instead of one helper call each; the layout is
 * checked through CO-RE and a kernel that moved them gets the reads one
 * by one.
 */
struct dent_snap {
	struct dentry *parent;
	__u32 hash;                /* struct qstr: hash, then len (little endian) */
	__u32 len;
	const unsigned char *name;
	struct inode *inode;
};

static __always_inline void dent_read(struct dentry *d, struct dent_snap *ds)
{
	__u32 op = bpf_core_field_offset(struct dentry, d_parent);

	if (bpf_core_field_offset(struct dentry, d_name) == op + 8 &&
	    bpf_core_field_offset(struct dentry, d_inode) == op + 24 &&
	    bpf_core_field_offset(struct qstr, len) == 4 &&
	    bpf_core_field_offset(struct qstr, name) == 8 &&
	    !bpf_probe_read_kernel(ds, sizeof(*ds), (const char *)d + op))
		return;
	ds->parent = BPF_CORE_READ(d, d_parent);
	ds->len = BPF_CORE_READ(d, d_name.len);
	ds->name = BPF_CORE_READ(d, d_name.name);
	ds->inode = BPF_CORE_READ(d, d_inode);
}

/*
 * Reads what a walk needs once per mount, not once per component: the
 * mount's root and, for watch_ancestry (dev), its filesystem and whether
 * that holds watched inodes. Every dentry of a mount is on its mnt_sb.
 */
static __always_inline void mount_enter(struct walk_ctx *c, bool dev)
{
	struct vfsmount *vfsmnt = c->vfsmnt;
	__u32 sdev;

	if (dev) {
		sdev = BPF_CORE_READ(vfsmnt, mnt_sb, s_dev);
		c->dev = sdev;
		c->dev_watched = bpf_map_lookup_elem(&watch_devs, &sdev) != NULL;
		if (!c->dev_watched)
			return; /* the walk asks watch_mounts at once: no root needed */
	}
	c->mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
}

struct path_scratch {
	char walk[2 * BW_PATH_MAX]; /* dentry walk, built backwards to walk[BW_PATH_MAX] */
	char out[2 * BW_PATH_MAX];  /* the finished path, from out[0] */
	struct lpm_key key;         /* LPM lookup key for absolute names */
	/* the walk in progress in the 5.10 builds (their steps are global
	 * functions); in every build, as the objects share this map */
	struct walk_ctx wc;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} path_scratch_map SEC(".maps") __weak;

static __always_inline struct path_scratch *path_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&path_scratch_map, &zero);
}

/*
 * Moves c from the root of mnt to its mountpoint in the parent mount mp.
 * The parent mount is read only here, at the top of a mount: most walks
 * outside sessions stop at their first mount (watch_mounts knows it).
 */
static __always_inline void cross_mount(struct walk_ctx *c, struct mount *mnt, struct mount *mp)
{
	c->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
	c->mnt = mp;
	c->vfsmnt = &mp->mnt;
}

/* Moves c to the parent; at a mount root, to the mountpoint. Returns 1 at the root. */
static __always_inline int walk_up(struct walk_ctx *c, struct dentry *parent)
{
	/* locals, not c->x: CO-RE relocations must not see struct walk_ctx */
	struct vfsmount *vfsmnt = c->vfsmnt;
	struct mount *mnt = c->mnt, *mp;
	struct dentry *dentry = c->dentry;
	struct dentry *mnt_root = c->mnt_root;

	(void)vfsmnt;
	if (dentry == mnt_root || dentry == parent) {
		if (dentry != mnt_root)
			return 1; /* a disconnected dentry */
		mp = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt == mp)
			return 1; /* the root */
		cross_mount(c, mnt, mp);
		mount_enter(c, false);
		return 2; /* crossed a mount: no component added */
	}
	return 0;
}

/* One step of path_walk: prepends "/name" of c->dentry. Verified once by bpf_loop. */
static long __attribute__((unused)) path_walk_step(__u64 i, struct walk_ctx *c)
{
	struct path_scratch *s = path_scratch_get();
	struct dentry *dentry, *parent;
	const unsigned char *name;
	struct dent_snap ds;
	__u32 len;
	int off = c->off, up;

	if (!s || off < 0 || off > BW_PATH_MAX)
		return 1;
	dentry = c->dentry;
	dent_read(dentry, &ds);
	parent = ds.parent;
	up = walk_up(c, parent);
	if (up == 1) {
		c->done = 1;
		return 1;
	}
	if (up == 2)
		return 0;
	len = ds.len & NAME_MASK;
	name = ds.name;
	if ((int)len + 1 > off)
		return 1; /* does not fit: truncated at the top */
	off -= (int)len + 1;
	bpf_probe_read_kernel(&s->walk[(off + 1) & PATH_MASK], len, name);
	s->walk[off & PATH_MASK] = '/';
	c->off = off;
	c->dentry = parent;
	return 0;
}

/*
 * Writes the absolute path of (dentry, vfsmnt) into s->walk so that it
 * ends just before walk[BW_PATH_MAX], crossing mounts up to the namespace
 * root. Returns the start offset. At most BW_PATH_DEPTH steps; a deeper or
 * longer path is truncated at its top and flagged. Paths are as seen from
 * the initial mount namespace root, not the task's chroot.
 */
#ifdef BW_NO_BPF_LOOP
/*
 * 5.10: the walks are global functions. The verifier checks a global
 * function once, with its scalar arguments unknown, and the caller sees
 * only an unknown return value; a static one is re-verified for every
 * state that calls it, and three bounded 64-step walks in one program
 * took 5.10's verifier past its 1M instructions. Arguments are scalars
 * (5.10 allows no pointer arguments); the results go through the per-CPU
 * path scratch. BW_NL() gives each 5.10 file its own symbol names, so
 * the objects still link into one.
 */
#define BW_NL_CAT2(a, b) a##_##b
#define BW_NL_CAT(a, b) BW_NL_CAT2(a, b)
#define BW_NL(name) BW_NL_CAT(name, BW_NL_UNIT)

/*
 * One walk step as a global function: the walk's state lives in the
 * per-CPU scratch (s->wc), so the verifier checks the step's branches
 * once, and the caller's loop only sees "go on or stop" per step. With
 * the step inlined, its branches multiplied along the unrolled loop and
 * 5.10's verifier stopped at its 1M instructions.
 */
__noinline int BW_NL(path_step_g)(__u32 i)
{
	struct path_scratch *s = path_scratch_get();

	if (!s)
		return 1;
	return (int)path_walk_step(i, &s->wc);
}

/* Returns the start offset in s->walk, plus 1 << 16 when truncated. */
__noinline int BW_NL(path_walk_g)(__u64 dentry, __u64 vfsmnt)
{
	struct path_scratch *s = path_scratch_get();
	struct mount *mnt;
	int off;

	if (!s)
		return BW_PATH_MAX - 1;
	mnt = container_of((struct vfsmount *)vfsmnt, struct mount, mnt);
	s->wc.dentry = (struct dentry *)dentry;
	s->wc.vfsmnt = (struct vfsmount *)vfsmnt;
	s->wc.mnt = mnt;
	s->wc.off = BW_PATH_MAX;
	s->wc.done = 0;
	s->wc.watch = 0;
	mount_enter(&s->wc, false);
	for (__u32 i = 0; i < BW_PATH_DEPTH; i++)
		if (BW_NL(path_step_g)(i))
			break;
	off = s->wc.off;
	if (off < 0 || off > BW_PATH_MAX)
		off = BW_PATH_MAX;
	if (off == BW_PATH_MAX) {
		off = BW_PATH_MAX - 1;
		s->walk[off & PATH_MASK] = '/';
	}
	return off | (s->wc.done ? 0 : 1 << 16);
}

static __noinline int path_walk(struct dentry *dentry, struct vfsmount *vfsmnt,
				char *walk, __u32 *flags, __u32 trunc_flag)
{
	int r = BW_NL(path_walk_g)((__u64)dentry, (__u64)vfsmnt), off;

	if (r >> 16)
		*flags |= trunc_flag;
	off = r & 0xffff;
	if (off < 0 || off > BW_PATH_MAX - 1)
		off = BW_PATH_MAX - 1;
	return off;
}
#else
static __noinline int path_walk(struct dentry *dentry, struct vfsmount *vfsmnt,
				char *walk, __u32 *flags, __u32 trunc_flag)
{
	struct walk_ctx c = {
		.dentry = dentry, .vfsmnt = vfsmnt,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.off = BW_PATH_MAX,
	};
	int off;

	mount_enter(&c, false);
	WALK_LOOP(BW_PATH_DEPTH, path_walk_step, &c);
	if (!c.done)
		*flags |= trunc_flag;
	off = c.off;
	if (off < 0 || off > BW_PATH_MAX)
		off = BW_PATH_MAX;
	if (off == BW_PATH_MAX) {
		off = BW_PATH_MAX - 1;
		walk[off & PATH_MASK] = '/';
	}
	return off;
}
#endif

/*
 * Resolves the user-space name relative to dfd (or the cwd) into s->out.
 * Returns the length (no NUL). Absolute names are taken as given; '.',
 * '..' and symlinks in the name are left for user space to normalise
 * lexically (the directory part comes from the kernel, symlinks resolved).
 */
static __noinline __attribute__((unused)) int path_resolve_at(int dfd, const char *uname, struct path_scratch *s,
				      __u32 *flags, __u32 trunc_flag)
{
	struct dentry *d;
	struct vfsmount *m;
	long n;
	int off, dlen, total;

	n = bpf_probe_read_user_str(s->out, BW_PATH_MAX, uname);
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
	/* "/" + name after the directory; the root needs no extra '/' */
	if (dlen == 1) {
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

/* Absolute path of (dentry, vfsmnt) into s->out; returns the length. */
static __noinline __attribute__((unused)) int path_of_dentry(struct dentry *d, struct vfsmount *m,
							     struct path_scratch *s, __u32 *flags,
							     __u32 trunc_flag)
{
	int off, len;

	if (!d || !m)
		return 0;
	off = path_walk(d, m, s->walk, flags, trunc_flag);
	len = BW_PATH_MAX - off;
	bpf_probe_read_kernel(s->out, len & PATH_MASK, &s->walk[off & PATH_MASK]);
	return len & PATH_MASK;
}

/* Absolute path of an open file into s->out; returns the length. */
static __always_inline __attribute__((unused)) int path_of_file(struct file *f, struct path_scratch *s,
								 __u32 *flags, __u32 trunc_flag)
{
	return path_of_dentry(BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), s, flags,
			      trunc_flag);
}

/* The watch_mounts verdict for what lies above mnt's root, or NULL if unknown. */
static __always_inline __u32 *mount_verdict(struct mount *mnt)
{
	__u64 id;

	if (!bpf_core_field_exists(mnt->mnt_id_unique))
		return NULL;
	id = BPF_CORE_READ(mnt, mnt_id_unique);
	return bpf_map_lookup_elem(&watch_mounts, &id);
}

/*
 * One step of watch_ancestry. On a filesystem with watched inodes, looks
 * c->dentry up and moves to its parent. On any other filesystem, or at the
 * top of the mount, asks watch_mounts about what lies above the mount and
 * stops there when the mount is known; otherwise crosses to the mountpoint.
 */
static long __attribute__((unused)) watch_step(__u64 i, struct walk_ctx *c)
{
	struct dentry *dentry = c->dentry, *parent;
	struct mount *mnt = c->mnt, *mp;
	struct watch_key k = {};
	struct dent_snap ds;
	struct inode *inode;
	__u32 *v;

	if (c->dev_watched) {
		dent_read(dentry, &ds);
		inode = ds.inode;
		k.dev = c->dev;
		k.ino = BPF_CORE_READ(inode, i_ino);
		v = bpf_map_lookup_elem(&watch_inodes, &k);
		if (v) {
			c->watch = *v;
			return 1;
		}
		parent = ds.parent;
		if (dentry != c->mnt_root) {
			if (dentry == parent)
				return 1; /* disconnected */
			c->dentry = parent;
			return 0;
		}
	}
	v = mount_verdict(mnt);
	if (v) {
		c->watch = *v;
		return 1;
	}
	mp = BPF_CORE_READ(mnt, mnt_parent);
	if (mnt == mp)
		return 1; /* the root mount: nothing above */
	cross_mount(c, mnt, mp);
	mount_enter(c, true);
	return 0;
}

/*
 * BW_WATCH_* bits of the nearest watched ancestor of dentry (itself
 * included), or 0. Walks inodes only, no strings: cheap enough to run for
 * every file syscall outside login sessions.
 */
#ifdef BW_NO_BPF_LOOP
/* 5.10: global functions, as path_step_g and path_walk_g above. */
__noinline int BW_NL(watch_step_g)(__u32 i)
{
	struct path_scratch *s = path_scratch_get();

	if (!s)
		return 1;
	return (int)watch_step(i, &s->wc);
}

__noinline __u32 BW_NL(watch_ancestry_g)(__u64 dentry, __u64 vfsmnt)
{
	struct path_scratch *s = path_scratch_get();
	struct mount *mnt;

	if (!s)
		return 0;
	mnt = container_of((struct vfsmount *)vfsmnt, struct mount, mnt);
	s->wc.dentry = (struct dentry *)dentry;
	s->wc.vfsmnt = (struct vfsmount *)vfsmnt;
	s->wc.mnt = mnt;
	s->wc.off = 0;
	s->wc.done = 0;
	s->wc.watch = 0;
	mount_enter(&s->wc, true);
	for (__u32 i = 0; i < BW_PATH_DEPTH; i++)
		if (BW_NL(watch_step_g)(i))
			break;
	return s->wc.watch;
}

static __always_inline __u32 watch_ancestry(struct dentry *dentry, struct vfsmount *vfsmnt)
{
	return BW_NL(watch_ancestry_g)((__u64)dentry, (__u64)vfsmnt);
}
#else
static __noinline __u32 watch_ancestry(struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct walk_ctx c = {
		.dentry = dentry, .vfsmnt = vfsmnt,
		.mnt = container_of(vfsmnt, struct mount, mnt),
	};

	mount_enter(&c, true);
	/* the first step called directly: most walks outside sessions end there */
	if (!watch_step(0, &c))
		WALK_LOOP(BW_PATH_DEPTH - 1, watch_step, &c);
	return c.watch;
}
#endif

/* BW_WATCH_* bits for a name about to be acted on relative to dfd. */
static __noinline __attribute__((unused)) __u32 watch_name(int dfd, const char *uname, struct path_scratch *s)
{
	struct dentry *d;
	struct vfsmount *m;
	char first = 0;
	long n;
	__u32 *v;

	/* a relative name is judged by its start directory: its first byte is all we need */
	if (bpf_probe_read_user(&first, 1, uname))
		return 0;
	if (first == '/') {
		n = bpf_probe_read_user_str(s->key.path, sizeof(s->key.path), uname);
		if (n <= 0)
			return 0;
		s->key.prefixlen = (__u32)(n - 1) * 8;
		v = bpf_map_lookup_elem(&watch_prefixes, &s->key);
		return v ? *v : 0;
	}
	if (!start_dir(dfd, &d, &m))
		return 0;
	return watch_ancestry(d, m);
}

/*
 * BW_WATCH_* bits for a relative name, judged on its resolved absolute
 * path. Catches what the start directory's ancestry cannot: the name may
 * itself be a watched directory (rmdir or rename of a protected root from
 * its parent) or reach one through several components. Builds the path, so
 * it is used for login sessions only.
 */
static __noinline __attribute__((unused)) __u32 watch_resolved(int dfd, const char *uname,
							       struct path_scratch *s)
{
	__u32 flags = 0, *v;
	int len = path_resolve_at(dfd, uname, s, &flags, BW_F_PATH_TRUNC);

	if (len <= 0 || len >= BW_LPM_MAX || (flags & BW_F_PATH_REL))
		return 0;
	bpf_probe_read_kernel(s->key.path, len & (BW_LPM_MAX - 1), s->out);
	s->key.prefixlen = (__u32)len * 8;
	v = bpf_map_lookup_elem(&watch_prefixes, &s->key);
	return v ? *v : 0;
}

#endif /* BULWARK_PATH_BPF_H */
