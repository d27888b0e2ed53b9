/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Minimal unit-test harness. Each TEST() is one case; the binary prints
 * "PASS name" or "FAIL name: file:line: message" per case, which
 * tests/run.sh counts, and exits 1 if any case failed.
 *
 *   TEST(json_escapes) { CHECK(x == 1); CHECK_STREQ(a, "b"); }
 *   int main(void) { return unit_main(); }
 */
#ifndef BULWARK_UNIT_H
#define BULWARK_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
	struct unit_case *next;
};

static struct unit_case *unit_head, **unit_tail = &unit_head;
static int unit_failed_now;

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	static struct unit_case unit_case_##name = { #name, test_##name, 0 }; \
	__attribute__((constructor)) static void unit_reg_##name(void)      \
	{                                                                   \
		*unit_tail = &unit_case_##name;                             \
		unit_tail = &unit_case_##name.next;                         \
	}                                                                   \
	static void test_##name(void)

#define UNIT_FAIL(...)                                                      \
	do {                                                                \
		if (!unit_failed_now)                                       \
			printf("FAIL %s: %s:%d: ", unit_current, __FILE__, __LINE__); \
		else                                                        \
			printf("     also %s:%d: ", __FILE__, __LINE__);   \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
		unit_failed_now = 1;                                        \
	} while (0)

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond))                                                \
			UNIT_FAIL("CHECK(%s)", #cond);                      \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long _a = (long long)(a), _b = (long long)(b);         \
		if (_a != _b)                                               \
			UNIT_FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b); \
	} while (0)

#define CHECK_STREQ(a, b)                                                   \
	do {                                                                \
		const char *_a = (a), *_b = (b);                            \
		if (!_a || !_b || strcmp(_a, _b))                           \
			UNIT_FAIL("%s is \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
	} while (0)

#define CHECK_MEMEQ(a, alen, b, blen)                                       \
	do {                                                                \
		size_t _al = (alen), _bl = (blen);                          \
		if (_al != _bl || memcmp((a), (b), _al))                    \
			UNIT_FAIL("%s (%zu bytes) differs from %s (%zu bytes)", #a, _al, #b, _bl); \
	} while (0)

static const char *unit_current;

static inline int unit_main(void)
{
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct unit_case *c = unit_head; c; c = c->next) {
		unit_current = c->name;
		unit_failed_now = 0;
		c->fn();
		if (unit_failed_now)
			failed++;
		else
			printf("PASS %s\n", c->name), passed++;
	}
	fprintf(stderr, "%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif /* BULWARK_UNIT_H */
