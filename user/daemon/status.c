// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Status: the daemon writes a JSON snapshot each second; `bulwark status` reads it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/version.h"
#include "daemon/daemon.h"
#include "db/dbcapture.h"
#include "journal/journal.h"
#include "kernel/dbprobes.h"
#include "outputs/outputs.h"
#include "rules/rules.h"
#include "daemon/status.h"

static const char *const stat_names[BW_STAT_MAX] = {
	[BW_STAT_EVENTS] = "events",
	[BW_STAT_RB_DROPS] = "ringbuf_drops",
	[BW_STAT_PATH_TRUNC] = "paths_truncated",
	[BW_STAT_ARGS_TRUNC] = "argv_truncated",
	[BW_STAT_DATA_TRUNC] = "payload_truncated",
	[BW_STAT_INFLIGHT_FULL] = "inflight_full_drops",
	[BW_STAT_READ_ERR] = "read_errors",
	[BW_STAT_KILLS] = "kernel_kills",
	[BW_STAT_DB_TRACK_FULL] = "db_socket_map_full",
	[BW_STAT_DB_UNREADABLE] = "db_payload_unreadable",
	[BW_STAT_DB_STALE] = "db_stale_sockets",
	[BW_STAT_DB_READS_SKIPPED] = "db_reads_not_reported",
};

void status_write(struct daemon *d, const uint64_t *k)
{
	struct jbuf b = { 0 };
	struct journal_stats js = { 0 };
	char path[4096], tmp[4096];
	FILE *f;

	if (mkdir(d->opts.run_dir, 0755) && errno != EEXIST)
		return;
	jbuf_printf(&b, "{\"pid\":%d,\"version\":\"%s\",\"started\":%llu,\"hostname\":", getpid(),
		    BULWARK_VERSION, (unsigned long long)d->started_ns);
	json_put_str(&b, d->hostname, strlen(d->hostname));
	jbuf_printf(&b, ",\"rules\":%d,\"no_kill\":%s,\"capture_all\":%s,\"journal\":",
		    rules_count(d->rules), d->opts.no_kill ? "true" : "false",
		    d->opts.capture_all ? "true" : "false");
	json_put_str(&b, d->opts.journal_dir, strlen(d->opts.journal_dir));
	jbuf_puts(&b, ",\"enforcement\":");
	json_put_str(&b, loader_enforcement(&d->loader), strlen(loader_enforcement(&d->loader)));
	jbuf_puts(&b, ",\"lsm\":");
	json_put_str(&b, d->loader.lsm ? "active" : d->loader.lsm_why,
		     strlen(d->loader.lsm ? "active" : d->loader.lsm_why));
	jbuf_puts(&b, ",\"kernel_release\":");
	json_put_str(&b, d->loader.kernel, strlen(d->loader.kernel));
	jbuf_puts(&b, ",\"backends\":[");
	for (int i = 0; i < d->loader.nfam; i++) {
		const struct loader_family *f = &d->loader.fam[i];

		jbuf_puts(&b, i ? ",{\"family\":" : "{\"family\":");
		json_put_str(&b, f->name, strlen(f->name));
		jbuf_puts(&b, ",\"backend\":");
		json_put_str(&b, f->backend, strlen(f->backend));
		jbuf_puts(&b, ",\"fell_back\":");
		json_put_str(&b, f->fallback, strlen(f->fallback));
		jbuf_printf(&b, ",\"on\":%s}", f->on ? "true" : "false");
	}
	jbuf_puts(&b, "]");
	jbuf_puts(&b, ",\"programs\":[");
	for (int i = 0; i < d->loader.nprogs; i++) {
		const struct loader_prog *p = &d->loader.progs[i];

		jbuf_printf(&b, "%s{\"name\":\"%s\",\"hook\":\"%s\",\"attached\":%s}", i ? "," : "",
			    p->name, p->hook, p->attached ? "true" : "false");
	}
	jbuf_puts(&b, "]");
	if (d->db) {
		jbuf_puts(&b, ",\"db\":");
		dbcapture_status_json(d->db, &b);
	}
	dbprobes_status_json(d->dbprobes, &b);
	jbuf_puts(&b, ",\"kernel\":{");
	for (int i = 0; i < BW_STAT_MAX; i++)
		if (stat_names[i])
			jbuf_printf(&b, "%s\"%s\":%llu", i ? "," : "", stat_names[i],
				    (unsigned long long)(k ? k[i] : 0));
	if (d->journal)
		journal_get_stats(d->journal, &js);
	jbuf_printf(&b, "},\"user\":{\"events\":%llu,\"alerts\":%llu,\"bad_records\":%llu,"
			"\"reloads\":%llu,\"reload_errors\":%llu,\"processes\":%u,\"proc_reads\":%llu,"
			"\"kills\":%llu,\"kill_errors\":%llu},"
			"\"journal_stats\":{\"records\":%llu,\"bytes\":%llu,\"lost\":%llu,"
			"\"write_errors\":%llu,\"disk_full\":%s},",
		    (unsigned long long)d->c.events, (unsigned long long)d->c.alerts,
		    (unsigned long long)d->c.bad_records, (unsigned long long)d->c.reloads,
		    (unsigned long long)d->c.reload_errors, d->dec.pt.count,
		    (unsigned long long)d->dec.pt.proc_reads, (unsigned long long)d->actions.kills,
		    (unsigned long long)d->actions.kill_errors, (unsigned long long)js.records,
		    (unsigned long long)js.bytes, (unsigned long long)js.lost,
		    (unsigned long long)js.write_errors, js.disk_full ? "true" : "false");
	outputs_status_json(d->outputs, &b);
	jbuf_puts(&b, "}\n");
	snprintf(path, sizeof(path), "%s/status.json", d->opts.run_dir);
	snprintf(tmp, sizeof(tmp), "%s/.status.json.tmp", d->opts.run_dir);
	f = fopen(tmp, "w");
	if (f && jbuf_ok(&b)) {
		fwrite(b.p, 1, b.len, f);
		if (!fclose(f))
			rename(tmp, path);
	} else if (f) {
		fclose(f);
	}
	jbuf_free(&b);
}

