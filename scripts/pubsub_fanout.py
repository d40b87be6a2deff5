#!/usr/bin/env python3
"""PUBLISH to one channel with many subscribers: Moon vs Redis.

Opens --subscribers raw connections that SUBSCRIBE to one channel (on
each server in turn), then sends --messages PUBLISH calls from one client
(redis-benchmark -c 1 -P 16, pinned like bench.py) while this process
reads every subscriber's socket, and reports messages delivered per
second: subscribers x messages over the time from the first PUBLISH until
every subscriber has received every message.

    python3 scripts/pubsub_fanout.py --moon target/release/moon [--subscribers 10000]
"""

import argparse
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import servers  # noqa: E402


def subscribe_all(port, n):
    """`n` subscribers, each confirmed before the next connects (a burst
    of connects would overflow the accept backlog)."""
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n")
        conns.append(s)
        s.settimeout(10)
        got = b""
        while not got.endswith(b":1\r\n"):
            chunk = s.recv(256)
            if not chunk:
                raise RuntimeError("a subscriber was closed")
            got += chunk
    return conns


PAYLOAD = b"hello-subscribers"
FRAME = b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$%d\r\n%s\r\n" % (len(PAYLOAD), PAYLOAD)


def delivery_rate(port, conns, messages, core):
    """Messages delivered per second to all of `conns`."""
    want = len(FRAME) * messages
    left = {s.fileno(): want for s in conns}
    sel = selectors.DefaultSelector()
    for s in conns:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    t0 = time.monotonic()
    pub = subprocess.Popen(["taskset", "-c", str(core), "redis-benchmark", "-p", str(port), "-c", "1", "-P", "16", "-n", str(messages),
                            "PUBLISH", "c", PAYLOAD.decode()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 300
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                n = len(s.recv(1 << 16))
            except BlockingIOError:
                continue
            if n == 0:
                raise RuntimeError("a subscriber was disconnected")
            left[s.fileno()] -= n
            if left[s.fileno()] <= 0:
                del left[s.fileno()]
                sel.unregister(s)
    elapsed = time.monotonic() - t0
    pub.wait()
    if left:
        raise RuntimeError("%d subscribers did not get every message" % len(left))
    return len(conns) * messages / elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    servers.add_binary_args(ap)
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--client-core", type=int, default=1)
    args = ap.parse_args()
    reference = args.reference or servers.reference_binary()
    # The reader is a client: it shares the client core, never the server's.
    os.sched_setaffinity(0, {args.client_core})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.subscribers + 100 > hard:
        sys.exit(f"open-file limit {hard} is too low for {args.subscribers} subscribers")
    rates = {"moon": [], "redis": []}
    with tempfile.TemporaryDirectory() as d:
        argv = {"moon": [os.path.abspath(args.moon), "--threads", "1", "--save", "", "--dir", d, "--maxclients", str(args.subscribers + 100)],
                "redis": [reference, "--save", "", "--appendonly", "no", "--maxclients", str(args.subscribers + 100)]}
        for r in range(args.rounds):
            for name in (("moon", "redis") if r % 2 == 0 else ("redis", "moon")):
                port = servers.free_port()
                p = subprocess.Popen(["taskset", "-c", str(args.server_core), *argv[name], "--port", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
                try:
                    for _ in range(200):
                        try:
                            socket.create_connection(("127.0.0.1", port)).close()
                            break
                        except OSError:
                            time.sleep(0.05)
                    conns = subscribe_all(port, args.subscribers)
                    rates[name].append(delivery_rate(port, conns, args.messages, args.client_core))
                    for s in conns:
                        s.close()
                finally:
                    p.terminate()
                    p.wait()
    med = {k: sorted(v)[len(v) // 2] for k, v in rates.items()}
    print(f"PUBLISH to {args.subscribers} subscribers of one channel ({args.messages} messages, median of {args.rounds}), messages delivered/s:")
    print(f"  moon {med['moon']:.0f}   redis {med['redis']:.0f}   ratio {med['moon'] / med['redis']:.2f}")


if __name__ == "__main__":
    main()
