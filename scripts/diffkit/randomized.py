"""Seeded random sequences of string and keyspace commands.

Every command's reply must be deterministic given the sequence, so TTLs are
large (nothing expires during a run) and compared with a small tolerance,
absolute expiry times are fixed far-future timestamps, KEYS is compared as
a set, and nothing asks for a random key.
"""

import random

KEYS = [b"k%d" % i for i in range(6)] + [b"{t}a", b"{t}b"]

VALUES = [
    b"", b"0", b"1", b"-1", b"7", b"42", b"-100", b"007", b" 1", b"1 ", b"+5",
    b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
    b"12345678901234567890", b"1.5", b"-0.25", b"3.0e2", b"1e-3", b"0.1", b".5",
    b"5.", b"1e308", b"inf", b"-inf", b"nan", b"0x10", b"hello", b"world",
    b"foo bar", b"\x00\x01\xff", b"a\r\nb", b"\xe2\x82\xac", b"x" * 20,
    b"y" * 44, b"z" * 45, b"ohmytext", b"mynewtext", b"ABCBDAB", b"BDCABA",
]

INT_ARGS = [b"0", b"1", b"-1", b"5", b"-7", b"100", b"9223372036854775807",
            b"-9223372036854775808", b"abc", b"1.5", b"", b" 2"]
FLOAT_ARGS = [b"0", b"1", b"-1", b"0.1", b"1.5", b"-2.25", b"3e2", b"1e-5", b"10.5e3",
              b"5.0e3", b"1e308", b"-1e308", b"inf", b"nan", b"abc", b"", b"0x10", b"1.23456789012345678"]
# Far-future absolute times, so EXPIRETIME is exact on both servers.
ABS_SECONDS = [b"4102444800", b"4102444801", b"4133980800"]
BIG_TTL = [b"100000", b"200000", b"3000000"]
BIG_PTTL = [b"100000000", b"200000000"]
SMALL_OFFSETS = [b"0", b"1", b"3", b"5", b"10", b"-1", b"-3", b"-100", b"100", b"2147483647", b"-2147483648"]
SETRANGE_OFFSETS = [b"0", b"1", b"2", b"5", b"10", b"30", b"-1"]
EXPIRE_FLAGS = [[], [], [b"NX"], [b"XX"], [b"GT"], [b"LT"], [b"NX", b"XX"], [b"GT", b"LT"]]

# Compare modes for commands whose replies depend on timing or order.
APPROX_TTL = {"approx": 1}
APPROX_PTTL = {"approx": 100}
UNORDERED = {"unordered": {"pairs": False, "index": None}}


def _gen_set(r, k):
    argv = [b"SET", k, r.choice(VALUES)]
    opts = []
    if r.random() < 0.5:
        opts.append(r.choice([[b"EX", r.choice(BIG_TTL)], [b"PX", r.choice(BIG_PTTL)],
                              [b"EXAT", r.choice(ABS_SECONDS)], [b"KEEPTTL"],
                              [b"EX", b"0"], [b"EX", b"abc"], [b"PX", b"-5"]]))
    if r.random() < 0.3:
        opts.append([r.choice([b"NX", b"XX"])])
    if r.random() < 0.2:
        opts.append([b"GET"])
    r.shuffle(opts)
    for o in opts:
        argv += o
    return argv


