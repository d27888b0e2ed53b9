// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * MySQL/MariaDB client/server protocol decoder. Client to server: packet
 * framing (3-byte length + sequence id, 0xffffff continuations), the
 * handshake response (user, schema, capabilities) or SSLRequest, and the
 * commands that carry a statement or change the session: COM_QUERY (with
 * the query-attributes prefix when negotiated), COM_INIT_DB,
 * COM_STMT_PREPARE, COM_CHANGE_USER. Every other packet is framed past by
 * its length. Server to client: the greeting's capabilities only.
 */
#include <string.h>
#include "db/db_mysql.h"

enum { MY_HANDSHAKE, MY_COMMAND, MY_LOST, MY_DONE };
enum { WANT_UNDECIDED, WANT_KEEP, WANT_SKIP };

#define MY_PKT_MAX 0xffffffu

/* Capability flags (mysql_com.h) */
#define CLIENT_CONNECT_WITH_DB   (1u << 3)
#define CLIENT_COMPRESS          (1u << 5)
#define CLIENT_PROTOCOL_41       (1u << 9)
#define CLIENT_SSL               (1u << 11)
#define CLIENT_SECURE_CONNECTION (1u << 15)
#define CLIENT_PLUGIN_AUTH_LENENC (1u << 21)
#define CLIENT_ZSTD_COMPRESSION  (1u << 26)
#define CLIENT_QUERY_ATTRIBUTES  (1u << 27)

/* Commands (enum_server_command) */
#define COM_QUIT          0x01
#define COM_INIT_DB       0x02
#define COM_QUERY         0x03
#define COM_FIELD_LIST    0x04
#define COM_PING          0x0e
#define COM_CHANGE_USER   0x11
#define COM_STMT_PREPARE  0x16
#define COM_STMT_EXECUTE  0x17
#define COM_STMT_CLOSE    0x19
#define COM_STMT_RESET    0x1a

/* The handshake response is kept up to here: names sit early, attributes follow. */
#define MY_HANDSHAKE_KEEP 4096

static bool valid_cmd(uint8_t c)
{
	/* 0x01..0x20 (COM_CLONE); MariaDB COM_STMT_BULK_EXECUTE 0xfa, COM_MULTI 0xfe */
	return (c >= 0x01 && c <= 0x20) || c == 0xfa || c == 0xfe;
}

/* Plausible payload length for a command, for resynchronisation. */
static bool plausible_cmd(uint8_t c, uint32_t len)
{
	switch (c) {
	case COM_QUIT: case COM_PING:
		return len == 1;
	case COM_STMT_CLOSE: case COM_STMT_RESET:
		return len == 5;
	case COM_STMT_EXECUTE:
		return len >= 10;
	case COM_INIT_DB: case COM_STMT_PREPARE: case COM_FIELD_LIST:
		return len >= 2;
	default:
		return len >= 1;
	}
}

void db_mysql_init(struct db_mysql *m, bool midstream)
{
	memset(m, 0, sizeof(*m));
	m->phase = midstream ? MY_LOST : MY_HANDSHAKE;
	m->s2c_done = midstream;
}

static uint32_t le24(const uint8_t *p)
{
	return p[0] | p[1] << 8 | (uint32_t)p[2] << 16;
}

static uint32_t le32(const uint8_t *p)
{
	return le24(p) | (uint32_t)p[3] << 24;
}

/* A length-encoded integer at p[*i] (bounded by n); false if cut or NULL. */
static bool lenenc(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
	uint8_t b;
	size_t w;

	if (*i >= n)
		return false;
	b = p[(*i)++];
	if (b < 0xfb) {
		*v = b;
		return true;
	}
	w = b == 0xfc ? 2 : b == 0xfd ? 3 : b == 0xfe ? 8 : 0;
	if (!w || n - *i < w)
		return false;
	*v = 0;
	for (size_t k = 0; k < w; k++)
		*v |= (uint64_t)p[*i + k] << (8 * k);
	*i += w;
	return true;
}

/* A NUL-terminated string at p[*i]; its length, *i moved past the NUL. */
static size_t cstr(const uint8_t *p, size_t n, size_t *i)
{
	size_t s = *i;
	const uint8_t *z = *i < n ? memchr(p + s, 0, n - s) : NULL;

	*i = z ? (size_t)(z - p) + 1 : n;
	return (z ? (size_t)(z - p) : n) - s;
}

static bool skip(size_t n, size_t *i, uint64_t w)
{
	if (w > n - *i)
		return false;
	*i += w;
	return true;
}

