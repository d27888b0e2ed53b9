// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Loader: host checks, tracefs/bpffs mounts, skeleton open -> configure -> load -> attach. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bulwark_abi.h"
#include "bulwark.skel.h"
#include "kernel/loader.h"
#include "kernel/watchset.h"

#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC 0xcafe4a11

/* st_dev as the kernel keys it (super_block->s_dev, the kernel's dev_t encoding). */
static uint32_t kernel_dev(dev_t d)
{
	return (uint32_t)((major(d) << 20) | minor(d));
}

struct lpm_key_u {
	uint32_t prefixlen;
	char path[256];
};

struct watch_key_u {
	uint64_t ino;
	uint32_t dev;
	uint32_t pad;
};

static bool verbose_libbpf;
static bool quiet_libbpf;  /* during the BPF-LSM probe */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if ((level == LIBBPF_DEBUG && !verbose_libbpf) || quiet_libbpf)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int ensure_mount(const char *dir, const char *type, long magic, FILE *log)
{
	struct statfs st;

	if (!statfs(dir, &st) && st.f_type == magic)
		return 0;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(log, "bulwark: cannot create %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	if (mount(type, dir, type, 0, NULL)) {
		fprintf(log, "bulwark: cannot mount %s on %s: %s; mount it by hand: mount -t %s %s %s\n",
			type, dir, strerror(errno), type, type, dir);
		return -errno;
	}
	fprintf(log, "bulwark: mounted %s on %s (it was not mounted)\n", type, dir);
	return 0;
}

int loader_check_host(FILE *log)
{
	int err;

	if (geteuid() != 0) {
		fprintf(log, "bulwark: run needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN); "
			     "run it as root, e.g. sudo bulwark run\n");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(log, "bulwark: the kernel has no BTF (/sys/kernel/btf/vmlinux: %s); "
			     "bulwark needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n",
			strerror(errno));
		return -ENOTSUP;
	}
	err = ensure_mount("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC, log);
	if (err)
		return err;
	return ensure_mount("/sys/fs/bpf", "bpf", BPF_FS_MAGIC, log);
}

static bool is_lsm_prog(struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "lsm/", 4);
}

/* SEC("uprobe") without a target: the binary is chosen at run time by its module. */
static bool is_manual_prog(struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe");
}

/*
 * Probes BPF-LSM by loading and attaching one LSM program on its own. Many
 * kernels build BPF-LSM but leave it out of lsm= or refuse it under
 * lockdown (ours: EPERM), so only a real load tells.
 */
static bool probe_lsm(struct loader *l)
{
	struct bulwark_bpf *p = bulwark_bpf__open();
	struct bpf_program *prog;
	struct bpf_link *link;
	int err;

	l->lsm_probed = true;
	if (!p) {
		snprintf(l->lsm_why, sizeof(l->lsm_why), "probe: cannot open the object");
		return false;
	}
	bpf_object__for_each_program(prog, p->obj)
		bpf_program__set_autoload(prog, prog == p->progs.lsm_path_unlink);
	quiet_libbpf = true;
	err = bulwark_bpf__load(p);
	if (!err) {
		link = bpf_program__attach_lsm(p->progs.lsm_path_unlink);
		err = link ? 0 : -errno;
		bpf_link__destroy(link);
	}
	quiet_libbpf = false;
	bulwark_bpf__destroy(p);
	if (err)
		snprintf(l->lsm_why, sizeof(l->lsm_why), "BPF-LSM unavailable: %s", strerror(-err));
	return !err;
}

