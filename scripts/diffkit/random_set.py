"""Random set commands for the differential run (see randomized.py).

Members come from a small space of integers (intset material, including
non-canonical spellings that are strings to Redis) and strings, with one
member longer than set-max-listpack-value, so keys move through intset,
listpack and hashtable. Only commands whose reply is deterministic are
compared; replies whose order Redis leaves unspecified are compared as
multisets, and random ones (SPOP/SRANDMEMBER sampling) are only run when
they cannot change state, or compared where the outcome is the whole set.
"""

MEMBERS = [b"0", b"1", b"2", b"3", b"5", b"8", b"13", b"-1", b"-20", b"100000",
           b"9223372036854775807", b"-9223372036854775808", b"01", b"+1", b" 1", b"1.0",
           b"a", b"b", b"c", b"foo", b"bar", b"", b"\x00\xff", b"x" * 64, b"y" * 65]

UNORDERED = {"unordered": {"pairs": False, "index": None}}
SCAN_ALL = {"scan-all": {"pairs": False}}
IGNORE = {"ignore": True}


def _members(r, lo=1, hi=4):
    return [r.choice(MEMBERS) for _ in range(r.randint(lo, hi))]


def gen(r, keys):
    k = r.choice(keys)
    k2 = r.choice(keys)
    m = r.choice(MEMBERS)
    pick = r.randrange(100)
    if pick < 25:
        return [b"SADD", k] + _members(r, 1, 6), None
    if pick < 33:
        return [b"SREM", k] + _members(r, 1, 3), None
    table = [
        (lambda: [b"SCARD", k], None),
        (lambda: [b"SISMEMBER", k, m], None),
        (lambda: [b"SMISMEMBER", k] + _members(r), None),
        (lambda: [b"SMEMBERS", k], UNORDERED),
        (lambda: [b"SMOVE", k, k2, m], None),
        (lambda: [b"OBJECT", b"ENCODING", k], None),
        (lambda: [b"SINTER"] + r.sample(keys, r.randint(1, 3)), UNORDERED),
        (lambda: [b"SINTERCARD", b"2", k, k2] + r.choice([[], [b"LIMIT", b"1"], [b"LIMIT", b"0"]]), None),
        (lambda: [b"SINTERSTORE", r.choice(keys)] + r.sample(keys, r.randint(1, 3)), None),
        (lambda: [b"SUNION"] + r.sample(keys, r.randint(1, 3)), UNORDERED),
        (lambda: [b"SUNIONSTORE", r.choice(keys)] + r.sample(keys, r.randint(1, 3)), None),
        (lambda: [b"SDIFF"] + r.sample(keys, r.randint(1, 3)), UNORDERED),
        (lambda: [b"SDIFFSTORE", r.choice(keys)] + r.sample(keys, r.randint(1, 3)), None),
        (lambda: [b"SSCAN", k, b"0"] + r.choice([[], [b"MATCH", b"*"], [b"MATCH", b"1*"], [b"COUNT", b"2"]]), SCAN_ALL),
        # Whole-set and empty outcomes are deterministic.
        (lambda: [b"SPOP", k, r.choice([b"0", b"1000"])], UNORDERED),
        (lambda: [b"SRANDMEMBER", k, r.choice([b"0", b"1000"])], UNORDERED),
        (lambda: [b"SRANDMEMBER", k, r.choice([b"2", b"-3"])], IGNORE),
        (lambda: [b"SRANDMEMBER", k], IGNORE),
    ]
    f, mode = r.choice(table)
    return f(), mode
