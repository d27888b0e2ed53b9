/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* JSON lines: a writer that is lossless for any bytes, and a flat-object reader. */
#ifndef BULWARK_JSON_H
#define BULWARK_JSON_H

#include <stdbool.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include "core/event.h"

/*
 * A growable output buffer. Allocation happens only when it grows; a
 * buffer that is reset and reused does not allocate in steady state.
 * On allocation failure the buffer sets oom and drops further appends;
 * callers check jbuf_ok() once at the end.
 */
struct jbuf {
	char *p;        /* bytes */
	size_t len;     /* used */
	size_t cap;     /* allocated */
	bool oom;       /* an append failed for lack of memory */
};

void jbuf_reset(struct jbuf *b);
void jbuf_free(struct jbuf *b);
static inline bool jbuf_ok(const struct jbuf *b) { return !b->oom; }
void jbuf_putc_slow(struct jbuf *b, char c);
void jbuf_put_slow(struct jbuf *b, const void *p, size_t n);

/* Appends (the buffer stays NUL terminated). Inline: the daemon's per-event path. */
static inline void jbuf_putc(struct jbuf *b, char c)
{
	if (b->cap - b->len > 1 && !b->oom) {
		b->p[b->len++] = c;
		b->p[b->len] = 0;
		return;
	}
	jbuf_putc_slow(b, c);
}

static inline void jbuf_put(struct jbuf *b, const void *p, size_t n)
{
	if (b->cap - b->len > n && !b->oom) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = 0;
		return;
	}
	jbuf_put_slow(b, p, n);
}
void jbuf_puts(struct jbuf *b, const char *s);
void jbuf_printf(struct jbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Appends s as a quoted JSON string. Valid UTF-8 passes through, control
 * characters, '"' and '\\' are escaped, and each byte of an invalid UTF-8
 * sequence is written as a lone low surrogate \udcXX (Python's
 * "surrogateescape"), so the original bytes can be recovered exactly by
 * json_unescape() below. Strict parsers accept this; jq shows U+FFFD.
 */
void json_put_str(struct jbuf *b, const char *s, size_t n);
void json_put_key(struct jbuf *b, const char *key); /* "key": */
void json_put_u64(struct jbuf *b, uint64_t v);
void json_put_s64(struct jbuf *b, int64_t v);

/* Appends the event as one JSON object (no newline). */
void event_to_json(struct jbuf *b, const struct bw_event *e);

/* Appends one field value as JSON. */
void json_put_value(struct jbuf *b, const struct bw_value *v);

/*
 * Reader for one flat JSON object: string, number, true/false/null values,
 * and nested arrays/objects, which are handed over as raw text. Escapes in
 * strings are decoded into bytes (\udcXX back to the raw byte).
 */
enum json_vtype { JV_STR, JV_NUM, JV_BOOL, JV_NULL, JV_RAW };

struct json_val {
	enum json_vtype type;
	const char *p;   /* decoded string bytes (JV_STR), number text, raw text */
	size_t len;
	bool b;          /* JV_BOOL */
};

/* Called per key; return non-zero to stop. */
typedef int (*json_kv_fn)(void *ctx, const char *key, size_t klen,
			  const struct json_val *v);

/*
 * Parses the object in text[0..len). Decoded strings are written into
 * scratch, which needs at most len bytes. Returns 0, the callback's
 * non-zero value, or -EINVAL with a message and byte offset in err.
 */
int json_parse_object(const char *text, size_t len, char *scratch,
		      json_kv_fn fn, void *ctx, char *err, size_t errlen);

/*
 * Parses one line printed by `bulwark run --events` back into an event.
 * Strings of e point into scratch (at least len bytes). Unknown keys are
 * ignored, so newer producers stay readable. Returns 0 or -EINVAL.
 */
int json_parse_event(const char *text, size_t len, char *scratch,
		     struct bw_event *e, char *err, size_t errlen);

#endif /* BULWARK_JSON_H */