int loader_open(struct loader *l, const struct loader_opts *o, FILE *log)
{
	struct bpf_program *prog;
	int err;

	memset(l, 0, sizeof(*l));
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);

	/* Open BPF application */
	l->skel = bulwark_bpf__open();
	if (!l->skel) {
		err = -errno;
		fprintf(log, "bulwark: cannot open the BPF object: %s\n", strerror(-err));
		return err;
	}

	/* Probe BPF-LSM; without it the tracepoint path enforces alone */
	l->lsm = probe_lsm(l);

	/* Configure before load */
	l->skel->rodata->self_tgid = (uint32_t)getpid();
	l->skel->rodata->capture_all = o->capture_all;
	l->skel->rodata->enforce_kill = o->enforce_kill;
	l->enforce_kill = o->enforce_kill;
	if (o->ringbuf_bytes)
		bpf_map__set_max_entries(l->skel->maps.rb, o->ringbuf_bytes);
	bpf_object__for_each_program(prog, l->skel->obj)
		if (is_lsm_prog(prog) && !l->lsm)
			bpf_program__set_autoload(prog, false);
	if (o->configure)
		o->configure(l->skel->obj, o->configure_arg);

	/* Load & verify BPF programs */
	err = bulwark_bpf__load(l->skel);
	if (err) {
		fprintf(log, "bulwark: the kernel refused the BPF programs: %s; "
			     "run with --verbose for the verifier log\n", strerror(-err));
		goto fail;
	}

	/* Attach each program on its own, so status can say what is on */
	bpf_object__for_each_program(prog, l->skel->obj) {
		struct loader_prog *lp;
		struct bpf_link *link;

		if (l->nprogs >= LOADER_MAX_PROGS)
			break;
		lp = &l->progs[l->nprogs++];
		snprintf(lp->name, sizeof(lp->name), "%s", bpf_program__name(prog));
		snprintf(lp->hook, sizeof(lp->hook), "%s", bpf_program__section_name(prog));
		if (!bpf_program__autoattach(prog) || !bpf_program__autoload(prog) ||
		    is_manual_prog(prog)) {
			bool loaded = bpf_program__autoload(prog);
			const char *why = loaded ? "attached by its module"
					  : is_lsm_prog(prog) ? l->lsm_why : "disabled";

			snprintf(lp->hook + strlen(lp->hook), sizeof(lp->hook) - strlen(lp->hook),
				 loaded ? " (%s)" : " (not loaded: %s)", why);
			continue;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			lp->err = -errno;
			fprintf(log, "bulwark: cannot attach %s (%s): %s\n", lp->name, lp->hook,
				strerror(-lp->err));
			err = lp->err;
			goto fail;
		}
		/* the skeleton's links array owns it; record for cleanup */
		bpf_program__set_autoattach(prog, false);
		lp->attached = true;
		l->nattached++;
		for (int i = 0; i < l->skel->skeleton->prog_cnt; i++)
			if (*l->skel->skeleton->progs[i].prog == prog)
				*l->skel->skeleton->progs[i].link = link;
	}
	return 0;
fail:
	loader_close(l);
	return err;
}

void loader_close(struct loader *l)
{
	watchset_clear(&l->trees);
	if (l->skel)
		bulwark_bpf__destroy(l->skel);
	l->skel = NULL;
}

const char *loader_enforcement(const struct loader *l)
{
	if (!l->protect)
		return "user space only (no --protect trees)";
	if (l->lsm)
		return "bpf-lsm: denied before the operation";
	return l->enforce_kill ? "tracepoint: SIGKILL at sys_enter (at most 1 file in flight lost)"
			       : "tracepoint: report only (--no-kill)";
}

/* Removes every key of a hash or LPM map (next_key walk). */
static void map_clear(int fd, size_t key_size)
{
	char key[512], next[512];

	if (key_size > sizeof(key))
		return;
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

void loader_trees_begin(struct loader *l)
{
	/* stop the kernel from using the maps while they are rebuilt */
	l->skel->bss->watch_count = 0;
	l->skel->bss->protect_count = 0;
	map_clear(bpf_map__fd(l->skel->maps.watch_inodes), sizeof(struct watch_key_u));
	map_clear(bpf_map__fd(l->skel->maps.watch_prefixes), sizeof(struct lpm_key_u));
	map_clear(bpf_map__fd(l->skel->maps.watch_devs), sizeof(uint32_t));
	watchset_clear(&l->trees);
	l->nwatch = l->nprotect = 0;
}

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U
#endif

/*
 * A network or FUSE filesystem: statx of its mount point could block the
 * daemon on a dead server, so such mounts get no verdict (walked through).
 */
static bool remote_fs(const char *line)
{
	static const char *const types[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph",
					     "9p", "afs", "glusterfs", "lustre", "gfs2", "ocfs2" };
	const char *t = strstr(line, " - ");
	size_t n;

	if (!t)
		return true;
	t += 3;
	n = strcspn(t, " \n");
	if (!strncmp(t, "fuse", 4))
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && !strncmp(t, types[i], n))
			return true;
	return false;
}

/*
 * watch_mounts from this namespace's mount table: for each mount, the bits
 * of the trees that contain its mount point. Mounts that went away are
 * deleted; a shadowed mount is left out (the kernel walks through it).
 */
