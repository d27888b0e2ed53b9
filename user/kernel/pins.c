// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Pins: links and enforcing maps in bpffs, takeover by the next daemon, heartbeat, unload. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/clock.h"
#include "kernel/pins.h"

#define BPF_FS_MAGIC 0xcafe4a11

/*
 * Maps a new daemon reuses from the pins instead of creating: records
 * that waited in the ring while no daemon ran, the counters (drops while
 * down), the sessions being killed, and the guard state. The others
 * (trees, allowlist, guard ids) are rebuilt by the new daemon into fresh
 * maps that its own programs use, and then replace the old pins: the old
 * programs keep theirs until their links go, so nothing is empty between.
 */
static const char *const reused_maps[] = { "rb", "stats", "quarantine", "guard_state", NULL };
/* Maps pinned for inspection and so that the next daemon can copy from them. */
static const char *const pinned_maps[] = {
	"rb", "stats", "quarantine", "guard_state", "allow_exe", "watch_inodes", "watch_devs",
	"watch_mounts", "watch_prefixes", "guard_pids", "guard_ids", "guard_paths", NULL,
};

#define BW_KIND_MAP  1ull
#define BW_KIND_LINK 2ull
#define BW_KIND_SB   3ull

struct lpm_key_u {
	uint32_t prefixlen;
	char path[256];
};

static uint32_t kernel_dev(dev_t d)
{
	return (uint32_t)((major(d) << 20) | minor(d));
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool on_bpffs(const char *dir)
{
	struct statfs sf;

	return !statfs(dir, &sf) && sf.f_type == BPF_FS_MAGIC;
}

/* The mount point of the filesystem holding dir: the last ancestor on the same device. */
static void mount_point_of(const char *dir, char *out, size_t n)
{
	char cur[PATH_MAX], *slash;
	struct stat st, up;

	snprintf(out, n, "%s", dir);
	if (stat(dir, &st))
		return;
	snprintf(cur, sizeof(cur), "%s", dir);
	while ((slash = strrchr(cur, '/')) && slash != cur) {
		*slash = 0;
		if (stat(cur, &up) || up.st_dev != st.st_dev)
			break;
		snprintf(out, n, "%s", cur);
	}
}

int pins_read_state(const char *dir, struct bw_guard_state *st)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), zero = 0;
	char path[PATH_MAX + 32], buf[1024];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/maps/guard_state", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else if (info.value_size != sizeof(*st) || info.key_size != 4)
		err = -EPROTO;
	else if (bpf_map_lookup_elem(fd, &zero, buf))
		err = -errno;
	else
		memcpy(st, buf, sizeof(*st));
	close(fd);
	if (!err && st->abi != BW_ABI_VERSION)
		err = -EPROTO;
	return err;
}

