// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rule diagnostics: collected errors and warnings, PATH:LINE:COL positions
 * mapped back from condition texts, and "did you mean" suggestions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

/* ---- diagnostics ---- */

const char *rl_file_name(const struct rl_ctx *L, int file)
{
	return file >= 0 && file < L->nfiles ? L->files[file].path : "bulwark";
}

void rl_vdiag(struct rl_ctx *L, struct rl_pos pos, bool warning, const char *fmt, va_list ap)
{
	struct rl_diag *d;
	char *msg;

	if (L->ndiags == L->capdiags) {
		int cap = L->capdiags ? L->capdiags * 2 : 16;
		struct rl_diag *n = realloc(L->diags, (size_t)cap * sizeof(*n));
		if (!n) {
			L->oom = true;
			return;
		}
		L->diags = n;
		L->capdiags = cap;
	}
	if (vasprintf(&msg, fmt, ap) < 0) {
		L->oom = true;
		return;
	}
	d = &L->diags[L->ndiags];
	d->pos = pos;
	d->seq = L->ndiags++;
	d->warning = warning;
	d->msg = msg;
	if (warning)
		L->nwarnings++;
	else
		L->nerrors++;
}

void rl_error(struct rl_ctx *L, struct rl_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rl_vdiag(L, pos, false, fmt, ap);
	va_end(ap);
}

void rl_warn(struct rl_ctx *L, struct rl_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rl_vdiag(L, pos, true, fmt, ap);
	va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
	const struct rl_diag *x = a, *y = b;

	if (x->pos.file != y->pos.file)
		return x->pos.file < y->pos.file ? -1 : 1;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorted by file order and position, so messages read top to bottom. */
void rl_print_diags(struct rl_ctx *L, FILE *f)
{
	if (!f || !L->ndiags)
		return;
	qsort(L->diags, (size_t)L->ndiags, sizeof(*L->diags), diag_cmp);
	for (int i = 0; i < L->ndiags; i++) {
		const struct rl_diag *d = &L->diags[i];
		const char *w = d->warning ? "warning: " : "";

		if (d->pos.file >= 0 && d->pos.line > 0)
			fprintf(f, "%s:%d:%d: %s%s\n", rl_file_name(L, d->pos.file), d->pos.line,
				d->pos.col, w, d->msg);
		else if (d->pos.file >= 0)
			fprintf(f, "%s: %s%s\n", rl_file_name(L, d->pos.file), w, d->msg);
		else
			fprintf(f, "bulwark: %s%s\n", w, d->msg);
	}
}

/* ---- positions ---- */

size_t rl_utf8_advance(const char *s, size_t i, size_t end, size_t nchars)
{
	while (nchars-- && i < end) {
		i++;
		while (i < end && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

static struct rl_pos byte_pos(const struct rl_ctx *L, int file, size_t b)
{
	const struct rl_file *f = &L->files[file];
	int lo = 0, hi = f->nlines - 1, col = 1;

	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (f->lines[mid] <= b)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (size_t i = f->lines[lo]; i < b && i < f->len; i++)
		if (((unsigned char)f->buf[i] & 0xc0) != 0x80)
			col++;
	return (struct rl_pos){ file, lo + 1, col };
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Maps byte off of a text back to the file. libyaml gives only where a
 * scalar starts, so we walk the scalar's source and its value side by
 * side: equal bytes advance both, source whitespace (indentation, folded
 * line breaks) and source-only bytes (quotes, escapes) advance the source.
 * Exact for plain and block scalars; for quoted scalars with escapes the
 * column is the escape's, which is the best there is.
 */
struct rl_pos rl_text_pos(const struct rl_ctx *L, const struct rl_text *t, size_t off)
{
	const struct rl_span *sp = NULL;
	const struct rl_file *f;
	size_t i, j, end;

	for (int k = 0; k < t->nspans; k++) {
		if (t->spans[k].file < 0)
			continue;
		sp = &t->spans[k];
		if (off < (size_t)t->spans[k].off + t->spans[k].len)
			break;
	}
	if (!sp)
		return (struct rl_pos){ -1, 0, 0 };
	if (off < sp->off)
		off = sp->off;
	f = &L->files[sp->file];
	j = sp->src;
	end = sp->src_end < f->len ? sp->src_end : f->len;
	if (sp->style == YAML_LITERAL_SCALAR_STYLE || sp->style == YAML_FOLDED_SCALAR_STYLE) {
		while (j < end && f->buf[j] != '\n')
			j++;
		j++;
	} else if (sp->style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		   sp->style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
		j++;
	}
	i = sp->off;
	while (i < off && j < end) {
		char c = t->s[i], d = f->buf[j];
		if (c == d)
			i++, j++;
		else if (is_ws(d))
			j++;
		else if (is_ws(c))
			i++;
		else
			j++;
	}
	if (off < t->len)
		while (j < end && is_ws(f->buf[j]) && f->buf[j] != t->s[off])
			j++;
	if (j > f->len)
		j = f->len;
	return byte_pos(L, sp->file, j);
}

/* ---- suggestions ---- */

static int osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
	int d[40][40];

	if (la >= 40 || lb >= 40)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1; /* transposition: "nmae" -> "name" */
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *rl_nearest(const char *word, size_t len, const char *const *cands, int n)
{
	int best = len <= 4 ? 1 : len <= 12 ? 2 : 3, bi = -1;

	for (int i = 0; i < n; i++) {
		int dd = osa_distance(word, len, cands[i], strlen(cands[i]));
		if (dd <= best && (bi < 0 || dd < best)) {
			best = dd;
			bi = i;
		}
	}
	return bi >= 0 ? cands[bi] : NULL;
}