static int sync_mounts(struct loader *l)
{
	int fd = bpf_map__fd(l->skel->maps.watch_mounts), n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	uint64_t *ids = NULL, key, next;
	size_t nids = 0, cap = 0;
	char *line = NULL, mp[PATH_MAX];
	size_t lcap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		struct statx stx;
		uint32_t bits;

		if (!watchset_mountinfo_point(line, mp, sizeof(mp)) || remote_fs(line))
			continue;
		if (statx(AT_FDCWD, mp, AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
			  STATX_MNT_ID_UNIQUE, &stx) || !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
			continue;
		bits = watchset_bits(&l->trees, mp);
		if (bpf_map_update_elem(fd, &stx.stx_mnt_id, &bits, BPF_ANY))
			continue; /* full: that mount is walked through */
		if (nids == cap) {
			uint64_t *ni = realloc(ids, (cap = cap ? cap * 2 : 256) * sizeof(*ni));

			if (!ni)
				break;
			ids = ni;
		}
		ids[nids++] = stx.stx_mnt_id;
		n++;
	}
	free(line);
	fclose(f);
	/* drop the mounts that are gone (their ids are never reused) */
	for (int more = !bpf_map_get_next_key(fd, NULL, &key); more;) {
		bool live = false;

		more = !bpf_map_get_next_key(fd, &key, &next);
		for (size_t i = 0; i < nids && !live; i++)
			live = ids[i] == key;
		if (!live)
			bpf_map_delete_elem(fd, &key);
		key = next;
	}
	free(ids);
	return n;
}

int loader_trees_commit(struct loader *l)
{
	int fd_ino = bpf_map__fd(l->skel->maps.watch_inodes);
	int fd_lpm = bpf_map__fd(l->skel->maps.watch_prefixes);
	int fd_dev = bpf_map__fd(l->skel->maps.watch_devs);
	uint32_t nprotect = 0, one = 1;
	int err = 0;

	for (int i = 0; i < l->trees.n; i++) {
		const struct watch_entry *e = &l->trees.e[i];
		uint32_t bits = watchset_bits(&l->trees, e->path);
		struct watch_key_u wk = { .ino = e->ino, .dev = e->dev };
		struct lpm_key_u lk = { 0 };
		size_t n = strlen(e->path);

		if (bits & (LOADER_WATCH_PROTECT | LOADER_WATCH_PROTECT_SESSION))
			nprotect++;
		if (e->has_key && (bpf_map_update_elem(fd_ino, &wk, &bits, BPF_ANY) ||
				   bpf_map_update_elem(fd_dev, &wk.dev, &one, BPF_ANY)))
			err = -errno;
		if (n >= sizeof(lk.path))
			continue; /* by inode only (said when it was added) */
		memcpy(lk.path, e->path, n);
		lk.prefixlen = (uint32_t)n * 8;
		if (bpf_map_update_elem(fd_lpm, &lk, &bits, BPF_ANY))
			err = -errno;
	}
	sync_mounts(l);
	l->nwatch = (uint32_t)l->trees.n;
	l->nprotect = nprotect;
	l->skel->bss->watch_count = l->nwatch;
	l->skel->bss->protect_count = l->nprotect;
	l->protect = l->nprotect > 0;
	return err;
}

int loader_quarantine_fd(struct loader *l)
{
	return bpf_map__fd(l->skel->maps.quarantine);
}

int loader_allow_exe(struct loader *l, const char *pattern)
{
	struct watch_key_u k = { 0 };
	uint32_t one = 1;
	glob_t g;
	int n = 0;

	if (glob(pattern, 0, NULL, &g))
		return 0; /* not installed here */
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;

		if (stat(g.gl_pathv[i], &st))
			continue;
		k.ino = st.st_ino;
		k.dev = kernel_dev(st.st_dev);
		if (!bpf_map_update_elem(bpf_map__fd(l->skel->maps.allow_exe), &k, &one, BPF_ANY))
			n++;
	}
	globfree(&g);
	return n;
}

struct bpf_object *loader_object(struct loader *l)
{
	return l->skel ? l->skel->obj : NULL;
}

int loader_ringbuf_fd(struct loader *l)
{
	return bpf_map__fd(l->skel->maps.rb);
}

int loader_read_stats(struct loader *l, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->skel->maps.stats);
	uint64_t vals[512];

	if (ncpu <= 0 || ncpu > 512)
		return -EINVAL;
	for (uint32_t i = 0; i < BW_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			return -errno;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

int loader_watch_dir(struct loader *l, const char *dir, uint32_t bits, FILE *log)
{
	char real[PATH_MAX];
	struct stat st = { 0 };
	bool exists = !stat(dir, &st);

	if (!exists) {
		/* a directory that does not exist yet is watched by prefix only */
		if (errno != ENOENT) {
			fprintf(log, "bulwark: cannot watch %s: %s\n", dir, strerror(errno));
			return -errno;
		}
		snprintf(real, sizeof(real), "%s", dir);
	} else if (!realpath(dir, real)) {
		snprintf(real, sizeof(real), "%s", dir);
	}
	if (strlen(real) >= sizeof(((struct lpm_key_u *)0)->path) &&
	    !watchset_has(&l->trees, real) /* said once, not every 2 s */)
		fprintf(log, "bulwark: %s: path longer than %zu bytes is watched by inode only\n",
			real, sizeof(((struct lpm_key_u *)0)->path) - 1);
	return watchset_add(&l->trees, real, exists, st.st_ino, kernel_dev(st.st_dev), bits);
}
