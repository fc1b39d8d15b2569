"""Share of surviving mutants per module from ``mutmut results --all true`` output.

A mutant "survives" when the selected tests pass with it (``survived``) or no selected
test runs its code (``no tests``); killed, timeout and caught-by-type-check count as
killed; ``not checked`` / ``skipped`` mutants are left out of the share.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections import Counter, defaultdict

KILLED = {"killed", "timeout", "caught by type check", "segfault", "suspicious"}
SURVIVED = {"survived", "no tests"}


def main(path: str, sample: str = "*") -> None:
    counts: dict[str, Counter] = defaultdict(Counter)
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*((\S+?)\.x[_ǁ]\S*): (.+)$", line)
        if m and fnmatch.fnmatch(m.group(1), sample):
            counts[m.group(2)][m.group(3).strip()] += 1
    total = Counter()
    head = ("module", "mutants", "killed", "survived", "no tests", "share")
    sys.stdout.write("{:28} {:>8} {:>7} {:>9} {:>9} {:>7}\n".format(*head))
    for module in sorted(counts):
        c = counts[module]
        total.update(c)
        _row(module, c)
    _row("all", total)


def _row(name: str, c: Counter) -> None:
    killed = sum(c[k] for k in KILLED)
    alive = sum(c[k] for k in SURVIVED)
    n = killed + alive
    share = f"{100 * alive / n:.1f}%" if n else "-"
    sys.stdout.write(
        f"{name:28} {n:>8} {killed:>7} {c['survived']:>9} {c['no tests']:>9} {share:>7}\n"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
