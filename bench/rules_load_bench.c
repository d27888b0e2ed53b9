// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Rule loading budgets (issue 18): writes rule files into a temporary
 * directory and runs `bulwark rules check FILE` on each in a child,
 * measuring its wall time and peak RSS with wait4(). Budgets:
 *   50,000 rules load in < 2 s;
 *   a pmatch list of 100,000 items compiles in < 1 s;
 *   no 1 MB input makes `rules check` use more than 256 MB or 5 s
 *   (a set of hostile inputs of about 1 MB each).
 * Prints one line per case and exits 1 when a budget is missed.
 *   rules_load_bench [BULWARK]   (default build/bulwark)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MB (1u << 20)

static char dir[] = "/tmp/bw-rules-bench-XXXXXX";

static FILE *out(const char *name, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s.yaml", dir, name);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(1);
	}
	return f;
}

/* Runs bulwark rules check path; returns wall seconds, *rss_mb the child's peak. */
static double check(const char *bulwark, const char *path, double *rss_mb, int *status)
{
	struct timespec a, b;
	struct rusage ru;
	pid_t pid;

	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(bulwark, bulwark, "rules", "check", path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, status, 0, &ru) < 0) {
		perror("fork/wait4");
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	*rss_mb = ru.ru_maxrss / 1024.0;
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static const char tail[] = "  output: x\n  priority: WARNING\n";

/* Each writer fills f with one case, about `size` bytes where that applies. */
static void w_rules(FILE *f, long n)
{
	for (long i = 0; i < n; i++)
		fprintf(f, "- rule: r%ld\n  condition: evt.type = execve and proc.name = n%ld\n%s", i, i, tail);
}

static void w_pmatch(FILE *f, long n)
{
	fprintf(f, "- list: p\n  items: [");
	for (long i = 0; i < n; i++)
		fprintf(f, "%s/srv/d/x%ld", i ? ", " : "", i);
	fprintf(f, "]\n- rule: r\n  condition: evt.type = unlinkat and fd.name pmatch (p)\n%s", tail);
}

static void w_macro_chain(FILE *f, long size)
{
	long i = 0;

	for (; ftell(f) < size; i++)
		fprintf(f, "- macro: m%ld\n  condition: m%ld\n", i, i + 1);
	fprintf(f, "- macro: m%ld\n  condition: proc.pid = 1\n- rule: r\n  condition: evt.type = "
		"execve and m0\n%s", i, tail);
}

static void w_macro_chain_rev(FILE *f, long size)
{
	long i = 1;

	fprintf(f, "- macro: m0\n  condition: proc.pid = 0\n");
	for (; ftell(f) < size; i++)
		fprintf(f, "- macro: m%ld\n  condition: m%ld and proc.pid != %ld\n", i, i - 1, i);
	fprintf(f, "- rule: r\n  condition: evt.type = execve and m%ld\n%s", i - 1, tail);
}

static void w_nots(FILE *f, long size)
{
	fprintf(f, "- rule: r\n  condition: ");
	while (ftell(f) < size)
		fprintf(f, "not ");
	fprintf(f, "evt.type = execve\n%s", tail);
}

static void w_brackets(FILE *f, long size)
{
	fprintf(f, "- list: l\n  items: ");
	while (ftell(f) < size)
		fputc('[', f);
	fputc('\n', f);
}

static void w_list_bomb(FILE *f, long size)
{
	fprintf(f, "- list: l0\n  items: [a, b]\n");
	for (int i = 1; i <= 31; i++)
		fprintf(f, "- list: l%d\n  items: [l%d, l%d]\n", i, i - 1, i - 1);
	for (int k = 0; ftell(f) < size; k++)
		fprintf(f, "- rule: r%d\n  condition: evt.type = execve and proc.name in (l31)\n%s", k, tail);
}

static void w_alias_condition(FILE *f, long size)
{
	fprintf(f, "- macro: mm\n  condition: &c \"evt.type = execve");
	while (ftell(f) < size - 8000)
		fprintf(f, " or proc.name = n%ld", ftell(f));
	fprintf(f, "\"\n");
	for (int i = 0; i < 200; i++)
		fprintf(f, "- rule: r%d\n  condition: *c\n%s", i, tail);
}

static void w_alias_list(FILE *f, long size)
{
	fprintf(f, "- list: p0\n  items: &i [");
	for (long i = 0; ftell(f) < size - 8000; i++)
		fprintf(f, "%sitem%ld", i ? ", " : "", i);
	fprintf(f, "]\n");
	for (int k = 1; k < 400; k++)
		fprintf(f, "- list: p%d\n  items: *i\n", k);
}

static void w_list_many_uses(FILE *f, long size)
{
	fprintf(f, "- list: p\n  items: [");
	for (long i = 0; ftell(f) < size / 2; i++)
		fprintf(f, "%sx%ld", i ? ", " : "", i);
	fprintf(f, "]\n- list: q\n  items: [");
	for (long i = 0; ftell(f) < size - 40000; i++)
		fprintf(f, "%s/q/x%ld", i ? ", " : "", i);
	fprintf(f, "]\n");
	for (int k = 0; k < 300; k++)
		fprintf(f, "- rule: r%d\n  condition: evt.type = unlinkat and (proc.name in (p, extra%d) "
			"or fd.name pmatch (q))\n%s", k, k, tail);
}

static void w_literals_near_lists(FILE *f, long size)
{
	for (int k = 0; k < 256; k++)
		fprintf(f, "- list: list_%03d\n  items: [a]\n", k);
	fprintf(f, "- rule: r\n  condition: >\n    evt.type = execve and proc.name in (");
	for (long i = 0; ftell(f) < 60000; i++)
		fprintf(f, "%slist_%03ld", i ? ", " : "", 1000 + i % 999);
	fprintf(f, ")\n%s", tail);
	for (int k = 0; ftell(f) < size; k++)
		fprintf(f, "- rule: w%d\n  condition: proc.name in (list_x%02d, lst_%03d)\n%s", k, k % 100,
			k % 256, tail);
}

static void w_thresholds(FILE *f, long size)
{
	for (int k = 0; ftell(f) < size; k++)
		fprintf(f, "- rule: t%d\n  condition: evt.type = unlinkat\n%s  threshold: {count: 65536, "
			"window: 1h, max_groups: 256}\n", k, tail);
}

static void w_output_fields(FILE *f, long size)
{
	for (int k = 0; ftell(f) < size; k++) {
		fprintf(f, "- rule: o%d\n  condition: evt.type = execve\n  priority: INFO\n  output: \"", k);
		for (int i = 0; i < 300; i++)
			fprintf(f, "%%proc.name %%{fd.name}%%%% ");
		fprintf(f, "\"\n");
	}
}

struct bcase {
	const char *name;
	void (*write)(FILE *f, long arg);
	long arg;
	double max_s, max_mb;
};

int main(int argc, char **argv)
{
	const char *bulwark = argc > 1 ? argv[1] : "build/bulwark";
	static const struct bcase cases[] = {
		{ "rules_50000", w_rules, 50000, 2.0, 0 },
		{ "pmatch_100000", w_pmatch, 100000, 1.0, 0 },
		{ "hostile_macro_chain", w_macro_chain, MB, 5.0, 256 },
		{ "hostile_macro_chain_in_use_order", w_macro_chain_rev, MB, 5.0, 256 },
		{ "hostile_nots", w_nots, MB, 5.0, 256 },
		{ "hostile_brackets", w_brackets, MB, 5.0, 256 },
		{ "hostile_list_bomb", w_list_bomb, MB, 5.0, 256 },
		{ "hostile_alias_condition", w_alias_condition, MB, 5.0, 256 },
		{ "hostile_alias_list", w_alias_list, MB, 5.0, 256 },
		{ "hostile_list_many_uses", w_list_many_uses, MB, 5.0, 256 },
		{ "hostile_literals_near_lists", w_literals_near_lists, MB, 5.0, 256 },
		{ "hostile_thresholds", w_thresholds, MB, 5.0, 256 },
		{ "hostile_output_fields", w_output_fields, MB, 5.0, 256 },
		{ "hostile_rules_1mb", w_rules, 11000, 5.0, 256 },
	};
	int fails = 0;

	if (access(bulwark, X_OK) || !mkdtemp(dir)) {
		fprintf(stderr, "rules_load_bench: %s is not built (make build/bulwark), or no /tmp\n",
			bulwark);
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *c = &cases[i];
		char path[256];
		FILE *f = out(c->name, path, sizeof(path));
		double s, mb;
		long size;
		int st;
		bool ok;

		c->write(f, c->arg);
		size = ftell(f);
		fclose(f);
		s = check(bulwark, path, &mb, &st);
		ok = s < c->max_s && (!c->max_mb || mb < c->max_mb) && WIFEXITED(st) &&
		     WEXITSTATUS(st) <= 1;
		char budget[64];

		if (c->max_mb)
			snprintf(budget, sizeof(budget), "< %.0f s, < %.0f MB", c->max_s, c->max_mb);
		else
			snprintf(budget, sizeof(budget), "< %.0f s", c->max_s);
		printf("rules_load: %-34s %8ld bytes  %6.2f s  %6.1f MB  exit %d  (budget %s)%s\n",
		       c->name, size, s, mb, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
		       budget, ok ? "" : "  OVER BUDGET");
		fails += !ok;
		unlink(path);
	}
	rmdir(dir);
	return fails ? 1 : 0;
}
