// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* `bulwark rules` (check, list, fields) and `bulwark replay`: rules without root or kernel. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "rules/alert.h"
#include "cli/cli.h"
#include "core/json.h"
#include "rules/rules.h"

#define RULES_LOCAL_DIR "rules"
#define RULES_SYSTEM_DIR "/usr/local/share/bulwark/rules"

/* Where rules come from when no --rules is given: ./rules, then the installed set. */
static const char *default_rules_path(void)
{
	struct stat st;

	if (!stat(RULES_LOCAL_DIR, &st) && S_ISDIR(st.st_mode))
		return RULES_LOCAL_DIR "/";
	if (!stat(RULES_SYSTEM_DIR, &st) && S_ISDIR(st.st_mode))
		return RULES_SYSTEM_DIR;
	return NULL;
}

static const char rules_usage[] =
	"Usage: bulwark rules check [PATH...]\n"
	"       bulwark rules list [PATH...]\n"
	"       bulwark rules fields\n"
	"\n"
	"check   validate rule files; PATH is a file or a directory of *.yaml files,\n"
	"        loaded in the order given (a directory's files sorted by name).\n"
	"        Prints a one-line summary and exits 0, or prints each error as\n"
	"        PATH:LINE:COL: message on stderr and exits 1.\n"
	"list    print each rule: name, priority, action, source, enabled, threshold.\n"
	"fields  print the fields that conditions and outputs can use.\n"
	"\n"
	"Without PATH: ./rules if it exists, else " RULES_SYSTEM_DIR ".\n"
	"\n"
	"Examples:\n"
	"  bulwark rules check rules/\n"
	"  bulwark rules check /usr/local/share/bulwark/rules /etc/bulwark/rules.d\n"
	"  bulwark rules fields\n"
	"\n"
	"The rule language is described in docs/rules.md.\n";

static void print_fields(void)
{
	static const char *const kinds[] = { "string", "u64", "s64", "bool" };

	for (int f = 0; f < FLD_MAX; f++)
		printf("%-16s %-7s %s\n", bw_fields[f].name, kinds[bw_fields[f].kind], bw_fields[f].desc);
	printf("\nevt.type values:");
	for (int t = 1; t < BW_EVT_MAX; t++)
		printf(" %s", event_type_name(t));
	printf("\n");
}

static void list_rules(const struct rules *rs)
{
	for (int i = 0; i < rules_nrules(rs); i++) {
		const struct rule *r = rules_rule(rs, i);
		uint32_t count;
		uint64_t window;
		int by;

		printf("%-56s %-13s %-12s %-8s %s", rule_name(r), rule_priority_name(rule_priority(r)),
		       rule_action_name(rule_action(r)), rule_source(r),
		       rule_enabled(r) ? "enabled" : "disabled");
		if (rule_threshold(r, &count, &window, &by))
			printf("  threshold %u in %.3gs by %s", count, (double)window / 1e9,
			       bw_fields[by].name);
		printf("\n");
	}
}

