"""Random sorted set commands for the differential run (see randomized.py).

Members come from a small space (so sets collide and shrink), one of them
longer than zset-max-listpack-value so sets convert to skiplists. Replies
must be deterministic: ZRANDMEMBER only asks for more members than a set
can hold, ZSCAN is compared over a whole iteration, and lex ranges (which
Redis leaves unspecified for mixed scores on a skiplist) only run on a key
of their own that only ever holds score-0 members.
"""

MEMBERS = [b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"", b"m1", b"\x00x", b"L" * 70, b"10"]
SCORES = [b"0", b"1", b"-1", b"2", b"2.5", b"-3.75", b"10", b"100", b"1e3", b"inf", b"-inf", b"+inf",
          b"0.1", b"-0", b"1e308", b"3e18", b"1.7e12", b"0x10"]
BAD_SCORES = [b"abc", b"nan", b"", b"1e400"]
BOUNDS = [b"-inf", b"+inf", b"0", b"1", b"(1", b"2", b"(2.5", b"10", b"(10", b"-1", b"(-inf", b"(", b""]
BAD_BOUNDS = [b"abc", b"nan", b" 1"]
LEX = [b"-", b"+", b"[a", b"(a", b"[c", b"(c", b"[m", b"(g", b"[", b"(", b"[10", b"[LLL"]
BAD_LEX = [b"x", b"--"]
INTS = [b"0", b"1", b"2", b"-1", b"-2", b"3", b"5", b"10", b"-100"]
BAD_INTS = [b"abc", b"1.5"]


def pick(r, good, bad, p=0.05):
    return r.choice(bad) if r.random() < p else r.choice(good)
LEX_KEY = b"zlex"

UNORDERED_PAIRS = {"scan-all": {"pairs": True}}


def _pairs(r, n):
    out = []
    for _ in range(n):
        out += [pick(r, SCORES, BAD_SCORES, 0.03), r.choice(MEMBERS)]
    return out


def _zadd(r, k):
    opts = []
    for o in (b"NX", b"XX", b"GT", b"LT", b"CH"):
        if r.random() < 0.12:
            opts.append(o)
    if r.random() < 0.1:
        return [b"ZADD", k] + opts + [b"INCR"] + _pairs(r, 1)
    return [b"ZADD", k] + opts + _pairs(r, r.randint(1, 4))


def _range_opts(r, allow_scores=True):
    opts = []
    if allow_scores and r.random() < 0.4:
        opts.append([b"WITHSCORES"])
    if r.random() < 0.3:
        opts.append([b"LIMIT", pick(r, INTS, BAD_INTS), pick(r, INTS, BAD_INTS)])
    r.shuffle(opts)
    return [x for o in opts for x in o]


