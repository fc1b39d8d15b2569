"""Read raw tables from CSV, XLSX and Parquet into frames of trimmed strings.

Files are taken as office software and Chinese HR systems export them (encodings in
``engine.charset``, headers and values in ``engine.rawtable``, workbooks in
``engine.xlsx``; this module reads CSV and Parquet and whole datasets):

* **Encoding** (CSV): a BOM (UTF-8, UTF-16), else decided on up to 4 MB starting at the
  line of the first non-ASCII byte, wherever it lies (see ``detect_encoding``).  If the
  whole file then fails to decode *beyond* those bytes and GB18030 (or UTF-8) decodes all
  of it, that is used, with a warning; otherwise every undecodable row is reported
  (``ValidationError``, one problem per row, spreadsheet row numbers).
* **Delimiter** (CSV): comma, tab or semicolon — whichever makes a row read as this
  table's header (values may contain the other two).
* **Header row**: title and blank rows above the header (``2025年度从业人员名册``, a merged
  title cell) are skipped — the header is the row, among the first 30, whose cells name
  the most columns of the table — and a warning names the file and the rows skipped.
* **Headers** match ``engine.schema`` after NFKC normalisation, ignoring case, whitespace,
  ``*`` / ``※`` form markers and a trailing note in brackets (``*人员编号``, ``岗位（必填）``);
  more headers come from ``LEARNMAP_SYNONYMS`` files (``engine.synonyms``).
* **Values** of every schema column except free text (``text`` / ``opt_text``: names,
  titles, regions) are NFKC-normalised, so full-width digits, letters and spaces
  (``２０２５``, ``Ｓ１``) read as their ASCII forms; all cells are trimmed.
* **Trailing delimiters** / empty trailing columns are ignored; a cell beyond the last
  header column that holds a value is an error naming its row (an unquoted delimiter).
* **XLSX**: numbers as Excel shows them (``10001``, not ``10001.0``); date cells as ISO
  dates (a time of day is dropped later); numbers in date columns (General-format cells
  holding serial day numbers) as the dates they count, in the workbook's date system.
  A formula cell without a saved value is an error that says so.  When the file names
  the table (``staff.xlsx``), the sheet whose header fits the table is read, so an
  instructions sheet (填表说明) in front does not matter; otherwise sheets are matched to
  tables by name.

Every frame carries a ``_row`` column: the row number a spreadsheet shows for that line
(the header is row 1 unless title rows precede it), so validation errors point at the
right line even after blank and title rows are dropped.  Problems found while reading
(encoding, stray cells, formulas) of every file are raised together by ``read_dataset``
as one ``ValidationError``; typing happens later, in ``engine.validate``.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.charset import detect_encoding, file_encoding
from engine.errors import InputFileError, Problem, Rule, ValidationError
from engine.rawtable import (
    HEADER_SCAN,
    ROW,
    RawTable,
    build,
    find_header,
    header_lookup,
    skipped_note,
)
from engine.schema import TABLES, resolve_table
from engine.xlsx import read_xlsx

__all__ = ["ROW", "RawTable", "detect_encoding", "read_csv", "read_dataset", "read_file"]

log = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
_HEAD = 64 << 10  # bytes looked at for the delimiter and the header row
_DELIMITERS = (",", "\t", ";")


# ---- CSV ---------------------------------------------------------------------------


class _Lines:
    """Lines of ``text`` (any of \\n, \\r\\n, \\r ends them), counting the characters handed out,
    so the offset where the rows after the header start is known exactly."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")
        self.chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.chars += len(line)
        return line


def _head_records(text: str, delimiter: str) -> tuple[list[list[str]], list[int], list[int]]:
    """Records of the first lines and, for each, the lines and the characters read up to
    its end."""
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    records, ends, chars = [], [], []
    try:
        for rec in reader:
            records.append(rec)
            ends.append(reader.line_num)
            chars.append(lines.chars)
            if len(records) >= HEADER_SCAN + 200:
                break
    except csv.Error:
        pass  # a malformed line in the sample: pandas reports it with context
    return records, ends, chars


@dataclass
class _Head:
    delimiter: str
    records: list[list[str]]
    line_ends: list[int]  # lines read up to the end of each record
    char_ends: list[int]  # characters read up to the end of each record
    header: int  # index of the header record


def _sniff(text: str, lookup: dict[str, str]) -> _Head:
    """The delimiter under which some row reads as the header naming the most columns
    (ties: more cells), with the records of ``text`` under it."""
    best: tuple[tuple[int, int, int], _Head] | None = None
    for rank, delim in enumerate(_DELIMITERS):
        records, ends, chars = _head_records(text, delim)
        idx, score = find_header(records, lookup)
        width = len(records[idx]) if records else 0
        key = (score, width if score else _consistent_width(records), -rank)
        if best is None or key > best[0]:
            best = (key, _Head(delim, records, ends, chars, idx))
    assert best is not None
    return best[1]


def _consistent_width(records: list[list[str]]) -> int:
    """How many cells most multi-cell rows have (0 if no row has more than one)."""
    widths = [len(r) for r in records if len(r) > 1]
    return max(set(widths), key=widths.count) if widths else 0


