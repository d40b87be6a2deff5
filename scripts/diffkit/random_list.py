"""Random list commands for the differential tests.

A small element space so LREM/LPOS/LINSERT find matches, a few long and
very long elements (quicklist node limits, "plain" nodes), occasional
list-max-listpack-size changes among small count and byte limits, and
frequent OBJECT ENCODING checks so every listpack <-> quicklist conversion
point is compared with the reference.
"""

ELEMS = [b"a", b"b", b"c", b"1", b"2", b"-1", b"007", b"", b"x" * 70, b"y" * 300, b"z" * 1500]
RARE_ELEMS = [b"L" * 5000, b"H" * 9000]
INDEXES = [b"0", b"1", b"2", b"-1", b"-2", b"5", b"-7", b"100", b"x"]
COUNTS = [b"0", b"1", b"2", b"3", b"10", b"-1", b"x"]
FILLS = [b"-2", b"-2", b"-1", b"1", b"2", b"3", b"5", b"0"]
SIDES = [b"LEFT", b"RIGHT"]


def _elem(r):
    return r.choice(RARE_ELEMS) if r.random() < 0.02 else r.choice(ELEMS)


def gen(r, keys):
    k = r.choice(keys)
    k2 = r.choice(keys)
    pick = r.randrange(100)
    if pick < 22:
        cmd = r.choice([b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX"])
        return [cmd, k] + [_elem(r) for _ in range(r.randint(1, 6))], None
    if pick < 34:
        cmd = r.choice([b"LPOP", b"RPOP"])
        return [cmd, k] + ([r.choice(COUNTS)] if r.random() < 0.4 else []), None
    if pick < 44:
        return [b"OBJECT", b"ENCODING", k], None
    if pick == 44 and r.random() < 0.5:
        return [b"CONFIG", b"SET", b"list-max-listpack-size", r.choice(FILLS)], None
    table = [
        lambda: [b"LLEN", k],
        lambda: [b"LRANGE", k, r.choice(INDEXES), r.choice(INDEXES)],
        lambda: [b"LRANGE", k, b"0", b"-1"],
        lambda: [b"LINDEX", k, r.choice(INDEXES)],
        lambda: [b"LSET", k, r.choice(INDEXES), _elem(r)],
        lambda: [b"LINSERT", k, r.choice([b"BEFORE", b"AFTER"]), r.choice(ELEMS), _elem(r)],
        lambda: [b"LREM", k, r.choice(COUNTS[:-1] + [b"-2"]), r.choice(ELEMS)],
        lambda: [b"LTRIM", k, r.choice(INDEXES), r.choice(INDEXES)],
        lambda: [b"LPOS", k, r.choice(ELEMS)] + r.choice(
            [[], [b"RANK", r.choice([b"1", b"2", b"-1", b"-2"])], [b"COUNT", r.choice([b"0", b"1", b"2"])],
             [b"MAXLEN", r.choice([b"1", b"3"])], [b"RANK", b"-1", b"COUNT", b"0", b"MAXLEN", b"4"]]),
        lambda: [b"LMOVE", k, k2, r.choice(SIDES), r.choice(SIDES)],
        lambda: [b"RPOPLPUSH", k, k2],
        lambda: [b"LMPOP", b"2", k, k2, r.choice(SIDES)] + ([b"COUNT", r.choice([b"1", b"2", b"5"])] if r.random() < 0.5 else []),
    ]
    return r.choice(table)(), None