/* Bytes of one binary protocol value of type t (MYSQL_TYPE_*). */
static bool skip_value(const uint8_t *p, size_t n, size_t *i, uint8_t t)
{
	uint64_t v;

	switch (t) {
	case 6: /* NULL */
		return true;
	case 1: /* TINY */
		return skip(n, i, 1);
	case 2: case 13: /* SHORT, YEAR */
		return skip(n, i, 2);
	case 3: case 4: case 9: /* LONG, FLOAT, INT24 */
		return skip(n, i, 4);
	case 5: case 8: /* DOUBLE, LONGLONG */
		return skip(n, i, 8);
	case 7: case 10: case 11: case 12: /* TIMESTAMP, DATE, TIME, DATETIME: length byte */
		if (*i >= n)
			return false;
		v = p[(*i)++];
		return skip(n, i, v);
	default: /* strings, blobs, decimals, JSON: length-encoded */
		return lenenc(p, n, i, &v) && skip(n, i, v);
	}
}

/*
 * CLIENT_QUERY_ATTRIBUTES prefix of COM_QUERY (p after the command byte):
 * parameter_count, parameter_set_count, then when count > 0 a NULL bitmap,
 * new_params_bind_flag, types and names, and the values. Returns the
 * offset of the text, or -1 when it does not parse in the bytes kept.
 */
static long query_attrs(const uint8_t *p, size_t n)
{
	uint64_t count, sets, v;
	size_t i = 0, bitmap, types;

	if (!lenenc(p, n, &i, &count) || !lenenc(p, n, &i, &sets))
		return -1;
	if (!count)
		return i;
	if (count > 65535)
		return -1;
	bitmap = i;
	if (!skip(n, &i, (count + 7) / 8) || i >= n || p[i++] != 1)
		return -1; /* without bind flag 1 the types are unknown */
	types = i;
	for (uint64_t k = 0; k < count; k++)
		if (!skip(n, &i, 2) || !lenenc(p, n, &i, &v) || !skip(n, &i, v))
			return -1;
	for (uint64_t k = 0, t = types; k < count; k++) {
		uint8_t type = p[t];

		if (!(p[bitmap + k / 8] & (1u << (k % 8))) && !skip_value(p, n, &i, type))
			return -1;
		t += 2;
		if (!lenenc(p, n, &t, &v) || !skip(n, &t, v))
			return -1;
	}
	return i;
}

static bool attrs_negotiated(const struct db_mysql *m, const uint8_t *p, size_t n)
{
	if (m->caps_known)
		return (m->caps & CLIENT_QUERY_ATTRIBUTES) &&
		       (!m->server_seen || (m->server_caps & CLIENT_QUERY_ATTRIBUTES));
	/*
	 * Joined mid-stream: capabilities unknown. Statement text never starts
	 * with a control byte followed by 0x01, while the prefix starts with
	 * parameter_count (small) then parameter_set_count, which is always 1.
	 */
	return n >= 2 && p[0] < 0x20 && p[1] == 0x01;
}

static void emit_query(struct db_core *k, const struct db_mysql *m, const uint8_t *p,
		       size_t n, uint64_t wire, bool trunc, uint32_t flags)
{
	struct db_msg msg = { .kind = DBM_QUERY, .off = m->msg_off };

	if (m->cmd == COM_QUERY && attrs_negotiated(m, p, n)) {
		long at = query_attrs(p, n);

		if (at < 0) {
			/* cut or malformed: give the raw bytes rather than nothing */
			flags |= DBM_F_MALFORMED;
			k->st.malformed++;
		} else {
			p += at;
			n -= at;
			wire -= at;
		}
	}
	if (n > DB_QUERY_MAX)
		n = DB_QUERY_MAX;
	msg.flags = flags | (trunc || wire > n ? DBM_F_TRUNC : 0) |
		    (k->midstream ? DBM_F_MIDSTREAM : 0);
	msg.query = (const char *)p;
	msg.query_len = n;
	msg.wire_len = wire;
	k->st.queries++;
	if (msg.flags & DBM_F_TRUNC)
		k->st.truncated++;
	db_emit(k, &msg);
}

