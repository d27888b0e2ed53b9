// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Decoder: the open, fallocate and io_uring records of issue 11 become the fields rules use. */
#include <fcntl.h>
#include <unistd.h>
#include "unit.h"
#include "core/decode.h"

static struct decoder dec;
static struct bw_event ev;
static struct bw_file_event rec;

/* A file record of type with the path given, decoded into ev. 0 or -EINVAL. */
static int decode_file(uint32_t type, uint32_t flags, int64_t arg, int64_t res, const char *path)
{
	size_t n = strlen(path);

	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = type;
	rec.hdr.pid = rec.hdr.tid = 4242;
	rec.hdr.loginuid = 1001;
	rec.hdr.sessionid = 12;
	rec.hdr.flags = flags;
	rec.res = res;
	rec.arg = arg;
	memcpy(rec.data, path, n);
	rec.path_len = (uint16_t)n;
	rec.hdr.size = (uint32_t)(offsetof(struct bw_file_event, data) + n);
	return decode_record(&dec, &rec, rec.hdr.size, &ev);
}

static const char *str(enum bw_field f)
{
	static char buf[512];
	struct bw_value v;

	if (!event_get(&ev, f, &v))
		return "(absent)";
	snprintf(buf, sizeof(buf), "%.*s", (int)v.s.len, v.s.p);
	return buf;
}

static int boolean(enum bw_field f)
{
	struct bw_value v;

	return event_get(&ev, f, &v) ? (int)v.u : -1;
}

TEST(decode_openat_otrunc_existing)
{
	CHECK_EQ(decode_init(&dec), 0);
	CHECK_EQ(decode_file(BW_EV_OPENAT, 0, O_WRONLY | O_CREAT | O_TRUNC, 3, "/srv/p/f1"), 0);
	CHECK_STREQ(event_type_name(ev.type), "openat");
	CHECK_STREQ(str(FLD_FD_NAME), "/srv/p/f1");
	CHECK_STREQ(str(FLD_EVT_ARG_FLAGS), "O_WRONLY|O_CREAT|O_TRUNC");
	CHECK_EQ(boolean(FLD_EVT_IS_OPEN_WRITE), 1);
	CHECK_EQ(boolean(FLD_EVT_IS_OPEN_CREATE), 0);
	CHECK_EQ(boolean(FLD_EVT_IS_IO_URING), 0);
	CHECK_STREQ(str(FLD_EVT_ARG_MODE), "(absent)");
	decode_free(&dec);
}

TEST(decode_open_created_and_read_only)
{
	CHECK_EQ(decode_init(&dec), 0);
	CHECK_EQ(decode_file(BW_EV_CREAT, BW_F_CREATED, O_WRONLY | O_CREAT | O_TRUNC, 3, "/tmp/new"), 0);
	CHECK_STREQ(event_type_name(ev.type), "creat");
	CHECK_STREQ(str(FLD_EVT_ARG_FLAGS), "O_WRONLY|O_CREAT|O_TRUNC|O_F_CREATED");
	CHECK_EQ(boolean(FLD_EVT_IS_OPEN_CREATE), 1);
	/* O_RDONLY|O_TRUNC truncates too; unknown bits kept as hex */
	CHECK_EQ(decode_file(BW_EV_OPENAT2, 0, O_TRUNC | 0x80000000ll, -13, "/x"), 0);
	CHECK_STREQ(event_type_name(ev.type), "openat2");
	CHECK_STREQ(str(FLD_EVT_ARG_FLAGS), "O_RDONLY|O_TRUNC|0x80000000");
	CHECK_EQ(boolean(FLD_EVT_IS_OPEN_WRITE), 0);
	decode_free(&dec);
}

TEST(decode_fallocate_mode_names)
{
	CHECK_EQ(decode_init(&dec), 0);
	CHECK_EQ(decode_file(BW_EV_FALLOCATE, 0, 0x03, 0, "/srv/p/f2"), 0);
	CHECK_STREQ(event_type_name(ev.type), "fallocate");
	CHECK_STREQ(str(FLD_EVT_ARG_MODE), "FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE");
	CHECK_STREQ(str(FLD_EVT_ARG_FLAGS), "(absent)");
	CHECK_EQ(decode_file(BW_EV_FALLOCATE, 0, 0x08, 0, "/srv/p/f2"), 0);
	CHECK_STREQ(str(FLD_EVT_ARG_MODE), "FALLOC_FL_COLLAPSE_RANGE");
	CHECK_EQ(decode_file(BW_EV_FALLOCATE, 0, 0x10, 0, "/srv/p/f2"), 0);
	CHECK_STREQ(str(FLD_EVT_ARG_MODE), "FALLOC_FL_ZERO_RANGE");
	decode_free(&dec);
}

