// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: the YAML rule loader and condition compiler. The input
 * is a rule file, optionally followed by a line "#EVENTS" and JSON event
 * lines. A rule set that loads is evaluated against those events and a
 * fixed set of awkward ones (absent fields, NUL bytes, "..", long paths),
 * and evaluation must not allocate: malloc hooks count every allocation
 * made while rules_eval() runs.
 */
#include <sanitizer/allocator_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/json.h"
#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static volatile int in_eval;
static volatile unsigned long evals_allocs;

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p, (void)n;
	if (in_eval)
		evals_allocs++;
}

static void on_free(const volatile void *p)
{
	(void)p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
	return 0;
}

static const char *const fixed[] = {
	"{\"evt.type\":\"execve\",\"proc.pid\":1,\"proc.name\":\"bash\",\"proc.cmdline\":\"rm -rf /\","
	"\"session.id\":7,\"user.loginuid\":1000}",
	"{\"evt.type\":\"unlinkat\",\"fd.name\":\"/var/lib/mysql/../mysql/./ibdata1\",\"session.id\":7,"
	"\"proc.name\":\"r\\u0000m\",\"evt.arg\":-512}",
	"{\"evt.type\":\"rename\",\"fd.name\":\"/a//b/c\",\"fd.newname\":\"/\",\"evt.time\":5}",
	"{\"evt.type\":\"db_query\",\"db.query\":\"DROP TABLE t\",\"db.destructive\":true,"
	"\"db.has_where\":false,\"session.id\":4294967295}",
	"{\"evt.type\":\"fork\"}",
	"{\"evt.type\":\"drop\",\"drop.count\":18446744073709551615}",
};

static void count_match(void *ctx, const struct rule *r, const struct bw_event *e)
{
	(void)r, (void)e;
	(*(unsigned long *)ctx)++;
}

static void eval_line(struct rules *rs, const char *line, size_t len)
{
	struct bw_event e;
	char *scratch = malloc(len + 1), err[128];
	unsigned long hits = 0;

	if (!scratch)
		abort();
	if (!json_parse_event(line, len, scratch, &e, err, sizeof(err))) {
		evals_allocs = 0;
		in_eval = 1;
		for (int k = 0; k < 3; k++) /* thresholds: count more than once */
			rules_eval(rs, &e, count_match, &hits);
		for (int i = 0; i < rules_nrules(rs); i++)
			(void)rule_matches(rs, rules_rule(rs, i), &e);
		in_eval = 0;
		if (evals_allocs) {
			fprintf(stderr, "rules_eval allocated %lu times\n", evals_allocs);
			abort();
		}
	}
	free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *ev = memmem(data, size, "\n#EVENTS\n", 9);
	size_t ylen = ev ? (size_t)(ev - text) : size;
	struct rules_source src = { "fuzz.yaml", text, ylen };
	struct rules *rs = NULL;
	FILE *devnull = fopen("/dev/null", "w");

	if (!devnull)
		abort();
	if (rules_load_sources(&src, 1, &rs, devnull) == 0 && rs) {
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			eval_line(rs, fixed[i], strlen(fixed[i]));
		if (ev) {
			const char *p = ev + 9, *end = text + size;
			while (p < end) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
				eval_line(rs, p, l);
				p += l + 1;
			}
		}
	}
	rules_free(rs);
	fclose(devnull);
	return 0;
}
