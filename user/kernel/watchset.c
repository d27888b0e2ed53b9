// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The watched and protected trees before they go to the kernel (see watchset.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/watchset.h"

void watchset_clear(struct watchset *ws)
{
	for (int i = 0; i < ws->n; i++)
		free(ws->e[i].path);
	free(ws->e);
	*ws = (struct watchset){ 0 };
}

/* The entry of path (trailing '/' ignored), or NULL. */
static struct watch_entry *find(const struct watchset *ws, const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (int i = 0; i < ws->n; i++)
		if (strlen(ws->e[i].path) == n && !memcmp(ws->e[i].path, path, n))
			return &ws->e[i];
	return NULL;
}

bool watchset_has(const struct watchset *ws, const char *path)
{
	return find(ws, path) != NULL;
}

int watchset_add(struct watchset *ws, const char *path, bool has_key, uint64_t ino, uint32_t dev,
		 uint32_t bits)
{
	struct watch_entry *e = find(ws, path);
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (!e) {
		if (ws->n == ws->cap) {
			int cap = ws->cap ? ws->cap * 2 : 32;
			struct watch_entry *ne = realloc(ws->e, (size_t)cap * sizeof(*ne));

			if (!ne)
				return -ENOMEM;
			ws->e = ne;
			ws->cap = cap;
		}
		e = &ws->e[ws->n];
		*e = (struct watch_entry){ .path = strndup(path, n) };
		if (!e->path)
			return -ENOMEM;
		ws->n++;
	}
	e->bits |= bits;
	if (has_key) {
		e->has_key = true;
		e->ino = ino;
		e->dev = dev;
	}
	return 0;
}

/* a is path itself or one of its ancestor directories */
static bool covers(const char *a, const char *path)
{
	size_t n = strlen(a);

	if (n == 1 && a[0] == '/')
		return path[0] == '/';
	return !strncmp(a, path, n) && (path[n] == 0 || path[n] == '/');
}

uint32_t watchset_bits(const struct watchset *ws, const char *path)
{
	uint32_t bits = 0;

	for (int i = 0; i < ws->n; i++)
		if (covers(ws->e[i].path, path))
			bits |= ws->e[i].bits;
	return bits;
}

bool watchset_mountinfo_point(const char *line, char *out, size_t cap)
{
	const char *p = line;
	size_t o = 0;

	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." */
	for (int field = 0; field < 4; field++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	if (*p != '/')
		return false;
	for (; *p && *p != ' ' && *p != '\n'; p++) {
		char c = *p;

		if (c == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			c = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 3;
		}
		if (o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	out[o] = 0;
	return o > 0;
}
