"""Read raw tables from CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 — detected), XLSX
(first sheet, or one sheet per table) and Parquet into frames of trimmed strings.

Every frame returned carries a ``_row`` column: the row number as a spreadsheet
user counts it (header = row 1), so validation errors point at the right line even
after blank rows are dropped.  Typing happens later, in ``engine.validate``.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from charset_normalizer import from_bytes

from engine.errors import InputFileError
from engine.schema import TABLES, resolve_table

log = logging.getLogger(__name__)

ROW = "_row"
DATA_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
_SAMPLE = 4 << 20  # bytes looked at to detect a CSV's encoding
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


@dataclass
class RawTable:
    """A table as read from one file or sheet: all cells as trimmed strings."""

    table: str
    source: str  # file name (and sheet) shown in error messages
    frame: pd.DataFrame


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """Return the encoding of a text file (looking at its first 4 MB).

    In order: a UTF-8 BOM; strict UTF-8; strict GB2312 (two high bytes per character —
    Western single-byte text almost never passes) read as GB18030, the superset that
    Chinese office software exports; otherwise charset-normalizer's guess, where any
    East-Asian double-byte guess (GBK, Korean, Japanese — short Chinese files are often
    mistaken for them) is read as GB18030 if it decodes, and Big5 as Big5.
    """
    with open(path, "rb") as fh:
        sample = fh.read(_SAMPLE)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "gb2312"):
        return "gb18030"
    best = from_bytes(sample).best()
    guess = best.encoding.lower().replace("_", "").replace("-", "") if best else ""
    if guess.startswith("big5") and _decodes(sample, "big5"):
        return "big5"
    if (not guess or guess.startswith(_CJK)) and _decodes(sample, "gb18030"):
        return "gb18030"
    if not guess or guess.startswith(_CJK):
        raise InputFileError(
            f"{path.name}: cannot tell the text encoding (not UTF-8, not GBK/GB18030); "
            "save the file as UTF-8 CSV"
        )
    return best.encoding  # type: ignore[union-attr]


def _normalize(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Map headers (English or Chinese) to canonical names, trim cells, drop blank rows."""
    spec = TABLES[table]
    lookup: dict[str, str] = {}
    for col in spec.columns:
        for alias in (col.name, *col.aliases):
            lookup.setdefault(alias.lower(), col.name)
    renamed: dict[str, str] = {}
    for raw in frame.columns:
        label = str(raw).replace("\ufeff", "").strip()
        canon = lookup.get(label.lower(), label)
        if canon in renamed.values():
            canon = label  # keep a second alias of the same column as an extra column
        renamed[raw] = canon
    frame = frame.rename(columns=renamed)
    frame = frame.loc[:, [c for c in frame.columns if not str(c).startswith("Unnamed:")]]
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        out[c] = frame[c].fillna("").astype(str).str.strip()
    out[ROW] = frame.index.to_numpy() + 2
    blank = (out.drop(columns=ROW) == "").all(axis=1) if len(out.columns) > 1 else None
    if blank is not None and blank.any():
        out = out.loc[~blank]
    return out.reset_index(drop=True)


def read_csv(path: Path, table: str) -> RawTable:
    enc = detect_encoding(path)
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=enc,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path.name}: not valid {enc} text ({exc.reason})") from exc
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{path.name}: malformed CSV: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{path.name}: the file is empty (no header row)") from exc
    log.debug("read %s as %s: %d rows", path.name, enc, len(frame))
    return RawTable(table, path.name, _normalize(frame, table))


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
    return RawTable(table, path.name, _normalize(_to_strings(frame), table))


def read_xlsx(path: Path, table: str | None) -> list[RawTable]:
    """Read a workbook: its first sheet if the file names a table, else a sheet per table."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError variants
        raise InputFileError(f"{path.name}: not a readable Excel workbook ({exc})") from exc
    if table is not None:
        name, frame = next(iter(sheets.items()))
        return [RawTable(table, f"{path.name}!{name}", _normalize(_to_strings(frame), table))]
    out = []
    for name, frame in sheets.items():
        t = resolve_table(str(name))
        if t is None:
            log.warning("%s: sheet %r is not a known table; skipped", path.name, name)
            continue
        out.append(RawTable(t, f"{path.name}!{name}", _normalize(_to_strings(frame), t)))
    if not out:
        raise InputFileError(f"{path.name}: no sheet is named after a table ({', '.join(TABLES)})")
    return out


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
    """Read a dataset directory (``<table>.csv|xlsx|parquet`` files) or a single file."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in DATA_SUFFIXES)
        if not files:
            raise InputFileError(f"{path}: no .csv, .xlsx or .parquet files in this directory")
        raws = []
        for f in files:
            if f.suffix.lower() in (".xlsx", ".xlsm") or resolve_table(f.stem):
                raws.extend(read_file(f))
            else:
                log.warning("%s: not named after a table; skipped", f.name)
        if table is not None:
            raws = [r for r in raws if r.table == table]
    else:
        raws = read_file(path, table)
    out: dict[str, RawTable] = {}
    for raw in raws:
        if raw.table in out:
            raise InputFileError(
                f"table {raw.table!r} given twice: {out[raw.table].source} and {raw.source}"
            )
        out[raw.table] = raw
    return out
