"""Issue 23, finding 1: what ``demo-data``, ``ingest``, ``db info``, ``template``,
``export parquet`` and ``xapi`` print was English; now it is in the label catalogue's
words — Chinese by default, English with ``--lang en`` or ``LEARNMAP_LANG=en``.

"No English left" means: once what a person types or reads as a code is taken out
(paths, table codes, file names, commands and options, dates and numbers), no Latin
word remains; English output has no Chinese at all."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.schema import TABLE_ORDER
from tests.helpers import tiny, write_tiny

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ten-organization demo dataset and an empty store to ingest it into."""
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'l.db'}")
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    return tmp_path / "demo"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _outside_codes(said: str, *paths: Path) -> str:
    """``said`` less paths, commands, options, table codes and file names, dates, the
    ``xAPI`` standard's name and the ``staff_id`` column partitions are keyed by."""
    for path in paths:
        said = said.replace(str(path), "")
    said = re.sub(r"learnmap [a-z -]+(\s[\w./-]+)?|--[a-z-]+|\S+\.(csv|xlsx|md)\b", "", said)
    said = re.sub(r"\d{4}-\d\d-\d\d|xAPI|staff_id|sqlite:///\S*", "", said)
    for code in sorted(TABLE_ORDER, key=len, reverse=True):
        said = said.replace(code, "")
    return said


def _no_english(said: str, *paths: Path) -> None:
    assert CJK.search(said), said
    left = re.findall(r"[A-Za-z]{2,}", _outside_codes(said, *paths))
    assert not left, (left, said)


def _no_chinese(said: str) -> None:
    assert said.strip() and not CJK.search(said), said


