// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Clocks, the duration grammar and date parsing/formatting (see clock.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"

uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void clock_deadline(clockid_t clk, uint64_t ns, struct timespec *ts)
{
	clock_gettime(clk, ts);
	ts->tv_sec += (time_t)(ns / CLOCK_NS_PER_SEC);
	ts->tv_nsec += (long)(ns % CLOCK_NS_PER_SEC);
	if (ts->tv_nsec >= (long)CLOCK_NS_PER_SEC) {
		ts->tv_sec++;
		ts->tv_nsec -= (long)CLOCK_NS_PER_SEC;
	}
}

/* ---- durations ---- */

int clock_parse_duration(const char *s, size_t len, uint64_t bare_unit_ns, uint64_t *ns)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		/* two-letter units first: "1ms" is milliseconds, not minutes then junk */
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", CLOCK_NS_PER_SEC }, { "m", 60 * CLOCK_NS_PER_SEC }, { "h", 3600 * CLOCK_NS_PER_SEC },
		{ "d", 86400 * CLOCK_NS_PER_SEC }, { "w", 7 * 86400 * CLOCK_NS_PER_SEC },
	};
	const char *p = s, *end = s + len;
	uint64_t total = 0;
	bool range = false, first = true;

	if (p == end)
		return -EINVAL;
	while (p < end) {
		uint64_t n = 0, mul = 0;
		size_t ul = 0;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (n > (UINT64_MAX - 9) / 10)
				range = true;
			else
				n = n * 10 + (uint64_t)(*p - '0');
		}
		if (p == end && first && bare_unit_ns) {
			mul = bare_unit_ns; /* the whole text is one bare number */
		} else {
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
				size_t l = strlen(units[i].u);
				if ((size_t)(end - p) >= l && !memcmp(p, units[i].u, l)) {
					mul = units[i].mul;
					ul = l;
					break;
				}
			}
			if (!mul)
				return -EINVAL;
			p += ul;
		}
		first = false;
		if (n > UINT64_MAX / mul || n * mul > UINT64_MAX - total)
			range = true;
		else
			total += n * mul;
	}
	if (range)
		return -ERANGE;
	*ns = total;
	return 0;
}

/* ---- dates ---- */

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int clock_days_in_month(int y, int mo)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mo < 1 || mo > 12)
		return 0;
	return days[mo - 1] + (mo == 2 && leap(y));
}

static int digits(const char **s, int ndig, int *v)
{
	int x = 0;

	for (int i = 0; i < ndig; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return -1;
		x = x * 10 + (*s)[i] - '0';
	}
	*s += ndig;
	*v = x;
	return 0;
}

/* ".123" or ",123" after seconds: up to 9 digits count, more are dropped. */
static const char *fraction(const char *p, uint64_t *frac)
{
	uint64_t scale = CLOCK_NS_PER_SEC;

	*frac = 0;
	if (*p != '.' && *p != ',')
		return p;
	if (!isdigit((unsigned char)p[1]))
		return NULL;
	for (p++; isdigit((unsigned char)*p); p++)
		if (scale > 1)
			scale /= 10, *frac += (uint64_t)(*p - '0') * scale;
	return p;
}

/* Seconds since the epoch plus a fraction as ns, if that fits in 64 bits. */
static bool to_ns(int64_t sec, uint64_t frac, uint64_t *out)
{
	if (sec < 0 || (uint64_t)sec > (UINT64_MAX - frac) / CLOCK_NS_PER_SEC)
		return false;
	*out = (uint64_t)sec * CLOCK_NS_PER_SEC + frac;
	return true;
}

#define TIME_FORMS "use RFC 3339 (2026-11-24T19:20:00Z), '2026-11-24 19:20:00' (local), " \
		   "@EPOCH, or a duration ago (30s, 10m, 2h, 1d)"

static int time_err(char *err, size_t errlen, const char *s, const char *why)
{
	if (why)
		snprintf(err, errlen, "cannot use the time '%s': %s", s, why);
	else
		snprintf(err, errlen, "cannot read the time '%s'; " TIME_FORMS, s);
	return -EINVAL;
}

/* @SECONDS[.FRAC] */
static int parse_epoch(const char *s, uint64_t *out, char *err, size_t errlen)
{
	const char *p = s + 1;
	uint64_t sec = 0, frac;
	bool big = false;

	if (!isdigit((unsigned char)*p))
		return time_err(err, errlen, s, NULL);
	for (; isdigit((unsigned char)*p); p++) {
		if (sec > UINT64_MAX / 10 - 1)
			big = true;
		else
			sec = sec * 10 + (uint64_t)(*p - '0');
	}
	p = fraction(p, &frac);
	if (!p || *p)
		return time_err(err, errlen, s, NULL);
	if (big || sec > INT64_MAX || !to_ns((int64_t)sec, frac, out))
		return time_err(err, errlen, s, "it is after 2554-07-21T23:34:33Z, the last time "
				"bulwark can represent (ns since 1970 in 64 bits)");
	return 0;
}

