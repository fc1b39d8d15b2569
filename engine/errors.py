"""Every error the project raises on purpose lives here.

Messages quote the offending value; ``Problem`` rows name file, row, column, value
and rule so a spreadsheet user can find and fix each one.  The API maps these
classes to HTTP status codes in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class LearnmapError(Exception):
    """Base class of all deliberate learnmap errors."""


@dataclass(frozen=True)
class Problem:
    """One broken rule in one cell of an input file.

    ``row`` counts as a spreadsheet user does: the header is row 1, the first data
    row is row 2.  ``row`` is 0 for problems about a whole file or column.
    """

    file: str
    row: int
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row else self.file
        col = f" [{self.column}]" if self.column else ""
        val = f" value {self.value!r}:" if self.value != "" else ":"
        return f"{where}{col}{val} {self.rule}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class ValidationError(LearnmapError):
    """A batch broke one or more rules; nothing was written.

    Attributes
    ----------
    problems : list of Problem, every problem found (not just the first).
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.row, p.column))
        n = len(self.problems)
        head = "\n".join(f"  {p}" for p in self.problems[:20])
        more = f"\n  … and {n - 20} more" if n > 20 else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the input:\n{head}{more}")


class InputFileError(LearnmapError):
    """A file could not be read at all (missing, unknown format, undecodable)."""


class PolicyError(LearnmapError):
    """A policy file is missing or malformed."""


class StoreError(LearnmapError):
    """The store could not be opened or written."""


class StoreBusyError(StoreError):
    """Another writer held the store's writer lock for longer than the timeout."""


class StoreAccessError(StoreError):
    """The store's place cannot be used (a read-only or missing directory): a setting
    to fix, not a passing fault (``learnmap`` exits 2, the API answers 503)."""


class NotFittedError(LearnmapError, ValueError):
    """A model was used before ``fit``."""


class NotFoundError(LearnmapError, LookupError):
    """An id asked for does not exist."""
