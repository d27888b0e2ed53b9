/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Actions: kill a process or a whole login session, safely, and say what happened. */
#ifndef BULWARK_ACTIONS_H
#define BULWARK_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "core/event.h"
#include "core/json.h"
#include "core/proctable.h"
#include "rules/rules.h"

#define ACTIONS_MAX_ALLOW 64
#define ACTIONS_MAX_PIDS 4096

/*
 * The kernel half of a session kill: puts sid in the kernel quarantine,
 * so its tasks die at their next exec, fork or deletion. Set by the daemon
 * (kernel/quarantine.c), so actions/ needs no libbpf. 0 or -errno.
 */
typedef int (*actions_quarantine_fn)(void *ctx, uint32_t sid);

struct actions {
	actions_quarantine_fn quarantine; /* NULL: no kernel half */
	void *quarantine_ctx;     /* its argument */
	struct proctable *pt;     /* first pass of a session kill; may be NULL */
	bool no_kill;             /* --no-kill: report what would be killed */
	uint32_t self_pid;        /* never killed */
	char *allow[ACTIONS_MAX_ALLOW]; /* executables never killed (realpaths) */
	int nallow;
	uint64_t kills;           /* processes killed */
	uint64_t kill_errors;     /* kills that failed */
	uint64_t last_session_ns; /* duration of the last session kill */
	int pidfds[ACTIONS_MAX_PIDS]; /* scratch: processes signalled in one kill */
	uint32_t pids[ACTIONS_MAX_PIDS];
	struct actions_member {   /* scratch: the table's members of a session, to sort */
		uint32_t pid;
		uint64_t start_ns;
	} members[ACTIONS_MAX_PIDS];
	struct actions_recent {   /* sessions swept lately: not swept again */
		uint32_t sid;
		int killed;
		uint64_t done_ns;
	} recent[16];
	unsigned nrecent;
};

/* A session swept within this long is not swept again for events already
 * queued behind the one that killed it (the kernel quarantine holds it). */
#define ACTIONS_RESWEEP_NS (5ull * 1000000000ull)

/* Default allowlist: the database servers. */
extern const char *const actions_default_allow[];

/* allow: extra executables (paths or globs like /usr/lib/postgresql/'*'/bin/postgres).
 * quarantine may be NULL (no kernel half: the /proc sweeps alone). */
int actions_init(struct actions *a, actions_quarantine_fn quarantine, void *quarantine_ctx,
		 struct proctable *pt, bool no_kill, const char *const *allow, int nallow);
void actions_free(struct actions *a);

/* Whether pid may be killed at all: not 1, not us, not a kernel thread,
 * not an allowlisted executable. why says which rule refused. */
bool actions_killable(struct actions *a, uint32_t pid, const char **why);

/*
 * Carries out act for the event e and appends the action_result JSON
 * object to out ("null" for alert-only rules): how long after the event
 * the response began (after_event_us), what was killed, what was spared
 * and why, how long it took until the last process was dead.
 */
void actions_apply(struct actions *a, enum rule_action act, const struct bw_event *e,
		   struct jbuf *out);

#endif /* BULWARK_ACTIONS_H */
