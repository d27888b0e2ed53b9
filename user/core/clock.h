/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Clocks, durations and dates: the one duration grammar and the one date
 * parser, used by `dump --since/--until` and by a rule threshold's window. */
#ifndef BULWARK_CLOCK_H
#define BULWARK_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_NS_PER_SEC 1000000000ull

/* The clock's time in ns (0 if the clock is not available). */
uint64_t clock_ns(clockid_t clk);
static inline uint64_t clock_realtime_ns(void) { return clock_ns(CLOCK_REALTIME); }
static inline uint64_t clock_monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t clock_boottime_ns(void) { return clock_ns(CLOCK_BOOTTIME); }

/* *ts = the clock's time plus ns: an absolute deadline for timed waits. */
void clock_deadline(clockid_t clk, uint64_t ns, struct timespec *ts);

/*
 * Durations: one or more NUMBER UNIT terms, written together: 1h30m,
 * 500ms, 2d, 1w. Units: ns us ms s m h d w. A bare number with no unit is
 * accepted only when bare_unit_ns is not 0, and means that many
 * bare_unit_ns (a threshold window: seconds; `dump --since 5` is refused,
 * it looks like a typo of a date). Returns 0 and *ns, -EINVAL for bad
 * syntax, -ERANGE for a duration past 2^64 ns (584 years).
 */
int clock_parse_duration(const char *s, size_t len, uint64_t bare_unit_ns, uint64_t *ns);

/*
 * A point in time as ns since the epoch: RFC 3339 (2026-11-24T19:20:00Z,
 * 2026-11-24T19:20:00.5+01:00), local time ('2026-11-24 19:20:00',
 * 2026-11-24 for local midnight), @EPOCH[.FRAC], now, or a duration ago
 * (30s, 1h30m). Refuses what it cannot represent: dates that do not
 * exist (2026-02-29, a local time inside a DST gap), leap seconds (:60),
 * times before 1970 or after 2554-07-21 (2^64 ns), durations longer ago
 * than 1970. Returns 0 and *out, or -EINVAL with a message in err that
 * says why and what to write.
 */
int clock_parse_time(const char *s, uint64_t now_ns, uint64_t *out, char *err, size_t errlen);

/* RFC 3339 UTC with nanoseconds: 2026-11-24T19:20:00.123456789Z (31 bytes + NUL). */
#define CLOCK_UTC_LEN 32
void clock_format_utc(char *buf, size_t n, uint64_t ns);

/* Local time with milliseconds and the offset: 2026-11-24T20:20:00.123+01:00. */
#define CLOCK_LOCAL_LEN 40
void clock_format_local(char *buf, size_t n, uint64_t ns);

/* Days in month mo (1..12) of year y, Gregorian. */
int clock_days_in_month(int y, int mo);

#endif /* BULWARK_CLOCK_H */