void status_remove(struct daemon *d)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/status.json", d->opts.run_dir);
	unlink(path);
}

/* Finds "key": in the snapshot and prints its value text up to the next , } or ]. */
static void print_val(const char *js, const char *section, const char *key, const char *label)
{
	char pat[96];
	const char *s = js, *e;

	if (section && (s = strstr(js, section)) == NULL)
		return;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	s = strstr(s, pat);
	if (!s)
		return;
	s += strlen(pat);
	e = s;
	if (*e == '"') {  /* a string: up to its closing quote */
		for (e++; *e && *e != '"'; e++)
			if (*e == '\\' && e[1])
				e++;
		if (*e)
			e++;
	} else {
		while (*e && *e != ',' && *e != '}' && *e != ']')
			e++;
	}
	printf("  %-22s %.*s\n", label, (int)(e - s), s);
}

/* The database servers discovery found, one line per listening port or socket. */
#define STATUS_MAX_INSTANCES 64
static void print_instances(const char *js)
{
	const char *s = strstr(js, "\"discovery\":{");
	int shown = 0, total = 0;

	if (!s)
		return;
	printf("database instances (discovered):\n");
	print_val(s, NULL, "scans", "scans");
	print_val(s, NULL, "last_scan_ms", "last_scan_ms");
	print_val(s, NULL, "endpoints_not_kept", "endpoints_not_kept");
	print_val(js, NULL, "db_endpoints_not_in_maps", "not_in_kernel_maps");
	print_val(s, NULL, "error", "error");
	for (s = strstr(s, "\"instances\":["); s && (s = strstr(s, "{\"system\":"));) {
		char sys[16] = "", server[16] = "", where[160] = "";
		int pid = 0;
		unsigned int port = 0;

		total++;
		if (shown < STATUS_MAX_INSTANCES &&
		    sscanf(s, "{\"system\":\"%15[^\"]\",\"server\":\"%15[^\"]\",\"pid\":%d,", sys, server,
			   &pid) == 3) {
			const char *w = strstr(s, ",\"port\":"), *u = strstr(s, ",\"socket\":\""),
				   *end = strchr(s, '}');

			if (w && w < end && sscanf(w, ",\"port\":%u", &port) == 1)
				snprintf(where, sizeof(where), "port %u", port);
			else if (u && u < end)
				snprintf(where, sizeof(where), "socket %.*s", (int)(end - u - 12), u + 11);
			printf("  %-10s %-10s pid %-8d %s\n", sys, server, pid, where);
			shown++;
		}
		s++;
	}
	if (total > shown)
		printf("  ... and %d more (bulwark status --json lists them all)\n", total - shown);
}

