// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: the JSON event reader behind `bulwark replay`. Any
 * line it accepts, written back with event_to_json(), must read back as
 * the same event (every field but the private proc.env, present or absent,
 * byte for byte), and a
 * second write must give the same bytes: the codec is lossless.
 */
#include <stdlib.h>
#include <string.h>
#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_event(const struct bw_event *a, const struct bw_event *b)
{
	for (int f = 0; f < FLD_MAX; f++) {
		struct bw_value x = { 0 }, y = { 0 };
		bool hx = event_get(a, f, &x), hy = event_get(b, f, &y);

		/* fd.directory/fd.filename: written only through fd.name */
		if ((f == FLD_FD_DIRECTORY || f == FLD_FD_FILENAME) && !event_has(a, FLD_FD_NAME))
			continue;
		/* proc.env: read from a line, never written (secrets stay out of journals) */
		if (bw_fields[f].flags & BW_FF_PRIVATE)
			continue;
		if (hx != hy)
			abort();
		if (!hx)
			continue;
		if (x.kind != y.kind)
			abort();
		if (x.kind == BW_K_STR && (x.s.len != y.s.len || (x.s.len && memcmp(x.s.p, y.s.p, x.s.len))))
			abort();
		if ((x.kind == BW_K_U64 || x.kind == BW_K_BOOL) && x.u != y.u)
			abort();
		if (x.kind == BW_K_S64 && x.i != y.i)
			abort();
	}
	if (a->type != b->type)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_event e1, e2;
	struct jbuf j1 = { 0 }, j2 = { 0 };
	char *s1 = malloc(size + 1), *s2 = NULL, err[256];

	if (!s1)
		abort();
	if (json_parse_event((const char *)data, size, s1, &e1, err, sizeof(err)))
		goto out;
	event_to_json(&j1, &e1);
	if (!jbuf_ok(&j1) || !(s2 = malloc(j1.len + 1)))
		abort();
	if (json_parse_event(j1.p, j1.len, s2, &e2, err, sizeof(err)))
		abort(); /* what we wrote must read back */
	same_event(&e1, &e2);
	event_to_json(&j2, &e2);
	if (j1.len != j2.len || memcmp(j1.p, j2.p, j1.len))
		abort();
out:
	jbuf_free(&j1);
	jbuf_free(&j2);
	free(s1);
	free(s2);
	return 0;
}
