// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Signals and attempts on bulwark: decoding bw_ctl_event, the gap alert's text, old journals' "kill". */
#include <string.h>
#include "unit.h"
#include "core/decode.h"
#include "journal/journal_format.h"
#include "kernel/pins.h"

static void ctl(struct bw_ctl_event *x, uint32_t type, int32_t target, uint32_t arg, uint32_t guard,
		const char *path)
{
	memset(x, 0, sizeof(*x));
	x->hdr.type = type;
	x->hdr.pid = 4242;
	x->hdr.tid = 4242;
	x->hdr.sessionid = 7;
	x->hdr.loginuid = 1001;
	memcpy(x->hdr.comm, "kill", 5);
	x->target = target;
	x->arg = arg;
	x->guard = guard;
	x->path_len = path ? (uint16_t)strlen(path) : 0;
	if (path)
		memcpy(x->data, path, x->path_len);
	x->hdr.size = (uint32_t)(offsetof(struct bw_ctl_event, data) + x->path_len);
}

TEST(guard_decode_signal_to_live_and_exited_pid)
{
	static struct decoder d;
	static struct bw_ctl_event x;
	struct bw_event e;
	struct proc *p;

	CHECK_EQ(decode_init(&d), 0);
	p = proctable_add(&d.pt, 900);
	CHECK(p != NULL);
	memcpy(p->comm, "postgres", 9);
	proctable_exec(&d.pt, p, "/usr/lib/postgresql/15/bin/postgres", 35, "postgres\0", 9);
	ctl(&x, BW_EV_SIG_KILL, 900, 15, 0, NULL);
	x.target_tgid = 900;
	CHECK_EQ(decode_record(&d, &x, x.hdr.size, &e), 0);
	CHECK_STREQ(e.type_name.p, "kill");
	CHECK_EQ(e.sig, 15);
	CHECK_EQ(e.arg_pid, 900);
	CHECK_EQ(e.target_pid, 900);
	CHECK(event_has(&e, FLD_TARGET_EXE));
	CHECK_MEMEQ(e.target_exe.p, e.target_exe.len, "/usr/lib/postgresql/15/bin/postgres", 35);
	CHECK(!event_has(&e, FLD_GUARD_TARGET));
	/* a pid that already exited: no target name or exe, nothing breaks */
	ctl(&x, BW_EV_SIG_KILL, 77777, 9, 0, NULL);
	x.res = -3;
	CHECK_EQ(decode_record(&d, &x, x.hdr.size, &e), 0);
	CHECK_EQ(e.res, -3);
	CHECK(!event_has(&e, FLD_TARGET_EXE));
	CHECK(!event_has(&e, FLD_TARGET_NAME));
	/* kill(0, sig) and kill(-pgid): the group argument is kept, no target */
	ctl(&x, BW_EV_SIG_KILL, -1234, 15, 0, NULL);
	CHECK_EQ(decode_record(&d, &x, x.hdr.size, &e), 0);
	CHECK_EQ(e.arg_pid, -1234);
	CHECK(!event_has(&e, FLD_TARGET_PID));
	decode_free(&d);
}

