// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus /metrics and /healthz: the event loop renders a snapshot, libmicrohttpd's thread serves it. */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "core/version.h"
#include "daemon/daemon.h"
#include "journal/journal.h"
#include "outputs/outputs.h"
#include "rules/rules.h"
#include "daemon/metrics.h"
#include "core/clock.h"

/*
 * Why a snapshot: the counters live in the daemon context, which only the
 * event loop touches (no locks on the hot path). The loop renders the text
 * once a second (about 20 KB with the default rules) and swaps it in under
 * a mutex; a scrape copies the latest one. A scrape is then at most a
 * second old, and /healthz knows the loop is alive from the swap's time.
 */
struct metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char *text;                /* the latest snapshot (malloc'd) */
	size_t len;
	uint64_t published_ns;     /* CLOCK_MONOTONIC of the last swap; 0 before the first */
	struct jbuf buf;           /* the loop's render buffer */
};

int metrics_parse_listen(const char *listen, struct sockaddr_storage *sa, char *err, size_t n)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	char host[128] = "127.0.0.1";
	const char *port = listen, *colon;
	unsigned long p;
	char *end;

	memset(sa, 0, sizeof(*sa));
	if (listen[0] == '[') {
		colon = strstr(listen, "]:");
		if (!colon || (size_t)(colon - listen - 1) >= sizeof(host)) {
			snprintf(err, n, "need [IPV6]:PORT, such as [::1]:9090");
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen - 1), listen + 1);
		port = colon + 2;
	} else if ((colon = strrchr(listen, ':'))) {
		if ((size_t)(colon - listen) >= sizeof(host)) {
			snprintf(err, n, "host too long");
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
		if (!*host || !strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "127.0.0.1");
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || !*port || *end || !p || p > 65535) {
		snprintf(err, n, "need [HOST:]PORT with PORT 1-65535, such as 9090 or 127.0.0.1:9090");
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
	} else {
		snprintf(err, n, "'%s' is not an IP address; use a numeric address such as "
			 "127.0.0.1, 0.0.0.0 or [::1]", host);
		return -EINVAL;
	}
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **req)
{
	static const char text_type[] = "text/plain; charset=utf-8";
	struct metrics *m = cls;
	enum MHD_Result ret;
	uint64_t age;
	char *copy;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text_type, "GET only\n", 9);
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&m->lock);
		len = m->len;
		copy = len ? malloc(len) : NULL;
		if (copy)
			memcpy(copy, m->text, len);
		pthread_mutex_unlock(&m->lock);
		if (!copy)
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text_type, "no snapshot yet\n", 16);
		ret = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", copy, len);
		free(copy);
		return ret;
	}
	if (!strcmp(url, "/healthz")) {
		pthread_mutex_lock(&m->lock);
		age = m->published_ns ? clock_monotonic_ns() - m->published_ns : UINT64_MAX;
		pthread_mutex_unlock(&m->lock);
		if (age > METRICS_STALE_NS)
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text_type,
				     "stalled: the event loop has not run for 10 s\n", 46);
		return reply(c, MHD_HTTP_OK, text_type, "ok\n", 3);
	}
	return reply(c, MHD_HTTP_NOT_FOUND, text_type, "not found: try /metrics or /healthz\n", 36);
}

int metrics_start(const char *listen, struct metrics **out, char *err, size_t n)
{
	struct sockaddr_storage sa;
	struct metrics *m;
	char why[160];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

	*out = NULL;
	if (metrics_parse_listen(listen, &sa, why, sizeof(why))) {
		snprintf(err, n, "metrics.listen '%s': %s", listen, why);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, n, "metrics: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!m->mhd) {
		int e = errno ? errno : EADDRINUSE;

		snprintf(err, n, "metrics: cannot listen on %s: %s; pick a free port with "
			 "metrics.listen (or --metrics), or leave it unset to turn metrics off",
			 listen, strerror(e));
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -e;
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	jbuf_free(&m->buf);
	free(m);
}

/* ---- rendering ---- */

static const struct {
	int stat;
	const char *name;
	const char *help;
} kernel_stats[] = {
	{ BW_STAT_EVENTS, "events", "Records the BPF programs submitted." },
	{ BW_STAT_RB_DROPS, "ringbuf_drops", "Records lost in the kernel: the ring buffer was full." },
	{ BW_STAT_PATH_TRUNC, "paths_truncated", "Paths truncated (over 4095 bytes or 64 components)." },
	{ BW_STAT_ARGS_TRUNC, "argv_truncated", "Exec argument lists truncated (over 4095 bytes)." },
	{ BW_STAT_DATA_TRUNC, "payload_truncated", "Database socket payloads truncated." },
	{ BW_STAT_INFLIGHT_FULL, "inflight_full_drops", "Records lost: too many syscalls in flight." },
	{ BW_STAT_READ_ERR, "read_errors", "Arguments the kernel could not read." },
	{ BW_STAT_KILLS, "kernel_kills", "SIGKILLs sent by the kernel (protected trees)." },
	{ BW_STAT_DB_TRACK_FULL, "db_socket_map_full", "Database connections not tracked: map full." },
	{ BW_STAT_DB_UNREADABLE, "db_payload_unreadable", "Database bytes moved by syscalls that cannot be read." },
	{ BW_STAT_DB_STALE, "db_stale_sockets", "Socket entries reclaimed after no close()." },
	{ BW_STAT_DB_READS_SKIPPED, "db_reads_not_reported", "Plain reads outside sessions, counted not reported." },
};

static void metric(struct jbuf *b, const char *name, const char *type, const char *help,
		   unsigned long long v)
{
	jbuf_printf(b, "# HELP bulwark_%s %s\n# TYPE bulwark_%s %s\nbulwark_%s %llu\n", name, help,
		    name, type, name, v);
}

/* A label value: backslash, double quote and newline escaped, as the text format wants. */
static void label_value(struct jbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			jbuf_putc(b, '\\');
		if (*s == '\n') {
			jbuf_puts(b, "\\n");
			continue;
		}
		jbuf_putc(b, *s);
	}
}

