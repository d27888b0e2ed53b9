// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The watched trees before the kernel: inherited bits, mountinfo mount points. */
#include "unit.h"
#include "kernel/watchset.h"

TEST(watchset_nested_trees_inherit)
{
	struct watchset ws = { 0 };

	/* a protected tree with a plain watch inside it, added in either order */
	CHECK_EQ(watchset_add(&ws, "/srv/pg/15/main/pg_wal", true, 12, 3, 1), 0);
	CHECK_EQ(watchset_add(&ws, "/srv/pg/", true, 10, 3, 2 | 4), 0);
	CHECK_EQ(watchset_bits(&ws, "/srv/pg/15/main/pg_wal"), 1 | 2 | 4);
	CHECK_EQ(watchset_bits(&ws, "/srv/pg"), 2 | 4);
	CHECK_EQ(watchset_bits(&ws, "/srv/pg/15"), 2 | 4);
	/* a sibling that only shares a name prefix is outside */
	CHECK_EQ(watchset_bits(&ws, "/srv/pgdata"), 0);
	CHECK_EQ(watchset_bits(&ws, "/srv"), 0);
	/* the same directory twice: one entry, bits ORed, the newer key */
	CHECK_EQ(watchset_add(&ws, "/srv/pg", true, 11, 3, 1), 0);
	CHECK_EQ(ws.n, 2);
	CHECK_EQ(ws.e[1].bits, 1 | 2 | 4);
	CHECK_EQ(ws.e[1].ino, 11);
	CHECK(watchset_has(&ws, "/srv/pg/"));
	CHECK(!watchset_has(&ws, "/srv"));
	/* not yet created: by path only */
	CHECK_EQ(watchset_add(&ws, "/data/mysql", false, 0, 0, 1), 0);
	CHECK(!ws.e[2].has_key);
	CHECK_EQ(watchset_bits(&ws, "/data/mysql/ibdata1"), 1);
	/* the root covers everything */
	CHECK_EQ(watchset_add(&ws, "/", false, 0, 0, 8), 0);
	CHECK_EQ(watchset_bits(&ws, "/tmp"), 8);
	CHECK_EQ(watchset_bits(&ws, "/srv/pg/x"), 1 | 2 | 4 | 8);
	watchset_clear(&ws);
	CHECK_EQ(ws.n, 0);
}

TEST(watchset_mountinfo_points)
{
	char mp[64];

	CHECK(watchset_mountinfo_point("36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 "
				       "/dev/root rw,errors=continue\n", mp, sizeof(mp)));
	CHECK_STREQ(mp, "/mnt/parent");
	/* spaces, tabs, newlines and backslashes arrive as octal escapes */
	CHECK(watchset_mountinfo_point("40 1 0:50 / /srv/my\\040data\\134x rw - tmpfs tmpfs rw\n",
				       mp, sizeof(mp)));
	CHECK_STREQ(mp, "/srv/my data\\x");
	CHECK(watchset_mountinfo_point("41 1 0:51 / /a\\012b rw - tmpfs t rw", mp, sizeof(mp)));
	CHECK_STREQ(mp, "/a\nb");
	/* malformed: too few fields, a relative point, no room */
	CHECK(!watchset_mountinfo_point("36 35 98:0 /mnt1", mp, sizeof(mp)));
	CHECK(!watchset_mountinfo_point("36 35 98:0 / relative rw - x y rw", mp, sizeof(mp)));
	CHECK(!watchset_mountinfo_point("36 35 98:0 / /a/very/long/mount/point/that/does/not/fit/"
					"in/sixty/four/bytes/at/all rw", mp, sizeof(mp)));
}

int main(void)
{
	return unit_main();
}
