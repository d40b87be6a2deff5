"""A seeded random write workload over every type, for the AOF checks.

`workload(rng, n)` is a generator of commands (lists of str/bytes); the
caller sends each one and passes the reply Frame back with .send(), so
steps that need ids the server chose (stream entries, DUMP payloads) can
use them. The same seed gives the same command choices on any server; the
replies (and so some arguments) may differ, which is fine: each check
compares a server with itself after a reload, or a file's writer with the
server that loads it.

Expire times are either long (a day or more: they never pass during a
check) or short (at most SHORT_MAX_MS: they pass during the run, and the
check waits until every one has passed before it compares). Key names
start with their family ("str:", "list:", ...) so a mismatch names it.
"""

import time

SHORT_MAX_MS = 400

# A library FCALL can call; loaded at the start of every workload.
FUNCTION_LIB = """#!lua name=aoflib
redis.register_function('aof_incr', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)
redis.register_function('aof_push', function(keys, args)
  redis.call('rpush', keys[1], args[1])
  return redis.call('llen', keys[1])
end)
"""
FUNCTION_LIB2 = """#!lua name=aoflib2
redis.register_function{function_name='aof_hset', callback=function(keys, args) return redis.call('hset', keys[1], args[1], args[2]) end}
"""

# Scripts whose writes depend on what they read, on chance or on the clock:
# only their effects can be journaled.
SCRIPTS = [
    "redis.call('set', KEYS[1], ARGV[1]); redis.call('pexpire', KEYS[1], ARGV[2]); return redis.call('incr', KEYS[2])",
    "local m = redis.call('spop', KEYS[1]); if m then redis.call('sadd', KEYS[2], m) end; return m",
    "local t = redis.call('time'); redis.call('hset', KEYS[1], 'sec', t[1], 'usec', t[2]); return t[1]",
    "local v = redis.call('incrbyfloat', KEYS[1], ARGV[1]); redis.call('rpush', KEYS[2], v); return v",
    "redis.call('expire', KEYS[1], 100000); return redis.call('ttl', KEYS[1])",
]


