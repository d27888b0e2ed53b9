// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Outputs: the fan-out from the event loop, and one worker thread per
 * output that can fail.
 *
 * The event loop never waits for a receiver: outputs_emit() copies the
 * alert into the output's bounded in-memory queue and returns. The worker
 * delivers from that queue while the receiver answers. When a delivery
 * fails, that alert and every later one go to the backlog, the on-disk
 * spool (or, with spool=off, a memory backlog of queue= alerts), and the
 * backlog is retried oldest first with exponential backoff. New alerts
 * keep joining the backlog's tail until it is empty again, so delivery
 * stays in order and each alert leaves the backlog once. What cannot be
 * kept (spool full, memory backlog full, queue full) is counted in
 * `dropped`, never silently.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "outputs/outputs_int.h"
#include "outputs/spool.h"
#include "core/clock.h"

struct qitem {
	char *p;
	uint32_t len;
};

/* A FIFO of owned alert copies. */
struct qring {
	struct qitem *v;
	uint32_t cap, head, n;
};

struct output {
	const struct output_config *cfg;
	struct outputs *parent;
	struct sink sink;
	struct spool *spool;       /* NULL with spool=off */
	bool threaded;             /* false for stdout: written by the event loop */
	bool started;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct qring q;            /* event loop -> worker; under mu */
	bool stop;                 /* under mu */
	uint64_t stop_deadline;    /* under mu */
	/* counters: written by one thread, read by status */
	_Atomic uint64_t sent, delivered, failed, rejected, spooled, dropped, filtered;
	_Atomic uint64_t pending, spool_bytes;
	atomic_bool up;
	char last_error[256];      /* under mu */
};

struct outputs {
	const struct outputs_config *cfg;
	struct output out[OUTPUTS_MAX];
	int n;
	FILE *errf;
	char hostname[256];
	struct aggregator *agg;
	bool curl;                 /* curl_global_init() was called */
};

static const struct sink_ops *const ops_by_type[OUTPUT_NTYPES] = {
	[OUTPUT_STDOUT] = &sink_stdout_ops, [OUTPUT_FILE] = &sink_file_ops,
	[OUTPUT_SYSLOG] = &sink_syslog_ops, [OUTPUT_HTTP] = &sink_http_ops,
	[OUTPUT_PROGRAM] = &sink_program_ops,
};

uint64_t outputs_now_ns(void)
{
	return clock_monotonic_ns();
}

static int qring_init(struct qring *r, uint32_t cap)
{
	r->v = calloc(cap, sizeof(*r->v));
	r->cap = cap;
	r->head = r->n = 0;
	return r->v ? 0 : -ENOMEM;
}

static bool qring_push(struct qring *r, struct qitem it)
{
	if (r->n == r->cap)
		return false;
	r->v[(r->head + r->n++) % r->cap] = it;
	return true;
}

static struct qitem *qring_front(struct qring *r)
{
	return r->n ? &r->v[r->head] : NULL;
}

static struct qitem qring_pop(struct qring *r)
{
	struct qitem it = r->v[r->head];

	r->v[r->head] = (struct qitem){ 0 };
	r->head = (r->head + 1) % r->cap;
	r->n--;
	return it;
}

static void qring_free(struct qring *r)
{
	while (r->n)
		free(qring_pop(r).p);
	free(r->v);
	r->v = NULL;
}

/* alert_view_parse(): the keys the sinks use. */
struct view_ctx {
	struct alert_view *v;
	char *copy;               /* NUL-terminated copies go here */
};

static int view_kv(void *vctx, const char *k, size_t kl, const struct json_val *val)
{
	struct view_ctx *c = vctx;
	static const char *const keys[] = { "time", "rule", "priority", "output", "hostname",
					    "action" };
	const char **dst[] = { &c->v->time, &c->v->rule, &c->v->priority, &c->v->output,
			       &c->v->hostname, &c->v->action };

	if (kl == 13 && !memcmp(k, "output_fields", 13) && val->type == JV_RAW) {
		c->v->output_fields = val->p;
		c->v->output_fields_len = val->len;
		return 0;
	}
	if (val->type != JV_STR)
		return 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == kl && !memcmp(keys[i], k, kl)) {
			memcpy(c->copy, val->p, val->len);
			c->copy[val->len] = 0;
			*dst[i] = c->copy;
			c->copy += val->len + 1;
		}
	return 0;
}