static void handshake(struct db_mysql *m, struct db_core *k, const uint8_t *p, size_t n)
{
	struct db_msg msg = { .kind = DBM_CONNECT, .off = m->msg_off };
	size_t i, un, dn = 0;
	const uint8_t *user, *db = NULL;
	uint64_t alen;
	uint32_t caps;

	if (n < 4)
		goto bad;
	caps = le32(p);
	if (!(caps & CLIENT_PROTOCOL_41)) {
		/* HandshakeResponse320: caps(2) max_packet(3) user NUL auth */
		caps &= 0xffff;
		if ((caps & CLIENT_SSL) && n == 5)
			goto tls;
		i = 5;
		if (n < i)
			goto bad;
	} else {
		if (n < 32)
			goto bad;
		if ((caps & CLIENT_SSL) && n == 32)
			goto tls; /* SSLRequest: the rest is a TLS handshake */
		i = 32;
	}
	m->caps = caps;
	m->caps_known = true;
	user = p + i;
	un = cstr(p, n, &i);
	if (caps & CLIENT_PROTOCOL_41) {
		if (caps & CLIENT_PLUGIN_AUTH_LENENC) {
			if (!lenenc(p, n, &i, &alen) || !skip(n, &i, alen))
				i = n;
		} else if (caps & CLIENT_SECURE_CONNECTION) {
			if (i >= n || !skip(n, &i, 1 + (uint64_t)p[i]))
				i = n;
		} else {
			cstr(p, n, &i);
		}
		if ((caps & CLIENT_CONNECT_WITH_DB) && i < n) {
			db = p + i;
			dn = cstr(p, n, &i);
		}
	}
	db_set_name(k->user, user, un);
	if (db)
		db_set_name(k->db, db, dn);
	k->midstream = false;
	msg.flags = 0;
	db_emit(k, &msg);
	if ((caps & (CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION)) &&
	    (!m->server_seen || (m->server_caps & (CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION)))) {
		/* compressed packets from here on: not decoded (see docs/database.md) */
		struct db_msg t = { .kind = DBM_TLS, .flags = DBM_F_COMPRESSED, .off = m->msg_off };

		m->phase = MY_DONE;
		k->opaque = true;
		db_emit(k, &t);
		return;
	}
	m->phase = MY_COMMAND;
	return;
tls:
	m->phase = MY_DONE;
	k->opaque = true;
	msg.kind = DBM_TLS;
	db_emit(k, &msg);
	return;
bad:
	k->st.malformed++;
	m->phase = MY_COMMAND; /* commands are framed the same way; carry on */
}

static void change_user(struct db_mysql *m, struct db_core *k, const uint8_t *p, size_t n)
{
	struct db_msg msg = { .kind = DBM_CONNECT, .flags = DBM_F_CHANGE_USER, .off = m->msg_off };
	size_t i = 0, un, dn;
	const uint8_t *user, *db;

	user = p + i;
	un = cstr(p, n, &i);
	/* auth: 1-byte length with SECURE_CONNECTION (every client since 4.1) */
	if (!m->caps_known || (m->caps & CLIENT_SECURE_CONNECTION)) {
		if (i >= n || !skip(n, &i, 1 + (uint64_t)p[i]))
			i = n;
	} else {
		cstr(p, n, &i);
	}
	db = p + i;
	dn = cstr(p, n, &i);
	db_set_name(k->user, user, un);
	db_set_name(k->db, db, dn);
	k->midstream = false;
	db_emit(k, &msg);
}

/* A whole message (payload bytes p, n of wire bytes) in the current phase. */
static void message(struct db_mysql *m, struct db_core *k, const uint8_t *p, size_t n,
		    uint64_t wire, bool trunc)
{
	k->st.msgs++;
	if (m->phase == MY_HANDSHAKE) {
		handshake(m, k, p, n);
		return;
	}
	if (!n)
		return;
	switch (p[0]) {
	case COM_QUERY:
	case COM_STMT_PREPARE:
		emit_query(k, m, p + 1, n - 1, wire - 1, trunc,
			   p[0] == COM_STMT_PREPARE ? DBM_F_PREPARED : 0);
		break;
	case COM_INIT_DB: {
		struct db_msg msg = { .kind = DBM_INIT_DB, .off = m->msg_off,
				      .flags = trunc ? DBM_F_TRUNC : 0 };

		db_set_name(k->db, p + 1, n - 1);
		db_emit(k, &msg);
		break;
	}
	case COM_CHANGE_USER:
		change_user(m, k, p + 1, n - 1);
		break;
	}
}

static void reset_msg(struct db_mysql *m, struct db_core *k)
{
	m->msg = m->in_pkt = m->more = false;
	m->want = WANT_UNDECIDED;
	m->hdr_have = 0;
	m->wire = 0;
	db_acc_reset(k);
}

