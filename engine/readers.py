"""Read raw tables from CSV, XLSX and Parquet into frames of trimmed strings.

Files are taken as office software and Chinese HR systems export them:

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
import re
import threading
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
from charset_normalizer import from_bytes

from engine.errors import InputFileError, Problem, ValidationError
from engine.schema import TABLES, resolve_table
from engine.synonyms import label_key, synonyms

log = logging.getLogger(__name__)

ROW = "_row"
DATA_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
_SAMPLE = 4 << 20  # bytes the encoding is decided on
_HEAD = 64 << 10  # bytes looked at for the delimiter and the header row
_HEADER_SCAN = 30  # rows looked at for the header
_DELIMITERS = (",", "\t", ";")
_MAX_REPORTED = 50  # undecodable rows listed per file
_FREE_TEXT = ("text", "opt_text")
_CJK = (
    "gb",
    "hz",
    "cp936",
    "cp949",
    "euckr",
    "eucjp",
    "shiftjis",
    "cp932",
    "iso2022",
    "johab",
    "big5",
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_NON_ASCII_TEXT = re.compile(r"[^\x00-\x7f]")
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


# ---- encoding ----------------------------------------------------------------------


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _sample(data: bytes) -> tuple[bytes, int]:
    """Up to 4 MB from the start of the line holding the first non-ASCII byte, and the
    offset just past it (the ASCII before it says nothing about the encoding)."""
    m = None if data.isascii() else _NON_ASCII.search(data)
    start = 0 if m is None else data.rfind(b"\n", 0, m.start()) + 1
    return data[start : start + _SAMPLE], min(len(data), start + _SAMPLE)


_bad_offsets = threading.local()


def _record_bad(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    _bad_offsets.found.append(exc.start)
    return "\ufffd", exc.end


codecs.register_error("learnmap-record", _record_bad)


def _mostly_utf8(sample: bytes) -> bool:
    """At least 10 valid UTF-8 characters per invalid byte (GBK text reaches about 0.2)."""
    _bad_offsets.found = []
    text = sample.decode("utf-8", errors="learnmap-record")
    bad, _bad_offsets.found = len(_bad_offsets.found), []
    good = len(_NON_ASCII_TEXT.findall(text)) - bad
    return good >= 10 * max(bad, 1)


def _detect(sample: bytes, name: str) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "gb2312"):
        return "gb18030"
    if _mostly_utf8(sample):
        return "utf-8"  # a UTF-8 file with a few bad bytes: those rows are reported
    best = from_bytes(sample).best()
    guess = best.encoding.lower().replace("_", "").replace("-", "") if best else ""
    if guess.startswith("big5") and _decodes(sample, "big5"):
        return "big5"
    if (not guess or guess.startswith(_CJK)) and _decodes(sample, "gb18030"):
        return "gb18030"
    if (not guess or guess.startswith(_CJK)) and len(_NON_ASCII.findall(sample)) * 2 < len(sample):
        return "utf-8"  # mostly ASCII, nothing fits: read as UTF-8 and list the bad rows
    if not guess or guess.startswith(_CJK):
        raise InputFileError(
            f"{name}: cannot tell the text encoding (not UTF-8, not GBK/GB18030); "
            "save the file as UTF-8 CSV"
        )
    return best.encoding  # type: ignore[union-attr]


def detect_encoding(path: Path) -> str:
    """Return the encoding of a text file.

    In order: a UTF-8 or UTF-16 BOM; then, on up to 4 MB starting at the line of the first
    non-ASCII byte (so a GBK file whose first Chinese character lies deep in the file is
    still seen as GBK): strict UTF-8; strict GB2312 (two high bytes per character —
    Western single-byte text almost never passes) read as GB18030, the superset that
    Chinese office software exports; otherwise charset-normalizer's guess, where any
    East-Asian double-byte guess (GBK, Korean, Japanese — short Chinese files are often
    mistaken for them) is read as GB18030 if it decodes, and Big5 as Big5.  When nothing
    fits and the text is mostly ASCII, UTF-8 — reading then lists the rows that are not valid
    UTF-8; otherwise an ``InputFileError``.
    """
    data = Path(path).read_bytes()
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _detect(data[:4], Path(path).name)
    return _detect(_sample(data)[0], Path(path).name)


def _undecodable_rows(data: bytes, enc: str, name: str) -> list[Problem]:
    """One problem per row holding bytes that are not valid ``enc`` text."""
    _bad_offsets.found = []
    data.decode(enc, errors="learnmap-record")
    offsets, _bad_offsets.found = _bad_offsets.found, []
    ascii_newlines = not enc.lower().startswith("utf-16")
    problems: list[Problem] = []
    seen: set[int] = set()
    for off in offsets:
        if ascii_newlines:
            row = data.count(b"\n", 0, off) + 1
        else:
            row = data[:off].decode(enc, errors="replace").count("\n") + 1
        if row in seen:
            continue
        seen.add(row)
        problems.append(
            Problem(
                name,
                row,
                "",
                repr(data[off : off + 4]),
                f"not valid {enc.upper()} text (the encoding this file was read in); "
                "save the file as UTF-8 or correct this row",
            )
        )
        if len(problems) >= _MAX_REPORTED:
            break
    return problems


def _file_encoding(data: bytes, name: str, notes: list[str]) -> str:
    """The encoding ``data`` is read in (see the module docstring); raises when some rows
    cannot be decoded in it."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc, seen_to = _detect(data[:4], name), len(data)
    else:
        sample, seen_to = _sample(data)
        enc = _detect(sample, name)
    try:
        data.decode(enc)
        return enc
    except UnicodeDecodeError as exc:
        if exc.start >= seen_to:  # the choice never saw these bytes: another may fit all
            for alt in ("gb18030", "utf-8"):
                if alt == enc:
                    continue
                try:
                    data.decode(alt)
                except UnicodeDecodeError:
                    continue
                row = data.count(b"\n", 0, exc.start) + 1
                note = f"{name}: not valid {enc} from row {row} on; read as {alt}"
                log.warning(note)
                notes.append(note)
                return alt
    raise ValidationError(_undecodable_rows(data, enc, name))