/* Entries of dir/sub, "." files excluded. */
static int count_entries(const char *dir, const char *sub)
{
	char path[PATH_MAX + 16];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int pins_open(struct pins *p, const char *dir, FILE *log)
{
	struct bw_guard_state st;
	int err;

	memset(p, 0, sizeof(*p));
	p->dirfd = -1;
	if (!dir || !*dir)
		return 0;
	if (strlen(dir) >= 200) {
		fprintf(log, "bulwark: pin dir %s: longer than 200 bytes; choose a shorter --pin-dir\n", dir);
		return -ENAMETOOLONG;
	}
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	err = mkdir_p(dir, 0700);
	if (err) {
		fprintf(log, "bulwark: cannot create the pin dir %s: %s; it must be on a bpf filesystem "
			     "(mount -t bpf bpf /sys/fs/bpf)\n", dir, strerror(-err));
		return err;
	}
	if (!on_bpffs(dir)) {
		fprintf(log, "bulwark: the pin dir %s is not on a bpf filesystem, so nothing can be pinned "
			     "there; use a directory under /sys/fs/bpf (--pin-dir, pin_dir:) or mount one: "
			     "mount -t bpf bpf DIR\n", dir);
		return -ENOTSUP;
	}
	mount_point_of(dir, p->mnt, sizeof(p->mnt));
	p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		err = -errno;
		fprintf(log, "bulwark: cannot open the pin dir %s: %s\n", dir, strerror(-err));
		return err;
	}
	if (flock(p->dirfd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		if (err == -EWOULDBLOCK) {
			char who[32] = "";

			memset(&st, 0, sizeof(st));
			if (!pins_read_state(dir, &st) && st.daemon_tgid)
				snprintf(who, sizeof(who), " (pid %u)", st.daemon_tgid);
			fprintf(log, "bulwark: another bulwark daemon%s holds the pins in %s; only one "
				     "daemon may own them: stop it first (systemctl stop bulwark), or give "
				     "this one its own --pin-dir\n", who, dir);
			err = -EBUSY;
		} else {
			fprintf(log, "bulwark: cannot lock the pin dir %s: %s\n", dir, strerror(-err));
		}
		close(p->dirfd);
		p->dirfd = -1;
		return err;
	}
	p->started_ns = clock_boottime_ns();
	p->found = count_entries(dir, "links") > 0 || count_entries(dir, "maps") > 0;
	if (!p->found)
		return 0;
	err = pins_read_state(dir, &st);
	if (!err) {
		p->compatible = true;
		p->have_old = true;
		p->old = st;
	} else if (err == -EPROTO) {
		snprintf(p->why, sizeof(p->why), "they were left by a bulwark of another event ABI "
			 "(this one is %d)", BW_ABI_VERSION);
	} else {
		snprintf(p->why, sizeof(p->why), "they have no readable guard state (%s): left by "
			 "a bulwark older than ABI %d", strerror(-err), BW_ABI_VERSION);
	}
	return 0;
}

void pins_close(struct pins *p)
{
	if (p->dirfd >= 0)
		close(p->dirfd); /* releases the flock */
	p->dirfd = -1;
}

static int reuse_one(struct bpf_object *obj, const char *dir, const char *name, FILE *log)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	char path[PATH_MAX + 32];
	int fd, err = 0;

	if (!m)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/maps/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
	    info.value_size != bpf_map__value_size(m)) {
		err = -EPROTO;
		goto out;
	}
	if (info.max_entries != bpf_map__max_entries(m)) {
		if (strcmp(name, "rb")) {
			err = -EPROTO;
			goto out;
		}
		/* the ring keeps the size it was pinned with: its records are what we came for */
		fprintf(log, "bulwark: keeping the pinned ring buffer's size (%u MiB); --ringbuf-mb "
			     "takes effect after bulwark unload\n", info.max_entries >> 20);
		bpf_map__set_max_entries(m, info.max_entries);
	}
	err = bpf_map__reuse_fd(m, fd);
out:
	close(fd);
	return err;
}

void pins_reuse(struct pins *p, struct bpf_object *obj, FILE *log)
{
	if (!p || p->dirfd < 0 || !p->compatible)
		return;
	for (int i = 0; reused_maps[i]; i++) {
		int err = reuse_one(obj, p->dir, reused_maps[i], log);

		if (err && err != -ENOENT)
			fprintf(log, "bulwark: pinned map %s/maps/%s not reused (%s): a fresh one "
				     "replaces it\n", p->dir, reused_maps[i], strerror(-err));
	}
}

/* Pins fd at dir/sub/name through a temporary name renamed over the old pin. */
static int pin_replace(const char *dir, const char *sub, const char *name, int fd)
{
	char tmp[PATH_MAX + 96], path[PATH_MAX + 96];

	/* bpffs refuses names with a dot in them */
	snprintf(tmp, sizeof(tmp), "%s/%s/%s__new", dir, sub, name);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

/* Removes dir/sub entries whose name is not in keep (n of them). */
static void remove_stale(const char *dir, const char *sub, const char *const *keep, int n)
{
	char path[PATH_MAX + 16], f[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		bool live = false;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (int i = 0; i < n && !live; i++)
			live = !strcmp(keep[i], de->d_name);
		if (live)
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		unlink(f);
	}
	closedir(d);
}

/* Copies the old generation's quarantined sessions into ours (pins of another ABI). */
static void copy_quarantine(const char *dir, struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "quarantine");
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), key, next;
	char path[PATH_MAX + 32];
	uint64_t v;
	int fd;

	snprintf(path, sizeof(path), "%s/maps/quarantine", dir);
	if (!m || (fd = bpf_obj_get(path)) < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.key_size == 4 && info.value_size == 8 &&
	    info.id != 0)
		for (int more = !bpf_map_get_next_key(fd, NULL, &key); more;) {
			more = !bpf_map_get_next_key(fd, &key, &next);
			if (!bpf_map_lookup_elem(fd, &key, &v))
				bpf_map_update_elem(bpf_map__fd(m), &key, &v, BPF_ANY);
			key = next;
		}
	close(fd);
}