def _gen(r):
    k = r.choice(KEYS)
    k2 = r.choice(KEYS)
    v = r.choice(VALUES)
    pick = r.randrange(100)
    if pick < 12:
        return _gen_set(r, k), None
    if pick < 20:
        return [b"GET", k], None
    table = [
        lambda: [b"SETNX", k, v],
        lambda: [b"SETEX", k, r.choice(BIG_TTL + [b"0", b"-1"]), v],
        lambda: [b"PSETEX", k, r.choice(BIG_PTTL), v],
        lambda: [b"GETSET", k, v],
        lambda: [b"GETDEL", k],
        lambda: [b"GETEX", k] + r.choice([[], [b"PERSIST"], [b"EX", r.choice(BIG_TTL)],
                                          [b"EXAT", r.choice(ABS_SECONDS)], [b"EX", b"0"]]),
        lambda: [b"APPEND", k, v],
        lambda: [b"SETRANGE", k, r.choice(SETRANGE_OFFSETS), v],
        lambda: [b"GETRANGE", k, r.choice(SMALL_OFFSETS), r.choice(SMALL_OFFSETS)],
        lambda: [b"SUBSTR", k, r.choice(SMALL_OFFSETS), r.choice(SMALL_OFFSETS)],
        lambda: [b"STRLEN", k],
        lambda: [b"INCR", k],
        lambda: [b"DECR", k],
        lambda: [b"INCRBY", k, r.choice(INT_ARGS)],
        lambda: [b"DECRBY", k, r.choice(INT_ARGS)],
        lambda: [b"INCRBYFLOAT", k, r.choice(FLOAT_ARGS)],
        lambda: [b"MSET"] + [x for _ in range(r.randint(1, 3)) for x in (r.choice(KEYS), r.choice(VALUES))],
        lambda: [b"MSETNX"] + [x for _ in range(r.randint(1, 3)) for x in (r.choice(KEYS), r.choice(VALUES))],
        lambda: [b"MGET"] + r.sample(KEYS, r.randint(1, 4)),
        lambda: [b"DEL"] + r.sample(KEYS, r.randint(1, 3)),
        lambda: [b"UNLINK", k],
        lambda: [b"EXISTS"] + [r.choice(KEYS) for _ in range(r.randint(1, 3))],
        lambda: [b"TYPE", k],
        lambda: [b"RENAME", k, k2],
        lambda: [b"RENAMENX", k, k2],
        lambda: [b"COPY", k, k2] + r.choice([[], [b"REPLACE"]]),
        lambda: [b"EXPIRE", k, r.choice(BIG_TTL + [b"-1"])] + r.choice(EXPIRE_FLAGS),
        lambda: [b"PEXPIRE", k, r.choice(BIG_PTTL)] + r.choice(EXPIRE_FLAGS),
        lambda: [b"EXPIREAT", k, r.choice(ABS_SECONDS)] + r.choice(EXPIRE_FLAGS),
        lambda: [b"PERSIST", k],
        lambda: [b"LCS", k, k2] + r.choice([[], [b"LEN"], [b"IDX"], [b"IDX", b"WITHMATCHLEN"],
                                            [b"IDX", b"MINMATCHLEN", b"2", b"WITHMATCHLEN"]]),
        lambda: [b"OBJECT", b"ENCODING", k],
        lambda: [b"DBSIZE"],
        lambda: [b"TOUCH", k, k2],
        lambda: [b"MOVE", k, b"1"],
        lambda: [b"SWAPDB", b"0", b"1"],
    ]
    timed = [
        (lambda: [b"TTL", k], APPROX_TTL),
        (lambda: [b"PTTL", k], APPROX_PTTL),
        (lambda: [b"EXPIRETIME", k], APPROX_TTL),
        (lambda: [b"KEYS", b"*"], UNORDERED),
    ]
    if pick < 28:
        f, mode = r.choice(timed)
        return f(), mode
    if pick == 99 and r.random() < 0.3:
        return [b"FLUSHDB"], None
    return r.choice(table)(), None


def _type_generators():
    """Per-type generators: every diffkit/random_<type>.py module with a
    `gen(r, keys) -> (argv, directives-or-None)` function. They share the
    key space with the string commands, so WRONGTYPE paths get exercised."""
    import importlib
    import pkgutil
    import diffkit
    gens = []
    for m in sorted(pkgutil.iter_modules(diffkit.__path__), key=lambda m: m.name):
        if m.name.startswith("random_"):
            gens.append(importlib.import_module("diffkit." + m.name).gen)
    return gens


def sequence(seed, count):
    """`count` (argv, compare-directives) pairs, reproducible from `seed`."""
    r = random.Random(seed)
    gens = _type_generators()
    out = []
    for _ in range(count):
        # Strings and keys take a share equal to each collection type's.
        g = r.randrange(len(gens) + 1)
        argv, mode = _gen(r) if g == len(gens) else gens[g](r, KEYS)
        out.append((argv, dict(mode or {})))
    return out