int alert_view_parse(const char *json, size_t len, char *scratch, struct alert_view *v)
{
	struct view_ctx c = { v, scratch + len };
	char err[128];

	*v = (struct alert_view){ "", "", "", "", "", "", "", 0 };
	/* scratch holds 2 * len + 64: the parser's decoded strings, then the copies */
	if (json_parse_object(json, len, scratch, view_kv, &c, err, sizeof(err)))
		return -EINVAL;
	return *v->rule ? 0 : -EINVAL;
}

static void set_error(struct output *w, const char *err)
{
	pthread_mutex_lock(&w->mu);
	snprintf(w->last_error, sizeof(w->last_error), "%s", err);
	pthread_mutex_unlock(&w->mu);
}

/* One line per change of state, not per retry: a collector down for an hour is two lines. */
static void report_down(struct output *w, const char *err, uint64_t backoff_ms)
{
	set_error(w, err);
	if (!atomic_exchange(&w->up, false))
		return;
	fprintf(w->parent->errf, "bulwark: output %s: %s; %s, retrying in %llu ms and backing off\n",
		w->cfg->name, err, w->spool ? "spooling to disk" : "holding alerts in memory",
		(unsigned long long)backoff_ms);
	fflush(w->parent->errf);
}

static void report_up(struct output *w)
{
	if (atomic_exchange(&w->up, true))
		return;
	fprintf(w->parent->errf, "bulwark: output %s: delivering again\n", w->cfg->name);
	fflush(w->parent->errf);
}

struct worker {
	struct output *w;
	struct qring mem;          /* the backlog when there is no spool */
	struct jbuf cur;           /* the spool record being delivered */
	uint64_t backoff_ms;
	uint64_t retry_at;         /* monotonic ns; 0 = not backing off */
};

static bool backlog_empty(struct worker *k)
{
	return k->w->spool ? spool_empty(k->w->spool) : k->mem.n == 0;
}

static void update_pending(struct worker *k)
{
	struct spool_stats st;

	if (k->w->spool) {
		spool_get_stats(k->w->spool, &st);
		atomic_store(&k->w->pending, st.pending);
		atomic_store(&k->w->spool_bytes, st.bytes);
	} else {
		atomic_store(&k->w->pending, k->mem.n);
	}
}

/* Keeps an alert for later, in order; frees it. */
static void to_backlog(struct worker *k, struct qitem it)
{
	struct output *w = k->w;
	char err[256];

	if (w->spool) {
		if (spool_append(w->spool, it.p, it.len, err, sizeof(err))) {
			atomic_fetch_add(&w->dropped, 1);
			set_error(w, err);
		} else {
			atomic_fetch_add(&w->spooled, 1);
		}
		free(it.p);
	} else if (!qring_push(&k->mem, it)) {
		atomic_fetch_add(&w->dropped, 1);
		set_error(w, "memory backlog full (spool=off): alert dropped; configure spool=DIR");
		free(it.p);
	}
	update_pending(k);
}

static void backoff(struct worker *k, const char *err)
{
	const struct output_config *c = k->w->cfg;

	k->backoff_ms = k->backoff_ms ? k->backoff_ms * 2 : c->retry_min_ms;
	if (k->backoff_ms > c->retry_max_ms)
		k->backoff_ms = c->retry_max_ms;
	k->retry_at = outputs_now_ns() + k->backoff_ms * 1000000ull;
	report_down(k->w, err, k->backoff_ms);
}

/* 0 delivered or given up for good (counted), -errno to retry later. */
static int attempt(struct worker *k, const char *p, size_t len)
{
	struct output *w = k->w;
	char err[512] = "";
	int rc = w->sink.ops->deliver(&w->sink, p, len, err, sizeof(err));

	if (rc == 0) {
		atomic_fetch_add(&w->delivered, 1);
		k->backoff_ms = 0;
		k->retry_at = 0;
		report_up(w);
		return 0;
	}
	if (rc == SINK_REJECTED) {
		atomic_fetch_add(&w->rejected, 1);
		set_error(w, err);
		return 0;
	}
	atomic_fetch_add(&w->failed, 1);
	backoff(k, err[0] ? err : strerror(-rc));
	return rc;
}

