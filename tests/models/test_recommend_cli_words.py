"""Issue 23: ``learnmap recommend`` / ``allocate`` speak the label catalogue's words —
their refusals and their "wrote …" lines are Chinese by default and English with
``--lang en`` / ``LEARNMAP_LANG=en``."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.store import Store

AS_OF = "2026-06-30"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def on_store(small_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{small_db}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    return small_db


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _outside_codes(message: str) -> str:
    """The message less what a person types or reads as a code: options, quoted ids,
    model names, file suffixes, dates."""
    from models.recommend.cli import recommend_models

    message = re.sub(
        r"--[a-z-]+|'[^']*'|\.(csv|parquet|xlsx)|\d{4}-\d\d-\d\d|\([a-z_]+\)", "", message
    )
    for code in sorted([*recommend_models(), "STAFF_ID"], key=len, reverse=True):
        message = message.replace(code, "")
    return message


REFUSALS = [
    ([], "give either STAFF_ID or --all"),
    (["--all"], "--all needs --out FILE"),
    (["ST0000001", "--k", "0"], "--k must be at least 1, got 0"),
    (["ST0000001", "--from", "2026-07-01"], "give both --from and --to"),
    (["ST0000001", "--from", "2026-08-01", "--to", "2026-07-01"], "must be before --to"),
    (["NOBODY"], "no staff member 'NOBODY' as of 2026-06-30"),
    (["ST0000001", "--model", "nope"], "--model 'nope': unknown model; choose one of"),
    (["ST0000001", "--mode", "hologram"], "--mode 'hologram': not one of Offline (offline)"),
    (["ST0000001", "--tier", "advanced"], "--tier 'advanced': not one of"),
]


def test_filters_take_the_labels_people_read(on_store: Path) -> None:
    """``--mode 线下`` / ``--tier 基础课`` (the words the tool itself prints) filter as
    the codes do — they used to match nothing and answer an empty list."""
    code, by_code, _ = _run(["recommend", "ST0000001", "--as-of", AS_OF, "--mode", "offline"])
    assert code == 0 and "线下" in by_code
    code, by_label, _ = _run(["recommend", "ST0000001", "--as-of", AS_OF, "--mode", "线下"])
    assert code == 0 and by_label == by_code
    code, out, _ = _run(["recommend", "ST0000001", "--as-of", AS_OF, "--tier", "基础课"])
    assert code == 0 and len(out.splitlines()) > 1


@pytest.mark.parametrize(("argv", "english"), REFUSALS)
def test_recommend_refusals_are_chinese_by_default_and_english_on_request(
    on_store: Path, argv: list[str], english: str
) -> None:
    code, _, err = _run(["recommend", *argv, "--as-of", AS_OF])
    assert code == 2 and err.startswith("错误："), err
    assert CJK.search(err) and not re.search("[A-Za-z]{3,}", _outside_codes(err)), err
    code, _, err = _run(["recommend", *argv, "--as-of", AS_OF, "--lang", "en"])
    assert code == 2 and err.startswith("error: ") and english in err, err


def test_the_oracle_is_refused_in_chinese_naming_the_models_offered(on_store: Path) -> None:
    code, _, err = _run(["recommend", "ST0000001", "--as-of", AS_OF, "--model", "oracle"])
    assert code == 2 and err.startswith("错误：") and "实验" in err
    offered = err.split("可选模型：", 1)[1]
    assert "hybrid" in offered and "oracle" not in offered


def test_wrote_lines_say_what_was_written_in_either_language(
    on_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "recs.csv"
    argv = ["recommend", "--all", "--out", str(dest), "--model", "itemknn", "--k", "2", "-q"]
    code, out, _ = _run([*argv, "--as-of", AS_OF])
    rows = len(pd.read_csv(dest))
    people = pd.read_csv(dest)["staff_id"].nunique()
    assert code == 0
    assert out.strip() == f"已写入 {dest}：{people:,} 人共 {rows:,} 行推荐（模型 itemknn）"
    seats, roll = tmp_path / "seats.csv", tmp_path / "orgs.csv"
    argv = ["allocate", "--from", "2026-01-01", "--to", "2026-02-28", "--out", str(seats)]
    code, out, _ = _run([*argv, "--by-org", str(roll)])
    got = pd.read_csv(seats)
    assert code == 0 and len(got) > 0
    n, k = f"{len(got):,}", f"{got['session_id'].nunique():,}"
    assert out.strip() == f"已写入 {seats}：{k} 个班次共 {n} 个名额；按机构汇总：{roll}"
    assert not re.search("[A-Za-z]{4,}", got["reason"].str.cat()), got["reason"].head()
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    code, out, _ = _run([*argv, "--by-org", str(roll)])
    assert out.strip() == f"wrote {seats}: {n} seats in {k} sessions; per organization: {roll}"
    reasons = pd.read_csv(seats)["reason"]
    assert reasons.str.len().gt(0).all() and not reasons.str.contains(CJK.pattern).any()


def test_an_unknown_language_is_said_plainly(
    on_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LEARNMAP_LANG naming no language: the refusal says so (in English, there being
    no language to say it in) instead of failing while saying it."""
    monkeypatch.setenv("LEARNMAP_LANG", "xx")
    code, _, err = _run(["recommend", "--as-of", AS_OF])
    assert code == 2 and err.startswith("error: LEARNMAP_LANG='xx': unknown language"), err
    assert "Traceback" not in err


