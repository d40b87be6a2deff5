"""Fixed AOF scenarios: paths the random workload does not reach (a
blocked client served by another client's write, databases changed
inside transactions and scripts, keys and fields that expire lazily or
actively, big values). Each is a function of `conn()` (a new connection)
and `call(conn, *argv)`; aof_check.py runs it on a fresh server, reloads
the AOF after a SIGKILL and compares.

The `(seconds, ...)` a scenario returns is how long to wait before the
comparison (for TTLs it set to pass)."""

import time

FAR_MS = "4102444800000"  # 2100-01-01


def _blocked(conn, call, block, serve):
    """Client A blocks on `block`; client B runs each of `serve`; A's reply."""
    a, b = conn(), conn()
    a.send([x.encode() for x in block])
    time.sleep(0.15)
    for cmd in serve:
        call(b, *cmd)
    reply = a.read_frame(5)
    a.close()
    b.close()
    return reply


def blocked_pops_served(conn, call):
    """What a blocked pop took must be journaled (as its non-blocking
    effect), after the push that served it."""
    _blocked(conn, call, ["BLPOP", "list:b1", "0"], [["RPUSH", "list:b1", "a", "b", "c"]])
    _blocked(conn, call, ["BRPOP", "list:b2", "list:b3", "0"], [["LPUSH", "list:b3", "x", "y"]])
    _blocked(conn, call, ["BLMOVE", "list:b4", "list:b5", "RIGHT", "LEFT", "0"], [["RPUSH", "list:b4", "1", "2"]])
    _blocked(conn, call, ["BLMPOP", "0", "1", "list:b6", "LEFT", "COUNT", "2"], [["RPUSH", "list:b6", "p", "q", "r"]])
    _blocked(conn, call, ["BRPOPLPUSH", "list:b7", "list:b8", "0"], [["RPUSH", "list:b7", "m", "n"]])
    _blocked(conn, call, ["BZPOPMIN", "zset:b1", "0"], [["ZADD", "zset:b1", "1", "a", "2", "b"]])
    _blocked(conn, call, ["BZMPOP", "0", "1", "zset:b2", "MAX", "COUNT", "2"], [["ZADD", "zset:b2", "1", "a", "2", "b", "3", "c"]])
    # Served by a transaction and by a script.
    _blocked(conn, call, ["BLPOP", "list:b9", "0"], [["MULTI"], ["RPUSH", "list:b9", "t1", "t2"], ["SET", "str:b9", "v"], ["EXEC"]])
    _blocked(conn, call, ["BLPOP", "list:b10", "0"], [["EVAL", "redis.call('rpush', KEYS[1], 's1', 's2') return 1", "1", "list:b10"]])
    # Served by a LMOVE into the list it waits on.
    call(conn(), "RPUSH", "list:b11src", "moved", "kept")
    _blocked(conn, call, ["BLPOP", "list:b11", "0"], [["LMOVE", "list:b11src", "list:b11", "LEFT", "LEFT"]])
    return 0


def blocked_stream_reads_served(conn, call):
    c = conn()
    call(c, "XADD", "stream:b1", "1-1", "f", "v")
    call(c, "XGROUP", "CREATE", "stream:b1", "g", "$")
    _blocked(conn, call, ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "BLOCK", "0", "STREAMS", "stream:b1", ">"],
             [["XADD", "stream:b1", "2-1", "f", "w"]])
    # XREAD (no group) served: nothing to journal but the XADD.
    _blocked(conn, call, ["XREAD", "BLOCK", "0", "STREAMS", "stream:b1", "$"], [["XADD", "stream:b1", "3-1", "f", "x"]])
    return 0