static void lose_sync(struct db_mysql *m, struct db_core *k, uint64_t off, uint64_t lost)
{
	reset_msg(m, k);
	m->phase = MY_LOST;
	db_desync(k, off, lost);
}

/* Decides what to do with a message from its first payload byte. */
static bool decide(struct db_mysql *m, struct db_core *k, uint8_t first, uint64_t off)
{
	if (m->want != WANT_UNDECIDED)
		return true;
	m->cmd = first;
	if (m->phase == MY_HANDSHAKE) {
		m->want = WANT_KEEP;
		return true;
	}
	if (!valid_cmd(first)) {
		lose_sync(m, k, off, 0);
		return false;
	}
	m->want = first == COM_QUERY || first == COM_STMT_PREPARE || first == COM_INIT_DB ||
		  first == COM_CHANGE_USER ? WANT_KEEP : WANT_SKIP;
	return true;
}

static size_t keep_cap(const struct db_mysql *m)
{
	/* command byte and attribute prefix on top of the text bound */
	return m->phase == MY_HANDSHAKE ? MY_HANDSHAKE_KEEP : DB_QUERY_MAX + 1024;
}

/* A header is complete: start a packet; false when sync was lost. */
static bool packet_start(struct db_mysql *m, struct db_core *k, uint64_t off)
{
	uint32_t len = le24(m->hdr);
	uint8_t seq = m->hdr[3];

	if (m->msg) {
		/* continuation of a 0xffffff packet */
		if (seq != (uint8_t)(m->seq + 1)) {
			if (m->want == WANT_KEEP)
				k->acc.trunc = true;
			lose_sync(m, k, off, 0);
			return false;
		}
	} else {
		m->msg = true;
		m->msg_off = off;
		m->wire = 0;
		m->want = WANT_UNDECIDED;
		db_acc_reset(k);
		/* in the command phase only seq 0 starts a command; the rest
		 * answers the server (auth switch, LOAD DATA LOCAL contents) */
		if (m->phase == MY_COMMAND && seq != 0)
			m->want = WANT_SKIP;
		else if (m->phase == MY_COMMAND && len == 0) {
			lose_sync(m, k, off, 0);
			return false;
		}
	}
	m->seq = seq;
	m->left = len;
	m->more = len == MY_PKT_MAX;
	m->in_pkt = true;
	return true;
}

static void packet_end(struct db_mysql *m, struct db_core *k)
{
	m->in_pkt = false;
	if (m->more)
		return;
	if (m->want == WANT_KEEP) {
		message(m, k, (const uint8_t *)k->acc.p, k->acc.len, m->wire, k->acc.trunc);
	} else {
		k->st.msgs++;
		if (m->phase == MY_HANDSHAKE)
			m->phase = MY_COMMAND; /* the response fell in a hole: carry on without it */
	}
	m->msg = false;
	m->want = WANT_UNDECIDED;
	db_acc_reset(k);
}

/* Does a chain of commands start at p and end exactly at total? */
static bool chain_ok(const uint8_t *p, size_t n, uint64_t total)
{
	uint64_t pos = 0;
	bool cont = false;
	uint8_t want_seq = 0;

	for (int msgs = 0; pos < total; msgs++) {
		uint32_t len;

		if (msgs > 64 || n < 5 || pos > n - 5)
			return false;
		len = le24(p + pos);
		if (cont) {
			if (p[pos + 3] != want_seq)
				return false;
		} else if (p[pos + 3] != 0 || !valid_cmd(p[pos + 4]) || !plausible_cmd(p[pos + 4], len)) {
			return false;
		}
		cont = len == MY_PKT_MAX;
		want_seq = p[pos + 3] + 1;
		pos += 4 + (uint64_t)len;
	}
	return pos == total && !cont;
}


static void s2c_greeting(struct db_mysql *m, const uint8_t *p, size_t n)
{
	size_t i = 1;

	m->s2c_done = true;
	if (n < 1 || p[0] != 10)
		return; /* an error packet, or protocol 9 */
	cstr(p, n, &i);               /* server version */
	if (!skip(n, &i, 4 + 8 + 1) || n - i < 2)
		return;
	m->server_caps = p[i] | p[i + 1] << 8;
	i += 2;
	if (n - i >= 5)
		m->server_caps |= (uint32_t)(p[i + 3] | p[i + 4] << 8) << 16;
	m->server_seen = true;
}

