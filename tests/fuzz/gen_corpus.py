#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Writes the seed corpora under tests/fuzz/corpus/<target>/ (small files, committed).
#   tests/fuzz/gen_corpus.py
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

SQL_COMMON = [
    "SELECT 1", "SELECT 1; DROP TABLE t", "DROP TABLE IF EXISTS a.b, c CASCADE",
    "DROP DATABASE shop", "DROP SCHEMA s", "DROP USER bob", "DROP ROLE r",
    "TRUNCATE TABLE t", "DELETE FROM t", "DELETE FROM t WHERE id = 1",
    "DELETE FROM t WHERE 1=1", "UPDATE t SET a = 1", "UPDATE t SET a = 1 WHERE id = 2",
    "ALTER TABLE t DROP COLUMN c", "ALTER TABLE t DROP CONSTRAINT k",
    "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
    "EXPLAIN ANALYZE DELETE FROM t", "INSERT INTO drop_log VALUES (1)",
    "SELECT 'DROP TABLE x'", "/* DROP TABLE x */ SELECT 1", "-- DROP TABLE x\nSELECT 1",
    "BEGIN", "COMMIT",
]
SQL_MYSQL = SQL_COMMON + [
    "/*!50000 DROP TABLE t */", "/*!DROP*/ TABLE t", "/*M!100100 DROP DATABASE d */",
    "# c\nSELECT 1", "SET sql_log_bin=0", "SET @@session.sql_log_bin := 'OFF'",
    "SET STATEMENT sql_log_bin=0 FOR DELETE FROM t", "RESET MASTER", "PURGE BINARY LOGS TO 'b.1'",
    "PREPARE s FROM 'DROP TABLE t'", "PREPARE s FROM X'44524F50205441424C452074'",
    "EXECUTE IMMEDIATE 'DELETE FROM t'", "USE shop", "DROP USER 'bob'@'%'",
    "CREATE OR REPLACE TABLE t (id INT)", "BEGIN NOT ATOMIC DROP TABLE t; END",
    "CREATE DEFINER=`root`@`%` EVENT e ON SCHEDULE AT NOW() DO DROP DATABASE prod",
    "CREATE PROCEDURE p() BEGIN IF x THEN TRUNCATE t; END IF; END",
    "ALTER TABLE t ENGINE = BLACKHOLE", "SELECT 'a\\'; DROP TABLE x; --'",
    "UPDATE t1 JOIN t2 ON t1.a = t2.a SET t1.b = 1 LIMIT 3", "SELECT `drop` FROM `delete`",
]
SQL_PG = SQL_COMMON + [
    "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", "DO $x$ BEGIN DELETE FROM t; END $x$",
    "DO LANGUAGE plpgsql 'BEGIN EXECUTE ''TRUNCATE t''; END'",
    "CREATE OR REPLACE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM t'",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END",
    "CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u", "PREPARE p AS DELETE FROM t",
    "ALTER SYSTEM SET archive_command = '/bin/true'", "ALTER SYSTEM RESET ALL",
    "SET search_path TO app", "DROP OWNED BY bob", "DROP TYPE t CASCADE",
    "EXPLAIN (ANALYZE false) DELETE FROM t", "SELECT $$DROP TABLE x$$",
    "/* a /* nested */ c */ DROP TABLE t", "DELETE FROM t WHERE id IN (1, 2",
    "SELECT E'\\' DROP TABLE x'", "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1",
]


def my_pkt(seq, payload):
    n = len(payload)
    return bytes([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, seq]) + payload


def my_handshake(caps, user, db):
    pl = struct.pack("<IIB", caps, 0xffffff, 45) + bytes(23)
    pl += user + b"\0" + bytes([20]) + b"\xab" * 20
    if db is not None:
        pl += db + b"\0"
    pl += b"mysql_native_password\0"
    return my_pkt(1, pl)


CAPS = 0x0200 | 0x8000 | 0x0008 | 0x00080000


def my_cmd(cmd, text):
    return my_pkt(0, bytes([cmd]) + text)


def pg_msg(t, body):
    return t + struct.pack(">I", len(body) + 4) + body


