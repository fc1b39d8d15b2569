"""XLSX output people open in Excel or WPS: headers in their language, codes kept.

``write_workbook(sheets, path)`` writes one sheet per frame (and, optionally, PNG
charts on a sheet of their own).  Each table sheet goes through
``engine.labels.display_frame``: headers become 人员编号, 状态 …, every enumeration keeps
its codes in a column headed e.g. ``状态（代码）`` with the labels beside it, True/False
read 是/否.  The header row is bold and frozen, with an auto-filter; columns are as wide
as their text (a CJK character counts two); numbers carry formats — shares and
probabilities (``share_*``, ``p_*``, ``*_rate``, ``*_fraction``, ``*_coverage``) as
percentages, whole numbers with a thousands separator, other numbers with two decimals,
dates as real date cells shown ``yyyy-mm-dd``.

Choice: openpyxl (already the reader's dependency) in write mode; a few thousand rows
a second is enough for the exports people open by hand — a million-row status export
belongs in CSV or Parquet (Excel itself stops at 1,048,576 rows, which is refused with a
message naming the file).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import LearnmapError
from engine.labels import display_frame, get_lang

__all__ = ["MAX_ROWS", "sheet_title", "write_workbook"]

MAX_ROWS = 1_048_575  # Excel's last row, minus the header
PERCENT = re.compile(r"^(share_.*|p_.*|.*_rate|.*_fraction|.*_coverage|unqualified_share.*)$")
MAX_WIDTH = 60


def _width(value: object) -> int:
    s = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def sheet_title(name: str) -> str:
    """A valid, ≤ 31-character sheet title (Excel's limits: no ``[]:*?/\\``)."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"


def _cell(value: object) -> object:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, (list, tuple, dict)):
        return str(value)
    return value


def _number_format(source: str, values: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_datetime64_any_dtype(values):
        return "yyyy-mm-dd"
    if values.dtype == object:
        sample = values.dropna()
        if len(sample) and all(isinstance(v, (date, datetime)) for v in sample.head(50)):
            return "yyyy-mm-dd"
        return None
    if not pd.api.types.is_numeric_dtype(values):
        return None
    if PERCENT.match(source):
        return "0.0%"
    if pd.api.types.is_integer_dtype(values):
        return "#,##0"
    finite = values.dropna()
    if len(finite) and np.allclose(finite, np.round(finite)):
        return "#,##0"
    return _decimals(finite.to_numpy(float))


def _decimals(x: np.ndarray) -> str:
    """Two decimals for ordinary numbers; for small ones (a recommendation score of
    0.00001, a factor of 0.026) as many as show the typical value to three significant
    digits, up to six, else scientific — a column must never read as all 0.00."""
    nonzero = np.abs(x[np.isfinite(x) & (x != 0)])
    typical = float(np.median(nonzero)) if len(nonzero) else 1.0
    if typical >= 0.1:
        return "#,##0.00"
    places = 2 - int(np.floor(np.log10(typical)))
    return "0." + "0" * places if places <= 6 else "0.00E+00"


def _write_sheet(ws, frame: pd.DataFrame, sources: list[str]) -> None:  # noqa: ANN001
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append([str(c) for c in frame.columns])
    columns = [frame.iloc[:, j] for j in range(frame.shape[1])]
    for row in zip(*(c.tolist() for c in columns), strict=True) if columns else ():
        ws.append([_cell(v) for v in row])
    bold = Font(bold=True)
    for j, (head, values, src) in enumerate(zip(frame.columns, columns, sources, strict=True), 1):
        letter = get_column_letter(j)
        cell = ws.cell(row=1, column=j)
        cell.font = bold
        cell.alignment = Alignment(vertical="center", wrap_text=False)
        fmt = _number_format(src, values)
        if fmt:
            for (c,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                c.number_format = fmt
        sample = values.head(2000).astype(str).tolist()
        widest = max([_width(head)] + [_width(v) for v in sample]) if len(frame) else _width(head)
        if fmt == "yyyy-mm-dd":
            widest = max(widest if not len(frame) else 10, _width(head))
        ws.column_dimensions[letter].width = min(MAX_WIDTH, widest + 2)
    ws.freeze_panes = "A2"
    if frame.shape[1]:
        ws.auto_filter.ref = f"A1:{get_column_letter(frame.shape[1])}{max(1, len(frame) + 1)}"


def _sources(
    frame: pd.DataFrame, shown: pd.DataFrame, kinds: Mapping[str, str] | None
) -> list[str]:
    """The code column each shown column came from (for number formats)."""
    from engine.labels import ENUM_OF_COLUMN

    which = {**ENUM_OF_COLUMN, **(kinds or {})}
    out = []
    for name in frame.columns:
        out.append(str(name))
        if which.get(str(name)):
            out.append(str(name))
    return out


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    lang: str | None = None,
    kinds: Mapping[str, Mapping[str, str]] | None = None,
    images: Mapping[str, Path] | None = None,
    notes: Mapping[str, list[str]] | None = None,
    translate: bool = True,
) -> Path:
    """Write ``sheets`` (sheet title → frame of codes) as one XLSX at ``path``, atomically.

    ``kinds`` gives per-sheet enumeration kinds for ``display_frame``; ``images`` (title →
    PNG) are placed one below another on a sheet named ``图表``/``Charts``; ``notes``
    (sheet title → lines) are written above nothing else: a sheet of its own, first.
    ``translate=False`` writes the frames as they are (fill-in templates)."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image

    from engine.labels import text
    from engine.outputs import atomic_path

    lang = get_lang(lang)
    path = Path(path)
    for title, frame in sheets.items():
        if len(frame) > MAX_ROWS:
            raise LearnmapError(
                f"{path.name}: sheet {title!r} has {len(frame):,} rows, more than Excel's "
                f"{MAX_ROWS + 1:,}; write .csv or .parquet instead"
            )
    wb = Workbook()
    wb.remove(wb.active)
    for title, lines in (notes or {}).items():
        ws = wb.create_sheet(sheet_title(title))
        for line in lines:
            ws.append([line])
        ws.column_dimensions["A"].width = min(120, max([_width(x) for x in lines] + [10]) + 2)
    for title, frame in sheets.items():
        ws = wb.create_sheet(sheet_title(title))
        if translate:
            k = (kinds or {}).get(title)
            shown = display_frame(frame, lang, keep_codes=True, kinds=k)
            _write_sheet(ws, shown, _sources(frame, shown, k))
        else:
            _write_sheet(ws, frame, list(map(str, frame.columns)))
    if images:
        ws = wb.create_sheet(sheet_title(text("charts_sheet", lang)))
        row = 1
        for name, png in images.items():
            ws.cell(row=row, column=1, value=name).font = _bold()
            img = Image(str(png))
            ws.add_image(img, f"A{row + 1}")
            row += int(img.height / 20) + 3
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _bold():  # noqa: ANN202
    from openpyxl.styles import Font

    return Font(bold=True)
