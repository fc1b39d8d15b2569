"""Files as Excel, WPS and Chinese HR systems export them: title rows, delimiters,
trailing delimiters, encodings past 4 MB, office date forms, full-width text, form-style
headers, Chinese enumeration labels (extendable), XLSX serials, formulas and sheets."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from engine.errors import InputFileError, ValidationError
from engine.ingest import ingest
from engine.readers import detect_encoding, read_dataset
from engine.store import Store
from tests.helpers import write_tiny

ORGS = "org_id,name,org_type,region,ministry_managed,rating\nO1,甲协会,社会团体,北京,是,5\nO2,乙基金会,基金会,上海,否,\n"


def _dataset(tmp_path: Path, staff: bytes | None = None, name: str = "staff.csv") -> Path:
    """The tiny dataset with ``staff`` replaced (only organizations and staff kept)."""
    folder = tmp_path / "in"
    write_tiny(folder)
    for f in folder.iterdir():
        if f.stem not in ("organizations", "staff"):
            f.unlink()
    (folder / "staff.csv").unlink()
    if staff is not None:
        (folder / name).write_bytes(staff)
    return folder


def _store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'x.db'}")


def _staff(store: Store) -> pd.DataFrame:
    return store.load(["staff"])["staff"].set_index("staff_id")


# ---- title rows, delimiters, trailing delimiters ------------------------------------


def test_title_rows_above_the_header_are_skipped_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        "2025年度从业人员名册,,,,\n"
        ",,,,\n"
        "人员编号,机构编号,岗位,入职日期,离职日期\n"
        "S1,O1,负责人,2020-01-01,\n"
        "S2,O2,财务,2021-02-03,\n"
    )
    store = _store(tmp_path)
    with caplog.at_level(logging.WARNING, logger="engine.readers"):
        ingest(_dataset(tmp_path, text.encode("gbk")), store)
    assert sorted(_staff(store).index) == ["S1", "S2"]
    note = " ".join(r.getMessage() for r in caplog.records)
    assert "staff.csv" in note and "row 3" in note and "skipped 2 rows" in note
    assert "2025年度从业人员名册" in note


def test_rows_after_a_title_are_numbered_as_the_spreadsheet_shows_them(tmp_path: Path) -> None:
    text = "2025年度从业人员名册\n人员编号,机构编号,岗位,入职日期,离职日期\nS1,O1,负责人,2020-01-01,\nS2,O2,司机,2021-02-03,\n"
    with pytest.raises(ValidationError) as info:
        ingest(_dataset(tmp_path, text.encode("utf-8")), _store(tmp_path))
    (p,) = info.value.problems
    assert (p.file, p.row, p.column, p.value) == ("staff.csv", 4, "role", "司机")


def test_trailing_delimiters_and_an_empty_trailing_column(tmp_path: Path) -> None:
    text = "staff_id,org_id,role,hired_on,left_on\nS1,O1,head,2020-01-01,,\nS2,O2,finance,2021-02-03,,\n"
    store = _store(tmp_path)
    ingest(_dataset(tmp_path, text.encode()), store)
    assert _staff(store).loc["S2", "role"] == "finance"
    text = "staff_id,org_id,role,hired_on,left_on,\nS1,O1,head,2020-01-01,,\n"
    ingest(_dataset(tmp_path, text.encode()), store)


def test_old_mac_line_endings_with_a_title_row(tmp_path: Path) -> None:
    # Excel for Mac's "CSV (Macintosh)" ends lines with a bare CR
    text = "2025年度从业人员名册\r\rstaff_id,org_id,role,hired_on,left_on\rS1,O1,head,2020-01-01,\rS2,O2,hr,x,\r"
    with pytest.raises(ValidationError) as info:
        ingest(_dataset(tmp_path, text.encode()), _store(tmp_path))
    assert [(p.row, p.column) for p in info.value.problems] == [(5, "hired_on")]


def test_a_value_beyond_the_header_is_an_error_naming_its_row(tmp_path: Path) -> None:
    text = "staff_id,org_id,role,hired_on,left_on\nS1,O1,head,2020-01-01,\nS2,O2,财务,人力资源,2021-02-03,2026-01-01\n"
    store = _store(tmp_path)
    with pytest.raises(ValidationError) as info:
        ingest(_dataset(tmp_path, text.encode()), store)
    beyond = [(p.row, p.value) for p in info.value.problems if "beyond" in p.rule]
    assert beyond == [(3, "2026-01-01")]
    assert store.counts()["staff"] == 0


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_files_whose_values_contain_commas(tmp_path: Path, sep: str) -> None:
    rows = [
        ["staff_id", "org_id", "role", "hired_on", "left_on", "name"],
        ["S1", "O1", "head,spokesperson", "2020-01-01", "", "张三, Jr."],
        ["S2", "O2", "财务,人力资源", "2021-02-03", "", "李四"],
    ]
    text = "".join(sep.join(r) + "\n" for r in rows)
    store = _store(tmp_path)
    ingest(_dataset(tmp_path, text.encode("gb18030")), store)
    staff = _staff(store)
    assert staff.loc["S1", "role"] == "head|spokesperson" and staff.loc["S1", "name"] == "张三, Jr."
    assert staff.loc["S2", "role"] == "finance|hr"


# ---- encodings ---------------------------------------------------------------------


def test_gbk_file_whose_first_chinese_character_is_past_4_mb(tmp_path: Path) -> None:
    note = "x" * (5 << 20)  # an ASCII remark column pushes the first Chinese far down
    text = f"staff_id,org_id,role,hired_on,left_on,note,name\nS1,O1,head,2020-01-01,,{note},\nS2,O2,finance,2021-02-03,,,张三丰\n"
    folder = _dataset(tmp_path, text.encode("gbk"))
    assert detect_encoding(folder / "staff.csv") == "gb18030"
    store = _store(tmp_path)
    ingest(folder, store)
    assert _staff(store).loc["S2", "name"] == "张三丰"


def test_encoding_falls_back_when_the_file_turns_out_gbk_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 小 in GBK (D0 A1) happens to be valid UTF-8; the first 4 MB from it decide "UTF-8"
    note = "x" * (5 << 20)
    text = f"staff_id,org_id,role,hired_on,left_on,note,name\nS1,O1,head,2020-01-01,,,小\nS2,O1,head,2020-01-01,,{note},\nS3,O2,finance,2021-02-03,,,张三丰\n"
    store = _store(tmp_path)
    with caplog.at_level(logging.WARNING, logger="engine.readers"):
        ingest(_dataset(tmp_path, text.encode("gbk")), store)
    staff = _staff(store)
    assert staff.loc["S1", "name"] == "小" and staff.loc["S3", "name"] == "张三丰"
    assert "read as gb18030" in caplog.text and "row 4" in caplog.text


def test_undecodable_bytes_are_reported_by_row(tmp_path: Path) -> None:
    good = "staff_id,org_id,role,hired_on,left_on,name\nS1,O1,head,2020-01-01,,中华人民共和国张三\n"
    bad = b"S2,O2,finance,2021-02-03,," + "李四".encode("gbk") + b"\n"
    with pytest.raises(ValidationError) as info:
        ingest(_dataset(tmp_path, good.encode("utf-8") + bad), _store(tmp_path))
    (p,) = info.value.problems
    assert (p.file, p.row) == ("staff.csv", 3) and "UTF-8" in p.rule
    # the same row far down a long file
    rows = "".join(f"S{i},O1,head,2020-01-01,,中华人民共和国\n" for i in range(10, 2010))
    with pytest.raises(ValidationError) as info:
        ingest(_dataset(tmp_path, (good + rows).encode() + bad), _store(tmp_path))
    assert [p.row for p in info.value.problems] == [2003]


# ---- values as office software writes them ------------------------------------------


def test_office_date_forms(tmp_path: Path) -> None:
    forms = ["2025/1/5", "2025/1/5 0:00", "2025.01.05", "2025年1月5日", "20250105", "45662"]
    lines = [f"S{i},O1,head,{d}," for i, d in enumerate(forms)]
    text = "staff_id,org_id,role,hired_on,left_on\n" + "\n".join(lines) + "\n"
    store = _store(tmp_path)
    ingest(_dataset(tmp_path, text.encode()), store)
    assert set(_staff(store)["hired_on"]) == {pd.Timestamp("2025-01-05")}


def test_full_width_values_and_form_style_headers(tmp_path: Path) -> None:
    text = (
        "*人员编号,*机构编号,岗位（必填）,入职日期(yyyy-mm-dd),离职日期（选填）,姓 名\n"
        "Ｓ１,Ｏ１,ｈｅａｄ,２０２５－０１－０５,,张　三\n"
        "S2　,O2,会计,2025/1/6,,李四\n"
    )
    store = _store(tmp_path)
    ingest(_dataset(tmp_path, text.encode("utf-8-sig")), store)
    staff = _staff(store)
    assert staff.loc["S1", "org_id"] == "O1" and staff.loc["S1", "role"] == "head"
    assert staff.loc["S1", "hired_on"] == pd.Timestamp("2025-01-05")
    assert staff.loc["S2", "role"] == "finance"
    assert staff.loc["S1", "name"] == "张　三"  # free text keeps its characters


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("会长", "head"),
        ("理事长", "head"),
        ("秘书长", "head"),
        ("会长/新闻发言人", "head|spokesperson"),
    ],
)
def test_chinese_titles_of_heads(tmp_path: Path, label: str, key: str) -> None:
    text = f"人员编号,机构编号,岗位,入职日期,离职日期\nS1,O1,{label},2020-01-01,\n"
    store = _store(tmp_path)
    ingest(_dataset(tmp_path, text.encode("gbk")), store)
    assert _staff(store).loc["S1", "role"] == key


def test_participation_status_labels(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_tiny(folder)
    (folder / "participations.csv").write_text(
        "参训编号,人员编号,课程编号,班次编号,报名日期,完成日期,参训状态,学时\n"
        "P1,S1,M1,,2025-02-01,2025-02-10,已结业,2\n"
        "P2,S2,M2,E1,2025-08-01,,未参加,0\n"
        "P3,S1,M2,E1,2025-08-01,,中途退出,4\n"
        "P4,S1,M2,E2,2026-02-01,,已报名,0\n",
        encoding="gbk",
    )
    store = _store(tmp_path)
    ingest(folder, store)
    got = store.load(["participations"])["participations"].set_index("participation_id")
    assert got["status"].to_dict() == {
        "P1": "completed",
        "P2": "no_show",
        "P3": "dropped",
        "P4": "enrolled",
    }


def test_labels_are_looked_up_per_column(tmp_path: Path) -> None:
    # 基础 is a course tier (foundation), not an organization type
    orgs = ORGS.replace("基金会,上海", "基础,上海")
    folder = _dataset(tmp_path, b"staff_id,org_id,role,hired_on,left_on\n")
    (folder / "organizations.csv").write_text(orgs, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        ingest(folder, _store(tmp_path))
    assert [(p.column, p.value) for p in info.value.problems] == [("org_type", "基础")]


def test_users_extend_labels_and_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "员工号,机构编号,岗位,入职日期,离职日期\nS1,O1,资产管理员,2020-01-01,\n"
    folder = _dataset(tmp_path, text.encode("utf-8"))
    with pytest.raises(ValidationError):
        ingest(folder, _store(tmp_path))
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[role]\nfinance = ["资产管理员"]\n\n[headers.staff]\nstaff_id = ["员工号"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("LEARNMAP_SYNONYMS", str(mine))
    store = _store(tmp_path)
    ingest(folder, store)
    assert _staff(store).loc["S1", "role"] == "finance"
    monkeypatch.setenv("LEARNMAP_SYNONYMS", f"{mine}:{tmp_path / 'other.toml'}")
    with pytest.raises(InputFileError, match="no such file"):
        ingest(folder, store)
    mine.write_text('[role]\ncashier = ["出纳员"]\n', encoding="utf-8")
    monkeypatch.setenv("LEARNMAP_SYNONYMS", str(mine))
    with pytest.raises(InputFileError, match="cashier"):
        ingest(folder, store)


# ---- XLSX --------------------------------------------------------------------------


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


HEADER = ["人员编号", "机构编号", "岗位", "入职日期", "离职日期"]


def test_xlsx_serials_datetimes_and_numeric_ids(tmp_path: Path) -> None:
    folder = _dataset(tmp_path)
    book = _book(
        folder / "staff.xlsx",
        {
            "Sheet1": [
                HEADER,
                [10001, "O1", "负责人", 45662, None],  # a General-format serial number
                [10002, "O2", "财务", datetime(2025, 1, 5, 9, 30), 45900.5],
            ]
        },
    )
    store = _store(tmp_path)
    ingest(folder, store)
    staff = _staff(store)
    assert sorted(staff.index) == ["10001", "10002"]
    assert set(staff["hired_on"]) == {pd.Timestamp("2025-01-05")}
    assert staff.loc["10002", "left_on"] == pd.Timestamp("2025-08-31")
    assert book.exists()


def test_xlsx_title_row_in_a_merged_cell(tmp_path: Path) -> None:
    folder = _dataset(tmp_path)
    path = _book(
        folder / "staff.xlsx",
        {
            "名册": [
                ["2025年度从业人员名册"],
                [],
                HEADER,
                ["S1", "O1", "负责人", "2020-01-01", None],
            ]
        },
    )
    wb = openpyxl.load_workbook(path)
    wb["名册"].merge_cells("A1:E1")
    wb.save(path)
    store = _store(tmp_path)
    ingest(folder, store)
    assert _staff(store).loc["S1", "role"] == "head"


def test_xlsx_formula_without_saved_value_is_an_error_saying_so(tmp_path: Path) -> None:
    folder = _dataset(tmp_path)
    _book(
        folder / "staff.xlsx",
        {"Sheet1": [HEADER, ["S1", "O1", "负责人", "=DATE(2020,1,1)", None]]},
    )
    store = _store(tmp_path)
    with pytest.raises(ValidationError) as info:
        ingest(folder, store)
    (p,) = info.value.problems
    assert (p.row, p.column, p.value) == (2, "hired_on", "=DATE(2020,1,1)")
    assert "formula" in p.rule and "no saved value" in p.rule
    assert store.counts()["staff"] == 0


def test_xlsx_instructions_sheet_first(tmp_path: Path) -> None:
    folder = _dataset(tmp_path)
    _book(
        folder / "staff.xlsx",
        {
            "填表说明": [["填表说明"], ["1. 人员编号必填"], ["2. 日期格式 2025-01-01"]],
            "人员名单": [HEADER, ["S1", "O1", "负责人", "2020-01-01", None]],
        },
    )
    raw = read_dataset(folder)["staff"]
    assert raw.source == "staff.xlsx!人员名单"
    store = _store(tmp_path)
    ingest(folder, store)
    assert _staff(store).loc["S1", "role"] == "head"


@pytest.mark.parametrize(
    ("file_name", "sheet"),
    [("人员名册.xlsx", "Sheet1"), ("2025年报送.xlsx", "Sheet1"), ("花名册.xlsx", "名单")],
)
def test_workbook_named_as_people_name_it(tmp_path: Path, file_name: str, sheet: str) -> None:
    """Issue 23: 人员名册.xlsx (a name as exports and offices use) is staff; a workbook
    whose name and sheet say nothing is read by the table its header fits."""
    folder = _dataset(tmp_path)
    _book(folder / file_name, {sheet: [HEADER, ["S1", "O1", "负责人", "2020/1/5", None]]})
    assert read_dataset(folder)["staff"].source == f"{file_name}!{sheet}"
    store = _store(tmp_path)
    ingest(folder, store)
    assert _staff(store).loc["S1", "role"] == "head"


def test_every_table_label_people_see_names_its_table() -> None:
    from engine.labels import enum_labels
    from engine.schema import TABLES, resolve_table

    for table, shown in enum_labels("table", "zh-CN").items():
        if table in TABLES:
            assert resolve_table(shown) == table, shown
