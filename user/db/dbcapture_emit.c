// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database capture: decoded messages become events (process fields, db.peer, db.side); TLS verdicts. */
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "bulwark_plain_read.h"
#include "db/dbcapture_int.h"
#include "core/decode.h"

static void set_str(struct bw_event *e, enum bw_field f, struct bw_str *dst, const char *s,
		    size_t n)
{
	*dst = (struct bw_str){ s, (uint32_t)n };
	event_set_present(e, f);
}

/*
 * Sends e: time of the current record, process fields of w (the client
 * process when one is known, else the server thread), db.peer and db.side
 * of c, then the process table's exe/cmdline and user names.
 */
static void emit_event(struct dbcapture *db, struct dbc_conn *c, const struct dbc_ident *w,
		       struct bw_event *e)
{
	static const enum bw_field hdr_fields[] = {
		FLD_EVT_TIME, FLD_EVT_FLAGS, FLD_PROC_PID, FLD_PROC_TID, FLD_PROC_PPID, FLD_PROC_NAME,
		FLD_PROC_CGROUP, FLD_USER_UID, FLD_USER_LOGINUID, FLD_SESSION_ID,
	};

	e->time_ns = db->rec->hdr.ts_ns + (uint64_t)db->dec->boot_to_epoch_ns;
	e->pid = w->pid;
	e->tid = w->tid;
	e->ppid = w->ppid;
	e->name = (struct bw_str){ w->comm, (uint32_t)strlen(w->comm) };
	e->cgroup = w->cgroup;
	e->uid = w->uid;
	e->loginuid = w->loginuid;
	e->sessionid = w->sessionid;
	e->db_conn_id = c->id;
	e->db_denied = db->rec && db->rec->kind == BW_SOCK_DENIED;
	for (size_t i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++)
		event_set_present(e, hdr_fields[i]);
	if (!e->type_name.p) {
		e->type_name.p = event_type_name(e->type);
		e->type_name.len = (uint32_t)strlen(e->type_name.p);
	}
	event_set_present(e, FLD_EVT_TYPE);
	if (c->peer_len)
		set_str(e, FLD_DB_PEER, &e->db_peer, c->peer_str, c->peer_len);
	if (c->side == BW_SIDE_CLIENT)
		set_str(e, FLD_DB_SIDE, &e->db_side, "client", 6);
	else
		set_str(e, FLD_DB_SIDE, &e->db_side, "server", 6);
	decode_attribute(db->dec, e, w->pid);
	db->c.events++;
	if (e->type == BW_EVT_DB_TLS)
		db->c.tls++;
	if (e->type == BW_EVT_DB_CONNECT)
		c->connect_emitted = true;
	db->emit(db->ctx, e);
}

/* Turns m into an event of c (dbconn_event) and sends it. */
void dbc_emit_msg(struct dbcapture *db, struct dbc_conn *c, const struct dbc_ident *w,
		     const struct db_msg *m)
{
	struct bw_event *e = &db->ev;

	/* the kernel's plain-read filter, for statements decoded from streams */
	if (m->kind == DBM_QUERY && !db->o.all_statements && w->sessionid == BW_NO_SESSION &&
	    !(m->flags & (DBM_F_TRUNC | DBM_F_PREPARED | DBM_F_MALFORMED)) &&
	    bw_plain_select(m->query, (__u32)m->query_len)) {
		db->c.reads++;
		return;
	}
	event_reset(e);
	db->sr.flags = 0;
	if (dbconn_event(c->dc, m, &db->sr, e))
		return;
	emit_event(db, c, w, e);
}

/* The client-side connection joined to server-side c, if any. */
struct dbc_conn *dbc_client_of(struct dbcapture *db, struct dbc_conn *c)
{
	struct dbc_conn *o = c->peer ? dbc_conn_find(db, c->peer) : NULL;

	return o && o->side == BW_SIDE_CLIENT ? o : NULL;
}

/*
 * A local client whose own stream is being decoded reports its statements
 * with its process attached: the server side then stays quiet, so each
 * statement is one event. TLS, compression or lost framing on the client
 * side hand the reporting to the server side.
 */
bool dbc_client_reports(struct dbcapture *db, struct dbc_conn *srv)
{
	struct dbc_conn *cli = dbc_client_of(db, srv);

	return cli && !cli->tls && dbconn_wants(cli->dc, DB_C2S);
}

/* Who a server-side event is about: the joined client process, else the server thread. */
const struct dbc_ident *dbc_server_who(struct dbcapture *db, struct dbc_conn *srv,
					  struct dbc_ident *thread)
{
	struct dbc_conn *cli = dbc_client_of(db, srv);

	return cli && cli->who.pid ? &cli->who : thread;
}

