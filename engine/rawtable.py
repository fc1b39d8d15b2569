"""The raw table every reader produces, and what all readers share: finding the header
row, mapping header cells to schema columns, normalising values.

Headers match ``engine.schema`` after NFKC normalisation, ignoring case, whitespace,
``*`` / ``※`` form markers and a trailing note in brackets (``*人员编号``, ``岗位（必填）``,
``入职日期(yyyy-mm-dd)``); more headers come from ``LEARNMAP_SYNONYMS`` files
(``engine.synonyms``).  The header is the row, among the first 30, whose cells name the
most columns of the table.  Values of every schema column except free text (``text`` /
``opt_text``: names, titles, regions) are NFKC-normalised; all cells are trimmed.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import Problem, Rule
from engine.schema import TABLES
from engine.synonyms import label_key, synonyms

log = logging.getLogger("engine.readers")

ROW = "_row"
HEADER_SCAN = 30  # rows looked at for the header
_MAX_REPORTED = 50  # stray cells listed per column
_FREE_TEXT = ("text", "opt_text")
_NOTE = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")  # a trailing note: (必填), 【选填】
_MARKS = "*※★☆"


@dataclass
class RawTable:
    """A table as read from one file or sheet: all cells as trimmed strings.

    ``notes`` are what the reader did that a user should know (rows skipped, encoding
    fallback); ``problems`` are cells it could not read at all.
    """

    table: str
    source: str  # file name (and sheet) shown in error messages
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def header_lookup(table: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in TABLES[table].columns:
        for alias in (col.name, *col.aliases):
            lookup.setdefault(label_key(alias), col.name)
    for key, col in synonyms().headers.get(table, {}).items():
        lookup.setdefault(key, col)
    return lookup


def canonical(label: str, lookup: dict[str, str]) -> str | None:
    """The schema column a header cell names, or None."""
    key = label_key(label.replace("\ufeff", "")).strip(_MARKS)
    while key:
        if key in lookup:
            return lookup[key]
        stripped = _NOTE.sub("", key).strip(_MARKS)
        if stripped == key:
            return None
        key = stripped
    return None


def _header_score(cells: Sequence[str], lookup: dict[str, str]) -> int:
    return len({c for c in (canonical(x, lookup) for x in cells if x) if c is not None})


def find_header(rows: Sequence[Sequence[str]], lookup: dict[str, str]) -> tuple[int, int]:
    """(index, score) of the row naming the most columns among the first rows; the first
    non-blank row (score 0) when none names any."""
    best, best_score = -1, 0
    for i, cells in enumerate(rows[:HEADER_SCAN]):
        score = _header_score(cells, lookup)
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        best = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), 0)
    return best, best_score


def skipped_note(source: str, rows: Sequence[Sequence[str]], header: int, row_no: int) -> str:
    """The warning for title/blank rows above the header (on spreadsheet row ``row_no``)."""
    title = next((c.strip() for r in rows[:header] for c in r if c and c.strip()), "")
    what = f", title {title!r}" if title else ", blank"
    n = row_no - 1
    return f"{source}: header found on row {row_no}; skipped {n} row{'s' if n != 1 else ''} above it{what}"


def _nfkc(s: pd.Series) -> pd.Series:
    mask = ~s.str.isascii()
    if not mask.any():
        return s
    s = s.copy()
    s[mask] = s[mask].map({v: unicodedata.normalize("NFKC", v) for v in pd.unique(s[mask])})
    return s


def build(
    table: str,
    source: str,
    header: Sequence[str],
    data: pd.DataFrame,
    rows: np.ndarray,
) -> RawTable:
    """A RawTable from positional string columns ``data`` under ``header`` (which may be
    shorter than ``data`` is wide: cells beyond it must be empty)."""
    spec = TABLES[table]
    lookup = header_lookup(table)
    kinds = {c.name: c.kind for c in spec.columns}
    out: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for i, pos in enumerate(data.columns):
        s = data[pos].fillna("").astype(str).str.strip()
        label = header[i].replace("\ufeff", "").strip() if i < len(header) else ""
        if not label:
            filled = s != ""
            if i >= len(header) and filled.any():
                for row, val in zip(
                    rows[filled.to_numpy()][:_MAX_REPORTED], s[filled], strict=False
                ):
                    problems.append(
                        Problem(
                            source,
                            int(row),
                            "",
                            val,
                            Rule("beyond_header", n=len(header)),
                        )
                    )
            elif filled.any():
                log.warning("%s: column %d has values but no header; ignored", source, i + 1)
            continue
        canon = canonical(label, lookup)
        name = canon if canon is not None and canon not in out else label
        while name in out:
            name += "'"
        if canon is not None and name == canon and kinds[canon] not in _FREE_TEXT:
            s = _nfkc(s).str.strip()
        out[name] = s
    frame = pd.DataFrame(out, index=data.index)
    frame[ROW] = rows
    if len(out):
        blank = (frame.drop(columns=ROW) == "").all(axis=1)
        frame = frame.loc[~blank]
    return RawTable(table, source, frame.reset_index(drop=True), problems=problems)