/* Delivers the backlog oldest first until it is empty, a delivery fails, or new alerts wait. */
static void drain_backlog(struct worker *k, uint64_t deadline)
{
	struct output *w = k->w;

	while (!backlog_empty(k) && outputs_now_ns() >= k->retry_at) {
		bool waiting;

		if (deadline && outputs_now_ns() >= deadline)
			return;
		if (w->spool) {
			int e = spool_peek(w->spool, &k->cur);

			if (e == -ENOENT)
				break;
			if (e) {
				/* an unreadable spool is retried like a receiver that is down */
				backoff(k, "cannot read the spool");
				break;
			}
			if (attempt(k, k->cur.p, k->cur.len))
				break;
			spool_pop(w->spool);
		} else {
			struct qitem *it = qring_front(&k->mem);

			if (attempt(k, it->p, it->len))
				break;
			free(qring_pop(&k->mem).p);
		}
		update_pending(k);
		/* alerts that arrived meanwhile must join the backlog before the queue fills */
		pthread_mutex_lock(&w->mu);
		waiting = w->q.n > w->q.cap / 2;
		pthread_mutex_unlock(&w->mu);
		if (waiting)
			return;
	}
	update_pending(k);
}

static void *worker_main(void *arg)
{
	struct worker k = { .w = arg };
	struct output *w = k.w;
	struct qring batch = { 0 };
	bool stopping = false;
	uint64_t deadline = 0;

	if (!w->spool && qring_init(&k.mem, w->cfg->queue_len))
		k.mem.cap = 0;
	if (qring_init(&batch, w->cfg->queue_len))
		return NULL;
	update_pending(&k);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && !w->q.n &&
		       (backlog_empty(&k) || outputs_now_ns() < k.retry_at)) {
			if (!backlog_empty(&k)) {
				struct timespec ts;
				uint64_t wait = k.retry_at - outputs_now_ns();

				clock_deadline(CLOCK_REALTIME, wait, &ts);
				pthread_cond_timedwait(&w->cv, &w->mu, &ts);
			} else {
				pthread_cond_wait(&w->cv, &w->mu);
			}
		}
		stopping = w->stop;
		deadline = w->stop_deadline;
		/* take the whole queue at once: the lock is held for a few pointer copies */
		while (w->q.n)
			qring_push(&batch, qring_pop(&w->q));
		pthread_mutex_unlock(&w->mu);

		while (batch.n) {
			struct qitem it = qring_pop(&batch);
			bool late = stopping && outputs_now_ns() >= deadline;

			if (!backlog_empty(&k) || outputs_now_ns() < k.retry_at || late) {
				to_backlog(&k, it);
				continue;
			}
			if (attempt(&k, it.p, it.len))
				to_backlog(&k, it);
			else
				free(it.p);
		}
		drain_backlog(&k, stopping ? deadline : 0);

		pthread_mutex_lock(&w->mu);
		if (stopping && !w->q.n &&
		    (backlog_empty(&k) || outputs_now_ns() >= deadline ||
		     (k.retry_at && k.retry_at >= deadline)))
			break;
		if (stopping && !w->q.n && k.retry_at > outputs_now_ns()) {
			/* a retry is due before the deadline: wait for it, not for new alerts */
			pthread_mutex_unlock(&w->mu);
			usleep((useconds_t)((k.retry_at - outputs_now_ns()) / 1000));
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	/* without a spool, what is still held is lost: say so in the counters */
	if (k.mem.n) {
		atomic_fetch_add(&w->dropped, k.mem.n);
		fprintf(w->parent->errf, "bulwark: output %s: %u alerts not delivered at exit "
			"(spool=off)\n", w->cfg->name, k.mem.n);
	} else if (w->spool && !spool_empty(w->spool)) {
		struct spool_stats st;

		spool_get_stats(w->spool, &st);
		fprintf(w->parent->errf, "bulwark: output %s: %llu alerts left in the spool %s; "
			"they are delivered after the next start\n", w->cfg->name,
			(unsigned long long)st.pending, w->cfg->spool_dir);
	}
	update_pending(&k);
	qring_free(&k.mem);
	qring_free(&batch);
	jbuf_free(&k.cur);
	return NULL;
}