def databases(conn, call):
    """SELECT, SWAPDB, MOVE, COPY ... DB and FLUSHDB, also inside MULTI and
    scripts: each record must replay in the database it changed."""
    c = conn()
    for db in range(4):
        call(c, "SELECT", db)
        call(c, "SET", "str:db", "in %d" % db)
        call(c, "RPUSH", "list:db", db)
    call(c, "SELECT", 15)
    call(c, "SET", "str:db15", "x")
    call(c, "SELECT", 1)
    call(c, "SWAPDB", 1, 2)
    call(c, "SET", "str:after-swap", "in db 1")
    call(c, "MOVE", "str:db", 3)
    call(c, "COPY", "list:db", "list:copied", "DB", 0)
    call(c, "MULTI")
    call(c, "SELECT", 2)
    call(c, "SET", "str:multi", "in db 2")
    call(c, "SWAPDB", 0, 3)
    call(c, "SELECT", 0)
    call(c, "INCR", "num:multi")
    call(c, "EXEC")
    # The connection is in db 0 now; a script selects another db.
    call(c, "EVAL", "redis.call('select', 3) redis.call('set', 'str:script', 'in db 3') return 1", "0")
    call(c, "SET", "str:after-script", "in db 0")
    call(c, "SELECT", 2)
    call(c, "FLUSHDB")
    call(c, "SET", "str:after-flush", "in db 2")
    # Another client in another db at the same time.
    d = conn()
    call(d, "SELECT", 1)
    call(d, "SET", "str:other-client", "in db 1")
    call(c, "SET", "str:after-other", "in db 2")
    return 0


def expiry(conn, call):
    """Keys and hash fields that expire lazily (on access) and actively,
    with their deletions journaled; TTLs kept by RENAME, MOVE and COPY."""
    c = conn()
    for i in range(30):
        call(c, "SET", "tmp:active%d" % i, "v", "PX", "50")
    call(c, "SET", "tmp:lazy", "v", "PX", "50")
    call(c, "HSET", "hash:f", "a", "1", "b", "2", "c", "3")
    call(c, "HPEXPIRE", "hash:f", "50", "FIELDS", "2", "a", "b")
    call(c, "HSET", "hash:all", "a", "1")
    call(c, "HPEXPIRE", "hash:all", "50", "FIELDS", "1", "a")
    call(c, "SET", "str:ttl", "v", "PXAT", FAR_MS)
    call(c, "RENAME", "str:ttl", "str:ttl2")
    call(c, "COPY", "str:ttl2", "str:ttl3")
    call(c, "MOVE", "str:ttl3", 1)
    call(c, "HSET", "hash:ttl", "f", "v", "g", "w")
    call(c, "HPEXPIREAT", "hash:ttl", FAR_MS, "FIELDS", "1", "f")
    call(c, "RENAME", "hash:ttl", "hash:ttl2")
    time.sleep(0.3)
    # Lazy: the reads find them expired.
    call(c, "GET", "tmp:lazy")
    call(c, "HGETALL", "hash:f")
    call(c, "EXISTS", "hash:all")
    # Expired keys met by a write.
    call(c, "SET", "tmp:w", "v", "PX", "30")
    time.sleep(0.1)
    call(c, "APPEND", "tmp:w", "new")
    return 1.5


def writes_over_expired(conn, call):
    """Writes that meet keys or hash fields whose time has passed: the
    expiry must be journaled before the write (Redis writes DEL / HDEL),
    or the replay applies the write to the old value."""
    c = conn()
    call(c, "SET", "num:e", "5", "PX", "100")
    call(c, "RPUSH", "list:e", "old")
    call(c, "PEXPIRE", "list:e", "100")
    call(c, "HSET", "hash:e", "f", "old", "n", "5", "keep", "1")
    call(c, "HPEXPIRE", "hash:e", "100", "FIELDS", "2", "f", "n")
    call(c, "HSET", "hash:e2", "f", "old")
    call(c, "HPEXPIRE", "hash:e2", "100", "FIELDS", "1", "f")
    call(c, "HSET", "hash:e3", "x", "1.5", "y", "1")
    call(c, "HPEXPIRE", "hash:e3", "100", "FIELDS", "1", "x")
    time.sleep(0.3)
    call(c, "HINCRBYFLOAT", "hash:e3", "x", "1")
    call(c, "INCR", "num:e")
    call(c, "RPUSH", "list:e", "new")
    call(c, "HSETNX", "hash:e", "f", "new")
    call(c, "HINCRBY", "hash:e", "n", "1")
    call(c, "HSETNX", "hash:e2", "f", "new")
    return 0


