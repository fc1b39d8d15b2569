"""Fill-in templates (填报模板): one XLSX per table that ``learnmap ingest`` reads back.

``write_templates(folder)`` writes ``<table>.xlsx`` for each canonical table (the file
name says the table, so ingest reads the sheet whose header fits it).  Each workbook has

- a sheet ``填表说明`` (instructions) first: what the table is, then one line per column
  with its header, whether it is required, what to write and the allowed values;
- the data sheet, named after the table as people call it (人员名册, 课程 …), whose
  first row is the header in Chinese — the first Chinese header ``engine.schema`` accepts
  for the column, required ones marked ``*`` (``*人员编号``, read as ``人员编号``) —
  frozen, bold, with widths; enumerated columns carry a drop-down of their labels
  (``engine.labels``; each label is one ingest accepts, a test checks it), true/false
  columns a 是/否 drop-down; a role cell may also hold several roles (负责人|监事), so
  its drop-down warns instead of refusing; date columns are formatted ``yyyy-mm-dd``.

Ingest reads a filled template as it reads any workbook (``engine.xlsx``): the header,
the labels and the dates come back as the canonical values.
"""

from __future__ import annotations

from pathlib import Path

from engine.labels import get_lang, label, text
from engine.outputs import atomic_path
from engine.schema import TABLE_ORDER, TABLES, Column

#: Rows given drop-downs and formats (a template is filled by hand).
ROWS = 2000
ENUM_KIND = {"status": "participation_status", "kind": "outcome_kind"}
_KIND_HELP = {
    "id": "编号，不可重复",
    "text": "文字",
    "opt_text": "文字，可空",
    "ref": "须为已有的编号",
    "opt_ref": "已有的编号，可空",
    "refs": "已有的编号，多个用 | 分隔，可空",
    "enum": "从下拉列表选择",
    "opt_enum": "从下拉列表选择，可空",
    "enums": "从下拉列表选择；多个用 | 分隔",
    "date": "日期，如 2025-01-05",
    "opt_date": "日期，如 2025-01-05，可空",
    "bool": "是 / 否",
    "float": "数字",
    "opt_float": "数字，可空",
    "int": "整数",
    "opt_int": "整数，可空",
}


def header(col: Column) -> str:
    """The header a template shows for ``col``: its first Chinese alias (``*`` = required)."""
    zh = next((a for a in col.aliases if not a.isascii()), col.name)
    return ("*" if not col.optional_value else "") + zh


def _choices(table: str, col: Column, lang: str) -> list[str]:
    if col.kind == "bool":
        return [label("bool", "true", lang), label("bool", "false", lang)]
    if not col.enum:
        return []
    kind = ENUM_KIND.get(col.name, col.name)
    return [label(kind, code, lang) for code in col.enum]


def _instructions(ws, table: str, lang: str) -> None:  # noqa: ANN001
    from openpyxl.styles import Font

    t = TABLES[table]
    ws.append([f"{label('table', table, lang)}（{table}）{text('template_instructions', lang)}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([text("template_header_row", lang)])
    ws.append(["带 * 的列必填；日期写作 2025-01-05（也可用 2025/1/5、2025年1月5日）。"])
    ws.append([])
    ws.append(["表头", "列名", "是否必填", "填写说明", "可选值"])
    for c in ws[5]:
        c.font = Font(bold=True)
    for col in t.columns:
        need = text("template_optional" if col.optional_value else "template_required", lang)
        ws.append(
            [
                header(col).lstrip("*"),
                col.name,
                need,
                _KIND_HELP.get(col.kind, col.kind),
                "、".join(_choices(table, col, lang)),
            ]
        )
    for letter, width in zip("ABCDE", (16, 18, 10, 34, 60), strict=True):
        ws.column_dimensions[letter].width = width


def _data_sheet(ws, table: str, lang: str) -> None:  # noqa: ANN001
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    cols = TABLES[table].columns
    ws.append([header(c) for c in cols])
    for j, col in enumerate(cols, 1):
        letter = get_column_letter(j)
        ws.cell(row=1, column=j).font = Font(bold=True)
        ws.column_dimensions[letter].width = max(12, 2 * len(header(col)) + 4)
        cells = f"{letter}2:{letter}{ROWS + 1}"
        choices = _choices(table, col, lang)
        if choices:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=col.optional_value or col.kind == "bool",
                showErrorMessage=True,
                errorStyle="warning" if col.kind == "enums" else "stop",
                error=text("template_choose", lang),
                prompt=text("template_choose", lang),
                showInputMessage=True,
            )
            dv.add(cells)
            ws.add_data_validation(dv)
        if col.kind in ("date", "opt_date"):
            for (cell,) in ws.iter_rows(min_row=2, max_row=ROWS + 1, min_col=j, max_col=j):
                cell.number_format = "yyyy-mm-dd"
        elif col.kind in ("id", "ref", "opt_ref", "refs", "text", "opt_text"):
            for (cell,) in ws.iter_rows(min_row=2, max_row=ROWS + 1, min_col=j, max_col=j):
                cell.number_format = "@"  # ids stay text: 00123 keeps its zeros
    ws.freeze_panes = "A2"


def write_templates(folder: str | Path, lang: str | None = None) -> list[Path]:
    """Write ``<table>.xlsx`` for every canonical table into ``folder``; returns them."""
    from openpyxl import Workbook

    lang = get_lang(lang)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for table in TABLE_ORDER:
        wb = Workbook()
        ws = wb.active
        ws.title = "填表说明" if lang == "zh-CN" else text("instructions_sheet", lang)
        _instructions(ws, table, lang)
        _data_sheet(wb.create_sheet(label("table", table, lang)[:31]), table, lang)
        path = folder / f"{table}.xlsx"
        with atomic_path(path) as tmp:
            wb.save(tmp)
        out.append(path)
    return out
