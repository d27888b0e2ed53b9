// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database capture status: the "db" object of the status file, its text form, the ready line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "db/dbcapture_int.h"
#include "core/json.h"

static const char *system_name(uint8_t sys)
{
	return sys == BW_DB_PG ? "postgresql" : sys == BW_DB_MYSQL ? "mysql" : "unknown";
}

static const char *const uprobe_modes[] = { "tls", "statements", "none" };

/* Where statements of system are seen, for status. */
static const char *seen_on(const struct dbcapture *db, uint8_t sys)
{
	if (!db->o.server)
		return "client streams";
	if (!db->pr.server_view[sys])
		return "plaintext streams (TLS: db_tls)";
	if (db->o.uprobes == DBCAP_UPROBES_STATEMENTS)
		return "plaintext streams, server statement uprobes";
	return "plaintext streams, decrypted TLS streams";
}

void dbcapture_summary(const struct dbcapture *db, char *buf, size_t n)
{
	if (!db || db->o.no_db) {
		snprintf(buf, n, "db capture off");
		return;
	}
	snprintf(buf, n, "db capture %s%s%s, %s uprobes (postgresql %s, mysql %s)",
		 db->o.client ? "client" : "", db->o.client && db->o.server ? "+" : "",
		 db->o.server ? "server" : "", uprobe_modes[db->o.uprobes],
		 db->pr.server_view[BW_DB_PG] ? "attached" : "not attached",
		 db->pr.server_view[BW_DB_MYSQL] ? "attached" : "not attached");
}

void dbcapture_status_json(const struct dbcapture *db, struct jbuf *b)
{
	struct dbconn_stats st = db->closed_st, cs;
	int active = 0;

	jbuf_printf(b, "{\"enabled\":%s,\"client\":%s,\"server\":%s,\"uprobes\":\"%s\",\"ports\":[",
		    db->o.no_db ? "false" : "true", db->o.client ? "true" : "false",
		    db->o.server ? "true" : "false", uprobe_modes[db->o.uprobes]);
	for (size_t i = 0; i < dbcapture_ndefault_ports; i++)
		jbuf_printf(b, "%s\"%s:%u\"", i ? "," : "", system_name(dbcapture_default_ports[i].system),
			    dbcapture_default_ports[i].port);
	for (int i = 0; i < db->o.nports; i++)
		jbuf_printf(b, ",\"%s:%u\"", system_name(db->o.ports[i].system), db->o.ports[i].port);
	jbuf_puts(b, "],\"sockets\":[");
	for (size_t i = 0; i < dbcapture_ndefault_sockets; i++) {
		jbuf_puts(b, i ? "," : "");
		json_put_str(b, dbcapture_default_sockets[i], strlen(dbcapture_default_sockets[i]));
	}
	jbuf_puts(b, ",\"*/.s.PGSQL.*\"");
	for (int i = 0; i < db->o.nsockets; i++) {
		jbuf_putc(b, ',');
		json_put_str(b, db->o.sockets[i].path, strlen(db->o.sockets[i].path));
	}
	/* binaries and the entry points found in them */
	jbuf_puts(b, "],\"binaries\":[");
	for (int i = 0; i < db->pr.nbins; i++) {
		const struct dbcapture_binary *bn = &db->pr.bins[i];

		jbuf_puts(b, i ? ",{\"binary\":" : "{\"binary\":");
		json_put_str(b, bn->path, strlen(bn->path));
		jbuf_printf(b, ",\"system\":\"%s\",\"functions\":[", system_name(bn->system));
		for (size_t k = 0, n = 0; k < DBCAP_MAX_TARGETS; k++)
			if (bn->sym[k][0]) {
				jbuf_puts(b, n++ ? "," : "");
				json_put_str(b, bn->sym[k], strlen(bn->sym[k]));
			}
		jbuf_putc(b, ']');
		if (bn->err)
			jbuf_printf(b, ",\"error\":\"%s\"", bn->err == -ENOENT ?
				    "no supported entry point" : strerror(-bn->err));
		jbuf_putc(b, '}');
	}
	/* uprobes in place */
	jbuf_puts(b, "],\"probes\":[");
	for (int i = 0; i < db->pr.nprobes; i++) {
		const struct dbcapture_probe *p = &db->pr.probes[i];

		jbuf_puts(b, i ? ",{\"binary\":" : "{\"binary\":");
		json_put_str(b, db->pr.bins[p->bin].path, strlen(db->pr.bins[p->bin].path));
		jbuf_puts(b, ",\"function\":");
		json_put_str(b, db->pr.bins[p->bin].sym[p->target], strlen(db->pr.bins[p->bin].sym[p->target]));
		jbuf_printf(b, ",\"return\":%s,\"attached\":%s", p->ret ? "true" : "false",
			    p->err ? "false" : "true");
		if (p->err)
			jbuf_printf(b, ",\"error\":\"%s\"", strerror(-p->err));
		jbuf_putc(b, '}');
		active += !p->err;
	}
	for (struct dbc_conn *c = db->lru_head; c; c = c->lnext) {
		dbconn_stats(c->dc, &cs);
		dbc_stats_add(&st, &cs);
		if (c->dc_tls) {
			dbconn_stats(c->dc_tls, &cs);
			dbc_stats_add(&st, &cs);
		}
	}
	/* holes the kernel made on purpose (skipped reads) are not losses */
	st.gaps = st.gaps > db->c.fills ? st.gaps - db->c.fills : 0;
	st.bytes_lost = st.bytes_lost > db->c.fill_bytes ? st.bytes_lost - db->c.fill_bytes : 0;
	jbuf_printf(b, "],\"probes_attached\":%d,\"decrypted_records\":%llu,"
		       "\"statements\":{\"postgresql\":\"%s\",\"mysql\":\"%s\"},"
		       "\"conns\":%u,\"max_conns\":%u,\"conns_total\":%llu,\"evicted\":%llu,"
		       "\"midstream\":%llu,\"records\":%llu,\"bad_records\":%llu,\"events\":%llu,"
		       "\"server_dups\":%llu,\"tls\":%llu,\"tls_covered\":%llu,\"nomem\":%llu,"
		       "\"reads_not_reported\":%llu,\"all_statements\":%s,\"skipped_read_runs\":%llu,"
		       "\"gaps\":%llu,\"bytes_lost\":%llu,\"desyncs\":%llu,\"malformed\":%llu,"
		       "\"truncated\":%llu,\"opaque_bytes\":%llu}",
		    active, (unsigned long long)db->c.decrypted, seen_on(db, BW_DB_PG),
		    seen_on(db, BW_DB_MYSQL), db->nconns,
		    db->o.max_conns, (unsigned long long)db->c.conns,
		    (unsigned long long)db->c.evicted, (unsigned long long)db->c.midstream,
		    (unsigned long long)db->c.records, (unsigned long long)db->c.bad_records,
		    (unsigned long long)db->c.events, (unsigned long long)db->c.server_dups,
		    (unsigned long long)db->c.tls, (unsigned long long)db->c.tls_covered,
		    (unsigned long long)db->c.nomem, (unsigned long long)db->c.reads,
		    db->o.all_statements ? "true" : "false", (unsigned long long)db->c.fills,
		    (unsigned long long)st.gaps,
		    (unsigned long long)st.bytes_lost, (unsigned long long)st.desyncs,
		    (unsigned long long)st.malformed, (unsigned long long)st.truncated,
		    (unsigned long long)st.opaque_bytes);
}

