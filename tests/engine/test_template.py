"""`learnmap template DIR`: an XLSX fill-in template per table, read back by ingest as
the same records the CSV dataset gives (issue 23)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd

from engine.cli import main
from engine.coerce import parse_enum
from engine.ingest import ingest
from engine.labels import label, label_many
from engine.schema import DATASET_TABLES, TABLE_ORDER, TABLES
from engine.store import Store
from engine.template import ENUM_KIND, header
from tests.helpers import tiny, write_tiny


def test_every_drop_down_label_is_read_back_as_its_code() -> None:
    for table in TABLES.values():
        for col in table.columns:
            if not col.enum:
                continue
            kind = ENUM_KIND.get(col.name, col.name)
            shown = pd.Series([label(kind, c) for c in col.enum])
            codes, bad = parse_enum(shown, col.enum)
            assert not bad.any() and codes.tolist() == list(col.enum), (table.name, col.name)


def _fill(path: Path, table: str, rows: list[dict[str, str]]) -> None:
    """Type rows into the template as a person would: labels, 是/否, date cells."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    cols = TABLES[table].columns
    assert [c.value for c in ws[1]] == [header(c) for c in cols]
    for i, row in enumerate(rows, 2):
        for j, col in enumerate(cols, 1):
            v = row.get(col.name, "")
            if v == "":
                continue
            if col.kind == "enums":
                v = label_many(col.name, v).replace("、", "|")
            elif col.enum:
                v = label(ENUM_KIND.get(col.name, col.name), v)
            elif col.kind == "bool":
                v = label("bool", v)
            elif col.kind in ("date", "opt_date") and i % 2 == 0:
                v = date.fromisoformat(v)  # a date cell, as Excel stores a typed date
            ws.cell(row=i, column=j, value=v)
    wb.save(path)


def test_a_filled_template_ingests_as_the_csv_dataset(tmp_path: Path, capsys, caplog) -> None:  # noqa: ANN001
    folder = tmp_path / "tpl"
    assert main(["template", str(folder)]) == 0
    assert f"已写入 {len(TABLE_ORDER)} 个填报模板" in capsys.readouterr().out
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.xlsx" for t in TABLE_ORDER)
    wb = openpyxl.load_workbook(folder / "staff.xlsx")
    assert wb.sheetnames == ["填表说明", "人员名册"]
    data = wb["人员名册"]
    assert data.freeze_panes == "A2" and data["A1"].value == "*人员编号"
    role = [dv for dv in data.data_validations.dataValidation if "C2" in str(dv.sqref)]
    assert (
        role and "分支机构负责人" in role[0].formula1 and "branch_manager" not in role[0].formula1
    )
    rows = tiny()
    for table in DATASET_TABLES:
        _fill(folder / f"{table}.xlsx", table, rows[table])
    a, b = Store(f"sqlite:///{tmp_path / 'a.db'}"), Store(f"sqlite:///{tmp_path / 'b.db'}")
    with caplog.at_level("WARNING"):
        ingest(folder, a)
    # the instructions sheet before the data is how a template is made: no warning
    assert not [r for r in caplog.records if r.levelname == "WARNING"], caplog.text
    ingest(write_tiny(tmp_path / "csv"), b)
    got, want = a.load(), b.load()
    for table in DATASET_TABLES:
        pd.testing.assert_frame_equal(got[table], want[table], check_dtype=False, obj=table)


def test_template_into_a_file_is_refused(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    f = tmp_path / "x.xlsx"
    f.write_text("keep")
    assert main(["template", str(f)]) == 2
    assert "这是一个文件" in capsys.readouterr().err and f.read_text() == "keep"
