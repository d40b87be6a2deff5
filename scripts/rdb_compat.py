#!/usr/bin/env python3
"""RDB compatibility between Moon and the reference Redis 8.2, both ways.

1. Moon -> Redis: fill Moon with data of every type and encoding, SAVE,
   check the file with redis-check-rdb (the reference binary run under
   that name), start Redis on the file and compare DEBUG DIGEST; then the
   same with BGSAVE while writes continue (the digest of the instant
   BGSAVE began must be the one Redis loads).
2. Redis -> Moon: the same with the roles swapped, OBJECT ENCODING of
   every key compared with what Redis reports after its own DEBUG RELOAD,
   and DUMP of every stream compared byte for byte.

    python3 scripts/rdb_compat.py [--moon target/debug/moon] [--seed N]

The last line is "N passed, M failed"; the exit status is non-zero when
anything failed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import rdbdata, servers  # noqa: E402
from diffkit.resp import Conn  # noqa: E402
from diffkit.tally import Tally  # noqa: E402


def call(conn, *argv):
    return conn.call([a.encode() if isinstance(a, str) else a for a in argv])


def digest(conn):
    return call(conn, "DEBUG", "DIGEST").raw


def encodings(conn):
    out = {}
    for db in range(16):
        call(conn, "SELECT", str(db))
        keys = call(conn, "KEYS", "*").raw.split(b"\r\n")
        for k in [k for k in keys if k and k[:1] not in b"*$"]:
            out[(db, k)] = call(conn, "OBJECT", "ENCODING", k).raw
    call(conn, "SELECT", "0")
    return out


def stream_dumps(conn):
    """DUMP of every stream key: a stream loaded from a file must dump to
    the bytes the server that wrote the file dumps (blocks, groups, PELs,
    consumers and their times all come from the file)."""
    # Uncompressed: the layout is compared, not the LZF compressor (whose
    # output differs from Redis' by a byte on some inputs).
    call(conn, "CONFIG", "SET", "rdbcompression", "no")
    out = {}
    for db in range(16):
        call(conn, "SELECT", str(db))
        keys = call(conn, "KEYS", "*").raw.split(b"\r\n")
        for k in [k for k in keys if k and k[:1] not in b"*$"]:
            if call(conn, "TYPE", k).raw == b"+stream\r\n":
                out[(db, k)] = call(conn, "DUMP", k).raw
    call(conn, "SELECT", "0")
    return out


def check_rdb(reference, path):
    """redis-check-rdb is the reference binary started under that name."""
    d = tempfile.mkdtemp(prefix="rdb-check-")
    try:
        tool = os.path.join(d, "redis-check-rdb")
        os.symlink(reference, tool)
        p = subprocess.run([tool, path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        return p.returncode == 0 and "RDB looks OK" in out, out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def fill_and_save(srv, seed):
    c = Conn(srv.port, timeout=60)
    call(c, "FLUSHALL")
    rdbdata.run(c, rdbdata.fixed_commands())
    rdbdata.run(c, rdbdata.random_commands(seed))
    d = digest(c)
    reply = call(c, "SAVE").raw
    c.close()
    if reply != b"+OK\r\n":
        raise RuntimeError("%s SAVE failed: %r" % (srv.name, reply))
    return d, os.path.join(srv.workdir, "dump.rdb")


def fill_and_bgsave(srv, seed):
    """Fill, BGSAVE, keep writing while it runs: the file must hold the
    data of the instant BGSAVE began."""
    c = Conn(srv.port, timeout=60)
    call(c, "FLUSHALL")
    rdbdata.run(c, rdbdata.fixed_commands())
    rdbdata.run(c, rdbdata.random_commands(seed))
    d = digest(c)
    reply = call(c, "BGSAVE").raw
    if reply != b"+Background saving started\r\n":
        raise RuntimeError("%s BGSAVE failed: %r" % (srv.name, reply))
    for i in range(2000):
        call(c, "SET", "after-bgsave:%d" % i, "x")
        call(c, "DEL", "str:%d" % i)
    deadline = time.time() + 60
    while b"rdb_bgsave_in_progress:1" in call(c, "INFO", "persistence").raw:
        if time.time() > deadline:
            raise RuntimeError("BGSAVE did not finish")
        time.sleep(0.05)
    ok = b"rdb_last_bgsave_status:ok" in call(c, "INFO", "persistence").raw
    c.close()
    if not ok:
        raise RuntimeError("%s BGSAVE reported an error" % srv.name)
    return d, os.path.join(srv.workdir, "dump.rdb")


def start_on(make, path):
    """Start a server whose working directory holds a copy of `path`."""
    srv = make()
    shutil.copy(path, os.path.join(srv.workdir, "dump.rdb"))
    return srv.start()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    servers.add_binary_args(p)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    ref = a.reference or servers.reference_binary()
    t = Tally()
    started = []

    # Redis' built-in default for hash-max-listpack-entries is 512 (its
    # redis.conf says 128); pin one value on both sides so OBJECT ENCODING
    # compares the loaders, not the defaults.
    same = ["--hash-max-listpack-entries", "128"]

    def moon():
        s = servers.moon_server(a.moon, extra_args=same)
        started.append(s)
        return s

    def redis():
        s = servers.reference_server(ref)
        base = s.argv_for_port
        s.argv_for_port = lambda port: base(port) + same
        s.argv = s.argv_for_port(s.port)
        started.append(s)
        return s

    keep = tempfile.mkdtemp(prefix="rdb-compat-")
    try:
        print("Moon -> Redis")
        m = moon().start()
        d_moon, f = fill_and_save(m, a.seed)
        moon_file = os.path.join(keep, "moon.rdb")
        shutil.copy(f, moon_file)
        ok, out = check_rdb(ref, moon_file)
        t.check(ok, "redis-check-rdb accepts Moon's file", out[-2000:])
        r = start_on(redis, moon_file)
        c = Conn(r.port, timeout=60)
        t.check(digest(c) == d_moon, "Redis loads Moon's file with the same DEBUG DIGEST", "%r vs %r" % (digest(c), d_moon))
        c.close()

        print("Moon BGSAVE (writes during the save) -> Redis")
        d_bg, f = fill_and_bgsave(m, a.seed + 2)
        bg_file = os.path.join(keep, "moon-bg.rdb")
        shutil.copy(f, bg_file)
        ok, out = check_rdb(ref, bg_file)
        t.check(ok, "redis-check-rdb accepts Moon's BGSAVE file", out[-2000:])
        r3 = start_on(redis, bg_file)
        c = Conn(r3.port, timeout=60)
        t.check(digest(c) == d_bg, "Redis loads Moon's BGSAVE file with the digest of the BGSAVE's start", "%r vs %r" % (digest(c), d_bg))
        c.close()

        print("Redis -> Moon")
        r2 = redis().start()
        d_redis, f = fill_and_save(r2, a.seed + 1)
        redis_file = os.path.join(keep, "redis.rdb")
        shutil.copy(f, redis_file)
        c = Conn(r2.port, timeout=60)
        call(c, "DEBUG", "RELOAD")
        want = encodings(c)
        want_streams = stream_dumps(c)
        c.close()
        m2 = start_on(moon, redis_file)
        c = Conn(m2.port, timeout=60)
        t.check(digest(c) == d_redis, "Moon loads Redis' file with the same DEBUG DIGEST", "%r vs %r" % (digest(c), d_redis))
        got = encodings(c)
        got_streams = stream_dumps(c)
        c.close()
        sdiff = [k for k in sorted(set(want_streams) | set(got_streams)) if want_streams.get(k) != got_streams.get(k)]
        t.check(want_streams and not sdiff, "%d streams dump to Redis' bytes after loading" % len(want_streams), repr(sdiff[:10]))
        diff = [(k, want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
        t.check(not diff, "OBJECT ENCODING of every key matches Redis after loading", repr(diff[:10]))
    finally:
        for s in started:
            s.stop()
        shutil.rmtree(keep, ignore_errors=True)
    print("%d passed, %d failed" % (t.passed, t.failed))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