/* Refreshes the cached local addresses (TCP endpoints on this host). */
static void local_addrs(struct dbcapture *db)
{
	struct ifaddrs *ifa, *i;
	uint64_t now = clock_monotonic_ns();
	int n = 0;

	if (db->ifaddrs && now - db->ifaddrs_ns < IFADDR_TTL_NS)
		return;
	db->ifaddrs_ns = now;
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next)
		n += i->ifa_addr && (i->ifa_addr->sa_family == AF_INET ||
				     i->ifa_addr->sa_family == AF_INET6);
	free(db->ifaddrs);
	db->ifaddrs = calloc((size_t)n + 1, 16);
	db->nifaddrs = 0;
	for (i = ifa; i && db->ifaddrs; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			dbc_addr16(db->ifaddrs[db->nifaddrs++], AF_INET,
			       (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			dbc_addr16(db->ifaddrs[db->nifaddrs++], AF_INET6,
			       (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
}

/* The server end of client connection c is on this host. */
static bool server_is_local(struct dbcapture *db, struct dbc_conn *c)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	if (c->family == AF_UNIX)
		return true;
	if ((dbc_is_v4mapped(c->saddr) && c->saddr[12] == 127) || !memcmp(c->saddr, lo6, 16))
		return true;
	local_addrs(db);
	for (int i = 0; i < db->nifaddrs; i++)
		if (!memcmp(db->ifaddrs[i], c->saddr, 16))
			return true;
	return false;
}

/*
 * A client connection went encrypted. When its server is on this host,
 * probed and watched, the server side will report its statements: wait a
 * little for the two sides to be joined. Otherwise say at once that the
 * statements cannot be inspected.
 */
static void conn_tls(struct dbcapture *db, struct dbc_conn *c, const struct db_msg *m)
{
	bool can = db->pr.server_view[c->system] && db->o.server &&
		   (c->side == BW_SIDE_SERVER || c->peer || server_is_local(db, c));

	c->tls = true;
	if (can || c->server_view) {
		c->tls_pending = true;
		c->tls_due_ns = clock_monotonic_ns() + TLS_VERDICT_NS;
		c->tls_ts = db->rec->hdr.ts_ns;
		if (c->server_view)
			dbc_tls_verdict(db, c);
		return;
	}
	dbc_emit_msg(db, c, c->side == BW_SIDE_CLIENT ? &c->who : dbc_server_who(db, c, &c->who), m);
}

/* Decides a pending TLS connection: covered by the server side, or db_tls. */
void dbc_tls_verdict(struct dbcapture *db, struct dbc_conn *c)
{
	struct db_msg m = { .kind = DBM_TLS, .user = c->user, .db = c->db };
	const struct bw_sock_event *saved = db->rec;
	struct bw_sock_event hdr_only;

	c->tls_pending = false;
	if (c->server_view) {
		db->c.tls_covered++;
		return;
	}
	/* the event keeps the time of the switch to TLS */
	memset(&hdr_only, 0, offsetof(struct bw_sock_event, data));
	hdr_only.hdr.ts_ns = c->tls_ts;
	db->rec = &hdr_only;
	dbc_emit_msg(db, c, c->side == BW_SIDE_CLIENT ? &c->who : dbc_server_who(db, c, &c->who), &m);
	db->rec = saved;
}

/* Messages decoded from a captured stream (either side). */
void dbc_on_msg(void *ctx, const struct db_msg *m)
{
	struct dbcapture *db = ctx;
	struct dbc_conn *c = db->cur;

	if (!c || db->filling)
		return;
	if (m->kind == DBM_CONNECT) {
		if (m->user && m->user[0])
			snprintf(c->user, sizeof(c->user), "%s", m->user);
		if (m->db && m->db[0])
			snprintf(c->db, sizeof(c->db), "%s", m->db);
	} else if (m->kind == DBM_INIT_DB && m->db && m->db[0]) {
		snprintf(c->db, sizeof(c->db), "%s", m->db);
	}
	if (c->side == BW_SIDE_CLIENT) {
		if (m->kind == DBM_TLS) {
			conn_tls(db, c, m);
			return;
		}
		dbc_emit_msg(db, c, &c->who, m);
		if (m->kind == DBM_QUERY || m->kind == DBM_INIT_DB)
			c->stmts_reported = true;
		if (m->kind == DBM_QUERY && (db->sr.flags & SQL_R_USE))
			snprintf(c->db, sizeof(c->db), "%s", db->sr.use_db);
		return;
	}
	/*
	 * Server side: a plaintext stream (or a TLS connection's decrypted
	 * one) is decoded here when no local client reports it: clients on
	 * other hosts, TLS clients.
	 */
	if (m->kind == DBM_TLS) {
		if (dbc_client_of(db, c)) {
			c->tls = true;
			return;  /* the client side gives the TLS verdict */
		}
		conn_tls(db, c, m);
		return;
	}
	if (dbc_client_reports(db, c)) {
		if (m->kind == DBM_QUERY)
			db->c.server_dups++;
		return;
	}
	dbc_emit_msg(db, c, dbc_server_who(db, c, &c->who), m);
}

