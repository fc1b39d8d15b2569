"""Tables as the console shows and exports them.

A ``Table`` holds raw values (a DataFrame) and, per column, how to show it (``kind``):
``text``, ``int``, ``num`` (1 decimal), ``num2``, ``pct`` (a share shown as %),
``date``, ``bool`` (是/否), or ``enum:<kind>`` (a code in words, ``enum:role``).  The
page and the export come from the same object, so a download is exactly the rows and
columns on screen under the same filters (every page of a paginated table).

Exports: ``format=csv`` (UTF-8 with BOM, which Excel and WPS open correctly; headers in
the page's language, values as shown) and ``format=xlsx`` (one sheet; row 1 the title,
row 2 the filters, then the header and the rows — the 学时统计 layout of Chinese
training offices: 单位, 姓名, 岗位, 应完成/已完成, 线上/线下, 是否合格).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd
from fastapi.responses import Response

from api.console.i18n import Lang

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    key: str
    title: str
    frame: pd.DataFrame
    columns: list[tuple[str, str]]  # (column, kind)
    links: dict[str, str] = field(default_factory=dict)  # column → URL pattern "{value}"
    total: int | None = None  # rows before paging (None: all shown)

    def cell(self, L: Lang, col: str, kind: str, value: object) -> str:
        return show(L, kind, value)


def show(L: Lang, kind: str, value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return "—" if kind != "text" else ""
    if kind.startswith("enum:"):
        return L.label(kind[5:], value)
    if kind == "int":
        return L.num(value, 0)
    if kind == "num":
        return L.num(value, 1)
    if kind == "num2":
        return L.num(value, 2)
    if kind == "pct":
        return L.pct(value)
    if kind == "date":
        return L.day(value)
    if kind == "bool":
        return L.t("yes") if bool(value) else L.t("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _export_value(L: Lang, kind: str, value: object) -> object:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if kind.startswith("enum:") or kind == "bool":
        return show(L, kind, value)
    if kind == "date":
        return str(value)[:10]
    if kind in ("int",):
        return int(value)  # type: ignore[arg-type]
    if kind in ("num", "num2", "pct"):
        return round(float(value), 4)  # type: ignore[arg-type]
    return str(value)


def rows_for_export(t: Table, L: Lang) -> tuple[list[str], list[list[object]]]:
    header = [L.col(c) for c, _ in t.columns]
    body = [
        [_export_value(L, kind, rec.get(c)) for c, kind in t.columns]
        for rec in t.frame.to_dict("records")
    ]
    return header, body


def export(t: Table, L: Lang, fmt: str, filters: str) -> Response:
    header, body = rows_for_export(t, L)
    name = f"{t.key}.{fmt}"
    disp = f"attachment; filename={name}; filename*=UTF-8''{quote(t.title + '.' + fmt)}"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(body)
        data = ("\ufeff" + buf.getvalue()).encode("utf-8")
        return Response(
            data, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disp}
        )
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = t.title[:31]
    ws.append([t.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([filters])
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in body:
        ws.append(row)
    for i, h in enumerate(header, start=1):
        width = max([len(str(h))] + [len(str(r[i - 1])) for r in body[:200]]) + 4
        ws.column_dimensions[ws.cell(3, i).column_letter].width = min(width * 1.3, 60)
    ws.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return Response(out.getvalue(), media_type=XLSX, headers={"Content-Disposition": disp})
