"""Tests of the harness itself (no server needed):

    python3 -m unittest discover -s scripts/diffkit -t scripts
"""

import os
import tempfile
import unittest

from diffkit import casefile, randomized, resp, runner


def parse_all(data):
    frame, end = resp.parse(bytearray(data))
    return frame, end


def directives(text):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(text)
    try:
        return casefile.parse_file(f.name)
    finally:
        os.unlink(f.name)


class ParseTest(unittest.TestCase):
    def test_scalars(self):
        for raw, kind, data in [
            (b"+OK\r\n", "+", b"OK"),
            (b"-ERR bad\r\n", "-", b"ERR bad"),
            (b":-5\r\n", ":", b"-5"),
            (b"_\r\n", "_", b""),
            (b"#t\r\n", "#", b"t"),
            (b",1.5\r\n", ",", b"1.5"),
            (b"(123456789012345678901234567890\r\n", "(", b"123456789012345678901234567890"),
            (b"$3\r\na\r\n\r\n", "$", b"a\r\n"),
            (b"$0\r\n\r\n", "$", b""),
            (b"=8\r\ntxt:abcd\r\n", "=", b"txt:abcd"),
            (b"!8\r\nERR x\r\ny\r\n", "!", b"ERR x\r\ny"),
        ]:
            frame, end = parse_all(raw + b"+next\r\n")
            self.assertEqual((frame.kind, frame.data, frame.raw, end), (kind, data, raw, len(raw)))

    def test_nulls(self):
        self.assertIsNone(parse_all(b"$-1\r\n")[0].data)
        self.assertIsNone(parse_all(b"*-1\r\n")[0].children)

    def test_aggregates(self):
        raw = b"*2\r\n*1\r\n:1\r\n%1\r\n+k\r\n~2\r\n$1\r\na\r\n#f\r\n"
        frame, end = parse_all(raw)
        self.assertEqual(end, len(raw))
        self.assertEqual([c.kind for c in frame.children], ["*", "%"])
        m = frame.children[1]
        self.assertEqual(len(m.children), 2)
        self.assertEqual(m.pairs()[0][0].data, b"k")
        self.assertEqual(m.children[1].children[1].raw, b"#f\r\n")

    def test_push_and_attribute(self):
        frame, _ = parse_all(b">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n")
        self.assertEqual(frame.kind, ">")
        raw = b"|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n"
        frame, end = parse_all(raw)
        self.assertEqual((frame.kind, frame.data, frame.raw, end), ("$", b"v", raw, len(raw)))
        self.assertEqual(frame.attribute.kind, "|")

    def test_streamed(self):
        raw = b"$?\r\n;4\r\nHell\r\n;1\r\no\r\n;0\r\n"
        frame, end = parse_all(raw)
        self.assertEqual((frame.data, end), (b"Hello", len(raw)))
        raw = b"*?\r\n:1\r\n$1\r\nx\r\n.\r\n"
        frame, end = parse_all(raw)
        self.assertEqual((len(frame.children), end), (2, len(raw)))
        raw = b"%?\r\n+a\r\n:1\r\n.\r\n"
        self.assertEqual(len(parse_all(raw)[0].pairs()), 1)

    def test_incomplete(self):
        full = b"*2\r\n$5\r\nhello\r\n%1\r\n+a\r\n:1\r\n"
        for cut in range(len(full)):
            with self.assertRaises(resp.Incomplete):
                resp.parse(bytearray(full[:cut]))
        for cut in range(len(b"$?\r\n;2\r\nab\r\n;0\r\n")):
            with self.assertRaises(resp.Incomplete):
                resp.parse(bytearray(b"$?\r\n;2\r\nab\r\n;0\r\n"[:cut]))

    def test_garbage(self):
        with self.assertRaises(resp.ProtocolError):
            resp.parse(bytearray(b"?x\r\n"))
        with self.assertRaises(resp.ProtocolError):
            resp.parse(bytearray(b"$2\r\nabcd\r\n"))


class SplitArgsTest(unittest.TestCase):
    def test_quoting(self):
        s = casefile.split_args
        self.assertEqual(s('SET k "a b"'), [b"SET", b"k", b"a b"])
        self.assertEqual(s(r'ECHO "\x00\xff\r\n\t\"\\"'), [b"ECHO", b"\x00\xff\r\n\t\"\\"])
        self.assertEqual(s(r"ECHO 'it\'s' '\x00'"), [b"ECHO", b"it's", b"\\x00"])
        self.assertEqual(s('ECHO ""'), [b"ECHO", b""])
        self.assertEqual(s("  a   b  "), [b"a", b"b"])
        self.assertEqual(s(r'"\xzz"'), [b"xzz"])

    def test_errors(self):
        for bad in ['"open', "'open", '"a"b', "'a'b"]:
            with self.assertRaises(casefile.CaseFileError):
                casefile.split_args(bad)


