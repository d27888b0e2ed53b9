// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Outputs configuration: defaults, TYPE:key=value specs, and checks before start. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "outputs/outputs.h"
#include "rules/rules.h"
#include "core/clock.h"

static const char *const type_names[OUTPUT_NTYPES] = {
	[OUTPUT_STDOUT] = "stdout", [OUTPUT_FILE] = "file", [OUTPUT_SYSLOG] = "syslog",
	[OUTPUT_HTTP] = "http", [OUTPUT_PROGRAM] = "program",
};

const char *output_type_name(enum output_type t)
{
	return t < OUTPUT_NTYPES ? type_names[t] : "?";
}

static void output_defaults(struct output_config *o, enum output_type t)
{
	memset(o, 0, sizeof(*o));
	o->type = t;
	o->enabled = true;
	o->min_priority = PRI_DEBUG;
	o->spool_max_bytes = 64ull << 20;
	o->queue_len = 4096;
	o->retry_min_ms = 1000;
	o->retry_max_ms = 60000;
	o->timeout_ms = 5000;
	o->keep_alive = true;
	o->facility = 16; /* local0 */
}

void outputs_config_init(struct outputs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	output_defaults(&cfg->out[0], OUTPUT_STDOUT);
	cfg->out[0].name = strdup("stdout");
	cfg->n = 1;
	cfg->aggregate.on = true;
	cfg->aggregate.after = 10;
	cfg->aggregate.window_ns = 60ull * 1000000000ull;
}

static void output_free(struct output_config *o)
{
	free(o->name);
	free(o->spool_dir);
	free(o->path);
	free(o->command);
	free(o->url);
	for (int i = 0; i < o->nheaders; i++)
		free(o->headers[i]);
	free(o->host);
	free(o->port);
	free(o->app_name);
	free(o->ca);
	free(o->cert);
	free(o->key);
	memset(o, 0, sizeof(*o));
}

void outputs_config_free(struct outputs_config *cfg)
{
	for (int i = 0; i < cfg->n; i++)
		output_free(&cfg->out[i]);
	cfg->n = 0;
}

/* The one duration grammar (core/clock): "60s", "500ms", "1h30m"; a bare number is seconds. */
static int parse_duration_ms(const char *v, uint64_t *ms)
{
	uint64_t ns;

	if (clock_parse_duration(v, strlen(v), CLOCK_NS_PER_SEC, &ns))
		return -EINVAL;
	*ms = ns / 1000000;
	return 0;
}

/* "64M", "512K", "1G", bytes otherwise. */
static int parse_size(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v)
		return -EINVAL;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' ? (end[1] == 'B' ? 2 : 1) : 1;
	if (*end)
		return -EINVAL;
	*out = n;
	return 0;
}

static int parse_bool(const char *v, bool *b)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*b = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
		 !strcmp(v, "0"))
		*b = false;
	else
		return -EINVAL;
	return 0;
}

