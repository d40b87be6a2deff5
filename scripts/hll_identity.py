#!/usr/bin/env python3
"""HyperLogLog byte identity: Moon against the reference redis-server.

Adds the same deterministic distinct elements to a HyperLogLog on both
servers (1,000,000 by default, in PFADD batches), then checks that GET
returns identical bytes, that PFCOUNT agrees, and prints PFCOUNT's relative
error against the true count. Also checks a PFMERGE of two halves. Both
servers are started here on free ports (see diffkit/servers.py) and
stopped at the end.

    python3 scripts/hll_identity.py --moon $CARGO_TARGET_DIR/debug/moon
    python3 scripts/hll_identity.py -n 10000 --batch 500

Exit status: 0 if every comparison matched, 1 otherwise.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import servers  # noqa: E402
from diffkit.resp import Conn, encode_command  # noqa: E402



def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    servers.add_binary_args(p)
    p.add_argument("-n", "--elements", type=int, default=1_000_000, help="distinct elements to add")
    p.add_argument("--batch", type=int, default=1000, help="elements per PFADD")
    return p.parse_args()


def element(i):
    return b"hll-identity:%d" % i


def fill(conn, key, lo, hi, batch):
    """PFADD elements lo..hi in pipelined batches; returns the replies."""
    pending = 0
    sock_buf = bytearray()
    for start in range(lo, hi, batch):
        argv = [b"PFADD", key] + [element(i) for i in range(start, min(hi, start + batch))]
        sock_buf += encode_command(argv)
        pending += 1
        if len(sock_buf) > 1 << 20:
            conn.sock.sendall(bytes(sock_buf))
            sock_buf.clear()
            for _ in range(pending):
                frame = conn.read_frame(60)
                if frame.is_error:
                    raise RuntimeError("PFADD failed: %r" % frame.raw)
            pending = 0
    if sock_buf:
        conn.sock.sendall(bytes(sock_buf))
    for _ in range(pending):
        frame = conn.read_frame(60)
        if frame.is_error:
            raise RuntimeError("PFADD failed: %r" % frame.raw)


def main():
    args = parse_args()
    ref_bin = args.reference or servers.reference_binary()
    srvs = [servers.reference_server(ref_bin), servers.moon_server(args.moon)]
    failures = 0
    try:
        for s in srvs:
            s.start()
        conns = [Conn(s.port, timeout=60) for s in srvs]
        n, half = args.elements, args.elements // 2
        for c in conns:
            fill(c, b"hll:all", 0, n, args.batch)
            fill(c, b"hll:a", 0, half, args.batch)
            fill(c, b"hll:b", half, n, args.batch)
            c.call([b"PFMERGE", b"hll:merged", b"hll:a", b"hll:b"])

        def compare(what, argv):
            nonlocal failures
            replies = [c.call(argv, 60).raw for c in conns]
            same = replies[0] == replies[1]
            if not same:
                failures += 1
                print("MISMATCH %s: redis %d bytes, moon %d bytes" % (what, len(replies[0]), len(replies[1])))
                for i, (x, y) in enumerate(zip(replies[0], replies[1])):
                    if x != y:
                        print("  first difference at byte %d: %02x vs %02x" % (i, x, y))
                        break
            return replies[0], same

        for key in (b"hll:all", b"hll:a", b"hll:b", b"hll:merged"):
            compare("GET %s" % key.decode(), [b"GET", key])
        card, ok = compare("PFCOUNT hll:all", [b"PFCOUNT", b"hll:all"])
        compare("GET hll:all after PFCOUNT (cached cardinality)", [b"GET", b"hll:all"])
        compare("PFCOUNT hll:a hll:b", [b"PFCOUNT", b"hll:a", b"hll:b"])
        compare("PFCOUNT hll:merged", [b"PFCOUNT", b"hll:merged"])
        compare("GET hll:merged after PFCOUNT", [b"GET", b"hll:merged"])
        est = int(card[1:].strip())
        print("elements %d, PFCOUNT %d, relative error %.4f%% (standard error 0.81%%)" % (n, est, 100.0 * (est - n) / n))
    finally:
        for s in srvs:
            s.stop()
    print("identical" if failures == 0 else "%d mismatches" % failures)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