def big_values(conn, call):
    c = conn()
    call(c, "SET", "str:big", "x" * (2 << 20))
    call(c, "RPUSH", "list:big", *["e%d" % i for i in range(20000)])
    call(c, "HSET", "hash:big", *[x for i in range(5000) for x in ("f%d" % i, "v%d" % i)])
    call(c, "SADD", "set:big", *[str(i) for i in range(20000)])
    call(c, "ZADD", "zset:big", *[x for i in range(5000) for x in (str(i), "m%d" % i)])
    return 0


def transactions(conn, call):
    """A failing command inside EXEC, DISCARD, WATCH aborts, a script
    that errors after writing, FUNCTION LOAD/DELETE/FLUSH."""
    c = conn()
    call(c, "SET", "str:t", "text")
    call(c, "MULTI")
    call(c, "INCR", "num:t")
    call(c, "INCR", "str:t")  # fails at run time: the rest still runs
    call(c, "RPUSH", "list:t", "a")
    call(c, "EXEC")
    call(c, "MULTI")
    call(c, "SET", "str:discarded", "x")
    call(c, "DISCARD")
    call(c, "WATCH", "num:t")
    call(conn(), "INCR", "num:t")
    call(c, "MULTI")
    call(c, "SET", "str:watched", "x")
    call(c, "EXEC")
    call(c, "EVAL", "redis.call('set', KEYS[1], 'partial') return redis.call('incr', KEYS[2])", "2", "str:partial", "str:t")
    call(c, "FUNCTION", "LOAD", "#!lua name=l1\nredis.register_function('f1', function(k, a) return redis.call('set', k[1], a[1]) end)")
    call(c, "FCALL", "f1", "1", "str:f1", "v")
    call(c, "FUNCTION", "LOAD", "#!lua name=l2\nredis.register_function('f2', function(k, a) return 2 end)")
    call(c, "FUNCTION", "DELETE", "l1")
    call(c, "FUNCTION", "LOAD", "#!lua name=l3\nredis.register_function{function_name='f3', callback=function(k, a) return 3 end, flags={'no-writes'}}")
    return 0


def stream_groups(conn, call):
    """Consumer groups with explicit ids: what XREADGROUP, XCLAIM (IDLE,
    TIME, RETRYCOUNT), XAUTOCLAIM, XACK, XGROUP SETID and XSETID leave (PEL
    delivery times and counts, last ids, entries-read) survives a reload."""
    c = conn()
    for i in range(1, 11):
        call(c, "XADD", "stream:g", "%d-1" % i, "f", "v%d" % i)
    call(c, "XGROUP", "CREATE", "stream:g", "g1", "0")
    call(c, "XGROUP", "CREATE", "stream:g", "g2", "3-1", "ENTRIESREAD", "3")
    call(c, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", "4", "STREAMS", "stream:g", ">")
    call(c, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "stream:g", ">")
    call(c, "XREADGROUP", "GROUP", "g2", "carol", "COUNT", "3", "NOACK", "STREAMS", "stream:g", ">")
    time.sleep(0.05)
    call(c, "XCLAIM", "stream:g", "g1", "bob", "0", "1-1", "IDLE", "5000")
    call(c, "XCLAIM", "stream:g", "g1", "carl", "0", "2-1", "TIME", str(int(time.time() * 1000) - 60000), "RETRYCOUNT", "7")
    call(c, "XAUTOCLAIM", "stream:g", "g1", "dave", "0", "0-0", "COUNT", "1")
    call(c, "XACK", "stream:g", "g1", "4-1")
    call(c, "XDEL", "stream:g", "9-1")
    call(c, "XGROUP", "SETID", "stream:g", "g2", "5-1", "ENTRIESREAD", "5")
    call(c, "XSETID", "stream:g", "20-1", "ENTRIESADDED", "30", "MAXDELETEDID", "15-1")
    call(c, "XGROUP", "CREATECONSUMER", "stream:g", "g2", "erin")
    return 0


SCENARIOS = [stream_groups, blocked_pops_served, blocked_stream_reads_served, databases, expiry, writes_over_expired, big_values, transactions]
