// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark sessions: the live login sessions, read from the daemon's RUN_DIR/sessions.json. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "core/json.h"

#define SESSIONS_RUN_DIR "/run/bulwark"

struct sessions_env {
	const char *run_dir; /* --run-dir */
	bool json;           /* --json */
	bool all;            /* --all: ended sessions too */
};

/* The columns of one session line. */
struct srow {
	char id[16], user[40], origin[72], tty[32], exe[256], ended[100];
	uint64_t leader;
	uint64_t start, end, execs, deletions, destructive, alerts, kills;
};

enum { OPT_JSON = 1000, OPT_ALL };

static const struct argp_option sessions_options[] = {
	{ "run-dir", 'd', "DIR", 0, "the daemon's --run-dir (default " SESSIONS_RUN_DIR ")", 0 },
	{ "json", OPT_JSON, NULL, 0, "one JSON object per session, as the daemon wrote it", 0 },
	{ "all", OPT_ALL, NULL, 0, "also sessions that ended in the last minute", 0 },
	{ 0 },
};

static error_t sessions_parse(int key, char *arg, struct argp_state *state)
{
	struct sessions_env *env = state->input;

	switch (key) {
	case 'd': env->run_dir = arg; break;
	case OPT_JSON: env->json = true; break;
	case OPT_ALL: env->all = true; break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void cpy(char *dst, size_t cap, const struct json_val *v)
{
	size_t n = v->len < cap - 1 ? v->len : cap - 1;

	memcpy(dst, v->p, n);
	dst[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?'; /* a terminal gets no control bytes from a name */
}

static int row_kv(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	struct srow *r = ctx;
	uint64_t n = v->type == JV_NUM ? strtoull(v->p, NULL, 10) : 0;

#define K(s) (kl == sizeof(s) - 1 && !memcmp(k, s, kl))
	if (K("session.id"))
		cpy(r->id, sizeof(r->id), v);
	else if (K("session.loginname") && v->len)
		cpy(r->user, sizeof(r->user), v);
	else if (K("session.loginuid") && !r->user[0])
		cpy(r->user, sizeof(r->user), v);
	else if (K("session.origin"))
		cpy(r->origin, sizeof(r->origin), v);
	else if (K("session.tty"))
		cpy(r->tty, sizeof(r->tty), v);
	else if (K("session.leader"))
		r->leader = n;
	else if (K("session.leader_exe"))
		cpy(r->exe, sizeof(r->exe), v);
	else if (K("how_ended"))
		cpy(r->ended, sizeof(r->ended), v);
	else if (K("session.start"))
		r->start = n;
	else if (K("end"))
		r->end = n;
	else if (K("execs"))
		r->execs = n;
	else if (K("deletions"))
		r->deletions = n;
	else if (K("destructive"))
		r->destructive = n;
	else if (K("alerts"))
		r->alerts = n;
	else if (K("kills"))
		r->kills = n;
#undef K
	return 0;
}

static int time_kv(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	if (kl == 4 && !memcmp(k, "time", 4) && v->type == JV_NUM)
		*(uint64_t *)ctx = strtoull(v->p, NULL, 10);
	return 0;
}

static void age(char *out, size_t cap, uint64_t ns)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 120)
		snprintf(out, cap, "%" PRIu64 "s", s);
	else if (s < 7200)
		snprintf(out, cap, "%" PRIu64 "m", s / 60);
	else if (s < 172800)
		snprintf(out, cap, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(out, cap, "%" PRIu64 "d", s / 86400);
}

static int sessions_show(const struct sessions_env *env)
{
	char path[4096], *line = NULL, *scratch = NULL, err[128];
	size_t cap = 0;
	ssize_t n;
	uint64_t now = 0;
	unsigned shown = 0, lineno = 0;
	int rc = 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sessions.json", env->run_dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bulwark sessions: cannot read %s: %s; is bulwark run running with "
				"--run-dir %s? (start it, or pass its --run-dir)\n", path, strerror(errno),
			env->run_dir);
		return 1;
	}
	if (!env->json)
		printf("%-8s %-12s %-24s %-7s %-7s %-24s %6s %6s %5s %6s %5s\n", "SESSION", "USER", "ORIGIN",
		       "TTY", "AGE", "LEADER", "EXECS", "DELETE", "DESTR", "ALERTS", "KILLS");
	while ((n = getline(&line, &cap, f)) > 0) {
		struct srow r = { 0 };
		char a[16], leader[300], *ns;

		lineno++;
		while (n && line[n - 1] == '\n')
			line[--n] = 0;
		if (!n)
			continue;
		if (!(ns = realloc(scratch, (size_t)n + 1)))
			goto out;
		scratch = ns;
		if (lineno == 1) {
			if (json_parse_object(line, (size_t)n, scratch, time_kv, &now, err, sizeof(err)))
				goto bad;
			continue;
		}
		if (json_parse_object(line, (size_t)n, scratch, row_kv, &r, err, sizeof(err)))
			goto bad;
		if (r.end && !env->all)
			continue;
		shown++;
		if (env->json) {
			fwrite(line, 1, (size_t)n, stdout);
			fputc('\n', stdout);
			continue;
		}
		age(a, sizeof(a), now > r.start ? now - r.start : 0);
		snprintf(leader, sizeof(leader), "%" PRIu64 " %s", r.leader, r.exe);
		printf("%-8s %-12.12s %-24.24s %-7.7s %-7s %-24.24s %6" PRIu64 " %6" PRIu64 " %5" PRIu64
		       " %6" PRIu64 " %5" PRIu64 "%s%s\n",
		       r.id, r.user, r.origin, r.tty[0] ? r.tty : "-", a, leader, r.execs, r.deletions,
		       r.destructive, r.alerts, r.kills, r.end ? "  ended: " : "", r.end ? r.ended : "");
	}
	if (!env->json)
		fprintf(stderr, "bulwark sessions: %u session%s\n", shown, shown == 1 ? "" : "s");
	rc = 0;
	goto out;
bad:
	fprintf(stderr, "bulwark sessions: %s:%u: %s; the daemon rewrites it every second, try again\n",
		path, lineno, err);
out:
	free(line);
	free(scratch);
	fclose(f);
	return rc;
}

int cmd_sessions(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark sessions [-d DIR] [--json] [--all]\n"
		"\n"
		"Show the live login sessions the running daemon knows: who, from where, since\n"
		"when, their leader and what they did, from the file it rewrites every second\n"
		"(RUN_DIR/sessions.json)."
		"\v"
		"Exit status: 0, 1 when no daemon is running, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark sessions\n"
		"  bulwark sessions --json | jq 'select(.\"session.origin\" != \"console\")'\n"
		"  bulwark sessions -d /tmp/bw-run --all";
	static const struct argp argp = { sessions_options, sessions_parse, NULL, doc, 0, 0, 0 };
	struct sessions_env env = { SESSIONS_RUN_DIR, false, false };
	int rc;

	rc = cli_parse(&argp, 0, argc, argv, &env, stdout, stderr);
	if (rc != CLI_GO_ON)
		return rc;
	return sessions_show(&env);
}
