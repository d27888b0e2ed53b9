/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Prometheus /metrics and /healthz over libmicrohttpd, served from a snapshot the event loop publishes. */
#ifndef BULWARK_METRICS_H
#define BULWARK_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct metrics;
struct daemon;
struct jbuf;

/* /healthz answers 503 when the event loop has not published for this long. */
#define METRICS_STALE_NS (10ull * 1000000000ull)

/*
 * "[HOST:]PORT" or "[IPV6]:PORT" (a port alone listens on 127.0.0.1).
 * Fills sa (a sockaddr_in or sockaddr_in6). 0, or -EINVAL with err saying why.
 */
int metrics_parse_listen(const char *listen, struct sockaddr_storage *sa, char *err, size_t n);

/* Starts the HTTP server on listen. 0, or -errno with err naming the address and the fix. */
int metrics_start(const char *listen, struct metrics **m, char *err, size_t n);

/* Stops the server and frees m (NULL is fine). */
void metrics_stop(struct metrics *m);

/*
 * From the event loop: renders the daemon's counters (kstats: the kernel's,
 * may be NULL) in the Prometheus text format and hands the snapshot to
 * the HTTP thread. Scrapes never touch the daemon's state.
 */
void metrics_publish(struct metrics *m, struct daemon *d, const uint64_t *kstats);

/* The text format of the daemon's counters (used by metrics_publish and tests). */
void metrics_render(struct daemon *d, const uint64_t *kstats, struct jbuf *b);

#endif /* BULWARK_METRICS_H */
