// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* JSON lines: hostile bytes round-trip exactly; reader errors are clear. */
#include "unit.h"
#include "core/json.h"

static struct jbuf b;

static const char *enc(const char *s, size_t n)
{
	jbuf_reset(&b);
	json_put_str(&b, s, n);
	return b.p;
}

TEST(json_plain_and_escapes)
{
	CHECK_STREQ(enc("abc", 3), "\"abc\"");
	CHECK_STREQ(enc("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	CHECK_STREQ(enc("\n\t\r\x01\x1f\x7f", 6), "\"\\n\\t\\r\\u0001\\u001f\\u007f\"");
	CHECK_STREQ(enc("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15), "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(json_invalid_utf8_is_surrogateescaped)
{
	CHECK_STREQ(enc("\xff", 1), "\"\\udcff\"");
	CHECK_STREQ(enc("a\xc3", 2), "\"a\\udcc3\"");          /* truncated sequence */
	CHECK_STREQ(enc("\xc0\xaf", 2), "\"\\udcc0\\udcaf\""); /* overlong '/' */
	CHECK_STREQ(enc("\xed\xa0\x80", 3), "\"\\udced\\udca0\\udc80\""); /* UTF-16 surrogate */
	CHECK_STREQ(enc("\xf4\x90\x80\x80", 4), "\"\\udcf4\\udc90\\udc80\\udc80\""); /* > U+10FFFF */
}

struct kv_one { char key[64]; char val[512]; size_t vlen; int type; };

static int grab(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	struct kv_one *o = ctx;
	memcpy(o->key, k, kl); o->key[kl] = 0;
	memcpy(o->val, v->p, v->len); o->vlen = v->len;
	o->type = v->type;
	return 0;
}

TEST(json_every_byte_round_trips)
{
	char in[256], scratch[4096], err[128], *text;
	struct kv_one o;
	struct jbuf t = { 0 };

	for (int i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	jbuf_puts(&t, "{\"k\":");
	json_put_str(&t, in, 255);
	jbuf_puts(&t, "}");
	text = t.p;
	CHECK_EQ(json_parse_object(text, t.len, scratch, grab, &o, err, sizeof(err)), 0);
	CHECK_STREQ(o.key, "k");
	CHECK_MEMEQ(o.val, o.vlen, in, (size_t)255);
	jbuf_free(&t);
}

TEST(json_event_round_trip)
{
	struct bw_event e, d;
	char scratch[8192], err[128];
	static const char path[] = "/var/lib/postgresql/15/main/base/\xff\n\"x";

	event_reset(&e);
	e.type = BW_EVT_UNLINKAT;
	e.type_name = BW_STR("unlinkat");
	e.time_ns = 1790000000123456789ull;
	e.res = -2;
	e.pid = 42;
	e.loginuid = 1001;
	e.sessionid = 4294967295u;
	e.path = (struct bw_str){ path, sizeof(path) - 1 };
	e.db_has_where = true;
	for (int f = 0; f < FLD_MAX; f++)
		if (f == FLD_EVT_TIME || f == FLD_EVT_TYPE || f == FLD_EVT_RAWRES || f == FLD_PROC_PID ||
		    f == FLD_USER_LOGINUID || f == FLD_SESSION_ID || f == FLD_FD_NAME || f == FLD_DB_HAS_WHERE)
			event_set_present(&e, f);
	event_split_path(&e);
	jbuf_reset(&b);
	event_to_json(&b, &e);
	CHECK(strstr(b.p, "\"evt.type\":\"unlinkat\"") != NULL);
	CHECK(strstr(b.p, "\"evt.rawres\":-2") != NULL);
	CHECK(strstr(b.p, "\"session.id\":4294967295") != NULL);
	CHECK(strstr(b.p, "fd.directory") == NULL);
	CHECK_EQ(json_parse_event(b.p, b.len, scratch, &d, err, sizeof(err)), 0);
	CHECK_EQ(d.type, BW_EVT_UNLINKAT);
	CHECK_EQ(d.time_ns, e.time_ns);
	CHECK_EQ(d.res, -2);
	CHECK_EQ(d.sessionid, 4294967295u);
	CHECK(d.db_has_where);
	CHECK_MEMEQ(d.path.p, d.path.len, path, sizeof(path) - 1);
	CHECK_MEMEQ(d.filename.p, d.filename.len, "\xff\n\"x", (size_t)4);
	CHECK_MEMEQ(d.directory.p, d.directory.len, "/var/lib/postgresql/15/main/base", (size_t)32);
}

TEST(json_reader_errors)
{
	char scratch[256], err[128];
	struct bw_event e;
	const char *bad[] = { "", "[]", "{\"a\":}", "{\"a\":1", "{\"a\" 1}", "{\"a\":\"x}",
			      "{\"a\":\"\\ud800\"}", "{\"a\":\"\\q\"}", "{\"a\":1} x", "{\"a\":[1,2}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kv_one o;
		err[0] = 0;
		CHECK(json_parse_object(bad[i], strlen(bad[i]), scratch, grab, &o, err, sizeof(err)) < 0);
		CHECK(strstr(err, "at byte") != NULL);
	}
	CHECK(json_parse_event("{\"proc.pid\":1}", 14, scratch, &e, err, sizeof(err)) < 0);
	CHECK_STREQ(err, "no \"evt.type\" key");
	CHECK(json_parse_event("{\"evt.type\":\"x\",\"proc.pid\":\"1\"}", 31, scratch, &e, err, sizeof(err)) < 0);
	CHECK(strstr(err, "proc.pid") != NULL);
}

TEST(json_numbers)
{
	jbuf_reset(&b);
	json_put_u64(&b, 18446744073709551615ull);
	json_put_s64(&b, -9223372036854775807ll - 1);
	CHECK_STREQ(b.p, "18446744073709551615-9223372036854775808");
}

/* issue 18: a bool or null in a number field made a pointer from NULL (UBSan) */
TEST(json_non_number_in_number_field)
{
	static const char *const lines[] = {
		"{\"evt.type\":\"x\",\"proc.pid\":true}",
		"{\"evt.type\":\"x\",\"evt.rawres\":false}",
		"{\"evt.type\":\"x\",\"proc.pid\":[1]}",
		"{\"evt.type\":\"x\",\"db.destructive\":1}",
	};
	char scratch[128], err[256];
	struct bw_event e;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CHECK(json_parse_event(lines[i], strlen(lines[i]), scratch, &e, err, sizeof(err)) < 0);
		CHECK(strstr(err, "has the wrong type") != NULL);
	}
	/* null means absent, in number fields too */
	CHECK_EQ(json_parse_event("{\"evt.type\":\"x\",\"proc.pid\":null}", 32, scratch, &e, err,
				  sizeof(err)), 0);
	CHECK(!event_has(&e, FLD_PROC_PID));
}

int main(void)
{
	int rc = unit_main();
	jbuf_free(&b);
	return rc;
}
