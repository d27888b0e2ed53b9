// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rule files in memory: reading a file or a directory's *.yaml files in
 * name order, and the line table that positions are computed from. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rules/rules_int.h"

int rl_add_file(struct rl_ctx *L, const char *path, const char *text, size_t len)
{
	struct rl_file *nf, *f;
	int nl = 1, k = 0;

	nf = realloc(L->files, (size_t)(L->nfiles + 1) * sizeof(*nf));
	if (!nf)
		goto oom;
	L->files = nf;
	f = &L->files[L->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		goto oom;
	L->nfiles++;
	if (!text)
		return L->nfiles - 1; /* a path that could not be read: for messages only */
	f->buf = malloc(len + 1);
	if (!f->buf)
		goto oom;
	memcpy(f->buf, text, len);
	f->buf[len] = 0;
	f->len = len;
	for (size_t i = 0; i < len; i++)
		nl += text[i] == '\n';
	f->lines = malloc((size_t)nl * sizeof(*f->lines));
	if (!f->lines)
		goto oom;
	f->lines[k++] = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			f->lines[k++] = i + 1;
	f->nlines = nl;
	return L->nfiles - 1;
oom:
	L->oom = true;
	return -ENOMEM;
}

static int read_file(struct rl_ctx *L, const char *path)
{
	struct rl_pos where;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, rc, err;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				close(fd);
				free(buf);
				L->oom = true;
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			free(buf);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	rc = rl_add_file(L, path, buf ? buf : "", len);
	free(buf);
	if (rc >= 0)
		rl_parse_file(L, rc);
	return rc < 0 ? rc : 0;
fail:
	rc = rl_add_file(L, path, NULL, 0);
	if (rc < 0)
		return rc;
	where = (struct rl_pos){ rc, 0, 0 };
	rl_error(L, where, "cannot read rule file: %s", strerror(err));
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory loads its *.yaml files in byte order of their names, so
 * "10-base.yaml" comes before "50-database.yaml" and "90-local.yaml". */
int rl_read_path(struct rl_ctx *L, const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	int n = 0, cap = 0, rc = 0, fi;
	DIR *d;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return read_file(L, path);
	d = opendir(path);
	if (!d)
		return read_file(L, path);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char *full;

		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml"))
			continue;
		if (asprintf(&full, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
			     de->d_name) < 0) {
			rc = -ENOMEM;
			break;
		}
		if (stat(full, &st) || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		if (n == cap) {
			char **nn;
			cap = cap ? cap * 2 : 16;
			nn = realloc(names, (size_t)cap * sizeof(*nn));
			if (!nn) {
				free(full);
				rc = -ENOMEM;
				break;
			}
			names = nn;
		}
		names[n++] = full;
	}
	closedir(d);
	if (!rc && !n) {
		fi = rl_add_file(L, path, NULL, 0);
		if (fi >= 0)
			rl_error(L, (struct rl_pos){ fi, 0, 0 },
				 "no *.yaml rule files in this directory");
	}
	if (!rc && n)
		qsort(names, (size_t)n, sizeof(*names), name_cmp);
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = read_file(L, names[i]);
		free(names[i]);
	}
	free(names);
	if (rc == -ENOMEM)
		L->oom = true;
	return rc;
}
