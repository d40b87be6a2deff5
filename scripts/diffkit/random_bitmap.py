"""Random bitmap commands for the differential run (see randomized.py).

Offsets stay small (strings of at most a few hundred bytes) so BITOP and
BITCOUNT see strings of different lengths, with an occasional large or
invalid offset for the error paths. Keys are shared with the other types,
so WRONGTYPE replies get exercised too.
"""

OFFSETS = [b"0", b"1", b"7", b"8", b"15", b"63", b"64", b"100", b"255", b"1000", b"2047"]
BAD_OFFSETS = [b"-1", b"x", b"4294967296", b"", b"#1"]
INDEXES = [b"0", b"1", b"2", b"-1", b"-2", b"-3", b"5", b"10", b"100", b"-100", b"7", b"9", b"17"]
BAD_INDEXES = [b"x", b"1.5"]
TYPES = [b"u1", b"u3", b"u8", b"i8", b"u16", b"i16", b"i5", b"u63", b"i64", b"i32", b"u31"]
BAD_TYPES = [b"u64", b"i0", b"x8"]
VALUES = [b"0", b"1", b"-1", b"100", b"-100", b"127", b"128", b"255", b"256", b"65535", b"-32768",
          b"9223372036854775807", b"-9223372036854775808", b"4611686018427387904"]
BAD_VALUES = [b"x", b"1.5"]
OPS = [b"AND", b"OR", b"XOR", b"NOT", b"DIFF", b"DIFF1", b"ANDOR", b"ONE"]


def pick(r, good, bad, p=0.04):
    return r.choice(bad) if r.random() < p else r.choice(good)


def _offset(r):
    if r.random() < 0.2:
        return b"#" + r.choice([b"0", b"1", b"3", b"10"])
    return pick(r, OFFSETS, BAD_OFFSETS)


def _bitfield(r, k, readonly=False):
    argv = [b"BITFIELD_RO" if readonly else b"BITFIELD", k]
    for _ in range(r.randint(0, 4)):
        c = r.random()
        if c < 0.15:
            argv += [b"OVERFLOW", r.choice([b"WRAP", b"SAT", b"FAIL", b"fail"] + ([b"bad"] if r.random() < 0.05 else []))]
        elif c < 0.45 or readonly and r.random() < 0.9:
            argv += [b"GET", pick(r, TYPES, BAD_TYPES), _offset(r)]
        else:
            argv += [r.choice([b"SET", b"INCRBY"]), pick(r, TYPES, BAD_TYPES), _offset(r), pick(r, VALUES, BAD_VALUES)]
    return argv


def _range(r, with_unit):
    if r.random() < 0.3:
        return []
    out = [pick(r, INDEXES, BAD_INDEXES), pick(r, INDEXES, BAD_INDEXES)]
    if with_unit and r.random() < 0.5:
        out.append(r.choice([b"BIT", b"BYTE", b"bit"] + ([b"bad"] if r.random() < 0.05 else [])))
    return out


def gen(r, keys):
    k = r.choice(keys)
    table = [
        lambda: [b"SETBIT", k, _offset(r), r.choice([b"0", b"1", b"1", b"2"] if r.random() < 0.05 else [b"0", b"1"])],
        lambda: [b"SETBIT", k, _offset(r), b"1"],
        lambda: [b"GETBIT", k, _offset(r)],
        lambda: [b"BITCOUNT", k] + _range(r, True),
        lambda: [b"BITPOS", k, r.choice([b"0", b"1", b"1", b"0", b"2"])] + _range(r, True),
        lambda: [b"BITPOS", k, r.choice([b"0", b"1"]), pick(r, INDEXES, BAD_INDEXES)],
        lambda: [b"BITOP", r.choice(OPS), r.choice(keys)] + [r.choice(keys) for _ in range(r.randint(1, 3))],
        lambda: _bitfield(r, k),
        lambda: _bitfield(r, k),
        lambda: _bitfield(r, k, readonly=True),
        lambda: [b"STRLEN", k],
        lambda: [b"GET", k],
    ]
    return r.choice(table)(), None
