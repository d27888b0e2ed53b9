// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark run: its options (config file, -o, flags), read into a struct daemon_opts for daemon_run(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "daemon/metrics.h"
#include "core/clock.h"
#include "kernel/pins.h"
#include "db/dbcapture.h"
#include "journal/journal.h"
#include "outputs/outputs.h"

static const char run_doc[] =
	"USAGE: bulwark run [-c PATH] [-o KEY=VALUE]... [-r PATH]... [-j DIR] [-e] [-n]\n"
	"                   [-w DIR]... [-d DIR] [-v] [--protect DIR]...\n"
	"                   [--allow-exe PATH]... [--capture-all] [--ringbuf-mb MB]\n"
	"                   [--metrics [HOST:]PORT] [--output SPEC]... [--db-... OPTIONS]\n"
	"                   [--pin-dir DIR|none] [--heartbeat DURATION]\n"
	"\n"
	"The monitor: stream alerts (and, with --events, every event) as JSON lines on\n"
	"stdout. Needs root.\n"
	"\v"
	"Loads the rules, then the BPF programs; prints a line containing 'ready' on\n"
	"stderr once every program is attached (and sends READY=1 to $NOTIFY_SOCKET),\n"
	"then runs until SIGINT or SIGTERM. Options come from the config file\n"
	"(" CONFIG_DEFAULT_PATH " when it exists), then -o KEY=VALUE, then the\n"
	"flags: a flag wins. SIGHUP reloads the config file and the rules together; if\n"
	"either fails, both old ones stay and the reason is printed on stderr.\n"
	"\n"
	"Enforcement outlives the daemon: the programs and the maps that enforce are\n"
	"pinned in the pin dir (" PINS_DEFAULT_DIR "). SIGTERM (systemctl stop)\n"
	"stops the daemon and LEAVES KERNEL ENFORCEMENT IN PLACE: protected trees and\n"
	"quarantined sessions keep being enforced, and records wait in the pinned ring\n"
	"for the next daemon, which takes the pins over with no gap and alerts on the\n"
	"time it was down. `bulwark unload` is the one way to remove everything.\n"
	"Only one daemon may own a pin dir; a second one exits with an error.\n"
	"\n"
	"Exit status: 0 after a clean stop, 1 when it cannot start (not root, no BTF,\n"
	"bad rules, an unwritable journal, programs refused by the kernel), 2 for bad\n"
	"usage.\n"
	"\n"
	"EXAMPLES:\n"
	"  bulwark run --rules /etc/bulwark/rules.d\n"
	"  bulwark run -c /etc/bulwark/bulwark.yaml -o metrics.listen=9090 --no-kill\n"
	"  bulwark run -r rules/ --events --no-kill | jq .\n"
	"  bulwark run -j /tmp/j -w /srv/pgdata --events\n"
	"  bulwark run --pin-dir /sys/fs/bpf/bulwark-test --heartbeat 30s";

enum { OPT_CAPTURE_ALL = 1000, OPT_RINGBUF, OPT_PROTECT, OPT_ALLOW_EXE, OPT_PROTECT_PROCESS,
       OPT_METRICS, OPT_OUTPUT, OPT_PIN_DIR, OPT_HEARTBEAT };

#define RUN_MAX_OVERRIDES 64

/* What the run parser fills: the daemon's options and where the config comes from. */
struct run_args {
	struct daemon_opts o;
	const char *config;         /* -c: NULL for the default file (missing is fine) */
	const char *ov[RUN_MAX_OVERRIDES]; /* -o KEY=VALUE, in order */
	int nov;
	bool cli_rules;             /* --rules given: the config's rules are replaced */
};

