// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* `bulwark rules` (check, list, fields) and `bulwark replay`: rules without root or kernel. */
#include <errno.h>
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
#include "core/clock.h"

/* The rule paths of a command: -r/--rules PATH and, for check and list, PATH arguments. */
struct rules_env {
	const char **paths; /* room for argc entries */
	int npaths;
	bool falco_report;  /* rules check --falco-report */
};

enum { OPT_FALCO_REPORT = 0x100 };

static const struct argp_option rules_options[] = {
	{ "rules", 'r', "PATH", 0, "rule file or directory of *.yaml; repeatable, loaded in order "
				   "(default: ./rules if present, else " CLI_RULES_SYSTEM_DIR ")", 0 },
	{ 0 },
};

static const struct argp_option check_options[] = {
	{ "rules", 'r', "PATH", 0, "rule file or directory of *.yaml; repeatable, loaded in order "
				   "(default: ./rules if present, else " CLI_RULES_SYSTEM_DIR ")", 0 },
	{ "falco-report", OPT_FALCO_REPORT, 0, 0, "print one line per rule on stdout: loads, loads "
		"disabled (and why) or fails (and the first error), then counts per file", 0 },
	{ 0 },
};

static error_t rules_parse(int key, char *arg, struct argp_state *state)
{
	struct rules_env *env = state->input;

	switch (key) {
	case OPT_FALCO_REPORT:
		env->falco_report = true;
		return 0;
	case 'r':
	case ARGP_KEY_ARG:
		env->paths[env->npaths++] = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/*
 * Loads env's rules, or the default set. Returns CLI_OK, or the exit code
 * after the errors and a "NAME: N errors" line ending with then.
 */
static int load_rules(const char *name, struct rules_env *env, struct rules **rs, const char *then)
{
	const char *def;
	int rc;

	if (!env->npaths) {
		def = cli_default_rules();
		if (!def) {
			fprintf(stderr, "%s: no rules named, and neither ./" CLI_RULES_LOCAL_DIR " nor "
				CLI_RULES_SYSTEM_DIR " exists; pass --rules PATH (a rule file or a "
				"directory of them)\n", name);
			return CLI_USAGE;
		}
		env->paths[env->npaths++] = def;
	}
	rc = rules_load_report(env->paths, env->npaths, rs, stderr, env->falco_report ? stdout : NULL);
	if (rc > 0) /* each printed as PATH:LINE:COL above; < 0 is out of memory, also printed */
		fprintf(stderr, "%s: %d error%s%s\n", name, rc, rc == 1 ? "" : "s", then);
	return rc ? CLI_FAIL : CLI_OK;
}

/* Parses a rules subcommand's options into env (paths sized for argc). */
static int rules_args(const struct argp *argp, int argc, char **argv, struct rules_env *env)
{
	env->npaths = 0;
	env->falco_report = false;
	env->paths = calloc((size_t)argc + 1, sizeof(*env->paths));
	if (!env->paths) {
		fprintf(stderr, "%s: out of memory reading the command line\n", argv[0]);
		return CLI_FAIL;
	}
	return cli_parse(argp, 0, argc, argv, env, stdout, stderr);
}

static void print_fields(void)
{
	static const char *const kinds[] = { "string", "u64", "s64", "bool" };

	for (int f = 0; f < FLD_MAX; f++) {
		const struct bw_field_info *fi = &bw_fields[f];
		char name[40];

		snprintf(name, sizeof(name), "%s%s", fi->name,
			 f == FLD_EVT_ARGNAMED || f == FLD_EVT_RAWARGNAMED ? ".NAME" :
			 (fi->flags & BW_FF_INDEXED) ? "[N]" : "");
		printf("%-24s %-7s %s\n", name, (fi->flags & BW_FF_LIST) ? "list" : kinds[fi->kind],
		       fi->desc);
	}
	printf("\nevt.arg.NAME and evt.rawarg.NAME, Falco's argument names, by event type:\n"
	       "  unlink, rmdir, truncate: path; truncate, ftruncate: length\n"
	       "  unlinkat: name, flags (AT_REMOVEDIR); rename, renameat, renameat2: oldpath,\n"
	       "  newpath, and flags on renameat2 (RENAME_NOREPLACE|RENAME_EXCHANGE|RENAME_WHITEOUT)\n"
	       "  execve: exe, args, filename, trusted_exepath, comm, pid, tid, ptid, uid, gid,\n"
	       "  loginuid, tty, pgid, vpgid; exit: status; every syscall: res\n");
	printf("\nFalco fields bulwark does not fill: container.* other than id and name, and k8s.*,\n"
	       "are absent (as for a host process in Falco); any other Falco field loads the rule\n"
	       "disabled with a warning that names it (see docs/rules.md, Falco compatibility).\n");
	printf("\nevt.type values:");
	for (int t = 1; t < BW_EVT_MAX; t++)
		printf(" %s", event_type_name(t));
	printf("\nAlso accepted: execveat (reported as execve), procexit (exit), and any other Linux\n"
	       "syscall name, which bulwark does not capture: a rule left with none loads disabled.\n");
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

static int rules_check(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark rules check [-r PATH]... [--falco-report] [PATH...]\n"
		"\n"
		"Validate rule files. PATH is a file or a directory of *.yaml files, loaded in\n"
		"the order given (a directory's files sorted by name); later files extend\n"
		"earlier ones. Prints a one-line summary, or every error as\n"
		"PATH:LINE:COL: message on stderr, all in one pass.\n"
		"\n"
		"--falco-report, for porting Falco rules, prints a line per rule on stdout:\n"
		"  PATH:LINE: NAME: loads | loads disabled: WHY | fails: FIRST ERROR\n"
		"then 'PATH: N rules: E load enabled, D load disabled, F fail' per file. A rule\n"
		"loads disabled when it needs a field or event type bulwark does not capture."
		"\v"
		"Without PATH: ./rules if it exists, else " CLI_RULES_SYSTEM_DIR ".\n"
		"The rule language is described in docs/rules.md.\n"
		"\n"
		"Exit status: 0 when the rules load, 1 when they have errors, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark rules check rules/\n"
		"  bulwark rules check " CLI_RULES_SYSTEM_DIR " /etc/bulwark/rules.d\n"
		"  bulwark rules check --falco-report falco_rules.yaml";
	static const struct argp argp = { check_options, rules_parse, "[PATH...]", doc, 0, 0, 0 };
	struct rules_env env;
	struct rules *rs = NULL;
	struct rules_summary s;
	int rc;

	rc = rules_args(&argp, argc, argv, &env);
	if (rc != CLI_GO_ON)
		goto out;
	rc = load_rules(argv[0], &env, &rs, "");
	if (rc)
		goto out;
	rules_get_summary(rs, &s);
	for (int i = 0; i < env.npaths; i++)
		printf("%s%s", i ? ", " : "", env.paths[i]);
	printf(": %d rule%s", s.rules, s.rules == 1 ? "" : "s");
	if (s.enabled != s.rules)
		printf(" (%d disabled)", s.rules - s.enabled);
	printf(", %d macro%s, %d list%s: OK", s.macros, s.macros == 1 ? "" : "s", s.lists,
	       s.lists == 1 ? "" : "s");
	if (s.warnings)
		printf(" (%d warning%s)", s.warnings, s.warnings == 1 ? "" : "s");
	printf("\n");
out:
	rules_free(rs);
	free(env.paths);
	return rc;
}

static int rules_list(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark rules list [-r PATH]... [PATH...]\n"
		"\n"
		"Print each rule on one line: name, priority, action, source file, enabled or\n"
		"disabled, and its threshold."
		"\v"
		"Without PATH: ./rules if it exists, else " CLI_RULES_SYSTEM_DIR ".\n"
		"\n"
		"Exit status: 0, 1 when the rules have errors, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark rules list\n"
		"  bulwark rules list rules/ local.yaml | grep kill_session";
	static const struct argp argp = { rules_options, rules_parse, "[PATH...]", doc, 0, 0, 0 };
	struct rules_env env;
	struct rules *rs = NULL;
	int rc;

	rc = rules_args(&argp, argc, argv, &env);
	if (rc != CLI_GO_ON)
		goto out;
	rc = load_rules(argv[0], &env, &rs, "");
	if (!rc)
		list_rules(rs);
out:
	rules_free(rs);
	free(env.paths);
	return rc;
}

static int rules_fields(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark rules fields\n"
		"\n"
		"Print the fields that rule conditions and outputs can use: name, kind and\n"
		"meaning, then the evt.type values."
		"\v"
		"Exit status: 0, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark rules fields\n"
		"  bulwark rules fields | grep '^db\\.'";
	static const struct argp argp = { NULL, NULL, NULL, doc, 0, 0, 0 };
	int rc;

	rc = cli_parse(&argp, 0, argc, argv, NULL, stdout, stderr);
	if (rc != CLI_GO_ON)
		return rc;
	print_fields();
	return CLI_OK;
}

int cmd_rules(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "check", rules_check, "validate rule files; PATH:LINE:COL: message per error" },
		{ "list", rules_list, "print each rule: name, priority, action, source, threshold" },
		{ "fields", rules_fields, "print the fields conditions and outputs can use" },
		{ 0 },
	};
	static const char doc[] =
		"USAGE: bulwark rules COMMAND [OPTION...] [PATH...]\n"
		"\n"
		"Rule files without root or kernel: check them, list them, or see the fields\n"
		"they can use."
		"\v"
		"Run 'bulwark rules COMMAND --help' for a command's options.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark rules check rules/\n"
		"  bulwark rules list --rules rules/ --rules local.yaml\n"
		"  bulwark rules fields";

	return cli_dispatch(cmds, doc, argc, argv);
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
	return (double)clock_ns(id) / 1e9;
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
		rc = -errno;
		fprintf(stderr, "bulwark replay: cannot open %s: %s; check the path ('-' reads "
			"standard input)\n", path, strerror(-rc));
		return rc;
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
		fprintf(stderr, "bulwark replay: error reading %s: %s; what followed was not "
			"replayed\n", name, strerror(errno));
		rc = -EIO;
	}
	if (!rc)
		rc = flush_batch(R);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

enum { OPT_STATS = 1000, OPT_HOSTNAME };

static const struct argp_option replay_options[] = {
	{ "rules", 'r', "PATH", 0, "rule file or directory of *.yaml; repeat to add local files "
				   "after the shipped ones (default: ./rules if present, else "
				   CLI_RULES_SYSTEM_DIR ")", 0 },
	{ "stats", OPT_STATS, NULL, 0, "print counts and the rule-evaluation rate on stderr", 0 },
	{ "hostname", OPT_HOSTNAME, "NAME", 0, "hostname to put in alerts (default: this host's)", 0 },
	{ 0 },
};

struct replay_env {
	struct rules_env rules; /* --rules */
	char **files;           /* FILE arguments, room for argc */
	int nfiles;
	bool stats;             /* --stats */
	const char *hostname;   /* --hostname */
};

static error_t replay_parse(int key, char *arg, struct argp_state *state)
{
	struct replay_env *env = state->input;

	switch (key) {
	case 'r': env->rules.paths[env->rules.npaths++] = arg; break;
	case OPT_STATS: env->stats = true; break;
	case OPT_HOSTNAME: env->hostname = arg; break;
	case ARGP_KEY_ARG: env->files[env->nfiles++] = arg; break;
	case ARGP_KEY_NO_ARGS:
		return cli_usage_error(state, "no FILE given: name files of JSON events, or '-' for "
					      "standard input");
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark replay [-r PATH]... [--stats] [--hostname NAME] FILE|-...\n"
		"\n"
		"Run the rules over recorded events (JSON lines as printed by\n"
		"'bulwark run --events' or 'bulwark dump') and print the alerts as JSON\n"
		"lines, as 'bulwark run' would have. No root and no kernel needed."
		"\v"
		"FILE '-' reads standard input. Alert lines and other JSON objects without\n"
		"\"evt.type\" are skipped and counted. Malformed lines are reported as\n"
		"FILE:LINE: message and counted. Alerts carry\n"
		"\"action_result\":{\"mode\":\"replay\"}: replay never acts.\n"
		"\n"
		"Exit status: 0 ok, 1 the rules or the input had errors, 2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark replay events.jsonl\n"
		"  bulwark replay --rules rules/ --rules local.yaml events.jsonl\n"
		"  bulwark run --events | bulwark replay -r test.yaml -";
	static const struct argp argp = { replay_options, replay_parse, "FILE|-...", doc, 0, 0, 0 };
	struct replay_env env = { 0 };
	struct replay R = { 0 };
	char host[256];
	int rc, status = 0;
	double t0 = now_s(), c0 = cpu_s(), elapsed, cpu;

	env.rules.paths = calloc((size_t)argc + 1, sizeof(*env.rules.paths));
	env.files = calloc((size_t)argc + 1, sizeof(*env.files));
	if (!env.rules.paths || !env.files) {
		fprintf(stderr, "%s: out of memory reading the command line\n", argv[0]);
		status = CLI_FAIL;
		goto out;
	}
	rc = cli_parse(&argp, 0, argc, argv, &env, stdout, stderr);
	if (rc != CLI_GO_ON) {
		status = rc;
		goto out;
	}
	R.hostname = env.hostname;
	if (!R.hostname) {
		if (gethostname(host, sizeof(host)))
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = 0;
		R.hostname = host;
	}
	status = load_rules(argv[0], &env.rules, &R.rs,
			    " in the rules; nothing replayed: fix them and run it again");
	if (status)
		goto out;
	R.ev = calloc(REPLAY_BATCH, sizeof(*R.ev));
	R.arena_cap = REPLAY_ARENA;
	R.arena = malloc(R.arena_cap);
	if (!R.ev || !R.arena) {
		fprintf(stderr, "%s: out of memory for a batch of %d events\n", argv[0], REPLAY_BATCH);
		status = 1;
		goto out;
	}
	for (int i = 0; i < env.nfiles; i++) {
		rc = replay_file(&R, env.files[i]);
		if (rc == -ENOMEM) {
			fprintf(stderr, "%s: out of memory replaying %s; split it into smaller files\n",
				argv[0], env.files[i]);
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
	if (env.stats)
		fprintf(stderr, "stats: events=%" PRIu64 " alerts=%" PRIu64 " bad=%" PRIu64
			" skipped=%" PRIu64 " rules=%d elapsed_s=%.3f cpu_s=%.3f eval_s=%.3f"
			" eval_events_per_s=%.0f read_parse_events_per_s=%.0f\n",
			R.events, R.alerts, R.bad, R.skipped_alerts + R.skipped_other, rules_count(R.rs),
			elapsed, cpu, R.eval_s, R.eval_s > 0 ? (double)R.events / R.eval_s : 0.0,
			cpu - R.eval_s > 0 ? (double)R.events / (cpu - R.eval_s) : 0.0);
out:
	free(env.rules.paths);
	free(env.files);
	rules_free(R.rs);
	jbuf_free(&R.out);
	free(R.ev);
	free(R.arena);
	free(R.m);
	return status;
}
