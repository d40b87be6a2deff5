#!/usr/bin/env python3
"""Differential tests: Moon against the reference redis-server (Redis 8.2).

Runs every case file under tests/diff/ on both servers, in RESP2 and in
RESP3, then seeded random command sequences, and compares the replies byte
for byte (case files may relax single comparisons with directives; see
scripts/diffkit/casefile.py). Both servers are started here on free ports
and stopped at the end.

    python3 scripts/difftest.py                      # everything
    python3 scripts/difftest.py --only 'str*' -v     # some files, verbose
    python3 scripts/difftest.py --self-check         # reference vs reference
    python3 scripts/difftest.py --seed 42 --random-iterations 10000

The last line is "N passed, M failed"; the exit status is non-zero when
anything failed.
"""

import argparse
import fnmatch
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diffkit import casefile, randomized, runner, servers  # noqa: E402
from diffkit.casefile import Case  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_REPORTED_PER_RUN = 25
# A server that stops answering would cost the read timeout per case: after
# this many timeouts in one run of a file the rest of the file is skipped.
MAX_TIMEOUTS = 5


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    servers.add_binary_args(p)
    p.add_argument("--moon-arg", action="append", default=[], help="extra argument for moon (repeatable)")
    p.add_argument("--self-check", action="store_true", help="compare the reference with a second reference server")
    p.add_argument("--cases", default=os.path.join(ROOT, "tests", "diff"), help="case file directory")
    p.add_argument("--only", action="append", help="run only case files matching this glob (repeatable)")
    p.add_argument("--resp", choices=["2", "3", "both"], default="both", help="protocols to run")
    p.add_argument("--seed", type=int, help="seed of the random sequences (default: random, printed)")
    p.add_argument("--random-iterations", type=int, default=2000, help="random commands per protocol (0: none)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every case and both replies")
    return p.parse_args()


def case_files(args):
    names = sorted(n for n in os.listdir(args.cases) if n.endswith(".txt"))
    if args.only:
        names = [n for n in names if any(fnmatch.fnmatch(n, g) or fnmatch.fnmatch(n, g + ".txt") for g in args.only)]
    return names


def ensure_alive(srvs):
    """Restart any server that died; return the names of those that did."""
    dead = [s for s in srvs if not s.alive()]
    for s in dead:
        print("!! %s died; last log lines:\n%s" % (s.name, s.log_tail()))
        s.restart()
    return [s.name for s in dead]


def report_failure(case, reason, frames, srvs):
    print("  FAIL %s: %s  (%s)" % (case.where, case.text, reason))
    for s, f in zip(srvs, frames):
        print("    %-8s %s" % (s.name, runner.show(f.raw)))


def run_file(cases, proto, srvs, args, tally):
    sides = [runner.Side(s, proto) for s in srvs]
    runner.start_file(sides)
    passed = failed = 0
    for i, case in enumerate(cases):
        ok, reason, frames = runner.run_case(sides, case)
        if ok:
            passed += 1
            if args.verbose:
                print("  ok   %s: %s -> %s" % (case.where, case.text, runner.show(frames[0].raw, 200)))
        else:
            failed += 1
            if args.verbose or failed <= MAX_REPORTED_PER_RUN:
                report_failure(case, reason, frames, srvs)
        dead = ensure_alive(srvs)
        rest = len(cases) - i - 1
        if dead:
            print("  %s crashed after %s; %d remaining cases of this run counted as failed" % (", ".join(dead), case.where, rest))
            failed += rest
            break
        slow = [s.server.name for s in sides if s.timeouts > MAX_TIMEOUTS]
        if slow and rest:
            print("  %s stopped answering (%d timeouts) by %s; %d remaining cases of this run counted as failed" % (", ".join(slow), MAX_TIMEOUTS + 1, case.where, rest))
            failed += rest
            break
    for s in sides:
        s.close()
    if failed > MAX_REPORTED_PER_RUN and not args.verbose:
        print("  ... %d more failures (use --verbose)" % (failed - MAX_REPORTED_PER_RUN))
    tally.passed += passed
    tally.failed += failed
    return passed, failed