# ---- headers -----------------------------------------------------------------------


def _header_lookup(table: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in TABLES[table].columns:
        for alias in (col.name, *col.aliases):
            lookup.setdefault(label_key(alias), col.name)
    for key, col in synonyms().headers.get(table, {}).items():
        lookup.setdefault(key, col)
    return lookup


def _canonical(label: str, lookup: dict[str, str]) -> str | None:
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
    return len({c for c in (_canonical(x, lookup) for x in cells if x) if c is not None})


def _find_header(rows: Sequence[Sequence[str]], lookup: dict[str, str]) -> tuple[int, int]:
    """(index, score) of the row naming the most columns among the first rows; the first
    non-blank row (score 0) when none names any."""
    best, best_score = -1, 0
    for i, cells in enumerate(rows[:_HEADER_SCAN]):
        score = _header_score(cells, lookup)
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        best = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), 0)
    return best, best_score


def _skipped_note(source: str, rows: Sequence[Sequence[str]], header: int, row_no: int) -> str:
    """The warning for title/blank rows above the header (on spreadsheet row ``row_no``)."""
    title = next((c.strip() for r in rows[:header] for c in r if c and c.strip()), "")
    what = f", title {title!r}" if title else ", blank"
    n = row_no - 1
    return f"{source}: header found on row {row_no}; skipped {n} row{'s' if n != 1 else ''} above it{what}"


# ---- building a frame --------------------------------------------------------------


def _nfkc(s: pd.Series) -> pd.Series:
    mask = ~s.str.isascii()
    if not mask.any():
        return s
    s = s.copy()
    s[mask] = s[mask].map({v: unicodedata.normalize("NFKC", v) for v in pd.unique(s[mask])})
    return s


def _build(
    table: str,
    source: str,
    header: Sequence[str],
    data: pd.DataFrame,
    rows: np.ndarray,
) -> RawTable:
    """A RawTable from positional string columns ``data`` under ``header`` (which may be
    shorter than ``data`` is wide: cells beyond it must be empty)."""
    spec = TABLES[table]
    lookup = _header_lookup(table)
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
                            f"a cell beyond the last header column ({len(header)}): "
                            "quote values that contain the delimiter",
                        )
                    )
            elif filled.any():
                log.warning("%s: column %d has values but no header; ignored", source, i + 1)
            continue
        canon = _canonical(label, lookup)
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


# ---- CSV ---------------------------------------------------------------------------