class CaseFileTest(unittest.TestCase):
    def test_directives_apply_to_next_command(self):
        cases = directives("# comment\n#unordered pairs 1\n#conn x\nKEYS *\nGET k\n#match :\\d+\\r\\n\nTTL k\n@read\n")
        self.assertEqual(len(cases), 4)
        self.assertEqual(cases[0].directives["unordered"], {"pairs": True, "index": 1})
        self.assertEqual(cases[0].directives["conn"], "x")
        self.assertEqual(cases[1].directives, {})
        self.assertTrue(cases[2].directives["match"].fullmatch(b":12\r\n"))
        self.assertEqual(cases[3].action, "read")

    def test_mistakes_are_reported(self):
        for text in ["#unorderd\nGET k\n", "#ignore\n", "#ignore\n#match x\nGET k\n", "#sleep abc\nPING\n",
                     "@nosuch\n", "#ignore\n#ignore\nPING\n", "#scan-all\n@read\n"]:
            with self.assertRaises(casefile.CaseFileError, msg=text):
                directives(text)


class CompareTest(unittest.TestCase):
    def f(self, raw):
        return parse_all(raw)[0]

    def test_default_is_bytes(self):
        self.assertTrue(runner.compare({}, self.f(b":1\r\n"), self.f(b":1\r\n"))[0])
        self.assertFalse(runner.compare({}, self.f(b":1\r\n"), self.f(b"+1\r\n"))[0])

    def test_unordered(self):
        d = {"unordered": {"pairs": False, "index": None}}
        a = self.f(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n")
        b = self.f(b"*2\r\n$1\r\nb\r\n$1\r\na\r\n")
        c = self.f(b"*2\r\n$1\r\nb\r\n$1\r\nb\r\n")
        self.assertTrue(runner.compare(d, a, b)[0])
        self.assertFalse(runner.compare(d, a, c)[0])
        self.assertFalse(runner.compare(d, a, self.f(b"~2\r\n$1\r\nb\r\n$1\r\na\r\n"))[0])

    def test_unordered_pairs_and_index(self):
        d = {"unordered": {"pairs": True, "index": None}}
        a = self.f(b"*4\r\n+k1\r\n+v1\r\n+k2\r\n+v2\r\n")
        self.assertTrue(runner.compare(d, a, self.f(b"*4\r\n+k2\r\n+v2\r\n+k1\r\n+v1\r\n"))[0])
        self.assertFalse(runner.compare(d, a, self.f(b"*4\r\n+k1\r\n+v2\r\n+k2\r\n+v1\r\n"))[0])
        d = {"unordered": {"pairs": False, "index": 1}}
        a = self.f(b"*2\r\n$1\r\n0\r\n*2\r\n+a\r\n+b\r\n")
        self.assertTrue(runner.compare(d, a, self.f(b"*2\r\n$1\r\n0\r\n*2\r\n+b\r\n+a\r\n"))[0])
        self.assertFalse(runner.compare(d, a, self.f(b"*2\r\n$1\r\n7\r\n*2\r\n+b\r\n+a\r\n"))[0])

    def test_other_modes(self):
        self.assertTrue(runner.compare({"approx": 1}, self.f(b":100\r\n"), self.f(b":99\r\n"))[0])
        self.assertFalse(runner.compare({"approx": 1}, self.f(b":100\r\n"), self.f(b":98\r\n"))[0])
        self.assertFalse(runner.compare({"approx": 1}, self.f(b":1\r\n"), self.f(b"$1\r\n1\r\n"))[0])
        ep = {"error-prefix": True}
        self.assertTrue(runner.compare(ep, self.f(b"-ERR a\r\n"), self.f(b"-ERR b\r\n"))[0])
        self.assertFalse(runner.compare(ep, self.f(b"-ERR a\r\n"), self.f(b"-WRONGTYPE a\r\n"))[0])
        self.assertFalse(runner.compare(ep, self.f(b"-ERR a\r\n"), self.f(b"+OK\r\n"))[0])
        m = {"match": casefile._parse_directive("match", r":\d+\r\n", "t")}
        self.assertTrue(runner.compare(m, self.f(b":1\r\n"), self.f(b":22\r\n"))[0])
        self.assertFalse(runner.compare(m, self.f(b":1\r\n"), self.f(b":x\r\n"))[0])
        self.assertTrue(runner.compare({"ignore": True}, self.f(b":1\r\n"), self.f(b"+x\r\n"))[0])


class RandomizedTest(unittest.TestCase):
    def test_reproducible(self):
        self.assertEqual(randomized.sequence(5, 300), randomized.sequence(5, 300))
        self.assertNotEqual(randomized.sequence(5, 300), randomized.sequence(6, 300))
        names = {argv[0] for argv, _ in randomized.sequence(1, 3000)}
        for must in [b"SET", b"GET", b"INCRBYFLOAT", b"LCS", b"COPY", b"EXPIRE", b"TTL", b"KEYS", b"MSETNX"]:
            self.assertIn(must, names)


if __name__ == "__main__":
    unittest.main()
