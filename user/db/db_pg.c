// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * PostgreSQL protocol v3 decoder. Client to server: the startup phase
 * (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest; a TLS
 * ClientHello), then typed frontend messages, of which Query 'Q' and Parse
 * 'P' carry statement text; the rest (B E S D C H X F d c f p) are framed
 * past by length. Server to client: only the one-byte answers ('S', 'N',
 * 'G') to the encryption requests.
 */
#include <string.h>
#include "db/db_pg.h"

enum { PG_STARTUP, PG_NEGOTIATE, PG_NORMAL, PG_LOST, PG_DONE };
enum { WANT_SKIP, WANT_KEEP };

#define PG_SSL_REQUEST    80877103u
#define PG_GSSENC_REQUEST 80877104u
#define PG_CANCEL_REQUEST 80877102u
#define PG_STARTUP_MAX    10000u      /* the server's MAX_STARTUP_PACKET_LENGTH */
#define PG_MSG_MAX        0x40000000u /* the server's PQ_LARGE_MESSAGE_LIMIT (1 GiB) */
#define TLS_HANDSHAKE     0x16        /* first byte of a TLS ClientHello record */

void db_pg_init(struct db_pg *g, bool midstream)
{
	memset(g, 0, sizeof(*g));
	g->phase = midstream ? PG_LOST : PG_STARTUP;
	g->s2c_done = midstream;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Plausible frontend message header (type, length including itself). */
static bool plausible(uint8_t t, uint32_t len)
{
	if (len < 4 || len > PG_MSG_MAX)
		return false;
	switch (t) {
	case 'S': case 'H': case 'c': case 'X':
		return len == 4;
	case 'Q': case 'p': case 'f':
		return len >= 5;
	case 'P':
		return len >= 8;  /* name NUL, query NUL, int16 */
	case 'B':
		return len >= 12; /* portal NUL, stmt NUL, 3 x int16 */
	case 'E':
		return len >= 9;  /* portal NUL, int32 */
	case 'D': case 'C':
		return len >= 6;  /* 'S'/'P', name NUL */
	case 'F':
		return len >= 14;
	case 'd':
		return true;
	default:
		return false;
	}
}

static void go_opaque(struct db_pg *g, struct db_core *k, uint32_t flags)
{
	struct db_msg m = { .kind = DBM_TLS, .flags = flags, .off = g->msg_off };

	g->phase = PG_DONE;
	k->opaque = true;
	db_emit(k, &m);
}

static void reset_msg(struct db_pg *g, struct db_core *k)
{
	g->in_msg = false;
	g->hdr_have = 0;
	g->wire = 0;
	g->want = WANT_SKIP;
	db_acc_reset(k);
}

static void lose_sync(struct db_pg *g, struct db_core *k, uint64_t off, uint64_t lost)
{
	reset_msg(g, k);
	g->phase = PG_LOST;
	db_desync(k, off, lost);
}

static void startup(struct db_pg *g, struct db_core *k, const uint8_t *p, size_t n)
{
	struct db_msg m = { .kind = DBM_CONNECT, .off = g->msg_off,
			    .flags = g->refused ? DBM_F_SSL_REFUSED : 0 };
	const uint8_t *db = NULL;
	size_t i = 0, dn = 0;
	bool user = false;

	while (i < n && p[i]) {
		const uint8_t *key = p + i, *z = memchr(p + i, 0, n - i), *val, *ve;

		if (!z)
			break;
		val = z + 1;
		ve = val < p + n ? memchr(val, 0, p + n - val) : NULL;
		if (!ve)
			ve = p + n;
		if (z - key == 4 && !memcmp(key, "user", 4)) {
			db_set_name(k->user, val, ve - val);
			user = true;
		} else if (z - key == 8 && !memcmp(key, "database", 8)) {
			db = val;
			dn = ve - val;
		}
		i = ve - p + 1;
	}
	if (db && dn)
		db_set_name(k->db, db, dn);
	else if (user)
		memcpy(k->db, k->user, sizeof(k->db)); /* the server's default */
	k->midstream = false;
	g->phase = PG_NORMAL;
	g->s2c_done = true;
	db_emit(k, &m);
}

static void query(struct db_pg *g, struct db_core *k, const uint8_t *p, size_t n,
		  uint64_t wire, bool trunc)
{
	static const uint8_t none[1];
	struct db_msg m = { .kind = DBM_QUERY, .off = g->msg_off,
			    .flags = g->type == 'P' ? DBM_F_PREPARED : 0 };
	const uint8_t *z;
	size_t at = 0;

	if (!n)
		p = none; /* the whole body fell in a hole */
	if (g->type == 'P') {
		/* statement name, then the text */
		z = memchr(p, 0, n);
		if (!z && !trunc) {
			k->st.malformed++;
			return;
		}
		at = z ? (size_t)(z - p) + 1 : n;
	}
	z = at < n ? memchr(p + at, 0, n - at) : NULL;
	trunc = !z; /* the NUL that ends the text was kept, or not */
	m.query = (const char *)p + at;
	m.query_len = (z ? (size_t)(z - p) : n) - at;
	m.wire_len = z ? m.query_len : wire - at;
	if (m.query_len > DB_QUERY_MAX) {
		m.query_len = DB_QUERY_MAX;
		trunc = true;
	}
	if (!m.query_len && !trunc)
		return; /* an empty query */
	m.flags |= (trunc ? DBM_F_TRUNC : 0) | (k->midstream ? DBM_F_MIDSTREAM : 0);
	k->st.queries++;
	if (trunc)
		k->st.truncated++;
	db_emit(k, &m);
}

/* A whole message body. */
static void message(struct db_pg *g, struct db_core *k, const uint8_t *p, size_t n,
		    uint64_t wire, bool trunc)
{
	k->st.msgs++;
	if (g->type) {
		if (g->type == 'Q' || g->type == 'P')
			query(g, k, p, n, wire, trunc);
		return;
	}
	switch (g->code) {
	case PG_SSL_REQUEST:
	case PG_GSSENC_REQUEST:
		g->neg[g->nneg++] = g->code == PG_SSL_REQUEST ? 'S' : 'G';
		g->phase = PG_NEGOTIATE;
		break;
	case PG_CANCEL_REQUEST: {
		struct db_msg m = { .kind = DBM_CANCEL, .off = g->msg_off };

		if (n >= 4)
			m.cancel_pid = be32(p);
		g->phase = PG_DONE;
		g->s2c_done = true;
		db_emit(k, &m);
		break;
	}
	default:
		startup(g, k, p, n);
	}
}

/* A header is complete: start a message; false when sync was lost. */
static bool msg_start(struct db_pg *g, struct db_core *k, uint64_t off)
{
	uint32_t len;

	g->msg_off = off;
	g->wire = 0;
	db_acc_reset(k);
	if (g->phase == PG_STARTUP) {
		len = be32(g->hdr);
		g->code = be32(g->hdr + 4);
		g->type = 0;
		if (len < 8 || len > PG_STARTUP_MAX ||
		    ((g->code == PG_SSL_REQUEST || g->code == PG_GSSENC_REQUEST) &&
		     (len != 8 || g->nneg >= DB_PG_NEG_MAX)) ||
		    (g->code == PG_CANCEL_REQUEST && len != 16) ||
		    (g->code >> 16 != 3 && g->code != PG_SSL_REQUEST &&
		     g->code != PG_GSSENC_REQUEST && g->code != PG_CANCEL_REQUEST)) {
			/* after an unanswered GSSENCRequest this is its first token */
			if (g->nneg && g->neg[g->nneg - 1] == 'G' && !g->answer[g->nneg - 1]) {
				go_opaque(g, k, DBM_F_GSS);
				return false;
			}
			k->st.malformed++;
			lose_sync(g, k, off, 0);
			return false;
		}
		g->left = len - 8;
		g->want = WANT_KEEP;
	} else {
		g->type = g->hdr[0];
		len = be32(g->hdr + 1);
		if (!plausible(g->type, len)) {
			lose_sync(g, k, off, 0);
			return false;
		}
		g->left = len - 4;
		/* never keep 'p': it carries passwords */
		g->want = g->type == 'Q' || g->type == 'P' ? WANT_KEEP : WANT_SKIP;
	}
	g->in_msg = true;
	return true;
}

static void msg_end(struct db_pg *g, struct db_core *k)
{
	g->in_msg = false;
	if (g->want == WANT_KEEP)
		message(g, k, (const uint8_t *)k->acc.p, k->acc.len, g->wire, k->acc.trunc);
	else
		k->st.msgs++;
	db_acc_reset(k);
}

/* Does a chain of frontend messages start at p and end exactly at total? */
static bool chain_ok(const uint8_t *p, size_t n, uint64_t total)
{
	uint64_t pos = 0;

	for (int msgs = 0; pos < total; msgs++) {
		uint32_t len;

		if (msgs > 256 || n < 5 || pos > n - 5)
			return false;
		len = be32(p + pos + 1);
		if (!plausible(p[pos], len))
			return false;
		if (p[pos] == 'Q' && pos + len < n && p[pos + len] != 0)
			return false; /* a Query body ends with its NUL */
		if ((p[pos] == 'D' || p[pos] == 'C') && pos + 5 < n &&
		    p[pos + 5] != 'S' && p[pos + 5] != 'P')
			return false;
		pos += 1 + (uint64_t)len;
	}
	return pos == total;
}


/* After an encryption request: what the answer says, once known. */
static void negotiate(struct db_pg *g, struct db_core *k, const uint8_t *p, size_t len)
{
	uint8_t i = g->nneg - 1, a = g->answer[i];

	if (a == 'S' || (!a && len && p[0] == TLS_HANDSHAKE && g->neg[i] == 'S')) {
		go_opaque(g, k, 0);
	} else if (a == 'G') {
		go_opaque(g, k, DBM_F_GSS);
	} else if (a || len) {
		/* 'N' (or an error): the client carries on in the clear */
		g->refused = a != 0;
		g->phase = PG_STARTUP;
	}
}

static void feed_s2c(struct db_pg *g, struct db_core *k, const uint8_t *p, size_t len)
{
	while (len && g->s2c_have < DB_PG_NEG_MAX) {
		g->answer[g->s2c_have++] = *p++;
		len--;
	}
	/* the answer came after the request: act on it now (off stays the request's) */
	if (g->phase == PG_NEGOTIATE && g->answer[g->nneg - 1])
		negotiate(g, k, NULL, 0);
	if (g->s2c_have == DB_PG_NEG_MAX || (g->answer[0] && g->answer[0] != 'N'))
		g->s2c_done = true;
}

void db_pg_feed(struct db_pg *g, struct db_core *k, enum db_dir d, uint64_t off,
		const uint8_t *p, size_t len, bool aligned, uint64_t total)
{
	(void)aligned;
	if (d == DB_S2C) {
		if (!g->s2c_done)
			feed_s2c(g, k, p, len);
		return;
	}
	while (len && !k->opaque) {
		size_t take, hl;

		if (g->phase == PG_DONE)
			return;
		if (g->phase == PG_LOST) {
			size_t at = db_resync(k, p, len, total, chain_ok);

			k->st.unsynced_bytes += at;
			if (at == len)
				return;
			g->phase = PG_NORMAL;
			reset_msg(g, k);
			p += at, len -= at, off += at, total -= at;
		}
		if (g->phase == PG_NEGOTIATE) {
			g->msg_off = off;
			negotiate(g, k, p, len);
			continue;
		}
		if (!g->in_msg) {
			if (g->phase == PG_STARTUP && !g->hdr_have && p[0] == TLS_HANDSHAKE) {
				/* direct TLS (PostgreSQL 17 sslnegotiation=direct) */
				g->msg_off = off;
				go_opaque(g, k, 0);
				break;
			}
			hl = g->phase == PG_STARTUP ? 8 : 5;
			take = hl - g->hdr_have < len ? hl - g->hdr_have : len;
			memcpy(g->hdr + g->hdr_have, p, take);
			g->hdr_have += take;
			p += take, len -= take, off += take, total -= take;
			if (g->hdr_have < hl)
				return;
			g->hdr_have = 0;
			if (!msg_start(g, k, off - hl))
				continue;
			/* the common case: the whole body is in this chunk */
			if (g->left <= len) {
				uint32_t n = g->left;

				g->in_msg = false;
				if (g->want == WANT_KEEP)
					message(g, k, p, n, n, false);
				else
					k->st.msgs++;
				p += n, len -= n, off += n, total -= n;
				continue;
			}
		}
		take = g->left < len ? g->left : len;
		if (g->want == WANT_KEEP)
			db_acc_put(k, p, take, g->type ? DB_QUERY_MAX + 256 : PG_STARTUP_MAX);
		g->left -= take;
		g->wire += take;
		p += take, len -= take, off += take, total -= take;
		if (!g->left)
			msg_end(g, k);
	}
	if (k->opaque)
		k->st.opaque_bytes += len;
}

void db_pg_gap(struct db_pg *g, struct db_core *k, enum db_dir d, uint64_t off, uint64_t n)
{
	if (d == DB_S2C) {
		g->s2c_done = true;
		return;
	}
	if (k->opaque || g->phase == PG_DONE)
		return;
	if (g->phase == PG_LOST) {
		k->st.unsynced_bytes += n;
		return;
	}
	if (g->in_msg && n <= g->left) {
		/* the hole is inside one body: skip it by length */
		if (g->want == WANT_KEEP)
			k->acc.trunc = k->acc.frozen = true;
		g->left -= n;
		g->wire += n;
		if (!g->left)
			msg_end(g, k);
		return;
	}
	if (g->in_msg && g->want == WANT_KEEP) {
		/* the message ends inside the hole: report what we have */
		uint64_t rest = g->left;

		k->acc.trunc = true;
		g->wire += rest;
		g->left = 0;
		msg_end(g, k);
		if (!k->opaque && g->phase != PG_DONE)
			lose_sync(g, k, off + rest, n - rest);
		return;
	}
	lose_sync(g, k, off, n);
}

bool db_pg_wants(const struct db_pg *g, const struct db_core *k, enum db_dir d)
{
	if (k->opaque || g->phase == PG_DONE)
		return false;
	return d == DB_C2S || !g->s2c_done;
}

bool db_pg_synced(const struct db_pg *g, const struct db_core *k)
{
	return !k->opaque && g->phase != PG_LOST && g->phase != PG_DONE;
}
