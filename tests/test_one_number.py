"""Issue 23 end to end, on one store: the files of ``status``, ``risk`` and ``report``
count the same people the same way (employed on the date; owing and not owing apart;
the same status per person), and the status and risk files stand alone — the person's
name, organization and role and the labels of the codes beside the ids."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main

AS_OF = "2026-06-30"


def _run(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*argv, "--as-of", AS_OF]) == 0, argv
    return out.getvalue()


@pytest.fixture(scope="module")
def files(small_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The demo dataset with names (姓名) added, ingested; every command run once."""
    root = tmp_path_factory.mktemp("one-number")
    data = root / "data"
    shutil.copytree(small_dir, data)
    staff = pd.read_csv(data / "staff.csv", dtype=str)
    staff["name"] = ["员工" + s[-4:] for s in staff["staff_id"]]
    staff.to_csv(data / "staff.csv", index=False)
    env = {"LEARNMAP_DATABASE_URL": f"sqlite:///{root / 'db.sqlite'}"}
    env |= {"LEARNMAP_MODEL_DIR": str(root / "models")}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.delenv("LEARNMAP_LANG", raising=False)
        assert main(["ingest", str(data), "-q"]) == 0
        printed = {"status": _run("status", "--out", str(root / "status.csv"))}
        printed["report"] = _run("report", "--out", str(root / "report"))
        _run("train", "-q")
        _run("risk", "--out", str(root / "risk.csv"), "-q")
        _run("risk", "--level", "org", "--out", str(root / "orgs.csv"), "-q")
        _run("risk", "--out", str(root / "risk.xlsx"), "-q")
        _run("status", "--out", str(root / "status.xlsx"))
    return {
        "status": pd.read_csv(root / "status.csv"),
        "risk": pd.read_csv(root / "risk.csv"),
        "orgs": pd.read_csv(root / "orgs.csv"),
        "summary": pd.read_csv(root / "report" / "summary.csv").iloc[0],
        "staff": staff,
        "xlsx": {k: root / f"{k}.xlsx" for k in ("risk", "status")},
        "printed": printed,
    }


def test_status_risk_and_report_count_the_same_people(files: dict) -> None:
    status, risk, head = files["status"], files["risk"], files["summary"]
    # the same people, each with the same status
    assert set(status["staff_id"]) == set(risk["staff_id"])
    both = status.merge(risk, on="staff_id", suffixes=("", "_risk"))
    assert (both["status"] == both["status_risk"]).all()
    # the report's population and its counts per status are the status file's
    owing = status[status["required"] > 0]
    assert int(head["n_employed"]) == len(status) == int(files["orgs"]["staff"].sum())
    assert int(head["owing"]) == len(owing) == int(files["orgs"]["owing"].sum())
    assert int(head["not_owing"]) == (status["status"] == "none").sum()
    counts = owing["status"].value_counts()
    for s in ("met", "on_track", "at_risk", "overdue"):
        assert int(head[f"n_{s}"]) == counts.get(s, 0), s
    # and both commands print those numbers
    shown = {m[0]: int(m[1].replace(",", "")) for m in re.findall(
        r"(达标|进度正常|有风险|逾期) ?([\d,]+)", files["printed"]["report"])}  # fmt: skip
    assert shown == {
        "达标": counts.get("met", 0),
        "进度正常": counts.get("on_track", 0),
        "有风险": counts.get("at_risk", 0),
        "逾期": counts.get("overdue", 0),
    }
    assert f"在职 {len(status)} 人" in files["printed"]["status"]


def test_status_and_risk_files_name_people_and_organizations(files: dict) -> None:
    names = files["staff"].set_index("staff_id")["name"]
    for kind in ("status", "risk"):
        f = files[kind]
        assert (f["staff_name"] == f["staff_id"].map(names)).all(), kind
        assert f["org_name"].notna().all() and f["role_label"].notna().all(), kind
        assert f["status_label"].isin(["达标", "进度正常", "有风险", "逾期", "无要求"]).all()
    # the status file shows them beside the ids; risk keeps its contract columns first
    assert list(files["status"].columns[:4]) == ["staff_id", "staff_name", "org_id", "org_name"]
    assert list(files["risk"].columns[:6]) == [
        "staff_id", "org_id", "p_miss", "expected_shortfall", "status", "drivers"
    ]  # fmt: skip
    assert files["risk"]["forecast_vs_status_label"].notna().all()
    assert files["orgs"]["org_type_label"].notna().all()


def test_workbooks_show_each_column_once_under_a_header_people_read(files: dict) -> None:
    import openpyxl

    for kind, path in files["xlsx"].items():
        ws = openpyxl.load_workbook(path).worksheets[0]
        head = [c.value for c in ws[1]]
        assert len(head) == len(set(head)), (kind, head)
        assert not [h for h in head if "(" in h or "_" in h], (kind, head)  # no source names
        assert {"姓名", "机构名称", "岗位", "状态"} <= set(head), (kind, head)
        assert ws.max_row - 1 == len(files[kind])
