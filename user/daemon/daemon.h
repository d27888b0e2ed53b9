/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The daemon context: the one struct that holds bulwark run's mutable state. */
#ifndef BULWARK_DAEMON_H
#define BULWARK_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "actions/actions.h"
#include "bulwark_abi.h"
#include "db/dbcapture.h"
#include "core/decode.h"
#include "core/json.h"
#include "kernel/dbprobes.h"
#include "core/session.h"
#include "kernel/loader.h"
#include "outputs/outputs.h"
#include "kernel/quarantine.h"
#include "kernel/pins.h"

#define DAEMON_MAX_RULE_PATHS 32
#define DAEMON_MAX_WATCH 64
#define DAEMON_DEFAULT_RUN_DIR "/run/bulwark"

struct daemon_opts;

/*
 * SIGHUP: how to read the options again (the config file and the command
 * line, cli/cmd_run.c). load fills next and a handle that owns next's
 * strings; release frees a handle. daemon_run() releases the handle of the
 * options it runs with when it ends.
 */
struct daemon_reload {
	int (*load)(void *arg, struct daemon_opts *next, void **handle, FILE *err);
	void (*release)(void *arg, void *handle);
	void *arg;
	void *handle;              /* owns the running options' strings */
};

struct daemon_opts {
	const char *rule_paths[DAEMON_MAX_RULE_PATHS]; /* --rules, in order */
	int nrule_paths;
	const char *watch[DAEMON_MAX_WATCH];  /* --watch DIR */
	int nwatch;
	const char *protect[DAEMON_MAX_WATCH]; /* --protect DIR: kernel-enforced trees */
	int nprotect;
	bool protect_session;      /* --protect kills the whole session (default) */
	const char *allow_exe[ACTIONS_MAX_ALLOW]; /* --allow-exe: never killed */
	int nallow_exe;
	const char *journal_dir;   /* --journal */
	const char *run_dir;       /* --run-dir: status file */
	bool events;               /* --events: stream every event */
	bool no_kill;              /* --no-kill: kills become alerts */
	bool capture_all;          /* --capture-all */
	bool verbose;              /* --verbose */
	uint32_t ringbuf_mb;       /* --ringbuf-mb */
	struct dbcapture_opts db;  /* --db-*, --no-db */
	struct outputs_config outputs; /* where alerts go (default: stdout only) */
	const char *metrics_listen; /* --metrics [HOST:]PORT; NULL: no metrics server */
	struct daemon_reload reload; /* SIGHUP; load NULL: the rules alone are reloaded */
	const char *pin_dir;       /* --pin-dir: where enforcement is pinned; "none": not pinned */
	uint64_t heartbeat_ns;     /* --heartbeat: alert-output heartbeat period; 0 off */
};

/* Counters kept by user space; shown by status and in the stop summary. */
struct daemon_counters {
	uint64_t events;          /* records decoded */
	uint64_t alerts;          /* alerts emitted */
	uint64_t bad_records;     /* malformed records */
	uint64_t reloads;         /* successful SIGHUP reloads */
	uint64_t reload_errors;   /* failed reloads (old rules kept) */
	uint64_t kernel_reported[BW_STAT_MAX]; /* kernel counters at the last drop report */
};

struct rules;
struct journal;

struct daemon {
	struct daemon_opts opts;
	struct loader loader;
	struct decoder dec;
	struct session_table sessions; /* live login sessions: RUN_DIR/sessions.json */
	struct rules *rules;
	struct rules *builtin;     /* the daemon's own rules: kernel enforcement alerts */
	struct actions actions;    /* kill_process / kill_session */
	struct quarantine quarantine; /* the kernel half of kill_session, called by actions */
	struct journal *journal;
	struct dbcapture *db;      /* database capture (NULL until set up) */
	struct outputs *outputs;   /* alert fan-out (NULL until set up) */
	struct dbprobes *dbprobes; /* its programs, maps and uprobes in the kernel */
	struct metrics *metrics;   /* /metrics and /healthz (NULL when off) */
	struct ring_buffer *rb;
	uint32_t batch;            /* records handled in this consume call (DAEMON_BATCH) */
	struct bw_event ev;        /* the event being handled */
	struct jbuf line;          /* its JSON */
	struct jbuf alert;         /* an alert's JSON */
	struct jbuf result;        /* an action's result JSON */
	struct daemon_counters c;
	char hostname[256];
	uint64_t started_ns;       /* epoch ns */
	uint64_t ticks;            /* periodic() calls */
	uint64_t watchdog_us;      /* $WATCHDOG_USEC: WATCHDOG=1 at half of it; 0 off */
	uint64_t last_watchdog_ns; /* monotonic */
	FILE *out;                 /* events, and alerts of the stdout output */
	struct pins pins;          /* the pinned enforcement this daemon owns */
	uint64_t last_heartbeat_ns;/* monotonic */
	bool unloading;            /* `bulwark unload` asked: remove the pins at the stop */
};

/*
 * bulwark run with parsed options (cli/cmd_run.c reads them): checks the
 * host, loads the rules and the BPF programs, then polls until SIGINT or
 * SIGTERM. Returns the exit code: 0 after a clean stop, 1 when it cannot start.
 */
int daemon_run(const struct daemon_opts *opts);

#endif /* BULWARK_DAEMON_H */
