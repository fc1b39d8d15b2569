"""XLSX exports read back with openpyxl: headers people read, codes kept, types and
values equal to the CSV of the same frame, frozen header, widths, number formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import LearnmapError
from engine.labels import column
from engine.outputs import write_table
from engine.workbook import write_workbook


def _status_like() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff_id": ["ST0000001", "ST0000002", "ST0000003"],
            "org_id": ["ORG1", "ORG1", "ORG2"],
            "role": ["head", "finance|hr", "other"],
            "employed": [True, True, True],
            "required": [3, 5, 0],
            "done": [1, 5, 0],
            "remaining": [2, 0, 0],
            "deadline": pd.to_datetime(["2027-12-31"] * 3),
            "status": pd.Categorical(["on_track", "met", "none"]),
            "employed_fraction": [1.0, 0.5, 0.25],
            "p_miss": [0.8214, 0.0, np.nan],
        }
    )


def _read(path: Path):  # noqa: ANN202
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    return ws, list(rows[0]), rows[1:]


def test_xlsx_matches_the_csv_with_chinese_headers(tmp_path: Path) -> None:
    frame = _status_like()
    write_table(frame, tmp_path / "s.csv")
    write_table(frame, tmp_path / "s.xlsx")
    csv = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    ws, head, rows = _read(tmp_path / "s.xlsx")
    assert ws.title == "s" and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:M4"
    # codes kept beside the labels
    assert head[:5] == ["人员编号", "机构编号", "岗位（代码）", "岗位", "在职"]
    assert "状态（代码）" in head and "截止日期" in head and "未达标概率" in head
    by = {h: [r[j] for r in rows] for j, h in enumerate(head)}
    assert by["岗位"] == ["负责人", "财务管理、人力资源", "其他人员"]
    assert by["状态"] == ["进度正常", "达标", "无要求"]
    assert by["在职"] == ["是", "是", "是"]
    for name in csv.columns:  # every CSV column is in the workbook with the same values
        h = column(name) + ("（代码）" if name in ("role", "status") else "")
        got, want = by[h], csv[name].tolist()
        if name == "deadline":
            assert got == [dt.datetime(2027, 12, 31)] * 3  # a real date cell
            assert want == ["2027-12-31"] * 3
        elif name == "employed":
            assert want == [True] * 3
        elif name == "p_miss":
            assert got[:2] == [0.8214, 0.0] and got[2] is None and want[2] == ""
        else:
            assert got == want, name
    j = {h: i + 1 for i, h in enumerate(head)}
    fmt = {h: ws.cell(row=2, column=j[h]).number_format for h in head}
    assert fmt["截止日期"] == "yyyy-mm-dd" and fmt["应完成"] == "#,##0"
    assert fmt["在职时长占比"] == "0.0%" and fmt["未达标概率"] == "0.0%"
    letter = openpyxl.utils.get_column_letter(j["岗位"])
    assert ws.column_dimensions[letter].width >= len("财务管理、人力资源") * 2
    assert ws.cell(row=1, column=1).font.bold


def test_xlsx_in_english(tmp_path: Path) -> None:
    write_table(_status_like(), tmp_path / "s.xlsx", lang="en")
    _, head, rows = _read(tmp_path / "s.xlsx")
    assert head[:4] == ["Staff ID", "Organization ID", "Role (code)", "Role"]
    assert rows[0][3] == "Head of organization"


def test_too_many_rows_for_excel_is_refused_before_writing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("engine.workbook.MAX_ROWS", 2)
    with pytest.raises(LearnmapError, match="more than Excel's"):
        write_table(_status_like(), tmp_path / "big.xlsx")
    assert not list(tmp_path.iterdir())


def test_workbook_with_several_sheets_notes_and_a_chart(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.bar([1, 2], [3, 4])
    png = tmp_path / "c.png"
    fig.savefig(png)
    plt.close(fig)
    path = write_workbook(
        {"摘要": pd.DataFrame({"scope": ["all"], "staff": [3]}), "按岗位": _status_like()},
        tmp_path / "r.xlsx",
        images={"图": png},
        notes={"说明": ["第一行", "第二行"]},
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "摘要", "按岗位", "图表"]
    assert wb["摘要"]["A1"].value == "范围（代码）" and wb["摘要"]["B2"].value == "全部"
    assert len(wb["图表"]._images) == 1


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.one_of(_text, st.integers(-(10**9), 10**9), st.none()), max_size=6),
    codes=st.lists(st.sampled_from(["met", "on_track", "at_risk", "x", ""]), max_size=6),
)
def test_any_frame_round_trips(tmp_path_factory, values, codes) -> None:  # noqa: ANN001
    n = min(len(values), len(codes))
    frame = pd.DataFrame({"note": pd.Series(values[:n], dtype=object), "status": codes[:n]})
    path = tmp_path_factory.mktemp("wb") / "f.xlsx"
    write_table(frame, path)
    _, head, rows = _read(path)
    assert head == ["note", "状态（代码）", "状态"]
    assert len(rows) == n
    for r, v, c in zip(rows, frame["note"], frame["status"], strict=True):
        assert r[0] == (None if v is None or v == "" else v)
        assert r[1] == (c or None)


def test_small_numbers_never_read_as_zero(tmp_path: Path) -> None:
    """Scores of 0.00001 shown as 0.00 read as "all zero" (issue 23 review): a column
    of small numbers gets the decimals its typical value needs, or scientific."""
    frame = pd.DataFrame(
        {
            "score": [1.2e-5, 3.4e-6, 8.8e-5],
            "factor": [0.026087, 0.031, 0.02],
            "p_miss": [0.5, 0.25, 0.75],
        }
    )
    out = tmp_path / "x.xlsx"
    write_workbook({"t": frame}, out)
    ws = openpyxl.load_workbook(out).active
    fmt = {ws.cell(1, j + 1).value: ws.cell(2, j + 1).number_format for j in range(3)}
    shown = {h: f for h, f in fmt.items()}
    assert "E+" in shown[column("score")]
    assert shown[column("factor")] == "0.0000"  # 0.0261, not 0.03
    assert ws.cell(2, 1).value == pytest.approx(1.2e-5)  # the value itself is exact