TEST(decode_io_uring_request_and_setup)
{
	CHECK_EQ(decode_init(&dec), 0);
	CHECK_EQ(decode_file(BW_EV_UNLINKAT, BW_F_IO_URING | BW_F_PROTECTED | BW_F_KILLED, 0, 0,
			     "/srv/p/f3"), 0);
	CHECK_STREQ(event_type_name(ev.type), "unlinkat");
	CHECK_EQ(boolean(FLD_EVT_IS_IO_URING), 1);
	CHECK_STREQ(str(FLD_EVT_KILL), "protect");
	CHECK_EQ(decode_file(BW_EV_IO_URING_SETUP, 0, 256, 4, ""), 0);
	CHECK_STREQ(event_type_name(ev.type), "io_uring_setup");
	CHECK_STREQ(str(FLD_FD_NAME), "(absent)");
	CHECK_EQ(ev.arg, 256);
	CHECK_EQ(ev.res, 4);
	decode_free(&dec);
}

TEST(decode_open_odd_bytes_kept)
{
	static const char odd[] = "/srv/p/a\nb\t\xff\x01name";

	CHECK_EQ(decode_init(&dec), 0);
	CHECK_EQ(decode_file(BW_EV_OPEN, 0, O_WRONLY | O_TRUNC, 3, odd), 0);
	CHECK_MEMEQ(ev.path.p, ev.path.len, odd, sizeof(odd) - 1);
	CHECK_STREQ(str(FLD_FD_FILENAME), "a\nb\t\xff\x01name");
	decode_free(&dec);
}

TEST(decode_new_fields_known_by_name)
{
	CHECK(event_field_lookup("evt.arg.flags", 13) == FLD_EVT_ARG_FLAGS);
	CHECK(event_field_lookup("evt.arg.mode", 12) == FLD_EVT_ARG_MODE);
	CHECK(event_field_lookup("evt.is_open_write", 17) == FLD_EVT_IS_OPEN_WRITE);
	CHECK(event_field_lookup("evt.is_open_create", 18) == FLD_EVT_IS_OPEN_CREATE);
	CHECK(event_field_lookup("evt.is_io_uring", 15) == FLD_EVT_IS_IO_URING);
	for (const char *const *n = (const char *const[]){ "open", "openat", "openat2", "creat",
							    "fallocate", "io_uring_setup", NULL };
	     *n; n++)
		CHECK(event_type_from_name(*n, strlen(*n)) != BW_EVT_UNKNOWN);
}

/* An exec record of this very process: proc.env and the capability masks come from /proc. */
TEST(decode_exec_env_and_caps_from_proc)
{
	static struct bw_exec_event x;
	const char exe[] = "/usr/bin/test_decode", args[] = "test_decode";
	char status[4096], want[64] = "", buf[2048];
	struct bw_value v;
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long eff = 0;

	CHECK(f != NULL);
	while (f && fgets(status, sizeof(status), f))
		if (sscanf(status, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	CHECK_EQ(decode_init(&dec), 0);
	for (int pass = 0; pass < 2; pass++) {
		dec.want_env = pass == 1;
		memset(&x, 0, sizeof(x));
		x.hdr.type = BW_EV_EXEC;
		x.hdr.pid = x.hdr.tid = (uint32_t)getpid();
		x.hdr.loginuid = 1001;
		x.hdr.sessionid = 12;
		x.exe_len = sizeof(exe) - 1;
		x.args_len = sizeof(args);
		memcpy(x.data, exe, sizeof(exe) - 1);
		memcpy(x.data + x.exe_len, args, sizeof(args));
		x.hdr.size = (uint32_t)(offsetof(struct bw_exec_event, data) + x.exe_len + x.args_len);
		CHECK_EQ(decode_record(&dec, &x, x.hdr.size, &ev), 0);
		/* proc.env only while a rule asks for it */
		CHECK_EQ(event_has(&ev, FLD_PROC_ENV), pass == 1);
	}
	CHECK(event_get(&ev, FLD_PROC_ENV, &v));
	CHECK(memmem(v.s.p, v.s.len, "PATH=", 5) != NULL);
	CHECK(memchr(v.s.p, 0, v.s.len) == NULL); /* NULs became spaces */
	CHECK(event_get(&ev, FLD_PROC_CAP_EFFECTIVE, &v));
	CHECK_EQ(v.u, eff);
	CHECK(event_value(&ev, FLD_THREAD_CAP_EFFECTIVE, -1, &v, buf, sizeof(buf)));
	if (eff & 1)
		snprintf(want, sizeof(want), "CAP_CHOWN");
	CHECK(!strncmp(v.s.p, want, strlen(want)));
	CHECK_EQ(!!strstr(v.s.p, "CAP_SYS_ADMIN"), !!(eff & (1ull << 21)));
	decode_free(&dec);
}

int main(void)
{
	return unit_main();
}