def _lex(r):
    """Commands on the score-0 key."""
    k = LEX_KEY
    lo, hi = pick(r, LEX, BAD_LEX), pick(r, LEX, BAD_LEX)
    table = [
        lambda: [b"ZADD", k] + [x for _ in range(r.randint(1, 3)) for x in (b"0", r.choice(MEMBERS))],
        lambda: [b"ZREM", k, r.choice(MEMBERS)],
        lambda: [b"ZLEXCOUNT", k, lo, hi],
        lambda: [b"ZRANGEBYLEX", k, lo, hi] + ([b"LIMIT", pick(r, INTS, BAD_INTS), pick(r, INTS, BAD_INTS)] if r.random() < 0.4 else []),
        lambda: [b"ZREVRANGEBYLEX", k, lo, hi] + ([b"LIMIT", pick(r, INTS, BAD_INTS), pick(r, INTS, BAD_INTS)] if r.random() < 0.4 else []),
        lambda: [b"ZRANGE", k, lo, hi, b"BYLEX"] + ([b"REV"] if r.random() < 0.5 else []) + _range_opts(r, False),
        lambda: [b"ZREMRANGEBYLEX", k, lo, hi],
        lambda: [b"ZRANGESTORE", k, k, lo, hi, b"BYLEX"],
        lambda: [b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"],
        lambda: [b"OBJECT", b"ENCODING", k],
    ]
    return r.choice(table)()


def gen(r, keys):
    if r.random() < 0.15:
        return _lex(r), None
    k = r.choice(keys)
    k2 = r.choice(keys)
    m = r.choice(MEMBERS)
    lo, hi = pick(r, BOUNDS, BAD_BOUNDS), pick(r, BOUNDS, BAD_BOUNDS)
    nk = r.randint(1, 3)
    srcs = [r.choice(keys) for _ in range(nk)]
    setop_opts = []
    if r.random() < 0.3:
        setop_opts += [b"WEIGHTS"] + [r.choice([b"1", b"2", b"0", b"-1", b"0.5", b"inf", b"x"]) for _ in range(nk)]
    if r.random() < 0.3:
        setop_opts += [b"AGGREGATE", r.choice([b"SUM", b"MIN", b"MAX", b"avg"])]
    table = [
        lambda: _zadd(r, k),
        lambda: _zadd(r, k),
        lambda: _zadd(r, k),
        lambda: [b"ZINCRBY", k, pick(r, SCORES, BAD_SCORES), m],
        lambda: [b"ZREM", k] + [r.choice(MEMBERS) for _ in range(r.randint(1, 3))],
        lambda: [b"ZCARD", k],
        lambda: [b"ZSCORE", k, m],
        lambda: [b"ZMSCORE", k, m, r.choice(MEMBERS)],
        lambda: [r.choice([b"ZRANK", b"ZREVRANK"]), k, m] + ([b"WITHSCORE"] if r.random() < 0.5 else []),
        lambda: [b"ZCOUNT", k, lo, hi],
        lambda: [b"ZRANGE", k, pick(r, INTS, BAD_INTS), pick(r, INTS, BAD_INTS)] + ([b"REV"] if r.random() < 0.3 else []) + _range_opts(r),
        lambda: [b"ZRANGE", k, lo, hi, b"BYSCORE"] + ([b"REV"] if r.random() < 0.4 else []) + _range_opts(r),
        lambda: [b"ZREVRANGE", k, pick(r, INTS, BAD_INTS), pick(r, INTS, BAD_INTS)] + ([b"WITHSCORES"] if r.random() < 0.5 else []),
        lambda: [r.choice([b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE"]), k, lo, hi] + _range_opts(r),
        lambda: [b"ZRANGESTORE", k2, k, pick(r, INTS, BAD_INTS), pick(r, INTS, BAD_INTS)],
        lambda: [b"ZRANGESTORE", k2, k, lo, hi, b"BYSCORE"] + ([b"REV"] if r.random() < 0.4 else []) + _range_opts(r, False),
        lambda: [b"ZREMRANGEBYRANK", k, pick(r, INTS, BAD_INTS), pick(r, INTS, BAD_INTS)],
        lambda: [b"ZREMRANGEBYSCORE", k, lo, hi],
        lambda: [r.choice([b"ZPOPMIN", b"ZPOPMAX"]), k] + ([pick(r, INTS, BAD_INTS)] if r.random() < 0.6 else []),
        lambda: [b"ZMPOP", str(nk).encode()] + srcs + [r.choice([b"MIN", b"MAX"])] + ([b"COUNT", pick(r, INTS, BAD_INTS)] if r.random() < 0.5 else []),
        lambda: [b"ZRANDMEMBER", k, r.choice([b"0", b"100", b"abc"])] + ([b"WITHSCORES"] if r.random() < 0.5 else []),
        lambda: [r.choice([b"ZUNION", b"ZINTER", b"ZDIFF"]), str(nk).encode()] + srcs + setop_opts + ([b"WITHSCORES"] if r.random() < 0.5 else []),
        lambda: [r.choice([b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE"]), k2, str(nk).encode()] + srcs + setop_opts,
        lambda: [b"ZINTERCARD", str(nk).encode()] + srcs + ([b"LIMIT", pick(r, INTS, BAD_INTS)] if r.random() < 0.5 else []),
        lambda: [b"OBJECT", b"ENCODING", k],
    ]
    if r.random() < 0.05:
        return [b"ZSCAN", k, b"0"] + ([b"COUNT", b"2"] if r.random() < 0.5 else []), UNORDERED_PAIRS
    return r.choice(table)(), None