static uint32_t obj_id(int fd, bool link)
{
	struct bpf_map_info mi = { 0 };
	struct bpf_link_info li = { 0 };
	uint32_t len = link ? sizeof(li) : sizeof(mi);

	if (bpf_obj_get_info_by_fd(fd, link ? (void *)&li : (void *)&mi, &len))
		return 0;
	return link ? li.id : mi.id;
}

static void lpm_put(int fd, const char *path, uint32_t bits)
{
	struct lpm_key_u k = { 0 };
	size_t n = strlen(path);
	uint32_t old;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (!fd || n >= sizeof(k.path))
		return;
	memcpy(k.path, path, n);
	k.prefixlen = (uint32_t)n * 8;
	if (!bpf_map_lookup_elem(fd, &k, &old))
		bits |= old;
	bpf_map_update_elem(fd, &k, &bits, BPF_ANY);
}

/* The daemon's pid and thread ids into guard_pids. */
static void fill_pids(struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "guard_pids");
	uint32_t one = 1, pid = (uint32_t)getpid();
	struct dirent *de;
	DIR *d;

	if (!m)
		return;
	bpf_map_update_elem(bpf_map__fd(m), &pid, &one, BPF_ANY);
	d = opendir("/proc/self/task");
	if (!d)
		return;
	while ((de = readdir(d))) {
		uint32_t tid = (uint32_t)strtoul(de->d_name, NULL, 10);

		if (tid)
			bpf_map_update_elem(bpf_map__fd(m), &tid, &one, BPF_ANY);
	}
	closedir(d);
}

/* Every map and link of this generation, the pin filesystems and paths, into the guard maps. */
static void fill_guard(struct pins *p, const struct pins_objs *o)
{
	struct bpf_map *ids = bpf_object__find_map_by_name(o->obj, "guard_ids");
	struct bpf_map *paths = bpf_object__find_map_by_name(o->obj, "guard_paths");
	int fids = ids ? bpf_map__fd(ids) : -1, fpaths = paths ? bpf_map__fd(paths) : 0;
	uint32_t vm = BW_GUARD_MAPS, vl = BW_GUARD_LINKS, vf = BW_GUARD_FS;
	static const char *const fs_points[] = { "/sys/fs/bpf", "/sys/kernel/tracing",
						 "/sys/kernel/debug/tracing", "/sys/kernel/debug", NULL };
	struct bpf_map *m;
	struct stat st;
	uint64_t key;

	fill_pids(o->obj);
	if (fids < 0)
		return;
	bpf_object__for_each_map(m, o->obj) {
		uint32_t id;

		if (bpf_map__fd(m) < 0 || !(id = obj_id(bpf_map__fd(m), false)))
			continue;
		key = BW_KIND_MAP << 32 | id;
		bpf_map_update_elem(fids, &key, &vm, BPF_ANY);
	}
	for (int i = 0; i < o->n; i++) {
		uint32_t id = obj_id(bpf_link__fd(o->links[i]), true);

		if (!id)
			continue;
		key = BW_KIND_LINK << 32 | id;
		bpf_map_update_elem(fids, &key, &vl, BPF_ANY);
	}
	if (p->dirfd >= 0 && !stat(p->dir, &st)) {
		key = BW_KIND_SB << 32 | kernel_dev(st.st_dev);
		bpf_map_update_elem(fids, &key, &vf, BPF_ANY);
	}
	if (!stat("/sys/fs/bpf", &st) && on_bpffs("/sys/fs/bpf")) {
		key = BW_KIND_SB << 32 | kernel_dev(st.st_dev);
		bpf_map_update_elem(fids, &key, &vf, BPF_ANY);
	}
	if (fpaths <= 0)
		return;
	for (int i = 0; fs_points[i]; i++)
		lpm_put(fpaths, fs_points[i], BW_GUARD_FS);
	if (p->dirfd >= 0) {
		lpm_put(fpaths, p->dir, BW_GUARD_PINS);
		lpm_put(fpaths, p->mnt, BW_GUARD_FS);
	}
}

