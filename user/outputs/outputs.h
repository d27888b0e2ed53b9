/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Alert outputs: fan-out to stdout, file, syslog, HTTP and program sinks, with spools and aggregation. */
#ifndef BULWARK_OUTPUTS_H
#define BULWARK_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/json.h"

#define OUTPUTS_MAX 16
#define OUTPUT_MAX_HEADERS 16
#define OUTPUTS_DEFAULT_SPOOL_DIR "/var/lib/bulwark/spool"

enum output_type {
	OUTPUT_STDOUT = 0,  /* JSON lines on the daemon's stdout, written by the event loop */
	OUTPUT_FILE,        /* JSON lines appended to a file; reopened on outputs_reopen() */
	OUTPUT_SYSLOG,      /* RFC 5424 to /dev/log, or to a collector over UDP, TCP or TLS */
	OUTPUT_HTTP,        /* POST of Falco's JSON body (Falcosidekick's /) through libcurl */
	OUTPUT_PROGRAM,     /* each alert as a line on a command's stdin */
	OUTPUT_NTYPES,
};

enum syslog_transport {
	SYSLOG_UNIX = 0,    /* datagrams to a local socket (default /dev/log) */
	SYSLOG_UDP,         /* one datagram per message (RFC 5426) */
	SYSLOG_TCP,         /* octet-counting framing (RFC 6587) */
	SYSLOG_TLS,         /* TCP framing inside TLS (RFC 5425), OpenSSL */
};

/*
 * One output. Every string is owned (malloc'd) by the config and freed by
 * outputs_config_free(): a config file loader and command-line options
 * fill the same struct.
 */
struct output_config {
	enum output_type type;
	bool enabled;              /* enabled=true|false */
	char *name;                /* name=: in status and messages; default the type ("http", "http2") */
	int min_priority;          /* min_priority=: enum rule_priority; this or more severe is sent */
	/* delivery (outputs that can fail: every type but stdout) */
	char *spool_dir;           /* spool=DIR: on-disk spool; "off" or unset: memory only */
	uint64_t spool_max_bytes;  /* spool_max=: cap of the spool's files (default 64M) */
	uint32_t queue_len;        /* queue=: in-memory alerts between the event loop and the worker */
	uint32_t retry_min_ms;     /* retry_min=: first backoff (default 1s) */
	uint32_t retry_max_ms;     /* retry_max=: backoff ceiling (default 60s) */
	uint32_t timeout_ms;       /* timeout=: one delivery attempt (connect + send), default 5s */
	/* file */
	char *path;                /* path=: file path, or the syslog unix socket (default /dev/log) */
	/* program */
	char *command;             /* command=: run by /bin/sh -c */
	bool keep_alive;           /* keep_alive=: one long-lived process (default), else one per alert */
	/* http */
	char *url;                 /* url= */
	char *headers[OUTPUT_MAX_HEADERS]; /* header=Name: value (repeatable) */
	int nheaders;
	/* syslog */
	enum syslog_transport transport; /* transport=unix|udp|tcp|tls */
	char *host;                /* host= (udp, tcp, tls) */
	char *port;                /* port= (default 514, 6514 for tls) */
	int facility;              /* facility=: name or number (default local0 = 16) */
	bool text;                 /* format=text: the output text, not the JSON, as MSG */
	char *app_name;            /* app_name= (default bulwark) */
	/* TLS (http, syslog tls) */
	char *ca;                  /* ca=: CA bundle to verify the server with */
	char *cert;                /* cert=: client certificate (PEM) */
	char *key;                 /* key=: its private key (PEM) */
	bool insecure;             /* insecure=true: skip server verification (tests only) */
};

struct outputs_aggregate {
	bool on;                   /* aggregate non-kill rules (default on) */
	uint32_t after;            /* alerts of a rule per window sent as they are (default 10) */
	uint64_t window_ns;        /* window (default 60 s) */
};

struct outputs_config {
	struct output_config out[OUTPUTS_MAX];
	int n;
	struct outputs_aggregate aggregate;
};