static void push(struct output *w, const char *json, size_t len)
{
	struct qitem it;

	atomic_fetch_add(&w->sent, 1);
	if (!w->threaded) {
		char err[256] = "";

		if (w->sink.ops->deliver(&w->sink, json, len, err, sizeof(err))) {
			atomic_fetch_add(&w->failed, 1);
			atomic_fetch_add(&w->dropped, 1);
			set_error(w, err);
		} else {
			atomic_fetch_add(&w->delivered, 1);
		}
		return;
	}
	it.p = malloc(len);
	it.len = (uint32_t)len;
	if (!it.p) {
		atomic_fetch_add(&w->dropped, 1);
		return;
	}
	memcpy(it.p, json, len);
	pthread_mutex_lock(&w->mu);
	if (!qring_push(&w->q, it)) {
		snprintf(w->last_error, sizeof(w->last_error), "queue full (%u alerts): the worker "
			 "is stuck in a delivery; raise queue= or lower timeout=", w->q.cap);
		pthread_mutex_unlock(&w->mu);
		atomic_fetch_add(&w->dropped, 1);
		free(it.p);
		return;
	}
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void fan_out(void *ctx, const char *json, size_t len, int priority)
{
	struct outputs *o = ctx;

	for (int i = 0; i < o->n; i++) {
		struct output *w = &o->out[i];

		if (priority > w->cfg->min_priority) {
			atomic_fetch_add(&w->filtered, 1);
			continue;
		}
		push(w, json, len);
	}
}

void outputs_emit(struct outputs *o, const struct outputs_alert *a)
{
	if (!o)
		return;
	if (o->agg && aggregate_offer(o->agg, a, outputs_now_ns(), fan_out, o))
		return;
	fan_out(o, a->json, a->len, a->priority);
}

void outputs_tick(struct outputs *o)
{
	if (o && o->agg)
		aggregate_flush(o->agg, outputs_now_ns(), false, fan_out, o);
}

void outputs_reopen(struct outputs *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->n; i++) {
		struct output *w = &o->out[i];

		if (w->sink.ops->reopen)
			w->sink.ops->reopen(&w->sink);
	}
}

static void output_release(struct output *w)
{
	if (w->sink.ops && w->sink.ops->close)
		w->sink.ops->close(&w->sink);
	spool_close(w->spool);
	w->spool = NULL;
	qring_free(&w->q);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

static int output_start(struct outputs *o, const struct output_config *c, char *err, size_t errlen)
{
	struct output *w = &o->out[o->n];
	char why[512] = "";
	int rc;

	memset(w, 0, sizeof(*w));
	w->cfg = c;
	w->parent = o;
	w->threaded = c->type != OUTPUT_STDOUT;
	atomic_store(&w->up, true);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->sink = (struct sink){ ops_by_type[c->type], c, o->hostname, NULL, NULL };
	o->n++; /* from here on outputs_close() releases it */
	if (w->threaded && qring_init(&w->q, c->queue_len)) {
		snprintf(err, errlen, "output %s: out of memory", c->name);
		return -ENOMEM;
	}
	if (w->threaded && c->spool_dir) {
		rc = spool_open(c->spool_dir, c->spool_max_bytes, &w->spool, why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "output %s: %s", c->name, why);
			return rc;
		}
	}
	rc = w->sink.ops->open(&w->sink, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "output %s: %s", c->name, why);
		return rc;
	}
	if (why[0])
		set_error(w, why);
	return 0;
}