class State:
    def __init__(self, rng):
        self.r = rng
        self.db = 0
        # Monotonic deadline by which every short TTL set so far has passed.
        self.short_deadline = 0.0
        self.step = 0

    def now_ms(self):
        return int(time.time() * 1000)

    def key(self, family, n=8):
        return "%s:%d" % (family, self.r.randrange(n))

    def short_ms(self):
        ms = self.r.randint(20, SHORT_MAX_MS)
        self.short_deadline = max(self.short_deadline, time.monotonic() + ms / 1000.0)
        return str(ms)

    def long_s(self):
        return str(self.r.randint(100000, 200000))

    def long_ms(self):
        return str(self.r.randint(100000000, 200000000))

    def abs_s(self):
        return str(self.now_ms() // 1000 + self.r.randint(100000, 200000))

    def abs_ms(self):
        return str(self.now_ms() + self.r.randint(100000000, 200000000))

    def val(self):
        r = self.r
        k = r.random()
        if k < 0.3:
            return str(r.randint(-1000, 100000))
        if k < 0.4:
            # Binary, with CRLF and NUL: the journal must not care.
            return bytes(r.randrange(256) for _ in range(r.randint(1, 20))) + b"\r\n\x00"
        if k < 0.45:
            return "v" * r.randint(50, 300)
        return "val%d" % r.randrange(1000)

    def score(self):
        r = self.r
        return r.choice([str(r.randint(-50, 50)), "%.3f" % r.uniform(-100, 100), "1e10", "-inf", "+inf", "0.1"])


def _expire_opts(st):
    """Options of SET/GETEX-style expire arguments: long, short or none."""
    r = st.r
    c = r.randrange(8)
    return [[], ["EX", st.long_s()], ["PX", st.long_ms()], ["EXAT", st.abs_s()], ["PXAT", st.abs_ms()], ["KEEPTTL"],
            ["PX", st.short_ms()], ["NX"]][c]


def strings(st):
    r = st.r
    k = st.key("str")
    n = st.key("num", 4)
    c = r.randrange(17)
    if c == 0:
        yield ["SET", k, st.val()] + _expire_opts(st)
    elif c == 1:
        yield ["SET", k, st.val(), "XX", "GET"] + r.choice([[], ["EX", st.long_s()], ["KEEPTTL"]])
    elif c == 2:
        yield ["SETRANGE", k, str(r.randrange(40)), st.val()]
    elif c == 3:
        yield ["APPEND", k, st.val()]
    elif c == 4:
        yield ["INCRBY", n, str(r.randint(-100, 100))]
    elif c == 5:
        yield ["INCRBYFLOAT", n, r.choice(["1.5", "-0.25", "3.0e3", "0.1", "10"])]
    elif c == 6:
        yield ["GETEX", k] + r.choice([["EX", st.long_s()], ["PX", st.long_ms()], ["EXAT", st.abs_s()], ["PXAT", st.abs_ms()], ["PERSIST"],
                                      ["PX", st.short_ms()], []])
    elif c == 7:
        yield ["GETDEL", k]
    elif c == 8:
        yield ["MSET", k, st.val(), st.key("str"), st.val()]
    elif c == 9:
        yield ["MSETNX", st.key("str", 30), st.val(), st.key("str", 30), st.val()]
    elif c == 10:
        yield ["SETEX", k, st.long_s(), st.val()]
    elif c == 11:
        yield ["PSETEX", k, st.short_ms(), st.val()]
    elif c == 12:
        yield ["GETSET", k, st.val()]
    elif c == 13:
        yield ["SETNX", st.key("str", 20), st.val()]
    elif c == 14:
        yield ["DECR", n]
    elif c == 15:
        yield ["SET", st.key("num", 4), str(r.randint(0, 1000)), "EX", st.long_s()]
    else:
        yield ["SET", "tmp:%d" % r.randrange(20), st.val(), "PX", st.short_ms()]


FAMILIES_FOR_KEYS = ["str", "list", "hash", "set", "zset", "stream", "hll", "bit", "geo"]


def keyspace(st):
    r = st.r
    fam = r.choice(FAMILIES_FOR_KEYS)
    k, k2 = st.key(fam), st.key(fam)
    c = r.randrange(16)
    if c == 0:
        yield ["EXPIRE", k, st.long_s()] + r.choice([[], ["NX"], ["XX"], ["GT"], ["LT"]])
    elif c == 1:
        yield ["PEXPIRE", k, st.long_ms()]
    elif c == 2:
        yield ["EXPIREAT", k, st.abs_s()]
    elif c == 3:
        yield ["PEXPIREAT", k, st.abs_ms()]
    elif c == 4:
        yield ["PERSIST", k]
    elif c == 5:
        yield ["PEXPIRE", k, st.short_ms()]
    elif c == 6:
        yield ["RENAME", k, k2]
    elif c == 7:
        yield ["RENAMENX", k, k2]
    elif c == 8:
        yield ["COPY", k, k2] + r.choice([[], ["REPLACE"], ["DB", str(r.randrange(4)), "REPLACE"]])
    elif c == 9:
        yield ["MOVE", k, str(r.randrange(4))]
    elif c == 10:
        a, b = r.sample(range(4), 2)
        yield ["SWAPDB", str(a), str(b)]
    elif c == 11:
        st.db = r.randrange(4)
        yield ["SELECT", str(st.db)]
    elif c == 12:
        yield [r.choice(["DEL", "UNLINK"]), k]
    elif c == 13:
        # A past expire time deletes the key (journaled as a DEL).
        yield ["EXPIRE", k, "-1"]
    elif c == 14:
        yield ["PEXPIREAT", k, str(st.now_ms() - 1000)]
    else:
        yield ["EXPIRE", k, "0"]


def lists(st):
    r = st.r
    k, k2 = st.key("list"), st.key("list")
    c = r.randrange(17)
    if c == 0:
        yield [r.choice(["LPUSH", "RPUSH"]), k] + [st.val() for _ in range(r.randint(1, 5))]
    elif c == 1:
        yield [r.choice(["LPUSHX", "RPUSHX"]), k, st.val()]
    elif c == 2:
        yield ["LINSERT", k, r.choice(["BEFORE", "AFTER"]), "val%d" % r.randrange(1000), st.val()]
    elif c == 3:
        yield ["LSET", k, str(r.randint(-3, 3)), st.val()]
    elif c == 4:
        yield ["LREM", k, str(r.randint(-2, 2)), "val%d" % r.randrange(1000)]
    elif c == 5:
        yield ["LTRIM", k, str(r.randint(0, 2)), str(r.randint(-1, 30))]
    elif c == 6:
        yield [r.choice(["LPOP", "RPOP"]), k] + r.choice([[], [str(r.randint(1, 3))]])
    elif c == 7:
        yield ["LMOVE", k, k2, r.choice(["LEFT", "RIGHT"]), r.choice(["LEFT", "RIGHT"])]
    elif c == 8:
        yield ["RPOPLPUSH", k, k2]
    elif c == 9:
        yield ["LMPOP", "2", k, k2, r.choice(["LEFT", "RIGHT"]), "COUNT", str(r.randint(1, 3))]
    elif c == 10:
        # Blocking pops with data present serve at once: journaled as
        # their non-blocking effect.
        yield ["RPUSH", k, st.val(), st.val()]
        yield [r.choice(["BLPOP", "BRPOP"]), k, k2, "0.01"]
    elif c == 11:
        yield ["RPUSH", k, st.val()]
        yield ["BLMOVE", k, k2, r.choice(["LEFT", "RIGHT"]), r.choice(["LEFT", "RIGHT"]), "0.01"]
    elif c == 12:
        yield ["RPUSH", k2, st.val()]
        yield ["BLMPOP", "0.01", "2", k, k2, r.choice(["LEFT", "RIGHT"]), "COUNT", "2"]
    elif c == 13:
        yield ["BRPOPLPUSH", k, k2, "0.01"]
    elif c == 14:
        yield ["RPUSH", k] + ["e%d" % r.randrange(100) for _ in range(r.randint(50, 200))]
    elif c == 15:
        yield ["RPUSH", "tmp:l%d" % r.randrange(5), st.val()]
        yield ["PEXPIRE", "tmp:l%d" % r.randrange(5), st.short_ms()]
    else:
        yield ["LPUSH", k, "x" * r.randint(60, 9000)]


def _fields(st, n=None):
    r = st.r
    n = n or r.randint(1, 3)
    return ["f%d" % r.randrange(12) for _ in range(n)]


def hashes(st):
    r = st.r
    k = st.key("hash")
    c = r.randrange(16)
    if c == 0:
        yield ["HSET", k] + [x for f in _fields(st, r.randint(1, 4)) for x in (f, st.val())]
    elif c == 1:
        yield ["HSETNX", k, _fields(st, 1)[0], st.val()]
    elif c == 2:
        yield ["HDEL", k] + _fields(st)
    elif c == 3:
        yield ["HINCRBY", k, "n%d" % r.randrange(3), str(r.randint(-10, 10))]
    elif c == 4:
        yield ["HINCRBYFLOAT", k, "fl%d" % r.randrange(3), r.choice(["0.5", "-1.25", "1e3", "3"])]
    elif c == 5:
        f = _fields(st)
        yield ["HEXPIRE", k, st.long_s()] + r.choice([[], ["NX"], ["XX"], ["GT"], ["LT"]]) + ["FIELDS", str(len(f))] + f
    elif c == 6:
        f = _fields(st)
        yield ["HPEXPIRE", k, st.short_ms(), "FIELDS", str(len(f))] + f
    elif c == 7:
        f = _fields(st)
        yield [r.choice(["HEXPIREAT", "HPEXPIREAT"]), k, r.choice([st.abs_s(), st.abs_ms()]), "FIELDS", str(len(f))] + f
    elif c == 8:
        f = _fields(st)
        yield ["HPERSIST", k, "FIELDS", str(len(f))] + f
    elif c == 9:
        f = _fields(st)
        ttl = r.choice([["EX", st.long_s()], ["PX", st.long_ms()], ["EXAT", st.abs_s()], ["PXAT", st.abs_ms()], ["KEEPTTL"],
                        ["PX", st.short_ms()]])
        yield ["HSETEX", k] + r.choice([[], ["FNX"], ["FXX"]]) + ttl + ["FIELDS", str(len(f))] + [x for g in f for x in (g, st.val())]
    elif c == 10:
        f = _fields(st)
        ttl = r.choice([["EX", st.long_s()], ["PX", st.long_ms()], ["EXAT", st.abs_s()], ["PXAT", st.abs_ms()], ["PERSIST"],
                        ["PX", st.short_ms()]])
        yield ["HGETEX", k] + ttl + ["FIELDS", str(len(f))] + f
    elif c == 11:
        f = _fields(st)
        yield ["HGETDEL", k, "FIELDS", str(len(f))] + f
    elif c == 12:
        yield ["HSET", k] + [x for i in range(r.randint(100, 200)) for x in ("big%d" % i, st.val())]
    elif c == 13:
        # Field TTLs in a big (hashtable-encoded) hash too.
        f = ["big%d" % r.randrange(150) for _ in range(3)]
        yield ["HPEXPIRE", k, r.choice([st.long_ms(), st.short_ms()]), "FIELDS", "3"] + f
    elif c == 14:
        yield ["HMSET", k, "a", st.val(), "b", st.val()]
    else:
        yield ["HSET", "tmp:h%d" % r.randrange(5), "f", st.val()]
        yield ["PEXPIRE", "tmp:h%d" % r.randrange(5), st.short_ms()]


def _member(st):
    r = st.r
    return r.choice([str(r.randint(-20, 20)), "m%d" % r.randrange(30), str(r.randint(1, 10**12))])


def sets(st):
    r = st.r
    k, k2, k3 = st.key("set"), st.key("set"), st.key("set")
    c = r.randrange(12)
    if c == 0:
        yield ["SADD", k] + [_member(st) for _ in range(r.randint(1, 6))]
    elif c == 1:
        yield ["SREM", k] + [_member(st) for _ in range(2)]
    elif c == 2:
        yield ["SPOP", k]
    elif c == 3:
        yield ["SPOP", k, str(r.randint(1, 4))]
    elif c == 4:
        yield ["SMOVE", k, k2, _member(st)]
    elif c == 5:
        yield ["SINTERSTORE", k3, k, k2]
    elif c == 6:
        yield ["SUNIONSTORE", k3, k, k2]
    elif c == 7:
        yield ["SDIFFSTORE", k3, k, k2]
    elif c == 8:
        yield ["SADD", k] + [str(i) for i in range(r.randint(1, 600))]
    elif c == 9:
        yield ["SADD", k] + ["member%d" % i for i in range(r.randint(100, 200))]
    elif c == 10:
        # SPOP with a count of at least the size deletes the whole set.
        yield ["SPOP", k, "1000"]
    else:
        yield ["SMOVE", k, k2, "m%d" % r.randrange(30)]


def zsets(st):
    r = st.r
    k, k2, k3 = st.key("zset"), st.key("zset"), st.key("zset")
    c = r.randrange(16)
    if c == 0:
        yield ["ZADD", k] + [x for _ in range(r.randint(1, 4)) for x in (st.score(), _member(st))]
    elif c == 1:
        yield ["ZADD", k, "INCR", st.score(), _member(st)]
    elif c == 2:
        yield ["ZADD", k, r.choice(["NX", "XX"]), r.choice(["GT", "LT", "CH"]), st.score(), _member(st)] if r.random() < 0.5 else \
            ["ZADD", k, r.choice(["XX", "NX"]), "CH", st.score(), _member(st)]
    elif c == 3:
        yield ["ZINCRBY", k, r.choice(["1", "-2.5", "0.1"]), _member(st)]
    elif c == 4:
        yield ["ZREM", k, _member(st), _member(st)]
    elif c == 5:
        yield [r.choice(["ZPOPMIN", "ZPOPMAX"]), k] + r.choice([[], [str(r.randint(1, 3))]])
    elif c == 6:
        yield ["ZRANGESTORE", k3, k] + r.choice([["0", "-1"], ["(-10", "+inf", "BYSCORE"], ["0", "3", "REV"], ["[a", "+", "BYLEX"]])
    elif c == 7:
        yield ["ZUNIONSTORE", k3, "2", k, k2, "WEIGHTS", "1", "2", "AGGREGATE", r.choice(["SUM", "MIN", "MAX"])]
    elif c == 8:
        yield ["ZINTERSTORE", k3, "2", k, k2]
    elif c == 9:
        yield ["ZDIFFSTORE", k3, "2", k, k2]
    elif c == 10:
        yield ["ZREMRANGEBYSCORE", k, "-5", "5"]
    elif c == 11:
        yield ["ZREMRANGEBYRANK", k, "0", "1"]
    elif c == 12:
        yield ["ZMPOP", "2", k, k2, r.choice(["MIN", "MAX"]), "COUNT", "2"]
    elif c == 13:
        yield ["ZADD", k2, "1", "x"]
        yield [r.choice(["BZPOPMIN", "BZPOPMAX"]), k, k2, "0.01"]
    elif c == 14:
        yield ["ZADD", k] + [x for i in range(r.randint(130, 200)) for x in (str(i), "zm%d" % i)]
    else:
        yield ["BZMPOP", "0.01", "2", k, k2, "MAX", "COUNT", "2"]


def _ids(reply):
    """Entry ids in an XRANGE/XPENDING-style reply (first element of each)."""
    out = []
    for ch in reply.children or []:
        if ch.children:
            out.append(ch.children[0].data)
    return out


def streams(st):
    r = st.r
    k = st.key("stream", 4)
    g = "g%d" % r.randrange(2)
    c = r.randrange(14)
    if c in (0, 1):
        yield ["XADD", k, "*", "f", st.val(), "n", str(r.randrange(100))]
    elif c == 2:
        yield ["XADD", k, "MAXLEN", "~", str(r.randint(5, 150)), "*", "f", st.val()]
    elif c == 3:
        yield ["XADD", k, "MAXLEN", str(r.randint(5, 30)), "*", "f", st.val()]
    elif c == 4:
        yield ["XGROUP", "CREATE", k, g, r.choice(["$", "0"]), "MKSTREAM"]
    elif c == 5:
        yield ["XREADGROUP", "GROUP", g, "c%d" % r.randrange(3), "COUNT", str(r.randint(1, 4)), "STREAMS", k, ">"]
    elif c == 6:
        yield ["XREADGROUP", "GROUP", g, "c%d" % r.randrange(3), "COUNT", "2", "NOACK", "STREAMS", k, ">"]
    elif c == 7:
        ids = _ids((yield ["XPENDING", k, g, "-", "+", "10"]))
        if ids:
            yield ["XACK", k, g] + r.sample(ids, min(len(ids), 2))
    elif c == 8:
        ids = _ids((yield ["XPENDING", k, g, "-", "+", "10"]))
        if ids:
            yield ["XCLAIM", k, g, "c%d" % r.randrange(3, 5), "0"] + r.sample(ids, min(len(ids), 2)) + r.choice([[], ["JUSTID"], ["RETRYCOUNT", "5"]])
    elif c == 9:
        yield ["XAUTOCLAIM", k, g, "c%d" % r.randrange(5), "0", "0-0", "COUNT", "2"] + r.choice([[], ["JUSTID"]])
    elif c == 10:
        yield ["XTRIM", k] + r.choice([["MAXLEN", str(r.randint(3, 20))], ["MAXLEN", "~", "10"]])
    elif c == 11:
        ids = _ids((yield ["XRANGE", k, "-", "+", "COUNT", "3"]))
        if ids:
            yield ["XDEL", k, r.choice(ids)]
    elif c == 12:
        yield ["XGROUP", r.choice(["CREATECONSUMER", "DELCONSUMER"]), k, g, "c%d" % r.randrange(5)]
    else:
        yield ["XGROUP", "SETID", k, g, r.choice(["0", "$"])]


def hll(st):
    r = st.r
    k, k2 = st.key("hll", 4), st.key("hll", 4)
    c = r.randrange(4)
    if c == 0:
        yield ["PFADD", k] + ["e%d" % r.randrange(5000) for _ in range(r.randint(1, 20))]
    elif c == 1:
        yield ["PFMERGE", st.key("hll", 4), k, k2]
    elif c == 2:
        yield ["PFCOUNT", k]
    else:
        yield ["PFADD", k] + ["big%d" % i for i in range(r.randint(200, 400))]


def bitmaps(st):
    r = st.r
    k, k2 = st.key("bit", 4), st.key("bit", 4)
    c = r.randrange(5)
    if c == 0:
        yield ["SETBIT", k, str(r.randrange(2000)), str(r.randrange(2))]
    elif c == 1:
        yield ["BITOP", r.choice(["AND", "OR", "XOR"]), st.key("bit", 4), k, k2]
    elif c == 2:
        yield ["BITOP", "NOT", st.key("bit", 4), k]
    elif c == 3:
        yield ["BITFIELD", k, "SET", "u8", str(r.randrange(64)), str(r.randrange(256)), "OVERFLOW", r.choice(["SAT", "WRAP", "FAIL"]), "INCRBY",
               "i5", str(r.randrange(100)), str(r.randint(-40, 40))]
    else:
        yield ["BITFIELD", k, "INCRBY", "u4", "0", "7"]


def geo(st):
    r = st.r
    k = st.key("geo", 4)
    c = r.randrange(3)
    if c == 0:
        yield ["GEOADD", k] + [x for _ in range(r.randint(1, 3))
                               for x in ("%.5f" % r.uniform(-10, 10), "%.5f" % r.uniform(40, 50), "p%d" % r.randrange(30))]
    elif c == 1:
        yield ["GEOSEARCHSTORE", st.key("geo", 4), k, "FROMLONLAT", "0", "45", "BYRADIUS", "800", "km", "ASC"] + r.choice([[], ["STOREDIST"]])
    else:
        yield ["GEOADD", k, "XX", "CH", "1.5", "44.5", "p%d" % r.randrange(30)]


def restore(st):
    r = st.r
    fam = r.choice(FAMILIES_FOR_KEYS)
    payload = (yield ["DUMP", st.key(fam)])
    if payload.data is None:
        return
    dst = "%s:%d" % (fam, r.randrange(8, 12))
    ttl = r.choice([["0"], [st.long_ms()], [st.abs_ms(), "ABSTTL"], [st.short_ms()]])
    yield ["RESTORE", dst, ttl[0], payload.data, "REPLACE"] + ttl[1:]


FLAT = [strings, lists, hashes, sets, zsets, hll, bitmaps, geo]


def multi(st):
    r = st.r
    yield ["MULTI"]
    for _ in range(r.randint(1, 6)):
        fam = r.choice(FLAT + [keyspace])
        for cmd in fam(st):
            # Replies inside MULTI are +QUEUED; families that read replies
            # are not used here.
            if cmd[0] == "SELECT":
                continue
            yield cmd
    yield ["EXEC" if r.random() < 0.9 else "DISCARD"]


def scripts(st):
    r = st.r
    c = r.randrange(len(SCRIPTS) + 2)
    if c == 0:
        yield ["EVAL", SCRIPTS[0], "2", st.key("str"), st.key("num", 4), st.val(), st.long_ms()]
    elif c == 1:
        yield ["EVAL", SCRIPTS[1], "2", st.key("set"), st.key("set")]
    elif c == 2:
        yield ["EVAL", SCRIPTS[2], "1", st.key("hash")]
    elif c == 3:
        yield ["EVAL", SCRIPTS[3], "2", st.key("num", 4), st.key("list"), r.choice(["0.5", "1.1", "2"])]
    elif c == 4:
        sha = (yield ["SCRIPT", "LOAD", SCRIPTS[4]]).data
        yield ["EVALSHA", sha, "1", st.key("str")]
    elif c == 5:
        yield ["FCALL", "aof_incr", "1", st.key("num", 4), str(r.randint(1, 9))]
    else:
        yield ["FCALL", "aof_push", "1", st.key("list"), st.val()]


FAMILIES = [(strings, 6), (keyspace, 4), (lists, 5), (hashes, 5), (sets, 4), (zsets, 4), (streams, 4), (hll, 2), (bitmaps, 2),
            (geo, 1), (restore, 1), (multi, 2), (scripts, 2)]


def workload(st, n, families=None):
    """n steps (a step is one or a few commands) of random writes, with
    the choices drawn from st.r; st.short_deadline tells when every short
    TTL it set has passed. families: a subset of FAMILIES (by default all,
    plus a few fixed steps: another function library, FLUSHDB)."""
    rng = st.r
    yield ["FLUSHALL"]
    yield ["FUNCTION", "LOAD", "REPLACE", FUNCTION_LIB]
    chosen = [(f, w) for f, w in FAMILIES if families is None or f.__name__ in families]
    weights = [w for _, w in chosen]
    fams = [f for f, _ in chosen]
    for i in range(n):
        st.step = i + 1
        if families is None and i == n // 3:
            yield ["FUNCTION", "LOAD", FUNCTION_LIB2]
            yield ["FCALL", "aof_hset", "1", "hash:0", "fromfunc", "1"]
            yield ["SELECT", "3"]
            yield ["FLUSHDB"]
            yield ["SELECT", str(st.db)]
        if families is None and i == 2 * n // 3:
            yield ["FUNCTION", "DELETE", "aoflib2"]
        fam = rng.choices(fams, weights)[0]
        yield from fam(st)


FAMILY_NAMES = [f.__name__ for f, _ in FAMILIES]
