// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What the kill rules ask of the database hold: the statement kinds to hold, and whether a statement must not run. */
#include <string.h>
#include "daemon/hold_rules.h"
#include "sql/sql.h"

static void probe_event(struct bw_event *e, int variant, enum sql_kind k, bool destructive)
{
	static const char *const sides[] = { "client", "server", "server" };
	static const char *const names[] = { "psql", "postgres", "postgres" };
	static const char *const peers[] = { "unix:/run/postgresql/.s.PGSQL.5432",
					     "unix:/run/postgresql/.s.PGSQL.5432", "192.0.2.1:40000" };
	static const enum bw_field fields[] = {
		FLD_EVT_TYPE, FLD_PROC_PID, FLD_PROC_NAME, FLD_USER_UID, FLD_USER_LOGINUID,
		FLD_SESSION_ID, FLD_DB_SYSTEM, FLD_DB_SIDE, FLD_DB_PEER, FLD_DB_STMT,
		FLD_DB_HAS_WHERE, FLD_DB_DESTRUCTIVE, FLD_DB_QUERY,
	};
	const char *kind = sql_kind_name(k);

	event_reset(e);
	e->type = BW_EVT_DB_QUERY;
	e->type_name = (struct bw_str){ "db_query", 8 };
	e->pid = 2;
	e->name = (struct bw_str){ names[variant], (uint32_t)strlen(names[variant]) };
	e->uid = variant ? 0 : 1000;
	/* variant 0 and 1: a login session's client and its server side; 2: another host */
	e->loginuid = variant == 2 ? BW_NO_SESSION : 1000;
	e->sessionid = variant == 2 ? BW_NO_SESSION : 7;
	e->db_system = (struct bw_str){ "postgresql", 10 };
	e->db_side = (struct bw_str){ sides[variant], 6 };
	e->db_peer = (struct bw_str){ peers[variant], (uint32_t)strlen(peers[variant]) };
	e->db_stmt = (struct bw_str){ kind, (uint32_t)strlen(kind) };
	e->db_query = e->db_stmt;
	e->db_destructive = destructive;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		event_set_present(e, fields[i]);
}

uint32_t hold_rules_kinds(const struct rules *rs)
{
	uint32_t kinds = 0;
	struct bw_event e;

	if (!rs || !(rules_type_mask(rs) & (1ull << BW_EVT_DB_QUERY)))
		return 0;
	for (int i = 0; i < rules_nrules(rs); i++) {
		const struct rule *r = rules_rule(rs, i);
		uint32_t mine = 0;

		if (!rule_enabled(r) || rule_action(r) == RULE_ALERT)
			continue;
		for (int k = 0; k < SQL_KIND_MAX; k++)
			for (int v = 0; v < 3; v++)
				for (int d = 0; d < 2; d++) {
					probe_event(&e, v, (enum sql_kind)k, d);
					if (rule_matches(rs, r, &e))
						mine |= 1u << k;
				}
		/* a kill rule on statements that none of the probes satisfied: every kind */
		if (!mine && !strcmp(rule_source(r), "database"))
			mine = ~0u >> (32 - SQL_KIND_MAX);
		kinds |= mine;
	}
	/* SELECT and INSERT are never held: they start no destructive statement */
	return kinds & ~((1u << SQL_SELECT) | (1u << SQL_INSERT) | (1u << SQL_OTHER));
}

bool hold_rules_kill(const struct rules *rs, const struct bw_event *e)
{
	for (int i = 0; rs && i < rules_nrules(rs); i++) {
		const struct rule *r = rules_rule(rs, i);

		if (rule_enabled(r) && rule_action(r) != RULE_ALERT && rule_matches(rs, r, e))
			return true;
	}
	return false;
}
