/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The session header that dump --text and report open with (cli-private). */
#ifndef BULWARK_CLI_REPORT_H
#define BULWARK_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/json.h"

/* What the journal says about one session: gathered from its records. */
struct sess_hdr {
	uint64_t id;                 /* session.id */
	uint64_t loginuid;           /* session.loginuid (or user.loginuid) */
	char loginname[40];          /* session.loginname */
	char origin[72], tty[32];    /* session.origin, session.tty */
	char leader_exe[256];        /* session.leader_exe */
	uint64_t leader;             /* session.leader */
	uint64_t start_ns;           /* session.start, else the first record */
	uint64_t first_ns, last_ns;  /* first and last record */
	uint64_t end_ns;             /* the leader's exit or the kill, 0 if not seen */
	char ended[200];             /* "logout", "killed by rule X", or "" */
	char boots[4][40];           /* distinct session.boot values seen */
	int nboots;
	uint64_t records, execs, deletions, destructive, alerts, kills, processes;
};

/* Folds one journal record of the session into h. */
void sess_hdr_add(struct sess_hdr *h, int kind, const char *json, uint32_t len, uint64_t time_ns,
		  char *scratch);

/* The header as '# ' lines for dump --text. */
void sess_hdr_text(const struct sess_hdr *h, struct jbuf *b);

#endif /* BULWARK_CLI_REPORT_H */
