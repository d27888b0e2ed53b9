/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The hold test, one definition for both sides: does a buffer contain a
 * whole word (case-insensitive) of the hold set? bpf/db.bpf.c runs it on
 * what a PostgreSQL backend just received, to decide whether to stop it
 * for a decision (docs/database.md, Prevention); user space runs the same
 * code in tests/unit/db/test_hold_words.c. The set itself is not written
 * here: user space derives it from the loaded kill rules (the statement
 * kinds they can match, user/db/dbhold.c) through the prefilter's own
 * word table (sql_hold_words(), user/sql/sql_prefilter.c), and writes
 * each word's key into a map.
 *
 * A word is a run of [0-9A-Za-z_] or bytes >= 0x80, as in the prefilter:
 * comments, quotes, '$' and protocol bytes separate words, so a keyword
 * written in odd case, inside a comment, a string or a DO body still
 * matches, which errs towards holding. Words of 2 to 8 bytes are keys:
 * their upper-case bytes packed little-endian into a u64.
 */
#ifndef BULWARK_HOLD_WORDS_H
#define BULWARK_HOLD_WORDS_H

#include "bulwark_abi.h"

#define BW_HOLD_WORDS_MAX 32           /* words in the set */
#define BW_HOLD_MASK      (BW_DATA_MAX - 1)

static inline __attribute__((always_inline)) int bw_hold_word_char(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z') || ch == '_' ||
	       ch >= 0x80;
}

/* The key of a word: upper case, packed little-endian; 0 when not 2..8 bytes. */
static inline __attribute__((always_inline)) __u64 bw_hold_key(const char *w, __u32 n)
{
	__u64 k = 0;

	if (n < 2 || n > 8)
		return 0;
	for (__u32 i = 0; i < 8; i++) {
		unsigned char ch = i < n ? (unsigned char)w[i] : 0;

		if (ch >= 'a' && ch <= 'z')
			ch -= 32;
		k |= (__u64)ch << (8 * i);
	}
	return k;
}

struct bw_hold_ctx {
	const char *p;   /* bytes */
	__u32 n;         /* how many */
	__u32 len;       /* bytes of the current word so far (9 = too long) */
	__u64 key;       /* its key so far */
	__u32 hit;       /* a word of the set was found */
	__u32 _pad;
};

/*
 * One byte per step, and one step past the end to close the last word.
 * BW_HOLD_LOOKUP(key) is the includer's: a map lookup in the kernel, a
 * table search in user space.
 */
static long __attribute__((unused)) bw_hold_step(__u32 i, void *arg)
{
	struct bw_hold_ctx *c = arg;
	unsigned char ch = i < c->n ? (unsigned char)c->p[i & BW_HOLD_MASK] : ' ';

	if (i > c->n)
		return 1;
	if (bw_hold_word_char(ch)) {
		if (c->len < 8) {
			if (ch >= 'a' && ch <= 'z')
				ch -= 32;
			c->key |= (__u64)ch << (8 * c->len);
			c->len++;
		} else {
			c->len = 9;
		}
		return 0;
	}
	if (c->len >= 2 && c->len <= 8 && BW_HOLD_LOOKUP(c->key)) {
		c->hit = 1;
		return 1;
	}
	c->len = 0;
	c->key = 0;
	return 0;
}

#endif /* BULWARK_HOLD_WORDS_H */

/* The pair test is built only where BW_PAIR_LOOKUP is defined (after a first include). */
#if defined(BW_PAIR_LOOKUP) && !defined(BULWARK_PAIR_STEP)
#define BULWARK_PAIR_STEP
/*
 * The deny test of BPF-LSM socket_sendmsg (bpf/lsm_db.bpf.c): does the
 * text hold a word pair of the deny set ("DROP" "TABLE"; a single word
 * has 0 as its second)? Stricter than the hold test, since a denied send
 * cannot be retried once user space decides: pairs of the statement kinds
 * the kill rules match (sql_deny_pairs()). Comments are skipped so they
 * cannot split a pair ("DROP / * x * / TABLE"), except MySQL's versioned
 * comments, whose text runs. Strings are read as words: a pair inside one
 * is denied (dynamic SQL: PREPARE s FROM 'DROP TABLE t').
 * BW_PAIR_LOOKUP(c, first, second) is the includer's (c->pair is its key space).
 */
struct bw_pair_ctx {
	const char *p;   /* bytes */
	__u32 n;         /* how many */
	__u32 len;       /* bytes of the current word so far (9 = too long) */
	__u64 key;       /* its key so far */
	__u64 prev;      /* the previous word's key, 0 at the start or after a long word */
	__u32 state;     /* 0 text, 1 block comment, 2 line comment */
	__u32 hit;       /* a pair of the set was found */
	__u64 pair[2];   /* the pair being looked up (kept here, in the caller's frame) */
};

static long __attribute__((unused)) bw_pair_step(__u32 i, void *arg)
{
	struct bw_pair_ctx *c = arg;
	unsigned char ch = i < c->n ? (unsigned char)c->p[i & BW_HOLD_MASK] : ' ';
	unsigned char nx = i + 1 < c->n ? (unsigned char)c->p[(i + 1) & BW_HOLD_MASK] : ' ';

	if (i > c->n)
		return 1;
	if (c->state == 1) {   /* inside a comment */
		if (ch == '*' && nx == '/')
			c->state = 3;  /* skip the '/' next */
		return 0;
	}
	if (c->state == 3) {
		c->state = 0;
		return 0;
	}
	if (c->state == 2) {
		if (ch == '\n')
			c->state = 0;
		return 0;
	}
	if (bw_hold_word_char(ch)) {
		if (c->len < 8) {
			if (ch >= 'a' && ch <= 'z')
				ch -= 32;
			c->key |= (__u64)ch << (8 * c->len);
			c->len++;
		} else {
			c->len = 9;
		}
		return 0;
	}
	if (c->len) {  /* a word ended */
		__u64 k = c->len <= 8 ? c->key : 0;

		if (k && (BW_PAIR_LOOKUP(c, k, 0) || (c->prev && BW_PAIR_LOOKUP(c, c->prev, k)))) {
			c->hit = 1;
			return 1;
		}
		c->prev = k;
		c->len = 0;
		c->key = 0;
	}
	if (ch == ';')
		c->prev = 0;  /* pairs do not span statements */
	/* comments: skipped, but for MySQL's versioned ones (their text runs) */
	if (ch == '/' && nx == '*') {
		unsigned char n2 = i + 2 < c->n ? (unsigned char)c->p[(i + 2) & BW_HOLD_MASK] : ' ';

		if (n2 != '!' && n2 != 'M')
			c->state = 1;
	} else if ((ch == '-' && nx == '-') || ch == '#') {
		c->state = 2;
	}
	return 0;
}

#endif /* BULWARK_PAIR_STEP */
