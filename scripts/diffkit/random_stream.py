"""Random stream commands for the differential run (see randomized.py).

A small key and ID space so streams collide, fragment and refill: XADD with
explicit IDs (some equal to or below the top, some `<ms>-*`), XDEL, XTRIM
and XADD trimming (exact, `~`, LIMIT, MINID, reference policies), ranges,
consumer groups with XREADGROUP / XACK / XCLAIM / XPENDING. Replies must be
deterministic: no `*` IDs, no idle or delivery times (XPENDING's extended
form, XINFO CONSUMERS and XINFO STREAM FULL are left out; XCLAIM and
XAUTOCLAIM use min-idle 0 and JUSTID or full entries only).
"""

KEYS = [b"xs1", b"xs2", b"xs3"]
GROUPS = [b"g1", b"g2", b"nog"]
CONSUMERS = [b"c1", b"c2", b"c3"]
FIELDS = [b"f", b"g", b"h", b"12", b""]
VALUES = [b"v", b"1", b"-5", b"9223372036854775807", b"", b"x" * 30, b"\x00\xff"]


def _id(r):
    ms = r.randint(0, 40)
    roll = r.random()
    if roll < 0.1:
        return b"%d" % ms
    if roll < 0.15:
        return b"%d-*" % ms
    if roll < 0.17:
        return r.choice([b"abc", b"-1", b"1-x", b"0-0"])
    return b"%d-%d" % (ms, r.randint(0, 3))


def _rid(r):
    roll = r.random()
    if roll < 0.1:
        return r.choice([b"-", b"+", b"(5-1", b"(0-0", b"bad"])
    return b"%d-%d" % (r.randint(0, 40), r.randint(0, 3)) if r.random() < 0.7 else b"%d" % r.randint(0, 40)


def _fields(r):
    out = []
    for _ in range(r.randint(1, 3)):
        out += [r.choice(FIELDS), r.choice(VALUES)]
    return out


def _trim_opts(r):
    opts = []
    roll = r.random()
    if roll < 0.5:
        opts += [b"MAXLEN"] + r.choice([[], [b"~"], [b"="]]) + [r.choice([b"0", b"1", b"3", b"8", b"-1"])]
    else:
        opts += [b"MINID"] + r.choice([[], [b"~"], [b"="]]) + [b"%d" % r.randint(0, 40)]
    if r.random() < 0.2:
        opts += [b"LIMIT", r.choice([b"0", b"1", b"5"])]
    if r.random() < 0.3:
        opts += [r.choice([b"KEEPREF", b"DELREF", b"ACKED"])]
    return opts


def _xadd(r, k):
    argv = [b"XADD", k]
    if r.random() < 0.1:
        argv.append(b"NOMKSTREAM")
    if r.random() < 0.25:
        argv += _trim_opts(r)
    return argv + [_id(r)] + _fields(r)


def gen(r, keys):
    k = r.choice(keys[:3] + KEYS)
    g = r.choice(GROUPS)
    c = r.choice(CONSUMERS)
    ids = [_rid(r) for _ in range(r.randint(1, 3))]
    count = [b"COUNT", r.choice([b"1", b"2", b"5", b"0"])] if r.random() < 0.5 else []
    table = [
        lambda: _xadd(r, k),
        lambda: _xadd(r, k),
        lambda: _xadd(r, k),
        lambda: _xadd(r, k),
        lambda: [b"XDEL", k] + ids,
        lambda: [b"XDELEX", k] + ([r.choice([b"KEEPREF", b"DELREF", b"ACKED"])] if r.random() < 0.6 else []) + [b"IDS", b"%d" % len(ids)] + ids,
        lambda: [b"XTRIM", k] + _trim_opts(r),
        lambda: [b"XLEN", k],
        lambda: [b"XRANGE", k, _rid(r), _rid(r)] + count,
        lambda: [b"XREVRANGE", k, _rid(r), _rid(r)] + count,
        lambda: [b"XREAD"] + count + [b"STREAMS", k, r.choice([b"0", b"$", b"+", _rid(r)])],
        lambda: [b"XGROUP", b"CREATE", k, g, r.choice([b"0", b"$", b"5-0"])] + ([b"MKSTREAM"] if r.random() < 0.5 else []),
        lambda: [b"XGROUP", b"SETID", k, g, r.choice([b"0", b"$", b"10-0"])],
        lambda: [b"XGROUP", b"DELCONSUMER", k, g, c],
        lambda: [b"XGROUP", b"CREATECONSUMER", k, g, c],
        lambda: [b"XREADGROUP", b"GROUP", g, c] + count + ([b"NOACK"] if r.random() < 0.2 else []) + [b"STREAMS", k, r.choice([b">", b">", b"0", _rid(r)])],
        lambda: [b"XREADGROUP", b"GROUP", g, c] + count + [b"STREAMS", k, b">"],
        lambda: [b"XACK", k, g] + ids,
        lambda: [b"XACKDEL", k, g] + ([r.choice([b"KEEPREF", b"DELREF", b"ACKED"])] if r.random() < 0.6 else []) + [b"IDS", b"%d" % len(ids)] + ids,
        lambda: [b"XCLAIM", k, g, c, b"0"] + ids + [b"JUSTID"] + ([b"FORCE"] if r.random() < 0.3 else []),
        lambda: [b"XCLAIM", k, g, c, b"0"] + ids + ([b"RETRYCOUNT", b"3"] if r.random() < 0.3 else []),
        lambda: [b"XAUTOCLAIM", k, g, c, b"0", _rid(r)] + count + ([b"JUSTID"] if r.random() < 0.5 else []),
        lambda: [b"XPENDING", k, g],
        lambda: [b"XINFO", b"GROUPS", k],
        lambda: [b"XINFO", b"STREAM", k],
        lambda: [b"XSETID", k, _rid(r)],
    ]
    return r.choice(table)(), None
