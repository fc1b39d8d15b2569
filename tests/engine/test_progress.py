"""Progress bars: shown on a terminal, silent in a pipe or log and with --quiet."""

from __future__ import annotations

import io
import re
import sys
import time

import pytest

from engine import progress
from engine.cli import main


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _loud() -> None:
    progress.configure(quiet=False)
    yield
    progress.configure(quiet=False)


def _tty(monkeypatch: pytest.MonkeyPatch) -> _Tty:
    """stderr a terminal (set in the test itself: pytest re-binds stderr after setup)."""
    stream = _Tty()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_bars_show_on_a_terminal_and_spinners_tick(monkeypatch) -> None:  # noqa: ANN001
    tty = _tty(monkeypatch)
    monkeypatch.setattr(progress, "TICK", 0.05)
    with progress.bar(10, "loading staff") as b:
        b.update(10)
    with progress.spinner("validating") as s:
        time.sleep(0.3)  # nothing reports: the spinner redraws by itself
        s.set_description("validating: comparing staff")
    out = tty.getvalue()
    assert "loading staff" in out and "10.0/10.0" in out
    assert "validating: comparing staff" in out
    assert out.count("validating:") >= 3  # redrawn while the step ran


def test_quiet_silences_every_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = _tty(monkeypatch)
    progress.configure(quiet=True)
    with progress.bar(10, "loading") as b, progress.spinner("computing"):
        b.update(10)
    assert tty.getvalue() == ""
    assert not progress.active() and not progress.active(True)


def test_no_bars_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()  # a pipe or a log file: isatty() is False
    monkeypatch.setattr(sys, "stderr", stream)
    with progress.bar(10, "loading") as b, progress.spinner("computing"):
        b.update(10)
    assert stream.getvalue() == "" and not progress.active()


def test_cli_quiet_flags(tmp_path, small_dir, monkeypatch) -> None:  # noqa: ANN001
    tty = _tty(monkeypatch)
    """On a terminal `ingest` shows its steps; `--quiet` (command or global) none."""
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'q.db'}")
    assert main(["ingest", "--quiet", str(small_dir)]) == 0
    assert tty.getvalue() == ""
    assert main(["-q", "ingest", str(small_dir)]) == 0
    assert tty.getvalue() == ""
    assert main(["ingest", str(small_dir)]) == 0  # the same files again: not even read
    shown = tty.getvalue()
    assert "正在检查" in shown and "未变" in shown and "正在读取" not in shown
    monkeypatch.setenv("LEARNMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    assert main(["ingest", str(small_dir)]) == 0
    shown = tty.getvalue()
    assert "正在读取" in shown and "正在校验" in shown and "新增中" in shown
    codes = r"\w+_id|prerequisites|module_skills|role_requirements|demo\w*|\w*row/s|MB"
    tables = r"organizations|staff|skills|modules|sessions|participations|assessments|outcomes"
    left = re.findall(r"[A-Za-z]{2,}", re.sub(f"{codes}|{tables}", "", shown))
    assert not left, (left, shown)
