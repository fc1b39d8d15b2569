"""Readers: encodings (GBK detected, not assumed), Chinese headers and labels, XLSX,
Parquet, tolerated blank rows and whitespace, duplicate ids."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.errors import InputFileError, ValidationError
from engine.ingest import ingest
from engine.readers import detect_encoding, read_dataset
from engine.store import Store
from engine.validate import validate_dataset
from tests.helpers import TINY, tiny, write_tiny

CN_ORGS = "机构编号,机构名称,机构类型,所在地,是否部管,评估等级\nO1,中国教育协会,社会团体,北京,是,5\nO2,中国慈善基金会,基金会,上海,否,\n"
CN_STAFF = "人员编号,机构编号,岗位,入职日期,离职日期\nS1,O1,负责人|新闻发言人,2020/01/01,\nS2,O2,财务、人力资源,2025年7月1日,\n"


def test_gbk_csv_with_chinese_headers_and_labels(tmp_path: Path) -> None:
    (tmp_path / "organizations.csv").write_bytes(CN_ORGS.encode("gbk"))
    (tmp_path / "staff.csv").write_bytes(CN_STAFF.encode("gbk"))
    assert detect_encoding(tmp_path / "staff.csv") == "gb18030"
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    ingest(tmp_path, store)
    t = store.load(["organizations", "staff"])
    orgs = t["organizations"].set_index("org_id")
    assert (
        orgs.loc["O1", "org_type"] == "social_group" and orgs.loc["O2", "org_type"] == "foundation"
    )
    assert bool(orgs.loc["O1", "ministry_managed"]) and not bool(orgs.loc["O2", "ministry_managed"])
    assert orgs.loc["O1", "name"] == "中国教育协会" and pd.isna(orgs.loc["O2", "rating"])
    staff = t["staff"].set_index("staff_id")
    assert staff.loc["S1", "role"] == "head|spokesperson"
    assert staff.loc["S2", "role"] == "finance|hr"
    assert staff.loc["S2", "hired_on"] == pd.Timestamp("2025-07-01")


def test_utf8_bom_and_plain_utf8(tmp_path: Path) -> None:
    (tmp_path / "organizations.csv").write_bytes(CN_ORGS.encode("utf-8-sig"))
    assert detect_encoding(tmp_path / "organizations.csv") == "utf-8-sig"
    raw = read_dataset(tmp_path)["organizations"]
    assert list(raw.frame.columns[:2]) == ["org_id", "name"]  # BOM not glued to the header
    (tmp_path / "organizations.csv").write_bytes(CN_ORGS.encode("utf-8"))
    assert detect_encoding(tmp_path / "organizations.csv") == "utf-8"


def test_gbk_error_row_numbers_and_chinese_values(tmp_path: Path) -> None:
    bad = CN_STAFF.replace("财务、人力资源", "司机")  # a driver: no role of the plan
    (tmp_path / "staff.csv").write_bytes(bad.encode("gbk"))
    (tmp_path / "organizations.csv").write_bytes(CN_ORGS.encode("gbk"))
    with pytest.raises(ValidationError) as info:
        ingest(tmp_path, Store(f"sqlite:///{tmp_path / 'x.db'}"))
    (p,) = info.value.problems
    assert (p.file, p.row, p.column, p.value) == ("staff.csv", 3, "role", "司机")


def test_blank_trailing_rows_and_whitespace_are_tolerated(tmp_path: Path) -> None:
    text = "org_id , name,org_type,region,ministry_managed,rating\n O1 , 甲协会 ,social_group, 北京 ,TRUE, 3 \n,,,,,\n\n"
    (tmp_path / "organizations.csv").write_text(text, encoding="utf-8")
    typed = validate_dataset(read_dataset(tmp_path))
    orgs = typed["organizations"]
    assert len(orgs) == 1
    assert orgs.loc[0, "org_id"] == "O1" and orgs.loc[0, "region"] == "北京"
    assert orgs.loc[0, "rating"] == 3.0


def test_duplicate_ids_inside_a_file_are_errors(tmp_path: Path) -> None:
    data = tiny()
    data["participations"].append(dict(data["participations"][0]))
    with pytest.raises(ValidationError) as info:
        ingest(write_tiny(tmp_path / "in", data), Store(f"sqlite:///{tmp_path / 'x.db'}"))
    rows = sorted(p.row for p in info.value.problems if "duplicate" in p.rule)
    assert rows == [2, 4]


def _frames() -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame(rows) for t, rows in TINY.items()}


def test_xlsx_one_sheet_per_table(tmp_path: Path) -> None:
    book = tmp_path / "培训数据.xlsx"
    with pd.ExcelWriter(book) as xl:
        for table, frame in _frames().items():
            frame.to_excel(xl, sheet_name=table, index=False)
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    counts = ingest(book, store)
    assert {t: c.new for t, c in counts.items()} == {t: len(r) for t, r in TINY.items()}


def test_xlsx_first_sheet_with_real_dates_and_numbers(tmp_path: Path) -> None:
    write_tiny(tmp_path / "d")
    (tmp_path / "d" / "staff.csv").unlink()
    staff = pd.DataFrame(
        {
            "人员编号": ["S1", "S2"],
            "机构编号": ["O1", "O2"],
            "岗位": ["负责人", "监事"],
            "入职日期": pd.to_datetime(["2020-01-01", "2021-02-03"]),
            "离职日期": [pd.NaT, pd.Timestamp("2026-01-31")],
        }
    )
    staff.to_excel(tmp_path / "d" / "staff.xlsx", index=False)
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    ingest(tmp_path / "d", store)
    got = store.load(["staff"])["staff"].set_index("staff_id")
    assert got.loc["S2", "role"] == "supervisor"
    assert got.loc["S2", "left_on"] == pd.Timestamp("2026-01-31")
    assert got.loc["S1", "hired_on"] == pd.Timestamp("2020-01-01")


def test_parquet(tmp_path: Path) -> None:
    write_tiny(tmp_path / "d")
    (tmp_path / "d" / "assessments.csv").unlink()
    frame = pd.DataFrame(
        {
            "assessment_id": ["A1"],
            "staff_id": ["S1"],
            "module_id": ["M1"],
            "taken_on": pd.to_datetime(["2025-02-10"]),
            "score": [77.5],
        }
    )
    frame.to_parquet(tmp_path / "d" / "assessments.parquet")
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    ingest(tmp_path / "d", store)
    got = store.load(["assessments"])["assessments"]
    assert got["score"].tolist() == [77.5]


def test_unreadable_inputs_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_dataset(tmp_path / "missing.csv")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match="cannot tell which table"):
        read_dataset(tmp_path / "notes.csv")
    (tmp_path / "staff.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match="not a readable Excel workbook"):
        read_dataset(tmp_path / "staff.xlsx")


def test_short_gbk_files_are_not_mistaken_for_korean(tmp_path: Path) -> None:
    # a few Chinese words are too little for statistical detectors (they guess cp949)
    f = tmp_path / "staff.csv"
    f.write_bytes("人员编号,岗位\nS1,负责人\n".encode("gb2312"))
    assert detect_encoding(f) == "gb18030"
    f.write_bytes("人员编号,姓名\nS1,朱镕基\n".encode("gbk"))  # 镕 is GBK, not GB2312
    assert detect_encoding(f) == "gb18030"
    f.write_bytes("org_id,name\nO1,Café société\n".encode("cp1252"))
    assert detect_encoding(f).startswith("cp125")


def test_undecodable_bytes_are_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "staff.csv"
    f.write_bytes(bytes(range(128, 256)) * 20)
    with pytest.raises(InputFileError, match="cannot tell the text encoding"):
        read_dataset(f)
