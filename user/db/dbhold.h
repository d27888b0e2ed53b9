/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Hold and decide: PostgreSQL backends the kernel stopped on a flagged statement, resumed or ended here. */
#ifndef BULWARK_DBHOLD_H
#define BULWARK_DBHOLD_H

#include <stdbool.h>
#include <stdint.h>
#include "core/event.h"
#include "core/json.h"

/*
 * The kernel's table of held backends (bpf/lib/db.bpf.h, db_held), reached
 * through kernel/dbprobes.c so this folder needs no libbpf.
 */
struct dbhold_entry {
	uint32_t pid;           /* the backend (tgid) */
	uint64_t since_ns;      /* CLOCK_MONOTONIC of the hold */
	uint64_t conn_id;       /* its socket */
	uint64_t peer_conn_id;  /* the local client's socket, 0 = none */
	uint64_t offset;        /* server stream offset of the held receive */
	uint32_t total;         /* its bytes */
};
struct dbhold_ops {
	/* the entry of a backend holding conn_id (either end), 0 or -ENOENT */
	int (*find)(void *ctx, uint64_t conn_id, struct dbhold_entry *out);
	/* the entry of pid, 0 or -ENOENT */
	int (*lookup)(void *ctx, uint32_t pid, struct dbhold_entry *out);
	/* forgets pid's entry: 0, or -ENOENT when another path (the watchdog) took it first */
	int (*release)(void *ctx, uint32_t pid);
	void *ctx;
};

#define DBHOLD_PENDING 64  /* holds waiting for their statements to be classified */
#define DBHOLD_VERDICTS 16 /* recent kill verdicts on connections not (yet) held */

struct dbhold_counters {
	uint64_t held;        /* holds reported by the kernel */
	uint64_t resumed;     /* resumed after the rules let the statement through */
	uint64_t ended;       /* ended before the statement ran (a kill rule matched) */
	uint64_t timed_out;   /* decided by the deadline */
	uint64_t refused;     /* not signalled: the pid was no longer a held backend */
};

struct dbhold {
	struct dbhold_ops ops;
	bool on;              /* the kernel holds (kill rules on statements, no --no-kill) */
	bool deny;            /* the kernel refuses login sessions' flagged sends (BPF-LSM) */
	bool resume_on_timeout; /* --db-hold-timeout resume */
	uint64_t deadline_ns; /* --db-hold-ms */
	struct dbhold_pending {
		struct dbhold_entry h;
		uint64_t end;     /* offset + total */
		bool used;
	} p[DBHOLD_PENDING];
	struct dbhold_verdict {
		uint64_t conn_id; /* a kill rule matched a statement of this connection */
		uint64_t ns;      /* when (CLOCK_MONOTONIC) */
	} v[DBHOLD_VERDICTS];
	unsigned nv;
	struct dbhold_outcome {   /* the last statement decided (several alerts, one outcome) */
		uint64_t time_ns, conn_id;
		const char *query;
		const char *stmt, *source;
		char detail[256];
	} last;
	struct dbhold_counters c;
};

/* The hold words the kernel is given for statement kinds (1u << enum sql_kind); the count. */
int dbhold_words(uint32_t kinds, const char **out, int max);
/* The deny pairs (BPF-LSM at the client) for kinds: { word, word or NULL }; the count. */
int dbhold_deny_pairs(uint32_t kinds, const char *(*out)[2], int max);

/* Resumes (SIGCONT) or ends (SIGTERM then SIGCONT) a held backend: only a
 * PostgreSQL backend (never the postmaster). 0 or -errno (-EPERM: not one). */
int dbhold_resume_pid(uint32_t pid);
int dbhold_end_pid(uint32_t pid);

/* A HOLD record; peer_done: how far the local client's stream is classified (0 = unknown). */
void dbhold_note(struct dbhold *h, const struct dbhold_entry *e, uint64_t peer_done);
/* The statements of conn_id are classified up to stream offset done: holds before it resume. */
void dbhold_progress(struct dbhold *h, uint64_t conn_id, uint64_t done);
/* Holds are waiting for their statements (the daemon then polls the ring faster). */
bool dbhold_busy(const struct dbhold *h);
/* Deadlines (call often: every poll). */
void dbhold_tick(struct dbhold *h, uint64_t now_ns);
/* Shutdown: every pending hold is decided by the deadline rule now. */
void dbhold_flush(struct dbhold *h);

/*
 * What became of the statement of e that a rule fired on, added to the
 * action_result JSON in result ("null" or an object): "statement"
 * (prevented, rolled_back, executed, unknown), "statement_source" (how
 * bulwark knows) and "statement_detail". kill: a kill rule matches e (the
 * rule that fired, or another one: every alert on one statement reports
 * one outcome); then a held PostgreSQL backend is ended first, waiting up
 * to 200 ms for it to receive the statement.
 */
void dbhold_outcome(struct dbhold *h, bool kill, bool no_kill, const struct bw_event *e,
		    struct jbuf *result);

#endif /* BULWARK_DBHOLD_H */