def pg_untyped(code, body):
    return struct.pack(">II", len(body) + 8, code) + body


def pg_startup(user, db):
    p = b"user\0" + user + b"\0"
    if db:
        p += b"database\0" + db + b"\0"
    return pg_untyped(196608, p + b"\0")


def pg_ext(q):
    return (pg_msg(b"P", b"\0" + q + b"\0\0\0") + pg_msg(b"B", bytes(8)) + pg_msg(b"D", b"P\0") +
            pg_msg(b"E", bytes(5)) + pg_msg(b"S", b""))


MYSQL_STREAMS = [
    my_handshake(CAPS, b"alice", b"shop") + my_cmd(3, b"SELECT 1") + my_cmd(2, b"hr") +
    my_cmd(0x16, b"DELETE FROM t WHERE id = ?") + my_pkt(0, b"\x0e") + my_cmd(3, b"DROP TABLE t"),
    my_handshake(CAPS | (1 << 27), b"app", None) + my_pkt(0, b"\x03\x00\x01SELECT 1") +
    my_pkt(0, b"\x03\x01\x01\x00\x01\xfe\x00\x01n\x01vDROP TABLE a"),
    my_pkt(1, struct.pack("<IIB", CAPS | 0x800, 0xffffff, 45) + bytes(23)) + b"\x16\x03\x01\x02\x00",
    my_handshake(CAPS, b"u", b"d") + my_pkt(3, b"\x01" * 21) +
    my_pkt(0, b"\x11bob\0\x03abchr\0\x2d\0") + my_cmd(3, b"USE x; TRUNCATE y"),
    my_handshake(CAPS, b"u", b"d") + b"\xff\xff\xff\x00\x03SELECT '" + b"x" * 200,
    my_cmd(3, b"SELECT 1") + my_pkt(0, b"\x19\x01\x00\x00\x00") + my_cmd(3, b"UPDATE t SET a=1"),
    my_handshake(CAPS | 0x20, b"u", None) + b"\x10\x00\x00\x00\x00\x00\x00",
]
PG_STREAMS = [
    pg_startup(b"alice", b"shop") + pg_msg(b"p", b"pw\0") + pg_msg(b"Q", b"SELECT 1\0") +
    pg_ext(b"DELETE FROM t WHERE id = $1") + pg_msg(b"Q", b"DROP TABLE t\0") + pg_msg(b"X", b""),
    pg_untyped(80877103, b"") + b"N" + pg_startup(b"bob", None) + pg_msg(b"Q", b"TRUNCATE t\0"),
    pg_untyped(80877103, b"") + b"\x16\x03\x01\x00\xf4\x01\x00",
    pg_untyped(80877104, b"") + b"\x00\x00\x02\x10\x60\x82",
    pg_untyped(80877102, b"\x00\x00\x30\x39\x01\x02\x03\x04"),
    pg_ext(b"UPDATE t SET a = 1") + pg_msg(b"H", b"") + pg_msg(b"d", b"1\t2\n") +
    pg_msg(b"c", b"") + pg_msg(b"F", bytes(10)) + pg_msg(b"C", b"S\0"),
    pg_startup(b"u", b"d") + b"Q\x40\x00\x00\x00DELETE FROM t",
    pg_startup(b"u", b"d") + pg_msg(b"Q", b"DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$\0"),
]


def write(target, items):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        os.unlink(os.path.join(d, old))
    for data in items:
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def streams(items):
    # byte 0: modes (see fuzz_proto.h), byte 1: seed of the cuts
    out = []
    for s in items:
        for mode, seed in ((0x00, 1), (0x10, 7), (0x1e, 42), (0x21, 3), (0x0c, 99)):
            out.append(bytes([mode, seed]) + s)
    return out


write("fuzz_sql_mysql", [s.encode() for s in SQL_MYSQL])
write("fuzz_sql_pg", [s.encode() for s in SQL_PG])
write("fuzz_mysql_proto", streams(MYSQL_STREAMS))
write("fuzz_pg_proto", streams(PG_STREAMS))
