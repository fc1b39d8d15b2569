"""Every error the project raises on purpose lives here.

Messages quote the offending value; ``Problem`` rows name file, row, column, value
and rule so a spreadsheet user can find and fix each one.  The API maps these
classes to HTTP status codes in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class Rule(str):
    """A broken rule's words.  The string itself is the English text — what logs, JSON
    answers, the API's 422 bodies and scripts read, unchanged — and it carries the
    catalogue key (``rule_<key>`` in ``engine/labels/*.toml``) and fields that say the
    same in the reader's language (``words``): an administrator whose file is refused
    reads the rule in Chinese.  Fields are codes, ids, numbers and column names, never
    sentences, so both languages show the same values."""

    key: str
    fields: dict[str, object]

    def __new__(cls, key: str, /, **fields: object) -> Rule:
        from engine.labels import text

        obj = super().__new__(cls, text(f"rule_{key}", "en", **fields))
        obj.key, obj.fields = key, fields
        return obj

    def __reduce__(self) -> tuple[object, ...]:  # copies and pickles keep the key
        return (_rule, (self.key, self.fields))

    def words(self, lang: str | None = None) -> str:
        """The rule in ``lang``.  Outside English, a list of enumeration codes (fields
        ``values`` and ``kind``) reads as the labels people may write instead, each
        with its code: 负责人（head）、…"""
        from engine.labels import get_lang, label, text

        fields = {k: rule_words(v, lang) for k, v in self.fields.items()}  # nested rules
        kind = fields.get("kind")
        if kind and get_lang(lang) != "en":
            codes = str(fields["values"]).split(", ")
            fields["values"] = "、".join(f"{label(str(kind), c, lang)}（{c}）" for c in codes)
        return text(f"rule_{self.key}", lang, **fields)


def _rule(key: str, fields: dict[str, object]) -> Rule:
    return Rule(key, **fields)


def rule_words(rule: object, lang: str | None = None) -> str:
    """``rule`` in the reader's language when it is a :class:`Rule`, else as written.
    An exception raised with a :class:`Rule` as its message (``LearnmapError(Rule(…))``)
    reads in the reader's language the same way: its ``str`` stays English for logs,
    the API and scripts; the command line shows ``rule_words(exc)``."""
    if isinstance(rule, BaseException) and len(rule.args) == 1:
        rule = rule.args[0]
    return rule.words(lang) if isinstance(rule, Rule) else str(rule)


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

    def line(self, lang: str | None = None) -> str:
        """The problem as a person reads it, in ``lang`` (default: ``LEARNMAP_LANG``):
        file and row, column, value and the rule's words (``__str__`` is English)."""
        from engine.labels import text

        where = text("problem_row", lang, file=self.file, row=self.row) if self.row else self.file
        col = f" [{self.column}]" if self.column else ""
        if self.column and "+" not in self.column:  # the header people filled in, too
            from engine.labels import column

            shown = column(self.column, lang)
            if shown != self.column:
                col = text("problem_column", lang, label=shown, column=self.column)
        val = text("problem_value", lang, value=repr(self.value)) if self.value != "" else ""
        return text("problem_line", lang, where=where + col + val, rule=rule_words(self.rule, lang))

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["rule"] = str(self.rule)
        return out


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