/* The guard state of this daemon (keeps what the kernel noted: last_sig_*). */
static void write_state(struct bpf_object *obj, const struct pins *p, uint64_t drops, bool fresh)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "guard_state");
	struct bw_guard_state st = { 0 };
	uint32_t zero = 0;

	if (!m || bpf_map__fd(m) < 0)
		return;
	bpf_map_lookup_elem(bpf_map__fd(m), &zero, &st);
	if (fresh) {
		st.stop_sig = st.stop_pid = 0;
		st.unload_pid = 0;
	}
	st.abi = BW_ABI_VERSION;
	st.daemon_tgid = (uint32_t)getpid();
	st.alive_ns = clock_boottime_ns();
	st.started_ns = p->started_ns;
	st.drops_reported = drops;
	bpf_map_update_elem(bpf_map__fd(m), &zero, &st, BPF_ANY);
}

static int pin_all(struct pins *p, const struct pins_objs *o, FILE *log)
{
	char sub[PATH_MAX + 16];
	const char *names[64];
	int n = 0, err = 0, e;

	snprintf(sub, sizeof(sub), "%s/links", p->dir);
	if (mkdir(sub, 0700) && errno != EEXIST)
		return -errno;
	snprintf(sub, sizeof(sub), "%s/maps", p->dir);
	if (mkdir(sub, 0700) && errno != EEXIST)
		return -errno;
	p->nlinks = p->nmaps = 0;
	for (int i = 0; i < o->n; i++) {
		e = pin_replace(p->dir, "links", o->names[i], bpf_link__fd(o->links[i]));
		if (e) {
			fprintf(log, "bulwark: cannot pin link %s in %s/links: %s; it stays attached "
				     "only while this daemon runs\n", o->names[i], p->dir, strerror(-e));
			err = e;
			continue;
		}
		p->nlinks++;
	}
	remove_stale(p->dir, "links", o->names, o->n);
	for (int i = 0; pinned_maps[i]; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(o->obj, pinned_maps[i]);

		if (!m || bpf_map__fd(m) < 0)
			continue;
		e = pin_replace(p->dir, "maps", pinned_maps[i], bpf_map__fd(m));
		if (e) {
			fprintf(log, "bulwark: cannot pin map %s in %s/maps: %s\n", pinned_maps[i], p->dir,
				strerror(-e));
			err = e;
			continue;
		}
		if (n < 64)
			names[n++] = pinned_maps[i];
		p->nmaps++;
	}
	remove_stale(p->dir, "maps", names, n);
	return err;
}

int pins_commit(struct pins *p, const struct pins_objs *o, FILE *log)
{
	/* the guard maps are filled with pinning off too: the daemon is protected while it runs */
	fill_guard(p, o);
	if (p->dirfd < 0)
		return 0;
	if (p->found && !p->compatible)
		copy_quarantine(p->dir, o->obj);
	p->took_over_ns = clock_boottime_ns();
	write_state(o->obj, p, 0, true);
	return pin_all(p, o, log);
}

/* bpffs unmounted under us: mount a fresh instance at the same point (the links still run). */
static int remount(struct pins *p, FILE *log)
{
	if (on_bpffs(p->dir))
		return 0;
	if (mkdir_p(p->mnt, 0700) || mount("bpf", p->mnt, "bpf", 0, NULL)) {
		fprintf(log, "bulwark: the pins in %s are gone and bpffs cannot be mounted again on %s: "
			     "%s; enforcement lasts only while this daemon runs\n", p->dir, p->mnt,
			strerror(errno));
		return -errno;
	}
	fprintf(log, "bulwark: bpffs was unmounted from %s; mounted it again\n", p->mnt);
	return mkdir_p(p->dir, 0700);
}

