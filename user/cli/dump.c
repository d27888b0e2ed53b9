// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark dump: print journal records as JSON lines or as a timeline for people. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "core/clock.h"
#include "cli/report.h"
#include "journal/journal.h"
#include "core/json.h"

/* ---- a small u32 -> int map (pids), open addressing ---- */

struct u32map {
	uint32_t *keys;
	int32_t *vals;
	uint8_t *state; /* 0 empty, 1 used, 2 deleted */
	size_t cap, used;
};

static size_t u32map_slot(const struct u32map *m, uint32_t k)
{
	return (size_t)((k * 2654435761u) & (uint32_t)(m->cap - 1));
}

static int32_t *u32map_get(struct u32map *m, uint32_t k)
{
	if (!m->cap)
		return NULL;
	for (size_t i = u32map_slot(m, k), n = 0; n < m->cap; i = (i + 1) & (m->cap - 1), n++) {
		if (m->state[i] == 0)
			return NULL;
		if (m->state[i] == 1 && m->keys[i] == k)
			return &m->vals[i];
	}
	return NULL;
}

static int u32map_put(struct u32map *m, uint32_t k, int32_t v);

static int u32map_grow(struct u32map *m)
{
	struct u32map n = { 0 };

	n.cap = m->cap ? m->cap * 2 : 64;
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	n.state = calloc(n.cap, 1);
	if (!n.keys || !n.vals || !n.state) {
		free(n.keys), free(n.vals), free(n.state);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->state[i] == 1)
			u32map_put(&n, m->keys[i], m->vals[i]);
	free(m->keys), free(m->vals), free(m->state);
	*m = n;
	return 0;
}

static int u32map_put(struct u32map *m, uint32_t k, int32_t v)
{
	int32_t *p = u32map_get(m, k);
	size_t i;

	if (p) {
		*p = v;
		return 0;
	}
	if ((m->used + 1) * 2 > m->cap && u32map_grow(m))
		return -ENOMEM;
	for (i = u32map_slot(m, k); m->state[i] == 1; i = (i + 1) & (m->cap - 1))
		;
	if (m->state[i] == 0)
		m->used++; /* deleted slots are reused without changing used */
	m->state[i] = 1;
	m->keys[i] = k;
	m->vals[i] = v;
	return 0;
}

static void u32map_del(struct u32map *m, uint32_t k)
{
	int32_t *p = u32map_get(m, k);

	if (p)
		m->state[p - m->vals] = 2;
}

static void u32map_free(struct u32map *m)
{
	free(m->keys), free(m->vals), free(m->state);
	memset(m, 0, sizeof(*m));
}

/* ---- state of one dump ---- */

struct pnode {
	uint32_t pid, ppid;
	int32_t parent;       /* node index, -1 for a root */
	int32_t first_child, last_child, next;
	uint64_t start_ns, exit_ns;
	bool exited;
	bool cmd_from_exec;
	char *cmd;            /* raw bytes, NUL terminated (NULs cannot occur: JSON strings) */
	size_t cmd_len;
};

struct dump {
	FILE *out, *err;
	const char *dir;
	bool has_session, has_pid, alerts, text;
	uint64_t session;
	uint32_t pid;
	uint64_t now;            /* the time --since and --until count back from */
	uint64_t since, until;
	uint32_t want_types;     /* bit per type code */
	uint32_t maybe_types;    /* codes this reader cannot name: look at the JSON */
	char **type_names;       /* as given, validated */
	size_t ntypes;
	bool tree_pass;          /* pass 1 of --text with --session/--pid */
	struct sess_hdr hdr;     /* --text --session: the session header */
	struct u32map pids;      /* --pid: the pid and the descendants seen so far */
	/* process tree */
	struct pnode *nodes;
	size_t nnodes, cap_nodes;
	struct u32map by_pid;    /* pid -> latest node */
	uint64_t first_ns, last_ns, tree_records;
	/* output */
	uint64_t printed;
	struct jbuf line;
	char *scratch;
	size_t scratch_cap;
	bool oom;
};

static char *scratch_for(struct dump *d, size_t len)
{
	if (len + 1 > d->scratch_cap) {
		char *p = realloc(d->scratch, len + 1);

		if (!p) {
			d->oom = true;
			return NULL;
		}
		d->scratch = p;
		d->scratch_cap = len + 1;
	}
	return d->scratch;
}