/* Defaults equivalent to bulwark before outputs: stdout only, enabled. */
void outputs_config_init(struct outputs_config *cfg);
void outputs_config_free(struct outputs_config *cfg);

/*
 * Adds (or, for a name already present, updates) one output from a spec:
 *   TYPE[:key=value[,key=value]...]
 *   http:url=http://127.0.0.1:2801/,min_priority=warning,header=X-Token: s3
 *   syslog:transport=tcp,host=logs.example,port=514,spool=/var/lib/bulwark/spool
 *   stdout:enabled=false
 *   aggregate:window=60s,after=10   (or aggregate:off)
 * A comma or backslash inside a value is written \, or \\. Returns 0, or
 * -EINVAL with a message naming the spec, the key and what is accepted. A
 * bad spec adds no output; for a name already present, the keys before
 * the bad one are applied.
 */
int outputs_config_parse_spec(struct outputs_config *cfg, const char *spec, char *err, size_t errlen);

/* Checks what can be checked before start (required keys, files readable). */
int outputs_config_check(const struct outputs_config *cfg, char *err, size_t errlen);

const char *output_type_name(enum output_type t);

/* An alert as the daemon hands it over. */
struct outputs_alert {
	const char *json;          /* the Falco-shaped alert object, no newline */
	size_t len;
	const char *rule;          /* rule name: the aggregation key */
	int priority;              /* enum rule_priority */
	bool kill;                 /* the rule's action kills: never aggregated */
};

struct outputs;

/*
 * Opens every enabled output: spools are recovered, worker threads started.
 * out is where the stdout output writes (the daemon's stream); errf gets
 * one line per delivery state change ("down, spooling" / "delivering
 * again"). Returns 0, or -errno with err saying which output failed.
 */
int outputs_open(const struct outputs_config *cfg, FILE *out, FILE *errf, struct outputs **o,
		 char *err, size_t errlen);

/* Hands an alert to every output whose min_priority it meets. Never blocks
 * on the network: network and disk outputs only queue it. */
void outputs_emit(struct outputs *o, const struct outputs_alert *a);

/* Periodic work from the event loop (about once a second): closes the
 * aggregation windows that are due. */
void outputs_tick(struct outputs *o);

/* SIGUSR1: file outputs reopen their path (after logrotate's rename). */
void outputs_reopen(struct outputs *o);

/*
 * Stops every output: aggregated counts still held are emitted, queued
 * alerts are delivered for up to timeout_ms, the rest stays in the spool
 * (or, without one, is counted as lost). Frees o.
 */
void outputs_close(struct outputs *o, uint32_t timeout_ms);

struct output_stats {
	const char *name;
	enum output_type type;
	uint64_t sent;             /* alerts handed to this output */
	uint64_t delivered;        /* accepted by the receiver */
	uint64_t failed_attempts;  /* delivery attempts that failed (each retry counts) */
	uint64_t rejected;         /* refused for good (HTTP 4xx, oversized datagram): not retried */
	uint64_t spooled;          /* written to the spool */
	uint64_t spool_pending;    /* in the spool, not yet delivered */
	uint64_t spool_bytes;      /* size of the spool's files */
	uint64_t dropped;          /* given up: spool full (or absent) and queue full, or lost at exit */
	uint64_t filtered;         /* below min_priority */
	bool up;                   /* the last attempt succeeded */
	char last_error[256];      /* the last failure, "" if none */
};

int outputs_count(const struct outputs *o);
void outputs_get_stats(struct outputs *o, int i, struct output_stats *s);
/* Alerts held back by aggregation, and summaries emitted for them. */
void outputs_get_aggregate_stats(struct outputs *o, uint64_t *held, uint64_t *summaries);

/* Appends "outputs":{...} counters for the status file (a key and its value). */
void outputs_status_json(struct outputs *o, struct jbuf *b);

#endif /* BULWARK_OUTPUTS_H */
