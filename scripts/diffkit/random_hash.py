"""Random hash commands for the differential runner (see randomized.py).

Replies must be deterministic, so: fields and values stay short and few
(every hash stays compact, whose order Redis defines: HGETALL, HSCAN and a
covering HRANDFIELD compare byte for byte, field-TTL order included); field
TTLs are set only with fixed far-future absolute times or with times in the
past (which delete), never relative ones whose ties depend on the clock;
HTTL/HPTTL are left to the case file.
"""

import re

# HRANDFIELD -1 WITHVALUES: only the reply's shape is deterministic.
ONE_RANDOM_PAIR = re.compile(rb"(\*0\r\n|-.*|\*[12]\r\n.*)", re.DOTALL)

FIELDS = [b"f0", b"f1", b"f2", b"f3", b"f4", b"", b"a b", b"x" * 20]
VALUES = [b"", b"0", b"1", b"-1", b"42", b"007", b" 1", b"1.5", b"-0.25", b"9223372036854775807",
          b"-9223372036854775808", b"hello", b"\x00\xff", b"y" * 30]
INT_INCR = [b"0", b"1", b"-1", b"7", b"-100", b"9223372036854775807", b"-9223372036854775808", b"abc", b"1.5", b""]
FLOAT_INCR = [b"0", b"1", b"-1", b"0.1", b"1.5", b"-2.25", b"3e2", b"1e-5", b"0x10", b"abc", b"inf", b"", b"-0.0"]
# Distinct far-future times (seconds and ms), and past ones that delete.
ABS_S = [b"4102444800", b"4102444900", b"4133980800"]
ABS_MS = [b"4102444800000", b"4102444850000", b"4133980800001"]
PAST = [b"0", b"1"]
CONDS = [[], [], [], [b"NX"], [b"XX"], [b"GT"], [b"LT"]]


def _fields(r, lo=1, hi=3):
    return [r.choice(FIELDS) for _ in range(r.randint(lo, hi))]


def _block(r, fields):
    """FIELDS numfields f..., now and then with a wrong count."""
    n = len(fields)
    if r.random() < 0.05:
        n = r.choice([0, -1, n + 1])
    return [b"FIELDS", str(n).encode()] + fields


def _pairs(r):
    out = []
    for f in _fields(r):
        out += [f, r.choice(VALUES)]
    return out


def _expire_cmd(r, k):
    pick = r.randrange(10)
    if pick < 4:
        cmd, t = b"HEXPIREAT", r.choice(ABS_S + PAST)
    elif pick < 7:
        cmd, t = b"HPEXPIREAT", r.choice(ABS_MS + PAST)
    else:
        cmd, t = r.choice([b"HEXPIRE", b"HPEXPIRE"]), r.choice([b"0", b"-1", b"abc"])
    return [cmd, k, t] + r.choice(CONDS) + _block(r, _fields(r))


def _getex(r, k):
    opt = r.choice([[], [b"PERSIST"], [b"EXAT", r.choice(ABS_S)], [b"PXAT", r.choice(ABS_MS)], [b"PX", b"0"],
                    [b"EXAT", b"1"], [b"EX", b"-1"]])
    return [b"HGETEX", k] + opt + _block(r, _fields(r))


def _setex(r, k):
    args = [b"HSETEX", k]
    if r.random() < 0.3:
        args.append(r.choice([b"FNX", b"FXX"]))
    if r.random() < 0.6:
        args += r.choice([[b"EXAT", r.choice(ABS_S)], [b"PXAT", r.choice(ABS_MS)], [b"KEEPTTL"], [b"PX", b"0"],
                          [b"PXAT", b"1"]])
    pairs = _pairs(r)
    return args + [b"FIELDS", str(len(pairs) // 2).encode()] + pairs


def gen(r, keys):
    k = r.choice(keys)
    table = [
        lambda: [b"HSET", k] + _pairs(r),
        lambda: [b"HSET", k] + _pairs(r),
        lambda: [b"HMSET", k] + _pairs(r),
        lambda: [b"HSETNX", k, r.choice(FIELDS), r.choice(VALUES)],
        lambda: [b"HGET", k, r.choice(FIELDS)],
        lambda: [b"HMGET", k] + _fields(r),
        lambda: [b"HEXISTS", k, r.choice(FIELDS)],
        lambda: [b"HSTRLEN", k, r.choice(FIELDS)],
        lambda: [b"HLEN", k],
        lambda: [b"HDEL", k] + _fields(r),
        lambda: [b"HINCRBY", k, r.choice(FIELDS), r.choice(INT_INCR)],
        lambda: [b"HINCRBYFLOAT", k, r.choice(FIELDS), r.choice(FLOAT_INCR)],
        lambda: [b"HGETALL", k],
        lambda: [b"HKEYS", k],
        lambda: [b"HVALS", k],
        lambda: [b"HSCAN", k, b"0"] + r.choice([[], [b"NOVALUES"], [b"MATCH", b"f*"], [b"COUNT", b"2"]]),
        lambda: [b"HRANDFIELD", k] + r.choice([[b"0"], [b"100"], [b"100", b"WITHVALUES"], [b"-1", b"WITHVALUES"]]),
        lambda: _expire_cmd(r, k),
        lambda: _expire_cmd(r, k),
        lambda: [r.choice([b"HEXPIRETIME", b"HPEXPIRETIME"]), k] + _block(r, _fields(r)),
        lambda: [b"HPERSIST", k] + _block(r, _fields(r)),
        lambda: [b"HGETDEL", k] + _block(r, _fields(r)),
        lambda: _getex(r, k),
        lambda: _setex(r, k),
        lambda: [b"OBJECT", b"ENCODING", k],
    ]
    argv = r.choice(table)()
    if argv[0] == b"HRANDFIELD" and argv[2:3] == [b"-1"]:
        return argv, {"match": ONE_RANDOM_PAIR}
    return argv, None