/* ---- time ---- */

/* The grammar is core/clock's, shared with rule windows; journal.h declares it. */
int journal_parse_time(const char *s, uint64_t now_ns, uint64_t *out, char *err, size_t errlen)
{
	return clock_parse_time(s, now_ns, out, err, errlen);
}

/* 2026-11-24T20:20:00.123+01:00, local time. */
static void put_time(struct jbuf *b, uint64_t ns)
{
	char s[CLOCK_LOCAL_LEN];

	clock_format_local(s, sizeof(s), ns);
	jbuf_puts(b, s);
}

/* ---- terminal-safe text ---- */

/* Code points that reorder or hide text on a terminal ("Trojan Source"). */
static bool cp_hidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x200b || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 ||
	       c == 0x2029 || c == 0xfeff;
}

/* Length of a valid UTF-8 sequence at s (>= 2 bytes) and its code point, or 0. */
static int utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	int len;
	uint32_t c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

/*
 * Appends bytes so that nothing reaches the terminal as a control: printable
 * ASCII and valid, visible UTF-8 pass; backslash is doubled; \n \t \r are
 * spelled; other controls and invalid bytes become \xHH; bidi and other
 * invisible formatting characters become \u{XXXX}. Returns the number of
 * columns written (one per code point; wide glyphs are not measured).
 */
static size_t put_safe(struct jbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t cols = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		uint32_t cp;
		int l;

		if (c >= 0x20 && c < 0x7f) {
			if (c == '\\')
				jbuf_putc(b, '\\'), cols++;
			jbuf_putc(b, (char)c);
			cols++, i++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			jbuf_putc(b, '\\');
			jbuf_putc(b, c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
			cols += 2, i++;
		} else if (c >= 0x80 && (l = utf8_seq(s + i, n - i, &cp)) > 0) {
			if (cp_hidden(cp)) {
				jbuf_printf(b, "\\u{%04x}", cp);
				cols += cp > 0xffff ? 9 : 8;
			} else {
				jbuf_put(b, s + i, (size_t)l);
				cols++;
			}
			i += (size_t)l;
		} else {
			jbuf_printf(b, "\\x%02x", c);
			cols += 4, i++;
		}
	}
	return cols;
}

static void put_col(struct jbuf *b, const char *s, size_t n, size_t width)
{
	size_t cols = put_safe(b, s, n);

	do
		jbuf_putc(b, ' ');
	while (++cols < width + 1);
}

