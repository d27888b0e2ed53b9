// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: the --since/--until parser and the duration grammar
 * (core/clock). Checks: whatever is accepted formats back (RFC 3339 UTC)
 * to a text that parses to the same ns; a date that is accepted is a real
 * calendar date, and the time read is the time written (TZ is UTC here, so
 * local forms are checked too); durations never wrap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define NOW 1795548000123456789ull  /* 2026-11-24T19:20:00.123456789Z */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

/* "YYYY-MM-DD[THH:MM[:SS]]" with no offset: the fields must be what gmtime gives back. */
static void check_fields(const char *s, uint64_t ns)
{
	time_t t = (time_t)(ns / CLOCK_NS_PER_SEC);
	struct tm tm;
	size_t n = strlen(s);
	int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);

	if (n < 10 || y < 0 || s[4] != '-' || strpbrk(s + 10, "+-"))
		return;
	if (!gmtime_r(&t, &tm))
		abort();
	if (mo < 1 || mo > 12 || d < 1 || d > clock_days_in_month(y, mo))
		abort(); /* an impossible date was accepted */
	if (tm.tm_year + 1900 != y || tm.tm_mon + 1 != mo || tm.tm_mday != d)
		abort();
	if (n >= 16 && (tm.tm_hour != num(s + 11, 2) || tm.tm_min != num(s + 14, 2)))
		abort();
	if (n >= 19 && s[16] == ':' && tm.tm_sec != num(s + 17, 2))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128], f[CLOCK_UTC_LEN], err[256];
	uint64_t ns, back, dur;

	if (size >= sizeof(s) || memchr(data, 0, size))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (!clock_parse_duration(s, size, 0, &dur) &&
	    clock_parse_duration(s, size, CLOCK_NS_PER_SEC, &back) != 0)
		abort(); /* the bare-number option only adds inputs */
	if (clock_parse_time(s, NOW, &ns, err, sizeof(err))) {
		if (!strstr(err, s) && size < 60)
			abort(); /* the message names the input */
		return 0;
	}
	clock_format_utc(f, sizeof(f), ns);
	if (clock_parse_time(f, NOW, &back, err, sizeof(err)) || back != ns)
		abort();
	if (s[0] >= '0' && s[0] <= '9' && !clock_parse_duration(s, size, 0, &dur) && dur > NOW)
		abort(); /* a duration longer ago than 1970 was taken */
	check_fields(s, ns);
	return 0;
}