def _csv_width(text: str, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    try:
        return max((len(r) for r in reader), default=0)
    except csv.Error as exc:
        raise InputFileError(f"malformed CSV: {exc}") from exc


def _body_encoding(data: bytes, enc: str) -> str:
    """The codec for the bytes after the header (no BOM there)."""
    if enc == "utf-8-sig":
        return "utf-8"
    if enc == "utf-16":
        return "utf-16-be" if data.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
    return enc


def _read_body(data: bytes, enc: str, delim: str, offset: int, width: int) -> pd.DataFrame:
    """The rows from byte ``offset`` on, as ``width`` string columns named 0, 1, …"""
    fh = io.BytesIO(data)
    fh.seek(offset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        frame = pd.read_csv(
            fh,
            sep=delim,
            header=None,
            names=list(range(width)),
            index_col=False,
            dtype=str,
            keep_default_na=False,
            encoding=_body_encoding(data, enc),
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        raise _TooWide
    return frame


class _TooWide(Exception):
    """Some row has more cells than the columns asked for."""


def read_csv(path: Path, table: str) -> RawTable:
    data = path.read_bytes()
    notes: list[str] = []
    enc = file_encoding(data, path.name, notes)
    head = codecs.getincrementaldecoder(enc)(errors="replace").decode(
        data[:_HEAD], final=len(data) <= _HEAD
    )
    if len(data) > _HEAD:
        head = head[: max(head.rfind("\n"), head.rfind("\r")) + 1]  # whole lines only
    if not head.strip():
        raise InputFileError(f"{path.name}: the file is empty (no header row)")
    lookup = header_lookup(table)
    sniffed = _sniff(head, lookup)
    delim, records, ends, idx = (
        sniffed.delimiter,
        sniffed.records,
        sniffed.line_ends,
        sniffed.header,
    )
    if not records:
        raise InputFileError(f"{path.name}: malformed CSV (no row could be read)")
    header = records[idx]
    skip = ends[idx]  # lines up to the end of the header
    offset = len(codecs.getincrementalencoder(enc)().encode(head[: sniffed.char_ends[idx]]))
    body = records[idx + 1 :]
    width = max([len(header), *(len(r) for r in body)])
    try:
        try:
            frame = _read_body(data, enc, delim, offset, width)
        except _TooWide:
            text = data.decode(enc)
            width = _csv_width(text, delim)
            frame = _read_body(data, enc, delim, offset, width)
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{path.name}: malformed CSV: {exc}") from exc
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=list(range(width)), dtype=str)
    except InputFileError as exc:
        raise InputFileError(f"{path.name}: {exc}") from exc
    first_data = skip + 1  # the spreadsheet row of the first line after the header
    if idx:
        note = skipped_note(path.name, records, idx, ends[idx - 1] + 1)
        log.warning(note)
        notes.append(note)
    if delim != ",":
        log.info("%s: read as %r-delimited %s", path.name, delim, enc)
    log.debug("read %s as %s: %d rows", path.name, enc, len(frame))
    rows = np.arange(first_data, first_data + len(frame))
    raw = build(table, path.name, header, frame, rows)
    raw.notes = notes
    return raw


# ---- Parquet -----------------------------------------------------------------------


def _to_strings(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_bool_dtype(s):
            out[c] = s.map({True: "true", False: "false"}).fillna("")
        else:
            out[c] = s.astype(object).where(s.notna(), "").astype(str)
    return out


def read_parquet(path: Path, table: str) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise InputFileError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    header = [str(c) for c in frame.columns]
    strings = _to_strings(frame)
    strings.columns = list(range(len(header)))
    return build(table, path.name, header, strings, np.arange(2, 2 + len(frame)))


# ---- files and datasets ------------------------------------------------------------


def read_file(path: Path, table: str | None = None) -> list[RawTable]:
    """Read one file.  ``table`` overrides the table inferred from the file name."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(Rule("no_such_file", path=path))
    suffix = path.suffix.lower()
    if table is not None and table not in TABLES:
        raise InputFileError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    inferred = table or resolve_table(path.stem)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, inferred)
    if inferred is None:
        raise InputFileError(
            f"{path.name}: cannot tell which table this is; name it <table>{suffix} "
            f"({', '.join(TABLES)}) or pass --table"
        )
    if suffix in (".csv", ".txt"):
        return [read_csv(path, inferred)]
    if suffix in (".parquet", ".pq"):
        return [read_parquet(path, inferred)]
    raise InputFileError(Rule("unsupported_input", name=path.name, suffix=repr(suffix)))


def read_dataset(path: Path, table: str | None = None) -> dict[str, RawTable]:
    """Read a dataset directory (``<table>.csv|xlsx|parquet`` files) or a single file.

    Raises ``ValidationError`` with the problems of every file that could be read only
    in part (undecodable rows, stray cells, formulas without values), ``InputFileError``
    for a file that cannot be read at all."""
    path = Path(path)
    problems: list[Problem] = []
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in DATA_SUFFIXES)
        if not files:
            raise InputFileError(f"{path}: no .csv, .xlsx or .parquet files in this directory")
        raws = []
        for f in files:
            if f.suffix.lower() in (".xlsx", ".xlsm") or resolve_table(f.stem):
                try:
                    raws.extend(read_file(f))
                except ValidationError as exc:
                    problems.extend(exc.problems)
            else:
                log.warning("%s: not named after a table; skipped", f.name)
        if table is not None:
            raws = [r for r in raws if r.table == table]
    else:
        raws = read_file(path, table)
    out: dict[str, RawTable] = {}
    for raw in raws:
        problems.extend(raw.problems)
        if raw.table in out:
            raise InputFileError(
                f"table {raw.table!r} given twice: {out[raw.table].source} and {raw.source}"
            )
        out[raw.table] = raw
    if problems:
        raise ValidationError(problems)
    return out