static void put_colf(struct jbuf *b, size_t width, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_colf(struct jbuf *b, size_t width, const char *fmt, ...)
{
	char s[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	put_col(b, s, n < 0 ? 0 : (size_t)n < sizeof(s) ? (size_t)n : sizeof(s) - 1, width);
}

static bool has_str(const struct bw_event *e, enum bw_field f, struct bw_value *v)
{
	return event_get(e, f, v) && v->kind == BW_K_STR && v->s.len;
}

/* ---- one line per record ---- */

#define W_TIME 29
#define W_SESSION 10
#define W_USER 12
#define W_PID 8
#define W_EVENT 10

static void put_user(struct jbuf *b, const struct bw_event *e)
{
	struct bw_value v;

	if (has_str(e, FLD_USER_LOGINNAME, &v))
		put_col(b, v.s.p, v.s.len, W_USER);
	else if (event_get(e, FLD_USER_LOGINUID, &v) && v.u != BW_NO_SESSION)
		put_colf(b, W_USER, "%llu", (unsigned long long)v.u);
	else
		put_col(b, "-", 1, W_USER);
}

static void put_head(struct jbuf *b, const struct journal_rec *r, const struct bw_event *e,
		     const char *event, size_t elen)
{
	size_t n;

	jbuf_reset(b);
	n = b->len;
	put_time(b, r->time_ns);
	while (b->len - n < W_TIME + 1)
		jbuf_putc(b, ' ');
	if (r->session == BW_NO_SESSION)
		put_col(b, "-", 1, W_SESSION);
	else
		put_colf(b, W_SESSION, "%llu", (unsigned long long)r->session);
	put_user(b, e);
	put_colf(b, W_PID, "%u", r->pid);
	put_col(b, event, elen, W_EVENT);
}

static void put_str_field(struct jbuf *b, const struct bw_event *e, enum bw_field f, const char *none)
{
	struct bw_value v;

	if (has_str(e, f, &v))
		put_safe(b, v.s.p, v.s.len);
	else
		jbuf_puts(b, none);
}

/* The command: cmdline, else exe, else comm. */
static void put_command(struct jbuf *b, const struct bw_event *e)
{
	struct bw_value v;

	if (has_str(e, FLD_PROC_CMDLINE, &v) || has_str(e, FLD_PROC_EXEPATH, &v) || has_str(e, FLD_PROC_NAME, &v))
		put_safe(b, v.s.p, v.s.len);
	else
		jbuf_puts(b, "?");
}

static void put_detail(struct jbuf *b, const struct bw_event *e)
{
	struct bw_value v;

	switch (e->type) {
	case BW_EVT_EXECVE:
		put_command(b, e);
		break;
	case BW_EVT_FORK:
		put_command(b, e);
		jbuf_printf(b, "  (child of %llu)", (unsigned long long)e->ppid);
		break;
	case BW_EVT_EXIT:
		put_command(b, e);
		if (event_has(e, FLD_EVT_RAWRES))
			jbuf_printf(b, "  (exit %lld)", (long long)e->res);
		return;
	case BW_EVT_RENAME:
	case BW_EVT_RENAMEAT:
	case BW_EVT_RENAMEAT2:
		put_str_field(b, e, FLD_FD_NAME, "?");
		jbuf_puts(b, " -> ");
		put_str_field(b, e, FLD_FD_NEWNAME, "?");
		break;
	case BW_EVT_TRUNCATE:
	case BW_EVT_FTRUNCATE:
		put_str_field(b, e, FLD_FD_NAME, "?");
		if (event_has(e, FLD_EVT_ARG))
			jbuf_printf(b, "  length=%lld", (long long)e->arg);
		break;
	case BW_EVT_DB_QUERY:
		put_str_field(b, e, FLD_DB_USER, "?");
		jbuf_putc(b, '@');
		put_str_field(b, e, FLD_DB_NAME, "?");
		jbuf_puts(b, ": ");
		put_str_field(b, e, FLD_DB_QUERY, "");
		break;
	case BW_EVT_DB_CONNECT:
	case BW_EVT_DB_TLS:
		put_str_field(b, e, FLD_DB_SYSTEM, "?");
		jbuf_putc(b, ' ');
		put_str_field(b, e, FLD_DB_USER, "?");
		jbuf_putc(b, '@');
		put_str_field(b, e, FLD_DB_NAME, "?");
		jbuf_puts(b, " from ");
		put_str_field(b, e, FLD_DB_PEER, "?");
		break;
	case BW_EVT_DROP:
		jbuf_printf(b, "%llu lost: ", (unsigned long long)e->drop_count);
		put_str_field(b, e, FLD_DROP_REASON, "");
		break;
	case BW_EVT_KILL:
		put_command(b, e);
		break;
	default:
		if (has_str(e, FLD_FD_NAME, &v))
			put_safe(b, v.s.p, v.s.len);
		else
			put_command(b, e);
		if (has_str(e, FLD_FD_NEWNAME, &v)) {
			jbuf_puts(b, " -> ");
			put_safe(b, v.s.p, v.s.len);
		}
		break;
	}
	if (event_has(e, FLD_EVT_RAWRES) && e->res)
		jbuf_printf(b, "  [res=%lld]", (long long)e->res);
}

struct alert_kv {
	struct json_val rule, priority, output, action, result, fields;
	struct json_val loginname, loginuid;
};

static int alert_grab(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	struct alert_kv *a = ctx;

#define IS(s) (kl == sizeof(s) - 1 && !memcmp(k, s, kl))
	if (IS("rule"))
		a->rule = *v;
	else if (IS("priority"))
		a->priority = *v;
	else if (IS("output"))
		a->output = *v;
	else if (IS("action"))
		a->action = *v;
	else if (IS("action_result"))
		a->result = *v;
	else if (IS("output_fields"))
		a->fields = *v;
	else if (IS("user.loginname"))
		a->loginname = *v;
	else if (IS("user.loginuid"))
		a->loginuid = *v;
#undef IS
	return 0;
}

static void put_jval(struct jbuf *b, const struct json_val *v, const char *none)
{
	if (v->p && (v->type == JV_STR || v->type == JV_NUM || v->type == JV_RAW))
		put_safe(b, v->p, v->len);
	else if (v->type == JV_BOOL)
		jbuf_puts(b, v->b ? "true" : "false");
	else
		jbuf_puts(b, none);
}

static void text_alert(struct dump *d, const struct journal_rec *r)
{
	struct alert_kv a;
	struct alert_kv f;
	struct bw_event e;
	char *scratch = scratch_for(d, 2 * (size_t)r->len + 2), err[128];
	struct jbuf *b = &d->line;

	if (!scratch)
		return;
	memset(&a, 0, sizeof(a));
	memset(&f, 0, sizeof(f));
	event_reset(&e);
	json_parse_object(r->json, r->len, scratch, alert_grab, &a, err, sizeof(err));
	if (a.fields.type == JV_RAW && a.fields.p && a.fields.len && a.fields.p[0] == '{')
		json_parse_object(a.fields.p, a.fields.len, scratch + r->len + 1, alert_grab, &f, err, sizeof(err));
	/* Only what put_user looks at. */
	if (f.loginname.type == JV_STR && f.loginname.p) {
		e.login_name = (struct bw_str){ f.loginname.p, (uint32_t)f.loginname.len };
		event_set_present(&e, FLD_USER_LOGINNAME);
	} else if (f.loginuid.type == JV_NUM && f.loginuid.p) {
		/* Falco's -1 is "unset", stored as the kernel's 4294967295 */
		e.loginuid = f.loginuid.p[0] == '-' ? BW_NO_SESSION : strtoull(f.loginuid.p, NULL, 10);
		event_set_present(&e, FLD_USER_LOGINUID);
	}
	put_head(b, r, &e, "ALERT", 5);
	jbuf_putc(b, '[');
	put_jval(b, &a.priority, "?");
	jbuf_puts(b, "] ");
	put_jval(b, &a.rule, "?");
	jbuf_puts(b, ": ");
	put_jval(b, &a.output, "");
	jbuf_puts(b, "  action=");
	put_jval(b, &a.action, "alert");
	jbuf_puts(b, " result=");
	put_jval(b, &a.result, "-");
}

static void text_record(struct dump *d, const struct journal_rec *r)
{
	struct jbuf *b = &d->line;
	struct bw_event e;
	char *scratch, err[128];

	if (r->kind == JREC_ALERT) {
		text_alert(d, r);
	} else if (!(scratch = scratch_for(d, r->len))) {
		return;
	} else if (json_parse_event(r->json, r->len, scratch, &e, err, sizeof(err))) {
		event_reset(&e);
		put_head(b, r, &e, "?", 1);
		jbuf_puts(b, "unreadable record: ");
		put_safe(b, r->json, r->len);
	} else {
		put_head(b, r, &e, e.type_name.p, e.type_name.len);
		if (r->kind == JREC_NOTE)
			jbuf_puts(b, "[journal] ");
		put_detail(b, &e);
	}
	while (b->len && b->p[b->len - 1] == ' ')
		b->len--;
	jbuf_putc(b, '\n');
	if (!jbuf_ok(b)) {
		d->oom = true;
		return;
	}
	fwrite(b->p, 1, b->len, d->out);
}

/* ---- filters ---- */

struct type_grab {
	const char *p;
	size_t len;
};

static int type_grab(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	struct type_grab *t = ctx;

	if (kl == 8 && !memcmp(k, "evt.type", 8) && v->type == JV_STR) {
		t->p = v->p;
		t->len = v->len;
		return 1;
	}
	return 0;
}

static bool type_wanted(struct dump *d, const struct journal_rec *r)
{
	struct type_grab t = { 0 };
	char *scratch, err[64];

	if (journal_type_code_name(r->type))
		return d->want_types & (1u << r->type);
	/* A code this reader cannot name (or none): the JSON decides. */
	if (!(scratch = scratch_for(d, r->len)))
		return false;
	json_parse_object(r->json, r->len, scratch, type_grab, &t, err, sizeof(err));
	for (size_t i = 0; i < d->ntypes; i++)
		if (t.p && strlen(d->type_names[i]) == t.len && !memcmp(d->type_names[i], t.p, t.len))
			return true;
	return false;
}

static bool want_block(void *ctx, const struct journal_block_info *bi)
{
	struct dump *d = ctx;

	if (d->has_session && !journal_bloom_may_have(bi->session_bloom, d->session))
		return false;
	if (bi->min_time_ns > d->until)
		return false;
	/* --pid follows forks from before --since, and needs every kind and type. */
	if (d->has_pid || d->tree_pass)
		return true;
	if (bi->max_time_ns < d->since)
		return false;
	if (d->alerts && !(bi->kind_mask & (1u << JREC_ALERT)))
		return false;
	if (d->ntypes && !(bi->type_mask & (d->want_types | d->maybe_types)))
		return false;
	return true;
}

/*
 * Session, pid (with descendants) and time. --pid P keeps P and every
 * process whose parent is kept, as the journal saw them (each record
 * carries proc.ppid, so a child is found at its fork or first event). A
 * descendant leaves the set at its exit, so a later reuse of its pid is
 * not taken for it. P itself stays: the user named it.
 */
static bool base_match(struct dump *d, const struct journal_rec *r)
{
	if (d->has_session && r->session != d->session)
		return false;
	if (d->has_pid) {
		bool in = u32map_get(&d->pids, r->pid) != NULL;

		if (!in && r->ppid && r->pid != r->ppid && u32map_get(&d->pids, r->ppid)) {
			if (u32map_put(&d->pids, r->pid, 1))
				d->oom = true;
			in = true;
		}
		if (!in)
			return false;
		if (r->pid != d->pid && r->type == journal_type_code(BW_EVT_EXIT) && r->kind == JREC_EVENT)
			u32map_del(&d->pids, r->pid);
	}
	return r->time_ns >= d->since && r->time_ns <= d->until;
}

/* ---- process tree (--text with --session or --pid) ---- */

static char *dup_bytes(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

static int tree_new(struct dump *d, const struct journal_rec *r)
{
	struct pnode *n;
	int32_t *pp, idx;

	if (d->nnodes == d->cap_nodes) {
		size_t cap = d->cap_nodes ? d->cap_nodes * 2 : 64;
		struct pnode *nn = realloc(d->nodes, cap * sizeof(*nn));

		if (!nn)
			return -ENOMEM;
		d->nodes = nn;
		d->cap_nodes = cap;
	}
	idx = (int32_t)d->nnodes++;
	n = &d->nodes[idx];
	memset(n, 0, sizeof(*n));
	n->pid = r->pid;
	n->ppid = r->ppid;
	n->start_ns = r->time_ns;
	n->parent = n->first_child = n->last_child = n->next = -1;
	pp = r->ppid != r->pid ? u32map_get(&d->by_pid, r->ppid) : NULL;
	if (pp) {
		struct pnode *p = &d->nodes[*pp];

		n->parent = *pp;
		if (p->last_child >= 0)
			d->nodes[p->last_child].next = idx;
		else
			p->first_child = idx;
		p->last_child = idx;
	}
	if (u32map_put(&d->by_pid, r->pid, idx))
		return -ENOMEM;
	return idx;
}

static void tree_add(struct dump *d, const struct journal_rec *r)
{
	struct bw_event e;
	struct bw_value v;
	struct pnode *n;
	int32_t *pi;
	int idx;
	char *scratch, err[64];

	if (r->kind != JREC_EVENT || !r->pid)
		return;
	if (!(scratch = scratch_for(d, r->len)) || json_parse_event(r->json, r->len, scratch, &e, err, sizeof(err)))
		return;
	if (!d->tree_records++)
		d->first_ns = r->time_ns;
	d->last_ns = r->time_ns;
	pi = u32map_get(&d->by_pid, r->pid);
	idx = pi ? *pi : -1;
	if (idx >= 0 && d->nodes[idx].exited && e.type == BW_EVT_EXIT)
		return; /* a second exit record of the same process */
	if (idx < 0 || d->nodes[idx].exited || e.type == BW_EVT_FORK) {
		idx = tree_new(d, r);
		if (idx < 0) {
			d->oom = true;
			return;
		}
	}
	n = &d->nodes[idx];
	if (e.type == BW_EVT_EXECVE && (!event_has(&e, FLD_EVT_RAWRES) || e.res == 0) &&
	    (has_str(&e, FLD_PROC_CMDLINE, &v) || has_str(&e, FLD_PROC_EXEPATH, &v))) {
		free(n->cmd);
		n->cmd = dup_bytes(v.s.p, v.s.len);
		n->cmd_len = n->cmd ? v.s.len : 0;
		n->cmd_from_exec = true;
	} else if (!n->cmd && (has_str(&e, FLD_PROC_CMDLINE, &v) || has_str(&e, FLD_PROC_EXEPATH, &v) ||
			       has_str(&e, FLD_PROC_NAME, &v))) {
		n->cmd = dup_bytes(v.s.p, v.s.len);
		n->cmd_len = n->cmd ? v.s.len : 0;
	}
	if (e.type == BW_EVT_EXIT) {
		n->exited = true;
		n->exit_ns = r->time_ns;
	}
}

static void put_time_col(struct jbuf *b, uint64_t ns, bool have)
{
	size_t n = b->len;

	if (have)
		put_time(b, ns);
	else
		jbuf_putc(b, '-');
	while (b->len - n < W_TIME + 1)
		jbuf_putc(b, ' ');
}

static void tree_print(struct dump *d)
{
	struct jbuf *b = &d->line;
	int depth = 0;

	jbuf_reset(b);
	if (d->has_session) {
		d->hdr.id = d->session;
		sess_hdr_text(&d->hdr, b);
	}
	if (d->has_session)
		jbuf_printf(b, "# session %llu", (unsigned long long)d->session);
	else
		jbuf_printf(b, "# pid %u and the processes it started", d->pid);
	if (d->tree_records) {
		jbuf_puts(b, ": ");
		put_time(b, d->first_ns);
		jbuf_puts(b, " -> ");
		put_time(b, d->last_ns);
		jbuf_printf(b, ", %llu events, %zu processes\n", (unsigned long long)d->tree_records, d->nnodes);
	} else {
		jbuf_puts(b, ": no events recorded\n");
	}
	jbuf_puts(b, "# process tree: START is the fork seen (or the first event), EXIT the exit seen\n");
	jbuf_printf(b, "%-8s %-8s %-*s %-*s %s\n", "PID", "PPID", W_TIME, "START", W_TIME, "EXIT", "COMMAND");
	for (size_t i = 0; i < d->nnodes; i++) {
		int32_t k = (int32_t)i;

		if (d->nodes[i].parent >= 0)
			continue;
		depth = 0;
		/* Iterative walk: a fork chain can be longer than any stack. */
		while (k >= 0) {
			struct pnode *n = &d->nodes[k];

			put_colf(b, 8, "%u", n->pid);
			put_colf(b, 8, "%u", n->ppid);
			put_time_col(b, n->start_ns, true);
			put_time_col(b, n->exit_ns, n->exited);
			for (int s = 0; s < depth; s++)
				jbuf_puts(b, "  ");
			if (depth)
				jbuf_puts(b, "\\_ ");
			if (n->cmd)
				put_safe(b, n->cmd, n->cmd_len);
			else
				jbuf_putc(b, '?');
			jbuf_putc(b, '\n');
			if (n->first_child >= 0) {
				k = n->first_child;
				depth++;
				continue;
			}
			while (k >= 0 && d->nodes[k].next < 0 && d->nodes[k].parent >= 0 && depth > 0) {
				k = d->nodes[k].parent;
				depth--;
			}
			k = depth > 0 || d->nodes[k].parent >= 0 ? d->nodes[k].next : -1;
		}
	}
	jbuf_putc(b, '\n');
	if (!jbuf_ok(b)) {
		d->oom = true;
		return;
	}
	fwrite(b->p, 1, b->len, d->out);
}

/* ---- passes ---- */

static int on_rec(void *ctx, const struct journal_rec *r)
{
	struct dump *d = ctx;

	if (d->oom)
		return -ENOMEM;
	if (!base_match(d, r))
		return 0;
	if (d->tree_pass) {
		if (d->has_session && scratch_for(d, r->len))
			sess_hdr_add(&d->hdr, r->kind, r->json, r->len, r->time_ns, d->scratch);
		tree_add(d, r);
		return 0;
	}
	if (d->alerts && r->kind != JREC_ALERT)
		return 0;
	if (d->ntypes && !type_wanted(d, r))
		return 0;
	d->printed++;
	if (d->text) {
		text_record(d, r);
	} else {
		fwrite(r->json, 1, r->len, d->out);
		fputc('\n', d->out);
	}
	return 0;
}

static int add_types(struct dump *d, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		enum bw_evt t = event_type_from_name(p, n);
		char **nv;
		uint8_t code;

		if (n && t == BW_EVT_UNKNOWN) {
			int o = snprintf(err, errlen, "unknown --type '%.*s'; known:", (int)n, p);

			for (int i = 1; i < BW_EVT_MAX && o > 0 && (size_t)o < errlen; i++)
				o += snprintf(err + o, errlen - (size_t)o, "%s %s", i > 1 ? "," : "", event_type_name(i));
			return -EINVAL;
		}
		if (n) {
			nv = realloc(d->type_names, (d->ntypes + 1) * sizeof(*nv));
			if (!nv || !(nv[d->ntypes] = dup_bytes(p, n))) {
				if (nv)
					d->type_names = nv;
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			d->type_names = nv;
			d->ntypes++;
			code = journal_type_code(t);
			if (code)
				d->want_types |= 1u << code;
		}
		p += n + (c ? 1 : 0);
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*v = x;
	return 0;
}

static uint64_t realtime_ns(void)
{
	return clock_realtime_ns();
}

static const char dump_doc[] =
	"USAGE: bulwark dump [-j DIR] [-s ID] [-p PID] [--since T] [--until T]\n"
	"                    [-t TYPE[,TYPE...]]... [-a] [--text]\n"
	"\n"
	"Print the events and alerts recorded in the journal, oldest first, as the\n"
	"JSON lines that were recorded, or with --text as a timeline for people."
	"\v"
	"Times T: 2026-11-24T19:20:00Z, 2026-11-24T19:20:00.5+01:00,\n"
	"'2026-11-24 19:20:00' (local time), 2026-11-24 (local midnight),\n"
	"@1790000000 (epoch seconds), now, or a duration ago: 30s, 10m, 2h, 1d, 1w,\n"
	"1h30m.\n"
	"\n"
	"Damaged or torn blocks are skipped with a warning naming the file and byte;\n"
	"everything else is printed. A summary line goes to stderr.\n"
	"\n"
	"Exit status: 0, even when damaged blocks were skipped; 1 when the journal is\n"
	"missing or has no segments; 2 for bad usage.\n"
	"\n"
	"EXAMPLES:\n"
	"  bulwark dump --session 7 --text     what session 7 did, process tree first\n"
	"  bulwark dump --since 2h --type unlinkat,rmdir,rename\n"
	"  bulwark dump -a --since '2026-11-24 19:00:00' --until '2026-11-24 20:00:00'\n"
	"  bulwark dump --pid 4242 --text      a process and everything it started\n"
	"  bulwark dump -j /mnt/evidence/journal | jq 'select(.\"evt.type\"==\"db_query\")'";

enum { OPT_SINCE = 1000, OPT_UNTIL, OPT_TEXT };

static const struct argp_option dump_options[] = {
	{ "journal", 'j', "DIR", 0, "journal directory (default " JOURNAL_DEFAULT_DIR ")", 0 },
	{ "session", 's', "ID", 0, "only that audit session; with --text, its process tree first", 0 },
	{ "pid", 'p', "PID", 0, "only that process and the processes it started (as far as the "
				"journal saw them fork); with --text, their tree first", 0 },
	{ "since", OPT_SINCE, "T", 0, "only records at or after T", 0 },
	{ "until", OPT_UNTIL, "T", 0, "only records at or before T", 0 },
	{ "type", 't', "TYPE", 0, "only these evt.type values (repeat, or a comma list); alerts "
				  "are kept when the event that raised them matches", 0 },
	{ "alerts", 'a', NULL, 0, "only alerts", 0 },
	{ "text", OPT_TEXT, NULL, 0, "a readable timeline instead of JSON lines", 0 },
	{ 0 },
};

static error_t dump_parse(int key, char *arg, struct argp_state *state)
{
	struct dump *d = state->input;
	char err[1024];
	uint64_t v;

	switch (key) {
	case 'j':
		d->dir = arg;
		break;
	case 's':
		if (parse_u64(arg, UINT32_MAX, &d->session))
			return cli_usage_error(state, "--session '%s' is not an audit session id (a "
					       "number, as in session.id)", arg);
		d->has_session = true;
		break;
	case 'p':
		if (parse_u64(arg, UINT32_MAX, &v) || !v)
			return cli_usage_error(state, "--pid '%s' is not a process id (a number above 0)",
					       arg);
		d->pid = (uint32_t)v;
		d->has_pid = true;
		break;
	case OPT_SINCE:
	case OPT_UNTIL:
		if (journal_parse_time(arg, d->now, key == OPT_SINCE ? &d->since : &d->until, err,
				       sizeof(err)))
			return cli_usage_error(state, "%s: %s", key == OPT_SINCE ? "--since" : "--until",
					       err);
		break;
	case 't':
		if (add_types(d, arg, err, sizeof(err)))
			return cli_usage_error(state, "%s", err);
		break;
	case 'a':
		d->alerts = true;
		break;
	case OPT_TEXT:
		d->text = true;
		break;
	case ARGP_KEY_END:
		if (d->since > d->until)
			return cli_usage_error(state, "--since is after --until: nothing can match; "
					       "swap them");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void dump_free(struct dump *d)
{
	for (size_t i = 0; i < d->nnodes; i++)
		free(d->nodes[i].cmd);
	free(d->nodes);
	for (size_t i = 0; i < d->ntypes; i++)
		free(d->type_names[i]);
	free(d->type_names);
	u32map_free(&d->pids);
	u32map_free(&d->by_pid);
	jbuf_free(&d->line);
	free(d->scratch);
}

static int run_pass(struct dump *d, bool tree, struct journal_scan *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->want_block = want_block;
	s->on_rec = on_rec;
	s->ctx = d;
	s->warn = tree ? NULL : d->err; /* warn once, in the pass that prints */
	d->tree_pass = tree;
	u32map_free(&d->pids);
	if (d->has_pid && u32map_put(&d->pids, d->pid, 1))
		return -ENOMEM;
	return journal_scan_dir(s, d->dir, err, errlen);
}

int journal_dump_main(int argc, char **argv, FILE *out, FILE *errf)
{
	static const struct argp argp = { dump_options, dump_parse, NULL, dump_doc, 0, 0, 0 };
	struct dump d = { .out = out, .err = errf, .dir = JOURNAL_DEFAULT_DIR, .until = UINT64_MAX,
			  .now = realtime_ns() };
	struct journal_scan s;
	char err[1024];
	int rc, ret;

	ret = cli_parse(&argp, 0, argc, argv, &d, out, errf);
	if (ret != CLI_GO_ON)
		goto out;
	ret = CLI_FAIL;
	for (unsigned c = 1; c < 32; c++)
		if (!journal_type_code_name((uint8_t)c))
			d.maybe_types |= 1u << c;
	d.maybe_types |= 1u; /* code 0: a type the writer had no code for */

	if (d.text && (d.has_session || d.has_pid)) {
		rc = run_pass(&d, true, &s, err, sizeof(err));
		if (rc < 0)
			goto fail;
		tree_print(&d);
	}
	if (d.text)
		fprintf(out, "%-*s %-*s %-*s %-*s %-*s %s\n", W_TIME, "TIME", W_SESSION, "SESSION", W_USER, "USER",
			W_PID, "PID", W_EVENT, "EVENT", "DETAIL");
	rc = run_pass(&d, false, &s, err, sizeof(err));
	if (rc < 0)
		goto fail;
	if (fflush(out) || ferror(out)) {
		fprintf(errf, "%s: writing the output failed: %s; check the disk or pipe it goes to\n",
			argv[0], strerror(errno ? errno : EIO));
		goto out;
	}
	fprintf(errf, "%s: %llu records (of %llu read in %llu segments)", argv[0],
		(unsigned long long)d.printed,
		(unsigned long long)s.records, (unsigned long long)s.segments);
	if (s.damaged)
		fprintf(errf, ", %llu damaged block%s skipped (first at %s)", (unsigned long long)s.damaged,
			s.damaged == 1 ? "" : "s", s.first_damage);
	fputc('\n', errf);
	ret = 0;
	goto out;
fail:
	if (rc == -ENOMEM || d.oom)
		fprintf(errf, "%s: out of memory; narrow the dump with --session, --since or --until\n",
			argv[0]);
	else
		fprintf(errf, "%s: %s\n", argv[0], err);
out:
	dump_free(&d);
	return ret;
}

int cmd_dump(int argc, char **argv)
{
	return journal_dump_main(argc, argv, stdout, stderr);
}