int clock_parse_time(const char *s, uint64_t now_ns, uint64_t *out, char *err, size_t errlen)
{
	struct tm tm = { 0 };
	int y, mo, dd, h = 0, mi = 0, sec = 0, tzh, tzm = 0, rc;
	uint64_t frac = 0, dur;
	const char *p = s;
	bool utc = false, has_time = false;
	long off = 0;
	time_t t;
	char why[160];

	if (!strcmp(s, "now")) {
		*out = now_ns;
		return 0;
	}
	if (*s == '@')
		return parse_epoch(s, out, err, errlen);
	rc = clock_parse_duration(s, strlen(s), 0, &dur);
	if (rc == -ERANGE || (!rc && dur > now_ns))
		return time_err(err, errlen, s, "that is longer ago than 1970-01-01; use a shorter "
				"duration or a date");
	if (!rc) {
		*out = now_ns - dur;
		return 0;
	}
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &dd))
		return time_err(err, errlen, s, NULL);
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		has_time = true;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return time_err(err, errlen, s, NULL);
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) || !(p = fraction(p, &frac)))
				return time_err(err, errlen, s, NULL);
		}
		if (*p == 'Z' || *p == 'z') {
			utc = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;

			if (digits(&p, 2, &tzh))
				return time_err(err, errlen, s, NULL);
			if (*p == ':')
				p++;
			if (*p && digits(&p, 2, &tzm))
				return time_err(err, errlen, s, NULL);
			if (tzh > 23 || tzm > 59)
				return time_err(err, errlen, s, NULL);
			utc = true;
			off = sign * (tzh * 3600L + tzm * 60L);
		}
	}
	if (*p || mo < 1 || mo > 12 || dd < 1 || h > 23 || mi > 59)
		return time_err(err, errlen, s, NULL);
	if (dd > clock_days_in_month(y, mo)) {
		snprintf(why, sizeof(why), "%04d-%02d has %d days", y, mo, clock_days_in_month(y, mo));
		return time_err(err, errlen, s, why);
	}
	if (sec == 60)
		return time_err(err, errlen, s, "leap seconds (:60) cannot be represented in ns "
				"since 1970; use :59");
	if (sec > 59)
		return time_err(err, errlen, s, NULL);
	if (y < 1970)
		return time_err(err, errlen, s, "it is before 1970-01-01, the first time bulwark "
				"can represent");
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = dd;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* mktime moves a local time inside a DST gap (02:30 when clocks jump
	 * from 02:00 to 03:00) to another hour: that time never existed */
	if (!utc && (tm.tm_hour != h || tm.tm_min != mi || tm.tm_mday != dd))
		return time_err(err, errlen, s, has_time ? "that local time does not exist (a "
				"daylight saving change skips it); give a UTC offset" :
				"that local midnight does not exist (a daylight saving change "
				"skips it); give a time");
	if (!to_ns((int64_t)t - off, frac, out))
		return time_err(err, errlen, s, (int64_t)t - off < 0 ?
				"it is before 1970-01-01, the first time bulwark can represent" :
				"it is after 2554-07-21T23:34:33Z, the last time bulwark can "
				"represent (ns since 1970 in 64 bits)");
	return 0;
}

/* ---- formatting ---- */

void clock_format_utc(char *buf, size_t n, uint64_t ns)
{
	time_t sec = (time_t)(ns / CLOCK_NS_PER_SEC);
	struct tm tm;
	size_t l;

	if (!gmtime_r(&sec, &tm) || !(l = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, n, "1970-01-01T00:00:00.000000000Z");
		return;
	}
	snprintf(buf + l, n - l, ".%09u" "Z", (unsigned)(ns % CLOCK_NS_PER_SEC));
}

void clock_format_local(char *buf, size_t n, uint64_t ns)
{
	time_t t = (time_t)(ns / CLOCK_NS_PER_SEC);
	struct tm tm;
	char s[64];
	long off;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, n, "@%llu", (unsigned long long)ns);
		return;
	}
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	snprintf(buf, n, "%s.%03u%c%02ld:%02ld", s, (unsigned)(ns / 1000000 % 1000),
		 off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
}