TEST(guard_decode_attempts)
{
	static struct decoder d;
	static struct bw_ctl_event x;
	struct bw_event e;

	CHECK_EQ(decode_init(&d), 0);
	ctl(&x, BW_EV_BPF, 0, 34, BW_GUARD_LINKS | BW_GUARD_DENIED, NULL);
	x.hdr.flags = BW_F_KILLED | BW_F_SESSION_KILL;
	CHECK_EQ(decode_record(&d, &x, x.hdr.size, &e), 0);
	CHECK_STREQ(e.type_name.p, "bpf");
	CHECK_MEMEQ(e.arg_cmd.p, e.arg_cmd.len, "BPF_LINK_DETACH", 15);
	CHECK_MEMEQ(e.guard_target.p, e.guard_target.len, "links", 5);
	CHECK(e.guard_denied);
	CHECK_MEMEQ(e.kill.p, e.kill.len, "guard_session", 13);
	ctl(&x, BW_EV_UMOUNT2, 0, 2, BW_GUARD_FS, "/sys/fs/bpf/");
	CHECK_EQ(decode_record(&d, &x, x.hdr.size, &e), 0);
	CHECK_STREQ(e.type_name.p, "umount2");
	CHECK_MEMEQ(e.path.p, e.path.len, "/sys/fs/bpf", 11);
	CHECK_MEMEQ(e.guard_target.p, e.guard_target.len, "fs", 2);
	ctl(&x, BW_EV_PTRACE, 555, 16, BW_GUARD_DAEMON, NULL);
	CHECK_EQ(decode_record(&d, &x, x.hdr.size, &e), 0);
	CHECK_MEMEQ(e.arg_cmd.p, e.arg_cmd.len, "PTRACE_ATTACH", 13);
	CHECK_MEMEQ(e.guard_target.p, e.guard_target.len, "daemon", 6);
	/* a path length past the record is refused, not read */
	ctl(&x, BW_EV_UMOUNT2, 0, 0, 0, "/x");
	x.path_len = 4000;
	CHECK(decode_record(&d, &x, x.hdr.size, &e) < 0);
	decode_free(&d);
}

TEST(guard_gap_text)
{
	struct bw_guard_state st = { .abi = BW_ABI_VERSION, .daemon_tgid = 555 };
	char buf[1024];

	st.alive_ns = 100ull * 1000000000ull;
	st.last_sig = 9;
	st.last_sig_ns = st.alive_ns - 500000000ull;
	st.last_sig_pid = 4242;
	st.last_sig_loginuid = 1001;
	st.last_sig_session = 7;
	memcpy(st.last_sig_comm, "bash\"x", 7);
	pins_gap_text(&st, 130ull * 1000000000ull, 0, 3, buf, sizeof(buf));
	CHECK(strstr(buf, "monitor was down from 1970-01-01T00:01:40Z to 1970-01-01T00:02:10Z (30s)"));
	CHECK(strstr(buf, "stopped by SIGKILL (9) from bash?x (pid 4242, uid 0, loginuid 1001, session 7)"));
	CHECK(strstr(buf, "3 records lost"));
	/* a clean stop, the signal long before the last heartbeat */
	st.last_sig_ns = 1;
	st.stop_sig = 15;
	st.stop_pid = 1;
	pins_gap_text(&st, 130ull * 1000000000ull, 0, 0, buf, sizeof(buf));
	CHECK(strstr(buf, "stopped cleanly on SIGTERM from pid 1"));
	st.stop_sig = 0;
	pins_gap_text(&st, 130ull * 1000000000ull, 0, 0, buf, sizeof(buf));
	CHECK(strstr(buf, "no signal to it was seen"));
}

TEST(guard_old_journal_kill_is_kernel_kill)
{
	static const char old[] = "{\"evt.time\":1,\"evt.type\":\"kill\",\"evt.kill\":\"protect\"}";
	char buf[256];
	uint32_t len = sizeof(old) - 1;
	const char *j = journal_compat_json(15, old, &len, buf, sizeof(buf));

	CHECK_MEMEQ(j, len, "{\"evt.time\":1,\"evt.type\":\"kernel_kill\",\"evt.kill\":\"protect\"}", 60);
	CHECK_STREQ(journal_type_code_name(15), "kernel_kill");
	CHECK_STREQ(journal_type_code_name(17), "kill");
	CHECK_EQ(journal_type_code(BW_EVT_KERNEL_KILL), 15);
	CHECK_EQ(journal_type_code(BW_EVT_KILL), 17);
	/* the signal event of today, code 17, is left alone */
	len = sizeof(old) - 1;
	CHECK(journal_compat_json(17, old, &len, buf, sizeof(buf)) == old);
}

int main(void)
{
	return unit_main();
}
