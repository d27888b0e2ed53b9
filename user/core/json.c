// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * JSON lines writer and flat-object reader.
 *
 * Hand-written rather than jansson/json-c: paths and argv are arbitrary
 * bytes, and we need a lossless round trip (run --events -> replay) for
 * bytes that are not UTF-8. We write them as lone surrogates \udcXX, which
 * those libraries reject or rewrite on input. The reader only has to handle
 * the flat objects we emit; nested values are passed through as raw text.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/json.h"

static bool jbuf_grow(struct jbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap;
	char *p;

	if (b->oom)
		return false;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 512;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void jbuf_reset(struct jbuf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->p)
		b->p[0] = 0;
}

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void jbuf_putc_slow(struct jbuf *b, char c)
{
	if (!jbuf_grow(b, 1))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

void jbuf_put_slow(struct jbuf *b, const void *p, size_t n)
{
	if (!n || !jbuf_grow(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

void jbuf_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !jbuf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlongs, surrogates and > U+10FFFF are invalid */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_put_str(struct jbuf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	jbuf_putc(b, '"');
	while (i < n) {
		unsigned c = s[i];
		size_t sl;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			/* fast path: printable ASCII runs are copied in one go */
			run = i;
			while (i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
				i++;
			jbuf_put(b, s + run, i - run);
			continue;
		}
		switch (c) {
		case '"': jbuf_put(b, "\\\"", 2); i++; continue;
		case '\\': jbuf_put(b, "\\\\", 2); i++; continue;
		case '\n': jbuf_put(b, "\\n", 2); i++; continue;
		case '\t': jbuf_put(b, "\\t", 2); i++; continue;
		case '\r': jbuf_put(b, "\\r", 2); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			jbuf_put(b, u, 6);
			i++;
			continue;
		}
		sl = utf8_seq(s + i, n - i);
		if (sl) {
			jbuf_put(b, s + i, sl);
			i += sl;
		} else {
			char u[6] = { '\\', 'u', 'd', 'c', hex[c >> 4], hex[c & 15] };
			jbuf_put(b, u, 6);
			i++;
		}
	}
	jbuf_putc(b, '"');
}

void json_put_key(struct jbuf *b, const char *key)
{
	jbuf_putc(b, '"');
	jbuf_puts(b, key);
	jbuf_put(b, "\":", 2);
}

void json_put_u64(struct jbuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jbuf_put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void json_put_s64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jbuf_putc(b, '-');
		json_put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		json_put_u64(b, (uint64_t)v);
	}
}

void json_put_value(struct jbuf *b, const struct bw_value *v)
{
	switch (v->kind) {
	case BW_K_STR: json_put_str(b, v->s.p, v->s.len); break;
	case BW_K_U64: json_put_u64(b, v->u); break;
	case BW_K_S64: json_put_s64(b, v->i); break;
	case BW_K_BOOL: jbuf_puts(b, v->u ? "true" : "false"); break;
	}
}

/* PREFIX N ]": without printf: the daemon writes these for every ancestor of every event */
static void anc_key(struct jbuf *b, const char *prefix, uint32_t n)
{
	jbuf_puts(b, prefix);
	json_put_u64(b, n);
	jbuf_put(b, "]\":", 3);
}

/*
 * "name": of every field, rendered once, and the fields an event's JSON
 * never holds: fd.directory and fd.filename (a reader recomputes them from
 * fd.name), derived and private ones (proc.env).
 */
static struct { char s[64]; uint8_t len; } json_keys[FLD_MAX];
static uint64_t json_skip[(FLD_MAX + 63) / 64];
static pthread_once_t json_keys_once = PTHREAD_ONCE_INIT;

static void json_keys_init(void)
{
	for (int f = 0; f < FLD_MAX; f++) {
		int n = snprintf(json_keys[f].s, sizeof(json_keys[f].s), "\"%s\":", bw_fields[f].name);
		json_keys[f].len = n > 0 && (size_t)n < sizeof(json_keys[f].s) ? (uint8_t)n : 0;
		if (f == FLD_FD_DIRECTORY || f == FLD_FD_FILENAME ||
		    (bw_fields[f].flags & (BW_FF_PRIVATE | BW_FF_DERIVED)))
			json_skip[f / 64] |= 1ull << (f % 64);
	}
}

void event_to_json(struct jbuf *b, const struct bw_event *e)
{
	struct bw_value v;
	bool first = true;

	pthread_once(&json_keys_once, json_keys_init);
	jbuf_putc(b, '{');
	/* the present fields in field order: the set bits, not every field */
	for (int w = 0; w < (FLD_MAX + 63) / 64; w++) {
		uint64_t m = e->present[w] & ~json_skip[w];

		while (m) {
			int f = w * 64 + __builtin_ctzll(m);

			m &= m - 1;
			if (!event_get(e, f, &v))
				continue;
			if (!first)
				jbuf_putc(b, ',');
			first = false;
			if (json_keys[f].len)
				jbuf_put(b, json_keys[f].s, json_keys[f].len);
			else
				json_put_key(b, bw_fields[f].name);
			json_put_value(b, &v);
		}
	}
	/* ancestors above the parent (the parent is proc.ppid, proc.pname...) */
	for (uint32_t i = 1; i < e->nanc && i < BW_ANC_MAX; i++) {
		const struct bw_ancestor *a = &e->anc[i];
		if (!first)
			jbuf_putc(b, ',');
		first = false;
		anc_key(b, "\"proc.apid[", i + 1);
		json_put_u64(b, a->pid);
		if (a->name.p) {
			anc_key(b, ",\"proc.aname[", i + 1);
			json_put_str(b, a->name.p, a->name.len);
		}
		if (a->exe.p) {
			anc_key(b, ",\"proc.aexe[", i + 1);
			json_put_str(b, a->exe.p, a->exe.len);
		}
		if (a->exepath.p) {
			anc_key(b, ",\"proc.aexepath[", i + 1);
			json_put_str(b, a->exepath.p, a->exepath.len);
		}
	}
	jbuf_putc(b, '}');
}

/* ---- reader ---- */

struct jp {
	const char *s, *end, *start;
	char *out;        /* scratch cursor */
	char *err;
	size_t errlen;
};

static int jp_fail(struct jp *p, const char *what)
{
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s at byte %td", what, p->s - p->start);
	return -EINVAL;
}

static void jp_ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int jp_hex4(struct jp *p, uint32_t *out)
{
	uint32_t v = 0;

	if (p->end - p->s < 4)
		return jp_fail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int h = hexval(p->s[i]);
		if (h < 0)
			return jp_fail(p, "bad \\u escape");
		v = v << 4 | (uint32_t)h;
	}
	p->s += 4;
	*out = v;
	return 0;
}

static char *put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Decodes a string at p->s (on the quote) into scratch. Output never exceeds input. */
static int jp_string(struct jp *p, const char **sp, size_t *sl)
{
	char *o = p->out;

	p->s++; /* opening quote */
	while (p->s < p->end && *p->s != '"') {
		unsigned char c = (unsigned char)*p->s;
		uint32_t cp, lo;

		if (c < 0x20)
			return jp_fail(p, "control character in string");
		if (c != '\\') {
			*o++ = (char)c;
			p->s++;
			continue;
		}
		if (++p->s >= p->end)
			return jp_fail(p, "truncated escape");
		switch (*p->s++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (jp_hex4(p, &cp))
				return -EINVAL;
			if (cp >= 0xdc80 && cp <= 0xdcff) {
				*o++ = (char)(cp & 0xff); /* surrogateescape: raw byte */
			} else if (cp >= 0xd800 && cp <= 0xdbff && p->end - p->s >= 6 &&
				   p->s[0] == '\\' && p->s[1] == 'u') {
				p->s += 2;
				if (jp_hex4(p, &lo))
					return -EINVAL;
				if (lo < 0xdc00 || lo > 0xdfff)
					return jp_fail(p, "unpaired surrogate");
				o = put_utf8(o, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				return jp_fail(p, "unpaired surrogate");
			} else {
				o = put_utf8(o, cp);
			}
			break;
		default:
			return jp_fail(p, "unknown escape");
		}
	}
	if (p->s >= p->end)
		return jp_fail(p, "unterminated string");
	p->s++; /* closing quote */
	*sp = p->out;
	*sl = (size_t)(o - p->out);
	p->out = o;
	return 0;
}

/* Skips a nested array/object, honouring strings. Depth bounded. */
static int jp_skip_nested(struct jp *p)
{
	char stack[64];
	int depth = 0;

	do {
		if (p->s >= p->end)
			return jp_fail(p, "unterminated array or object");
		char c = *p->s;
		if (c == '"') {
			p->s++;
			while (p->s < p->end && *p->s != '"') {
				if (*p->s == '\\')
					p->s++;
				p->s++;
			}
			if (p->s >= p->end)
				return jp_fail(p, "unterminated string");
		} else if (c == '[' || c == '{') {
			if (depth >= (int)sizeof(stack))
				return jp_fail(p, "nesting too deep");
			stack[depth++] = c == '[' ? ']' : '}';
		} else if (c == ']' || c == '}') {
			if (!depth || stack[depth - 1] != c)
				return jp_fail(p, "mismatched bracket");
			depth--;
		}
		p->s++;
	} while (depth);
	return 0;
}

int json_parse_object(const char *text, size_t len, char *scratch,
		      json_kv_fn fn, void *ctx, char *err, size_t errlen)
{
	struct jp p = { .s = text, .end = text + len, .start = text, .out = scratch,
			.err = err, .errlen = errlen };
	bool first = true;

	jp_ws(&p);
	if (p.s >= p.end || *p.s != '{')
		return jp_fail(&p, "expected '{'");
	p.s++;
	for (;;) {
		const char *k;
		size_t kl;
		struct json_val v = { 0 };
		int rc;

		jp_ws(&p);
		if (p.s < p.end && *p.s == '}' && first) {
			p.s++;
			break;
		}
		if (p.s >= p.end || *p.s != '"')
			return jp_fail(&p, "expected a key");
		if (jp_string(&p, &k, &kl))
			return -EINVAL;
		jp_ws(&p);
		if (p.s >= p.end || *p.s != ':')
			return jp_fail(&p, "expected ':'");
		p.s++;
		jp_ws(&p);
		if (p.s >= p.end)
			return jp_fail(&p, "expected a value");
		if (*p.s == '"') {
			v.type = JV_STR;
			if (jp_string(&p, &v.p, &v.len))
				return -EINVAL;
		} else if (*p.s == '[' || *p.s == '{') {
			v.type = JV_RAW;
			v.p = p.s;
			if (jp_skip_nested(&p))
				return -EINVAL;
			v.len = (size_t)(p.s - v.p);
		} else if (p.end - p.s >= 4 && !memcmp(p.s, "true", 4)) {
			v.type = JV_BOOL, v.b = true, p.s += 4;
		} else if (p.end - p.s >= 5 && !memcmp(p.s, "false", 5)) {
			v.type = JV_BOOL, v.b = false, p.s += 5;
		} else if (p.end - p.s >= 4 && !memcmp(p.s, "null", 4)) {
			v.type = JV_NULL, p.s += 4;
		} else if (*p.s == '-' || (*p.s >= '0' && *p.s <= '9')) {
			v.type = JV_NUM;
			v.p = p.s;
			while (p.s < p.end && strchr("+-0123456789.eE", *p.s))
				p.s++;
			v.len = (size_t)(p.s - v.p);
		} else {
			return jp_fail(&p, "unexpected value");
		}
		rc = fn(ctx, k, kl, &v);
		if (rc)
			return rc;
		first = false;
		jp_ws(&p);
		if (p.s < p.end && *p.s == ',') {
			p.s++;
			continue;
		}
		if (p.s < p.end && *p.s == '}') {
			p.s++;
			break;
		}
		return jp_fail(&p, "expected ',' or '}'");
	}
	jp_ws(&p);
	if (p.s != p.end)
		return jp_fail(&p, "trailing bytes after the object");
	return 0;
}

struct ev_ctx {
	struct bw_event *e;
	char *err;
	size_t errlen;
};

static int parse_int(const struct json_val *v, bool sign, uint64_t *u)
{
	const char *s, *end;
	bool neg = false;
	uint64_t acc = 0;

	/* only a number has text: v->p of true/false/null may be NULL */
	if (v->type != JV_NUM)
		return -1;
	s = v->p;
	end = v->p + v->len;
	if (s < end && *s == '-') {
		if (!sign)
			return -1;
		neg = true;
		s++;
	}
	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (acc > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		acc = acc * 10 + (uint64_t)(*s - '0');
	}
	*u = neg ? (uint64_t)0 - acc : acc;
	return 0;
}

static int ev_kv(void *vctx, const char *k, size_t kl, const struct json_val *v)
{
	struct ev_ctx *c = vctx;
	struct bw_event *e = c->e;
	int idx = -1, f = event_field_lookup(k, kl);
	const struct bw_field_info *fi;
	char *dst;
	uint64_t u;

	/* evt.arg.flags and evt.arg.mode are stored (issue 11), though named as evt.arg.NAME */
	if (f != FLD_EVT_ARG_FLAGS && f != FLD_EVT_ARG_MODE)
		f = event_field_parse(k, kl, &idx);

	if (f < 0 || v->type == JV_NULL)
		return 0; /* unknown keys are skipped: newer producers stay readable */
	fi = &bw_fields[f];
	if (f == FLD_EVT_RES_NAME && v->type == JV_NUM) /* written before evt.res became Falco's string */
		fi = &bw_fields[f = FLD_EVT_RAWRES];
	if (idx >= 2 && (f == FLD_PROC_ANAME || f == FLD_PROC_APID || f == FLD_PROC_AEXE ||
			 f == FLD_PROC_AEXEPATH)) {
		struct bw_ancestor *a = &e->anc[idx - 1];
		struct bw_str s = { v->p, (uint32_t)v->len };
		if (f == FLD_PROC_APID) {
			if (parse_int(v, false, &a->pid))
				goto bad;
		} else if (v->type != JV_STR) {
			goto bad;
		} else if (f == FLD_PROC_ANAME) {
			a->name = s;
		} else if (f == FLD_PROC_AEXE) {
			a->exe = s;
		} else {
			a->exepath = s;
		}
		if ((uint32_t)idx > e->nanc)
			e->nanc = (uint32_t)idx;
		return 0;
	}
	if (fi->flags & BW_FF_DERIVED)
		return 0; /* computed from the stored fields, never read */
	dst = (char *)e + fi->offset;
	switch (fi->kind) {
	case BW_K_STR: {
		struct bw_str s = { v->p, (uint32_t)v->len };
		if (v->type != JV_STR)
			goto bad;
		memcpy(dst, &s, sizeof(s));
		break;
	}
	case BW_K_U64:
		if (parse_int(v, false, &u))
			goto bad;
		memcpy(dst, &u, sizeof(u));
		break;
	case BW_K_S64:
		if (parse_int(v, true, &u))
			goto bad;
		if ((fi->flags & BW_FF_AUDIT) && u == UINT64_MAX)
			u = BW_NO_SESSION; /* Falco's -1: unset */
		memcpy(dst, &u, sizeof(u));
		break;
	case BW_K_BOOL:
		if (v->type != JV_BOOL)
			goto bad;
		*(bool *)dst = v->b;
		break;
	}
	event_set_present(e, f);
	return 0;
bad:
	snprintf(c->err, c->errlen, "field \"%s\" has the wrong type (expected %s)", fi->name,
		 fi->kind == BW_K_STR ? "a string" : fi->kind == BW_K_BOOL ? "true or false" : "an integer");
	return -EINVAL;
}

int json_parse_event(const char *text, size_t len, char *scratch,
		     struct bw_event *e, char *err, size_t errlen)
{
	struct ev_ctx c = { e, err, errlen };
	int rc;

	event_reset(e);
	rc = json_parse_object(text, len, scratch, ev_kv, &c, err, errlen);
	if (rc)
		return rc < 0 ? rc : -EINVAL;
	if (!event_has(e, FLD_EVT_TYPE)) {
		snprintf(err, errlen, "no \"evt.type\" key");
		return -EINVAL;
	}
	e->type = event_type_from_name(e->type_name.p, e->type_name.len);
	if (event_has(e, FLD_FD_NAME))
		event_split_path(e);
	event_sync_parent(e);
	return 0;
}
