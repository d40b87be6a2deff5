"""Run cases on two servers in lockstep and compare the replies."""

import time

from .resp import CLOSED, Conn, Frame, TIMEOUT

SCAN_LIMIT = 100000  # iterations of one #scan-all before giving up
NOREPLY_WINDOW = 0.05  # seconds of silence that count as "no reply"
READ_ACTION_TIMEOUT = 1.0  # seconds an @read waits for a frame


class Side:
    """One server's view of a run: named connections in one protocol."""

    def __init__(self, server, proto):
        self.server = server
        self.proto = proto
        self.conns = {}
        self.timeouts = 0  # replies that never came (see MAX_TIMEOUTS in difftest.py)

    def conn(self, name="main"):
        c = self.conns.get(name)
        if c is None or c.closed:
            if c is not None:
                c.close()
            c = Conn(self.server.port)
            if self.proto == 3:
                c.call([b"HELLO", b"3"])  # its reply holds versions and ids: not compared
            self.conns[name] = c
        return c

    def close(self):
        for c in self.conns.values():
            c.close()
        self.conns.clear()


def execute(side, case):
    """Run one case on one side; return the Frame to compare."""
    name = case.directives.get("conn", "main")
    try:
        conn = side.conn(name)
    except OSError as e:
        return Frame("?", b"<cannot connect: %s>" % str(e).encode(), b"")
    frame = _execute(conn, case)
    if frame is TIMEOUT and case.action is None:
        side.timeouts += 1
        # A late reply would be taken as the next command's: start over.
        conn.close()
    return frame


def _execute(conn, case):
    d = case.directives
    if case.action == "read":
        return conn.read_frame(timeout=READ_ACTION_TIMEOUT)
    if "noreply" in d:
        conn.send(case.argv)
        data = conn.read_available(NOREPLY_WINDOW)
        return Frame("?", data, b"<silence>" if not data else data)
    if "scan-all" in d:
        return _scan_all(conn, case.argv, d["scan-all"])
    frame = conn.call(case.argv)
    if case.argv and case.argv[0].upper() == b"QUIT" and frame is not TIMEOUT and frame is not CLOSED:
        if conn.wait_closed(1.0):
            frame = Frame(frame.kind, frame.raw + b"<then closed>", frame.header, frame.data, frame.children)
    return frame


def _scan_all(conn, argv, spec):
    """Iterate a SCAN-like command to the end; the result lists the sorted
    elements (or pairs) so that only the set of returned items is compared.
    The cursor's position is SCAN's first argument and HSCAN/SSCAN/ZSCAN's
    second."""
    pos = 1 if argv[0].upper() == b"SCAN" else 2
    argv = list(argv)
    items = []
    for _ in range(SCAN_LIMIT):
        frame = conn.call(argv)
        if frame.kind != "*" or not frame.children or len(frame.children) != 2:
            return frame
        cursor, batch = frame.children
        if cursor.data is None or batch.children is None:
            return frame
        if spec["pairs"]:
            items.extend(a.raw + b.raw for a, b in batch.pairs())
        else:
            items.extend(c.raw for c in batch.children)
        if cursor.data == b"0":
            break
        argv[pos] = cursor.data
    else:
        return Frame("?", b"<scan did not finish>", b"")
    raw = b"<scan-all %d>" % len(items) + b"".join(sorted(items))
    return Frame("?", raw, b"")


def _canonical_unordered(frame, spec):
    """The frame's bytes with the chosen aggregate's elements sorted."""
    target = frame
    if spec["index"] is not None:
        if frame.children is None or spec["index"] >= len(frame.children):
            return frame.raw
        target = frame.children[spec["index"]]
    if target.children is None:
        return frame.raw
    if spec["pairs"] or target.kind in "%|":
        parts = sorted(a.raw + b.raw for a, b in target.pairs())
    else:
        parts = sorted(c.raw for c in target.children)
    inner = target.header + b"\r\n" + b"".join(parts)
    if spec["index"] is None:
        return inner
    return frame.header + b"\r\n" + b"".join(
        inner if i == spec["index"] else c.raw for i, c in enumerate(frame.children)
    )


def compare(case_directives, a, b):
    """(ok, reason) for replies a and b under the case's directives."""
    d = case_directives
    if "ignore" in d:
        return True, ""
    if "match" in d:
        rx = d["match"]
        bad = [name for name, f in (("first", a), ("second", b)) if not rx.fullmatch(f.raw)]
        if bad:
            return False, "%s reply does not match /%s/" % (" and ".join(bad), rx.pattern.decode("utf-8", "replace"))
        return True, ""
    if "error-prefix" in d and a.is_error and b.is_error:
        if a.error_code() == b.error_code():
            return True, ""
        return False, "error codes differ"
    if "unordered" in d:
        if _canonical_unordered(a, d["unordered"]) == _canonical_unordered(b, d["unordered"]):
            return True, ""
        return False, "elements differ (order ignored)"
    if "approx" in d:
        return _approx_equal(a, b, d["approx"])
    if a.raw == b.raw:
        return True, ""
    return False, "bytes differ"


def _approx_equal(a, b, tolerance):
    """Integers may differ by `tolerance`; arrays of them (HTTL, HPTTL)
    element by element; anything else must be equal byte for byte."""
    if a.kind == ":" and b.kind == ":":
        if abs(int(a.data) - int(b.data)) <= tolerance:
            return True, ""
        return False, "integers differ by more than %d" % tolerance
    if a.kind == b.kind and a.kind in "*~" and a.children is not None and b.children is not None \
            and len(a.children) == len(b.children):
        for x, y in zip(a.children, b.children):
            ok, why = _approx_equal(x, y, tolerance)
            if not ok:
                return ok, why
        return True, ""
    if a.raw == b.raw:
        return True, ""
    return False, "not both integers"


def run_case(sides, case):
    """Execute a case on every side (in order) and compare the first with
    each other one. Returns (ok, reason, frames)."""
    if "sleep" in case.directives:
        time.sleep(case.directives["sleep"] / 1000.0)
    frames = [execute(s, case) for s in sides]
    for other in frames[1:]:
        ok, reason = compare(case.directives, frames[0], other)
        if not ok:
            return False, reason, frames
    return True, "", frames


def show(raw, limit=600):
    """A readable rendering of raw reply bytes."""
    text = repr(raw)[2:-1]
    if len(text) > limit:
        text = text[:limit] + "...(%d bytes)" % len(raw)
    return text


def start_file(sides):
    """Fresh connections and an empty keyspace before each case file."""
    for s in sides:
        s.close()
        s.conn().call([b"FLUSHALL"])