static const struct argp_option run_options[] = {
	{ "config", 'c', "PATH", 0, "config file (default " CONFIG_DEFAULT_PATH " if it exists)", 0 },
	{ "option", 'o', "KEY=VALUE", 0, "override one config key (dotted: journal.dir=/x); "
					 "repeatable; flags still win", 0 },
	{ "rules", 'r', "PATH", 0, "rule file or directory of *.yaml; repeatable, loaded in order "
				   "(default: ./rules if present, else " CLI_RULES_SYSTEM_DIR ")", 0 },
	{ "journal", 'j', "DIR", 0, "journal directory (default " JOURNAL_DEFAULT_DIR ")", 0 },
	{ "events", 'e', NULL, 0, "stream every event, not only alerts", 0 },
	{ "no-kill", 'n', NULL, 0, "never kill: kill actions become alerts saying what would have "
				   "been killed", 0 },
	{ "watch", 'w', "DIR", 0, "also capture file events below DIR from processes outside login "
				 "sessions; repeatable", 0 },
	{ "protect", OPT_PROTECT, "DIR", 0, "enforce in the kernel: a deletion-family syscall, an open "
					   "for writing or with O_TRUNC, or a destructive fallocate below "
					   "DIR from a login session (io_uring requests too) kills it (and "
					   "quarantines the session) before the syscall returns; "
					   "repeatable", 0 },
	{ "protect-process-only", OPT_PROTECT_PROCESS, NULL, 0, "--protect kills the offending "
							      "process, not its session", 0 },
	{ "allow-exe", OPT_ALLOW_EXE, "PATH", 0, "never kill this executable (glob); the database "
					      "servers are always allowed; repeatable", 0 },
	{ "capture-all", OPT_CAPTURE_ALL, NULL, 0, "capture file events of every process (costly on "
						   "busy servers)", 0 },
	{ "run-dir", 'd', "DIR", 0, "where the status file goes (default " DAEMON_DEFAULT_RUN_DIR ")", 0 },
	{ "ringbuf-mb", OPT_RINGBUF, "MB", 0, "ring buffer size in MiB, a power of two (default 16)", 0 },
	{ "output", OPT_OUTPUT, "SPEC", 0, "also send alerts to TYPE:key=value,... (file, syslog, "
					   "http, program; see docs/outputs.md); repeatable", 0 },
	{ "metrics", OPT_METRICS, "[HOST:]PORT", 0, "serve Prometheus /metrics and /healthz "
						      "(off by default; HOST defaults to 127.0.0.1)", 0 },
	{ "pin-dir", OPT_PIN_DIR, "DIR", 0, "pin enforcement (links, maps, ring) in DIR on a bpf "
					    "filesystem, so it outlives the daemon (default "
					    PINS_DEFAULT_DIR "); none: do not pin", 0 },
	{ "heartbeat", OPT_HEARTBEAT, "DURATION", 0, "send a heartbeat alert through every output "
						    "this often (default 60s; 0: off)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{ 0 },
};

static error_t run_parse(int key, char *arg, struct argp_state *state)
{
	struct run_args *ra = state->input;
	struct daemon_opts *o = &ra->o;
	struct sockaddr_storage sa;
	char msg[256], *end;
	unsigned long v;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->db;
		break;
	case 'c': ra->config = arg; break;
	case 'o':
		if (ra->nov >= RUN_MAX_OVERRIDES)
			return cli_usage_error(state, "-o '%s': at most %d -o; put them in the config "
					       "file", arg, RUN_MAX_OVERRIDES);
		ra->ov[ra->nov++] = arg;
		break;
	case OPT_OUTPUT:
		if (outputs_config_parse_spec(&o->outputs, arg, msg, sizeof(msg)))
			return cli_usage_error(state, "--output '%s': %s", arg, msg);
		break;
	case OPT_METRICS:
		if (metrics_parse_listen(arg, &sa, msg, sizeof(msg)))
			return cli_usage_error(state, "--metrics '%s': %s", arg, msg);
		o->metrics_listen = arg;
		break;
	case 'r':
		ra->cli_rules = true;
		if (o->nrule_paths >= DAEMON_MAX_RULE_PATHS)
			return cli_usage_error(state, "--rules '%s': at most %d --rules; name a directory "
					       "instead of its files", arg, DAEMON_MAX_RULE_PATHS);
		o->rule_paths[o->nrule_paths++] = arg;
		break;
	case 'j': o->journal_dir = arg; break;
	case OPT_PIN_DIR:
		if (strcmp(arg, "none") && arg[0] != '/')
			return cli_usage_error(state, "--pin-dir '%s': need an absolute path on a bpf "
					       "filesystem (e.g. " PINS_DEFAULT_DIR "), or none", arg);
		o->pin_dir = arg;
		break;
	case OPT_HEARTBEAT: {
		uint64_t ns;

		if (strcmp(arg, "0") && clock_parse_duration(arg, strlen(arg), 0, &ns))
			return cli_usage_error(state, "--heartbeat '%s': need a duration such as 60s "
					       "or 5m, or 0 for off", arg);
		o->heartbeat_ns = strcmp(arg, "0") ? ns : 0;
		break;
	}
	case 'e': o->events = true; break;
	case 'n': o->no_kill = true; break;
	case 'v': o->verbose = true; break;
	case 'w':
		if (o->nwatch >= DAEMON_MAX_WATCH)
			return cli_usage_error(state, "--watch '%s': at most %d --watch; watch a common "
					       "parent instead", arg, DAEMON_MAX_WATCH);
		o->watch[o->nwatch++] = arg;
		break;
	case OPT_PROTECT:
		if (o->nprotect >= DAEMON_MAX_WATCH)
			return cli_usage_error(state, "--protect '%s': at most %d --protect; protect a "
					       "common parent instead", arg, DAEMON_MAX_WATCH);
		o->protect[o->nprotect++] = arg;
		break;
	case OPT_PROTECT_PROCESS: o->protect_session = false; break;
	case OPT_ALLOW_EXE:
		if (o->nallow_exe >= ACTIONS_MAX_ALLOW - 8)
			return cli_usage_error(state, "--allow-exe '%s': at most %d --allow-exe; use a glob",
					       arg, ACTIONS_MAX_ALLOW - 8);
		o->allow_exe[o->nallow_exe++] = arg;
		break;
	case OPT_CAPTURE_ALL: o->capture_all = true; break;
	case 'd': o->run_dir = arg; break;
	case OPT_RINGBUF:
		v = strtoul(arg, &end, 10);
		if (*end || !v || v > 1024 || (v & (v - 1)))
			return cli_usage_error(state, "--ringbuf-mb '%s': need a power of two from 1 "
					       "to 1024", arg);
		o->ringbuf_mb = (uint32_t)v;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child run_children[] = {
	{ &dbcapture_argp, 0, "Database capture:", 0 }, { 0 },
};
static const struct argp run_argp = { run_options, run_parse, NULL, run_doc, run_children, 0, 0 };

static void run_args_init(struct run_args *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->o.journal_dir = JOURNAL_DEFAULT_DIR;
	ra->o.run_dir = DAEMON_DEFAULT_RUN_DIR;
	ra->o.ringbuf_mb = 16;
	ra->o.protect_session = true;
	ra->o.pin_dir = PINS_DEFAULT_DIR;
	ra->o.heartbeat_ns = 60ull * 1000000000ull;
}

/* argp's report without "NAME: " and the --help pointer: the config check line has its own prefix. */
static void first_line(const char *msg, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *s = msg, *e;

	if (!strncmp(s, name, nl) && s[nl] == ':' && s[nl + 1] == ' ')
		s += nl + 2;
	e = strchr(s, '\n');
	snprintf(out, n, "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
}

/*
 * The config's outputs (and aggregate) specs into cfg, or into a scratch
 * config when cfg is NULL (a check). Each error is reported at its line.
 * Returns the number of errors.
 */
static int run_config_outputs(const struct config *c, struct outputs_config *cfg, FILE *err)
{
	struct outputs_config scratch;
	struct outputs_config *into = cfg ? cfg : &scratch;
	char msg[256];
	int nerr = 0;

	if (!cfg)
		outputs_config_init(&scratch);
	for (int i = 0; i < c->noutputs; i++)
		if (outputs_config_parse_spec(into, c->output_specs[i], msg, sizeof(msg))) {
			fprintf(err, "%s:%d:%d: outputs: %s\n", c->path ? c->path : "-o",
				c->output_line[i], c->output_col[i], msg);
			nerr++;
		}
	if (c->aggregate_spec && outputs_config_parse_spec(into, c->aggregate_spec, msg, sizeof(msg))) {
		fprintf(err, "%s: aggregate: %s\n", c->path ? c->path : "-o", msg);
		nerr++;
	}
	if (!nerr && outputs_config_check(into, msg, sizeof(msg))) {
		fprintf(err, "%s: outputs: %s\n", c->path ? c->path : "-o", msg);
		nerr++;
	}
	if (!cfg)
		outputs_config_free(&scratch);
	return nerr;
}

int run_config_read(struct config *c, const char *path, bool explicit, const char *const *ov,
		    int nov, FILE *err)
{
	struct config_diag dg = { .err = err };
	static const char name[] = "bulwark run";
	int rc;

	config_init(c);
	rc = config_load(c, path, &dg);
	if (rc == -ENOENT && !explicit) {
		rc = 0; /* no file at the default path: every default */
	} else if (rc && rc != -EINVAL) {
		fprintf(err, "%s: cannot read the config file: %s; %s\n", path, strerror(-rc),
			explicit ? "check the path (bulwark run -c PATH, bulwark config check PATH)"
				 : "make it readable by root, or remove it to run with the defaults");
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	for (int i = 0; i < nov; i++)
		if (config_override(c, ov[i], &dg) == -ENOMEM)
			return -ENOMEM;
	if (config_finish(c))
		return -ENOMEM;
	/*
	 * Each item alone through the run parser: its value checks (a power of
	 * two, a port) report at the item's line, in config-check style.
	 */
	for (int i = 0; i < c->nitems; i++) {
		const struct config_item *it = &c->items[i];
		char *av[3] = { (char *)name, it->arg, NULL };
		char *msg = NULL, line[512];
		size_t len = 0;
		struct run_args ra;
		FILE *m = open_memstream(&msg, &len);

		if (!m)
			return -ENOMEM;
		run_args_init(&ra);
		rc = cli_parse(&run_argp, 0, 2, av, &ra, m, m);
		outputs_config_free(&ra.o.outputs);
		fclose(m);
		if (rc != CLI_GO_ON) {
			first_line(msg ? msg : "", name, line, sizeof(line));
			dg.nerrors++;
			if (it->line)
				fprintf(err, "%s:%d:%d: %s: %s\n", it->file, it->line, it->col, it->key, line);
			else
				fprintf(err, "%s: %s: %s\n", it->file, it->key, line);
		}
		free(msg);
	}
	dg.nerrors += run_config_outputs(c, NULL, err);
	return dg.nerrors ? -EINVAL : 0;
}

/* A config and the argv built from it: owns every string of the daemon_opts parsed from them. */
struct run_built {
	struct config cfg;
	char **argv;
};

struct run_ctx {
	int argc;
	char **argv;      /* the command line, kept for SIGHUP */
};

static void run_release(void *arg, void *h)
{
	struct run_built *b = h;

	(void)arg;
	if (!b)
		return;
	config_free(&b->cfg);
	free(b->argv);
	free(b);
}

/*
 * The config file, then -o, then the flags: one argv for one parse, config
 * items first, so for a single-valued option the flag (later) wins. A
 * --rules on the command line replaces the config's rules rather than
 * adding to them. Returns CLI_GO_ON with *out and *handle set, or an exit code.
 */
static int run_build(struct run_ctx *rc_, struct daemon_opts *out, void **handle, FILE *err)
{
	struct run_args first, ra;
	struct run_built *b;
	const char *path, *def;
	char msg[256];
	int rc, n = 0;

	run_args_init(&first);
	rc = cli_parse(&run_argp, 0, rc_->argc, rc_->argv, &first, stdout, err);
	outputs_config_free(&first.o.outputs); /* only -c and -o are read from this pass */
	if (rc != CLI_GO_ON)
		return rc;
	b = calloc(1, sizeof(*b));
	if (!b)
		goto nomem;
	path = first.config ? first.config : CONFIG_DEFAULT_PATH;
	rc = run_config_read(&b->cfg, path, first.config != NULL, first.ov, first.nov, err);
	if (rc == -ENOMEM)
		goto nomem;
	if (rc) {
		fprintf(err, "bulwark: the configuration has errors (above); fix them and check "
			"with: bulwark config check %s\n", path);
		run_release(NULL, b);
		return CLI_FAIL;
	}
	b->argv = calloc((size_t)(b->cfg.nitems + rc_->argc + 1), sizeof(char *));
	if (!b->argv)
		goto nomem;
	b->argv[n++] = rc_->argv[0];
	for (int i = 0; i < b->cfg.nitems; i++)
		if (!first.cli_rules || strcmp(b->cfg.items[i].key, "rules"))
			b->argv[n++] = b->cfg.items[i].arg;
	for (int i = 1; i < rc_->argc; i++)
		b->argv[n++] = rc_->argv[i];
	run_args_init(&ra);
	/* the file's outputs first, so that --output (same name=) updates them */
	outputs_config_init(&ra.o.outputs);
	rc = run_config_outputs(&b->cfg, &ra.o.outputs, err) ? CLI_FAIL
		: cli_parse(&run_argp, 0, n, b->argv, &ra, stdout, err);
	if (rc == CLI_GO_ON && outputs_config_check(&ra.o.outputs, msg, sizeof(msg))) {
		fprintf(err, "%s: --output: %s\n", rc_->argv[0], msg);
		rc = CLI_USAGE;
	}
	if (rc != CLI_GO_ON) {
		outputs_config_free(&ra.o.outputs);
		run_release(NULL, b);
		return rc;
	}
	if (!ra.o.nrule_paths) {
		def = cli_default_rules();
		if (!def) {
			fprintf(err, "%s: no --rules given, and neither ./" CLI_RULES_LOCAL_DIR
				" nor " CLI_RULES_SYSTEM_DIR " exists; pass --rules PATH (a rule "
				"file or a directory of them), or set rules: in %s\n", rc_->argv[0], path);
			outputs_config_free(&ra.o.outputs);
			run_release(NULL, b);
			return CLI_USAGE;
		}
		ra.o.rule_paths[ra.o.nrule_paths++] = def;
	}
	*out = ra.o;
	*handle = b;
	return CLI_GO_ON;
nomem:
	fprintf(err, "bulwark: out of memory reading the configuration\n");
	run_release(NULL, b);
	return CLI_FAIL;
}

/* SIGHUP: the same build again, from the file as it is now. 0, or -EINVAL (reported on err). */
static int run_reload(void *arg, struct daemon_opts *next, void **handle, FILE *err)
{
	return run_build(arg, next, handle, err) == CLI_GO_ON ? 0 : -EINVAL;
}

int cmd_run(int argc, char **argv)
{
	struct run_ctx ctx;
	struct daemon_opts o;
	void *h = NULL;
	int rc;

	/* argp permutes argv; SIGHUP rebuilds from a copy of it */
	ctx.argc = argc;
	ctx.argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!ctx.argv) {
		fprintf(stderr, "bulwark: out of memory\n");
		return CLI_FAIL;
	}
	memcpy(ctx.argv, argv, (size_t)argc * sizeof(char *));
	rc = run_build(&ctx, &o, &h, stderr);
	if (rc == CLI_GO_ON) {
		o.reload = (struct daemon_reload){ run_reload, run_release, &ctx, h };
		rc = daemon_run(&o);
		/* daemon_run releases what it reloaded; h is the one running at the end */
	}
	free(ctx.argv);
	return rc;
}