/* utime+stime (fields 14, 15 of /proc/self/stat) and the start time, in seconds. */
/* Per-output delivery and spool counters (counters, then the gauges). */
static void render_outputs(struct jbuf *b, struct outputs *o)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} m[] = {
#define OM(f, t, h) { "bulwark_output_" #f, t, h, offsetof(struct output_stats, f) }
		OM(sent, "counter", "Alerts handed to the output."),
		OM(delivered, "counter", "Alerts the receiver accepted."),
		OM(failed_attempts, "counter", "Delivery attempts that failed (each retry counts)."),
		OM(rejected, "counter", "Alerts the receiver refused for good."),
		OM(spooled, "counter", "Alerts written to the on-disk spool."),
		OM(dropped, "counter", "Alerts given up (spool and queue full, or lost at exit)."),
		OM(spool_pending, "gauge", "Alerts in the spool not yet delivered."),
		OM(spool_bytes, "gauge", "Size of the spool's files."),
#undef OM
	};
	struct output_stats st;
	int n = o ? outputs_count(o) : 0;

	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		jbuf_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n", m[k].name,
			    m[k].type[0] == 'c' ? "_total" : "", m[k].help, m[k].name,
			    m[k].type[0] == 'c' ? "_total" : "", m[k].type);
		for (int i = 0; i < n; i++) {
			outputs_get_stats(o, i, &st);
			jbuf_printf(b, "%s%s{output=\"", m[k].name, m[k].type[0] == 'c' ? "_total" : "");
			label_value(b, st.name ? st.name : "");
			jbuf_printf(b, "\",type=\"%s\"} %llu\n", output_type_name(st.type),
				    (unsigned long long)*(const uint64_t *)((const char *)&st + m[k].off));
		}
	}
	jbuf_puts(b, "# HELP bulwark_output_up 1 when the output's last delivery succeeded.\n"
		     "# TYPE bulwark_output_up gauge\n");
	for (int i = 0; i < n; i++) {
		outputs_get_stats(o, i, &st);
		jbuf_puts(b, "bulwark_output_up{output=\"");
		label_value(b, st.name ? st.name : "");
		jbuf_printf(b, "\",type=\"%s\"} %d\n", output_type_name(st.type), st.up ? 1 : 0);
	}
}

static void proc_self(double *cpu, unsigned long long *rss, unsigned long long *vsz)
{
	char buf[1024], *p;
	unsigned long ut = 0, st = 0;
	unsigned long long pages = 0, vpages = 0;
	long hz = sysconf(_SC_CLK_TCK), pg = sysconf(_SC_PAGESIZE);
	FILE *f;
	size_t n;

	*cpu = 0;
	*rss = *vsz = 0;
	f = fopen("/proc/self/stat", "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		fclose(f);
		/* the command name may hold spaces and parentheses: skip to the last ')' */
		p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&ut, &st) == 2 && hz > 0)
			*cpu = (double)(ut + st) / (double)hz;
	}
	f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &vpages, &pages) == 2 && pg > 0) {
			*rss = pages * (unsigned long long)pg;
			*vsz = vpages * (unsigned long long)pg;
		}
		fclose(f);
	}
}

