"""Reading a server's whole data set for the AOF checks, and saying
where two such snapshots differ: DEBUG DIGEST, and per key its type,
DEBUG DIGEST-VALUE, expire time, hash field expire times and stream
groups, so a mismatch names the key (and by its prefix the family)."""

from .resp import CLOSED, TIMEOUT

DBS = 16  # SELECT 0-15: every database is read


def enc(a):
    return a if isinstance(a, bytes) else str(a).encode()


def call(conn, *argv, timeout=None):
    reply = conn.call([enc(a) for a in argv], timeout)
    if reply is CLOSED or reply is TIMEOUT:
        raise ServerGone("%s to %s" % (reply.raw.decode(), b" ".join(enc(a) for a in argv)[:100]))
    return reply


class ServerGone(Exception):
    """The server closed the connection or did not answer."""


def py(frame):
    """A reply as nested lists of bytes/ints (errors as ('ERR', text))."""
    if frame.children is not None:
        return [py(c) for c in frame.children]
    if frame.kind == ":":
        return int(frame.data)
    if frame.is_error:
        return ("ERR", frame.data)
    return frame.data


def scan_all(c):
    keys, cursor = set(), b"0"
    while True:
        rep = call(c, "SCAN", cursor, "COUNT", 1000)
        cursor = rep.children[0].data
        keys.update(ch.data for ch in rep.children[1].children)
        if cursor == b"0":
            return sorted(keys)


def pairs_to_dict(lst):
    return {lst[i]: lst[i + 1] for i in range(0, len(lst) - 1, 2)}


def stream_state(c, k, cross):
    """XINFO STREAM FULL without what a reload legitimately changes: when
    a consumer was last seen or active (a replayed XCLAIM does not keep
    them, in Redis either) and, with `cross`, the radix tree's shape and
    consumers without pending entries."""
    full = py(call(c, "XINFO", "STREAM", k, "FULL", "COUNT", 0))
    if isinstance(full, tuple):
        return full
    d = pairs_to_dict(full)
    if cross:
        d.pop(b"radix-tree-keys", None)
        d.pop(b"radix-tree-nodes", None)
    groups = []
    for g in d.get(b"groups") or []:
        gd = pairs_to_dict(g)
        cons = []
        for cn in gd.get(b"consumers") or []:
            cd = pairs_to_dict(cn)
            if cross and cd.get(b"pel-count") == 0:
                # Redis journals no consumer that an XREADGROUP, XCLAIM or
                # XAUTOCLAIM created without giving it entries: such a
                # consumer is gone after Redis reloads its own AOF.
                continue
            cd.pop(b"seen-time", None)
            cd.pop(b"active-time", None)
            cons.append(sorted(cd.items()))
        gd[b"consumers"] = cons
        groups.append(sorted(gd.items()))
    d[b"groups"] = groups
    return sorted(d.items())


def snapshot(c, cross=False):
    """(DEBUG DIGEST, {(db, key): (type, digest-value, expire time,
    details)}, functions) of a server."""
    keys = {}
    for db in range(DBS):
        call(c, "SELECT", db)
        for k in scan_all(c):
            t = py(call(c, "TYPE", k))
            if t == b"none":
                continue
            dv = py(call(c, "DEBUG", "DIGEST-VALUE", k))
            exp = py(call(c, "PEXPIRETIME", k))
            extra = None
            if t == b"hash":
                fields = py(call(c, "HKEYS", k))
                extra = sorted(zip(fields, py(call(c, "HPEXPIRETIME", k, "FIELDS", len(fields), *fields))))
            elif t == b"stream":
                extra = stream_state(c, k, cross)
            keys[(db, k)] = (t, dv, exp, extra)
    call(c, "SELECT", 0)
    digest = py(call(c, "DEBUG", "DIGEST"))
    funcs = py(call(c, "FUNCTION", "LIST", "WITHCODE"))
    if isinstance(funcs, list):
        libs = []
        for lib in funcs:
            d = pairs_to_dict(lib)
            # A library's functions come in hash table order.
            d[b"functions"] = sorted(repr(f) for f in d.get(b"functions") or [])
            libs.append(repr(sorted(d.items())))
        funcs = sorted(libs)
    return digest, keys, funcs


def first_diff(x, y, path=""):
    """Where two nested replies first differ: 'path: x vs y'."""
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)) and not isinstance(x, bytes):
        for i, (u, v) in enumerate(zip(x, y)):
            if u != v:
                # Name the element by its key when it is a (key, value) pair.
                step = u[0] if isinstance(u, tuple) and len(u) == 2 and isinstance(u[0], bytes) and isinstance(v, tuple) and u[0] == v[0] else i
                return first_diff(u, v, "%s/%s" % (path, step.decode("utf-8", "replace") if isinstance(step, bytes) else step))
        if len(x) != len(y):
            return "%s: %d vs %d elements (%r vs %r)" % (path or "/", len(x), len(y), x[len(y):][:3], y[len(x):][:3])
    return "%s: %r vs %r" % (path or "/", x, y)


def describe_diff(before, after, labels=("before", "after")):
    """'' when equal; else which keys differ and how (family = the key's
    prefix, so the command family to look at)."""
    d1, k1, f1 = before
    d2, k2, f2 = after
    lines = []
    if d1 != d2:
        lines.append("DEBUG DIGEST %s %r, %s %r" % (labels[0], d1, labels[1], d2))
    names = ("type", "DIGEST-VALUE", "PEXPIRETIME", "fields/groups")
    bad = [k for k in sorted(set(k1) | set(k2)) if k1.get(k) != k2.get(k)]
    for db, key in bad[:15]:
        a, b = k1.get((db, key)), k2.get((db, key))
        fam = key.split(b":", 1)[0].decode("utf-8", "replace")
        if a is None or b is None:
            lines.append("db %d key %r (%s): only %s" % (db, key, fam, labels[0] if b is None else labels[1]))
            continue
        what = [n for n, x, y in zip(names, a, b) if x != y]
        detail = "; ".join("%s %s" % (n, first_diff(x, y)) for n, x, y in zip(names, a, b) if x != y)
        lines.append("db %d key %r (%s family): %s differ: %s" % (db, key, fam, "/".join(what), detail[:600]))
    if len(bad) > 15:
        lines.append("... %d keys differ in all" % len(bad))
    if f1 != f2:
        lines.append("FUNCTION LIST %s %r\n  vs %s %r" % (labels[0], f1, labels[1], f2))
    return "\n".join(lines)


def settle(c):
    """Make a server drop what has expired (SCAN and HGETALL expire
    lazily), so the data compared no longer changes by itself."""
    for db in range(DBS):
        call(c, "SELECT", db)
        for k in scan_all(c):
            if py(call(c, "TYPE", k)) == b"hash":
                call(c, "HGETALL", k)
    call(c, "SELECT", 0)
