#!/usr/bin/env python3
"""AOF checks: Moon's append-only file survives crashes and reloads, and
Moon and the reference Redis 8.2 load each other's AOF directories.

a. Round trip: a random workload (diffkit/aof_workload.py) per type and
   over every type, appendfsync always, SIGKILL, restart on the same dir:
   the same DEBUG DIGEST, and per key the same type, DEBUG DIGEST-VALUE,
   expire time, hash field expire times and stream groups/PELs
   (diffkit/aof_compare.py). A type that fails is bisected on the
   workload's length for the first step whose reload differs (exact for
   deterministic bugs; a bug that depends on timing, such as a TTL passing
   between two commands, can be attributed to a later step).
b. The same with a BGREWRITEAOF between two halves of the workload, and
   with the second half written while the rewrite runs.
c. Crash test (appendfsync always, 20 rounds): client threads write and
   record what was acknowledged, SIGKILL at a random moment, restart:
   every acknowledged write is there, transactions are whole.
d. The same with appendfsync everysec, counting acknowledged writes lost.
e. Interop: Redis' AOF dir loaded by Moon and Moon's by Redis (also after
   a rewrite, so with an RDB base), redis-check-aof on Moon's files.
f. A cut-off last incr file: loaded (and truncated) with
   aof-load-truncated yes, refused with aof-load-truncated no.
g. Fixed scenarios (diffkit/aof_scenarios.py): blocked clients served by
   other clients' writes, databases changed in transactions and scripts,
   lazy and active expiry, big values, transactions and functions; each
   reloaded by Moon and by Redis.

    python3 scripts/aof_check.py [--moon target/debug/moon] [--seed N]

One line per check, then "N passed, M failed"; exit status non-zero when
anything failed.
"""

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import aof_scenarios, aof_workload, rdbdata, servers  # noqa: E402
from diffkit.aof_compare import ServerGone, call, describe_diff, py, settle, snapshot  # noqa: E402
from diffkit.resp import CLOSED, TIMEOUT, Conn  # noqa: E402
from diffkit.tally import Tally  # noqa: E402


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Proc:
    """A server on a data dir of ours that can be SIGKILLed and started
    again on the same dir. Its output goes to `<dir>.log` (appended)."""

    def __init__(self, kind, binary, dir, ports, args):
        self.kind, self.binary, self.dir, self.ports, self.args = kind, binary, dir, ports, list(args)
        self.log_path = dir + ".log"
        self.proc = None
        self.port = None
        os.makedirs(dir, exist_ok=True)

    def argv(self, port, extra):
        base = [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--enable-debug-command", "yes", "--dir", self.dir, "--save", ""]
        return base + self.args + list(extra)

    def _port(self):
        for _ in range(50):
            p = self.ports.pop(0)
            self.ports.append(p)
            if port_free(p):
                return p
            time.sleep(0.1)
        raise RuntimeError("no free port in %r" % self.ports)

    def launch(self, extra=()):
        self.port = self._port()
        self.log_mark = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(self.port, extra), cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def start(self, extra=(), timeout=60):
        self.launch(extra)
        return servers.wait_ready(self.proc, self.port, self.kind, lambda: self.new_log()[-3000:], timeout, self.kill, self)

    def run_to_exit(self, extra=(), timeout=60):
        """Start and wait for the process to exit by itself: (status, output)."""
        self.launch(extra)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        return rc, self.new_log()

    def new_log(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_mark)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def conn(self, timeout=60):
        return Conn(self.port, timeout=timeout)

    def kill(self):
        """SIGKILL our child by its pid."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def aof_dir(self):
        return os.path.join(self.dir, "appendonlydir")


def moon_proc(a, root, name, fsync="always", extra=()):
    return Proc("moon", a.moon, os.path.join(root, name), list(a.moon_ports),
                ["--appendonly", "yes", "--appendfsync", fsync] + list(extra))


def redis_proc(a, root, name, fsync="always"):
    return Proc("redis", a.reference, os.path.join(root, name), list(a.ref_ports),
                ["--appendonly", "yes", "--appendfsync", fsync, "--appenddirname", "appendonlydir"])


# ---------------------------------------------------------------- workload

class Runner:
    """Feeds a workload generator to a connection, a number of commands at
    a time (so an admin connection can act in between)."""

    def __init__(self, conn, seed, steps, families=None):
        self.conn = conn
        self.st = aof_workload.State(random.Random(seed))
        self.gen = aof_workload.workload(self.st, steps, families)
        self.pending = next(self.gen)
        self.sent = 0
        self.log = []  # (step, command)

    def run(self, count=None):
        while self.pending is not None and (count is None or count > 0):
            reply = call(self.conn, *self.pending)
            self.log.append((self.st.step, self.pending))
            self.sent += 1
            if count is not None:
                count -= 1
            try:
                self.pending = self.gen.send(reply)
            except StopIteration:
                self.pending = None
        return self.pending is None

    def settle(self, *conns):
        """Wait until every short TTL has passed, then make each server
        drop what expired (SCAN and HGETALL expire lazily), so the data
        compared no longer changes by itself."""
        left = self.st.short_deadline - time.monotonic()
        if left > 0:
            time.sleep(left + 0.05)
        for c in conns:
            settle(c)


def wait_rewrite(c, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        info = call(c, "INFO", "persistence").data
        if b"aof_rewrite_in_progress:0" in info and b"aof_rewrite_scheduled:0" in info:
            return b"aof_last_bgrewrite_status:ok" in info
        if time.monotonic() > deadline:
            raise RuntimeError("BGREWRITEAOF did not finish in %d s" % timeout)
        time.sleep(0.05)


def rewriting(c):
    return b"aof_rewrite_in_progress:1" in call(c, "INFO", "persistence").data


class Burst(threading.Thread):
    """Batches of pipelined writes of every type on keys of their own
    ('burst:*') until a rewrite is over; counts those sent during it."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.during = 0

    def run(self):
        c, probe = Conn(self.port, timeout=60), Conn(self.port, timeout=60)
        i = 0
        while rewriting(probe) or i == 0:
            batch = []
            for _ in range(50):
                i += 1
                batch += [[b"INCR", b"burst:ctr"], [b"RPUSH", b"burst:list", b"%d" % i], [b"HSET", b"burst:hash", b"f%d" % (i % 300), b"%d" % i],
                          [b"ZADD", b"burst:zset", b"%d" % i, b"m%d" % (i % 200)], [b"SADD", b"burst:set", b"%d" % (i % 500)],
                          [b"XADD", b"burst:stream", b"MAXLEN", b"~", b"100", b"*", b"i", b"%d" % i],
                          [b"SET", b"burst:str:%d" % (i % 100), b"%d" % i, b"PX", b"100000000"]]
            for cmd in batch:
                c.send(cmd)
            for _ in batch:
                if c.read_frame(60) in (CLOSED, TIMEOUT):
                    raise ServerGone("during the burst")
            self.during += len(batch)
        c.close()
        probe.close()


def fill(srv, seed, steps, rewrite=None, families=None):
    """Run the workload (rewrite: None, 'between' or 'during' the two
    halves), settle; return its snapshot, the count of commands sent
    while a rewrite was running and the Runner."""
    c, admin = srv.conn(), srv.conn()
    run = Runner(c, seed, steps, families)
    during = 0
    if rewrite:
        run.run(steps // 2)
        if rewrite == "during":
            # A bigger data set so the rewrite takes a while.
            call(admin, "SELECT", 2)
            for i in range(0, 100000, 2000):
                call(admin, "MSET", *[x for j in range(i, i + 2000) for x in ("bulk:%d" % j, "v%d" % j * 10)])
            call(admin, "SELECT", 0)
        r = call(admin, "BGREWRITEAOF")
        if r.is_error:
            raise RuntimeError("BGREWRITEAOF: %r" % r.raw)
        if rewrite == "between":
            if not wait_rewrite(admin):
                raise RuntimeError("the rewrite failed")
        else:
            # Pipelined writes from another client while the rewrite runs
            # (the workload alone is too slow to overlap much with it).
            burst = Burst(srv.port)
            burst.start()
            while not run.run(5):
                if rewriting(admin):
                    during += 5
            burst.join(120)
            during += burst.during
            if not wait_rewrite(admin):
                raise RuntimeError("the rewrite failed")
    run.run()
    run.settle(c)
    snap = snapshot(c, cross=True)
    c.close()
    admin.close()
    return snap, during, run


# ---------------------------------------------------------------- checks

# Per-type groups for the round trip: a family, plus families that make
# the keys it works on.
GROUPS = [("strings", ["strings"]), ("lists", ["lists"]), ("hashes", ["hashes"]), ("sets", ["sets"]), ("zsets", ["zsets"]),
          ("streams", ["streams"]), ("hll", ["hll"]), ("bitmaps", ["bitmaps"]), ("geo", ["geo"]),
          ("keyspace", ["keyspace", "strings", "sets", "hashes"]), ("restore", ["restore", "strings", "hashes", "zsets", "streams"]),
          ("multi", ["multi", "strings", "sets"]), ("scripts", ["scripts", "strings", "sets"])]


def round_trip(a, root, name, seed, steps, rewrite=None, families=None):
    """Workload, SIGKILL, restart: (diff text or '', Runner, commands
    sent during a rewrite, key count)."""
    srv = moon_proc(a, root, name)
    try:
        srv.start()
        before, during, run = fill(srv, seed, steps, rewrite, families)
        srv.kill()
        srv.start()
        c = srv.conn()
        after = snapshot(c, cross=True)
        c.close()
        return describe_diff(before, after), run, during, len(before[1])
    finally:
        srv.kill()
        if not a.keep:
            shutil.rmtree(srv.dir, ignore_errors=True)


def first_bad_step(a, root, name, seed, steps, families):
    """Bisect on the workload's length for the first step after which a
    reload differs: that step's commands are the culprit."""
    lo, hi = 0, steps
    runs = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        runs += 1
        diff, _, _, _ = round_trip(a, root, "%s-bisect%d" % (name, runs), seed, mid, families=families)
        if diff:
            hi = mid
        else:
            lo = mid
    diff, run, _, _ = round_trip(a, root, "%s-bisect-last" % name, seed, hi, families=families)
    cmds = [c for s, c in run.log if s == hi]
    return hi, cmds, diff


def show(cmd):
    return " ".join(repr(x) if isinstance(x, bytes) else (x if len(x) < 60 else x[:57] + "...") for x in cmd)


def check_round_trip_per_type(a, t, root, seed):
    bisected = 0
    for i, (group, families) in enumerate(GROUPS):
        diff, run, _, nkeys = round_trip(a, root, "type-" + group, seed + i, a.type_steps, families=families)
        detail = diff
        if diff and bisected < a.max_bisect:
            bisected += 1
            step, cmds, last = first_bad_step(a, root, "type-" + group, seed + i, a.type_steps, families)
            detail = ("first differing step %d (seed %d, families %s): after\n  %s\n%s" %
                      (step, seed + i, ",".join(families), "\n  ".join(show(c) for c in cmds), last or diff))
        t.check(not diff, "round trip %-9s %4d commands, %3d keys, SIGKILL, restart: same data" % (group, run.sent, nkeys), detail)


def check_round_trip(a, t, root, name, seed, rewrite=None):
    diff, run, during, nkeys = round_trip(a, root, name, seed, a.steps, rewrite)
    label = {None: "", "between": " with BGREWRITEAOF between the halves",
             "during": " with BGREWRITEAOF running during the second half (%d commands while in progress)" % during}[rewrite]
    t.check(not diff, "round trip all types: %d commands, %d keys, SIGKILL, restart: same data%s" % (run.sent, nkeys, label), diff)
    if rewrite == "during" and during == 0:
        print("  note the rewrite finished before any command of the second half: the overlap was not exercised")


class Writer(threading.Thread):
    """One client: INCR, RPUSH of unique elements, SET of unique keys and a
    MULTI with an INCR and an RPUSH, pipelined a few at a time; remembers
    what was sent and what was acknowledged."""

    def __init__(self, port, tid, book, rnd, rng):
        super().__init__(daemon=True)
        self.port, self.tid, self.book, self.rnd, self.rng = port, tid, book, rnd, rng

    def run(self):
        b, t = self.book, self.tid
        try:
            c = Conn(self.port, timeout=10)
        except OSError:
            return
        seq = 0
        while True:
            batch = []
            for _ in range(self.rng.randint(1, 6)):
                seq += 1
                op = self.rng.randrange(4)
                if op == 0:
                    batch.append(("incr", None, [[b"INCR", b"ctr:%d" % t]]))
                    b["incr_sent"] += 1
                elif op == 1:
                    e = b"%d:%d:%d" % (t, self.rnd, seq)
                    batch.append(("push", e, [[b"RPUSH", b"list:%d" % t, e]]))
                    b["push_sent"].append(e)
                elif op == 2:
                    k = b"key:%d:%d:%d" % (t, self.rnd, seq)
                    batch.append(("set", k, [[b"SET", k, b"v" + k]]))
                else:
                    e = b"%d:%d:%d" % (t, self.rnd, seq)
                    batch.append(("txn", e, [[b"MULTI"], [b"INCR", b"txn:%d" % t], [b"RPUSH", b"txnl:%d" % t, e], [b"EXEC"]]))
                    b["txn_sent"] += 1
            for _, _, cmds in batch:
                for cmd in cmds:
                    c.send(cmd)
            for kind, x, cmds in batch:
                replies = [c.read_frame(10) for _ in cmds]
                if any(r is CLOSED or r is TIMEOUT for r in replies):
                    c.close()
                    return
                last = replies[-1]
                if kind == "incr":
                    b["incr_acked"] = max(b["incr_acked"], int(last.data))
                elif kind == "push":
                    b["push_acked"].add(x)
                elif kind == "set":
                    b["set_acked"].append(x)
                else:
                    if last.children is None:
                        raise RuntimeError("EXEC failed: %r" % last.raw)
                    b["txn_acked"] += 1


def verify_books(c, books):
    """Acknowledged writes missing, and anything impossible (more than was
    sent, out of order, a half-applied transaction)."""
    lost, problems = 0, []
    for t, b in books.items():
        v = int(py(call(c, "GET", "ctr:%d" % t)) or 0)
        if v < b["incr_acked"]:
            lost += b["incr_acked"] - v
        if v > b["incr_sent"]:
            problems.append("ctr:%d is %d but only %d INCRs were sent" % (t, v, b["incr_sent"]))
        b["incr_acked"] = v
        elems = py(call(c, "LRANGE", "list:%d" % t, 0, -1))
        present = set(elems)
        missing = b["push_acked"] - present
        lost += len(missing)
        order = {e: i for i, e in enumerate(b["push_sent"])}
        idx = [order.get(e) for e in elems]
        if None in idx or idx != sorted(idx) or len(present) != len(elems):
            problems.append("list:%d has elements never sent, duplicated or out of order" % t)
        b["push_acked"] = present
        keys = b["set_acked"]
        for i in range(0, len(keys), 500):
            vals = py(call(c, "MGET", *keys[i:i + 500]))
            lost += sum(1 for k, v in zip(keys[i:i + 500], vals) if v != b"v" + k)
        n = int(py(call(c, "GET", "txn:%d" % t)) or 0)
        ln = py(call(c, "LLEN", "txnl:%d" % t))
        if n != ln:
            problems.append("transaction half applied: txn:%d is %d, txnl:%d has %d elements" % (t, n, t, ln))
        if n < b["txn_acked"]:
            lost += b["txn_acked"] - n
        if n > b["txn_sent"]:
            problems.append("txn:%d is %d but only %d transactions were sent" % (t, n, b["txn_sent"]))
        b["txn_acked"] = n
    return lost, problems


def crash_test(a, t, root, name, fsync, rounds, rng):
    threads = 4
    srv = moon_proc(a, root, name, fsync)
    books = {i: {"incr_sent": 0, "incr_acked": 0, "push_sent": [], "push_acked": set(), "set_acked": [], "txn_sent": 0, "txn_acked": 0}
             for i in range(threads)}
    acked_total = lost_total = loads_failed = truncations = rewrites = in_rewrite = 0
    problems = []
    t0 = time.monotonic()
    try:
        srv.start()
        # Data of its own in db 1, so a rewrite takes a while.
        c = srv.conn()
        call(c, "SELECT", 1)
        for i in range(0, 100000, 2000):
            call(c, "MSET", *[x for j in range(i, i + 2000) for x in ("bulk:%d" % j, "v%d" % j * 10)])
        c.close()
        for rnd in range(rounds):
            acked_before = sum(b["incr_acked"] + len(b["push_acked"]) + len(b["set_acked"]) + b["txn_acked"] for b in books.values())
            ws = [Writer(srv.port, i, books[i], rnd, random.Random(rng.random())) for i in range(threads)]
            for w in ws:
                w.start()
            if rnd % 4 == 3:
                # Some rounds crash while (or just after) a rewrite runs.
                time.sleep(rng.uniform(0.1, 0.4))
                ad = srv.conn(10)
                call(ad, "BGREWRITEAOF")
                time.sleep(rng.uniform(0, 0.1))
                rewrites += 1
                if rewriting(ad):
                    in_rewrite += 1
                srv.kill()
                ad.close()
            else:
                time.sleep(rng.uniform(0.2, 1.0))
                srv.kill()
            for w in ws:
                w.join(30)
            acked = sum(b["incr_acked"] + len(b["push_acked"]) + len(b["set_acked"]) + b["txn_acked"] for b in books.values())
            acked_total += acked - acked_before
            try:
                srv.start()
            except RuntimeError as e:
                loads_failed += 1
                problems.append("round %d: the server did not start after the crash: %s" % (rnd, str(e)[-500:]))
                break
            if re.search(r"[Tt]runcat", srv.new_log()):
                truncations += 1
            c = srv.conn()
            lost, probs = verify_books(c, books)
            c.close()
            lost_total += lost
            problems += ["round %d: %s" % (rnd, p) for p in probs]
    finally:
        srv.kill()
    leftovers = [f for f in os.listdir(srv.aof_dir()) if f.startswith("temp")] if os.path.isdir(srv.aof_dir()) else []
    if leftovers:
        print("  note %d temporary files left in %s after the crashes: %s" % (len(leftovers), os.path.basename(srv.aof_dir()), " ".join(leftovers[:5])))
    return {"rounds": rounds, "acked": acked_total, "lost": lost_total, "problems": problems, "loads_failed": loads_failed,
            "truncations": truncations, "rewrites": rewrites, "in_rewrite": in_rewrite, "secs": time.monotonic() - t0}


def check_crash(a, t, root, rng):
    r = crash_test(a, t, root, "crash-always", "always", a.crash_rounds, rng)
    t.check(r["lost"] == 0 and not r["problems"] and not r["loads_failed"],
            "crash test, appendfsync always: %d rounds (%d with a BGREWRITEAOF, %d killed while it ran), 4 writer threads, SIGKILL at "
            "random: %d acknowledged writes, %d lost, %d starts truncated a cut-off last command, %.0f s"
            % (r["rounds"], r["rewrites"], r["in_rewrite"], r["acked"], r["lost"], r["truncations"], r["secs"]), "\n".join(r["problems"][:10]))
    r = crash_test(a, t, root, "crash-everysec", "everysec", a.everysec_rounds, rng)
    t.check(r["lost"] == 0 and not r["problems"] and not r["loads_failed"],
            "crash test, appendfsync everysec: %d rounds: %d acknowledged writes, %d lost (SIGKILL keeps the page cache, "
            "so 0 is expected; what a power loss would lose, up to about a second of writes, cannot be tested here)"
            % (r["rounds"], r["acked"], r["lost"]), "\n".join(r["problems"][:10]))


def copy_aof(src, dst):
    os.makedirs(dst.dir, exist_ok=True)
    shutil.rmtree(dst.aof_dir(), ignore_errors=True)
    shutil.copytree(src.aof_dir(), dst.aof_dir())


def check_aof_tool(reference, manifest):
    """redis-check-aof is the reference binary started under that name."""
    d = tempfile.mkdtemp(prefix="aof-check-tool-")
    try:
        tool = os.path.join(d, "redis-check-aof")
        os.symlink(reference, tool)
        p = subprocess.run([tool, manifest], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        return p.returncode == 0 and "is valid" in out, out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def manifest_path(srv):
    return os.path.join(srv.aof_dir(), "appendonly.aof.manifest")


def check_interop(a, t, root, seed):
    for rewrite in (None, "between"):
        label = " (BGREWRITEAOF between the halves: RDB base + incr)" if rewrite else ""
        # Redis -> Moon
        r = redis_proc(a, root, "interop-redis-%s" % rewrite)
        m = moon_proc(a, root, "interop-moon-from-redis-%s" % rewrite)
        try:
            r.start()
            want, _, run = fill(r, seed, a.steps, rewrite)
            r.kill()
            r.start()
            c = r.conn()
            diff = describe_diff(want, snapshot(c, cross=True), ("redis", "redis reloaded"))
            c.close()
            r.kill()
            t.check(not diff, "reference: Redis reloads its own AOF with the same data%s (harness check)" % label, diff)
            copy_aof(r, m)
            m.start()
            c = m.conn()
            got = snapshot(c, cross=True)
            c.close()
            diff = describe_diff(want, got, ("redis", "moon"))
            t.check(not diff, "Moon loads Redis' AOF dir (%d commands, %d keys) with the same data%s" % (run.sent, len(want[1]), label), diff)
        except (RuntimeError, ServerGone) as e:
            t.check(False, "Redis -> Moon%s" % label, str(e)[-2000:])
        finally:
            r.kill()
            m.kill()
        # Moon -> Redis
        m = moon_proc(a, root, "interop-moon-%s" % rewrite)
        r = redis_proc(a, root, "interop-redis-from-moon-%s" % rewrite)
        try:
            m.start()
            want, _, run = fill(m, seed + 1, a.steps, rewrite)
            m.kill()
            ok, out = check_aof_tool(a.reference, manifest_path(m))
            t.check(ok, "redis-check-aof accepts Moon's AOF%s" % label, out[-1500:])
            copy_aof(m, r)
            r.start()
            c = r.conn()
            got = snapshot(c, cross=True)
            c.close()
            diff = describe_diff(want, got, ("moon", "redis"))
            t.check(not diff, "Redis loads Moon's AOF dir (%d commands, %d keys) with the same data%s" % (run.sent, len(want[1]), label), diff)
        except (RuntimeError, ServerGone) as e:
            t.check(False, "Moon -> Redis%s" % label, str(e)[-2000:])
        finally:
            r.kill()
            m.kill()


def last_incr(srv):
    with open(manifest_path(srv)) as f:
        # "file <name> seq <n> type i [startoffset <n> ...]"
        names = [w[1] for w in map(str.split, f) if "type" in w and w[w.index("type") + 1:w.index("type") + 2] == ["i"]]
    return os.path.join(srv.aof_dir(), names[-1])


def check_truncated(a, t, root, seed):
    m = moon_proc(a, root, "truncated")
    try:
        m.start()
        c = m.conn()
        # Commands whose effect does not depend on time or chance (no
        # delivery times of XREADGROUP/XCLAIM): this check is about the
        # cut, not about what each command journals.
        for cmd in rdbdata.fixed_commands():
            if cmd[0] not in ("XREADGROUP", "XCLAIM"):
                call(c, *cmd)
        want = snapshot(c)
        call(c, "SET", "str:last", "x" * 100)
        c.close()
        m.kill()
        path = last_incr(m)
        data = open(path, "rb").read()
        at = data.rfind(b"str:last")
        if at < 0:
            raise RuntimeError("the last command is not in %s" % path)
        # Cut inside the key name of the last command.
        cut = at + 4
        with open(path, "r+b") as f:
            f.truncate(cut)
        name = os.path.basename(path)
        rcopy = redis_proc(a, root, "truncated-redis")
        copy_aof(m, rcopy)

        rc, out = m.run_to_exit(["--aof-load-truncated", "no"], timeout=60)
        t.check(rc not in (0, None) and name in out,
                "aof-load-truncated no: refuses to start on a cut-off %s (exit status %s, message names the file)" % (name, rc), out[-1500:])
        t.check(os.path.getsize(path) == cut, "aof-load-truncated no leaves the file as it was")

        m.start(["--aof-load-truncated", "yes"])
        log = m.new_log()
        t.check(re.search(r"[Tt]runcat", log) is not None and name in log,
                "aof-load-truncated yes: starts and logs that it truncated %s" % name, log[-1500:])
        c = m.conn()
        diff = describe_diff(want, snapshot(c), ("before the cut command", "loaded"))
        t.check(not diff, "the truncated AOF holds everything before the cut-off command", diff)
        call(c, "SET", "str:after", "y")
        want2 = snapshot(c)
        c.close()
        m.kill()
        m.start()
        c = m.conn()
        diff = describe_diff(want2, snapshot(c))
        c.close()
        t.check(not diff, "writes appended after the truncation load again after another SIGKILL", diff)

        # The reference on the same cut-off file, for comparison.
        rc, out = rcopy.run_to_exit(["--aof-load-truncated", "no"], timeout=60)
        t.check(rc not in (0, None), "reference: Redis refuses the same cut-off file with aof-load-truncated no (harness check)", out[-800:])
        rcopy.start(["--aof-load-truncated", "yes"])
        c = rcopy.conn()
        diff = describe_diff(want, snapshot(c), ("moon before the cut", "redis"))
        c.close()
        t.check(not diff, "reference: Redis loads the cut-off file with the same data as Moon", diff)
    finally:
        m.kill()
        if "rcopy" in locals():
            rcopy.kill()


def run_scenario(srv, sc):
    """Run a scenario on a started server, wait for its TTLs, settle, kill:
    the snapshot before the kill."""
    wait = sc(srv.conn, call)
    time.sleep(wait)
    c = srv.conn()
    settle(c)
    snap = snapshot(c, cross=True)
    c.close()
    srv.kill()
    return snap


def load_and_compare(srv, want, labels):
    srv.start()
    c = srv.conn()
    diff = describe_diff(want, snapshot(c, cross=True), labels)
    c.close()
    srv.kill()
    return diff


def check_scenarios(a, t, root):
    for sc in aof_scenarios.SCENARIOS:
        name = sc.__name__
        m = moon_proc(a, root, "scenario-" + name)
        r = redis_proc(a, root, "scenario-redis-" + name)
        r2 = redis_proc(a, root, "scenario-redis-writes-" + name)
        m2 = moon_proc(a, root, "scenario-moon-loads-" + name)
        try:
            m.start()
            before = run_scenario(m, sc)
            diff = load_and_compare(m, before, ("before", "after"))
            t.check(not diff, "scenario %s: SIGKILL, restart: same data" % name, diff)
            copy_aof(m, r)
            diff = load_and_compare(r, before, ("moon", "redis"))
            t.check(not diff, "scenario %s: Redis loads Moon's AOF with the same data" % name, diff)
            r2.start()
            want = run_scenario(r2, sc)
            copy_aof(r2, m2)
            diff = load_and_compare(m2, want, ("redis", "moon"))
            t.check(not diff, "scenario %s: Moon loads Redis' AOF with the same data" % name, diff)
        except (RuntimeError, ServerGone, OSError) as e:
            t.check(False, "scenario %s" % name, str(e)[-2000:])
        finally:
            for s in (m, r, r2, m2):
                s.kill()


def check_redis_variants(a, t, root):
    """AOF files Redis writes with other settings: timestamp annotations
    (aof-timestamp-enabled yes: '#TS:' lines between commands) and a base
    of commands (aof-use-rdb-preamble no)."""
    for label, extra in (("aof-timestamp-enabled yes", ["--aof-timestamp-enabled", "yes"]),
                         ("aof-use-rdb-preamble no (base of commands)", ["--aof-use-rdb-preamble", "no"])):
        tag = extra[0].strip("-")
        r = redis_proc(a, root, "variant-" + tag)
        r.args += extra
        m = moon_proc(a, root, "variant-moon-" + tag)
        try:
            r.start()
            c = r.conn()
            for i, cmd in enumerate(rdbdata.fixed_commands()):
                call(c, *cmd)
                if i == 40:
                    call(c, "BGREWRITEAOF")
                    wait_rewrite(c)
                if i in (45, 100):
                    # A new second: Redis writes a '#TS:' line before the
                    # next command.
                    time.sleep(1.05)
            c.close()
            if "timestamp" in tag:
                incr = open(last_incr(r), "rb").read()
                t.check(b"#TS:" in incr, "reference: Redis' incr file holds '#TS:' annotations (harness check)")
            want = run_scenario(r, lambda conn, call: 0)
            copy_aof(r, m)
            diff = load_and_compare(m, want, ("redis", "moon"))
            t.check(not diff, "Moon loads Redis' AOF written with %s" % label, diff)
        except (RuntimeError, ServerGone, OSError) as e:
            t.check(False, "Moon loads Redis' AOF written with %s" % label, str(e)[-1500:])
        finally:
            r.kill()
            m.kill()


def guarded(t, what, fn, *args):
    try:
        return fn(*args)
    except (RuntimeError, ServerGone, OSError) as e:
        t.check(False, what, str(e)[-3000:])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    servers.add_binary_args(p)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=700, help="workload steps per round trip")
    p.add_argument("--type-steps", type=int, default=150, help="workload steps per type")
    p.add_argument("--max-bisect", type=int, default=13, help="bisect at most this many failing types for their culprit")
    p.add_argument("--crash-rounds", type=int, default=20)
    p.add_argument("--everysec-rounds", type=int, default=5)
    p.add_argument("--moon-ports", default="7345-7349")
    p.add_argument("--ref-ports", default="7340-7344")
    p.add_argument("--keep", action="store_true", help="keep the data dirs (printed) for inspection")
    p.add_argument("--only", default="abcdefg", help="which checks to run (letters a-g)")
    a = p.parse_args()
    a.reference = a.reference or servers.reference_binary()
    rng_ports = lambda s: list(range(int(s.split("-")[0]), int(s.split("-")[1]) + 1))  # noqa: E731
    a.moon_ports, a.ref_ports = rng_ports(a.moon_ports), rng_ports(a.ref_ports)
    t = Tally()
    root = tempfile.mkdtemp(prefix="aof-check-")
    rng = random.Random(a.seed)
    t0 = time.monotonic()
    try:
        if "a" in a.only:
            print("a. Round trip (appendfsync always, SIGKILL, restart)", flush=True)
            guarded(t, "round trip per type", check_round_trip_per_type, a, t, root, a.seed)
            guarded(t, "round trip", check_round_trip, a, t, root, "roundtrip", a.seed)
        if "b" in a.only:
            print("b. Round trip with BGREWRITEAOF", flush=True)
            guarded(t, "round trip with a rewrite between", check_round_trip, a, t, root, "rewrite-between", a.seed + 10, "between")
            guarded(t, "round trip with a rewrite during writes", check_round_trip, a, t, root, "rewrite-during", a.seed + 20, "during")
        if "c" in a.only or "d" in a.only:
            print("c/d. Crash tests", flush=True)
            guarded(t, "crash tests", check_crash, a, t, root, rng)
        if "e" in a.only:
            print("e. Interop with Redis 8.2", flush=True)
            guarded(t, "interop", check_interop, a, t, root, a.seed + 30)
            guarded(t, "Redis AOF variants", check_redis_variants, a, t, root)
        if "g" in a.only:
            print("g. Fixed scenarios (blocked clients served, databases, expiry, big values, transactions)", flush=True)
            guarded(t, "scenarios", check_scenarios, a, t, root)
        if "f" in a.only:
            print("f. Cut-off last incr file", flush=True)
            guarded(t, "truncated AOF", check_truncated, a, t, root, a.seed + 40)
    finally:
        if a.keep:
            print("data dirs kept in %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("%d passed, %d failed (%.0f s)" % (t.passed, t.failed, time.monotonic() - t0))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