static void feed_s2c(struct db_mysql *m, const uint8_t *p, size_t len)
{
	size_t room = sizeof(m->s2c_buf) - m->s2c_have, take = len < room ? len : room;
	uint32_t plen;

	memcpy(m->s2c_buf + m->s2c_have, p, take);
	m->s2c_have += take;
	if (m->s2c_have < 4)
		return;
	plen = le24(m->s2c_buf);
	if (plen > DB_MY_GREETING_MAX)
		plen = DB_MY_GREETING_MAX;
	if (m->s2c_have >= 4 + plen)
		s2c_greeting(m, m->s2c_buf + 4, plen);
}

void db_mysql_feed(struct db_mysql *m, struct db_core *k, enum db_dir d, uint64_t off,
		   const uint8_t *p, size_t len, bool aligned, uint64_t total)
{
	(void)aligned; /* any position is tried; a chunk start is just the likeliest */
	if (d == DB_S2C) {
		if (!m->s2c_done)
			feed_s2c(m, p, len);
		return;
	}
	while (len && !k->opaque) {
		size_t take;

		if (m->phase == MY_DONE)
			return;
		if (m->phase == MY_LOST) {
			size_t at = db_resync(k, p, len, total, chain_ok);

			k->st.unsynced_bytes += at;
			if (at == len)
				return;
			m->phase = MY_COMMAND;
			reset_msg(m, k);
			p += at, len -= at, off += at, total -= at;
		}
		if (!m->in_pkt) {
			if (m->hdr_have == 0 && len >= 4) {
				memcpy(m->hdr, p, 4);
				p += 4, len -= 4, off += 4, total -= 4;
			} else {
				take = (size_t)(4 - m->hdr_have) < len ? (size_t)(4 - m->hdr_have) : len;
				memcpy(m->hdr + m->hdr_have, p, take);
				m->hdr_have += take;
				p += take, len -= take, off += take, total -= take;
				if (m->hdr_have < 4)
					return;
				m->hdr_have = 0;
			}
			if (!packet_start(m, k, off - 4))
				continue;
			/* the common case: a whole single-packet message in this chunk */
			if (!m->more && m->wire == 0 && m->left && m->left <= len &&
			    m->want != WANT_SKIP) {
				uint32_t n = m->left;

				if (!decide(m, k, p[0], off - 4))
					continue;
				if (m->want == WANT_KEEP)
					message(m, k, p, n, n, false);
				else
					k->st.msgs++;
				m->msg = m->in_pkt = false;
				m->want = WANT_UNDECIDED;
				p += n, len -= n, off += n, total -= n;
				continue;
			}
		}
		take = m->left < len ? m->left : len;
		if (take) {
			if (!decide(m, k, p[0], m->msg_off))
				continue;
			if (m->want == WANT_KEEP)
				db_acc_put(k, p, take, keep_cap(m));
			m->left -= take;
			m->wire += take;
			p += take, len -= take, off += take, total -= take;
		}
		if (!m->left)
			packet_end(m, k);
	}
	if (k->opaque)
		k->st.opaque_bytes += len;
}

void db_mysql_gap(struct db_mysql *m, struct db_core *k, enum db_dir d, uint64_t off, uint64_t n)
{
	if (d == DB_S2C) {
		m->s2c_done = true;
		return;
	}
	if (k->opaque || m->phase == MY_DONE)
		return;
	if (m->phase == MY_LOST) {
		k->st.unsynced_bytes += n;
		return;
	}
	if (m->in_pkt && n <= m->left) {
		/* the hole is inside one payload: skip it by length */
		if (m->want == WANT_KEEP)
			k->acc.trunc = k->acc.frozen = true;
		m->left -= n;
		m->wire += n;
		if (!m->left)
			packet_end(m, k);
		return;
	}
	if (m->in_pkt && m->want == WANT_KEEP) {
		/* the message ends inside the hole (or its next packet's header
		 * is in it): report what we have */
		uint64_t rest = m->left;

		k->acc.trunc = true;
		m->wire += rest;
		m->left = 0;
		m->more = false;
		packet_end(m, k);
		lose_sync(m, k, off + rest, n - rest);
		return;
	}
	lose_sync(m, k, off, n);
}

bool db_mysql_wants(const struct db_mysql *m, const struct db_core *k, enum db_dir d)
{
	if (k->opaque || m->phase == MY_DONE)
		return false;
	return d == DB_C2S || !m->s2c_done;
}

bool db_mysql_synced(const struct db_mysql *m, const struct db_core *k)
{
	return !k->opaque && m->phase != MY_LOST && m->phase != MY_DONE;
}
