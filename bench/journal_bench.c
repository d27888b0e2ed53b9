// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Journal throughput: a realistic event mix through journal_append until journal_close has flushed. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "journal/journal.h"

/*
 * Usage: journal_bench DIR [EVENTS] [LEVEL] [BLOCK_KIB] [RATE]
 * The lines are made before the clock starts (the daemon has them already
 * encoded when it appends), so this measures the journal: queue, compress,
 * write. journal_append_try is retried when the queue is full, so the
 * figure is the rate the writer sustains with nothing lost; the run also
 * reports what plain journal_append would have lost at full speed.
 * With RATE (events/s), appends are paced with plain journal_append, as
 * the daemon does, and the run reports lost records and the CPU time the
 * journal cost (process CPU; the pacing loop sleeps between batches).
 */
#define POOL 65536

struct line {
	struct bw_event e;
	char *json;
	size_t len;
};

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_line(struct line *l, uint64_t t, int i)
{
	static const char *const users[] = { "dev", "ops", "alice", "bob", "postgres" };
	static const char *const dirs[] = { "/home/dev/proj/build/obj", "/var/lib/postgresql/15/main/base/16384",
					    "/tmp/tmp.Xk2a9", "/srv/app/releases/2026-11-24/node_modules/lodash",
					    "/var/log/nginx" };
	static const char *const sql[] = {
		"SELECT id, name, balance FROM accounts WHERE id = %u",
		"UPDATE orders SET status = 'shipped' WHERE order_id = %u",
		"INSERT INTO audit_log (actor, action, at) VALUES ('svc', 'login', now()) -- %u",
		"DELETE FROM sessions WHERE expires_at < now() AND id > %u",
	};
	uint32_t pid = 4000 + rnd(3000), ppid = 3000 + rnd(1000), sess = 1 + rnd(40);
	uint32_t uid = rnd(5) ? 0 : 1000 + rnd(5), login = 1000 + rnd(5);
	const char *dir = dirs[rnd(5)];
	char buf[1024];
	int n, kind = rnd(100);
	struct bw_event *e = &l->e;

	event_reset(e);
	e->time_ns = t;
	e->pid = pid;
	e->ppid = ppid;
	e->sessionid = sess;
	event_set_present(e, FLD_SESSION_ID);
	if (kind < 55) {
		e->type = BW_EVT_UNLINKAT;
		n = snprintf(buf, sizeof(buf),
			     "{\"evt.time\":%llu,\"evt.type\":\"unlinkat\",\"evt.rawres\":0,\"proc.pid\":%u,"
			     "\"proc.ppid\":%u,\"proc.name\":\"rm\",\"proc.exepath\":\"/usr/bin/rm\","
			     "\"proc.cmdline\":\"rm -rf build\",\"user.uid\":%u,\"user.loginuid\":%u,"
			     "\"session.id\":%u,\"fd.name\":\"%s/a%u.o\"}",
			     (unsigned long long)t, pid, ppid, uid, login, sess, dir, rnd(100000));
	} else if (kind < 70) {
		e->type = BW_EVT_EXECVE;
		n = snprintf(buf, sizeof(buf),
			     "{\"evt.time\":%llu,\"evt.type\":\"execve\",\"evt.rawres\":0,\"proc.pid\":%u,"
			     "\"proc.ppid\":%u,\"proc.name\":\"cc1\",\"proc.exepath\":\"/usr/lib/gcc/x86_64-linux-gnu/12/cc1\","
			     "\"proc.cmdline\":\"cc1 -quiet -I include src/mod%u.c -o /tmp/cc%06u.s -O2\","
			     "\"user.uid\":%u,\"user.loginuid\":%u,\"user.loginname\":\"%s\",\"session.id\":%u}",
			     (unsigned long long)t, pid, ppid, rnd(500), rnd(1000000), uid, login,
			     users[login - 1000], sess);
	} else if (kind < 78) {
		e->type = BW_EVT_FORK;
		n = snprintf(buf, sizeof(buf),
			     "{\"evt.time\":%llu,\"evt.type\":\"fork\",\"evt.rawres\":0,\"proc.pid\":%u,"
			     "\"proc.ppid\":%u,\"proc.name\":\"make\",\"proc.exepath\":\"/usr/bin/make\","
			     "\"proc.cmdline\":\"make -j2\",\"user.uid\":%u,\"user.loginuid\":%u,\"session.id\":%u}",
			     (unsigned long long)t, pid, ppid, uid, login, sess);
	} else if (kind < 86) {
		e->type = BW_EVT_EXIT;
		n = snprintf(buf, sizeof(buf),
			     "{\"evt.time\":%llu,\"evt.type\":\"exit\",\"evt.rawres\":%d,\"proc.pid\":%u,"
			     "\"proc.ppid\":%u,\"proc.name\":\"sh\",\"proc.exepath\":\"/usr/bin/dash\","
			     "\"proc.cmdline\":\"sh -c ./configure --prefix=/usr\",\"user.uid\":%u,"
			     "\"user.loginuid\":%u,\"session.id\":%u}",
			     (unsigned long long)t, rnd(3) ? 0 : 1, pid, ppid, uid, login, sess);
	} else {
		char q[256];

		e->type = BW_EVT_DB_QUERY;
		snprintf(q, sizeof(q), sql[rnd(4)], rnd(10000000));
		n = snprintf(buf, sizeof(buf),
			     "{\"evt.time\":%llu,\"evt.type\":\"db_query\",\"evt.rawres\":0,\"proc.pid\":%u,"
			     "\"proc.ppid\":%u,\"proc.name\":\"postgres\",\"proc.exepath\":\"/usr/lib/postgresql/15/bin/postgres\","
			     "\"proc.cmdline\":\"postgres: app appdb 10.0.0.%u(5%04u) idle\",\"user.uid\":105,"
			     "\"user.loginuid\":4294967295,\"session.id\":4294967295,\"db.system\":\"postgresql\","
			     "\"db.user\":\"app\",\"db.name\":\"appdb\",\"db.query\":\"%s\",\"db.peer\":\"10.0.0.%u:5%04u\"}",
			     (unsigned long long)t, pid, ppid, rnd(255), rnd(10000), q, rnd(255), rnd(10000));
		e->sessionid = BW_NO_SESSION;
	}
	(void)i;
	l->json = strdup(buf);
	l->len = (size_t)n;
}