int status_show(const char *run_dir, bool json)
{
	char path[4096], *js;
	struct stat st;
	FILE *f;
	long pid;
	size_t n;

	snprintf(path, sizeof(path), "%s/status.json", run_dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bulwark status: no running daemon (%s: %s); start one with "
				"'bulwark run', or pass its --run-dir\n", path, strerror(errno));
		return 1;
	}
	fstat(fileno(f), &st);
	js = calloc(1, (size_t)st.st_size + 1);
	n = js ? fread(js, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!js || !n) {
		free(js);
		fprintf(stderr, "bulwark status: %s is empty or unreadable; a daemon that is "
				"starting writes it within a second: try again\n", path);
		return 1;
	}
	pid = strtol(strstr(js, "\"pid\":") ? strstr(js, "\"pid\":") + 6 : "0", NULL, 10);
	if (pid <= 0 || (kill((pid_t)pid, 0) && errno == ESRCH)) {
		fprintf(stderr, "bulwark status: the daemon (pid %ld) is not running; %s is left "
				"from it: start one with 'bulwark run'\n", pid, path);
		free(js);
		return 1;
	}
	if (json) {
		fputs(js, stdout);
		free(js);
		return 0;
	}
	printf("bulwark daemon pid %ld, updated %lds ago\n", pid, (long)(time(NULL) - st.st_mtime));
	print_val(js, NULL, "rules", "rules");
	print_val(js, NULL, "no_kill", "no_kill");
	print_val(js, NULL, "journal", "journal");
	print_val(js, NULL, "enforcement", "enforcement");
	print_val(js, NULL, "lsm", "bpf-lsm");
	print_val(js, NULL, "kernel_release", "kernel");
	printf("backends:\n");
	for (const char *s = strstr(js, "\"backends\":["); s && (s = strstr(s, "{\"family\":"));) {
		char name[32] = "", be[160] = "", fb[512] = "";

		/* the fields are written by status_write: no escaped quotes in them */
		if (sscanf(s, "{\"family\":\"%31[^\"]\",\"backend\":\"%159[^\"]\",\"fell_back\":\"%511[^\"]\"",
			   name, be, fb) >= 2)
			printf("  %-22s %s%s%s%s\n", name, be, fb[0] ? " (fell back: " : "", fb,
			       fb[0] ? ")" : "");
		else if (sscanf(s, "{\"family\":\"%31[^\"]\",\"backend\":\"%159[^\"]\"", name, be) == 2)
			printf("  %-22s %s\n", name, be);
		s++;
	}
	printf("programs:\n");
	for (const char *s = strstr(js, "\"programs\":["); s && (s = strstr(s, "{\"name\":\""));) {
		char name[64] = "", hook[224] = "", att[8] = "";

		if (sscanf(s, "{\"name\":\"%63[^\"]\",\"hook\":\"%223[^\"]\",\"attached\":%7[a-z]",
			   name, hook, att) == 3)
			printf("  %-28s %-40s %s\n", name, hook, !strcmp(att, "true") ? "attached" : "not attached");
		s++;
	}
	printf("kernel:\n");
	for (int i = 0; i < BW_STAT_MAX; i++)
		if (stat_names[i])
			print_val(js, "\"kernel\":", stat_names[i], stat_names[i]);
	printf("user space:\n");
	print_val(js, "\"user\":", "events", "events");
	print_val(js, "\"user\":", "alerts", "alerts");
	print_val(js, "\"user\":", "bad_records", "bad_records");
	print_val(js, "\"user\":", "processes", "processes");
	print_val(js, "\"user\":", "reload_errors", "reload_errors");
	print_val(js, "\"user\":", "kills", "kills");
	print_val(js, "\"user\":", "kill_errors", "kill_errors");
	dbcapture_status_print(js, stdout);
	print_instances(js);
	printf("journal:\n");
	print_val(js, "\"journal_stats\":", "records", "records");
	print_val(js, "\"journal_stats\":", "lost", "lost");
	print_val(js, "\"journal_stats\":", "write_errors", "write_errors");
	print_val(js, "\"journal_stats\":", "disk_full", "disk_full");
	free(js);
	return 0;
}
