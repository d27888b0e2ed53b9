// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* core/clock: the duration grammar, date parsing that refuses what it
 * cannot represent, formatting, and the clocks. */
#include <errno.h>
#include <stdlib.h>
#include "unit.h"
#include "core/clock.h"

#define SEC 1000000000ull
#define T0 1795548000ull  /* 2026-11-24T19:20:00Z */

static uint64_t dur(const char *s, uint64_t bare, int *rc)
{
	uint64_t ns = 0;

	*rc = clock_parse_duration(s, strlen(s), bare, &ns);
	return ns;
}

TEST(clock_durations_one_grammar)
{
	int rc;

	CHECK_EQ(dur("1h30m", 0, &rc), 5400 * SEC);
	CHECK_EQ(rc, 0);
	CHECK_EQ(dur("500ms", 0, &rc), 500000000);
	CHECK_EQ(dur("1ms", 0, &rc), 1000000);
	CHECK_EQ(dur("2us", 0, &rc), 2000);
	CHECK_EQ(dur("7ns", 0, &rc), 7);
	CHECK_EQ(dur("1w2d3h4m5s", 0, &rc), (9 * 86400 + 3 * 3600 + 4 * 60 + 5) * SEC);
	CHECK_EQ(dur("10", SEC, &rc), 10 * SEC);
	CHECK_EQ(rc, 0);
	dur("10", 0, &rc);
	CHECK_EQ(rc, -EINVAL);         /* a bare number only where the caller allows it */
	dur("10s5", SEC, &rc);
	CHECK_EQ(rc, -EINVAL);         /* ... and only alone */
	static const char *const bad[] = { "", "h", "1x", "1 h", "-1h", "1h-", "1.5h", "1H" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dur(bad[i], SEC, &rc);
		if (rc != -EINVAL)
			UNIT_FAIL("'%s' was accepted", bad[i]);
	}
	/* 2^64 ns is 213503.98 days: past it is out of range, not wrapped */
	CHECK_EQ(dur("213503d", 0, &rc), 213503ull * 86400 * SEC);
	CHECK_EQ(rc, 0);
	dur("213504d", 0, &rc);
	CHECK_EQ(rc, -ERANGE);
	dur("18446744073709551615ns1ns", 0, &rc);
	CHECK_EQ(rc, -ERANGE);
	dur("99999999999999999999999s", 0, &rc);
	CHECK_EQ(rc, -ERANGE);
}

TEST(clock_parse_time_refuses_what_it_cannot_represent)
{
	uint64_t t, now = (T0 + 3600) * SEC;
	char err[256];

	setenv("TZ", "UTC", 1);
	tzset();
	/* issue 18: 213504d wrapped to about 25 minutes ago */
	CHECK_EQ(clock_parse_time("213504d", now, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'213504d': that is longer ago than 1970-01-01"));
	CHECK_EQ(clock_parse_time("213503d", now, &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ(clock_parse_time("20000d", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, now - 20000ull * 86400 * SEC);
	/* issue 18: dates after 2554-07-21 wrapped around */
	CHECK_EQ(clock_parse_time("2600-01-01", now, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "after 2554-07-21T23:34:33Z"));
	CHECK_EQ(clock_parse_time("2554-07-21T23:34:33.709551615Z", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, UINT64_MAX);
	CHECK_EQ(clock_parse_time("2554-07-21T23:34:33.709551616Z", now, &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ(clock_parse_time("2554-07-21T23:34:34Z", now, &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ(clock_parse_time("@18446744073", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(clock_parse_time("@18446744074", now, &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ(clock_parse_time("@99999999999999999999999", now, &t, err, sizeof(err)), -EINVAL);
	/* issue 18: seconds = 60 skipped the day check and rolled into March */
	CHECK_EQ(clock_parse_time("2026-02-29T23:59:60Z", now, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "2026-02 has 28 days"));
	CHECK_EQ(clock_parse_time("2026-02-28T23:59:60Z", now, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "leap seconds"));
	CHECK_EQ(clock_parse_time("2024-02-29T23:59:59Z", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(clock_parse_time("2100-02-29", now, &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ(clock_parse_time("2000-02-29", now, &t, err, sizeof(err)), 0); /* 2000 is a leap year */
	CHECK_EQ(clock_parse_time("1969-12-31T23:59:59Z", now, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "before 1970-01-01"));
	CHECK_EQ(clock_parse_time("1970-01-01T00:30:00+01:00", now, &t, err, sizeof(err)), -EINVAL);
	CHECK_EQ(clock_parse_time("1970-01-01T00:00:00Z", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, 0);
	CHECK_EQ(clock_parse_time("2026-04-31", now, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "2026-04 has 30 days"));
	/* a local time inside a DST gap never existed */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	CHECK_EQ(clock_parse_time("2026-03-29 02:30:00", now, &t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "does not exist"));
	CHECK_EQ(clock_parse_time("2026-03-29 03:30:00", now, &t, err, sizeof(err)), 0);
	CHECK_EQ(clock_parse_time("2026-03-29T02:30:00Z", now, &t, err, sizeof(err)), 0);
	setenv("TZ", "UTC", 1);
	tzset();
}

TEST(clock_format_round_trips)
{
	char b[CLOCK_UTC_LEN], l[CLOCK_LOCAL_LEN], err[256];
	uint64_t t;

	setenv("TZ", "UTC", 1);
	tzset();
	clock_format_utc(b, sizeof(b), T0 * SEC + 123456789);
	CHECK_STREQ(b, "2026-11-24T19:20:00.123456789Z");
	CHECK_EQ(clock_parse_time(b, 0, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, T0 * SEC + 123456789);
	clock_format_utc(b, sizeof(b), UINT64_MAX);
	CHECK_STREQ(b, "2554-07-21T23:34:33.709551615Z");
	CHECK_EQ(clock_parse_time(b, 0, &t, err, sizeof(err)), 0);
	CHECK_EQ(t, UINT64_MAX);
	clock_format_local(l, sizeof(l), T0 * SEC + 123456789);
	CHECK_STREQ(l, "2026-11-24T19:20:00.123+00:00");
	CHECK_EQ(clock_days_in_month(2024, 2), 29);
	CHECK_EQ(clock_days_in_month(1900, 2), 28);
	CHECK_EQ(clock_days_in_month(2000, 2), 29);
	CHECK_EQ(clock_days_in_month(2026, 13), 0);
}

TEST(clock_clocks_run)
{
	uint64_t a = clock_monotonic_ns(), b = clock_monotonic_ns();

	CHECK(a > 0 && b >= a);
	CHECK(clock_realtime_ns() > T0 * SEC - 86400ull * 365 * 10 * SEC);
	CHECK(clock_boottime_ns() > 0);
}

int main(void)
{
	return unit_main();
}
