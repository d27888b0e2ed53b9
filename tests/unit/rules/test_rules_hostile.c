// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rule engine under hostile input (issue 18): NUL bytes, deep nesting,
 * expansion bombs, YAML aliases, huge lists and rule counts. Each input
 * must give one clear error naming its line, or load and match right. */
#include <errno.h>
#include "unit.h"
#include "core/json.h"
#include "rules/rules.h"
#include "rules/rules_int.h"

static char *errtext;

/* Loads text as "t.yaml"; returns the rule set or NULL, errors in errtext. */
static struct rules *load(const char *text, int *rc)
{
	struct rules_source src = { "t.yaml", text, strlen(text) };
	struct rules *rs = NULL;
	size_t len = 0;
	FILE *f;

	free(errtext);
	errtext = NULL;
	f = open_memstream(&errtext, &len);
	*rc = rules_load_sources(&src, 1, &rs, f);
	fclose(f);
	return rs;
}

/* First line of the errors of text (which must fail to load). */
static const char *first_error(const char *text)
{
	int rc;
	struct rules *rs = load(text, &rc);
	char *nl;

	if (rs || rc <= 0)
		UNIT_FAIL("the input loaded (rc %d), expected an error", rc);
	rules_free(rs);
	if ((nl = strchr(errtext, '\n')))
		*nl = 0;
	return errtext;
}

/* A growing text buffer for generated rule files. */
struct gen {
	char *p;
	size_t len;
	FILE *f;
};

static void gen_open(struct gen *g)
{
	g->p = NULL;
	g->len = 0;
	g->f = open_memstream(&g->p, &g->len);
}

static const char *gen_done(struct gen *g)
{
	fclose(g->f);
	return g->p;
}

#define RULE_TAIL "  output: x\n  priority: WARNING\n"

static struct bw_event ev(const char *type, const char *name, const char *path)
{
	struct bw_event e;

	event_reset(&e);
	e.type_name = (struct bw_str){ type, (uint32_t)strlen(type) };
	e.type = event_type_from_name(type, strlen(type));
	event_set_present(&e, FLD_EVT_TYPE);
	if (name) {
		e.name = (struct bw_str){ name, (uint32_t)strlen(name) };
		event_set_present(&e, FLD_PROC_NAME);
	}
	if (path) {
		e.path = (struct bw_str){ path, (uint32_t)strlen(path) };
		event_set_present(&e, FLD_FD_NAME);
		event_split_path(&e);
	}
	return e;
}

static void count_fire(void *ctx, const struct rule *r, const struct bw_event *e)
{
	(void)r, (void)e;
	(*(int *)ctx)++;
}

static int fires(struct rules *rs, const struct bw_event *e)
{
	int n = 0;

	rules_eval(rs, e, count_fire, &n);
	return n;
}

TEST(hostile_nul_in_a_yaml_scalar_is_refused_where_it_is)
{
	/* list item: the over-read was in hash_bytes via set_build */
	CHECK_STREQ(first_error("- list: l\n  items: [\"a\\0bcdefgh\"]\n- rule: r\n"
				"  condition: evt.type = execve and proc.name in (l)\n" RULE_TAIL),
		    "t.yaml:2:11: a NUL byte (\\0) in a string; rule files are text, so write the "
		    "value without it");
	/* output: the over-read was in compile_output */
	CHECK_STREQ(first_error("- rule: r\n  condition: evt.type = execve\n"
				"  output: \"ab\\0%proc.name\"\n  priority: WARNING\n"),
		    "t.yaml:3:11: a NUL byte (\\0) in a string; rule files are text, so write the "
		    "value without it");
	/* a condition value: the over-read was at evaluation, in set_has */
	CHECK(strstr(first_error("- rule: r\n  condition: \"evt.type = execve and proc.name in "
				 "(a\\0b, c)\"\n" RULE_TAIL), "t.yaml:2:14: a NUL byte"));
	/* a name */
	CHECK(strstr(first_error("- macro: \"m\\0x\"\n  condition: evt.type = execve\n"),
		     "t.yaml:1:10: a NUL byte"));
}

TEST(hostile_deep_yaml_is_refused_before_libyaml_slows_down)
{
	struct gen g;

	/* 300,000 '[' kept libyaml's scanner busy for more than ten minutes */
	gen_open(&g);
	fprintf(g.f, "- list: l\n  items: ");
	for (int i = 0; i < 300000; i++)
		fputc('[', g.f);
	fprintf(g.f, "\n");
	CHECK_STREQ(first_error(gen_done(&g)), "t.yaml:2:108: YAML nests more than 100 levels "
		    "deep here; a rule file needs about 4");
	free(g.p);
}

