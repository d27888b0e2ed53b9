/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Folder-private: the sink interface every output module implements, and shared helpers. */
#ifndef BULWARK_OUTPUTS_INT_H
#define BULWARK_OUTPUTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "outputs/outputs.h"

/* deliver() result beyond 0 / -errno: the receiver refused this alert for good. */
#define SINK_REJECTED 1

struct sink;

/*
 * One output module. deliver() runs on the output's worker thread (the
 * event loop's, for stdout) and may block up to cfg->timeout_ms. It
 * returns 0 once the receiver has the alert, -errno to be retried later
 * (err says what failed), or SINK_REJECTED when retrying cannot help.
 */
struct sink_ops {
	int (*open)(struct sink *s, char *err, size_t errlen);  /* no I/O that can block */
	int (*deliver)(struct sink *s, const char *json, size_t len, char *err, size_t errlen);
	void (*reopen)(struct sink *s);                          /* optional: file outputs */
	void (*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	const struct output_config *cfg;
	const char *hostname;      /* for syslog's HOSTNAME */
	FILE *out;                 /* the stdout output's stream */
	void *priv;                /* the module's state */
};

extern const struct sink_ops sink_stdout_ops, sink_file_ops, sink_syslog_ops, sink_http_ops,
	sink_program_ops;

/* Monotonic ns. */
uint64_t outputs_now_ns(void);

/*
 * Fields of an alert object the sinks need: the strings are decoded into
 * scratch (at least len bytes) and NUL-terminated; absent ones are "".
 * Returns 0 or -EINVAL.
 */
struct alert_view {
	const char *time, *rule, *priority, *output, *hostname, *action;
	const char *output_fields;  /* raw object text, "" if absent */
	size_t output_fields_len;
};
int alert_view_parse(const char *json, size_t len, char *scratch, struct alert_view *v);

/*
 * Aggregation (aggregate.c): per rule name, the first cfg->after alerts of
 * a window pass; the rest are held and counted, and one summary stands for
 * them when the window ends. Single-threaded: the event loop's.
 */
struct aggregator;
typedef void (*aggregate_emit_fn)(void *ctx, const char *json, size_t len, int priority);

int aggregate_new(const struct outputs_aggregate *cfg, struct aggregator **out);
void aggregate_free(struct aggregator *g);
/* True when a is held back. A window of a's rule that ended emits its summary first. */
bool aggregate_offer(struct aggregator *g, const struct outputs_alert *a, uint64_t now_ns,
		     aggregate_emit_fn fn, void *ctx);
/* Emits the summaries of windows ended by now_ns (every window when all). */
void aggregate_flush(struct aggregator *g, uint64_t now_ns, bool all, aggregate_emit_fn fn,
		     void *ctx);
void aggregate_stats(const struct aggregator *g, uint64_t *held, uint64_t *summaries);

#endif /* BULWARK_OUTPUTS_INT_H */
