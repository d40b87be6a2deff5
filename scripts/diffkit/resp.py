"""A raw-socket RESP2/RESP3 client that keeps every reply's exact bytes.

The differential tests compare what servers put on the wire, so the parser
only finds where one complete frame ends (including RESP3 streamed strings
and aggregates, attributes and push frames) and remembers the byte span of
each top-level child, which is what the order-insensitive comparisons need.
"""

import select
import socket
import time

CRLF = b"\r\n"

# Type bytes whose payload is a single line.
LINE_TYPES = b"+-:_#,("
# Type bytes followed by a length and that many bytes.
BLOB_TYPES = b"$=!"
# Aggregates counted in elements, and in pairs.
ARRAY_TYPES = b"*~>"
PAIR_TYPES = b"%|"


class Incomplete(Exception):
    """The buffer ends before the frame does."""


class ProtocolError(Exception):
    pass


class Frame:
    """One parsed frame.

    kind: the type byte as a one-char str ('+', '*', '%', ...).
    raw: every byte of the frame, attribute included.
    header: the frame's first line without CRLF (e.g. b'*3', b'$5').
    data: the payload of line and blob types (None for nulls/aggregates).
    children: the child frames of aggregates (maps: k1, v1, k2, v2, ...).
    attribute: a preceding RESP3 attribute frame, if any.
    """

    __slots__ = ("kind", "raw", "header", "data", "children", "attribute")

    def __init__(self, kind, raw, header, data=None, children=None, attribute=None):
        self.kind = kind
        self.raw = raw
        self.header = header
        self.data = data
        self.children = children
        self.attribute = attribute

    @property
    def is_error(self):
        return self.kind in "-!"

    def error_code(self):
        """The first word of an error reply (b'ERR', b'WRONGTYPE', ...)."""
        return (self.data or b"").split(b" ", 1)[0]

    def pairs(self):
        """Children grouped as (key, value); maps always, flat arrays too."""
        ch = self.children or []
        return [(ch[i], ch[i + 1]) for i in range(0, len(ch) - 1, 2)]

    def __repr__(self):
        return "Frame(%r)" % (self.raw,)


def _line(buf, pos):
    end = buf.find(CRLF, pos)
    if end < 0:
        raise Incomplete
    return buf[pos:end], end + 2


def parse(buf, pos=0):
    """Parse one frame at buf[pos:]; return (Frame, end). Raise Incomplete."""
    if pos >= len(buf):
        raise Incomplete
    start = pos
    attribute = None
    if buf[pos : pos + 1] == b"|":
        attribute, pos = _parse_plain(buf, pos)
    frame, end = _parse_plain(buf, pos)
    if attribute is not None:
        frame.attribute = attribute
        frame.raw = bytes(buf[start:end])
    return frame, end


def _parse_plain(buf, pos):
    start = pos
    kind = buf[pos]
    header, pos = _line(buf, pos)
    header = bytes(header)
    rest = header[1:]
    if kind in LINE_TYPES:
        return Frame(chr(kind), bytes(buf[start:pos]), header, data=rest), pos
    if kind in BLOB_TYPES:
        if rest == b"?":
            return _parse_streamed_string(buf, start, pos, header)
        n = _int(rest)
        if n < 0:
            return Frame(chr(kind), bytes(buf[start:pos]), header), pos
        end = pos + n
        if len(buf) < end + 2:
            raise Incomplete
        if buf[end : end + 2] != CRLF:
            raise ProtocolError("blob not terminated by CRLF at %d" % end)
        return Frame(chr(kind), bytes(buf[start : end + 2]), header, data=bytes(buf[pos:end])), end + 2
    if kind in ARRAY_TYPES or kind in PAIR_TYPES:
        children = []
        if rest == b"?":
            while True:
                if pos >= len(buf):
                    raise Incomplete
                if buf[pos : pos + 1] == b".":
                    _, pos = _line(buf, pos)
                    break
                child, pos = parse(buf, pos)
                children.append(child)
        else:
            n = _int(rest)
            if n < 0:
                return Frame(chr(kind), bytes(buf[start:pos]), header), pos
            if kind in PAIR_TYPES:
                n *= 2
            for _ in range(n):
                child, pos = parse(buf, pos)
                children.append(child)
        return Frame(chr(kind), bytes(buf[start:pos]), header, children=children), pos
    raise ProtocolError("unknown type byte %r at %d" % (chr(kind), start))


def _parse_streamed_string(buf, start, pos, header):
    data = bytearray()
    while True:
        chunk, pos = _line(buf, pos)
        if chunk[:1] != b";":
            raise ProtocolError("bad streamed string chunk %r" % bytes(chunk))
        n = _int(chunk[1:])
        if n == 0:
            break
        end = pos + n
        if len(buf) < end + 2:
            raise Incomplete
        data += buf[pos:end]
        pos = end + 2
    return Frame(chr(buf[start]), bytes(buf[start:pos]), header, data=bytes(data)), pos


def _int(b):
    try:
        return int(b)
    except ValueError:
        raise ProtocolError("bad length %r" % bytes(b))


def encode_command(argv):
    out = [b"*%d\r\n" % len(argv)]
    for a in argv:
        out.append(b"$%d\r\n" % len(a))
        out.append(a)
        out.append(CRLF)
    return b"".join(out)


# Markers stored as the "reply" when no frame arrived; they compare like
# replies, so a server that closes or stays silent where the other answers
# is reported as a difference.
TIMEOUT = Frame("?", b"<timeout>", b"<timeout>")
CLOSED = Frame("?", b"<connection closed>", b"<connection closed>")


class Conn:
    """One client connection with its own receive buffer."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.closed = False

    def send(self, argv):
        try:
            self.sock.sendall(encode_command(argv))
        except OSError:
            self.closed = True

    def read_frame(self, timeout=None):
        """One complete frame, or TIMEOUT / CLOSED."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.buf:
                try:
                    frame, end = parse(self.buf)
                    del self.buf[:end]
                    return frame
                except Incomplete:
                    pass
            if self.closed:
                return CLOSED
            left = deadline - time.monotonic()
            if left <= 0:
                return TIMEOUT
            if not self._recv(left):
                return TIMEOUT

    def read_available(self, wait):
        """Whatever bytes arrive within `wait` seconds (for silent replies)."""
        deadline = time.monotonic() + wait
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(left):
                break
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def wait_closed(self, wait):
        """True if the peer closes the connection within `wait` seconds."""
        deadline = time.monotonic() + wait
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(left):
                break
        return self.closed

    def _recv(self, wait):
        ready, _, _ = select.select([self.sock], [], [], wait)
        if not ready:
            return False
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.closed = True
        self.buf += data
        return True

    def call(self, argv, timeout=None):
        self.send(argv)
        return self.read_frame(timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True