TEST(hostile_event_strings_with_nul_match_by_length)
{
	int rc;
	struct rules *rs = load("- rule: r\n  condition: evt.type = execve and proc.name in (ab, c)\n"
				RULE_TAIL, &rc);
	struct bw_event e = ev("execve", "ab", NULL);

	CHECK_EQ(rc, 0);
	CHECK_EQ(fires(rs, &e), 1);
	e.name = (struct bw_str){ "ab\0x", 4 };
	CHECK_EQ(fires(rs, &e), 0);
	e.name = (struct bw_str){ "a\0", 1 };
	CHECK_EQ(fires(rs, &e), 0);
	rules_free(rs);
}

TEST(hostile_macro_chain_defined_after_use_is_bounded)
{
	struct gen g;
	int rc;
	struct rules *rs;

	gen_open(&g);
	for (int i = 0; i < 3000; i++)
		fprintf(g.f, "- macro: m%d\n  condition: %s%d\n", i, i < 2999 ? "m" : "proc.pid = ", i + 1);
	fprintf(g.f, "- rule: r\n  condition: evt.type = execve and m0\n" RULE_TAIL);
	CHECK(strstr(first_error(gen_done(&g)), "is used inside more than 64 macros that are being "
		     "compiled"));
	CHECK(strncmp(errtext, "t.yaml:", 7) == 0);
	free(g.p);

	/* the same chain in use order loads: each macro is compiled before its user */
	gen_open(&g);
	fprintf(g.f, "- macro: m0\n  condition: proc.pid = 1\n");
	for (int i = 1; i < 3000; i++)
		fprintf(g.f, "- macro: m%d\n  condition: m%d\n", i, i - 1);
	fprintf(g.f, "- rule: r\n  condition: evt.type = execve and m2999\n" RULE_TAIL);
	rs = load(gen_done(&g), &rc);
	CHECK_EQ(rc, 0);
	CHECK(rs != NULL);
	rules_free(rs);
	free(g.p);
}

TEST(hostile_nesting_of_not_and_parentheses_is_bounded)
{
	struct gen g;

	gen_open(&g);
	fprintf(g.f, "- rule: r\n  condition: ");
	for (int i = 0; i < 300; i++)
		fprintf(g.f, "not ");
	fprintf(g.f, "evt.type = execve\n" RULE_TAIL);
	CHECK_STREQ(first_error(gen_done(&g)), "t.yaml:2:814: condition nests more than 200 levels "
		    "of parentheses and 'not' here; simplify it");
	free(g.p);
	gen_open(&g);
	fprintf(g.f, "- rule: r\n  condition: ");
	for (int i = 0; i < 250; i++)
		fprintf(g.f, "(");
	fprintf(g.f, "evt.type = execve");
	for (int i = 0; i < 250; i++)
		fprintf(g.f, ")");
	fprintf(g.f, "\n" RULE_TAIL);
	CHECK(strstr(first_error(gen_done(&g)), "t.yaml:2:214: condition nests more than 200"));
	free(g.p);
	/* 262,144 'not' (1 MB): refused by length before anything recurses */
	gen_open(&g);
	fprintf(g.f, "- rule: r\n  condition: ");
	for (int i = 0; i < 262144; i++)
		fprintf(g.f, "not ");
	fprintf(g.f, "evt.type = execve\n" RULE_TAIL);
	CHECK(strstr(first_error(gen_done(&g)), "t.yaml:2:14: this text would be 1048593 bytes "
		     "long; a condition or output may have at most 65536"));
	free(g.p);
}

TEST(hostile_compiled_depth_counts_macro_bodies)
{
	struct gen g;

	gen_open(&g);
	fprintf(g.f, "- macro: m0\n  condition: proc.pid = 0\n");
	for (int i = 1; i < 300; i++)
		fprintf(g.f, "- macro: m%d\n  condition: not (m%d or proc.pid = %d)\n", i, i - 1, i);
	fprintf(g.f, "- rule: r\n  condition: evt.type = execve and m299\n" RULE_TAIL);
	CHECK(strstr(first_error(gen_done(&g)), "condition nests more than 200 levels deep, "
		     "counting the macros it uses"));
	free(g.p);
}