def test_demo_data_and_ingest_say_what_they_wrote_in_either_language(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = _run("demo-data", "--out", str(demo), "--orgs", "10", "--seed", "3")
    assert code == 0 and out.startswith(f"已写入 {demo}，用时 ")
    _no_english(out, demo)
    rows = {t: len(pd.read_csv(demo / f"{t}.csv")) for t in ("staff", "participations")}
    assert re.search(rf"人员名册（staff） +{rows['staff']:,} 行", out), out

    code, out, err = _run("ingest", str(demo))
    assert code == 0 and out.startswith(f"已导入 {demo}，用时 ") and not err
    _no_english(out, demo)
    n = f"{rows['participations']:,}"
    assert re.search(rf"参训记录（participations） +新增 +{n} 行  更新 +0 行  未变 +0 行", out)

    code, out, _ = _run("ingest", str(demo), "--lang", "en")  # again: everything unchanged
    assert code == 0 and out.startswith(f"ingested {demo} in ")
    _no_chinese(out)
    line = r"Participations \(participations\) +0 new +0 updated +{n} unchanged"
    assert re.search(line.format(n=n), out), out

    code, out, _ = _run("db", "info")
    assert code == 0 and out.startswith("数据库：sqlite:///")
    _no_english(out, demo)
    assert re.search(rf"人员名册（staff） +{rows['staff']:,} 行", out), out
    monkeypatch.setenv("LEARNMAP_LANG", "en")
    code, out, _ = _run("db", "info")
    assert code == 0 and out.startswith("store: sqlite:///")
    _no_chinese(out)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_refused_ingest_heads_its_problems_in_the_chosen_language(
    demo: Path, tmp_path: Path, lang: str
) -> None:
    """The heading, the count and each problem's line (file, row, column, value and
    the validator's rule) in the chosen language."""
    data = tiny()
    data["staff"][0]["role"] = "boss"
    data["modules"][1]["hours"] = "zero"
    folder = write_tiny(tmp_path / "bad", data)
    code, out, err = _run("ingest", str(folder), "--lang", lang)
    head, *problems = err.splitlines()
    assert code == 2 and not out and len(problems) == 2
    if lang == "en":
        assert "staff.csv:2 [Role (role)] value 'boss': must be one or more of head," in err
    else:
        assert "staff.csv 第 2 行 [岗位（role）] 值 'boss'：必须是以下的一项或多项" in err
    if lang == "en":
        assert head == "rejected: 2 problems; nothing was written"
    else:
        assert head == "已拒绝：发现 2 个问题，未写入任何数据"
    data["modules"][1]["hours"] = "3"
    write_tiny(folder, data)
    code, _, err = _run("ingest", str(folder), "--lang", lang)
    one = "rejected: 1 problem;" if lang == "en" else "已拒绝：发现 1 个问题，"
    assert code == 2 and err.startswith(one), err
    code, _, err = _run("ingest", str(tmp_path / "nope.csv"), "--lang", lang)  # no such file
    frame = (
        ("rejected: ", "; nothing was written")
        if lang == "en"
        else ("已拒绝：", "；未写入任何数据")
    )
    assert code == 2 and err.startswith(frame[0]) and err.rstrip().endswith(frame[1]), err


def test_template_says_where_its_files_are_and_what_to_run_next(tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    code, out, _ = _run("template", str(folder), "--lang", "zh")
    written, then = out.splitlines()
    assert code == 0 and written.startswith(f"已写入 {len(TABLE_ORDER)} 个填报模板到 {folder}：")
    assert written.endswith("、".join(f"{t}.xlsx" for t in TABLE_ORDER))
    assert then == f"填好后运行：learnmap ingest {folder}"
    _no_english(out, folder)
    code, out, _ = _run("template", str(folder), "--lang", "en")
    assert code == 0 and out.splitlines()[-1] == f"fill them in, then: learnmap ingest {folder}"
    _no_chinese(out)


def test_export_and_xapi_say_what_they_did_in_either_language(demo: Path) -> None:
    assert _run("demo-data", "--out", str(demo), "--orgs", "10", "--seed", "3")[0] == 0
    assert _run("ingest", str(demo))[0] == 0
    copy = demo.parent / "pq"
    code, out, _ = _run("export", "parquet", str(copy), "--partitions", "2", "-q")
    assert code == 0 and out.startswith(f"已写入 {copy}：") and "分为 2 个分区" in out
    _no_english(out, copy)
    for argv in (["xapi", "pending"], ["xapi", "apply"]):
        code, zh, _ = _run(*argv)
        assert code == 0
        _no_english(zh)
        code, en, _ = _run(*argv, "--lang", "en")
        assert code == 0
        _no_chinese(en)
    assert zh.startswith("已应用 0 条，仍待映射 0 条") and en.startswith(
        "applied 0, still pending 0"
    )


def test_demo_data_and_template_refusals_in_either_language(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    argv = ["demo-data", "--out", str(out), "--orgs", "3", "-q", "--start", "2028-01-01"]
    code, _, err = _run(*argv)
    assert code == 2 and err.startswith("错误：--start 2028-01-01 晚于 --end（默认值） 2027-12-31")
    _no_english(err)
    code, _, err = _run(*argv, "--lang", "en")
    assert code == 2 and err.startswith("error: --start 2028-01-01 is after --end (default)")
    assert not out.exists()
    taken = tmp_path / "x.xlsx"
    taken.write_text("keep", encoding="utf-8")
    code, _, err = _run("template", str(taken))
    assert code == 2 and err == f"错误：{taken}：这是一个文件；请给出存放模板的文件夹\n"
    code, _, err = _run("template", str(taken), "--lang", "en")
    assert code == 2 and err == f"error: {taken}: is a file; give a folder for the templates\n"
    assert taken.read_text(encoding="utf-8") == "keep"


# Every kind of broken cell, row and cross-table rule a hand-made file meets: each
# problem line must read in the chosen language (codes, ids, values and column names
# aside), while the JSON answer keeps the English rule scripts and the API read.
BROKEN = [
    ("staff", 0, "role", "boss"),
    ("staff", 0, "left_on", "1990-01-01"),
    ("staff", 1, "hired_on", "2026-13-01"),
    ("organizations", 0, "rating", "many"),
    ("organizations", 1, "org_type", "club"),
    ("skills", 0, "parent_id", "K1"),
    ("modules", 0, "hours", "-3"),
    ("modules", 1, "mode", "hologram"),
    ("assessments", 0, "score", "150"),
    ("participations", 0, "module_id", "NO-SUCH-MODULE"),
    ("participations", 1, "completed_on", ""),
    ("sessions", 0, "ends_on", "2000-01-01"),
]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_each_refused_rule_reads_in_the_chosen_language(
    demo: Path, tmp_path: Path, lang: str
) -> None:
    data = tiny()
    for table, row, col, value in BROKEN:
        data[table][row][col] = value
    data["participations"][1]["status"] = "completed"
    folder = write_tiny(tmp_path / "bad", data)
    code, _, err = _run("ingest", str(folder), "--lang", lang)
    head, *lines = err.splitlines()
    assert code == 2 and len(lines) >= len(BROKEN), err
    for line in lines:
        said = re.sub(r"\S+\.csv|'[^']*'|（[a-z_]+）|\[[a-z_]+\]|\b[A-Z]+\d+\b", "", line)
        for col in {c for _, _, c, _ in BROKEN} | {"starts_on", "hired_on", "skill_id"}:
            said = said.replace(col, "")
        said = said.replace("modules", "").replace("YYYY", "")
        if lang == "en":
            _no_chinese(line)
        else:
            _no_english(said + "。")  # the rule's words, not the codes it quotes
    code, out, _ = _run("ingest", str(folder), "--json", "--lang", lang)
    rules = [p["rule"] for p in __import__("json").loads(out)["problems"]]
    assert "must be a date YYYY-MM-DD" in rules and all(not CJK.search(r) for r in rules)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_common_refusals_read_in_the_chosen_language(demo: Path, tmp_path: Path, lang: str) -> None:
    """The refusals a new administrator meets first — no store yet, a mistyped policy,
    a report sent to a file, an output type that cannot be written — say so in the
    chosen language after ``错误：`` (they were English)."""
    cases = [
        ["status", "--as-of", "2026-01-01", "--out", str(tmp_path / "s.csv")],  # no store
        ["policy", "show", "nosuch"],
        ["recommend", "--all", "--out", str(tmp_path / "r.pdf")],
    ]
    for argv in cases:
        code, _, err = _run(*argv, "--lang", lang)
        assert code == 2, (argv, err)
        message = re.sub(r"'[^']*'|\S*\.(pdf|db)|\.(csv|parquet|xlsx)|LEARNMAP_\w+|national-2025|cadre-\w+|credits", "",
                         err)  # fmt: skip
        if lang == "en":
            _no_chinese(err)
        else:
            assert err.startswith("错误："), err
            _no_english(message, tmp_path)
