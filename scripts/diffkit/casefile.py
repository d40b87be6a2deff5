"""Case files: one command per line, redis-cli quoting, directives.

    # a comment (a '#' followed by a space, or by anything but a letter)
    SET key "va\\x00lue"         a command, quoted the way redis-cli quotes
    #unordered                  a directive: applies to the next command only
    KEYS *
    @read                       a harness action: read one more frame

Directives (several may precede one command):
    #ignore              run on both servers, compare nothing
    #match REGEX         both raw replies must fully match REGEX (Python re,
                         bytes, DOTALL); e.g. #match :\\d+\\r\\n
    #error-prefix        if both replies are errors compare only the first
                         word (ERR, WRONGTYPE, ...), else compare bytes
    #unordered [pairs] [N]
                         compare the elements of the reply (or of its N-th
                         top-level element) as a multiset; `pairs` groups a
                         flat array as key/value pairs (RESP3 maps always are)
    #approx N            both replies are integers at most N apart (TTLs),
                         or arrays (nested too) of them, other elements equal
    #scan-all [pairs]    the command is a SCAN-like cursor command: iterate
                         until the cursor returns to 0 and compare the
                         multiset of returned elements
    #noreply             send and expect silence: compare whatever arrives
                         within 50 ms (CLIENT REPLY OFF/SKIP)
    #sleep MS            sleep MS milliseconds before the command
    #conn NAME           send the command on connection NAME (opened on
                         first use with the run's protocol); default "main"

Actions (lines starting with '@'):
    @read                read one frame from the connection without sending
                         (MONITOR feed, pushed messages)
"""

import re

DIRECTIVES = {"ignore", "match", "error-prefix", "unordered", "approx", "scan-all", "noreply", "sleep", "conn"}
ACTIONS = {"read"}


class CaseFileError(Exception):
    pass


class Case:
    __slots__ = ("file", "lineno", "text", "argv", "action", "directives")

    def __init__(self, file, lineno, text, argv, action, directives):
        self.file = file
        self.lineno = lineno
        self.text = text
        self.argv = argv
        self.action = action
        self.directives = directives

    @property
    def where(self):
        return "%s:%d" % (self.file, self.lineno)


def split_args(line):
    """Split a line like redis-cli does (sdssplitargs); returns bytes args.

    Double quotes understand \\xHH, \\n, \\r, \\t, \\b, \\a and \\<char>;
    single quotes only \\'. A closing quote must end the argument.
    """
    data = line.encode("utf-8") if isinstance(line, str) else line
    args = []
    i, n = 0, len(data)
    while True:
        while i < n and data[i : i + 1].isspace():
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            c = data[i : i + 1]
            if inq:
                if not c:
                    raise CaseFileError("unbalanced quotes")
                if c == b"\\" and data[i + 1 : i + 2] == b"x" and _ishex(data[i + 2 : i + 4]):
                    cur.append(int(data[i + 2 : i + 4], 16))
                    i += 3
                elif c == b"\\" and i + 1 < n:
                    e = data[i + 1 : i + 2]
                    cur += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"a": b"\a"}.get(e, e)
                    i += 1
                elif c == b'"':
                    if i + 1 < n and not data[i + 1 : i + 2].isspace():
                        raise CaseFileError("closing quote must be followed by a space")
                    i += 1
                    break
                else:
                    cur += c
            elif insq:
                if not c:
                    raise CaseFileError("unbalanced quotes")
                if c == b"\\" and data[i + 1 : i + 2] == b"'":
                    cur += b"'"
                    i += 1
                elif c == b"'":
                    if i + 1 < n and not data[i + 1 : i + 2].isspace():
                        raise CaseFileError("closing quote must be followed by a space")
                    i += 1
                    break
                else:
                    cur += c
            else:
                if not c or c.isspace():
                    break
                if c == b'"':
                    inq = True
                elif c == b"'":
                    insq = True
                else:
                    cur += c
            i += 1
        args.append(bytes(cur))


def _ishex(b):
    return len(b) == 2 and all(ch in b"0123456789abcdefABCDEF" for ch in b)


def _parse_directive(name, rest, where):
    if name in ("ignore", "error-prefix", "noreply"):
        if rest:
            raise CaseFileError("%s: #%s takes no argument" % (where, name))
        return True
    if name == "match":
        if not rest:
            raise CaseFileError("%s: #match needs a regex" % where)
        try:
            return re.compile(rest.encode("utf-8"), re.DOTALL)
        except re.error as e:
            raise CaseFileError("%s: bad regex: %s" % (where, e))
    if name in ("unordered", "scan-all"):
        spec = {"pairs": False, "index": None}
        for word in rest.split():
            if word == "pairs":
                spec["pairs"] = True
            elif word.isdigit() and name == "unordered":
                spec["index"] = int(word)
            else:
                raise CaseFileError("%s: bad #%s argument %r" % (where, name, word))
        return spec
    if name in ("approx", "sleep"):
        if not rest.isdigit():
            raise CaseFileError("%s: #%s needs a non-negative integer" % (where, name))
        return int(rest)
    if name == "conn":
        if not re.fullmatch(r"\w+", rest):
            raise CaseFileError("%s: #conn needs a name" % where)
        return rest
    raise AssertionError(name)


def parse_file(path, display_name=None):
    name = display_name or path
    with open(path, "r", encoding="utf-8") as f:
        lines = f.read().split("\n")
    cases = []
    pending = {}
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        where = "%s:%d" % (name, lineno)
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#([a-z][a-z-]*)(?:\s+(.*))?$", line)
            if not m:
                continue  # a comment
            word, rest = m.group(1), (m.group(2) or "").strip()
            if word not in DIRECTIVES:
                raise CaseFileError("%s: unknown directive #%s (comments need a space after '#')" % (where, word))
            if word in pending:
                raise CaseFileError("%s: #%s given twice" % (where, word))
            pending[word] = _parse_directive(word, rest, where)
            continue
        if line.startswith("@"):
            action = line[1:].strip()
            if action not in ACTIONS:
                raise CaseFileError("%s: unknown action %s" % (where, line))
            cases.append(Case(name, lineno, line, None, action, pending))
        else:
            try:
                argv = split_args(line)
            except CaseFileError as e:
                raise CaseFileError("%s: %s" % (where, e))
            cases.append(Case(name, lineno, line, argv, None, pending))
        _check_combination(cases[-1])
        pending = {}
    if pending:
        raise CaseFileError("%s: directives at the end of the file apply to nothing" % name)
    return cases


def _check_combination(case):
    d = case.directives
    modes = [k for k in ("ignore", "match", "error-prefix", "unordered", "approx") if k in d]
    if len(modes) > 1:
        raise CaseFileError("%s: choose one of %s" % (case.where, ", ".join("#" + m for m in modes)))
    if "scan-all" in d and (case.action or "noreply" in d):
        raise CaseFileError("%s: #scan-all needs a SCAN-like command" % case.where)
