// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The syslog output: RFC 5424 messages to a local socket, or to a collector over UDP, TCP or TLS. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "core/json.h"
#include "outputs/outputs_int.h"
#include "rules/rules.h"

/*
 * 32473 is the enterprise number RFC 5612 reserves for examples: bulwark
 * has no number of its own, and SD-IDs with '@' are free-form by design.
 */
#define SD_ID "bulwark@32473"

struct syslog_sink {
	int fd;                /* connected socket, -1 when down */
	SSL_CTX *ctx;          /* transport=tls */
	SSL *ssl;
	struct jbuf msg;       /* the message being sent (framing included) */
	char *scratch;         /* alert_view_parse() */
	size_t scratch_cap;
};

static void drop_conn(struct syslog_sink *y)
{
	if (y->ssl) {
		SSL_free(y->ssl);
		y->ssl = NULL;
	}
	if (y->fd >= 0)
		close(y->fd);
	y->fd = -1;
}

/* The OpenSSL error queue as one line, emptied. */
static void ssl_error(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, n, "TLS failure");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
}

static int syslog_open(struct sink *s, char *err, size_t errlen)
{
	const struct output_config *c = s->cfg;
	struct syslog_sink *y = calloc(1, sizeof(*y));
	char why[256];

	if (!y) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	y->fd = -1;
	s->priv = y;
	if (c->transport != SYSLOG_TLS)
		return 0;
	y->ctx = SSL_CTX_new(TLS_client_method());
	if (!y->ctx)
		goto tls_fail;
	SSL_CTX_set_min_proto_version(y->ctx, TLS1_2_VERSION);
	if (c->ca ? !SSL_CTX_load_verify_locations(y->ctx, c->ca, NULL)
		  : !SSL_CTX_set_default_verify_paths(y->ctx))
		goto tls_fail;
	if (c->cert && (SSL_CTX_use_certificate_chain_file(y->ctx, c->cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(y->ctx, c->key, SSL_FILETYPE_PEM) != 1))
		goto tls_fail;
	SSL_CTX_set_verify(y->ctx, c->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	return 0;
tls_fail:
	ssl_error(why, sizeof(why));
	snprintf(err, errlen, "TLS setup for %s (ca=%s cert=%s): %s", c->host ? c->host : "?",
		 c->ca ? c->ca : "system", c->cert ? c->cert : "none", why);
	return -EINVAL;
}

static int wait_fd(int fd, short ev, uint64_t deadline)
{
	uint64_t now = outputs_now_ns();
	struct pollfd pf = { fd, ev, 0 };
	int n;

	if (now >= deadline)
		return -ETIMEDOUT;
	n = poll(&pf, 1, (int)((deadline - now) / 1000000ull) + 1);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Connects a stream or datagram socket to host:port before deadline. */
static int connect_inet(struct sink *s, uint64_t deadline, char *err, size_t errlen)
{
	const struct output_config *c = s->cfg;
	struct syslog_sink *y = s->priv;
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	const char *port = c->port ? c->port : c->transport == SYSLOG_TLS ? "6514" : "514";
	bool stream = c->transport != SYSLOG_UDP;
	int rc, fd = -1, e = 0;

	hints.ai_socktype = stream ? SOCK_STREAM : SOCK_DGRAM;
	rc = getaddrinfo(c->host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s port %s: %s", c->host, port, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		socklen_t el = sizeof(e);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		e = errno;
		if (e == EINPROGRESS) {
			e = -wait_fd(fd, POLLOUT, deadline);
			if (!e && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el))
				e = errno;
			if (!e)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s port %s (%s): %s", c->host, port,
			 stream ? "tcp" : "udp", strerror(e));
		return -(e ? e : EHOSTUNREACH);
	}
	y->fd = fd;
	return 0;
}

static int tls_handshake(struct sink *s, uint64_t deadline, char *err, size_t errlen)
{
	const struct output_config *c = s->cfg;
	struct syslog_sink *y = s->priv;
	char why[256];
	int r;

	y->ssl = SSL_new(y->ctx);
	if (!y->ssl || !SSL_set_fd(y->ssl, y->fd))
		goto fail;
	SSL_set_tlsext_host_name(y->ssl, c->host);
	/* the certificate must name the host we dialled, not only chain to the CA */
	if (!c->insecure && !SSL_set1_host(y->ssl, c->host))
		goto fail;
	while ((r = SSL_connect(y->ssl)) != 1) {
		int e = SSL_get_error(y->ssl, r), w;

		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			goto fail;
		w = wait_fd(y->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
		if (w) {
			snprintf(err, errlen, "TLS handshake with %s: %s", c->host, strerror(-w));
			drop_conn(y);
			return w;
		}
	}
	return 0;
fail:
	ssl_error(why, sizeof(why));
	if (y->ssl && SSL_get_verify_result(y->ssl) != X509_V_OK)
		snprintf(why, sizeof(why), "certificate verification failed: %s",
			 X509_verify_cert_error_string(SSL_get_verify_result(y->ssl)));
	snprintf(err, errlen, "TLS handshake with %s: %s", c->host, why);
	drop_conn(y);
	return -ECONNREFUSED;
}

static int connect_unix(struct sink *s, char *err, size_t errlen)
{
	struct syslog_sink *y = s->priv;
	const char *path = s->cfg->path ? s->cfg->path : "/dev/log";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot connect to %s: %s%s", path, strerror(e),
			 e == ENOENT ? " (is a syslog daemon running?)" : "");
		return -e;
	}
	y->fd = fd;
	return 0;
}

/* A stream connection the collector closed shows as readable with EOF: notice before writing into it. */
static bool stream_alive(struct syslog_sink *y)
{
	char c;
	ssize_t n;

	if (y->ssl)
		return SSL_get_shutdown(y->ssl) == 0 &&
		       (recv(y->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN);
	n = recv(y->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && errno == EAGAIN;
}

static void put_sd_value(struct jbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			jbuf_putc(b, '\\');
		jbuf_putc(b, *v);
	}
}

/* HEADER SP STRUCTURED-DATA SP MSG of RFC 5424, into y->msg (after any framing prefix). */
static int format_msg(struct sink *s, const char *json, size_t len)
{
	const struct output_config *c = s->cfg;
	struct syslog_sink *y = s->priv;
	struct alert_view v;
	char ts[40];
	int sev;

	if (y->scratch_cap < 2 * len + 64) {
		char *p = realloc(y->scratch, 2 * len + 64);

		if (!p)
			return -ENOMEM;
		y->scratch = p;
		y->scratch_cap = 2 * len + 64;
	}
	if (alert_view_parse(json, len, y->scratch, &v))
		return -EINVAL;
	sev = rule_priority_from_name(v.priority);
	if (sev < 0)
		sev = PRI_WARNING;
	/* RFC 5424 allows six digits of fraction; the alert has nine */
	if (strlen(v.time) >= 27 && v.time[19] == '.')
		snprintf(ts, sizeof(ts), "%.26sZ", v.time);
	else
		snprintf(ts, sizeof(ts), "%s", *v.time ? v.time : "-");
	jbuf_printf(&y->msg, "<%d>1 %s ", c->facility * 8 + sev, ts);
	if (*v.hostname) {
		for (const char *h = v.hostname; *h && h - v.hostname < 255; h++)
			jbuf_putc(&y->msg, *h > 32 && *h < 127 ? *h : '_');
	} else {
		jbuf_putc(&y->msg, '-');
	}
	jbuf_printf(&y->msg, " %s %d alert [" SD_ID " rule=\"", c->app_name ? c->app_name : "bulwark",
		    (int)getpid());
	put_sd_value(&y->msg, v.rule);
	jbuf_puts(&y->msg, "\" priority=\"");
	put_sd_value(&y->msg, v.priority);
	jbuf_puts(&y->msg, "\" action=\"");
	put_sd_value(&y->msg, *v.action ? v.action : "alert");
	jbuf_puts(&y->msg, "\"] ");
	if (c->text) {
		jbuf_puts(&y->msg, v.rule);
		jbuf_puts(&y->msg, ": ");
		jbuf_puts(&y->msg, v.output);
	} else {
		jbuf_put(&y->msg, json, len);
	}
	return jbuf_ok(&y->msg) ? 0 : -ENOMEM;
}

static int send_stream(struct sink *s, const char *p, size_t n, uint64_t deadline)
{
	struct syslog_sink *y = s->priv;

	while (n) {
		ssize_t w;
		int e = 0, r;

		if (y->ssl) {
			r = SSL_write(y->ssl, p, (int)n);
			if (r > 0) {
				w = r;
			} else {
				e = SSL_get_error(y->ssl, r);
				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
					ERR_clear_error();
					return -EPIPE;
				}
				r = wait_fd(y->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
				if (r)
					return r;
				continue;
			}
		} else {
			w = send(y->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno != EAGAIN && errno != EINTR)
					return -errno;
				r = wait_fd(y->fd, POLLOUT, deadline);
				if (r)
					return r;
				continue;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int syslog_deliver(struct sink *s, const char *json, size_t len, char *err, size_t errlen)
{
	const struct output_config *c = s->cfg;
	struct syslog_sink *y = s->priv;
	uint64_t deadline = outputs_now_ns() + (uint64_t)c->timeout_ms * 1000000ull;
	bool stream = c->transport == SYSLOG_TCP || c->transport == SYSLOG_TLS;
	size_t body;
	char prefix[24];
	int rc, pl;

	jbuf_reset(&y->msg);
	rc = format_msg(s, json, len);
	if (rc == -EINVAL) {
		snprintf(err, errlen, "not an alert object; not sent");
		return SINK_REJECTED;
	}
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if (y->fd >= 0 && stream && !stream_alive(y))
		drop_conn(y);
	if (y->fd < 0) {
		rc = c->transport == SYSLOG_UNIX ? connect_unix(s, err, errlen)
						 : connect_inet(s, deadline, err, errlen);
		if (!rc && c->transport == SYSLOG_TLS)
			rc = tls_handshake(s, deadline, err, errlen);
		if (rc)
			return rc;
	}
	if (!stream) {
		ssize_t w = send(y->fd, y->msg.p, y->msg.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w == (ssize_t)y->msg.len)
			return 0;
		rc = w < 0 ? errno : EMSGSIZE;
		snprintf(err, errlen, "send to %s: %s", c->transport == SYSLOG_UNIX
			 ? (c->path ? c->path : "/dev/log") : c->host, strerror(rc));
		if (rc == EMSGSIZE)
			return SINK_REJECTED;
		drop_conn(y);
		return -rc;
	}
	/* RFC 6587 octet counting: "LEN SP MSG", so a newline inside an alert is harmless */
	body = y->msg.len;
	pl = snprintf(prefix, sizeof(prefix), "%zu ", body);
	rc = send_stream(s, prefix, (size_t)pl, deadline);
	if (!rc)
		rc = send_stream(s, y->msg.p, body, deadline);
	if (rc) {
		snprintf(err, errlen, "send to %s: %s", c->host, strerror(-rc));
		drop_conn(y);
		return rc;
	}
	return 0;
}

static void syslog_close(struct sink *s)
{
	struct syslog_sink *y = s->priv;

	if (!y)
		return;
	if (y->ssl)
		SSL_shutdown(y->ssl);
	drop_conn(y);
	SSL_CTX_free(y->ctx);
	jbuf_free(&y->msg);
	free(y->scratch);
	free(y);
	s->priv = NULL;
}

const struct sink_ops sink_syslog_ops = {
	.open = syslog_open, .deliver = syslog_deliver, .close = syslog_close,
};