void metrics_render(struct daemon *d, const uint64_t *k, struct jbuf *b)
{
	struct journal_stats js = { 0 };
	unsigned long long rss, vsz;
	double cpu;
	int attached = 0;

	jbuf_printf(b, "# HELP bulwark_build_info The running bulwark's version.\n"
		       "# TYPE bulwark_build_info gauge\nbulwark_build_info{version=\"%s\"} 1\n",
		    BULWARK_VERSION);
	jbuf_printf(b, "# HELP bulwark_start_time_seconds When the daemon started, seconds since "
		       "the epoch.\n# TYPE bulwark_start_time_seconds gauge\n"
		       "bulwark_start_time_seconds %.3f\n", (double)d->started_ns / 1e9);
	for (int i = 0; i < d->loader.nprogs; i++)
		attached += d->loader.progs[i].attached;
	metric(b, "programs_attached", "gauge", "BPF programs attached.", (unsigned long long)attached);
	metric(b, "rules", "gauge", "Enabled rules loaded.", (unsigned long long)rules_count(d->rules));
	for (size_t i = 0; i < sizeof(kernel_stats) / sizeof(kernel_stats[0]); i++)
		jbuf_printf(b, "# HELP bulwark_kernel_%s_total %s\n# TYPE bulwark_kernel_%s_total "
			       "counter\nbulwark_kernel_%s_total %llu\n", kernel_stats[i].name,
			    kernel_stats[i].help, kernel_stats[i].name, kernel_stats[i].name,
			    (unsigned long long)(k ? k[kernel_stats[i].stat] : 0));
	metric(b, "events_total", "counter", "Records decoded in user space.", d->c.events);
	metric(b, "alerts_total", "counter", "Alerts emitted.", d->c.alerts);
	metric(b, "bad_records_total", "counter", "Malformed records.", d->c.bad_records);
	metric(b, "reloads_total", "counter", "Successful SIGHUP reloads.", d->c.reloads);
	metric(b, "reload_errors_total", "counter", "Failed reloads (the previous configuration kept).",
	       d->c.reload_errors);
	metric(b, "processes", "gauge", "Processes in the process table.", d->dec.pt.count);
	metric(b, "proc_reads_total", "counter", "Reads of /proc for processes not yet known.",
	       d->dec.pt.proc_reads);
	metric(b, "kills_total", "counter", "Processes killed by user space.", d->actions.kills);
	metric(b, "kill_errors_total", "counter", "Kills that failed.", d->actions.kill_errors);
	if (d->journal)
		journal_get_stats(d->journal, &js);
	metric(b, "journal_records_total", "counter", "Records written to the journal.", js.records);
	metric(b, "journal_bytes_total", "counter", "Bytes written to the journal.", js.bytes);
	metric(b, "journal_lost_total", "counter", "Records the journal could not write.", js.lost);
	metric(b, "journal_write_errors_total", "counter", "Journal write errors.", js.write_errors);
	metric(b, "journal_disk_full", "gauge", "1 while the journal's disk is full.", js.disk_full);

	jbuf_puts(b, "# HELP bulwark_rule_matches_total Times a rule's condition matched.\n"
		     "# TYPE bulwark_rule_matches_total counter\n");
	for (int i = 0; i < rules_nrules(d->rules); i++) {
		const struct rule *r = rules_rule(d->rules, i);
		uint64_t m, f;

		rule_counters(r, &m, &f);
		jbuf_puts(b, "bulwark_rule_matches_total{rule=\"");
		label_value(b, rule_name(r));
		jbuf_printf(b, "\"} %llu\n", (unsigned long long)m);
	}
	jbuf_puts(b, "# HELP bulwark_rule_alerts_total Alerts a rule raised (after thresholds).\n"
		     "# TYPE bulwark_rule_alerts_total counter\n");
	for (int i = 0; i < rules_nrules(d->rules); i++) {
		const struct rule *r = rules_rule(d->rules, i);
		uint64_t m, f;

		rule_counters(r, &m, &f);
		jbuf_puts(b, "bulwark_rule_alerts_total{rule=\"");
		label_value(b, rule_name(r));
		jbuf_printf(b, "\"} %llu\n", (unsigned long long)f);
	}
	render_outputs(b, d->outputs);

	/* the standard process_* names, so existing dashboards show bulwark's cost */
	proc_self(&cpu, &rss, &vsz);
	jbuf_printf(b, "# HELP process_cpu_seconds_total User and system CPU time of the daemon.\n"
		       "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
		       "# HELP process_resident_memory_bytes Resident memory of the daemon.\n"
		       "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %llu\n"
		       "# HELP process_virtual_memory_bytes Virtual memory of the daemon.\n"
		       "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %llu\n",
		    cpu, rss, vsz);
}

void metrics_publish(struct metrics *m, struct daemon *d, const uint64_t *k)
{
	char *copy;

	if (!m)
		return;
	jbuf_reset(&m->buf);
	metrics_render(d, k, &m->buf);
	if (!jbuf_ok(&m->buf))
		return;
	copy = malloc(m->buf.len);
	if (!copy)
		return;
	memcpy(copy, m->buf.p, m->buf.len);
	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = copy;
	m->len = m->buf.len;
	m->published_ns = clock_monotonic_ns();
	pthread_mutex_unlock(&m->lock);
}
