// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Test driver for the outputs: feeds alerts through the real output modules
 * to real receivers (tests/e2e/test_outputs.sh), and measures them.
 *   outputs_driver SPEC...            then commands on stdin, one a line:
 *   seq N | burst N PRIORITY [kill] | sleep MS | wait DELIVERED [OUTPUT] |
 *   stats | tick | latency N | close MS
 *   outputs_driver --spool-bench DIR N
 * SIGUSR1 reopens file outputs, as in the daemon. Exit 2 for a bad spec.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "outputs/outputs.h"
#include "outputs/spool.h"
#include "rules/rules.h"

static volatile sig_atomic_t reopen;

static void on_usr1(int sig)
{
	(void)sig;
	reopen = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void emit(struct outputs *o, int seq, const char *prio, bool kill)
{
	struct jbuf b = { 0 };
	struct timespec ts;
	struct outputs_alert a;
	char host[64] = "";

	clock_gettime(CLOCK_REALTIME, &ts);
	gethostname(host, sizeof(host) - 1);
	jbuf_printf(&b, "{\"time\":\"2026-12-01T10:00:00.%09ldZ\",\"rule\":\"E2E outputs\","
		       "\"priority\":\"%s\",\"output\":\"e2e alert seq=%d\",\"output_fields\":{"
		       "\"seq\":%d,\"session.id\":42,\"user.loginuid\":1001},\"source\":\"syscall\","
		       "\"hostname\":\"%s\",\"tags\":[\"e2e\"],\"action\":\"%s\",\"action_result\":null}",
		    ts.tv_nsec, prio, seq, seq, host, kill ? "kill_session" : "alert");
	a = (struct outputs_alert){ b.p, b.len, "E2E outputs", rule_priority_from_name(prio), kill };
	outputs_emit(o, &a);
	jbuf_free(&b);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t delivered(struct outputs *o, int i)
{
	struct output_stats s;

	outputs_get_stats(o, i, &s);
	return s.delivered;
}

static int spool_bench(const char *dir, int n)
{
	char rec[600], err[256];
	struct spool *s;
	struct jbuf b = { 0 };
	double t0, t1, t2;

	memset(rec, 'x', sizeof(rec));
	if (spool_open(dir, 1ull << 30, &s, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = now_s();
	for (int i = 0; i < n; i++)
		if (spool_append(s, rec, sizeof(rec), err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	t1 = now_s();
	for (int i = 0; i < n; i++)
		if (spool_peek(s, &b) || spool_pop(s))
			return 1;
	t2 = now_s();
	printf("spool: %d records of %zu bytes: append %.0f/s, deliver (peek+pop+cursor) %.0f/s\n",
	       n, sizeof(rec), n / (t1 - t0), n / (t2 - t1));
	spool_close(s);
	jbuf_free(&b);
	return 0;
}

int main(int argc, char **argv)
{
	struct outputs_config cfg;
	struct outputs *o = NULL;
	char err[1024], line[512];
	int seq = 0, rc = 0;

	if (argc == 4 && !strcmp(argv[1], "--spool-bench"))
		return spool_bench(argv[2], atoi(argv[3]));
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	outputs_config_init(&cfg);
	cfg.out[0].enabled = false; /* stdout is this driver's report */
	cfg.aggregate.on = false;    /* every alert counts here; "aggregate:..." turns it on */
	for (int i = 1; i < argc; i++)
		if (outputs_config_parse_spec(&cfg, argv[i], err, sizeof(err))) {
			fprintf(stderr, "outputs_driver: %s\n", err);
			outputs_config_free(&cfg);
			return 2;
		}
	if (outputs_open(&cfg, stdout, stderr, &o, err, sizeof(err))) {
		fprintf(stderr, "outputs_driver: %s\n", err);
		outputs_config_free(&cfg);
		return 2;
	}
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		char cmd[32] = "", a1[64] = "", a2[64] = "", a3[64] = "";

		if (reopen) {
			reopen = 0;
			outputs_reopen(o);
		}
		if (sscanf(line, "%31s %63s %63s %63s", cmd, a1, a2, a3) < 1)
			continue;
		if (!strcmp(cmd, "seq")) {
			seq = atoi(a1);
		} else if (!strcmp(cmd, "burst")) {
			for (int i = atoi(a1); i > 0; i--)
				emit(o, seq++, a2[0] ? a2 : "Critical", !strcmp(a3, "kill"));
		} else if (!strcmp(cmd, "sleep")) {
			usleep((useconds_t)atoi(a1) * 1000);
		} else if (!strcmp(cmd, "reopen")) {
			outputs_reopen(o);
		} else if (!strcmp(cmd, "tick")) {
			outputs_tick(o);
		} else if (!strcmp(cmd, "wait")) {
			int out = a2[0] ? atoi(a2) : 0;
			double t0 = now_s();

			while (delivered(o, out) < strtoull(a1, NULL, 10) && now_s() - t0 < 60)
				usleep(5000);
			printf("delivered %llu\n", (unsigned long long)delivered(o, out));
		} else if (!strcmp(cmd, "stats")) {
			struct jbuf b = { 0 };

			outputs_status_json(o, &b);
			printf("{%s}\n", b.p ? b.p : "");
			jbuf_free(&b);
		} else if (!strcmp(cmd, "latency")) {
			/* one alert at a time: from outputs_emit() to the receiver's 2xx */
			int n = atoi(a1);
			double *d = calloc((size_t)n, sizeof(*d));

			for (int i = 0; i < n && d; i++) {
				uint64_t want = delivered(o, 0) + 1;
				double t0 = now_s();

				emit(o, seq++, "Critical", false);
				while (delivered(o, 0) < want && now_s() - t0 < 10)
					usleep(20);
				d[i] = (now_s() - t0) * 1e3;
			}
			if (d) {
				qsort(d, (size_t)n, sizeof(*d), cmp_d);
				printf("latency ms over %d alerts: p50 %.3f p99 %.3f max %.3f\n", n,
				       d[n / 2], d[n * 99 / 100], d[n - 1]);
			}
			free(d);
		} else if (!strcmp(cmd, "close")) {
			outputs_close(o, (uint32_t)atoi(a1));
			o = NULL;
			break;
		} else {
			fprintf(stderr, "outputs_driver: unknown command '%s'\n", cmd);
			rc = 1;
		}
	}
	outputs_close(o, 2000);
	outputs_config_free(&cfg);
	printf("closed\n");
	return rc;
}
