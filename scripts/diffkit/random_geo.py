"""Random geo commands for the differential run (see randomized.py).

Points are added in a small region (about 1.2 x 1 degrees around Sicily),
with a few far-away and edge-of-band ones, so searches of a few tens of km
find some members and not others; members come from a small space so adds
also move points. Searches use random shapes, units and options; replies
whose order Redis leaves unspecified (no ASC/DESC, or ANY) are compared as
multisets. They share the key space with the other types, so WRONGTYPE
paths and geo reads of sorted sets with arbitrary scores get exercised.
"""

MEMBERS = [b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"Palermo", b"Catania", b"", b"m\x00x"]
UNITS = [b"m", b"km", b"ft", b"mi", b"KM", b"Mi"]
BAD_UNITS = [b"yards", b""]
DIRECT = [b"ASC", b"DESC"]

UNORDERED = {"unordered": {"pairs": False, "index": None}}
# Replies that print decoded coordinates or distance scores as doubles
# (WITHCOORD, GEOPOS, ZRANGE WITHSCORES after STOREDIST). Redis prints them
# with fpconv's Grisu2 (37.581358841723294 where the shortest form is
# 37.58135884172329), which moon_resp::format_double reproduces; set False
# to leave those replies out.
COORDS = True
# Keys of their own, so most searches meet a sorted set of points; the
# shared keys still come up now and then.
GEO_KEYS = [b"geo:1", b"geo:2", b"geo:3"]


def _coord(r):
    """(lon, lat) as argument bytes; mostly in the region, rarely odd."""
    x = r.random()
    if x < 0.9:
        lon = 12.8 + r.random() * 1.2
        lat = 37.3 + r.random() * 1.0
        return (b"%.6f" % lon, b"%.6f" % lat)
    if x < 0.95:
        return r.choice([(b"180", b"85.05112878"), (b"-180", b"-85.05112878"), (b"0", b"0"), (b"-73.9", b"40.7")])
    return r.choice([(b"181", b"10"), (b"10", b"86"), (b"abc", b"1"), (b"1", b"nan"), (b" 1", b"1")])


def _dist(r):
    if r.random() < 0.05:
        return r.choice([b"-1", b"abc", b""])
    return r.choice([b"0", b"1", b"5", b"20", b"50", b"100", b"300", b"20000", b"0.5", b"12.5", b"5000"])


def _unit(r):
    return r.choice(BAD_UNITS) if r.random() < 0.03 else r.choice(UNITS)


def _options(r, store_ok=True, with_ok=True):
    """Common options; returns (args, ordered) where `ordered` says the
    reply order is defined (ASC/DESC without ANY)."""
    opts = []
    direction = None
    any_ = False
    if r.random() < 0.75:
        direction = r.choice(DIRECT)
        opts.append([direction])
    if r.random() < 0.35:
        c = [b"COUNT", r.choice([b"1", b"2", b"3", b"5", b"100", b"0", b"-1", b"x"])]
        if r.random() < 0.3:
            c.append(b"ANY")
            any_ = True
        opts.append(c)
    elif r.random() < 0.02:
        opts.append([b"ANY"])
    if with_ok:
        for w in (b"WITHDIST", b"WITHCOORD", b"WITHHASH"):
            if r.random() < 0.3 and (COORDS or w != b"WITHCOORD"):
                opts.append([w])
    r.shuffle(opts)
    return [x for o in opts for x in o], direction is not None and not any_


def _center(r, k):
    if r.random() < 0.4:
        return [b"FROMMEMBER", r.choice(MEMBERS)]
    lon, lat = _coord(r)
    return [b"FROMLONLAT", lon, lat]


def _shape(r):
    if r.random() < 0.5:
        return [b"BYRADIUS", _dist(r), _unit(r)]
    return [b"BYBOX", _dist(r), _dist(r), _unit(r)]


def _geoadd(r, k):
    opts = []
    for o in (b"NX", b"XX", b"CH"):
        if r.random() < 0.12:
            opts.append(o)
    args = [b"GEOADD", k] + opts
    for _ in range(r.randint(1, 4)):
        lon, lat = _coord(r)
        args += [lon, lat, r.choice(MEMBERS)]
    return args


def gen(r, keys):
    k = r.choice(GEO_KEYS) if r.random() < 0.85 else r.choice(keys)
    k2 = r.choice(GEO_KEYS) if r.random() < 0.85 else r.choice(keys)
    m = r.choice(MEMBERS)
    p = r.random()
    if p < 0.3:
        return _geoadd(r, k), None
    if p < 0.55:
        opts, ordered = _options(r)
        argv = [b"GEOSEARCH", k] + _center(r, k) + _shape(r) + opts
        return argv, None if ordered else UNORDERED
    if p < 0.65:
        opts, _ = _options(r, with_ok=r.random() < 0.05)
        if r.random() < 0.5:
            opts.append(b"STOREDIST")
        return [b"GEOSEARCHSTORE", k2, k] + _center(r, k) + _shape(r) + opts, None
    if p < 0.8:
        opts, ordered = _options(r)
        store = []
        if r.random() < 0.2:
            store = [r.choice([b"STORE", b"STOREDIST"]), k2]
        if r.random() < 0.5:
            lon, lat = _coord(r)
            argv = [r.choice([b"GEORADIUS", b"GEORADIUS_RO"]), k, lon, lat, _dist(r), _unit(r)]
        else:
            argv = [r.choice([b"GEORADIUSBYMEMBER", b"GEORADIUSBYMEMBER_RO"]), k, m, _dist(r), _unit(r)]
        argv += opts + store
        return argv, None if (ordered or store) else UNORDERED
    table = [
        lambda: [b"GEOPOS" if COORDS else b"GEOHASH", k] + [r.choice(MEMBERS) for _ in range(r.randint(1, 3))],
        lambda: [b"GEOHASH", k] + [r.choice(MEMBERS) for _ in range(r.randint(1, 3))],
        lambda: [b"GEODIST", k, m, r.choice(MEMBERS)] + ([_unit(r)] if r.random() < 0.6 else []),
        lambda: [b"ZRANGE", k, b"0", b"-1"] + ([b"WITHSCORES"] if COORDS else []),
        lambda: [b"ZREM", k, m],
        lambda: [b"OBJECT", b"ENCODING", k],
    ]
    return r.choice(table)(), None
