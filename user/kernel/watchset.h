/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The watched and protected trees, as user space keeps them before they go
 * to the kernel maps: one entry per directory (its real path, and its inode
 * when it exists), with the bits the options and rules gave it. A tree
 * inside another tree inherits the outer tree's bits, so a plain watch of
 * a subdirectory never hides a protection above it.
 */
#ifndef BULWARK_WATCHSET_H
#define BULWARK_WATCHSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct watch_entry {
	char *path;      /* absolute, no trailing '/' (except "/") */
	bool has_key;    /* the directory exists: ino/dev are set */
	uint64_t ino;
	uint32_t dev;    /* the kernel's s_dev encoding */
	uint32_t bits;   /* BW_WATCH_* given to this directory itself */
};

struct watchset {
	struct watch_entry *e;
	int n, cap;
};

void watchset_clear(struct watchset *ws);

/* Adds bits to the entry of path (created if new); a key, when given, replaces the old one.
 * Returns 0 or -ENOMEM. */
int watchset_add(struct watchset *ws, const char *path, bool has_key, uint64_t ino, uint32_t dev,
		 uint32_t bits);

/* Whether path has an entry of its own. */
bool watchset_has(const struct watchset *ws, const char *path);

/* OR of the bits of every entry that is path or one of its ancestors. */
uint32_t watchset_bits(const struct watchset *ws, const char *path);

/*
 * The mount point (5th field) of one /proc/self/mountinfo line, with the
 * kernel's octal escapes (\040 for a space...) decoded into out. Returns
 * false for a malformed line.
 */
bool watchset_mountinfo_point(const char *line, char *out, size_t cap);

#endif /* BULWARK_WATCHSET_H */