int cmd_rules(int argc, char **argv)
{
	const char *def, **paths;
	struct rules *rs = NULL;
	struct rules_summary s;
	int npaths, rc;

	if (argc < 2) {
		fputs(rules_usage, stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(rules_usage, stdout);
			return 0;
		}
	if (!strcmp(argv[1], "fields")) {
		print_fields();
		return 0;
	}
	if (strcmp(argv[1], "check") && strcmp(argv[1], "list")) {
		fprintf(stderr, "bulwark rules: unknown subcommand '%s'; use check, list or fields "
			"(see 'bulwark rules --help')\n", argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "bulwark rules %s: unknown option '%s' (see 'bulwark rules --help')\n",
				argv[1], argv[i]);
			return 2;
		}
	npaths = argc - 2;
	paths = (const char **)argv + 2;
	if (!npaths) {
		def = default_rules_path();
		if (!def) {
			fprintf(stderr, "bulwark rules %s: no PATH given and neither ./" RULES_LOCAL_DIR
				" nor " RULES_SYSTEM_DIR " exists\n", argv[1]);
			return 2;
		}
		paths = &def;
		npaths = 1;
	}
	rc = rules_load(paths, npaths, &rs, stderr);
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "bulwark rules %s: %d error%s\n", argv[1], rc, rc == 1 ? "" : "s");
		return 1;
	}
	if (!strcmp(argv[1], "list")) {
		list_rules(rs);
		rules_free(rs);
		return 0;
	}
	rules_get_summary(rs, &s);
	for (int i = 0; i < npaths; i++)
		printf("%s%s", i ? ", " : "", paths[i]);
	printf(": %d rule%s", s.rules, s.rules == 1 ? "" : "s");
	if (s.enabled != s.rules)
		printf(" (%d disabled)", s.rules - s.enabled);
	printf(", %d macro%s, %d list%s: OK", s.macros, s.macros == 1 ? "" : "s", s.lists,
	       s.lists == 1 ? "" : "s");
	if (s.warnings)
		printf(" (%d warning%s)", s.warnings, s.warnings == 1 ? "" : "s");
	printf("\n");
	rules_free(rs);
	return 0;
}

/* ---- replay ---- */

#define REPLAY_BATCH 4096              /* events evaluated per timed batch */
#define REPLAY_ARENA (8u << 20)        /* decoded strings of one batch */
#define REPLAY_MAX_BAD_SHOWN 100       /* bad lines printed; all are counted */

struct match {
	const struct rule *r;
	const struct bw_event *e;
};

struct replay {
	struct rules *rs;
	const char *hostname;
	struct jbuf out;
	struct bw_event *ev;       /* batch of parsed events */
	int nev, batch;
	char *arena;               /* their decoded strings */
	size_t arena_len, arena_cap;
	struct match *m;           /* rules that fired in this batch */
	int nm, capm;
	bool oom;
	uint64_t lines, events, alerts, bad, skipped_alerts, skipped_other;
	double eval_s;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this thread: "per core" rates stay honest on a busy host,
 * where wall time also counts the time we were not running. */
static double cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void on_match(void *ctx, const struct rule *r, const struct bw_event *e)
{
	struct replay *R = ctx;

	if (R->nm == R->capm) {
		int cap = R->capm ? R->capm * 2 : 1024;
		struct match *n = realloc(R->m, (size_t)cap * sizeof(*n));
		if (!n) {
			R->oom = true;
			return;
		}
		R->m = n;
		R->capm = cap;
	}
	R->m[R->nm++] = (struct match){ r, e };
}

/* Evaluates the batch (timed on its own: this is the rule-engine rate),
 * then writes its alerts. */
static int flush_batch(struct replay *R)
{
	double t0 = cpu_s();

	for (int i = 0; i < R->nev; i++)
		rules_eval(R->rs, &R->ev[i], on_match, R);
	R->eval_s += cpu_s() - t0;
	R->events += (uint64_t)R->nev;
	for (int i = 0; i < R->nm; i++) {
		jbuf_reset(&R->out);
		alert_to_json(&R->out, R->m[i].r, R->m[i].e, R->hostname, "{\"mode\":\"replay\"}");
		jbuf_putc(&R->out, '\n');
		if (!jbuf_ok(&R->out))
			R->oom = true;
		else
			fwrite(R->out.p, 1, R->out.len, stdout);
	}
	R->alerts += (uint64_t)R->nm;
	if (R->nm && R->batch == 1)
		fflush(stdout);
	R->nm = 0;
	R->nev = 0;
	R->arena_len = 0;
	return R->oom ? -ENOMEM : 0;
}

struct classify {
	bool has_rule, has_type;
};

static int classify_kv(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	struct classify *c = ctx;

	(void)v;
	if (kl == 4 && !memcmp(k, "rule", 4))
		c->has_rule = true;
	if (kl == 8 && !memcmp(k, "evt.type", 8))
		c->has_type = true;
	return 0;
}

/*
 * A line that is not an event: alerts (objects with a "rule" key, which
 * `run` prints among events) and other objects without "evt.type" are
 * skipped and counted; anything else is a bad line.
 */
static bool skippable(struct replay *R, const char *line, size_t n)
{
	struct classify c = { 0 };
	char err[8];

	if (json_parse_object(line, n, R->arena + R->arena_len, classify_kv, &c, err, sizeof(err)))
		return false;
	if (c.has_rule && !c.has_type) {
		R->skipped_alerts++;
		return true;
	}
	if (!c.has_type) {
		R->skipped_other++;
		return true;
	}
	return false;
}

static int replay_file(struct replay *R, const char *path)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	char *line = NULL, err[200];
	size_t cap = 0;
	uint64_t lineno = 0;
	struct stat st;
	ssize_t n;
	FILE *f;
	int rc = 0;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "bulwark replay: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	/* a pipe (run --events | replay -) is evaluated line by line, so alerts
	 * come out as events come in; a file is batched for speed */
	R->batch = !fstat(fileno(f), &st) && S_ISREG(st.st_mode) ? REPLAY_BATCH : 1;
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n, i = 0;

