// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Hold and decide: PostgreSQL backends the kernel stopped on a flagged statement, resumed or ended here. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "core/clock.h"
#include "core/proctable.h"
#include "db/dbhold.h"
#include "sql/sql.h"

#define VERDICT_TTL_NS (10ull * 1000000000ull) /* a kill verdict waits this long for its hold */
#define WAIT_HOLD_NS   (200ull * 1000000ull)   /* a kill waits this long for the backend to receive */

int dbhold_words(uint32_t kinds, const char **out, int max)
{
	/* the kernel holds PostgreSQL backends only: MariaDB is one process */
	return sql_hold_words(SQL_PG, kinds, out, max);
}

int dbhold_deny_pairs(uint32_t kinds, const char *(*out)[2], int max)
{
	return sql_deny_pairs(kinds, out, max);
}

/* ---- signals: only ever to a PostgreSQL backend ---- */

static int signal_backend(uint32_t pid, bool end)
{
	int fd, err = 0;

	if (!proc_pg_backend(pid))
		return -EPERM;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* SIGTERM first: it is acted on as soon as SIGCONT lets the backend run */
	if (end && syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0))
		err = -errno;
	if (syscall(SYS_pidfd_send_signal, fd, SIGCONT, NULL, 0) && !err)
		err = -errno;
	close(fd);
	return err;
}

int dbhold_resume_pid(uint32_t pid)
{
	return signal_backend(pid, false);
}

int dbhold_end_pid(uint32_t pid)
{
	return signal_backend(pid, true);
}

/* ---- pending holds ---- */

static bool verdict_end(struct dbhold *h, uint64_t conn_id, uint64_t now)
{
	if (!conn_id)
		return false;
	for (unsigned i = 0; i < DBHOLD_VERDICTS; i++)
		if (h->v[i].conn_id == conn_id && now - h->v[i].ns < VERDICT_TTL_NS)
			return true;
	return false;
}

static void verdict_add(struct dbhold *h, uint64_t conn_id, uint64_t now)
{
	h->v[h->nv++ % DBHOLD_VERDICTS] = (struct dbhold_verdict){ conn_id, now };
}

/* Resumes or ends pid, forgets its kernel entry; the entry must still be there (ours). */
static int decide(struct dbhold *h, uint32_t pid, bool end)
{
	struct dbhold_entry cur;
	int rc;

	/*
	 * The entry goes before the signal: once resumed, the backend may
	 * receive its next statement and be held again under the same pid,
	 * and a delete after the SIGCONT would take that new entry, leaving
	 * it stopped with nothing to decide it (seen in bench_hold, 1,000
	 * statements). Whoever deletes the entry decides the hold.
	 */
	if ((h->ops.lookup && h->ops.lookup(h->ops.ctx, pid, &cur)) ||
	    (h->ops.release && h->ops.release(h->ops.ctx, pid))) {
		h->c.refused++;  /* decided already (the watchdog, another path) */
		return -ENOENT;
	}
	rc = end ? dbhold_end_pid(pid) : dbhold_resume_pid(pid);
	if (rc)
		h->c.refused++;
	else if (end)
		h->c.ended++;
	else
		h->c.resumed++;
	return rc;
}

static void pending_drop(struct dbhold *h, uint32_t pid)
{
	for (int i = 0; i < DBHOLD_PENDING; i++)
		if (h->p[i].used && h->p[i].h.pid == pid)
			h->p[i].used = false;
}

void dbhold_note(struct dbhold *h, const struct dbhold_entry *e, uint64_t peer_done)
{
	uint64_t now = clock_monotonic_ns();
	struct dbhold_pending *slot = NULL;

	h->c.held++;
	pending_drop(h, e->pid);
	if (verdict_end(h, e->conn_id, now) || verdict_end(h, e->peer_conn_id, now)) {
		decide(h, e->pid, true);
		return;
	}
	/* the local client's statement was classified already and no kill rule fired */
	if (e->peer_conn_id && peer_done >= e->offset + e->total) {
		decide(h, e->pid, false);
		return;
	}
	for (int i = 0; i < DBHOLD_PENDING && !slot; i++)
		if (!h->p[i].used)
			slot = &h->p[i];
	if (!slot) {
		/* more holds at once than we track: the oldest rule (the deadline's) now */
		decide(h, e->pid, !h->resume_on_timeout);
		h->c.timed_out++;
		return;
	}
	slot->h = *e;
	slot->end = e->offset + e->total;
	slot->used = true;
}

void dbhold_progress(struct dbhold *h, uint64_t conn_id, uint64_t done)
{
	for (int i = 0; i < DBHOLD_PENDING; i++) {
		struct dbhold_pending *p = &h->p[i];

		if (!p->used || (p->h.conn_id != conn_id && p->h.peer_conn_id != conn_id))
			continue;
		if (done < p->end)
			continue;
		p->used = false;
		decide(h, p->h.pid, false);
	}
}

bool dbhold_busy(const struct dbhold *h)
{
	for (int i = 0; h->on && i < DBHOLD_PENDING; i++)
		if (h->p[i].used)
			return true;
	return false;
}

void dbhold_tick(struct dbhold *h, uint64_t now_ns)
{
	(void)now_ns;
	for (int i = 0; i < DBHOLD_PENDING; i++) {
		struct dbhold_pending *p = &h->p[i];

		/* since_ns is the kernel's CLOCK_MONOTONIC */
		if (!p->used || clock_monotonic_ns() - p->h.since_ns < h->deadline_ns)
			continue;
		p->used = false;
		h->c.timed_out++;
		decide(h, p->h.pid, !h->resume_on_timeout);
	}
}