def test_an_unknown_person_is_refused_before_any_model_is_fitted(
    on_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23, finding 7: ``recommend ST9999999`` took 6 s (a fit) before saying
    there is no such person."""
    import models.registry

    def no_fitting(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was created for a person who does not exist")

    monkeypatch.setattr(models.registry, "create", no_fitting)
    code, _, err = _run(["recommend", "ST9999999", "--as-of", AS_OF])
    assert code == 2 and "ST9999999" in err and "没有人员编号" in err, err


def test_json_and_files_stand_alone(on_store: Path, tmp_path: Path, small_dir: Path) -> None:
    """Issue 23, finding 3: ``recommend --json`` carries the title, mode and hours the
    API gives and the session to book; ``--mode offline`` names that session in print;
    the ``allocate`` file has the person's organization, the module's title and the
    session's dates."""
    import json

    from features.exports import next_sessions

    mods = pd.read_csv(small_dir / "modules.csv", dtype=str).set_index("module_id")
    argv = ["recommend", "ST0000001", "--model", "skillgap", "--mode", "offline"]
    code, out, _ = _run([*argv, "--json", "--as-of", AS_OF])
    recs = pd.DataFrame(json.loads(out))
    assert code == 0 and len(recs)
    assert (recs["title"] == recs["module_id"].map(mods["title"])).all()
    assert (recs["mode"] == "offline").all()
    assert (recs["hours"] == recs["module_id"].map(mods["hours"].astype(float))).all()
    upcoming = next_sessions(Store().load(), AS_OF)
    booked = recs["module_id"].isin(upcoming.index)
    assert booked.any()
    assert (
        recs.loc[booked, "session_id"] == recs.loc[booked, "module_id"].map(upcoming["session_id"])
    ).all()
    code, printed, _ = _run([*argv, "--as-of", AS_OF])
    assert printed.count("报名班次：") == booked.sum()
    for r in recs[booked].itertuples():
        assert (
            f"报名班次：{r.book_session}" in printed and r.session_starts_on[:10] in r.book_session
        )
    seats = tmp_path / "seats.csv"
    argv = ["allocate", "--from", "2026-01-01", "--to", "2026-02-28", "--out", str(seats)]
    assert _run(argv)[0] == 0
    got = pd.read_csv(seats)
    assert got[["org_name", "title", "session_starts_on", "session_ends_on"]].notna().all().all()
    assert (got["title"] == got["module_id"].map(mods["title"])).all()


def test_workbooks_of_recommend_and_allocate_read_without_a_dictionary(
    on_store: Path, tmp_path: Path
) -> None:
    """Every header of the recommend, allocate and per-organization workbooks is one a
    person reads (no column name left as is), once; the per-organization file names the
    organization; a 姓名 column appears only when the data has names (the demo has none)."""
    import openpyxl

    recs, seats, orgs = (tmp_path / f"{n}.xlsx" for n in ("recs", "seats", "orgs"))
    argv = ["recommend", "--all", "--model", "itemknn", "--k", "2", "-q", "--out", str(recs)]
    assert _run([*argv, "--as-of", AS_OF])[0] == 0
    argv = ["allocate", "--from", "2026-01-01", "--to", "2026-02-28", "--out", str(seats)]
    assert _run([*argv, "--by-org", str(orgs)])[0] == 0
    for path in (recs, seats, orgs):
        head = [c.value for c in openpyxl.load_workbook(path).worksheets[0][1]]
        assert len(head) == len(set(head)), (path.name, head)
        assert not [h for h in head if re.fullmatch(r"[a-z_]+", h)], (path.name, head)
        assert "姓名" not in head and "机构名称" in head, (path.name, head)
