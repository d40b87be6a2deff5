"""Pass/fail counting for the compat scripts: one line per check."""


class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=""):
        """Print and count one check; returns `ok`."""
        if ok:
            self.passed += 1
            print("  ok   %s" % what, flush=True)
        else:
            self.failed += 1
            print("  FAIL %s%s" % (what, ("\n       " + detail.replace("\n", "\n       ")) if detail else ""), flush=True)
        return ok