TEST(hostile_list_bomb_is_an_error_not_gigabytes)
{
	struct gen g;

	gen_open(&g);
	fprintf(g.f, "- list: l0\n  items: [a, b]\n");
	for (int i = 1; i <= 30; i++)
		fprintf(g.f, "- list: l%d\n  items: [l%d, l%d]\n", i, i - 1, i - 1);
	fprintf(g.f, "- rule: r\n  condition: evt.type = execve and proc.name in (l30)\n" RULE_TAIL);
	CHECK_STREQ(first_error(gen_done(&g)), "t.yaml:64:50: lists expand to more than 1000000 "
		    "items in this rule set (lists that name other lists are expanded where they are "
		    "used); use smaller lists");
	free(g.p);
	/* empty lists too: the visits are counted, not only the items */
	gen_open(&g);
	fprintf(g.f, "- list: l0\n  items: []\n");
	for (int i = 1; i <= 30; i++)
		fprintf(g.f, "- list: l%d\n  items: [l%d, l%d]\n", i, i - 1, i - 1);
	fprintf(g.f, "- rule: r\n  condition: evt.type = execve and proc.name in (l30)\n" RULE_TAIL);
	CHECK(strstr(first_error(gen_done(&g)), "lists expand to more than 1000000 items"));
	free(g.p);
	/* a chain of lists naming lists is bounded in depth */
	gen_open(&g);
	fprintf(g.f, "- list: l0\n  items: [a]\n");
	for (int i = 1; i <= 100; i++)
		fprintf(g.f, "- list: l%d\n  items: [l%d]\n", i, i - 1);
	fprintf(g.f, "- rule: r\n  condition: evt.type = execve and proc.name in (l100)\n" RULE_TAIL);
	CHECK(strstr(first_error(gen_done(&g)), "lists nest more than 64 deep here"));
	free(g.p);
}

TEST(hostile_yaml_aliases_are_counted_as_copies)
{
	struct gen g;

	/* a big condition aliased by 200 rules: refused by the length limit */
	gen_open(&g);
	fprintf(g.f, "- macro: mm\n  condition: &c \"evt.type = execve");
	for (int i = 0; i < 20000; i++)
		fprintf(g.f, " or proc.name = n%d", i);
	fprintf(g.f, "\"\n");
	for (int i = 0; i < 200; i++)
		fprintf(g.f, "- rule: r%d\n  condition: *c\n" RULE_TAIL, i);
	CHECK(strstr(first_error(gen_done(&g)), "a condition or output may have at most 65536"));
	free(g.p);
	/* a big list aliased 200 times: refused by the held-text limit */
	gen_open(&g);
	fprintf(g.f, "- list: p0\n  items: &i [");
	for (int i = 0; i < 40000; i++)
		fprintf(g.f, "%sitem_number_%d", i ? ", " : "", i);
	fprintf(g.f, "]\n");
	for (int k = 1; k < 200; k++)
		fprintf(g.f, "- list: p%d\n  items: *i\n", k);
	CHECK(strstr(first_error(gen_done(&g)), "the rule files hold more than 32 MiB of text once "
		     "YAML aliases (*name) are expanded"));
	free(g.p);
}

TEST(hostile_big_pmatch_and_in_lists_load_and_match)
{
	struct gen g;
	struct rules *rs;
	int rc;
	struct bw_event e;

	gen_open(&g);
	fprintf(g.f, "- list: p\n  items: [");
	/* unsorted, with duplicates and globs: the trie sorts them itself */
	for (int i = 100000; i-- > 0;)
		fprintf(g.f, "%s/srv/d/x%d", i < 99999 ? ", " : "", i);
	fprintf(g.f, ", /srv/d/x5, \"/srv/g/[0-9]*/data\", /srv/g/a?, /srv/d//x7/./]\n");
	fprintf(g.f, "- list: n\n  items: [");
	for (int i = 0; i < 100000; i++)
		fprintf(g.f, "%sn%d", i ? ", " : "", i);
	fprintf(g.f, "]\n");
	for (int k = 0; k < 50; k++) /* the same list in many rules is compiled once */
		fprintf(g.f, "- rule: r%d\n  condition: evt.type = unlinkat and (fd.name pmatch (p) or "
			"proc.name in (n))\n" RULE_TAIL, k);
	fprintf(g.f, "- rule: mixed\n  condition: evt.type = execve and proc.name in (n, extra)\n"
		RULE_TAIL);
	rs = load(gen_done(&g), &rc);
	free(g.p);
	CHECK_EQ(rc, 0);
	if (!rs) {
		printf("     %.300s\n", errtext);
		return;
	}
	e = ev("unlinkat", "zz", "/srv/d/x99999/f");
	CHECK_EQ(fires(rs, &e), 50);
	e = ev("unlinkat", "zz", "/srv/d/x100000");
	CHECK_EQ(fires(rs, &e), 0);
	e = ev("unlinkat", "zz", "/srv/d/x7");
	CHECK_EQ(fires(rs, &e), 50);
	e = ev("unlinkat", "zz", "/srv/g/42/data/base");
	CHECK_EQ(fires(rs, &e), 50);
	e = ev("unlinkat", "zz", "/srv/g/ab");
	CHECK_EQ(fires(rs, &e), 50);
	e = ev("unlinkat", "zz", "/srv/g/abc");
	CHECK_EQ(fires(rs, &e), 0);
	e = ev("unlinkat", "n99999", "/nowhere");
	CHECK_EQ(fires(rs, &e), 50);
	e = ev("execve", "extra", NULL);
	CHECK_EQ(fires(rs, &e), 1);
	e = ev("execve", "n0", NULL);
	CHECK_EQ(fires(rs, &e), 1);
	rules_free(rs);
}

