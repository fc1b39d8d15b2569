"""XLSX workbooks through openpyxl (read-only, saved values).

Numbers as Excel shows them (``10001``, not ``10001.0``); date cells as ISO dates (a time
of day is dropped later); numbers in date columns (General-format cells holding serial
day numbers) as the dates they count, in the workbook's date system.  A formula cell
without a saved value is a ``Problem`` that says so.  When the file names the table
(``staff.xlsx``), the sheet whose header fits the table is read, so an instructions sheet
(填表说明) in front does not matter; otherwise sheets are matched to tables by name.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from engine.errors import InputFileError, Problem, Rule
from engine.rawtable import (
    HEADER_SCAN,
    RawTable,
    build,
    canonical,
    find_header,
    header_lookup,
    skipped_note,
)
from engine.schema import TABLES, resolve_table

log = logging.getLogger("engine.readers")


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

    lookup = header_lookup(table)
    texts = [[_cell_text(v) for v in r] for r in sheet.rows[:HEADER_SCAN]]
    idx, _ = find_header(texts, lookup) if texts else (0, 0)
    header = texts[idx] if texts else []
    body = sheet.rows[idx + 1 :]
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    kinds = {c.name: c.kind for c in TABLES[table].columns}
    date_cols = {
        i
        for i, h in enumerate(header)
        if (c := canonical(h, lookup)) and kinds[c].removeprefix("opt_") == "date"
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
    raw = build(table, source, header, frame, rows)
    if idx:
        note = skipped_note(source, texts, idx, idx + 1)
        log.warning(note)
        raw.notes.append(note)
    for (r, c), formula in sorted(sheet.missing.items()):
        if r <= idx + 1 or c > len(header) or not header[c - 1]:
            continue
        col = canonical(header[c - 1], lookup) or header[c - 1]
        raw.problems.append(
            Problem(
                source,
                r,
                col,
                formula,
                Rule("formula", cell=f"{get_column_letter(c)}{r}"),
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
        lookup = header_lookup(table)
        scores = [
            find_header([[_cell_text(v) for v in r] for r in s.rows[:HEADER_SCAN]], lookup)[1]
            for s in sheets
        ]
        pick = int(np.argmax(scores))
        if pick:
            skipped = ", ".join(repr(s.name) for s in sheets[:pick])
            log.info(  # an instructions sheet first is how templates are made: not a warning
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
    if not out:  # sheets named otherwise (Sheet1, 2025年): the table whose header fits
        for sheet in sheets:
            t = _fitting_table([[_cell_text(v) for v in r] for r in sheet.rows[:HEADER_SCAN]])
            if t is not None:
                log.warning("%s: sheet %r read as %s (its header fits)", path.name, sheet.name, t)
                out.append(_sheet_table(sheet, t, f"{path.name}!{sheet.name}", epoch))
    if not out:
        raise InputFileError(
            f"{path.name}: no sheet is named after a table ({', '.join(TABLES)}) and no "
            "sheet's header holds every required column of one; name the file or the sheet "
            "after its table (staff.xlsx, 人员名册.xlsx)"
        )
    return out


def _fitting_table(rows: list[list[str]]) -> str | None:
    """The table whose required columns one of the first rows names, all of them (the one
    naming most columns if several do), or None."""
    best, best_score = None, 0
    for name, table in TABLES.items():
        lookup = header_lookup(name)
        need = set(table.required_names)
        for cells in rows:
            named = {canonical(x, lookup) for x in cells if x} - {None}
            if need <= named and len(named) > best_score:
                best, best_score = name, len(named)
    return best
