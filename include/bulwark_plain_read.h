/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The plain-read test, one definition for both sides: bpf/db.bpf.c skips
 * such statements outside login sessions before they are copied, and
 * user/db/dbcapture_emit.c applies it to statements it decodes itself
 * from streams. Plain C: bounded loops only, every index masked to the
 * 4096-byte buffer the kernel side reads from, no library call.
 *
 * A plain read is one SELECT, no '(' (no function call), no ';' but a last
 * one, no comment or escape character ('/', '-', '#', '\\'), no NUL, and
 * shorter than BW_PLAIN_MAX bytes. Outside login sessions these are the
 * bulk of an application's traffic and no destructive-operation rule can
 * want them; anything the test does not prove to be a plain read is
 * reported. The length bound is the kernel's (its scratch buffer); longer
 * statements, which only user space sees whole, are reported.
 *
 * The BPF program includes this after its helpers (bpf_loop). Both builds
 * run the same code but for the 8-byte load and the loop (bpf_loop there,
 * a for loop here); tests/unit/db/test_plain_read.c checks that the two
 * agree, the length bound included.
 */
#ifndef BULWARK_PLAIN_READ_H
#define BULWARK_PLAIN_READ_H

#include "bulwark_abi.h"

#define BW_PLAIN_MAX   (BW_DATA_MAX - 8)  /* statements this long or longer are never plain reads */
#define BW_PLAIN_MASK  (BW_DATA_MAX - 1)
#define BW_PLAIN_ONES  0x0101010101010101ull
#define BW_PLAIN_HIGHS 0x8080808080808080ull
/* Non-zero when one of the eight bytes of v is ch (SWAR). */
#ifdef __bpf__
#define BW_PLAIN_LOAD8(v, q) ((v) = *(const __u64 *)(q))  /* unaligned: fine for map values */
#else
#define BW_PLAIN_LOAD8(v, q) __builtin_memcpy(&(v), (q), 8)
#endif
#define BW_PLAIN_HAS(v, ch) \
	((((v) ^ (BW_PLAIN_ONES * (ch))) - BW_PLAIN_ONES) & ~((v) ^ (BW_PLAIN_ONES * (ch))) & BW_PLAIN_HIGHS)

struct bw_plain_ctx {
	const char *p;   /* statement text */
	__u32 from, to;  /* bytes [from, to) to scan */
	__u32 bad;       /* a forbidden byte was seen */
};

/* Eight bytes tested at once; spaces stand for the bytes past the end. */
static inline __attribute__((always_inline)) int bw_plain_word(const struct bw_plain_ctx *c,
							       __u32 off)
{
	const char *q;
	__u64 v = 0x2020202020202020ull;
	__u32 keep;

	if (off >= c->to)
		return 0;
	/* the mask bounds the read for the verifier; off < BW_PLAIN_MAX, so it changes nothing */
	q = c->p + (off & BW_PLAIN_MASK);
	keep = c->to - off;
	if (keep >= 8) {
		BW_PLAIN_LOAD8(v, q);
	} else {
		/* never read past the text: user space has no slack behind it */
		for (__u32 k = 0; k < 7; k++)
			if (k < keep)
				v = (v & ~(0xffull << (8 * k))) | ((__u64)(unsigned char)q[k] << (8 * k));
	}
	return (BW_PLAIN_HAS(v, '(') | BW_PLAIN_HAS(v, ';') | BW_PLAIN_HAS(v, '/') |
		BW_PLAIN_HAS(v, '-') | BW_PLAIN_HAS(v, '#') | BW_PLAIN_HAS(v, '\\') |
		BW_PLAIN_HAS(v, 0)) != 0;
}

/* Sixteen bytes per step (a bpf_loop callback): few steps, one bit of state. */
static long __attribute__((unused)) bw_plain_step(__u32 i, void *arg)
{
	struct bw_plain_ctx *c = arg;
	__u32 off = c->from + i * 16;

	if (off >= c->to)
		return 1;
	if (bw_plain_word(c, off) || bw_plain_word(c, off + 8)) {
		c->bad = 1;
		return 1;
	}
	return 0;
}

static inline __attribute__((always_inline)) int bw_plain_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The test itself: p holds n bytes of statement text (no protocol header). */
static inline __attribute__((always_inline)) int bw_plain_select(const char *p, __u32 n)
{
	struct bw_plain_ctx c = { .p = p };
	__u32 b = 0, steps;
	unsigned char ch;

	if (n < 6 || n >= BW_PLAIN_MAX)
		return 0;
	/* leading spaces, then the keyword and a non-word character */
	for (int i = 0; i < 8 && b < n && bw_plain_space(p[b & BW_PLAIN_MASK]); i++)
		b++;
	if (b + 7 > n)
		return 0;
	if (((p[b & BW_PLAIN_MASK] | 32) != 's') || ((p[(b + 1) & BW_PLAIN_MASK] | 32) != 'e') ||
	    ((p[(b + 2) & BW_PLAIN_MASK] | 32) != 'l') || ((p[(b + 3) & BW_PLAIN_MASK] | 32) != 'e') ||
	    ((p[(b + 4) & BW_PLAIN_MASK] | 32) != 'c') || ((p[(b + 5) & BW_PLAIN_MASK] | 32) != 't'))
		return 0;
	ch = (unsigned char)p[(b + 6) & BW_PLAIN_MASK];
	if ((ch | 32) >= 'a' && (ch | 32) <= 'z')
		return 0;
	if ((ch >= '0' && ch <= '9') || ch == '_' || ch >= 0x80)
		return 0;
	/* trailing spaces and one ';' */
	for (int i = 0; i < 8 && n > b + 6 && bw_plain_space(p[(n - 1) & BW_PLAIN_MASK]); i++)
		n--;
	if (n > b + 6 && p[(n - 1) & BW_PLAIN_MASK] == ';')
		n--;
	c.from = b + 6;
	c.to = n;
	steps = (n - c.from + 15) / 16 + 1;
#ifdef __bpf__
	bpf_loop(steps, bw_plain_step, &c, 0);
#else
	for (__u32 i = 0; i < steps && !bw_plain_step(i, &c); i++)
		;
#endif
	return !c.bad;
}

#endif /* BULWARK_PLAIN_READ_H */