int pins_tick(struct pins *p, const struct pins_objs *o, uint64_t drops_reported, FILE *log)
{
	char path[PATH_MAX + 32];
	struct stat st;
	int err;

	if (!p || p->dirfd < 0)
		return 0;
	write_state(o->obj, p, drops_reported, false);
	snprintf(path, sizeof(path), "%s/maps/guard_state", p->dir);
	if (!stat(path, &st) && count_entries(p->dir, "links") >= p->nlinks)
		return 0;
	/* removed or unmounted: pin again, so the next kill of the daemon leaves enforcement on */
	if (p->lost)
		return -ENOENT;
	fprintf(log, "bulwark: the pins in %s were removed; pinning again\n", p->dir);
	err = remount(p, log);
	if (!err)
		err = pin_all(p, o, log);
	if (err) {
		p->lost = true;
		return err;
	}
	fill_guard(p, o);
	/* a new mount is a new lock target: lock it, or a second daemon could take it */
	close(p->dirfd);
	p->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd >= 0)
		flock(p->dirfd, LOCK_EX | LOCK_NB);
	return 1;
}

int pins_state(struct bpf_object *obj, struct bw_guard_state *st)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "guard_state");
	uint32_t zero = 0;

	if (!m || bpf_map__fd(m) < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(bpf_map__fd(m), &zero, st) ? -errno : 0;
}

void pins_note_stop(struct bpf_object *obj, uint32_t sig, uint32_t pid)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "guard_state");
	struct bw_guard_state st;
	uint32_t zero = 0;

	if (!m || bpf_map__fd(m) < 0 || bpf_map_lookup_elem(bpf_map__fd(m), &zero, &st))
		return;
	st.stop_sig = sig;
	st.stop_pid = pid;
	st.alive_ns = clock_boottime_ns();
	bpf_map_update_elem(bpf_map__fd(m), &zero, &st, BPF_ANY);
}

static int remove_sub(const char *dir, const char *sub, int *count)
{
	char path[PATH_MAX + 16], f[PATH_MAX + 300];
	struct dirent *de;
	int err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		if (unlink(f))
			err = -errno;
		else
			(*count)++;
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

int pins_remove(const char *dir, int *nlinks, int *nmaps, char *err, size_t errlen)
{
	int e1, e2;

	*nlinks = *nmaps = 0;
	/* links first: the programs detach, then nothing writes into the maps */
	e1 = remove_sub(dir, "links", nlinks);
	e2 = remove_sub(dir, "maps", nmaps);
	if (e1 || e2) {
		snprintf(err, errlen, "cannot remove the pins in %s: %s", dir, strerror(-(e1 ? e1 : e2)));
		return e1 ? e1 : e2;
	}
	if (rmdir(dir) && errno != ENOENT) {
		snprintf(err, errlen, "removed the pins but not the dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

int pins_request_unload(const char *dir, uint32_t pid, int timeout_ms, char *err, size_t errlen)
{
	struct bw_guard_state st;
	char path[PATH_MAX + 32];
	uint32_t zero = 0;
	int fd, dfd;

	snprintf(path, sizeof(path), "%s/maps/guard_state", dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		snprintf(err, errlen, "a daemon holds %s but its guard state %s cannot be opened: %s",
			 dir, path, strerror(errno));
		return -errno;
	}
	if (bpf_map_lookup_elem(fd, &zero, &st)) {
		close(fd);
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	st.unload_pid = pid;
	if (bpf_map_update_elem(fd, &zero, &st, BPF_ANY)) {
		close(fd);
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	close(fd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int waited = 0; dfd >= 0 && waited < timeout_ms; waited += 50) {
		if (!flock(dfd, LOCK_EX | LOCK_NB)) {
			close(dfd);
			return 0;
		}
		if (access(dir, F_OK)) {
			close(dfd);
			return 0; /* the daemon removed everything and the dir */
		}
		usleep(50 * 1000);
	}
	if (dfd >= 0)
		close(dfd);
	snprintf(err, errlen, "the daemon holding %s (pid %u) did not stop within %d s", dir,
		 st.daemon_tgid, timeout_ms / 1000);
	return -ETIMEDOUT;
}
