#!/usr/bin/env python3
"""Double formatting identity: Moon against the reference redis-server.

Redis prints scores with fpconv's Grisu2, which is not always the shortest
round-trip form (37.581358841723294, not 37.58135884172329). This script
ZADDs a few hundred thousand deterministic pseudo-random doubles to both
servers in batches and compares, byte for byte, the replies of ZSCORE
(RESP2 and RESP3), ZMSCORE, ZRANGE WITHSCORES (RESP2 and RESP3) and, for
small listpack-encoded batches, ZSCAN. The values cover:

  - random bit patterns of finite doubles (all exponents, both signs),
  - random decimals of 1-17 significant digits over the whole exponent range
    and, more densely, near 1,
  - neighbours (a few ulps either side) of every power of ten and of the
    integer fast path's limits,
  - subnormals.

Both servers are started here on free ports (see diffkit/servers.py) and
stopped at the end.

    python3 scripts/double_format_check.py --moon $CARGO_TARGET_DIR/debug/moon
    python3 scripts/double_format_check.py -n 20000 --seed 7

Exit status: 0 if every reply matched, 1 otherwise.
"""

import argparse
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import servers  # noqa: E402
from diffkit.resp import Conn, encode_command  # noqa: E402



def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    servers.add_binary_args(p)
    p.add_argument("-n", "--values", type=int, default=300_000, help="random values (the fixed edge cases come on top)")
    p.add_argument("--batch", type=int, default=1000, help="members per sorted set")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--show", type=int, default=10, help="mismatches to print")
    return p.parse_args()


def text(d):
    # repr is the shortest text that reads back as exactly d.
    return repr(d).encode()


def random_bits(r):
    while True:
        d = struct.unpack("<d", struct.pack("<Q", r.getrandbits(64)))[0]
        if math.isfinite(d):
            return text(d)


def random_decimal(r):
    digits = r.randint(1, 17)
    mant = r.randrange(10 ** (digits - 1), 10**digits)
    if r.random() < 0.5:
        exp = r.randint(-20, 20) - digits
    else:
        exp = r.randint(-323, 308) - digits + 1
    s = b"%s%de%d" % (b"-" if r.random() < 0.5 else b"", mant, exp)
    d = float(s)
    if not math.isfinite(d) or d == 0.0:
        return None  # overflow or underflow: Redis rejects those texts
    return s


def subnormal(r):
    frac = r.getrandbits(52) >> r.randint(0, 51)
    if frac == 0:
        frac = 1
    d = struct.unpack("<d", struct.pack("<Q", frac | (r.getrandbits(1) << 63)))[0]
    return text(d)


def neighbours(d, steps=3):
    out = [d]
    up = down = d
    for _ in range(steps):
        up = math.nextafter(up, math.inf)
        down = math.nextafter(down, -math.inf)
        out += [up, down]
    return out


def edge_values():
    vals = []
    for k in range(-323, 309):
        p = float("1e%d" % k)
        vals += neighbours(p) + neighbours(-p, 1)
        vals += neighbours(float("9.999999999999999e%d" % k), 1) if k < 308 else []
    limit = float((2**63 - 1) // 2)  # the integer fast path's bound
    for base in (limit, 2.0**53, 2.0**62, 2.0**64, 1e15, 1e16, 1e17, 1e21, 0.5, 1.0, 5e-324, 2.2250738585072014e-308):
        vals += neighbours(base, 5) + neighbours(-base, 5)
    vals += [1.5, -1.5, 0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, math.pi, math.e, 1.7976931348623157e308]
    return [text(v) for v in vals if math.isfinite(v)]


def all_values(n, seed):
    r = random.Random(seed)
    vals = edge_values()
    gens = [random_bits, random_decimal, subnormal]
    weights = [0.45, 0.45, 0.10]
    while len(vals) < n:
        v = r.choices(gens, weights)[0](r)
        if v is not None:
            vals.append(v)
    r.shuffle(vals)
    return vals


class Side:
    """One server with a RESP2 and a RESP3 connection."""

    def __init__(self, port):
        self.c2 = Conn(port, timeout=60)
        self.c3 = Conn(port, timeout=60)
        hello = self.c3.call([b"HELLO", b"3"])
        if hello.is_error:
            raise RuntimeError("HELLO 3 failed: %r" % hello.raw)

    def pipeline(self, conn, cmds):
        conn.sock.sendall(b"".join(encode_command(c) for c in cmds))
        out = []
        for _ in cmds:
            f = conn.read_frame(60)
            if not hasattr(f, "raw"):
                raise RuntimeError("no reply (%r)" % (f,))
            out.append(f.raw)
        return out


def compare_batch(moon, ref, key, scores, report):
    members = [b"m%d" % i for i in range(len(scores))]
    zadd = [b"ZADD", key]
    for s, m in zip(scores, members):
        zadd += [s, m]
    reads2 = [[b"ZSCORE", key, m] for m in members]
    reads2 += [[b"ZMSCORE", key] + members, [b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]]
    if len(members) <= 128:
        reads2.append([b"ZSCAN", key, b"0", b"COUNT", b"1000"])
    reads3 = [[b"ZSCORE", key, m] for m in members[:: max(1, len(members) // 50)]]
    reads3.append([b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"])
    replies = []
    for side in (moon, ref):
        r2 = side.pipeline(side.c2, [zadd] + reads2 + [[b"DEL", key]])
        r3 = side.pipeline(side.c3, reads3)
        replies.append((r2, r3))
    (m2, m3), (e2, e3) = replies
    bad = 0
    for proto, cmds, ms, es in ((2, [zadd] + reads2, m2, e2), (3, reads3, m3, e3)):
        for cmd, a, b in zip(cmds, ms, es):
            if a != b:
                bad += 1
                report(proto, cmd, a, b)
    return bad


def main():
    args = parse_args()
    values = all_values(args.values, args.seed)
    ref_bin = args.reference or servers.reference_binary()
    ref = servers.reference_server(ref_bin).start()
    moon = servers.moon_server(args.moon).start()
    shown = [0]
    scores_of = {}

    def report(proto, cmd, a, b):
        if shown[0] >= args.show:
            return
        shown[0] += 1
        name = cmd[0].decode()
        if name == "ZSCORE":
            detail = "score text %s" % scores_of[cmd[2]].decode()
        else:
            detail = "%d args" % (len(cmd) - 1)
        # Show the neighbourhood of the first differing byte.
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        lo = max(0, at - 60)
        print("MISMATCH RESP%d %s (%s) at byte %d\n  moon: %r\n  ref:  %r" % (proto, name, detail, at, a[lo : at + 60], b[lo : at + 60]))

    mismatches = 0
    try:
        m, r = Side(moon.port), Side(ref.port)
        i = 0
        nbatch = 0
        while i < len(values):
            # Every fifth batch is small enough for the listpack encoding.
            size = 100 if nbatch % 5 == 0 else args.batch
            batch = values[i : i + size]
            scores_of = {b"m%d" % j: s for j, s in enumerate(batch)}
            mismatches += compare_batch(m, r, b"dfc:%d" % nbatch, batch, report)
            i += size
            nbatch += 1
            if nbatch % 50 == 0:
                print("  %d values, %d mismatching replies" % (i, mismatches), flush=True)
    finally:
        moon.stop()
        ref.stop()
    print("compared %d values in %d sorted sets: %d mismatching replies" % (len(values), nbatch, mismatches))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
