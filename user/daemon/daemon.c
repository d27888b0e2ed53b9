// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark run: open -> configure -> load -> attach -> poll; events to rules, journal and stdout. */
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <bpf/libbpf.h>
#include "rules/alert.h"
#include "daemon/daemon.h"
#include "db/dbcapture.h"
#include "db/dbhold.h"
#include "daemon/hold_rules.h"
#include "journal/journal.h"
#include "rules/rules.h"
#include "daemon/status.h"
#include "daemon/metrics.h"
#include "core/clock.h"

static volatile sig_atomic_t stop_requested, reload_requested, reopen_requested;
static volatile sig_atomic_t stop_sig, stop_pid; /* who asked us to stop (siginfo) */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGHUP) {
		reload_requested = 1;
	} else if (sig == SIGUSR1) {
		reopen_requested = 1;
	} else {
		stop_requested = 1;
		stop_sig = sig;
		stop_pid = si ? si->si_pid : 0;
	}
}

/* Sends READY=1 (or another state) to systemd when NOTIFY_SOCKET is set. */
static void sd_notify_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;
	int fd;

	if (!path || !*path || (n = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
}

static void emit_line(struct daemon *d, const struct jbuf *b)
{
	fwrite(b->p, 1, b->len, d->out);
	fputc('\n', d->out);
}

/* A rule fired: act, then journal the alert and hand it to the outputs at once. */
static void on_match(void *ctx, const struct rule *r, const struct bw_event *e)
{
	struct daemon *d = ctx;
	struct outputs_alert oa;

	/* act first: the alert reports what the action did */
	jbuf_reset(&d->result);
	actions_apply(&d->actions, rule_action(r), e, &d->result);
	/* what became of a statement: a held backend is ended here (Prevention) */
	if (d->db)
		dbhold_outcome(dbcapture_hold(d->db),
			       rule_action(r) != RULE_ALERT || hold_rules_kill(d->rules, e),
			       d->opts.no_kill, e, &d->result);
	session_note_alert(&d->sessions, e, rule_name(r),
			   rule_action(r) == RULE_KILL_SESSION && !d->opts.no_kill);
	jbuf_reset(&d->alert);
	alert_to_json(&d->alert, r, e, d->hostname, jbuf_ok(&d->result) ? d->result.p : NULL);
	if (!jbuf_ok(&d->alert))
		return;
	d->c.alerts++;
	/* the journal keeps every alert; outputs may aggregate a noisy rule's */
	if (d->journal)
		journal_append(d->journal, JREC_ALERT, e, d->alert.p, d->alert.len);
	oa = (struct outputs_alert){ d->alert.p, d->alert.len, rule_name(r), rule_priority(r),
				     rule_action(r) != RULE_ALERT };
	/* a collector notices a silent host only if every heartbeat reaches it: past min_priority */
	if (e->type == BW_EVT_BULWARK)
		oa.priority = PRI_EMERGENCY;
	outputs_emit(d->outputs, &oa);
}

static void handle_event(struct daemon *d, struct bw_event *e)
{
	d->c.events++;
	session_annotate(&d->sessions, &d->dec.pt, e);
	jbuf_reset(&d->line);
	event_to_json(&d->line, e);
	if (d->journal && jbuf_ok(&d->line))
		journal_append(d->journal, JREC_EVENT, e, d->line.p, d->line.len);
	if (d->opts.events)
		emit_line(d, &d->line);
	if (d->builtin && (event_has(e, FLD_EVT_KILL) || e->type == BW_EVT_DROP ||
			   e->type == BW_EVT_BULWARK))
		rules_eval(d->builtin, e, on_match, d);
	if (d->rules)
		rules_eval(d->rules, e, on_match, d);
}

/*
 * The daemon's own rules. The first two fire on the syscall event of a
 * process the kernel killed for touching a protected tree (it names the
 * file) and finish the job in user space: the process, or the rest of its
 * session (already quarantined in the kernel). The third is the one alert
 * for a journal that hit a full disk.
 */
static const char builtin_rules[] =
	"- rule: Deletion below a protected tree (kernel enforcement)\n"
	"  desc: A process of a login session ran a deletion-family syscall, an open for writing or\n"
	"    with O_TRUNC, or a destructive fallocate (or the io_uring request of one) below a protected tree\n"
	"    (--protect, or a rule's protect key). The kernel sent SIGKILL before the syscall\n"
	"    returned, so at most this one file is lost; bulwark then kills the rest of the session.\n"
	"    Once per session a minute, since with --no-kill every later file would alert again.\n"
	"  condition: evt.kill = protect_session and evt.type != kernel_kill\n"
	"  output: \"kernel killed %proc.name (pid %proc.pid, loginuid %user.loginuid, session\n"
	"    %session.id) for %evt.type %fd.name below a protected tree; cmdline: %proc.cmdline\"\n"
	"  priority: CRITICAL\n"
	"  action: kill_session\n"
	"  threshold: {count: 1, window: 60s, by: session.id}\n"
	"  tags: [bulwark, enforcement, protected_tree]\n"
	"- rule: Deletion below a protected tree (kernel enforcement, process)\n"
	"  desc: As above, for trees whose rule kills only the offending process.\n"
	"  condition: evt.kill = protect and evt.type != kernel_kill\n"
	"  output: \"kernel killed %proc.name (pid %proc.pid, loginuid %user.loginuid, session\n"
	"    %session.id) for %evt.type %fd.name below a protected tree; cmdline: %proc.cmdline\"\n"
	"  priority: CRITICAL\n"
	"  action: kill_process\n"
	"  threshold: {count: 1, window: 60s, by: proc.pid}\n"
	"  tags: [bulwark, enforcement, protected_tree]\n"
	"- rule: Journal disk full\n"
	"  desc: The journal could not write (ENOSPC); events are counted as lost until space\n"
	"    returns. The daemon keeps running and keeps alerting.\n"
	"  condition: evt.type = drop and drop.reason startswith \"journal\"\n"
	"  output: \"%drop.reason\"\n"
	"  priority: CRITICAL\n"
	"  tags: [bulwark, journal]\n"
	/* the monitor itself (pins.c): a collector must hear of each of these */
	"- rule: Monitor was down\n"
	"  desc: This daemon took over enforcement pinned by a previous one that stopped or was\n"
	"    killed. Records made meanwhile waited in the pinned ring and follow this alert.\n"
	"  condition: evt.type = bulwark and guard.event = gap\n"
	"  output: \"%guard.detail\"\n"
	"  priority: CRITICAL\n"
	"  tags: [bulwark, self_protection]\n"
	"- rule: Pins of another bulwark replaced\n"
	"  desc: The pin dir held enforcement of an incompatible bulwark; it was replaced, not trusted.\n"
	"  condition: evt.type = bulwark and guard.event = pins_replaced\n"
	"  output: \"%guard.detail\"\n"
	"  priority: WARNING\n"
	"  tags: [bulwark, self_protection]\n"
	"- rule: Pins removed\n"
	"  desc: bulwark's pins vanished while it ran (bpffs unmounted, files removed).\n"
	"  condition: evt.type = bulwark and guard.event = pins_lost\n"
	"  output: \"%guard.detail\"\n"
	"  priority: CRITICAL\n"
	"  tags: [bulwark, self_protection]\n"
	"- rule: Enforcement unloaded\n"
	"  desc: bulwark unload removed every pinned program and map, so nothing is enforced until\n"
	"    bulwark run starts again.\n"
	"  condition: evt.type = bulwark and guard.event = unload\n"
	"  output: \"%guard.detail\"\n"
	"  priority: CRITICAL\n"
	"  tags: [bulwark, self_protection]\n"
	"- rule: Heartbeat\n"
	"  desc: The monitor is alive (--heartbeat); a collector alerts when they stop coming.\n"
	"  condition: evt.type = bulwark and guard.event = heartbeat\n"
	"  output: \"%guard.detail\"\n"
	"  priority: INFORMATIONAL\n"
	"  tags: [bulwark, heartbeat]\n";

static int load_builtin_rules(struct daemon *d)
{
	struct rules_source src = { "<built-in rules>", builtin_rules, sizeof(builtin_rules) - 1 };

	return rules_load_sources(&src, 1, &d->builtin, stderr);
}

/* Lists of the rules whose trees the kernel watches outside login sessions. */
static const char *const watch_lists[] = {
	"db_data_dirs", "db_wal_dirs", "db_binlog_dirs", "db_archive_dirs", "audit_log_dirs", NULL,
};

/* Adds every directory matching pat (a path or a glob). */
static void add_tree(struct daemon *d, const char *pat, uint32_t bits)
{
	glob_t g;

	if (!strpbrk(pat, "*?[")) {
		loader_watch_dir(&d->loader, pat, bits, stderr);
		return;
	}
	if (glob(pat, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g))
		return; /* nothing matches yet: a restart or SIGHUP picks new directories up */
	for (size_t i = 0; i < g.gl_pathc; i++)
		loader_watch_dir(&d->loader, g.gl_pathv[i], bits, stderr);
	globfree(&g);
}

/*
 * (Re)builds the kernel's watched and protected trees from the options and
 * the rules: --watch and the watch lists are captured outside sessions,
 * --protect and rules' protect keys are enforced.
 */
static void add_trees(struct daemon *d)
{
	const uint32_t cap = LOADER_WATCH_CAPTURE, prot = cap | LOADER_WATCH_PROTECT;
	const char *const *items;
	int n;

	for (int i = 0; i < d->opts.nwatch; i++)
		add_tree(d, d->opts.watch[i], cap);
	for (int i = 0; watch_lists[i]; i++) {
		n = rules_list_items(d->rules, watch_lists[i], &items);
		for (int k = 0; k < n; k++)
			add_tree(d, items[k], cap);
	}
	/* bulwark's own pins: removing them from a login session kills the session (pins.h) */
	if (d->pins.dirfd >= 0)
		add_tree(d, d->pins.dir, prot | LOADER_WATCH_PROTECT_SESSION);
	/* protected trees last: their bits win over a plain watch of the same directory */
	for (int i = 0; i < d->opts.nprotect; i++)
		add_tree(d, d->opts.protect[i],
			 prot | (d->opts.protect_session ? LOADER_WATCH_PROTECT_SESSION : 0));
	for (int i = 0; i < rules_nrules(d->rules); i++) {
		const struct rule *r = rules_rule(d->rules, i);

		n = rule_protect(r, &items);
		for (int k = 0; k < n; k++)
			add_tree(d, items[k], prot | (rule_action(r) == RULE_KILL_SESSION
							? LOADER_WATCH_PROTECT_SESSION : 0));
	}
}

static void apply_trees(struct daemon *d)
{
	loader_trees_begin(&d->loader);
	add_trees(d);
	loader_trees_commit(&d->loader);
	/* what the rules ask of the decoder: proc.env is read at each exec only when used */
	d->dec.want_env = d->rules && rules_use_field(d->rules, FLD_PROC_ENV);
}

/* A decoded database event (dbcapture): handled like any other. */
static void on_db_event(void *ctx, struct bw_event *e)
{
	handle_event(ctx, e);
}

/*
 * At most this many records per consume call: libbpf's consume returns
 * only when the ring is empty, so under a sustained overload the loop
 * would never get back to its periodic work (status file, heartbeats,
 * held backends' deadlines, SIGHUP, SIGTERM). About 40 ms of records.
 */
#define DAEMON_BATCH 8192
#define BATCH_FULL (-EAGAIN)  /* on_sample's "come back later": the record itself was handled */

static int on_sample(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;

	int more = ++d->batch >= DAEMON_BATCH ? BATCH_FULL : 0; /* libbpf counts this one consumed */

	if (dbcapture_owns(data, len)) {
		dbcapture_record(d->db, data, len);
		return more;
	}
	if (decode_record(&d->dec, data, len, &d->ev)) {
		d->c.bad_records++;
		return more;
	}
	/* a database server may have started: discovery rescans for its sockets */
	if (d->ev.type == BW_EVT_EXECVE && d->ev.exe.p)
		dbprobes_exec(d->dbprobes, d->ev.exe.p, d->ev.exe.len, clock_monotonic_ns());
	handle_event(d, &d->ev);
	return more;
}

/* Prints and journals a "drop" event: losses are shown with or without --events. */
static void emit_drop(struct daemon *d, uint64_t n, const char *reason)
{
	struct bw_event e;

	event_reset(&e);
	e.time_ns = clock_realtime_ns();
	e.type = BW_EVT_DROP;
	e.type_name = (struct bw_str){ "drop", 4 };
	e.drop_count = n;
	e.drop_reason = (struct bw_str){ reason, (uint32_t)strlen(reason) };
	e.sessionid = BW_NO_SESSION;
	event_set_present(&e, FLD_EVT_TIME);
	event_set_present(&e, FLD_EVT_TYPE);
	event_set_present(&e, FLD_DROP_COUNT);
	event_set_present(&e, FLD_DROP_REASON);
	jbuf_reset(&d->line);
	event_to_json(&d->line, &e);
	emit_line(d, &d->line);
	if (d->journal)
		journal_append(d->journal, JREC_NOTE, &e, d->line.p, d->line.len);
	if (d->builtin)
		rules_eval(d->builtin, &e, on_match, d);
}

/* An event of the monitor itself (evt.type bulwark): journaled, streamed, alerted by the built-in rules. */
static void emit_bulwark(struct daemon *d, const char *what, const char *detail)
{
	struct bw_event e;

	event_reset(&e);
	e.time_ns = clock_realtime_ns();
	e.type = BW_EVT_BULWARK;
	e.type_name = (struct bw_str){ "bulwark", 7 };
	e.pid = (uint64_t)getpid();
	e.name = (struct bw_str){ "bulwark", 7 };
	e.sessionid = BW_NO_SESSION;
	e.loginuid = BW_NO_SESSION;
	e.guard_event = (struct bw_str){ what, (uint32_t)strlen(what) };
	e.guard_detail = (struct bw_str){ detail, (uint32_t)strlen(detail) };
	event_set_present(&e, FLD_EVT_TIME);
	event_set_present(&e, FLD_EVT_TYPE);
	event_set_present(&e, FLD_PROC_PID);
	event_set_present(&e, FLD_PROC_NAME);
	event_set_present(&e, FLD_GUARD_EVENT);
	event_set_present(&e, FLD_GUARD_DETAIL);
	jbuf_reset(&d->line);
	event_to_json(&d->line, &e);
	if (d->journal && jbuf_ok(&d->line))
		journal_append(d->journal, JREC_NOTE, &e, d->line.p, d->line.len);
	if (d->opts.events && jbuf_ok(&d->line))
		emit_line(d, &d->line);
	if (d->builtin)
		rules_eval(d->builtin, &e, on_match, d);
}

/* Reports kernel-side losses as "drop" events in the stream and journal. */
static void report_drops(struct daemon *d, const uint64_t *k)
{
	static const struct { int stat; const char *reason; } kinds[] = {
		{ BW_STAT_RB_DROPS, "ring buffer full: records lost in the kernel" },
		{ BW_STAT_INFLIGHT_FULL, "too many syscalls in flight: records lost in the kernel" },
		{ BW_STAT_PATH_TRUNC, "paths truncated (longer than 4095 bytes or 64 components)" },
		{ BW_STAT_ARGS_TRUNC, "argv truncated (longer than 4095 bytes)" },
		{ BW_STAT_READ_ERR, "arguments the kernel could not read" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int s = kinds[i].stat;
		uint64_t n = k[s] - d->c.kernel_reported[s];
		if (!n)
			continue;
		d->c.kernel_reported[s] = k[s];
		emit_drop(d, n, kinds[i].reason);
		if (s == BW_STAT_RB_DROPS || s == BW_STAT_INFLIGHT_FULL)
			fprintf(stderr, "bulwark: %llu records lost: %s\n", (unsigned long long)n,
				kinds[i].reason);
	}
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

static bool db_differs(const struct dbcapture_opts *a, const struct dbcapture_opts *b)
{
	if (a->nports != b->nports || a->nsockets != b->nsockets || a->nbinaries != b->nbinaries ||
	    a->uprobes != b->uprobes || a->no_db != b->no_db || a->client != b->client ||
	    a->server != b->server || a->max_conns != b->max_conns ||
	    a->all_statements != b->all_statements)
		return true;
	for (int i = 0; i < a->nports; i++)
		if (a->ports[i].port != b->ports[i].port || a->ports[i].system != b->ports[i].system)
			return true;
	for (int i = 0; i < a->nsockets; i++)
		if (str_differs(a->sockets[i].path, b->sockets[i].path))
			return true;
	for (int i = 0; i < a->nbinaries; i++)
		if (str_differs(a->binaries[i], b->binaries[i]))
			return true;
	return false;
}

/*
 * The options a reload cannot apply: they shape what was loaded into the
 * kernel (ring buffer, capture, kernel kills, database hooks) or opened
 * once (journal lock, status dir, metrics socket). Returns the first that
 * changed, or NULL.
 */
static const char *restart_only_change(const struct daemon_opts *a, const struct daemon_opts *b)
{
	if (str_differs(a->journal_dir, b->journal_dir))
		return "journal.dir (--journal)";
	if (str_differs(a->run_dir, b->run_dir))
		return "run_dir (--run-dir)";
	if (a->ringbuf_mb != b->ringbuf_mb)
		return "ringbuf_mb (--ringbuf-mb)";
	if (a->capture_all != b->capture_all)
		return "capture_all (--capture-all)";
	if (a->no_kill != b->no_kill)
		return "no_kill (--no-kill): the kernel's kill switch is set at load";
	if (a->verbose != b->verbose)
		return "verbose (--verbose)";
	if (str_differs(a->pin_dir, b->pin_dir))
		return "pin_dir (--pin-dir)";
	if (str_differs(a->metrics_listen, b->metrics_listen))
		return "metrics.listen (--metrics)";
	if (a->nallow_exe != b->nallow_exe)
		return "allow_exe (--allow-exe)";
	for (int i = 0; i < a->nallow_exe; i++)
		if (str_differs(a->allow_exe[i], b->allow_exe[i]))
			return "allow_exe (--allow-exe)";
	if (db_differs(&a->db, &b->db))
		return "db.* (--db-*)";
	return NULL;
}

/*
 * SIGHUP: the config file and the rules together, all or nothing. The new
 * options are read first, then the rules they name; only when both load
 * are they swapped in. Options that need a restart make the whole reload
 * fail, so the running state is always one consistent configuration.
 */
static void reload_all(struct daemon *d)
{
	struct daemon_opts next = d->opts;
	struct rules *nr = NULL;
	void *h = NULL;
	const char *what;
	int err;

	sd_notify_state("RELOADING=1");
	if (d->opts.reload.load) {
		if (d->opts.reload.load(d->opts.reload.arg, &next, &h, stderr)) {
			d->c.reload_errors++;
			fprintf(stderr, "bulwark: SIGHUP: the configuration did not load (above); "
					"still running with the previous configuration and %d rules\n",
				rules_count(d->rules));
			goto out;
		}
		next.reload = d->opts.reload;
		next.reload.handle = h;
		/* outputs are opened once: a change takes a restart, the running set stays */
		outputs_config_free(&next.outputs);
		next.outputs = d->opts.outputs;
		what = restart_only_change(&d->opts, &next);
		if (what) {
			d->c.reload_errors++;
			fprintf(stderr, "bulwark: SIGHUP: %s changed, which takes a restart "
					"(systemctl restart bulwark); nothing reloaded, still running "
					"with the previous configuration and %d rules\n",
				what, rules_count(d->rules));
			goto release_new;
		}
	}
	err = rules_load(next.rule_paths, next.nrule_paths, &nr, stderr);
	if (err) {
		d->c.reload_errors++;
		fprintf(stderr, "bulwark: SIGHUP: the new rules did not load (%d error%s above); "
				"still running with the previous configuration and %d rules\n",
			err, err == 1 ? "" : "s", rules_count(d->rules));
		goto release_new;
	}
	rules_free(d->rules);
	d->rules = nr;
	if (h) {
		h = d->opts.reload.handle; /* the old options' strings go */
		d->opts = next;
	}
	d->c.reloads++;
	apply_trees(d);
	/* the hold words follow the new kill rules */
	d->opts.db.hold_kinds = hold_rules_kinds(d->rules);
	dbprobes_hold_reload(d->dbprobes, &d->opts.db, dbcapture_hold(d->db), stderr);
	fprintf(stderr, "bulwark: SIGHUP: reloaded the configuration and %d rules\n",
		rules_count(nr));
release_new:
	if (h)
		d->opts.reload.release(d->opts.reload.arg, h);
out:
	sd_notify_state("READY=1");
}

/*
 * RUN_DIR/sessions.json, rewritten atomically each second like status.json:
 * `bulwark sessions` needs no socket, no protocol and no root, and a reader
 * never sees a half-written file.
 */
static void write_sessions(struct daemon *d)
{
	char path[4096], tmp[4096];
	FILE *f;

	session_tick(&d->sessions, &d->dec.pt, clock_realtime_ns(), 60ull * 1000000000ull);
	jbuf_reset(&d->line);
	session_table_json(&d->sessions, &d->line, clock_realtime_ns());
	snprintf(path, sizeof(path), "%s/sessions.json", d->opts.run_dir);
	snprintf(tmp, sizeof(tmp), "%s/.sessions.json.tmp", d->opts.run_dir);
	f = jbuf_ok(&d->line) ? fopen(tmp, "w") : NULL;
	if (!f)
		return;
	fwrite(d->line.p, 1, d->line.len, f);
	if (!fclose(f))
		rename(tmp, path);
}

/* The pins each second: heartbeat into the guard state, pins that vanished, an unload request. */
static void guard_tick(struct daemon *d)
{
	struct bw_guard_state st;
	struct pins_objs po;
	char detail[1024];
	struct proc *p;
	int r;

	if (d->pins.dirfd < 0)
		return;
	loader_pins_objs(&d->loader, &po);
	r = pins_tick(&d->pins, &po, d->c.kernel_reported[BW_STAT_RB_DROPS], stderr);
	if (r) {
		snprintf(detail, sizeof(detail), "the pins in %.200s were removed or their bpffs unmounted "
			 "while bulwark ran; %s", d->pins.dir, r > 0 ? "pinned again" :
			 "they could not be pinned again: enforcement lasts only while this daemon runs");
		emit_bulwark(d, "pins_lost", detail);
	}
	if (pins_state(po.obj, &st) || !st.unload_pid || d->unloading)
		return;
	p = proctable_lookup(&d->dec.pt, st.unload_pid);
	snprintf(detail, sizeof(detail), "bulwark unload (pid %u, uid %d, loginuid %d, session %d) "
		 "removes the pinned enforcement in %.200s: nothing is enforced until bulwark run starts "
		 "again", st.unload_pid, p ? (int)p->uid : -1, p ? (int)p->loginuid : -1,
		 p ? (int)p->sessionid : -1, d->pins.dir);
	emit_bulwark(d, "unload", detail);
	fprintf(stderr, "bulwark: %s\n", detail);
	d->unloading = true;
	stop_requested = 1;
}

/* --heartbeat: an alert through every output, so a collector sees when a host goes silent. */
static void heartbeat_tick(struct daemon *d)
{
	uint64_t now = clock_monotonic_ns();
	char detail[1024];

	if (!d->opts.heartbeat_ns ||
	    (d->last_heartbeat_ns && now - d->last_heartbeat_ns < d->opts.heartbeat_ns))
		return;
	d->last_heartbeat_ns = now;
	snprintf(detail, sizeof(detail), "bulwark alive on %.255s: pid %d, up %llus, %llu events, "
		 "%llu alerts, enforcement %s%s%.200s", d->hostname, (int)getpid(),
		 (unsigned long long)((clock_realtime_ns() - d->started_ns) / 1000000000ull),
		 (unsigned long long)d->c.events, (unsigned long long)d->c.alerts,
		 loader_enforcement(&d->loader), d->pins.dirfd >= 0 ? ", pinned in " : "",
		 d->pins.dirfd >= 0 ? d->pins.dir : "");
	emit_bulwark(d, "heartbeat", detail);
}

static void periodic(struct daemon *d)
{
	uint64_t k[BW_STAT_MAX];

	decode_sync_clock(&d->dec);
	dbcapture_tick(d->db, clock_realtime_ns());
	dbprobes_tick(d->dbprobes, clock_monotonic_ns());
	/*
	 * Trees are keyed by inode: a directory created (a glob that matches
	 * now) or re-created since start gets its new inode added here, every
	 * other second. Stale keys are harmless and are dropped at a reload.
	 */
	if (++d->ticks % 2 == 0) {
		add_trees(d);
		loader_trees_commit(&d->loader);
	}
	if (!loader_read_stats(&d->loader, k))
		report_drops(d, k);
	else
		memset(k, 0, sizeof(k));
	proctable_gc(&d->dec.pt, clock_realtime_ns(), 30ull * 1000000000ull);
	if (d->journal && journal_take_disk_full_edge(d->journal)) {
		struct journal_stats js;
		char why[512];

		journal_get_stats(d->journal, &js);
		snprintf(why, sizeof(why), "journal %s: disk full (%s); events are counted as lost "
			 "until space returns", d->opts.journal_dir, js.last_error[0] ? js.last_error
										   : "ENOSPC");
		emit_drop(d, js.lost, why);
		fprintf(stderr, "bulwark: %s\n", why);
	}
	guard_tick(d);
	heartbeat_tick(d);
	outputs_tick(d->outputs);
	status_write(d, k);
	metrics_publish(d->metrics, d, k);
	write_sessions(d);
}

/*
 * systemd's watchdog (WatchdogSec=): WATCHDOG=1 from the poll loop itself,
 * at half the interval, so a loop stuck anywhere (a hung kill, a blocked
 * write) gets the service restarted.
 */
static void watchdog_init(struct daemon *d)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");

	if (!us || (pid && strtol(pid, NULL, 10) != getpid()))
		return;
	d->watchdog_us = strtoull(us, NULL, 10);
}

static void watchdog_tick(struct daemon *d)
{
	uint64_t now;

	if (!d->watchdog_us)
		return;
	now = clock_monotonic_ns();
	if (now - d->last_watchdog_ns >= d->watchdog_us * 500ull) {
		d->last_watchdog_ns = now;
		sd_notify_state("WATCHDOG=1");
	}
}

/*
 * The database family asked for but not loaded: the kernel refused every
 * backend of its sockets slot (5.10 has no bpf_get_current_task_btf).
 */
static bool db_refused(const struct loader *l)
{
	for (int i = 0; i < l->nfam; i++)
		if (!strcmp(l->fam[i].name, "db sockets"))
			return !l->fam[i].on && strcmp(l->fam[i].backend, "off (not requested)");
	return false;
}

/* Host checks, rules, journal, outputs and the tables: 0, or -1 after saying why on stderr. */
static int daemon_setup(struct daemon *d)
{
	struct journal_opts jo = { 0 };
	char err[512];
	int n;

	/* Check the host: root, BTF, tracefs, bpffs */
	if (loader_check_host(stderr))
		return -1;

	/* Load the rules before anything is attached: a bad rule file stops us here */
	n = rules_load(d->opts.rule_paths, d->opts.nrule_paths, &d->rules, stderr);
	if (n) {
		fprintf(stderr, "bulwark: the rules did not load (%d error%s above); fix them "
				"and check with: bulwark rules check %s\n",
			n > 0 ? n : 1, n == 1 ? "" : "s", d->opts.rule_paths[0]);
		return -1;
	}

	if (load_builtin_rules(d)) {
		fprintf(stderr, "bulwark: internal error: the built-in rules did not compile\n");
		return -1;
	}

	/* Open the journal */
	jo.dir = d->opts.journal_dir;
	if (journal_open(&jo, &d->journal, err, sizeof(err))) {
		fprintf(stderr, "bulwark: %s\n", err);
		return -1;
	}

	/* Start the outputs: spools left by a previous run resume delivery */
	if (outputs_open(&d->opts.outputs, d->out, stderr, &d->outputs, err, sizeof(err))) {
		fprintf(stderr, "bulwark: %s\n", err);
		return -1;
	}

	/* Seed the process table from /proc */
	if (decode_init(&d->dec)) {
		fprintf(stderr, "bulwark: out of memory\n");
		return -1;
	}
	proctable_seed(&d->dec.pt);
	if (session_table_init(&d->sessions, "/proc", 1024)) {
		fprintf(stderr, "bulwark: out of memory\n");
		return -1;
	}
	session_seed(&d->sessions, &d->dec.pt, clock_realtime_ns());
	if (dbcapture_new(&d->db, &d->opts.db, &d->dec, on_db_event, d)) {
		fprintf(stderr, "bulwark: out of memory\n");
		return -1;
	}

	return 0;
}

/*
 * Pins this generation over the last one's (pins.c): no gap in
 * enforcement. The counters are reused too: what they gained while no
 * daemon ran is reported once, by guard_report_gap(), not as new drops.
 */
static void guard_takeover(struct daemon *d)
{
	struct pins_objs po;
	uint64_t k[BW_STAT_MAX];

	if (d->pins.compatible && !loader_read_stats(&d->loader, k))
		for (int i = 0; i < BW_STAT_MAX; i++)
			d->c.kernel_reported[i] = k[i];
	loader_pins_objs(&d->loader, &po);
	if (pins_commit(&d->pins, &po, stderr))
		fprintf(stderr, "bulwark: part of the enforcement could not be pinned in %s (above): "
				"that part lasts only while this daemon runs\n", d->pins.dir);
	d->loader.keep_links = d->pins.dirfd >= 0;
	loader_allow_self(&d->loader); /* the guard has seen our bpf() calls by now */
}

/* What the last daemon left: the gap, the records lost meanwhile, or pins that could not be trusted. */
static void guard_report_gap(struct daemon *d)
{
	uint64_t lost = 0;
	char detail[1024];

	if (!d->pins.found)
		return;
	if (!d->pins.compatible) {
		snprintf(detail, sizeof(detail), "the pins in %.200s were not reused: %.320s; replaced with "
			 "this daemon's (ABI %d)", d->pins.dir, d->pins.why, BW_ABI_VERSION);
		fprintf(stderr, "bulwark: %s\n", detail);
		emit_bulwark(d, "pins_replaced", detail);
		return;
	}
	if (d->c.kernel_reported[BW_STAT_RB_DROPS] > d->pins.old.drops_reported)
		lost = d->c.kernel_reported[BW_STAT_RB_DROPS] - d->pins.old.drops_reported;
	pins_gap_text(&d->pins.old, d->pins.took_over_ns, (uint64_t)d->dec.boot_to_epoch_ns, lost,
		      detail, sizeof(detail));
	fprintf(stderr, "bulwark: took over the pinned enforcement in %s: %s\n", d->pins.dir, detail);
	emit_bulwark(d, "gap", detail);
	if (lost)
		emit_drop(d, lost, "ring buffer full while the monitor was down: records lost in the kernel");
}

/* Load, attach and wire the kernel side, the actions, the ring and the metrics: 0 or -1. */
static int daemon_attach(struct daemon *d)
{
	struct loader_opts lo = { 0 };
	char err[512];

	/* Load, verify and attach the BPF programs */
	lo.ringbuf_bytes = d->opts.ringbuf_mb << 20;
	lo.capture_all = d->opts.capture_all;
	lo.verbose = d->opts.verbose;
	lo.enforce_kill = !d->opts.no_kill;
	lo.configure = dbprobes_configure;
	lo.configure_arg = &d->opts.db;
	/* Take the pin dir: a second daemon stops here; pins left by the last one are reused */
	if (pins_open(&d->pins, d->opts.pin_dir && strcmp(d->opts.pin_dir, "none") ? d->opts.pin_dir
										   : NULL, stderr))
		return -1;
	lo.pins = &d->pins;
	if (loader_open(&d->loader, &lo, stderr))
		return -1;
	if (dbprobes_start(&d->dbprobes, loader_object(&d->loader), &d->opts.db,
			   dbcapture_probes(d->db), stderr))
		return -1;
	/* Hold and decide: kill rules on statements hold PostgreSQL backends (not fatal) */
	d->opts.db.hold_kinds = hold_rules_kinds(d->rules);
	dbprobes_hold_start(d->dbprobes, loader_object(&d->loader), &d->opts.db, d->opts.no_kill,
			    dbcapture_hold(d->db), stderr);
	apply_trees(d);
	quarantine_init(&d->quarantine, loader_quarantine_fd(&d->loader));
	if (actions_init(&d->actions, quarantine_session, &d->quarantine, &d->dec.pt, d->opts.no_kill,
			 d->opts.allow_exe, d->opts.nallow_exe)) {
		fprintf(stderr, "bulwark: out of memory\n");
		return -1;
	}
	for (int i = 0; i < d->actions.nallow; i++)
		loader_allow_exe(&d->loader, d->actions.allow[i]);
	/* bulwark itself (`bulwark unload` removing the pins) is never killed by the kernel */
	loader_allow_exe(&d->loader, "/proc/self/exe");
	guard_takeover(d);

	/* Set up the ring buffer */
	d->rb = ring_buffer__new(loader_ringbuf_fd(&d->loader), on_sample, d, NULL);
	if (!d->rb) {
		fprintf(stderr, "bulwark: cannot set up the ring buffer: %s\n", strerror(errno));
		return -1;
	}

	/* Serve /metrics and /healthz when configured */
	if (d->opts.metrics_listen) {
		if (metrics_start(d->opts.metrics_listen, &d->metrics, err, sizeof(err))) {
			fprintf(stderr, "bulwark: %s\n", err);
			return -1;
		}
		metrics_publish(d->metrics, d, NULL);
	}
	watchdog_init(d);

	return 0;
}

/* Signals, the first status files, the ready line and READY=1. */
static int daemon_announce(struct daemon *d)
{
	char err[512], backends[2048];

	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	guard_report_gap(d);
	status_write(d, NULL);
	write_sessions(d);
	dbcapture_summary(d->db, err, sizeof(err));
	if (db_refused(&d->loader))
		snprintf(err, sizeof(err), "db capture off (this kernel cannot run it, see db sockets)");
	loader_backends(&d->loader, backends, sizeof(backends));
	fprintf(stderr, "bulwark: ready: %d programs attached, %d rules, journal %s, "
			"enforcement %s, %s%s, %s%s; kernel %s, backends: %s\n",
		d->loader.nattached, rules_count(d->rules), d->opts.journal_dir,
		loader_enforcement(&d->loader), err, d->opts.no_kill ? ", --no-kill" : "",
		d->pins.dirfd >= 0 ? "pinned in " : "not pinned (--pin-dir none)",
		d->pins.dirfd >= 0 ? d->pins.dir : "", d->loader.kernel, backends);
	sd_notify_state("READY=1");

	return 0;
}

/* The poll loop, until SIGINT or SIGTERM (or a failed poll). */
static void daemon_loop(struct daemon *d)
{
	uint64_t last = clock_realtime_ns();
	while (!stop_requested) {
		/*
		 * The kernel skips wakeups inside bursts (wake_flags() in
		 * common.bpf.h), so the tail of a burst may sit in the ring with
		 * no wakeup to come. ring_buffer__poll() consumes nothing when
		 * epoll times out: the explicit consume bounds that tail's delay
		 * to the 5 ms timeout. Without it, on a quiet host, a deletion
		 * stayed unread until the next event anywhere, seconds later.
		 */
		/* a held backend waits on records that may come without a wakeup: poll faster */
		int err2;

		d->batch = 0;
		err2 = ring_buffer__poll(d->rb, dbhold_busy(dbcapture_hold(d->db)) ? 1 : 5);
		if (err2 == 0) {
			d->batch = 0;
			err2 = ring_buffer__consume(d->rb);
		}
		if (err2 == BATCH_FULL)
			err2 = 0;  /* more is waiting: the periodic work first, then on */

		if (err2 < 0 && err2 != -EINTR) {
			fprintf(stderr, "bulwark: ring buffer poll failed: %s\n", strerror(-err2));
			break;
		}
		fflush(d->out);
		if (reload_requested) {
			reload_requested = 0;
			reload_all(d);
		}
		if (reopen_requested) {
			reopen_requested = 0;
			outputs_reopen(d->outputs);
		}
		if (clock_realtime_ns() - last >= 1000000000ull) {
			last = clock_realtime_ns();
			periodic(d);
		}
		watchdog_tick(d);
		dbhold_tick(dbcapture_hold(d->db), 0);
	}
}

/* Drains what is already in the ring buffer and reports the final drops. */
static void daemon_drain(struct daemon *d)
{
	uint64_t k[BW_STAT_MAX], until = clock_monotonic_ns() + 2000000000ull;

	/* what is there, batch by batch; producers that keep writing get 2 s */
	do
		d->batch = 0;
	while (ring_buffer__consume(d->rb) == BATCH_FULL && clock_monotonic_ns() < until);
	if (!loader_read_stats(&d->loader, k))
		report_drops(d, k);
	fflush(d->out);
	sd_notify_state("STOPPING=1");
	fprintf(stderr, "bulwark: stopped: %llu events, %llu alerts\n",
		(unsigned long long)d->c.events, (unsigned long long)d->c.alerts);
	if (d->pins.dirfd >= 0 && !d->unloading) {
		pins_note_stop(loader_object(&d->loader), (uint32_t)stop_sig, (uint32_t)stop_pid);
		fprintf(stderr, "bulwark: kernel enforcement stays pinned in %s (bulwark unload "
				"removes it)\n", d->pins.dir);
	}
}

/* `bulwark unload` asked: the pins go before our fds close, so the links detach with them. */
static void guard_unload(struct daemon *d)
{
	char err[512];
	int nl, nm;

	if (!d->unloading || d->pins.dirfd < 0)
		return;
	d->loader.keep_links = false;
	if (pins_remove(d->pins.dir, &nl, &nm, err, sizeof(err)))
		fprintf(stderr, "bulwark: unload: %s\n", err);
	else
		fprintf(stderr, "bulwark: unloaded: removed %d links and %d maps from %s\n", nl, nm,
			d->pins.dir);
}

/* Frees in the reverse order of setup; safe on a partly set-up daemon. */
static void daemon_teardown(struct daemon *d)
{
	char path[4096];

	metrics_stop(d->metrics);
	ring_buffer__free(d->rb);
	/* held backends are decided while the maps are there */
	dbprobes_hold_stop(d->dbprobes);
	if (d->db)
		dbhold_flush(dbcapture_hold(d->db));
	/* before the journal closes: flushing connections may still emit */
	dbcapture_free(d->db);
	dbprobes_free(d->dbprobes);
	/* queued alerts get 5 s to be delivered; the rest stays in the spools */
	outputs_close(d->outputs, 5000);
	guard_unload(d);
	loader_close(&d->loader);
	pins_close(&d->pins);
	if (d->journal)
		journal_close(d->journal);
	status_remove(d);
	snprintf(path, sizeof(path), "%s/sessions.json", d->opts.run_dir);
	unlink(path);
	session_table_free(&d->sessions);
	decode_free(&d->dec);
	rules_free(d->rules);
	rules_free(d->builtin);
	jbuf_free(&d->line);
	jbuf_free(&d->alert);
	jbuf_free(&d->result);
	actions_free(&d->actions);
	outputs_config_free(&d->opts.outputs);
	if (d->opts.reload.release)
		d->opts.reload.release(d->opts.reload.arg, d->opts.reload.handle);
	free(d);
}

int daemon_run(const struct daemon_opts *opts)
{
	struct daemon *d;
	int rc = 1;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "bulwark: out of memory\n");
		return 1;
	}
	d->out = stdout;
	d->opts = *opts;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	gethostname(d->hostname, sizeof(d->hostname) - 1);
	d->started_ns = clock_realtime_ns();

	/* Rules, journal, outputs and tables first: a bad rule file stops us before the kernel */
	if (daemon_setup(d) || daemon_attach(d) || daemon_announce(d))
		goto cleanup;
	daemon_loop(d);
	daemon_drain(d);
	rc = 0;
cleanup:
	daemon_teardown(d);
	return rc;
}