def run_random(seed, proto, srvs, args, tally):
    """One random sequence; stops at the first difference (everything after
    it would differ too) and prints the commands that led there."""
    sides = [runner.Side(s, proto) for s in srvs]
    runner.start_file(sides)
    seq = randomized.sequence(seed * 10 + proto, args.random_iterations)
    passed = failed = 0
    for i, (argv, directives) in enumerate(seq):
        case = Case("random(seed=%d,resp%d)" % (seed, proto), i + 1, _render(argv), argv, None, directives)
        ok, reason, frames = runner.run_case(sides, case)
        if args.verbose:
            print("  %s %s: %s -> %s" % ("ok  " if ok else "FAIL", case.where, case.text, runner.show(frames[0].raw, 200)))
        if ok:
            passed += 1
            continue
        failed += 1
        print("  FAIL at command %d of seed %d (resp%d): %s  (%s)" % (i + 1, seed, proto, case.text, reason))
        for s, f in zip(srvs, frames):
            print("    %-8s %s" % (s.name, runner.show(f.raw)))
        print("  preceding commands:")
        for prev, _ in seq[max(0, i - 15) : i]:
            print("    " + _render(prev))
        break
    ensure_alive(srvs)
    for s in sides:
        s.close()
    tally.passed += passed
    tally.failed += failed
    return passed, failed


def _render(argv):
    """A command as a case-file line (redis-cli quoting)."""
    out = []
    for a in argv:
        if a and all(33 <= c < 127 and c not in b"\"'\\" for c in a):
            out.append(a.decode())
        else:
            out.append('"' + "".join(chr(c) if 32 <= c < 127 and c not in b"\"\\" else "\\x%02x" % c for c in a) + '"')
    return " ".join(out)


def main():
    args = parse_args()
    protos = [2, 3] if args.resp == "both" else [int(args.resp)]
    names = case_files(args)
    if not names and args.only and not any(fnmatch.fnmatch("random", g) for g in args.only):
        print("no case file matches %s" % args.only)
        return 2
    try:
        parsed = [(name, casefile.parse_file(os.path.join(args.cases, name), name)) for name in names]
    except casefile.CaseFileError as e:
        print("case file error: %s" % e)
        return 2
    ref_bin = args.reference or servers.reference_binary()
    if args.self_check:
        srvs = [servers.reference_server(ref_bin, "redis-a"), servers.reference_server(ref_bin, "redis-b")]
    else:
        # Servers run in their own work directories: a relative path would
        # resolve there, not here.
        args.moon = os.path.abspath(args.moon)
        if not os.path.exists(args.moon):
            print("moon binary not found at %s (cargo build -p moon-server, or pass --moon)" % args.moon)
            return 2
        srvs = [servers.reference_server(ref_bin, "redis"), servers.moon_server(args.moon, args.moon_arg)]
    tally = Tally()
    started = time.monotonic()
    try:
        for s in srvs:
            s.start()
        print("servers: " + ", ".join("%s on port %d (pid %d)" % (s.name, s.port, s.proc.pid) for s in srvs))
        for name, cases in parsed:
            results = []
            for proto in protos:
                p, f = run_file(cases, proto, srvs, args, tally)
                results.append("resp%d: %d passed, %d failed" % (proto, p, f))
            print("%-16s %s" % (name, "   ".join(results)))
        if args.random_iterations > 0 and (not args.only or any(fnmatch.fnmatch("random", g) for g in args.only)):
            seed = args.seed if args.seed is not None else random.randrange(1 << 31)
            print("random sequences: seed %d, %d commands per protocol" % (seed, args.random_iterations))
            results = []
            for proto in protos:
                p, f = run_random(seed, proto, srvs, args, tally)
                results.append("resp%d: %d passed, %d failed" % (proto, p, f))
            print("%-16s %s   (seed %d; rerun with --seed %d)" % ("random", "   ".join(results), seed, seed))
    except RuntimeError as e:
        print("server error: %s" % e)
        tally.failed += 1
    finally:
        for s in srvs:
            s.stop()
    print("(%.1f s)" % (time.monotonic() - started))
    print("%d passed, %d failed" % (tally.passed, tally.failed))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
