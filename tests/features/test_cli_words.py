"""Issue 23, finding 1: ``profile``, ``learning-map`` and ``status --org`` refused and
reported in English; now in the label catalogue's words (Chinese by default, English
with ``--lang en``)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from engine.cli import main

AS_OF = "2026-06-30"


@pytest.fixture
def on_store(small_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{small_db}")
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main([*argv, "--as-of", AS_OF])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "chinese", "english"),
    [
        (["profile", "NOPE"], "截至 2026-06-30 没有人员编号为 'NOPE' 的人员", "no staff member 'NOPE'"),
        (["learning-map", "NOPE", "--out", "m.json"], "没有人员编号为 'NOPE'", "no staff member"),
        (["learning-map", "ST0000001", "--out", "m.txt"], "m.txt：--out 须以 .json 或 .png 结尾",
         "m.txt: --out must end in .json or .png"),
        (["status", "--org", "NOORG", "--out", "s.csv"], "机构 'NOORG' 没有人员",
         "no staff in organization 'NOORG'"),
    ],
)  # fmt: skip
def test_refusals_in_either_language(on_store: Path, argv, chinese: str, english: str) -> None:  # noqa: ANN001
    code, _, err = _run(*argv)
    assert code == 2 and err.startswith("错误：") and chinese in err, err
    code, _, err = _run(*argv, "--lang", "en")
    assert code == 2 and err.startswith("error: ") and english in err, err


def test_learning_map_says_what_it_wrote(on_store: Path) -> None:
    code, out, _ = _run("learning-map", "ST0000001", "--out", "m.json")
    nodes = json.loads((on_store / "m.json").read_text(encoding="utf-8"))["nodes"]
    skills = sum(n["kind"] == "skill" for n in nodes)
    modules = sum(n["kind"] == "module" for n in nodes)
    assert code == 0
    assert (
        out.strip() == f"已写入 m.json：岗位要求的能力 {skills} 项，教授这些能力的课程 {modules} 门"
    )
    code, out, _ = _run("learning-map", "ST0000001", "--out", "m.json", "--lang", "en")
    assert (
        out.strip() == f"wrote m.json: {skills} required skills, {modules} modules that teach them"
    )