static const struct { const char *name; int code; } facilities[] = {
	{ "kern", 0 }, { "user", 1 }, { "mail", 2 }, { "daemon", 3 }, { "auth", 4 },
	{ "syslog", 5 }, { "lpr", 6 }, { "news", 7 }, { "uucp", 8 }, { "cron", 9 },
	{ "authpriv", 10 }, { "ftp", 11 }, { "local0", 16 }, { "local1", 17 }, { "local2", 18 },
	{ "local3", 19 }, { "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

static int parse_facility(const char *v, int *f)
{
	char *end;
	long n;

	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcasecmp(v, facilities[i].name)) {
			*f = facilities[i].code;
			return 0;
		}
	n = strtol(v, &end, 10);
	if (*v && !*end && n >= 0 && n <= 23) {
		*f = (int)n;
		return 0;
	}
	return -EINVAL;
}

static int set_str(char **dst, const char *v)
{
	char *p = strdup(v);

	if (!p)
		return -ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

/* Keys each type accepts, for the unknown-key message. */
static const char common_keys[] = "name, enabled, min_priority";
static const char delivery_keys[] = "spool, spool_max, queue, retry_min, retry_max, timeout";
static const char *const type_keys[OUTPUT_NTYPES] = {
	[OUTPUT_STDOUT] = "",
	[OUTPUT_FILE] = "path",
	[OUTPUT_SYSLOG] = "transport, host, port, path, facility, format, app_name, ca, cert, key, "
			  "insecure",
	[OUTPUT_HTTP] = "url, header, ca, cert, key, insecure",
	[OUTPUT_PROGRAM] = "command, keep_alive",
};

/* Applies key=value to o. Returns 0, -ENOENT (unknown key), -EINVAL (bad value: *want set). */
static int apply_key(struct output_config *o, const char *k, const char *v, const char **want)
{
	enum output_type t = o->type;
	bool net = t != OUTPUT_STDOUT;
	uint64_t n;
	int p;

	*want = NULL;
	if (!strcmp(k, "name")) {
		*want = "a name of letters, digits, '-' and '_'";
		if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
			   != strlen(v) || strlen(v) > 31)
			return -EINVAL;
		return set_str(&o->name, v);
	}
	if (!strcmp(k, "enabled")) {
		*want = "true or false";
		return parse_bool(v, &o->enabled);
	}
	if (!strcmp(k, "min_priority")) {
		*want = "a priority: emergency, alert, critical, error, warning, notice, "
			"informational (info) or debug";
		p = rule_priority_from_name(v);
		if (p < 0)
			return -EINVAL;
		o->min_priority = p;
		return 0;
	}
	if (net && !strcmp(k, "spool")) {
		if (!strcmp(v, "off")) {
			free(o->spool_dir);
			o->spool_dir = NULL;
			return 0;
		}
		*want = "an absolute directory, or off";
		if (v[0] != '/')
			return -EINVAL;
		return set_str(&o->spool_dir, v);
	}
	if (net && !strcmp(k, "spool_max")) {
		*want = "a size of at least 64K, like 64M or 1G";
		if (parse_size(v, &n) || n < (64u << 10))
			return -EINVAL;
		o->spool_max_bytes = n;
		return 0;
	}
	if (net && !strcmp(k, "queue")) {
		*want = "a number of alerts from 1 to 1000000";
		if (parse_size(v, &n) || !n || n > 1000000)
			return -EINVAL;
		o->queue_len = (uint32_t)n;
		return 0;
	}
	if (net && (!strcmp(k, "retry_min") || !strcmp(k, "retry_max") || !strcmp(k, "timeout"))) {
		*want = "a duration from 1ms to 1h, like 500ms, 5s or 2m";
		if (parse_duration_ms(v, &n) || !n || n > 3600000)
			return -EINVAL;
		if (k[0] == 't')
			o->timeout_ms = (uint32_t)n;
		else if (!strcmp(k, "retry_min"))
			o->retry_min_ms = (uint32_t)n;
		else
			o->retry_max_ms = (uint32_t)n;
		return 0;
	}
	if ((t == OUTPUT_FILE || t == OUTPUT_SYSLOG) && !strcmp(k, "path")) {
		*want = "an absolute path";
		if (v[0] != '/')
			return -EINVAL;
		return set_str(&o->path, v);
	}
	if (t == OUTPUT_PROGRAM && !strcmp(k, "command")) {
		*want = "a shell command";
		if (!*v)
			return -EINVAL;
		return set_str(&o->command, v);
	}
	if (t == OUTPUT_PROGRAM && !strcmp(k, "keep_alive")) {
		*want = "true or false";
		return parse_bool(v, &o->keep_alive);
	}
	if (t == OUTPUT_HTTP && !strcmp(k, "url")) {
		*want = "an http:// or https:// URL";
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return -EINVAL;
		return set_str(&o->url, v);
	}
	if (t == OUTPUT_HTTP && !strcmp(k, "header")) {
		*want = "'Name: value' (at most 16 headers)";
		if (!strchr(v, ':') || *v == ':' || o->nheaders >= OUTPUT_MAX_HEADERS ||
		    strpbrk(v, "\r\n"))
			return -EINVAL;
		o->headers[o->nheaders] = strdup(v);
		if (!o->headers[o->nheaders])
			return -ENOMEM;
		o->nheaders++;
		return 0;
	}
	if (t == OUTPUT_SYSLOG && !strcmp(k, "transport")) {
		static const char *const names[] = { "unix", "udp", "tcp", "tls" };

		*want = "unix, udp, tcp or tls";
		for (int i = 0; i < 4; i++)
			if (!strcmp(v, names[i])) {
				o->transport = (enum syslog_transport)i;
				return 0;
			}
		return -EINVAL;
	}
	if (t == OUTPUT_SYSLOG && !strcmp(k, "host")) {
		*want = "a host name or address";
		if (!*v)
			return -EINVAL;
		return set_str(&o->host, v);
	}
	if (t == OUTPUT_SYSLOG && !strcmp(k, "port")) {
		char *end;
		long pn = strtol(v, &end, 10);

		*want = "a port number from 1 to 65535";
		if (!*v || *end || pn < 1 || pn > 65535)
			return -EINVAL;
		return set_str(&o->port, v);
	}
	if (t == OUTPUT_SYSLOG && !strcmp(k, "facility")) {
		*want = "a facility name (kern, user, daemon, auth, authpriv, local0..local7...) or "
			"a number from 0 to 23";
		return parse_facility(v, &o->facility);
	}
	if (t == OUTPUT_SYSLOG && !strcmp(k, "format")) {
		*want = "json or text";
		if (strcmp(v, "json") && strcmp(v, "text"))
			return -EINVAL;
		o->text = !strcmp(v, "text");
		return 0;
	}
	if (t == OUTPUT_SYSLOG && !strcmp(k, "app_name")) {
		*want = "1 to 48 printable ASCII characters, no spaces";
		if (!*v || strlen(v) > 48)
			return -EINVAL;
		for (const char *c = v; *c; c++)
			if (*c < 33 || *c > 126)
				return -EINVAL;
		return set_str(&o->app_name, v);
	}
	if ((t == OUTPUT_HTTP || t == OUTPUT_SYSLOG) &&
	    (!strcmp(k, "ca") || !strcmp(k, "cert") || !strcmp(k, "key"))) {
		*want = "the path of a PEM file";
		if (!*v)
			return -EINVAL;
		return set_str(k[0] == 'c' ? (k[1] == 'a' ? &o->ca : &o->cert) : &o->key, v);
	}
	if ((t == OUTPUT_HTTP || t == OUTPUT_SYSLOG) && !strcmp(k, "insecure")) {
		*want = "true or false";
		return parse_bool(v, &o->insecure);
	}
	return -ENOENT;
}

/* Next key=value of s (at *pos), unescaping "\," and "\\" into buf. */
static int next_pair(const char *s, size_t *pos, char *buf, size_t n, char **key, char **val)
{
	size_t i = *pos, o = 0;

	while (s[i] && s[i] != ',') {
		char c = s[i++];

		if (c == '\\' && (s[i] == ',' || s[i] == '\\'))
			c = s[i++];
		if (o + 1 >= n)
			return -E2BIG;
		buf[o++] = c;
	}
	buf[o] = 0;
	*pos = s[i] ? i + 1 : i;
	*key = buf;
	*val = strchr(buf, '=');
	if (!*val)
		return -EINVAL;
	*(*val)++ = 0;
	return 0;
}

static int parse_aggregate(struct outputs_config *cfg, const char *spec, const char *rest,
			   char *err, size_t errlen)
{
	char buf[1024], *k, *v;
	size_t pos = 0;
	uint64_t n;

	if (!strcmp(rest, "off")) {
		cfg->aggregate.on = false;
		return 0;
	}
	cfg->aggregate.on = true;
	if (!strcmp(rest, "on") || !*rest)
		return 0;
	while (rest[pos]) {
		if (next_pair(rest, &pos, buf, sizeof(buf), &k, &v)) {
			snprintf(err, errlen, "output spec '%s': expected key=value after 'aggregate:'",
				 spec);
			return -EINVAL;
		}
		if (!strcmp(k, "window")) {
			if (parse_duration_ms(v, &n) || n < 1000 || n > 86400000) {
				snprintf(err, errlen, "output spec '%s': window '%s': need a duration "
					 "from 1s to 24h, like 60s or 5m", spec, v);
				return -EINVAL;
			}
			cfg->aggregate.window_ns = n * 1000000ull;
		} else if (!strcmp(k, "after")) {
			if (parse_size(v, &n) || n > 1000000) {
				snprintf(err, errlen, "output spec '%s': after '%s': need a number of "
					 "alerts from 0 to 1000000", spec, v);
				return -EINVAL;
			}
			cfg->aggregate.after = (uint32_t)n;
		} else {
			snprintf(err, errlen, "output spec '%s': unknown key '%s' for aggregate "
				 "(known: window, after; or aggregate:off)", spec, k);
			return -EINVAL;
		}
	}
	return 0;
}

int outputs_config_parse_spec(struct outputs_config *cfg, const char *spec, char *err,
			      size_t errlen)
{
	struct output_config tmp, *o = &tmp;
	char tname[16], buf[4096], *k, *v, *name = NULL;
	const char *colon = strchr(spec, ':'), *rest, *want;
	size_t tl = colon ? (size_t)(colon - spec) : strlen(spec), pos = 0;
	int t = -1, rc, idx = -1, same = 0;

	rest = colon ? colon + 1 : "";
	if (tl < sizeof(tname)) {
		memcpy(tname, spec, tl);
		tname[tl] = 0;
		if (!strcmp(tname, "aggregate"))
			return parse_aggregate(cfg, spec, rest, err, errlen);
		for (int i = 0; i < OUTPUT_NTYPES; i++)
			if (!strcmp(tname, type_names[i]))
				t = i;
	}
	if (t < 0) {
		snprintf(err, errlen, "output spec '%s': unknown output type '%.*s'; use stdout, file, "
			 "syslog, http, program (or aggregate)", spec, (int)tl, spec);
		return -EINVAL;
	}
	/* the name decides which entry the spec sets: find it first */
	while (rest[pos]) {
		if (next_pair(rest, &pos, buf, sizeof(buf), &k, &v) == 0 && !strcmp(k, "name")) {
			free(name);
			name = strdup(v);
		}
	}
	for (int i = 0; i < cfg->n; i++) {
		if (cfg->out[i].type == (enum output_type)t)
			same++;
		if ((name && cfg->out[i].name && !strcmp(cfg->out[i].name, name)) ||
		    (!name && t == OUTPUT_STDOUT && cfg->out[i].type == OUTPUT_STDOUT))
			idx = i;
	}
	if (idx >= 0 && cfg->out[idx].type != (enum output_type)t) {
		snprintf(err, errlen, "output spec '%s': name '%s' is already a %s output", spec, name,
			 type_names[cfg->out[idx].type]);
		free(name);
		return -EINVAL;
	}
	if (idx < 0 && cfg->n >= OUTPUTS_MAX) {
		snprintf(err, errlen, "output spec '%s': at most %d outputs", spec, OUTPUTS_MAX);
		free(name);
		return -EINVAL;
	}
	free(name);
	/* a new output is parsed into a copy, so a bad spec adds nothing */
	if (idx >= 0) {
		o = &cfg->out[idx];
	} else {
		output_defaults(&tmp, (enum output_type)t);
		o = &tmp;
	}
	pos = 0;
	rc = 0;
	while (rest[pos]) {
		rc = next_pair(rest, &pos, buf, sizeof(buf), &k, &v);
		if (rc) {
			snprintf(err, errlen, "output spec '%s': '%s' is not key=value%s", spec, buf,
				 rc == -E2BIG ? " (value too long)" : "");
			rc = -EINVAL;
			break;
		}
		rc = apply_key(o, k, v, &want);
		if (rc == -ENOENT) {
			snprintf(err, errlen, "output spec '%s': unknown key '%s' for %s (known: %s%s%s%s%s)",
				 spec, k, type_names[t], common_keys, t != OUTPUT_STDOUT ? ", " : "",
				 t != OUTPUT_STDOUT ? delivery_keys : "", *type_keys[t] ? ", " : "",
				 type_keys[t]);
			rc = -EINVAL;
			break;
		}
		if (rc == -ENOMEM) {
			snprintf(err, errlen, "output spec '%s': out of memory", spec);
			break;
		}
		if (rc) {
			snprintf(err, errlen, "output spec '%s': %s '%s': need %s", spec, k, v, want);
			rc = -EINVAL;
			break;
		}
	}
	if (rc) {
		/* an existing entry was edited in place: the strings it gained stay owned by it */
		if (idx < 0)
			output_free(&tmp);
		return rc;
	}
	if (idx < 0) {
		if (!tmp.name) {
			char nb[32];

			if (same)
				snprintf(nb, sizeof(nb), "%s%d", type_names[t], same + 1);
			else
				snprintf(nb, sizeof(nb), "%s", type_names[t]);
			tmp.name = strdup(nb);
			if (!tmp.name) {
				output_free(&tmp);
				snprintf(err, errlen, "output spec '%s': out of memory", spec);
				return -ENOMEM;
			}
		}
		cfg->out[cfg->n++] = tmp;
	}
	return 0;
}

int outputs_config_check(const struct outputs_config *cfg, char *err, size_t errlen)
{
	for (int i = 0; i < cfg->n; i++) {
		const struct output_config *o = &cfg->out[i];
		const char *files[3] = { o->ca, o->cert, o->key };

		if (!o->enabled)
			continue;
		if (o->type == OUTPUT_FILE && !o->path) {
			snprintf(err, errlen, "output %s: a file output needs path=", o->name);
			return -EINVAL;
		}
		if (o->type == OUTPUT_HTTP && !o->url) {
			snprintf(err, errlen, "output %s: an http output needs url=", o->name);
			return -EINVAL;
		}
		if (o->type == OUTPUT_PROGRAM && !o->command) {
			snprintf(err, errlen, "output %s: a program output needs command=", o->name);
			return -EINVAL;
		}
		if (o->type == OUTPUT_SYSLOG && o->transport != SYSLOG_UNIX && !o->host) {
			snprintf(err, errlen, "output %s: syslog over %s needs host=", o->name,
				 o->transport == SYSLOG_UDP ? "udp" : o->transport == SYSLOG_TCP ? "tcp"
												 : "tls");
			return -EINVAL;
		}
		if (o->type == OUTPUT_SYSLOG && o->transport != SYSLOG_TLS &&
		    (o->ca || o->cert || o->key)) {
			snprintf(err, errlen, "output %s: ca=, cert= and key= need transport=tls", o->name);
			return -EINVAL;
		}
		if (!o->cert != !o->key) {
			snprintf(err, errlen, "output %s: cert= and key= go together", o->name);
			return -EINVAL;
		}
		if (o->retry_min_ms > o->retry_max_ms) {
			snprintf(err, errlen, "output %s: retry_min (%u ms) is above retry_max (%u ms)",
				 o->name, o->retry_min_ms, o->retry_max_ms);
			return -EINVAL;
		}
		for (int f = 0; f < 3; f++)
			if (files[f] && access(files[f], R_OK)) {
				snprintf(err, errlen, "output %s: cannot read %s: %s", o->name, files[f],
					 strerror(errno));
				return -EINVAL;
			}
	}
	return 0;
}
