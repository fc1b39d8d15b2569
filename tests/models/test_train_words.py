"""Issue 23, finding 1: ``learnmap train`` — run before ``risk`` — reported in English
whatever the language; now in the label catalogue's words."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from engine.cli import main
from engine.labels import label


def test_train_says_what_it_did_in_either_language(
    small_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("LEARNMAP_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("LEARNMAP_LANG", raising=False)
    assert main(["ingest", str(small_dir), "-q"]) == 0
    printed = {}
    for lang in ("zh-CN", "en"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["train", "--as-of", "2026-06-30", "-q", "--lang", lang]) == 0
        printed[lang] = out.getvalue().splitlines()
    zh, en = printed["zh-CN"], printed["en"]
    policy = label("policy", "national-2025", "zh-CN")
    assert zh[0].startswith(f"已训练风险模型：统计日期 2026-06-30，考核要求：{policy}，用时")
    assert zh[1].startswith("  回测样本 ") and "个时间点" in zh[1]
    assert zh[2].startswith("  交叉回测检验：Brier 分数 ") and "AUC" in zh[2]
    assert zh[3] == f"  已保存到 {tmp_path / 'models' / 'staff-risk'}"
    assert en[0].startswith("trained StaffRisk as of 2026-06-30 for ")
    assert en[3] == f"  saved to {tmp_path / 'models' / 'staff-risk'}"
    # the same figures in both languages
    assert zh[1].split()[1] == en[1].split()[0]
