// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database capture: the table of connections, by kernel conn_id and by TCP pair, with its LRU order. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "db/dbcapture_int.h"

static uint32_t hash64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

static uint32_t tuple_hash(const struct dbc_conn *c)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ c->caddr[i] ^ ((uint64_t)c->saddr[i] << 8)) * 1099511628211ull;
	h ^= ((uint64_t)c->cport << 16) | c->sport;
	return hash64(h);
}

static bool same_tuple(const struct dbc_conn *a, const struct dbc_conn *b)
{
	return a->cport == b->cport && a->sport == b->sport && !memcmp(a->caddr, b->caddr, 16) &&
	       !memcmp(a->saddr, b->saddr, 16);
}

struct dbc_conn *dbc_conn_find(struct dbcapture *db, uint64_t id)
{
	struct dbc_conn *c = db->ids[hash64(id) & (db->nbuckets - 1)];

	while (c && c->id != id)
		c = c->hnext;
	return c;
}

static void lru_unlink(struct dbcapture *db, struct dbc_conn *c)
{
	if (!c->lprev && db->lru_head != c)
		return;  /* not in the list (a new connection) */
	if (c->lprev)
		c->lprev->lnext = c->lnext;
	else
		db->lru_head = c->lnext;
	if (c->lnext)
		c->lnext->lprev = c->lprev;
	else
		db->lru_tail = c->lprev;
	c->lprev = c->lnext = NULL;
}

void dbc_lru_touch(struct dbcapture *db, struct dbc_conn *c)
{
	if (db->lru_head == c)
		return;
	lru_unlink(db, c);
	c->lnext = db->lru_head;
	if (db->lru_head)
		db->lru_head->lprev = c;
	db->lru_head = c;
	if (!db->lru_tail)
		db->lru_tail = c;
}

void dbc_stats_add(struct dbconn_stats *a, const struct dbconn_stats *b)
{
	const uint64_t *s = (const uint64_t *)b;
	uint64_t *d = (uint64_t *)a;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

/* Takes c out of the table, keeps its decoders' counters, frees it. */
void dbc_conn_forget(struct dbcapture *db, struct dbc_conn *c)
{
	struct dbc_conn **pp;
	struct dbconn_stats st;

	for (pp = &db->ids[hash64(c->id) & (db->nbuckets - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	if (c->has_tuple)
		for (pp = &db->tuples[tuple_hash(c) & (db->nbuckets - 1)]; *pp; pp = &(*pp)->tnext)
			if (*pp == c) {
				*pp = c->tnext;
				break;
			}
	lru_unlink(db, c);
	if (c->dc) {
		dbconn_stats(c->dc, &st);
		dbc_stats_add(&db->closed_st, &st);
		dbconn_free(c->dc);
	}
	if (c->dc_tls) {
		dbconn_stats(c->dc_tls, &st);
		dbc_stats_add(&db->closed_st, &st);
		dbconn_free(c->dc_tls);
	}
	db->nconns--;
	free(c);
}

void dbc_ident_from_hdr(struct dbc_ident *w, const struct bw_event_hdr *h)
{
	w->pid = h->pid;
	w->tid = h->tid;
	w->ppid = h->ppid;
	w->uid = h->uid;
	w->loginuid = h->loginuid;
	w->sessionid = h->sessionid;
	w->cgroup = h->cgroup_id;
	memcpy(w->comm, h->comm, BW_COMM_LEN);
	w->comm[BW_COMM_LEN] = 0;
}

void dbc_addr16(uint8_t out[16], uint8_t family, const uint8_t *a)
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
	} else {
		memcpy(out, a, 16);
	}
}

bool dbc_is_v4mapped(const uint8_t a[16])
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, 12);
}

static int fmt_addr(char *buf, size_t n, const uint8_t a[16], uint16_t port)
{
	char s[INET6_ADDRSTRLEN];

	if (dbc_is_v4mapped(a)) {
		inet_ntop(AF_INET, a + 12, s, sizeof(s));
		return snprintf(buf, n, "%s:%u", s, port);
	}
	inet_ntop(AF_INET6, a, s, sizeof(s));
	return snprintf(buf, n, "[%s]:%u", s, port);
}

void dbc_conn_join(struct dbc_conn *srv, struct dbc_conn *cli)
{
	srv->peer = cli->id;
	cli->peer = srv->id;
}

void dbc_conn_endpoints(struct dbcapture *db, struct dbc_conn *c, const struct bw_sock_event *r)
{
	uint32_t b;
	struct dbc_conn *o;
	int n;

	if (c->peer_len || !r->family)
		return;
	c->family = r->family;
	if (r->family == AF_UNIX) {
		if (!r->data_len || r->kind == BW_SOCK_QUERY || r->kind == BW_SOCK_LOGIN)
			return;
		n = snprintf(c->peer_str, sizeof(c->peer_str), "unix:%.*s",
			     (int)(r->data_len < BW_UNIX_PATH_MAX ? r->data_len : BW_UNIX_PATH_MAX),
			     r->data);
		c->peer_len = (uint32_t)(n < (int)sizeof(c->peer_str) ? n : (int)sizeof(c->peer_str) - 1);
		return;
	}
	if (r->family != AF_INET && r->family != AF_INET6)
		return;
	/* the client end is local on the client side, remote on the server side */
	if (c->side == BW_SIDE_CLIENT) {
		dbc_addr16(c->caddr, r->family, r->laddr);
		dbc_addr16(c->saddr, r->family, r->raddr);
		c->cport = r->lport;
		c->sport = r->rport;
	} else {
		dbc_addr16(c->caddr, r->family, r->raddr);
		dbc_addr16(c->saddr, r->family, r->laddr);
		c->cport = r->rport;
		c->sport = r->lport;
	}
	n = fmt_addr(c->peer_str, sizeof(c->peer_str), c->caddr, c->cport);
	c->peer_len = (uint32_t)(n < (int)sizeof(c->peer_str) ? n : (int)sizeof(c->peer_str) - 1);
	/* loopback TCP: the other side's record may have come first */
	b = tuple_hash(c) & (db->nbuckets - 1);
	for (o = db->tuples[b]; o; o = o->tnext)
		if (o->side != c->side && !o->peer && same_tuple(o, c)) {
			if (c->side == BW_SIDE_SERVER)
				dbc_conn_join(c, o);
			else
				dbc_conn_join(o, c);
			break;
		}
	c->tnext = db->tuples[b];
	db->tuples[b] = c;
	c->has_tuple = true;
}

struct dbc_conn *dbc_conn_new(struct dbcapture *db, uint64_t id, uint8_t system, uint8_t side,
			      bool midstream)
{
	struct dbc_conn *c = calloc(1, sizeof(*c));
	uint32_t b;

	if (c)
		c->dc = dbconn_new((enum db_proto)system, midstream ? DBCONN_MIDSTREAM : 0);
	if (!c || !c->dc) {
		free(c);
		db->c.nomem++;
		return NULL;
	}
	c->id = id;
	c->system = system;
	c->side = side;
	b = hash64(id) & (db->nbuckets - 1);
	c->hnext = db->ids[b];
	db->ids[b] = c;
	db->nconns++;
	db->c.conns++;
	if (midstream)
		db->c.midstream++;
	dbc_lru_touch(db, c);
	return c;
}