/* Value text of "key": inside s (up to , } or ]), or "". */
static int json_val(const char *s, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	if (!p) {
		snprintf(out, n, "-");
		return 0;
	}
	p += strlen(pat);
	for (e = p; *e && *e != ',' && *e != '}' && *e != ']'; e++)
		;
	return snprintf(out, n, "%.*s", (int)(e - p), p);
}

void dbcapture_status_print(const char *js, FILE *out)
{
	static const char *const keys[] = {
		"enabled", "uprobes", "probes_attached", "decrypted_records",
		"conns", "max_conns", "conns_total", "evicted", "records", "bad_records",
		"events", "reads_not_reported", "skipped_read_runs", "all_statements", "server_dups",
		"tls", "tls_covered", "gaps", "desyncs", "malformed", "truncated", "nomem",
	};
	const char *s = strstr(js, "\"db\":{"), *u;
	char v[512];

	if (!s)
		return;
	fprintf(out, "database capture:\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_val(s, keys[i], v, sizeof(v));
		fprintf(out, "  %-22s %s\n", keys[i], v);
	}
	u = strstr(s, "\"statements\":{");
	if (u) {
		json_val(u, "postgresql", v, sizeof(v));
		fprintf(out, "  %-22s %s\n", "postgresql seen on", v);
		json_val(u, "mysql", v, sizeof(v));
		fprintf(out, "  %-22s %s\n", "mysql seen on", v);
	}
	/* binaries (up to "probes"), then the probes in place */
	for (u = strstr(s, "\"binaries\":["); u && (u = strstr(u, "{\"binary\":"));) {
		const char *pr = strstr(s, "\"probes\":[");
		char bin[PATH_MAX] = "", sys[16] = "", fns[1024] = "";

		if (pr && u > pr)
			break;
		if (sscanf(u, "{\"binary\":\"%4095[^\"]\",\"system\":\"%15[a-z]\",\"functions\":[%1023[^]]",
			   bin, sys, fns) >= 2)
			fprintf(out, "  binary %s (%s): %s\n", bin, sys, fns[0] ? fns : "no supported entry point");
		u++;
	}
	for (u = strstr(s, "\"probes\":["); u && (u = strstr(u, "{\"binary\":"));) {
		char bin[PATH_MAX] = "", fn[160] = "", ret[8] = "", att[8] = "";

		if (sscanf(u, "{\"binary\":\"%4095[^\"]\",\"function\":\"%159[^\"]\",\"return\":%7[a-z],"
			      "\"attached\":%7[a-z]", bin, fn, ret, att) == 4)
			fprintf(out, "  uprobe %s:%s%s %s\n", bin, fn, !strcmp(ret, "true") ? " (+return)" : "",
				!strcmp(att, "true") ? "attached" : "not attached");
		u++;
	}
}