int outputs_open(const struct outputs_config *cfg, FILE *out, FILE *errf, struct outputs **op,
		 char *err, size_t errlen)
{
	struct outputs *o;
	sigset_t all, old;
	int rc;

	*op = NULL;
	rc = outputs_config_check(cfg, err, errlen);
	if (rc)
		return rc;
	o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, errlen, "outputs: out of memory");
		return -ENOMEM;
	}
	o->cfg = cfg;
	o->errf = errf ? errf : stderr;
	gethostname(o->hostname, sizeof(o->hostname) - 1);
	if (cfg->aggregate.on && (rc = aggregate_new(&cfg->aggregate, &o->agg))) {
		snprintf(err, errlen, "outputs: out of memory");
		goto fail;
	}
	for (int i = 0; i < cfg->n; i++) {
		if (!cfg->out[i].enabled)
			continue;
		/* curl_global_init() is not thread-safe: once, here, before any worker runs */
		if (cfg->out[i].type == OUTPUT_HTTP && !o->curl) {
			if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
				snprintf(err, errlen, "output %s: libcurl did not initialise",
					 cfg->out[i].name);
				rc = -EIO;
				goto fail;
			}
			o->curl = true;
		}
		rc = output_start(o, &cfg->out[i], err, errlen);
		if (rc)
			goto fail;
		o->out[o->n - 1].sink.out = out ? out : stdout;
	}
	/* workers take no signals: SIGTERM, SIGHUP and SIGUSR1 stay the event loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < o->n; i++) {
		struct output *w = &o->out[i];

		if (!w->threaded)
			continue;
		rc = -pthread_create(&w->thread, NULL, worker_main, w);
		if (rc) {
			snprintf(err, errlen, "output %s: cannot start its thread: %s", w->cfg->name,
				 strerror(-rc));
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			goto fail;
		}
		w->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*op = o;
	return 0;
fail:
	outputs_close(o, 0);
	return rc;
}

void outputs_close(struct outputs *o, uint32_t timeout_ms)
{
	uint64_t deadline;

	if (!o)
		return;
	/* counts still held become summaries: they are delivered like any alert */
	if (o->agg)
		aggregate_flush(o->agg, outputs_now_ns(), true, fan_out, o);
	deadline = outputs_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (int i = 0; i < o->n; i++) {
		struct output *w = &o->out[i];

		if (!w->started)
			continue;
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		w->stop_deadline = deadline;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	for (int i = 0; i < o->n; i++) {
		struct output *w = &o->out[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		output_release(w);
	}
	aggregate_free(o->agg);
	if (o->curl)
		curl_global_cleanup();
	free(o);
}

int outputs_count(const struct outputs *o)
{
	return o ? o->n : 0;
}

void outputs_get_stats(struct outputs *o, int i, struct output_stats *s)
{
	struct output *w = &o->out[i];

	memset(s, 0, sizeof(*s));
	s->name = w->cfg->name;
	s->type = w->cfg->type;
	s->sent = atomic_load(&w->sent);
	s->delivered = atomic_load(&w->delivered);
	s->failed_attempts = atomic_load(&w->failed);
	s->rejected = atomic_load(&w->rejected);
	s->spooled = atomic_load(&w->spooled);
	s->spool_pending = atomic_load(&w->pending);
	s->spool_bytes = atomic_load(&w->spool_bytes);
	s->dropped = atomic_load(&w->dropped);
	s->filtered = atomic_load(&w->filtered);
	s->up = atomic_load(&w->up);
	pthread_mutex_lock(&w->mu);
	memcpy(s->last_error, w->last_error, sizeof(s->last_error));
	pthread_mutex_unlock(&w->mu);
}

void outputs_get_aggregate_stats(struct outputs *o, uint64_t *held, uint64_t *summaries)
{
	*held = *summaries = 0;
	if (o && o->agg)
		aggregate_stats(o->agg, held, summaries);
}

void outputs_status_json(struct outputs *o, struct jbuf *b)
{
	uint64_t held, sums;

	jbuf_puts(b, "\"outputs\":{\"sinks\":[");
	for (int i = 0; i < outputs_count(o); i++) {
		struct output_stats s;

		outputs_get_stats(o, i, &s);
		jbuf_printf(b, "%s{\"name\":", i ? "," : "");
		json_put_str(b, s.name, strlen(s.name));
		jbuf_printf(b, ",\"type\":\"%s\",\"up\":%s,\"sent\":%llu,\"delivered\":%llu,"
			    "\"failed_attempts\":%llu,\"rejected\":%llu,\"spooled\":%llu,"
			    "\"pending\":%llu,\"spool_bytes\":%llu,\"dropped\":%llu,\"filtered\":%llu,"
			    "\"last_error\":", output_type_name(s.type), s.up ? "true" : "false",
			    (unsigned long long)s.sent, (unsigned long long)s.delivered,
			    (unsigned long long)s.failed_attempts, (unsigned long long)s.rejected,
			    (unsigned long long)s.spooled, (unsigned long long)s.spool_pending,
			    (unsigned long long)s.spool_bytes, (unsigned long long)s.dropped,
			    (unsigned long long)s.filtered);
		json_put_str(b, s.last_error, strlen(s.last_error));
		jbuf_putc(b, '}');
	}
	outputs_get_aggregate_stats(o, &held, &sums);
	jbuf_printf(b, "],\"aggregated\":%llu,\"summaries\":%llu}", (unsigned long long)held,
		    (unsigned long long)sums);
}
