// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The plain-read test (include/bulwark_plain_read.h) as both sides build
 * it: the BPF build (__bpf__: the 8-byte load and bpf_loop, here a
 * user-space bpf_loop with the helper's semantics) and the user-space
 * build. Both must give the verdict of the table, the length bound
 * included, and agree with each other on random text.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "unit.h"

/* bpf_loop as the kernel runs it: up to nr calls, stopping when the callback returns 1. */
static long bpf_loop(__u32 nr, long (*fn)(__u32, void *), void *ctx, __u64 flags)
{
	__u32 i;

	(void)flags;
	for (i = 0; i < nr; i++)
		if (fn(i, ctx))
			return i + 1;
	return i;
}

/* The BPF build, under other names. */
#define __bpf__ 1
#define bw_plain_ctx bpf_plain_ctx
#define bw_plain_word bpf_plain_word
#define bw_plain_step bpf_plain_step
#define bw_plain_space bpf_plain_space
#define bw_plain_select bpf_plain_select
#include "bulwark_plain_read.h"
#undef __bpf__
#undef bw_plain_ctx
#undef bw_plain_word
#undef bw_plain_step
#undef bw_plain_space
#undef bw_plain_select
#undef BW_PLAIN_LOAD8
#undef BULWARK_PLAIN_READ_H

/* The user-space build. */
#include "bulwark_plain_read.h"

/*
 * The kernel side reads from a 4096-byte scratch buffer with more behind
 * it; user space from a buffer that ends with the text. Each build gets
 * the text its way: the BPF build with junk after it, the user build in an
 * exact-size allocation (so ASan catches a read past the end).
 */
static int both(const char *s, size_t n, int *kernel, int *user)
{
	static char scratch[2 * BW_DATA_MAX];
	char *exact = malloc(n ? n : 1);

	if (!exact)
		return -1;
	memset(scratch, 'x', sizeof(scratch));
	memcpy(scratch, s, n);
	memcpy(exact, s, n);
	*kernel = bpf_plain_select(scratch, (__u32)n);
	*user = bw_plain_select(exact, (__u32)n);
	free(exact);
	return 0;
}

static const struct {
	const char *text;
	int plain;
} table[] = {
	{ "SELECT 1", 1 },
	{ "select * from t where id = 42", 1 },
	{ "  \t\nSELECT a, b FROM t WHERE c = 'x';", 1 },
	{ "SELECT a FROM t;  \n", 1 },
	{ "SELECT\ta FROM t", 1 },
	{ "SELECT", 0 },                       /* nothing after the keyword */
	{ "SELECTa FROM t", 0 },               /* a longer word */
	{ "SELECT_x", 0 },
	{ "SELECT9", 0 },
	{ "SELECT\xc3\xa9 FROM t", 0 },        /* non-ASCII word character */
	{ "UPDATE t SET a = 1", 0 },
	{ "SELECT 1; DROP TABLE t", 0 },
	{ "SELECT a FROM t WHERE b = (1)", 0 },
	{ "SELECT now()", 0 },
	{ "SELECT 1 -- c", 0 },
	{ "SELECT 1 /* c */", 0 },
	{ "SELECT 1 # c", 0 },
	{ "SELECT 'a\\'b'", 0 },
	{ "SELECT 1;;", 0 },
	{ "         SELECT 1", 0 },          /* nine leading spaces: more than the test skips */
	/* forbidden bytes in the last bytes before the end (the old kernel test missed them) */
	{ "SELECT abcdefgh;DROP", 0 },
	{ "SELECT abcdefghij;x", 0 },
	{ "SELECT a FROM b#", 0 },
	{ "select 1 from t where x=1 --", 0 },
	{ "SELECT a FROM t WHERE b=(1)", 0 },
	{ "SELECT 1 FROM t WHERE a = 1 /", 0 },
};

TEST(plain_read_table_both_builds)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int k, u;

		CHECK(!both(table[i].text, strlen(table[i].text), &k, &u));
		if (k != table[i].plain || u != table[i].plain)
			fprintf(stderr, "  %s: kernel %d user %d, want %d\n", table[i].text, k, u,
				table[i].plain);
		CHECK_EQ(k, table[i].plain);
		CHECK_EQ(u, table[i].plain);
	}
}

TEST(plain_read_length_bound)
{
	static char s[BW_DATA_MAX + 16];
	int k, u;

	/* "SELECT " and spaces-free filler up to the bound, and one byte more */
	memset(s, 'a', sizeof(s));
	memcpy(s, "SELECT ", 7);
	CHECK(!both(s, BW_PLAIN_MAX - 1, &k, &u));
	CHECK_EQ(k, 1);
	CHECK_EQ(u, 1);
	CHECK(!both(s, BW_PLAIN_MAX, &k, &u));
	CHECK_EQ(k, 0);
	CHECK_EQ(u, 0);
	CHECK(!both(s, BW_DATA_MAX, &k, &u));
	CHECK_EQ(k, 0);
	CHECK_EQ(u, 0);
	/* a forbidden byte as the very last one before the bound */
	s[BW_PLAIN_MAX - 2] = ';';
	s[BW_PLAIN_MAX - 3] = '(';
	CHECK(!both(s, BW_PLAIN_MAX - 1, &k, &u));
	CHECK_EQ(k, 0);
	CHECK_EQ(u, 0);
}

TEST(plain_read_builds_agree_on_random_text)
{
	static const char alphabet[] = "SELECTselect ;(-#/\\\t\n'_9\x80";
	char s[300];
	unsigned seed = 12345, disagree = 0, plain = 0;

	for (int it = 0; it < 100000; it++) {
		size_t n;
		int k, u;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 8) % (sizeof(s) - 1);
		memcpy(s, "SELECT ", 7);
		for (size_t j = 7; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			s[j] = (seed >> 16) % 4 ? (char)('a' + (seed >> 20) % 26)
						: alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		CHECK(!both(s, n, &k, &u));
		disagree += k != u;
		plain += u;
	}
	CHECK_EQ(disagree, 0u);
	CHECK(plain > 0);  /* the input does reach both verdicts */
}

int main(void)
{
	return unit_main();
}