int main(int argc, char **argv)
{
	struct journal_opts o = { 0 };
	struct journal_stats st;
	struct journal *j;
	struct line *pool;
	char err[512];
	long events = argc > 2 ? atol(argv[2]) : 3000000;
	uint64_t t0 = 1790000000000000000ull, retries = 0;
	/* Each pooled line keeps its own time, so index and JSON agree. */
	size_t bytes = 0;
	double start, end, rate = argc > 5 ? atof(argv[5]) : 0, cpu0, cpu1;
	struct rusage ru;

	if (argc < 2) {
		fprintf(stderr, "usage: journal_bench DIR [EVENTS] [LEVEL] [BLOCK_KIB] [RATE]\n");
		return 2;
	}
	o.dir = argv[1];
	o.level = argc > 3 ? atoi(argv[3]) : 0;
	o.block_bytes = argc > 4 ? (uint32_t)atoi(argv[4]) << 10 : 0;
	o.max_bytes = 1ull << 40; /* measure writing, not retention */
	pool = calloc(POOL, sizeof(*pool));
	if (!pool)
		return 1;
	for (int i = 0; i < POOL; i++)
		make_line(&pool[i], t0 + (uint64_t)i * 2000, i);
	if (journal_open(&o, &j, err, sizeof(err))) {
		fprintf(stderr, "journal_bench: %s\n", err);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	cpu0 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
	start = now_s();
	for (long i = 0; i < events; i++) {
		struct line *l = &pool[i & (POOL - 1)];

		if (rate > 0) {
			/* Batches of 1000, sleeping until each is due. */
			if (i % 1000 == 0) {
				double due = start + (double)i / rate, now = now_s();

				if (due > now)
					usleep((useconds_t)((due - now) * 1e6));
			}
			journal_append(j, JREC_EVENT, &l->e, l->json, l->len);
			bytes += l->len;
			continue;
		}
		while (journal_append_try(j, JREC_EVENT, &l->e, l->json, l->len) == -EAGAIN) {
			retries++;
			sched_yield();
		}
		bytes += l->len;
	}
	/* End to end: everything written and fdatasynced, then closed. */
	if (journal_sync(j, 120000))
		fprintf(stderr, "journal_bench: sync failed or timed out\n");
	journal_get_stats(j, &st);
	journal_close(j);
	end = now_s();
	getrusage(RUSAGE_SELF, &ru);
	cpu1 = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
	if (rate > 0)
		printf("paced at          %.0f events/s (plain journal_append)\n", rate);
	printf("events            %ld\n", events);
	printf("seconds           %.3f\n", end - start);
	printf("events/s written  %.0f\n", (double)events / (end - start));
	printf("json MB/s         %.1f\n", (double)bytes / (end - start) / 1e6);
	printf("records on disk   %llu (lost %llu)\n", (unsigned long long)st.records,
	       (unsigned long long)st.lost);
	printf("compression       %.2fx (%llu record bytes -> %llu bytes on disk, %llu blocks)\n",
	       st.bytes ? (double)st.raw_bytes / (double)st.bytes : 0.0, (unsigned long long)st.raw_bytes,
	       (unsigned long long)st.bytes, (unsigned long long)st.blocks);
	printf("json per disk     %.2fx\n", st.bytes ? (double)bytes / (double)st.bytes : 0.0);
	printf("cpu seconds       %.3f (%.0f%% of one core over the run)\n", cpu1 - cpu0,
	       100.0 * (cpu1 - cpu0) / (end - start));
	printf("queue-full waits  %llu (each would be a lost record with journal_append)\n",
	       (unsigned long long)retries);
	free(pool);
	return 0;
}