def _head_records(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Records of the first lines and, for each, the number of lines read up to its end."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    records, ends = [], []
    try:
        for rec in reader:
            records.append(rec)
            ends.append(reader.line_num)
            if len(records) >= _HEADER_SCAN + 200:
                break
    except csv.Error:
        pass  # a malformed line in the sample: pandas reports it with context
    return records, ends


def _sniff(text: str, lookup: dict[str, str]) -> tuple[str, list[list[str]], list[int], int]:
    """(delimiter, head records, their line ends, header index): the delimiter under
    which some row reads as the header naming the most columns (ties: more cells)."""
    best: tuple[tuple[int, int, int], str, list[list[str]], list[int], int] | None = None
    for rank, delim in enumerate(_DELIMITERS):
        records, ends = _head_records(text, delim)
        idx, score = _find_header(records, lookup)
        width = len(records[idx]) if records else 0
        key = (score, width if score else _consistent_width(records), -rank)
        if best is None or key > best[0]:
            best = (key, delim, records, ends, idx)
    assert best is not None
    return best[1], best[2], best[3], best[4]


def _consistent_width(records: list[list[str]]) -> int:
    """How many cells most multi-cell rows have (0 if no row has more than one)."""
    widths = [len(r) for r in records if len(r) > 1]
    return max(set(widths), key=widths.count) if widths else 0


def _csv_width(text: str, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    try:
        return max((len(r) for r in reader), default=0)
    except csv.Error as exc:
        raise InputFileError(f"malformed CSV: {exc}") from exc


def _read_body(data: bytes, enc: str, delim: str, skip: int, width: int) -> pd.DataFrame:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delim,
            header=None,
            names=list(range(width)),
            skiprows=skip,
            index_col=False,
            dtype=str,
            keep_default_na=False,
            encoding=enc,
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
    enc = _file_encoding(data, path.name, notes)
    head = codecs.getincrementaldecoder(enc)(errors="replace").decode(
        data[:_HEAD], final=len(data) <= _HEAD
    )
    if len(data) > _HEAD:
        head = head[: head.rfind("\n") + 1]  # whole lines only
    if not head.strip():
        raise InputFileError(f"{path.name}: the file is empty (no header row)")
    lookup = _header_lookup(table)
    delim, records, ends, idx = _sniff(head, lookup)
    if not records:
        raise InputFileError(f"{path.name}: malformed CSV (no row could be read)")
    header = records[idx]
    skip = ends[idx]
    body = records[idx + 1 :]
    width = max([len(header), *(len(r) for r in body)])
    try:
        try:
            frame = _read_body(data, enc, delim, skip, width)
        except _TooWide:
            text = data.decode(enc)
            width = _csv_width(text, delim)
            frame = _read_body(data, enc, delim, skip, width)
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{path.name}: malformed CSV: {exc}") from exc
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=list(range(width)), dtype=str)
    except InputFileError as exc:
        raise InputFileError(f"{path.name}: {exc}") from exc
    first_data = skip + 1  # the spreadsheet row of the first line after the header
    if idx:
        note = _skipped_note(path.name, records, idx, ends[idx - 1] + 1)
        log.warning(note)
        notes.append(note)
    if delim != ",":
        log.info("%s: read as %r-delimited %s", path.name, delim, enc)
    log.debug("read %s as %s: %d rows", path.name, enc, len(frame))
    rows = np.arange(first_data, first_data + len(frame))
    raw = _build(table, path.name, header, frame, rows)
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
    return _build(table, path.name, header, strings, np.arange(2, 2 + len(frame)))


# ---- XLSX --------------------------------------------------------------------------


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return format(v, ".15g")
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")
    if isinstance(v, date | time):
        return v.isoformat()
    return str(v)


@dataclass
class _Sheet:
    name: str
    rows: list[tuple[object, ...]]
    missing: dict[tuple[int, int], str]  # (row, col) 1-based → formula without saved value


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _formulas_without_values(archive: zipfile.ZipFile, part: str) -> dict[tuple[int, int], str]:
    """Cells holding a formula but no saved value (``<f>`` with no or an empty ``<v>``,
    as programs that do not calculate write them; an empty *string* result is
    ``t="str"``)."""
    from openpyxl.utils.cell import coordinate_to_tuple

    with archive.open(part) as fh:
        raw = fh.read()
    if not re.search(rb"<(?:\w+:)?f[ >/]", raw):
        return {}
    out: dict[tuple[int, int], str] = {}
    for _, el in ElementTree.iterparse(io.BytesIO(raw)):
        if el.tag == f"{_SHEET_NS}c":
            f = el.find(f"{_SHEET_NS}f")
            v = el.find(f"{_SHEET_NS}v")
            saved = v is not None and (v.text or el.get("t") == "str")  # "" result: t="str"
            if f is not None and not saved and el.get("r"):
                out[coordinate_to_tuple(el.get("r"))] = "=" + (f.text or "")
            el.clear()
    return out


def _load_sheets(path: Path) -> tuple[list[_Sheet], object]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = []
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some exporters write a wrong <dimension>
            rows = list(ws.iter_rows(values_only=True))
            part = getattr(ws, "_worksheet_path", None)
            missing = _formulas_without_values(wb._archive, part) if part else {}  # type: ignore[attr-defined]
            sheets.append(_Sheet(ws.title, rows, missing))
        return sheets, wb.epoch
    finally:
        wb.close()


def _sheet_table(sheet: _Sheet, table: str, source: str, epoch: object) -> RawTable:
    from openpyxl.utils.cell import get_column_letter
    from openpyxl.utils.datetime import from_excel

    lookup = _header_lookup(table)
    texts = [[_cell_text(v) for v in r] for r in sheet.rows[:_HEADER_SCAN]]
    idx, _ = _find_header(texts, lookup) if texts else (0, 0)
    header = texts[idx] if texts else []
    body = sheet.rows[idx + 1 :]
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    kinds = {c.name: c.kind for c in TABLES[table].columns}
    date_cols = {
        i
        for i, h in enumerate(header)
        if (c := _canonical(h, lookup)) and kinds[c].removeprefix("opt_") == "date"
    }
    columns: list[list[str]] = [[] for _ in range(width)]
    for r in body:
        for i in range(width):
            v = r[i] if i < len(r) else None
            if i in date_cols and isinstance(v, int | float) and not isinstance(v, bool):
                try:
                    d = from_excel(v, epoch)
                except (ValueError, OverflowError, TypeError):
                    d = None
                if isinstance(d, datetime) and 1950 <= d.year <= 2099:
                    v = d
            columns[i].append(_cell_text(v))
    frame = pd.DataFrame({i: pd.Series(col, dtype=object) for i, col in enumerate(columns)})
    rows = np.arange(idx + 2, idx + 2 + len(body))
    raw = _build(table, source, header, frame, rows)
    if idx:
        note = _skipped_note(source, texts, idx, idx + 1)
        log.warning(note)
        raw.notes.append(note)
    for (r, c), formula in sorted(sheet.missing.items()):
        if r <= idx + 1 or c > len(header) or not header[c - 1]:
            continue
        col = _canonical(header[c - 1], lookup) or header[c - 1]
        raw.problems.append(
            Problem(
                source,
                r,
                col,
                formula,
                f"formula in cell {get_column_letter(c)}{r} has no saved value (the file was "
                "written by a program that does not calculate); open and save it in Excel "
                "or WPS, or paste values instead of formulas",
            )
        )
    return raw


def read_xlsx(path: Path, table: str | None) -> list[RawTable]:
    """Read a workbook: the sheet whose header fits ``table`` if the file names one, else
    one sheet per table (sheets named after tables)."""
    try:
        sheets, epoch = _load_sheets(path)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError/XML variants
        raise InputFileError(f"{path.name}: not a readable Excel workbook ({exc})") from exc
    if not sheets:
        raise InputFileError(f"{path.name}: the workbook has no sheets")
    if table is not None:
        lookup = _header_lookup(table)
        scores = [
            _find_header([[_cell_text(v) for v in r] for r in s.rows[:_HEADER_SCAN]], lookup)[1]
            for s in sheets
        ]
        pick = int(np.argmax(scores))
        if pick:
            skipped = ", ".join(repr(s.name) for s in sheets[:pick])
            log.warning(
                "%s: read sheet %r, whose header fits %s (skipped %s)",
                path.name,
                sheets[pick].name,
                table,
                skipped,
            )
        sheet = sheets[pick]
        return [_sheet_table(sheet, table, f"{path.name}!{sheet.name}", epoch)]
    out = []
    for sheet in sheets:
        t = resolve_table(str(sheet.name))
        if t is None:
            log.warning("%s: sheet %r is not a known table; skipped", path.name, sheet.name)
            continue
        out.append(_sheet_table(sheet, t, f"{path.name}!{sheet.name}", epoch))
    if not out:
        raise InputFileError(f"{path.name}: no sheet is named after a table ({', '.join(TABLES)})")
    return out


# ---- files and datasets ------------------------------------------------------------


def read_file(path: Path, table: str | None = None) -> list[RawTable]:
    """Read one file.  ``table`` overrides the table inferred from the file name."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
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
    raise InputFileError(f"{path.name}: unsupported file type {suffix!r} (csv, xlsx, parquet)")


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