TEST(hostile_many_rules_load_and_duplicates_are_still_found)
{
	struct gen g;
	struct rules *rs;
	int rc;
	struct bw_event e;

	gen_open(&g);
	for (int i = 0; i < 20000; i++)
		fprintf(g.f, "- rule: r%d\n  condition: evt.type = execve and proc.name = n%d\n" RULE_TAIL,
			i, i);
	rs = load(gen_done(&g), &rc);
	CHECK_EQ(rc, 0);
	CHECK_EQ(rules_count(rs), 20000);
	CHECK(rules_find(rs, "r19999") != NULL);
	e = ev("execve", "n12345", NULL);
	CHECK_EQ(fires(rs, &e), 1);
	rules_free(rs);
	free(g.p);
	gen_open(&g);
	for (int i = 0; i < 20000; i++)
		fprintf(g.f, "- rule: r%d\n  condition: evt.type = execve\n" RULE_TAIL, i % 19999);
	CHECK_STREQ(first_error(gen_done(&g)), "t.yaml:79997:3: rule 'r0' is already defined at "
		    "t.yaml:1; add 'override:' (e.g. {condition: append}) to change it, or give the "
		    "new rule another name");
	free(g.p);
}

TEST(hostile_shared_macros_are_not_flattened_but_match_the_same)
{
	int rc;
	struct rules *rs = load("- macro: ab\n  condition: proc.name startswith a and proc.name endswith b\n"
				"- macro: cd\n  condition: proc.name = c or proc.name = d\n"
				"- rule: r\n  condition: evt.type = execve and ab and not cd\n" RULE_TAIL
				"- rule: s\n  condition: evt.type = execve and (cd or ab)\n" RULE_TAIL, &rc);
	struct bw_event e = ev("execve", "axb", NULL);

	CHECK_EQ(rc, 0);
	CHECK_EQ(fires(rs, &e), 2);
	e = ev("execve", "c", NULL);
	CHECK_EQ(fires(rs, &e), 1);
	e = ev("execve", "x", NULL);
	CHECK_EQ(fires(rs, &e), 0);
	rules_free(rs);
}

TEST(hostile_rule_set_without_and_or_not_evaluates)
{
	int rc;
	struct rules *rs = load("- rule: r\n  condition: evt.type = execve\n" RULE_TAIL, &rc);
	struct bw_event e = ev("execve", NULL, NULL);

	/* rs->kidx is NULL here: the evaluator must not make a pointer from it */
	CHECK_EQ(rc, 0);
	CHECK(rs->kidx == NULL);
	CHECK_EQ(fires(rs, &e), 1);
	CHECK_EQ(rules_type_mask(rs), 1ull << BW_EVT_EXECVE);
	rules_free(rs);
}

TEST(hostile_threshold_window_uses_the_duration_grammar)
{
	int rc;
	struct rules *rs = load("- rule: r\n  condition: evt.type = execve\n" RULE_TAIL
				"  threshold: {count: 2, window: 1h30m}\n"
				"- rule: s\n  condition: evt.type = execve\n" RULE_TAIL
				"  threshold: {count: 2, window: 90}\n", &rc);
	uint64_t w;

	CHECK_EQ(rc, 0);
	CHECK(rule_threshold(rules_find(rs, "r"), NULL, &w, NULL));
	CHECK_EQ(w, 5400ull * 1000000000ull);
	CHECK(rule_threshold(rules_find(rs, "s"), NULL, &w, NULL));
	CHECK_EQ(w, 90ull * 1000000000ull);
	rules_free(rs);
	CHECK(strstr(first_error("- rule: r\n  condition: evt.type = execve\n" RULE_TAIL
				 "  threshold: {count: 2, window: 300000w}\n"),
		     "threshold 'window' must be a duration"));
	CHECK(strstr(first_error("- rule: r\n  condition: evt.type = execve\n" RULE_TAIL
				 "  threshold: {count: 65536, window: 1s, max_groups: 1048576}\n"),
		     "this threshold needs 524288 MiB (count 65536 x max_groups 1048576 timestamps "
		     "of 8 bytes); at most 128 MiB per rule"));
	CHECK(strstr(first_error("- rule: r\n  condition: evt.type = execve\n" RULE_TAIL
				 "  threshold: {count: 2, window: 0s}\n"),
		     "threshold 'window' must be a duration"));
}

int main(void)
{
	int rc = unit_main();

	free(errtext);
	return rc;
}