void dbhold_flush(struct dbhold *h)
{
	for (int i = 0; i < DBHOLD_PENDING; i++)
		if (h->p[i].used) {
			h->p[i].used = false;
			h->c.timed_out++;
			decide(h, h->p[i].h.pid, !h->resume_on_timeout);
		}
}

/* ---- the outcome in action_result ---- */

/* pid has exited: gone, or a zombie (no executable any more) */
static bool exited(uint32_t pid)
{
	char path[64], exe[16];

	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	return readlink(path, exe, sizeof(exe)) < 0;
}

static void put_outcome(struct jbuf *b, const char *stmt, const char *source, const char *detail)
{
	/* action_result is "null" or an object: open or reopen it */
	if (b->len == 4 && !memcmp(b->p, "null", 4)) {
		b->len = 0;
		jbuf_putc(b, '{');
	} else if (b->len && b->p[b->len - 1] == '}') {
		b->len--;
		if (b->len && b->p[b->len - 1] != '{')
			jbuf_putc(b, ',');
	} else {
		return;
	}
	jbuf_printf(b, "\"statement\":\"%s\",\"statement_source\":\"%s\",\"statement_detail\":", stmt,
		    source);
	json_put_str(b, detail, strlen(detail));
	jbuf_putc(b, '}');
}

/* The held backend serving conn_id, waiting a little for it to receive the statement. */
static int wait_hold(struct dbhold *h, uint64_t conn_id, struct dbhold_entry *out)
{
	uint64_t t0 = clock_monotonic_ns();
	struct timespec ms = { 0, 1000000 };

	if (!h->ops.find)
		return -ENOENT;
	do {
		if (!h->ops.find(h->ops.ctx, conn_id, out))
			return 0;
		nanosleep(&ms, NULL);
	} while (clock_monotonic_ns() - t0 < WAIT_HOLD_NS);
	return -ENOENT;
}

/* Decides the statement of e once: every alert on it reports the same outcome. */
static void decide_statement(struct dbhold *h, bool kill, bool no_kill, const struct bw_event *e,
			     struct dbhold_outcome *o)
{
	bool pg = event_has(e, FLD_DB_SYSTEM) && e->db_system.len == 10 &&
		  !memcmp(e->db_system.p, "postgresql", 10);
	struct dbhold_entry held;
	int rc;

	o->detail[0] = 0;
	if (e->db_denied) {
		o->stmt = "prevented";
		o->source = "denied_at_send";
		snprintf(o->detail, sizeof(o->detail), "the client's send was refused in the kernel "
			 "(BPF-LSM socket_sendmsg, -EPERM): the server never received the statement");
		return;
	}
	if (!kill) {
		o->stmt = "unknown";
		o->source = "not_stopped";
		snprintf(o->detail, sizeof(o->detail), "no kill rule matched: bulwark let the "
			 "statement through; the server's reply is not captured");
		return;
	}
	o->stmt = "unknown";
	if (no_kill) {
		o->source = "dry_run";
		snprintf(o->detail, sizeof(o->detail), "--no-kill: nothing was held or stopped");
		return;
	}
	if (!pg) {
		o->source = "not_holdable";
		snprintf(o->detail, sizeof(o->detail), "MySQL/MariaDB run every connection in one "
			 "server process, which bulwark never stops: the statement had reached the "
			 "server when the client was stopped, and the server's reply is not captured");
		return;
	}
	if (!h->on) {
		o->source = "hold_off";
		snprintf(o->detail, sizeof(o->detail), "holding is off (--no-db-hold, or the kernel "
			 "cannot): the statement had reached the server when the client was stopped");
		return;
	}
	verdict_add(h, e->db_conn_id, clock_monotonic_ns());
	if (wait_hold(h, e->db_conn_id, &held)) {
		o->source = "not_held";
		snprintf(o->detail, sizeof(o->detail), "the server's backend had not received the "
			 "statement within 200 ms; it will be ended before running it if it does, "
			 "while bulwark runs");
		return;
	}
	pending_drop(h, held.pid);
	rc = decide(h, held.pid, true);
	/*
	 * The action may have ended it first (a remote client's connection:
	 * SIGTERM to the backend while it was stopped): it is gone (or a
	 * zombie), and the statement never ran all the same.
	 */
	if (rc && exited(held.pid)) {
		o->stmt = "rolled_back";
		o->source = "held_backend_ended";
		snprintf(o->detail, sizeof(o->detail), "PostgreSQL backend %u was stopped as it "
			 "received the statement and was ended by the action before running it; its "
			 "transaction is aborted", held.pid);
		return;
	}
	if (rc) {
		o->source = "held_end_failed";
		snprintf(o->detail, sizeof(o->detail), "PostgreSQL backend %u was held but could not "
			 "be ended (no longer a backend)", held.pid);
		return;
	}
	o->stmt = "rolled_back";
	o->source = "held_backend_ended";
	snprintf(o->detail, sizeof(o->detail), "PostgreSQL backend %u was stopped as it received "
		 "the statement and ended (SIGTERM, as pg_terminate_backend) before running it; its "
		 "transaction is aborted", held.pid);
}

void dbhold_outcome(struct dbhold *h, bool kill, bool no_kill, const struct bw_event *e,
		    struct jbuf *result)
{
	struct dbhold_outcome *o = &h->last;

	if (e->type != BW_EVT_DB_QUERY)
		return;
	/* the same event (several rules fired on it): the same outcome */
	if (!(o->stmt && o->time_ns == e->time_ns && o->conn_id == e->db_conn_id &&
	      o->query == e->db_query.p)) {
		decide_statement(h, kill, no_kill, e, o);
		o->time_ns = e->time_ns;
		o->conn_id = e->db_conn_id;
		o->query = e->db_query.p;
	}
	put_outcome(result, o->stmt, o->source, o->detail);
}