		lineno++;
		R->lines++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			continue; /* blank lines are neither events nor errors */
		if (R->arena_len + len > R->arena_cap) {
			rc = flush_batch(R);
			if (rc)
				break;
			if (len > R->arena_cap) {
				char *na = realloc(R->arena, len);
				if (!na) {
					rc = -ENOMEM;
					break;
				}
				R->arena = na;
				R->arena_cap = len;
			}
		}
		if (json_parse_event(line, len, R->arena + R->arena_len, &R->ev[R->nev], err,
				     sizeof(err))) {
			if (skippable(R, line, len))
				continue;
			if (R->bad < REPLAY_MAX_BAD_SHOWN)
				fprintf(stderr, "%s:%" PRIu64 ": %s\n", name, lineno, err);
			else if (R->bad == REPLAY_MAX_BAD_SHOWN)
				fprintf(stderr, "%s:%" PRIu64 ": more bad lines follow; they are counted, "
					"not shown\n", name, lineno);
			R->bad++;
			continue;
		}
		R->arena_len += len;
		if (++R->nev == R->batch) {
			rc = flush_batch(R);
			if (rc)
				break;
		}
	}
	if (!rc && ferror(f)) {
		fprintf(stderr, "bulwark replay: error reading %s: %s\n", name, strerror(errno));
		rc = -EIO;
	}
	if (!rc)
		rc = flush_batch(R);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static const char replay_usage[] =
	"Usage: bulwark replay [--rules PATH]... [--stats] [--hostname NAME] FILE|-...\n"
	"\n"
	"Runs the rules over recorded events (JSON lines as printed by\n"
	"'bulwark run --events' or 'bulwark dump') and prints the alerts as JSON\n"
	"lines, as 'bulwark run' would have. No root and no kernel needed.\n"
	"\n"
	"  -r, --rules PATH     rule file or directory of *.yaml; repeat to add local\n"
	"                       files after the shipped ones. Default: ./rules if it\n"
	"                       exists, else " RULES_SYSTEM_DIR ".\n"
	"  -s, --stats          print counts and the rule-evaluation rate on stderr\n"
	"      --hostname NAME  hostname to put in alerts (default: this host's)\n"
	"  -h, --help           this text\n"
	"\n"
	"FILE '-' reads standard input. Alert lines and other JSON objects without\n"
	"\"evt.type\" are skipped and counted. Malformed lines are reported as\n"
	"FILE:LINE: message, counted, and make the exit status 1. Alerts carry\n"
	"\"action_result\":{\"mode\":\"replay\"}: replay never acts.\n"
	"\n"
	"Exit status: 0 ok, 1 rules or input had errors, 2 usage error.\n"
	"\n"
	"Examples:\n"
	"  bulwark replay events.jsonl\n"
	"  bulwark replay --rules rules/ --rules local.yaml events.jsonl\n"
	"  bulwark run --events | bulwark replay --rules test.yaml -\n";

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "stats", no_argument, NULL, 's' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct replay R = { 0 };
	const char **paths = NULL, *def;
	char host[256];
	int npaths = 0, c, rc, status = 0;
	bool stats = false;
	double t0 = now_s(), c0 = cpu_s(), elapsed, cpu;

	paths = calloc((size_t)argc + 1, sizeof(*paths));
	if (!paths)
		return 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "r:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			paths[npaths++] = optarg;
			break;
		case 's':
			stats = true;
			break;
		case 'H':
			R.hostname = optarg;
			break;
		case 'h':
			fputs(replay_usage, stdout);
			free(paths);
			return 0;
		default:
			fprintf(stderr, "see 'bulwark replay --help'\n");
			free(paths);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "bulwark replay: no FILE given (use '-' for standard input); "
			"see 'bulwark replay --help'\n");
		free(paths);
		return 2;
	}
	if (!npaths) {
		def = default_rules_path();
		if (!def) {
			fprintf(stderr, "bulwark replay: no --rules given and neither ./" RULES_LOCAL_DIR
				" nor " RULES_SYSTEM_DIR " exists\n");
			free(paths);
			return 2;
		}
		paths[npaths++] = def;
	}
	if (!R.hostname) {
		if (gethostname(host, sizeof(host)))
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = 0;
		R.hostname = host;
	}
	rc = rules_load(paths, npaths, &R.rs, stderr);
	free(paths);
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "bulwark replay: %d error%s in the rules; nothing replayed\n", rc,
				rc == 1 ? "" : "s");
		return 1;
	}
	R.ev = calloc(REPLAY_BATCH, sizeof(*R.ev));
	R.arena_cap = REPLAY_ARENA;
	R.arena = malloc(R.arena_cap);
	if (!R.ev || !R.arena) {
		fprintf(stderr, "bulwark replay: out of memory\n");
		status = 1;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		rc = replay_file(&R, argv[i]);
		if (rc == -ENOMEM) {
			fprintf(stderr, "bulwark replay: out of memory\n");
			status = 1;
			break;
		}
		if (rc)
			status = 1;
	}
	fflush(stdout);
	elapsed = now_s() - t0;
	cpu = cpu_s() - c0;
	if (R.bad)
		status = 1;
	if (R.bad || R.skipped_alerts || R.skipped_other)
		fprintf(stderr, "bulwark replay: %" PRIu64 " events, %" PRIu64 " alerts; skipped %"
			PRIu64 " alert lines and %" PRIu64 " other objects; %" PRIu64 " bad line%s%s\n",
			R.events, R.alerts, R.skipped_alerts, R.skipped_other, R.bad,
			R.bad == 1 ? "" : "s", R.bad ? " (exit status 1)" : "");
	if (stats)
		fprintf(stderr, "stats: events=%" PRIu64 " alerts=%" PRIu64 " bad=%" PRIu64
			" skipped=%" PRIu64 " rules=%d elapsed_s=%.3f cpu_s=%.3f eval_s=%.3f"
			" eval_events_per_s=%.0f read_parse_events_per_s=%.0f\n",
			R.events, R.alerts, R.bad, R.skipped_alerts + R.skipped_other, rules_count(R.rs),
			elapsed, cpu, R.eval_s, R.eval_s > 0 ? (double)R.events / R.eval_s : 0.0,
			cpu - R.eval_s > 0 ? (double)R.events / (cpu - R.eval_s) : 0.0);
out:
	rules_free(R.rs);
	jbuf_free(&R.out);
	free(R.ev);
	free(R.arena);
	free(R.m);
	return status;
}
