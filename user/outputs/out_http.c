// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The HTTP(S) output: POST of the alert JSON (Falco's body, as Falcosidekick's / takes it) via libcurl. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "outputs/outputs_int.h"

struct http_sink {
	CURL *curl;                /* one handle: the connection is kept alive between alerts */
	struct curl_slist *headers;
	char curl_err[CURL_ERROR_SIZE];
};

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p; (void)ctx;
	return size * n;
}

static int http_open(struct sink *s, char *err, size_t errlen)
{
	const struct output_config *c = s->cfg;
	struct http_sink *h = calloc(1, sizeof(*h));
	struct curl_slist *l;

	if (!h)
		goto oom;
	s->priv = h;
	h->curl = curl_easy_init();
	if (!h->curl)
		goto oom;
	l = curl_slist_append(NULL, "Content-Type: application/json");
	for (int i = 0; l && i < c->nheaders; i++)
		l = curl_slist_append(l, c->headers[i]);
	/* curl adds "Expect: 100-continue" for large bodies: a round trip for nothing */
	if (l)
		l = curl_slist_append(l, "Expect:");
	if (!l)
		goto oom;
	h->headers = l;
	curl_easy_setopt(h->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "bulwark");
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->ca)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, c->ca);
	if (c->cert) {
		curl_easy_setopt(h->curl, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(h->curl, CURLOPT_SSLKEY, c->key);
	}
	if (c->insecure) {
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return 0;
oom:
	snprintf(err, errlen, "cannot set up libcurl: out of memory");
	return -ENOMEM;
}

static int http_deliver(struct sink *s, const char *json, size_t len, char *err, size_t errlen)
{
	struct http_sink *h = s->priv;
	long code = 0;
	CURLcode rc;

	h->curl_err[0] = 0;
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "POST %s: %s", s->cfg->url,
			 h->curl_err[0] ? h->curl_err : curl_easy_strerror(rc));
		return rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return 0;
	snprintf(err, errlen, "POST %s: HTTP status %ld", s->cfg->url, code);
	/* a receiver that refuses this body refuses it again; busy or broken ones may recover */
	if (code >= 400 && code < 500 && code != 408 && code != 429)
		return SINK_REJECTED;
	return -EAGAIN;
}

static void http_close(struct sink *s)
{
	struct http_sink *h = s->priv;

	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h);
	s->priv = NULL;
}

const struct sink_ops sink_http_ops = {
	.open = http_open, .deliver = http_deliver, .close = http_close,
};
