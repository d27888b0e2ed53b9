// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Config file: keys -> run option items, -o overrides, and PATH:LINE:COL errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/config.h"
#include "unit.h"

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/bw-test-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		path[0] = 0;
	close(fd);
	return path;
}

/* Loads text; returns the rc and fills errs with the diagnostics. */
static int load(struct config *c, const char *text, char *errs, size_t n, const char **ov, int nov)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct config_diag dg = { .err = f };
	char *path = write_tmp(text);
	int rc;

	config_init(c);
	rc = config_load(c, path, &dg);
	for (int i = 0; i < nov; i++)
		if (config_override(c, ov[i], &dg))
			rc = -EINVAL;
	if (!rc)
		rc = config_finish(c);
	fclose(f);
	snprintf(errs, n, "%s", buf ? buf : "");
	free(buf);
	unlink(path);
	return rc;
}

static bool has_item(const struct config *c, const char *arg)
{
	for (int i = 0; i < c->nitems; i++)
		if (!strcmp(c->items[i].arg, arg))
			return true;
	return false;
}

TEST(keys_become_run_options)
{
	struct config c;
	char errs[2048];
	int rc = load(&c, "rules: [/a, /b]\njournal:\n  dir: /srv/j\nno_kill: true\nevents: false\n"
			  "db:\n  enabled: false\n  ports: [5433, 'mysql:3307']\nmetrics:\n  listen: 9090\n"
			  "ringbuf_mb: 32\n", errs, sizeof(errs), NULL, 0);

	CHECK_EQ(rc, 0);
	CHECK_STREQ(errs, "");
	CHECK(has_item(&c, "--rules=/a"));
	CHECK(has_item(&c, "--rules=/b"));
	CHECK(has_item(&c, "--journal=/srv/j"));
	CHECK(has_item(&c, "--no-kill"));
	CHECK(!has_item(&c, "--events"));
	CHECK(has_item(&c, "--no-db"));
	CHECK(has_item(&c, "--db-port=mysql:3307"));
	CHECK(has_item(&c, "--metrics=9090"));
	CHECK(has_item(&c, "--ringbuf-mb=32"));
	config_free(&c);
}

TEST(errors_have_positions_and_suggestions)
{
	struct config c;
	char errs[2048];
	int rc = load(&c, "journal:\n  dirr: /x\nno_kill: maybe\nwatch: {a: b}\nringbuf_mb: big\n",
		      errs, sizeof(errs), NULL, 0);

	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(errs, ":2:3: unknown key 'journal.dirr'; did you mean 'journal.dir'?") != NULL);
	CHECK(strstr(errs, ":3:10: no_kill: 'maybe' is not a boolean") != NULL);
	CHECK(strstr(errs, ":4:8: watch: wrong type") != NULL);
	CHECK(strstr(errs, ":5:13: ringbuf_mb: 'big' is not a number") != NULL);
	config_free(&c);
}

TEST(bad_yaml_is_reported)
{
	struct config c;
	char errs[2048];

	CHECK_EQ(load(&c, "journal: [unclosed\n", errs, sizeof(errs), NULL, 0), -EINVAL);
	CHECK(strstr(errs, "not valid YAML") != NULL);
	config_free(&c);
}

TEST(overrides_replace_file_values)
{
	const char *ov[] = { "journal.dir=/o", "watch=/w1,/w2", "no_kill=false" };
	struct config c;
	char errs[2048];

	CHECK_EQ(load(&c, "journal: {dir: /f}\nwatch: [/x]\nno_kill: true\n", errs, sizeof(errs),
		      ov, 3), 0);
	CHECK(has_item(&c, "--journal=/o"));
	CHECK(!has_item(&c, "--journal=/f"));
	CHECK(has_item(&c, "--watch=/w1"));
	CHECK(has_item(&c, "--watch=/w2"));
	CHECK(!has_item(&c, "--watch=/x"));
	CHECK(!has_item(&c, "--no-kill"));
	config_free(&c);
}

TEST(bad_overrides)
{
	const char *ov[] = { "jornal.dir=/o" };
	const char *ov2[] = { "novalue" };
	struct config c;
	char errs[2048];

	CHECK_EQ(load(&c, "", errs, sizeof(errs), ov, 1), -EINVAL);
	CHECK(strstr(errs, "-o: unknown key 'jornal.dir'; did you mean 'journal.dir'?") != NULL);
	config_free(&c);
	CHECK_EQ(load(&c, "", errs, sizeof(errs), ov2, 1), -EINVAL);
	CHECK(strstr(errs, "need KEY=VALUE") != NULL);
	config_free(&c);
}

TEST(outputs_become_specs)
{
	struct config c;
	char errs[2048];

	CHECK_EQ(load(&c, "outputs:\n  - type: stdout\n    enabled: false\n"
			  "  - type: http\n    url: http://h/\n    headers: ['X-A: 1,2']\n"
			  "aggregate: {window: 5m, after: 3}\n", errs, sizeof(errs), NULL, 0), 0);
	CHECK_EQ(c.noutputs, 2);
	CHECK_STREQ(c.output_specs[0], "stdout:enabled=false");
	CHECK_STREQ(c.output_specs[1], "http:url=http://h/,header=X-A: 1\\,2");
	CHECK_STREQ(c.aggregate_spec, "aggregate:window=5m,after=3");
	config_free(&c);
	CHECK_EQ(load(&c, "outputs:\n  - url: x\n", errs, sizeof(errs), NULL, 0), -EINVAL);
	CHECK(strstr(errs, ":2:5: outputs: this output has no type") != NULL);
	config_free(&c);
}

TEST(missing_file)
{
	struct config c;
	struct config_diag dg = { 0 };

	config_init(&c);
	CHECK_EQ(config_load(&c, "/nonexistent/bulwark.yaml", &dg), -ENOENT);
	CHECK(dg.nerrors == 0);
	config_free(&c);
}

int main(void)
{
	return unit_main();
}
